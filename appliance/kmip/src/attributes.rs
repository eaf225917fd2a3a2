//! Attributes in one form for both protocol families.
//!
//! 1.x carries attributes as Attribute {Attribute Name, Attribute Index, Attribute Value} inside
//! Template-Attribute; 2.x carries them as tagged items inside Attributes, with custom ones in
//! an Attribute {Vendor Identification, Attribute Name, Attribute Value} item. Both decode to
//! [`Attribute`]: the 1.x spec name (e.g. "Cryptographic Algorithm"; custom attributes keep
//! their "x-"/"y-" name, and a 2.x vendor attribute "foo" of vendor "x" is named "x-foo"), an
//! optional index, and the value as a TTLV value (structured attributes such as Name or Link
//! are a `Value::Structure` of their spec-tagged children, identical in both forms).

use crate::KmipError;
use crate::convert::{Reader, Writer, invalid, tag_name};
use crate::enums::{
    CryptographicAlgorithm, CryptographicUsageMask, KmipEnum, LinkType, NameType, ObjectType,
    ResultReason, State,
};
use crate::structures;
use crate::tags;
use crate::ttlv::{Tag, Ttlv, Value};
use crate::version::ProtocolVersion;

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

/// Every standard attribute: its 1.x name and its tag (the 2.x item tag).
///
/// 1.x-only attributes (Operation Policy Name, Certificate Identifier/Subject/Issuer, Custom
/// Attribute) are listed too: their tags still exist, but 2.x encoders drop them.
pub const STANDARD_ATTRIBUTES: &[(&str, Tag)] = &[
    ("Unique Identifier", tags::UNIQUE_IDENTIFIER),
    ("Name", tags::NAME),
    ("Object Type", tags::OBJECT_TYPE),
    ("Cryptographic Algorithm", tags::CRYPTOGRAPHIC_ALGORITHM),
    ("Cryptographic Length", tags::CRYPTOGRAPHIC_LENGTH),
    ("Cryptographic Parameters", tags::CRYPTOGRAPHIC_PARAMETERS),
    (
        "Cryptographic Domain Parameters",
        tags::CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
    ),
    ("Certificate Type", tags::CERTIFICATE_TYPE),
    ("Certificate Length", tags::CERTIFICATE_LENGTH),
    (
        "X.509 Certificate Identifier",
        tags::X509_CERTIFICATE_IDENTIFIER,
    ),
    ("X.509 Certificate Subject", tags::X509_CERTIFICATE_SUBJECT),
    ("X.509 Certificate Issuer", tags::X509_CERTIFICATE_ISSUER),
    ("Certificate Identifier", tags::CERTIFICATE_IDENTIFIER),
    ("Certificate Subject", tags::CERTIFICATE_SUBJECT),
    ("Certificate Issuer", tags::CERTIFICATE_ISSUER),
    (
        "Digital Signature Algorithm",
        tags::DIGITAL_SIGNATURE_ALGORITHM,
    ),
    ("Digest", tags::DIGEST),
    ("Operation Policy Name", tags::OPERATION_POLICY_NAME),
    ("Cryptographic Usage Mask", tags::CRYPTOGRAPHIC_USAGE_MASK),
    ("Lease Time", tags::LEASE_TIME),
    ("Usage Limits", tags::USAGE_LIMITS),
    ("State", tags::STATE),
    ("Initial Date", tags::INITIAL_DATE),
    ("Activation Date", tags::ACTIVATION_DATE),
    ("Process Start Date", tags::PROCESS_START_DATE),
    ("Protect Stop Date", tags::PROTECT_STOP_DATE),
    ("Deactivation Date", tags::DEACTIVATION_DATE),
    ("Destroy Date", tags::DESTROY_DATE),
    (
        "Compromise Occurrence Date",
        tags::COMPROMISE_OCCURRENCE_DATE,
    ),
    ("Compromise Date", tags::COMPROMISE_DATE),
    ("Revocation Reason", tags::REVOCATION_REASON),
    ("Archive Date", tags::ARCHIVE_DATE),
    ("Object Group", tags::OBJECT_GROUP),
    ("Fresh", tags::FRESH),
    ("Link", tags::LINK),
    (
        "Application Specific Information",
        tags::APPLICATION_SPECIFIC_INFORMATION,
    ),
    ("Contact Information", tags::CONTACT_INFORMATION),
    ("Last Change Date", tags::LAST_CHANGE_DATE),
    ("Custom Attribute", tags::CUSTOM_ATTRIBUTE),
    ("Alternative Name", tags::ALTERNATIVE_NAME),
    ("Key Value Present", tags::KEY_VALUE_PRESENT),
    ("Key Value Location", tags::KEY_VALUE_LOCATION),
    ("Original Creation Date", tags::ORIGINAL_CREATION_DATE),
    ("Random Number Generator", tags::RANDOM_NUMBER_GENERATOR),
    ("PKCS#12 Friendly Name", tags::PKCS12_FRIENDLY_NAME),
    ("Description", tags::DESCRIPTION),
    ("Comment", tags::COMMENT),
    ("Sensitive", tags::SENSITIVE),
    ("Always Sensitive", tags::ALWAYS_SENSITIVE),
    ("Extractable", tags::EXTRACTABLE),
    ("Never Extractable", tags::NEVER_EXTRACTABLE),
    ("Certificate Subject CN", tags::CERTIFICATE_SUBJECT_CN),
    ("Certificate Subject O", tags::CERTIFICATE_SUBJECT_O),
    ("Certificate Subject OU", tags::CERTIFICATE_SUBJECT_OU),
    ("Certificate Subject Email", tags::CERTIFICATE_SUBJECT_EMAIL),
    ("Certificate Subject C", tags::CERTIFICATE_SUBJECT_C),
    ("Certificate Subject ST", tags::CERTIFICATE_SUBJECT_ST),
    ("Certificate Subject L", tags::CERTIFICATE_SUBJECT_L),
    ("Certificate Subject UID", tags::CERTIFICATE_SUBJECT_UID),
    (
        "Certificate Subject Serial Number",
        tags::CERTIFICATE_SUBJECT_SERIAL_NUMBER,
    ),
    ("Certificate Subject Title", tags::CERTIFICATE_SUBJECT_TITLE),
    ("Certificate Subject DC", tags::CERTIFICATE_SUBJECT_DC),
    (
        "Certificate Subject DN Qualifier",
        tags::CERTIFICATE_SUBJECT_DN_QUALIFIER,
    ),
    ("Certificate Issuer CN", tags::CERTIFICATE_ISSUER_CN),
    ("Certificate Issuer O", tags::CERTIFICATE_ISSUER_O),
    ("Certificate Issuer OU", tags::CERTIFICATE_ISSUER_OU),
    ("Certificate Issuer Email", tags::CERTIFICATE_ISSUER_EMAIL),
    ("Certificate Issuer C", tags::CERTIFICATE_ISSUER_C),
    ("Certificate Issuer ST", tags::CERTIFICATE_ISSUER_ST),
    ("Certificate Issuer L", tags::CERTIFICATE_ISSUER_L),
    ("Certificate Issuer UID", tags::CERTIFICATE_ISSUER_UID),
    (
        "Certificate Issuer Serial Number",
        tags::CERTIFICATE_ISSUER_SERIAL_NUMBER,
    ),
    ("Certificate Issuer Title", tags::CERTIFICATE_ISSUER_TITLE),
    ("Certificate Issuer DC", tags::CERTIFICATE_ISSUER_DC),
    (
        "Certificate Issuer DN Qualifier",
        tags::CERTIFICATE_ISSUER_DN_QUALIFIER,
    ),
    ("Key Format Type", tags::KEY_FORMAT_TYPE),
    ("NIST Key Type", tags::NIST_KEY_TYPE),
    ("Opaque Data Type", tags::OPAQUE_DATA_TYPE),
    ("Protection Level", tags::PROTECTION_LEVEL),
    ("Protection Period", tags::PROTECTION_PERIOD),
    ("Protection Storage Mask", tags::PROTECTION_STORAGE_MASK),
    ("Quantum Safe", tags::QUANTUM_SAFE),
    ("Short Unique Identifier", tags::SHORT_UNIQUE_IDENTIFIER),
    ("Rotate Interval", tags::ROTATE_INTERVAL),
    ("Rotate Automatic", tags::ROTATE_AUTOMATIC),
    ("Rotate Offset", tags::ROTATE_OFFSET),
    ("Rotate Date", tags::ROTATE_DATE),
    ("Rotate Generation", tags::ROTATE_GENERATION),
    ("Rotate Name", tags::ROTATE_NAME),
    ("Rotate Latest", tags::ROTATE_LATEST),
];

/// Attributes that only exist in 1.x; 2.x encoders leave them out.
const ONLY_1X: &[&str] = &[
    "Operation Policy Name",
    "Certificate Identifier",
    "Certificate Subject",
    "Certificate Issuer",
    "Custom Attribute",
];

/// The tag of a standard attribute, by its 1.x name (exact, or ignoring case and separators).
pub fn tag_for_name(name: &str) -> Option<Tag> {
    if let Some((_, t)) = STANDARD_ATTRIBUTES.iter().find(|(n, _)| *n == name) {
        return Some(*t);
    }
    let wanted = crate::enums::loose_name(name);
    STANDARD_ATTRIBUTES
        .iter()
        .find(|(n, _)| crate::enums::loose_name(n) == wanted)
        .map(|(_, t)| *t)
}

/// The 1.x name of the standard attribute with item tag `tag`.
pub fn name_for_tag(tag: Tag) -> Option<&'static str> {
    STANDARD_ATTRIBUTES
        .iter()
        .find(|(_, t)| *t == tag)
        .map(|(n, _)| *n)
}

/// The canonical 1.x name for a name as a client spelled it (e.g. "CryptographicAlgorithm"
/// becomes "Cryptographic Algorithm"); custom names are returned unchanged.
pub fn canonical_name(name: &str) -> String {
    if is_custom(name) {
        return name.to_string();
    }
    match tag_for_name(name).and_then(name_for_tag) {
        Some(n) => n.to_string(),
        None => name.to_string(),
    }
}

/// True for a client-defined name ("x-…", "y-…", or any vendor prefix written "vendor-name"
/// that is not a standard attribute).
fn is_custom(name: &str) -> bool {
    name.starts_with("x-")
        || name.starts_with("y-")
        || name.starts_with("X-")
        || name.starts_with("Y-")
}

/// Splits a custom name into (Vendor Identification, Attribute Name) for 2.x.
fn split_vendor(name: &str) -> (&str, &str) {
    match name.split_once('-') {
        Some((v, n)) if !v.is_empty() => (v, n),
        _ => ("x", name),
    }
}

impl Attribute {
    /// An attribute without index.
    pub fn new(name: impl Into<String>, value: Value) -> Self {
        Attribute {
            name: name.into(),
            index: None,
            value,
        }
    }

    /// A Name attribute.
    pub fn name_value(value: impl Into<String>, name_type: NameType) -> Self {
        let mut w = Writer::new();
        w.text(tags::NAME_VALUE, &value.into())
            .enm(tags::NAME_TYPE, name_type);
        Attribute::new("Name", Value::Structure(w.0))
    }

    /// A Link attribute.
    pub fn link(link_type: LinkType, linked_object_identifier: impl Into<String>) -> Self {
        let mut w = Writer::new();
        w.enm(tags::LINK_TYPE, link_type).text(
            tags::LINKED_OBJECT_IDENTIFIER,
            &linked_object_identifier.into(),
        );
        Attribute::new("Link", Value::Structure(w.0))
    }

    /// An enumeration-valued attribute.
    pub fn enumeration<E: KmipEnum>(name: impl Into<String>, value: E) -> Self {
        Attribute::new(name, Value::Enumeration(value.value()))
    }

    /// Decodes a 1.x Attribute {Attribute Name, Attribute Index, Attribute Value} structure.
    /// The fields are those of the 1.x Attribute at any `ver`: a 2.x Re-key may carry 1.x
    /// Attributes inside a Template-Attribute (see `schema`).
    pub fn from_ttlv_1x(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = structures::ATTRIBUTE_1X.read(ver, item)?;
        let name = r.req_text(tags::ATTRIBUTE_NAME)?;
        let index = r.int(tags::ATTRIBUTE_INDEX)?;
        let value = match r.opt(tags::ATTRIBUTE_VALUE) {
            Some(v) => v.value.clone(),
            None => {
                return Err(crate::convert::missing(
                    ver,
                    &format!("Attribute {name}"),
                    tags::ATTRIBUTE_VALUE,
                ));
            }
        };
        let name = canonical_name(&name);
        if !is_custom(&name)
            && let Some(tag) = tag_for_name(&name)
        {
            structures::check_attribute_value(ver, tag, &value)?;
        }
        Ok(Attribute { name, index, value })
    }

    /// Encodes as a 1.x Attribute structure.
    pub fn to_ttlv_1x(&self) -> Ttlv {
        let mut w = Writer::new();
        w.text(tags::ATTRIBUTE_NAME, &self.name)
            .opt_int(tags::ATTRIBUTE_INDEX, self.index)
            .value(tags::ATTRIBUTE_VALUE, self.value.clone());
        w.into_structure(tags::ATTRIBUTE)
    }

    /// Decodes one 2.x attribute item: a tagged standard attribute, or an Attribute structure
    /// {Vendor Identification, Attribute Name, Attribute Value} for a custom one.
    pub fn from_ttlv_2x(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        Self::item_2x(item, ver, "Attributes")
    }

    /// [`Attribute::from_ttlv_2x`] with the name of the structure holding the item.
    pub(crate) fn item_2x(
        item: &Ttlv,
        ver: ProtocolVersion,
        parent: &str,
    ) -> Result<Self, KmipError> {
        if item.tag == tags::ATTRIBUTE {
            let r = structures::ATTRIBUTE_2X.read(ver, item)?;
            let name = r.req_text(tags::ATTRIBUTE_NAME)?;
            let value = r.req(tags::ATTRIBUTE_VALUE)?.value.clone();
            let name = match r.text(tags::VENDOR_IDENTIFICATION)? {
                Some(vendor) if vendor.is_empty() => {
                    return Err(invalid(
                        "Attribute",
                        tags::VENDOR_IDENTIFICATION,
                        "must not be empty",
                    ));
                }
                Some(vendor) => format!("{vendor}-{name}"),
                // Without a vendor the name is kept as sent (a custom "x-" name, or a
                // standard name spelled out).
                None => canonical_name(&name),
            };
            return Ok(Attribute {
                name,
                index: None,
                value,
            });
        }
        match name_for_tag(item.tag) {
            // 2.0 removed these attributes; their tags are reserved (2.1 §11.56).
            Some(name) if ONLY_1X.contains(&name) => Err(KmipError::new(
                ResultReason::InvalidMessage,
                format!(
                    "{parent} (KMIP {ver}): {} is a KMIP 1.x attribute, not one of KMIP 2.x",
                    crate::convert::label(item.tag)
                ),
            )),
            Some(name) => {
                structures::check_attribute_value(ver, item.tag, &item.value)?;
                Ok(Attribute::new(name, item.value.clone()))
            }
            None => Err(structures::not_an_attribute(ver, parent, item.tag)),
        }
    }

    /// Encodes as one 2.x attribute item; `None` for attributes 2.x does not have.
    pub fn to_ttlv_2x(&self) -> Option<Ttlv> {
        if ONLY_1X.contains(&self.name.as_str()) {
            return None;
        }
        match tag_for_name(&self.name) {
            Some(tag) if !is_custom(&self.name) => Some(Ttlv::new(tag, self.value.clone())),
            _ => {
                let (vendor, name) = split_vendor(&self.name);
                let mut w = Writer::new();
                w.text(tags::VENDOR_IDENTIFICATION, vendor)
                    .text(tags::ATTRIBUTE_NAME, name)
                    .value(tags::ATTRIBUTE_VALUE, self.value.clone());
                Some(w.into_structure(tags::ATTRIBUTE))
            }
        }
    }

    /// Encodes in the form of `ver` (1.x Attribute structure or 2.x item).
    pub fn to_ttlv(&self, ver: ProtocolVersion) -> Option<Ttlv> {
        if ver.uses_attributes_form() {
            self.to_ttlv_2x()
        } else {
            Some(self.to_ttlv_1x())
        }
    }
}

/// Decodes a 2.x Attribute Reference (an enumeration holding the attribute's tag, or a
/// structure {Vendor Identification, Attribute Name}) to an attribute name.
pub fn reference_from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<String, KmipError> {
    match &item.value {
        Value::Enumeration(t) => name_for_tag(Tag(*t)).map(str::to_string).ok_or_else(|| {
            invalid(
                "Attribute Reference",
                item.tag,
                format!("names unknown attribute tag 0x{t:06x}"),
            )
        }),
        Value::Structure(_) => {
            let r = structures::ATTRIBUTE_REFERENCE.read(ver, item)?;
            let name = r.req_text(tags::ATTRIBUTE_NAME)?;
            match r.text(tags::VENDOR_IDENTIFICATION)? {
                Some(v) if v.is_empty() => Err(invalid(
                    "Attribute Reference",
                    tags::VENDOR_IDENTIFICATION,
                    "must not be empty",
                )),
                Some(v) => Ok(format!("{v}-{name}")),
                // Without a vendor, only a standard attribute can be named; anything else
                // would come back under another name when the reference is re-encoded.
                None => {
                    let name = canonical_name(&name);
                    if tag_for_name(&name).is_some() {
                        Ok(name)
                    } else {
                        Err(invalid(
                            "Attribute Reference",
                            tags::ATTRIBUTE_NAME,
                            format!(
                                "names unknown attribute {name:?} without a Vendor Identification"
                            ),
                        ))
                    }
                }
            }
        }
        other => Err(invalid(
            "Attribute Reference",
            item.tag,
            format!(
                "must be an Enumeration or Structure, found {:?}",
                other.item_type()
            ),
        )),
    }
}

/// Encodes an attribute name as a 2.x Attribute Reference; `None` for 1.x-only attributes.
pub fn reference_to_ttlv(name: &str) -> Option<Ttlv> {
    if ONLY_1X.contains(&name) {
        return None;
    }
    match tag_for_name(name) {
        Some(tag) if !is_custom(name) => Some(Ttlv::new(
            tags::ATTRIBUTE_REFERENCE,
            Value::Enumeration(tag.0),
        )),
        _ => {
            let (vendor, n) = split_vendor(name);
            let mut w = Writer::new();
            w.text(tags::VENDOR_IDENTIFICATION, vendor)
                .text(tags::ATTRIBUTE_NAME, n);
            Some(w.into_structure(tags::ATTRIBUTE_REFERENCE))
        }
    }
}

impl Attributes {
    /// An empty list.
    pub fn new() -> Self {
        Attributes(Vec::new())
    }

    /// True when there are no attributes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of attribute instances.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Iterates over the instances.
    pub fn iter(&self) -> std::slice::Iter<'_, Attribute> {
        self.0.iter()
    }

    /// The first instance named `name` (canonical or XML spelling).
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        let name = canonical_name(name);
        self.0.iter().find(|a| a.name == name)
    }

    /// Every instance named `name`.
    pub fn get_all(&self, name: &str) -> Vec<&Attribute> {
        let name = canonical_name(name);
        self.0.iter().filter(|a| a.name == name).collect()
    }

    /// The enumeration value of `name`.
    pub fn enumeration(&self, name: &str) -> Option<u32> {
        match self.get(name)?.value {
            Value::Enumeration(v) => Some(v),
            _ => None,
        }
    }

    /// The integer value of `name`.
    pub fn integer(&self, name: &str) -> Option<i32> {
        match self.get(name)?.value {
            Value::Integer(v) => Some(v),
            _ => None,
        }
    }

    /// The long integer value of `name`.
    pub fn long_integer(&self, name: &str) -> Option<i64> {
        match self.get(name)?.value {
            Value::LongInteger(v) => Some(v),
            _ => None,
        }
    }

    /// The text value of `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        match &self.get(name)?.value {
            Value::TextString(v) => Some(v),
            _ => None,
        }
    }

    /// The boolean value of `name`.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.get(name)?.value {
            Value::Boolean(v) => Some(v),
            _ => None,
        }
    }

    /// The date-time value of `name` in seconds.
    pub fn datetime(&self, name: &str) -> Option<i64> {
        match self.get(name)?.value {
            Value::DateTime(v) => Some(v),
            Value::DateTimeExtended(v) => Some(v.div_euclid(1_000_000)),
            _ => None,
        }
    }

    /// The byte-string value of `name`.
    pub fn bytes(&self, name: &str) -> Option<&[u8]> {
        match &self.get(name)?.value {
            Value::ByteString(v) => Some(v),
            _ => None,
        }
    }

    /// The distinct attribute names, in first-seen order.
    pub fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for a in &self.0 {
            if !out.contains(&a.name.as_str()) {
                out.push(&a.name);
            }
        }
        out
    }

    /// Replaces every instance of the attribute's name by this one.
    pub fn set(&mut self, attribute: Attribute) {
        self.0.retain(|a| a.name != attribute.name);
        self.0.push(attribute);
    }

    /// Appends an instance.
    pub fn push(&mut self, attribute: Attribute) {
        self.0.push(attribute);
    }

    /// Removes every instance named `name`, returning them.
    pub fn remove(&mut self, name: &str) -> Vec<Attribute> {
        let name = canonical_name(name);
        let (gone, keep) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|a| a.name == name);
        self.0 = keep;
        gone
    }

    /// Cryptographic Algorithm.
    pub fn cryptographic_algorithm(&self) -> Option<CryptographicAlgorithm> {
        CryptographicAlgorithm::from_value(self.enumeration("Cryptographic Algorithm")?)
    }

    /// Cryptographic Length.
    pub fn cryptographic_length(&self) -> Option<i32> {
        self.integer("Cryptographic Length")
    }

    /// Cryptographic Usage Mask.
    pub fn usage_mask(&self) -> Option<CryptographicUsageMask> {
        // Masks are Integers on the wire; reinterpret the bits.
        self.integer("Cryptographic Usage Mask")
            .map(|v| CryptographicUsageMask(v as u32))
    }

    /// Object Type.
    pub fn object_type(&self) -> Option<ObjectType> {
        ObjectType::from_value(self.enumeration("Object Type")?)
    }

    /// State.
    pub fn state(&self) -> Option<State> {
        State::from_value(self.enumeration("State")?)
    }

    /// Every Name: (Name Value, Name Type).
    pub fn object_names(&self) -> Vec<(String, Option<NameType>)> {
        self.get_all("Name")
            .into_iter()
            .filter_map(|a| {
                let Value::Structure(items) = &a.value else {
                    return None;
                };
                let value = items.iter().find_map(|i| match (&i.value, i.tag) {
                    (Value::TextString(s), t) if t == tags::NAME_VALUE => Some(s.clone()),
                    _ => None,
                })?;
                let name_type = items.iter().find_map(|i| match (&i.value, i.tag) {
                    (Value::Enumeration(e), t) if t == tags::NAME_TYPE => NameType::from_value(*e),
                    _ => None,
                });
                Some((value, name_type))
            })
            .collect()
    }

    /// Every Link: (Link Type, Linked Object Identifier).
    pub fn links(&self) -> Vec<(LinkType, String)> {
        self.get_all("Link")
            .into_iter()
            .filter_map(|a| {
                let Value::Structure(items) = &a.value else {
                    return None;
                };
                let lt = items.iter().find_map(|i| match (&i.value, i.tag) {
                    (Value::Enumeration(e), t) if t == tags::LINK_TYPE => LinkType::from_value(*e),
                    _ => None,
                })?;
                let id = items.iter().find_map(|i| match (&i.value, i.tag) {
                    (Value::TextString(s), t) if t == tags::LINKED_OBJECT_IDENTIFIER => {
                        Some(s.clone())
                    }
                    _ => None,
                })?;
                Some((lt, id))
            })
            .collect()
    }

    /// Decodes a 1.x Template-Attribute (or Common/Private/Public Key Template-Attribute).
    /// Name items (references to server-side templates) are refused: templates are not offered.
    /// Any other child is refused too, rather than skipped with the attribute it may carry.
    pub fn from_template_attribute(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = structures::TEMPLATE_ATTRIBUTE.read(ver, item)?;
        if r.opt(tags::NAME).is_some() {
            return Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                format!(
                    "{}: Name references a template; templates are not supported, send the attributes instead",
                    tag_name(item.tag)
                ),
            ));
        }
        let attrs = r
            .all(tags::ATTRIBUTE)
            .map(|a| Attribute::from_ttlv_1x(a, ver))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Attributes(attrs))
    }

    /// Decodes a 2.x Attributes structure (or Common/Private/Public Key Attributes, New
    /// Attribute, Current Attribute).
    pub fn from_attributes_2x(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let name = crate::tags::name(item.tag).unwrap_or("Attributes");
        let r = Reader::new(ver, name, item)?;
        let attrs = r
            .items
            .iter()
            .map(|a| Attribute::item_2x(a, ver, name))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Attributes(attrs))
    }

    /// Decodes whichever form `item` is, by its tag: a Template-Attribute family structure, or
    /// a 2.x Attributes family structure.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let t = item.tag;
        if t == tags::TEMPLATE_ATTRIBUTE
            || t == tags::COMMON_TEMPLATE_ATTRIBUTE
            || t == tags::PRIVATE_KEY_TEMPLATE_ATTRIBUTE
            || t == tags::PUBLIC_KEY_TEMPLATE_ATTRIBUTE
        {
            Self::from_template_attribute(item, ver)
        } else {
            Self::from_attributes_2x(item, ver)
        }
    }

    /// Encodes as a 1.x Template-Attribute family structure with `tag`.
    pub fn to_template_attribute(&self, tag: Tag) -> Ttlv {
        Ttlv::structure(tag, self.0.iter().map(Attribute::to_ttlv_1x).collect())
    }

    /// Encodes as a 2.x Attributes family structure with `tag`.
    pub fn to_attributes_2x(&self, tag: Tag) -> Ttlv {
        Ttlv::structure(
            tag,
            self.0.iter().filter_map(Attribute::to_ttlv_2x).collect(),
        )
    }

    /// Encodes the 1.x Attribute items (for payloads that list them directly).
    pub fn to_attribute_items_1x(&self) -> Vec<Ttlv> {
        self.0.iter().map(Attribute::to_ttlv_1x).collect()
    }
}

impl FromIterator<Attribute> for Attributes {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> Self {
        Attributes(iter.into_iter().collect())
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = &'a Attribute;
    type IntoIter = std::slice::Iter<'a, Attribute>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V14: ProtocolVersion = ProtocolVersion { major: 1, minor: 4 };
    const V21: ProtocolVersion = ProtocolVersion { major: 2, minor: 1 };

    #[test]
    fn name_tag_map_is_a_bijection() {
        for (n, t) in STANDARD_ATTRIBUTES {
            assert_eq!(tag_for_name(n), Some(*t), "{n}");
            assert_eq!(name_for_tag(*t), Some(*n), "{n}");
            assert!(tags::name(*t).is_some(), "{n} has no tag name");
        }
        assert_eq!(
            tag_for_name("CryptographicAlgorithm"),
            Some(tags::CRYPTOGRAPHIC_ALGORITHM)
        );
        assert_eq!(
            canonical_name("CryptographicLength"),
            "Cryptographic Length"
        );
    }

    #[test]
    fn custom_attribute_round_trips_both_forms() {
        let a = Attribute::new("x-foo", Value::TextString("bar".into()));
        let t = a.to_ttlv_2x().unwrap();
        assert_eq!(t.tag, tags::ATTRIBUTE);
        assert_eq!(Attribute::from_ttlv_2x(&t, V21).unwrap(), a);
        let t1 = a.to_ttlv_1x();
        assert_eq!(Attribute::from_ttlv_1x(&t1, V14).unwrap(), a);
    }

    #[test]
    fn standard_attribute_round_trips_both_forms() {
        let mut attrs = Attributes::new();
        attrs.push(Attribute::enumeration(
            "Cryptographic Algorithm",
            CryptographicAlgorithm::Aes,
        ));
        attrs.push(Attribute::new("Cryptographic Length", Value::Integer(256)));
        attrs.push(Attribute::name_value(
            "k1",
            NameType::UninterpretedTextString,
        ));
        let t2 = attrs.to_attributes_2x(tags::ATTRIBUTES);
        assert_eq!(Attributes::from_ttlv(&t2, V21).unwrap(), attrs);
        let t1 = attrs.to_template_attribute(tags::TEMPLATE_ATTRIBUTE);
        assert_eq!(Attributes::from_ttlv(&t1, V14).unwrap(), attrs);
        assert_eq!(
            attrs.cryptographic_algorithm(),
            Some(CryptographicAlgorithm::Aes)
        );
        assert_eq!(attrs.cryptographic_length(), Some(256));
        assert_eq!(
            attrs.object_names(),
            vec![("k1".to_string(), Some(NameType::UninterpretedTextString))]
        );
    }

    #[test]
    fn template_name_is_refused() {
        let t = Ttlv::structure(
            tags::TEMPLATE_ATTRIBUTE,
            vec![
                Attribute::name_value("tpl", NameType::UninterpretedTextString)
                    .value_as(tags::NAME),
            ],
        );
        let e = Attributes::from_ttlv(&t, V14).unwrap_err();
        assert!(e.message.contains("template"), "{e}");
    }

    #[test]
    fn every_structured_standard_attribute_has_a_table() {
        // The standard attributes whose value is a structure in some KMIP version.
        for (name, tag) in STANDARD_ATTRIBUTES {
            let structured = [
                "Name",
                "Link",
                "Digest",
                "Cryptographic Parameters",
                "Cryptographic Domain Parameters",
                "Usage Limits",
                "Application Specific Information",
                "Revocation Reason",
                "Alternative Name",
                "Key Value Location",
                "Random Number Generator",
                "X.509 Certificate Identifier",
                "X.509 Certificate Subject",
                "X.509 Certificate Issuer",
                "Certificate Identifier",
                "Certificate Subject",
                "Certificate Issuer",
            ]
            .contains(name);
            assert_eq!(
                crate::structures::attribute_value(*tag).is_some(),
                structured,
                "{name}"
            );
        }
    }

    #[test]
    fn references_round_trip() {
        for n in ["Cryptographic Algorithm", "x-ID"] {
            let t = reference_to_ttlv(n).unwrap();
            assert_eq!(reference_from_ttlv(&t, V21).unwrap(), n);
        }
        assert!(reference_to_ttlv("Operation Policy Name").is_none());
    }

    #[test]
    fn set_remove() {
        let mut a = Attributes::new();
        a.push(Attribute::new("x-a", Value::Integer(1)));
        a.push(Attribute::new("x-a", Value::Integer(2)));
        a.set(Attribute::new("x-a", Value::Integer(3)));
        assert_eq!(a.get_all("x-a").len(), 1);
        assert_eq!(a.integer("x-a"), Some(3));
        assert_eq!(a.remove("x-a").len(), 1);
        assert!(a.is_empty());
    }

    impl Attribute {
        fn value_as(&self, tag: Tag) -> Ttlv {
            Ttlv::new(tag, self.value.clone())
        }
    }
}
