//! Durable, atomic file writes with an explicit mode: a reader sees either the old content or
//! the whole new one, and a crash after the write returned cannot lose it.
//!
//! Owns only that. It never decides paths, modes or what a failure means to its caller (each
//! caller wraps the `std::io::Error` with the path in its own error type), and never follows a
//! stale temporary file left by a crash: it is removed and created anew.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Mode of private keys, PINs and other secrets.
pub const KEY_MODE: u32 = 0o600;
/// Mode of certificates, CRLs and other public files.
pub const PUBLIC_MODE: u32 = 0o644;

/// Writes `bytes` to `path` through a temporary file (created with `mode`), an fsync, a rename
/// and an fsync of the directory. On failure the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        // A stale temp file from a crash may have another mode; start from nothing.
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        // The rename lives in the directory: without this a crash can lose a fresh key or PIN
        // even though its bytes were synced.
        sync_parent(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Fsyncs the directory holding `path` (the current directory for a bare file name).
pub fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::File::open(parent)?.sync_all()
}

/// The temporary file beside `path`: hidden, so a directory listing does not show it.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn write_atomic_replaces_with_mode_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pin");
        write_atomic(&path, b"old", KEY_MODE).unwrap();
        write_atomic(&path, b"new", KEY_MODE).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, KEY_MODE);
        assert!(!temp_path(&path).exists());
        let missing = dir.path().join("gone").join("pin");
        assert!(write_atomic(&missing, b"x", KEY_MODE).is_err());
    }

    #[test]
    fn a_stale_temp_file_with_another_mode_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        fs::write(temp_path(&path), b"stale").unwrap();
        fs::set_permissions(temp_path(&path), fs::Permissions::from_mode(0o666)).unwrap();
        write_atomic(&path, b"fresh", KEY_MODE).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, KEY_MODE);
        assert_eq!(fs::read(&path).unwrap(), b"fresh");
    }

    #[test]
    fn the_parent_directory_is_synced_and_its_failure_reported() {
        let dir = tempfile::tempdir().unwrap();
        sync_parent(&dir.path().join("file")).unwrap();
        // A parent that cannot be opened is an error, not silently skipped.
        let missing = dir.path().join("gone").join("file");
        assert!(sync_parent(&missing).is_err());
    }
}
