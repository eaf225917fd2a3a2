//! A simulated disk that loses power: a [`Storage`] for tests (feature `power-cut`; always
//! built for this crate's own tests).
//!
//! Model. Every file keeps its durable content and, in order, the changes made since its last
//! sync: positional writes and length changes. Reads see every change (the page cache).
//! `sync_data` on a file makes all its changes durable, length included, but not its name.
//! Names (a created file, a link, a removal) are changes of their directory, durable only once
//! `sync_dir` returned on it. A power cut keeps the durable state and applies, as the seed
//! decides, some of the pending changes in their order: a write lands whole, is lost, or is
//! torn (a prefix of it, or a random subset of its 512- or 4096-byte sectors, with or without
//! the length it gave the file); a length change lands or not; a directory change lands or
//! not, so a file created in a directory never synced may vanish. The cut happens at a chosen
//! mutating operation (that operation and every later one fail, as on a machine that went
//! dark): nothing resolves as durable after it, so whatever a caller saw succeed was durable
//! before it. Reads keep working, so the dying process can wind down.

/// A plain record for tests of other crates too.
pub use crate::record::test_record;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use redb::StorageBackend;
use zeroize::Zeroizing;

use crate::epoch::{EpochKey, NewEpoch, Unlock};
use crate::error::StoreError;
use crate::storage::{Storage, StoreFile};
use crate::store::Store;
use crate::types::StoreOptions;

/// A fixed data key for storage epoch `epoch` in tests: a different key per epoch, the same
/// one at every open (nothing here is secret).
pub fn epoch_key(epoch: u64) -> EpochKey {
    let mut bytes = Zeroizing::new(vec![0x42u8; crate::EPOCH_KEY_LEN]);
    bytes[..8].copy_from_slice(&epoch.to_be_bytes());
    // 32 bytes always make an AES-256 key.
    EpochKey::new(bytes).unwrap_or_else(|e| panic!("test epoch key: {e}"))
}

/// What a test stores as the "wrapped" key of `epoch` (no HSM here: only its presence counts).
pub fn wrapped_epoch_key(epoch: u64) -> Vec<u8> {
    format!("test-wrapped-{epoch}").into_bytes()
}

/// Unlocks a store with [`epoch_key`]: every stored epoch but those in `destroyed` (whose
/// keys a test treats as gone), or a first epoch 1 for a store that has none.
pub fn unlock_with_test_keys(store: &Store, destroyed: &[u64]) -> Result<(), StoreError> {
    let state = store.storage_epochs()?;
    let unlock = match state.current {
        None => Unlock {
            keys: Vec::new(),
            first: Some(NewEpoch {
                epoch: 1,
                wrapped: wrapped_epoch_key(1),
                key: epoch_key(1),
            }),
        },
        Some(_) => Unlock {
            keys: state
                .wrapped
                .iter()
                .map(|(e, _)| *e)
                .filter(|e| !destroyed.contains(e))
                .map(|e| (e, epoch_key(e)))
                .collect(),
            first: None,
        },
    };
    store.unlock(unlock)
}

/// Opens the store at `path` and unlocks it with the test keys; panics on failure.
pub fn open_unlocked(path: &Path, options: StoreOptions) -> Store {
    let store = Store::open(path, options).unwrap_or_else(|e| panic!("open {path:?}: {e}"));
    unlock_with_test_keys(&store, &[]).unwrap_or_else(|e| panic!("unlock {path:?}: {e}"));
    store
}

#[cfg(test)]
mod power_cut;

/// SplitMix64: a tiny seeded generator, enough to choose cut points, tears and workloads.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// One element of `items` (which must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A change to a file not yet synced.
#[derive(Clone, Debug)]
enum Change {
    Write { offset: usize, data: Vec<u8> },
    SetLen(usize),
}

fn write_into(content: &mut Vec<u8>, offset: usize, data: &[u8]) {
    let end = offset + data.len();
    if content.len() < end {
        content.resize(end, 0);
    }
    content[offset..end].copy_from_slice(data);
}

fn apply(content: &mut Vec<u8>, change: &Change) {
    match change {
        Change::Write { offset, data } => write_into(content, *offset, data),
        Change::SetLen(len) => content.resize(*len, 0),
    }
}

#[derive(Debug, Default)]
struct Inode {
    durable: Vec<u8>,
    current: Vec<u8>,
    pending: Vec<Change>,
    pending_bytes: usize,
}

impl Inode {
    fn change(&mut self, change: Change) {
        apply(&mut self.current, &change);
        if let Change::Write { data, .. } = &change {
            self.pending_bytes += data.len();
        }
        self.pending.push(change);
    }

    fn sync(&mut self) {
        // Replaying is cheaper than copying a large file for a small change, and the other
        // way round for many changes.
        if self.pending_bytes >= self.current.len() {
            self.durable.clone_from(&self.current);
        } else {
            for c in &self.pending {
                apply(&mut self.durable, c);
            }
        }
        self.pending.clear();
        self.pending_bytes = 0;
    }
}

/// A name change not yet synced: `inode` is `None` for a removal.
#[derive(Clone, Debug)]
struct DirChange {
    name: PathBuf,
    inode: Option<usize>,
}

/// What survived a power cut: names and the content of the files they name.
#[derive(Clone, Debug, Default)]
pub struct DiskImage {
    names: BTreeMap<PathBuf, usize>,
    contents: Vec<Vec<u8>>,
}

impl DiskImage {
    /// The content of the file named `path`, if that name survived.
    pub fn file(&self, path: &Path) -> Option<&[u8]> {
        self.names.get(path).map(|&i| self.contents[i].as_slice())
    }

    /// Every surviving name.
    pub fn names(&self) -> impl Iterator<Item = &Path> {
        self.names.keys().map(PathBuf::as_path)
    }
}

#[derive(Debug, Default)]
struct Disk {
    inodes: Vec<Inode>,
    names: BTreeMap<PathBuf, usize>,
    durable_names: BTreeMap<PathBuf, usize>,
    dir_pending: Vec<DirChange>,
    ops: u64,
    cut_at: Option<(u64, u64)>,
    /// Only operations whose description contains this count towards `cut_at`.
    cut_only: Option<&'static str>,
    /// Operations counted towards `cut_at`.
    counted: u64,
    image: Option<DiskImage>,
    /// The operation the cut replaced, e.g. `sync_data store.redb-journal`.
    cut_op: Option<String>,
}

fn dead() -> io::Error {
    io::Error::other("simulated power cut: the disk is gone")
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new(""))
}

impl Disk {
    /// Counts a mutating operation (`what`, on `inode` if a file's); the armed cut happens
    /// instead of the operation.
    fn mutate(&mut self, what: &str, inode: Option<usize>) -> io::Result<()> {
        if self.image.is_some() {
            return Err(dead());
        }
        if let Some((at, seed)) = self.cut_at {
            let counts = match self.cut_only {
                None => true,
                Some(only) => self.describe(what, inode).contains(only),
            };
            if counts {
                if self.counted >= at {
                    self.cut_op = Some(self.describe(what, inode));
                    self.cut(seed);
                    return Err(dead());
                }
                self.counted += 1;
            }
        }
        self.ops += 1;
        Ok(())
    }

    fn cut(&mut self, seed: u64) {
        let mut rng = SplitMix64::new(seed);
        // Per cut, how often a pending change lands and how often a write tears: from
        // "almost everything lost" to "almost everything landed".
        let land = rng.pick(&[1, 4, 7]);
        let tear = rng.pick(&[0, 1, 3]);
        let mut names = self.durable_names.clone();
        for c in &self.dir_pending {
            if rng.chance(land, 8) {
                match c.inode {
                    Some(i) => names.insert(c.name.clone(), i),
                    None => names.remove(&c.name),
                };
            }
        }
        let mut renumber = BTreeMap::new();
        let mut contents = Vec::new();
        for i in names.values_mut() {
            let inode = &self.inodes[*i];
            *i = *renumber.entry(*i).or_insert_with(|| {
                let mut content = inode.durable.clone();
                for change in &inode.pending {
                    match change {
                        Change::Write { offset, data } if rng.chance(tear, 8) => {
                            tear_write(&mut content, *offset, data, &mut rng);
                        }
                        c => {
                            if rng.chance(land, 8) {
                                apply(&mut content, c);
                            }
                        }
                    }
                }
                contents.push(content);
                contents.len() - 1
            });
        }
        self.image = Some(DiskImage { names, contents });
    }

    /// `what` and the file name of `inode`, with a temporary name's unique tail cut off.
    fn describe(&self, what: &str, inode: Option<usize>) -> String {
        let name = inode
            .and_then(|i| self.names.iter().find(|(_, n)| **n == i))
            .and_then(|(p, _)| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        match name {
            Some(n) => {
                let n = n.split_once(".init-").map_or(n.as_str(), |(db, _)| db);
                format!("{what} {n}")
            }
            None => what.to_string(),
        }
    }

    fn lookup(&self, path: &Path) -> io::Result<usize> {
        self.names
            .get(path)
            .copied()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, path.display().to_string()))
    }

    fn name(&mut self, name: &Path, inode: Option<usize>) {
        match inode {
            Some(i) => self.names.insert(name.to_path_buf(), i),
            None => self.names.remove(name),
        };
        self.dir_pending.push(DirChange {
            name: name.to_path_buf(),
            inode,
        });
    }

    fn open(&mut self, path: &Path, create: bool) -> io::Result<usize> {
        match self.lookup(path) {
            Ok(i) => Ok(i),
            Err(e) if !create => Err(e),
            Err(_) => {
                self.mutate("create", None)?;
                self.inodes.push(Inode::default());
                let i = self.inodes.len() - 1;
                self.name(path, Some(i));
                Ok(i)
            }
        }
    }
}

/// A torn write: a prefix of it, or some of its sectors, and maybe the length it gave the file.
fn tear_write(content: &mut Vec<u8>, offset: usize, data: &[u8], rng: &mut SplitMix64) {
    let end = offset + data.len();
    match rng.pick(&[0usize, 512, 4096]) {
        0 => {
            let keep = rng.below(data.len() as u64) as usize;
            write_into(content, offset, &data[..keep]);
        }
        sector => {
            let mut at = offset;
            while at < end {
                let next = ((at / sector + 1) * sector).min(end);
                if rng.chance(1, 2) {
                    write_into(content, at, &data[at - offset..next - offset]);
                }
                at = next;
            }
        }
    }
    if rng.chance(1, 2) && content.len() < end {
        content.resize(end, 0);
    }
}

/// A simulated disk (see the module docs); clones share it.
#[derive(Clone, Debug, Default)]
pub struct SimDisk {
    disk: Arc<Mutex<Disk>>,
}

impl SimDisk {
    /// An empty disk.
    pub fn new() -> Self {
        SimDisk::default()
    }

    /// A disk holding `image`, all of it durable (the machine after power came back).
    pub fn from_image(image: &DiskImage) -> Self {
        let disk = Disk {
            inodes: image
                .contents
                .iter()
                .map(|c| Inode {
                    durable: c.clone(),
                    current: c.clone(),
                    ..Inode::default()
                })
                .collect(),
            names: image.names.clone(),
            durable_names: image.names.clone(),
            ..Disk::default()
        };
        SimDisk {
            disk: Arc::new(Mutex::new(disk)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Cuts power instead of the `after`-th mutating operation from now (0 = the next one),
    /// deciding what survives from `seed`.
    pub fn arm_cut(&self, after: u64, seed: u64) {
        self.arm_cut_on(after, None, seed);
    }

    /// [`SimDisk::arm_cut`] counting only the operations whose description (as
    /// [`SimDisk::cut_op`] gives it, e.g. `sync_data store.redb-journal`) contains `only`.
    pub fn arm_cut_on(&self, after: u64, only: Option<&'static str>, seed: u64) {
        let mut d = self.lock();
        d.cut_at = Some((after, seed));
        d.cut_only = only;
        d.counted = 0;
    }

    /// Cuts power now if it was not cut yet (deciding from `seed`); returns what survived.
    pub fn cut(&self, seed: u64) -> DiskImage {
        let mut d = self.lock();
        if d.image.is_none() {
            d.cut(seed);
        }
        d.image.clone().unwrap_or_default()
    }

    /// Whether power was cut.
    pub fn is_cut(&self) -> bool {
        self.lock().image.is_some()
    }

    /// The operation an armed cut replaced (`write store.redb`, `sync_dir`, ...), if it did.
    pub fn cut_op(&self) -> Option<String> {
        self.lock().cut_op.clone()
    }

    /// Mutating operations done so far (writes, length changes, syncs, name changes).
    pub fn ops(&self) -> u64 {
        self.lock().ops
    }

    fn file(&self, inode: usize) -> SimFile {
        SimFile {
            disk: Arc::clone(&self.disk),
            inode,
        }
    }
}

impl Storage for SimDisk {
    fn open_database(&self, path: &Path, create: bool) -> io::Result<Box<dyn StorageBackend>> {
        let inode = self.lock().open(path, create)?;
        Ok(Box::new(self.file(inode)))
    }

    fn open_journal(&self, path: &Path) -> io::Result<Arc<dyn StoreFile>> {
        let inode = self.lock().open(path, true)?;
        Ok(Arc::new(self.file(inode)))
    }

    fn link(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut d = self.lock();
        let inode = d.lookup(from)?;
        if d.names.contains_key(to) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                to.display().to_string(),
            ));
        }
        d.mutate("link", None)?;
        d.name(to, Some(inode));
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut d = self.lock();
        d.lookup(path)?;
        d.mutate("remove", None)?;
        d.name(path, None);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut d = self.lock();
        d.mutate("sync_dir", None)?;
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut d.dir_pending)
            .into_iter()
            .partition(|c| parent(&c.name) == dir);
        d.dir_pending = later;
        for c in now {
            match c.inode {
                Some(i) => d.durable_names.insert(c.name, i),
                None => d.durable_names.remove(&c.name),
            };
        }
        Ok(())
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        let d = self.lock();
        let i = d.lookup(path)?;
        Ok(d.inodes[i].current.len() as u64)
    }
}

/// An open file of a [`SimDisk`], as the journal and as redb's backend.
#[derive(Debug)]
struct SimFile {
    disk: Arc<Mutex<Disk>>,
    inode: usize,
}

impl SimFile {
    fn lock(&self) -> MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn change(&self, change: Change) -> io::Result<()> {
        let mut d = self.lock();
        let what = match change {
            Change::Write { .. } => "write",
            Change::SetLen(_) => "set_len",
        };
        d.mutate(what, Some(self.inode))?;
        d.inodes[self.inode].change(change);
        Ok(())
    }
}

fn offset(o: u64) -> io::Result<usize> {
    usize::try_from(o).map_err(io::Error::other)
}

impl StoreFile for SimFile {
    fn len(&self) -> io::Result<u64> {
        Ok(self.lock().inodes[self.inode].current.len() as u64)
    }

    fn read_at(&self, buf: &mut [u8], at: u64) -> io::Result<usize> {
        let d = self.lock();
        let content = &d.inodes[self.inode].current;
        let at = offset(at)?.min(content.len());
        let n = buf.len().min(content.len() - at);
        buf[..n].copy_from_slice(&content[at..at + n]);
        Ok(n)
    }

    fn write_all_at(&self, buf: &[u8], at: u64) -> io::Result<()> {
        self.change(Change::Write {
            offset: offset(at)?,
            data: buf.to_vec(),
        })
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.change(Change::SetLen(offset(len)?))
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut d = self.lock();
        d.mutate("sync_data", Some(self.inode))?;
        d.inodes[self.inode].sync();
        Ok(())
    }
}

impl StorageBackend for SimFile {
    fn len(&self) -> io::Result<u64> {
        StoreFile::len(self)
    }

    fn read(&self, at: u64, out: &mut [u8]) -> io::Result<()> {
        let d = self.lock();
        let content = &d.inodes[self.inode].current;
        let at = offset(at)?;
        let src = content
            .get(at..at + out.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))?;
        out.copy_from_slice(src);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        StoreFile::set_len(self, len)
    }

    fn sync_data(&self) -> io::Result<()> {
        StoreFile::sync_data(self)
    }

    fn write(&self, at: u64, data: &[u8]) -> io::Result<()> {
        self.write_all_at(data, at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn synced_data_and_names_survive_every_cut() {
        for seed in 0..200 {
            let disk = SimDisk::new();
            let f = disk.open_journal(&p("/d/f")).unwrap();
            f.write_all_at(b"hello", 0).unwrap();
            f.sync_data().unwrap();
            disk.sync_dir(Path::new("/d")).unwrap();
            f.write_all_at(b"HELLO world", 0).unwrap();
            let img = disk.cut(seed);
            let got = img.file(Path::new("/d/f")).expect("synced name survives");
            // Durable prefix "hello", or (partly) the later write over it.
            assert!(got.len() >= 5, "seed {seed}: {got:?}");
            for (i, b) in got.iter().enumerate() {
                let allowed = [b"hello"[..].get(i), b"HELLO world".get(i), Some(&0)];
                assert!(
                    allowed.contains(&Some(b)),
                    "seed {seed}: byte {i} of {got:?}"
                );
            }
        }
    }

    #[test]
    fn unsynced_writes_names_and_lengths_may_each_be_lost_or_torn() {
        let (mut lost_name, mut kept_name, mut torn, mut whole, mut lost) = (0, 0, 0, 0, 0);
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8 + 1).collect();
        for seed in 0..400 {
            let disk = SimDisk::new();
            let f = disk.open_journal(&p("/d/f")).unwrap();
            f.write_all_at(&data, 0).unwrap();
            let img = disk.cut(seed);
            match img.file(Path::new("/d/f")) {
                None => lost_name += 1,
                Some(got) => {
                    kept_name += 1;
                    if got.is_empty() {
                        lost += 1;
                    } else if got == data.as_slice() {
                        whole += 1;
                    } else {
                        torn += 1;
                        assert!(got.len() <= data.len());
                        for (i, &b) in got.iter().enumerate() {
                            assert!(b == 0 || b == data[i], "seed {seed}: byte {i}");
                        }
                    }
                }
            }
            // Dead after the cut: nothing more is written.
            assert!(f.write_all_at(b"x", 0).is_err());
            assert!(f.sync_data().is_err());
        }
        for (what, n) in [
            ("lost names", lost_name),
            ("kept names", kept_name),
            ("torn", torn),
            ("whole", whole),
            ("lost", lost),
        ] {
            assert!(n > 0, "no case of {what} in 400 seeds");
        }
    }

    #[test]
    fn a_cut_is_a_function_of_its_seed() {
        let run = |seed| {
            let disk = SimDisk::new();
            let f = disk.open_journal(&p("/d/f")).unwrap();
            for i in 0..50u8 {
                f.write_all_at(&[i; 700], u64::from(i) * 700).unwrap();
                if i % 7 == 0 {
                    f.set_len(u64::from(i) * 650).unwrap();
                }
            }
            disk.arm_cut(30, seed);
            for i in 0..50u8 {
                let _ = f.write_all_at(&[i; 300], u64::from(i) * 300);
            }
            assert!(disk.is_cut());
            disk.cut(0).file(Path::new("/d/f")).map(<[u8]>::to_vec)
        };
        for seed in 0..50 {
            assert_eq!(run(seed), run(seed), "seed {seed}");
        }
    }

    #[test]
    fn a_link_and_a_removal_are_durable_only_after_the_directory_sync() {
        let disk = SimDisk::new();
        let f = disk.open_journal(&p("/d/tmp")).unwrap();
        f.write_all_at(b"db", 0).unwrap();
        f.sync_data().unwrap();
        disk.link(Path::new("/d/tmp"), Path::new("/d/db")).unwrap();
        assert_eq!(
            disk.link(Path::new("/d/tmp"), Path::new("/d/db"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::AlreadyExists
        );
        disk.remove(Path::new("/d/tmp")).unwrap();
        disk.sync_dir(Path::new("/d")).unwrap();
        let img = disk.cut(7);
        assert_eq!(img.file(Path::new("/d/db")), Some(&b"db"[..]));
        assert_eq!(img.file(Path::new("/d/tmp")), None);
        let again = SimDisk::from_image(&img);
        assert_eq!(again.file_len(Path::new("/d/db")).unwrap(), 2);
        assert!(again.cut(1).file(Path::new("/d/db")).is_some());
    }
}
