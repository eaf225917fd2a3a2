//! The fields of every structure decoded from inside a Request Payload, per protocol version.
//!
//! `schema` holds each payload's own children to its fields; this module does the same one
//! level down and further: Cryptographic Parameters, Key Wrapping Specification, key blocks
//! and key material, Template-Attribute, Attribute, the structured attribute values (Name,
//! Link, Digest, ...). A child outside the structure's fields is refused, never skipped: an
//! extension tag inside an Encrypt's Cryptographic Parameters could be a parameter the client
//! relies on, and a second Block Cipher Mode is a choice the server would make for it.
//!
//! The fields are those of the KMIP 1.0–1.4 §2 and §3 tables and the 2.0/2.1 §2 and §4
//! tables; a field a later 1.x minor added carries its version (Cryptographic Parameters:
//! Digital Signature Algorithm to Initial Counter Value 1.2, Salt Length to Trailer Field 1.4;
//! Encoding Option 1.1; Digest's Key Format Type 1.1). Where 2.0 changed a structure the two
//! families have their own tables: a Key Value holds Attribute items in 1.x and one Attributes
//! structure in 2.x, and a 2.x Attribute names its vendor instead of an index.
//!
//! # Result Reasons
//!
//! The same as for a payload's children (see `schema`): a child that is not a field is Invalid
//! Field in 1.x; in 2.x Invalid Message for a tag KMIP defines ("the invalid use of a known
//! tag") and Unknown Tag for any other. A single-valued field sent twice is Invalid Message in
//! both (1.x §11.1 "the same field is contained in a ... more than once").

use crate::KmipError;
use crate::convert::{Reader, label, stray_reason};
use crate::enums::{KeyFormatType, ResultReason};
use crate::fields::{Field, MAX_FIELDS, Violation, many, one, since, violation};
use crate::tags;
use crate::ttlv::{Tag, Ttlv, Value};
use crate::version::ProtocolVersion;

/// A structure's fields in the 1.x and the 2.x family.
pub(crate) struct Structure {
    /// The spec's name, for error messages.
    pub name: &'static str,
    /// Its fields in KMIP 1.x.
    v1: &'static [Field],
    /// Its fields in KMIP 2.x.
    v2: &'static [Field],
}

/// A structure whose fields are the same in both families.
const fn same(name: &'static str, fields: &'static [Field]) -> Structure {
    Structure {
        name,
        v1: fields,
        v2: fields,
    }
}

impl Structure {
    /// The fields at `ver`.
    pub fn fields(&self, ver: ProtocolVersion) -> &'static [Field] {
        if ver.uses_attributes_form() {
            self.v2
        } else {
            self.v1
        }
    }

    /// Checks that every child is one of the fields at `ver` and single-valued fields appear
    /// once. Allocates only for the error.
    pub fn check(&self, ver: ProtocolVersion, items: &[Ttlv]) -> Result<(), KmipError> {
        match violation(self.fields(ver), ver, items) {
            None => Ok(()),
            Some(Violation::Stray { tag, since }) => Err(self.stray(ver, tag, since)),
            Some(Violation::Twice(tag)) => Err(KmipError::new(
                ResultReason::InvalidMessage,
                format!(
                    "{} (KMIP {ver}): field {} appears more than once; it is single-valued",
                    self.name,
                    label(tag)
                ),
            )),
        }
    }

    /// A reader over `item`, which must be this structure with only its fields at `ver`.
    pub fn read<'a>(&self, ver: ProtocolVersion, item: &'a Ttlv) -> Result<Reader<'a>, KmipError> {
        let r = Reader::new(ver, self.name, item)?;
        self.check(ver, r.items)?;
        Ok(r)
    }

    /// The error for a child that is not a field at `ver` (`since`: the version from which
    /// it would be).
    fn stray(&self, ver: ProtocolVersion, tag: Tag, since: Option<(i32, i32)>) -> KmipError {
        let what = match since {
            Some((major, minor)) => format!("is a field of it only from KMIP {major}.{minor} on"),
            None if tags::is_defined_standard(tag) => "is not a field of it".to_string(),
            None => "is not a field of it, nor a tag the server knows".to_string(),
        };
        KmipError::new(
            stray_reason(ver, tag),
            format!("{} (KMIP {ver}): {} {what}", self.name, label(tag)),
        )
    }
}

/// The error for a child of the 2.x structure `parent` that should be an attribute and is
/// not one (Attributes, New Attribute, Current Attribute).
pub(crate) fn not_an_attribute(ver: ProtocolVersion, parent: &str, tag: Tag) -> KmipError {
    let what = if tags::is_defined_standard(tag) {
        "is not an attribute"
    } else {
        "is not an attribute, nor a tag the server knows"
    };
    KmipError::new(
        stray_reason(ver, tag),
        format!("{parent} (KMIP {ver}): {} {what}", label(tag)),
    )
}

// ---- structures of the payloads ------------------------------------------------------------

/// Protocol Version (Discover Versions).
pub(crate) const PROTOCOL_VERSION: Structure = same(
    "Protocol Version",
    &[
        one(&[tags::PROTOCOL_VERSION_MAJOR]),
        one(&[tags::PROTOCOL_VERSION_MINOR]),
    ],
);

/// Revocation Reason (Revoke, and the attribute of that name).
pub(crate) const REVOCATION_REASON: Structure = same(
    "Revocation Reason",
    &[
        one(&[tags::REVOCATION_REASON_CODE]),
        one(&[tags::REVOCATION_MESSAGE]),
    ],
);

/// Protection Storage Masks and its Common/Private/Public forms (2.x Create, Create Key Pair,
/// Register, Re-key).
pub(crate) const PROTECTION_STORAGE_MASKS: Structure = same(
    "Protection Storage Masks",
    &[many(&[tags::PROTECTION_STORAGE_MASK])],
);

/// Object Groups (2.1 Query).
pub(crate) const OBJECT_GROUPS: Structure = same("Object Groups", &[many(&[tags::OBJECT_GROUP])]);

/// Template-Attribute and its Common/Private/Public Key forms: 1.x, and 2.x Re-key as PyKMIP
/// 0.11 sends it (see `schema`).
pub(crate) const TEMPLATE_ATTRIBUTE: Structure = same(
    "Template-Attribute",
    &[many(&[tags::NAME]), many(&[tags::ATTRIBUTE])],
);

/// The 1.x Attribute: name, index, value. Also read at 2.x inside a Re-key's Template-Attribute.
pub(crate) const ATTRIBUTE_1X: Structure = same(
    "Attribute",
    &[
        one(&[tags::ATTRIBUTE_NAME]),
        one(&[tags::ATTRIBUTE_INDEX]),
        one(&[tags::ATTRIBUTE_VALUE]),
    ],
);

/// The 2.x Attribute of a vendor-defined attribute: 2.0 dropped the index (an attribute
/// instance is named by its value) and added the vendor.
pub(crate) const ATTRIBUTE_2X: Structure = same(
    "Attribute",
    &[
        one(&[tags::VENDOR_IDENTIFICATION]),
        one(&[tags::ATTRIBUTE_NAME]),
        one(&[tags::ATTRIBUTE_VALUE]),
    ],
);

/// The structure form of a 2.x Attribute Reference (a vendor attribute).
pub(crate) const ATTRIBUTE_REFERENCE: Structure = same(
    "Attribute Reference",
    &[
        one(&[tags::VENDOR_IDENTIFICATION]),
        one(&[tags::ATTRIBUTE_NAME]),
    ],
);

/// Cryptographic Parameters (the payload field and the attribute): four fields in 1.0 and
/// 1.1, the AEAD, counter and signature fields from 1.2, the PSS and OAEP fields from 1.4.
pub(crate) const CRYPTOGRAPHIC_PARAMETERS: Structure = same(
    "Cryptographic Parameters",
    &[
        one(&[tags::BLOCK_CIPHER_MODE]),
        one(&[tags::PADDING_METHOD]),
        one(&[tags::HASHING_ALGORITHM]),
        one(&[tags::KEY_ROLE_TYPE]),
        since(one(&[tags::DIGITAL_SIGNATURE_ALGORITHM]), 1, 2),
        since(one(&[tags::CRYPTOGRAPHIC_ALGORITHM]), 1, 2),
        since(one(&[tags::RANDOM_IV]), 1, 2),
        since(one(&[tags::IV_LENGTH]), 1, 2),
        since(one(&[tags::TAG_LENGTH]), 1, 2),
        since(one(&[tags::FIXED_FIELD_LENGTH]), 1, 2),
        since(one(&[tags::INVOCATION_FIELD_LENGTH]), 1, 2),
        since(one(&[tags::COUNTER_LENGTH]), 1, 2),
        since(one(&[tags::INITIAL_COUNTER_VALUE]), 1, 2),
        since(one(&[tags::SALT_LENGTH]), 1, 4),
        since(one(&[tags::MASK_GENERATOR]), 1, 4),
        since(one(&[tags::MASK_GENERATOR_HASHING_ALGORITHM]), 1, 4),
        since(one(&[tags::P_SOURCE]), 1, 4),
        since(one(&[tags::TRAILER_FIELD]), 1, 4),
    ],
);

/// Key Wrapping Specification (Get).
pub(crate) const KEY_WRAPPING_SPECIFICATION: Structure = same(
    "Key Wrapping Specification",
    &[
        one(&[tags::WRAPPING_METHOD]),
        one(&[tags::ENCRYPTION_KEY_INFORMATION]),
        one(&[tags::MAC_SIGNATURE_KEY_INFORMATION]),
        many(&[tags::ATTRIBUTE_NAME]),
        since(one(&[tags::ENCODING_OPTION]), 1, 1),
    ],
);

/// Key Wrapping Data (a wrapped key block in Register).
pub(crate) const KEY_WRAPPING_DATA: Structure = same(
    "Key Wrapping Data",
    &[
        one(&[tags::WRAPPING_METHOD]),
        one(&[tags::ENCRYPTION_KEY_INFORMATION]),
        one(&[tags::MAC_SIGNATURE_KEY_INFORMATION]),
        one(&[tags::MAC_SIGNATURE]),
        one(&[tags::IV_COUNTER_NONCE]),
        since(one(&[tags::ENCODING_OPTION]), 1, 1),
    ],
);

/// The fields of Encryption Key Information and MAC/Signature Key Information.
const KEY_INFORMATION_FIELDS: &[Field] = &[
    one(&[tags::UNIQUE_IDENTIFIER]),
    one(&[tags::CRYPTOGRAPHIC_PARAMETERS]),
];

/// Encryption Key Information.
pub(crate) const ENCRYPTION_KEY_INFORMATION: Structure =
    same("Encryption Key Information", KEY_INFORMATION_FIELDS);

/// MAC/Signature Key Information.
pub(crate) const MAC_SIGNATURE_KEY_INFORMATION: Structure =
    same("MAC/Signature Key Information", KEY_INFORMATION_FIELDS);

/// Key Block.
pub(crate) const KEY_BLOCK: Structure = same(
    "Key Block",
    &[
        one(&[tags::KEY_FORMAT_TYPE]),
        one(&[tags::KEY_COMPRESSION_TYPE]),
        one(&[tags::KEY_VALUE]),
        one(&[tags::CRYPTOGRAPHIC_ALGORITHM]),
        one(&[tags::CRYPTOGRAPHIC_LENGTH]),
        one(&[tags::KEY_WRAPPING_DATA]),
    ],
);

/// Key Value (the structure form): 1.x lists Attribute items, 2.x holds one Attributes.
pub(crate) const KEY_VALUE: Structure = Structure {
    name: "Key Value",
    v1: &[one(&[tags::KEY_MATERIAL]), many(&[tags::ATTRIBUTE])],
    v2: &[one(&[tags::KEY_MATERIAL]), one(&[tags::ATTRIBUTES])],
};

/// The fields of the objects that are a Key Block alone.
const KEY_BLOCK_ONLY: &[Field] = &[one(&[tags::KEY_BLOCK])];

/// Symmetric Key.
pub(crate) const SYMMETRIC_KEY: Structure = same("Symmetric Key", KEY_BLOCK_ONLY);
/// Public Key.
pub(crate) const PUBLIC_KEY: Structure = same("Public Key", KEY_BLOCK_ONLY);
/// Private Key.
pub(crate) const PRIVATE_KEY: Structure = same("Private Key", KEY_BLOCK_ONLY);

/// Secret Data.
pub(crate) const SECRET_DATA: Structure = same(
    "Secret Data",
    &[one(&[tags::SECRET_DATA_TYPE]), one(&[tags::KEY_BLOCK])],
);

/// Opaque Object.
pub(crate) const OPAQUE_OBJECT: Structure = same(
    "Opaque Object",
    &[
        one(&[tags::OPAQUE_DATA_TYPE]),
        one(&[tags::OPAQUE_DATA_VALUE]),
    ],
);

/// Certificate.
pub(crate) const CERTIFICATE: Structure = same(
    "Certificate",
    &[
        one(&[tags::CERTIFICATE_TYPE]),
        one(&[tags::CERTIFICATE_VALUE]),
    ],
);

// ---- transparent key material ---------------------------------------------------------------

const TRANSPARENT_SYMMETRIC_KEY: Structure =
    same("Transparent Symmetric Key", &[one(&[tags::KEY])]);

const TRANSPARENT_RSA_PRIVATE_KEY: Structure = same(
    "Transparent RSA Private Key",
    &[
        one(&[tags::MODULUS]),
        one(&[tags::PRIVATE_EXPONENT]),
        one(&[tags::PUBLIC_EXPONENT]),
        one(&[tags::P]),
        one(&[tags::Q]),
        one(&[tags::PRIME_EXPONENT_P]),
        one(&[tags::PRIME_EXPONENT_Q]),
        one(&[tags::CRT_COEFFICIENT]),
    ],
);

const TRANSPARENT_RSA_PUBLIC_KEY: Structure = same(
    "Transparent RSA Public Key",
    &[one(&[tags::MODULUS]), one(&[tags::PUBLIC_EXPONENT])],
);

/// Transparent EC, ECDSA, ECDH and ECMQV private keys share these fields.
const TRANSPARENT_EC_PRIVATE_KEY: Structure = same(
    "Transparent EC Private Key",
    &[one(&[tags::RECOMMENDED_CURVE]), one(&[tags::D])],
);

/// Transparent EC, ECDSA, ECDH and ECMQV public keys share these fields.
const TRANSPARENT_EC_PUBLIC_KEY: Structure = same(
    "Transparent EC Public Key",
    &[one(&[tags::RECOMMENDED_CURVE]), one(&[tags::Q_STRING])],
);

const TRANSPARENT_DSA_PRIVATE_KEY: Structure = same(
    "Transparent DSA Private Key",
    &[
        one(&[tags::P]),
        one(&[tags::Q]),
        one(&[tags::G]),
        one(&[tags::X]),
    ],
);

const TRANSPARENT_DSA_PUBLIC_KEY: Structure = same(
    "Transparent DSA Public Key",
    &[
        one(&[tags::P]),
        one(&[tags::Q]),
        one(&[tags::G]),
        one(&[tags::Y]),
    ],
);

const TRANSPARENT_DH_PRIVATE_KEY: Structure = same(
    "Transparent DH Private Key",
    &[
        one(&[tags::P]),
        one(&[tags::Q]),
        one(&[tags::G]),
        one(&[tags::J]),
        one(&[tags::X]),
    ],
);

const TRANSPARENT_DH_PUBLIC_KEY: Structure = same(
    "Transparent DH Public Key",
    &[
        one(&[tags::P]),
        one(&[tags::Q]),
        one(&[tags::G]),
        one(&[tags::J]),
        one(&[tags::Y]),
    ],
);

/// The structure of a Key Material of format `format`, for the transparent formats.
pub(crate) fn key_material(format: KeyFormatType) -> Option<&'static Structure> {
    use KeyFormatType as F;
    Some(match format {
        F::TransparentSymmetricKey => &TRANSPARENT_SYMMETRIC_KEY,
        F::TransparentRsaPrivateKey => &TRANSPARENT_RSA_PRIVATE_KEY,
        F::TransparentRsaPublicKey => &TRANSPARENT_RSA_PUBLIC_KEY,
        F::TransparentEcPrivateKey
        | F::TransparentEcdsaPrivateKey
        | F::TransparentEcdhPrivateKey
        | F::TransparentEcmqvPrivateKey => &TRANSPARENT_EC_PRIVATE_KEY,
        F::TransparentEcPublicKey
        | F::TransparentEcdsaPublicKey
        | F::TransparentEcdhPublicKey
        | F::TransparentEcmqvPublicKey => &TRANSPARENT_EC_PUBLIC_KEY,
        F::TransparentDsaPrivateKey => &TRANSPARENT_DSA_PRIVATE_KEY,
        F::TransparentDsaPublicKey => &TRANSPARENT_DSA_PUBLIC_KEY,
        F::TransparentDhPrivateKey => &TRANSPARENT_DH_PRIVATE_KEY,
        F::TransparentDhPublicKey => &TRANSPARENT_DH_PUBLIC_KEY,
        _ => return None,
    })
}

// ---- structured attribute values ------------------------------------------------------------

const NAME: Structure = same("Name", &[one(&[tags::NAME_VALUE]), one(&[tags::NAME_TYPE])]);

const LINK: Structure = same(
    "Link",
    &[
        one(&[tags::LINK_TYPE]),
        one(&[tags::LINKED_OBJECT_IDENTIFIER]),
    ],
);

const DIGEST: Structure = same(
    "Digest",
    &[
        one(&[tags::HASHING_ALGORITHM]),
        one(&[tags::DIGEST_VALUE]),
        since(one(&[tags::KEY_FORMAT_TYPE]), 1, 1),
    ],
);

const CRYPTOGRAPHIC_DOMAIN_PARAMETERS: Structure = same(
    "Cryptographic Domain Parameters",
    &[one(&[tags::QLENGTH]), one(&[tags::RECOMMENDED_CURVE])],
);

const USAGE_LIMITS: Structure = same(
    "Usage Limits",
    &[
        one(&[tags::USAGE_LIMITS_TOTAL]),
        one(&[tags::USAGE_LIMITS_COUNT]),
        one(&[tags::USAGE_LIMITS_UNIT]),
    ],
);

const APPLICATION_SPECIFIC_INFORMATION: Structure = same(
    "Application Specific Information",
    &[
        one(&[tags::APPLICATION_NAMESPACE]),
        one(&[tags::APPLICATION_DATA]),
    ],
);

const ALTERNATIVE_NAME: Structure = same(
    "Alternative Name",
    &[
        one(&[tags::ALTERNATIVE_NAME_VALUE]),
        one(&[tags::ALTERNATIVE_NAME_TYPE]),
    ],
);

const KEY_VALUE_LOCATION: Structure = same(
    "Key Value Location",
    &[
        one(&[tags::KEY_VALUE_LOCATION_VALUE]),
        one(&[tags::KEY_VALUE_LOCATION_TYPE]),
    ],
);

const RANDOM_NUMBER_GENERATOR: Structure = same(
    "Random Number Generator",
    &[
        one(&[tags::RNG_ALGORITHM]),
        one(&[tags::CRYPTOGRAPHIC_ALGORITHM]),
        one(&[tags::CRYPTOGRAPHIC_LENGTH]),
        one(&[tags::HASHING_ALGORITHM]),
        one(&[tags::DRBG_ALGORITHM]),
        one(&[tags::RECOMMENDED_CURVE]),
        one(&[tags::FIPS186_VARIATION]),
        one(&[tags::PREDICTION_RESISTANCE]),
    ],
);

const X509_CERTIFICATE_IDENTIFIER: Structure = same(
    "X.509 Certificate Identifier",
    &[
        one(&[tags::ISSUER_DISTINGUISHED_NAME]),
        one(&[tags::CERTIFICATE_SERIAL_NUMBER]),
    ],
);

const X509_CERTIFICATE_SUBJECT: Structure = same(
    "X.509 Certificate Subject",
    &[
        one(&[tags::SUBJECT_DISTINGUISHED_NAME]),
        many(&[tags::SUBJECT_ALTERNATIVE_NAME]),
    ],
);

const X509_CERTIFICATE_ISSUER: Structure = same(
    "X.509 Certificate Issuer",
    &[
        one(&[tags::ISSUER_DISTINGUISHED_NAME]),
        many(&[tags::ISSUER_ALTERNATIVE_NAME]),
    ],
);

const CERTIFICATE_IDENTIFIER: Structure = same(
    "Certificate Identifier",
    &[one(&[tags::ISSUER]), one(&[tags::SERIAL_NUMBER])],
);

const CERTIFICATE_SUBJECT: Structure = same(
    "Certificate Subject",
    &[
        one(&[tags::CERTIFICATE_SUBJECT_DISTINGUISHED_NAME]),
        many(&[tags::CERTIFICATE_SUBJECT_ALTERNATIVE_NAME]),
    ],
);

const CERTIFICATE_ISSUER: Structure = same(
    "Certificate Issuer",
    &[
        one(&[tags::CERTIFICATE_ISSUER_DISTINGUISHED_NAME]),
        many(&[tags::CERTIFICATE_ISSUER_ALTERNATIVE_NAME]),
    ],
);

/// The structure of the value of the standard attribute with tag `attribute`, for the
/// attributes whose value is a structure. Custom attributes ("x-", "y-", vendor) are free.
pub(crate) fn attribute_value(attribute: Tag) -> Option<&'static Structure> {
    const BY_TAG: &[(Tag, &Structure)] = &[
        (tags::NAME, &NAME),
        (tags::LINK, &LINK),
        (tags::DIGEST, &DIGEST),
        (tags::CRYPTOGRAPHIC_PARAMETERS, &CRYPTOGRAPHIC_PARAMETERS),
        (
            tags::CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
            &CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
        ),
        (tags::USAGE_LIMITS, &USAGE_LIMITS),
        (
            tags::APPLICATION_SPECIFIC_INFORMATION,
            &APPLICATION_SPECIFIC_INFORMATION,
        ),
        (tags::REVOCATION_REASON, &REVOCATION_REASON),
        (tags::ALTERNATIVE_NAME, &ALTERNATIVE_NAME),
        (tags::KEY_VALUE_LOCATION, &KEY_VALUE_LOCATION),
        (tags::RANDOM_NUMBER_GENERATOR, &RANDOM_NUMBER_GENERATOR),
        (
            tags::X509_CERTIFICATE_IDENTIFIER,
            &X509_CERTIFICATE_IDENTIFIER,
        ),
        (tags::X509_CERTIFICATE_SUBJECT, &X509_CERTIFICATE_SUBJECT),
        (tags::X509_CERTIFICATE_ISSUER, &X509_CERTIFICATE_ISSUER),
        (tags::CERTIFICATE_IDENTIFIER, &CERTIFICATE_IDENTIFIER),
        (tags::CERTIFICATE_SUBJECT, &CERTIFICATE_SUBJECT),
        (tags::CERTIFICATE_ISSUER, &CERTIFICATE_ISSUER),
    ];
    BY_TAG
        .iter()
        .find(|(t, _)| *t == attribute)
        .map(|(_, s)| *s)
}

/// Checks the value of the standard attribute with tag `attribute`: when it is a structure
/// the attribute defines, its children must be that structure's fields.
pub(crate) fn check_attribute_value(
    ver: ProtocolVersion,
    attribute: Tag,
    value: &Value,
) -> Result<(), KmipError> {
    match (attribute_value(attribute), value) {
        (Some(s), Value::Structure(items)) => s.check(ver, items),
        _ => Ok(()),
    }
}

/// Every table, for the size and distinctness checks.
const ALL: &[&Structure] = &[
    &PROTOCOL_VERSION,
    &REVOCATION_REASON,
    &PROTECTION_STORAGE_MASKS,
    &OBJECT_GROUPS,
    &TEMPLATE_ATTRIBUTE,
    &ATTRIBUTE_1X,
    &ATTRIBUTE_2X,
    &ATTRIBUTE_REFERENCE,
    &CRYPTOGRAPHIC_PARAMETERS,
    &KEY_WRAPPING_SPECIFICATION,
    &KEY_WRAPPING_DATA,
    &ENCRYPTION_KEY_INFORMATION,
    &MAC_SIGNATURE_KEY_INFORMATION,
    &KEY_BLOCK,
    &KEY_VALUE,
    &SYMMETRIC_KEY,
    &PUBLIC_KEY,
    &PRIVATE_KEY,
    &SECRET_DATA,
    &OPAQUE_OBJECT,
    &CERTIFICATE,
    &TRANSPARENT_SYMMETRIC_KEY,
    &TRANSPARENT_RSA_PRIVATE_KEY,
    &TRANSPARENT_RSA_PUBLIC_KEY,
    &TRANSPARENT_EC_PRIVATE_KEY,
    &TRANSPARENT_EC_PUBLIC_KEY,
    &TRANSPARENT_DSA_PRIVATE_KEY,
    &TRANSPARENT_DSA_PUBLIC_KEY,
    &TRANSPARENT_DH_PRIVATE_KEY,
    &TRANSPARENT_DH_PUBLIC_KEY,
    &NAME,
    &LINK,
    &DIGEST,
    &CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
    &USAGE_LIMITS,
    &APPLICATION_SPECIFIC_INFORMATION,
    &ALTERNATIVE_NAME,
    &KEY_VALUE_LOCATION,
    &RANDOM_NUMBER_GENERATOR,
    &X509_CERTIFICATE_IDENTIFIER,
    &X509_CERTIFICATE_SUBJECT,
    &X509_CERTIFICATE_ISSUER,
    &CERTIFICATE_IDENTIFIER,
    &CERTIFICATE_SUBJECT,
    &CERTIFICATE_ISSUER,
];

const _: () = {
    let mut i = 0;
    while i < ALL.len() {
        assert!(ALL[i].v1.len() <= MAX_FIELDS && ALL[i].v2.len() <= MAX_FIELDS);
        i += 1;
    }
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_tag_fills_two_places() {
        for s in ALL {
            for fields in [s.v1, s.v2] {
                assert!(crate::fields::tags_are_distinct(fields), "{}", s.name);
            }
        }
    }
}
