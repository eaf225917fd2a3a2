//! The domain KEK: unwrapped through the HSM at start, created on first start, retried in the
//! background while the HSM is away; and the once-a-second health loop.

use std::sync::{Arc, Weak};
use std::time::Duration;

use keywarden_crypto as crypto;
use keywarden_store::{DomainKek, KEK_LEN, WriteOp};
use zeroize::Zeroizing;

use crate::{DEFAULT_DOMAIN, Kms, lock};

/// Version of the first KEK of a domain (KEK rotation will count up from here).
const FIRST_KEK_VERSION: u32 = 1;

/// Longest wait between two attempts to unwrap the KEK.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Unlocks the store with its storage epoch keys, then unwraps the domain KEK stored for this
/// node, or creates, wraps and stores one.
pub(crate) async fn load_or_create_kek(kms: &Kms) -> Result<(), String> {
    let store = kms.store().ok_or("store is closed")?;
    let epochs = crate::epochs::unlock(&store, &kms.hsm)
        .await
        .map_err(|e| format!("unlocking the store: {e}"))?;
    crate::epochs::update_gauges(kms, &epochs, crate::clock::unix_now());
    if kms.kek.get().is_none() {
        load_or_create_domain_kek(kms).await?;
    }
    // The audit log's key is wrapped by the same HSM, so it opens as soon as the HSM answers.
    crate::audit::open(kms).await
}

/// The domain KEK part of [`load_or_create_kek`].
async fn load_or_create_domain_kek(kms: &Kms) -> Result<(), String> {
    let store = kms.store().ok_or("store is closed")?;
    let wrapped = store
        .wrapped_kek(DEFAULT_DOMAIN)
        .map_err(|e| format!("store: {e}"))?;
    let kek: Zeroizing<Vec<u8>> = match wrapped {
        Some(blob) => kms
            .hsm
            .unwrap_kek(DEFAULT_DOMAIN, &blob)
            .await
            .map_err(|e| format!("unwrapping the domain KEK: {e}"))?,
        None => {
            let kek = crypto::random_bytes(KEK_LEN).map_err(|e| format!("KEK generation: {e}"))?;
            let blob = kms
                .hsm
                .wrap_kek(DEFAULT_DOMAIN, &kek)
                .await
                .map_err(|e| format!("wrapping the new domain KEK: {e}"))?;
            // Durable before first use: material sealed under a KEK that is not stored would be lost.
            store
                .commit(vec![WriteOp::PutWrappedKek {
                    domain: DEFAULT_DOMAIN.to_owned(),
                    blob,
                }])
                .await
                .map_err(|e| format!("storing the wrapped KEK: {e}"))?;
            tracing::info!(domain = DEFAULT_DOMAIN, "created a new domain KEK");
            kek
        }
    };
    let kek = DomainKek::new(kek, FIRST_KEK_VERSION).map_err(|e| format!("domain KEK: {e}"))?;
    // A concurrent attempt may have won; both hold the same key, keep the first.
    let _ = kms.kek.set(Arc::new(kek));
    *lock(&kms.kek_error) = None;
    tracing::info!(domain = DEFAULT_DOMAIN, "domain KEK unwrapped");
    Ok(())
}

/// Keeps trying to get the KEK, backing off up to [`MAX_BACKOFF`], until it succeeds or the
/// service goes away.
pub(crate) async fn retry_kek(kms: Weak<Kms>) {
    // Start small: at boot the bridge is usually seconds from ready, not minutes, and start-up
    // time counts; back off geometrically so a dead HSM is not hammered.
    let mut wait = Duration::from_millis(20);
    loop {
        tokio::time::sleep(wait).await;
        let Some(kms) = kms.upgrade() else { return };
        if kms.closed.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        match load_or_create_kek(&kms).await {
            Ok(()) => return,
            Err(e) => {
                tracing::debug!(error = %e, "domain KEK still unavailable");
                *lock(&kms.kek_error) = Some(e);
            }
        }
        wait = (wait * 3 / 2).min(MAX_BACKOFF);
    }
}

/// Refreshes the HSM health cache and the gauges every second.
pub(crate) async fn health_loop(kms: Weak<Kms>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(kms) = kms.upgrade() else { return };
        if kms.closed.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let _ = kms.hsm_health(true).await;
        if let Some(store) = kms.store() {
            kms.metrics.store_writes.update(store.write_stats());
            // Doubles as the store's read probe for readiness. The store exposes nothing about
            // its writer's health between commits; a dead writer shows in the next commit's
            // error.
            let stats = tokio::task::spawn_blocking(move || {
                Ok::<_, keywarden_store::StoreError>((store.stats()?, store.storage_epochs()?))
            })
            .await;
            match stats {
                Ok(Ok((stats, epochs))) => {
                    kms.note_probe(Ok(()));
                    crate::epochs::update_gauges(&kms, &epochs, crate::clock::unix_now());
                    kms.metrics
                        .store_objects
                        .set(i64::try_from(stats.objects).unwrap_or(i64::MAX));
                    kms.metrics
                        .store_file_bytes
                        .set(i64::try_from(stats.file_bytes).unwrap_or(i64::MAX));
                }
                Ok(Err(e)) => kms.note_probe(Err(e.to_string())),
                Err(e) => kms.note_probe(Err(format!("store probe task failed: {e}"))),
            }
        }
    }
}

/// The domain KEK, or the KMIP error every material operation answers while it is missing.
pub(crate) fn kek(kms: &Kms) -> Result<Arc<DomainKek>, crate::OpError> {
    kms.kek.get().cloned().ok_or_else(|| {
        let why = lock(&kms.kek_error).clone().unwrap_or_default();
        // No Result Reason names "HSM unavailable"; General Failure is the one every protocol
        // version defines for a server-side condition the client cannot fix, and the message
        // says to retry.
        crate::OpError::Unavailable(format!(
            "key material is unavailable: the domain KEK is not unwrapped ({why}); retry later"
        ))
    })
}
