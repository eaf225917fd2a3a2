//! Wall-clock time as KMIP states it (Unix seconds), a leaf module: the batch loop and the
//! operations both read it, and neither imports the other for it.

/// Unix seconds now (0 before 1970, `i64::MAX` past its range).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
