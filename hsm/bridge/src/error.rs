//! Why `hsm-bridge` could not start or had to stop.

use std::path::PathBuf;

/// A failure that stops the bridge; the supervisor restarts it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The PIN file could not be read or is empty.
    #[error("cannot read PIN file {path}: {detail}")]
    PinFile {
        /// Path given with `--pin-file`.
        path: PathBuf,
        /// What went wrong (never the PIN itself).
        detail: String,
    },
    /// The PKCS#11 module could not be loaded or initialized.
    #[error("cannot load PKCS#11 module {path}: {detail}")]
    Module {
        /// Path given with `--module`.
        path: PathBuf,
        /// Loader or `C_Initialize` error.
        detail: String,
    },
    /// No usable token carries the configured label, or it stopped answering.
    #[error("token \"{label}\" unavailable: {detail}")]
    TokenUnavailable {
        /// Label given with `--token-label`.
        label: String,
        /// What the module said.
        detail: String,
    },
    /// `C_Login` as user failed (wrong PIN, PIN locked...).
    #[error("login to token \"{label}\" failed: {detail}")]
    Login {
        /// Label given with `--token-label`.
        label: String,
        /// What the module said.
        detail: String,
    },
    /// The root key could not be found, created or is not safe to use.
    #[error("root key \"{label}\": {detail}")]
    RootKey {
        /// Label given with `--root-key-label`.
        label: String,
        /// What went wrong.
        detail: String,
    },
    /// The unix socket could not be prepared.
    #[error("socket {path}: {detail}")]
    Socket {
        /// Path given with `--socket`.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}
