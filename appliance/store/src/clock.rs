//! Node identity and the hybrid logical clock that orders every change in the cluster.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Unix seconds now (epoch start and erase times; 0 if the clock is before 1970).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Random 64-bit identity of a node, generated at first open and persisted in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u64);

impl NodeId {
    /// A fresh random node id (never zero, so zero can mean "unknown" on the wire).
    pub fn random() -> NodeId {
        loop {
            let mut b = [0u8; 8];
            if aws_lc_rs::rand::fill(&mut b).is_ok() {
                let v = u64::from_le_bytes(b);
                if v != 0 {
                    return NodeId(v);
                }
            }
        }
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Hybrid logical clock value: physical milliseconds plus a logical counter for ties.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (never behind any value this node has seen).
    pub wall_ms: u64,
    /// Tie breaker within one millisecond.
    pub logical: u32,
}

/// Total order of changes across the cluster: HLC first, then the originating node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Stamp {
    /// Hybrid logical time of the change.
    pub hlc: Hlc,
    /// Node that made the change.
    pub node: NodeId,
}

impl Stamp {
    /// Length of [`Stamp::to_be_bytes`].
    pub const ENCODED_LEN: usize = 20;

    /// Fixed-width big-endian encoding whose byte order equals the `Ord` order (used in index keys).
    pub fn to_be_bytes(&self) -> [u8; Self::ENCODED_LEN] {
        let mut out = [0u8; Self::ENCODED_LEN];
        out[..8].copy_from_slice(&self.hlc.wall_ms.to_be_bytes());
        out[8..12].copy_from_slice(&self.hlc.logical.to_be_bytes());
        out[12..].copy_from_slice(&self.node.0.to_be_bytes());
        out
    }

    /// Inverse of [`Stamp::to_be_bytes`]; `None` when `b` is shorter than 20 bytes.
    pub fn from_be_bytes(b: &[u8]) -> Option<Stamp> {
        let wall = u64::from_be_bytes(b.get(..8)?.try_into().ok()?);
        let logical = u32::from_be_bytes(b.get(8..12)?.try_into().ok()?);
        let node = u64::from_be_bytes(b.get(12..20)?.try_into().ok()?);
        Some(Stamp {
            hlc: Hlc {
                wall_ms: wall,
                logical,
            },
            node: NodeId(node),
        })
    }
}

/// Hybrid logical clock of this node: `now()` is strictly monotonic even when the wall clock steps back.
#[derive(Debug)]
pub struct HlcClock {
    node: NodeId,
    last: Mutex<Hlc>,
}

fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl HlcClock {
    /// A clock for `node`, starting at the current wall time.
    pub fn new(node: NodeId) -> HlcClock {
        HlcClock {
            node,
            last: Mutex::new(Hlc::default()),
        }
    }

    /// The node whose changes this clock stamps.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// A new stamp, strictly greater than every stamp this clock returned or observed before.
    pub fn now(&self) -> Stamp {
        self.now_at(wall_ms())
    }

    fn now_at(&self, physical: u64) -> Stamp {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let next = if physical > last.wall_ms {
            Hlc {
                wall_ms: physical,
                logical: 0,
            }
        } else {
            bump(*last)
        };
        *last = next;
        Stamp {
            hlc: next,
            node: self.node,
        }
    }

    /// Merges a stamp seen from elsewhere (replication, or a persisted stamp at start-up),
    /// so that every later `now()` is greater than it.
    pub fn observe(&self, seen: Stamp) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if seen.hlc > *last {
            *last = seen.hlc;
        }
    }

    /// The highest HLC value issued or observed so far.
    pub fn peek(&self) -> Hlc {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// Saturating: after 2^32 stamps within one millisecond we borrow the next millisecond.
fn bump(h: Hlc) -> Hlc {
    match h.logical.checked_add(1) {
        Some(logical) => Hlc {
            wall_ms: h.wall_ms,
            logical,
        },
        None => Hlc {
            wall_ms: h.wall_ms.saturating_add(1),
            logical: 0,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn monotonic_when_wall_clock_steps_back() {
        let c = HlcClock::new(NodeId(7));
        let a = c.now_at(1_000);
        let b = c.now_at(500);
        let d = c.now_at(1_000);
        assert!(a < b && b < d, "{a:?} {b:?} {d:?}");
        assert_eq!(b.hlc.wall_ms, 1_000);
    }

    #[test]
    fn observe_moves_clock_forward() {
        let c = HlcClock::new(NodeId(1));
        let remote = Stamp {
            hlc: Hlc {
                wall_ms: u64::MAX / 2,
                logical: 9,
            },
            node: NodeId(2),
        };
        c.observe(remote);
        assert!(c.now().hlc > remote.hlc);
    }

    proptest! {
        #[test]
        fn stamp_bytes_preserve_order(a: (u64, u32, u64), b: (u64, u32, u64)) {
            let sa = Stamp { hlc: Hlc { wall_ms: a.0, logical: a.1 }, node: NodeId(a.2) };
            let sb = Stamp { hlc: Hlc { wall_ms: b.0, logical: b.1 }, node: NodeId(b.2) };
            prop_assert_eq!(sa.cmp(&sb), sa.to_be_bytes().cmp(&sb.to_be_bytes()));
            prop_assert_eq!(Stamp::from_be_bytes(&sa.to_be_bytes()), Some(sa));
        }

        #[test]
        fn now_strictly_increases(walls in proptest::collection::vec(0u64..5_000, 1..50)) {
            let c = HlcClock::new(NodeId(3));
            let mut prev: Option<Stamp> = None;
            for w in walls {
                let s = c.now_at(w);
                if let Some(p) = prev { prop_assert!(s > p); }
                prev = Some(s);
            }
        }
    }
}
