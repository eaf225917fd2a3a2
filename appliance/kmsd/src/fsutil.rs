//! Atomic file writes with an explicit mode.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Mode of private keys, PINs and other secrets.
pub const KEY_MODE: u32 = 0o600;
/// Mode of certificates and other public files.
pub const PUBLIC_MODE: u32 = 0o644;

/// Writes `bytes` to `path` through a temporary file and a rename, so readers see either the
/// old content or the whole new one, never a prefix.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
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
        // The rename lives in the directory: without this a crash can lose a fresh PIN or key
        // even though its bytes were synced.
        sync_parent(path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::Io {
            path: path.to_path_buf(),
            source: e,
        }
    })
}

/// Fsyncs the directory holding `path` (the current directory for a bare file name).
fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::File::open(parent)?.sync_all()
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(".tmp");
    path.with_file_name(name)
}

/// Creates a directory (and its parents) and sets its mode.
pub fn create_dir(path: &Path, mode: u32) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(path).map_err(Error::io(path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(Error::io(path))
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
