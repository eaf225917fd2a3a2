//! KMIP requests and responses built on the test-local TTLV codec.
//!
//! Requests use protocol 1.4 unless a test says otherwise: the wire layout of
//! Create/Encrypt/Decrypt is the 1.x one (Template-Attribute), which every KMIP server speaks.

use anyhow::{Context, Result, bail};

use crate::ttlv::{self, Item, enumeration, int, structure, text};

/// Tag values (KMIP 1.4 §9.1.3.1, 2.0 for Attributes).
pub mod tag {
    /// Attribute.
    pub const ATTRIBUTE: u32 = 0x420008;
    /// Attribute Name.
    pub const ATTRIBUTE_NAME: u32 = 0x42000A;
    /// Attribute Value.
    pub const ATTRIBUTE_VALUE: u32 = 0x42000B;
    /// Batch Count.
    pub const BATCH_COUNT: u32 = 0x42000D;
    /// Batch Item.
    pub const BATCH_ITEM: u32 = 0x42000F;
    /// Block Cipher Mode.
    pub const BLOCK_CIPHER_MODE: u32 = 0x420011;
    /// Cryptographic Algorithm.
    pub const CRYPTOGRAPHIC_ALGORITHM: u32 = 0x420028;
    /// Cryptographic Length.
    pub const CRYPTOGRAPHIC_LENGTH: u32 = 0x42002A;
    /// Cryptographic Parameters.
    pub const CRYPTOGRAPHIC_PARAMETERS: u32 = 0x42002B;
    /// Cryptographic Usage Mask.
    pub const CRYPTOGRAPHIC_USAGE_MASK: u32 = 0x42002C;
    /// IV/Counter/Nonce.
    pub const IV_COUNTER_NONCE: u32 = 0x42003D;
    /// Object Type.
    pub const OBJECT_TYPE: u32 = 0x420057;
    /// Operation.
    pub const OPERATION: u32 = 0x42005C;
    /// Protocol Version.
    pub const PROTOCOL_VERSION: u32 = 0x420069;
    /// Protocol Version Major.
    pub const PROTOCOL_VERSION_MAJOR: u32 = 0x42006A;
    /// Protocol Version Minor.
    pub const PROTOCOL_VERSION_MINOR: u32 = 0x42006B;
    /// Query Function.
    pub const QUERY_FUNCTION: u32 = 0x420074;
    /// Request Header.
    pub const REQUEST_HEADER: u32 = 0x420077;
    /// Request Message.
    pub const REQUEST_MESSAGE: u32 = 0x420078;
    /// Request Payload.
    pub const REQUEST_PAYLOAD: u32 = 0x420079;
    /// Response Header.
    pub const RESPONSE_HEADER: u32 = 0x42007A;
    /// Response Message.
    pub const RESPONSE_MESSAGE: u32 = 0x42007B;
    /// Response Payload.
    pub const RESPONSE_PAYLOAD: u32 = 0x42007C;
    /// Result Message.
    pub const RESULT_MESSAGE: u32 = 0x42007D;
    /// Result Reason.
    pub const RESULT_REASON: u32 = 0x42007E;
    /// Result Status.
    pub const RESULT_STATUS: u32 = 0x42007F;
    /// Template-Attribute.
    pub const TEMPLATE_ATTRIBUTE: u32 = 0x420091;
    /// Unique Identifier.
    pub const UNIQUE_IDENTIFIER: u32 = 0x420094;
    /// Data.
    pub const DATA: u32 = 0x4200C2;
    /// Tag Length.
    pub const TAG_LENGTH: u32 = 0x4200CE;
    /// Authenticated Encryption Tag.
    pub const AUTHENTICATED_ENCRYPTION_TAG: u32 = 0x4200FF;
    /// Symmetric Key (object).
    pub const SYMMETRIC_KEY: u32 = 0x42008F;
}

/// Operation enumeration values.
pub mod op {
    /// Create.
    pub const CREATE: u32 = 0x01;
    /// Get.
    pub const GET: u32 = 0x0A;
    /// Activate.
    pub const ACTIVATE: u32 = 0x12;
    /// Locate.
    pub const LOCATE: u32 = 0x08;
    /// Get Attributes.
    pub const GET_ATTRIBUTES: u32 = 0x0B;
    /// Revoke.
    pub const REVOKE: u32 = 0x13;
    /// Destroy.
    pub const DESTROY: u32 = 0x14;
    /// Query.
    pub const QUERY: u32 = 0x18;
    /// Discover Versions.
    pub const DISCOVER_VERSIONS: u32 = 0x1E;
    /// Encrypt.
    pub const ENCRYPT: u32 = 0x1F;
    /// Decrypt.
    pub const DECRYPT: u32 = 0x20;
}

/// Result Status values.
pub mod status {
    /// Success.
    pub const SUCCESS: u32 = 0x00;
    /// Operation Failed.
    pub const OPERATION_FAILED: u32 = 0x01;
}

/// Result Reason values (KMIP 1.4 §9.1.3.2.29; 2.x additions noted).
pub mod reason {
    /// Item Not Found.
    pub const ITEM_NOT_FOUND: u32 = 0x01;
    /// Permission Denied.
    pub const PERMISSION_DENIED: u32 = 0x0C;
    /// Invalid Message.
    pub const INVALID_MESSAGE: u32 = 0x04;
    /// Missing Data.
    pub const MISSING_DATA: u32 = 0x06;
    /// Invalid Field.
    pub const INVALID_FIELD: u32 = 0x07;
    /// Unknown Tag (KMIP 2.0+).
    pub const UNKNOWN_TAG: u32 = 0x3D;
    /// Unsupported Protocol Version (KMIP 2.0+).
    pub const UNSUPPORTED_PROTOCOL_VERSION: u32 = 0x3F;
}

/// Protocol version 1.4.
pub const V1_4: (i32, i32) = (1, 4);

/// A Protocol Version structure.
pub fn protocol_version(version: (i32, i32)) -> Item {
    structure(
        tag::PROTOCOL_VERSION,
        vec![
            int(tag::PROTOCOL_VERSION_MAJOR, version.0),
            int(tag::PROTOCOL_VERSION_MINOR, version.1),
        ],
    )
}

/// A Request Header for `count` batch items.
pub fn request_header(version: (i32, i32), count: i32) -> Item {
    structure(
        tag::REQUEST_HEADER,
        vec![protocol_version(version), int(tag::BATCH_COUNT, count)],
    )
}

/// A Batch Item with an operation and its payload fields.
pub fn batch_item(operation: u32, payload: Vec<Item>) -> Item {
    structure(
        tag::BATCH_ITEM,
        vec![
            enumeration(tag::OPERATION, operation),
            structure(tag::REQUEST_PAYLOAD, payload),
        ],
    )
}

/// A whole Request Message.
pub fn request(version: (i32, i32), items: Vec<Item>) -> Item {
    let count = i32::try_from(items.len()).unwrap_or(i32::MAX);
    let mut children = vec![request_header(version, count)];
    children.extend(items);
    structure(tag::REQUEST_MESSAGE, children)
}

/// Encoded single-item request.
pub fn single(operation: u32, payload: Vec<Item>) -> Vec<u8> {
    ttlv::encode(&request(V1_4, vec![batch_item(operation, payload)]))
}

/// Discover Versions with no client list.
pub fn discover_versions() -> Vec<u8> {
    single(op::DISCOVER_VERSIONS, vec![])
}

/// Query Operations + Objects.
pub fn query() -> Vec<u8> {
    single(
        op::QUERY,
        vec![
            enumeration(tag::QUERY_FUNCTION, 1),
            enumeration(tag::QUERY_FUNCTION, 2),
        ],
    )
}

/// A 1.x Attribute { name, value }.
pub fn attribute(name: &str, value: Item) -> Item {
    structure(
        tag::ATTRIBUTE,
        vec![
            text(tag::ATTRIBUTE_NAME, name),
            Item {
                tag: tag::ATTRIBUTE_VALUE,
                value: value.value,
            },
        ],
    )
}

/// The Template-Attribute of an AES-256 encrypt/decrypt key.
pub fn aes256_template() -> Item {
    structure(
        tag::TEMPLATE_ATTRIBUTE,
        vec![
            attribute("Cryptographic Algorithm", enumeration(0, 0x03)),
            attribute("Cryptographic Length", int(0, 256)),
            // Encrypt (0x04) | Decrypt (0x08).
            attribute("Cryptographic Usage Mask", int(0, 0x0C)),
        ],
    )
}

/// Create an AES-256 symmetric key.
pub fn create_aes256() -> Vec<u8> {
    single(
        op::CREATE,
        vec![
            enumeration(tag::OBJECT_TYPE, 0x02), // Symmetric Key
            aes256_template(),
        ],
    )
}

/// Activate an object.
pub fn activate(uid: &str) -> Vec<u8> {
    single(op::ACTIVATE, vec![text(tag::UNIQUE_IDENTIFIER, uid)])
}

/// Get Attributes (all of them) of an object.
pub fn get_attributes(uid: &str) -> Vec<u8> {
    single(op::GET_ATTRIBUTES, vec![text(tag::UNIQUE_IDENTIFIER, uid)])
}

/// Locate every object the caller may see (no filter).
pub fn locate_all() -> Vec<u8> {
    single(op::LOCATE, vec![])
}

/// Revoke with reason Unspecified (deactivates an active object).
pub fn revoke(uid: &str) -> Vec<u8> {
    single(
        op::REVOKE,
        vec![
            text(tag::UNIQUE_IDENTIFIER, uid),
            structure(
                0x420081,                          // Revocation Reason
                vec![enumeration(0x420082, 0x01)], // Revocation Reason Code: Unspecified
            ),
        ],
    )
}

/// Destroy an object.
pub fn destroy(uid: &str) -> Vec<u8> {
    single(op::DESTROY, vec![text(tag::UNIQUE_IDENTIFIER, uid)])
}

/// Every Unique Identifier in a Locate payload.
pub fn located(payload: &Item) -> Vec<String> {
    payload
        .all(tag::UNIQUE_IDENTIFIER)
        .filter_map(Item::as_text)
        .map(str::to_owned)
        .collect()
}

/// Get an object.
pub fn get(uid: &str) -> Vec<u8> {
    single(op::GET, vec![text(tag::UNIQUE_IDENTIFIER, uid)])
}

fn gcm_parameters() -> Item {
    structure(
        tag::CRYPTOGRAPHIC_PARAMETERS,
        vec![
            enumeration(tag::BLOCK_CIPHER_MODE, 0x09), // GCM
            enumeration(tag::CRYPTOGRAPHIC_ALGORITHM, 0x03),
            int(tag::TAG_LENGTH, 16),
        ],
    )
}

/// AES-GCM Encrypt; the server chooses the IV.
pub fn encrypt_gcm(uid: &str, plaintext: &[u8]) -> Vec<u8> {
    single(
        op::ENCRYPT,
        vec![
            text(tag::UNIQUE_IDENTIFIER, uid),
            gcm_parameters(),
            ttlv::bytes(tag::DATA, plaintext),
        ],
    )
}

/// AES-GCM Decrypt.
pub fn decrypt_gcm(uid: &str, sealed: &Sealed) -> Vec<u8> {
    single(
        op::DECRYPT,
        vec![
            text(tag::UNIQUE_IDENTIFIER, uid),
            gcm_parameters(),
            ttlv::bytes(tag::DATA, &sealed.ciphertext),
            ttlv::bytes(tag::IV_COUNTER_NONCE, &sealed.iv),
            ttlv::bytes(tag::AUTHENTICATED_ENCRYPTION_TAG, &sealed.tag),
        ],
    )
}

/// What an AES-GCM Encrypt returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// Ciphertext.
    pub ciphertext: Vec<u8>,
    /// IV chosen by the server.
    pub iv: Vec<u8>,
    /// Authentication tag.
    pub tag: Vec<u8>,
}

/// A decoded Response Message.
#[derive(Clone, Debug)]
pub struct Response {
    /// Protocol version in the response header.
    pub version: (i32, i32),
    /// One entry per batch item.
    pub items: Vec<ResponseItem>,
}

/// One response batch item.
#[derive(Clone, Debug)]
pub struct ResponseItem {
    /// Operation, absent when the server could not parse the request.
    pub operation: Option<u32>,
    /// Result Status.
    pub status: u32,
    /// Result Reason, present on failure.
    pub reason: Option<u32>,
    /// Result Message.
    pub message: Option<String>,
    /// Response Payload.
    pub payload: Option<Item>,
}

impl Response {
    /// Parses bytes that must be a Response Message.
    pub fn parse(bytes: &[u8]) -> Result<Response> {
        let msg = ttlv::decode(bytes).context("response is not well-formed TTLV")?;
        if msg.tag != tag::RESPONSE_MESSAGE {
            bail!(
                "expected a ResponseMessage (0x42007B), got tag 0x{:06x}",
                msg.tag
            );
        }
        let header = msg
            .child(tag::RESPONSE_HEADER)
            .context("ResponseMessage without ResponseHeader")?;
        let pv = header
            .child(tag::PROTOCOL_VERSION)
            .context("ResponseHeader without ProtocolVersion")?;
        let major = pv
            .child(tag::PROTOCOL_VERSION_MAJOR)
            .and_then(Item::as_int)
            .context("ProtocolVersion without major")?;
        let minor = pv
            .child(tag::PROTOCOL_VERSION_MINOR)
            .and_then(Item::as_int)
            .context("ProtocolVersion without minor")?;
        let count = header
            .child(tag::BATCH_COUNT)
            .and_then(Item::as_int)
            .context("ResponseHeader without BatchCount")?;
        let mut items = Vec::new();
        for bi in msg.all(tag::BATCH_ITEM) {
            items.push(ResponseItem {
                operation: bi.child(tag::OPERATION).and_then(Item::as_enum),
                status: bi
                    .child(tag::RESULT_STATUS)
                    .and_then(Item::as_enum)
                    .context("BatchItem without ResultStatus")?,
                reason: bi.child(tag::RESULT_REASON).and_then(Item::as_enum),
                message: bi
                    .child(tag::RESULT_MESSAGE)
                    .and_then(Item::as_text)
                    .map(str::to_string),
                payload: bi.child(tag::RESPONSE_PAYLOAD).cloned(),
            });
        }
        if usize::try_from(count).ok() != Some(items.len()) {
            bail!("BatchCount {count} but {} batch items", items.len());
        }
        Ok(Response {
            version: (major, minor),
            items,
        })
    }

    /// The only batch item, which must have succeeded; returns its payload.
    pub fn success(&self) -> Result<&Item> {
        let item = self.only()?;
        if item.status != status::SUCCESS {
            bail!(
                "operation {:?} failed: status {} reason {:?} message {:?}",
                item.operation,
                item.status,
                item.reason,
                item.message
            );
        }
        item.payload
            .as_ref()
            .context("successful batch item without ResponsePayload")
    }

    /// The only batch item.
    pub fn only(&self) -> Result<&ResponseItem> {
        match self.items.as_slice() {
            [one] => Ok(one),
            other => bail!("expected one batch item, got {}", other.len()),
        }
    }
}

/// The Unique Identifier in a payload.
pub fn unique_identifier(payload: &Item) -> Result<String> {
    payload
        .child(tag::UNIQUE_IDENTIFIER)
        .and_then(Item::as_text)
        .map(str::to_string)
        .context("payload without UniqueIdentifier")
}

/// The Data in a payload.
pub fn data(payload: &Item) -> Result<Vec<u8>> {
    payload
        .child(tag::DATA)
        .and_then(Item::as_bytes)
        .map(<[u8]>::to_vec)
        .context("payload without Data")
}

/// Reads ciphertext, IV and tag from an Encrypt response payload.
pub fn sealed(payload: &Item) -> Result<Sealed> {
    let get = |t: u32, what: &str| -> Result<Vec<u8>> {
        payload
            .child(t)
            .and_then(Item::as_bytes)
            .map(<[u8]>::to_vec)
            .with_context(|| format!("Encrypt response without {what}"))
    };
    Ok(Sealed {
        ciphertext: get(tag::DATA, "Data")?,
        iv: get(tag::IV_COUNTER_NONCE, "IV/Counter/Nonce")?,
        tag: get(
            tag::AUTHENTICATED_ENCRYPTION_TAG,
            "Authenticated Encryption Tag",
        )?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_failure_response_without_operation() {
        let resp = structure(
            tag::RESPONSE_MESSAGE,
            vec![
                structure(
                    tag::RESPONSE_HEADER,
                    vec![protocol_version(V1_4), int(tag::BATCH_COUNT, 1)],
                ),
                structure(
                    tag::BATCH_ITEM,
                    vec![
                        enumeration(tag::RESULT_STATUS, status::OPERATION_FAILED),
                        enumeration(tag::RESULT_REASON, reason::INVALID_MESSAGE),
                        text(tag::RESULT_MESSAGE, "bad"),
                    ],
                ),
            ],
        );
        let parsed = Response::parse(&ttlv::encode(&resp)).expect("parses");
        let item = parsed.only().expect("one item");
        assert_eq!(item.operation, None);
        assert_eq!(item.reason, Some(reason::INVALID_MESSAGE));
        assert!(parsed.success().is_err());
    }

    #[test]
    fn rejects_a_request_message_as_response() {
        assert!(Response::parse(&discover_versions()).is_err());
    }
}
