//! A managed object as the operations see it: the store record plus attribute views.
//!
//! Attributes live in the record as last-writer-wins registers (name, index) with TTLV value
//! bytes; links as an add-wins set; lifecycle as grow-only facts. Everything derived from the
//! lifecycle (State and the lifecycle dates) is computed on read, never stored twice.

use std::sync::Arc;

use crate::OpError;
use keywarden_kmip::attributes::Attribute;
use keywarden_kmip::enums::{
    CryptographicAlgorithm, CryptographicUsageMask, ObjectType, RecommendedCurve, State,
};
use keywarden_kmip::ttlv::Value;
use keywarden_store::{
    DomainKek, IndexTerms, LifecycleEvent, MaterialBinding, ObjectRecord, Stamp, StoredAttribute,
    StoredLink,
};

use crate::attrs::{self, name};
use crate::material::{KeyFacts, Material};
use crate::policy;

/// Attributes (besides custom ones) whose values Locate can find through the store's index.
const INDEXED: &[&str] = &[
    name::OBJECT_GROUP,
    name::CONTACT_INFORMATION,
    name::USAGE_MASK,
];

/// Most live attribute instances (links included) one object may hold.
pub(crate) const MAX_ATTRIBUTE_INSTANCES: usize = 256;

/// Most bytes of live attributes (names and encoded values, link targets) one object may hold.
pub(crate) const MAX_ATTRIBUTE_BYTES: usize = 64 * 1024;

/// Longest attribute name, and longest Name attribute value, in bytes.
pub(crate) const MAX_NAME_BYTES: usize = 256;

/// Unix seconds of a stamp.
pub(crate) fn stamp_secs(stamp: &Stamp) -> i64 {
    i64::try_from(stamp.hlc.wall_ms / 1000).unwrap_or(i64::MAX)
}

/// A loaded or new object. The record is shared with the store's read cache; the first change
/// copies it, so a read-only operation never clones a record.
pub(crate) struct Object {
    pub rec: Arc<ObjectRecord>,
}

impl Object {
    /// The record, to change (copied first if the cache still shares it).
    pub(crate) fn rec_mut(&mut self) -> &mut ObjectRecord {
        Arc::make_mut(&mut self.rec)
    }

    /// The record to commit.
    pub(crate) fn into_record(self) -> ObjectRecord {
        Arc::unwrap_or_clone(self.rec)
    }

    /// The object's KMIP type.
    pub(crate) fn object_type(&self) -> Result<ObjectType, OpError> {
        ObjectType::from_value(self.rec.object_type)
            .ok_or_else(|| OpError::Failed("stored object has an unknown type".to_owned()))
    }

    /// Live instances of an attribute, by index.
    pub(crate) fn values(&self, attr: &str) -> Vec<(u32, Value)> {
        let mut out: Vec<(u32, Value)> = self
            .rec
            .attributes
            .iter()
            .filter(|a| a.name == attr && !a.deleted)
            .filter_map(|a| attrs::decode_value(&a.value).ok().map(|v| (a.index, v)))
            .collect();
        out.sort_by_key(|(i, _)| *i);
        out
    }

    /// The first live instance of an attribute.
    pub(crate) fn first(&self, attr: &str) -> Option<Value> {
        // Decodes only the lowest-index instance (the common case: one instance) instead of
        // every instance into a sorted Vec; a corrupt one falls back to the full scan, which
        // skips it as `values` does.
        let lowest = self
            .rec
            .attributes
            .iter()
            .filter(|a| a.name == attr && !a.deleted)
            .min_by_key(|a| a.index)?;
        match attrs::decode_value(&lowest.value) {
            Ok(v) => Some(v),
            Err(_) => self.values(attr).into_iter().next().map(|(_, v)| v),
        }
    }

    /// Sets instance `index` of `attr` (replacing it, or reviving a deleted slot).
    pub(crate) fn set(&mut self, attr: &str, index: u32, value: &Value, stamp: Stamp) {
        let bytes = attrs::encode_value(value);
        match self
            .rec_mut()
            .attributes
            .iter_mut()
            .find(|a| a.name == attr && a.index == index)
        {
            Some(slot) => {
                slot.value = bytes;
                slot.stamp = stamp;
                slot.deleted = false;
            }
            None => self.rec_mut().attributes.push(StoredAttribute {
                name: attr.to_owned(),
                index,
                value: bytes,
                stamp,
                deleted: false,
            }),
        }
    }

    /// Marks instance `index` of `attr` deleted; false when it was not live.
    pub(crate) fn delete(&mut self, attr: &str, index: u32, stamp: Stamp) -> bool {
        match self
            .rec_mut()
            .attributes
            .iter_mut()
            .find(|a| a.name == attr && a.index == index && !a.deleted)
        {
            Some(slot) => {
                slot.deleted = true;
                slot.stamp = stamp;
                true
            }
            None => false,
        }
    }

    /// The lowest index never used by `attr` (deleted slots keep their index retired so a
    /// replica's late write cannot collide with a new instance).
    pub(crate) fn next_index(&self, attr: &str) -> u32 {
        self.rec
            .attributes
            .iter()
            .filter(|a| a.name == attr)
            .map(|a| a.index.saturating_add(1))
            .max()
            .unwrap_or(0)
    }

    /// Live links, in insertion order.
    pub(crate) fn links(&self) -> Vec<(u32, String)> {
        self.rec
            .links
            .iter()
            .filter(|l| !l.removed)
            .map(|l| (l.link_type, l.target.clone()))
            .collect()
    }

    /// Adds a link (idempotent).
    pub(crate) fn add_link(&mut self, link_type: u32, target: &str, stamp: Stamp) {
        match self
            .rec_mut()
            .links
            .iter_mut()
            .find(|l| l.link_type == link_type && l.target == target)
        {
            Some(l) => {
                l.removed = false;
                l.stamp = stamp;
            }
            None => self.rec_mut().links.push(StoredLink {
                link_type,
                target: target.to_owned(),
                stamp,
                removed: false,
            }),
        }
    }

    /// Removes a link; false when it was not live.
    pub(crate) fn remove_link(&mut self, link_type: u32, target: &str, stamp: Stamp) -> bool {
        match self
            .rec_mut()
            .links
            .iter_mut()
            .find(|l| l.link_type == link_type && l.target == target && !l.removed)
        {
            Some(l) => {
                l.removed = true;
                l.stamp = stamp;
                true
            }
            None => false,
        }
    }

    /// Refuses an object over the size limits, so no client can grow a record without bound:
    /// Server Limit Exceeded (2.x) / Illegal Operation (1.x), naming the limit.
    pub(crate) fn check_limits(&self) -> Result<(), OpError> {
        let over = OpError::LimitExceeded;
        let live: Vec<&StoredAttribute> =
            self.rec.attributes.iter().filter(|a| !a.deleted).collect();
        let links: Vec<&StoredLink> = self.rec.links.iter().filter(|l| !l.removed).collect();
        if let Some(a) = live.iter().find(|a| a.name.len() > MAX_NAME_BYTES) {
            return Err(over(format!(
                "attribute name of {} bytes exceeds the limit of {MAX_NAME_BYTES} bytes",
                a.name.len()
            )));
        }
        if let Some(n) = self
            .values(name::NAME)
            .iter()
            .filter_map(|(_, v)| attrs::name_text(v))
            .find(|n| n.len() > MAX_NAME_BYTES)
        {
            return Err(over(format!(
                "Name value of {} bytes exceeds the limit of {MAX_NAME_BYTES} bytes",
                n.len()
            )));
        }
        let instances = live.len().saturating_add(links.len());
        if instances > MAX_ATTRIBUTE_INSTANCES {
            return Err(over(format!(
                "object would hold {instances} attribute instances; the limit is \
                 {MAX_ATTRIBUTE_INSTANCES} per object"
            )));
        }
        let bytes = live
            .iter()
            .map(|a| a.name.len().saturating_add(a.value.len()))
            .chain(links.iter().map(|l| l.target.len().saturating_add(4)))
            .fold(0_usize, usize::saturating_add);
        if bytes > MAX_ATTRIBUTE_BYTES {
            return Err(over(format!(
                "object would hold {bytes} bytes of attributes; the limit is \
                 {MAX_ATTRIBUTE_BYTES} bytes per object"
            )));
        }
        Ok(())
    }

    /// The KMIP state at `now`.
    pub(crate) fn state(&self, now: i64) -> State {
        policy::kmip_state(self.rec.lifecycle.state(now))
    }

    /// The Cryptographic Usage Mask (0 when absent).
    pub(crate) fn usage_mask(&self) -> CryptographicUsageMask {
        let bits = self
            .first(name::USAGE_MASK)
            .and_then(|v| attrs::as_i32(&v))
            .unwrap_or(0);
        CryptographicUsageMask(u32::from_ne_bytes(bits.to_ne_bytes()))
    }

    /// Algorithm, length and curve as recorded in the attributes.
    pub(crate) fn facts(&self) -> KeyFacts {
        let algorithm = self
            .first(name::ALGORITHM)
            .and_then(|v| attrs::as_enum(&v))
            .and_then(CryptographicAlgorithm::from_value);
        let length = self.first(name::LENGTH).and_then(|v| attrs::as_i32(&v));
        let curve = self
            .first(name::DOMAIN_PARAMETERS)
            .and_then(|v| attrs::child_enum(&v, attrs::tag::RECOMMENDED_CURVE))
            .and_then(RecommendedCurve::from_value);
        KeyFacts {
            algorithm,
            length,
            curve,
        }
    }

    /// The binding of the sealed material: uuid, type, algorithm and length.
    fn binding(&self) -> MaterialBinding<'_> {
        MaterialBinding {
            uuid: &self.rec.uuid,
            object_type: self.rec.object_type,
            algorithm: self.rec.index.algorithm,
            length: self.rec.index.length,
        }
    }

    /// Seals `material` into the record. Call after the algorithm and length are final.
    pub(crate) fn seal(&mut self, kek: &DomainKek, material: &Material) -> Result<(), OpError> {
        self.reindex();
        let sealed = kek
            .seal(&self.binding(), &material.frame())
            .map_err(|e| OpError::Failed(format!("sealing key material: {e}")))?;
        self.rec_mut().material = Some(sealed);
        Ok(())
    }

    /// Opens the sealed material; a destroyed object answers the version's destroyed reason.
    pub(crate) fn open(&self, kek: &DomainKek) -> Result<Material, OpError> {
        let Some(sealed) = &self.rec.material else {
            return Err(policy::destroyed(&self.rec.uuid));
        };
        let plain = kek
            .open(&self.binding(), sealed)
            .map_err(|e| OpError::Failed(format!("opening key material: {e}")))?;
        Material::unframe(plain)
    }

    /// Recomputes the Locate terms from the attributes.
    pub(crate) fn reindex(&mut self) {
        let terms = self.terms();
        self.rec_mut().index = terms;
    }

    /// The Locate terms the attributes give.
    fn terms(&self) -> IndexTerms {
        let names = self
            .values(name::NAME)
            .iter()
            .filter_map(|(_, v)| attrs::name_text(v))
            .collect();
        let algorithm = self.first(name::ALGORITHM).and_then(|v| attrs::as_enum(&v));
        let length = self.first(name::LENGTH).and_then(|v| attrs::as_i32(&v));
        let mut custom = Vec::new();
        for a in self.rec.attributes.iter().filter(|a| !a.deleted) {
            if attrs::is_custom(&a.name) || INDEXED.contains(&a.name.as_str()) {
                custom.push((a.name.clone(), a.value.clone()));
            }
        }
        custom.sort();
        custom.dedup();
        IndexTerms {
            names,
            algorithm,
            length,
            custom,
        }
    }
}

/// The Locate terms of a stored record, computed from its attributes as every write computes
/// them: the store applies it to records merged with a peer's.
pub fn index_terms(rec: &ObjectRecord) -> IndexTerms {
    Object {
        rec: Arc::new(rec.clone()),
    }
    .terms()
}

impl Object {
    /// Marks a change: Last Change Date and the record's updated stamp.
    pub(crate) fn touch(&mut self, stamp: Stamp) {
        let now = stamp_secs(&stamp);
        self.set(name::LAST_CHANGE_DATE, 0, &Value::DateTime(now), stamp);
        self.rec_mut().updated = stamp;
        self.reindex();
    }

    /// Every attribute, server-computed ones included, in a stable order.
    pub(crate) fn all_attributes(&self, now: i64) -> Vec<Attribute> {
        let mut out = Vec::new();
        let mut push = |n: &str, index: Option<i32>, value: Value| {
            out.push(Attribute {
                name: n.to_owned(),
                index,
                value,
            });
        };
        push(
            name::UNIQUE_IDENTIFIER,
            None,
            Value::TextString(self.rec.uuid.clone()),
        );
        push(
            name::OBJECT_TYPE,
            None,
            Value::Enumeration(self.rec.object_type),
        );
        push(
            name::STATE,
            None,
            Value::Enumeration(self.state(now).value()),
        );
        let lc = &self.rec.lifecycle;
        if let Some(e) = &lc.activated {
            push(name::ACTIVATION_DATE, None, Value::DateTime(e.effective));
        }
        if let Some(e) = &lc.deactivated {
            push(name::DEACTIVATION_DATE, None, Value::DateTime(e.effective));
        }
        if let Some(e) = &lc.compromised {
            push(
                name::COMPROMISE_OCCURRENCE_DATE,
                None,
                Value::DateTime(e.effective),
            );
            push(
                name::COMPROMISE_DATE,
                None,
                Value::DateTime(stamp_secs(&e.stamp)),
            );
        }
        if let Some(e) = &lc.destroyed {
            push(name::DESTROY_DATE, None, Value::DateTime(e.effective));
        }
        if let Some(e) = revocation(lc.compromised.as_ref(), lc.deactivated.as_ref())
            && let Some(code) = e.reason
        {
            push(
                name::REVOCATION_REASON,
                None,
                attrs::revocation_value(code, e.message.as_deref()),
            );
        }
        let mut stored: Vec<&StoredAttribute> =
            self.rec.attributes.iter().filter(|a| !a.deleted).collect();
        stored.sort_by(|a, b| (&a.name, a.index).cmp(&(&b.name, b.index)));
        for a in stored {
            if let Ok(v) = attrs::decode_value(&a.value) {
                let index =
                    attrs::is_multi(&a.name).then(|| i32::try_from(a.index).unwrap_or(i32::MAX));
                push(&a.name, index, v);
            }
        }
        for (i, (link_type, target)) in self.links().into_iter().enumerate() {
            push(
                name::LINK,
                Some(i32::try_from(i).unwrap_or(i32::MAX)),
                attrs::link_value(link_type, &target),
            );
        }
        out
    }
}

/// The event that carries the Revocation Reason: the compromise if any, else the deactivation
/// when it came from a Revoke (it has a reason code).
fn revocation<'a>(
    compromised: Option<&'a LifecycleEvent>,
    deactivated: Option<&'a LifecycleEvent>,
) -> Option<&'a LifecycleEvent> {
    compromised.or(deactivated).filter(|e| e.reason.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_store::{Hlc, Lifecycle, NodeId};

    fn stamp(ms: u64) -> Stamp {
        Stamp {
            hlc: Hlc {
                wall_ms: ms,
                logical: 0,
            },
            node: NodeId(7),
        }
    }

    fn object() -> Object {
        Object {
            rec: Arc::new(ObjectRecord {
                uuid: "u-1".to_owned(),
                domain: "default".to_owned(),
                owner: "alice".to_owned(),
                object_type: ObjectType::SymmetricKey.value(),
                origin: NodeId(7),
                created: stamp(1),
                updated: stamp(1),
                lifecycle: Lifecycle::default(),
                material: None,
                attributes: Vec::new(),
                links: Vec::new(),
                index: IndexTerms::default(),
            }),
        }
    }

    #[test]
    fn attribute_instances_keep_retired_indexes() {
        let mut o = object();
        o.set(name::NAME, 0, &attrs::name_value("a"), stamp(2));
        o.set(
            name::NAME,
            o.next_index(name::NAME),
            &attrs::name_value("b"),
            stamp(3),
        );
        assert_eq!(o.values(name::NAME).len(), 2);
        assert!(o.delete(name::NAME, 0, stamp(4)));
        assert!(!o.delete(name::NAME, 0, stamp(5)));
        // The deleted slot's index is not reused by the next instance.
        assert_eq!(o.next_index(name::NAME), 2);
        o.reindex();
        assert_eq!(o.rec.index.names, vec!["b".to_owned()]);
    }

    #[test]
    fn index_terms_of_a_stored_record_are_those_its_writes_computed() {
        let mut o = object();
        o.set(name::NAME, 0, &attrs::name_value("a"), stamp(2));
        o.set(name::NAME, 1, &attrs::name_value("b"), stamp(2));
        o.set(name::LENGTH, 0, &Value::Integer(256), stamp(2));
        o.set("x-team", 0, &Value::TextString("blue".into()), stamp(2));
        o.reindex();
        assert_eq!(o.rec.index.names, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(index_terms(&o.rec), o.rec.index);
        // A record whose terms went stale (a merge keeps the later version's) gets them back.
        let mut stale = (*o.rec).clone();
        stale.index = IndexTerms::default();
        assert_eq!(index_terms(&stale), o.rec.index);
    }

    #[test]
    fn links_are_an_add_wins_set() {
        let mut o = object();
        o.add_link(0x102, "pk", stamp(2));
        o.add_link(0x102, "pk", stamp(3));
        assert_eq!(o.links(), vec![(0x102, "pk".to_owned())]);
        assert!(o.remove_link(0x102, "pk", stamp(4)));
        assert!(o.links().is_empty());
        o.add_link(0x102, "pk", stamp(5));
        assert_eq!(o.links().len(), 1);
    }

    #[test]
    fn server_attributes_are_derived_from_lifecycle() {
        let mut o = object();
        o.rec_mut().lifecycle.activated = Some(LifecycleEvent {
            stamp: stamp(2),
            effective: 10,
            reason: None,
            message: None,
        });
        o.rec_mut().lifecycle.compromised = Some(LifecycleEvent {
            stamp: stamp(20_000),
            effective: 15,
            reason: Some(2),
            message: Some("leak".to_owned()),
        });
        let all = o.all_attributes(30);
        let get = |n: &str| all.iter().find(|a| a.name == n).map(|a| a.value.clone());
        assert_eq!(
            get(name::STATE),
            Some(Value::Enumeration(State::Compromised.value()))
        );
        assert_eq!(get(name::ACTIVATION_DATE), Some(Value::DateTime(10)));
        assert_eq!(
            get(name::COMPROMISE_OCCURRENCE_DATE),
            Some(Value::DateTime(15))
        );
        assert_eq!(get(name::COMPROMISE_DATE), Some(Value::DateTime(20)));
        assert_eq!(
            get(name::REVOCATION_REASON),
            Some(attrs::revocation_value(2, Some("leak")))
        );
        assert_eq!(
            get(name::UNIQUE_IDENTIFIER),
            Some(Value::TextString("u-1".to_owned()))
        );
    }

    #[test]
    fn size_limits_count_live_instances_bytes_and_names() {
        let group = |i: u32| Value::TextString(format!("g{i}"));
        let mut o = object();
        for i in 0..u32::try_from(MAX_ATTRIBUTE_INSTANCES - 1).expect("fits") {
            o.set(name::OBJECT_GROUP, i, &group(i), stamp(2));
        }
        o.add_link(0x102, "pk", stamp(2));
        assert!(o.check_limits().is_ok());
        let next = o.next_index(name::OBJECT_GROUP);
        o.set(name::OBJECT_GROUP, next, &group(next), stamp(3));
        let err = o.check_limits().expect_err("one instance too many");
        assert!(
            matches!(&err, OpError::LimitExceeded(m) if m.contains("256")),
            "{err}"
        );
        // Deleted instances do not count.
        assert!(o.delete(name::OBJECT_GROUP, 0, stamp(4)));
        assert!(o.check_limits().is_ok());

        let mut o = object();
        let big = Value::TextString("x".repeat(MAX_ATTRIBUTE_BYTES / 2));
        o.set("x-a", 0, &big, stamp(2));
        assert!(o.check_limits().is_ok());
        o.set("x-b", 0, &big, stamp(2));
        let err = o.check_limits().expect_err("too many bytes");
        assert!(
            matches!(&err, OpError::LimitExceeded(m) if m.contains("65536")),
            "{err}"
        );

        let mut o = object();
        let long = format!("x-{}", "n".repeat(MAX_NAME_BYTES));
        o.set(&long, 0, &Value::Integer(1), stamp(2));
        assert!(o.check_limits().is_err());
        let mut o = object();
        o.set(
            name::NAME,
            0,
            &attrs::name_value(&"n".repeat(MAX_NAME_BYTES)),
            stamp(2),
        );
        assert!(o.check_limits().is_ok());
        o.set(
            name::NAME,
            1,
            &attrs::name_value(&"n".repeat(MAX_NAME_BYTES + 1)),
            stamp(2),
        );
        assert!(o.check_limits().is_err());
    }

    #[test]
    fn usage_mask_reads_all_bits() {
        let mut o = object();
        o.set(name::USAGE_MASK, 0, &Value::Integer(-1), stamp(2));
        assert!(o.usage_mask().contains(CryptographicUsageMask::FPE_DECRYPT));
        assert!(o.usage_mask().contains(CryptographicUsageMask::ENCRYPT));
    }

    #[test]
    fn a_changed_date_with_a_fresh_stamp_wins_the_merge_in_both_directions() {
        // What Activate, Revoke and Modify Attribute do to a scheduled fact: a fresh stamp and
        // a new effective date, earlier (brought forward) or later (postponed).
        let fact = |s: u64, effective: i64| Lifecycle {
            activated: Some(LifecycleEvent {
                stamp: stamp(s),
                effective,
                reason: None,
                message: None,
            }),
            ..Lifecycle::default()
        };
        for (old, new) in [
            (fact(5, 4_000), fact(6, 100)),
            (fact(5, 100), fact(6, 4_000)),
        ] {
            let mut a = old.clone();
            a.merge(&new);
            let mut b = new.clone();
            b.merge(&old);
            assert_eq!(a, new);
            assert_eq!(b, new);
        }
        let mut forward = fact(5, 4_000);
        forward.merge(&fact(6, 100));
        assert_eq!(forward.state(200), keywarden_store::LifecycleState::Active);
    }
}
