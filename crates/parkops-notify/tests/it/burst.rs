//! An alarm storm through one DingTalk robot: the domain's throttle and digest decide, the
//! adapter sends, the receiver enforces the platform's 20-a-minute limit. Time is simulated
//! by passing `now`; it is also the signing timestamp the receiver records.

use chrono::Duration;
use parkops_domain::notify::{ChannelKind, Message, Release, release};
use parkops_domain::time::Timestamp;

use crate::support::receiver::{DINGTALK_SECRET, DINGTALK_TOKEN, Receiver};
use crate::support::{T0, after, channel, notifier};

/// 70 alarms in the first seven seconds, then 30 more every four seconds.
fn storm() -> Vec<Message> {
    (0..100i64)
        .map(|i| {
            let offset = if i < 70 { i * 100 } else { 7_000 + (i - 69) * 4_000 };
            Message {
                title: format!("储罐 T-{i:03} 液位高"),
                body: "液位 92%".to_owned(),
                level: Some(if i % 10 == 0 { "致命" } else { "严重" }.to_owned()),
                link: None,
                at: T0.plus(Duration::milliseconds(offset)),
            }
        })
        .collect()
}

#[tokio::test]
async fn a_storm_of_100_alarms_reaches_dingtalk_within_20_a_minute_as_digests() {
    let receiver = Receiver::spawn().await;
    let config = channel(ChannelKind::DingTalk, receiver.dingtalk_url(DINGTALK_TOKEN), Some(DINGTALK_SECRET));
    let notifier = notifier();
    let limit = ChannelKind::DingTalk.platform_limit();
    let max_len = ChannelKind::DingTalk.max_text_bytes();

    let mut arrivals = storm().into_iter().peekable();
    let mut queue: Vec<Message> = Vec::new();
    let mut sent: Vec<Timestamp> = Vec::new();
    let mut wake: Option<Timestamp> = None;
    loop {
        // The next instant anything happens: an alarm arrives or the throttle reopens.
        let now = match (arrivals.peek().map(|m| m.at), wake) {
            (Some(a), Some(w)) => a.min(w),
            (Some(a), None) => a,
            (None, Some(w)) => w,
            (None, None) => break,
        };
        while let Some(message) = arrivals.next_if(|m| m.at <= now) {
            queue.push(message);
        }
        wake = match release(limit, &sent, &queue, max_len, now) {
            Release::Idle => None,
            Release::WaitUntil(t) => Some(t),
            Release::Send { message, covers } => {
                let delivered = notifier.send(&config, &message, now).await;
                assert!(delivered.is_ok(), "at +{} ms: {delivered:?}", after(now));
                sent.push(now);
                queue.drain(..covers);
                (!queue.is_empty()).then_some(now)
            }
        };
    }

    let got = receiver.received();
    assert!(got.iter().all(|r| r.platform == "dingtalk"));
    let stamps: Vec<i64> = got.iter().map(|r| r.timestamp_ms.expect("signed")).collect();
    for &start in &stamps {
        let in_window = stamps.iter().filter(|&&t| t >= start && t < start + 60_000).count();
        assert!(in_window <= 20, "{in_window} messages in the minute from +{} ms", start - T0.as_millis());
    }
    let mut covered = 0;
    let mut digests = Vec::new();
    for r in &got {
        let title = r.json["markdown"]["title"].as_str().expect("title");
        match title.strip_suffix(" 条通知汇总") {
            Some(n) => {
                let n: usize = n.parse().expect("count");
                let text = r.json["markdown"]["text"].as_str().expect("text");
                assert_eq!(text.matches("储罐 T-").count(), n, "a digest lists each alarm: {text}");
                covered += n;
                digests.push(n);
            }
            None => covered += 1,
        }
    }
    assert_eq!(covered, 100, "every alarm is delivered once, alone or in a digest");
    // The first 20 go out alone; everything held back while muted goes out as one digest
    // when the window reopens a minute later.
    assert!(digests.first().is_some_and(|&n| n >= 50), "{digests:?}");
    assert!(got.len() < 50, "{} requests", got.len());
}
