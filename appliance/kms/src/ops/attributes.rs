//! Get Attributes, Get Attribute List, Add / Set / Modify / Delete Attribute.

use crate::OpError;
use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::State;
use keywarden_kmip::payload::ResponsePayload;
use keywarden_kmip::ttlv::Value;

use super::{Ctx, check_value, event};
use crate::attrs::{self, name};
use crate::object::Object;
use crate::policy;

/// Get Attributes: the named attributes (all when no name is given); unknown names are skipped.
pub(crate) fn get_attributes(
    ctx: &Ctx<'_>,
    uid: String,
    names: &[String],
) -> Result<ResponsePayload, OpError> {
    let obj = ctx.load(&uid)?;
    let all = visible(ctx, &obj);
    let attributes = if names.is_empty() {
        all
    } else {
        all.into_iter()
            .filter(|a| names.iter().any(|n| n == &a.name))
            .collect()
    };
    Ok(ResponsePayload::GetAttributes {
        unique_identifier: uid,
        attributes: Attributes(attributes),
    })
}

/// The attributes a client of this version can be sent.
fn visible(ctx: &Ctx<'_>, obj: &Object) -> Vec<Attribute> {
    obj.all_attributes(ctx.now)
        .into_iter()
        .filter(|a| {
            attrs::is_custom(&a.name)
                || ctx.version.major < 2
                || keywarden_kmip::attributes::tag_for_name(&a.name).is_some()
        })
        .collect()
}

/// Get Attribute List: the names of the attributes the object has.
pub(crate) fn get_attribute_list(ctx: &Ctx<'_>, uid: String) -> Result<ResponsePayload, OpError> {
    let obj = ctx.load(&uid)?;
    let mut names: Vec<String> = Vec::new();
    for a in visible(ctx, &obj) {
        if !names.contains(&a.name) {
            names.push(a.name);
        }
    }
    Ok(ResponsePayload::GetAttributeList {
        unique_identifier: uid,
        names,
    })
}

/// How a date attribute is being changed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Add,
    Set,
    Modify,
}

/// The dates a client may change after creation, only in early states (KMIP 1.4 §3.24–3.27:
/// Activation Date while Pre-Active; Deactivation, Process Start and Protect Stop Dates while
/// Pre-Active or Active). Activation and Deactivation Dates are lifecycle facts.
const EARLY_DATES: &[&str] = &[
    name::ACTIVATION_DATE,
    name::DEACTIVATION_DATE,
    name::PROCESS_START_DATE,
    name::PROTECT_STOP_DATE,
];

async fn change_date(
    ctx: &Ctx<'_>,
    uid: String,
    attribute: Attribute,
    change: Change,
) -> Result<ResponsePayload, OpError> {
    check_value(ctx.version, &attribute.name, &attribute.value)?;
    let at = attrs::as_date(&attribute.value)
        .ok_or_else(|| policy::invalid(format!("{} must be a date", attribute.name)))?;
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    let state = obj.state(ctx.now);
    let attr = attribute.name.as_str();
    let allowed = match attr {
        name::ACTIVATION_DATE => state == State::PreActive,
        _ => matches!(state, State::PreActive | State::Active),
    };
    if !allowed {
        return Err(policy::wrong_state(format!(
            "{attr} cannot be changed while the object is {state}"
        )));
    }
    let exists = match attr {
        name::ACTIVATION_DATE => obj.rec.lifecycle.activated.is_some(),
        name::DEACTIVATION_DATE => obj.rec.lifecycle.deactivated.is_some(),
        other => obj.first(other).is_some(),
    };
    if change == Change::Add && exists {
        return Err(OpError::AttributePresent(format!(
            "attribute {attr:?} is already present; use Modify Attribute"
        )));
    }
    if change == Change::Modify && !exists {
        return Err(not_found(attr, None));
    }
    let stamp = ctx.stamp()?;
    // A lifecycle flag is grow-only but its date is last-writer-wins, so the fresh stamp makes
    // the changed date win the merge on every replica.
    match attr {
        name::ACTIVATION_DATE => {
            obj.rec_mut().lifecycle.activated = Some(event(stamp, at, None, None));
        }
        name::DEACTIVATION_DATE => {
            obj.rec_mut().lifecycle.deactivated = Some(event(stamp, at, None, None));
        }
        other => obj.set(other, 0, &attribute.value, stamp),
    }
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    Ok(changed(ctx, uid, &attribute.name, 0, attribute.value))
}

/// Refuses changes to attributes a client may not change.
fn check_writable(attr: &str) -> Result<(), OpError> {
    if attrs::client_modifiable(attr) {
        return Ok(());
    }
    if attrs::is_known(attr) || keywarden_kmip::attributes::tag_for_name(attr).is_some() {
        return Err(policy::read_only(attr));
    }
    Err(OpError::UnsupportedAttribute(format!(
        "attribute {attr:?} is not supported"
    )))
}

/// Sensitive may only go false → true and Extractable only true → false (KMIP 2.1 §4.48 /
/// §4.20: once protected, the material stays protected); `new` is None for a Delete, which
/// returns the attribute to its default (Sensitive false, Extractable true).
fn check_one_way(obj: &Object, attr: &str, new: Option<&Value>) -> Result<(), OpError> {
    let locked = match attr {
        name::SENSITIVE => Value::Boolean(true),
        name::EXTRACTABLE => Value::Boolean(false),
        _ => return Ok(()),
    };
    if obj.first(attr).as_ref() == Some(&locked) && new != Some(&locked) {
        return Err(OpError::ReadOnlyAttribute(format!(
            "attribute {attr:?} is {}: it can no longer be changed back",
            if locked == Value::Boolean(true) {
                "true"
            } else {
                "false"
            }
        )));
    }
    Ok(())
}

fn not_found(attr: &str, index: Option<u32>) -> OpError {
    match index {
        Some(i) => OpError::AttributeInstanceNotFound(format!(
            "attribute {attr:?} has no instance with index {i}"
        )),
        None => OpError::AttributeNotFound(format!("attribute {attr:?} is not present")),
    }
}

fn index_of(index: Option<i32>) -> Result<u32, OpError> {
    u32::try_from(index.unwrap_or(0)).map_err(|_| policy::invalid("Attribute Index is negative"))
}

/// The answer of Add/Set/Modify: 1.x returns the attribute as stored.
fn changed(ctx: &Ctx<'_>, uid: String, attr: &str, index: u32, value: Value) -> ResponsePayload {
    let attribute = (ctx.version.major < 2).then(|| Attribute {
        name: attr.to_owned(),
        index: attrs::is_multi(attr).then(|| i32::try_from(index).unwrap_or(i32::MAX)),
        value,
    });
    ResponsePayload::AttributeChanged {
        unique_identifier: uid,
        attribute,
    }
}

/// Add Attribute: a new instance of a multi-instance attribute, or the first one of a
/// single-instance attribute.
pub(crate) async fn add(
    ctx: &Ctx<'_>,
    uid: String,
    attribute: Attribute,
) -> Result<ResponsePayload, OpError> {
    if EARLY_DATES.contains(&attribute.name.as_str()) {
        return change_date(ctx, uid, attribute, Change::Add).await;
    }
    check_writable(&attribute.name)?;
    check_value(ctx.version, &attribute.name, &attribute.value)?;
    if attribute.name == name::LINK {
        ctx.check_link_target(&attribute.value)?;
    }
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    check_one_way(&obj, &attribute.name, Some(&attribute.value))?;
    let stamp = ctx.stamp()?;
    let attr = attribute.name.as_str();
    let index = if attr == name::LINK {
        let (t, target) = attrs::link_parts(&attribute.value)
            .ok_or_else(|| policy::invalid("Link value is malformed"))?;
        obj.add_link(t, &target, stamp);
        u32::try_from(obj.links().len().saturating_sub(1)).unwrap_or(u32::MAX)
    } else if attrs::is_multi(attr) {
        let i = obj.next_index(attr);
        obj.set(attr, i, &attribute.value, stamp);
        i
    } else {
        if obj.first(attr).is_some() {
            return Err(OpError::AttributePresent(format!(
                "attribute {attr:?} is single-valued and already present; use Modify Attribute"
            )));
        }
        obj.set(attr, 0, &attribute.value, stamp);
        0
    };
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    Ok(changed(ctx, uid, &attribute.name, index, attribute.value))
}

/// Set Attribute (2.0+): the value of a single-valued attribute, created or replaced.
pub(crate) async fn set(
    ctx: &Ctx<'_>,
    uid: String,
    attribute: Attribute,
) -> Result<ResponsePayload, OpError> {
    if EARLY_DATES.contains(&attribute.name.as_str()) {
        return change_date(ctx, uid, attribute, Change::Set).await;
    }
    check_writable(&attribute.name)?;
    check_value(ctx.version, &attribute.name, &attribute.value)?;
    if attrs::is_multi(&attribute.name) && !attrs::is_custom(&attribute.name) {
        return Err(OpError::AttributeMultiValued(format!(
            "attribute {:?} is multi-valued; use Add or Modify Attribute",
            attribute.name
        )));
    }
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    check_one_way(&obj, &attribute.name, Some(&attribute.value))?;
    let stamp = ctx.stamp()?;
    obj.set(&attribute.name, 0, &attribute.value, stamp);
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    Ok(changed(ctx, uid, &attribute.name, 0, attribute.value))
}

/// Finds the instance a Modify or Delete addresses: the 2.x Current Attribute's value, else the
/// index (0 by default).
fn find_instance(
    obj: &Object,
    attr: &str,
    index: Option<i32>,
    current: Option<&Attribute>,
) -> Result<u32, OpError> {
    if attr == name::LINK {
        let links = obj.links();
        let position = match current {
            Some(c) => {
                let wanted = attrs::link_parts(&c.value);
                links.iter().position(|l| Some(l) == wanted.as_ref())
            }
            None => usize::try_from(index_of(index)?)
                .ok()
                .filter(|i| *i < links.len()),
        };
        return position
            .and_then(|p| u32::try_from(p).ok())
            .ok_or_else(|| not_found(attr, index.and_then(|i| u32::try_from(i).ok())));
    }
    let values = obj.values(attr);
    if values.is_empty() {
        return Err(not_found(attr, None));
    }
    match current {
        Some(c) => values
            .iter()
            .find(|(_, v)| *v == c.value)
            .map(|(i, _)| *i)
            .ok_or_else(|| not_found(attr, None)),
        None => {
            let wanted = index_of(index)?;
            if attrs::is_multi(attr) {
                values
                    .iter()
                    .find(|(i, _)| *i == wanted)
                    .map(|(i, _)| *i)
                    .ok_or_else(|| not_found(attr, Some(wanted)))
            } else {
                values
                    .first()
                    .map(|(i, _)| *i)
                    .ok_or_else(|| not_found(attr, None))
            }
        }
    }
}

/// Modify Attribute: replaces an existing instance.
pub(crate) async fn modify(
    ctx: &Ctx<'_>,
    uid: String,
    attribute: Attribute,
    current: Option<Attribute>,
) -> Result<ResponsePayload, OpError> {
    if EARLY_DATES.contains(&attribute.name.as_str()) {
        return change_date(ctx, uid, attribute, Change::Modify).await;
    }
    check_writable(&attribute.name)?;
    check_value(ctx.version, &attribute.name, &attribute.value)?;
    if attribute.name == name::LINK {
        ctx.check_link_target(&attribute.value)?;
    }
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    let attr = attribute.name.as_str();
    let index = find_instance(&obj, attr, attribute.index, current.as_ref())?;
    check_one_way(&obj, attr, Some(&attribute.value))?;
    let stamp = ctx.stamp()?;
    if attr == name::LINK {
        let links = obj.links();
        let old = usize::try_from(index)
            .ok()
            .and_then(|i| links.get(i))
            .cloned();
        let new = attrs::link_parts(&attribute.value)
            .ok_or_else(|| policy::invalid("Link value is malformed"))?;
        if let Some((t, target)) = old {
            obj.remove_link(t, &target, stamp);
        }
        obj.add_link(new.0, &new.1, stamp);
    } else {
        obj.set(attr, index, &attribute.value, stamp);
    }
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    Ok(changed(ctx, uid, &attribute.name, index, attribute.value))
}

/// Delete Attribute: removes one instance.
pub(crate) async fn delete(
    ctx: &Ctx<'_>,
    uid: String,
    attr: &str,
    index: Option<i32>,
    current: Option<Attribute>,
) -> Result<ResponsePayload, OpError> {
    check_writable(attr)?;
    let _guard = ctx.lock(&uid).await;
    let mut obj = ctx.load(&uid)?;
    let found = find_instance(&obj, attr, index, current.as_ref())?;
    check_one_way(&obj, attr, None)?;
    let stamp = ctx.stamp()?;
    let deleted = if attr == name::LINK {
        let links = obj.links();
        let Some((t, target)) = usize::try_from(found)
            .ok()
            .and_then(|i| links.get(i))
            .cloned()
        else {
            return Err(not_found(attr, Some(found)));
        };
        obj.remove_link(t, &target, stamp);
        attrs::link_value(t, &target)
    } else {
        let value = obj
            .values(attr)
            .into_iter()
            .find(|(i, _)| *i == found)
            .map(|(_, v)| v)
            .ok_or_else(|| not_found(attr, Some(found)))?;
        obj.delete(attr, found, stamp);
        value
    };
    obj.touch(stamp);
    ctx.commit(vec![obj]).await?;
    let attribute = (ctx.version.major < 2).then(|| Attribute {
        name: attr.to_owned(),
        index: attrs::is_multi(attr).then(|| i32::try_from(found).unwrap_or(i32::MAX)),
        value: deleted,
    });
    Ok(ResponsePayload::DeleteAttribute {
        unique_identifier: uid,
        attribute,
    })
}
