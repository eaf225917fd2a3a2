//! The PKI's files: atomic and durable (`keywarden-fsutil`), so a crash never leaves a torn key
//! or certificate; errors name the path.

use std::path::Path;

use crate::error::PkiError;

pub(crate) use keywarden_fsutil::{KEY_MODE, PUBLIC_MODE};

/// Writes `bytes` to `path` atomically and durably with `mode`; the error names the path.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PkiError> {
    keywarden_fsutil::write_atomic(path, bytes, mode).map_err(|e| PkiError::Io {
        path: path.to_path_buf(),
        source: e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_is_an_io_error_naming_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone").join("ca.key");
        assert!(matches!(
            write_atomic(&missing, b"x", KEY_MODE),
            Err(PkiError::Io { path, .. }) if path == missing
        ));
    }
}
