//! A bounded cache of decoded object records, so a hot key's Encrypt or Get does not pay a
//! read transaction and a full record decode every time (measured: 15% of kmsd's CPU per
//! Encrypt). Records hold material only sealed, so the cache keeps nothing the database does
//! not.
//!
//! Coherence: the writer removes every object it wrote and bumps the generation right after
//! each redb commit, before the syncer can acknowledge any of them. A reader that missed notes
//! the generation before its read transaction and inserts only if it is still the same, so a
//! record read before a commit can never be inserted after that commit's invalidation. (The
//! erase's re-seal changes stored bytes, never a decoded record, so it invalidates nothing.) A write
//! is thus seen by every read that starts after it is acknowledged, exactly as without the
//! cache; reads racing an unacknowledged write may see either version, as they already could.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::record::ObjectRecord;

/// Shared by the store handle (reads) and the writer thread (invalidation).
#[derive(Debug)]
pub(crate) struct RecordCache {
    capacity: usize,
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    generation: u64,
    /// Records with their stored (encoded) size, which stands for their share of memory.
    records: HashMap<String, (Arc<ObjectRecord>, usize)>,
    bytes: usize,
}

impl Inner {
    fn remove(&mut self, uuid: &str) {
        if let Some((_, size)) = self.records.remove(uuid) {
            self.bytes -= size;
        }
    }
}

impl RecordCache {
    /// A cache of at most `capacity` records and `max_bytes` of stored record bytes (either 0
    /// disables it). A record larger than 1/64 of `max_bytes` is never cached: a few large
    /// certificates or opaque objects must not push out every hot key.
    pub fn new(capacity: usize, max_bytes: usize) -> RecordCache {
        RecordCache {
            capacity,
            max_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map stays consistent even if a holder panicked: every update is one call.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached record, or the generation to hand back to [`RecordCache::insert`] after a
    /// read.
    pub fn get(&self, uuid: &str) -> Result<Arc<ObjectRecord>, u64> {
        let inner = self.lock();
        match inner.records.get(uuid) {
            Some((rec, _)) => Ok(Arc::clone(rec)),
            None => Err(inner.generation),
        }
    }

    /// Caches a record read from the database (`size` = its stored bytes), unless a commit
    /// happened since `generation`.
    pub fn insert(&self, generation: u64, rec: &Arc<ObjectRecord>, size: usize) {
        if self.capacity == 0 || size > self.max_bytes / 64 {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        inner.remove(&rec.uuid);
        // Any entry will do as a victim: a hot key comes straight back, and a search for the
        // least recently used one would cost more than the read it saves.
        while inner.records.len() >= self.capacity || inner.bytes + size > self.max_bytes {
            let Some(victim) = inner.records.keys().next().cloned() else {
                break;
            };
            inner.remove(&victim);
        }
        inner.bytes += size;
        inner
            .records
            .insert(rec.uuid.clone(), (Arc::clone(rec), size));
    }

    /// Forgets `uuids` and starts a new generation; the writer calls it after every commit.
    pub fn invalidate<'a>(&self, uuids: impl IntoIterator<Item = &'a str>) {
        let mut inner = self.lock();
        for uuid in uuids {
            inner.remove(uuid);
        }
        inner.generation = inner.generation.wrapping_add(1);
    }

    /// Records currently cached.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Stored bytes of the records currently cached.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Hlc, NodeId, Stamp};

    fn rec(uuid: &str, owner: &str) -> Arc<ObjectRecord> {
        let stamp = Stamp {
            hlc: Hlc::default(),
            node: NodeId(1),
        };
        Arc::new(crate::record::test_record(stamp, uuid, owner, &[]))
    }

    #[test]
    fn a_read_from_before_a_commit_is_not_cached_after_it() {
        let cache = RecordCache::new(8, 1 << 20);
        let generation = cache.get("a").expect_err("empty");
        // The writer commits a new version of "a" while the reader still holds the old one.
        cache.invalidate(["a"]);
        cache.insert(generation, &rec("a", "old"), 100);
        assert_eq!(cache.len(), 0);
        let generation = cache.get("a").expect_err("still empty");
        cache.insert(generation, &rec("a", "new"), 100);
        assert_eq!(cache.get("a").expect("cached").owner, "new");
    }

    #[test]
    fn invalidation_forgets_only_what_was_written() {
        let cache = RecordCache::new(8, 1 << 20);
        for u in ["a", "b"] {
            let generation = cache.get(u).expect_err("empty");
            cache.insert(generation, &rec(u, "x"), 100);
        }
        cache.invalidate(["a"]);
        assert!(cache.get("a").is_err());
        assert!(cache.get("b").is_ok());
    }

    #[test]
    fn stays_within_capacity() {
        let cache = RecordCache::new(3, 1 << 20);
        for i in 0..10 {
            let u = format!("k{i}");
            let generation = cache.get(&u).expect_err("new key");
            cache.insert(generation, &rec(&u, "x"), 100);
            assert!(cache.len() <= 3);
            assert!(cache.get(&u).is_ok(), "the newest entry is kept");
        }
        let off = RecordCache::new(0, 1 << 20);
        off.insert(0, &rec("a", "x"), 100);
        assert_eq!(off.len(), 0);
    }

    #[test]
    fn stays_within_its_byte_budget() {
        let cache = RecordCache::new(1000, 64 * 1024);
        for i in 0..100 {
            let u = format!("k{i}");
            let generation = cache.get(&u).expect_err("new key");
            cache.insert(generation, &rec(&u, "x"), 900);
            assert!(cache.bytes() <= 64 * 1024, "{} bytes", cache.bytes());
            assert!(cache.get(&u).is_ok(), "the newest entry is kept");
        }
        // Re-reading a cached key replaces it without counting it twice.
        let generation = cache.get("nothing").expect_err("absent");
        cache.insert(generation, &rec("k99", "x"), 900);
        assert_eq!(cache.bytes(), cache.len() * 900);
        // Larger than 1/64 of the budget: read, but never cached.
        let generation = cache.get("big").expect_err("absent");
        cache.insert(generation, &rec("big", "x"), 1025);
        assert!(cache.get("big").is_err());
        cache.invalidate(["k99"]);
        assert_eq!(cache.bytes(), cache.len() * 900);
    }
}
