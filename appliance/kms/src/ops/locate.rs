//! Locate: the store's indexes propose candidates by owner, type, state, name, algorithm,
//! length and custom attributes; nothing is answered from them alone. The store reads every
//! candidate's authenticated record and drops one that disagrees with its index entries; here
//! the caller's visibility (`crate::access`), the storage status and any other attribute are
//! checked on the same record.

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

/// Most stored records one Locate reads and authenticates (Offset Items and Located Items
/// need every candidate read up to the page, and past it for the count): 0.1-0.3 s of one
/// core at the 1.8-6 µs a record measured on the 2-core machine. Past it Located Items is left
/// out (KMIP lets a server omit it when it will not determine it), and a page that cannot be
/// filled within it is refused.
pub(crate) const MAX_LOCATE_RECORDS: usize = 50_000;

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
    let counted = has_located_items(ctx);
    query.offset = offset;
    query.limit = Some(limit);
    query.max_records = Some(MAX_LOCATE_RECORDS);
    // Before 1.3 the answer has no Located Items: nothing past the page needs reading.
    query.page_only = !counted;
    let store = ctx.store()?;
    let store_for_faults = store.clone();
    let now = ctx.now;
    let caller = ctx.caller.clone();
    // Index scans and the per-candidate record reads can be long; keep them off the async
    // workers.
    let result = tokio::task::spawn_blocking(move || {
        store.locate_where(&query, |rec| {
            // The store matched the owner and domain terms on the record; the access rule is
            // asked as well, so Locate never lists what Get would hide.
            if !crate::access::sees(&caller, rec) {
                return false;
            }
            let destroyed = rec.lifecycle.destroyed.is_some();
            if (destroyed && !want_destroyed) || (!destroyed && !want_online) {
                return false;
            }
            if extra.is_empty() {
                return true;
            }
            let all = crate::object::Object {
                rec: std::sync::Arc::clone(rec),
            }
            .all_attributes(now);
            extra.iter().all(|want| {
                all.iter()
                    .any(|have| have.name == want.name && have.value == want.value)
            })
        })
    })
    .await
    .map_err(|e| OpError::Failed(format!("locate task: {e}")))?
    .map_err(|e| ctx.store_error(e))?;
    // One refused record does not fail the Locate: it is left out and counted, and a Get of
    // it answers why.
    for uuid in result.rejected {
        // The read names the fault, and `store_error` counts and logs it.
        if let Err(e) = store_for_faults.get(&uuid) {
            let _ = ctx.store_error(e);
        }
    }
    // The store logged each one; the count tells an operator that the index file was
    // altered or damaged (nothing it proposes is served without its record).
    ctx.kms
        .metrics
        .index_inconsistent
        .inc_by(u64::try_from(result.inconsistent.len()).unwrap_or(u64::MAX));
    if result.partial && result.uuids.len() < limit {
        return Err(OpError::LimitExceeded(format!(
            "Locate would read more than {MAX_LOCATE_RECORDS} stored records to reach the end \
             of the page (Offset Items and the candidates before it): narrow it with Name, \
             Object Type, State or other attributes"
        )));
    }
    Ok(ResponsePayload::Locate {
        located_items: (counted && !result.partial)
            .then(|| i32::try_from(result.total).unwrap_or(i32::MAX)),
        unique_identifiers: result.uuids,
    })
}

/// Located Items (1.3+): the number of matches before Offset and Maximum Items.
fn has_located_items(ctx: &Ctx<'_>) -> bool {
    (ctx.version.major, ctx.version.minor) >= (1, 3)
}
