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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::hex;

    // RFC 4231 test case 2 and RFC 2202 test case 2 (SHA-1).
    #[test]
    fn known_answers() {
        let cases = [
            (HashAlg::Sha1, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            (
                HashAlg::Sha224,
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            ),
            (
                HashAlg::Sha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                HashAlg::Sha384,
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                 8e2240ca5e69e2c78b3239ecfab21649",
            ),
            (
                HashAlg::Sha512,
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
        ];
        for (hash, want) in cases {
            let mac = hmac(hash, b"Jefe", b"what do ya want for nothing?");
            assert_eq!(mac, hex(want), "{hash:?}");
            assert!(hmac_verify(
                hash,
                b"Jefe",
                b"what do ya want for nothing?",
                &mac
            ));
        }
    }

    #[test]
    fn verify_rejects_wrong_mac_key_data_and_truncation() {
        let mac = hmac(HashAlg::Sha256, b"key", b"data");
        assert!(!hmac_verify(HashAlg::Sha256, b"key", b"datb", &mac));
        assert!(!hmac_verify(HashAlg::Sha256, b"kez", b"data", &mac));
        assert!(!hmac_verify(HashAlg::Sha256, b"key", b"data", &mac[..16]));
        assert!(!hmac_verify(HashAlg::Sha384, b"key", b"data", &mac));
        let mut bad = mac.clone();
        bad[31] ^= 1;
        assert!(!hmac_verify(HashAlg::Sha256, b"key", b"data", &bad));
        assert!(!hmac_verify(HashAlg::Sha256, b"key", b"data", &[]));
    }
}
