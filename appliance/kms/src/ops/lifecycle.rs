//! Activate, Revoke, Destroy: the lifecycle as grow-only facts.

use crate::OpError;
use keywarden_kmip::enums::{RevocationReasonCode, State};
use keywarden_kmip::payload::ResponsePayload;

use super::{Ctx, event};
use crate::policy;

/// Activate: Pre-Active → Active (KMIP 1.4 §4.19, 2.1 §6.1.1). Any other state is refused.
pub(crate) async fn activate(ctx: &Ctx<'_>, uid: String) -> Result<ResponsePayload, OpError> {
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    let state = obj.state(ctx.now);
    if state != State::PreActive {
        return Err(policy::wrong_state(format!(
            "Activate needs a Pre-Active object; {uid} is {state}"
        )));
    }
    let stamp = ctx.stamp()?;
    // A scheduled (future) activation is brought forward: the fresh stamp makes this event win
    // the lifecycle merge (last writer wins per flag) on every replica.
    obj.rec_mut().lifecycle.activated = Some(event(stamp, ctx.now, None, None));
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    Ok(ResponsePayload::Identifier {
        unique_identifier: uid,
    })
}

/// Revoke (KMIP 1.4 §4.20, 2.1 §6.1.46).
///
/// Key Compromise and CA Compromise make the object Compromised from any state (a destroyed
/// one becomes Destroyed Compromised); the Compromise Occurrence Date defaults to now when the
/// client gives none. Every other reason deactivates an Active object; a Deactivated or
/// Compromised one is left as it is (revoking twice succeeds); Pre-Active and destroyed objects
/// are refused, as no transition of the state model leads from them to Deactivated.
pub(crate) async fn revoke(
    ctx: &Ctx<'_>,
    uid: String,
    reason: RevocationReasonCode,
    message: Option<String>,
    compromise_occurrence_date: Option<i64>,
) -> Result<ResponsePayload, OpError> {
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    let state = obj.state(ctx.now);
    let stamp = ctx.stamp()?;
    let compromise = matches!(
        reason,
        RevocationReasonCode::KeyCompromise | RevocationReasonCode::CaCompromise
    );
    if compromise {
        if obj.rec.lifecycle.compromised.is_none() {
            let occurred = compromise_occurrence_date.unwrap_or(ctx.now);
            obj.rec_mut().lifecycle.compromised =
                Some(event(stamp, occurred, Some(reason.value()), message));
        }
    } else {
        match state {
            State::Active => {
                // A scheduled (future) Deactivation Date is brought forward to now.
                obj.rec_mut().lifecycle.deactivated =
                    Some(event(stamp, ctx.now, Some(reason.value()), message));
            }
            State::Deactivated | State::Compromised => {
                return Ok(ResponsePayload::Identifier {
                    unique_identifier: uid,
                });
            }
            State::PreActive | State::Destroyed | State::DestroyedCompromised => {
                return Err(policy::wrong_state(format!(
                    "Revoke with reason {reason} needs an Active object; {uid} is {state}"
                )));
            }
        }
    }
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    Ok(ResponsePayload::Identifier {
        unique_identifier: uid,
    })
}

/// Destroy (KMIP 1.4 §4.21, 2.1 §6.1.15): an Active object must be revoked first. The material
/// is removed; the record stays as a tombstone with its attributes.
pub(crate) async fn destroy(ctx: &Ctx<'_>, uid: String) -> Result<ResponsePayload, OpError> {
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    let state = obj.state(ctx.now);
    match state {
        State::Active => {
            return Err(policy::wrong_state(format!(
                "object {uid} is Active: revoke it before destroying it"
            )));
        }
        State::Destroyed | State::DestroyedCompromised => {
            return Err(policy::destroyed(&uid));
        }
        State::PreActive | State::Deactivated | State::Compromised => {}
    }
    let stamp = ctx.stamp()?;
    obj.rec_mut().lifecycle.destroyed = Some(event(stamp, ctx.now, None, None));
    obj.rec_mut().material = None;
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    Ok(ResponsePayload::Identifier {
        unique_identifier: uid,
    })
}
