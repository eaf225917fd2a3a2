//! The audit directory: segment file names, listing, bounded reads and directory syncs.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Ending of a segment file name: `0000000001.audit`.
pub(crate) const SEGMENT_SUFFIX: &str = ".audit";
/// Ending of a file being created; such files are never part of the log.
pub(crate) const TMP_SUFFIX: &str = ".tmp";
/// Digits of the segment number in a file name (zero-padded; more digits are allowed).
const NAME_DIGITS: usize = 10;

/// Owner-only: the audit log names identities and objects.
pub(crate) const FILE_MODE: u32 = 0o600;
/// Owner-only directory.
pub(crate) const DIR_MODE: u32 = 0o700;

/// The file name of segment `number`.
pub(crate) fn segment_name(number: u64) -> String {
    format!("{number:0NAME_DIGITS$}{SEGMENT_SUFFIX}")
}

/// The segment number in a file name, if it is one.
pub(crate) fn parse_segment_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() < NAME_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The segments in `dir`, by number.
pub(crate) fn list_segments(dir: &Path) -> io::Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        let name = item.file_name();
        if let Some(n) = name.to_str().and_then(parse_segment_name) {
            out.push((n, item.path()));
        }
    }
    out.sort_unstable_by_key(|(n, _)| *n);
    Ok(out)
}

/// The first number missing from `1..=n`, if the list is not exactly that.
pub(crate) fn first_missing(segments: &[(u64, PathBuf)]) -> Option<u64> {
    segments
        .iter()
        .zip(1u64..)
        .find(|((n, _), want)| n != want)
        .map(|(_, want)| want)
}

/// Reads at most `max` bytes of a file; an `InvalidData` error if it is longer.
pub(crate) fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0).min(max);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("longer than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// Reads the first `max` bytes of a file (fewer if it is shorter).
pub(crate) fn read_prefix(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(max).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Makes a directory's entries (created, renamed, removed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir/name` holding `bytes`, durably and whole or not at all: written to a
/// temporary name, synced, renamed, and the directory synced. Returns the open file.
pub(crate) fn create_whole(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<File> {
    let final_path = dir.join(name);
    let tmp_path = dir.join(format!("{name}{TMP_SUFFIX}"));
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(&tmp_path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp_path, &final_path)?;
    sync_dir(dir)?;
    Ok(file)
}

/// Removes files left half-created by a crash (their names end in [`TMP_SUFFIX`]).
pub(crate) fn remove_leftovers(dir: &Path) -> io::Result<()> {
    for item in std::fs::read_dir(dir)? {
        let item = item?;
        if item
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(TMP_SUFFIX))
        {
            std::fs::remove_file(item.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip_and_others_are_ignored() {
        assert_eq!(segment_name(7), "0000000007.audit");
        assert_eq!(parse_segment_name("0000000007.audit"), Some(7));
        assert_eq!(
            parse_segment_name("12345678901.audit"),
            Some(12_345_678_901)
        );
        for other in [
            "7.audit",
            "0000000007.audit.tmp",
            "audit-key.json",
            "000000000x.audit",
        ] {
            assert_eq!(parse_segment_name(other), None, "{other}");
        }
    }

    #[test]
    fn gaps_in_the_series_are_found() {
        let p = PathBuf::new;
        assert_eq!(first_missing(&[(1, p()), (2, p())]), None);
        assert_eq!(first_missing(&[(1, p()), (3, p())]), Some(2));
        assert_eq!(first_missing(&[(2, p())]), Some(1));
    }

    #[test]
    fn bounded_reads_refuse_long_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, [1u8; 10]).unwrap();
        assert_eq!(read_bounded(&f, 10).unwrap().len(), 10);
        assert_eq!(
            read_bounded(&f, 9).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert_eq!(read_prefix(&f, 4).unwrap().len(), 4);
    }
}
