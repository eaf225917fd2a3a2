//! Wall-clock time as KMIP states it (Unix seconds), a leaf module: the operations and the
//! front ends' response headers (the KMIP message layer) read the same clock.

/// Unix seconds now (0 before 1970, `i64::MAX` past its range).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
