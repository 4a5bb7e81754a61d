//! Text renderings shared by the channels.

use parkops_domain::notify::Message;

/// `[级别] 标题`, or the title alone.
pub(crate) fn headline(message: &Message) -> String {
    match &message.level {
        Some(level) => format!("[{level}] {}", message.title),
        None => message.title.clone(),
    }
}

/// Plain text: headline, body, time (China Standard Time) and link.
pub(crate) fn plain(message: &Message, with_headline: bool) -> String {
    let mut text = String::new();
    if with_headline {
        text.push_str(&headline(message));
        text.push('\n');
    }
    text.push_str(&message.body);
    text.push_str("\n时间：");
    text.push_str(&message.at.display_cst());
    if let Some(link) = &message.link {
        text.push_str("\n详情：");
        text.push_str(link);
    }
    text
}

/// Markdown for DingTalk and WeCom: a bold headline, the body with hard line breaks, the
/// time and the link.
pub(crate) fn markdown(message: &Message) -> String {
    let mut text = format!(
        "**{}**\n\n{}\n\n时间：{}",
        headline(message),
        message.body.replace('\n', "  \n"),
        message.at.display_cst()
    );
    if let Some(link) = &message.link {
        text.push_str(&format!("\n\n[查看详情]({link})"));
    }
    text
}
