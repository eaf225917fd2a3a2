//! The power-cut property test: the real [`Store`] on a [`SimDisk`] that loses power at a
//! random mutating operation, reopened from what survived, round after round.
//!
//! Per seed: a few tasks commit concurrently (each commit writes 1-3 objects of its task and
//! the task's marker KEK, which names the commit), checkpoints are forced small, and power is
//! cut at a random operation of each round (during the open, the commits, a checkpoint or the
//! replay). In half of the seeds an erase runs beside the commits in most rounds (a new
//! storage epoch, the re-seal pass in small batches, the settle, forgetting the older epochs):
//! the epochs a settle names are treated as destroyed from then on, and every later unlock
//! gets no key for them. After every reopen: the node id is unchanged, every commit that
//! resolved `Ok` is present, at most the one commit each task had in flight besides, and
//! nothing else; every object is exactly what the last present commit on it wrote, and opens
//! without any destroyed epoch's key; the current epoch was never destroyed; the indexes, term
//! counts, Locate answers, origin log and version vector agree with exactly those commits.
//! In half of the seeds a replicator's writes run beside them: batches of another origin's
//! entries with their records (`WriteOp::Replicated`); after every reopen that origin's vector
//! entry is an acknowledged batch's end (or the one in flight), its log holds exactly the
//! entries up to there, and each of its objects is the record of the last entry naming it.
//!
//! `KW_POWER_CUT_SEEDS=n` runs seeds `0..n` (default [`DEFAULT_SEEDS`]),
//! `KW_POWER_CUT_FIRST_SEED=s` starts elsewhere, `KW_POWER_CUT_SEED=s` runs one seed. A seed
//! fixes the workload, the cut points and what each cut keeps; thread timing still decides how
//! commits group, so a failing seed is rerun a few hundred times to reproduce
//! (`KW_POWER_CUT_REPEAT`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use super::{DiskImage, SimDisk, SplitMix64, epoch_key, wrapped_epoch_key};
use crate::record::test_record;
use crate::{
    LocateQuery, LogOp, NewEpoch, NodeId, ObjectRecord, ReplicatedEntries, Stamp, Store,
    StoreError, StoreOptions, StoredAttribute, WriteOp,
};

const DB: &str = "/sim/store.redb";
/// Seeds run by a plain `cargo test` (about 60 s on the 2-core machine, debug build).
const DEFAULT_SEEDS: u64 = 1500;

#[derive(Clone, Debug)]
struct Commit {
    n: u64,
    records: Vec<ObjectRecord>,
}

/// What one task knows of its commits.
#[derive(Clone, Debug, Default)]
struct TaskModel {
    /// Commits that are in the store, in order (acknowledged, or found after a reopen).
    present: Vec<Commit>,
    /// The last commit issued whose answer was an error (the power went): in or out.
    in_doubt: Option<Commit>,
}

impl TaskModel {
    fn last(&self) -> u64 {
        self.present.last().map_or(0, |c| c.n)
    }

    fn objects(&self) -> BTreeMap<String, ObjectRecord> {
        let mut out = BTreeMap::new();
        for c in &self.present {
            for r in &c.records {
                out.insert(r.uuid.clone(), r.clone());
            }
        }
        out
    }
}

/// The other origin whose entries a replicator applies beside the local commits.
const REMOTE: NodeId = NodeId(0x5eed_0000_0000_0001);

/// What the replicator knows of the batches it applied.
#[derive(Clone, Debug, Default)]
struct RemoteModel {
    /// Highest sequence of a batch that is in the store.
    through: u64,
    /// Every entry issued so far, in sequence order: (seq, its record).
    issued: Vec<(u64, ObjectRecord)>,
    /// The last sequence of a batch whose answer was an error (the power went).
    in_doubt: Option<u64>,
}

impl RemoteModel {
    /// Each remote object as the entries up to `through` leave it.
    fn objects(&self) -> BTreeMap<String, ObjectRecord> {
        let mut out = BTreeMap::new();
        for (seq, r) in &self.issued {
            if *seq <= self.through {
                out.insert(r.uuid.clone(), r.canonical());
            }
        }
        out
    }
}

struct Plan {
    /// Whether replicated batches run beside the local commits.
    remote: bool,
    tasks: usize,
    commits: usize,
    rounds: usize,
    keys: u64,
    options: StoreOptions,
    /// Whether erases run beside the commits.
    erases: bool,
    /// Records per re-seal batch.
    reseal_batch: usize,
}

impl Plan {
    fn draw(rng: &mut SplitMix64) -> Plan {
        Plan {
            remote: rng.chance(1, 2),
            tasks: 1 + rng.below(4) as usize,
            commits: 1 + rng.below(6) as usize,
            rounds: 2 + rng.below(2) as usize,
            keys: 2 + rng.below(3),
            options: StoreOptions {
                group_commit_max_batch: rng.pick(&[1, 2, 512]),
                cache_bytes: rng.pick(&[64 << 10, 4 << 20]),
                quick_repair: rng.chance(3, 4),
                // A frame is 0.3-7 KiB: most seeds checkpoint every group or every few.
                checkpoint_bytes: rng.pick(&[1, 2048, 8192, 1 << 20]),
                // Only the size triggers a checkpoint: time would make seeds depend on speed.
                checkpoint_interval: Duration::from_secs(3600),
                ..StoreOptions::default()
            },
            erases: rng.chance(1, 2),
            reseal_batch: 1 + rng.below(3) as usize,
        }
    }
}

fn kek_domain(t: usize) -> String {
    format!("t{t}")
}

fn commit_name(t: usize, n: u64) -> String {
    format!("c{t}-{n}")
}

/// What the seeds exercised, printed at the end.
#[derive(Debug, Default)]
struct Tally {
    /// Cuts inside a round, by the operation they replaced.
    cuts: BTreeMap<String, u64>,
    /// Cuts that failed the open (during recovery or creation).
    in_open: u64,
    /// Commits acknowledged.
    acknowledged: u64,
    /// Unanswered commits found in the store after the reopen, and not found.
    in_doubt_kept: u64,
    in_doubt_lost: u64,
    /// Replicated batches acknowledged.
    replicated: u64,
    /// Erases started, and those whose settle returned (their older epochs destroyed).
    erases_started: u64,
    erases_settled: u64,
}

/// Reads everything back and compares it with the model, settling each in-doubt commit.
fn check(
    store: &Store,
    models: &mut [TaskModel],
    remote: &mut RemoteModel,
    node: &mut Option<NodeId>,
    ctx: &str,
    tally: &mut Tally,
) {
    match node {
        Some(n) => assert_eq!(store.node_id(), *n, "{ctx}: the node id changed"),
        None => *node = Some(store.node_id()),
    }
    let node = store.node_id();
    for (t, m) in models.iter_mut().enumerate() {
        let marker = store
            .wrapped_kek(&kek_domain(t))
            .unwrap_or_else(|e| panic!("{ctx}: read marker: {e}"))
            .map(|b| u64::from_be_bytes(b.as_slice().try_into().expect("8-byte marker")))
            .unwrap_or(0);
        let doubt = m.in_doubt.take();
        if let Some(d) = doubt.clone() {
            if d.n == marker {
                tally.in_doubt_kept += 1;
                m.present.push(d);
            } else {
                tally.in_doubt_lost += 1;
            }
        }
        assert_eq!(
            marker,
            m.last(),
            "{ctx}: task {t} holds commit {marker}; acknowledged {}, in doubt {:?}",
            m.last(),
            doubt.map(|d| d.n)
        );
    }
    let vv = store.version_vector().expect("version vector");
    let held = vv.get(&REMOTE).copied().unwrap_or(0);
    if let Some(d) = remote.in_doubt.take()
        && held == d
    {
        remote.through = d;
    }
    assert_eq!(
        held, remote.through,
        "{ctx}: the replicated origin is held through {held}, acknowledged through {}",
        remote.through
    );
    let remote_log: Vec<u64> = store
        .log_since(REMOTE, 0, usize::MAX)
        .expect("remote log")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(
        remote_log,
        (1..=held).collect::<Vec<_>>(),
        "{ctx}: the replicated origin's log"
    );
    let remote_objects = remote.objects();
    for k in 0..16 {
        let uuid = format!("r-k{k}");
        let got = store
            .get(&uuid)
            .unwrap_or_else(|e| panic!("{ctx}: get {uuid}: {e}"));
        assert_eq!(
            got.as_deref(),
            remote_objects.get(&uuid),
            "{ctx}: replicated object {uuid} is not what its last held entry shipped"
        );
    }
    let mut total = remote_objects.len() as u64;
    for (t, m) in models.iter().enumerate() {
        let objects = m.objects();
        total += objects.len() as u64;
        for k in 0..16 {
            let uuid = format!("t{t}-k{k}");
            let got = store
                .get(&uuid)
                .unwrap_or_else(|e| panic!("{ctx}: get {uuid}: {e}"));
            assert_eq!(
                got.as_deref(),
                objects.get(&uuid),
                "{ctx}: object {uuid} is not what its last present commit wrote"
            );
        }
        for c in &m.present {
            let mut q = LocateQuery {
                name: Some(commit_name(t, c.n)),
                ..LocateQuery::default()
            };
            let mut want: Vec<&str> = objects
                .values()
                .filter(|r| r.index.names == [commit_name(t, c.n)])
                .map(|r| r.uuid.as_str())
                .collect();
            let mut got = store
                .locate(&q)
                .unwrap_or_else(|e| panic!("{ctx}: locate: {e}"))
                .uuids;
            got.sort();
            want.sort();
            assert_eq!(got, want, "{ctx}: Locate by the name of commit {t}/{}", c.n);
            q.name = None;
            q.owner = Some(kek_domain(t));
            let by_owner = store.locate(&q).expect("locate by owner").total;
            assert_eq!(by_owner, objects.len(), "{ctx}: Locate by owner t{t}");
        }
    }
    assert_eq!(
        store.stats().expect("stats").objects,
        total,
        "{ctx}: objects that no present commit wrote"
    );
    store
        .verify_indexes()
        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
    let log = store.log_since(node, 0, usize::MAX).expect("log");
    let written: u64 = models
        .iter()
        .flat_map(|m| &m.present)
        .map(|c| c.records.len() as u64)
        .sum();
    let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=written).collect::<Vec<_>>(),
        "{ctx}: log sequence numbers"
    );
    assert_eq!(
        vv.get(&node).copied().unwrap_or(0),
        written,
        "{ctx}: version vector"
    );
    for (t, m) in models.iter().enumerate() {
        let prefix = format!("t{t}-");
        let got: Vec<&str> = log
            .iter()
            .map(|e| match &e.op {
                LogOp::PutObject { uuid } => uuid.as_str(),
            })
            .filter(|u| u.starts_with(&prefix))
            .collect();
        let want: Vec<&str> = m
            .present
            .iter()
            .flat_map(|c| c.records.iter().map(|r| r.uuid.as_str()))
            .collect();
        assert_eq!(got, want, "{ctx}: log entries of task {t}");
    }
}

/// One task's commits of a round, each after the previous one resolved.
async fn task_round(
    store: Store,
    disk: SimDisk,
    t: usize,
    mut model: TaskModel,
    commits: usize,
    keys: u64,
    seed: u64,
) -> TaskModel {
    let mut rng = SplitMix64::new(seed);
    let mut objects = model.objects();
    for _ in 0..commits {
        let n = model.last() + 1;
        let mut records = Vec::new();
        let mut used = BTreeSet::new();
        for _ in 0..1 + rng.below(3) {
            let key = rng.below(keys);
            if !used.insert(key) {
                continue;
            }
            let uuid = format!("t{t}-k{key}");
            let now = store.clock().now();
            let name = commit_name(t, n);
            let mut r = test_record(now, &uuid, &kek_domain(t), &[name.as_str()]);
            if let Some(old) = objects.get(&uuid) {
                r.created = old.created;
            }
            r.index.custom = vec![("x-commit".to_string(), n.to_be_bytes().to_vec())];
            if rng.chance(1, 3) {
                // Large enough that a frame spans several sectors and a redb value its own pages.
                let len = 1 + rng.below(6000) as usize;
                r.attributes.push(StoredAttribute {
                    name: "x-blob".to_string(),
                    index: 0,
                    value: vec![n as u8; len],
                    stamp: now,
                    deleted: false,
                });
            }
            records.push(r);
        }
        if let Some(taken) = objects.values().next().filter(|_| rng.chance(1, 8)) {
            // A commit the writer must refuse (a second object with a taken creation stamp):
            // its group fails and is retried commit by commit, each in a frame of its own.
            let mut bad = test_record(store.clock().now(), &format!("t{t}-bad"), "x", &[]);
            bad.created = taken.created;
            let refused = store
                .commit(vec![
                    WriteOp::PutObject(bad),
                    WriteOp::PutWrappedKek {
                        domain: kek_domain(t),
                        blob: u64::MAX.to_be_bytes().to_vec(),
                    },
                ])
                .await;
            match refused {
                Err(crate::StoreError::Invalid { .. }) => {}
                Err(_) if disk.is_cut() => {}
                other => panic!("a commit reusing a creation stamp: {other:?}"),
            }
        }
        let mut ops: Vec<WriteOp> = records.iter().cloned().map(WriteOp::PutObject).collect();
        ops.push(WriteOp::PutWrappedKek {
            domain: kek_domain(t),
            blob: n.to_be_bytes().to_vec(),
        });
        let commit = Commit { n, records };
        match store.commit(ops).await {
            Ok(_) => {
                for r in &commit.records {
                    objects.insert(r.uuid.clone(), r.clone());
                }
                model.present.push(commit);
            }
            Err(e) => {
                assert!(disk.is_cut(), "commit {t}/{n} failed with power on: {e}");
                model.in_doubt = Some(commit);
                break;
            }
        }
    }
    model
}

/// The replicator's batches of a round, each after the previous one resolved.
async fn remote_round(
    store: Store,
    disk: SimDisk,
    mut model: RemoteModel,
    batches: usize,
    keys: u64,
    seed: u64,
) -> RemoteModel {
    let mut rng = SplitMix64::new(seed);
    for _ in 0..batches {
        let first = model.through + 1;
        let mut entries = Vec::new();
        let mut records: Vec<ObjectRecord> = Vec::new();
        for i in 0..1 + rng.below(3) {
            let seq = first + i;
            let uuid = format!("r-k{}", rng.below(keys));
            let stamp = Stamp {
                hlc: store.clock().now().hlc,
                node: REMOTE,
            };
            let name = format!("r-{seq}");
            let mut r = test_record(stamp, &uuid, "remote", &[name.as_str()]);
            if let Some((_, old)) = model.issued.iter().rev().find(|(_, o)| o.uuid == uuid) {
                r.created = old.created;
                r.origin = old.origin;
            }
            entries.push((stamp, uuid.clone()));
            records.retain(|x| x.uuid != uuid);
            records.push(r.clone());
            model.issued.retain(|(s, _)| *s < seq);
            model.issued.push((seq, r));
        }
        let last = first + entries.len() as u64 - 1;
        let batch = ReplicatedEntries {
            origin: REMOTE,
            first_seq: first,
            entries,
            records,
        };
        match store.commit(vec![WriteOp::Replicated(batch)]).await {
            Ok(_) => model.through = last,
            Err(e) => {
                assert!(
                    disk.is_cut(),
                    "replicated batch {first}..={last} failed with power on: {e}"
                );
                model.in_doubt = Some(last);
                break;
            }
        }
    }
    model
}

/// One erase beside the commits: a new epoch, the re-seal pass, the settle, then forgetting
/// the older epochs. Returns the epochs the settle named: from then on their keys count as
/// destroyed (as the key service destroys them in the HSM right after the settle).
async fn erase_round(store: Store, disk: SimDisk, batch: usize) -> Vec<u64> {
    let went = |what: &str, e: &StoreError| {
        assert!(disk.is_cut(), "{what} failed with power on: {e}");
    };
    let current = match store.storage_epochs() {
        Ok(state) => state.current.expect("an unlocked store has an epoch"),
        Err(e) => {
            went("read epochs", &e);
            return Vec::new();
        }
    };
    let epoch = current + 1;
    let begun = store
        .begin_epoch(NewEpoch {
            epoch,
            wrapped: wrapped_epoch_key(epoch),
            key: epoch_key(epoch),
        })
        .await;
    if let Err(e) = begun {
        went("begin epoch", &e);
        return Vec::new();
    }
    let mut after = None;
    loop {
        match store.reseal(after, batch).await {
            Ok(b) => match b.next {
                Some(next) => after = Some(next),
                None => break,
            },
            Err(e) => {
                went("reseal", &e);
                return Vec::new();
            }
        }
    }
    let older = match store.settle().await {
        Ok(older) => older,
        Err(e) => {
            went("settle", &e);
            return Vec::new();
        }
    };
    assert!(
        older.contains(&current),
        "settle names epoch {current}: {older:?}"
    );
    if let Err(e) = store.forget_epochs(older.clone()).await {
        went("forget epochs", &e);
    }
    older
}

static STORE_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Panics on the store's own threads are caught by their join, so record them to fail on.
fn watch_store_threads() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            if thread.name().is_some_and(|n| n.starts_with("store-")) {
                STORE_PANICS
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(format!("{:?}: {info}", thread.name()));
            }
            previous(info);
        }));
    });
}

/// Opens and unlocks without the keys of the `destroyed` epochs.
fn open(disk: &SimDisk, options: &StoreOptions, destroyed: &[u64]) -> Result<Store, StoreError> {
    let store = Store::open_with_storage(Path::new(DB), options.clone(), Arc::new(disk.clone()))?;
    super::unlock_with_test_keys(&store, destroyed)?;
    let current = store.storage_epochs()?.current;
    assert!(
        current.is_some_and(|c| !destroyed.contains(&c)),
        "the current epoch {current:?} was destroyed ({destroyed:?})"
    );
    Ok(store)
}

/// Runs one seed, counting what it exercised into `tally`.
fn run_seed(seed: u64, rt: &tokio::runtime::Runtime, tally: &mut Tally) {
    let mut rng = SplitMix64::new(seed);
    let plan = Plan::draw(&mut rng);
    let mut models = vec![TaskModel::default(); plan.tasks];
    let mut remote = RemoteModel::default();
    let mut node = None;
    let mut image = DiskImage::default();
    let mut destroyed: Vec<u64> = Vec::new();
    // Mutating operations of a round: about 25 for the open, 10-40 per commit with
    // checkpoints and 30-60 for an erase; a cut drawn beyond the end of the round happens
    // after it.
    let budget = 30 + (plan.tasks * plan.commits) as u64 * 25 + if plan.erases { 60 } else { 0 };
    for round in 0..plan.rounds {
        let disk = SimDisk::from_image(&image);
        // Most operations are redb page writes; every other round aims at the journal, where
        // acknowledgements and checkpoints turn on.
        let groups = (plan.tasks * plan.commits) as u64;
        let (cut_only, cut_at) = match rng.below(4) {
            0 | 1 => (None, rng.below(budget)),
            2 => (Some("journal"), rng.below(4 * groups + 4)),
            _ => (Some("sync"), rng.below(3 * groups + 4)),
        };
        let cut_seed = rng.next_u64();
        let task_seeds: Vec<u64> = (0..plan.tasks).map(|_| rng.next_u64()).collect();
        let remote_seed = rng.next_u64();
        let close_first = rng.chance(1, 2);
        let erase_now = plan.erases && rng.chance(2, 3);
        disk.arm_cut_on(cut_at, cut_only, cut_seed);
        let ctx = format!("seed {seed}, round {round}, cut at operation {cut_at} of {cut_only:?}");
        match open(&disk, &plan.options, &destroyed) {
            Err(e) => {
                assert!(disk.is_cut(), "{ctx}: the store does not open: {e}");
                tally.in_open += 1;
            }
            Ok(store) => {
                check(&store, &mut models, &mut remote, &mut node, &ctx, tally);
                let before: usize = models.iter().map(|m| m.present.len()).sum();
                let remote_before = remote.through;
                let replicator = plan.remote.then(|| {
                    rt.spawn(remote_round(
                        store.clone(),
                        disk.clone(),
                        remote.clone(),
                        plan.commits,
                        plan.keys,
                        remote_seed,
                    ))
                });
                let tasks: Vec<_> = models
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(t, m)| {
                        rt.spawn(task_round(
                            store.clone(),
                            disk.clone(),
                            t,
                            m,
                            plan.commits,
                            plan.keys,
                            task_seeds[t],
                        ))
                    })
                    .collect();
                let eraser = erase_now.then(|| {
                    tally.erases_started += 1;
                    rt.spawn(erase_round(store.clone(), disk.clone(), plan.reseal_batch))
                });
                models = rt.block_on(async {
                    let mut out = Vec::new();
                    for task in tasks {
                        out.push(task.await.expect("task"));
                    }
                    out
                });
                if let Some(replicator) = replicator {
                    remote = rt.block_on(replicator).expect("replicator task");
                    tally.replicated += remote.through - remote_before;
                }
                if let Some(eraser) = eraser {
                    let settled = rt.block_on(eraser).expect("erase task");
                    if !settled.is_empty() {
                        tally.erases_settled += 1;
                    }
                    destroyed.extend(settled);
                }
                let after: usize = models.iter().map(|m| m.present.len()).sum();
                tally.acknowledged += (after - before) as u64;
                if !disk.is_cut() && close_first {
                    rt.block_on(store.close());
                } else {
                    // Power goes while the store runs (idle, or already dark).
                    disk.cut(cut_seed);
                    drop(store);
                }
            }
        }
        if let Some(op) = disk.cut_op() {
            *tally.cuts.entry(op).or_default() += 1;
        }
        image = disk.cut(cut_seed);
    }
    let disk = SimDisk::from_image(&image);
    let ctx = format!("seed {seed}, after the last cut");
    let store =
        open(&disk, &plan.options, &destroyed).unwrap_or_else(|e| panic!("{ctx}: no reopen: {e}"));
    check(&store, &mut models, &mut remote, &mut node, &ctx, tally);
    drop(store);
    let panics = std::mem::take(&mut *STORE_PANICS.lock().unwrap_or_else(|p| p.into_inner()));
    assert!(
        panics.is_empty(),
        "seed {seed}: store threads panicked: {panics:?}"
    );
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number"))
    })
}

#[test]
fn acknowledged_commits_survive_power_cuts_and_nothing_is_half_applied() {
    watch_store_threads();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let seeds: Vec<u64> = match env_u64("KW_POWER_CUT_SEED") {
        Some(s) => vec![s; env_u64("KW_POWER_CUT_REPEAT").unwrap_or(1) as usize],
        None => {
            let first = env_u64("KW_POWER_CUT_FIRST_SEED").unwrap_or(0);
            (first..first + env_u64("KW_POWER_CUT_SEEDS").unwrap_or(DEFAULT_SEEDS)).collect()
        }
    };
    let began = std::time::Instant::now();
    let mut tally = Tally::default();
    for &seed in &seeds {
        let run = std::panic::AssertUnwindSafe(|| run_seed(seed, &rt, &mut tally));
        if let Err(panic) = std::panic::catch_unwind(run) {
            eprintln!(
                "power-cut seed {seed} failed; rerun with KW_POWER_CUT_SEED={seed} \
                 KW_POWER_CUT_REPEAT=200 cargo test -p keywarden-store power_cut"
            );
            std::panic::resume_unwind(panic);
        }
    }
    eprintln!(
        "power cut: {} seeds in {:.1} s; {tally:#?}",
        seeds.len(),
        began.elapsed().as_secs_f64()
    );
    if seeds.len() >= 100 {
        assert!(
            tally.acknowledged > 0 && tally.replicated > 0 && tally.erases_settled > 0,
            "the seeds did not exercise every kind of write: {tally:#?}"
        );
    }
}
