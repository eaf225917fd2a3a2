//! Typed request and response payloads of the operations the server offers.
//!
//! `unique_identifier: None` means the client relied on the ID Placeholder of the batch.

use crate::attributes::{Attribute, Attributes};
use crate::enums::{
    KeyCompressionType, KeyFormatType, ObjectType, Operation, QueryFunction, RevocationReasonCode,
};
use crate::message::ProtocolVersion;
use crate::objects::{CryptographicParameters, KeyWrappingSpecification, ManagedObject};
use zeroize::Zeroizing;

/// A request payload, one variant per supported operation.
#[derive(Clone, Debug, PartialEq)]
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
#[derive(Clone, Debug, PartialEq)]
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
