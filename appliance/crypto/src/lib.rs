//! Cryptographic operations of the Keywarden KMS, on aws-lc-rs.
//!
//! This crate owns key generation, the conversion and validation of key formats (PKCS#8, SPKI,
//! PKCS#1, SEC1, transparent components, X.509 certificates), symmetric encryption (AES-GCM,
//! AES-CBC, AES-CTR), AES key wrap (RFC 3394 / RFC 5649), RSA-OAEP, signatures and HMAC.
//!
//! It is KMIP-agnostic: it offers its own small enums and the KMS layer maps KMIP parameters to
//! them. It must never depend on `keywarden-kmip`, never log or print key material, never
//! hand-write ASN.1 (DER goes through RustCrypto's `der`/`pkcs1`/`pkcs8`/`spki`/`sec1`) and never
//! panic on outside input: every parser here sees bytes from a KMIP Register.
//!
//! Canonical storage forms: private keys are PKCS#8 v1 DER, public keys are SPKI DER, symmetric
//! keys are raw bytes and certificates are X.509 DER.

mod error;
mod formats;
mod keygen;
mod mac;
mod nonce;
mod oaep;
mod signature;
mod symmetric;
#[cfg(test)]
mod testdata;
mod wrap;

pub use error::CryptoError;
pub use formats::{
    AsymmetricKind, CertificateInfo, RsaPrivateComponents, canonical_private_pkcs8,
    certificate_info, certificate_public_key, ec_private_from_scalar, ec_private_pkcs8_to_sec1,
    ec_private_scalar, ec_private_sec1_to_pkcs8, ec_public_from_point, ec_public_point,
    inspect_private_pkcs8, inspect_public_spki, public_from_private, rsa_private_components,
    rsa_private_from_components, rsa_private_pkcs1_to_pkcs8, rsa_private_pkcs8_to_pkcs1,
    rsa_public_components, rsa_public_from_components, rsa_public_pkcs1_to_spki,
    rsa_public_spki_to_pkcs1,
};
pub use keygen::{
    GeneratedKeyPair, KeyPairSpec, generate_aes_key, generate_key_pair, generate_symmetric,
    random_bytes,
};
pub use mac::{hmac, hmac_verify};
pub use nonce::public_random;
pub use oaep::{OaepHash, rsa_oaep_decrypt, rsa_oaep_encrypt};
pub use signature::{HashAlg, SignatureScheme, sign, verify};
pub use symmetric::{AesGcmKey, Encrypted, SymmetricMode, aes_decrypt, aes_encrypt};
pub use wrap::{aes_key_unwrap, aes_key_unwrap_pad, aes_key_wrap, aes_key_wrap_pad};

/// Re-exported so callers need not depend on `zeroize` to name the secret container type.
pub use zeroize::Zeroizing;
