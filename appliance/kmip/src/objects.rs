//! Managed objects as carried in Register and Get: key blocks, key values and key material.

use crate::attributes::Attributes;
use crate::enums::{
    BlockCipherMode, CertificateType, CryptographicAlgorithm, DigitalSignatureAlgorithm,
    EncodingOption, HashingAlgorithm, KeyCompressionType, KeyFormatType, KeyRoleType,
    MaskGenerator, PaddingMethod, RecommendedCurve, SecretDataType, WrappingMethod,
};
use zeroize::Zeroizing;

/// A managed object with its content. `Debug` shows byte contents as lengths only.
#[derive(Clone, PartialEq)]
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

/// A Key Value. `Debug` shows wrapped bytes as a length only.
#[derive(Clone, PartialEq)]
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
    /// Transparent DSA Private Key.
    TransparentDsaPrivate {
        /// P, the prime modulus.
        p: Vec<u8>,
        /// Q, the prime divisor of P-1.
        q: Vec<u8>,
        /// G, the generator.
        g: Vec<u8>,
        /// X, the private key.
        x: Zeroizing<Vec<u8>>,
    },
    /// Transparent DSA Public Key.
    TransparentDsaPublic {
        /// P.
        p: Vec<u8>,
        /// Q.
        q: Vec<u8>,
        /// G.
        g: Vec<u8>,
        /// Y, the public key.
        y: Vec<u8>,
    },
    /// Transparent DH Private Key.
    TransparentDhPrivate {
        /// P, the prime modulus.
        p: Vec<u8>,
        /// Q, the prime factor of P-1.
        q: Option<Vec<u8>>,
        /// G, the generator.
        g: Vec<u8>,
        /// J, (P-1)/Q.
        j: Option<Vec<u8>>,
        /// X, the private key.
        x: Zeroizing<Vec<u8>>,
    },
    /// Transparent DH Public Key.
    TransparentDhPublic {
        /// P.
        p: Vec<u8>,
        /// Q.
        q: Option<Vec<u8>>,
        /// G.
        g: Vec<u8>,
        /// J.
        j: Option<Vec<u8>>,
        /// Y, the public key.
        y: Vec<u8>,
    },
}

impl std::fmt::Debug for ManagedObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManagedObject::SymmetricKey(k) => f.debug_tuple("SymmetricKey").field(k).finish(),
            ManagedObject::PublicKey(k) => f.debug_tuple("PublicKey").field(k).finish(),
            ManagedObject::PrivateKey(k) => f.debug_tuple("PrivateKey").field(k).finish(),
            ManagedObject::SecretData {
                secret_data_type,
                key_block,
            } => f
                .debug_struct("SecretData")
                .field("secret_data_type", secret_data_type)
                .field("key_block", key_block)
                .finish(),
            ManagedObject::OpaqueObject {
                opaque_data_type,
                value,
            } => f
                .debug_struct("OpaqueObject")
                .field("opaque_data_type", opaque_data_type)
                .field("value", &format_args!("<{} bytes>", value.len()))
                .finish(),
            ManagedObject::Certificate {
                certificate_type,
                value,
            } => f
                .debug_struct("Certificate")
                .field("certificate_type", certificate_type)
                .field("value", &format_args!("<{} bytes>", value.len()))
                .finish(),
        }
    }
}

impl std::fmt::Debug for KeyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyValue::Plain {
                material,
                attributes,
            } => f
                .debug_struct("Plain")
                .field("material", material)
                .field("attributes", attributes)
                .finish(),
            KeyValue::Wrapped(b) => write!(f, "Wrapped(<{} bytes>)", b.len()),
        }
    }
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
            KeyMaterial::TransparentDsaPrivate { .. } => "TransparentDsaPrivate",
            KeyMaterial::TransparentDsaPublic { .. } => "TransparentDsaPublic",
            KeyMaterial::TransparentDhPrivate { .. } => "TransparentDhPrivate",
            KeyMaterial::TransparentDhPublic { .. } => "TransparentDhPublic",
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

// ---------------------------------------------------------------------------------------------
// TTLV conversion
// ---------------------------------------------------------------------------------------------

use crate::KmipError;
use crate::convert::{Reader, Writer, invalid};
use crate::enums::{ObjectType, ResultReason};
use crate::structures::{self, Structure};
use crate::tags;
use crate::ttlv::{Tag, Ttlv, Value};
use crate::version::ProtocolVersion;

impl ManagedObject {
    /// The Object Type of this object.
    pub fn object_type(&self) -> ObjectType {
        match self {
            ManagedObject::SymmetricKey(_) => ObjectType::SymmetricKey,
            ManagedObject::PublicKey(_) => ObjectType::PublicKey,
            ManagedObject::PrivateKey(_) => ObjectType::PrivateKey,
            ManagedObject::SecretData { .. } => ObjectType::SecretData,
            ManagedObject::OpaqueObject { .. } => ObjectType::OpaqueObject,
            ManagedObject::Certificate { .. } => ObjectType::Certificate,
        }
    }

    /// The tag of the object's structure (Symmetric Key, Certificate, …).
    pub fn tag(&self) -> Tag {
        object_tag(self.object_type()).unwrap_or(tags::SYMMETRIC_KEY)
    }

    /// The key block, for key-block objects.
    pub fn key_block(&self) -> Option<&KeyBlock> {
        match self {
            ManagedObject::SymmetricKey(k)
            | ManagedObject::PublicKey(k)
            | ManagedObject::PrivateKey(k)
            | ManagedObject::SecretData { key_block: k, .. } => Some(k),
            _ => None,
        }
    }

    /// Finds and decodes the object structure among a payload's children, given its type.
    pub fn find_in(
        items: &[Ttlv],
        object_type: ObjectType,
        ver: ProtocolVersion,
    ) -> Result<Self, KmipError> {
        let Some(tag) = object_tag(object_type) else {
            return Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                format!("object type {object_type} is not supported"),
            ));
        };
        match items.iter().find(|i| i.tag == tag) {
            Some(item) => Self::from_ttlv(item, ver),
            None => Err(crate::convert::missing(ver, "payload", tag)),
        }
    }

    /// Decodes an object structure; its tag names the object type.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let t = item.tag;
        let key_block = |s: &Structure| -> Result<KeyBlock, KmipError> {
            let r = s.read(ver, item)?;
            KeyBlock::from_ttlv(r.req(tags::KEY_BLOCK)?, ver)
        };
        if t == tags::SYMMETRIC_KEY {
            Ok(ManagedObject::SymmetricKey(key_block(
                &structures::SYMMETRIC_KEY,
            )?))
        } else if t == tags::PUBLIC_KEY {
            Ok(ManagedObject::PublicKey(key_block(
                &structures::PUBLIC_KEY,
            )?))
        } else if t == tags::PRIVATE_KEY {
            Ok(ManagedObject::PrivateKey(key_block(
                &structures::PRIVATE_KEY,
            )?))
        } else if t == tags::SECRET_DATA {
            let r = structures::SECRET_DATA.read(ver, item)?;
            Ok(ManagedObject::SecretData {
                secret_data_type: r.req_enum(tags::SECRET_DATA_TYPE)?,
                key_block: KeyBlock::from_ttlv(r.req(tags::KEY_BLOCK)?, ver)?,
            })
        } else if t == tags::OPAQUE_OBJECT {
            let r = structures::OPAQUE_OBJECT.read(ver, item)?;
            let raw = r.raw_enum(r.req(tags::OPAQUE_DATA_TYPE)?)?;
            let value = r.secret(tags::OPAQUE_DATA_VALUE)?.ok_or_else(|| {
                crate::convert::missing(ver, "Opaque Object", tags::OPAQUE_DATA_VALUE)
            })?;
            Ok(ManagedObject::OpaqueObject {
                opaque_data_type: raw,
                value,
            })
        } else if t == tags::CERTIFICATE {
            let r = structures::CERTIFICATE.read(ver, item)?;
            Ok(ManagedObject::Certificate {
                certificate_type: r.req_enum(tags::CERTIFICATE_TYPE)?,
                value: r.req_bytes(tags::CERTIFICATE_VALUE)?,
            })
        } else {
            Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                format!(
                    "object {} is not supported",
                    crate::convert::tag_name(item.tag)
                ),
            ))
        }
    }

    /// Encodes the object structure.
    pub fn to_ttlv(&self, ver: ProtocolVersion) -> Ttlv {
        let mut w = Writer::new();
        match self {
            ManagedObject::SymmetricKey(k)
            | ManagedObject::PublicKey(k)
            | ManagedObject::PrivateKey(k) => {
                w.push(k.to_ttlv(ver));
            }
            ManagedObject::SecretData {
                secret_data_type,
                key_block,
            } => {
                w.enm(tags::SECRET_DATA_TYPE, *secret_data_type)
                    .push(key_block.to_ttlv(ver));
            }
            ManagedObject::OpaqueObject {
                opaque_data_type,
                value,
            } => {
                w.value(
                    tags::OPAQUE_DATA_TYPE,
                    Value::Enumeration(*opaque_data_type),
                )
                .bytes(tags::OPAQUE_DATA_VALUE, value);
            }
            ManagedObject::Certificate {
                certificate_type,
                value,
            } => {
                w.enm(tags::CERTIFICATE_TYPE, *certificate_type)
                    .bytes(tags::CERTIFICATE_VALUE, value);
            }
        }
        w.into_structure(self.tag())
    }
}

/// The structure tag of an object type we can carry.
pub fn object_tag(object_type: ObjectType) -> Option<Tag> {
    Some(match object_type {
        ObjectType::SymmetricKey => tags::SYMMETRIC_KEY,
        ObjectType::PublicKey => tags::PUBLIC_KEY,
        ObjectType::PrivateKey => tags::PRIVATE_KEY,
        ObjectType::SecretData => tags::SECRET_DATA,
        ObjectType::OpaqueObject => tags::OPAQUE_OBJECT,
        ObjectType::Certificate => tags::CERTIFICATE,
        _ => return None,
    })
}

impl KeyBlock {
    /// Decodes a Key Block.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = structures::KEY_BLOCK.read(ver, item)?;
        let key_format_type: KeyFormatType = r.req_enum(tags::KEY_FORMAT_TYPE)?;
        let key_wrapping_data = r
            .opt(tags::KEY_WRAPPING_DATA)
            .map(|i| KeyWrappingData::from_ttlv(i, ver))
            .transpose()?;
        let kv = r.req(tags::KEY_VALUE)?;
        let key_value = match &kv.value {
            Value::ByteString(b) => KeyValue::Wrapped(b.to_vec()),
            Value::Structure(_) => {
                // 1.x lists Attribute items, 2.x one Attributes: the table allows only the
                // version's form.
                let kr = structures::KEY_VALUE.read(ver, kv)?;
                let km = kr.req(tags::KEY_MATERIAL)?;
                let material = if key_wrapping_data.is_some() {
                    // Wrapped material inside a Key Value structure (e.g. MAC-only wrapping
                    // keeps the structure): the material bytes are opaque.
                    match &km.value {
                        Value::ByteString(b) => KeyMaterial::Bytes(b.clone()),
                        _ => KeyMaterial::from_ttlv(km, key_format_type, ver)?,
                    }
                } else {
                    KeyMaterial::from_ttlv(km, key_format_type, ver)?
                };
                let mut attributes = Attributes::default();
                for a in kr.all(tags::ATTRIBUTE) {
                    attributes.push(crate::attributes::Attribute::from_ttlv_1x(a, ver)?);
                }
                if let Some(a) = kr.opt(tags::ATTRIBUTES) {
                    attributes
                        .0
                        .extend(Attributes::from_attributes_2x(a, ver)?.0);
                }
                KeyValue::Plain {
                    material,
                    attributes,
                }
            }
            other => {
                return Err(invalid(
                    "Key Block",
                    tags::KEY_VALUE,
                    format!(
                        "must be a Structure or Byte String, found {:?}",
                        other.item_type()
                    ),
                ));
            }
        };
        Ok(KeyBlock {
            key_format_type,
            key_compression_type: r.enumeration(tags::KEY_COMPRESSION_TYPE)?,
            key_value,
            cryptographic_algorithm: r.enumeration(tags::CRYPTOGRAPHIC_ALGORITHM)?,
            cryptographic_length: r.int(tags::CRYPTOGRAPHIC_LENGTH)?,
            key_wrapping_data,
        })
    }

    /// Encodes the Key Block.
    pub fn to_ttlv(&self, ver: ProtocolVersion) -> Ttlv {
        let mut w = Writer::new();
        w.enm(tags::KEY_FORMAT_TYPE, self.key_format_type)
            .opt_enum(tags::KEY_COMPRESSION_TYPE, self.key_compression_type);
        match &self.key_value {
            KeyValue::Wrapped(b) => {
                w.bytes(tags::KEY_VALUE, b);
            }
            KeyValue::Plain {
                material,
                attributes,
            } => {
                let mut kv = Writer::new();
                kv.push(material.to_ttlv());
                if !attributes.is_empty() {
                    if ver.uses_attributes_form() {
                        kv.push(attributes.to_attributes_2x(tags::ATTRIBUTES));
                    } else {
                        kv.0.extend(attributes.to_attribute_items_1x());
                    }
                }
                w.push(kv.into_structure(tags::KEY_VALUE));
            }
        }
        w.opt_enum(tags::CRYPTOGRAPHIC_ALGORITHM, self.cryptographic_algorithm)
            .opt_int(tags::CRYPTOGRAPHIC_LENGTH, self.cryptographic_length);
        if let Some(kwd) = &self.key_wrapping_data {
            w.push(kwd.to_ttlv(ver));
        }
        w.into_structure(tags::KEY_BLOCK)
    }
}

impl KeyMaterial {
    /// Decodes Key Material according to the Key Format Type.
    pub fn from_ttlv(
        item: &Ttlv,
        format: KeyFormatType,
        ver: ProtocolVersion,
    ) -> Result<Self, KmipError> {
        if let Value::ByteString(b) = &item.value {
            return match format {
                KeyFormatType::TransparentSymmetricKey
                | KeyFormatType::TransparentRsaPrivateKey
                | KeyFormatType::TransparentRsaPublicKey
                | KeyFormatType::TransparentEcPrivateKey
                | KeyFormatType::TransparentEcPublicKey
                | KeyFormatType::TransparentEcdsaPrivateKey
                | KeyFormatType::TransparentEcdsaPublicKey
                | KeyFormatType::TransparentEcdhPrivateKey
                | KeyFormatType::TransparentEcdhPublicKey
                | KeyFormatType::TransparentDsaPrivateKey
                | KeyFormatType::TransparentDsaPublicKey
                | KeyFormatType::TransparentDhPrivateKey
                | KeyFormatType::TransparentDhPublicKey => Err(invalid(
                    "Key Value",
                    tags::KEY_MATERIAL,
                    format!("must be a Structure for key format type {format}"),
                )),
                _ => Ok(KeyMaterial::Bytes(b.clone())),
            };
        }
        let r = match structures::key_material(format) {
            Some(s) => s.read(ver, item)?,
            // A structure for a format whose material is bytes: refused below as unsupported.
            None => Reader::new(ver, "Key Material", item)?,
        };
        let need = |tag: Tag, v: Option<Zeroizing<Vec<u8>>>| {
            v.ok_or_else(|| crate::convert::missing(ver, "Key Material", tag))
        };
        match format {
            KeyFormatType::TransparentSymmetricKey => Ok(KeyMaterial::TransparentSymmetric {
                key: need(tags::KEY, r.secret(tags::KEY)?)?,
            }),
            KeyFormatType::TransparentRsaPrivateKey => Ok(KeyMaterial::TransparentRsaPrivate {
                modulus: need(tags::MODULUS, r.big(tags::MODULUS)?)?.to_vec(),
                private_exponent: r.big(tags::PRIVATE_EXPONENT)?,
                public_exponent: r.big(tags::PUBLIC_EXPONENT)?.map(|v| v.to_vec()),
                p: r.big(tags::P)?,
                q: r.big(tags::Q)?,
                prime_exponent_p: r.big(tags::PRIME_EXPONENT_P)?,
                prime_exponent_q: r.big(tags::PRIME_EXPONENT_Q)?,
                crt_coefficient: r.big(tags::CRT_COEFFICIENT)?,
            }),
            KeyFormatType::TransparentRsaPublicKey => Ok(KeyMaterial::TransparentRsaPublic {
                modulus: need(tags::MODULUS, r.big(tags::MODULUS)?)?.to_vec(),
                public_exponent: need(tags::PUBLIC_EXPONENT, r.big(tags::PUBLIC_EXPONENT)?)?
                    .to_vec(),
            }),
            KeyFormatType::TransparentEcPrivateKey
            | KeyFormatType::TransparentEcdsaPrivateKey
            | KeyFormatType::TransparentEcdhPrivateKey
            | KeyFormatType::TransparentEcmqvPrivateKey => Ok(KeyMaterial::TransparentEcPrivate {
                curve: r.req_enum(tags::RECOMMENDED_CURVE)?,
                d: need(tags::D, r.big(tags::D)?)?,
            }),
            KeyFormatType::TransparentEcPublicKey
            | KeyFormatType::TransparentEcdsaPublicKey
            | KeyFormatType::TransparentEcdhPublicKey
            | KeyFormatType::TransparentEcmqvPublicKey => Ok(KeyMaterial::TransparentEcPublic {
                curve: r.req_enum(tags::RECOMMENDED_CURVE)?,
                q_string: r.req_bytes(tags::Q_STRING)?,
            }),
            KeyFormatType::TransparentDsaPrivateKey => Ok(KeyMaterial::TransparentDsaPrivate {
                p: need(tags::P, r.big(tags::P)?)?.to_vec(),
                q: need(tags::Q, r.big(tags::Q)?)?.to_vec(),
                g: need(tags::G, r.big(tags::G)?)?.to_vec(),
                x: need(tags::X, r.big(tags::X)?)?,
            }),
            KeyFormatType::TransparentDsaPublicKey => Ok(KeyMaterial::TransparentDsaPublic {
                p: need(tags::P, r.big(tags::P)?)?.to_vec(),
                q: need(tags::Q, r.big(tags::Q)?)?.to_vec(),
                g: need(tags::G, r.big(tags::G)?)?.to_vec(),
                y: need(tags::Y, r.big(tags::Y)?)?.to_vec(),
            }),
            KeyFormatType::TransparentDhPrivateKey => Ok(KeyMaterial::TransparentDhPrivate {
                p: need(tags::P, r.big(tags::P)?)?.to_vec(),
                q: r.big(tags::Q)?.map(|v| v.to_vec()),
                g: need(tags::G, r.big(tags::G)?)?.to_vec(),
                j: r.big(tags::J)?.map(|v| v.to_vec()),
                x: need(tags::X, r.big(tags::X)?)?,
            }),
            KeyFormatType::TransparentDhPublicKey => Ok(KeyMaterial::TransparentDhPublic {
                p: need(tags::P, r.big(tags::P)?)?.to_vec(),
                q: r.big(tags::Q)?.map(|v| v.to_vec()),
                g: need(tags::G, r.big(tags::G)?)?.to_vec(),
                j: r.big(tags::J)?.map(|v| v.to_vec()),
                y: need(tags::Y, r.big(tags::Y)?)?.to_vec(),
            }),
            other => Err(KmipError::new(
                ResultReason::KeyFormatTypeNotSupported,
                format!("Key Material: key format type {other} is not supported"),
            )),
        }
    }

    /// Encodes the Key Material item.
    pub fn to_ttlv(&self) -> Ttlv {
        let mut w = Writer::new();
        match self {
            KeyMaterial::Bytes(b) => {
                return Ttlv::new(tags::KEY_MATERIAL, Value::ByteString(b.clone()));
            }
            KeyMaterial::TransparentSymmetric { key } => {
                w.bytes(tags::KEY, key);
            }
            KeyMaterial::TransparentRsaPrivate {
                modulus,
                private_exponent,
                public_exponent,
                p,
                q,
                prime_exponent_p,
                prime_exponent_q,
                crt_coefficient,
            } => {
                w.big(tags::MODULUS, modulus)
                    .opt_big(
                        tags::PRIVATE_EXPONENT,
                        private_exponent.as_deref().map(|v| v.as_slice()),
                    )
                    .opt_big(tags::PUBLIC_EXPONENT, public_exponent.as_deref())
                    .opt_big(tags::P, p.as_deref().map(|v| v.as_slice()))
                    .opt_big(tags::Q, q.as_deref().map(|v| v.as_slice()))
                    .opt_big(
                        tags::PRIME_EXPONENT_P,
                        prime_exponent_p.as_deref().map(|v| v.as_slice()),
                    )
                    .opt_big(
                        tags::PRIME_EXPONENT_Q,
                        prime_exponent_q.as_deref().map(|v| v.as_slice()),
                    )
                    .opt_big(
                        tags::CRT_COEFFICIENT,
                        crt_coefficient.as_deref().map(|v| v.as_slice()),
                    );
            }
            KeyMaterial::TransparentRsaPublic {
                modulus,
                public_exponent,
            } => {
                w.big(tags::MODULUS, modulus)
                    .big(tags::PUBLIC_EXPONENT, public_exponent);
            }
            KeyMaterial::TransparentEcPrivate { curve, d } => {
                w.enm(tags::RECOMMENDED_CURVE, *curve).big(tags::D, d);
            }
            KeyMaterial::TransparentEcPublic { curve, q_string } => {
                w.enm(tags::RECOMMENDED_CURVE, *curve)
                    .bytes(tags::Q_STRING, q_string);
            }
            KeyMaterial::TransparentDsaPrivate { p, q, g, x } => {
                w.big(tags::P, p)
                    .big(tags::Q, q)
                    .big(tags::G, g)
                    .big(tags::X, x);
            }
            KeyMaterial::TransparentDsaPublic { p, q, g, y } => {
                w.big(tags::P, p)
                    .big(tags::Q, q)
                    .big(tags::G, g)
                    .big(tags::Y, y);
            }
            KeyMaterial::TransparentDhPrivate { p, q, g, j, x } => {
                w.big(tags::P, p)
                    .opt_big(tags::Q, q.as_deref())
                    .big(tags::G, g)
                    .opt_big(tags::J, j.as_deref())
                    .big(tags::X, x);
            }
            KeyMaterial::TransparentDhPublic { p, q, g, j, y } => {
                w.big(tags::P, p)
                    .opt_big(tags::Q, q.as_deref())
                    .big(tags::G, g)
                    .opt_big(tags::J, j.as_deref())
                    .big(tags::Y, y);
            }
        }
        w.into_structure(tags::KEY_MATERIAL)
    }
}

/// Decodes an Encryption Key Information or MAC/Signature Key Information structure.
fn key_information(
    item: &Ttlv,
    ver: ProtocolVersion,
    structure: &Structure,
) -> Result<(Option<String>, Option<CryptographicParameters>), KmipError> {
    let r = structure.read(ver, item)?;
    let params = r
        .opt(tags::CRYPTOGRAPHIC_PARAMETERS)
        .map(|p| CryptographicParameters::from_ttlv(p, ver))
        .transpose()?;
    Ok((r.text(tags::UNIQUE_IDENTIFIER)?, params))
}

/// Encodes a key information structure.
fn key_information_to_ttlv(
    tag: Tag,
    uid: Option<&str>,
    params: Option<&CryptographicParameters>,
) -> Ttlv {
    let mut w = Writer::new();
    w.opt_text(tags::UNIQUE_IDENTIFIER, uid);
    if let Some(p) = params {
        w.push(p.to_ttlv());
    }
    w.into_structure(tag)
}

/// The Encryption Key Information (identifier, parameters) and the MAC/Signature Key
/// Information identifier shared by Key Wrapping Data and Key Wrapping Specification.
type WrappingKeys = (
    Option<String>,
    Option<CryptographicParameters>,
    Option<String>,
);

/// Reads the key information items of a Key Wrapping Data or Specification.
fn wrapping_keys_in(r: &Reader<'_>, ver: ProtocolVersion) -> Result<WrappingKeys, KmipError> {
    let (encryption_key_uid, encryption_parameters) = match r.opt(tags::ENCRYPTION_KEY_INFORMATION)
    {
        Some(i) => key_information(i, ver, &structures::ENCRYPTION_KEY_INFORMATION)?,
        None => (None, None),
    };
    let mac_signature_key_uid = match r.opt(tags::MAC_SIGNATURE_KEY_INFORMATION) {
        Some(i) => key_information(i, ver, &structures::MAC_SIGNATURE_KEY_INFORMATION)?.0,
        None => None,
    };
    Ok((
        encryption_key_uid,
        encryption_parameters,
        mac_signature_key_uid,
    ))
}

/// Writes the key information items of a Key Wrapping Data or Specification.
fn wrapping_keys_out(
    w: &mut Writer,
    encryption_key_uid: Option<&str>,
    encryption_parameters: Option<&CryptographicParameters>,
    mac_signature_key_uid: Option<&str>,
) {
    if encryption_key_uid.is_some() || encryption_parameters.is_some() {
        w.push(key_information_to_ttlv(
            tags::ENCRYPTION_KEY_INFORMATION,
            encryption_key_uid,
            encryption_parameters,
        ));
    }
    if let Some(uid) = mac_signature_key_uid {
        w.push(key_information_to_ttlv(
            tags::MAC_SIGNATURE_KEY_INFORMATION,
            Some(uid),
            None,
        ));
    }
}

impl KeyWrappingData {
    /// Decodes Key Wrapping Data. The MAC/Signature and its key's parameters are not kept.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = structures::KEY_WRAPPING_DATA.read(ver, item)?;
        let (encryption_key_uid, encryption_parameters, mac_signature_key_uid) =
            wrapping_keys_in(&r, ver)?;
        Ok(KeyWrappingData {
            wrapping_method: r.req_enum(tags::WRAPPING_METHOD)?,
            encryption_key_uid,
            encryption_parameters,
            mac_signature_key_uid,
            iv_counter_nonce: r.bytes(tags::IV_COUNTER_NONCE)?,
            encoding_option: r.enumeration(tags::ENCODING_OPTION)?,
        })
    }

    /// Encodes Key Wrapping Data.
    pub fn to_ttlv(&self, _ver: ProtocolVersion) -> Ttlv {
        let mut w = Writer::new();
        w.enm(tags::WRAPPING_METHOD, self.wrapping_method);
        wrapping_keys_out(
            &mut w,
            self.encryption_key_uid.as_deref(),
            self.encryption_parameters.as_ref(),
            self.mac_signature_key_uid.as_deref(),
        );
        w.opt_bytes(tags::IV_COUNTER_NONCE, self.iv_counter_nonce.as_deref())
            .opt_enum(tags::ENCODING_OPTION, self.encoding_option);
        w.into_structure(tags::KEY_WRAPPING_DATA)
    }
}

impl KeyWrappingSpecification {
    /// Decodes a Key Wrapping Specification.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = structures::KEY_WRAPPING_SPECIFICATION.read(ver, item)?;
        let (encryption_key_uid, encryption_parameters, mac_signature_key_uid) =
            wrapping_keys_in(&r, ver)?;
        Ok(KeyWrappingSpecification {
            wrapping_method: r.req_enum(tags::WRAPPING_METHOD)?,
            encryption_key_uid,
            encryption_parameters,
            mac_signature_key_uid,
            attribute_names: r.texts(tags::ATTRIBUTE_NAME)?,
            encoding_option: r.enumeration(tags::ENCODING_OPTION)?,
        })
    }

    /// Encodes the Key Wrapping Specification.
    pub fn to_ttlv(&self) -> Ttlv {
        let mut w = Writer::new();
        w.enm(tags::WRAPPING_METHOD, self.wrapping_method);
        wrapping_keys_out(
            &mut w,
            self.encryption_key_uid.as_deref(),
            self.encryption_parameters.as_ref(),
            self.mac_signature_key_uid.as_deref(),
        );
        for n in &self.attribute_names {
            w.text(tags::ATTRIBUTE_NAME, n);
        }
        w.opt_enum(tags::ENCODING_OPTION, self.encoding_option);
        w.into_structure(tags::KEY_WRAPPING_SPECIFICATION)
    }
}

impl CryptographicParameters {
    /// Decodes Cryptographic Parameters.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = structures::CRYPTOGRAPHIC_PARAMETERS.read(ver, item)?;
        Ok(CryptographicParameters {
            block_cipher_mode: r.enumeration(tags::BLOCK_CIPHER_MODE)?,
            padding_method: r.enumeration(tags::PADDING_METHOD)?,
            hashing_algorithm: r.enumeration(tags::HASHING_ALGORITHM)?,
            key_role_type: r.enumeration(tags::KEY_ROLE_TYPE)?,
            digital_signature_algorithm: r.enumeration(tags::DIGITAL_SIGNATURE_ALGORITHM)?,
            cryptographic_algorithm: r.enumeration(tags::CRYPTOGRAPHIC_ALGORITHM)?,
            random_iv: r.boolean(tags::RANDOM_IV)?,
            iv_length: r.int(tags::IV_LENGTH)?,
            tag_length: r.int(tags::TAG_LENGTH)?,
            fixed_field_length: r.int(tags::FIXED_FIELD_LENGTH)?,
            invocation_field_length: r.int(tags::INVOCATION_FIELD_LENGTH)?,
            counter_length: r.int(tags::COUNTER_LENGTH)?,
            initial_counter_value: r.int(tags::INITIAL_COUNTER_VALUE)?,
            salt_length: r.int(tags::SALT_LENGTH)?,
            mask_generator: r.enumeration(tags::MASK_GENERATOR)?,
            mask_generator_hashing_algorithm: r
                .enumeration(tags::MASK_GENERATOR_HASHING_ALGORITHM)?,
            p_source: r.bytes(tags::P_SOURCE)?,
            trailer_field: r.int(tags::TRAILER_FIELD)?,
        })
    }

    /// Encodes Cryptographic Parameters.
    pub fn to_ttlv(&self) -> Ttlv {
        let mut w = Writer::new();
        w.opt_enum(tags::BLOCK_CIPHER_MODE, self.block_cipher_mode)
            .opt_enum(tags::PADDING_METHOD, self.padding_method)
            .opt_enum(tags::HASHING_ALGORITHM, self.hashing_algorithm)
            .opt_enum(tags::KEY_ROLE_TYPE, self.key_role_type)
            .opt_enum(
                tags::DIGITAL_SIGNATURE_ALGORITHM,
                self.digital_signature_algorithm,
            )
            .opt_enum(tags::CRYPTOGRAPHIC_ALGORITHM, self.cryptographic_algorithm)
            .opt_bool(tags::RANDOM_IV, self.random_iv)
            .opt_int(tags::IV_LENGTH, self.iv_length)
            .opt_int(tags::TAG_LENGTH, self.tag_length)
            .opt_int(tags::FIXED_FIELD_LENGTH, self.fixed_field_length)
            .opt_int(tags::INVOCATION_FIELD_LENGTH, self.invocation_field_length)
            .opt_int(tags::COUNTER_LENGTH, self.counter_length)
            .opt_int(tags::INITIAL_COUNTER_VALUE, self.initial_counter_value)
            .opt_int(tags::SALT_LENGTH, self.salt_length)
            .opt_enum(tags::MASK_GENERATOR, self.mask_generator)
            .opt_enum(
                tags::MASK_GENERATOR_HASHING_ALGORITHM,
                self.mask_generator_hashing_algorithm,
            )
            .opt_bytes(tags::P_SOURCE, self.p_source.as_deref())
            .opt_int(tags::TRAILER_FIELD, self.trailer_field);
        w.into_structure(tags::CRYPTOGRAPHIC_PARAMETERS)
    }
}
