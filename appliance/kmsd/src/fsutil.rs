//! Files kmsd writes: atomic and durable (`keywarden-fsutil`), errors naming the path.

use std::fs;
use std::path::Path;

use crate::error::Error;

pub use keywarden_fsutil::{KEY_MODE, PUBLIC_MODE};

/// Writes `bytes` to `path` atomically and durably with `mode`; the error names the path.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    keywarden_fsutil::write_atomic(path, bytes, mode).map_err(Error::io(path))
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

    #[test]
    fn a_failed_write_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone").join("pin");
        let e = write_atomic(&missing, b"x", KEY_MODE).unwrap_err();
        assert!(
            matches!(&e, Error::Io { path, .. } if path == &missing),
            "{e}"
        );
    }
}
