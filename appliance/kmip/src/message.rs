//! Request and response messages: header, batch items, and their TTLV conversion.
//!
//! Decoding is per batch item: a bad payload in one item becomes that item's error, so the
//! other items of the batch still run and the response still carries the batch item ids.
//! Only failures of the whole message (TTLV errors, a bad header, an unknown protocol major,
//! a batch over [`Limits::max_batch`] or not matching Batch Count, a batch item without a
//! readable Operation) become a [`MessageError`], answered by
//! [`ResponseMessage::for_message_error`]. Encoding writes the form of the header's version
//! and maps Result Reasons that version lacks with [`result_reason_for_version`].

use crate::KmipError;
use crate::convert::{Reader, Writer, tag_name};
use crate::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use crate::payload::{RequestPayload, ResponsePayload};
use crate::tags;
use crate::ttlv::{Limits, Ttlv, Value};

pub use crate::version::{ProtocolVersion, SUPPORTED_VERSIONS};

/// A decoded request message.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestMessage {
    /// The request header.
    pub header: RequestHeader,
    /// The batch items, in order.
    pub items: Vec<RequestBatchItem>,
}

/// The request header fields the server acts on.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestHeader {
    /// Protocol version the client speaks; the response uses the same one when supported.
    pub protocol_version: ProtocolVersion,
    /// Largest response the client accepts, in bytes.
    pub maximum_response_size: Option<i32>,
    /// Client Correlation Value, echoed back.
    pub client_correlation_value: Option<String>,
    /// Asynchronous Indicator; asynchronous processing is not offered.
    pub asynchronous_indicator: Option<bool>,
    /// What to do with the rest of the batch when an item fails.
    pub batch_error_continuation: Option<BatchErrorContinuationOption>,
    /// Batch Order Option.
    pub batch_order_option: Option<bool>,
    /// Time Stamp of the request (seconds since the epoch).
    pub time_stamp: Option<i64>,
    /// Batch Count as sent by the client.
    pub batch_count: i32,
}

/// One request batch item.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestBatchItem {
    /// The operation, or the raw value the client sent when it is not a known operation.
    pub operation: Result<Operation, u32>,
    /// Unique Batch Item ID, echoed in the response.
    pub unique_batch_item_id: Option<Vec<u8>>,
    /// The decoded payload, or why it could not be decoded (answered for this item only).
    pub payload: Result<RequestPayload, KmipError>,
}

/// A response message to encode.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseMessage {
    /// The response header.
    pub header: ResponseHeader,
    /// The batch items, in request order.
    pub items: Vec<ResponseBatchItem>,
}

/// The response header.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseHeader {
    /// Protocol version of the response.
    pub protocol_version: ProtocolVersion,
    /// Time Stamp (seconds since the epoch).
    pub time_stamp: i64,
    /// Client Correlation Value from the request.
    pub client_correlation_value: Option<String>,
    /// Server Correlation Value.
    pub server_correlation_value: Option<String>,
}

/// One response batch item.
#[derive(Clone, Debug, PartialEq)]
pub struct ResponseBatchItem {
    /// The operation of the request item, when it was known.
    pub operation: Option<Operation>,
    /// Unique Batch Item ID of the request item.
    pub unique_batch_item_id: Option<Vec<u8>>,
    /// Success, failure, pending or undone.
    pub result_status: ResultStatus,
    /// Why it failed; present when the status is not success.
    pub result_reason: Option<ResultReason>,
    /// Explanation of the failure.
    pub result_message: Option<String>,
    /// The response payload, on success.
    pub payload: Option<ResponsePayload>,
}

impl ResponseBatchItem {
    /// A failed item answering `request`'s operation and batch item id.
    pub fn failure(
        operation: Option<Operation>,
        unique_batch_item_id: Option<Vec<u8>>,
        error: KmipError,
    ) -> Self {
        ResponseBatchItem {
            operation,
            unique_batch_item_id,
            result_status: ResultStatus::OperationFailed,
            result_reason: Some(error.reason),
            result_message: Some(error.message),
            payload: None,
        }
    }

    /// A successful item.
    pub fn success(
        operation: Operation,
        unique_batch_item_id: Option<Vec<u8>>,
        payload: Option<ResponsePayload>,
    ) -> Self {
        ResponseBatchItem {
            operation: Some(operation),
            unique_batch_item_id,
            result_status: ResultStatus::Success,
            result_reason: None,
            result_message: None,
            payload,
        }
    }
}

/// The Result Reason to send in version `ver` for `reason`: reasons that `ver` does not define
/// are mapped to the closest one it does (2.x-only reasons become Item Not Found, Permission
/// Denied, Invalid Field, ... in 1.x, else General Failure).
pub fn result_reason_for_version(reason: ResultReason, ver: ProtocolVersion) -> ResultReason {
    use ResultReason as R;
    if ver.has(reason.since()) {
        return reason;
    }
    let mapped = match reason {
        R::ObjectNotFound
        | R::AttributeNotFound
        | R::AttributeInstanceNotFound
        | R::WrappingObjectNotFound
        | R::UnknownObjectGroup => R::ItemNotFound,
        R::NotAuthorized | R::AttributeReadOnly | R::ReadOnlyAttribute => R::PermissionDenied,
        R::WrongKeyLifecycleState
        | R::ObjectDestroyed
        | R::WrappingObjectDestroyed
        | R::ObjectAlreadyExists
        | R::ConstraintViolation
        | R::IllegalObjectType
        | R::IncompatibleCryptographicUsageMask
        | R::NonUniqueNameAttribute => R::IllegalOperation,
        R::WrappingObjectArchived => R::ObjectArchived,
        R::UnsupportedProtocolVersion | R::UnknownMessageExtension | R::CodecError => {
            R::InvalidMessage
        }
        R::UnsupportedAttribute
        | R::KeyWrapTypeNotSupported
        | R::UnsupportedCryptographicParameters => R::FeatureNotSupported,
        R::Sensitive | R::NotExtractable => R::PermissionDenied,
        R::InvalidTicket
        | R::NumericRange
        | R::InvalidDataType
        | R::MultiValuedAttribute
        | R::AttributeSingleValued
        | R::BadCryptographicParameters
        | R::BadPassword
        | R::InvalidAsynchronousCorrelationValue
        | R::InvalidAttribute
        | R::InvalidAttributeValue
        | R::InvalidCorrelationValue
        | R::InvalidCsr
        | R::InvalidObjectType
        | R::MissingInitializationVector
        | R::UnknownEnumeration
        | R::UnknownTag
        | R::EncodingOptionError
        | R::DuplicateProcessRequest => R::InvalidField,
        _ => R::GeneralFailure,
    };
    if ver.has(mapped.since()) {
        mapped
    } else if ver.has(R::InvalidField.since()) && mapped != R::GeneralFailure {
        // The chosen reason is itself newer than `ver` (e.g. Sensitive-family reasons in 1.0).
        match mapped {
            R::ItemNotFound | R::PermissionDenied | R::IllegalOperation | R::InvalidMessage => {
                mapped
            }
            _ => R::GeneralFailure,
        }
    } else {
        R::GeneralFailure
    }
}

// ---------------------------------------------------------------------------------------------
// Whole-message failures
// ---------------------------------------------------------------------------------------------

/// A failure of a whole message (bad header, TTLV error, unsupported version, batch too large).
#[derive(Clone, Debug, PartialEq)]
pub struct MessageError {
    /// The version to answer in, when it could be determined.
    pub protocol_version: Option<ProtocolVersion>,
    /// (Operation, Unique Batch Item ID) of the batch items that could be read, to answer each.
    pub batch_items: Vec<(Option<Operation>, Option<Vec<u8>>)>,
    /// Why.
    pub error: KmipError,
}

impl std::fmt::Display for MessageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl std::error::Error for MessageError {}

impl MessageError {
    fn new(protocol_version: Option<ProtocolVersion>, error: KmipError) -> Self {
        MessageError {
            protocol_version,
            batch_items: Vec::new(),
            error,
        }
    }

    fn invalid(protocol_version: Option<ProtocolVersion>, message: impl Into<String>) -> Self {
        Self::new(
            protocol_version,
            KmipError::new(ResultReason::InvalidMessage, message),
        )
    }

    /// Fills `batch_items` from whatever Batch Item structures `message` has.
    fn with_items_of(mut self, message: &Ttlv) -> Self {
        self.batch_items = message
            .children_with(tags::BATCH_ITEM)
            .map(|b| {
                let op = match b.child(tags::OPERATION).map(|o| &o.value) {
                    Some(Value::Enumeration(v)) => Operation::from_value(*v),
                    _ => None,
                };
                let id = match b.child(tags::UNIQUE_BATCH_ITEM_ID).map(|o| &o.value) {
                    Some(Value::ByteString(v)) => Some(v.to_vec()),
                    _ => None,
                };
                (op, id)
            })
            .collect();
        self
    }
}

fn header_version(header: &Ttlv) -> Result<ProtocolVersion, KmipError> {
    match header.child(tags::PROTOCOL_VERSION) {
        Some(v) => ProtocolVersion::from_ttlv(v),
        None => Err(KmipError::new(
            ResultReason::InvalidMessage,
            "header: required field ProtocolVersion is missing",
        )),
    }
}

fn check_batch(
    message: &Ttlv,
    count: i32,
    limits: &Limits,
    ver: ProtocolVersion,
) -> Result<(), MessageError> {
    let n = message.children_with(tags::BATCH_ITEM).count();
    if n > limits.max_batch {
        return Err(MessageError::new(
            Some(ver),
            KmipError::new(
                ResultReason::InvalidMessage,
                format!(
                    "batch of {n} items exceeds the limit of {}",
                    limits.max_batch
                ),
            ),
        ));
    }
    if usize::try_from(count).ok() != Some(n) {
        return Err(MessageError::invalid(
            Some(ver),
            format!("Batch Count {count} does not match the {n} batch items"),
        )
        .with_items_of(message));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

impl RequestHeader {
    /// A header for `items` batch items in `version`, with no optional fields.
    pub fn new(protocol_version: ProtocolVersion, batch_count: i32) -> Self {
        RequestHeader {
            protocol_version,
            maximum_response_size: None,
            client_correlation_value: None,
            asynchronous_indicator: None,
            batch_error_continuation: None,
            batch_order_option: None,
            time_stamp: None,
            batch_count,
        }
    }
}

impl RequestMessage {
    /// A request of `payloads` in `version`; batch item ids 1, 2, … are set when there is more
    /// than one item.
    pub fn new(protocol_version: ProtocolVersion, payloads: Vec<RequestPayload>) -> Self {
        let many = payloads.len() > 1;
        let items: Vec<RequestBatchItem> = payloads
            .into_iter()
            .enumerate()
            .map(|(i, p)| RequestBatchItem {
                operation: Ok(p.operation()),
                unique_batch_item_id: many.then(|| (i as u32 + 1).to_be_bytes().to_vec()),
                payload: Ok(p),
            })
            .collect();
        RequestMessage {
            header: RequestHeader::new(protocol_version, items.len() as i32),
            items,
        }
    }

    /// Decodes a request from its binary TTLV form.
    ///
    /// The header's protocol version is the negotiated one (see [`ProtocolVersion::negotiate`]);
    /// a bad payload fails only its own batch item.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RequestMessage, MessageError> {
        let ttlv = crate::ttlv::decode(bytes, limits)
            .map_err(|e| MessageError::invalid(None, format!("TTLV decoding failed: {e}")))?;
        Self::from_ttlv(&ttlv, limits)
    }

    /// Converts a decoded TTLV Request Message.
    pub fn from_ttlv(message: &Ttlv, limits: &Limits) -> Result<RequestMessage, MessageError> {
        if message.tag != tags::REQUEST_MESSAGE {
            return Err(MessageError::invalid(
                None,
                format!("expected RequestMessage, found {}", tag_name(message.tag)),
            ));
        }
        let Some(header) = message.child(tags::REQUEST_HEADER) else {
            return Err(
                MessageError::invalid(None, "RequestMessage: RequestHeader is missing")
                    .with_items_of(message),
            );
        };
        let requested = header_version(header)
            .map_err(|e| MessageError::new(None, e).with_items_of(message))?;
        let ver = match requested.negotiate() {
            Ok(v) => v,
            Err(answer) => {
                let reason = if answer.major >= 2 {
                    ResultReason::UnsupportedProtocolVersion
                } else {
                    ResultReason::InvalidMessage
                };
                return Err(MessageError::new(
                    Some(answer),
                    KmipError::new(
                        reason,
                        format!("protocol version {requested} is not supported"),
                    ),
                )
                .with_items_of(message));
            }
        };
        let fail = |e: KmipError| MessageError::new(Some(ver), e).with_items_of(message);
        let r = Reader::new(ver, "RequestHeader", header).map_err(fail)?;
        let batch_count = r.req_int(tags::BATCH_COUNT).map_err(fail)?;
        check_batch(message, batch_count, limits, ver)?;
        let header = RequestHeader {
            protocol_version: ver,
            maximum_response_size: r.int(tags::MAXIMUM_RESPONSE_SIZE).map_err(fail)?,
            client_correlation_value: r.text(tags::CLIENT_CORRELATION_VALUE).map_err(fail)?,
            asynchronous_indicator: r.boolean(tags::ASYNCHRONOUS_INDICATOR).map_err(fail)?,
            batch_error_continuation: r
                .enumeration(tags::BATCH_ERROR_CONTINUATION_OPTION)
                .map_err(fail)?,
            batch_order_option: r.boolean(tags::BATCH_ORDER_OPTION).map_err(fail)?,
            time_stamp: r.datetime(tags::TIME_STAMP).map_err(fail)?,
            batch_count,
        };
        let mut items = Vec::with_capacity(batch_count.max(0) as usize);
        for b in message.children_with(tags::BATCH_ITEM) {
            items.push(RequestBatchItem::from_ttlv(b, ver).map_err(fail)?);
        }
        Ok(RequestMessage { header, items })
    }

    /// Encodes to TTLV, in the header's protocol version.
    pub fn to_ttlv(&self) -> Ttlv {
        let ver = self.header.protocol_version;
        let h = &self.header;
        let mut w = Writer::new();
        w.push(ver.to_ttlv())
            .opt_int(tags::MAXIMUM_RESPONSE_SIZE, h.maximum_response_size)
            .opt_text(
                tags::CLIENT_CORRELATION_VALUE,
                h.client_correlation_value.as_deref(),
            )
            .opt_bool(tags::ASYNCHRONOUS_INDICATOR, h.asynchronous_indicator)
            .opt_enum(
                tags::BATCH_ERROR_CONTINUATION_OPTION,
                h.batch_error_continuation,
            )
            .opt_bool(tags::BATCH_ORDER_OPTION, h.batch_order_option)
            .opt_datetime(tags::TIME_STAMP, h.time_stamp)
            .int(tags::BATCH_COUNT, self.items.len() as i32);
        let mut m = Writer::new();
        m.push(w.into_structure(tags::REQUEST_HEADER));
        for item in &self.items {
            m.push(item.to_ttlv(ver));
        }
        m.into_structure(tags::REQUEST_MESSAGE)
    }

    /// Encodes to binary TTLV.
    pub fn encode(&self) -> Vec<u8> {
        crate::ttlv::encode(&self.to_ttlv())
    }
}

impl RequestBatchItem {
    /// Decodes one request Batch Item; only a missing or ill-typed Operation fails it.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = Reader::new(ver, "BatchItem", item)?;
        let raw = r.raw_enum(r.req(tags::OPERATION)?)?;
        let unique_batch_item_id = r.bytes(tags::UNIQUE_BATCH_ITEM_ID)?;
        let empty = Ttlv::structure(tags::REQUEST_PAYLOAD, Vec::new());
        let payload_item = r.opt(tags::REQUEST_PAYLOAD).unwrap_or(&empty);
        let (operation, payload) = match Operation::from_value(raw) {
            Some(op) if crate::payload::is_supported(op) => {
                (Ok(op), RequestPayload::from_ttlv(op, payload_item, ver))
            }
            Some(op) => (Ok(op), Err(crate::payload::unsupported(op))),
            None => (
                Err(raw),
                Err(KmipError::new(
                    ResultReason::OperationNotSupported,
                    format!("unknown operation 0x{raw:08x}"),
                )),
            ),
        };
        let payload = match (payload, critical_extension(&r)) {
            (Ok(_), Some(e)) => Err(e),
            (Ok(p), None) => match unknown_tag(payload_item, ver) {
                Some(e) => Err(e),
                None => Ok(p),
            },
            (p, _) => p,
        };
        Ok(RequestBatchItem {
            operation,
            unique_batch_item_id,
            payload,
        })
    }

    /// Encodes the Batch Item.
    pub fn to_ttlv(&self, ver: ProtocolVersion) -> Ttlv {
        let mut w = Writer::new();
        let raw = match self.operation {
            Ok(op) => op.value(),
            Err(raw) => raw,
        };
        w.value(tags::OPERATION, Value::Enumeration(raw)).opt_bytes(
            tags::UNIQUE_BATCH_ITEM_ID,
            self.unique_batch_item_id.as_deref(),
        );
        match &self.payload {
            Ok(p) => w.push(p.to_ttlv(ver)),
            Err(_) => w.push(Ttlv::structure(tags::REQUEST_PAYLOAD, Vec::new())),
        };
        w.into_structure(tags::BATCH_ITEM)
    }
}

/// A standard-range tag that KMIP does not define, anywhere in the payload, fails the item
/// rather than being ignored: a field the server silently drops could change the meaning of
/// the request (1.x §11.1 "unknown field" → Invalid Field; 2.x has Unknown Tag). The payload's
/// children and every structure decoded from it were already held to their fields, extension
/// tags (0x54xxxx) included (`schema`, `structures`); this walk still reaches what no table
/// describes, such as the value of a custom attribute.
fn unknown_tag(payload: &Ttlv, ver: ProtocolVersion) -> Option<KmipError> {
    let mut stack = vec![payload];
    while let Some(item) = stack.pop() {
        if item.tag.0 >> 16 == 0x42 && !tags::is_defined_standard(item.tag) {
            let reason = if ver.major >= 2 {
                ResultReason::UnknownTag
            } else {
                ResultReason::InvalidField
            };
            return Some(KmipError::new(
                reason,
                format!("unknown tag 0x{:06x} in the request payload", item.tag.0),
            ));
        }
        if let Value::Structure(children) = &item.value {
            stack.extend(children.iter());
        }
    }
    None
}

/// A Message Extension marked critical cannot be honoured: the item fails.
fn critical_extension(r: &Reader<'_>) -> Option<KmipError> {
    let ext = r.opt(tags::MESSAGE_EXTENSION)?;
    let critical = ext
        .child(tags::CRITICALITY_INDICATOR)
        .is_some_and(|c| c.value == Value::Boolean(true));
    critical.then(|| {
        KmipError::new(
            if r.ver.major >= 2 {
                ResultReason::UnknownMessageExtension
            } else {
                ResultReason::FeatureNotSupported
            },
            "critical Message Extension is not supported",
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

impl ResponseMessage {
    /// The response to a message that failed as a whole: one failed item per batch item that
    /// could be read, or a single failed item without operation.
    pub fn for_message_error(error: &MessageError, now: i64) -> ResponseMessage {
        let items: Vec<ResponseBatchItem> = if error.batch_items.is_empty() {
            vec![ResponseBatchItem::failure(None, None, error.error.clone())]
        } else {
            error
                .batch_items
                .iter()
                .map(|(op, id)| ResponseBatchItem::failure(*op, id.clone(), error.error.clone()))
                .collect()
        };
        ResponseMessage {
            header: ResponseHeader {
                protocol_version: error.protocol_version.unwrap_or(ProtocolVersion::V1_0),
                time_stamp: now,
                client_correlation_value: None,
                server_correlation_value: None,
            },
            items,
        }
    }

    /// Decodes a response from binary TTLV (client side).
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<ResponseMessage, MessageError> {
        let ttlv = crate::ttlv::decode(bytes, limits)
            .map_err(|e| MessageError::invalid(None, format!("TTLV decoding failed: {e}")))?;
        Self::from_ttlv(&ttlv, limits)
    }

    /// Converts a decoded TTLV Response Message. Payloads are decoded in the response's version;
    /// a payload that cannot be decoded fails the whole message.
    pub fn from_ttlv(message: &Ttlv, limits: &Limits) -> Result<ResponseMessage, MessageError> {
        if message.tag != tags::RESPONSE_MESSAGE {
            return Err(MessageError::invalid(
                None,
                format!("expected ResponseMessage, found {}", tag_name(message.tag)),
            ));
        }
        let Some(header) = message.child(tags::RESPONSE_HEADER) else {
            return Err(MessageError::invalid(
                None,
                "ResponseMessage: ResponseHeader is missing",
            ));
        };
        let sent = header_version(header).map_err(|e| MessageError::new(None, e))?;
        let ver = sent.negotiate().unwrap_or_else(|v| v);
        let fail = |e: KmipError| MessageError::new(Some(sent), e).with_items_of(message);
        let r = Reader::new(ver, "ResponseHeader", header).map_err(fail)?;
        let batch_count = r.req_int(tags::BATCH_COUNT).map_err(fail)?;
        check_batch(message, batch_count, limits, sent)?;
        let header = ResponseHeader {
            protocol_version: sent,
            time_stamp: r.datetime(tags::TIME_STAMP).map_err(fail)?.ok_or_else(|| {
                fail(crate::convert::missing(
                    ver,
                    "ResponseHeader",
                    tags::TIME_STAMP,
                ))
            })?,
            client_correlation_value: r.text(tags::CLIENT_CORRELATION_VALUE).map_err(fail)?,
            server_correlation_value: r.text(tags::SERVER_CORRELATION_VALUE).map_err(fail)?,
        };
        let mut items = Vec::new();
        for b in message.children_with(tags::BATCH_ITEM) {
            items.push(ResponseBatchItem::from_ttlv(b, ver).map_err(fail)?);
        }
        Ok(ResponseMessage { header, items })
    }

    /// Encodes to TTLV in the header's protocol version; Result Reasons the version lacks are
    /// mapped with [`result_reason_for_version`].
    pub fn to_ttlv(&self) -> Ttlv {
        let ver = self.header.protocol_version;
        let mut w = Writer::new();
        w.push(ver.to_ttlv())
            .value(tags::TIME_STAMP, Value::DateTime(self.header.time_stamp));
        // Correlation values exist from 1.4 on.
        if ver >= ProtocolVersion::V1_4 {
            w.opt_text(
                tags::CLIENT_CORRELATION_VALUE,
                self.header.client_correlation_value.as_deref(),
            )
            .opt_text(
                tags::SERVER_CORRELATION_VALUE,
                self.header.server_correlation_value.as_deref(),
            );
        }
        w.int(tags::BATCH_COUNT, self.items.len() as i32);
        let mut m = Writer::new();
        m.push(w.into_structure(tags::RESPONSE_HEADER));
        for item in &self.items {
            m.push(item.to_ttlv(ver));
        }
        m.into_structure(tags::RESPONSE_MESSAGE)
    }

    /// Encodes to binary TTLV.
    pub fn encode(&self) -> Vec<u8> {
        crate::ttlv::encode(&self.to_ttlv())
    }
}

impl ResponseBatchItem {
    /// Decodes one response Batch Item.
    pub fn from_ttlv(item: &Ttlv, ver: ProtocolVersion) -> Result<Self, KmipError> {
        let r = Reader::new(ver, "BatchItem", item)?;
        let operation = match r.opt(tags::OPERATION) {
            Some(o) => Operation::from_value(r.raw_enum(o)?),
            None => None,
        };
        let result_status: ResultStatus = r.req_enum(tags::RESULT_STATUS)?;
        // A reason this crate does not know is reported as General Failure rather than lost.
        let result_reason = r
            .opt(tags::RESULT_REASON)
            .map(|i| r.raw_enum(i))
            .transpose()?
            .map(|v| ResultReason::from_value(v).unwrap_or(ResultReason::GeneralFailure));
        let payload = match (operation, r.opt(tags::RESPONSE_PAYLOAD)) {
            (Some(op), Some(p)) if crate::payload::is_supported(op) => {
                Some(ResponsePayload::from_ttlv(op, p, ver)?)
            }
            _ => None,
        };
        Ok(ResponseBatchItem {
            operation,
            unique_batch_item_id: r.bytes(tags::UNIQUE_BATCH_ITEM_ID)?,
            result_status,
            result_reason,
            result_message: r.text(tags::RESULT_MESSAGE)?,
            payload,
        })
    }

    /// Encodes the Batch Item in `ver`.
    pub fn to_ttlv(&self, ver: ProtocolVersion) -> Ttlv {
        let mut w = Writer::new();
        w.opt_enum(tags::OPERATION, self.operation)
            .opt_bytes(
                tags::UNIQUE_BATCH_ITEM_ID,
                self.unique_batch_item_id.as_deref(),
            )
            .enm(tags::RESULT_STATUS, self.result_status)
            .opt_enum(
                tags::RESULT_REASON,
                self.result_reason
                    .map(|r| result_reason_for_version(r, ver)),
            )
            .opt_text(tags::RESULT_MESSAGE, self.result_message.as_deref());
        if let Some(p) = &self.payload {
            w.push(p.to_ttlv(ver));
        }
        w.into_structure(tags::BATCH_ITEM)
    }
}
