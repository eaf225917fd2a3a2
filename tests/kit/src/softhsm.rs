//! `SoftHsm`: a private SoftHSM2 token and the real `hsm-bridge` in front of it.
//!
//! Every token lives in its own temp dir with its own `softhsm2.conf`, passed as
//! `SOFTHSM2_CONF` to the child processes only. The bridge binary is `HSM_BRIDGE_BIN` when set,
//! else `hsm-bridge` in the running test's profile directory, else it is built once with
//! `cargo build -p hsm-bridge` into a separate target directory (a nested build in the running
//! test's own target directory would wait forever on cargo's lock). A crate that builds the
//! bridge itself passes it with [`SoftHsm::with_bridge`].

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The SoftHSM2 PKCS#11 module, where Debian installs it.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// Label of the token [`SoftHsm::new`] initialises.
const LABEL: &str = "kw-test-token";
/// User PIN of the token; a test token protects nothing.
const PIN: &str = "1234";
/// Security officer PIN of the token.
const SO_PIN: &str = "5678";
/// Upper bound of polls while waiting for a process; each poll sleeps `POLL` (30 s in all).
const MAX_POLLS: u32 = 600;
const POLL: Duration = Duration::from_millis(50);

/// Panics, saying how to get them, unless `softhsm2-util`, `pkcs11-tool` and the module are
/// installed. Tests never skip for want of SoftHSM.
pub fn require_softhsm() {
    let util = Command::new("softhsm2-util").arg("--version").output();
    let tool = Command::new("pkcs11-tool").arg("--help").output();
    if util.is_err() || tool.is_err() || !Path::new(MODULE).exists() {
        panic!(
            "SoftHSM2 is not installed (need softhsm2-util, pkcs11-tool and {MODULE}); \
             run cargo xtask test, which installs it (apt-get install softhsm2 opensc)"
        );
    }
}

/// The hsm-bridge executable for tests of crates that do not build it, found or built at
/// most once per test process.
pub fn bridge_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("HSM_BRIDGE_BIN") {
            return PathBuf::from(p);
        }
        let exe = std::env::current_exe().expect("test executable path");
        // target/<profile>/deps/<test> -> target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target profile dir");
        let candidate = profile_dir.join("hsm-bridge");
        if candidate.exists() {
            return candidate;
        }
        let target = profile_dir
            .parent()
            .expect("target dir")
            .join("test-kit-bridge");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "-p", "hsm-bridge", "--target-dir"])
            .arg(&target)
            .status()
            .expect("run cargo build -p hsm-bridge");
        assert!(status.success(), "cargo build -p hsm-bridge failed");
        let built = target.join("debug").join("hsm-bridge");
        assert!(
            built.exists(),
            "hsm-bridge not found at {}",
            built.display()
        );
        built
    })
    .clone()
}

/// A private SoftHSM2 installation with one initialised token, and the bridge in front of it.
///
/// [`SoftHsm::start`] and [`SoftHsm::stop`] manage one bridge, killed on drop; tests of the
/// bridge itself run their own with [`SoftHsm::run_bridge`] and [`SoftHsm::spawn_bridge`].
pub struct SoftHsm {
    dir: tempfile::TempDir,
    bin: PathBuf,
    bridge: Option<Bridge>,
    runs: Cell<u32>,
}

impl SoftHsm {
    /// Creates the token (the bridge is not started yet), with the bridge of [`bridge_bin`].
    pub fn new() -> SoftHsm {
        SoftHsm::with_bridge(bridge_bin())
    }

    /// Like [`SoftHsm::new`] with this hsm-bridge executable.
    pub fn with_bridge(bin: impl Into<PathBuf>) -> SoftHsm {
        require_softhsm();
        let dir = tempfile::Builder::new()
            .prefix("kw-softhsm-")
            .tempdir()
            .expect("temp dir");
        let hsm = SoftHsm {
            dir,
            bin: bin.into(),
            bridge: None,
            runs: Cell::new(0),
        };
        fs::create_dir(hsm.token_dir()).expect("tokens dir");
        let conf = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            hsm.token_dir().display()
        );
        fs::write(hsm.conf(), conf).expect("softhsm2.conf");
        fs::write(hsm.pin_file(), format!("{PIN}\n")).expect("pin file");
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", LABEL])
            .args(["--pin", PIN, "--so-pin", SO_PIN])
            .env("SOFTHSM2_CONF", hsm.conf())
            .output()
            .expect("run softhsm2-util");
        assert!(
            out.status.success(),
            "softhsm2-util --init-token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        hsm
    }

    /// The temp dir holding everything of this token.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The SoftHSM token directory (`directories.tokendir`).
    pub fn token_dir(&self) -> PathBuf {
        self.dir().join("tokens")
    }

    /// The `softhsm2.conf` of this token.
    pub fn conf(&self) -> PathBuf {
        self.dir().join("softhsm2.conf")
    }

    /// The file holding the user PIN, as the bridge's `--pin-file` reads it.
    pub fn pin_file(&self) -> PathBuf {
        self.dir().join("pin")
    }

    /// The user PIN.
    pub fn pin(&self) -> &'static str {
        PIN
    }

    /// The token label.
    pub fn label(&self) -> &'static str {
        LABEL
    }

    /// The bridge's unix socket.
    pub fn socket(&self) -> PathBuf {
        self.dir().join("hsm.sock")
    }

    /// Starts the managed bridge and waits (bounded) until it accepts connections.
    pub fn start(&mut self) {
        self.start_with(&[]);
    }

    /// [`SoftHsm::start`] with extra bridge arguments (e.g. `--idle-timeout 1`).
    pub fn start_with(&mut self, extra: &[&str]) {
        if let Some(bridge) = self.bridge.as_mut() {
            assert!(!bridge.is_running(), "bridge already running");
        }
        self.bridge = None;
        self.bridge = Some(self.run_bridge(extra));
    }

    /// Kills the managed bridge (SIGKILL: a crash, no clean-up of its own), waits for it and
    /// removes its socket.
    pub fn stop(&mut self) {
        if let Some(mut bridge) = self.bridge.take() {
            bridge.kill_hard();
        }
        let _ = fs::remove_file(self.socket());
    }

    /// The managed bridge, once started (also after it exited on its own).
    pub fn bridge(&mut self) -> Option<&mut Bridge> {
        self.bridge.as_mut()
    }

    /// Starts a bridge owned by the caller on this token and waits (bounded) until it accepts
    /// connections; panics with its log if it exits first.
    pub fn run_bridge(&self, extra: &[&str]) -> Bridge {
        let _ = fs::remove_file(self.socket());
        let mut bridge = self.spawn_bridge(LABEL, &self.pin_file(), extra);
        for _ in 0..MAX_POLLS {
            if let Some(status) = bridge.try_wait() {
                panic!("hsm-bridge exited early with {status}: {}", bridge.log());
            }
            if std::os::unix::net::UnixStream::connect(self.socket()).is_ok() {
                return bridge;
            }
            sleep(POLL);
        }
        panic!("hsm-bridge never accepted connections: {}", bridge.log());
    }

    /// Spawns a bridge owned by the caller with any token label and PIN file, without waiting:
    /// for tests of how it fails. Its stderr goes to a log file of the temp dir.
    pub fn spawn_bridge(&self, label: &str, pin_file: &Path, extra: &[&str]) -> Bridge {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let log = self.dir().join(format!("bridge-{n}.log"));
        let stderr = fs::File::create(&log).expect("log file");
        let child = Command::new(&self.bin)
            .arg("--module")
            .arg(MODULE)
            .arg("--token-label")
            .arg(label)
            .arg("--pin-file")
            .arg(pin_file)
            .arg("--socket")
            .arg(self.socket())
            .args(extra)
            .env("SOFTHSM2_CONF", self.conf())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.bin.display()));
        Bridge { child, log }
    }

    /// The secret key objects of the token, as `pkcs11-tool --list-objects` prints them.
    pub fn list_secret_keys(&self) -> String {
        let out = Command::new("pkcs11-tool")
            .args(["--module", MODULE, "--token-label", LABEL, "--login"])
            .args(["--pin", PIN, "--list-objects", "--type", "secrkey"])
            .env("SOFTHSM2_CONF", self.conf())
            .output()
            .expect("run pkcs11-tool");
        assert!(
            out.status.success(),
            "pkcs11-tool failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Default for SoftHsm {
    fn default() -> Self {
        SoftHsm::new()
    }
}

impl Drop for SoftHsm {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A bridge process; killed on drop if still running.
pub struct Bridge {
    child: Child,
    log: PathBuf,
}

impl Bridge {
    /// What it wrote to stderr so far.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its pid.
    pub fn pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.child.id()).expect("pid fits i32"))
    }

    /// Its exit status, if it exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("try_wait hsm-bridge")
    }

    /// True until it exited.
    pub fn is_running(&mut self) -> bool {
        self.try_wait().is_none()
    }

    /// Waits (bounded) for it to exit.
    pub fn wait(&mut self) -> ExitStatus {
        for _ in 0..MAX_POLLS {
            if let Some(status) = self.try_wait() {
                return status;
            }
            sleep(POLL);
        }
        panic!("hsm-bridge did not exit: {}", self.log());
    }

    /// Sends SIGTERM and waits (bounded) for it to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        kill(self.pid(), Signal::SIGTERM).expect("send SIGTERM");
        self.wait()
    }

    /// Sends SIGKILL (unless it already exited) and waits for it.
    pub fn kill_hard(&mut self) {
        if self.is_running() {
            kill(self.pid(), Signal::SIGKILL).expect("send SIGKILL");
        }
        self.wait();
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_managed_bridge_serves_is_killed_and_restarts_on_the_same_token() {
        let mut hsm = SoftHsm::new();
        assert!(hsm.token_dir().is_dir());
        let conf = fs::read_to_string(hsm.conf()).unwrap();
        assert!(
            conf.contains(&hsm.token_dir().display().to_string()),
            "{conf}"
        );
        assert_eq!(
            fs::read_to_string(hsm.pin_file()).unwrap().trim(),
            hsm.pin()
        );
        hsm.start();
        let pid = hsm.bridge().expect("started").pid();
        std::os::unix::net::UnixStream::connect(hsm.socket()).expect("serving");
        hsm.stop();
        assert!(!hsm.socket().exists());
        // SIGKILLed and reaped: the pid is gone (or reused by another program).
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(!stat.contains("(hsm-bridge)"), "{stat}");
        hsm.start();
        std::os::unix::net::UnixStream::connect(hsm.socket()).expect("serving again");
        let pid = hsm.bridge().expect("started").pid();
        drop(hsm);
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(!stat.contains("(hsm-bridge)"), "drop kills: {stat}");
    }
}
