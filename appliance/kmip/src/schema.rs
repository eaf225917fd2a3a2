//! The children each operation's Request Payload may carry, per protocol version.
//!
//! A payload is checked against its operation's fields before any field is read: a child that
//! is not one of them is refused, never skipped. Skipping is how a filter gets lost: libkmip
//! sends a 2.0 Locate's Object Type and Attribute items directly in the payload instead of
//! inside Attributes, and a server that skips them answers with every object it holds.
//!
//! The fields are those of the Request Payload tables of KMIP 1.2 §4–5 and 2.1 §6.1, with
//! the 1.x fields that came after 1.0 marked with their version (Object Group Member 1.1;
//! Offset Items and the multi-part Correlation Value, Init Indicator and Final Indicator 1.3;
//! Key Wrap Type, Authenticated Encryption Additional Data and Tag, Digested Data 1.4; Object
//! Groups in Query 2.1). Fields the spec defines but the server does not act on (Key Wrap Type,
//! Protection Storage Masks, Object Groups) are accepted, as real clients send them (libkmip
//! sends Key Wrap Type at 1.4 and Protection Storage Masks at 2.0).
//!
//! # Result Reasons
//!
//! KMIP 1.x (§11.1 General, quoted from the 1.2 text, which tests/integration/tests/bad_input.rs
//! cites for 1.2–1.4):
//! - "Same major & minor version, unknown field" → **Invalid Field**. A child outside the
//!   payload's fields at the request's version is a field the payload does not know, whatever
//!   its tag: an extension tag (0x54xxxx), a tag no version defines, a 2.x tag (Attributes), a
//!   field of a later 1.x minor, or a 1.x tag of another structure (Object Type inside Get).
//! - "The same field is contained in a header/batch item/payload more than once" → **Invalid
//!   Message**: a single-valued field sent twice.
//! - The table also says to ignore unknown fields when the minor versions differ. That row
//!   is not followed: the server speaks every 1.x minor, so only a client of a 1.x minor that
//!   does not exist (1.5+, processed as 1.4 by [`ProtocolVersion::negotiate`]) could meet
//!   it, and a field ignored is a filter or a parameter lost.
//!
//! KMIP 2.x has no general table; the Result Reason enumeration (2.1 §11.46) defines:
//! - **Invalid Message**: "The request message was not syntactically understood by the server.
//!   For example - the invalid use of a known tag" → a tag KMIP defines (1.x tags included,
//!   the server knows them) used where this payload has no such field, such as
//!   Template-Attribute in Create or Object Type directly in Locate, and a single-valued field
//!   sent twice.
//! - **Unknown Tag** (from 2.0 on): "A tag is not known by the server" → extension tags and
//!   tags no KMIP version defines.
//!
//! Invalid Field ("syntactically valid but some data in the request ... has an invalid value")
//! stays for bad values of fields that belong, as in 1.x.

use crate::KmipError;
use crate::convert::{label, stray_reason};
use crate::enums::{Operation, ResultReason};
use crate::fields::{Field, MAX_FIELDS, Violation, many, one, since, violation};
use crate::tags;
use crate::ttlv::{Tag, Ttlv};
use crate::version::ProtocolVersion;

/// The object of a 1.x Register (1.2 Table 144). PGP Key is 1.2+, but Register refuses the
/// object type as unsupported in every version, so 1.0 and 1.1 need no separate entry.
const OBJECTS_1X: &[Tag] = &[
    tags::CERTIFICATE,
    tags::SYMMETRIC_KEY,
    tags::PRIVATE_KEY,
    tags::PUBLIC_KEY,
    tags::SPLIT_KEY,
    tags::TEMPLATE,
    tags::SECRET_DATA,
    tags::OPAQUE_OBJECT,
    tags::PGP_KEY,
];

/// The object of a 2.x Register ("Any Object (Section 2)"): Template is gone, Certificate
/// Request is a managed object.
const OBJECTS_2X: &[Tag] = &[
    tags::CERTIFICATE,
    tags::CERTIFICATE_REQUEST,
    tags::OPAQUE_OBJECT,
    tags::PGP_KEY,
    tags::PRIVATE_KEY,
    tags::PUBLIC_KEY,
    tags::SECRET_DATA,
    tags::SPLIT_KEY,
    tags::SYMMETRIC_KEY,
];

const UID: Field = one(&[tags::UNIQUE_IDENTIFIER]);
const PARAMETERS: Field = one(&[tags::CRYPTOGRAPHIC_PARAMETERS]);
const DATA: Field = one(&[tags::DATA]);
const CORRELATION_VALUE: Field = since(one(&[tags::CORRELATION_VALUE]), 1, 3);
const INIT_INDICATOR: Field = since(one(&[tags::INIT_INDICATOR]), 1, 3);
const FINAL_INDICATOR: Field = since(one(&[tags::FINAL_INDICATOR]), 1, 3);
const AAD: Field = since(one(&[tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA]), 1, 4);
const DIGESTED_DATA: Field = since(one(&[tags::DIGESTED_DATA]), 1, 4);
const PROTECTION_STORAGE_MASKS: Field = one(&[tags::PROTECTION_STORAGE_MASKS]);

const CREATE_1X: &[Field] = &[one(&[tags::OBJECT_TYPE]), one(&[tags::TEMPLATE_ATTRIBUTE])];
const CREATE_2X: &[Field] = &[
    one(&[tags::OBJECT_TYPE]),
    one(&[tags::ATTRIBUTES]),
    PROTECTION_STORAGE_MASKS,
];
const CREATE_KEY_PAIR_1X: &[Field] = &[
    one(&[tags::COMMON_TEMPLATE_ATTRIBUTE]),
    one(&[tags::PRIVATE_KEY_TEMPLATE_ATTRIBUTE]),
    one(&[tags::PUBLIC_KEY_TEMPLATE_ATTRIBUTE]),
];
const CREATE_KEY_PAIR_2X: &[Field] = &[
    one(&[tags::COMMON_ATTRIBUTES]),
    one(&[tags::PRIVATE_KEY_ATTRIBUTES]),
    one(&[tags::PUBLIC_KEY_ATTRIBUTES]),
    one(&[tags::COMMON_PROTECTION_STORAGE_MASKS]),
    one(&[tags::PRIVATE_PROTECTION_STORAGE_MASKS]),
    one(&[tags::PUBLIC_PROTECTION_STORAGE_MASKS]),
];
const REGISTER_1X: &[Field] = &[
    one(&[tags::OBJECT_TYPE]),
    one(&[tags::TEMPLATE_ATTRIBUTE]),
    one(OBJECTS_1X),
];
const REGISTER_2X: &[Field] = &[
    one(&[tags::OBJECT_TYPE]),
    one(&[tags::ATTRIBUTES]),
    one(OBJECTS_2X),
    PROTECTION_STORAGE_MASKS,
];
const RE_KEY_1X: &[Field] = &[UID, one(&[tags::OFFSET]), one(&[tags::TEMPLATE_ATTRIBUTE])];
/// The one exception to the per-version forms: PyKMIP 0.11 (a client the interop suite
/// drives) sends a 2.x Re-key's attributes in a 1.x Template-Attribute. The field is read, not
/// ignored (as Attributes, in its 1.x form), and at most one of the two forms may be sent.
const RE_KEY_2X_ATTRIBUTES: &[Tag] = &[tags::ATTRIBUTES, tags::TEMPLATE_ATTRIBUTE];
const RE_KEY_2X: &[Field] = &[
    UID,
    one(&[tags::OFFSET]),
    one(RE_KEY_2X_ATTRIBUTES),
    PROTECTION_STORAGE_MASKS,
];
const LOCATE_1X: &[Field] = &[
    one(&[tags::MAXIMUM_ITEMS]),
    since(one(&[tags::OFFSET_ITEMS]), 1, 3),
    one(&[tags::STORAGE_STATUS_MASK]),
    since(one(&[tags::OBJECT_GROUP_MEMBER]), 1, 1),
    many(&[tags::ATTRIBUTE]),
];
const LOCATE_2X: &[Field] = &[
    one(&[tags::MAXIMUM_ITEMS]),
    one(&[tags::OFFSET_ITEMS]),
    one(&[tags::STORAGE_STATUS_MASK]),
    one(&[tags::OBJECT_GROUP_MEMBER]),
    one(&[tags::ATTRIBUTES]),
];
const GET: &[Field] = &[
    UID,
    one(&[tags::KEY_FORMAT_TYPE]),
    since(one(&[tags::KEY_WRAP_TYPE]), 1, 4),
    one(&[tags::KEY_COMPRESSION_TYPE]),
    one(&[tags::KEY_WRAPPING_SPECIFICATION]),
];
const GET_ATTRIBUTES_1X: &[Field] = &[UID, many(&[tags::ATTRIBUTE_NAME])];
const GET_ATTRIBUTES_2X: &[Field] = &[UID, many(&[tags::ATTRIBUTE_REFERENCE])];
const UID_ONLY: &[Field] = &[UID];
/// Add and Modify Attribute in 1.x; Set Attribute, which 1.x lacks, is read in the same form.
const ATTRIBUTE_1X: &[Field] = &[UID, one(&[tags::ATTRIBUTE])];
const NEW_ATTRIBUTE_2X: &[Field] = &[UID, one(&[tags::NEW_ATTRIBUTE])];
const MODIFY_ATTRIBUTE_2X: &[Field] = &[
    UID,
    one(&[tags::CURRENT_ATTRIBUTE]),
    one(&[tags::NEW_ATTRIBUTE]),
];
const DELETE_ATTRIBUTE_1X: &[Field] = &[
    UID,
    one(&[tags::ATTRIBUTE_NAME]),
    one(&[tags::ATTRIBUTE_INDEX]),
];
const DELETE_ATTRIBUTE_2X: &[Field] = &[
    UID,
    one(&[tags::CURRENT_ATTRIBUTE]),
    one(&[tags::ATTRIBUTE_REFERENCE]),
];
const REVOKE: &[Field] = &[
    UID,
    one(&[tags::REVOCATION_REASON]),
    one(&[tags::COMPROMISE_OCCURRENCE_DATE]),
];
const QUERY: &[Field] = &[
    many(&[tags::QUERY_FUNCTION]),
    since(one(&[tags::OBJECT_GROUPS]), 2, 1),
];
const DISCOVER_VERSIONS: &[Field] = &[many(&[tags::PROTOCOL_VERSION])];
const ENCRYPT: &[Field] = &[
    UID,
    PARAMETERS,
    DATA,
    one(&[tags::IV_COUNTER_NONCE]),
    CORRELATION_VALUE,
    INIT_INDICATOR,
    FINAL_INDICATOR,
    AAD,
];
const DECRYPT: &[Field] = &[
    UID,
    PARAMETERS,
    DATA,
    one(&[tags::IV_COUNTER_NONCE]),
    CORRELATION_VALUE,
    INIT_INDICATOR,
    FINAL_INDICATOR,
    AAD,
    since(one(&[tags::AUTHENTICATED_ENCRYPTION_TAG]), 1, 4),
];
const SIGN: &[Field] = &[
    UID,
    PARAMETERS,
    DATA,
    DIGESTED_DATA,
    CORRELATION_VALUE,
    INIT_INDICATOR,
    FINAL_INDICATOR,
];
const SIGNATURE_VERIFY: &[Field] = &[
    UID,
    PARAMETERS,
    DATA,
    DIGESTED_DATA,
    one(&[tags::SIGNATURE_DATA]),
    CORRELATION_VALUE,
    INIT_INDICATOR,
    FINAL_INDICATOR,
];
const MAC: &[Field] = &[
    UID,
    PARAMETERS,
    DATA,
    CORRELATION_VALUE,
    INIT_INDICATOR,
    FINAL_INDICATOR,
];
const MAC_VERIFY: &[Field] = &[
    UID,
    PARAMETERS,
    DATA,
    one(&[tags::MAC_DATA]),
    CORRELATION_VALUE,
    INIT_INDICATOR,
    FINAL_INDICATOR,
];
const RNG_RETRIEVE: &[Field] = &[one(&[tags::DATA_LENGTH])];
const NONE: &[Field] = &[];

/// Every table, for the size check below.
const TABLES: &[&[Field]] = &[
    CREATE_1X,
    CREATE_2X,
    CREATE_KEY_PAIR_1X,
    CREATE_KEY_PAIR_2X,
    REGISTER_1X,
    REGISTER_2X,
    RE_KEY_1X,
    RE_KEY_2X,
    LOCATE_1X,
    LOCATE_2X,
    GET,
    GET_ATTRIBUTES_1X,
    GET_ATTRIBUTES_2X,
    UID_ONLY,
    ATTRIBUTE_1X,
    NEW_ATTRIBUTE_2X,
    MODIFY_ATTRIBUTE_2X,
    DELETE_ATTRIBUTE_1X,
    DELETE_ATTRIBUTE_2X,
    REVOKE,
    QUERY,
    DISCOVER_VERSIONS,
    ENCRYPT,
    DECRYPT,
    SIGN,
    SIGNATURE_VERIFY,
    MAC,
    MAC_VERIFY,
    RNG_RETRIEVE,
];

const _: () = {
    let mut i = 0;
    while i < TABLES.len() {
        assert!(TABLES[i].len() <= MAX_FIELDS);
        i += 1;
    }
};

/// The fields of `op`'s request payload in the family of `ver`.
pub(crate) fn fields(op: Operation, ver: ProtocolVersion) -> &'static [Field] {
    let v2 = ver.uses_attributes_form();
    let pick = |v1x, v2x| if v2 { v2x } else { v1x };
    match op {
        Operation::Create => pick(CREATE_1X, CREATE_2X),
        Operation::CreateKeyPair => pick(CREATE_KEY_PAIR_1X, CREATE_KEY_PAIR_2X),
        Operation::Register => pick(REGISTER_1X, REGISTER_2X),
        Operation::ReKey => pick(RE_KEY_1X, RE_KEY_2X),
        Operation::Locate => pick(LOCATE_1X, LOCATE_2X),
        Operation::Get => GET,
        Operation::GetAttributes => pick(GET_ATTRIBUTES_1X, GET_ATTRIBUTES_2X),
        Operation::GetAttributeList | Operation::Activate | Operation::Destroy => UID_ONLY,
        Operation::AddAttribute | Operation::SetAttribute => pick(ATTRIBUTE_1X, NEW_ATTRIBUTE_2X),
        Operation::ModifyAttribute => pick(ATTRIBUTE_1X, MODIFY_ATTRIBUTE_2X),
        Operation::DeleteAttribute => pick(DELETE_ATTRIBUTE_1X, DELETE_ATTRIBUTE_2X),
        Operation::Revoke => REVOKE,
        Operation::Query => QUERY,
        Operation::DiscoverVersions => DISCOVER_VERSIONS,
        Operation::Encrypt => ENCRYPT,
        Operation::Decrypt => DECRYPT,
        Operation::Sign => SIGN,
        Operation::SignatureVerify => SIGNATURE_VERIFY,
        Operation::Mac => MAC,
        Operation::MacVerify => MAC_VERIFY,
        Operation::RngRetrieve => RNG_RETRIEVE,
        // Operations without a typed payload are refused before their payload is read.
        _ => NONE,
    }
}

/// Checks that every child of `op`'s request payload is one of its fields at `ver`, and that
/// single-valued fields appear once. Allocates only for the error.
pub(crate) fn check(op: Operation, ver: ProtocolVersion, items: &[Ttlv]) -> Result<(), KmipError> {
    match violation(fields(op, ver), ver, items) {
        None => Ok(()),
        Some(Violation::Stray { tag, since }) => Err(stray(op, ver, tag, since)),
        Some(Violation::Twice(tag)) => Err(KmipError::new(
            ResultReason::InvalidMessage,
            format!(
                "{op} Request Payload (KMIP {ver}): field {} appears more than once; it is single-valued",
                label(tag)
            ),
        )),
    }
}

/// The error for a child that is not a field of the payload at `ver` (`since`: the version
/// from which it would be).
fn stray(op: Operation, ver: ProtocolVersion, tag: Tag, since: Option<(i32, i32)>) -> KmipError {
    let what = match since {
        Some((major, minor)) => {
            format!("is a field of this payload only from KMIP {major}.{minor} on")
        }
        None if tags::is_defined_standard(tag) => "is not a field of this payload".to_string(),
        None => "is not a field of this payload, nor a tag the server knows".to_string(),
    };
    KmipError::new(
        stray_reason(ver, tag),
        format!(
            "{op} Request Payload (KMIP {ver}): {} {what}{}",
            label(tag),
            hint(op, ver, tag)
        ),
    )
}

/// Where the attributes go instead, when a client used the other version's form.
fn hint(op: Operation, ver: ProtocolVersion, tag: Tag) -> &'static str {
    let template_1x = [
        tags::TEMPLATE_ATTRIBUTE,
        tags::COMMON_TEMPLATE_ATTRIBUTE,
        tags::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
        tags::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
    ];
    let attributes_2x = [
        tags::ATTRIBUTES,
        tags::COMMON_ATTRIBUTES,
        tags::PRIVATE_KEY_ATTRIBUTES,
        tags::PUBLIC_KEY_ATTRIBUTES,
    ];
    let is_attribute = tag == tags::ATTRIBUTE || crate::attributes::name_for_tag(tag).is_some();
    if ver.uses_attributes_form() {
        if op == Operation::Locate && is_attribute {
            "; in KMIP 2.x the attributes to match go inside Attributes"
        } else if template_1x.contains(&tag) {
            "; KMIP 2.x carries attributes in Attributes structures"
        } else {
            ""
        }
    } else if attributes_2x.contains(&tag) {
        if op == Operation::Locate {
            "; in KMIP 1.x the attributes to match are Attribute items of the payload"
        } else {
            "; KMIP 1.x carries attributes in Template-Attribute structures"
        }
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_tag_fills_two_places() {
        for (i, table) in TABLES.iter().enumerate() {
            assert!(crate::fields::tags_are_distinct(table), "table {i}");
        }
    }
}
