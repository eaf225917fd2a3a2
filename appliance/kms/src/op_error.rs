//! Why one operation failed, in the key service's own terms.
//!
//! Every variant names a condition of the service (an object is not visible, a lifecycle rule
//! forbids the use, the HSM is away), never a protocol's code: the front ends map each one to
//! their protocol in one place (the KMIP listener to a Result Reason for the client's version,
//! REST to a problem+json status). The message is the server's own words about identifiers,
//! fields and rules; it never carries request data or key material, so it may be logged,
//! audited and sent to the client as it is.

use keywarden_kmip::KmipError;
use keywarden_kmip::enums::Operation;
use keywarden_kmip::message::ProtocolVersion;

/// A failed operation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    // The request itself.
    /// A field the operation needs is absent.
    #[error("{0}")]
    Missing(String),
    /// A field has a value the operation cannot take.
    #[error("{0}")]
    Invalid(String),
    /// An attribute's value is of the wrong type or out of range.
    #[error("{0}")]
    InvalidAttributeValue(String),
    /// A combination of cryptographic parameters the server does not offer.
    #[error("{0}")]
    BadParameters(String),
    /// Decryption needs an IV, counter or nonce, and none was sent.
    #[error("{0}")]
    MissingIv(String),
    /// The request's Object Type does not fit the operation or the object sent.
    #[error("{0}")]
    ObjectTypeMismatch(String),
    /// A feature of the request the server does not implement.
    #[error("{0}")]
    Unsupported(String),
    /// An attribute the server does not know or accept here.
    #[error("{0}")]
    UnsupportedAttribute(String),
    /// A key format the server cannot produce or read for this object.
    #[error("{0}")]
    UnsupportedKeyFormat(String),
    /// A key compression the server does not offer.
    #[error("{0}")]
    UnsupportedCompression(String),
    /// A key wrapping method the server does not offer.
    #[error("{0}")]
    UnsupportedWrapping(String),
    /// An encoding of wrapped key material the server does not offer.
    #[error("{0}")]
    UnsupportedEncoding(String),
    /// The operation is not part of the protocol version the request was sent in.
    #[error("{operation} is not part of KMIP {version}")]
    NotInVersion {
        /// The operation.
        operation: Operation,
        /// The request's version.
        version: ProtocolVersion,
    },
    /// The request breaks a rule of the protocol itself, as the KMIP codec found when it read a
    /// value of the payload (its Result Reason is the codec's own).
    #[error("{}", .0.message)]
    Protocol(KmipError),

    // The object and its rules.
    /// No such object, or one the caller may not see: the same answer, so identifiers of other
    /// identities cannot be probed.
    #[error("no object {uid}")]
    NotFound {
        /// The identifier asked for.
        uid: String,
    },
    /// The object is destroyed: its material is gone.
    #[error("object {uid} is destroyed")]
    Destroyed {
        /// The object.
        uid: String,
    },
    /// The caller's role, or its relation to the object, does not allow the operation.
    #[error("{0}")]
    Denied(String),
    /// The object's lifecycle state forbids the operation.
    #[error("{0}")]
    WrongState(String),
    /// The object's Cryptographic Usage Mask lacks the use the operation needs.
    #[error("{0}")]
    UsageNotAllowed(String),
    /// The object's key type cannot do what the operation asks of it.
    #[error("{0}")]
    KeyTypeNotApplicable(String),
    /// The object is of a type the operation does not apply to.
    #[error("{0}")]
    ObjectTypeNotApplicable(String),
    /// The operation is not allowed in the object's situation (another rule than its state).
    #[error("{0}")]
    NotAllowed(String),
    /// The object is not extractable: its material never leaves the server.
    #[error("{0}")]
    NotExtractable(String),
    /// The object is sensitive: its material leaves the server only wrapped.
    #[error("{0}")]
    Sensitive(String),
    /// The wrapping key named does not exist or the caller may not see it.
    #[error("{0}")]
    WrappingKeyNotFound(String),
    /// The wrapping key named is destroyed.
    #[error("{0}")]
    WrappingKeyDestroyed(String),
    /// A client tried to change an attribute only the server sets.
    #[error("{0}")]
    ReadOnlyAttribute(String),
    /// A single-valued attribute that is present already, where the operation would add one.
    #[error("{0}")]
    AttributePresent(String),
    /// The request lists a single-valued attribute more than once.
    #[error("{0}")]
    AttributeRepeated(String),
    /// A multi-valued attribute, where the operation sets a single value.
    #[error("{0}")]
    AttributeMultiValued(String),
    /// The object has no such attribute.
    #[error("{0}")]
    AttributeNotFound(String),
    /// The attribute has no instance with the index named.
    #[error("{0}")]
    AttributeInstanceNotFound(String),
    /// A limit of the server (object size, attribute count) would be exceeded.
    #[error("{0}")]
    LimitExceeded(String),

    // Cryptography and the service.
    /// The cryptographic operation failed (authentication tag, padding, key mismatch).
    #[error("{0}")]
    Crypto(String),
    /// A dependency is away for now (HSM, domain KEK, store lock, audit log, shutdown):
    /// retrying later may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// The object's stored record failed authentication at rest; it is not served.
    #[error(
        "object {uuid} is refused: its stored record failed authentication at rest ({fault}); \
         it is not served"
    )]
    RecordRejected {
        /// The object.
        uuid: String,
        /// What failed.
        fault: String,
    },
    /// The server failed (stored data inconsistent, a task lost, the store refused).
    #[error("{0}")]
    Failed(String),
    /// The operation panicked; nothing else was affected.
    #[error("internal error while processing this request")]
    Internal,
}

impl OpError {
    /// A stable label of the condition (audit entries and logs), independent of any protocol.
    pub fn kind(&self) -> &'static str {
        match self {
            OpError::Missing(_) => "missing",
            OpError::Invalid(_) => "invalid",
            OpError::InvalidAttributeValue(_) => "invalid-attribute-value",
            OpError::BadParameters(_) => "bad-parameters",
            OpError::MissingIv(_) => "missing-iv",
            OpError::ObjectTypeMismatch(_) => "object-type-mismatch",
            OpError::Unsupported(_) => "unsupported",
            OpError::UnsupportedAttribute(_) => "unsupported-attribute",
            OpError::UnsupportedKeyFormat(_) => "unsupported-key-format",
            OpError::UnsupportedCompression(_) => "unsupported-compression",
            OpError::UnsupportedWrapping(_) => "unsupported-wrapping",
            OpError::UnsupportedEncoding(_) => "unsupported-encoding",
            OpError::NotInVersion { .. } => "not-in-version",
            OpError::Protocol(_) => "protocol",
            OpError::NotFound { .. } => "not-found",
            OpError::Destroyed { .. } => "destroyed",
            OpError::Denied(_) => "denied",
            OpError::WrongState(_) => "wrong-state",
            OpError::UsageNotAllowed(_) => "usage-not-allowed",
            OpError::KeyTypeNotApplicable(_) => "key-type-not-applicable",
            OpError::ObjectTypeNotApplicable(_) => "object-type-not-applicable",
            OpError::NotAllowed(_) => "not-allowed",
            OpError::NotExtractable(_) => "not-extractable",
            OpError::Sensitive(_) => "sensitive",
            OpError::WrappingKeyNotFound(_) => "wrapping-key-not-found",
            OpError::WrappingKeyDestroyed(_) => "wrapping-key-destroyed",
            OpError::ReadOnlyAttribute(_) => "read-only-attribute",
            OpError::AttributePresent(_) => "attribute-present",
            OpError::AttributeRepeated(_) => "attribute-repeated",
            OpError::AttributeMultiValued(_) => "attribute-multi-valued",
            OpError::AttributeNotFound(_) => "attribute-not-found",
            OpError::AttributeInstanceNotFound(_) => "attribute-instance-not-found",
            OpError::LimitExceeded(_) => "limit-exceeded",
            OpError::Crypto(_) => "crypto",
            OpError::Unavailable(_) => "unavailable",
            OpError::RecordRejected { .. } => "record-rejected",
            OpError::Failed(_) => "failed",
            OpError::Internal => "internal",
        }
    }
}

impl From<KmipError> for OpError {
    fn from(e: KmipError) -> OpError {
        OpError::Protocol(e)
    }
}
