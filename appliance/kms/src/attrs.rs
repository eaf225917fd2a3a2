//! Attribute names, who may write them, and their values as stored (TTLV bytes).

use crate::OpError;
use keywarden_kmip::ttlv::{self, Limits, Tag, Ttlv, Value};

/// Tag numbers of the structured attribute values the server builds or reads.
pub(crate) mod tag {
    use keywarden_kmip::ttlv::Tag;
    /// Attribute Value: the wrapper tag of a stored value.
    pub const ATTRIBUTE_VALUE: Tag = Tag(0x42000B);
    /// Link Type.
    pub const LINK_TYPE: Tag = Tag(0x42004B);
    /// Linked Object Identifier.
    pub const LINKED_OBJECT_IDENTIFIER: Tag = Tag(0x42004C);
    /// Name Type.
    #[cfg(test)]
    pub const NAME_TYPE: Tag = Tag(0x420054);
    /// Name Value.
    pub const NAME_VALUE: Tag = Tag(0x420055);
    /// Revocation Message.
    pub const REVOCATION_MESSAGE: Tag = Tag(0x420080);
    /// Revocation Reason Code.
    pub const REVOCATION_REASON_CODE: Tag = Tag(0x420082);
    /// Recommended Curve.
    pub const RECOMMENDED_CURVE: Tag = Tag(0x420075);
}

/// Attribute names.
pub(crate) mod name {
    pub const UNIQUE_IDENTIFIER: &str = "Unique Identifier";
    pub const OBJECT_TYPE: &str = "Object Type";
    pub const NAME: &str = "Name";
    pub const ALGORITHM: &str = "Cryptographic Algorithm";
    pub const LENGTH: &str = "Cryptographic Length";
    pub const DOMAIN_PARAMETERS: &str = "Cryptographic Domain Parameters";
    pub const PARAMETERS: &str = "Cryptographic Parameters";
    pub const USAGE_MASK: &str = "Cryptographic Usage Mask";
    pub const STATE: &str = "State";
    pub const INITIAL_DATE: &str = "Initial Date";
    pub const ACTIVATION_DATE: &str = "Activation Date";
    pub const DEACTIVATION_DATE: &str = "Deactivation Date";
    pub const DESTROY_DATE: &str = "Destroy Date";
    pub const COMPROMISE_DATE: &str = "Compromise Date";
    pub const COMPROMISE_OCCURRENCE_DATE: &str = "Compromise Occurrence Date";
    pub const REVOCATION_REASON: &str = "Revocation Reason";
    pub const LAST_CHANGE_DATE: &str = "Last Change Date";
    pub const ORIGINAL_CREATION_DATE: &str = "Original Creation Date";
    pub const LINK: &str = "Link";
    pub const OBJECT_GROUP: &str = "Object Group";
    pub const CONTACT_INFORMATION: &str = "Contact Information";
    pub const CERTIFICATE_TYPE: &str = "Certificate Type";
    pub const PROCESS_START_DATE: &str = "Process Start Date";
    pub const PROTECT_STOP_DATE: &str = "Protect Stop Date";
    pub const SENSITIVE: &str = "Sensitive";
    pub const EXTRACTABLE: &str = "Extractable";
}

/// Attributes only the server sets (KMIP 1.4 §3 / 2.1 §4 "Modifiable by client: No").
const SERVER_ONLY: &[&str] = &[
    name::UNIQUE_IDENTIFIER,
    name::OBJECT_TYPE,
    name::ALGORITHM,
    name::LENGTH,
    name::DOMAIN_PARAMETERS,
    name::STATE,
    name::INITIAL_DATE,
    name::DESTROY_DATE,
    name::COMPROMISE_DATE,
    name::COMPROMISE_OCCURRENCE_DATE,
    name::REVOCATION_REASON,
    name::LAST_CHANGE_DATE,
    name::ORIGINAL_CREATION_DATE,
    name::CERTIFICATE_TYPE,
    "Certificate Length",
    "Certificate Identifier",
    "Certificate Subject",
    "Certificate Issuer",
    "Digital Signature Algorithm",
    "Digest",
    "Archive Date",
    "Fresh",
    "Key Value Present",
    "Lease Time",
    "Usage Limits",
    "Random Number Generator",
    "Always Sensitive",
    "Never Extractable",
    "Object Group Member",
];

/// Attributes a client may give at creation but not change afterwards.
const CREATION_ONLY: &[&str] = &[
    name::USAGE_MASK,
    name::ACTIVATION_DATE,
    name::DEACTIVATION_DATE,
    name::PROCESS_START_DATE,
    name::PROTECT_STOP_DATE,
    "Key Value Location",
];

/// Attributes a client may add, modify and delete at any time.
const CLIENT_WRITABLE: &[&str] = &[
    name::NAME,
    name::OBJECT_GROUP,
    name::CONTACT_INFORMATION,
    name::LINK,
    name::PARAMETERS,
    "Operation Policy Name",
    "Application Specific Information",
    "Alternative Name",
    "Description",
    "Comment",
    "Sensitive",
    "Extractable",
    "Key Format Type",
    "Short Unique Identifier",
    "NIST Key Type",
    "Quantum Safe",
];

/// Attributes that may have several instances.
const MULTI_INSTANCE: &[&str] = &[
    name::NAME,
    name::OBJECT_GROUP,
    name::LINK,
    name::PARAMETERS,
    name::DOMAIN_PARAMETERS,
    "Application Specific Information",
    "Alternative Name",
    "Digest",
    "Certificate Identifier",
    "Certificate Subject",
    "Certificate Issuer",
];

/// Custom attributes: "x-" (client) and "y-" (server) prefixes in 1.x; 2.x Vendor Attributes
/// reach us under the same names.
pub(crate) fn is_custom(attr: &str) -> bool {
    attr.starts_with("x-") || attr.starts_with("y-") || attr.starts_with("X-")
}

/// True when the server alone sets `attr`.
pub(crate) fn is_server_only(attr: &str) -> bool {
    SERVER_ONLY.contains(&attr) || attr.starts_with("y-")
}

/// True when a client may set `attr` when the object is made.
pub(crate) fn settable_at_creation(attr: &str) -> bool {
    CREATION_ONLY.contains(&attr) || CLIENT_WRITABLE.contains(&attr) || is_custom(attr)
}

/// True when a client may change `attr` after creation.
pub(crate) fn client_modifiable(attr: &str) -> bool {
    CLIENT_WRITABLE.contains(&attr) || attr.starts_with("x-") || attr.starts_with("X-")
}

/// True for attributes the spec or the server knows by name (custom ones included).
pub(crate) fn is_known(attr: &str) -> bool {
    SERVER_ONLY.contains(&attr)
        || CREATION_ONLY.contains(&attr)
        || CLIENT_WRITABLE.contains(&attr)
        || is_custom(attr)
}

/// True when `attr` may have more than one instance.
pub(crate) fn is_multi(attr: &str) -> bool {
    MULTI_INSTANCE.contains(&attr) || is_custom(attr)
}

/// The stored bytes of an attribute value.
pub(crate) fn encode_value(value: &Value) -> Vec<u8> {
    ttlv::encode(&Ttlv::new(tag::ATTRIBUTE_VALUE, value.clone()))
}

/// The value of stored bytes.
pub(crate) fn decode_value(bytes: &[u8]) -> Result<Value, OpError> {
    ttlv::decode(bytes, &Limits::default())
        .map(|t| t.value)
        .map_err(|e| OpError::Failed(format!("stored attribute is corrupt: {e}")))
}

/// A Name value (uninterpreted text).
#[cfg(test)]
pub(crate) fn name_value(text: &str) -> Value {
    Value::Structure(vec![
        Ttlv::new(tag::NAME_VALUE, Value::TextString(text.to_owned())),
        Ttlv::new(tag::NAME_TYPE, Value::Enumeration(1)),
    ])
}

/// The text of a Name value.
pub(crate) fn name_text(value: &Value) -> Option<String> {
    match value {
        Value::Structure(items) => items
            .iter()
            .find(|t| t.tag == tag::NAME_VALUE)
            .and_then(|t| match &t.value {
                Value::TextString(s) => Some(s.clone()),
                _ => None,
            }),
        Value::TextString(s) => Some(s.clone()),
        _ => None,
    }
}

/// A Link value.
pub(crate) fn link_value(link_type: u32, target: &str) -> Value {
    Value::Structure(vec![
        Ttlv::new(tag::LINK_TYPE, Value::Enumeration(link_type)),
        Ttlv::new(
            tag::LINKED_OBJECT_IDENTIFIER,
            Value::TextString(target.to_owned()),
        ),
    ])
}

/// The (type, target) of a Link value.
pub(crate) fn link_parts(value: &Value) -> Option<(u32, String)> {
    let Value::Structure(items) = value else {
        return None;
    };
    let link_type = items
        .iter()
        .find(|t| t.tag == tag::LINK_TYPE)
        .and_then(|t| match t.value {
            Value::Enumeration(v) => Some(v),
            _ => None,
        })?;
    let target = items
        .iter()
        .find(|t| t.tag == tag::LINKED_OBJECT_IDENTIFIER)
        .and_then(|t| match &t.value {
            Value::TextString(s) => Some(s.clone()),
            _ => None,
        })?;
    Some((link_type, target))
}

/// A Revocation Reason value.
pub(crate) fn revocation_value(code: u32, message: Option<&str>) -> Value {
    let mut items = vec![Ttlv::new(
        tag::REVOCATION_REASON_CODE,
        Value::Enumeration(code),
    )];
    if let Some(m) = message {
        items.push(Ttlv::new(
            tag::REVOCATION_MESSAGE,
            Value::TextString(m.to_owned()),
        ));
    }
    Value::Structure(items)
}

/// The integer of an Integer value.
pub(crate) fn as_i32(value: &Value) -> Option<i32> {
    match value {
        Value::Integer(v) => Some(*v),
        _ => None,
    }
}

/// The number of an Enumeration value.
pub(crate) fn as_enum(value: &Value) -> Option<u32> {
    match value {
        Value::Enumeration(v) => Some(*v),
        _ => None,
    }
}

/// The time of a date value.
pub(crate) fn as_date(value: &Value) -> Option<i64> {
    match value {
        Value::DateTime(v) => Some(*v),
        Value::DateTimeExtended(v) => Some(v.div_euclid(1_000_000)),
        Value::LongInteger(v) => Some(*v),
        _ => None,
    }
}

/// Canonical bytes used for equality in Locate's custom index: the encoded value.
pub(crate) fn index_bytes(value: &Value) -> Vec<u8> {
    encode_value(value)
}

/// The tag of a Recommended Curve child, for reading Cryptographic Domain Parameters.
pub(crate) fn child_enum(value: &Value, t: Tag) -> Option<u32> {
    match value {
        Value::Structure(items) => items
            .iter()
            .find(|i| i.tag == t)
            .and_then(|i| as_enum(&i.value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_roundtrip() {
        for v in [
            name_value("k1"),
            link_value(0x102, "abc"),
            Value::Integer(12),
            Value::DateTime(1_700_000_000),
            revocation_value(2, Some("oops")),
        ] {
            assert_eq!(decode_value(&encode_value(&v)).ok(), Some(v.clone()));
        }
        assert_eq!(name_text(&name_value("k1")).as_deref(), Some("k1"));
        assert_eq!(
            link_parts(&link_value(0x102, "abc")),
            Some((0x102, "abc".to_owned()))
        );
    }

    #[test]
    fn permissions() {
        assert!(is_server_only("State"));
        assert!(!client_modifiable("State"));
        assert!(client_modifiable("Name"));
        assert!(client_modifiable("x-team"));
        assert!(!client_modifiable("y-server"));
        assert!(settable_at_creation("Activation Date"));
        assert!(!client_modifiable("Activation Date"));
        assert!(is_multi("Name"));
        assert!(!is_multi("Contact Information"));
    }
}
