//! The node's storage epochs: unlocking the store with epoch keys that live in the HSM, and
//! the erase that makes destroyed key material unrecoverable from the data directory, and
//! every older sealed copy of a record unreadable.
//!
//! Each epoch N has an AES-256 key inside the HSM (a token object `kw-epoch-<node>-<N>`, never
//! extractable) and a data key DK_N, random, that the store seals every record under. DK_N is
//! held unwrapped only in memory (locked, zeroized) and stored only wrapped by the HSM epoch
//! key. Destroying the HSM key makes every byte ever sealed under DK_N unreadable, wherever it
//! lingers: redb free pages, the truncated journal, the wrapped DK_N itself. A key merely
//! wrapped by the HSM root key would not do: its wrapped blob lingers in free pages too, and an
//! attacker with the data directory and the HSM unwraps it. Everything here is node-local: no
//! other node takes part, and each erases on its own schedule.
//!
//! Erase, step by step (the store README has the crash analysis):
//! 1. generate HSM key N+1 and DK_{N+1}, wrap it, and start epoch N+1 in the store (durable;
//!    every later write is sealed under it);
//! 2. re-seal every record still under an older epoch, in bounded batches through the store's
//!    one writer, so requests keep flowing;
//! 3. settle: the store proves no record an older key opens is left, checkpoints (a durable
//!    redb commit) and empties the journal;
//! 4. only then destroy the older epochs' HSM keys;
//! 5. forget their wrapped data keys (durable).
//!
//! A crash before 4 leaves the older keys in place: the next start unlocks with them and
//! finishes the erase. A crash inside 4 or before 5 leaves wrapped keys whose HSM key is gone:
//! the next start skips and forgets them (nothing needs them: step 3 proved it). A finished
//! erase leaves exactly one epoch of this node, in the store and in the token: a token key
//! that no stored epoch names (step 1 crashed after making it) is destroyed then, because
//! bytes sealed under its data key may sit in free pages, and nothing the store can read needs
//! it. Nothing is destroyed at start, when all the key service knows is what the database says:
//! a database altered to drop an epoch must not make the node destroy that epoch's key.

use std::collections::BTreeSet;
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hsm_client::{BridgeError, HsmClient, HsmError};
use keywarden_store::{
    EPOCH_KEY_LEN, EpochKey, NewEpoch, StorageEpochs, Store, StoreError, Unlock,
};

use crate::Kms;
use crate::error::KmsError;

/// Records per re-seal batch: one writer transaction each, so a commit waits at most about one
/// batch (a few milliseconds) behind the erase.
const RESEAL_BATCH: usize = 256;

/// Age after which the current epoch is erased even if nothing was destroyed: it bounds how
/// many records one data key seals with random 96-bit GCM nonces (a day of writes).
pub(crate) const MAX_EPOCH_AGE: Duration = Duration::from_secs(24 * 3600);

/// What one erase did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EraseReport {
    /// The storage epoch every record is sealed under now.
    pub epoch: u64,
    /// The epochs whose HSM keys this erase destroyed.
    pub destroyed: Vec<u64>,
    /// Records moved to the new epoch.
    pub resealed: u64,
    /// Records under an older epoch that no key opened (refused before, lost either way).
    pub unreadable: u64,
}

fn hsm_failed(step: &'static str) -> impl FnOnce(HsmError) -> KmsError {
    move |source| KmsError::EpochHsm { step, source }
}

fn store_failed(step: &'static str) -> impl FnOnce(StoreError) -> KmsError {
    move |source| KmsError::EpochStore { step, source }
}

/// Reads the storage epochs off the async workers.
async fn storage_epochs(store: &Store) -> Result<StorageEpochs, KmsError> {
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.storage_epochs())
        .await
        .map_err(|e| KmsError::Task(e.to_string()))?
        .map_err(store_failed("reading the storage epochs"))
}

/// Generates the HSM key and the data key of a new epoch, the data key wrapped by the former.
async fn make_epoch(hsm: &HsmClient, node: u64, epoch: u64) -> Result<NewEpoch, KmsError> {
    match hsm.create_epoch_key(node, epoch).await {
        // `epoch` is above every stored epoch, so an existing key is one no stored epoch names:
        // the answer to a first attempt was lost and the client retried, or a crashed earlier
        // start or erase made it. It sealed nothing the store can read; its data key is new.
        Ok(()) | Err(HsmError::Bridge(BridgeError::EpochKeyExists { .. })) => {}
        Err(e) => return Err(hsm_failed("creating the epoch key")(e)),
    }
    let dk = keywarden_crypto::random_bytes(EPOCH_KEY_LEN).map_err(KmsError::EpochKeyGeneration)?;
    let wrapped = hsm
        .wrap_epoch_data_key(node, epoch, &dk)
        .await
        .map_err(hsm_failed("wrapping the data key"))?;
    let key = EpochKey::new(dk).map_err(store_failed("taking the data key"))?;
    Ok(NewEpoch {
        epoch,
        wrapped,
        key,
    })
}

/// Unlocks the store with its epoch keys from the HSM (no-op when unlocked already).
///
/// - A store without epochs gets its first epoch (1, or the highest key of this node a crashed
///   first start left in the token). If it holds records, they are plain (written before
///   storage epochs) and the store seals them, but only if the token holds no epoch key at
///   all: a node whose token has epoch keys had sealed its records, so plain ones now mean the
///   database was replaced or its epochs removed, and they are refused. So is a database of
///   sealed records without epochs, before any key is made.
/// - A stored older epoch whose HSM key is gone was destroyed after a settle: it is skipped and
///   forgotten. The current epoch's key must be there.
/// - Nothing is destroyed here (see the module docs).
pub(crate) async fn unlock(store: &Store, hsm: &HsmClient) -> Result<StorageEpochs, KmsError> {
    if store.is_unlocked() {
        return storage_epochs(store).await;
    }
    let node = store.node_id().0;
    let state = storage_epochs(store).await?;
    let in_token = hsm
        .list_epoch_keys()
        .await
        .map_err(hsm_failed("listing the epoch keys"))?;
    let mine: BTreeSet<u64> = in_token
        .iter()
        .filter(|k| k.node == node)
        .map(|k| k.epoch)
        .collect();
    let mut skipped = Vec::new();
    let unlock = match state.current {
        None if state.holds_objects && !state.plain_records => {
            return Err(KmsError::EpochStore {
                step: "unlocking the store",
                source: StoreError::EpochsInconsistent {
                    reason: "the database holds sealed records but stores no storage epoch"
                        .to_owned(),
                },
            });
        }
        None if state.holds_objects && !in_token.is_empty() => {
            return Err(KmsError::EpochKeysWithoutEpochs {
                keys: in_token.len(),
            });
        }
        None => {
            // Reuse a key a crashed first start made (nothing was sealed under it), so a start
            // that keeps failing does not pile up keys.
            let first = mine.iter().next_back().copied().unwrap_or(1);
            Unlock {
                keys: Vec::new(),
                first: Some(make_epoch(hsm, node, first).await?),
            }
        }
        Some(current) => {
            let mut keys = Vec::new();
            for (epoch, blob) in &state.wrapped {
                match hsm.unwrap_epoch_data_key(node, *epoch, blob).await {
                    Ok(dk) => keys.push((
                        *epoch,
                        EpochKey::new(dk).map_err(store_failed("taking a data key"))?,
                    )),
                    Err(HsmError::Bridge(BridgeError::EpochKeyMissing { .. }))
                        if *epoch < current =>
                    {
                        tracing::info!(epoch, "storage epoch key destroyed by an erase; skipped");
                        skipped.push(*epoch);
                    }
                    Err(e) => return Err(hsm_failed("unwrapping a data key")(e)),
                }
            }
            Unlock { keys, first: None }
        }
    };
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.unlock(unlock))
        .await
        .map_err(|e| KmsError::Task(e.to_string()))?
        .map_err(store_failed("unlocking the store"))?;
    if !skipped.is_empty() {
        store
            .forget_epochs(skipped)
            .await
            .map_err(store_failed("forgetting destroyed epochs"))?;
    }
    let state = storage_epochs(store).await?;
    tracing::info!(
        epoch = state.current,
        older = ?state.older(),
        "store unlocked with its storage epoch keys"
    );
    Ok(state)
}

async fn destroy(
    hsm: &HsmClient,
    node: u64,
    epoch: u64,
    step: &'static str,
) -> Result<(), KmsError> {
    hsm.destroy_epoch_key(node, epoch)
        .await
        .map_err(hsm_failed(step))?;
    Ok(())
}

/// Opens the store of `config` and unlocks it through its HSM, for tools and tests that work
/// on a stopped node's data directory (the node must not run: the database has one writer).
pub async fn open_store(config: &crate::KmsConfig) -> Result<Store, KmsError> {
    let path = config.data_dir.join(crate::DATABASE_FILE);
    let options = crate::store_options(&config.store);
    let store = {
        let p = path.clone();
        tokio::task::spawn_blocking(move || Store::open(&p, options))
            .await
            .map_err(|e| KmsError::Task(e.to_string()))?
            .map_err(|source| KmsError::Store { path, source })?
    };
    let hsm = HsmClient::new(config.hsm_socket.clone());
    unlock(&store, &hsm).await?;
    Ok(store)
}

/// Runs one erase: a new epoch, every record moved to it, the older epochs' HSM keys
/// destroyed. Answers once complete. One erase runs at a time.
pub(crate) async fn erase(kms: &Kms) -> Result<EraseReport, KmsError> {
    let _one = kms.erase_lock.lock().await;
    let store = usable_store(kms)?;
    let node = store.node_id().0;
    let began = Instant::now();
    let state = storage_epochs(&store).await?;
    let result = async {
        // Above the current epoch and above any key a crashed earlier erase left in the token.
        let highest_key = own_epoch_keys(&kms.hsm, node)
            .await?
            .into_iter()
            .next_back();
        let next = state.current.max(highest_key).unwrap_or(0) + 1;
        let epoch = make_epoch(&kms.hsm, node, next).await?;
        store
            .begin_epoch(epoch)
            .await
            .map_err(store_failed("starting the new epoch"))?;
        finish(kms, &store, node).await
    }
    .await;
    report(kms, result, began)
}

/// Finishes an erase that a restart interrupted after its new epoch began (no new epoch);
/// `None` when, once it holds the erase lock, there is nothing left to finish (an erase that
/// was running when the schedule looked has completed it, and must not be counted twice).
pub(crate) async fn resume(kms: &Kms) -> Result<Option<EraseReport>, KmsError> {
    let _one = kms.erase_lock.lock().await;
    let store = usable_store(kms)?;
    if storage_epochs(&store).await?.older().is_empty() {
        return Ok(None);
    }
    let began = Instant::now();
    let result = finish(kms, &store, store.node_id().0).await;
    report(kms, result, began).map(Some)
}

fn usable_store(kms: &Kms) -> Result<Store, KmsError> {
    let store = kms
        .store()
        .ok_or(KmsError::EraseUnavailable("the key service is shut down"))?;
    if !store.is_unlocked() {
        return Err(KmsError::EraseUnavailable(
            "the store is not unlocked yet (its epoch keys need the HSM)",
        ));
    }
    Ok(store)
}

/// This node's epoch keys in the token.
async fn own_epoch_keys(hsm: &HsmClient, node: u64) -> Result<BTreeSet<u64>, KmsError> {
    Ok(hsm
        .list_epoch_keys()
        .await
        .map_err(hsm_failed("listing the epoch keys"))?
        .into_iter()
        .filter(|k| k.node == node)
        .map(|k| k.epoch)
        .collect())
}

/// Steps 2 to 5: re-seal, settle, destroy every other key of this node, forget every other
/// epoch. Afterwards the store and the token hold exactly the current epoch.
async fn finish(kms: &Kms, store: &Store, node: u64) -> Result<EraseReport, KmsError> {
    let mut after = None;
    let (mut resealed, mut unreadable) = (0u64, 0u64);
    loop {
        let batch = store
            .reseal(after, RESEAL_BATCH)
            .await
            .map_err(store_failed("re-sealing records"))?;
        resealed += batch.resealed as u64;
        unreadable += batch.unreadable as u64;
        match batch.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    store
        .settle()
        .await
        .map_err(store_failed("settling the erase"))?;
    // From here no record needs any epoch but the current one: the older ones the store held
    // keys for, and any token key no stored epoch names.
    let state = storage_epochs(store).await?;
    let current = state.current.unwrap_or(0);
    let mut destroyed = Vec::new();
    for epoch in own_epoch_keys(&kms.hsm, node).await? {
        if epoch != current {
            destroy(&kms.hsm, node, epoch, "destroying an older epoch key").await?;
            destroyed.push(epoch);
        }
    }
    let forget: Vec<u64> = state
        .wrapped
        .iter()
        .map(|(e, _)| *e)
        .filter(|e| *e != current)
        .collect();
    store
        .forget_epochs(forget)
        .await
        .map_err(store_failed("forgetting the older epochs"))?;
    Ok(EraseReport {
        epoch: current,
        destroyed,
        resealed,
        unreadable,
    })
}

fn report(
    kms: &Kms,
    result: Result<EraseReport, KmsError>,
    began: Instant,
) -> Result<EraseReport, KmsError> {
    match &result {
        Ok(r) => {
            kms.metrics.erases.inc();
            kms.metrics
                .storage_epoch
                .set(i64::try_from(r.epoch).unwrap_or(i64::MAX));
            tracing::info!(
                epoch = r.epoch,
                destroyed = ?r.destroyed,
                resealed = r.resealed,
                unreadable = r.unreadable,
                seconds = began.elapsed().as_secs_f64(),
                "storage erase complete"
            );
        }
        Err(e) => {
            kms.metrics.erase_failures.inc();
            tracing::error!(error = %e, "storage erase failed; older epoch keys are kept");
        }
    }
    result
}

/// Whether an erase is due: an older epoch left by an interrupted one; a change since the
/// current epoch began that an older sealed copy of its record would undo (a Destroy, a Revoke
/// of any reason, an owner change) or a restart since then, after which the store assumes one
/// (`StorageEpochs::erase_pending`: nothing in the file can prove that nothing changed); or a
/// current epoch older than [`MAX_EPOCH_AGE`].
fn due(state: &StorageEpochs, now_unix: i64) -> bool {
    let age = state.current_since.map_or(0, |since| now_unix - since);
    !state.older().is_empty()
        || state.erase_pending
        || u64::try_from(age).is_ok_and(|a| a >= MAX_EPOCH_AGE.as_secs())
}

/// Checks every `interval` whether an erase is due and runs it; finishes an interrupted one
/// as soon as the store is unlocked.
pub(crate) async fn schedule(kms: Weak<Kms>, interval: Duration) {
    // Polled briefly until the store is unlocked, so a restart in the middle of an erase
    // finishes it soon; from then on, once per interval.
    let mut unlocked = false;
    loop {
        let wait = if unlocked {
            interval
        } else {
            Duration::from_millis(100).min(interval)
        };
        tokio::time::sleep(wait).await;
        let Some(kms) = kms.upgrade() else { return };
        if kms.closed.load(Ordering::Acquire) {
            return;
        }
        let Some(store) = kms.store().filter(Store::is_unlocked) else {
            continue;
        };
        let state = match storage_epochs(&store).await {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!(error = %e, "erase schedule cannot read the storage epochs");
                continue;
            }
        };
        let first = !unlocked;
        unlocked = true;
        // A failure is logged and counted by `report`; the next check tries again.
        if !state.older().is_empty() {
            let _ = resume(&kms).await;
        } else if !first && due(&state, crate::clock::unix_now()) {
            let _ = erase(&kms).await;
        }
    }
}

/// Copies the store's epoch state into the gauges (called by the health loop).
pub(crate) fn update_gauges(kms: &Kms, state: &StorageEpochs, now_unix: i64) {
    let m = &kms.metrics;
    m.storage_epoch.set(
        state
            .current
            .map_or(0, |e| i64::try_from(e).unwrap_or(i64::MAX)),
    );
    m.erase_pending.set(i64::from(state.erase_pending));
    if let Some(since) = state.last_erase.or(state.current_since) {
        m.seconds_since_erase.set((now_unix - since).max(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(older: bool, pending: bool, since: i64) -> StorageEpochs {
        StorageEpochs {
            current: Some(3),
            current_since: Some(since),
            wrapped: if older {
                vec![(2, vec![1]), (3, vec![1])]
            } else {
                vec![(3, vec![1])]
            },
            erase_pending: pending,
            ..StorageEpochs::default()
        }
    }

    #[test]
    fn an_erase_is_due_after_a_destroy_an_interruption_or_a_day() {
        let now = 1_000_000;
        assert!(!due(&state(false, false, now - 10), now));
        assert!(
            due(&state(false, true, now - 10), now),
            "a Destroy, Revoke or restart"
        );
        assert!(
            due(&state(true, false, now - 10), now),
            "an interrupted erase"
        );
        let day = i64::try_from(MAX_EPOCH_AGE.as_secs()).expect("fits");
        assert!(!due(&state(false, false, now - day + 1), now));
        assert!(due(&state(false, false, now - day), now), "a day old");
    }
}
