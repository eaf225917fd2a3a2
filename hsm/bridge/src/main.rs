//! `hsm-bridge`: the only Keywarden process that loads a PKCS#11 module.
//!
//! It owns the node's HSM root key (AES-256, generated in the token, never
//! extractable) and the node's storage epoch keys (likewise, one per epoch,
//! destroyed in the token when the epoch is erased), and serves wrap/unwrap of
//! domain KEKs and epoch data keys, random bytes and health over a unix socket
//! to `kmsd`. It must never log a PIN or key material, never export the root
//! or an epoch key, and never run vendor code anywhere but in this process. When the token is lost and cannot be reopened it
//! exits non-zero so its supervisor restarts it.

mod error;
mod server;
mod token;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Notify;
use tracing::{error, info};
use zeroize::Zeroizing;

use crate::error::StartError;
use crate::server::{ClientPolicy, Socket};
use crate::token::{Token, TokenConfig};

/// Exit code when the bridge could not start.
const EXIT_START: u8 = 1;
/// Exit code when the token was lost while serving.
const EXIT_TOKEN_LOST: u8 = 3;

/// Serves the node's HSM root key to kmsd over a unix socket.
#[derive(Parser, Debug)]
#[command(name = "hsm-bridge", version)]
struct Cli {
    /// Path of the PKCS#11 module to load.
    #[arg(long)]
    module: PathBuf,
    /// Label of the token holding the root key.
    #[arg(long)]
    token_label: String,
    /// File holding the user PIN (a trailing newline is ignored).
    #[arg(long)]
    pin_file: PathBuf,
    /// Unix socket to listen on.
    #[arg(long)]
    socket: PathBuf,
    /// Label of the root key object in the token.
    #[arg(long, default_value = "keywarden-root-v1")]
    root_key_label: String,
    /// Seconds a client may stay silent between requests before it is disconnected.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Most clients connected at once; further connections are closed at accept.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_clients: u64,
    /// A further peer uid allowed to connect (repeatable); our own uid and root always are.
    #[arg(long = "allow-uid", value_name = "UID")]
    allow_uids: Vec<u32>,
}

/// How the serving loop ended.
enum Stop {
    Signal,
    TokenLost,
}

fn read_pin(path: &PathBuf) -> Result<Zeroizing<String>, StartError> {
    let err = |detail: String| StartError::PinFile {
        path: path.clone(),
        detail,
    };
    let raw = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
    let pin = Zeroizing::new(raw.trim_end_matches(['\n', '\r']).to_owned());
    if pin.is_empty() {
        return Err(err("the file is empty".to_owned()));
    }
    Ok(pin)
}

async fn serve_until_stop(
    socket: Socket,
    token: Arc<Token>,
    policy: ClientPolicy,
) -> Result<Stop, StartError> {
    let runtime_err =
        |e: std::io::Error| StartError::Runtime(format!("cannot install signal handler: {e}"));
    let mut sigterm = signal(SignalKind::terminate()).map_err(runtime_err)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(runtime_err)?;
    let fatal = Arc::new(Notify::new());
    let stop = tokio::select! {
        () = server::serve(&socket, token, Arc::clone(&fatal), policy) => Stop::Signal,
        _ = sigterm.recv() => { info!("SIGTERM received, stopping"); Stop::Signal }
        _ = sigint.recv() => { info!("SIGINT received, stopping"); Stop::Signal }
        () = fatal.notified() => Stop::TokenLost,
    };
    drop(socket);
    Ok(stop)
}

fn run(cli: Cli) -> Result<Stop, StartError> {
    let pin = read_pin(&cli.pin_file)?;
    let policy = ClientPolicy {
        // The parser bounds it to 1..=4096.
        max_clients: usize::try_from(cli.max_clients).unwrap_or(64),
        idle_timeout: Duration::from_secs(cli.idle_timeout),
        own_uid: nix::unistd::getuid().as_raw(),
        allowed_uids: cli.allow_uids,
    };
    let token = Arc::new(Token::open(TokenConfig {
        module: cli.module,
        token_label: cli.token_label,
        pin,
        root_key_label: cli.root_key_label,
    })?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| StartError::Runtime(e.to_string()))?;
    let result = runtime.block_on(async {
        let socket = Socket::bind(&cli.socket)?;
        info!(socket = %cli.socket.display(), "hsm-bridge listening");
        serve_until_stop(socket, token, policy).await
    });
    // Blocking PKCS#11 calls in flight get a short grace period, not forever.
    runtime.shutdown_timeout(Duration::from_secs(2));
    result
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(cli) {
        Ok(Stop::Signal) => {
            info!("hsm-bridge stopped");
            ExitCode::SUCCESS
        }
        Ok(Stop::TokenLost) => {
            error!(
                "token lost and could not be reopened; exiting so the supervisor restarts the bridge"
            );
            ExitCode::from(EXIT_TOKEN_LOST)
        }
        Err(e) => {
            error!("hsm-bridge cannot run: {e}");
            ExitCode::from(EXIT_START)
        }
    }
}
