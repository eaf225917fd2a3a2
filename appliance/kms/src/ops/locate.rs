//! Locate: the store's indexes answer owner, type, state, name, algorithm, length and custom
//! attributes; any other attribute is checked on the candidates.

use std::collections::HashSet;

use crate::OpError;
use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::{State, StorageStatusMask};
use keywarden_kmip::payload::ResponsePayload;
use keywarden_store::{LifecycleState, LocateQuery};

use super::Ctx;
use crate::attrs::{self, name};
use crate::policy;
use keywarden_authz::Role;

/// Most identifiers one Locate answers, whatever Maximum Items asks; Located Items still
/// counts every match.
pub(crate) const MAX_LOCATE_ITEMS: usize = 10_000;

fn store_state(state: State) -> LifecycleState {
    match state {
        State::PreActive => LifecycleState::PreActive,
        State::Active => LifecycleState::Active,
        State::Deactivated => LifecycleState::Deactivated,
        State::Compromised => LifecycleState::Compromised,
        State::Destroyed => LifecycleState::Destroyed,
        State::DestroyedCompromised => LifecycleState::DestroyedCompromised,
    }
}

/// Locate.
pub(crate) async fn locate(
    ctx: &Ctx<'_>,
    maximum_items: Option<i32>,
    offset_items: Option<i32>,
    storage_status_mask: Option<u32>,
    attributes: Attributes,
) -> Result<ResponsePayload, OpError> {
    let mut query = LocateQuery {
        // What Locate may return is what the caller sees (see `crate::access`).
        owner: matches!(ctx.caller.role, Role::CryptoUser).then(|| ctx.caller.identity.to_string()),
        domain: match ctx.caller.role {
            Role::Admin => None,
            _ => Some(ctx.caller.domain.clone()),
        },
        now: ctx.now,
        ..LocateQuery::default()
    };
    let mut extra: Vec<Attribute> = Vec::new();
    let bad = |a: &Attribute| {
        OpError::InvalidAttributeValue(format!(
            "Locate: attribute {:?} has a value of the wrong type",
            a.name
        ))
    };
    for a in attributes.0 {
        match a.name.as_str() {
            name::OBJECT_TYPE if query.object_type.is_none() => {
                query.object_type = Some(attrs::as_enum(&a.value).ok_or_else(|| bad(&a))?);
            }
            name::STATE if query.state.is_none() => {
                let s = attrs::as_enum(&a.value)
                    .and_then(State::from_value)
                    .ok_or_else(|| bad(&a))?;
                query.state = Some(store_state(s));
            }
            name::NAME if query.name.is_none() => {
                query.name = Some(attrs::name_text(&a.value).ok_or_else(|| bad(&a))?);
            }
            name::ALGORITHM if query.algorithm.is_none() => {
                query.algorithm = Some(attrs::as_enum(&a.value).ok_or_else(|| bad(&a))?);
            }
            name::LENGTH if query.length.is_none() => {
                query.length = Some(attrs::as_i32(&a.value).ok_or_else(|| bad(&a))?);
            }
            n if attrs::is_custom(n)
                || matches!(
                    n,
                    name::OBJECT_GROUP | name::CONTACT_INFORMATION | name::USAGE_MASK
                ) =>
            {
                query
                    .custom
                    .push((a.name.clone(), attrs::index_bytes(&a.value)));
            }
            _ => extra.push(a),
        }
    }
    let mask = StorageStatusMask(storage_status_mask.unwrap_or(0));
    // Default (no mask): on-line objects only, i.e. not destroyed, unless the client asked for
    // a destroyed state explicitly.
    let want_destroyed = mask.contains(StorageStatusMask::DESTROYED_STORAGE)
        || matches!(
            query.state,
            Some(LifecycleState::Destroyed | LifecycleState::DestroyedCompromised)
        );
    let want_online = mask.0 == 0 || mask.contains(StorageStatusMask::ON_LINE_STORAGE);
    let offset = usize::try_from(offset_items.unwrap_or(0))
        .map_err(|_| policy::invalid("Offset Items is negative"))?;
    let max = match maximum_items {
        Some(m) => {
            Some(usize::try_from(m).map_err(|_| policy::invalid("Maximum Items is negative"))?)
        }
        None => None,
    };
    // Without a server-side cap, Maximum Items left out would hand an admin the whole
    // database in one response.
    let limit = max.map_or(MAX_LOCATE_ITEMS, |m| m.min(MAX_LOCATE_ITEMS));
    // When every index match is an answer (no attribute to check on the record, no storage
    // class to drop), the store pages and counts by itself.
    let all_answers = extra.is_empty()
        && match query.state {
            Some(LifecycleState::Destroyed | LifecycleState::DestroyedCompromised) => {
                want_destroyed
            }
            Some(_) => want_online,
            None => want_destroyed && want_online,
        };
    if all_answers {
        query.offset = offset;
        query.limit = Some(limit);
    }
    let store = ctx.store()?;
    let now = ctx.now;
    // Index scans and the per-candidate record reads can be long; keep them off the async
    // workers.
    let (total, page, refused) = tokio::task::spawn_blocking(move || {
        let result = store.locate(&query)?;
        if all_answers {
            return Ok((result.total, result.uuids, Vec::new()));
        }
        let destroyed: HashSet<String> = result.destroyed.into_iter().collect();
        let mut found = Vec::new();
        let mut refused = Vec::new();
        for uid in result.uuids {
            let is_destroyed = destroyed.contains(&uid);
            if (is_destroyed && !want_destroyed) || (!is_destroyed && !want_online) {
                continue;
            }
            if !extra.is_empty() {
                let rec = match store.get(&uid) {
                    Ok(Some(rec)) => rec,
                    Ok(None) => continue,
                    // One refused record does not fail the Locate: it is left out (and
                    // counted below), and a Get of it answers why.
                    Err(e @ keywarden_store::StoreError::RecordRejected { .. }) => {
                        refused.push(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                let all = crate::object::Object { rec }.all_attributes(now);
                let matches_all = extra.iter().all(|want| {
                    all.iter()
                        .any(|have| have.name == want.name && have.value == want.value)
                });
                if !matches_all {
                    continue;
                }
            }
            found.push(uid);
        }
        let total = found.len();
        let page: Vec<String> = found.into_iter().skip(offset).take(limit).collect();
        Ok::<_, keywarden_store::StoreError>((total, page, refused))
    })
    .await
    .map_err(|e| OpError::Failed(format!("locate task: {e}")))?
    .map_err(|e| ctx.store_error(e))?;
    for e in refused {
        let _ = ctx.store_error(e);
    }
    Ok(ResponsePayload::Locate {
        located_items: located_items(ctx, total),
        unique_identifiers: page,
    })
}

/// Located Items (1.3+): the number of matches before Offset and Maximum Items.
fn located_items(ctx: &Ctx<'_>, total: usize) -> Option<i32> {
    ((ctx.version.major, ctx.version.minor) >= (1, 3))
        .then(|| i32::try_from(total).unwrap_or(i32::MAX))
}
