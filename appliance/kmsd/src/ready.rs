//! `ready.json`: the endpoints and dev paths, announced once the daemon serves.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tracing::warn;

use crate::config::DevDetails;
use crate::error::Error;
use crate::fsutil::{PUBLIC_MODE, write_atomic};

/// The content of the readiness file and of the stdout line.
#[derive(Debug, Serialize)]
pub struct ReadyAnnouncement<'a> {
    kmip: SocketAddr,
    https: SocketAddr,
    dir: &'a Path,
    ca_cert: &'a Path,
    admin_cert: &'a Path,
    admin_key: &'a Path,
    user_cert: &'a Path,
    user_key: &'a Path,
    pid: u32,
    softhsm2_conf: &'a Path,
    hsm_socket: &'a Path,
    token_dir: &'a Path,
}

impl<'a> ReadyAnnouncement<'a> {
    /// The announcement for these bound addresses and this process.
    pub fn new(kmip: SocketAddr, https: SocketAddr, dev: &'a DevDetails) -> Self {
        ReadyAnnouncement {
            kmip,
            https,
            dir: &dev.dir,
            ca_cert: &dev.ca_cert,
            admin_cert: &dev.admin_cert,
            admin_key: &dev.admin_key,
            user_cert: &dev.user_cert,
            user_key: &dev.user_key,
            pid: std::process::id(),
            softhsm2_conf: &dev.softhsm2_conf,
            hsm_socket: &dev.hsm_socket,
            token_dir: &dev.token_dir,
        }
    }

    fn json(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|e| Error::Runtime(format!("encoding ready.json: {e}")))
    }

    /// Writes the file atomically, so a reader never sees half of it.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut text = self.json()?;
        text.push('\n');
        write_atomic(path, text.as_bytes(), PUBLIC_MODE)
    }

    /// Prints the announcement as one JSON line on stdout.
    pub fn print(&self) -> Result<(), Error> {
        let line = self.json()?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .map_err(Error::io(PathBuf::from("<stdout>")))
    }
}

/// Removes a readiness file (clean shutdown, or a stale one at start).
pub fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => warn!(path = %path.display(), error = %e, "cannot remove the readiness file"),
    }
}
