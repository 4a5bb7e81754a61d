//! A spawned `parkops serve` on a loopback port, and a minimal HTTP/1.1 client for it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Longest wait for the server to start listening (a debug build loading the demo park).
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// Longest wait for any one HTTP exchange.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for a clean exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between polls.
const POLL: Duration = Duration::from_millis(50);

/// The `parkops` binary of a build profile (`debug`, `release`): next to this executable,
/// then under `$CARGO_TARGET_DIR`, then under the workspace's `target/`.
pub fn parkops_binary(profile: &str) -> Option<PathBuf> {
    let mut targets = Vec::new();
    if let Some(exe) = std::env::current_exe().ok().and_then(|e| e.parent()?.parent().map(Path::to_path_buf)) {
        targets.push(exe);
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        targets.push(PathBuf::from(dir));
    }
    targets.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    targets.into_iter().map(|t| t.join(profile).join("parkops")).find(|p| p.is_file())
}

/// The build profile a binary comes from, by its directory name.
pub fn profile_of(bin: &Path) -> String {
    bin.parent().and_then(Path::file_name).map_or_else(|| "?".to_owned(), |n| n.to_string_lossy().into_owned())
}

/// A running `parkops serve --demo` with its own data directory.
pub struct Server {
    child: Option<Child>,
    /// The web listener.
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `bin serve --listen 127.0.0.1:0 --data-dir DIR --demo` with a clean environment
    /// and JSON logs, and waits (bounded) until it logs its web address.
    ///
    /// # Errors
    /// When it cannot be spawned, exits, or does not listen within the time limit.
    pub async fn start(bin: &Path, data_dir: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(bin)
            .env_clear()
            .args(["serve", "--listen", "127.0.0.1:0", "--demo", "--log-format", "json", "--data-dir"])
            .arg(data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines): (_, Receiver<String>) = mpsc::channel();
        let keep = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = keep.lock() {
                    l.push(line.clone());
                }
                let _ = tx.send(line);
            }
        });
        let mut server = Self { child: Some(child), addr: SocketAddr::from(([127, 0, 0, 1], 0)), log };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match lines.try_recv() {
                Ok(line) => {
                    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                    if v["message"] == "listening" && v["listener"] == "web" {
                        server.addr = v["addr"].as_str().context("addr")?.parse().context("listen address")?;
                        return Ok(server);
                    }
                }
                Err(TryRecvError::Disconnected) => bail!("parkops serve exited before listening:\n{}", server.log()),
                Err(TryRecvError::Empty) if Instant::now() > deadline => {
                    bail!("parkops serve did not listen within {START_TIMEOUT:?}:\n{}", server.log())
                }
                Err(TryRecvError::Empty) => tokio::time::sleep(POLL).await,
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Polls `GET /healthz` until it answers 200 (bounded); returns how long that took.
    ///
    /// # Errors
    /// When it does not answer 200 within the time limit.
    pub async fn wait_healthy(&self) -> anyhow::Result<Duration> {
        let t = Instant::now();
        while t.elapsed() < START_TIMEOUT {
            if let Ok(r) = request(self.addr, "GET", "/healthz", &[], b"").await
                && r.status == 200
            {
                return Ok(t.elapsed());
            }
            tokio::time::sleep(POLL).await;
        }
        bail!("/healthz did not answer 200 within {START_TIMEOUT:?}:\n{}", self.log())
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (bounded) for the exit; kills the process after the time limit.
    ///
    /// # Errors
    /// When the process had to be killed.
    pub async fn stop(mut self) -> anyhow::Result<ExitStatus> {
        let mut child = self.child.take().context("not running")?;
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let t = Instant::now();
        while t.elapsed() < STOP_TIMEOUT {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            tokio::time::sleep(POLL).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        bail!("parkops serve did not stop within {STOP_TIMEOUT:?} of SIGTERM and was killed")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A response: status code and body size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Bytes received in all.
    pub bytes: usize,
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close`), bounded in time.
///
/// # Errors
/// When the connection fails, times out or the answer is not HTTP.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> anyhow::Result<Response> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        anyhow::Ok(answer)
    };
    let answer = tokio::time::timeout(HTTP_TIMEOUT, exchange).await.context("HTTP timeout")??;
    let status_line = answer.split(|b| *b == b'\n').next().unwrap_or_default();
    let status = String::from_utf8_lossy(status_line)
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP answer: {:?}", String::from_utf8_lossy(status_line)))?;
    Ok(Response { status, bytes: answer.len() })
}
