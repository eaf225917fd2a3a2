//! Managed objects as carried in Register and Get: key blocks, key values and key material.

use crate::attributes::Attributes;
use crate::enums::{
    BlockCipherMode, CertificateType, CryptographicAlgorithm, DigitalSignatureAlgorithm,
    EncodingOption, HashingAlgorithm, KeyCompressionType, KeyFormatType, KeyRoleType,
    MaskGenerator, PaddingMethod, RecommendedCurve, SecretDataType, WrappingMethod,
};
use zeroize::Zeroizing;

/// A managed object with its content.
#[derive(Clone, Debug, PartialEq)]
pub enum ManagedObject {
    /// Symmetric Key.
    SymmetricKey(KeyBlock),
    /// Public Key.
    PublicKey(KeyBlock),
    /// Private Key.
    PrivateKey(KeyBlock),
    /// Secret Data.
    SecretData {
        /// Secret Data Type.
        secret_data_type: SecretDataType,
        /// The key block holding the secret.
        key_block: KeyBlock,
    },
    /// Opaque Object.
    OpaqueObject {
        /// Opaque Data Type (vendor-defined value).
        opaque_data_type: u32,
        /// Opaque Data Value.
        value: Zeroizing<Vec<u8>>,
    },
    /// Certificate.
    Certificate {
        /// Certificate Type.
        certificate_type: CertificateType,
        /// Certificate Value (DER).
        value: Vec<u8>,
    },
}

/// A Key Block.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyBlock {
    /// Key Format Type of the key value.
    pub key_format_type: KeyFormatType,
    /// Key Compression Type.
    pub key_compression_type: Option<KeyCompressionType>,
    /// The key value: material in clear, or wrapped bytes when `key_wrapping_data` is present.
    pub key_value: KeyValue,
    /// Cryptographic Algorithm.
    pub cryptographic_algorithm: Option<CryptographicAlgorithm>,
    /// Cryptographic Length in bits.
    pub cryptographic_length: Option<i32>,
    /// Key Wrapping Data, when the value is wrapped.
    pub key_wrapping_data: Option<KeyWrappingData>,
}

/// A Key Value.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyValue {
    /// Key material in clear, with attributes carried inside the key value (rare).
    Plain {
        /// The material.
        material: KeyMaterial,
        /// Attributes inside the Key Value structure.
        attributes: Attributes,
    },
    /// A wrapped key value: opaque bytes as produced by the wrapping method.
    Wrapped(Vec<u8>),
}

/// Key material in one of the formats KMIP defines.
///
/// All variants hold secrets or may: every byte buffer is zeroized on drop; `Debug` redacts.
#[derive(Clone, PartialEq)]
pub enum KeyMaterial {
    /// Raw, PKCS#1, PKCS#8, X.509 (SPKI) or opaque bytes, as named by the Key Format Type.
    Bytes(Zeroizing<Vec<u8>>),
    /// Transparent Symmetric Key.
    TransparentSymmetric {
        /// Key.
        key: Zeroizing<Vec<u8>>,
    },
    /// Transparent RSA Private Key (big-endian unsigned integers).
    TransparentRsaPrivate {
        /// Modulus.
        modulus: Vec<u8>,
        /// Private Exponent.
        private_exponent: Option<Zeroizing<Vec<u8>>>,
        /// Public Exponent.
        public_exponent: Option<Vec<u8>>,
        /// P.
        p: Option<Zeroizing<Vec<u8>>>,
        /// Q.
        q: Option<Zeroizing<Vec<u8>>>,
        /// Prime Exponent P.
        prime_exponent_p: Option<Zeroizing<Vec<u8>>>,
        /// Prime Exponent Q.
        prime_exponent_q: Option<Zeroizing<Vec<u8>>>,
        /// CRT Coefficient.
        crt_coefficient: Option<Zeroizing<Vec<u8>>>,
    },
    /// Transparent RSA Public Key.
    TransparentRsaPublic {
        /// Modulus.
        modulus: Vec<u8>,
        /// Public Exponent.
        public_exponent: Vec<u8>,
    },
    /// Transparent EC Private Key (also used for Ed25519 in 2.x).
    TransparentEcPrivate {
        /// Recommended Curve.
        curve: RecommendedCurve,
        /// D, the private scalar.
        d: Zeroizing<Vec<u8>>,
    },
    /// Transparent EC Public Key.
    TransparentEcPublic {
        /// Recommended Curve.
        curve: RecommendedCurve,
        /// Q String, the encoded point.
        q_string: Vec<u8>,
    },
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            KeyMaterial::Bytes(_) => "Bytes",
            KeyMaterial::TransparentSymmetric { .. } => "TransparentSymmetric",
            KeyMaterial::TransparentRsaPrivate { .. } => "TransparentRsaPrivate",
            KeyMaterial::TransparentRsaPublic { .. } => "TransparentRsaPublic",
            KeyMaterial::TransparentEcPrivate { .. } => "TransparentEcPrivate",
            KeyMaterial::TransparentEcPublic { .. } => "TransparentEcPublic",
        };
        write!(f, "KeyMaterial::{kind}(<redacted>)")
    }
}

/// Key Wrapping Data of a wrapped key block.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyWrappingData {
    /// Wrapping Method.
    pub wrapping_method: WrappingMethod,
    /// Encryption Key Information: the wrapping key's identifier.
    pub encryption_key_uid: Option<String>,
    /// Encryption Key Information: its cryptographic parameters.
    pub encryption_parameters: Option<CryptographicParameters>,
    /// MAC/Signature Key Information: the key's identifier.
    pub mac_signature_key_uid: Option<String>,
    /// IV/Counter/Nonce used for wrapping.
    pub iv_counter_nonce: Option<Vec<u8>>,
    /// Encoding Option.
    pub encoding_option: Option<EncodingOption>,
}

/// Key Wrapping Specification of a Get request.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyWrappingSpecification {
    /// Wrapping Method.
    pub wrapping_method: WrappingMethod,
    /// Encryption Key Information: the wrapping key's identifier.
    pub encryption_key_uid: Option<String>,
    /// Encryption Key Information: its cryptographic parameters.
    pub encryption_parameters: Option<CryptographicParameters>,
    /// MAC/Signature Key Information: the key's identifier.
    pub mac_signature_key_uid: Option<String>,
    /// Attribute Names to wrap with the key.
    pub attribute_names: Vec<String>,
    /// Encoding Option.
    pub encoding_option: Option<EncodingOption>,
}

/// Cryptographic Parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CryptographicParameters {
    /// Block Cipher Mode.
    pub block_cipher_mode: Option<BlockCipherMode>,
    /// Padding Method.
    pub padding_method: Option<PaddingMethod>,
    /// Hashing Algorithm.
    pub hashing_algorithm: Option<HashingAlgorithm>,
    /// Key Role Type.
    pub key_role_type: Option<KeyRoleType>,
    /// Digital Signature Algorithm.
    pub digital_signature_algorithm: Option<DigitalSignatureAlgorithm>,
    /// Cryptographic Algorithm.
    pub cryptographic_algorithm: Option<CryptographicAlgorithm>,
    /// Random IV: the server generates the IV.
    pub random_iv: Option<bool>,
    /// IV Length in bits.
    pub iv_length: Option<i32>,
    /// Tag Length in bytes.
    pub tag_length: Option<i32>,
    /// Fixed Field Length.
    pub fixed_field_length: Option<i32>,
    /// Invocation Field Length.
    pub invocation_field_length: Option<i32>,
    /// Counter Length.
    pub counter_length: Option<i32>,
    /// Initial Counter Value.
    pub initial_counter_value: Option<i32>,
    /// Salt Length (PSS).
    pub salt_length: Option<i32>,
    /// Mask Generator (OAEP, PSS).
    pub mask_generator: Option<MaskGenerator>,
    /// Mask Generator Hashing Algorithm.
    pub mask_generator_hashing_algorithm: Option<HashingAlgorithm>,
    /// P Source (OAEP label).
    pub p_source: Option<Vec<u8>>,
    /// Trailer Field.
    pub trailer_field: Option<i32>,
}
