//! A spawned `parkops serve` on a loopback port, and a minimal HTTP/1.1 client for it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
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
        Self::start_on(bin, data_dir, None).await
    }

    /// As [`Server::start`], on the database `database_url` (`--database-url`) when given.
    ///
    /// # Errors
    /// When it cannot be spawned, exits, or does not listen within the time limit.
    pub async fn start_on(bin: &Path, data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<Self> {
        let mut command = Command::new(bin);
        command
            .env_clear()
            .args(["serve", "--listen", "127.0.0.1:0", "--demo", "--log-format", "json", "--data-dir"])
            .arg(data_dir);
        if let Some(url) = database_url {
            command.arg("--database-url").arg(url);
        }
        let mut child = command
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

    /// Waits (at most `limit`) until each of `jobs` has logged the end of a run — a line in the
    /// job's span with its `elapsed` time (a run with nothing to do logs below info level and is
    /// not seen). Returns per job what its run logged, or `None` when none was seen in time.
    /// Timed requests after this do not share the machine with the start-up runs of the jobs.
    pub async fn wait_for_jobs(&self, jobs: &[&str], limit: Duration) -> Vec<(String, Option<String>)> {
        let t = Instant::now();
        loop {
            let seen: Vec<(String, Option<String>)> = {
                let log = self.log.lock().map(|l| l.clone()).unwrap_or_default();
                jobs.iter()
                    .map(|job| {
                        let line = log.iter().rev().find_map(|line| {
                            let v: serde_json::Value = serde_json::from_str(line).ok()?;
                            (v["span"]["job"] == *job && v["elapsed"].is_string()).then(|| {
                                format!(
                                    "{} in {}",
                                    v["message"].as_str().unwrap_or_default(),
                                    v["elapsed"].as_str().unwrap_or_default()
                                )
                            })
                        });
                        ((*job).to_owned(), line)
                    })
                    .collect()
            };
            if seen.iter().all(|(_, l)| l.is_some()) || t.elapsed() > limit {
                return seen;
            }
            tokio::time::sleep(POLL).await;
        }
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

/// Runs `bin demo` (loads the demo park; nothing when it is there) on `data_dir` and, when
/// given, the database `database_url`, with a clean environment; bounded in time.
///
/// # Errors
/// When it cannot be spawned, fails or does not finish within the time limit.
pub async fn load_demo(bin: &Path, data_dir: &Path, database_url: Option<&str>) -> anyhow::Result<()> {
    let mut command = Command::new(bin);
    command.env_clear().args(["demo", "--log-format", "json", "--data-dir"]).arg(data_dir);
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    let log = std::env::temp_dir().join(format!("parkops-bench-demo-{}.log", uuid::Uuid::now_v7().simple()));
    let file = std::fs::File::create(&log).context("demo log file")?;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("cannot start {} demo", bin.display()))?;
    let t = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if t.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(POLL).await;
    };
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => bail!("parkops demo failed ({s}):\n{output}"),
        None => bail!("parkops demo did not finish within {START_TIMEOUT:?} and was killed:\n{output}"),
    }
}

/// A whole HTTP/1.1 answer.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Header fields in order, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body (chunked transfer decoded).
    pub body: Vec<u8>,
    /// Bytes received in all (head and body as sent).
    pub bytes: usize,
}

impl Reply {
    /// The first header field called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

/// A persistent (keep-alive) HTTP/1.1 connection to `server`, optionally from a chosen local
/// address: every 127.0.0.0/8 address is local on Linux, so a client can appear as 127.0.0.x.
pub struct Conn {
    io: tokio::io::BufReader<tokio::net::TcpStream>,
    host: String,
    usable: bool,
}

impl Conn {
    /// Connects (bounded in time), from `local` when given.
    ///
    /// # Errors
    /// When the address cannot be bound or the connection fails.
    pub async fn open(server: SocketAddr, local: Option<std::net::IpAddr>) -> anyhow::Result<Self> {
        let connect = async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            if let Some(ip) = local {
                socket.bind(SocketAddr::new(ip, 0)).with_context(|| format!("cannot bind {ip}"))?;
            }
            let stream = socket.connect(server).await?;
            stream.set_nodelay(true)?;
            anyhow::Ok(stream)
        };
        let stream = tokio::time::timeout(HTTP_TIMEOUT, connect).await.context("connect timeout")??;
        Ok(Self { io: tokio::io::BufReader::new(stream), host: server.to_string(), usable: true })
    }

    /// Whether the connection may carry another request (the server did not close it and no
    /// exchange failed on it).
    pub const fn usable(&self) -> bool {
        self.usable
    }

    /// One request and its whole answer, bounded in time. A failed exchange leaves the
    /// connection unusable.
    ///
    /// # Errors
    /// When the exchange fails, times out or the answer is not HTTP/1.1.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<Reply> {
        ensure!(self.usable, "connection no longer usable");
        self.usable = false;
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n", self.host, body.len());
        for (name, value) in headers {
            request.push_str(name);
            request.push_str(": ");
            request.push_str(value);
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        let mut request = request.into_bytes();
        request.extend_from_slice(body);
        let reply = tokio::time::timeout(HTTP_TIMEOUT, self.exchange(&request)).await.context("HTTP timeout")??;
        Ok(reply)
    }

    async fn exchange(&mut self, request: &[u8]) -> anyhow::Result<Reply> {
        use tokio::io::AsyncBufReadExt;
        self.io.get_mut().write_all(request).await?;
        let mut reply = Reply::default();
        let mut line = Vec::new();
        let n = self.io.read_until(b'\n', &mut line).await?;
        ensure!(n > 0, "connection closed by the server");
        reply.bytes += n;
        let status_line = String::from_utf8_lossy(&line).into_owned();
        reply.status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("not an HTTP answer: {status_line:?}"))?;
        let (mut length, mut chunked, mut close) = (None, false, false);
        loop {
            line.clear();
            let n = self.io.read_until(b'\n', &mut line).await?;
            ensure!(n > 0, "connection closed in the header");
            reply.bytes += n;
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            if text.is_empty() {
                break;
            }
            let Some((name, value)) = text.split_once(':') else { bail!("bad header line {text:?}") };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            match name.as_str() {
                "content-length" => length = Some(value.parse::<usize>().context("content-length")?),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
            reply.headers.push((name, value));
        }
        if chunked {
            loop {
                line.clear();
                reply.bytes += self.io.read_until(b'\n', &mut line).await?;
                let size = String::from_utf8_lossy(&line);
                let size = size.trim().split(';').next().unwrap_or_default();
                let size = usize::from_str_radix(size, 16).with_context(|| format!("chunk size {size:?}"))?;
                if size == 0 {
                    // Trailer fields up to the empty line.
                    loop {
                        line.clear();
                        let n = self.io.read_until(b'\n', &mut line).await?;
                        reply.bytes += n;
                        if n == 0 || line.trim_ascii().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let start = reply.body.len();
                reply.body.resize(start + size + 2, 0);
                self.io.read_exact(&mut reply.body[start..]).await?;
                reply.body.truncate(start + size);
                reply.bytes += size + 2;
            }
        } else if let Some(length) = length {
            reply.body.resize(length, 0);
            self.io.read_exact(&mut reply.body).await?;
            reply.bytes += length;
        } else {
            self.io.read_to_end(&mut reply.body).await?;
            reply.bytes += reply.body.len();
            close = true;
        }
        self.usable = !close;
        Ok(reply)
    }
}
