//! Random IVs and nonces: values sent in clear with a ciphertext.
//!
//! Every value is drawn from aws-lc's DRBG by its own call, with no buffering of our own. A pool
//! of pre-drawn bytes (stop 11) was cheaper, but it copied aws-lc's state outside aws-lc's
//! protections: a forked child, a VM restored from a snapshot or a cloned cloud image would hand
//! out the same AES-GCM IVs again, which breaks GCM for every key involved. Each `RAND_bytes`
//! call instead:
//!
//! - checks for a fork (a `MADV_WIPEONFORK` page) and reseeds the thread's DRBG after one;
//! - checks the VM generation counter (SysGenID, where the hypervisor and kernel expose it);
//! - mixes fresh CPU randomness (`RDRAND`/`RNDR`) into every generate call as prediction
//!   resistance, so two copies of one DRBG state (a snapshot restored twice) still diverge.
//!
//! `tests/fork_safety.rs` shows the fork case. Keys do not come from here: they use
//! [`crate::random_bytes`], which has the same source and exists to keep the two uses apart.

use crate::CryptoError;

/// `len` random bytes for a value that becomes public (an IV, a nonce), never for a key.
pub fn public_random(len: usize) -> Result<Vec<u8>, CryptoError> {
    let mut out = vec![0u8; len];
    aws_lc_rs::rand::fill(&mut out).map_err(|_| CryptoError::internal("random"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn values_have_their_length_and_never_repeat() {
        let mut seen = HashSet::new();
        for i in 0..10_000 {
            let len = if i % 3 == 0 { 16 } else { 12 };
            let v = public_random(len).unwrap();
            assert_eq!(v.len(), len);
            assert!(seen.insert(v), "draw {i} repeated an earlier value");
        }
        assert!(public_random(0).unwrap().is_empty());
        assert_eq!(public_random(8192).unwrap().len(), 8192);
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
