//! A minimal SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that
//! hands each accepted mail to the test, plus the decoding a test needs to read it
//! (RFC 2047 encoded words in headers, base64 or quoted-printable bodies).

use std::net::SocketAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// How the server treats a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Accept every mail.
    Accept,
    /// `550` to every RCPT: no such mailbox.
    RejectRecipients,
    /// `451` to MAIL: try again later.
    Busy,
}

/// One accepted mail.
#[derive(Debug, Clone)]
pub struct Mail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as received, dot-unstuffed, lines joined by `\n`.
    pub data: String,
}

/// A running server.
#[derive(Debug)]
pub struct SmtpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    mail: mpsc::UnboundedReceiver<Mail>,
}

impl SmtpServer {
    /// Listens on 127.0.0.1 and serves connections until the test ends.
    pub async fn spawn(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (sender, mail) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, behaviour, sender.clone()));
            }
        });
        Self { addr, mail }
    }

    /// The mails accepted so far.
    pub fn accepted(&mut self) -> Vec<Mail> {
        let mut out = Vec::new();
        while let Ok(mail) = self.mail.try_recv() {
            out.push(mail);
        }
        out
    }
}

async fn session(stream: TcpStream, behaviour: Behaviour, out: mpsc::UnboundedSender<Mail>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 parkops-test ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let verb = line.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-parkops-test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
            "HELO" | "NOOP" => b"250 ok\r\n",
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                b"250 ok\r\n"
            }
            "MAIL" if behaviour == Behaviour::Busy => b"451 4.3.0 try again later\r\n",
            "MAIL" => {
                from = angle_address(&line);
                b"250 ok\r\n"
            }
            "RCPT" if behaviour == Behaviour::RejectRecipients => b"550 5.1.1 no such mailbox\r\n",
            "RCPT" => {
                to.push(angle_address(&line));
                b"250 ok\r\n"
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    data.push(line.strip_prefix('.').map_or(line.clone(), str::to_owned));
                }
                let _ = out.send(Mail { from: from.clone(), to: to.clone(), data: data.join("\n") });
                b"250 queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

fn angle_address(line: &str) -> String {
    line.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(a, _)| a.to_owned()).unwrap_or_default()
}

impl Mail {
    /// A header's value, unfolded and with encoded words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\n\n").next().unwrap_or_default();
        let mut unfolded: Vec<String> = Vec::new();
        for line in head.lines() {
            match (line.starts_with([' ', '\t']), unfolded.last_mut()) {
                (true, Some(last)) => {
                    last.push(' ');
                    last.push_str(line.trim_start());
                }
                _ => unfolded.push(line.to_owned()),
            }
        }
        unfolded.iter().find_map(|l| {
            let (key, value) = l.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| decode_words(value.trim()))
        })
    }

    /// The body, decoded by its `Content-Transfer-Encoding`.
    pub fn text(&self) -> String {
        let body = self.data.split_once("\n\n").map(|(_, b)| b).unwrap_or_default();
        let encoding = self.header("Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => {
                let joined: String = body.split_whitespace().collect();
                String::from_utf8(STANDARD.decode(joined).expect("base64 body")).expect("utf-8 body")
            }
            "quoted-printable" => String::from_utf8(quoted_printable(body, false)).expect("utf-8 body"),
            _ => body.to_owned(),
        }
    }
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between
/// adjacent encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut previous_was_word: Option<bool> = None;
    for token in value.split_whitespace() {
        let word = token.strip_prefix("=?").and_then(|t| t.strip_suffix("?=")).and_then(|t| {
            let mut parts = t.splitn(3, '?');
            let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
            match encoding.to_ascii_lowercase().as_str() {
                "b" => STANDARD.decode(text).ok(),
                "q" => Some(quoted_printable(text, true)),
                _ => None,
            }
        });
        let is_word = word.is_some();
        match word {
            Some(decoded) => {
                if previous_was_word == Some(false) {
                    out.push(' ');
                }
                pending.extend(decoded);
            }
            None => {
                out.push_str(&String::from_utf8(std::mem::take(&mut pending)).expect("utf-8 words"));
                if previous_was_word.is_some() {
                    out.push(' ');
                }
                out.push_str(token);
            }
        }
        previous_was_word = Some(is_word);
    }
    out.push_str(&String::from_utf8(pending).expect("utf-8 words"));
    out
}

fn quoted_printable(text: &str, underscore_is_space: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = text.replace("=\n", "").into_bytes().into_iter();
    while let Some(c) = chars.next() {
        match c {
            b'=' => {
                let hex: Vec<u8> = chars.by_ref().take(2).collect();
                let hex = std::str::from_utf8(&hex).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            }
            b'_' if underscore_is_space => out.push(b' '),
            _ => out.push(c),
        }
    }
    out
}
