//! Request and response messages: header, batch items, and their TTLV conversion.
//!
//! Decoding is per batch item: a bad payload in one item becomes that item's error, so the
//! other items of the batch still run and the response still carries the batch item ids.

use crate::KmipError;
use crate::enums::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use crate::payload::{RequestPayload, ResponsePayload};

/// A KMIP protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    /// Protocol Version Major.
    pub major: i32,
    /// Protocol Version Minor.
    pub minor: i32,
}

impl ProtocolVersion {
    /// True for 2.0 and later, which use the Attributes form instead of Template-Attribute.
    pub fn uses_attributes_form(self) -> bool {
        self.major >= 2
    }
}

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
