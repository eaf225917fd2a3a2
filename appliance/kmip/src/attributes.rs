//! Attributes in one form for both protocol families.
//!
//! 1.x carries attributes as Attribute {Attribute Name, Attribute Index, Attribute Value} inside
//! Template-Attribute; 2.x carries them as tagged items inside Attributes, with custom ones in
//! Vendor Attribute. Both decode to [`Attribute`]: the 1.x spec name (e.g. "Cryptographic
//! Algorithm"; custom attributes keep their "x-"/"y-" name), an optional index, and the value as
//! a TTLV value (structured attributes such as Name or Link are a `Value::Structure` of their
//! spec-tagged children, identical in both forms).

use crate::ttlv::Value;

/// One attribute instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Canonical (1.x) attribute name.
    pub name: String,
    /// Attribute Index, for multi-instance attributes (1.x).
    pub index: Option<i32>,
    /// The value.
    pub value: Value,
}

/// An ordered list of attributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attributes(pub Vec<Attribute>);
