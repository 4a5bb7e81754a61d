//! E-mail through an SMTP relay: one UTF-8 plain-text mail per message, to every recipient
//! in one transaction.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use parkops_domain::notify::{ChannelKind, Message, truncate};
use parkops_domain::time::Timestamp;
use sha2::{Digest, Sha256};

use crate::config::{ChannelConfig, ConfigError, SmtpSecurity};
use crate::guard::{ResolveError, resolve_checked};
use crate::{Failure, SendError, render};

/// Sends the message to every recipient in one SMTP transaction.
pub(crate) async fn send(config: &ChannelConfig, message: &Message, now: Timestamp) -> Result<(), SendError> {
    let security = config.smtp.security;
    let (host, port) = host_and_port(&config.endpoint, security)?;
    let mail = build(config, message, now)?;
    let credentials = match (&config.smtp.username, &config.secret) {
        (Some(user), Some(password)) => Some(Credentials::new(user.clone(), password.expose().to_owned())),
        (None, None) => None,
        (Some(_), None) | (None, Some(_)) => return Err(ConfigError::IncompleteCredentials.into()),
    };
    let addrs = resolve_checked(host, port, config.allow_loopback).await.map_err(|e| match e {
        ResolveError::Unresolved => SendError::retry(Failure::Network),
        ResolveError::Blocked(b) => SendError::from(b),
    })?;
    let on_loopback = addrs.iter().all(|a| a.ip().is_loopback());
    if security == SmtpSecurity::Plain && credentials.is_some() && !on_loopback {
        return Err(ConfigError::PlaintextCredentials.into());
    }
    let transport = transport(host, addrs[0], security, credentials, config.timeout)?;
    // The transport's own timeout covers each command; this bounds the whole exchange.
    match tokio::time::timeout(config.timeout.saturating_mul(2), transport.send_raw(&mail.envelope, &mail.bytes)).await
    {
        Err(_) => Err(SendError::retry(Failure::Timeout)),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(smtp_error(&e)),
    }
}

/// `host:port`, `[v6]:port`, or a bare host with the port of its security mode.
fn host_and_port(endpoint: &str, security: SmtpSecurity) -> Result<(&str, u16), ConfigError> {
    let default_port = match security {
        SmtpSecurity::Plain => 25,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
    };
    let endpoint = endpoint.trim();
    let (host, port) = if let Some(rest) = endpoint.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or(ConfigError::InvalidEndpoint)?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or(ConfigError::InvalidEndpoint)?)),
        }
    } else {
        match endpoint.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (endpoint, None),
        }
    };
    if host.is_empty() || (host.contains(['/', '@', ' ', ':']) && !endpoint.starts_with('[')) {
        return Err(ConfigError::InvalidEndpoint);
    }
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|&p| p != 0).ok_or(ConfigError::InvalidEndpoint)?,
        None => default_port,
    };
    Ok((host, port))
}

/// A built mail: the SMTP envelope and the RFC 5322 bytes.
struct Mail {
    envelope: Envelope,
    bytes: Vec<u8>,
}

/// A sender or recipient: `addr@host` or `Display Name <addr@host>`.
struct Mailbox {
    name: Option<String>,
    address: Address,
}

/// Builds the mail by hand rather than with lettre's builder, which would bring a
/// dependency under a licence outside `deny.toml` (quoted_printable, 0BSD). The format is
/// small: UTF-8 plain text in base64, the subject and display names as RFC 2047 words.
fn build(config: &ChannelConfig, message: &Message, now: Timestamp) -> Result<Mail, ConfigError> {
    if config.smtp.from.trim().is_empty() {
        return Err(ConfigError::MissingSender);
    }
    if config.recipients.is_empty() {
        return Err(ConfigError::NoRecipients);
    }
    let from = Mailbox::parse(&config.smtp.from)?;
    let to = config.recipients.iter().map(|r| Mailbox::parse(r)).collect::<Result<Vec<_>, _>>()?;
    let envelope = Envelope::new(Some(from.address.clone()), to.iter().map(|m| m.address.clone()).collect())
        .map_err(|_| ConfigError::InvalidAddress)?;

    let subject = render::headline(message);
    let text = render::plain(message, false).replace("\r\n", "\n").replace('\n', "\r\n");
    let text = truncate(&text, ChannelKind::Email.max_text_bytes());
    let digest = Sha256::digest(format!("{subject}\n{text}\n{}", config.recipients.join(",")).as_bytes());
    let message_id = format!("<{}.{}@{}>", now.as_millis(), hex::encode(&digest[..8]), from.address.domain());
    let to_header = to.iter().map(Mailbox::header_value).collect::<Vec<_>>().join(",\r\n ");

    let mut mail = String::new();
    for (name, value) in [
        ("From", from.header_value()),
        ("To", to_header),
        ("Subject", encode_words(&subject)),
        ("Date", now.to_utc().to_rfc2822()),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0".to_owned()),
        ("Content-Type", "text/plain; charset=utf-8".to_owned()),
        ("Content-Transfer-Encoding", "base64".to_owned()),
    ] {
        mail.push_str(name);
        mail.push_str(": ");
        mail.push_str(&value);
        mail.push_str("\r\n");
    }
    mail.push_str("\r\n");
    let encoded = STANDARD.encode(text.as_bytes());
    for line in encoded.as_bytes().chunks(76) {
        mail.push_str(std::str::from_utf8(line).expect("base64 is ascii"));
        mail.push_str("\r\n");
    }
    Ok(Mail { envelope, bytes: mail.into_bytes() })
}

impl Mailbox {
    fn parse(text: &str) -> Result<Self, ConfigError> {
        let text = text.trim();
        let (name, address) = match text.rsplit_once('<') {
            Some((name, rest)) => {
                let address = rest.strip_suffix('>').ok_or(ConfigError::InvalidAddress)?;
                let name = name.trim().trim_matches('"').trim();
                (Some(name).filter(|n| !n.is_empty()), address.trim())
            }
            None => (None, text),
        };
        if name.is_some_and(|n| n.contains(['\r', '\n', '<', '>'])) {
            return Err(ConfigError::InvalidAddress);
        }
        let address = address.parse::<Address>().map_err(|_| ConfigError::InvalidAddress)?;
        Ok(Self { name: name.map(str::to_owned), address })
    }

    /// `addr`, `"Name" <addr>`, or `=?utf-8?b?…?= <addr>` for a non-ASCII name.
    fn header_value(&self) -> String {
        match &self.name {
            None => self.address.to_string(),
            Some(name) if name.is_ascii() => {
                format!("\"{}\" <{}>", name.replace(['\\', '"'], ""), self.address)
            }
            Some(name) => format!("{} <{}>", encode_words(name), self.address),
        }
    }
}

/// RFC 2047 `B` encoded words, folded: ASCII text goes as it is, anything else in words of at
/// most 39 bytes of UTF-8 (64 characters encoded, so `Subject: ` and a word stay within the
/// recommended 78), never splitting a character.
fn encode_words(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ");
    if text.is_ascii() {
        return text;
    }
    let mut words = Vec::new();
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let chunk = truncate(rest, 39);
        // A single character is at most four bytes, so a chunk is never empty.
        let chunk = if chunk.is_empty() { rest } else { chunk };
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(chunk.as_bytes())));
        rest = &rest[chunk.len()..];
    }
    words.join("\r\n ")
}

/// A transport that connects to the checked address and verifies TLS against the name.
fn transport(
    host: &str,
    addr: SocketAddr,
    security: SmtpSecurity,
    credentials: Option<Credentials>,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
    let tls = match security {
        SmtpSecurity::Plain => Tls::None,
        SmtpSecurity::StartTls | SmtpSecurity::Tls => {
            let parameters =
                TlsParameters::new(host.to_owned()).map_err(|_| SendError::from(ConfigError::InvalidEndpoint))?;
            if security == SmtpSecurity::Tls { Tls::Wrapper(parameters) } else { Tls::Required(parameters) }
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
        .port(addr.port())
        .tls(tls)
        .timeout(Some(timeout));
    if let Some(credentials) = credentials {
        builder = builder.credentials(credentials);
    }
    Ok(builder.build())
}

/// 5xx replies are permanent, 4xx transient; connection and TLS failures are retried.
fn smtp_error(error: &lettre::transport::smtp::Error) -> SendError {
    let code = error.status().map(u16::from);
    if error.is_timeout() {
        SendError::retry(Failure::Timeout)
    } else if error.is_permanent() {
        SendError::Permanent(Failure::Smtp { code })
    } else if error.is_transient() {
        SendError::retry(Failure::Smtp { code })
    } else {
        SendError::retry(Failure::Network)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_with_default_ports() {
        assert_eq!(host_and_port("smtp.park.example", SmtpSecurity::StartTls), Ok(("smtp.park.example", 587)));
        assert_eq!(host_and_port("smtp.park.example:2525", SmtpSecurity::Tls), Ok(("smtp.park.example", 2525)));
        assert_eq!(host_and_port("127.0.0.1:25", SmtpSecurity::Plain), Ok(("127.0.0.1", 25)));
        assert_eq!(host_and_port("[::1]:25", SmtpSecurity::Plain), Ok(("::1", 25)));
        assert_eq!(host_and_port("[::1]", SmtpSecurity::Tls), Ok(("::1", 465)));
        for bad in ["", ":25", "host:0", "host:x", "smtp://host:25", "[::1", "[::1]x"] {
            assert_eq!(host_and_port(bad, SmtpSecurity::Plain), Err(ConfigError::InvalidEndpoint), "{bad}");
        }
    }

    #[test]
    fn mailboxes_parse_with_and_without_names() {
        let plain = Mailbox::parse("duty@park.example").expect("address");
        assert_eq!(plain.header_value(), "duty@park.example");
        let named = Mailbox::parse("\"Duty Desk\" <duty@park.example>").expect("address");
        assert_eq!(named.header_value(), "\"Duty Desk\" <duty@park.example>");
        let chinese = Mailbox::parse("值班室 <duty@park.example>").expect("address");
        assert_eq!(chinese.header_value(), "=?utf-8?b?5YC854+t5a6k?= <duty@park.example>");
        for bad in ["not an address", "x <duty@park.example", "a\r\nBcc: x <duty@park.example>"] {
            assert!(Mailbox::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn encoded_words_stay_short_and_split_on_characters() {
        assert_eq!(encode_words("plain ascii"), "plain ascii");
        let long = encode_words(&"液位高".repeat(10));
        let words: Vec<&str> = long.split("\r\n ").collect();
        assert_eq!(words.len(), 3);
        assert!(words.iter().all(|w| w.len() <= 64 && w.starts_with("=?utf-8?b?") && w.ends_with("?=")));
        assert_eq!(encode_words("标题\r\nBcc: x"), "=?utf-8?b?5qCH6aKYICBCY2M6IHg=?=");
    }
}
