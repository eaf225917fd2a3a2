//! One request message: version negotiation, the batch loop with the ID Placeholder and the
//! Batch Error Continuation Option, panic isolation per item, and the response.

use std::panic::AssertUnwindSafe;
use std::task::Poll;
use std::time::Instant;

use keywarden_kmip::KmipError;
use keywarden_kmip::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use keywarden_kmip::message::{
    MessageError, ProtocolVersion, RequestBatchItem, RequestMessage, ResponseBatchItem,
    ResponseHeader, ResponseMessage, SUPPORTED_VERSIONS,
};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::ttlv::DecodeError;
use zeroize::Zeroizing;

use crate::access::Access;
use crate::audit;
use crate::clock::unix_now;
use crate::ops::{self, Ctx};
use crate::{Caller, Kms};

/// The response to an undecodable frame.
pub(crate) fn frame_error(kms: &Kms, error: &DecodeError) -> Vec<u8> {
    kms.metrics.record("Unknown", "InvalidMessage", 0.0);
    let error = MessageError {
        protocol_version: None,
        batch_items: Vec::new(),
        error: KmipError::new(
            ResultReason::InvalidMessage,
            format!("TTLV framing: {error}"),
        ),
    };
    ResponseMessage::for_message_error(&error, unix_now()).encode()
}

/// Answers one message; never panics (each item runs in its own task).
pub(crate) async fn handle(kms: &Kms, caller: &Caller, request: &[u8]) -> Vec<u8> {
    let now = unix_now();
    let received = keywarden_audit::Timestamp::now();
    let log = kms.audit.get();
    let message = match RequestMessage::decode(request, &kms.config.limits) {
        Ok(m) => m,
        Err(e) => {
            kms.metrics.record("Unknown", "InvalidMessage", 0.0);
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
    let mut entries = Vec::with_capacity(count);
    let deadline = Instant::now() + kms.config.batch_deadline;
    let mut past_deadline = false;
    let mut changed_state = false;
    for (n, mut item) in message.items.into_iter().enumerate() {
        let started = Instant::now();
        let operation = item.operation.ok();
        let id = item.unique_batch_item_id.take();
        let target: Option<String> = item
            .payload
            .as_ref()
            .ok()
            .and_then(audit::request_object)
            .map(str::to_owned);
        // The first item always runs; a later one only while the message is within its
        // deadline, so one slow item cannot hold the connection for a whole long batch.
        past_deadline |= n > 0 && Instant::now() >= deadline;
        let result = if past_deadline {
            Err(KmipError::new(
                ResultReason::GeneralFailure,
                format!(
                    "the request's deadline of {:?} passed before this batch item started; it was not processed",
                    kms.config.batch_deadline
                ),
            ))
        } else if log.is_none() && !audit::allowed_without_log(operation) {
            Err(KmipError::new(
                ResultReason::GeneralFailure,
                "the audit log is not open yet (the HSM has not answered since start); retry later",
            ))
        } else if !version_ok {
            Err(KmipError::new(
                ResultReason::InvalidMessage,
                format!(
                    "protocol version {}.{} is not supported; use Discover Versions",
                    requested.major, requested.minor
                ),
            ))
        } else if continuation == BatchErrorContinuationOption::Undo {
            Err(KmipError::new(
                ResultReason::FeatureNotSupported,
                "Batch Error Continuation Option Undo is not supported; use Stop or Continue",
            ))
        } else {
            run_item(kms, caller, version, item, placeholder.clone()).await
        };
        let op_name = operation.map_or("Unknown", |o| o.spec_name());
        let failed = result.is_err();
        if log.is_some() {
            entries.push(audit::entry(
                caller,
                received,
                operation,
                target.as_deref(),
                &result,
            ));
            changed_state |= !failed && operation.is_some_and(audit::changes_state);
        }
        let response = match result {
            Ok((op, payload)) => {
                // Only a later item can read the placeholder.
                if n + 1 < count
                    && let Some(uid) = placeholder_of(&payload)
                {
                    placeholder = Some(uid);
                }
                kms.metrics
                    .record_success(op, started.elapsed().as_secs_f64());
                ResponseBatchItem::success(op, id, Some(payload))
            }
            Err(e) => {
                tracing::debug!(operation = op_name, reason = ?e.reason, message = %e.message, "batch item failed");
                kms.metrics.record(
                    op_name,
                    e.reason.spec_name(),
                    started.elapsed().as_secs_f64(),
                );
                ResponseBatchItem::failure(operation, id, e)
            }
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
    // A state change's entry is durable before its response; if the log cannot take it, no
    // item reports success (a committed change stays committed, and the node turns not ready).
    if let Some(log) = log
        && let Err(e) = audit::append(log, entries, changed_state).await
    {
        tracing::error!(error = %e, "the audit log refused entries; failing the response");
        for item in &mut response.items {
            if item.result_status == ResultStatus::Success {
                item.result_status = ResultStatus::OperationFailed;
                item.result_reason = Some(ResultReason::GeneralFailure);
                item.result_message = Some(format!(
                    "the audit log could not record this request ({e}); a change it made is kept"
                ));
                item.payload = None;
            }
        }
    }
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

/// Runs one item; a panic becomes that item's failure.
async fn run_item(
    kms: &Kms,
    caller: &Caller,
    version: ProtocolVersion,
    item: RequestBatchItem,
    placeholder: Option<String>,
) -> Result<(Operation, ResponsePayload), KmipError> {
    let operation = match item.operation {
        Ok(op) => op,
        Err(raw) => {
            return Err(KmipError::new(
                ResultReason::OperationNotSupported,
                format!("operation 0x{raw:08x} is not supported"),
            ));
        }
    };
    let payload: RequestPayload = item.payload?;
    isolated(version, operation, async move {
        let ctx = Ctx::new(kms, caller, Access::of(&payload), version, placeholder);
        ops::dispatch(&ctx, operation, payload).await
    })
    .await
}

/// Runs one item's work, catching a panic: it fails that item (Internal Server Error in 2.x,
/// General Failure in 1.x) and nothing else. The work runs inside the caller's task rather
/// than a spawned one: the isolation is the same (`catch_unwind` around every poll, the
/// panicked future is dropped and never polled again), without a task allocation, a move of
/// the future and a cross-task wake-up per item.
async fn isolated<F>(
    version: ProtocolVersion,
    operation: Operation,
    work: F,
) -> Result<(Operation, ResponsePayload), KmipError>
where
    F: std::future::Future<Output = Result<ResponsePayload, KmipError>>,
{
    let mut work = std::pin::pin!(work);
    let caught = std::future::poll_fn(|cx| {
        // AssertUnwindSafe: after a panic the future is dropped, never polled again; shared
        // state it held (std mutexes) is poisoned exactly as with a panicking spawned task.
        match std::panic::catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(cx))) {
            Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic)),
        }
    })
    .await;
    match caught {
        Ok(result) => result.map(|p| (operation, p)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("non-text panic payload");
            tracing::error!(
                operation = operation.spec_name(),
                panic = message,
                "batch item panicked"
            );
            Err(crate::policy::err(
                version,
                ResultReason::InternalServerError,
                ResultReason::GeneralFailure,
                "internal error while processing this batch item",
            ))
        }
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

    #[tokio::test]
    async fn a_panicking_item_fails_alone() {
        let v21 = ProtocolVersion { major: 2, minor: 1 };
        let v14 = ProtocolVersion { major: 1, minor: 4 };
        let boom = async {
            let items: Vec<u8> = Vec::new();
            // An out-of-bounds index: the kind of bug isolation exists for.
            let _ = items[usize::from(items.is_empty())];
            Ok(ResponsePayload::RngRetrieve { data: Vec::new() })
        };
        let err = isolated(v21, Operation::Get, boom)
            .await
            .expect_err("panic becomes an error");
        assert_eq!(err.reason, ResultReason::InternalServerError);
        let boom = async { panic!("bug") };
        let err = isolated(v14, Operation::Get, boom)
            .await
            .expect_err("panic becomes an error");
        assert_eq!(err.reason, ResultReason::GeneralFailure);
        // A panic on a later poll, after the work was suspended once, is caught as well.
        let late = async {
            tokio::task::yield_now().await;
            panic!("late bug")
        };
        let err = isolated(v21, Operation::Encrypt, late)
            .await
            .expect_err("late panic becomes an error");
        assert_eq!(err.reason, ResultReason::InternalServerError);
        let fine = async { Ok(ResponsePayload::RngRetrieve { data: vec![1] }) };
        let ok = isolated(v14, Operation::RngRetrieve, fine)
            .await
            .expect("no panic");
        assert_eq!(ok.0, Operation::RngRetrieve);
    }
}
