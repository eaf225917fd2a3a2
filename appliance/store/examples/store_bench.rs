//! Store benchmark: durable create rate (1 client vs 64 clients), Locate-by-name latency,
//! start-up time, RSS and the time of one storage erase (re-seal of every record) with many
//! objects.
//!
//! `cargo run --release -p keywarden-store --example store_bench -- [objects] [dir]`
//! (defaults: 1000000 objects, a temporary directory).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keywarden_store::{
    DomainKek, EpochKey, IndexTerms, Lifecycle, LifecycleEvent, LocateQuery, MaterialBinding,
    NewEpoch, ObjectRecord, Store, StoreOptions, StoredAttribute, Unlock, WriteOp,
};
use zeroize::Zeroizing;

/// The bench's storage epoch key of `epoch` (no HSM here).
fn epoch_key(epoch: u64) -> Result<EpochKey, keywarden_store::StoreError> {
    EpochKey::new(Zeroizing::new(vec![
        u8::try_from(epoch % 200).unwrap_or(0)
            + 1;
        32
    ]))
}

/// Opens and unlocks the store with the bench's epoch keys.
fn open(path: &Path, options: &StoreOptions) -> Result<Store, Box<dyn std::error::Error>> {
    let store = Store::open(path, options.clone())?;
    let state = store.storage_epochs()?;
    let unlock = match state.current {
        None => Unlock {
            keys: Vec::new(),
            first: Some(NewEpoch {
                epoch: 1,
                wrapped: b"bench".to_vec(),
                key: epoch_key(1)?,
            }),
        },
        Some(_) => Unlock {
            keys: state
                .wrapped
                .iter()
                .map(|(e, _)| Ok((*e, epoch_key(*e)?)))
                .collect::<Result<_, keywarden_store::StoreError>>()?,
            first: None,
        },
    };
    store.unlock(unlock)?;
    Ok(store)
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Object `i`: named `key-{i}` and owned by one of 100 users when `named`, else unnamed and
/// owned by one user (what `keywarden-bench kmip` creates).
fn record(store: &Store, kek: &DomainKek, i: u64, named: bool) -> ObjectRecord {
    // Time-ordered like the UUIDs keywarden-kms gives new objects.
    let uuid = uuid::Uuid::now_v7().to_string();
    let s = store.clock().now();
    let binding = MaterialBinding {
        uuid: &uuid,
        object_type: 2,
        algorithm: Some(3),
        length: Some(256),
    };
    let material = kek.seal(&binding, &[7u8; 32]).ok();
    ObjectRecord {
        uuid: uuid.clone(),
        domain: "default".to_string(),
        owner: if named {
            format!("user{}", i % 100)
        } else {
            "admin".to_string()
        },
        object_type: 2,
        origin: store.node_id(),
        created: s,
        updated: s,
        lifecycle: Lifecycle {
            activated: Some(LifecycleEvent {
                stamp: s,
                effective: 1_700_000_000,
                reason: None,
                message: None,
            }),
            ..Lifecycle::default()
        },
        material,
        attributes: [
            named.then(|| StoredAttribute {
                name: "Name".to_string(),
                index: 0,
                value: format!("key-{i}").into_bytes(),
                stamp: s,
                deleted: false,
            }),
            Some(StoredAttribute {
                name: "Cryptographic Usage Mask".to_string(),
                index: 0,
                value: vec![0x42, 0, 0x2c, 2, 0, 0, 0, 4, 0, 0, 0, 12, 0, 0, 0, 0],
                stamp: s,
                deleted: false,
            }),
        ]
        .into_iter()
        .flatten()
        .collect(),
        links: Vec::new(),
        index: IndexTerms {
            names: if named {
                vec![format!("key-{i}")]
            } else {
                Vec::new()
            },
            algorithm: Some(3),
            length: Some(256),
            custom: Vec::new(),
        },
    }
}

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    let idx = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(idx).copied().unwrap_or_default()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let objects: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let tmp = tempfile::tempdir()?;
    let dir = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("bench.redb");
    // `reuse` as third argument: skip the write phases and measure open and Locate on an
    // existing file loaded with the same object count.
    let reuse = args.next().as_deref() == Some("reuse");
    let options = StoreOptions {
        cache_bytes: std::env::var("BENCH_CACHE_MIB")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(StoreOptions::default().cache_bytes, |m| m << 20),
        quick_repair: std::env::var_os("BENCH_NO_QUICK_REPAIR").is_none(),
        ..StoreOptions::default()
    };
    let n1 = 300u64;
    if !reuse {
        let _ = std::fs::remove_file(&path);
        write_phases(&path, objects, n1, &options).await?;
    }

    // 4. Start-up.
    let t = Instant::now();
    let store = open(Path::new(&path), &options)?;
    println!(
        "open: {:.1} ms, RSS {} MiB",
        t.elapsed().as_secs_f64() * 1e3,
        rss_kib("VmRSS:") >> 10
    );

    // 5. Locate by name.
    let mut lat = Vec::new();
    let mut x: u64 = 88172645463325252;
    for _ in 0..5_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = n1 + x % (objects - n1).max(1);
        let q = LocateQuery {
            name: Some(format!("key-{k}")),
            owner: Some(format!("user{}", k % 100)),
            ..LocateQuery::default()
        };
        let t = Instant::now();
        let r = store.locate(&q)?;
        lat.push(t.elapsed());
        if r.total != 1 {
            return Err(format!("locate key-{k}: {} hits", r.total).into());
        }
    }
    println!(
        "locate by name: p50 {:?} p99 {:?} max {:?}",
        pct(lat.clone(), 0.5),
        pct(lat.clone(), 0.99),
        pct(lat, 1.0)
    );
    println!(
        "RSS {} MiB (peak {} MiB)",
        rss_kib("VmRSS:") >> 10,
        rss_kib("VmHWM:") >> 10
    );

    // 6. One erase: a new epoch, every record re-sealed in batches of 512, settled.
    let next = store.storage_epochs()?.current.unwrap_or(0) + 1;
    let t = Instant::now();
    store
        .begin_epoch(NewEpoch {
            epoch: next,
            wrapped: b"bench".to_vec(),
            key: epoch_key(next)?,
        })
        .await?;
    let (mut after, mut moved, mut batches, mut longest) = (None, 0, 0, Duration::ZERO);
    loop {
        let b = Instant::now();
        let batch = store.reseal(after, 512).await?;
        longest = longest.max(b.elapsed());
        batches += 1;
        moved += batch.resealed;
        match batch.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let resealed = t.elapsed();
    let s = Instant::now();
    let older = store.settle().await?;
    store.forget_epochs(older).await?;
    println!(
        "erase: {moved} records re-sealed in {batches} batches, {:.1} s (longest batch {:.1} ms), \
         settle {:.1} ms",
        resealed.as_secs_f64(),
        longest.as_secs_f64() * 1e3,
        s.elapsed().as_secs_f64() * 1e3
    );
    store.close().await;
    table_sizes(&path)?;
    Ok(())
}

/// Phases 1-3: single-client and 64-client durable create rates, then bulk load.
async fn write_phases(
    path: &Path,
    objects: u64,
    n1: u64,
    options: &StoreOptions,
) -> Result<(), Box<dyn std::error::Error>> {
    let kek = Arc::new(DomainKek::new(Zeroizing::new(vec![9u8; 32]), 1)?);
    let store = open(path, options)?;
    // 1. One client: every commit is its own fsync.
    let t = Instant::now();
    for i in 0..n1 {
        store
            .commit(vec![WriteOp::PutObject(record(&store, &kek, i, true))])
            .await?;
    }
    let single = n1 as f64 / t.elapsed().as_secs_f64();
    println!("1 client : {single:.0} durable creates/s");

    // 2. 64 clients sharing transactions.
    for named in [false, true] {
        let multi = concurrent_creates(&store, &kek, named).await?;
        println!(
            "64 clients, {}: {:.0} durable creates/s ({:.1}x single), {:.1} commits per transaction",
            if named {
                "named keys of 100 owners"
            } else {
                "unnamed keys of one owner"
            },
            multi.0,
            multi.0 / single,
            multi.1
        );
    }

    // 3. Bulk load to `objects`.
    let t = Instant::now();
    let batch = 2_000u64;
    let mut i = n1;
    while i < objects {
        let end = (i + batch).min(objects);
        let ops = (i..end)
            .map(|k| WriteOp::PutObject(record(&store, &kek, k, true)))
            .collect();
        store.commit(ops).await?;
        i = end;
    }
    let st = store.stats()?;
    println!(
        "loaded {} objects in {:.1}s, file {} MiB, RSS {} MiB (peak {} MiB)",
        st.objects,
        t.elapsed().as_secs_f64(),
        st.file_bytes >> 20,
        rss_kib("VmRSS:") >> 10,
        rss_kib("VmHWM:") >> 10
    );
    store.close().await;
    Ok(())
}

/// 64 concurrent clients, each committing 100 single-object creates: (creates/s, mean commits
/// per durable transaction).
async fn concurrent_creates(
    store: &Store,
    kek: &Arc<DomainKek>,
    named: bool,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let per = 100u64;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..64u64 {
        let s = store.clone();
        let k = Arc::clone(kek);
        tasks.push(tokio::spawn(async move {
            // Each commit counts 1/group_size: the sum over all clients is the number of groups.
            let mut groups = 0.0f64;
            for j in 0..per {
                let i = 1_000_000_000 + u64::from(named) * 100_000_000 + c * per + j;
                let info = s
                    .commit(vec![WriteOp::PutObject(record(&s, &k, i, named))])
                    .await?;
                groups += 1.0 / info.group_size as f64;
            }
            Ok::<f64, keywarden_store::StoreError>(groups)
        }));
    }
    let mut groups = 0.0;
    for t in tasks {
        groups += t.await??;
    }
    Ok((
        (64 * per) as f64 / t.elapsed().as_secs_f64(),
        (64 * per) as f64 / groups,
    ))
}

/// Where the bytes go: per-table stored, metadata and fragmented bytes (diagnostic only).
fn table_sizes(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition};
    let db = redb::Database::open(path)?;
    let r = db.begin_read()?;
    let report = |name: &str, s: redb::TableStats, len: u64| {
        println!(
            "{name:>14}: {len:>9} rows, stored {:>6} MiB, metadata {:>4} MiB, fragmented {:>4} MiB",
            s.stored_bytes() >> 20,
            s.metadata_bytes() >> 20,
            s.fragmented_bytes() >> 20
        );
    };
    let t = r.open_table(TableDefinition::<&str, &[u8]>::new("objects"))?;
    report("objects", t.stats()?, t.len()?);
    let t = r.open_table(TableDefinition::<&[u8], &[u8]>::new("index"))?;
    report("index", t.stats()?, t.len()?);
    let t = r.open_table(TableDefinition::<&[u8], u64>::new("index_counts"))?;
    report("index_counts", t.stats()?, t.len()?);
    let t = r.open_table(TableDefinition::<(u64, u64), &[u8]>::new("origin_log"))?;
    report("origin_log", t.stats()?, t.len()?);
    drop(r);
    let w = db.begin_write()?;
    let s = w.stats()?;
    println!(
        "database: allocated pages {} ({} MiB), fragmented {} MiB",
        s.allocated_pages(),
        (s.allocated_pages() * s.page_size() as u64) >> 20,
        s.fragmented_bytes() >> 20
    );
    w.abort()?;
    Ok(())
}
