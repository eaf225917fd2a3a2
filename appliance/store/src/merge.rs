//! The CRDT join of two versions of one object record: the one rule by which every replica
//! (and, later, replication) combines what it knows of an object, in any order.
//!
//! A pure function, commutative, associative and idempotent (property-tested below):
//!
//! - identity (owner, domain, object type, origin, creation stamp): fixed at creation, so two
//!   honest versions agree; if they do not, the version with the least (creation stamp, origin,
//!   owner, domain, type) wins, so every replica picks the same;
//! - `updated`: the latest;
//! - lifecycle: grow-only flags ([`Lifecycle::merge`]): a compromise is never lost to a
//!   concurrent destroy;
//! - material: gone once either version is destroyed (the tombstone keeps the UUID retired and
//!   the material erased on every node); otherwise the one sealed blob (the greatest, should
//!   two ever differ);
//! - attributes: a last-writer-wins register per (name, index), ordered by (stamp, deleted,
//!   value), a deletion included, so a late older write cannot revive it;
//! - links: one element per (type, target), last writer by stamp, an add winning over a remove
//!   of the same stamp. (A true add-wins set needs a tag per add; this is what the record's
//!   single stamp per link can carry, and the cluster issue may extend it.)
//! - index terms: those of the later version (by `updated`); they are derived from the
//!   attributes by the KMIP layer, which recomputes them from the merged attributes before
//!   the merged record is written.
//!
//! Merged records are canonical: attributes sorted by (name, index) and links by (type,
//! target), each key once. `merge(a, a) == a` holds for canonical records
//! ([`ObjectRecord::canonical`]).

use std::collections::BTreeMap;

use crate::error::StoreError;
use crate::record::{ObjectRecord, StoredAttribute, StoredLink};
use crate::seal::SealedMaterial;

fn material_key(m: &SealedMaterial) -> (u32, &[u8; 12], &[u8]) {
    (m.kek_version(), m.nonce(), m.ciphertext())
}

fn attribute_key(a: &StoredAttribute) -> (crate::clock::Stamp, bool, &[u8]) {
    (a.stamp, a.deleted, &a.value)
}

fn link_key(l: &StoredLink) -> (crate::clock::Stamp, bool) {
    // Later stamp wins; on the same stamp an add (`removed == false`) wins.
    (l.stamp, !l.removed)
}

fn join_attributes<'a>(all: impl Iterator<Item = &'a StoredAttribute>) -> Vec<StoredAttribute> {
    let mut by_key: BTreeMap<(&str, u32), &StoredAttribute> = BTreeMap::new();
    for a in all {
        by_key
            .entry((a.name.as_str(), a.index))
            .and_modify(|kept| {
                if attribute_key(a) > attribute_key(kept) {
                    *kept = a;
                }
            })
            .or_insert(a);
    }
    by_key.into_values().cloned().collect()
}

fn join_links<'a>(all: impl Iterator<Item = &'a StoredLink>) -> Vec<StoredLink> {
    let mut by_key: BTreeMap<(u32, &str), &StoredLink> = BTreeMap::new();
    for l in all {
        by_key
            .entry((l.link_type, l.target.as_str()))
            .and_modify(|kept| {
                if link_key(l) > link_key(kept) {
                    *kept = l;
                }
            })
            .or_insert(l);
    }
    by_key.into_values().cloned().collect()
}

impl ObjectRecord {
    /// The record in canonical form: each attribute key and link once (the winner), sorted.
    pub fn canonical(&self) -> ObjectRecord {
        let mut out = self.clone();
        out.attributes = join_attributes(self.attributes.iter());
        out.links = join_links(self.links.iter());
        if out.lifecycle.destroyed.is_some() {
            out.material = None;
        }
        out
    }

    /// The join of two versions of the same object (see the module doc); refused when the
    /// UUIDs differ.
    pub fn merge(&self, other: &ObjectRecord) -> Result<ObjectRecord, StoreError> {
        if self.uuid != other.uuid {
            return Err(StoreError::Invalid {
                field: "uuid",
                reason: format!(
                    "cannot merge object {} with object {}",
                    self.uuid, other.uuid
                ),
            });
        }
        let identity = |r: &'_ ObjectRecord| {
            (
                r.created,
                r.origin,
                r.owner.clone(),
                r.domain.clone(),
                r.object_type,
            )
        };
        let first = if identity(self) <= identity(other) {
            self
        } else {
            other
        };
        let later = if (
            self.updated,
            &self.index.names,
            self.index.algorithm,
            self.index.length,
            &self.index.custom,
        ) >= (
            other.updated,
            &other.index.names,
            other.index.algorithm,
            other.index.length,
            &other.index.custom,
        ) {
            self
        } else {
            other
        };
        let mut lifecycle = self.lifecycle.clone();
        lifecycle.merge(&other.lifecycle);
        let material = if lifecycle.destroyed.is_some() {
            None
        } else {
            match (&self.material, &other.material) {
                (Some(a), Some(b)) => Some(
                    if material_key(a) >= material_key(b) {
                        a
                    } else {
                        b
                    }
                    .clone(),
                ),
                (Some(m), None) | (None, Some(m)) => Some(m.clone()),
                (None, None) => None,
            }
        };
        Ok(ObjectRecord {
            uuid: self.uuid.clone(),
            domain: first.domain.clone(),
            owner: first.owner.clone(),
            object_type: first.object_type,
            origin: first.origin,
            created: first.created,
            updated: self.updated.max(other.updated),
            lifecycle,
            material,
            attributes: join_attributes(self.attributes.iter().chain(&other.attributes)),
            links: join_links(self.links.iter().chain(&other.links)),
            index: later.index.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Hlc, NodeId, Stamp};
    use crate::record::{IndexTerms, LifecycleState};
    use proptest::prelude::*;

    fn stamp() -> impl Strategy<Value = Stamp> {
        (0u64..6, 0u32..2, 0u64..3).prop_map(|(w, l, n)| Stamp {
            hlc: Hlc {
                wall_ms: w,
                logical: l,
            },
            node: NodeId(n),
        })
    }

    fn attribute() -> impl Strategy<Value = StoredAttribute> {
        (
            proptest::sample::select(vec!["Name", "x-a", "Contact Information"]),
            0u32..2,
            proptest::collection::vec(any::<u8>(), 0..3),
            stamp(),
            any::<bool>(),
        )
            .prop_map(|(name, index, value, stamp, deleted)| StoredAttribute {
                name: name.to_owned(),
                index,
                value,
                stamp,
                deleted,
            })
    }

    fn link() -> impl Strategy<Value = StoredLink> {
        (
            0u32..2,
            proptest::sample::select(vec!["t1", "t2"]),
            stamp(),
            any::<bool>(),
        )
            .prop_map(|(link_type, target, stamp, removed)| StoredLink {
                link_type,
                target: target.to_owned(),
                stamp,
                removed,
            })
    }

    fn material() -> impl Strategy<Value = Option<SealedMaterial>> {
        proptest::option::of(
            (
                1u32..3,
                any::<u8>(),
                proptest::collection::vec(any::<u8>(), 1..4),
            )
                .prop_map(|(v, n, ct)| SealedMaterial::fixture(v, [n; 12], ct)),
        )
    }

    /// Versions of one object "u1" as replicas could hold them, including disagreeing
    /// identities (corrupt or hostile input must still merge deterministically).
    fn record() -> impl Strategy<Value = ObjectRecord> {
        (
            stamp(),
            stamp(),
            proptest::sample::select(vec!["alice", "bob"]),
            crate::record::tests::lifecycle(),
            material(),
            proptest::collection::vec(attribute(), 0..5),
            proptest::collection::vec(link(), 0..3),
            proptest::collection::vec(proptest::sample::select(vec!["n1", "n2"]), 0..2),
        )
            .prop_map(
                |(created, updated, owner, lifecycle, material, attributes, links, names)| {
                    ObjectRecord {
                        uuid: "u1".to_owned(),
                        domain: "default".to_owned(),
                        owner: owner.to_owned(),
                        object_type: 2,
                        origin: created.node,
                        created,
                        updated,
                        lifecycle,
                        material,
                        attributes,
                        links,
                        index: IndexTerms {
                            names: names.into_iter().map(str::to_owned).collect(),
                            ..IndexTerms::default()
                        },
                    }
                    .canonical()
                },
            )
    }

    fn m(a: &ObjectRecord, b: &ObjectRecord) -> ObjectRecord {
        a.merge(b).expect("same uuid")
    }

    proptest! {
        #[test]
        fn merge_is_commutative(a in record(), b in record()) {
            prop_assert_eq!(m(&a, &b), m(&b, &a));
        }

        #[test]
        fn merge_is_associative(a in record(), b in record(), c in record()) {
            prop_assert_eq!(m(&m(&a, &b), &c), m(&a, &m(&b, &c)));
        }

        #[test]
        fn merge_is_idempotent(a in record(), b in record()) {
            prop_assert_eq!(m(&a, &a), a.clone());
            let ab = m(&a, &b);
            prop_assert_eq!(m(&ab, &b), ab.clone());
            prop_assert_eq!(m(&ab, &ab), ab);
        }

        #[test]
        fn a_compromise_survives_a_concurrent_destroy_and_destroy_erases_material(
            a in record(), b in record(), now in 0i64..10
        ) {
            let ab = m(&a, &b);
            if a.lifecycle.compromised.is_some() || b.lifecycle.compromised.is_some() {
                prop_assert!(ab.lifecycle.compromised.is_some());
            }
            if ab.lifecycle.destroyed.is_some() {
                prop_assert!(ab.material.is_none());
                prop_assert!(matches!(
                    ab.lifecycle.state(now),
                    LifecycleState::Destroyed | LifecycleState::DestroyedCompromised
                ));
            }
        }
    }

    #[test]
    fn different_objects_do_not_merge() {
        let s = Stamp {
            hlc: Hlc {
                wall_ms: 1,
                logical: 0,
            },
            node: NodeId(1),
        };
        let a = crate::record::test_record(s, "u1", "alice", &[]);
        let b = crate::record::test_record(s, "u2", "alice", &[]);
        assert!(a.merge(&b).is_err());
    }
}
