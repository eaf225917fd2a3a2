//! `keywarden-bench`: load generator and baselines behind `cargo xtask bench`.
//!
//! `keywarden-bench kmip [--quick]` starts a real `kmsd dev`, measures Get, Encrypt, Create and
//! Locate over persistent mTLS connections next to an echo server with kmsd's TLS setup and
//! message sizes and a single-fsync loop on the same disk, then kmsd's RSS and restart time
//! with many keys stored; it prints a table and writes `target/bench/kmip.json`.
//! `keywarden-bench echo-server` is that echo server (run as its own process by `kmip`).
//!
//! It owns only measurement. It must never leave processes behind, never hide a failed
//! operation (failures are counted, printed, and make the exit code non-zero), and never
//! fail because a target is missed: a miss is a result.

mod echo;
mod fsync;
mod kmip_bench;
mod load;
mod pki;
mod report;
mod tls;
mod wire;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Keywarden benchmarks.
#[derive(Debug, Parser)]
#[command(name = "keywarden-bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which benchmark (or helper process) to run.
#[derive(Debug, Subcommand)]
enum Command {
    /// KMIP throughput and latency against kmsd, with echo and fsync baselines.
    Kmip(kmip_bench::KmipArgs),
    /// The echo baseline server (started by `kmip`).
    EchoServer(echo::EchoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Kmip(args) => kmip_bench::run(args),
        Command::EchoServer(args) => echo::serve(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("keywarden-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
