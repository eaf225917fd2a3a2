//! Version vectors: per origin node, the highest contiguous log sequence a node holds.

use std::collections::BTreeMap;

use keywarden_store::NodeId;
use serde::{Deserialize, Serialize};

/// Per origin, the highest contiguous log sequence held (0, the default, is never stored, so
/// two vectors that hold the same are equal).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionVector(BTreeMap<NodeId, u64>);

impl VersionVector {
    /// The empty vector: nothing of any origin.
    pub fn new() -> VersionVector {
        VersionVector::default()
    }

    /// Highest contiguous sequence of `origin` (0 = none).
    pub fn get(&self, origin: NodeId) -> u64 {
        self.0.get(&origin).copied().unwrap_or(0)
    }

    /// Raises `origin` to `seq`; never lowers it. Returns whether it moved.
    pub fn raise(&mut self, origin: NodeId, seq: u64) -> bool {
        if seq > self.get(origin) {
            self.0.insert(origin, seq);
            true
        } else {
            false
        }
    }

    /// Sets `origin` to `seq`, also downwards (a sender rewinding what it sent).
    pub fn set(&mut self, origin: NodeId, seq: u64) {
        if seq == 0 {
            self.0.remove(&origin);
        } else {
            self.0.insert(origin, seq);
        }
    }

    /// Pointwise maximum with `other`.
    pub fn join(&mut self, other: &VersionVector) {
        for (o, s) in other.iter() {
            self.raise(o, s);
        }
    }

    /// Pointwise minimum with `other` (what both hold).
    pub fn meet(&self, other: &VersionVector) -> VersionVector {
        let mut out = VersionVector::new();
        for (o, s) in self.iter() {
            out.set(o, s.min(other.get(o)));
        }
        out
    }

    /// Whether this vector holds at least everything `other` holds.
    pub fn covers(&self, other: &VersionVector) -> bool {
        other.iter().all(|(o, s)| self.get(o) >= s)
    }

    /// Origins where this vector is ahead of `other`: `(origin, other's seq, this seq)`.
    pub fn ahead_of<'a>(
        &'a self,
        other: &'a VersionVector,
    ) -> impl Iterator<Item = (NodeId, u64, u64)> + 'a {
        self.iter().filter_map(move |(o, s)| {
            let theirs = other.get(o);
            (s > theirs).then_some((o, theirs, s))
        })
    }

    /// Origins and sequences, in origin order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, u64)> + '_ {
        self.0.iter().map(|(o, s)| (*o, *s))
    }

    /// Number of origins with anything held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing of any origin is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sum over origins of how far `self` is ahead of `other` (entries `other` lacks).
    pub fn lead_over(&self, other: &VersionVector) -> u64 {
        self.ahead_of(other)
            .map(|(_, theirs, ours)| ours - theirs)
            .fold(0u64, u64::saturating_add)
    }

    /// Whether every stored sequence is nonzero (vectors decoded from the wire are checked).
    pub(crate) fn is_normal(&self) -> bool {
        self.0.values().all(|s| *s != 0)
    }
}

impl FromIterator<(NodeId, u64)> for VersionVector {
    fn from_iter<T: IntoIterator<Item = (NodeId, u64)>>(iter: T) -> Self {
        let mut v = VersionVector::new();
        for (o, s) in iter {
            v.raise(o, s);
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vector() -> impl Strategy<Value = VersionVector> {
        proptest::collection::vec((0u64..6, 0u64..20), 0..6)
            .prop_map(|v| v.into_iter().map(|(o, s)| (NodeId(o), s)).collect())
    }

    proptest! {
        #[test]
        fn join_is_a_semilattice(a in vector(), b in vector(), c in vector()) {
            let j = |x: &VersionVector, y: &VersionVector| { let mut z = x.clone(); z.join(y); z };
            prop_assert_eq!(j(&a, &b), j(&b, &a));
            prop_assert_eq!(j(&j(&a, &b), &c), j(&a, &j(&b, &c)));
            prop_assert_eq!(j(&a, &a), a.clone());
            let ab = j(&a, &b);
            prop_assert!(ab.covers(&a) && ab.covers(&b));
        }

        #[test]
        fn meet_is_held_by_both_and_lead_counts_the_difference(a in vector(), b in vector()) {
            let m = a.meet(&b);
            prop_assert!(a.covers(&m) && b.covers(&m));
            prop_assert!(m.is_normal());
            let total_a: u64 = a.iter().map(|(_, s)| s).sum();
            let total_m: u64 = m.iter().map(|(_, s)| s).sum();
            prop_assert_eq!(a.lead_over(&b), total_a - total_m);
            prop_assert_eq!(a.lead_over(&b) == 0, b.covers(&a));
        }
    }

    #[test]
    fn zero_is_absence() {
        let mut v = VersionVector::new();
        assert!(!v.raise(NodeId(1), 0));
        v.set(NodeId(2), 5);
        v.set(NodeId(2), 0);
        assert_eq!(v, VersionVector::new());
        assert!(v.raise(NodeId(3), 4));
        assert!(!v.raise(NodeId(3), 2));
        assert_eq!(v.get(NodeId(3)), 4);
    }
}
