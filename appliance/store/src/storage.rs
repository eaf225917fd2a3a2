//! Where the store keeps its files: the seam between the store and the file system.
//!
//! [`Store::open`](crate::Store::open) uses [`FsStorage`]: redb's own `FileBackend` (with its
//! file locks) and `std::fs::File` for the commit journal, positional writes and `fdatasync`,
//! exactly what the store did before the seam existed.
//! [`Store::open_with_storage`](crate::Store::open_with_storage) takes another [`Storage`]; the
//! crate's tests put a simulated disk behind it that loses or tears unsynced writes at a power
//! cut (module `testing`, feature `power-cut`).
//!
//! The contract a [`Storage`] keeps is the POSIX one the store is written against: a write or
//! length change is durable only once `sync_data` returned on that file, and a created, linked
//! or removed name only once [`Storage::sync_dir`] returned on its directory. Before that,
//! any part of it may be lost at a power cut.

use std::fs::{File, OpenOptions};
use std::io;
use std::ops::Bound;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

use redb::{BackendError, StorageBackend};

/// A file the store reads and writes at explicit offsets (the commit journal).
#[allow(clippy::len_without_is_empty)] // a file's emptiness is `len()? == 0`, an I/O like any other
pub trait StoreFile: Send + Sync {
    /// Current length in bytes, as reads see it.
    fn len(&self) -> io::Result<u64>;
    /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end of the file.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
    /// Writes all of `buf` at `offset`, extending the file if needed; durable after `sync_data`.
    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Cuts the file to `len`, or extends it with zeros; durable after `sync_data`.
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// Makes every earlier write and length change of this file durable (`fdatasync`); the
    /// file's name in its directory needs [`Storage::sync_dir`].
    fn sync_data(&self) -> io::Result<()>;
}

impl StoreFile for File {
    fn len(&self) -> io::Result<u64> {
        Ok(self.metadata()?.len())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }

    fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        FileExt::write_all_at(self, buf, offset)
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }

    fn sync_data(&self) -> io::Result<()> {
        File::sync_data(self)
    }
}

/// The files and directory entries of a store.
pub trait Storage: Send + Sync {
    /// Opens the database file at `path` for redb; with `create`, an empty file is made if
    /// none exists, without it a missing file is `NotFound`.
    fn open_database(&self, path: &Path, create: bool) -> io::Result<Box<dyn StorageBackend>>;
    /// Opens the commit journal at `path`, creating it empty and owner-only if missing.
    fn open_journal(&self, path: &Path) -> io::Result<Arc<dyn StoreFile>>;
    /// Gives the file named `from` the second name `to`; `AlreadyExists` if `to` exists.
    fn link(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes the name `path` (the file lives on while another name or a handle holds it).
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes every name created, linked or removed in directory `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Length of the file at `path`.
    fn file_len(&self, path: &Path) -> io::Result<u64>;
}

/// The real file system: what [`Store::open`](crate::Store::open) uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsStorage;

impl Storage for FsStorage {
    fn open_database(&self, path: &Path, create: bool) -> io::Result<Box<dyn StorageBackend>> {
        // The options redb's `Builder::create` uses.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .open(path)?;
        let backend = redb::backends::FileBackend::new(file).map_err(io::Error::other)?;
        Ok(Box::new(backend))
    }

    fn open_journal(&self, path: &Path) -> io::Result<Arc<dyn StoreFile>> {
        // Owner-only: it holds the same (sealed) records as the database.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        Ok(Arc::new(file))
    }

    fn link(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::hard_link(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        Ok(std::fs::metadata(path)?.len())
    }
}

/// A [`Storage`]'s database file handed to redb, which takes a sized backend. Every method,
/// the lock methods included, forwards: with [`FsStorage`] redb sees its own `FileBackend`.
#[derive(Debug)]
pub(crate) struct Backend(pub Box<dyn StorageBackend>);

impl StorageBackend for Backend {
    fn len(&self) -> Result<u64, io::Error> {
        self.0.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.0.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.0.set_len(len)
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.0.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.0.write(offset, data)
    }

    fn close(&self) -> Result<(), io::Error> {
        self.0.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.0.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.0.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.0.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.0.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.0.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.0.query_lock_range(start, end)
    }
}
