//! The typed entry point: one operation request in, its response payload or an [`OpError`]
//! out, audited and counted, a panic isolated to the request that caused it.

use std::panic::AssertUnwindSafe;
use std::task::Poll;
use std::time::Instant;

use keywarden_kmip::enums::Operation;
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};

use crate::access::Access;
use crate::audit;
use crate::ops::{self, Ctx};
use crate::{Caller, Kms, OpError};

/// One operation request as a front end hands it over.
///
/// The protocol version travels with the payload because it decides what the payload means:
/// which attributes and algorithms exist, which shape a response's attributes take. The
/// placeholder is KMIP's ID Placeholder: the identifier an earlier item of the same batch
/// left, used where the payload names no object.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The version the payload was read in and the response will be written in.
    pub version: ProtocolVersion,
    /// The operation and its fields.
    pub payload: RequestPayload,
    /// The identifier to use where the payload names none.
    pub id_placeholder: Option<String>,
}

impl Request {
    /// A request without an ID Placeholder.
    pub fn new(version: ProtocolVersion, payload: RequestPayload) -> Request {
        Request {
            version,
            payload,
            id_placeholder: None,
        }
    }
}

impl Kms {
    /// Runs one operation for `caller`. Every call is audited (a state change's entry is
    /// durable before this returns) and counted; a panic inside fails this call alone with
    /// [`OpError::Internal`].
    pub async fn execute(
        &self,
        caller: &Caller,
        request: Request,
    ) -> Result<ResponsePayload, OpError> {
        let received = keywarden_audit::Timestamp::now();
        let started = Instant::now();
        let Request {
            version,
            payload,
            id_placeholder,
        } = request;
        let operation = payload.operation();
        let target = payload
            .unique_identifier()
            .map(str::to_owned)
            .or_else(|| id_placeholder.clone());
        let log = self.audit.get();
        let ctx = Ctx::new(self, caller, Access::of(&payload), version, id_placeholder);
        let mut result = if log.is_none() && !audit::allowed_without_log(Some(operation)) {
            Err(OpError::Unavailable(
                "the audit log is not open yet (the HSM has not answered since start); retry later"
                    .to_owned(),
            ))
        } else {
            isolated(operation, ops::dispatch(&ctx, operation, payload)).await
        };
        // The operation's commits are applied, not yet durable: the store's sync and the
        // audit entry's sync run at the same time, and the response waits for both.
        let durable = ctx.durable();
        let Some(log) = log else {
            if let Err(e) = durable.await {
                result = Err(e);
            }
            return self.counted(operation, started, result);
        };
        let changed = result.is_ok() && audit::changes_state(operation);
        let entry = audit::entry(
            caller,
            received,
            operation.spec_name(),
            target.as_deref(),
            result
                .as_ref()
                .map(Some)
                .map_err(|e| (e.kind(), e.to_string())),
        );
        let (audited, stored) = tokio::join!(audit::append(log, entry, changed), durable);
        if let Err(e) = stored {
            // The entry above says what the operation decided; this one says that its change
            // was lost (the store stopped before its sync), so the log never claims a change
            // that is not there without saying so.
            let lost = audit::entry(
                caller,
                keywarden_audit::Timestamp::now(),
                operation.spec_name(),
                target.as_deref(),
                Err((e.kind(), format!("the change was not made durable: {e}"))),
            );
            if let Err(e) = audit::append(log, lost, true).await {
                tracing::error!(error = %e, "the audit log refused the entry of a lost change");
            }
            result = Err(e);
        }
        // A state change's entry is durable before its response; if the log cannot take it,
        // the call does not report success (a committed change stays committed, and the node
        // turns not ready).
        if let Err(e) = audited {
            tracing::error!(error = %e, "the audit log refused an entry; failing the response");
            if result.is_ok() {
                result = Err(OpError::Failed(format!(
                    "the audit log could not record this request ({e}); a change it made is kept"
                )));
            }
        }
        self.counted(operation, started, result)
    }

    /// Counts a finished operation in the metrics and hands its result back.
    fn counted(
        &self,
        operation: Operation,
        started: Instant,
        result: Result<ResponsePayload, OpError>,
    ) -> Result<ResponsePayload, OpError> {
        let seconds = started.elapsed().as_secs_f64();
        match &result {
            Ok(_) => self.metrics.record_success(operation, seconds),
            Err(e) => {
                tracing::debug!(operation = operation.spec_name(), kind = e.kind(), message = %e, "operation failed");
                self.metrics
                    .record(operation.spec_name(), e.kind(), seconds);
            }
        }
        result
    }

    /// Records a request of a front end that is not a KMIP operation (an administrative HTTPS
    /// request: reading the audit log or the metrics, erasing storage): audited like an
    /// operation under the name `request`, durably when it changed state, and counted.
    pub async fn record_request(
        &self,
        caller: &Caller,
        request: &'static str,
        outcome: Result<(), (&'static str, String)>,
        durable: bool,
    ) {
        self.record(caller, request, None, outcome, durable).await;
    }

    /// Records a request a front end refused before it reached [`Kms::execute`] (it could not
    /// be decoded, or asked for a protocol version, batch option or deadline the front end
    /// does not serve): audited and counted like an executed one, with the front end's
    /// `reason` and `message`.
    pub async fn record_refused(
        &self,
        caller: &Caller,
        operation: Option<Operation>,
        target: Option<&str>,
        reason: &'static str,
        message: &str,
    ) {
        let name = operation.map_or("Unknown", |o| o.spec_name());
        self.record(
            caller,
            name,
            target,
            Err((reason, message.to_owned())),
            false,
        )
        .await;
    }

    /// Counts and audits a request that `execute` did not run, under `name`.
    async fn record(
        &self,
        caller: &Caller,
        name: &'static str,
        target: Option<&str>,
        outcome: Result<(), (&'static str, String)>,
        durable: bool,
    ) {
        let result = match &outcome {
            Ok(()) => "Success",
            Err((reason, _)) => reason,
        };
        self.metrics.record(name, result, 0.0);
        let Some(log) = self.audit.get() else {
            return;
        };
        let entry = audit::entry(
            caller,
            keywarden_audit::Timestamp::now(),
            name,
            target,
            outcome.map(|()| None),
        );
        if let Err(e) = audit::append(log, entry, durable).await {
            tracing::error!(error = %e, request = name, "the audit log refused the entry of a request");
        }
    }
}

/// Runs one operation's work, catching a panic: it fails that request and nothing else. The
/// work runs inside the caller's task rather than a spawned one: the isolation is the same
/// (`catch_unwind` around every poll, the panicked future is dropped and never polled again),
/// without a task allocation, a move of the future and a cross-task wake-up per request.
async fn isolated<F>(operation: Operation, work: F) -> Result<ResponsePayload, OpError>
where
    F: std::future::Future<Output = Result<ResponsePayload, OpError>>,
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
    caught.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("non-text panic payload");
        tracing::error!(
            operation = operation.spec_name(),
            panic = message,
            "operation panicked"
        );
        Err(OpError::Internal)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_operation_fails_alone() {
        let boom = async {
            let items: Vec<u8> = Vec::new();
            // An out-of-bounds index: the kind of bug isolation exists for.
            let _ = items[usize::from(items.is_empty())];
            Ok(ResponsePayload::RngRetrieve { data: Vec::new() })
        };
        let err = isolated(Operation::Get, boom)
            .await
            .expect_err("panic becomes an error");
        assert_eq!(err, OpError::Internal);
        let boom = async { panic!("bug") };
        let err = isolated(Operation::Get, boom)
            .await
            .expect_err("panic becomes an error");
        assert_eq!(err, OpError::Internal);
        // A panic on a later poll, after the work was suspended once, is caught as well.
        let late = async {
            tokio::task::yield_now().await;
            panic!("late bug")
        };
        let err = isolated(Operation::Encrypt, late)
            .await
            .expect_err("late panic becomes an error");
        assert_eq!(err, OpError::Internal);
        let fine = async { Ok(ResponsePayload::RngRetrieve { data: vec![1] }) };
        let ok = isolated(Operation::RngRetrieve, fine)
            .await
            .expect("no panic");
        assert_eq!(ok, ResponsePayload::RngRetrieve { data: vec![1] });
    }
}
