//! The node's audit log as the key service uses it: opened once the HSM answers, one entry per
//! request, state changes durable before their response.
//!
//! The log's signing key is an Ed25519 key of this node alone. It is stored only wrapped by the
//! node's HSM root key (`<data>/audit/signing-key.hsm`, the bridge's KEK wrapping bound to a
//! label of its own), so a copy of the data directory without the HSM cannot forge
//! checkpoints, and it is never replicated. Until the log is open (the HSM is away at start),
//! every request but Discover Versions and Query is refused and the node is not ready.

use std::path::PathBuf;
use std::sync::Arc;

use keywarden_audit::{
    AuditEntry, AuditLog, AuditOptions, AuditRecord, Durability, Ed25519Signer, ObjectIds, Outcome,
    ReasonMessage, Timestamp,
};
use keywarden_kmip::enums::Operation;
use keywarden_kmip::payload::ResponsePayload;
use zeroize::Zeroizing;

use crate::{Caller, Kms, Role};

/// Directory of the audit log inside the data directory.
pub const AUDIT_DIR: &str = "audit";
/// The HSM-wrapped PKCS#8 of the log's signing key, inside [`AUDIT_DIR`].
const SIGNING_KEY_FILE: &str = "signing-key.hsm";
/// The label the HSM binds the wrapped signing key to (never a tenant domain name: those are
/// plain words, this one has a colon).
const SIGNING_KEY_LABEL: &str = "node:audit-signing-key";

/// Why the audit log cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum AuditReadError {
    /// The caller's role is neither admin nor auditor.
    #[error("the {0} role may not read the audit log")]
    Forbidden(Role),
    /// The log is not open (HSM unavailable at start).
    #[error("the audit log is not open yet")]
    NotOpen,
    /// The records do not verify or cannot be read.
    #[error("audit log: {0}")]
    Verify(#[from] keywarden_audit::VerifyError),
    /// The read task failed.
    #[error("audit read task: {0}")]
    Task(String),
}

/// The audit directory of a data directory.
pub fn audit_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join(AUDIT_DIR)
}

/// Opens the log, creating its signing key (wrapped by the HSM) on first start.
pub(crate) async fn open(kms: &Kms) -> Result<(), String> {
    if kms.audit.get().is_some() {
        return Ok(());
    }
    let dir = audit_dir(&kms.config.data_dir);
    let key_file = dir.join(SIGNING_KEY_FILE);
    let existing = {
        let path = key_file.clone();
        tokio::task::spawn_blocking(move || match std::fs::read(&path) {
            Ok(blob) => Ok(Some(blob)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        })
        .await
        .map_err(|e| e.to_string())??
    };
    let pkcs8: Zeroizing<Vec<u8>> = match existing {
        Some(blob) => kms
            .hsm
            .unwrap_kek(SIGNING_KEY_LABEL, &blob)
            .await
            .map_err(|e| format!("unwrapping the audit signing key: {e}"))?,
        None => {
            let pkcs8 = Ed25519Signer::generate_pkcs8().map_err(|e| e.to_string())?;
            let blob = kms
                .hsm
                .wrap_kek(SIGNING_KEY_LABEL, &pkcs8)
                .await
                .map_err(|e| format!("wrapping the new audit signing key: {e}"))?;
            let (dir, path) = (dir.clone(), key_file.clone());
            tokio::task::spawn_blocking(move || write_new_file(&dir, &path, &blob))
                .await
                .map_err(|e| e.to_string())??;
            tracing::info!("created the node's audit signing key");
            pkcs8
        }
    };
    let signer = Ed25519Signer::from_pkcs8(&pkcs8).map_err(|e| e.to_string())?;
    let log =
        tokio::task::spawn_blocking(move || AuditLog::open(&dir, AuditOptions::default(), signer))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("opening the audit log: {e}"))?;
    tracing::info!(key = %log.public_key(), "audit log open");
    if let Err(unused) = kms.audit.set(Arc::new(log)) {
        // A concurrent open won; this one closes its handle on drop.
        drop(unused);
    }
    Ok(())
}

/// Writes the wrapped signing key durably (file and directory synced), owner-only, creating
/// the audit directory owner-only if needed.
fn write_new_file(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(fail)?;
    keywarden_fsutil::write_atomic(path, bytes, keywarden_fsutil::KEY_MODE).map_err(fail)
}

/// Whether an operation changes state (its entry is durable before the response).
pub(crate) fn changes_state(op: Operation) -> bool {
    matches!(
        op,
        Operation::Create
            | Operation::CreateKeyPair
            | Operation::Register
            | Operation::ReKey
            | Operation::AddAttribute
            | Operation::SetAttribute
            | Operation::ModifyAttribute
            | Operation::DeleteAttribute
            | Operation::Activate
            | Operation::Revoke
            | Operation::Destroy
    )
}

/// Whether an operation may run before the audit log is open (it touches no object).
pub(crate) fn allowed_without_log(op: Option<Operation>) -> bool {
    matches!(op, Some(Operation::DiscoverVersions | Operation::Query))
}

/// The objects a response created or names (Locate's list is not recorded: it can be long).
fn response_objects(payload: &ResponsePayload, ids: &mut ObjectIds) {
    let mut push = |s: &str| {
        if let Ok(u) = uuid::Uuid::parse_str(s)
            && !ids.as_slice().contains(&u)
        {
            let _ = ids.push(u);
        }
    };
    match payload {
        ResponsePayload::CreateKeyPair {
            private_key_unique_identifier,
            public_key_unique_identifier,
        } => {
            push(private_key_unique_identifier);
            push(public_key_unique_identifier);
        }
        ResponsePayload::Create {
            unique_identifier, ..
        }
        | ResponsePayload::Register { unique_identifier }
        | ResponsePayload::ReKey { unique_identifier } => push(unique_identifier),
        _ => {}
    }
}

/// The audit entry of one request named `operation`: its response payload (if it has one that
/// names objects), or its failure's reason label and message.
pub(crate) fn entry(
    caller: &Caller,
    received: Timestamp,
    operation: &'static str,
    target: Option<&str>,
    result: Result<Option<&ResponsePayload>, (&'static str, String)>,
) -> AuditEntry {
    let mut objects = ObjectIds::default();
    if let Some(u) = target.and_then(|t| uuid::Uuid::parse_str(t).ok()) {
        let _ = objects.push(u);
    }
    let (outcome, message) = match result {
        Ok(payload) => {
            if let Some(payload) = payload {
                response_objects(payload, &mut objects);
            }
            (Outcome::Success, ReasonMessage::new(""))
        }
        // Failure messages are the server's own words about identifiers and rules; they never
        // carry request data or key material.
        Err((reason, message)) => (Outcome::failure(reason), ReasonMessage::new(message)),
    };
    AuditEntry {
        time: received,
        identity: Arc::clone(&caller.identity),
        role: Some(caller.role),
        operation: operation.into(),
        objects,
        outcome,
        message,
        client: caller.client,
    }
}

/// Appends one entry, durable when it records a state change (which makes every earlier one
/// durable too: one total order, one file).
pub(crate) async fn append(
    log: &AuditLog,
    entry: AuditEntry,
    durable: bool,
) -> Result<(), keywarden_audit::AuditError> {
    let durability = if durable {
        Durability::Durable
    } else {
        Durability::Batched
    };
    log.append(entry, durability).await
}

impl Kms {
    /// Verified audit records from sequence `from`, at most `limit`, for admins and auditors.
    pub async fn read_audit(
        &self,
        caller: &Caller,
        from: u64,
        limit: usize,
    ) -> Result<Vec<AuditRecord>, AuditReadError> {
        if !matches!(caller.role, Role::Admin | Role::Auditor) {
            return Err(AuditReadError::Forbidden(caller.role));
        }
        let log = self.audit.get().ok_or(AuditReadError::NotOpen)?;
        // Reads' entries wait in the queue for up to the write delay; a reader must see every
        // request answered before it asked. A failed log still has its records to read.
        if let Err(e) = log.sync().await {
            tracing::warn!(error = %e, "audit read: the log could not write its queued entries");
        }
        let dir = log.dir().to_path_buf();
        let key = log.public_key().clone();
        tokio::task::spawn_blocking(move || keywarden_audit::read(&dir, from, limit, Some(&key)))
            .await
            .map_err(|e| AuditReadError::Task(e.to_string()))?
            .map_err(AuditReadError::from)
    }
}

/// Why the conflicts cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ConflictReadError {
    /// The caller's role is neither admin nor auditor.
    #[error("the {0} role may not read the conflicts")]
    Forbidden(Role),
    /// The store is closed or not unlocked yet.
    #[error("the store is not open: {0}")]
    Store(String),
}

impl Kms {
    /// Conflicts that merges with peers' records found on this node (at most `limit`), for
    /// admins and auditors.
    pub fn read_conflicts(
        &self,
        caller: &Caller,
        limit: usize,
    ) -> Result<Vec<keywarden_store::Conflict>, ConflictReadError> {
        if !matches!(caller.role, Role::Admin | Role::Auditor) {
            return Err(ConflictReadError::Forbidden(caller.role));
        }
        let store = self
            .store()
            .ok_or_else(|| ConflictReadError::Store("closed".to_owned()))?;
        store
            .conflicts(limit)
            .map_err(|e| ConflictReadError::Store(e.to_string()))
    }
}
