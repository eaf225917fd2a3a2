//! Dev-mode supervision of `hsm-bridge`: start it, restart it with backoff whenever it exits,
//! stop it on shutdown. In the appliance, `appliance-init` does this job instead.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::sync::{oneshot, watch};
use tracing::{error, info, warn};

use crate::error::Error;

/// First restart delay.
const BACKOFF_START: Duration = Duration::from_millis(200);
/// Longest restart delay.
const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// A run at least this long resets the backoff.
const STABLE_RUN: Duration = Duration::from_secs(30);
/// How long the child has between SIGTERM and SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How to start the supervised program.
#[derive(Clone, Debug)]
pub struct ChildSpec {
    /// Name for logs.
    pub name: &'static str,
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Extra environment variables.
    pub env: Vec<(OsString, OsString)>,
}

/// A running supervisor; [`Supervisor::stop`] ends the child and the supervision.
#[derive(Debug)]
pub struct Supervisor {
    stop: watch::Sender<bool>,
    done: oneshot::Receiver<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Supervisor {
    /// Starts supervising `spec` on a thread of its own.
    ///
    /// The parent-death signal fires when the *thread* that forked the child exits, not the
    /// process; a dedicated thread that lives exactly as long as the supervision makes that
    /// moment deterministic, whatever the main runtime does with its worker threads.
    pub fn start(spec: ChildSpec) -> Result<Supervisor, Error> {
        let (stop, stopped) = watch::channel(false);
        let (done_tx, done) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Runtime(format!("supervisor runtime: {e}")))?;
        let thread = std::thread::Builder::new()
            .name(format!("{}-supervisor", spec.name))
            .spawn(move || {
                runtime.block_on(supervise(spec, stopped));
                let _ = done_tx.send(());
            })
            .map_err(|e| Error::Runtime(format!("supervisor thread: {e}")))?;
        Ok(Supervisor { stop, done, thread })
    }

    /// Terminates the child (SIGTERM, then SIGKILL after a timeout) and waits for it.
    pub async fn stop(self) {
        self.stop.send_replace(true);
        // Awaited without blocking the caller's runtime; the join after it is immediate.
        let _ = self.done.await;
        if self.thread.join().is_err() {
            error!("supervisor thread panicked");
        }
    }
}

async fn supervise(spec: ChildSpec, mut stopped: watch::Receiver<bool>) {
    let mut backoff = BACKOFF_START;
    loop {
        let started = Instant::now();
        match spawn(&spec) {
            Ok(mut child) => {
                info!(child = spec.name, pid = child.id(), "started");
                tokio::select! {
                    status = child.wait() => log_exit(spec.name, status),
                    () = stop_requested(&mut stopped) => {
                        terminate(spec.name, &mut child).await;
                        return;
                    }
                }
            }
            Err(e) => {
                error!(child = spec.name, program = %spec.program.display(), error = %e, "cannot start")
            }
        }
        if started.elapsed() >= STABLE_RUN {
            backoff = BACKOFF_START;
        }
        warn!(child = spec.name, delay = ?backoff, "restarting after delay");
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = stop_requested(&mut stopped) => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// Resolves once stop was requested; the watch guard is dropped before returning.
async fn stop_requested(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

fn spawn(spec: &ChildSpec) -> std::io::Result<Child> {
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    die_with_parent(&mut command);
    command.spawn()
}

/// Makes the child receive SIGTERM when kmsd dies, however it dies.
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    let parent = nix::unistd::getpid();
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // operations are allowed: prctl(2), getppid(2) and _exit(2) are, and nothing allocates.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from)?;
            // The parent may have died between fork and prctl; then no signal will ever come.
            if nix::unistd::getppid() != parent {
                nix::libc::_exit(1);
            }
            Ok(())
        });
    }
}

fn log_exit(name: &str, status: std::io::Result<ExitStatus>) {
    match status {
        Ok(status) if status.success() => warn!(child = name, %status, "exited"),
        Ok(status) => error!(child = name, %status, "exited"),
        Err(e) => error!(child = name, error = %e, "cannot wait for child"),
    }
}

async fn terminate(name: &str, child: &mut Child) {
    let Some(pid) = child.id() else { return };
    let pid = Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX));
    if let Err(e) = kill(pid, Signal::SIGTERM) {
        warn!(child = name, error = %e, "cannot send SIGTERM");
    }
    match tokio::time::timeout(STOP_TIMEOUT, child.wait()).await {
        Ok(status) => {
            if let Ok(status) = status {
                info!(child = name, %status, "stopped");
            }
        }
        Err(_) => {
            warn!(child = name, "did not stop on SIGTERM, killing");
            let _ = child.kill().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn restarts_a_child_that_exits_and_stops_it_on_request() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("starts");
        // Each start appends a line; the first two exit at once, the third stays up.
        let script = format!(
            "echo start >> {log}; n=$(wc -l < {log}); if [ \"$n\" -lt 3 ]; then exit 7; fi; exec sleep 60",
            log = log.display()
        );
        let supervisor = Supervisor::start(ChildSpec {
            name: "test-child",
            program: PathBuf::from("/bin/sh"),
            args: vec!["-c".into(), script.into()],
            env: Vec::new(),
        })
        .unwrap();
        let mut starts = 0;
        for _ in 0..200 {
            starts = std::fs::read_to_string(&log)
                .map(|s| s.lines().count())
                .unwrap_or(0);
            if starts >= 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(starts, 3, "restarted after each exit");
        supervisor.stop().await;
        let after = std::fs::read_to_string(&log).unwrap().lines().count();
        assert_eq!(after, 3, "not restarted after stop");
    }
}
