//! Random IVs and nonces: values sent in clear with a ciphertext, drawn from a per-thread pool.
//!
//! Each `RAND_bytes` call of aws-lc reseeds its per-thread DRBG with `RDRAND` additional input
//! and checks for a fork, which cost more than the AES-GCM encryption of a 64-byte message (4% of
//! kmsd's CPU under Encrypt, profiled in stop 11). One DRBG call here serves about 340 GCM IVs.
//! Every pool byte is handed out once; the pool is not fork-safe, which holds because kmsd only
//! forks to `exec` (the hsm-bridge child never touches it). Keys never come from here: they use
//! [`crate::random_bytes`].

use std::cell::RefCell;

use zeroize::Zeroizing;

use crate::CryptoError;

/// Bytes drawn from the DRBG per refill.
const POOL_LEN: usize = 4096;

/// Requests longer than this bypass the pool, so one large request cannot drain it.
const MAX_POOLED: usize = 64;

struct Pool {
    bytes: Zeroizing<[u8; POOL_LEN]>,
    /// Bytes at the front already handed out.
    used: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool {
        bytes: Zeroizing::new([0u8; POOL_LEN]),
        used: POOL_LEN,
    });
}

fn drbg_fill(out: &mut [u8]) -> Result<(), CryptoError> {
    aws_lc_rs::rand::fill(out).map_err(|_| CryptoError::internal("random"))
}

/// `len` random bytes for a value that becomes public (an IV, a nonce), never for a key.
pub fn public_random(len: usize) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; len];
    if len > MAX_POOLED {
        drbg_fill(&mut out)?;
        return Ok(out);
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if POOL_LEN - pool.used < len {
            drbg_fill(&mut pool.bytes[..])?;
            pool.used = 0;
        }
        let start = pool.used;
        out.copy_from_slice(&pool.bytes[start..start + len]);
        // Handed-out bytes are wiped so the pool only ever holds values not yet used.
        pool.bytes[start..start + len].fill(0);
        pool.used += len;
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn values_have_their_length_and_never_repeat_across_refills() {
        let mut seen = HashSet::new();
        // 12- and 16-byte draws interleaved cross many refill boundaries at odd offsets.
        for i in 0..3 * POOL_LEN {
            let len = if i % 3 == 0 { 16 } else { 12 };
            let v = public_random(len).unwrap();
            assert_eq!(v.len(), len);
            assert!(seen.insert(v), "draw {i} repeated an earlier value");
        }
    }

    #[test]
    fn long_and_empty_requests_are_served() {
        assert!(public_random(0).unwrap().is_empty());
        let a = public_random(MAX_POOLED + 1).unwrap();
        let b = public_random(MAX_POOLED + 1).unwrap();
        assert_eq!(a.len(), MAX_POOLED + 1);
        assert_ne!(a, b);
        assert_eq!(public_random(POOL_LEN * 2).unwrap().len(), POOL_LEN * 2);
    }

    #[test]
    fn threads_draw_different_values() {
        let draw = || {
            (0..64)
                .map(|_| public_random(12).unwrap())
                .collect::<Vec<_>>()
        };
        let here: HashSet<Vec<u8>> = draw().into_iter().collect();
        let there = std::thread::spawn(draw).join().unwrap();
        assert!(there.iter().all(|v| !here.contains(v)));
    }
}
