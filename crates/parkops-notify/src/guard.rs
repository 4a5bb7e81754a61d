//! The outbound-request guard (ASVS V1.3.6, SSRF): channel endpoints are typed in by
//! administrators, so a notification must not become a way to read cloud metadata or to
//! reach services that trust the local host.
//!
//! Every address is checked after name resolution, in the resolver the HTTP client uses
//! (so a name that resolves to a forbidden address is caught, and the address checked is
//! the address connected to), and redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an endpoint was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Blocked {
    /// Only `http` and `https` are allowed.
    #[error("only http and https endpoints are allowed")]
    Scheme,
    /// A loopback address, and the channel does not allow loopback.
    #[error("loopback endpoints are not allowed")]
    Loopback,
    /// 169.254.0.0/16 or fe80::/10, where cloud metadata services listen.
    #[error("link-local endpoints are not allowed")]
    LinkLocal,
    /// A known cloud metadata address outside the link-local range (Alibaba Cloud
    /// 100.100.100.200, AWS fd00:ec2::254).
    #[error("cloud metadata endpoints are not allowed")]
    CloudMetadata,
    /// 0.0.0.0/8 or `::`, which reach the local host on many systems.
    #[error("unspecified addresses are not allowed")]
    Unspecified,
    /// Multicast or broadcast.
    #[error("multicast and broadcast addresses are not allowed")]
    Multicast,
}

/// Parses an HTTP endpoint and checks its scheme and, when the host is an address, the
/// address. Names are checked when resolved, by [`GuardedResolver`].
pub(crate) fn check_url(endpoint: &str, allow_loopback: bool) -> Result<Url, EndpointError> {
    let url = Url::parse(endpoint).map_err(|_| EndpointError::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(EndpointError::Blocked(Blocked::Scheme));
    }
    let host = url.host_str().ok_or(EndpointError::Invalid)?;
    // The parser has already normalised addresses (`http://2852039166/` is 169.254.169.254);
    // IPv6 hosts come in brackets.
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        check_ip(ip, allow_loopback).map_err(EndpointError::Blocked)?;
    }
    Ok(url)
}

/// Why [`check_url`] refused an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndpointError {
    /// Not a URL with a host.
    Invalid,
    /// A forbidden scheme or address.
    Blocked(Blocked),
}

/// Whether an address may be connected to.
pub(crate) fn check_ip(ip: IpAddr, allow_loopback: bool) -> Result<(), Blocked> {
    match ip {
        IpAddr::V4(v4) => check_v4(v4, allow_loopback),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return check_v4(v4, allow_loopback);
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                return if allow_loopback { Ok(()) } else { Err(Blocked::Loopback) };
            }
            if v6.is_unspecified() {
                return Err(Blocked::Unspecified);
            }
            if first & 0xffc0 == 0xfe80 {
                return Err(Blocked::LinkLocal);
            }
            if v6.is_multicast() {
                return Err(Blocked::Multicast);
            }
            if v6 == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
                return Err(Blocked::CloudMetadata);
            }
            Ok(())
        }
    }
}

/// Resolves names for the HTTP client and refuses the whole answer when any address in
/// it is forbidden (a name that mixes good and forbidden addresses is not trustworthy).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GuardedResolver {
    pub(crate) allow_loopback: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_loopback = self.allow_loopback;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            for addr in &addrs {
                check_ip(addr.ip(), allow_loopback)?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

impl GuardedResolver {
    /// The resolver as the HTTP client takes it.
    pub(crate) fn shared(allow_loopback: bool) -> Arc<Self> {
        Arc::new(Self { allow_loopback })
    }
}

/// Resolves `host` and checks every address, for connections made outside the HTTP client
/// (SMTP). Returns the addresses to connect to.
pub(crate) async fn resolve_checked(
    host: &str,
    port: u16,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, ResolveError> {
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|_| ResolveError::Unresolved)?.collect();
    if addrs.is_empty() {
        return Err(ResolveError::Unresolved);
    }
    for addr in &addrs {
        check_ip(addr.ip(), allow_loopback).map_err(ResolveError::Blocked)?;
    }
    Ok(addrs)
}

/// Why [`resolve_checked`] found nothing to connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResolveError {
    /// The name did not resolve (perhaps for now).
    Unresolved,
    /// A forbidden address.
    Blocked(Blocked),
}

fn check_v4(ip: Ipv4Addr, allow_loopback: bool) -> Result<(), Blocked> {
    if ip.is_loopback() {
        return if allow_loopback { Ok(()) } else { Err(Blocked::Loopback) };
    }
    if ip.is_link_local() {
        return Err(Blocked::LinkLocal);
    }
    if ip.octets()[0] == 0 {
        return Err(Blocked::Unspecified);
    }
    if ip.is_multicast() || ip.is_broadcast() {
        return Err(Blocked::Multicast);
    }
    if ip == Ipv4Addr::new(100, 100, 100, 200) {
        return Err(Blocked::CloudMetadata);
    }
    Ok(())
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`) or NAT64 (`64:ff9b::a.b.c.d`) address, which reach that IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let ([a, b], [c, d]) = (s[6].to_be_bytes(), s[7].to_be_bytes());
    let low = Ipv4Addr::new(a, b, c, d);
    match s {
        [0, 0, 0, 0, 0, 0, _, _] if !ip.is_loopback() && !ip.is_unspecified() => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test address")
    }

    #[test]
    fn metadata_and_link_local_addresses_are_refused() {
        for (addr, why) in [
            ("169.254.169.254", Blocked::LinkLocal),
            ("169.254.0.23", Blocked::LinkLocal),
            ("::ffff:169.254.169.254", Blocked::LinkLocal),
            ("64:ff9b::a9fe:a9fe", Blocked::LinkLocal),
            ("fe80::1", Blocked::LinkLocal),
            ("100.100.100.200", Blocked::CloudMetadata),
            ("fd00:ec2::254", Blocked::CloudMetadata),
            ("0.0.0.0", Blocked::Unspecified),
            ("::", Blocked::Unspecified),
            ("224.0.0.1", Blocked::Multicast),
            ("255.255.255.255", Blocked::Multicast),
        ] {
            assert_eq!(check_ip(ip(addr), true), Err(why), "{addr}");
        }
    }

    #[test]
    fn loopback_needs_permission_and_private_networks_are_allowed() {
        assert_eq!(check_ip(ip("127.0.0.1"), false), Err(Blocked::Loopback));
        assert_eq!(check_ip(ip("::1"), false), Err(Blocked::Loopback));
        assert_eq!(check_ip(ip("::ffff:127.0.0.1"), false), Err(Blocked::Loopback));
        assert_eq!(check_ip(ip("127.0.0.1"), true), Ok(()));
        // Relays and SMS gateways inside the park network are legitimate.
        for addr in ["10.1.2.3", "192.168.1.10", "172.16.0.5", "203.0.113.7", "2001:db8::1"] {
            assert_eq!(check_ip(ip(addr), false), Ok(()), "{addr}");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_and_literal_addresses() {
        assert_eq!(check_url("ftp://example.com/x", true), Err(EndpointError::Blocked(Blocked::Scheme)));
        assert_eq!(check_url("file:///etc/passwd", true), Err(EndpointError::Blocked(Blocked::Scheme)));
        assert_eq!(
            check_url("http://169.254.169.254/latest/meta-data/", true),
            Err(EndpointError::Blocked(Blocked::LinkLocal))
        );
        // The URL parser normalises other spellings of the same address.
        assert_eq!(check_url("http://2852039166/", true), Err(EndpointError::Blocked(Blocked::LinkLocal)));
        assert_eq!(check_url("http://[::ffff:a9fe:a9fe]/", true), Err(EndpointError::Blocked(Blocked::LinkLocal)));
        assert_eq!(check_url("not a url", true), Err(EndpointError::Invalid));
        assert!(check_url("https://oapi.dingtalk.com/robot/send?access_token=x", false).is_ok());
    }
}
