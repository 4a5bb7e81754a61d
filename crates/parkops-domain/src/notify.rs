//! Notification rules: the channels and their platform limits, the sliding-window
//! throttle, the digest that replaces messages held back while a channel is throttled, and
//! the retry schedule.
//!
//! Pure: `parkops-notify` does the sending, the app decides when. The limits come from
//! the platforms' documentation (domain.md §2.4): a DingTalk robot that sends more than 20
//! messages in a minute is muted for ten minutes, so the throttle here must never let a
//! 21st message through, even under an alarm storm.

use chrono::Duration;

use crate::time::Timestamp;

/// A way of reaching people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelKind {
    /// E-mail through an SMTP relay.
    Email,
    /// A JSON POST to any HTTP endpoint, optionally signed.
    Webhook,
    /// DingTalk (钉钉) custom group robot.
    DingTalk,
    /// WeCom (企业微信) group robot.
    WeCom,
    /// Feishu (飞书) custom bot.
    Feishu,
    /// SMS through an HTTP gateway.
    Sms,
}

/// At most `per_minute` messages in any 60-second window and, when set, at most
/// `per_second` in any 1-second window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Messages allowed in any 60-second window.
    pub per_minute: u32,
    /// Messages allowed in any 1-second window, if the platform limits that too.
    pub per_second: Option<u32>,
}

/// Whether a message may go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send now: no window would exceed its limit.
    Send,
    /// Hold until this instant, the earliest at which a send fits every window.
    WaitUntil(Timestamp),
}

/// What a notification says. Channels render it in their own format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// One line, shown as the subject or heading.
    pub title: String,
    /// The text; plain, with `\n` line breaks.
    pub body: String,
    /// The severity as displayed (`致命`, `严重`, …), if any.
    pub level: Option<String>,
    /// A link back to the platform, if any.
    pub link: Option<String>,
    /// When the reported event happened.
    pub at: Timestamp,
}

/// What to do with a channel's queue of held-back messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// Nothing is queued.
    Idle,
    /// Send this message now; it stands for the first `covers` queued messages (all of them:
    /// one queued message goes out as it is, several go out as one digest).
    Send {
        /// The message to send.
        message: Message,
        /// How many queued messages it replaces.
        covers: usize,
    },
    /// The channel is throttled; try again at this instant.
    WaitUntil(Timestamp),
}

/// Invalid notification settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// The channel code is not one of [`ChannelKind::code`].
    #[error("unknown notification channel")]
    UnknownChannel,
    /// A rate limit of zero would hold every message for ever.
    #[error("a rate limit must allow at least one message")]
    ZeroRateLimit,
}

/// Attempts made before a message is given up (the first try plus five retries).
pub const MAX_ATTEMPTS: u32 = 6;

impl ChannelKind {
    /// Every channel, in display order.
    pub const ALL: [Self; 6] = [Self::Email, Self::Webhook, Self::DingTalk, Self::WeCom, Self::Feishu, Self::Sms];

    /// The stable code used in settings and storage.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Webhook => "webhook",
            Self::DingTalk => "dingtalk",
            Self::WeCom => "wecom",
            Self::Feishu => "feishu",
            Self::Sms => "sms",
        }
    }

    /// The channel with this [`code`](Self::code).
    ///
    /// # Errors
    /// [`NotifyError::UnknownChannel`] for any other string.
    pub fn parse(code: &str) -> Result<Self, NotifyError> {
        Self::ALL.into_iter().find(|k| k.code() == code).ok_or(NotifyError::UnknownChannel)
    }

    /// The platform's own limit for robots (DingTalk and WeCom 20 a minute per robot;
    /// Feishu 100 a minute and 5 a second per bot), and [`RateLimit::DEFAULT`] for the
    /// channels whose limit is the operator's choice.
    #[must_use]
    pub const fn platform_limit(self) -> RateLimit {
        match self {
            Self::DingTalk | Self::WeCom => RateLimit { per_minute: 20, per_second: None },
            Self::Feishu => RateLimit { per_minute: 100, per_second: Some(5) },
            Self::Email | Self::Webhook | Self::Sms => RateLimit::DEFAULT,
        }
    }

    /// The limit to apply given an operator's setting: the setting, but never above a
    /// robot platform's own limit (exceeding it mutes a DingTalk robot for ten minutes).
    #[must_use]
    pub fn effective_limit(self, configured: Option<RateLimit>) -> RateLimit {
        let platform = self.platform_limit();
        match (self, configured) {
            (_, None) => platform,
            (Self::DingTalk | Self::WeCom | Self::Feishu, Some(c)) => c.within(platform),
            (Self::Email | Self::Webhook | Self::Sms, Some(c)) => c,
        }
    }

    /// The bytes of message text (title, body and link together) a channel takes, with room
    /// left for the request envelope: WeCom text 2048 bytes (markdown allows 4096), Feishu
    /// and DingTalk about 20 KB per request, SMS about 150 Chinese characters (three
    /// concatenated segments); e-mail and webhooks are capped at 64 KiB by choice.
    #[must_use]
    pub const fn max_text_bytes(self) -> usize {
        match self {
            Self::WeCom => 2048,
            Self::DingTalk | Self::Feishu => 18 * 1024,
            Self::Sms => 450,
            Self::Email | Self::Webhook => 64 * 1024,
        }
    }
}

impl RateLimit {
    /// The default for e-mail, webhooks and SMS: 60 a minute.
    pub const DEFAULT: Self = Self { per_minute: 60, per_second: None };

    /// A validated limit.
    ///
    /// # Errors
    /// [`NotifyError::ZeroRateLimit`] when either bound is zero.
    pub fn parse(per_minute: u32, per_second: Option<u32>) -> Result<Self, NotifyError> {
        if per_minute == 0 || per_second == Some(0) {
            return Err(NotifyError::ZeroRateLimit);
        }
        Ok(Self { per_minute, per_second })
    }

    /// The tighter of this limit and `ceiling`, bound by bound.
    #[must_use]
    pub fn within(self, ceiling: Self) -> Self {
        let per_second = match (self.per_second, ceiling.per_second) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        Self { per_minute: self.per_minute.min(ceiling.per_minute), per_second }
    }
}

const MINUTE_MS: i64 = 60_000;
const SECOND_MS: i64 = 1_000;

/// Whether one more message may be sent at `now`, given the instants of this channel's
/// recent sends (any order; sends older than a minute are ignored, so the caller may pass
/// a longer history).
///
/// A window is half-open: a send at `t` counts against every instant in `[t, t + 60 s)`.
/// The answer is exact: [`Admission::WaitUntil`] names the first millisecond at which a
/// send fits both windows. A zero bound (which [`RateLimit::parse`] refuses) counts as one.
#[must_use]
pub fn admit(limit: RateLimit, sent_at: &[Timestamp], now: Timestamp) -> Admission {
    let mut earliest = window_opens(sent_at, now, MINUTE_MS, limit.per_minute);
    if let Some(per_second) = limit.per_second {
        earliest = earliest.max(window_opens(sent_at, now, SECOND_MS, per_second));
    }
    if earliest > now { Admission::WaitUntil(earliest) } else { Admission::Send }
}

/// Merges queued messages into one: title `N 条通知汇总`, and a body with one line per
/// message (time in China Standard Time, level, title), oldest first as given. The body
/// never exceeds `max_len` bytes: lines that do not fit are counted in a closing
/// `…另有 K 条未列出` line. The link is kept when every message shares it. `None` when
/// nothing is queued.
#[must_use]
pub fn digest(pending: &[Message], max_len: usize) -> Option<Message> {
    let last = pending.iter().map(|m| m.at).max()?;
    let lines: Vec<String> = pending.iter().map(digest_line).collect();
    let total: usize = lines.iter().map(|l| l.len() + 1).sum::<usize>().saturating_sub(1);
    let body = if total <= max_len {
        lines.join("\n")
    } else {
        let mut body = String::new();
        let mut listed = 0;
        for line in &lines {
            let separator = usize::from(!body.is_empty());
            let rest = overflow_line(pending.len() - listed - 1);
            if body.len() + separator + line.len() + 1 + rest.len() > max_len {
                break;
            }
            if separator == 1 {
                body.push('\n');
            }
            body.push_str(line);
            listed += 1;
        }
        let rest = overflow_line(pending.len() - listed);
        if body.is_empty() {
            body.push_str(truncate(&rest, max_len));
        } else {
            body.push('\n');
            body.push_str(&rest);
        }
        body
    };
    let link =
        pending.first().and_then(|m| m.link.clone()).filter(|l| pending.iter().all(|m| m.link.as_ref() == Some(l)));
    Some(Message { title: format!("{} 条通知汇总", pending.len()), body, level: None, link, at: last })
}

/// What to send on a channel with `pending` messages queued (oldest first) and recent
/// sends `sent_at`: nothing, the one message, a [`digest`] of all of them within
/// `max_len` bytes of body, or a time to come back.
#[must_use]
pub fn release(
    limit: RateLimit,
    sent_at: &[Timestamp],
    pending: &[Message],
    max_len: usize,
    now: Timestamp,
) -> Release {
    let message = match pending {
        [] => return Release::Idle,
        [only] => only.clone(),
        _ => match digest(pending, max_len) {
            Some(d) => d,
            None => return Release::Idle,
        },
    };
    match admit(limit, sent_at, now) {
        Admission::Send => Release::Send { message, covers: pending.len() },
        Admission::WaitUntil(t) => Release::WaitUntil(t),
    }
}

/// When to try again after `attempt` failed attempts (1 for the first try): 30 s, 2 min,
/// 10 min, 30 min, then 2 h later; `None` once [`MAX_ATTEMPTS`] have failed. `attempt` 0
/// (nothing tried yet) is `now`.
///
/// A platform that names its own wait (HTTP `Retry-After`, a muted robot) should be
/// honoured by taking the later of the two instants.
#[must_use]
pub fn next_attempt(attempt: u32, now: Timestamp) -> Option<Timestamp> {
    let wait = match attempt {
        0 => Duration::zero(),
        1 => Duration::seconds(30),
        2 => Duration::minutes(2),
        3 => Duration::minutes(10),
        4 => Duration::minutes(30),
        5 => Duration::hours(2),
        _ => return None,
    };
    Some(now.plus(wait))
}

/// The longest prefix of `text` of at most `max_bytes` bytes that ends on a character
/// boundary.
#[must_use]
pub fn truncate(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The first instant at which fewer than `cap` of `sent_at` fall in the window of
/// `window_ms` ending there; `now` when that already holds.
fn window_opens(sent_at: &[Timestamp], now: Timestamp, window_ms: i64, cap: u32) -> Timestamp {
    let cap = usize::try_from(cap.max(1)).unwrap_or(usize::MAX);
    let floor = now.as_millis().saturating_sub(window_ms);
    let mut recent: Vec<i64> = sent_at.iter().map(|t| t.as_millis()).filter(|&t| t > floor).collect();
    if recent.len() < cap {
        return now;
    }
    recent.sort_unstable();
    // The window must slide past the oldest `len - cap + 1` sends.
    let oldest_kept = recent[recent.len() - cap];
    Timestamp::from_millis(oldest_kept.saturating_add(window_ms)).max(now)
}

fn digest_line(message: &Message) -> String {
    let title: String = message.title.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    match &message.level {
        Some(level) => format!("- {} [{level}] {title}", message.at.display_cst()),
        None => format!("- {} {title}", message.at.display_cst()),
    }
}

fn overflow_line(unlisted: usize) -> String {
    format!("…另有 {unlisted} 条未列出")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millis(T0 + ms)
    }

    fn message(i: usize, level: Option<&str>) -> Message {
        Message {
            title: format!("反应釜 R-{i} 温度高"),
            body: "当前 98 ℃，阈值 90 ℃".to_owned(),
            level: level.map(str::to_owned),
            link: Some("https://parkops.example/alarms".to_owned()),
            at: at(i64::try_from(i).unwrap_or(0) * 1000),
        }
    }

    #[test]
    fn channel_codes_round_trip_and_unknown_is_refused() {
        for kind in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(kind.code()), Ok(kind));
        }
        assert_eq!(ChannelKind::parse("telegram"), Err(NotifyError::UnknownChannel));
        assert_eq!(ChannelKind::parse("DingTalk"), Err(NotifyError::UnknownChannel));
    }

    #[test]
    fn platform_limits_match_the_documentation() {
        assert_eq!(ChannelKind::DingTalk.platform_limit(), RateLimit { per_minute: 20, per_second: None });
        assert_eq!(ChannelKind::WeCom.platform_limit(), RateLimit { per_minute: 20, per_second: None });
        assert_eq!(ChannelKind::Feishu.platform_limit(), RateLimit { per_minute: 100, per_second: Some(5) });
        assert_eq!(ChannelKind::Sms.platform_limit(), RateLimit::DEFAULT);
        assert_eq!(ChannelKind::WeCom.max_text_bytes(), 2048);
    }

    #[test]
    fn configured_limits_never_exceed_a_robot_platform() {
        let generous = RateLimit { per_minute: 500, per_second: Some(50) };
        assert_eq!(
            ChannelKind::DingTalk.effective_limit(Some(generous)),
            RateLimit { per_minute: 20, per_second: Some(50) }
        );
        assert_eq!(
            ChannelKind::Feishu.effective_limit(Some(generous)),
            RateLimit { per_minute: 100, per_second: Some(5) }
        );
        let strict = RateLimit { per_minute: 5, per_second: None };
        assert_eq!(ChannelKind::Feishu.effective_limit(Some(strict)), RateLimit { per_minute: 5, per_second: Some(5) });
        assert_eq!(ChannelKind::Email.effective_limit(Some(generous)), generous);
        assert_eq!(ChannelKind::Webhook.effective_limit(None), RateLimit::DEFAULT);
    }

    #[test]
    fn zero_limits_are_refused() {
        assert_eq!(RateLimit::parse(0, None), Err(NotifyError::ZeroRateLimit));
        assert_eq!(RateLimit::parse(10, Some(0)), Err(NotifyError::ZeroRateLimit));
        assert_eq!(RateLimit::parse(10, Some(2)), Ok(RateLimit { per_minute: 10, per_second: Some(2) }));
    }

    #[test]
    fn the_twenty_first_send_in_a_minute_waits_for_the_oldest_to_age_out() {
        let limit = ChannelKind::DingTalk.platform_limit();
        let sent: Vec<Timestamp> = (0..20).map(|i| at(i * 1000)).collect();
        assert_eq!(admit(limit, &sent[..19], at(19_500)), Admission::Send);
        assert_eq!(admit(limit, &sent, at(20_000)), Admission::WaitUntil(at(60_000)));
        assert_eq!(admit(limit, &sent, at(59_999)), Admission::WaitUntil(at(60_000)));
        assert_eq!(admit(limit, &sent, at(60_000)), Admission::Send);
    }

    #[test]
    fn feishu_also_limits_each_second() {
        let limit = ChannelKind::Feishu.platform_limit();
        let sent: Vec<Timestamp> = (0..5).map(|i| at(i * 100)).collect();
        assert_eq!(admit(limit, &sent, at(500)), Admission::WaitUntil(at(1_000)));
        assert_eq!(admit(limit, &sent, at(1_000)), Admission::Send);
    }

    #[test]
    fn old_history_and_order_do_not_matter() {
        let limit = RateLimit { per_minute: 2, per_second: None };
        let sent = [at(50_000), at(-600_000), at(10_000)];
        assert_eq!(admit(limit, &sent, at(55_000)), Admission::WaitUntil(at(70_000)));
    }

    #[test]
    fn digest_lists_every_message_with_level_and_time() {
        let pending = [message(1, Some("严重")), message(2, None)];
        let d = digest(&pending, 2048).expect("two messages make a digest");
        assert_eq!(d.title, "2 条通知汇总");
        assert_eq!(d.body, "- 2026-01-01 08:00:01 [严重] 反应釜 R-1 温度高\n- 2026-01-01 08:00:02 反应釜 R-2 温度高");
        assert_eq!(d.link.as_deref(), Some("https://parkops.example/alarms"));
        assert_eq!(d.at, at(2000));
        assert_eq!(digest(&[], 2048), None);
    }

    #[test]
    fn digest_too_long_for_wecom_counts_what_it_leaves_out() {
        let pending: Vec<Message> = (0..100).map(|i| message(i, Some("一般"))).collect();
        let d = digest(&pending, ChannelKind::WeCom.max_text_bytes()).expect("a digest");
        assert!(d.body.len() <= 2048, "{} bytes", d.body.len());
        let listed = d.body.lines().filter(|l| l.starts_with("- ")).count();
        assert!(listed > 10);
        assert!(d.body.ends_with(&format!("…另有 {} 条未列出", 100 - listed)), "{}", d.body);
        assert_eq!(d.title, "100 条通知汇总");
    }

    #[test]
    fn digest_keeps_a_link_only_when_shared() {
        let mut other = message(2, None);
        other.link = Some("https://parkops.example/tickets/7".to_owned());
        assert_eq!(digest(&[message(1, None), other], 4096).and_then(|d| d.link), None);
    }

    #[test]
    fn release_sends_one_message_as_it_is_and_several_as_a_digest() {
        let limit = ChannelKind::DingTalk.platform_limit();
        assert_eq!(release(limit, &[], &[], 4096, at(0)), Release::Idle);
        let one = [message(1, None)];
        assert_eq!(release(limit, &[], &one, 4096, at(0)), Release::Send { message: one[0].clone(), covers: 1 });
        let three = [message(1, None), message(2, None), message(3, None)];
        match release(limit, &[], &three, 4096, at(0)) {
            Release::Send { message, covers } => {
                assert_eq!(covers, 3);
                assert_eq!(message.title, "3 条通知汇总");
            }
            other => panic!("expected a digest, got {other:?}"),
        }
        let full: Vec<Timestamp> = (0..20).map(at).collect();
        assert_eq!(release(limit, &full, &three, 4096, at(100)), Release::WaitUntil(at(60_000)));
    }

    #[test]
    fn retries_back_off_then_give_up_after_six_attempts() {
        let now = at(0);
        assert_eq!(next_attempt(0, now), Some(now));
        assert_eq!(next_attempt(1, now), Some(at(30_000)));
        assert_eq!(next_attempt(2, now), Some(at(120_000)));
        assert_eq!(next_attempt(3, now), Some(at(600_000)));
        assert_eq!(next_attempt(4, now), Some(at(1_800_000)));
        assert_eq!(next_attempt(5, now), Some(at(7_200_000)));
        assert_eq!(next_attempt(MAX_ATTEMPTS, now), None);
        assert_eq!(next_attempt(u32::MAX, now), None);
    }

    #[test]
    fn truncate_respects_character_boundaries() {
        assert_eq!(truncate("温度高", 4), "温");
        assert_eq!(truncate("温度高", 9), "温度高");
        assert_eq!(truncate("温度高", 2), "");
    }

    /// Count of sends in the half-open window `[start, start + width)`.
    fn in_window(sent: &[Timestamp], start: Timestamp, width: i64) -> usize {
        sent.iter().filter(|t| t.as_millis() >= start.as_millis() && t.as_millis() < start.as_millis() + width).count()
    }

    fn limits() -> impl Strategy<Value = RateLimit> {
        (1u32..30, proptest::option::of(1u32..6))
            .prop_map(|(per_minute, per_second)| RateLimit { per_minute, per_second })
    }

    proptest! {
        /// Requests arrive at arbitrary gaps; each waits as told and then sends. No window
        /// ever holds more than the limit, and every wait is as short as it can be.
        #[test]
        fn admitted_sends_never_exceed_either_window(
            limit in limits(),
            gaps in proptest::collection::vec(0i64..5_000, 1..150),
        ) {
            let mut sent: Vec<Timestamp> = Vec::new();
            let mut arrival = at(0);
            for gap in gaps {
                arrival = arrival.plus(Duration::milliseconds(gap));
                let mut now = arrival.max(sent.last().copied().unwrap_or(arrival));
                loop {
                    match admit(limit, &sent, now) {
                        Admission::Send => break,
                        Admission::WaitUntil(t) => {
                            prop_assert!(t > now);
                            // Exact: one millisecond earlier would still have to wait.
                            prop_assert!(matches!(admit(limit, &sent, t.plus(Duration::milliseconds(-1))), Admission::WaitUntil(_)));
                            now = t;
                        }
                    }
                }
                sent.push(now);
            }
            let per_minute = usize::try_from(limit.per_minute).unwrap_or(usize::MAX);
            for &start in &sent {
                prop_assert!(in_window(&sent, start, MINUTE_MS) <= per_minute);
                if let Some(per_second) = limit.per_second {
                    prop_assert!(in_window(&sent, start, SECOND_MS) <= usize::try_from(per_second).unwrap_or(usize::MAX));
                }
            }
        }

        /// A digest's body fits the byte budget and accounts for every message.
        #[test]
        fn digest_fits_and_accounts_for_every_message(
            count in 1usize..120,
            max_len in 0usize..3_000,
            level in proptest::option::of("[一-龥]{1,3}"),
        ) {
            let pending: Vec<Message> = (0..count).map(|i| message(i, level.as_deref())).collect();
            let d = digest(&pending, max_len).expect("non-empty queue");
            prop_assert!(d.body.len() <= max_len);
            prop_assert_eq!(d.title, format!("{count} 条通知汇总"));
            let listed = d.body.lines().filter(|l| l.starts_with("- ")).count();
            if listed < count && max_len >= 64 {
                let trailer = format!("…另有 {} 条未列出", count - listed);
                prop_assert!(d.body.ends_with(&trailer), "{}", d.body);
            }
        }
    }
}
