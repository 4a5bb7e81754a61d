//! Running the binary: fresh data per test, bounded waits, no sleeps.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parkops_store::{Backend, DatabaseUrl, Db};
use parkops_testkit::{Engine, TestDatabase};

/// Longest any one command may take before the test fails (debug builds, busy CI).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// A password the default policy accepts.
pub const GOOD_PASSWORD: &str = "Qz7#mVt2!kLp";

/// A fresh database and data directory for the binary.
pub struct Installation {
    /// The database (removed on drop).
    pub db: TestDatabase,
    /// `--data-dir`.
    pub data_dir: PathBuf,
}

impl Installation {
    /// On SQLite, in the data directory.
    pub fn sqlite() -> Self {
        let db = TestDatabase::sqlite();
        let data_dir = db.data_dir();
        Self { db, data_dir }
    }

    /// On every configured engine: SQLite always, PostgreSQL when `PARKOPS_TEST_POSTGRES_URL` is set.
    pub async fn all() -> Vec<Self> {
        let mut out = Vec::new();
        for db in parkops_testkit::databases().await {
            let data_dir = db.data_dir();
            out.push(Self { db, data_dir });
        }
        out
    }

    /// The engine, for assertion messages.
    pub fn engine(&self) -> Engine {
        self.db.engine
    }

    /// The binary with `args`, then `--data-dir` (and `--database-url` on PostgreSQL), and a
    /// clean environment so no `PARKOPS_…` variable of the caller leaks in.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = parkops();
        cmd.args(args).arg("--data-dir").arg(&self.data_dir);
        if self.db.engine == Engine::Postgres {
            cmd.arg("--database-url").arg(&self.db.url);
        }
        cmd
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Outcome {
        run(self.command(args), stdin)
    }

    /// Opens the database directly, as an attacker with write access to it would.
    pub async fn open(&self) -> Db {
        let url = match self.db.engine {
            Engine::Sqlite => DatabaseUrl::Sqlite(self.data_dir.join("parkops.db")),
            Engine::Postgres => DatabaseUrl::Postgres(self.db.url.clone()),
        };
        Db::connect(&url).await.expect("open the database")
    }

    /// Executes raw SQL.
    pub async fn exec(&self, sql: &str) {
        let db = self.open().await;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(db.pool()).await.expect(sql);
    }

    /// Removes the append-only triggers of the audit table.
    pub async fn drop_audit_triggers(&self) {
        let db = self.open().await;
        let sql = match db.backend() {
            Backend::Sqlite => "DROP TRIGGER audit_event_no_update; DROP TRIGGER audit_event_no_delete;",
            Backend::Postgres => "DROP TRIGGER audit_event_append_only ON audit_event;",
        };
        sqlx::raw_sql(sql).execute(db.pool()).await.expect("drop triggers");
    }
}

impl Drop for Installation {
    fn drop(&mut self) {
        if self.db.engine == Engine::Postgres {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// The built binary with a clean environment.
pub fn parkops() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_parkops"));
    cmd.env_clear();
    cmd
}

/// What a finished command left.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `cmd` with `stdin`, failing the test if it takes longer than [`COMMAND_TIMEOUT`].
pub fn run(mut cmd: Command, stdin: Option<&str>) -> Outcome {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn parkops");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or("").as_bytes()).expect("write stdin");
    }
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(COMMAND_TIMEOUT) {
        Ok(output) => {
            let output = output.expect("wait for parkops");
            Outcome {
                code: output.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }
        }
        Err(_) => {
            signal(pid, "KILL");
            panic!("parkops did not finish within {COMMAND_TIMEOUT:?}: {cmd:?}");
        }
    }
}

/// Sends a signal by name to a process this test started.
pub fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status();
}

/// A running `parkops serve` with JSON logs, read line by line as they come.
pub struct Server {
    child: Option<Child>,
    lines: Receiver<serde_json::Value>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `cmd` (a `serve` command); adds `--log-format json`.
    pub fn start(mut cmd: Command) -> Self {
        cmd.arg("--log-format").arg("json").env("RUST_LOG", "info");
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn parkops serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        let log = Arc::new(Mutex::new(Vec::new()));
        let keep = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                keep.lock().expect("log").push(line.clone());
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        Self { child: Some(child), lines, log }
    }

    /// Waits (bounded) for a log line whose message is `message`; returns it.
    pub fn wait_for(&self, message: &str) -> serde_json::Value {
        self.wait_until(|v| v["message"] == message)
    }

    /// Waits (bounded) for a log line matching `wanted`; returns it. Earlier lines are consumed.
    pub fn wait_until(&self, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) if wanted(&v) => return v,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no awaited log line within {COMMAND_TIMEOUT:?}:\n{}", self.log())
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("parkops serve exited before the awaited line:\n{}", self.log())
                }
            }
        }
    }

    /// The address of the listener named `name` (`web` or `metrics`), from its log line.
    pub fn address(&self, name: &str) -> std::net::SocketAddr {
        loop {
            let v = self.wait_for("listening");
            if v["listener"] == name {
                return v["addr"].as_str().expect("addr").parse().expect("socket address");
            }
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let child = self.child.take().expect("running");
        let pid = child.id();
        signal(pid, "TERM");
        let status = wait_bounded(child);
        (status, self.log())
    }

    /// Waits (bounded) for the process to exit by itself.
    pub fn wait_exit(mut self) -> (ExitStatus, String) {
        let status = wait_bounded(self.child.take().expect("running"));
        (status, self.log())
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log").join("\n")
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

fn wait_bounded(mut child: Child) -> ExitStatus {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    match rx.recv_timeout(COMMAND_TIMEOUT) {
        Ok(status) => status.expect("wait"),
        Err(_) => {
            signal(pid, "KILL");
            panic!("parkops serve did not exit within {COMMAND_TIMEOUT:?}");
        }
    }
}

/// One HTTP/1.1 GET over a plain TCP connection, each step bounded; returns the status line.
pub fn http_get_status(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::Read;
    let timeout = Duration::from_secs(30);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout).expect("connect");
    stream.set_read_timeout(Some(timeout)).expect("timeout");
    stream.set_write_timeout(Some(timeout)).expect("timeout");
    // A server that refuses the request may close first: the empty status line tells.
    let _ = write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    text.lines().next().unwrap_or_default().to_owned()
}

/// A path under the test's data directory.
pub fn file_in(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}
