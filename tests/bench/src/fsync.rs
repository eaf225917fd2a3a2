//! The durability baseline: one thread appending a record-sized block to a file and calling
//! `fdatasync` after each, the rate a server without group commit could at best reach.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::report::{OpStats, new_histogram};

/// Bytes per appended record: about one stored key record.
pub const RECORD_BYTES: usize = 512;

/// Appends + fdatasyncs in `dir` for `window` (after `warmup`); the file is removed after.
pub fn run(dir: &Path, warmup: Duration, window: Duration) -> Result<OpStats> {
    let path = dir.join("fsync-baseline.dat");
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let record = [0x5Au8; RECORD_BYTES];
    let mut hist = new_histogram();
    let mut ok = 0u64;
    let start = Instant::now() + warmup;
    let end = start + window;
    // Bounded by time.
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            break;
        }
        file.write_all(&record).context("appending a record")?;
        file.sync_data().context("fdatasync")?;
        if t0 >= start {
            ok += 1;
            hist.record(
                u64::try_from(t0.elapsed().as_micros())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )
            .context("recording a latency")?;
        }
    }
    drop(file);
    std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
    Ok(OpStats::from_histogram(
        &hist,
        ok,
        0,
        None,
        window,
        1,
        RECORD_BYTES,
        0,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_synced_appends_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let stats = run(dir.path(), Duration::ZERO, Duration::from_millis(200)).unwrap();
        assert!(stats.ok > 0);
        assert_eq!(stats.failed, 0);
        assert!(stats.p99_ms > 0.0);
        assert!(!dir.path().join("fsync-baseline.dat").exists());
    }
}
