//! The versioned on-disk form of a managed object and its CRDT parts (lifecycle, attributes, links).

use serde::{Deserialize, Serialize};

use crate::clock::{NodeId, Stamp};
use crate::error::StoreError;
use crate::seal::SealedMaterial;

/// The object record callers build and read; always the newest record version.
pub type ObjectRecord = ObjectRecordV1;

/// A plain record for tests: domain `d1`, object type 2, AES-256 index terms, `names` as Names,
/// created and updated at `stamp` by `stamp.node`.
#[cfg(any(test, feature = "power-cut"))]
pub fn test_record(stamp: Stamp, uuid: &str, owner: &str, names: &[&str]) -> ObjectRecord {
    ObjectRecord {
        uuid: uuid.to_string(),
        domain: "d1".to_string(),
        owner: owner.to_string(),
        object_type: 2,
        origin: stamp.node,
        created: stamp,
        updated: stamp,
        lifecycle: Lifecycle::default(),
        material: None,
        attributes: Vec::new(),
        links: Vec::new(),
        index: IndexTerms {
            names: names.iter().map(|n| n.to_string()).collect(),
            algorithm: Some(3),
            length: Some(256),
            custom: Vec::new(),
        },
    }
}

/// Versioned on-disk (and on-the-wire) form of an object: postcard behind the enum tag.
///
/// The postcard tag is the variant index, so variants are only ever appended, never
/// reordered or removed. Adding V2: define `ObjectRecordV2`, append `V2(ObjectRecordV2)`,
/// implement `From<ObjectRecordV1> for ObjectRecordV2` (the upgrade of an old record),
/// point the [`ObjectRecord`] alias at V2, and make [`Record::into_current`] upgrade `V1`
/// through that `From`. A newer binary then still reads every V1 record already stored or
/// received from an older peer, and writes V2. During a rolling upgrade the replication
/// protocol version tells a newer node to keep sending V1 to peers that cannot decode V2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    /// First record layout.
    V1(ObjectRecordV1),
}

impl Record {
    /// Wraps the current record version.
    pub fn from_current(rec: ObjectRecord) -> Record {
        Record::V1(rec)
    }

    /// The record upgraded to the current version.
    pub fn into_current(self) -> ObjectRecord {
        match self {
            Record::V1(r) => r,
        }
    }

    /// Postcard encoding (the stored bytes).
    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        postcard::to_stdvec(self).map_err(|e| StoreError::Encode {
            what: "object record",
            reason: e.to_string(),
        })
    }

    /// The stored bytes of `rec` as the current version: the same bytes as
    /// `Record::from_current(rec.clone()).encode()`, without the copy.
    pub fn encode_current(rec: &ObjectRecord) -> Result<Vec<u8>, StoreError> {
        /// Borrowing twin of [`Record`]: postcard writes a newtype variant as its index and
        /// then its content, so the bytes are equal while the current variant keeps its index
        /// here (when V2 lands, a V1 variant goes before it; a test compares the bytes).
        #[derive(Serialize)]
        enum Current<'a> {
            V1(&'a ObjectRecord),
        }
        postcard::to_stdvec(&Current::V1(rec)).map_err(|e| StoreError::Encode {
            what: "object record",
            reason: e.to_string(),
        })
    }

    /// Decodes stored bytes of any known version.
    pub fn decode(bytes: &[u8]) -> Result<Record, StoreError> {
        postcard::from_bytes(bytes).map_err(|e| StoreError::Decode {
            what: "object record",
            reason: e.to_string(),
        })
    }
}

/// Version 1 of an object record: a KMIP managed object with KMIP enums kept as their u32 values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRecordV1 {
    /// Unique identifier (KMIP Unique Identifier), the primary key.
    pub uuid: String,
    /// Tenant domain whose KEK seals the material.
    pub domain: String,
    /// Owner identity (KMIP/REST principal).
    pub owner: String,
    /// KMIP Object Type as its u32 value.
    pub object_type: u32,
    /// Node that created the object.
    pub origin: NodeId,
    /// Creation stamp; fixes the object's position in Locate results.
    pub created: Stamp,
    /// Stamp of the latest change.
    pub updated: Stamp,
    /// Grow-only lifecycle facts.
    pub lifecycle: Lifecycle,
    /// Key material, sealed under the domain KEK; `None` for objects without material.
    pub material: Option<SealedMaterial>,
    /// Attributes as opaque TTLV values, LWW per (name, index).
    pub attributes: Vec<StoredAttribute>,
    /// Links to other objects (add-wins set).
    pub links: Vec<StoredLink>,
    /// Terms the store indexes for Locate, computed by the KMIP layer.
    pub index: IndexTerms,
}

/// One lifecycle fact: when it was recorded and its KMIP effective date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleEvent {
    /// When the fact was recorded (orders concurrent facts).
    pub stamp: Stamp,
    /// Unix seconds: activation date, deactivation date, compromise occurrence date or destroy date.
    pub effective: i64,
    /// KMIP reason code (e.g. Revocation Reason Code) when there is one.
    pub reason: Option<u32>,
    /// Free-text reason message.
    pub message: Option<String>,
}

/// Grow-only lifecycle flags whose union gives the KMIP state, so a compromise is never lost.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Activation fact.
    pub activated: Option<LifecycleEvent>,
    /// Deactivation fact (Revoke, or a Deactivation Date).
    pub deactivated: Option<LifecycleEvent>,
    /// Compromise fact.
    pub compromised: Option<LifecycleEvent>,
    /// Destroy fact: the record stays as a tombstone that retires the UUID.
    pub destroyed: Option<LifecycleEvent>,
}

/// KMIP object state derived from [`Lifecycle`] at a given time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LifecycleState {
    /// Not yet active (no activation, or an activation date in the future).
    PreActive,
    /// Active.
    Active,
    /// Deactivated (deactivation date in the past).
    Deactivated,
    /// Compromised.
    Compromised,
    /// Destroyed.
    Destroyed,
    /// Destroyed after, or concurrently with, a compromise.
    DestroyedCompromised,
}

fn merge_flag(mine: &mut Option<LifecycleEvent>, other: &Option<LifecycleEvent>) {
    match (mine.as_ref(), other) {
        (_, None) => {}
        (None, Some(o)) => *mine = Some(o.clone()),
        (Some(m), Some(o)) => {
            // The flag itself is grow-only (once set it stays set); its details (date, reason)
            // are a last-writer-wins register, so a later change of the date — a Deactivation
            // Date moved later, an Activate bringing a scheduled date forward — wins on every
            // replica. Equal stamps come from the same write, but the whole event is compared
            // so merge stays commutative even for corrupt input.
            if (o.stamp, &o.effective, &o.reason, &o.message)
                > (m.stamp, &m.effective, &m.reason, &m.message)
            {
                *mine = Some(o.clone());
            }
        }
    }
}

impl Lifecycle {
    /// CRDT join: union of the flags, keeping the latest event (by stamp) for each.
    pub fn merge(&mut self, other: &Lifecycle) {
        merge_flag(&mut self.activated, &other.activated);
        merge_flag(&mut self.deactivated, &other.deactivated);
        merge_flag(&mut self.compromised, &other.compromised);
        merge_flag(&mut self.destroyed, &other.destroyed);
    }

    /// The KMIP state at `now_unix` (seconds).
    pub fn state(&self, now_unix: i64) -> LifecycleState {
        lifecycle_state(
            self.destroyed.is_some(),
            self.compromised.is_some(),
            self.activated.as_ref().map(|e| e.effective),
            self.deactivated.as_ref().map(|e| e.effective),
            now_unix,
        )
    }
}

pub(crate) fn lifecycle_state(
    destroyed: bool,
    compromised: bool,
    activation: Option<i64>,
    deactivation: Option<i64>,
    now: i64,
) -> LifecycleState {
    match (destroyed, compromised) {
        (true, true) => LifecycleState::DestroyedCompromised,
        (true, false) => LifecycleState::Destroyed,
        (false, true) => LifecycleState::Compromised,
        (false, false) => {
            if deactivation.is_some_and(|d| d <= now) {
                LifecycleState::Deactivated
            } else if activation.is_some_and(|a| a <= now) {
                LifecycleState::Active
            } else {
                LifecycleState::PreActive
            }
        }
    }
}

/// One attribute value: a last-writer-wins register per (name, index), ordered by stamp.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAttribute {
    /// Attribute name (KMIP name or vendor attribute name).
    pub name: String,
    /// Attribute index for multi-valued attributes.
    pub index: u32,
    /// TTLV-encoded value, opaque to the store.
    pub value: Vec<u8>,
    /// Stamp of the write; the greatest stamp wins.
    pub stamp: Stamp,
    /// Deletion marker (a deleted attribute keeps its stamp so a late older write cannot revive it).
    pub deleted: bool,
}

/// One link to another object: an add-wins set element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredLink {
    /// KMIP Link Type as its u32 value.
    pub link_type: u32,
    /// UUID of the linked object.
    pub target: String,
    /// Stamp of the add or remove.
    pub stamp: Stamp,
    /// Removal marker.
    pub removed: bool,
}

/// Terms the KMIP layer extracts for Locate; the store adds object type, owner and state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexTerms {
    /// Name values (KMIP Name attribute text).
    pub names: Vec<String>,
    /// Cryptographic Algorithm as its u32 value.
    pub algorithm: Option<u32>,
    /// Cryptographic Length.
    pub length: Option<i32>,
    /// Other searchable attributes: (attribute name, canonical value bytes).
    pub custom: Vec<(String, Vec<u8>)>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::Hlc;
    use proptest::prelude::*;

    fn st(w: u64, n: u64) -> Stamp {
        Stamp {
            hlc: Hlc {
                wall_ms: w,
                logical: 0,
            },
            node: NodeId(n),
        }
    }

    fn event() -> impl Strategy<Value = Option<LifecycleEvent>> {
        proptest::option::of(
            (0u64..20, 0u64..3, -5i64..5, proptest::option::of(0u32..3)).prop_map(
                |(w, n, eff, reason)| LifecycleEvent {
                    stamp: st(w, n),
                    effective: eff,
                    reason,
                    message: None,
                },
            ),
        )
    }

    pub(crate) fn lifecycle() -> impl Strategy<Value = Lifecycle> {
        (event(), event(), event(), event()).prop_map(|(a, d, c, x)| Lifecycle {
            activated: a,
            deactivated: d,
            compromised: c,
            destroyed: x,
        })
    }

    fn merged(a: &Lifecycle, b: &Lifecycle) -> Lifecycle {
        let mut m = a.clone();
        m.merge(b);
        m
    }

    #[test]
    fn a_later_change_of_a_date_wins_whichever_way_it_is_moved() {
        let at = |wall_ms: u64, effective: i64| LifecycleEvent {
            stamp: Stamp {
                hlc: Hlc {
                    wall_ms,
                    logical: 0,
                },
                node: NodeId(1),
            },
            effective,
            reason: None,
            message: None,
        };
        for (first, second) in [(100, 200), (200, 100)] {
            let old = Lifecycle {
                deactivated: Some(at(1, first)),
                ..Lifecycle::default()
            };
            let new = Lifecycle {
                deactivated: Some(at(2, second)),
                ..Lifecycle::default()
            };
            for m in [merged(&old, &new), merged(&new, &old)] {
                assert_eq!(m.deactivated.map(|e| e.effective), Some(second));
            }
        }
    }

    proptest! {
        #[test]
        fn merge_is_commutative(a in lifecycle(), b in lifecycle()) {
            prop_assert_eq!(merged(&a, &b), merged(&b, &a));
        }

        #[test]
        fn merge_is_associative(a in lifecycle(), b in lifecycle(), c in lifecycle()) {
            prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
        }

        #[test]
        fn merge_is_idempotent(a in lifecycle()) {
            prop_assert_eq!(merged(&a, &a), a);
        }

        #[test]
        fn merge_never_loses_a_compromise(a in lifecycle(), b in lifecycle(), now in -10i64..10) {
            let m = merged(&a, &b);
            if a.compromised.is_some() || b.compromised.is_some() {
                let s = m.state(now);
                prop_assert!(
                    matches!(s, LifecycleState::Compromised | LifecycleState::DestroyedCompromised),
                    "state {:?}", s
                );
            }
            if a.destroyed.is_some() || b.destroyed.is_some() {
                prop_assert!(matches!(
                    m.state(now),
                    LifecycleState::Destroyed | LifecycleState::DestroyedCompromised
                ));
            }
        }
    }

    fn ev(eff: i64) -> Option<LifecycleEvent> {
        Some(LifecycleEvent {
            stamp: st(1, 1),
            effective: eff,
            reason: None,
            message: None,
        })
    }

    #[test]
    fn derived_states() {
        let mut l = Lifecycle::default();
        assert_eq!(l.state(100), LifecycleState::PreActive);
        l.activated = ev(200);
        assert_eq!(l.state(100), LifecycleState::PreActive);
        assert_eq!(l.state(200), LifecycleState::Active);
        l.deactivated = ev(300);
        assert_eq!(l.state(250), LifecycleState::Active);
        assert_eq!(l.state(300), LifecycleState::Deactivated);
        l.compromised = ev(50);
        assert_eq!(l.state(250), LifecycleState::Compromised);
        l.destroyed = ev(400);
        assert_eq!(l.state(500), LifecycleState::DestroyedCompromised);
        l.compromised = None;
        assert_eq!(l.state(500), LifecycleState::Destroyed);
    }
}
