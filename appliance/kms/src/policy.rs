//! The rules: which lifecycle state allows which use, and which Result Reason each protocol
//! version offers for a broken rule.
//!
//! KMIP 2.0 added precise reasons (Wrong Key Lifecycle State, Read Only Attribute, Incompatible
//! Cryptographic Usage Mask, Object Destroyed, ...). A 1.x client must never receive an
//! enumeration value its version does not define, so every reason goes through [`reason`], which
//! falls back to the 1.x reason the 1.4 error tables use for the same condition.

use keywarden_kmip::KmipError;
use keywarden_kmip::enums::{CryptographicUsageMask, ResultReason, State};
use keywarden_kmip::message::ProtocolVersion;
use keywarden_store::LifecycleState;

/// The preferred reason if `version` defines it, else the fallback.
pub(crate) fn reason(
    version: ProtocolVersion,
    preferred: ResultReason,
    fallback: ResultReason,
) -> ResultReason {
    if preferred.exists_in(version.major, version.minor) {
        preferred
    } else {
        fallback
    }
}

/// An error with a reason chosen for the client's version.
pub(crate) fn err(
    version: ProtocolVersion,
    preferred: ResultReason,
    fallback: ResultReason,
    message: impl Into<String>,
) -> KmipError {
    KmipError::new(reason(version, preferred, fallback), message)
}

/// The object is in a state that forbids the operation.
pub(crate) fn wrong_state(version: ProtocolVersion, message: impl Into<String>) -> KmipError {
    err(
        version,
        ResultReason::WrongKeyLifecycleState,
        ResultReason::PermissionDenied,
        message,
    )
}

/// The object's Cryptographic Usage Mask lacks the bit the operation needs.
pub(crate) fn usage_denied(version: ProtocolVersion, message: impl Into<String>) -> KmipError {
    err(
        version,
        ResultReason::IncompatibleCryptographicUsageMask,
        ResultReason::PermissionDenied,
        message,
    )
}

/// The object was destroyed: its material is gone.
pub(crate) fn destroyed(version: ProtocolVersion, uid: &str) -> KmipError {
    // 1.2–1.4 name this case Key Value Not Present; 1.0/1.1 only have Item Not Found.
    let fallback = if (version.major, version.minor) >= (1, 2) {
        ResultReason::KeyValueNotPresent
    } else {
        ResultReason::ItemNotFound
    };
    err(
        version,
        ResultReason::ObjectDestroyed,
        fallback,
        format!("object {uid} is destroyed"),
    )
}

/// A client tried to change an attribute only the server sets.
pub(crate) fn read_only(version: ProtocolVersion, name: &str) -> KmipError {
    err(
        version,
        ResultReason::ReadOnlyAttribute,
        ResultReason::PermissionDenied,
        format!("attribute {name:?} is set by the server and cannot be changed by a client"),
    )
}

/// The object does not exist, or the caller may not see it (the same answer, so object
/// identifiers of other owners cannot be probed).
pub(crate) fn not_found(version: ProtocolVersion, uid: &str) -> KmipError {
    let _ = version;
    KmipError::new(ResultReason::ItemNotFound, format!("no object {uid}"))
}

/// Malformed or unacceptable value in a request field.
pub(crate) fn invalid(message: impl Into<String>) -> KmipError {
    KmipError::new(ResultReason::InvalidField, message)
}

/// A required field is absent.
pub(crate) fn missing(message: impl Into<String>) -> KmipError {
    KmipError::new(ResultReason::MissingData, message)
}

/// A combination of parameters the server does not offer.
pub(crate) fn bad_params(version: ProtocolVersion, message: impl Into<String>) -> KmipError {
    err(
        version,
        ResultReason::BadCryptographicParameters,
        ResultReason::InvalidField,
        message,
    )
}

/// The KMIP state enumeration of a store lifecycle state.
pub(crate) fn kmip_state(state: LifecycleState) -> State {
    match state {
        LifecycleState::PreActive => State::PreActive,
        LifecycleState::Active => State::Active,
        LifecycleState::Deactivated => State::Deactivated,
        LifecycleState::Compromised => State::Compromised,
        LifecycleState::Destroyed => State::Destroyed,
        LifecycleState::DestroyedCompromised => State::DestroyedCompromised,
    }
}

/// What a cryptographic operation does with the key, for the state rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyUse {
    /// Applies protection: Encrypt, Sign, MAC, wrapping another key on Get.
    Protect,
    /// Processes protected data: Decrypt, Signature Verify, MAC Verify.
    Process,
}

/// KMIP 1.4 §3.22 / 2.1 §4.57 (State): Pre-Active "SHALL NOT be used for any cryptographic
/// purpose"; Active may be used for everything its usage mask allows; Deactivated and Compromised
/// "SHALL NOT be used for applying cryptographic protection" and may still process protected
/// data (the spec's "special permission" is granted to the object's owner and to admins, the
/// only callers that reach this check); Destroyed objects have no material.
pub(crate) fn state_allows(state: State, key_use: KeyUse) -> bool {
    matches!(
        (state, key_use),
        (State::Active, _) | (State::Deactivated | State::Compromised, KeyUse::Process)
    )
}

/// The usage-mask bit each operation needs.
pub(crate) fn needed_usage(op: &str) -> Option<CryptographicUsageMask> {
    Some(match op {
        "Encrypt" => CryptographicUsageMask::ENCRYPT,
        "Decrypt" => CryptographicUsageMask::DECRYPT,
        "Sign" => CryptographicUsageMask::SIGN,
        "Signature Verify" => CryptographicUsageMask::VERIFY,
        "MAC" => CryptographicUsageMask::MAC_GENERATE,
        "MAC Verify" => CryptographicUsageMask::MAC_VERIFY,
        "Wrap Key" => CryptographicUsageMask::WRAP_KEY,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V14: ProtocolVersion = ProtocolVersion { major: 1, minor: 4 };
    const V21: ProtocolVersion = ProtocolVersion { major: 2, minor: 1 };
    const V10: ProtocolVersion = ProtocolVersion { major: 1, minor: 0 };

    #[test]
    fn reasons_fall_back_for_old_versions() {
        assert_eq!(wrong_state(V14, "x").reason, ResultReason::PermissionDenied);
        assert_eq!(
            wrong_state(V21, "x").reason,
            ResultReason::WrongKeyLifecycleState
        );
        assert_eq!(destroyed(V14, "u").reason, ResultReason::KeyValueNotPresent);
        assert_eq!(destroyed(V10, "u").reason, ResultReason::ItemNotFound);
        assert_eq!(destroyed(V21, "u").reason, ResultReason::ObjectDestroyed);
        assert_eq!(
            read_only(V14, "State").reason,
            ResultReason::PermissionDenied
        );
        assert_eq!(
            read_only(V21, "State").reason,
            ResultReason::ReadOnlyAttribute
        );
        assert_eq!(
            usage_denied(V21, "x").reason,
            ResultReason::IncompatibleCryptographicUsageMask
        );
    }

    #[test]
    fn state_table() {
        assert!(state_allows(State::Active, KeyUse::Protect));
        assert!(state_allows(State::Active, KeyUse::Process));
        assert!(!state_allows(State::PreActive, KeyUse::Protect));
        assert!(!state_allows(State::PreActive, KeyUse::Process));
        assert!(!state_allows(State::Deactivated, KeyUse::Protect));
        assert!(state_allows(State::Deactivated, KeyUse::Process));
        assert!(!state_allows(State::Compromised, KeyUse::Protect));
        assert!(state_allows(State::Compromised, KeyUse::Process));
        assert!(!state_allows(State::Destroyed, KeyUse::Process));
        assert!(!state_allows(State::DestroyedCompromised, KeyUse::Process));
    }
}
