//! Index key layout shared by the writer (maintenance) and readers (Locate).
//!
//! One redb table holds every index: key = `kind | u32 term length | term | created stamp`
//! (20 bytes, order-preserving). Created stamps are unique per object (the writer enforces it;
//! the HLC makes them unique per node and the node id across nodes), so the stamp alone names
//! the object inside an index: a term's entries are contiguous and sorted by creation, and
//! membership of a known object in another term is one point lookup. The `ALL` kind (empty
//! term) lists every object; its value holds the lifecycle facts and then the UUID, so the state
//! at any time and the UUID come without reading the record, and the UUID is stored once
//! instead of once per term. A counts table keeps, per `kind | len | term` prefix, how many
//! objects carry the term: Locate drives its scan from the rarest term.

use std::collections::BTreeMap;

use crate::clock::Stamp;
use crate::record::{LifecycleState, ObjectRecord, lifecycle_state};

pub(crate) const KIND_ALL: u8 = 0;
pub(crate) const KIND_OWNER: u8 = 1;
pub(crate) const KIND_DOMAIN: u8 = 2;
pub(crate) const KIND_TYPE: u8 = 3;
pub(crate) const KIND_STATE: u8 = 4;
pub(crate) const KIND_NAME: u8 = 5;
pub(crate) const KIND_ALGORITHM: u8 = 6;
pub(crate) const KIND_LENGTH: u8 = 7;
pub(crate) const KIND_CUSTOM: u8 = 8;

/// State classes that do not depend on time; live objects are split by their dates at query time.
pub(crate) const CLASS_LIVE: u8 = 0;
pub(crate) const CLASS_COMPROMISED: u8 = 1;
pub(crate) const CLASS_DESTROYED: u8 = 2;
pub(crate) const CLASS_DESTROYED_COMPROMISED: u8 = 3;

pub(crate) fn prefix(kind: u8, term: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(5 + term.len() + Stamp::ENCODED_LEN + 40);
    write_prefix(&mut p, kind, term);
    p
}

fn write_prefix(out: &mut Vec<u8>, kind: u8, term: &[u8]) {
    out.push(kind);
    // Terms come from our own record fields; a >4 GiB term cannot be stored by redb anyway.
    out.extend_from_slice(&u32::try_from(term.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(term);
}

/// The `ALL` entry key of the object created at `created`.
pub(crate) fn all_key(created: &Stamp) -> Vec<u8> {
    let mut k = prefix(KIND_ALL, &[]);
    k.extend_from_slice(&created.to_be_bytes());
    k
}

/// Splits an `ALL` entry value into lifecycle facts and the object's UUID.
pub(crate) fn decode_all_value(v: &[u8]) -> Option<(Facts, &str)> {
    let (facts, used) = Facts::decode_prefix(v)?;
    let uuid = std::str::from_utf8(v.get(used..)?).ok()?;
    Some((facts, uuid))
}

pub(crate) fn custom_term(name: &str, value: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(4 + name.len() + value.len());
    t.extend_from_slice(&u32::try_from(name.len()).unwrap_or(u32::MAX).to_be_bytes());
    t.extend_from_slice(name.as_bytes());
    t.extend_from_slice(value);
    t
}

pub(crate) fn state_class(state: LifecycleState) -> u8 {
    match state {
        LifecycleState::PreActive | LifecycleState::Active | LifecycleState::Deactivated => {
            CLASS_LIVE
        }
        LifecycleState::Compromised => CLASS_COMPROMISED,
        LifecycleState::Destroyed => CLASS_DESTROYED,
        LifecycleState::DestroyedCompromised => CLASS_DESTROYED_COMPROMISED,
    }
}

/// What the ALL index stores per object: enough to derive the state at any time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Facts {
    pub class: u8,
    pub activation: Option<i64>,
    pub deactivation: Option<i64>,
}

impl Facts {
    pub fn of(rec: &ObjectRecord) -> Facts {
        let l = &rec.lifecycle;
        let class = match (l.destroyed.is_some(), l.compromised.is_some()) {
            (true, true) => CLASS_DESTROYED_COMPROMISED,
            (true, false) => CLASS_DESTROYED,
            (false, true) => CLASS_COMPROMISED,
            (false, false) => CLASS_LIVE,
        };
        Facts {
            class,
            activation: l.activated.as_ref().map(|e| e.effective),
            deactivation: l.deactivated.as_ref().map(|e| e.effective),
        }
    }

    pub fn state(&self, now: i64) -> LifecycleState {
        lifecycle_state(
            self.class >= CLASS_DESTROYED,
            self.class == CLASS_COMPROMISED || self.class == CLASS_DESTROYED_COMPROMISED,
            self.activation,
            self.deactivation,
            now,
        )
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(18);
        v.push(self.class);
        let flags =
            u8::from(self.activation.is_some()) | (u8::from(self.deactivation.is_some()) << 1);
        v.push(flags);
        if let Some(a) = self.activation {
            v.extend_from_slice(&a.to_be_bytes());
        }
        if let Some(d) = self.deactivation {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v
    }

    #[cfg(test)]
    pub fn decode(b: &[u8]) -> Option<Facts> {
        Self::decode_prefix(b)
            .filter(|(_, used)| *used == b.len())
            .map(|(f, _)| f)
    }

    /// Decodes facts at the start of `b`; returns them and the bytes used.
    pub fn decode_prefix(b: &[u8]) -> Option<(Facts, usize)> {
        let class = *b.first()?;
        let flags = *b.get(1)?;
        let mut pos = 2;
        let mut take = |present: bool| -> Option<Option<i64>> {
            if !present {
                return Some(None);
            }
            let v = i64::from_be_bytes(b.get(pos..pos + 8)?.try_into().ok()?);
            pos += 8;
            Some(Some(v))
        };
        let activation = take(flags & 1 != 0)?;
        let deactivation = take(flags & 2 != 0)?;
        Some((
            Facts {
                class,
                activation,
                deactivation,
            },
            pos,
        ))
    }
}

/// One index entry of an object: full key, length of its term prefix, value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub prefix_len: usize,
    pub value: Vec<u8>,
}

/// Visits every `(kind, term)` an object record is indexed under, `ALL` first.
fn for_each_term(rec: &ObjectRecord, mut visit: impl FnMut(u8, &[u8])) {
    visit(KIND_ALL, &[]);
    visit(KIND_OWNER, rec.owner.as_bytes());
    visit(KIND_DOMAIN, rec.domain.as_bytes());
    visit(KIND_TYPE, &rec.object_type.to_be_bytes());
    visit(KIND_STATE, &[Facts::of(rec).class]);
    for n in &rec.index.names {
        visit(KIND_NAME, n.as_bytes());
    }
    if let Some(a) = rec.index.algorithm {
        visit(KIND_ALGORITHM, &a.to_be_bytes());
    }
    if let Some(l) = rec.index.length {
        visit(KIND_LENGTH, &l.to_be_bytes());
    }
    for (name, value) in &rec.index.custom {
        visit(KIND_CUSTOM, &custom_term(name, value));
    }
}

/// Every index entry an object record produces, keyed by full index key.
pub(crate) fn entries(rec: &ObjectRecord) -> BTreeMap<Vec<u8>, Entry> {
    let t = rec.created.to_be_bytes();
    let mut out = BTreeMap::new();
    for_each_term(rec, |kind, term| {
        let mut key = prefix(kind, term);
        let prefix_len = key.len();
        key.extend_from_slice(&t);
        // Only the ALL entry has a value: lifecycle facts and the UUID.
        let value = if kind == KIND_ALL {
            let mut v = Facts::of(rec).encode();
            v.extend_from_slice(rec.uuid.as_bytes());
            v
        } else {
            Vec::new()
        };
        out.insert(key, Entry { prefix_len, value });
    });
    out
}

/// Whether a record is indexed under every one of `prefixes` (as [`prefix`] builds them): what
/// Locate checks on the authenticated record before it believes an index entry.
pub(crate) fn holds_terms(rec: &ObjectRecord, prefixes: &[Vec<u8>]) -> bool {
    let mut found = vec![false; prefixes.len()];
    let mut key = Vec::with_capacity(64);
    for_each_term(rec, |kind, term| {
        key.clear();
        write_prefix(&mut key, kind, term);
        for (f, p) in found.iter_mut().zip(prefixes) {
            *f |= *p == key;
        }
    });
    found.into_iter().all(|f| f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn facts_roundtrip(class in 0u8..4, a: Option<i64>, d: Option<i64>) {
            let f = Facts { class, activation: a, deactivation: d };
            prop_assert_eq!(Facts::decode(&f.encode()), Some(f));
        }

        #[test]
        fn distinct_terms_have_distinct_prefixes(a: Vec<u8>, b: Vec<u8>) {
            prop_assume!(a != b);
            let pa = prefix(KIND_NAME, &a);
            let pb = prefix(KIND_NAME, &b);
            // Neither prefix may be a prefix of a key under the other term.
            prop_assert!(!pa.starts_with(&pb) && !pb.starts_with(&pa));
        }
    }
}
