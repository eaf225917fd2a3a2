//! The one mapping of an operation error to a KMIP Result Reason, for the client's version.
//!
//! KMIP 2.0 added precise reasons (Wrong Key Lifecycle State, Read Only Attribute, Incompatible
//! Cryptographic Usage Mask, Object Destroyed, ...). A 1.x client must never receive an
//! enumeration value its version does not define, so each condition names the reason it
//! prefers and the 1.x reason the 1.4 error tables use for the same condition.

use keywarden_kmip::KmipError;
use keywarden_kmip::enums::ResultReason as R;
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kms::OpError;

/// The KMIP error a client of `version` receives for `error`.
pub fn kmip_error(error: &OpError, version: ProtocolVersion) -> KmipError {
    if let OpError::Protocol(e) = error {
        return e.clone();
    }
    KmipError::new(result_reason(error, version), error.to_string())
}

/// The Result Reason for `error` at `version`.
pub fn result_reason(error: &OpError, version: ProtocolVersion) -> R {
    let (preferred, fallback) = match error {
        OpError::Missing(_) => (R::MissingData, R::MissingData),
        OpError::Invalid(_) => (R::InvalidField, R::InvalidField),
        OpError::InvalidAttributeValue(_) => (R::InvalidAttributeValue, R::InvalidField),
        OpError::BadParameters(_) => (R::BadCryptographicParameters, R::InvalidField),
        OpError::MissingIv(_) => (R::MissingInitializationVector, R::MissingData),
        OpError::ObjectTypeMismatch(_) => (R::InvalidObjectType, R::InvalidField),
        OpError::Unsupported(_) => (R::FeatureNotSupported, R::FeatureNotSupported),
        OpError::UnsupportedAttribute(_) => (R::UnsupportedAttribute, R::InvalidField),
        OpError::UnsupportedKeyFormat(_) => {
            (R::KeyFormatTypeNotSupported, R::KeyFormatTypeNotSupported)
        }
        OpError::UnsupportedCompression(_) => (
            R::KeyCompressionTypeNotSupported,
            R::KeyCompressionTypeNotSupported,
        ),
        OpError::UnsupportedWrapping(_) => (R::KeyWrapTypeNotSupported, R::FeatureNotSupported),
        OpError::UnsupportedEncoding(_) => (R::EncodingOptionError, R::FeatureNotSupported),
        OpError::NotInVersion { .. } => (R::OperationNotSupported, R::OperationNotSupported),
        OpError::Protocol(e) => (e.reason, e.reason),
        OpError::NotFound { .. } => (R::ItemNotFound, R::ItemNotFound),
        // 1.2–1.4 name this case Key Value Not Present; 1.0/1.1 only have Item Not Found.
        OpError::Destroyed { .. } => (
            R::ObjectDestroyed,
            if version >= ProtocolVersion::V1_2 {
                R::KeyValueNotPresent
            } else {
                R::ItemNotFound
            },
        ),
        OpError::Denied(_) => (R::PermissionDenied, R::PermissionDenied),
        OpError::WrongState(_) => (R::WrongKeyLifecycleState, R::PermissionDenied),
        OpError::UsageNotAllowed(_) => (R::IncompatibleCryptographicUsageMask, R::PermissionDenied),
        OpError::KeyTypeNotApplicable(_) => (R::IllegalObjectType, R::IllegalOperation),
        OpError::ObjectTypeNotApplicable(_) => (R::InvalidObjectType, R::IllegalOperation),
        OpError::NotAllowed(_) => (R::IllegalOperation, R::IllegalOperation),
        OpError::NotExtractable(_) => (R::NotExtractable, R::PermissionDenied),
        OpError::Sensitive(_) => (R::Sensitive, R::PermissionDenied),
        OpError::WrappingKeyNotFound(_) => (R::WrappingObjectNotFound, R::ItemNotFound),
        OpError::WrappingKeyDestroyed(_) => (R::WrappingObjectDestroyed, R::ItemNotFound),
        OpError::ReadOnlyAttribute(_) => (R::ReadOnlyAttribute, R::PermissionDenied),
        OpError::AttributePresent(_) => (R::AttributeSingleValued, R::IllegalOperation),
        OpError::AttributeRepeated(_) => (R::AttributeSingleValued, R::InvalidField),
        OpError::AttributeMultiValued(_) => (R::MultiValuedAttribute, R::IllegalOperation),
        OpError::AttributeNotFound(_) => (R::AttributeNotFound, R::ItemNotFound),
        OpError::AttributeInstanceNotFound(_) => (R::AttributeInstanceNotFound, R::ItemNotFound),
        OpError::LimitExceeded(_) => (R::ServerLimitExceeded, R::IllegalOperation),
        OpError::Crypto(_) => (R::CryptographicFailure, R::CryptographicFailure),
        // No Result Reason names an unavailable HSM or store, or a damaged record (the object
        // is not missing and the client cannot fix it): General Failure exists in every
        // version, and the message says what and whether to retry.
        OpError::Unavailable(_) | OpError::RecordRejected { .. } | OpError::Failed(_) => {
            (R::GeneralFailure, R::GeneralFailure)
        }
        OpError::Internal => (R::InternalServerError, R::GeneralFailure),
    };
    if preferred.exists_in(version.major, version.minor) {
        preferred
    } else {
        fallback
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_kmip::enums::Operation;
    use keywarden_kmip::message::SUPPORTED_VERSIONS;

    /// One error of every kind.
    fn every_error() -> Vec<OpError> {
        let m = || "m".to_owned();
        vec![
            OpError::Missing(m()),
            OpError::Invalid(m()),
            OpError::InvalidAttributeValue(m()),
            OpError::BadParameters(m()),
            OpError::MissingIv(m()),
            OpError::ObjectTypeMismatch(m()),
            OpError::Unsupported(m()),
            OpError::UnsupportedAttribute(m()),
            OpError::UnsupportedKeyFormat(m()),
            OpError::UnsupportedCompression(m()),
            OpError::UnsupportedWrapping(m()),
            OpError::UnsupportedEncoding(m()),
            OpError::NotInVersion {
                operation: Operation::SetAttribute,
                version: ProtocolVersion::V1_4,
            },
            OpError::Protocol(KmipError::new(R::InvalidMessage, "m")),
            OpError::NotFound { uid: m() },
            OpError::Destroyed { uid: m() },
            OpError::Denied(m()),
            OpError::WrongState(m()),
            OpError::UsageNotAllowed(m()),
            OpError::KeyTypeNotApplicable(m()),
            OpError::ObjectTypeNotApplicable(m()),
            OpError::NotAllowed(m()),
            OpError::NotExtractable(m()),
            OpError::Sensitive(m()),
            OpError::WrappingKeyNotFound(m()),
            OpError::WrappingKeyDestroyed(m()),
            OpError::ReadOnlyAttribute(m()),
            OpError::AttributePresent(m()),
            OpError::AttributeRepeated(m()),
            OpError::AttributeMultiValued(m()),
            OpError::AttributeNotFound(m()),
            OpError::AttributeInstanceNotFound(m()),
            OpError::LimitExceeded(m()),
            OpError::Crypto(m()),
            OpError::Unavailable(m()),
            OpError::RecordRejected {
                uuid: m(),
                fault: m(),
            },
            OpError::Failed(m()),
            OpError::Internal,
        ]
    }

    #[test]
    fn every_reason_exists_in_the_version_it_is_sent_in() {
        for v in SUPPORTED_VERSIONS {
            for e in every_error() {
                let r = result_reason(&e, *v);
                assert!(r.exists_in(v.major, v.minor), "{e:?} at {v}: {r:?}");
            }
        }
    }

    #[test]
    fn reasons_fall_back_for_old_versions() {
        let v10 = ProtocolVersion::V1_0;
        let v14 = ProtocolVersion::V1_4;
        let v21 = ProtocolVersion::V2_1;
        let state = OpError::WrongState("x".to_owned());
        assert_eq!(result_reason(&state, v14), R::PermissionDenied);
        assert_eq!(result_reason(&state, v21), R::WrongKeyLifecycleState);
        let destroyed = OpError::Destroyed {
            uid: "u".to_owned(),
        };
        assert_eq!(result_reason(&destroyed, v14), R::KeyValueNotPresent);
        assert_eq!(result_reason(&destroyed, v10), R::ItemNotFound);
        assert_eq!(result_reason(&destroyed, v21), R::ObjectDestroyed);
        let read_only = OpError::ReadOnlyAttribute("State".to_owned());
        assert_eq!(result_reason(&read_only, v14), R::PermissionDenied);
        assert_eq!(result_reason(&read_only, v21), R::ReadOnlyAttribute);
        let usage = OpError::UsageNotAllowed("x".to_owned());
        assert_eq!(
            result_reason(&usage, v21),
            R::IncompatibleCryptographicUsageMask
        );
        assert_eq!(
            result_reason(&OpError::Internal, v21),
            R::InternalServerError
        );
        assert_eq!(result_reason(&OpError::Internal, v14), R::GeneralFailure);
    }

    #[test]
    fn the_message_is_the_errors_own_and_protocol_errors_pass_through() {
        let e = kmip_error(
            &OpError::NotFound {
                uid: "u1".to_owned(),
            },
            ProtocolVersion::V2_1,
        );
        assert_eq!(e.reason, R::ItemNotFound);
        assert_eq!(e.message, "no object u1");
        let codec = KmipError::new(R::InvalidMessage, "Attribute Value has the wrong type");
        assert_eq!(
            kmip_error(&OpError::Protocol(codec.clone()), ProtocolVersion::V1_4),
            codec
        );
    }
}
