//! `kmsd`: the KMS daemon. Runs in the foreground under a supervisor and serves KMIP over
//! mutually authenticated TLS and HTTPS (health, readiness, metrics) in front of the key
//! service.
//!
//! It owns listeners, TLS, connection limits and timeouts, dev-mode provisioning and the
//! dev-mode supervision of `hsm-bridge`. It must never load a PKCS#11 module (that is
//! `hsm-bridge`), never interpret KMIP operations (that is `keywarden-kms`), never log PINs,
//! keys or message bodies, and never hard-code paths or users beyond dev-mode defaults.

mod accept;
mod admission;
mod budget;
mod cli;
mod config;
mod dev;
mod error;
mod fsutil;
mod https;
mod kmip;
mod kms;
mod metrics;
mod ready;
mod revocation;
mod server;
mod service;
mod stall;
mod supervisor;

#[cfg(test)]
mod tests;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use tracing::{error, info};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::{AuditCommand, AuditVerifyArgs, Cli, Command, DevArgs};
use crate::dev::DevLayout;
use crate::error::Error;
use crate::supervisor::Supervisor;

fn main() -> ExitCode {
    limit_malloc_arenas();
    raise_open_file_limit();
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Dev(args) => run_dev(args),
        Command::Audit(AuditCommand::Verify(args)) => return audit_verify(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            // Also on stderr when logs go to journald, so a person starting it sees why.
            if std::env::var_os("JOURNAL_STREAM").is_some() {
                eprintln!("kmsd: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// journald when started by systemd (JOURNAL_STREAM set), else stderr; filtered by RUST_LOG.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    if std::env::var_os("JOURNAL_STREAM").is_some()
        && let Ok(journald) = tracing_journald::layer()
    {
        registry.with(journald).init();
        return;
    }
    let ansi = std::io::stderr().is_terminal();
    registry
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi),
        )
        .init();
}

fn run_dev(args: DevArgs) -> Result<(), Error> {
    let options = args.options()?;
    // Checked before anything is created, so a bad flag leaves the directory as it was.
    options.validate()?;
    let layout = DevLayout::create(&args.dir)?;
    let _lock = layout.lock()?;
    // Checked before provisioning, so a wrong path creates nothing.
    let bridge = layout.bridge_spec(&options)?;
    layout.provision()?;
    let config = layout.server_config(&options);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Runtime(e.to_string()))?;
    runtime.block_on(async {
        let stop = stop_signal()?;
        let supervisor = Supervisor::start(bridge)?;
        let result = server::serve(config, stop).await;
        supervisor.stop().await;
        result
    })
}

/// `kmsd audit verify`: prints the report, or the first broken entry and exits 1.
fn audit_verify(args: &AuditVerifyArgs) -> ExitCode {
    match keywarden_audit::verify(&args.dir, args.key.as_ref()) {
        Ok(report) => {
            println!(
                "audit log {}: intact: {} entries (sequence {}..={}), {} checkpoints, key {}",
                args.dir.display(),
                report.entries,
                report.first_seq.unwrap_or(0),
                report.last_seq.unwrap_or(0),
                report.checkpoints,
                report.key_id,
            );
            if let Some(torn) = &report.torn_tail {
                println!(
                    "note: {} bytes at offset {} of {} after the last valid entry (sequence {}) look \
                     like a write torn by a crash; they are not part of the chain",
                    torn.bytes,
                    torn.offset,
                    torn.segment.display(),
                    report.last_seq.unwrap_or(0),
                );
            }
            if report.crash_recoveries > 0 {
                println!(
                    "note: the log was reopened after {} crash(es); each reopen is a signed checkpoint",
                    report.crash_recoveries
                );
            }
            if report.tail_is_unsigned() {
                println!(
                    "note: {} entries after the last signed checkpoint (a crash, or a node still running); \
                     their chain is intact but not yet signed",
                    report.unsigned_tail
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("audit log {}: BROKEN: {e}", args.dir.display());
            ExitCode::FAILURE
        }
    }
}

/// Resolves on the first SIGTERM or SIGINT. Handlers are installed now, so a signal that
/// arrives while the key service opens is not lost.
fn stop_signal() -> Result<impl Future<Output = ()>, Error> {
    let handler = |e: std::io::Error| Error::Runtime(format!("cannot install signal handler: {e}"));
    let mut term = signal(SignalKind::terminate()).map_err(handler)?;
    let mut int = signal(SignalKind::interrupt()).map_err(handler)?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => info!("SIGTERM received"),
            _ = int.recv() => info!("SIGINT received"),
        }
    })
}

/// Raises the soft limit on open files to the hard limit: every connection is a descriptor, and
/// the listeners admit up to `max_connections` (1024 by default) each, which the common soft
/// limit of 1024 could not hold. A failure leaves the limit as it was.
fn raise_open_file_limit() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

/// Caps glibc's malloc arenas before any thread starts.
///
/// glibc gives each thread that contends on the heap an arena of its own and rarely returns their
/// free pages; after a burst of writes over many tokio and blocking threads kmsd kept ~170 MiB
/// resident with 1,000,000 keys stored, against ~115 MiB with two arenas at the same throughput
/// (`cargo xtask bench kmip`, with and without `MALLOC_ARENA_MAX=2`). An explicit
/// `MALLOC_ARENA_MAX` in the environment still wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    const ARENAS: libc::c_int = 2;
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes allocator tuning; it is called first thing in main,
        // before any other thread exists, with a documented parameter and a valid value.
        let _ = unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENAS) };
    }
}

/// Other C libraries have no per-thread arenas to cap.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
