//! KMIP requests the bench sends and the check of the responses it gets back.
//!
//! Requests are KMIP 1.4 typed messages of `keywarden-kmip` (`RequestMessage` of
//! `RequestPayload`s), encoded once; the hot loop only resends the bytes, or patches the digits
//! of a fixed-width name in place. Responses are decoded with `ResponseMessage::decode`.

use anyhow::{Context, Result, bail};
use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, CryptographicUsageMask, NameType, ObjectType,
    Operation, ResultStatus,
};
use keywarden_kmip::message::{
    ProtocolVersion, RequestMessage, ResponseBatchItem, ResponseHeader, ResponseMessage,
};
use keywarden_kmip::objects::CryptographicParameters;
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::ttlv::{Limits, Value};

/// Protocol version of every request: the 1.x layout every KMIP server speaks.
const VERSION: ProtocolVersion = ProtocolVersion::V1_4;

/// Digits of the number in a bench key name; 10 digits cover any `--keys` a u32 allows.
pub const NAME_DIGITS: usize = 10;

/// Prefix of the names of seeded keys.
pub const NAME_PREFIX: &str = "kw-bench-";

/// The name of seeded key number `i`: fixed width, so a request can be patched in place.
pub fn key_name(i: u64) -> String {
    format!("{NAME_PREFIX}{i:0width$}", width = NAME_DIGITS)
}

fn encode(payloads: Vec<RequestPayload>) -> Vec<u8> {
    RequestMessage::new(VERSION, payloads).encode()
}

/// Create payload of an AES-256 encrypt/decrypt key, optionally named.
fn create_payload(name: Option<&str>) -> RequestPayload {
    let mut attributes = Attributes::new();
    attributes.push(Attribute::enumeration(
        "Cryptographic Algorithm",
        CryptographicAlgorithm::Aes,
    ));
    attributes.push(Attribute::new("Cryptographic Length", Value::Integer(256)));
    let usage = CryptographicUsageMask::ENCRYPT.0 | CryptographicUsageMask::DECRYPT.0;
    attributes.push(Attribute::new(
        "Cryptographic Usage Mask",
        Value::Integer(i32::try_from(usage).unwrap_or(i32::MAX)),
    ));
    if let Some(name) = name {
        attributes.push(Attribute::name_value(
            name,
            NameType::UninterpretedTextString,
        ));
    }
    RequestPayload::Create {
        object_type: ObjectType::SymmetricKey,
        attributes,
    }
}

/// Create one unnamed AES-256 key.
pub fn create_aes256() -> Vec<u8> {
    encode(vec![create_payload(None)])
}

/// One message creating the named keys `first..first + count`.
pub fn create_named_batch(first: u64, count: u64) -> Vec<u8> {
    encode(
        (first..first + count)
            .map(|i| create_payload(Some(&key_name(i))))
            .collect(),
    )
}

/// Activate an object.
pub fn activate(uid: &str) -> Vec<u8> {
    encode(vec![RequestPayload::Activate {
        unique_identifier: Some(uid.to_owned()),
    }])
}

/// Get an object in its default format (Raw for a symmetric key).
pub fn get(uid: &str) -> Vec<u8> {
    encode(vec![RequestPayload::Get {
        unique_identifier: Some(uid.to_owned()),
        key_format_type: None,
        key_compression_type: None,
        key_wrapping_specification: None,
    }])
}

/// AES-GCM Encrypt of `plaintext`; the server chooses the IV.
pub fn encrypt_gcm(uid: &str, plaintext: &[u8]) -> Vec<u8> {
    let parameters = CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Gcm),
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        tag_length: Some(16),
        ..CryptographicParameters::default()
    };
    encode(vec![RequestPayload::Encrypt {
        unique_identifier: Some(uid.to_owned()),
        parameters: Some(parameters),
        data: plaintext.to_vec().into(),
        iv_counter_nonce: None,
        aad: None,
    }])
}

/// Locate by Name; returns the request and the byte offset of the name's digits in it.
pub fn locate_by_name(i: u64) -> Result<(Vec<u8>, usize)> {
    let name = key_name(i);
    let mut attributes = Attributes::new();
    attributes.push(Attribute::name_value(
        name.clone(),
        NameType::UninterpretedTextString,
    ));
    let bytes = encode(vec![RequestPayload::Locate {
        maximum_items: None,
        offset_items: None,
        storage_status_mask: None,
        object_group_member: None,
        attributes,
    }]);
    let at = find(&bytes, name.as_bytes()).context("the name is not in the encoded Locate")?;
    Ok((bytes, at + NAME_PREFIX.len()))
}

/// Overwrites the digits of a name at `offset` with `i` (fixed width, so lengths stay valid).
pub fn patch_name(bytes: &mut [u8], offset: usize, mut i: u64) {
    let Some(digits) = bytes.get_mut(offset..offset + NAME_DIGITS) else {
        return;
    };
    for d in digits.iter_mut().rev() {
        *d = b'0' + (i % 10) as u8;
        i /= 10;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What a response must contain to count as a success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Every batch item has Result Status Success.
    Success,
    /// Success, and a Locate payload with exactly one Unique Identifier.
    OneLocated,
}

/// The verdict on one response message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// Batch items that met the expectation.
    pub ok: u64,
    /// Batch items that did not.
    pub failed: u64,
    /// Why the first failed item failed.
    pub first_failure: Option<String>,
}

/// Limits for decoding responses: generous, a bench talks to a trusted server.
pub fn response_limits() -> Limits {
    Limits {
        max_message: 64 * 1024 * 1024,
        max_items: 10_000_000,
        max_batch: 100_000,
        max_item_len: 64 * 1024 * 1024,
        ..Limits::default()
    }
}

/// Decodes a whole response message (header included).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<ResponseMessage> {
    ResponseMessage::decode(bytes, limits).map_err(|e| anyhow::anyhow!("bad response: {e}"))
}

/// Checks a whole response message; an error means it is not a valid response at all.
pub fn check(bytes: &[u8], limits: &Limits, expect: Expect) -> Result<Checked> {
    let msg = decode(bytes, limits)?;
    let mut out = Checked::default();
    for item in &msg.items {
        match item_failure(item, expect) {
            None => out.ok += 1,
            Some(why) => {
                out.failed += 1;
                if out.first_failure.is_none() {
                    out.first_failure = Some(why);
                }
            }
        }
    }
    if out.ok + out.failed == 0 {
        bail!("response without a batch item");
    }
    Ok(out)
}

/// Why a batch item does not meet `expect`, or `None` when it does.
fn item_failure(item: &ResponseBatchItem, expect: Expect) -> Option<String> {
    if item.result_status != ResultStatus::Success {
        return Some(format!(
            "{:?} {:?}: {}",
            item.result_status,
            item.result_reason,
            item.result_message.as_deref().unwrap_or("")
        ));
    }
    match (expect, &item.payload) {
        (Expect::Success, _) => None,
        (
            Expect::OneLocated,
            Some(ResponsePayload::Locate {
                unique_identifiers, ..
            }),
        ) if unique_identifiers.len() == 1 => None,
        (
            Expect::OneLocated,
            Some(ResponsePayload::Locate {
                unique_identifiers, ..
            }),
        ) => Some(format!(
            "Locate found {} objects, expected 1",
            unique_identifiers.len()
        )),
        (Expect::OneLocated, _) => Some("success without a Locate payload".to_owned()),
    }
}

/// The Unique Identifier of each item of a successful response, in batch order.
pub fn unique_identifiers(bytes: &[u8]) -> Result<Vec<String>> {
    let msg = decode(bytes, &response_limits())?;
    let mut out = Vec::new();
    for item in &msg.items {
        if let Some(why) = item_failure(item, Expect::Success) {
            bail!("operation failed: {why}");
        }
        let uid = match &item.payload {
            Some(
                ResponsePayload::Create {
                    unique_identifier, ..
                }
                | ResponsePayload::Identifier { unique_identifier }
                | ResponsePayload::Get {
                    unique_identifier, ..
                },
            ) => unique_identifier.clone(),
            other => bail!("no Unique Identifier in {other:?}"),
        };
        out.push(uid);
    }
    Ok(out)
}

/// A synthetic successful Encrypt response of exactly `total` bytes (header included, a
/// multiple of 8, at least the size of an empty one): the echo baseline's answer when no real
/// kmsd response could be captured.
pub fn synthetic_response(total: usize) -> Result<Vec<u8>> {
    let message = |filler: usize| {
        ResponseMessage {
            header: ResponseHeader {
                protocol_version: VERSION,
                time_stamp: 0,
                client_correlation_value: None,
                server_correlation_value: None,
            },
            items: vec![ResponseBatchItem::success(
                Operation::Encrypt,
                None,
                Some(ResponsePayload::Encrypt {
                    unique_identifier: "00000000-0000-4000-8000-000000000000".to_owned(),
                    data: vec![0u8; filler],
                    iv_counter_nonce: None,
                    tag: None,
                }),
            )],
        }
        .encode()
    };
    let base = message(0).len();
    if total < base || !total.is_multiple_of(8) {
        bail!("a synthetic response must be a multiple of 8 of at least {base} bytes, not {total}");
    }
    let bytes = message(total - base);
    if bytes.len() != total {
        bail!(
            "synthetic response of {} bytes, wanted {total}",
            bytes.len()
        );
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_kmip::KmipError;
    use keywarden_kmip::enums::ResultReason;
    use keywarden_kmip::tags;
    use keywarden_kmip::ttlv;

    fn response(items: Vec<ResponseBatchItem>) -> Vec<u8> {
        ResponseMessage {
            header: ResponseHeader {
                protocol_version: VERSION,
                time_stamp: 1,
                client_correlation_value: None,
                server_correlation_value: None,
            },
            items,
        }
        .encode()
    }

    fn located(uids: &[&str]) -> ResponseBatchItem {
        ResponseBatchItem::success(
            Operation::Locate,
            None,
            Some(ResponsePayload::Locate {
                located_items: None,
                unique_identifiers: uids.iter().map(|u| u.to_string()).collect(),
            }),
        )
    }

    fn failed(why: &str) -> ResponseBatchItem {
        ResponseBatchItem::failure(
            Some(Operation::Get),
            None,
            KmipError::new(ResultReason::ItemNotFound, why),
        )
    }

    #[test]
    fn counts_successes_and_failures_per_batch_item() {
        let ok = ResponseBatchItem::success(
            Operation::Activate,
            None,
            Some(ResponsePayload::Identifier {
                unique_identifier: "u".into(),
            }),
        );
        let bytes = response(vec![ok, failed("no such key")]);
        let c = check(&bytes, &response_limits(), Expect::Success).unwrap();
        assert_eq!((c.ok, c.failed), (1, 1));
        assert!(c.first_failure.unwrap().contains("no such key"));
        assert!(unique_identifiers(&bytes).is_err());
    }

    #[test]
    fn locate_must_find_exactly_one() {
        let one = response(vec![located(&["a"])]);
        let two = response(vec![located(&["a", "b"])]);
        let limits = response_limits();
        assert_eq!(check(&one, &limits, Expect::OneLocated).unwrap().ok, 1);
        assert_eq!(check(&two, &limits, Expect::OneLocated).unwrap().failed, 1);
        assert_eq!(check(&two, &limits, Expect::Success).unwrap().ok, 1);
    }

    #[test]
    fn a_request_is_not_a_response() {
        assert!(check(&get("x"), &response_limits(), Expect::Success).is_err());
        assert!(check(b"\x42\x00", &response_limits(), Expect::Success).is_err());
    }

    #[test]
    fn patched_locate_equals_a_freshly_encoded_one() {
        let (mut bytes, offset) = locate_by_name(0).unwrap();
        for i in [7, 123_456, 4_294_967_295] {
            patch_name(&mut bytes, offset, i);
            assert_eq!(bytes, locate_by_name(i).unwrap().0, "name {i}");
        }
    }

    #[test]
    fn requests_decode_as_the_typed_requests_they_are() {
        let limits = Limits::default();
        let cases = [
            (create_aes256(), Operation::Create, 1),
            (create_named_batch(5, 100), Operation::Create, 100),
            (activate("u"), Operation::Activate, 1),
            (get("u"), Operation::Get, 1),
            (encrypt_gcm("u", &[0u8; 64]), Operation::Encrypt, 1),
            (locate_by_name(3).unwrap().0, Operation::Locate, 1),
        ];
        for (bytes, op, n) in cases {
            let msg = RequestMessage::decode(&bytes, &limits).unwrap();
            assert_eq!(msg.items.len(), n);
            assert_eq!(msg.header.protocol_version, VERSION);
            for item in &msg.items {
                assert_eq!(item.operation, Ok(op));
                assert!(item.payload.is_ok(), "{op:?}: {:?}", item.payload);
            }
        }
        let batch = RequestMessage::decode(&create_named_batch(5, 2), &limits).unwrap();
        let Ok(RequestPayload::Create { attributes, .. }) = &batch.items[1].payload else {
            panic!("not a Create");
        };
        assert_eq!(attributes.object_names()[0].0, key_name(6));
        // The bytes are plain TTLV too.
        assert_eq!(
            ttlv::decode(&get("u"), &limits).unwrap().tag,
            tags::REQUEST_MESSAGE
        );
    }

    #[test]
    fn synthetic_responses_have_the_asked_size_and_succeed() {
        let base = synthetic_response(8).unwrap_err().to_string();
        assert!(base.contains("at least"), "{base}");
        for total in [200, 256, 4096] {
            let bytes = synthetic_response(total).unwrap();
            assert_eq!(bytes.len(), total);
            let c = check(&bytes, &response_limits(), Expect::Success).unwrap();
            assert_eq!(c.ok, 1);
        }
        assert!(synthetic_response(201).is_err());
    }
}
