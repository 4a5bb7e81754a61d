//! The HTTP channels: DingTalk, WeCom and Feishu robots, the generic webhook and the SMS
//! gateway. One request each; the answer is classified, never retried here.

use std::time::Duration;

use parkops_domain::notify::{ChannelKind, Message, truncate};
use parkops_domain::time::Timestamp;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use reqwest::{Client, StatusCode, Url};
use serde_json::{Value, json};

use crate::config::{ChannelConfig, ConfigError};
use crate::guard::{Blocked, EndpointError, GuardedResolver, check_url};
use crate::{Failure, SendError, render, sign};

/// Answers larger than this are not the platform's JSON; stop reading.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// WeCom markdown content limit (the text-message limit, 2048, bounds the body already).
const WECOM_MARKDOWN_BYTES: usize = 4096;
/// DingTalk mutes a robot that exceeded its rate for ten minutes.
const DINGTALK_MUTE: Duration = Duration::from_secs(600);

/// An HTTP client with the guarded resolver, no redirects and no proxy.
pub(crate) fn client(allow_loopback: bool) -> Result<Client, SendError> {
    Client::builder()
        .dns_resolver(GuardedResolver::shared(allow_loopback))
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve names itself, out of the guard's sight.
        .no_proxy()
        .connect_timeout(crate::DEFAULT_TIMEOUT)
        .user_agent(concat!("ParkOps/", env!("CARGO_PKG_VERSION")))
        .build()
        // Only the TLS settings can fail here, and they will fail the same way next time.
        .map_err(|_| SendError::Permanent(Failure::Network))
}

/// Builds, sends and classifies one request.
pub(crate) async fn send(
    client: &Client,
    config: &ChannelConfig,
    message: &Message,
    now: Timestamp,
) -> Result<(), SendError> {
    let url = check_url(&config.endpoint, config.allow_loopback).map_err(|e| match e {
        EndpointError::Invalid => SendError::from(ConfigError::InvalidEndpoint),
        EndpointError::Blocked(b) => SendError::from(b),
    })?;
    let request = match config.kind {
        ChannelKind::DingTalk => dingtalk(client, url, config, message, now),
        ChannelKind::WeCom => wecom(client, url, message),
        ChannelKind::Feishu => feishu(client, url, config, message, now),
        ChannelKind::Webhook => webhook(client, url, config, message, now),
        ChannelKind::Sms => sms(client, url, config, message)?,
        ChannelKind::Email => return Err(ConfigError::InvalidEndpoint.into()),
    };
    let response = request.timeout(config.timeout).send().await.map_err(transport_error)?;
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let answer = read_capped(response).await?;
    classify(config.kind, status, retry_after, &answer)
}

/// DingTalk custom robot: markdown, signed in the query string when a secret is set.
fn dingtalk(
    client: &Client,
    mut url: Url,
    config: &ChannelConfig,
    message: &Message,
    now: Timestamp,
) -> reqwest::RequestBuilder {
    if let Some(secret) = &config.secret {
        let timestamp = now.as_millis();
        url.query_pairs_mut()
            .append_pair("timestamp", &timestamp.to_string())
            .append_pair("sign", &sign::dingtalk(secret.expose(), timestamp));
    }
    let text = render::markdown(message);
    let body = json!({
        "msgtype": "markdown",
        "markdown": {
            "title": truncate(&render::headline(message), 256),
            "text": truncate(&text, ChannelKind::DingTalk.max_text_bytes()),
        },
    });
    client.post(url).json(&body)
}

/// WeCom group robot: markdown; the key in the URL is the only credential.
fn wecom(client: &Client, url: Url, message: &Message) -> reqwest::RequestBuilder {
    let text = render::markdown(message);
    let limit = ChannelKind::WeCom.max_text_bytes().max(WECOM_MARKDOWN_BYTES);
    let body = json!({ "msgtype": "markdown", "markdown": { "content": truncate(&text, limit) } });
    client.post(url).json(&body)
}

/// Feishu custom bot: text, signed in the body when a secret is set.
fn feishu(
    client: &Client,
    url: Url,
    config: &ChannelConfig,
    message: &Message,
    now: Timestamp,
) -> reqwest::RequestBuilder {
    let text = render::plain(message, true);
    let mut body = json!({
        "msg_type": "text",
        "content": { "text": truncate(&text, ChannelKind::Feishu.max_text_bytes()) },
    });
    if let Some(secret) = &config.secret {
        let timestamp = now.as_millis().div_euclid(1000);
        body["timestamp"] = Value::String(timestamp.to_string());
        body["sign"] = Value::String(sign::feishu(secret.expose(), timestamp));
    }
    client.post(url).json(&body)
}

/// Generic webhook: the message as JSON. With a secret, `X-ParkOps-Signature` carries the
/// HMAC of the exact body, and the body carries `sent_at` (also in `X-ParkOps-Timestamp`,
/// epoch milliseconds), so a receiver can refuse replays of old bodies.
fn webhook(
    client: &Client,
    url: Url,
    config: &ChannelConfig,
    message: &Message,
    now: Timestamp,
) -> reqwest::RequestBuilder {
    let limit = ChannelKind::Webhook.max_text_bytes();
    let body = json!({
        "title": truncate(&message.title, limit),
        "body": truncate(&message.body, limit),
        "level": message.level,
        "link": message.link,
        "at": message.at.rfc3339(),
        "sent_at": now.rfc3339(),
        "sent_at_ms": now.as_millis(),
    })
    .to_string();
    let mut request = client.post(url).header(CONTENT_TYPE, "application/json");
    if let Some(secret) = &config.secret {
        request = request
            .header("X-ParkOps-Timestamp", now.as_millis().to_string())
            .header("X-ParkOps-Signature", sign::webhook(secret.expose(), body.as_bytes()));
    }
    request.body(body)
}

/// SMS gateway: `{"to": [...], "text": "..."}` with an optional bearer token.
fn sms(
    client: &Client,
    url: Url,
    config: &ChannelConfig,
    message: &Message,
) -> Result<reqwest::RequestBuilder, SendError> {
    if config.recipients.is_empty() {
        return Err(ConfigError::NoRecipients.into());
    }
    let text = render::plain(message, true);
    let body = json!({ "to": config.recipients, "text": truncate(&text, ChannelKind::Sms.max_text_bytes()) });
    let mut request = client.post(url).json(&body);
    if let Some(token) = &config.secret {
        request = request.header(AUTHORIZATION, format!("Bearer {}", token.expose()));
    }
    Ok(request)
}

/// Maps a client error: timeouts and network failures are worth retrying; an address the
/// guard refused during resolution is not.
fn transport_error(error: reqwest::Error) -> SendError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(blocked) = e.downcast_ref::<Blocked>() {
            return SendError::from(*blocked);
        }
        source = e.source();
    }
    if error.is_timeout() {
        SendError::retry(Failure::Timeout)
    } else if error.is_builder() {
        SendError::from(ConfigError::InvalidEndpoint)
    } else {
        SendError::retry(Failure::Network)
    }
}

/// Reads at most [`MAX_ANSWER_BYTES`] of the answer.
async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, SendError> {
    let mut answer = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        let room = MAX_ANSWER_BYTES.saturating_sub(answer.len());
        answer.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if answer.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(answer)
}

/// `Retry-After` in seconds (the HTTP-date form is rare from these platforms and ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Success or the kind of failure, from the status and the platform's JSON answer.
fn classify(
    kind: ChannelKind,
    status: StatusCode,
    retry_after: Option<Duration>,
    answer: &[u8],
) -> Result<(), SendError> {
    let code = match kind {
        ChannelKind::DingTalk | ChannelKind::WeCom | ChannelKind::Feishu => platform_code(kind, answer),
        ChannelKind::Webhook | ChannelKind::Sms | ChannelKind::Email => None,
    };
    match code {
        Some(0) if status.is_success() => Ok(()),
        Some(code) if code != 0 => Err(classify_code(kind, code, retry_after)),
        // A robot platform answers success with a code; 2xx without one is not the platform.
        None if status.is_success() && kind_has_codes(kind) => Err(SendError::Permanent(Failure::UnexpectedAnswer)),
        _ => classify_status(status, retry_after),
    }
}

fn kind_has_codes(kind: ChannelKind) -> bool {
    matches!(kind, ChannelKind::DingTalk | ChannelKind::WeCom | ChannelKind::Feishu)
}

/// DingTalk and WeCom answer `errcode`; Feishu answers `code` (older bots `StatusCode`).
fn platform_code(kind: ChannelKind, answer: &[u8]) -> Option<i64> {
    let value: Value = serde_json::from_slice(answer).ok()?;
    let field = |name: &str| value.get(name).and_then(Value::as_i64);
    match kind {
        ChannelKind::Feishu => field("code").or_else(|| field("StatusCode")),
        _ => field("errcode"),
    }
}

/// The meaning of a platform's non-zero code.
fn classify_code(kind: ChannelKind, code: i64, retry_after: Option<Duration>) -> SendError {
    let throttled =
        |wait: Option<Duration>| SendError::Retryable { failure: Failure::Throttled { code }, retry_after: wait };
    match (kind, code) {
        // 130101 send too fast; 410100 more than 20 a minute: muted for ten minutes.
        (ChannelKind::DingTalk, 130_101 | 410_100) => {
            throttled(Some(retry_after.unwrap_or(DINGTALK_MUTE).max(DINGTALK_MUTE)))
        }
        // 45009 API frequency out of limit.
        (ChannelKind::WeCom, 45_009) => throttled(retry_after.or(Some(Duration::from_secs(60)))),
        // 9499 too many requests; 11232 frequency limited.
        (ChannelKind::Feishu, 9_499 | 11_232) => throttled(retry_after.or(Some(Duration::from_secs(1)))),
        // -1: system busy.
        (ChannelKind::DingTalk | ChannelKind::WeCom, -1) => {
            SendError::Retryable { failure: Failure::Platform { code }, retry_after }
        }
        _ => SendError::Permanent(Failure::Platform { code }),
    }
}

/// 2xx is success; 408, 429 and 5xx are worth retrying; anything else (4xx, an unfollowed
/// redirect) is not.
fn classify_status(status: StatusCode, retry_after: Option<Duration>) -> Result<(), SendError> {
    if status.is_success() {
        return Ok(());
    }
    let failure = Failure::Status(status.as_u16());
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::REQUEST_TIMEOUT {
        Err(SendError::Retryable { failure, retry_after })
    } else {
        Err(SendError::Permanent(failure))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: ChannelKind, status: u16, answer: &str) -> Result<(), SendError> {
        classify(kind, StatusCode::from_u16(status).expect("valid status"), None, answer.as_bytes())
    }

    #[test]
    fn platform_answers_are_classified() {
        assert_eq!(check(ChannelKind::DingTalk, 200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok(()));
        assert_eq!(check(ChannelKind::WeCom, 200, r#"{"errcode":0,"errmsg":"ok"}"#), Ok(()));
        assert_eq!(check(ChannelKind::Feishu, 200, r#"{"code":0,"msg":"success","data":{}}"#), Ok(()));
        assert_eq!(check(ChannelKind::Feishu, 200, r#"{"StatusCode":0,"StatusMessage":"success"}"#), Ok(()));

        let muted = check(ChannelKind::DingTalk, 200, r#"{"errcode":130101,"errmsg":"send too fast"}"#);
        assert_eq!(
            muted,
            Err(SendError::Retryable {
                failure: Failure::Throttled { code: 130_101 },
                retry_after: Some(DINGTALK_MUTE)
            })
        );
        assert!(check(ChannelKind::WeCom, 200, r#"{"errcode":45009}"#).is_err_and(|e| e.is_retryable()));
        assert!(
            check(ChannelKind::Feishu, 429, r#"{"code":11232,"msg":"frequency limited"}"#)
                .is_err_and(|e| e.is_retryable())
        );
        assert!(
            check(ChannelKind::DingTalk, 200, r#"{"errcode":-1,"errmsg":"busy"}"#).is_err_and(|e| e.is_retryable())
        );

        assert_eq!(
            check(ChannelKind::DingTalk, 200, r#"{"errcode":310000,"errmsg":"sign not match"}"#),
            Err(SendError::Permanent(Failure::Platform { code: 310_000 }))
        );
        assert_eq!(
            check(ChannelKind::Feishu, 200, r#"{"code":19021,"msg":"sign match fail"}"#),
            Err(SendError::Permanent(Failure::Platform { code: 19_021 }))
        );
        assert_eq!(check(ChannelKind::DingTalk, 200, "<html>"), Err(SendError::Permanent(Failure::UnexpectedAnswer)));
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(check(ChannelKind::Webhook, 204, ""), Ok(()));
        assert_eq!(check(ChannelKind::Sms, 202, "queued"), Ok(()));
        assert!(check(ChannelKind::Webhook, 503, "").is_err_and(|e| e.is_retryable()));
        assert!(check(ChannelKind::Webhook, 429, "").is_err_and(|e| e.is_retryable()));
        assert_eq!(check(ChannelKind::Webhook, 401, ""), Err(SendError::Permanent(Failure::Status(401))));
        assert_eq!(check(ChannelKind::Webhook, 302, ""), Err(SendError::Permanent(Failure::Status(302))));
        assert!(check(ChannelKind::DingTalk, 502, "bad gateway").is_err_and(|e| e.is_retryable()));
    }

    #[test]
    fn retry_after_seconds_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "120".parse().expect("header value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
    }
}
