//! Typed request and response payloads of the operations the server offers.
//!
//! `unique_identifier: None` means the client relied on the ID Placeholder of the batch.

use crate::attributes::{Attribute, Attributes};
use crate::enums::{
    KeyCompressionType, KeyFormatType, ObjectType, Operation, QueryFunction, RevocationReasonCode,
};
use crate::objects::{CryptographicParameters, KeyWrappingSpecification, ManagedObject};
use crate::version::ProtocolVersion;
use zeroize::Zeroizing;

/// A request payload, one variant per supported operation.
// Boxing the large variants would change the contract other crates match on; payloads are
// short-lived, one per batch item.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq)]
pub enum RequestPayload {
    /// Discover Versions: the client's versions, most preferred first (empty = all).
    DiscoverVersions {
        /// Protocol Version items.
        versions: Vec<ProtocolVersion>,
    },
    /// Query.
    Query {
        /// Query Function items.
        functions: Vec<QueryFunction>,
    },
    /// Create a symmetric key (or secret data).
    Create {
        /// Object Type to create.
        object_type: ObjectType,
        /// Requested attributes (Template-Attribute in 1.x, Attributes in 2.x).
        attributes: Attributes,
    },
    /// Create Key Pair.
    CreateKeyPair {
        /// Common attributes.
        common: Attributes,
        /// Private key attributes.
        private: Attributes,
        /// Public key attributes.
        public: Attributes,
    },
    /// Register a client-supplied object.
    Register {
        /// Object Type of the object.
        object_type: ObjectType,
        /// Attributes to set.
        attributes: Attributes,
        /// The object itself.
        object: ManagedObject,
    },
    /// Re-key a symmetric key.
    ReKey {
        /// Key to replace.
        unique_identifier: Option<String>,
        /// Offset (seconds) for the dates of the new key.
        offset: Option<u32>,
        /// Attributes for the new key.
        attributes: Attributes,
    },
    /// Get an object.
    Get {
        /// Object to get.
        unique_identifier: Option<String>,
        /// Requested format.
        key_format_type: Option<KeyFormatType>,
        /// Requested compression.
        key_compression_type: Option<KeyCompressionType>,
        /// Wrap the key under another key on the way out.
        key_wrapping_specification: Option<KeyWrappingSpecification>,
    },
    /// Get Attributes.
    GetAttributes {
        /// Object whose attributes are wanted.
        unique_identifier: Option<String>,
        /// Names wanted (empty = all).
        names: Vec<String>,
    },
    /// Get Attribute List.
    GetAttributeList {
        /// Object.
        unique_identifier: Option<String>,
    },
    /// Add Attribute.
    AddAttribute {
        /// Object.
        unique_identifier: Option<String>,
        /// Attribute to add.
        attribute: Attribute,
    },
    /// Set Attribute (2.0+).
    SetAttribute {
        /// Object.
        unique_identifier: Option<String>,
        /// New value.
        attribute: Attribute,
    },
    /// Modify Attribute.
    ModifyAttribute {
        /// Object.
        unique_identifier: Option<String>,
        /// Attribute (1.x: name, index and new value).
        attribute: Attribute,
        /// 2.x Current Attribute, when given.
        current: Option<Attribute>,
    },
    /// Delete Attribute.
    DeleteAttribute {
        /// Object.
        unique_identifier: Option<String>,
        /// Attribute name.
        name: String,
        /// Attribute index (1.x) or the instance to delete (2.x Current Attribute's value).
        index: Option<i32>,
        /// 2.x Current Attribute, when given.
        current: Option<Attribute>,
    },
    /// Locate.
    Locate {
        /// Maximum Items.
        maximum_items: Option<i32>,
        /// Offset Items.
        offset_items: Option<i32>,
        /// Storage Status Mask.
        storage_status_mask: Option<u32>,
        /// Object Group Member.
        object_group_member: Option<u32>,
        /// Attributes to match.
        attributes: Attributes,
    },
    /// Activate.
    Activate {
        /// Object.
        unique_identifier: Option<String>,
    },
    /// Revoke.
    Revoke {
        /// Object.
        unique_identifier: Option<String>,
        /// Revocation Reason Code.
        reason: RevocationReasonCode,
        /// Revocation Message.
        message: Option<String>,
        /// Compromise Occurrence Date (seconds since the epoch).
        compromise_occurrence_date: Option<i64>,
    },
    /// Destroy.
    Destroy {
        /// Object.
        unique_identifier: Option<String>,
    },
    /// Encrypt.
    Encrypt {
        /// Key.
        unique_identifier: Option<String>,
        /// Cryptographic Parameters (else the key's defaults).
        parameters: Option<CryptographicParameters>,
        /// Plaintext.
        data: Zeroizing<Vec<u8>>,
        /// IV/Counter/Nonce.
        iv_counter_nonce: Option<Vec<u8>>,
        /// Authenticated Encryption Additional Data.
        aad: Option<Vec<u8>>,
    },
    /// Decrypt.
    Decrypt {
        /// Key.
        unique_identifier: Option<String>,
        /// Cryptographic Parameters.
        parameters: Option<CryptographicParameters>,
        /// Ciphertext.
        data: Vec<u8>,
        /// IV/Counter/Nonce.
        iv_counter_nonce: Option<Vec<u8>>,
        /// Authenticated Encryption Additional Data.
        aad: Option<Vec<u8>>,
        /// Authenticated Encryption Tag.
        tag: Option<Vec<u8>>,
    },
    /// Sign.
    Sign {
        /// Private key.
        unique_identifier: Option<String>,
        /// Cryptographic Parameters.
        parameters: Option<CryptographicParameters>,
        /// Data to sign.
        data: Option<Vec<u8>>,
        /// Digested Data (pre-hashed), when given instead of data.
        digested_data: Option<Vec<u8>>,
    },
    /// Signature Verify.
    SignatureVerify {
        /// Public key.
        unique_identifier: Option<String>,
        /// Cryptographic Parameters.
        parameters: Option<CryptographicParameters>,
        /// Signed data.
        data: Option<Vec<u8>>,
        /// Digested Data, when given instead of data.
        digested_data: Option<Vec<u8>>,
        /// Signature Data.
        signature: Vec<u8>,
    },
    /// MAC.
    Mac {
        /// Key.
        unique_identifier: Option<String>,
        /// Cryptographic Parameters.
        parameters: Option<CryptographicParameters>,
        /// Data.
        data: Vec<u8>,
    },
    /// MAC Verify.
    MacVerify {
        /// Key.
        unique_identifier: Option<String>,
        /// Cryptographic Parameters.
        parameters: Option<CryptographicParameters>,
        /// Data.
        data: Vec<u8>,
        /// MAC Data to check.
        mac: Vec<u8>,
    },
    /// RNG Retrieve.
    RngRetrieve {
        /// Number of bytes wanted.
        length: i32,
    },
}

/// A response payload, one variant per supported operation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq)]
pub enum ResponsePayload {
    /// Discover Versions: supported versions in order of preference.
    DiscoverVersions {
        /// Protocol Version items.
        versions: Vec<ProtocolVersion>,
    },
    /// Query answer.
    Query {
        /// Operation items.
        operations: Vec<Operation>,
        /// Object Type items.
        object_types: Vec<ObjectType>,
        /// Vendor Identification.
        vendor_identification: Option<String>,
        /// Server Information (free text).
        server_information: Option<String>,
    },
    /// Create.
    Create {
        /// Object Type created.
        object_type: ObjectType,
        /// Unique Identifier of the new object.
        unique_identifier: String,
    },
    /// Create Key Pair.
    CreateKeyPair {
        /// Private key's Unique Identifier.
        private_key_unique_identifier: String,
        /// Public key's Unique Identifier.
        public_key_unique_identifier: String,
    },
    /// Register.
    Register {
        /// Unique Identifier of the registered object.
        unique_identifier: String,
    },
    /// Re-key.
    ReKey {
        /// Unique Identifier of the new key.
        unique_identifier: String,
    },
    /// Get.
    Get {
        /// Object Type.
        object_type: ObjectType,
        /// Unique Identifier.
        unique_identifier: String,
        /// The object in the requested format.
        object: ManagedObject,
    },
    /// Get Attributes.
    GetAttributes {
        /// Unique Identifier.
        unique_identifier: String,
        /// The attributes.
        attributes: Attributes,
    },
    /// Get Attribute List.
    GetAttributeList {
        /// Unique Identifier.
        unique_identifier: String,
        /// Attribute names.
        names: Vec<String>,
    },
    /// Add, Set, Modify Attribute: the object and (1.x) the resulting attribute.
    AttributeChanged {
        /// Unique Identifier.
        unique_identifier: String,
        /// The attribute as stored (1.x responses carry it; 2.x omit it).
        attribute: Option<Attribute>,
    },
    /// Delete Attribute.
    DeleteAttribute {
        /// Unique Identifier.
        unique_identifier: String,
        /// The deleted attribute (1.x responses carry it).
        attribute: Option<Attribute>,
    },
    /// Locate.
    Locate {
        /// Located Items: total number of matches (when requested by offset/maximum).
        located_items: Option<i32>,
        /// Matching identifiers, after offset and maximum.
        unique_identifiers: Vec<String>,
    },
    /// Activate, Revoke, Destroy: the object acted on.
    Identifier {
        /// Unique Identifier.
        unique_identifier: String,
    },
    /// Encrypt.
    Encrypt {
        /// Key used.
        unique_identifier: String,
        /// Ciphertext.
        data: Vec<u8>,
        /// IV/Counter/Nonce the server generated, if any.
        iv_counter_nonce: Option<Vec<u8>>,
        /// Authenticated Encryption Tag.
        tag: Option<Vec<u8>>,
    },
    /// Decrypt.
    Decrypt {
        /// Key used.
        unique_identifier: String,
        /// Plaintext.
        data: Zeroizing<Vec<u8>>,
    },
    /// Sign.
    Sign {
        /// Key used.
        unique_identifier: String,
        /// Signature Data.
        signature: Vec<u8>,
    },
    /// Signature Verify.
    SignatureVerify {
        /// Key used.
        unique_identifier: String,
        /// Validity Indicator: true when valid.
        valid: bool,
    },
    /// MAC.
    Mac {
        /// Key used.
        unique_identifier: String,
        /// MAC Data.
        mac: Vec<u8>,
    },
    /// MAC Verify.
    MacVerify {
        /// Key used.
        unique_identifier: String,
        /// Validity Indicator: true when valid.
        valid: bool,
    },
    /// RNG Retrieve.
    RngRetrieve {
        /// Random bytes.
        data: Vec<u8>,
    },
}

// ---------------------------------------------------------------------------------------------
// TTLV conversion
// ---------------------------------------------------------------------------------------------

use crate::KmipError;
use crate::attributes::{reference_from_ttlv, reference_to_ttlv};
use crate::convert::{Reader, Writer, missing};
use crate::enums::{ResultReason, ValidityIndicator};
use crate::structures;
use crate::tags;
use crate::ttlv::{Tag, Ttlv, Value};

/// The operations with a typed payload here, in Operation value order.
pub const SUPPORTED_OPERATIONS: &[Operation] = &[
    Operation::Create,
    Operation::CreateKeyPair,
    Operation::Register,
    Operation::ReKey,
    Operation::Locate,
    Operation::Get,
    Operation::GetAttributes,
    Operation::GetAttributeList,
    Operation::AddAttribute,
    Operation::ModifyAttribute,
    Operation::DeleteAttribute,
    Operation::Activate,
    Operation::Revoke,
    Operation::Destroy,
    Operation::Query,
    Operation::DiscoverVersions,
    Operation::Encrypt,
    Operation::Decrypt,
    Operation::Sign,
    Operation::SignatureVerify,
    Operation::Mac,
    Operation::MacVerify,
    Operation::RngRetrieve,
    Operation::SetAttribute,
];

/// True when `op` has a typed payload here.
pub fn is_supported(op: Operation) -> bool {
    SUPPORTED_OPERATIONS.contains(&op)
}

/// The error for an operation without a typed payload.
pub fn unsupported(op: Operation) -> KmipError {
    KmipError::new(
        ResultReason::OperationNotSupported,
        format!("operation {op} is not supported"),
    )
}

fn protocol_version_from(item: &Ttlv, ver: ProtocolVersion) -> Result<ProtocolVersion, KmipError> {
    let r = Reader::new(ver, "Protocol Version", item)?;
    Ok(ProtocolVersion {
        major: r.req_int(tags::PROTOCOL_VERSION_MAJOR)?,
        minor: r.req_int(tags::PROTOCOL_VERSION_MINOR)?,
    })
}

impl ProtocolVersion {
    /// Decodes a Protocol Version structure.
    pub fn from_ttlv(item: &Ttlv) -> Result<Self, KmipError> {
        protocol_version_from(item, ProtocolVersion { major: 1, minor: 0 })
    }

    /// Encodes a Protocol Version structure.
    pub fn to_ttlv(self) -> Ttlv {
        let mut w = Writer::new();
        w.int(tags::PROTOCOL_VERSION_MAJOR, self.major)
            .int(tags::PROTOCOL_VERSION_MINOR, self.minor);
        w.into_structure(tags::PROTOCOL_VERSION)
    }
}

/// The attributes of a request in the form of its version (Template-Attribute in 1.x,
/// Attributes in 2.x; the other form was refused by the payload check); empty when absent.
fn attributes_in(r: &Reader<'_>, form_1x: Tag, form_2x: Tag) -> Result<Attributes, KmipError> {
    let tag = if r.ver.uses_attributes_form() {
        form_2x
    } else {
        form_1x
    };
    match r.opt(tag) {
        Some(item) => Attributes::from_ttlv(item, r.ver),
        None => Ok(Attributes::default()),
    }
}

/// Encodes attributes in the form of `ver`.
fn attributes_out(
    w: &mut Writer,
    ver: ProtocolVersion,
    attrs: &Attributes,
    tag_1x: Tag,
    tag_2x: Tag,
) {
    if ver.uses_attributes_form() {
        w.push(attrs.to_attributes_2x(tag_2x));
    } else {
        w.push(attrs.to_template_attribute(tag_1x));
    }
}

/// The single attribute inside a 2.x New Attribute / Current Attribute structure. Every child
/// is read first, so a child that is not an attribute is refused as such; a second attribute
/// is the one field given twice.
fn single_attribute(item: &Ttlv, ver: ProtocolVersion) -> Result<Attribute, KmipError> {
    let name = crate::tags::name(item.tag).unwrap_or("attribute");
    let r = Reader::new(ver, name, item)?;
    let mut attributes = r.items.iter().map(|a| Attribute::item_2x(a, ver, name));
    let first = attributes
        .next()
        .ok_or_else(|| missing(ver, name, tags::ATTRIBUTE))??;
    if let Some(second) = attributes.next() {
        let second = second?;
        return Err(KmipError::new(
            ResultReason::InvalidMessage,
            format!(
                "{name} (KMIP {ver}): holds one attribute, found {} and {} (it appears more than once)",
                first.name, second.name
            ),
        ));
    }
    Ok(first)
}

/// Encodes one attribute inside a New Attribute / Current Attribute structure.
fn single_attribute_out(tag: Tag, a: &Attribute) -> Ttlv {
    Ttlv::structure(tag, a.to_ttlv_2x().into_iter().collect())
}

/// The New Attribute (2.x) or Attribute (1.x) of an Add/Set/Modify Attribute request.
fn new_attribute_in(r: &Reader<'_>) -> Result<Attribute, KmipError> {
    if r.ver.uses_attributes_form() {
        single_attribute(r.req(tags::NEW_ATTRIBUTE)?, r.ver)
    } else {
        Attribute::from_ttlv_1x(r.req(tags::ATTRIBUTE)?, r.ver)
    }
}

fn params_in(r: &Reader<'_>) -> Result<Option<CryptographicParameters>, KmipError> {
    r.opt(tags::CRYPTOGRAPHIC_PARAMETERS)
        .map(|p| CryptographicParameters::from_ttlv(p, r.ver))
        .transpose()
}

fn params_out(w: &mut Writer, p: &Option<CryptographicParameters>) {
    if let Some(p) = p {
        w.push(p.to_ttlv());
    }
}

fn req_data(r: &Reader<'_>, tag: Tag) -> Result<Vec<u8>, KmipError> {
    r.req_bytes(tag)
}

/// Multi-part ("streaming") cryptographic requests carry Init Indicator, Final Indicator or
/// Correlation Value. The payload types have no place for them, and answering one part as if it
/// were a whole message would be wrong, so such requests are refused.
fn streaming(r: &Reader<'_>, op: Operation) -> Option<KmipError> {
    let crypto = matches!(
        op,
        Operation::Encrypt
            | Operation::Decrypt
            | Operation::Sign
            | Operation::SignatureVerify
            | Operation::Mac
            | Operation::MacVerify
    );
    let tag = [
        tags::INIT_INDICATOR,
        tags::FINAL_INDICATOR,
        tags::CORRELATION_VALUE,
    ]
    .into_iter()
    .find(|t| r.opt(*t).is_some())?;
    crypto.then(|| {
        KmipError::new(
            ResultReason::FeatureNotSupported,
            format!(
                "{}: multi-part (streaming) operations are not supported ({} given)",
                r.parent,
                crate::convert::tag_name(tag)
            ),
        )
    })
}

/// Holds to their fields the structures a payload may carry but the server does not act on
/// (Protection Storage Masks, Object Groups): not read is no reason to accept anything in them.
fn unread_structures(r: &Reader<'_>) -> Result<(), KmipError> {
    for item in r.items {
        let s = match item.tag {
            t if t == tags::PROTECTION_STORAGE_MASKS
                || t == tags::COMMON_PROTECTION_STORAGE_MASKS
                || t == tags::PRIVATE_PROTECTION_STORAGE_MASKS
                || t == tags::PUBLIC_PROTECTION_STORAGE_MASKS =>
            {
                &structures::PROTECTION_STORAGE_MASKS
            }
            t if t == tags::OBJECT_GROUPS => &structures::OBJECT_GROUPS,
            _ => continue,
        };
        s.read(r.ver, item)?;
    }
    Ok(())
}

fn uid(r: &Reader<'_>) -> Result<Option<String>, KmipError> {
    r.text(tags::UNIQUE_IDENTIFIER)
}

impl RequestPayload {
    /// The object the payload names by identifier, if it names one (without the batch's ID
    /// Placeholder).
    pub fn unique_identifier(&self) -> Option<&str> {
        use RequestPayload as P;
        match self {
            P::ReKey {
                unique_identifier, ..
            }
            | P::Get {
                unique_identifier, ..
            }
            | P::GetAttributes {
                unique_identifier, ..
            }
            | P::GetAttributeList { unique_identifier }
            | P::AddAttribute {
                unique_identifier, ..
            }
            | P::SetAttribute {
                unique_identifier, ..
            }
            | P::ModifyAttribute {
                unique_identifier, ..
            }
            | P::DeleteAttribute {
                unique_identifier, ..
            }
            | P::Activate { unique_identifier }
            | P::Revoke {
                unique_identifier, ..
            }
            | P::Destroy { unique_identifier }
            | P::Encrypt {
                unique_identifier, ..
            }
            | P::Decrypt {
                unique_identifier, ..
            }
            | P::Sign {
                unique_identifier, ..
            }
            | P::SignatureVerify {
                unique_identifier, ..
            }
            | P::Mac {
                unique_identifier, ..
            }
            | P::MacVerify {
                unique_identifier, ..
            } => unique_identifier.as_deref(),
            P::DiscoverVersions { .. }
            | P::Query { .. }
            | P::Create { .. }
            | P::CreateKeyPair { .. }
            | P::Register { .. }
            | P::Locate { .. }
            | P::RngRetrieve { .. } => None,
        }
    }

    /// The operation this payload belongs to.
    pub fn operation(&self) -> Operation {
        match self {
            RequestPayload::DiscoverVersions { .. } => Operation::DiscoverVersions,
            RequestPayload::Query { .. } => Operation::Query,
            RequestPayload::Create { .. } => Operation::Create,
            RequestPayload::CreateKeyPair { .. } => Operation::CreateKeyPair,
            RequestPayload::Register { .. } => Operation::Register,
            RequestPayload::ReKey { .. } => Operation::ReKey,
            RequestPayload::Get { .. } => Operation::Get,
            RequestPayload::GetAttributes { .. } => Operation::GetAttributes,
            RequestPayload::GetAttributeList { .. } => Operation::GetAttributeList,
            RequestPayload::AddAttribute { .. } => Operation::AddAttribute,
            RequestPayload::SetAttribute { .. } => Operation::SetAttribute,
            RequestPayload::ModifyAttribute { .. } => Operation::ModifyAttribute,
            RequestPayload::DeleteAttribute { .. } => Operation::DeleteAttribute,
            RequestPayload::Locate { .. } => Operation::Locate,
            RequestPayload::Activate { .. } => Operation::Activate,
            RequestPayload::Revoke { .. } => Operation::Revoke,
            RequestPayload::Destroy { .. } => Operation::Destroy,
            RequestPayload::Encrypt { .. } => Operation::Encrypt,
            RequestPayload::Decrypt { .. } => Operation::Decrypt,
            RequestPayload::Sign { .. } => Operation::Sign,
            RequestPayload::SignatureVerify { .. } => Operation::SignatureVerify,
            RequestPayload::Mac { .. } => Operation::Mac,
            RequestPayload::MacVerify { .. } => Operation::MacVerify,
            RequestPayload::RngRetrieve { .. } => Operation::RngRetrieve,
        }
    }

    /// Decodes the Request Payload structure of operation `op` in protocol version `ver`.
    pub fn from_ttlv(op: Operation, item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let parent = format!("{op} Request Payload");
        // The payload of an operation the version lacks has no fields to hold it to; the
        // server answers the operation, not its fields.
        if !op.exists_in(ver.major, ver.minor) {
            return Err(KmipError::new(
                ResultReason::OperationNotSupported,
                format!("operation {op} is not defined in KMIP {ver}"),
            ));
        }
        let r = Reader::new(ver, &parent, item)?;
        // Every child must be a field of this payload before any is read: a skipped one could
        // be a filter or a parameter the client relies on.
        crate::schema::check(op, ver, r.items)?;
        unread_structures(&r)?;
        if let Some(e) = streaming(&r, op) {
            return Err(e);
        }
        Ok(match op {
            Operation::DiscoverVersions => RequestPayload::DiscoverVersions {
                versions: r
                    .all(tags::PROTOCOL_VERSION)
                    .map(|v| {
                        structures::PROTOCOL_VERSION.read(ver, v)?;
                        protocol_version_from(v, ver)
                    })
                    .collect::<Result<_, _>>()?,
            },
            Operation::Query => RequestPayload::Query {
                functions: r.enums(tags::QUERY_FUNCTION)?,
            },
            Operation::Create => RequestPayload::Create {
                object_type: r.req_enum(tags::OBJECT_TYPE)?,
                attributes: attributes_in(&r, tags::TEMPLATE_ATTRIBUTE, tags::ATTRIBUTES)?,
            },
            Operation::CreateKeyPair => RequestPayload::CreateKeyPair {
                common: attributes_in(
                    &r,
                    tags::COMMON_TEMPLATE_ATTRIBUTE,
                    tags::COMMON_ATTRIBUTES,
                )?,
                private: attributes_in(
                    &r,
                    tags::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
                    tags::PRIVATE_KEY_ATTRIBUTES,
                )?,
                public: attributes_in(
                    &r,
                    tags::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
                    tags::PUBLIC_KEY_ATTRIBUTES,
                )?,
            },
            Operation::Register => {
                let object_type: ObjectType = r.req_enum(tags::OBJECT_TYPE)?;
                RequestPayload::Register {
                    object_type,
                    attributes: attributes_in(&r, tags::TEMPLATE_ATTRIBUTE, tags::ATTRIBUTES)?,
                    object: ManagedObject::find_in(r.items, object_type, ver)?,
                }
            }
            Operation::ReKey => RequestPayload::ReKey {
                unique_identifier: uid(&r)?,
                offset: r.interval(tags::OFFSET)?,
                // At 2.x a 1.x Template-Attribute is read too (PyKMIP 0.11; see the schema).
                attributes: match r.opt(tags::TEMPLATE_ATTRIBUTE) {
                    Some(item) if r.ver.uses_attributes_form() => {
                        Attributes::from_ttlv(item, r.ver)?
                    }
                    _ => attributes_in(&r, tags::TEMPLATE_ATTRIBUTE, tags::ATTRIBUTES)?,
                },
            },
            Operation::Get => RequestPayload::Get {
                unique_identifier: uid(&r)?,
                key_format_type: r.enumeration(tags::KEY_FORMAT_TYPE)?,
                key_compression_type: r.enumeration(tags::KEY_COMPRESSION_TYPE)?,
                key_wrapping_specification: r
                    .opt(tags::KEY_WRAPPING_SPECIFICATION)
                    .map(|k| KeyWrappingSpecification::from_ttlv(k, ver))
                    .transpose()?,
            },
            Operation::GetAttributes => {
                let names: Vec<String> = if ver.uses_attributes_form() {
                    r.all(tags::ATTRIBUTE_REFERENCE)
                        .map(|a| reference_from_ttlv(a, ver))
                        .collect::<Result<_, _>>()?
                } else {
                    r.all(tags::ATTRIBUTE_NAME)
                        .map(|n| r.as_text(n).map(|n| crate::attributes::canonical_name(&n)))
                        .collect::<Result<_, _>>()?
                };
                RequestPayload::GetAttributes {
                    unique_identifier: uid(&r)?,
                    names,
                }
            }
            Operation::GetAttributeList => RequestPayload::GetAttributeList {
                unique_identifier: uid(&r)?,
            },
            Operation::AddAttribute => RequestPayload::AddAttribute {
                unique_identifier: uid(&r)?,
                attribute: new_attribute_in(&r)?,
            },
            Operation::SetAttribute => RequestPayload::SetAttribute {
                unique_identifier: uid(&r)?,
                attribute: new_attribute_in(&r)?,
            },
            Operation::ModifyAttribute => RequestPayload::ModifyAttribute {
                unique_identifier: uid(&r)?,
                attribute: new_attribute_in(&r)?,
                current: r
                    .opt(tags::CURRENT_ATTRIBUTE)
                    .map(|c| single_attribute(c, ver))
                    .transpose()?,
            },
            Operation::DeleteAttribute if ver.uses_attributes_form() => {
                let current = r
                    .opt(tags::CURRENT_ATTRIBUTE)
                    .map(|c| single_attribute(c, ver))
                    .transpose()?;
                let name = match (&current, r.opt(tags::ATTRIBUTE_REFERENCE)) {
                    (Some(c), _) => c.name.clone(),
                    (None, Some(a)) => reference_from_ttlv(a, ver)?,
                    (None, None) => return Err(missing(ver, &parent, tags::ATTRIBUTE_REFERENCE)),
                };
                RequestPayload::DeleteAttribute {
                    unique_identifier: uid(&r)?,
                    name,
                    index: None,
                    current,
                }
            }
            Operation::DeleteAttribute => RequestPayload::DeleteAttribute {
                unique_identifier: uid(&r)?,
                name: crate::attributes::canonical_name(&r.req_text(tags::ATTRIBUTE_NAME)?),
                index: r.int(tags::ATTRIBUTE_INDEX)?,
                current: None,
            },
            Operation::Locate => {
                let attributes = if ver.uses_attributes_form() {
                    match r.opt(tags::ATTRIBUTES) {
                        Some(a) => Attributes::from_attributes_2x(a, ver)?,
                        // The spec requires Attributes (empty matches everything); PyKMIP
                        // leaves it out when there is no filter.
                        None => Attributes::default(),
                    }
                } else {
                    r.all(tags::ATTRIBUTE)
                        .map(|a| Attribute::from_ttlv_1x(a, ver))
                        .collect::<Result<_, _>>()?
                };
                RequestPayload::Locate {
                    maximum_items: r.int(tags::MAXIMUM_ITEMS)?,
                    offset_items: r.int(tags::OFFSET_ITEMS)?,
                    storage_status_mask: r.mask(tags::STORAGE_STATUS_MASK)?,
                    object_group_member: r
                        .opt(tags::OBJECT_GROUP_MEMBER)
                        .map(|i| r.raw_enum(i))
                        .transpose()?,
                    attributes,
                }
            }
            Operation::Activate => RequestPayload::Activate {
                unique_identifier: uid(&r)?,
            },
            Operation::Revoke => {
                let rr = r
                    .opt(tags::REVOCATION_REASON)
                    .map(|i| structures::REVOCATION_REASON.read(ver, i))
                    .transpose()?
                    .ok_or_else(|| missing(ver, &parent, tags::REVOCATION_REASON))?;
                RequestPayload::Revoke {
                    unique_identifier: uid(&r)?,
                    reason: rr.req_enum(tags::REVOCATION_REASON_CODE)?,
                    message: rr.text(tags::REVOCATION_MESSAGE)?,
                    compromise_occurrence_date: r.datetime(tags::COMPROMISE_OCCURRENCE_DATE)?,
                }
            }
            Operation::Destroy => RequestPayload::Destroy {
                unique_identifier: uid(&r)?,
            },
            Operation::Encrypt => RequestPayload::Encrypt {
                unique_identifier: uid(&r)?,
                parameters: params_in(&r)?,
                data: r
                    .secret(tags::DATA)?
                    .ok_or_else(|| missing(ver, &parent, tags::DATA))?,
                iv_counter_nonce: r.bytes(tags::IV_COUNTER_NONCE)?,
                aad: r.bytes(tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA)?,
            },
            Operation::Decrypt => RequestPayload::Decrypt {
                unique_identifier: uid(&r)?,
                parameters: params_in(&r)?,
                data: req_data(&r, tags::DATA)?,
                iv_counter_nonce: r.bytes(tags::IV_COUNTER_NONCE)?,
                aad: r.bytes(tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA)?,
                tag: r.bytes(tags::AUTHENTICATED_ENCRYPTION_TAG)?,
            },
            Operation::Sign => {
                let data = r.bytes(tags::DATA)?;
                let digested_data = r.bytes(tags::DIGESTED_DATA)?;
                if data.is_none() && digested_data.is_none() {
                    return Err(missing(ver, &parent, tags::DATA));
                }
                RequestPayload::Sign {
                    unique_identifier: uid(&r)?,
                    parameters: params_in(&r)?,
                    data,
                    digested_data,
                }
            }
            Operation::SignatureVerify => RequestPayload::SignatureVerify {
                unique_identifier: uid(&r)?,
                parameters: params_in(&r)?,
                data: r.bytes(tags::DATA)?,
                digested_data: r.bytes(tags::DIGESTED_DATA)?,
                signature: req_data(&r, tags::SIGNATURE_DATA)?,
            },
            Operation::Mac => RequestPayload::Mac {
                unique_identifier: uid(&r)?,
                parameters: params_in(&r)?,
                data: req_data(&r, tags::DATA)?,
            },
            Operation::MacVerify => RequestPayload::MacVerify {
                unique_identifier: uid(&r)?,
                parameters: params_in(&r)?,
                data: req_data(&r, tags::DATA)?,
                mac: req_data(&r, tags::MAC_DATA)?,
            },
            Operation::RngRetrieve => RequestPayload::RngRetrieve {
                length: r.req_int(tags::DATA_LENGTH)?,
            },
            other => return Err(unsupported(other)),
        })
    }

    /// Encodes the Request Payload structure for protocol version `ver`.
    pub fn to_ttlv(&self, ver: ProtocolVersion) -> Ttlv {
        let mut w = Writer::new();
        let v2 = ver.uses_attributes_form();
        match self {
            RequestPayload::DiscoverVersions { versions } => {
                for v in versions {
                    w.push(v.to_ttlv());
                }
            }
            RequestPayload::Query { functions } => {
                for f in functions {
                    w.enm(tags::QUERY_FUNCTION, *f);
                }
            }
            RequestPayload::Create {
                object_type,
                attributes,
            } => {
                w.enm(tags::OBJECT_TYPE, *object_type);
                attributes_out(
                    &mut w,
                    ver,
                    attributes,
                    tags::TEMPLATE_ATTRIBUTE,
                    tags::ATTRIBUTES,
                );
            }
            RequestPayload::CreateKeyPair {
                common,
                private,
                public,
            } => {
                attributes_out(
                    &mut w,
                    ver,
                    common,
                    tags::COMMON_TEMPLATE_ATTRIBUTE,
                    tags::COMMON_ATTRIBUTES,
                );
                attributes_out(
                    &mut w,
                    ver,
                    private,
                    tags::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
                    tags::PRIVATE_KEY_ATTRIBUTES,
                );
                attributes_out(
                    &mut w,
                    ver,
                    public,
                    tags::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
                    tags::PUBLIC_KEY_ATTRIBUTES,
                );
            }
            RequestPayload::Register {
                object_type,
                attributes,
                object,
            } => {
                w.enm(tags::OBJECT_TYPE, *object_type);
                attributes_out(
                    &mut w,
                    ver,
                    attributes,
                    tags::TEMPLATE_ATTRIBUTE,
                    tags::ATTRIBUTES,
                );
                w.push(object.to_ttlv(ver));
            }
            RequestPayload::ReKey {
                unique_identifier,
                offset,
                attributes,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref())
                    .opt_interval(tags::OFFSET, *offset);
                if !attributes.is_empty() {
                    attributes_out(
                        &mut w,
                        ver,
                        attributes,
                        tags::TEMPLATE_ATTRIBUTE,
                        tags::ATTRIBUTES,
                    );
                }
            }
            RequestPayload::Get {
                unique_identifier,
                key_format_type,
                key_compression_type,
                key_wrapping_specification,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref())
                    .opt_enum(tags::KEY_FORMAT_TYPE, *key_format_type)
                    .opt_enum(tags::KEY_COMPRESSION_TYPE, *key_compression_type);
                if let Some(k) = key_wrapping_specification {
                    w.push(k.to_ttlv());
                }
            }
            RequestPayload::GetAttributes {
                unique_identifier,
                names,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                for n in names {
                    if v2 {
                        if let Some(r) = reference_to_ttlv(n) {
                            w.push(r);
                        }
                    } else {
                        w.text(tags::ATTRIBUTE_NAME, n);
                    }
                }
            }
            RequestPayload::GetAttributeList { unique_identifier }
            | RequestPayload::Activate { unique_identifier }
            | RequestPayload::Destroy { unique_identifier } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
            }
            RequestPayload::AddAttribute {
                unique_identifier,
                attribute,
            }
            | RequestPayload::SetAttribute {
                unique_identifier,
                attribute,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                if v2 {
                    w.push(single_attribute_out(tags::NEW_ATTRIBUTE, attribute));
                } else {
                    w.push(attribute.to_ttlv_1x());
                }
            }
            RequestPayload::ModifyAttribute {
                unique_identifier,
                attribute,
                current,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                if v2 {
                    if let Some(c) = current {
                        w.push(single_attribute_out(tags::CURRENT_ATTRIBUTE, c));
                    }
                    w.push(single_attribute_out(tags::NEW_ATTRIBUTE, attribute));
                } else {
                    w.push(attribute.to_ttlv_1x());
                }
            }
            RequestPayload::DeleteAttribute {
                unique_identifier,
                name,
                index,
                current,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                if v2 {
                    match current {
                        Some(c) => {
                            w.push(single_attribute_out(tags::CURRENT_ATTRIBUTE, c));
                        }
                        None => {
                            if let Some(r) = reference_to_ttlv(name) {
                                w.push(r);
                            }
                        }
                    }
                } else {
                    w.text(tags::ATTRIBUTE_NAME, name)
                        .opt_int(tags::ATTRIBUTE_INDEX, *index);
                }
            }
            RequestPayload::Locate {
                maximum_items,
                offset_items,
                storage_status_mask,
                object_group_member,
                attributes,
            } => {
                w.opt_int(tags::MAXIMUM_ITEMS, *maximum_items)
                    .opt_int(tags::OFFSET_ITEMS, *offset_items)
                    .opt_mask(tags::STORAGE_STATUS_MASK, *storage_status_mask);
                if let Some(g) = object_group_member {
                    w.value(tags::OBJECT_GROUP_MEMBER, Value::Enumeration(*g));
                }
                if v2 {
                    w.push(attributes.to_attributes_2x(tags::ATTRIBUTES));
                } else {
                    w.0.extend(attributes.to_attribute_items_1x());
                }
            }
            RequestPayload::Revoke {
                unique_identifier,
                reason,
                message,
                compromise_occurrence_date,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                let mut rr = Writer::new();
                rr.enm(tags::REVOCATION_REASON_CODE, *reason)
                    .opt_text(tags::REVOCATION_MESSAGE, message.as_deref());
                w.push(rr.into_structure(tags::REVOCATION_REASON))
                    .opt_datetime(
                        tags::COMPROMISE_OCCURRENCE_DATE,
                        *compromise_occurrence_date,
                    );
            }
            RequestPayload::Encrypt {
                unique_identifier,
                parameters,
                data,
                iv_counter_nonce,
                aad,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                params_out(&mut w, parameters);
                w.bytes(tags::DATA, data)
                    .opt_bytes(tags::IV_COUNTER_NONCE, iv_counter_nonce.as_deref())
                    .opt_bytes(
                        tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
                        aad.as_deref(),
                    );
            }
            RequestPayload::Decrypt {
                unique_identifier,
                parameters,
                data,
                iv_counter_nonce,
                aad,
                tag,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                params_out(&mut w, parameters);
                w.bytes(tags::DATA, data)
                    .opt_bytes(tags::IV_COUNTER_NONCE, iv_counter_nonce.as_deref())
                    .opt_bytes(
                        tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
                        aad.as_deref(),
                    )
                    .opt_bytes(tags::AUTHENTICATED_ENCRYPTION_TAG, tag.as_deref());
            }
            RequestPayload::Sign {
                unique_identifier,
                parameters,
                data,
                digested_data,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                params_out(&mut w, parameters);
                w.opt_bytes(tags::DATA, data.as_deref())
                    .opt_bytes(tags::DIGESTED_DATA, digested_data.as_deref());
            }
            RequestPayload::SignatureVerify {
                unique_identifier,
                parameters,
                data,
                digested_data,
                signature,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                params_out(&mut w, parameters);
                w.opt_bytes(tags::DATA, data.as_deref())
                    .opt_bytes(tags::DIGESTED_DATA, digested_data.as_deref())
                    .bytes(tags::SIGNATURE_DATA, signature);
            }
            RequestPayload::Mac {
                unique_identifier,
                parameters,
                data,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                params_out(&mut w, parameters);
                w.bytes(tags::DATA, data);
            }
            RequestPayload::MacVerify {
                unique_identifier,
                parameters,
                data,
                mac,
            } => {
                w.opt_text(tags::UNIQUE_IDENTIFIER, unique_identifier.as_deref());
                params_out(&mut w, parameters);
                w.bytes(tags::DATA, data).bytes(tags::MAC_DATA, mac);
            }
            RequestPayload::RngRetrieve { length } => {
                w.int(tags::DATA_LENGTH, *length);
            }
        }
        w.into_structure(tags::REQUEST_PAYLOAD)
    }
}

fn validity(v: bool) -> ValidityIndicator {
    if v {
        ValidityIndicator::Valid
    } else {
        ValidityIndicator::Invalid
    }
}

impl ResponsePayload {
    /// Decodes the Response Payload structure of operation `op` in protocol version `ver`.
    pub fn from_ttlv(op: Operation, item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let parent = format!("{op} Response Payload");
        let r = Reader::new(ver, &parent, item)?;
        let req_uid = || r.req_text(tags::UNIQUE_IDENTIFIER);
        Ok(match op {
            Operation::DiscoverVersions => ResponsePayload::DiscoverVersions {
                versions: r
                    .all(tags::PROTOCOL_VERSION)
                    .map(|v| protocol_version_from(v, ver))
                    .collect::<Result<_, _>>()?,
            },
            Operation::Query => {
                // Unknown operation or object type values from newer servers are skipped.
                let operations = r
                    .all(tags::OPERATION)
                    .filter_map(|i| r.raw_enum(i).ok().and_then(Operation::from_value))
                    .collect();
                let object_types = r
                    .all(tags::OBJECT_TYPE)
                    .filter_map(|i| r.raw_enum(i).ok().and_then(ObjectType::from_value))
                    .collect();
                let server_information =
                    match r.sub(tags::SERVER_INFORMATION, "Server Information")? {
                        Some(s) => s.text(tags::SERVER_NAME)?,
                        None => None,
                    };
                ResponsePayload::Query {
                    operations,
                    object_types,
                    vendor_identification: r.text(tags::VENDOR_IDENTIFICATION)?,
                    server_information,
                }
            }
            Operation::Create => ResponsePayload::Create {
                object_type: r.req_enum(tags::OBJECT_TYPE)?,
                unique_identifier: req_uid()?,
            },
            Operation::CreateKeyPair => ResponsePayload::CreateKeyPair {
                private_key_unique_identifier: r.req_text(tags::PRIVATE_KEY_UNIQUE_IDENTIFIER)?,
                public_key_unique_identifier: r.req_text(tags::PUBLIC_KEY_UNIQUE_IDENTIFIER)?,
            },
            Operation::Register => ResponsePayload::Register {
                unique_identifier: req_uid()?,
            },
            Operation::ReKey => ResponsePayload::ReKey {
                unique_identifier: req_uid()?,
            },
            Operation::Get => {
                let object_type: ObjectType = r.req_enum(tags::OBJECT_TYPE)?;
                ResponsePayload::Get {
                    object_type,
                    unique_identifier: req_uid()?,
                    object: ManagedObject::find_in(r.items, object_type, ver)?,
                }
            }
            Operation::GetAttributes => {
                let mut attributes = match r.opt(tags::ATTRIBUTES) {
                    Some(a) => Attributes::from_attributes_2x(a, ver)?,
                    None => Attributes::default(),
                };
                for a in r.all(tags::ATTRIBUTE) {
                    attributes.push(Attribute::from_ttlv_1x(a, ver)?);
                }
                ResponsePayload::GetAttributes {
                    unique_identifier: req_uid()?,
                    attributes,
                }
            }
            Operation::GetAttributeList => {
                let mut names: Vec<String> = r.texts(tags::ATTRIBUTE_NAME)?;
                for a in r.all(tags::ATTRIBUTE_REFERENCE) {
                    names.push(reference_from_ttlv(a, ver)?);
                }
                ResponsePayload::GetAttributeList {
                    unique_identifier: req_uid()?,
                    names,
                }
            }
            Operation::AddAttribute | Operation::SetAttribute | Operation::ModifyAttribute => {
                ResponsePayload::AttributeChanged {
                    unique_identifier: req_uid()?,
                    attribute: r
                        .opt(tags::ATTRIBUTE)
                        .map(|a| Attribute::from_ttlv_1x(a, ver))
                        .transpose()?,
                }
            }
            Operation::DeleteAttribute => ResponsePayload::DeleteAttribute {
                unique_identifier: req_uid()?,
                attribute: r
                    .opt(tags::ATTRIBUTE)
                    .map(|a| Attribute::from_ttlv_1x(a, ver))
                    .transpose()?,
            },
            Operation::Locate => ResponsePayload::Locate {
                located_items: r.int(tags::LOCATED_ITEMS)?,
                unique_identifiers: r.texts(tags::UNIQUE_IDENTIFIER)?,
            },
            Operation::Activate | Operation::Revoke | Operation::Destroy => {
                ResponsePayload::Identifier {
                    unique_identifier: req_uid()?,
                }
            }
            Operation::Encrypt => ResponsePayload::Encrypt {
                unique_identifier: req_uid()?,
                data: r.req_bytes(tags::DATA)?,
                iv_counter_nonce: r.bytes(tags::IV_COUNTER_NONCE)?,
                tag: r.bytes(tags::AUTHENTICATED_ENCRYPTION_TAG)?,
            },
            Operation::Decrypt => ResponsePayload::Decrypt {
                unique_identifier: req_uid()?,
                data: r
                    .secret(tags::DATA)?
                    .ok_or_else(|| missing(ver, &parent, tags::DATA))?,
            },
            Operation::Sign => ResponsePayload::Sign {
                unique_identifier: req_uid()?,
                signature: r.req_bytes(tags::SIGNATURE_DATA)?,
            },
            Operation::SignatureVerify => ResponsePayload::SignatureVerify {
                unique_identifier: req_uid()?,
                valid: r.req_enum::<ValidityIndicator>(tags::VALIDITY_INDICATOR)?
                    == ValidityIndicator::Valid,
            },
            Operation::Mac => ResponsePayload::Mac {
                unique_identifier: req_uid()?,
                mac: r.req_bytes(tags::MAC_DATA)?,
            },
            Operation::MacVerify => ResponsePayload::MacVerify {
                unique_identifier: req_uid()?,
                valid: r.req_enum::<ValidityIndicator>(tags::VALIDITY_INDICATOR)?
                    == ValidityIndicator::Valid,
            },
            Operation::RngRetrieve => ResponsePayload::RngRetrieve {
                data: r.req_bytes(tags::DATA)?,
            },
            other => return Err(unsupported(other)),
        })
    }

    /// Encodes the Response Payload structure for protocol version `ver`.
    pub fn to_ttlv(&self, ver: ProtocolVersion) -> Ttlv {
        let mut w = Writer::new();
        let v2 = ver.uses_attributes_form();
        match self {
            ResponsePayload::DiscoverVersions { versions } => {
                for v in versions {
                    w.push(v.to_ttlv());
                }
            }
            ResponsePayload::Query {
                operations,
                object_types,
                vendor_identification,
                server_information,
            } => {
                // A client of an older version cannot know newer operations or object types.
                for o in operations
                    .iter()
                    .filter(|o| o.exists_in(ver.major, ver.minor))
                {
                    w.enm(tags::OPERATION, *o);
                }
                for o in object_types
                    .iter()
                    .filter(|o| o.exists_in(ver.major, ver.minor))
                {
                    w.enm(tags::OBJECT_TYPE, *o);
                }
                w.opt_text(
                    tags::VENDOR_IDENTIFICATION,
                    vendor_identification.as_deref(),
                );
                if let Some(s) = server_information {
                    let mut si = Writer::new();
                    si.text(tags::SERVER_NAME, s);
                    w.push(si.into_structure(tags::SERVER_INFORMATION));
                }
            }
            ResponsePayload::Create {
                object_type,
                unique_identifier,
            } => {
                w.enm(tags::OBJECT_TYPE, *object_type)
                    .text(tags::UNIQUE_IDENTIFIER, unique_identifier);
            }
            ResponsePayload::CreateKeyPair {
                private_key_unique_identifier,
                public_key_unique_identifier,
            } => {
                w.text(
                    tags::PRIVATE_KEY_UNIQUE_IDENTIFIER,
                    private_key_unique_identifier,
                )
                .text(
                    tags::PUBLIC_KEY_UNIQUE_IDENTIFIER,
                    public_key_unique_identifier,
                );
            }
            ResponsePayload::Register { unique_identifier }
            | ResponsePayload::ReKey { unique_identifier }
            | ResponsePayload::Identifier { unique_identifier } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier);
            }
            ResponsePayload::Get {
                object_type,
                unique_identifier,
                object,
            } => {
                w.enm(tags::OBJECT_TYPE, *object_type)
                    .text(tags::UNIQUE_IDENTIFIER, unique_identifier)
                    .push(object.to_ttlv(ver));
            }
            ResponsePayload::GetAttributes {
                unique_identifier,
                attributes,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier);
                if v2 {
                    w.push(attributes.to_attributes_2x(tags::ATTRIBUTES));
                } else {
                    w.0.extend(attributes.to_attribute_items_1x());
                }
            }
            ResponsePayload::GetAttributeList {
                unique_identifier,
                names,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier);
                for n in names {
                    if v2 {
                        if let Some(r) = reference_to_ttlv(n) {
                            w.push(r);
                        }
                    } else {
                        w.text(tags::ATTRIBUTE_NAME, n);
                    }
                }
            }
            ResponsePayload::AttributeChanged {
                unique_identifier,
                attribute,
            }
            | ResponsePayload::DeleteAttribute {
                unique_identifier,
                attribute,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier);
                if let (false, Some(a)) = (v2, attribute) {
                    w.push(a.to_ttlv_1x());
                }
            }
            ResponsePayload::Locate {
                located_items,
                unique_identifiers,
            } => {
                // Located Items exists from 1.3 on.
                if ver >= (ProtocolVersion { major: 1, minor: 3 }) {
                    w.opt_int(tags::LOCATED_ITEMS, *located_items);
                }
                for u in unique_identifiers {
                    w.text(tags::UNIQUE_IDENTIFIER, u);
                }
            }
            ResponsePayload::Encrypt {
                unique_identifier,
                data,
                iv_counter_nonce,
                tag,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier)
                    .bytes(tags::DATA, data)
                    .opt_bytes(tags::IV_COUNTER_NONCE, iv_counter_nonce.as_deref())
                    .opt_bytes(tags::AUTHENTICATED_ENCRYPTION_TAG, tag.as_deref());
            }
            ResponsePayload::Decrypt {
                unique_identifier,
                data,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier)
                    .bytes(tags::DATA, data);
            }
            ResponsePayload::Sign {
                unique_identifier,
                signature,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier)
                    .bytes(tags::SIGNATURE_DATA, signature);
            }
            ResponsePayload::SignatureVerify {
                unique_identifier,
                valid,
            }
            | ResponsePayload::MacVerify {
                unique_identifier,
                valid,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier)
                    .enm(tags::VALIDITY_INDICATOR, validity(*valid));
            }
            ResponsePayload::Mac {
                unique_identifier,
                mac,
            } => {
                w.text(tags::UNIQUE_IDENTIFIER, unique_identifier)
                    .bytes(tags::MAC_DATA, mac);
            }
            ResponsePayload::RngRetrieve { data } => {
                w.bytes(tags::DATA, data);
            }
        }
        w.into_structure(tags::RESPONSE_PAYLOAD)
    }
}

/// Prints a byte field as its length only: payload bytes may be plaintext, keys or MACs.
struct Len(usize);

impl std::fmt::Debug for Len {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

fn len(b: &[u8]) -> Len {
    Len(b.len())
}

fn opt_len(b: &Option<Vec<u8>>) -> Option<Len> {
    b.as_deref().map(len)
}

impl std::fmt::Debug for RequestPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = format!("{}", self.operation());
        let mut d = f.debug_struct(&name);
        match self {
            RequestPayload::DiscoverVersions { versions } => d.field("versions", versions),
            RequestPayload::Query { functions } => d.field("functions", functions),
            RequestPayload::Create {
                object_type,
                attributes,
            } => d
                .field("object_type", object_type)
                .field("attributes", attributes),
            RequestPayload::CreateKeyPair {
                common,
                private,
                public,
            } => d
                .field("common", common)
                .field("private", private)
                .field("public", public),
            RequestPayload::Register {
                object_type,
                attributes,
                object,
            } => d
                .field("object_type", object_type)
                .field("attributes", attributes)
                .field("object", object),
            RequestPayload::ReKey {
                unique_identifier,
                offset,
                attributes,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("offset", offset)
                .field("attributes", attributes),
            RequestPayload::Get {
                unique_identifier,
                key_format_type,
                key_compression_type,
                key_wrapping_specification,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("key_format_type", key_format_type)
                .field("key_compression_type", key_compression_type)
                .field("key_wrapping_specification", key_wrapping_specification),
            RequestPayload::GetAttributes {
                unique_identifier,
                names,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("names", names),
            RequestPayload::GetAttributeList { unique_identifier }
            | RequestPayload::Activate { unique_identifier }
            | RequestPayload::Destroy { unique_identifier } => {
                d.field("unique_identifier", unique_identifier)
            }
            RequestPayload::AddAttribute {
                unique_identifier,
                attribute,
            }
            | RequestPayload::SetAttribute {
                unique_identifier,
                attribute,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("attribute", attribute),
            RequestPayload::ModifyAttribute {
                unique_identifier,
                attribute,
                current,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("attribute", attribute)
                .field("current", current),
            RequestPayload::DeleteAttribute {
                unique_identifier,
                name,
                index,
                current,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("name", name)
                .field("index", index)
                .field("current", current),
            RequestPayload::Locate {
                maximum_items,
                offset_items,
                storage_status_mask,
                object_group_member,
                attributes,
            } => d
                .field("maximum_items", maximum_items)
                .field("offset_items", offset_items)
                .field("storage_status_mask", storage_status_mask)
                .field("object_group_member", object_group_member)
                .field("attributes", attributes),
            RequestPayload::Revoke {
                unique_identifier,
                reason,
                message,
                compromise_occurrence_date,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("reason", reason)
                .field("message", message)
                .field("compromise_occurrence_date", compromise_occurrence_date),
            RequestPayload::Encrypt {
                unique_identifier,
                parameters,
                data,
                iv_counter_nonce,
                aad,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("parameters", parameters)
                .field("data", &len(data))
                .field("iv_counter_nonce", &opt_len(iv_counter_nonce))
                .field("aad", &opt_len(aad)),
            RequestPayload::Decrypt {
                unique_identifier,
                parameters,
                data,
                iv_counter_nonce,
                aad,
                tag,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("parameters", parameters)
                .field("data", &len(data))
                .field("iv_counter_nonce", &opt_len(iv_counter_nonce))
                .field("aad", &opt_len(aad))
                .field("tag", &opt_len(tag)),
            RequestPayload::Sign {
                unique_identifier,
                parameters,
                data,
                digested_data,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("parameters", parameters)
                .field("data", &opt_len(data))
                .field("digested_data", &opt_len(digested_data)),
            RequestPayload::SignatureVerify {
                unique_identifier,
                parameters,
                data,
                digested_data,
                signature,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("parameters", parameters)
                .field("data", &opt_len(data))
                .field("digested_data", &opt_len(digested_data))
                .field("signature", &len(signature)),
            RequestPayload::Mac {
                unique_identifier,
                parameters,
                data,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("parameters", parameters)
                .field("data", &len(data)),
            RequestPayload::MacVerify {
                unique_identifier,
                parameters,
                data,
                mac,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("parameters", parameters)
                .field("data", &len(data))
                .field("mac", &len(mac)),
            RequestPayload::RngRetrieve { length } => d.field("length", length),
        };
        d.finish()
    }
}

impl std::fmt::Debug for ResponsePayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            ResponsePayload::DiscoverVersions { .. } => "DiscoverVersions",
            ResponsePayload::Query { .. } => "Query",
            ResponsePayload::Create { .. } => "Create",
            ResponsePayload::CreateKeyPair { .. } => "CreateKeyPair",
            ResponsePayload::Register { .. } => "Register",
            ResponsePayload::ReKey { .. } => "ReKey",
            ResponsePayload::Get { .. } => "Get",
            ResponsePayload::GetAttributes { .. } => "GetAttributes",
            ResponsePayload::GetAttributeList { .. } => "GetAttributeList",
            ResponsePayload::AttributeChanged { .. } => "AttributeChanged",
            ResponsePayload::DeleteAttribute { .. } => "DeleteAttribute",
            ResponsePayload::Locate { .. } => "Locate",
            ResponsePayload::Identifier { .. } => "Identifier",
            ResponsePayload::Encrypt { .. } => "Encrypt",
            ResponsePayload::Decrypt { .. } => "Decrypt",
            ResponsePayload::Sign { .. } => "Sign",
            ResponsePayload::SignatureVerify { .. } => "SignatureVerify",
            ResponsePayload::Mac { .. } => "Mac",
            ResponsePayload::MacVerify { .. } => "MacVerify",
            ResponsePayload::RngRetrieve { .. } => "RngRetrieve",
        };
        let mut d = f.debug_struct(name);
        match self {
            ResponsePayload::DiscoverVersions { versions } => d.field("versions", versions),
            ResponsePayload::Query {
                operations,
                object_types,
                vendor_identification,
                server_information,
            } => d
                .field("operations", operations)
                .field("object_types", object_types)
                .field("vendor_identification", vendor_identification)
                .field("server_information", server_information),
            ResponsePayload::Create {
                object_type,
                unique_identifier,
            } => d
                .field("object_type", object_type)
                .field("unique_identifier", unique_identifier),
            ResponsePayload::CreateKeyPair {
                private_key_unique_identifier,
                public_key_unique_identifier,
            } => d
                .field(
                    "private_key_unique_identifier",
                    private_key_unique_identifier,
                )
                .field("public_key_unique_identifier", public_key_unique_identifier),
            ResponsePayload::Register { unique_identifier }
            | ResponsePayload::ReKey { unique_identifier }
            | ResponsePayload::Identifier { unique_identifier } => {
                d.field("unique_identifier", unique_identifier)
            }
            ResponsePayload::Get {
                object_type,
                unique_identifier,
                object,
            } => d
                .field("object_type", object_type)
                .field("unique_identifier", unique_identifier)
                .field("object", object),
            ResponsePayload::GetAttributes {
                unique_identifier,
                attributes,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("attributes", attributes),
            ResponsePayload::GetAttributeList {
                unique_identifier,
                names,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("names", names),
            ResponsePayload::AttributeChanged {
                unique_identifier,
                attribute,
            }
            | ResponsePayload::DeleteAttribute {
                unique_identifier,
                attribute,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("attribute", attribute),
            ResponsePayload::Locate {
                located_items,
                unique_identifiers,
            } => d
                .field("located_items", located_items)
                .field("unique_identifiers", unique_identifiers),
            ResponsePayload::Encrypt {
                unique_identifier,
                data,
                iv_counter_nonce,
                tag,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("data", &len(data))
                .field("iv_counter_nonce", &opt_len(iv_counter_nonce))
                .field("tag", &opt_len(tag)),
            ResponsePayload::Decrypt {
                unique_identifier,
                data,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("data", &len(data)),
            ResponsePayload::Sign {
                unique_identifier,
                signature,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("signature", &len(signature)),
            ResponsePayload::SignatureVerify {
                unique_identifier,
                valid,
            }
            | ResponsePayload::MacVerify {
                unique_identifier,
                valid,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("valid", valid),
            ResponsePayload::Mac {
                unique_identifier,
                mac,
            } => d
                .field("unique_identifier", unique_identifier)
                .field("mac", &len(mac)),
            ResponsePayload::RngRetrieve { data } => d.field("data", &len(data)),
        };
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_payload_bytes() {
        let secret = b"TOPSECRETPLAINTEXT".to_vec();
        let p = RequestPayload::Encrypt {
            unique_identifier: Some("k1".into()),
            parameters: None,
            data: Zeroizing::new(secret.clone()),
            iv_counter_nonce: None,
            aad: None,
        };
        let text = format!("{p:?}");
        assert!(text.contains("k1") && text.contains("<18 bytes>"), "{text}");
        let r = ResponsePayload::Decrypt {
            unique_identifier: "k1".into(),
            data: Zeroizing::new(secret.clone()),
        };
        let o = ManagedObject::OpaqueObject {
            opaque_data_type: 1,
            value: Zeroizing::new(secret.clone()),
        };
        for t in [format!("{r:?}"), format!("{o:?}"), text] {
            assert!(!t.contains("84, 79, 80"), "{t}");
            assert!(!t.contains("TOPSECRET"), "{t}");
        }
    }

    #[test]
    fn every_supported_operation_has_fields() {
        for op in SUPPORTED_OPERATIONS {
            for ver in crate::version::SUPPORTED_VERSIONS {
                // Discover Versions and Query may be empty, but still name their fields.
                assert!(
                    !crate::schema::fields(*op, *ver).is_empty(),
                    "{op} at {ver}"
                );
            }
        }
    }
}
