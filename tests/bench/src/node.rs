//! The `kmsd dev` process under test: start, wait for `ready.json`, stop with SIGTERM, restart
//! on the same directory, read its memory. Dropping it stops kmsd and its `hsm-bridge`.

use std::fs::{self, OpenOptions};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::Deserialize;

/// Bound on a start: the first one creates a SoftHSM token and a PKI.
pub const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// Bound on a SIGTERM stop before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Polling period for ready.json; small, as it bounds the start-up measurement's resolution.
const POLL: Duration = Duration::from_millis(2);

/// The fields of `DIR/ready.json` the bench uses.
#[derive(Clone, Debug, Deserialize)]
pub struct Ready {
    /// KMIP listener.
    pub kmip: SocketAddr,
    /// CA certificate (PEM).
    pub ca_cert: PathBuf,
    /// Admin client certificate (PEM).
    pub admin_cert: PathBuf,
    /// Admin client key (PEM).
    pub admin_key: PathBuf,
}

/// A `kmsd dev` process.
pub struct Kmsd {
    bin: PathBuf,
    dir: PathBuf,
    child: Option<Child>,
}

/// The kmsd binary: `$KMSD_BIN`, else `kmsd` next to this executable (target/release).
pub fn kmsd_bin() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("KMSD_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("locating keywarden-bench")?;
    Ok(exe.with_file_name("kmsd"))
}

impl Kmsd {
    /// A node on `dir` (created by kmsd if missing); not started yet.
    pub fn new(bin: PathBuf, dir: PathBuf) -> Kmsd {
        Kmsd {
            bin,
            dir,
            child: None,
        }
    }

    /// Starts kmsd and waits for ready.json; returns it and the time from spawn to it.
    pub fn start(&mut self) -> Result<(Ready, Duration)> {
        anyhow::ensure!(self.child.is_none(), "kmsd already running");
        if !self.bin.exists() {
            bail!(
                "kmsd not found at {} (cargo build --release -p kmsd -p hsm-bridge, or KMSD_BIN)",
                self.bin.display()
            );
        }
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let ready_path = self.dir.join("ready.json");
        match fs::remove_file(&ready_path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).context("removing a stale ready.json"),
        }
        let log = |name: &str| {
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.dir.join(name))
                .with_context(|| format!("opening {name}"))
        };
        let began = Instant::now();
        // Same process group as the bench: a Ctrl-C reaches kmsd and hsm-bridge too.
        let child = Command::new(&self.bin)
            .arg("dev")
            .arg("--dir")
            .arg(&self.dir)
            .args(["--kmip", "127.0.0.1:0", "--https", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(log("kmsd.stdout.log")?)
            .stderr(log("kmsd.stderr.log")?)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        self.child = Some(child);
        let deadline = began + READY_TIMEOUT;
        loop {
            if let Ok(text) = fs::read_to_string(&ready_path)
                && let Ok(ready) = serde_json::from_str::<Ready>(&text)
            {
                return Ok((ready, began.elapsed()));
            }
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("polling kmsd")?
            {
                self.child = None;
                bail!(
                    "kmsd exited ({status}) before ready.json; stderr:\n{}",
                    self.stderr_tail()
                );
            }
            if Instant::now() > deadline {
                self.stop();
                bail!(
                    "kmsd wrote no ready.json within {} s; stderr:\n{}",
                    READY_TIMEOUT.as_secs(),
                    self.stderr_tail()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// The last lines of kmsd's stderr.
    pub fn stderr_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.join("kmsd.stderr.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// kmsd's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Fails when kmsd has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        match self.child.as_mut() {
            None => bail!("kmsd is not running"),
            Some(child) => match child.try_wait().context("polling kmsd")? {
                None => Ok(()),
                Some(status) => {
                    self.child = None;
                    bail!("kmsd died ({status}); stderr:\n{}", self.stderr_tail())
                }
            },
        }
    }

    /// The pid of kmsd's `hsm-bridge` child, from /proc.
    pub fn hsm_bridge_pid(&self) -> Option<u32> {
        let parent = self.pid()?;
        children_of(parent)
            .into_iter()
            .find(|(_, comm)| comm == "hsm-bridge")
            .map(|(pid, _)| pid)
    }

    /// SIGTERM, then wait (bounded) for kmsd to exit; SIGKILL it and its bridge after that.
    pub fn sigterm(&mut self) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let bridge = children_of(child.id());
        let pid = Pid::from_raw(i32::try_from(child.id()).context("pid out of range")?);
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if child.try_wait().context("polling kmsd")?.is_some() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                kill_all(&bridge);
                bail!(
                    "kmsd did not stop within {} s of SIGTERM",
                    STOP_TIMEOUT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // kmsd stops its bridge; make sure, so a restart does not race the old one.
        let deadline = Instant::now() + STOP_TIMEOUT;
        while bridge.iter().any(|(pid, _)| alive(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        kill_all(&bridge);
        Ok(())
    }

    /// Best-effort stop for drop and error paths.
    fn stop(&mut self) {
        if self.sigterm().is_err()
            && let Some(mut child) = self.child.take()
        {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Kmsd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn kill_all(procs: &[(u32, String)]) {
    for (pid, _) in procs {
        if let Ok(pid) = i32::try_from(*pid) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// (pid, comm) of the processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<(u32, String)> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
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
            && ppid == parent
        {
            out.push((pid, comm));
        }
    }
    out
}

/// (comm, ppid) from /proc/PID/stat; comm may contain spaces and parentheses.
fn parse_stat(stat: &str) -> Option<(String, u32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, ppid))
}

/// VmRSS of `pid` in MiB, from /proc/PID/status.
pub fn rss_mib(pid: u32) -> Result<f64> {
    let path = format!("/proc/{pid}/status");
    let status = fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_vm_rss_kib(&status)
        .map(|kib| kib as f64 / 1024.0)
        .with_context(|| format!("no VmRSS in {path}"))
}

fn parse_vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss_and_stat() {
        assert_eq!(
            parse_vm_rss_kib("Name:\tkmsd\nVmRSS:\t   20480 kB\nThreads: 3\n"),
            Some(20480)
        );
        assert_eq!(parse_vm_rss_kib("Name: x\n"), None);
        assert!(rss_mib(std::process::id()).unwrap() > 0.0);
        assert_eq!(
            parse_stat("42 (hsm (x) bridge) S 17 42 42 0"),
            Some(("hsm (x) bridge".to_owned(), 17))
        );
    }
}
