//! One request message: version negotiation, the batch loop with the ID Placeholder and the
//! Batch Error Continuation Option, the message's deadline, and the response.

use std::time::Instant;

use keywarden_kmip::KmipError;
use keywarden_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use keywarden_kmip::message::{
    MessageError, ProtocolVersion, RequestBatchItem, RequestMessage, ResponseBatchItem,
    ResponseHeader, ResponseMessage, SUPPORTED_VERSIONS,
};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::ttlv::DecodeError;
use keywarden_kms::clock::unix_now;
use keywarden_kms::{Caller, Request};
use zeroize::Zeroizing;

use crate::KmipServer;
use crate::reason::kmip_error;

/// The response to an undecodable frame.
pub(crate) async fn frame_error(
    server: &KmipServer,
    caller: &Caller,
    error: &DecodeError,
) -> Vec<u8> {
    let error = KmipError::new(
        ResultReason::InvalidMessage,
        format!("TTLV framing: {error}"),
    );
    unread(server, caller, error).await
}

/// The response to a request whose body was never read: the process-wide budget of request
/// bytes in memory stayed spent for `waited` (the connection's read timeout).
pub(crate) async fn busy(
    server: &KmipServer,
    caller: &Caller,
    len: usize,
    waited: std::time::Duration,
) -> Vec<u8> {
    // No Result Reason names a busy server; General Failure exists in every version, and the
    // message says that nothing was done and a retry may succeed.
    let error = KmipError::new(
        ResultReason::GeneralFailure,
        format!(
            "the server's memory for requests stayed in use for {waited:?}; this request of \
             {len} bytes was not read or processed; retry later"
        ),
    );
    unread(server, caller, error).await
}

/// Audits a message refused before its header was read, and answers it as a whole-message
/// error in the lowest version (the client's version is not known).
async fn unread(server: &KmipServer, caller: &Caller, error: KmipError) -> Vec<u8> {
    refused(server, caller, None, None, &error).await;
    let error = MessageError {
        protocol_version: None,
        batch_items: Vec::new(),
        error,
    };
    ResponseMessage::for_message_error(&error, unix_now()).encode()
}

/// Audits and counts a request (or one of its items) refused before it reached the key
/// service.
async fn refused(
    server: &KmipServer,
    caller: &Caller,
    operation: Option<Operation>,
    target: Option<&str>,
    error: &KmipError,
) {
    server
        .kms
        .record_refused(
            caller,
            operation,
            target,
            error.reason.spec_name(),
            &error.message,
        )
        .await;
}

/// Answers one message; never panics (the key service isolates each item).
pub(crate) async fn handle(server: &KmipServer, caller: &Caller, request: &[u8]) -> Vec<u8> {
    let now = unix_now();
    let message = match RequestMessage::decode(request, &server.config.limits) {
        Ok(m) => m,
        Err(e) => {
            refused(server, caller, None, None, &e.error).await;
            return ResponseMessage::for_message_error(&e, now).encode();
        }
    };
    let requested = message.header.protocol_version;
    let (version, version_ok) = negotiate(requested);
    let header = ResponseHeader {
        protocol_version: version,
        time_stamp: now,
        client_correlation_value: message.header.client_correlation_value.clone(),
        server_correlation_value: None,
    };
    let continuation = message
        .header
        .batch_error_continuation
        .unwrap_or(BatchErrorContinuationOption::Stop);
    let mut items = Vec::with_capacity(message.items.len());
    let mut placeholder: Option<String> = None;
    let count = message.items.len();
    let deadline = Instant::now() + server.config.batch_deadline;
    let mut past_deadline = false;
    for (n, mut item) in message.items.into_iter().enumerate() {
        let operation = item.operation.ok();
        let id = item.unique_batch_item_id.take();
        // The first item always runs; a later one only while the message is within its
        // deadline, so one slow item cannot hold the connection for a whole long batch.
        past_deadline |= n > 0 && Instant::now() >= deadline;
        let refusal = if past_deadline {
            Some(KmipError::new(
                ResultReason::GeneralFailure,
                format!(
                    "the request's deadline of {:?} passed before this batch item started; it was not processed",
                    server.config.batch_deadline
                ),
            ))
        } else if !version_ok {
            Some(KmipError::new(
                ResultReason::InvalidMessage,
                format!(
                    "protocol version {}.{} is not supported; use Discover Versions",
                    requested.major, requested.minor
                ),
            ))
        } else if continuation == BatchErrorContinuationOption::Undo {
            Some(KmipError::new(
                ResultReason::FeatureNotSupported,
                "Batch Error Continuation Option Undo is not supported; use Stop or Continue",
            ))
        } else {
            None
        };
        let result = match (refusal, runnable(item)) {
            (None, Ok(payload)) => {
                let op = payload.operation();
                let request = Request {
                    version,
                    payload,
                    id_placeholder: placeholder.clone(),
                };
                server
                    .kms
                    .execute(caller, request)
                    .await
                    .map(|response| (op, response))
                    .map_err(|e| kmip_error(&e, version))
            }
            (Some(e), Ok(payload)) => {
                let target = payload.unique_identifier();
                refused(server, caller, operation, target, &e).await;
                Err(e)
            }
            (refusal, Err(e)) => {
                let e = refusal.unwrap_or(e);
                refused(server, caller, operation, None, &e).await;
                Err(e)
            }
        };
        let failed = result.is_err();
        let response = match result {
            Ok((op, payload)) => {
                // Only a later item can read the placeholder.
                if n + 1 < count
                    && let Some(uid) = placeholder_of(&payload)
                {
                    placeholder = Some(uid);
                }
                ResponseBatchItem::success(op, id, Some(payload))
            }
            Err(e) => ResponseBatchItem::failure(operation, id, e),
        };
        items.push(response);
        // Stop (the default): KMIP 1.4 §6.15 / 2.1 §7.10 — the items after a failure are not
        // processed and get no response item; the processed ones are returned as they are.
        // Past the deadline every remaining item still gets its (unprocessed) answer.
        if failed && !past_deadline && continuation != BatchErrorContinuationOption::Continue {
            break;
        }
    }
    let mut response = ResponseMessage { header, items };
    // The first encoding may carry key material and is dropped when it is too large.
    let mut bytes = Zeroizing::new(response.encode());
    if let Some(max) = message.header.maximum_response_size
        && let Ok(max) = usize::try_from(max)
        && bytes.len() > max
    {
        let size = bytes.len();
        for item in &mut response.items {
            // Mutations stay as they are: their writes are durable, and answering them with a
            // failure would tell the client a committed change did not happen.
            if item.result_status == ResultStatus::Success
                && item.payload.as_ref().is_some_and(carries_bulk_data)
            {
                item.result_status = ResultStatus::OperationFailed;
                item.result_reason = Some(ResultReason::ResponseTooLarge);
                item.result_message = Some(format!(
                    "response of {size} bytes exceeds Maximum Response Size {max}"
                ));
                item.payload = None;
            }
        }
        bytes = Zeroizing::new(response.encode());
    }
    // The API hands out a plain Vec: move it out rather than copy it, so no second copy of
    // the bytes is left behind.
    std::mem::take(&mut *bytes)
}

/// The payload of an item the server can run: a known operation whose payload decoded.
fn runnable(item: RequestBatchItem) -> Result<RequestPayload, KmipError> {
    if let Err(raw) = item.operation {
        return Err(KmipError::new(
            ResultReason::OperationNotSupported,
            format!("operation 0x{raw:08x} is not supported"),
        ));
    }
    item.payload
}

/// Payloads that read data (key material, attributes, ciphertext, random bytes) and can be
/// dropped for Maximum Response Size without losing a committed change.
fn carries_bulk_data(payload: &ResponsePayload) -> bool {
    matches!(
        payload,
        ResponsePayload::Get { .. }
            | ResponsePayload::GetAttributes { .. }
            | ResponsePayload::GetAttributeList { .. }
            | ResponsePayload::Locate { .. }
            | ResponsePayload::Encrypt { .. }
            | ResponsePayload::Decrypt { .. }
            | ResponsePayload::Sign { .. }
            | ResponsePayload::Mac { .. }
            | ResponsePayload::RngRetrieve { .. }
    )
}

/// The version to answer in, and whether the request's version is one the server speaks.
fn negotiate(requested: ProtocolVersion) -> (ProtocolVersion, bool) {
    if SUPPORTED_VERSIONS.contains(&requested) {
        return (requested, true);
    }
    // Answer in the closest version the client can read: the highest one not above its own.
    let fallback = SUPPORTED_VERSIONS
        .iter()
        .copied()
        .find(|v| *v <= requested)
        .unwrap_or(ProtocolVersion { major: 1, minor: 0 });
    (fallback, false)
}

/// The identifier a successful item leaves in the ID Placeholder.
fn placeholder_of(payload: &ResponsePayload) -> Option<String> {
    match payload {
        ResponsePayload::Create {
            unique_identifier, ..
        }
        | ResponsePayload::Register { unique_identifier }
        | ResponsePayload::ReKey { unique_identifier }
        | ResponsePayload::Get {
            unique_identifier, ..
        }
        | ResponsePayload::GetAttributes {
            unique_identifier, ..
        }
        | ResponsePayload::GetAttributeList {
            unique_identifier, ..
        }
        | ResponsePayload::AttributeChanged {
            unique_identifier, ..
        }
        | ResponsePayload::DeleteAttribute {
            unique_identifier, ..
        }
        | ResponsePayload::Identifier { unique_identifier } => Some(unique_identifier.clone()),
        // Create Key Pair leaves the private key (KMIP 1.4 §4.2, 2.1 §6.1.4).
        ResponsePayload::CreateKeyPair {
            private_key_unique_identifier,
            ..
        } => Some(private_key_unique_identifier.clone()),
        ResponsePayload::Locate {
            unique_identifiers, ..
        } if unique_identifiers.len() == 1 => unique_identifiers.first().cloned(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        let v = |major, minor| ProtocolVersion { major, minor };
        assert_eq!(negotiate(v(1, 4)), (v(1, 4), true));
        assert_eq!(negotiate(v(2, 1)), (v(2, 1), true));
        assert_eq!(negotiate(v(3, 0)), (v(2, 1), false));
        assert_eq!(negotiate(v(1, 9)), (v(1, 4), false));
        assert_eq!(negotiate(v(0, 9)), (v(1, 0), false));
    }
}
