//! Who may do what: the one access rule of every operation.
//!
//! Each operation falls in one [`Access`] class by what it does with the objects it names. A
//! role that may never perform a class is refused with Permission Denied before any object is
//! looked at, so that answer says nothing about which objects exist. Then, for each object the
//! operation names:
//!
//! - an object the caller may not *see* answers Item Not Found, exactly like a missing
//!   identifier, and Locate leaves it out: identifiers of other identities cannot be probed;
//! - an object the caller sees but may not act on in this class answers Permission Denied.
//!
//! Seeing: an admin sees every object, a key-admin every object of its domain, anyone else
//! only the objects it owns. Acting: the owner and admins do everything; a key-admin manages
//! (attributes, state, re-key, destroy) but never uses (encrypts, signs, exports material
//! with Get) another identity's objects; an auditor acts on no object.

use crate::OpError;
use keywarden_authz::Role;
use keywarden_kmip::payload::RequestPayload;
use keywarden_store::ObjectRecord;

use crate::Caller;

/// What an operation does with the objects it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Names no object and changes nothing (Discover Versions, Query).
    Discover,
    /// Makes new objects or random bytes for the caller (Create, Register, RNG Retrieve).
    Create,
    /// Reads or changes attributes and lifecycle (Locate, Get Attributes, Activate, Revoke,
    /// Destroy, Re-key, attribute edits).
    Manage,
    /// Uses or exports key material (Get, Encrypt, Decrypt, Sign, Verify, MAC).
    Use,
}

impl Access {
    /// The class of a request.
    pub(crate) fn of(payload: &RequestPayload) -> Access {
        use RequestPayload as P;
        match payload {
            P::DiscoverVersions { .. } | P::Query { .. } => Access::Discover,
            P::Create { .. }
            | P::CreateKeyPair { .. }
            | P::Register { .. }
            | P::RngRetrieve { .. } => Access::Create,
            P::ReKey { .. }
            | P::GetAttributes { .. }
            | P::GetAttributeList { .. }
            | P::AddAttribute { .. }
            | P::SetAttribute { .. }
            | P::ModifyAttribute { .. }
            | P::DeleteAttribute { .. }
            | P::Locate { .. }
            | P::Activate { .. }
            | P::Revoke { .. }
            | P::Destroy { .. } => Access::Manage,
            P::Get { .. }
            | P::Encrypt { .. }
            | P::Decrypt { .. }
            | P::Sign { .. }
            | P::SignatureVerify { .. }
            | P::Mac { .. }
            | P::MacVerify { .. } => Access::Use,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Access::Discover => "discover",
            Access::Create => "create objects",
            Access::Manage => "manage objects",
            Access::Use => "use objects",
        }
    }
}

/// Refuses a class of operations the caller's role never performs.
pub(crate) fn check_role(caller: &Caller, access: Access) -> Result<(), OpError> {
    let allowed = match caller.role {
        Role::Admin | Role::KeyAdmin | Role::CryptoUser => true,
        Role::Auditor => access == Access::Discover,
    };
    if allowed {
        Ok(())
    } else {
        Err(OpError::Denied(format!(
            "the {} role may not {}",
            caller.role,
            access.name()
        )))
    }
}

/// Whether the caller may see an object at all.
pub(crate) fn sees(caller: &Caller, rec: &ObjectRecord) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::KeyAdmin => rec.domain == caller.domain || *rec.owner == *caller.identity,
        Role::CryptoUser => *rec.owner == *caller.identity,
        Role::Auditor => false,
    }
}

/// Whether the caller, who sees the object, may act on it in this class.
pub(crate) fn may(caller: &Caller, rec: &ObjectRecord, access: Access) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Auditor => false,
        Role::KeyAdmin | Role::CryptoUser if *rec.owner == *caller.identity => true,
        Role::KeyAdmin => access == Access::Manage && rec.domain == caller.domain,
        Role::CryptoUser => false,
    }
}

/// Permission Denied for a visible object the role may not act on.
pub(crate) fn denied(caller: &Caller, uid: &str, access: Access) -> OpError {
    OpError::Denied(format!(
        "the {} role may not {} of other identities: object {uid}",
        caller.role,
        access.name()
    ))
}
