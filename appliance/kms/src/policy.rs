//! The rules: which lifecycle state allows which use, and the errors for a broken rule.
//!
//! Which Result Reason a client of each protocol version receives for these errors is the KMIP
//! listener's business (`keywarden-kmip-server`), not this crate's.

use keywarden_kmip::enums::{CryptographicUsageMask, State};
use keywarden_store::LifecycleState;

use crate::OpError;

/// The object is in a state that forbids the operation.
pub(crate) fn wrong_state(message: impl Into<String>) -> OpError {
    OpError::WrongState(message.into())
}

/// The object's Cryptographic Usage Mask lacks the bit the operation needs.
pub(crate) fn usage_denied(message: impl Into<String>) -> OpError {
    OpError::UsageNotAllowed(message.into())
}

/// The object was destroyed: its material is gone.
pub(crate) fn destroyed(uid: &str) -> OpError {
    OpError::Destroyed {
        uid: uid.to_owned(),
    }
}

/// A client tried to change an attribute only the server sets.
pub(crate) fn read_only(name: &str) -> OpError {
    OpError::ReadOnlyAttribute(format!(
        "attribute {name:?} is set by the server and cannot be changed by a client"
    ))
}

/// The object does not exist, or the caller may not see it (the same answer, so object
/// identifiers of other owners cannot be probed).
pub(crate) fn not_found(uid: &str) -> OpError {
    OpError::NotFound {
        uid: uid.to_owned(),
    }
}

/// Malformed or unacceptable value in a request field.
pub(crate) fn invalid(message: impl Into<String>) -> OpError {
    OpError::Invalid(message.into())
}

/// A required field is absent.
pub(crate) fn missing(message: impl Into<String>) -> OpError {
    OpError::Missing(message.into())
}

/// A combination of parameters the server does not offer.
pub(crate) fn bad_params(message: impl Into<String>) -> OpError {
    OpError::BadParameters(message.into())
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
