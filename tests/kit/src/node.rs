//! `DevNode`: one real `kmsd dev` process (with its supervised `hsm-bridge`) in a temp dir.
//!
//! kmsd binds port 0 on 127.0.0.1 for both listeners and announces what it bound in
//! `ready.json`, so parallel tests never race for a port; every start waits for that file,
//! bounded by [`DevNodeBuilder::ready_timeout`].

use std::fs::{self, File, OpenOptions};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use keywarden_dev_pki::DevPki;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use serde::Deserialize;

/// How long a start may take by default (the first start creates a SoftHSM token).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERM may take to end kmsd by default.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);
/// Polling period for ready.json; small, as it bounds the resolution of [`DevNode::ready_after`].
const READY_POLL: Duration = Duration::from_millis(2);

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

/// A running (or stopped) `kmsd dev` node. Dropping it kills kmsd and its `hsm-bridge`.
pub struct DevNode {
    bin: PathBuf,
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    args: Vec<String>,
    ready_timeout: Duration,
    stop_timeout: Duration,
    own_group: bool,
    child: Option<Child>,
    ready: Option<Ready>,
    spawned_at: Instant,
    ready_after: Duration,
}

/// How to start a [`DevNode`]; [`DevNode::start`] and [`DevNode::start_with`] use its defaults.
#[derive(Clone, Debug)]
pub struct DevNodeBuilder {
    dir: Option<PathBuf>,
    args: Vec<String>,
    ready_timeout: Duration,
    stop_timeout: Duration,
    own_group: bool,
}

impl DevNodeBuilder {
    /// Runs the node on `dir` (created if missing, never removed) instead of a fresh temp dir.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> DevNodeBuilder {
        self.dir = Some(dir.into());
        self
    }

    /// Extra `kmsd dev` arguments (e.g. `--idle-timeout 2`), passed on every (re)start.
    pub fn args(mut self, extra: &[&str]) -> DevNodeBuilder {
        self.args = extra.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Bound on each start, from spawn to ready.json (default 60 s).
    pub fn ready_timeout(mut self, limit: Duration) -> DevNodeBuilder {
        self.ready_timeout = limit;
        self
    }

    /// Bound on a SIGTERM stop before SIGKILL (default 20 s).
    pub fn stop_timeout(mut self, limit: Duration) -> DevNodeBuilder {
        self.stop_timeout = limit;
        self
    }

    /// Whether kmsd leads its own process group (default true). With false it stays in the
    /// caller's group, so a Ctrl-C on the terminal also reaches kmsd and hsm-bridge (a tool run
    /// by hand leaves nothing behind); kills then target kmsd and its children by pid.
    pub fn own_process_group(mut self, own: bool) -> DevNodeBuilder {
        self.own_group = own;
        self
    }

    /// Starts kmsd ([`kmsd_bin`]) and waits for its ready.json.
    pub fn start(self) -> Result<DevNode> {
        let bin = kmsd_bin()?;
        if !bin.exists() {
            bail!(
                "kmsd binary not found at {} (build it with `cargo build [--release] -p kmsd \
                 -p hsm-bridge`, or set KMSD_BIN)",
                bin.display()
            );
        }
        let (dir, temp) = match self.dir {
            Some(dir) => {
                fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                (dir, None)
            }
            None => {
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
                (dir, temp)
            }
        };
        let mut node = DevNode {
            bin,
            dir,
            _temp: temp,
            args: self.args,
            ready_timeout: self.ready_timeout,
            stop_timeout: self.stop_timeout,
            own_group: self.own_group,
            child: None,
            ready: None,
            spawned_at: Instant::now(),
            ready_after: Duration::ZERO,
        };
        node.spawn()?;
        Ok(node)
    }
}

/// The kmsd binary: `$KMSD_BIN`, else `kmsd` in the directory of the running executable, or in
/// its parent when that is `deps/` (test executables live in `<target>/<profile>/deps/`).
pub fn kmsd_bin() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("KMSD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating the running executable")?;
    kmsd_near(&exe).with_context(|| format!("no directory for kmsd near {}", exe.display()))
}

fn kmsd_near(exe: &Path) -> Option<PathBuf> {
    let mut dir = exe.parent()?;
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir = dir.parent()?;
    }
    Some(dir.join("kmsd"))
}

impl DevNode {
    /// Starts `kmsd dev` on a fresh temp dir with ports chosen by the OS.
    pub fn start() -> Result<DevNode> {
        DevNode::builder().start()
    }

    /// Like [`DevNode::start`], with extra `kmsd dev` arguments (e.g. `--idle-timeout 2`).
    pub fn start_with(extra: &[&str]) -> Result<DevNode> {
        DevNode::builder().args(extra).start()
    }

    /// Options for a start: directory, arguments, bounds, process group.
    pub fn builder() -> DevNodeBuilder {
        DevNodeBuilder {
            dir: None,
            args: Vec::new(),
            ready_timeout: READY_TIMEOUT,
            stop_timeout: STOP_TIMEOUT,
            own_group: true,
        }
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
        let mut command = Command::new(&self.bin);
        command
            .arg("dev")
            .arg("--dir")
            .arg(&self.dir)
            .args(["--kmip", "127.0.0.1:0", "--https", "127.0.0.1:0"])
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log("kmsd.stdout.log")?)
            .stderr(log("kmsd.stderr.log")?);
        if self.own_group {
            // Its own process group, so Drop and kill_9 reach hsm-bridge too.
            command.process_group(0);
        }
        self.spawned_at = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);

        let deadline = self.spawned_at + self.ready_timeout;
        loop {
            if let Ok(text) = fs::read_to_string(&ready_path)
                && let Ok(ready) = serde_json::from_str::<Ready>(&text)
            {
                self.ready_after = self.spawned_at.elapsed();
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
                    self.ready_timeout.as_secs(),
                    self.stderr_tail()
                );
            }
            thread::sleep(READY_POLL);
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

    /// When kmsd of the current (or last attempted) run was spawned.
    pub fn spawned_at(&self) -> Instant {
        self.spawned_at
    }

    /// Time from spawn to a readable ready.json in the current run (resolution 2 ms).
    pub fn ready_after(&self) -> Duration {
        self.ready_after
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

    /// kmsd's pid (from the process we spawned), until it is seen to have exited.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// True while the kmsd we spawned has not exited.
    pub fn is_running(&mut self) -> bool {
        let exited = match self.child.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => return false,
        };
        if exited {
            // Reaped: its pid may be reused, so it must never be signalled again.
            self.child = None;
        }
        !exited
    }

    /// The node's dev PKI (`DIR/pki`), which kmsd created or reused at start: its CA issues
    /// the extra client certificates and CRLs a test needs.
    pub fn pki(&self) -> DevPki {
        DevPki::at(&self.dir.join("pki"))
    }

    /// Client certificate and key paths for an identity.
    pub fn identity_files(&self, who: Identity) -> (PathBuf, PathBuf) {
        let r = self.ready();
        match who {
            Identity::Admin => (r.admin_cert.clone(), r.admin_key.clone()),
            Identity::User => (r.user_cert.clone(), r.user_key.clone()),
        }
    }

    /// Kills kmsd and hsm-bridge (its process group, when it has its own) with SIGKILL: a crash.
    pub fn kill_9(&mut self) -> Result<()> {
        // Should kmsd ever move hsm-bridge out of its group, it is killed by pid too.
        let children = self.children().unwrap_or_default();
        let mut child = self.child.take().context("kmsd is not running")?;
        let pid = Pid::from_raw(i32::try_from(child.id()).context("pid out of range")?);
        if self.own_group {
            killpg(pid, Signal::SIGKILL).context("killpg SIGKILL")?;
        } else {
            kill(pid, Signal::SIGKILL).context("kill SIGKILL")?;
        }
        kill_all(&children);
        child.wait().context("reaping kmsd")?;
        self.wait_gone(pid, &children);
        Ok(())
    }

    /// Sends SIGTERM to kmsd only and waits (bounded) for it to exit; returns its status.
    pub fn sigterm(&mut self) -> Result<ExitStatus> {
        let children = self.children().unwrap_or_default();
        let mut child = self.child.take().context("kmsd is not running")?;
        let pid = Pid::from_raw(i32::try_from(child.id()).context("pid out of range")?);
        kill(pid, Signal::SIGTERM).context("kill SIGTERM")?;
        let deadline = Instant::now() + self.stop_timeout;
        loop {
            if let Some(status) = child.try_wait().context("polling kmsd")? {
                self.wait_gone(pid, &children);
                return Ok(status);
            }
            if Instant::now() > deadline {
                if self.own_group {
                    let _ = killpg(pid, Signal::SIGKILL);
                } else {
                    let _ = child.kill();
                }
                kill_all(&children);
                let _ = child.wait();
                bail!(
                    "kmsd did not exit within {} s of SIGTERM; stderr:\n{}",
                    self.stop_timeout.as_secs(),
                    self.stderr_tail()
                );
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts kmsd again on the same directory (stopping it with SIGTERM first if running).
    /// [`DevNode::ready_after`] then tells how long the new start took.
    pub fn restart(&mut self) -> Result<()> {
        if self.child.is_some() {
            self.sigterm()?;
        }
        self.ready = None;
        self.spawn()
    }

    /// Pid of the `hsm-bridge` child of kmsd, found through /proc.
    pub fn hsm_bridge_pid(&self) -> Result<Option<u32>> {
        Ok(self
            .children()?
            .into_iter()
            .find(|(_, comm)| comm == "hsm-bridge")
            .map(|(pid, _)| pid))
    }

    /// (pid, comm) of kmsd's children, found through /proc.
    fn children(&self) -> Result<Vec<(u32, String)>> {
        let kmsd = self.pid().context("kmsd is not running")?;
        let mut out = Vec::new();
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
            {
                out.push((pid, comm));
            }
        }
        Ok(out)
    }

    fn kill_group(&mut self) {
        let children = self.children().unwrap_or_default();
        if let Some(mut child) = self.child.take() {
            if let Ok(pid) = i32::try_from(child.id()) {
                if self.own_group {
                    let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
                } else {
                    let _ = child.kill();
                }
            }
            kill_all(&children);
            let _ = child.wait();
        }
    }

    /// Waits (bounded) until nothing of the stopped run is left, SIGKILLing stragglers, so a
    /// restart does not race an old hsm-bridge still holding the token. `kmsd` is already
    /// reaped: with its own group the group is checked, else only the recorded `children`.
    fn wait_gone(&self, kmsd: Pid, children: &[(u32, String)]) {
        let deadline = Instant::now() + self.stop_timeout;
        while Instant::now() < deadline {
            // Signal 0 to a group only checks that a member exists.
            let group_left = self.own_group && killpg(kmsd, None).is_ok();
            if !group_left && !children.iter().any(|(pid, comm)| alive(*pid, comm)) {
                return;
            }
            if self.own_group {
                let _ = killpg(kmsd, Signal::SIGKILL);
            }
            kill_all(children);
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// True while `pid` is a live (not zombie) process named `comm`: a pid reused by another
/// program does not count.
fn alive(pid: u32, comm: &str) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let Some(close) = stat.rfind(')') else {
        return false;
    };
    let state = stat
        .get(close + 1..)
        .and_then(|s| s.split_whitespace().next());
    parse_stat(&stat).is_some_and(|(c, _)| c == comm) && state != Some("Z")
}

/// SIGKILLs the processes that are still the ones recorded.
fn kill_all(procs: &[(u32, String)]) {
    for (pid, comm) in procs {
        if alive(*pid, comm)
            && let Ok(pid) = i32::try_from(*pid)
        {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
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
    fn kmsd_is_looked_for_in_the_profile_directory() {
        assert_eq!(
            kmsd_near(Path::new("/t/release/keywarden-bench")),
            Some(PathBuf::from("/t/release/kmsd"))
        );
        assert_eq!(
            kmsd_near(Path::new("/t/debug/deps/lifecycle-0123abcd")),
            Some(PathBuf::from("/t/debug/kmsd"))
        );
    }

    #[test]
    fn a_process_is_alive_only_under_its_recorded_name() {
        let me = fs::read_to_string("/proc/self/stat").expect("own stat");
        let (comm, _) = parse_stat(&me).expect("parses");
        assert!(alive(std::process::id(), &comm));
        assert!(!alive(std::process::id(), "not-this-program"));
        assert!(!alive(u32::MAX, &comm));
    }

    #[test]
    fn finds_our_own_parent_in_proc() {
        let me = fs::read_to_string("/proc/self/stat").expect("own stat");
        let (_, ppid) = parse_stat(&me).expect("parses");
        assert_eq!(ppid, std::os::unix::process::parent_id());
    }
}
