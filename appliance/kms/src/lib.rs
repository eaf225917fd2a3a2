//! The key service: KMIP operation semantics over the store, the crypto layer and the HSM.
//!
//! Owns lifecycle rules, ownership and permissions, the domain KEK in memory, the audit log and
//! the typed entry point [`Kms::execute`]: a typed request in, a typed response or an
//! [`OpError`] out. It never sees protocol bytes or Result Reasons (the KMIP message layer,
//! `keywarden-kmip-server`, decodes, batches and maps errors), never loads PKCS#11 (that is
//! `hsm-bridge`), never listens on a socket (that is `kmsd`), and never stores key material
//! that is not sealed under the domain KEK.
//!
//! API contract used by `kmsd`:
//!
//! ```ignore
//! pub struct KmsConfig { pub data_dir: PathBuf, pub hsm_socket: PathBuf,
//!                        pub authorization: keywarden_authz::Policy, pub hsm_loss: HsmLossPolicy,
//!                        pub erase_interval: Duration, pub store: StoreOptions }
//! pub struct Caller { pub identity: String, pub role: Role, pub domain: String }
//! impl Kms { pub fn caller(&self, identity: &keywarden_authz::Identity) -> Caller; }  // role from the policy
//! pub struct Readiness { pub ready: bool, pub reasons: Vec<String> }
//! impl Kms {
//!     pub async fn open(config: KmsConfig, registry: &mut prometheus_client::registry::Registry)
//!         -> Result<std::sync::Arc<Kms>, KmsError>;   // does not fail when the HSM is down: not ready instead
//!     pub async fn execute(&self, caller: &Caller, request: Request) -> Result<ResponsePayload, OpError>; // audited, never panics
//!     pub async fn record_refused(&self, caller: &Caller, operation: Option<Operation>, ..); // audits a front end's refusal
//!     pub async fn readiness(&self) -> Readiness;
//!     pub async fn erase_storage(&self) -> Result<EraseReport, KmsError>; // answers once complete
//!     pub async fn shutdown(&self);                      // flushes and closes the store
//! }
//! ```
//!
//! How the spec is read here (KMIP 1.0 to 2.1; the KMIP listener maps each [`OpError`] to the
//! Result Reason the client's version defines, so a 1.x client never sees a 2.x-only one):
//!
//! - State rules: Pre-Active objects serve no cryptographic use; Active ones every use their
//!   usage mask allows (within Process Start / Protect Stop Dates); Deactivated and Compromised
//!   ones only decrypt / verify / MAC-verify; Destroyed ones have no material (attributes stay).
//!   Broken rule: Wrong Key Lifecycle State (2.x) / Permission Denied (1.x). Missing usage bit:
//!   Incompatible Cryptographic Usage Mask (2.x) / Permission Denied (1.x).
//! - Destroy refuses Active objects (revoke first); Revoke with a compromise reason works from
//!   every state, other reasons deactivate Active objects only (Pre-Active is refused).
//! - Material of a destroyed object: Object Destroyed (2.x) / Key Value Not Present (1.2–1.4).
//! - Domain KEK not unwrapped (HSM away): General Failure with a "retry later" message — no
//!   Result Reason names an unavailable HSM, and General Failure exists in every version.
//! - Ownership and roles: the creator owns an object. Who may see and act on which object is
//!   one rule for every operation, in [`access`]: an object the caller may not see answers Item
//!   Not Found (the same answer as a missing identifier, so identifiers cannot be probed) and
//!   Locate leaves it out; one it sees but may not act on answers Permission Denied.
//! - Batch Error Continuation Stop (the default): items after a failure get no response item.
//! - A stored record that fails authentication at rest: Operation Failed / General Failure
//!   naming the object; it is counted (`store_records_rejected_total`) and never served, and
//!   every other object keeps serving.
//!
//! Storage epochs ([`epochs`]): the store opens locked; the key service unlocks it with the
//! data keys of its storage epochs, unwrapped by epoch keys inside the HSM, and erases (new
//! epoch, records re-sealed, older HSM keys destroyed) every `erase_interval` when something
//! was destroyed, when the epoch is a day old, or at once on [`Kms::erase_storage`].

mod access;
mod attrs;
mod audit;
pub mod clock;
mod cpu;
mod epochs;
mod error;
mod execute;
mod hsm_policy;
mod keyring;
mod material;
mod metrics;
mod object;
mod op_error;
mod ops;
mod policy;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use hsm_client::HsmClient;
use keywarden_store::{DomainKek, Store};
use tokio::task::JoinHandle;

pub use audit::{AUDIT_DIR, AuditReadError, ConflictReadError, audit_dir};
pub use epochs::{EraseReport, open_store};
pub use error::KmsError;
pub use execute::Request;
pub use hsm_policy::HsmLossPolicy;
pub use keywarden_authz::{Identity, Policy, Role};
/// Tuning of the node's store, part of [`KmsConfig`].
pub use keywarden_store::{Conflict, ConflictKind, Hlc, NodeId, Stamp, StoreOptions};
pub use object::index_terms;
pub use op_error::OpError;

/// The tenant domain every object belongs to until multi-domain support lands.
pub const DEFAULT_DOMAIN: &str = keywarden_authz::DEFAULT_DOMAIN;

/// File name of the node database inside the data directory.
pub const DATABASE_FILE: &str = "keywarden.redb";

/// How long a health answer of the HSM stays fresh for [`Kms::readiness`].
const HEALTH_TTL: Duration = Duration::from_secs(1);

/// How long a failed HSM health check is reused.
const HEALTH_FAILURE_TTL: Duration = Duration::from_millis(50);

/// How often the erase schedule looks whether an erase is due, by default: the bound on the
/// time from a Destroy to its material's erasure (plus the time an erase takes).
pub const DEFAULT_ERASE_INTERVAL: Duration = Duration::from_secs(3600);

/// Stripes of the per-object mutation locks.
const LOCK_STRIPES: usize = 256;

/// RSA key generations allowed at once (each takes up to seconds of one core).
const RSA_KEYGEN_CONCURRENCY: usize = 2;

/// What the key service needs to start.
#[derive(Clone, Debug)]
pub struct KmsConfig {
    /// Directory holding the node database.
    pub data_dir: PathBuf,
    /// Unix socket of `hsm-bridge`.
    pub hsm_socket: PathBuf,
    /// The roles of caller identities (the authorization file).
    pub authorization: Policy,
    /// What to do while the HSM does not answer.
    pub hsm_loss: HsmLossPolicy,
    /// How often to check whether a storage erase is due ([`DEFAULT_ERASE_INTERVAL`]).
    pub erase_interval: Duration,
    /// Tuning of the node's store.
    pub store: StoreOptions,
}

/// Who sends a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Caller {
    /// Identity from the client certificate: its subject DN (RFC 4514) or configured SAN. It is
    /// the owner of the objects the caller creates. Shared with every audit entry of the
    /// connection.
    pub identity: Arc<str>,
    /// The role the authorization file grants it.
    pub role: Role,
    /// The tenant domain it acts in.
    pub domain: String,
    /// The client's address, for the audit log; `None` for a local caller.
    pub client: Option<std::net::SocketAddr>,
}

impl Caller {
    /// A caller with the given identity string and role in the default domain.
    pub fn new(identity: &str, role: Role) -> Caller {
        Caller {
            identity: Arc::from(identity),
            role,
            domain: DEFAULT_DOMAIN.to_owned(),
            client: None,
        }
    }
}

/// Whether this node can serve, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// True when the KEK is unwrapped and the HSM answers.
    pub ready: bool,
    /// Why the node is not ready; empty when ready.
    pub reasons: Vec<String>,
    /// The HSM-loss policy in force (reported by `/readyz`).
    pub hsm_loss: HsmLossPolicy,
}

/// The cached result of the last HSM health check.
struct HealthCache {
    at: Option<Instant>,
    result: Result<(), String>,
}

/// Why the store may not be usable, as last seen.
#[derive(Default)]
struct StoreErrors {
    /// The last commit failed in the store itself (closed writer, database or I/O error);
    /// cleared by the next successful commit.
    commit: Option<String>,
    /// The last background read probe failed; cleared by the next successful probe.
    probe: Option<String>,
}

/// The key service of one node.
pub struct Kms {
    config: KmsConfig,
    store: Mutex<Option<Store>>,
    hsm: HsmClient,
    kek: OnceLock<Arc<DomainKek>>,
    kek_error: Mutex<Option<String>>,
    /// The node's audit log, open once the HSM answered at least once.
    audit: OnceLock<Arc<keywarden_audit::AuditLog>>,
    health: Mutex<HealthCache>,
    health_refresh: tokio::sync::Mutex<()>,
    /// The last HSM health check passed (read per request by the HSM-loss policy).
    hsm_ok: AtomicBool,
    store_errors: Mutex<StoreErrors>,
    metrics: metrics::Metrics,
    locks: Vec<tokio::sync::Mutex<()>>,
    rsa_keygen: Arc<tokio::sync::Semaphore>,
    /// Private-key operations, off the async workers.
    cpu: cpu::CpuPool,
    /// One storage erase at a time.
    erase_lock: tokio::sync::Mutex<()>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    closed: AtomicBool,
}

impl std::fmt::Debug for Kms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kms")
            .field("data_dir", &self.config.data_dir)
            .field("kek_ready", &self.kek.get().is_some())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every guarded value here is replaced whole, never left half-updated.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Kms {
    /// Opens the store and starts unwrapping the domain KEK; a down HSM makes the service not
    /// ready instead of failing, and a background task keeps trying until the KEK is unwrapped.
    pub async fn open(
        config: KmsConfig,
        registry: &mut prometheus_client::registry::Registry,
    ) -> Result<Arc<Kms>, KmsError> {
        // A zero interval would make the erase schedule spin.
        if config.erase_interval.is_zero() {
            return Err(KmsError::Config {
                field: "erase_interval",
                reason: "must be more than zero".to_owned(),
            });
        }
        std::fs::create_dir_all(&config.data_dir).map_err(|source| KmsError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let path = config.data_dir.join(DATABASE_FILE);
        let store = {
            let p = path.clone();
            let options = store_options(&config.store);
            tokio::task::spawn_blocking(move || Store::open(&p, options))
                .await
                .map_err(|e| KmsError::Task(e.to_string()))?
                .map_err(|source| KmsError::Store { path, source })?
        };
        let hsm = HsmClient::new(config.hsm_socket.clone()).with_timeout(Duration::from_secs(3));
        let metrics = metrics::Metrics::register(registry);
        metrics
            .hsm_loss_policy
            .get_or_create(&vec![(
                "policy".to_owned(),
                config.hsm_loss.as_str().to_owned(),
            )])
            .set(1);
        let cpu = cpu::CpuPool::new().counting(metrics.cpu_jobs.clone());
        let kms = Arc::new(Kms {
            config,
            store: Mutex::new(Some(store)),
            hsm,
            kek: OnceLock::new(),
            kek_error: Mutex::new(Some("domain KEK not unwrapped yet".to_owned())),
            audit: OnceLock::new(),
            health: Mutex::new(HealthCache {
                at: None,
                result: Err("HSM not checked yet".to_owned()),
            }),
            health_refresh: tokio::sync::Mutex::new(()),
            hsm_ok: AtomicBool::new(false),
            store_errors: Mutex::new(StoreErrors::default()),
            metrics,
            locks: (0..LOCK_STRIPES)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            rsa_keygen: Arc::new(tokio::sync::Semaphore::new(RSA_KEYGEN_CONCURRENCY)),
            cpu,
            erase_lock: tokio::sync::Mutex::new(()),
            tasks: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        });
        if let Err(e) = keyring::load_or_create_kek(&kms).await {
            tracing::warn!(error = %e, "domain KEK not available yet; retrying in the background");
            *lock(&kms.kek_error) = Some(e.to_string());
            let task = tokio::spawn(keyring::retry_kek(Arc::downgrade(&kms)));
            lock(&kms.tasks).push(task);
        }
        let health = tokio::spawn(keyring::health_loop(Arc::downgrade(&kms)));
        lock(&kms.tasks).push(health);
        let erase = tokio::spawn(epochs::schedule(
            Arc::downgrade(&kms),
            kms.config.erase_interval,
        ));
        lock(&kms.tasks).push(erase);
        Ok(kms)
    }

    /// Erases now: starts a new storage epoch, moves every record to it and destroys the
    /// older epochs' keys in the HSM, so no material destroyed before this call can be
    /// recovered from the data directory, even with the HSM. Answers once complete, with the
    /// new epoch.
    pub async fn erase_storage(&self) -> Result<EraseReport, KmsError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(KmsError::EraseUnavailable("the key service is shut down"));
        }
        epochs::erase(self).await
    }

    /// Ready iff the domain KEK is unwrapped, a fresh HSM health check passes and the store
    /// answers reads and took the last commit.
    pub async fn readiness(&self) -> Readiness {
        let mut reasons = Vec::new();
        if self.kek.get().is_none() {
            let why = lock(&self.kek_error)
                .clone()
                .unwrap_or_else(|| "domain KEK not unwrapped yet".to_owned());
            reasons.push(format!("domain KEK unavailable: {why}"));
        }
        match self.audit.get() {
            None => reasons.push("audit log not open yet (it needs the HSM)".to_owned()),
            Some(log) => {
                if let Some(why) = log.failure() {
                    reasons.push(format!("audit log failed: {why}"));
                }
            }
        }
        if let Err(why) = self.hsm_health(false).await {
            let consequence = match self.config.hsm_loss {
                HsmLossPolicy::KeepServing => {
                    "policy keep-serving: key operations continue from the cached domain KEK"
                }
                HsmLossPolicy::Refuse => "policy refuse: requests are refused until it answers",
            };
            reasons.push(format!("HSM not healthy: {why} ({consequence})"));
        }
        {
            let store = lock(&self.store_errors);
            if let Some(why) = &store.commit {
                reasons.push(format!("store not writable: last commit failed: {why}"));
            }
            if let Some(why) = &store.probe {
                reasons.push(format!("store not readable: {why}"));
            }
        }
        if self.store().is_some_and(|s| !s.is_unlocked()) {
            reasons.push(
                "store locked: its storage epoch keys are not unwrapped through the HSM yet"
                    .to_owned(),
            );
        }
        if self.closed.load(Ordering::Acquire) {
            reasons.push("key service is shut down".to_owned());
        }
        Readiness {
            ready: reasons.is_empty(),
            reasons,
            hsm_loss: self.config.hsm_loss,
        }
    }

    /// Stops the background tasks, waits for queued writes to be durable and closes the store.
    pub async fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.tasks));
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
        let store = lock(&self.store).take();
        if let Some(store) = store {
            store.close().await;
        }
        if let Some(log) = self.audit.get() {
            let log = Arc::clone(log);
            match tokio::task::spawn_blocking(move || log.close()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "closing the audit log"),
                Err(e) => tracing::error!(error = %e, "audit close task"),
            }
        }
    }

    /// The HSM health, from the cache when it is younger than [`HEALTH_TTL`] unless `force`.
    ///
    /// One check runs at a time; while one is in flight, callers get the last answer instead
    /// of queueing behind a slow HSM (so `/readyz` stays cheap even when the HSM hangs).
    async fn hsm_health(&self, force: bool) -> Result<(), String> {
        let cached = |fresh_only: bool| {
            let cache = lock(&self.health);
            // A failure is reused only briefly, so readiness follows a recovering HSM (or a
            // bridge that is still starting) within a fraction of a second.
            let ttl = if cache.result.is_ok() {
                HEALTH_TTL
            } else {
                HEALTH_FAILURE_TTL
            };
            match cache.at {
                Some(at) if !fresh_only || at.elapsed() < ttl => Some(cache.result.clone()),
                _ => None,
            }
        };
        if !force && let Some(result) = cached(true) {
            return result;
        }
        let _refresh = match self.health_refresh.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                if let Some(result) = cached(false) {
                    return result;
                }
                self.health_refresh.lock().await
            }
        };
        let result = match self.hsm.health().await {
            Ok(report) if report.ok => Ok(()),
            Ok(report) => Err(report
                .reason
                .unwrap_or_else(|| "token not usable".to_owned())),
            Err(e) => Err(e.to_string()),
        };
        self.metrics.hsm_up.set(i64::from(result.is_ok()));
        self.hsm_ok.store(result.is_ok(), Ordering::Release);
        // The client reports the latency of its last successful call only.
        if result.is_ok()
            && let Some(latency) = self.hsm.last_latency()
        {
            self.metrics.hsm_latency.observe(latency.as_secs_f64());
        }
        let mut cache = lock(&self.health);
        cache.at = Some(Instant::now());
        cache.result = result.clone();
        result
    }

    /// Remembers the outcome of a commit for readiness: a failure of the store itself (not a
    /// rejected request) makes the node not ready until a later commit succeeds.
    fn note_commit(&self, result: Result<(), &keywarden_store::StoreError>) {
        use keywarden_store::StoreError as E;
        match result {
            Ok(()) => lock(&self.store_errors).commit = None,
            Err(e @ (E::Closed | E::Database(_) | E::Commit { .. } | E::Io { .. })) => {
                lock(&self.store_errors).commit = Some(e.to_string());
            }
            Err(_) => {}
        }
    }

    /// Remembers the outcome of the background store probe for readiness.
    fn note_probe(&self, result: Result<(), String>) {
        lock(&self.store_errors).probe = result.err();
    }

    /// A handle on the store, unless the service is shut down.
    fn store(&self) -> Option<Store> {
        lock(&self.store).clone()
    }

    /// The caller of an authenticated identity, with the role its grant gives.
    pub fn caller(&self, identity: &Identity) -> Caller {
        let grant = self.config.authorization.grant(identity);
        Caller {
            identity: Arc::from(identity.to_string()),
            role: grant.role,
            domain: grant.domain,
            client: None,
        }
    }

    /// The mutation lock of one object.
    fn object_lock(&self, uuid: &str) -> &tokio::sync::Mutex<()> {
        // FNV-1a: cheap, stable, and uuids are random anyway.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in uuid.as_bytes() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        let i = usize::try_from(h % LOCK_STRIPES as u64).unwrap_or(0);
        &self.locks[i % self.locks.len()]
    }
}

/// The store options the key service opens its store with: the caller's, with the key
/// service's rule for the Locate terms of records merged with a peer's.
pub(crate) fn store_options(given: &StoreOptions) -> StoreOptions {
    StoreOptions {
        indexer: Some(keywarden_store::Indexer(std::sync::Arc::new(index_terms))),
        ..given.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keywarden_kmip::enums::ObjectType;
    use keywarden_kmip::message::ProtocolVersion;

    /// A key service whose HSM socket does not exist: not ready for that reason, but its
    /// store works.
    async fn without_hsm(dir: &std::path::Path) -> Arc<Kms> {
        let config = KmsConfig {
            data_dir: dir.join("data"),
            hsm_socket: dir.join("no-bridge.sock"),
            authorization: Policy::default(),
            hsm_loss: HsmLossPolicy::default(),
            erase_interval: DEFAULT_ERASE_INTERVAL,
            store: StoreOptions::default(),
        };
        let mut registry = prometheus_client::registry::Registry::default();
        let kms = Kms::open(config, &mut registry).await.expect("open");
        // No HSM: unlock the store with a key of the test's own.
        let key = keywarden_store::EpochKey::new(zeroize::Zeroizing::new(vec![3u8; 32]))
            .expect("epoch key");
        kms.store()
            .expect("store")
            .unlock(keywarden_store::Unlock {
                keys: Vec::new(),
                first: Some(keywarden_store::NewEpoch {
                    epoch: 1,
                    wrapped: b"test".to_vec(),
                    key,
                }),
            })
            .expect("unlock");
        kms
    }

    fn store_reasons(r: &Readiness) -> Vec<&String> {
        r.reasons
            .iter()
            .filter(|m| m.starts_with("store "))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn execute_answers_typed_payloads_and_typed_errors() {
        use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
        let dir = tempfile::tempdir().expect("temp dir");
        let kms = without_hsm(dir.path()).await;
        let caller = Caller::new("CN=alice", Role::CryptoUser);
        let v21 = ProtocolVersion::V2_1;
        // Discover Versions needs neither the HSM nor the audit log.
        let versions = RequestPayload::DiscoverVersions { versions: vec![] };
        match kms.execute(&caller, Request::new(v21, versions)).await {
            Ok(ResponsePayload::DiscoverVersions { versions }) => {
                assert!(versions.contains(&v21), "{versions:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
        // Anything that touches an object waits for the audit log, which needs the HSM: a
        // typed Unavailable, not a protocol code.
        let get = RequestPayload::Get {
            unique_identifier: Some("0190-no-such".to_owned()),
            key_format_type: None,
            key_compression_type: None,
            key_wrapping_specification: None,
        };
        let err = kms
            .execute(&caller, Request::new(v21, get))
            .await
            .expect_err("no audit log yet");
        assert!(
            matches!(&err, OpError::Unavailable(m) if m.contains("audit log")),
            "{err:?}"
        );
        assert_eq!(err.kind(), "unavailable");
        kms.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_commit_makes_the_node_not_ready_until_one_succeeds() {
        let dir = tempfile::tempdir().expect("temp dir");
        let kms = without_hsm(dir.path()).await;
        // No background probe racing the assertions below.
        for t in lock(&kms.tasks).drain(..) {
            t.abort();
        }
        let caller = Caller::new("CN=alice", Role::CryptoUser);
        let ctx = ops::Ctx::new(
            &kms,
            &caller,
            access::Access::Create,
            ProtocolVersion { major: 2, minor: 1 },
            None,
        );
        let obj = ctx.new_object(ObjectType::OpaqueObject).expect("object");
        ctx.commit(vec![obj])
            .await
            .expect("commit while the store is open");
        ctx.durable()
            .await
            .expect("durable while the store is open");
        assert!(store_reasons(&kms.readiness().await).is_empty());
        // Closing one handle stops the writer for every clone: the next commit fails.
        kms.store().expect("store").close().await;
        let obj = ctx.new_object(ObjectType::OpaqueObject).expect("object");
        ctx.commit(vec![obj]).await.expect_err("writer is gone");
        let r = kms.readiness().await;
        assert!(!r.ready);
        let reasons = store_reasons(&r);
        assert_eq!(reasons.len(), 1, "{r:?}");
        assert!(reasons[0].contains("store is closed"), "{r:?}");
        // A later successful commit clears it; a rejected request does not set it.
        kms.note_commit(Ok(()));
        kms.note_commit(Err(&keywarden_store::StoreError::Invalid {
            field: "uuid",
            reason: "empty".to_owned(),
        }));
        assert!(store_reasons(&kms.readiness().await).is_empty());
        kms.note_probe(Err("database error: io".to_owned()));
        assert_eq!(store_reasons(&kms.readiness().await).len(), 1);
        kms.note_probe(Ok(()));
        assert!(store_reasons(&kms.readiness().await).is_empty());
    }
}
