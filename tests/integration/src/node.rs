//! `DevNode`: one real `kmsd dev` process (with its supervised `hsm-bridge`) in a temp dir.

use std::fs::{self, File, OpenOptions};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde::Deserialize;

/// How long a start may take before the test fails (first start creates a SoftHSM token).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERM may take to end kmsd.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The contents of `DIR/ready.json`.
#[derive(Clone, Debug, Deserialize)]
pub struct Ready {
    /// KMIP listener, `host:port`.
    pub kmip: SocketAddr,
    /// HTTPS listener, `host:port`.
    pub https: SocketAddr,
    /// The node directory.
    pub dir: PathBuf,
    /// CA certificate (PEM) of the dev PKI.
    pub ca_cert: PathBuf,
    /// Admin client certificate (PEM).
    pub admin_cert: PathBuf,
    /// Admin client key (PEM).
    pub admin_key: PathBuf,
    /// Non-admin client certificate (PEM).
    pub user_cert: PathBuf,
    /// Non-admin client key (PEM).
    pub user_key: PathBuf,
    /// kmsd's pid.
    pub pid: u32,
    /// SoftHSM configuration file.
    pub softhsm2_conf: PathBuf,
    /// The hsm-bridge unix socket.
    pub hsm_socket: PathBuf,
    /// The SoftHSM token directory.
    pub token_dir: PathBuf,
}

/// Which dev client identity to present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// CN "admin", all rights.
    Admin,
    /// CN "user", not an admin.
    User,
}

/// A running (or stopped) `kmsd dev` node. Dropping it kills kmsd's whole process group.
pub struct DevNode {
    bin: PathBuf,
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    args: Vec<String>,
    child: Option<Child>,
    ready: Option<Ready>,
}

/// The kmsd binary: `$KMSD_BIN`, else `kmsd` in the target dir this test was built into.
pub fn kmsd_bin() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("KMSD_BIN") {
        return Ok(PathBuf::from(path));
    }
    // Test executables live in <target>/<profile>/deps/; kmsd in <target>/<profile>/.
    let exe = std::env::current_exe().context("locating the test executable")?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test executable has no <profile> directory")?;
    Ok(profile_dir.join("kmsd"))
}

impl DevNode {
    /// Starts `kmsd dev` on a fresh temp dir with ports chosen by the OS.
    pub fn start() -> Result<DevNode> {
        DevNode::start_with(&[])
    }

    /// Like [`DevNode::start`], with extra `kmsd dev` arguments (e.g. `--idle-timeout 2`).
    pub fn start_with(extra: &[&str]) -> Result<DevNode> {
        let bin = kmsd_bin()?;
        if !bin.exists() {
            bail!(
                "kmsd binary not found at {} (build it with `cargo build -p kmsd -p hsm-bridge`, \
                 or set KMSD_BIN)",
                bin.display()
            );
        }
        let temp = tempfile::Builder::new()
            .prefix("kw-node-")
            .tempdir()
            .context("creating the node temp dir")?;
        let dir = temp.path().to_path_buf();
        // KEYWARDEN_KEEP_NODE_DIR=1 keeps the directory for a post-mortem.
        let temp = if std::env::var_os("KEYWARDEN_KEEP_NODE_DIR").is_some() {
            let _ = temp.keep();
            eprintln!("keeping node dir {}", dir.display());
            None
        } else {
            Some(temp)
        };
        let mut node = DevNode {
            bin,
            dir,
            _temp: temp,
            args: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
            ready: None,
        };
        node.spawn()?;
        Ok(node)
    }

    fn spawn(&mut self) -> Result<()> {
        let ready_path = self.dir.join("ready.json");
        match fs::remove_file(&ready_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("removing a stale ready.json"),
        }
        let log = |name: &str| -> Result<File> {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(name))
                .with_context(|| format!("opening {name}"))
        };
        let child = Command::new(&self.bin)
            .arg("dev")
            .arg("--dir")
            .arg(&self.dir)
            .args(["--kmip", "127.0.0.1:0", "--https", "127.0.0.1:0"])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log("kmsd.stdout.log")?)
            .stderr(log("kmsd.stderr.log")?)
            // Its own process group, so Drop and kill_9 reach hsm-bridge too.
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(text) = fs::read_to_string(&ready_path)
                && let Ok(ready) = serde_json::from_str::<Ready>(&text)
            {
                self.ready = Some(ready);
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("polling kmsd")?
            {
                self.child = None;
                bail!(
                    "kmsd exited ({status}) before writing ready.json; stderr:\n{}",
                    self.stderr_tail()
                );
            }
            if Instant::now() > deadline {
                self.kill_group();
                bail!(
                    "kmsd did not write {} within {} s; stderr:\n{}",
                    ready_path.display(),
                    READY_TIMEOUT.as_secs(),
                    self.stderr_tail()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines kmsd wrote to stderr (all runs on this dir).
    pub fn stderr_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.join("kmsd.stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// ready.json of the current run.
    pub fn ready(&self) -> &Ready {
        // spawn() only returns Ok after setting it, and every constructor spawns.
        self.ready.as_ref().expect("DevNode is always started")
    }

    /// KMIP address of the current run.
    pub fn kmip_addr(&self) -> SocketAddr {
        self.ready().kmip
    }

    /// HTTPS address of the current run.
    pub fn https_addr(&self) -> SocketAddr {
        self.ready().https
    }

    /// The node directory (kept across restarts).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// kmsd's pid (from the process we spawned).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the kmsd we spawned has not exited.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Client certificate and key paths for an identity.
    pub fn identity_files(&self, who: Identity) -> (PathBuf, PathBuf) {
        let r = self.ready();
        match who {
            Identity::Admin => (r.admin_cert.clone(), r.admin_key.clone()),
            Identity::User => (r.user_cert.clone(), r.user_key.clone()),
        }
    }

    /// Kills kmsd and everything in its process group (hsm-bridge) with SIGKILL: a crash.
    pub fn kill_9(&mut self) -> Result<()> {
        // Should kmsd ever move hsm-bridge out of its group, kill that pid by name too.
        let bridge = self.hsm_bridge_pid().ok().flatten();
        let mut child = self.child.take().context("kmsd is not running")?;
        let pgid = Pid::from_raw(i32::try_from(child.id()).context("pid out of range")?);
        killpg(pgid, Signal::SIGKILL).context("killpg SIGKILL")?;
        if let Some(pid) = bridge.and_then(|p| i32::try_from(p).ok()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        child.wait().context("reaping kmsd")?;
        self.wait_group_gone(pgid);
        Ok(())
    }

    /// Sends SIGTERM to kmsd only and waits (bounded) for it to exit; returns its status.
    pub fn sigterm(&mut self) -> Result<ExitStatus> {
        let mut child = self.child.take().context("kmsd is not running")?;
        let pid = Pid::from_raw(i32::try_from(child.id()).context("pid out of range")?);
        kill(pid, Signal::SIGTERM).context("kill SIGTERM")?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().context("polling kmsd")? {
                self.wait_group_gone(pid);
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = killpg(pid, Signal::SIGKILL);
                let _ = child.wait();
                bail!(
                    "kmsd did not exit within {} s of SIGTERM; stderr:\n{}",
                    STOP_TIMEOUT.as_secs(),
                    self.stderr_tail()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts kmsd again on the same directory (stopping it with SIGTERM first if running).
    pub fn restart(&mut self) -> Result<()> {
        if self.child.is_some() {
            self.sigterm()?;
        }
        self.ready = None;
        self.spawn()
    }

    /// Pid of the `hsm-bridge` child of kmsd, found through /proc.
    pub fn hsm_bridge_pid(&self) -> Result<Option<u32>> {
        let kmsd = self.pid().context("kmsd is not running")?;
        for entry in fs::read_dir("/proc").context("reading /proc")? {
            let Ok(entry) = entry else { continue };
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            if let Some((comm, ppid)) = parse_stat(&stat)
                && ppid == kmsd
                && comm == "hsm-bridge"
            {
                return Ok(Some(pid));
            }
        }
        Ok(None)
    }

    fn kill_group(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
            let _ = child.wait();
        }
    }

    /// Waits (bounded) until no process of the group is left, so a restart does not race
    /// an old hsm-bridge still holding the token.
    fn wait_group_gone(&self, pgid: Pid) {
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            // Signal 0 to a group only checks that a member exists.
            if killpg(pgid, None).is_err() {
                return;
            }
            let _ = killpg(pgid, Signal::SIGKILL);
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// (comm, ppid) from the text of /proc/PID/stat; comm may contain spaces and parentheses.
fn parse_stat(stat: &str) -> Option<(String, u32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, ppid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_stat_with_odd_comm() {
        let stat = "4242 (hsm (x) bridge) S 17 4242 4242 0 -1 4194560 0 0";
        assert_eq!(parse_stat(stat), Some(("hsm (x) bridge".to_string(), 17)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn finds_our_own_parent_in_proc() {
        let me = fs::read_to_string("/proc/self/stat").expect("own stat");
        let (_, ppid) = parse_stat(&me).expect("parses");
        assert_eq!(ppid, std::os::unix::process::parent_id());
    }
}
