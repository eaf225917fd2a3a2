//! The one error type of `kmsd`: everything that stops the daemon from starting.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why `kmsd` could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A listener could not be bound.
    #[error("cannot bind the {listener} listener to {addr}: {source}")]
    Bind {
        /// `kmip` or `https`.
        listener: &'static str,
        /// The requested address.
        addr: SocketAddr,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The dev directory is in a state that provisioning must not touch.
    #[error("dev directory {dir}: {detail}")]
    DevState {
        /// The directory at fault.
        dir: PathBuf,
        /// What is wrong and what to do.
        detail: String,
    },
    /// `softhsm2-util` is not installed.
    #[error("softhsm2-util not found on PATH; run `cargo xtask run`, which installs SoftHSM")]
    SoftHsmMissing,
    /// `softhsm2-util --init-token` failed.
    #[error("softhsm2-util --init-token failed ({status}): {output}")]
    TokenInit {
        /// Exit status.
        status: String,
        /// What the tool printed (it never prints PINs).
        output: String,
    },
    /// The dev PKI could not be created, completed or loaded.
    #[error(transparent)]
    DevPki(#[from] keywarden_dev_pki::PkiError),
    /// A dev certificate does not carry the identity the authorization file needs.
    #[error("dev PKI {path}: {detail}")]
    Pki {
        /// The file or directory at fault.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A TLS certificate, key, CRL or configuration is unusable.
    #[error("TLS configuration: {0}")]
    Tls(#[from] keywarden_tls::TlsError),
    /// The authorization file is unusable (the message names the line).
    #[error(transparent)]
    Authz(#[from] keywarden_authz::AuthzError),
    /// The `hsm-bridge` binary is missing.
    #[error(
        "hsm-bridge not found at {path}; build it (`cargo build -p hsm-bridge`) or pass --hsm-bridge"
    )]
    BridgeMissing {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// The key service could not be opened.
    #[error("key service: {0}")]
    Kms(String),
    /// A command-line flag's value is invalid; `flag` names it.
    #[error("{flag}: {reason}")]
    Flag {
        /// The flag, as typed (`--max-handshakes`).
        flag: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// A setting is invalid; `field` names it.
    #[error("configuration {field}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The async runtime or a signal handler could not be set up.
    #[error("runtime: {0}")]
    Runtime(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
