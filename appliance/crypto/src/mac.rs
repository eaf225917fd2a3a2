//! HMAC.

use aws_lc_rs::hmac as lc;

use crate::HashAlg;

fn algorithm(hash: HashAlg) -> lc::Algorithm {
    match hash {
        HashAlg::Sha1 => lc::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        HashAlg::Sha224 => lc::HMAC_SHA224,
        HashAlg::Sha256 => lc::HMAC_SHA256,
        HashAlg::Sha384 => lc::HMAC_SHA384,
        HashAlg::Sha512 => lc::HMAC_SHA512,
    }
}

/// HMAC of `data` under `key` with `hash` (all of SHA-1, SHA-224, SHA-256, SHA-384, SHA-512).
pub fn hmac(hash: HashAlg, key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = lc::Key::new(algorithm(hash), key);
    lc::sign(&key, data).as_ref().to_vec()
}

/// Whether `mac` is the full HMAC of `data` under `key`; compared in constant time.
pub fn hmac_verify(hash: HashAlg, key: &[u8], data: &[u8], mac: &[u8]) -> bool {
    let key = lc::Key::new(algorithm(hash), key);
    lc::verify(&key, data, mac).is_ok()
}
