//! The PKCS#11 side: one module, one token, one root key, and the node's storage epoch keys.
//!
//! Sessions come from a small pool and are used by one blocking thread at a
//! time (a `Session` is `Send`, not `Sync`). A dedicated session stays open
//! for the life of a token generation so the user login, which PKCS#11 holds
//! per application, is not lost when pooled sessions are closed.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use hsm_proto::{BridgeError, EpochKeyId, HealthReport, MAX_RANDOM};
use tracing::{info, warn};
use zeroize::Zeroizing;

use crate::error::StartError;

/// Version byte in front of every wrapped blob.
pub const BLOB_VERSION: u8 = 1;
/// Length of the AES-GCM IV drawn from the token for each wrap.
pub const IV_LEN: usize = 12;
/// Length of the AES-GCM tag appended to the ciphertext.
pub const TAG_LEN: usize = 16;
/// Prefix of the additional authenticated data; the domain follows it.
pub const AAD_PREFIX: &[u8] = b"keywarden-kek-v1\0";
/// Longest domain identifier accepted.
pub const MAX_DOMAIN_LEN: usize = 256;
/// Longest KEK accepted for wrapping.
pub const MAX_KEK_LEN: usize = 512;
/// Idle sessions kept for reuse.
const POOL_SIZE: usize = 8;
/// Start of the label of every storage epoch key; node id and epoch number follow it.
pub const EPOCH_LABEL_PREFIX: &str = "kw-epoch-";
/// Prefix of the additional authenticated data of a wrapped epoch data key.
pub const EPOCH_AAD_PREFIX: &[u8] = b"keywarden-epoch-dk-v1\0";
/// Length of an epoch data key (AES-256).
pub const EPOCH_DATA_KEY_LEN: usize = 32;

/// Label of the key of storage epoch `epoch` of node `node`: `kw-epoch-<node, 16 hex>-<epoch>`.
pub fn epoch_label(node: u64, epoch: u64) -> String {
    format!("{EPOCH_LABEL_PREFIX}{node:016x}-{epoch}")
}

/// The epoch a label made by [`epoch_label`] names; `None` for any other label.
pub fn parse_epoch_label(label: &[u8]) -> Option<EpochKeyId> {
    let rest = std::str::from_utf8(label)
        .ok()?
        .strip_prefix(EPOCH_LABEL_PREFIX)?;
    let (node, epoch) = rest.split_once('-')?;
    if node.len() != 16 {
        return None;
    }
    let id = EpochKeyId {
        node: u64::from_str_radix(node, 16).ok()?,
        epoch: epoch.parse().ok()?,
    };
    // Only the canonical spelling: one key has one label.
    (epoch_label(id.node, id.epoch).as_bytes() == label).then_some(id)
}

/// Additional authenticated data binding a wrapped data key to its node and epoch.
pub fn epoch_aad(node: u64, epoch: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(EPOCH_AAD_PREFIX.len() + 16);
    aad.extend_from_slice(EPOCH_AAD_PREFIX);
    aad.extend_from_slice(&node.to_be_bytes());
    aad.extend_from_slice(&epoch.to_be_bytes());
    aad
}

/// What the bridge needs to reach its token.
pub struct TokenConfig {
    /// Path of the PKCS#11 module.
    pub module: PathBuf,
    /// Label of the token to use.
    pub token_label: String,
    /// User PIN; zeroized on drop and never logged.
    pub pin: Zeroizing<String>,
    /// Label of the root key object.
    pub root_key_label: String,
}

/// One successful open of the token: slot, login session, root key.
struct Opened {
    generation: u64,
    slot: Slot,
    root: ObjectHandle,
    description: String,
    // Keeps the application logged in while pooled sessions come and go.
    _login: Mutex<Session>,
    pool: Mutex<Vec<Session>>,
}

/// The token as used by the bridge: shared by all connections.
pub struct Token {
    cfg: TokenConfig,
    ctx: Pkcs11,
    current: Mutex<Arc<Opened>>,
    fatal: AtomicBool,
}

/// True for return values meaning the session or the token itself is gone.
fn is_gone(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::TokenNotPresent
                | RvError::TokenNotRecognized
                | RvError::DeviceRemoved
                | RvError::DeviceError
                | RvError::UserNotLoggedIn
                | RvError::CryptokiNotInitialized
                | RvError::SlotIdInvalid,
            _
        )
    )
}

/// Additional authenticated data binding a wrapped KEK to its domain.
pub fn kek_aad(domain: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_PREFIX.len() + domain.len());
    aad.extend_from_slice(AAD_PREFIX);
    aad.extend_from_slice(domain.as_bytes());
    aad
}

fn check_domain(domain: &str) -> Result<(), BridgeError> {
    if domain.is_empty() || domain.len() > MAX_DOMAIN_LEN {
        return Err(BridgeError::BadRequest(format!(
            "domain must be 1..={MAX_DOMAIN_LEN} bytes, got {}",
            domain.len()
        )));
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic in another thread cannot leave a session list inconsistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Token {
    /// Loads the module, finds the token, logs in and finds or creates the root key.
    pub fn open(cfg: TokenConfig) -> Result<Token, StartError> {
        let module_err = |e: CkError| StartError::Module {
            path: cfg.module.clone(),
            detail: e.to_string(),
        };
        let ctx = Pkcs11::new(&cfg.module).map_err(module_err)?;
        ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| StartError::TokenUnavailable {
                label: cfg.token_label.clone(),
                detail: format!("C_Initialize failed: {e}"),
            })?;
        let opened = open_generation(&ctx, &cfg, 0)?;
        info!(token = %opened.description, "token opened, root key ready");
        Ok(Token {
            cfg,
            ctx,
            current: Mutex::new(Arc::new(opened)),
            fatal: AtomicBool::new(false),
        })
    }

    /// Label, manufacturer and model of the token.
    pub fn description(&self) -> String {
        lock(&self.current).description.clone()
    }

    /// True once the token was lost and could not be reopened: the bridge must exit.
    pub fn is_fatal(&self) -> bool {
        self.fatal.load(Ordering::SeqCst)
    }

    fn lost(&self, detail: String) -> BridgeError {
        self.fatal.store(true, Ordering::SeqCst);
        warn!(label = %self.cfg.token_label, %detail, "token lost and could not be reopened");
        BridgeError::TokenUnavailable(format!("token \"{}\": {detail}", self.cfg.token_label))
    }

    /// Runs `op` on a pooled session; on a session/token-gone error reopens the token once.
    fn with_session<T>(
        &self,
        op: impl Fn(&Session, &Opened) -> Result<T, CkError>,
    ) -> Result<Result<T, CkError>, BridgeError> {
        if self.is_fatal() {
            return Err(BridgeError::TokenUnavailable(format!(
                "token \"{}\" was lost",
                self.cfg.token_label
            )));
        }
        let opened = Arc::clone(&lock(&self.current));
        match run_on(&self.ctx, &opened, &op) {
            Err(e) if self.token_gone(&opened, &e) => {
                warn!(error = %e, "token session lost, reopening once");
                let reopened = self.reopen(opened.generation)?;
                match run_on(&self.ctx, &reopened, &op) {
                    Err(e) if self.token_gone(&reopened, &e) => Err(self.lost(e.to_string())),
                    other => Ok(other),
                }
            }
            other => Ok(other),
        }
    }

    /// Whether `e` means the token is gone; a generic failure counts only if the token stops answering.
    fn token_gone(&self, opened: &Opened, e: &CkError) -> bool {
        // Modules report a failed GCM tag check and a vanished token alike with
        // CKR_GENERAL_ERROR or CKR_FUNCTION_FAILED, so ask the token whether it is still there.
        is_gone(e)
            || (matches!(
                e,
                CkError::Pkcs11(RvError::GeneralError | RvError::FunctionFailed, _)
            ) && self.ctx.get_token_info(opened.slot).is_err())
    }

    fn reopen(&self, failed_generation: u64) -> Result<Arc<Opened>, BridgeError> {
        let mut current = lock(&self.current);
        if current.generation != failed_generation {
            // Another thread already reopened after the same failure.
            return Ok(Arc::clone(&current));
        }
        match open_generation(&self.ctx, &self.cfg, failed_generation + 1) {
            Ok(opened) => {
                info!(token = %opened.description, "token reopened");
                *current = Arc::new(opened);
                Ok(Arc::clone(&current))
            }
            Err(e) => Err(self.lost(e.to_string())),
        }
    }

    /// Wraps a domain KEK under the root key: `[version] || iv || ciphertext || tag`.
    pub fn wrap_kek(&self, domain: &str, kek: &[u8]) -> Result<Vec<u8>, BridgeError> {
        check_domain(domain)?;
        if kek.is_empty() || kek.len() > MAX_KEK_LEN {
            return Err(BridgeError::BadRequest(format!(
                "kek must be 1..={MAX_KEK_LEN} bytes, got {}",
                kek.len()
            )));
        }
        let aad = kek_aad(domain);
        let sealed = self.with_session(|s, o| {
            let mut iv = [0u8; IV_LEN];
            s.generate_random_slice(&mut iv)?;
            let mut iv_param = iv;
            let params = GcmParams::new(&mut iv_param, &aad, ((TAG_LEN * 8) as u64).into())?;
            let ct = s.encrypt(&Mechanism::AesGcm(params), o.root, kek)?;
            Ok((iv, ct))
        })?;
        let (iv, ct) = sealed.map_err(|e| BridgeError::Pkcs11(e.to_string()))?;
        let mut blob = Vec::with_capacity(1 + IV_LEN + ct.len());
        blob.push(BLOB_VERSION);
        blob.extend_from_slice(&iv);
        blob.extend_from_slice(&ct);
        Ok(blob)
    }

    /// Unwraps a blob made by [`Token::wrap_kek`] for the same domain.
    pub fn unwrap_kek(&self, domain: &str, blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, BridgeError> {
        check_domain(domain)?;
        let (version, rest) = blob.split_first().ok_or(BridgeError::UnwrapFailed)?;
        if *version != BLOB_VERSION {
            return Err(BridgeError::BadRequest(format!(
                "unknown wrapped KEK version {version}"
            )));
        }
        let (iv, ct) = rest
            .split_first_chunk::<IV_LEN>()
            .ok_or(BridgeError::UnwrapFailed)?;
        if ct.len() <= TAG_LEN {
            return Err(BridgeError::UnwrapFailed);
        }
        let aad = kek_aad(domain);
        let opened = self.with_session(|s, o| {
            let mut iv = *iv;
            let params = GcmParams::new(&mut iv, &aad, ((TAG_LEN * 8) as u64).into())?;
            s.decrypt(&Mechanism::AesGcm(params), o.root, ct)
                .map(Zeroizing::new)
        })?;
        // Any other failure of an authenticated decrypt means the blob does not verify.
        opened.map_err(|_| BridgeError::UnwrapFailed)
    }

    /// Generates the key of a storage epoch in the token; refuses to make a second one.
    pub fn create_epoch_key(&self, node: u64, epoch: u64) -> Result<(), BridgeError> {
        let label = epoch_label(node, epoch);
        let made = self.with_session(|s, _| {
            if !find_secret_keys(s, &label)?.is_empty() {
                return Ok(false);
            }
            s.generate_key(&Mechanism::AesKeyGen, &epoch_key_template(&label))?;
            Ok(true)
        })?;
        match made.map_err(|e| BridgeError::Pkcs11(e.to_string()))? {
            true => {
                info!(%label, "generated a storage epoch key in the token");
                Ok(())
            }
            false => Err(BridgeError::EpochKeyExists { node, epoch }),
        }
    }

    /// Wraps a data key under an epoch key: `[version] || iv || ciphertext || tag`.
    pub fn wrap_epoch_data_key(
        &self,
        node: u64,
        epoch: u64,
        key: &[u8],
    ) -> Result<Vec<u8>, BridgeError> {
        if key.len() != EPOCH_DATA_KEY_LEN {
            return Err(BridgeError::BadRequest(format!(
                "an epoch data key is {EPOCH_DATA_KEY_LEN} bytes, got {}",
                key.len()
            )));
        }
        let label = epoch_label(node, epoch);
        let aad = epoch_aad(node, epoch);
        let sealed = self.with_session(|s, _| {
            let Some(handle) = find_one(s, &label)? else {
                return Ok(None);
            };
            let mut iv = [0u8; IV_LEN];
            s.generate_random_slice(&mut iv)?;
            let mut iv_param = iv;
            let params = GcmParams::new(&mut iv_param, &aad, ((TAG_LEN * 8) as u64).into())?;
            let ct = s.encrypt(&Mechanism::AesGcm(params), handle, key)?;
            Ok(Some((iv, ct)))
        })?;
        let (iv, ct) = sealed
            .map_err(|e| BridgeError::Pkcs11(e.to_string()))?
            .ok_or(BridgeError::EpochKeyMissing { node, epoch })?;
        let mut blob = Vec::with_capacity(1 + IV_LEN + ct.len());
        blob.push(BLOB_VERSION);
        blob.extend_from_slice(&iv);
        blob.extend_from_slice(&ct);
        Ok(blob)
    }

    /// Unwraps a blob made by [`Token::wrap_epoch_data_key`] for the same node and epoch.
    pub fn unwrap_epoch_data_key(
        &self,
        node: u64,
        epoch: u64,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, BridgeError> {
        let (version, rest) = blob.split_first().ok_or(BridgeError::UnwrapFailed)?;
        if *version != BLOB_VERSION {
            return Err(BridgeError::BadRequest(format!(
                "unknown wrapped data key version {version}"
            )));
        }
        let (iv, ct) = rest
            .split_first_chunk::<IV_LEN>()
            .ok_or(BridgeError::UnwrapFailed)?;
        if ct.len() <= TAG_LEN {
            return Err(BridgeError::UnwrapFailed);
        }
        let label = epoch_label(node, epoch);
        let aad = epoch_aad(node, epoch);
        let opened = self.with_session(|s, _| {
            let Some(handle) = find_one(s, &label)? else {
                return Ok(None);
            };
            let mut iv = *iv;
            let params = GcmParams::new(&mut iv, &aad, ((TAG_LEN * 8) as u64).into())?;
            match s.decrypt(&Mechanism::AesGcm(params), handle, ct) {
                Ok(key) => Ok(Some(Ok(Zeroizing::new(key)))),
                Err(e) if is_gone(&e) => Err(e),
                // Any other failure of the authenticated decrypt: the blob does not verify.
                Err(_) => Ok(Some(Err(()))),
            }
        })?;
        match opened.map_err(|e| BridgeError::Pkcs11(e.to_string()))? {
            None => Err(BridgeError::EpochKeyMissing { node, epoch }),
            Some(Ok(key)) => Ok(key),
            Some(Err(())) => Err(BridgeError::UnwrapFailed),
        }
    }

    /// Destroys the key of a storage epoch; `Ok(false)` when the token did not hold it.
    pub fn destroy_epoch_key(&self, node: u64, epoch: u64) -> Result<bool, BridgeError> {
        let label = epoch_label(node, epoch);
        let destroyed = self.with_session(|s, _| {
            let found = find_secret_keys(s, &label)?;
            for handle in &found {
                s.destroy_object(*handle)?;
            }
            Ok(!found.is_empty())
        })?;
        let existed = destroyed.map_err(|e| BridgeError::Pkcs11(e.to_string()))?;
        if existed {
            info!(%label, "destroyed a storage epoch key in the token");
        }
        Ok(existed)
    }

    /// Every storage epoch key in the token, of every node.
    pub fn list_epoch_keys(&self) -> Result<Vec<EpochKeyId>, BridgeError> {
        let listed = self.with_session(|s, _| {
            let mut keys = Vec::new();
            for handle in s.find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY)])? {
                // A key destroyed by another session between the search and this read (an
                // erase running while the keys are listed) is simply no longer there.
                let attrs = match s.get_attributes(handle, &[AttributeType::Label]) {
                    Err(CkError::Pkcs11(RvError::ObjectHandleInvalid, _)) => continue,
                    other => other?,
                };
                for attr in attrs {
                    if let Attribute::Label(label) = attr
                        && let Some(id) = parse_epoch_label(&label)
                    {
                        keys.push(id);
                    }
                }
            }
            Ok(keys)
        })?;
        listed.map_err(|e| BridgeError::Pkcs11(e.to_string()))
    }

    /// Random bytes from the token's generator.
    pub fn random(&self, len: u32) -> Result<Vec<u8>, BridgeError> {
        if len > MAX_RANDOM {
            return Err(BridgeError::BadRequest(format!(
                "random length {len} exceeds {MAX_RANDOM}"
            )));
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        self.with_session(|s, _| s.generate_random_vec(len))?
            .map_err(|e| BridgeError::Pkcs11(e.to_string()))
    }

    /// Token info plus one GCM encryption under the root key, timed.
    pub fn health(&self) -> Result<HealthReport, BridgeError> {
        let start = Instant::now();
        let probe = self.with_session(|s, o| {
            self.ctx.get_token_info(o.slot)?;
            let mut iv = [0u8; IV_LEN];
            s.generate_random_slice(&mut iv)?;
            let params =
                GcmParams::new(&mut iv, b"keywarden-health", ((TAG_LEN * 8) as u64).into())?;
            s.encrypt(&Mechanism::AesGcm(params), o.root, &[0u8; 16])?;
            Ok(())
        })?;
        let latency_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        Ok(match probe {
            Ok(()) => HealthReport {
                ok: true,
                reason: None,
                latency_us,
            },
            Err(e) => HealthReport {
                ok: false,
                reason: Some(e.to_string()),
                latency_us,
            },
        })
    }
}

fn run_on<T>(
    ctx: &Pkcs11,
    opened: &Opened,
    op: &impl Fn(&Session, &Opened) -> Result<T, CkError>,
) -> Result<T, CkError> {
    let pooled = lock(&opened.pool).pop();
    let session = match pooled {
        Some(s) => s,
        None => ctx.open_rw_session(opened.slot)?,
    };
    let result = op(&session, opened);
    let keep = match &result {
        Ok(_) => true,
        Err(e) => !is_gone(e),
    };
    if keep {
        let mut pool = lock(&opened.pool);
        if pool.len() < POOL_SIZE {
            pool.push(session);
        }
    }
    result
}

/// The secret keys carrying `label`.
fn find_secret_keys(session: &Session, label: &str) -> Result<Vec<ObjectHandle>, CkError> {
    session.find_objects(&[
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::Label(label.as_bytes().to_vec()),
    ])
}

/// The one secret key carrying `label`; `None` when there is none. Two keys with one epoch
/// label cannot be made through this bridge ([`Token::create_epoch_key`] refuses); if some
/// other tool made them, the first is used, and destroying the epoch destroys both.
fn find_one(session: &Session, label: &str) -> Result<Option<ObjectHandle>, CkError> {
    Ok(find_secret_keys(session, label)?.into_iter().next())
}

/// An epoch key: AES-256 in the token, sensitive, never extractable, encrypt/decrypt only.
fn epoch_key_template(label: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Label(label.as_bytes().to_vec()),
        Attribute::ValueLen(32.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Derive(false),
    ]
}

fn find_slot(ctx: &Pkcs11, label: &str) -> Result<(Slot, String), StartError> {
    let unavailable = |detail: String| StartError::TokenUnavailable {
        label: label.to_owned(),
        detail,
    };
    let slots = ctx
        .get_slots_with_token()
        .map_err(|e| unavailable(format!("C_GetSlotList failed: {e}")))?;
    let mut found = Vec::new();
    for slot in slots {
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        if info.token_initialized() && info.label().trim_end() == label {
            let description = format!(
                "{} ({} {}, serial {})",
                info.label().trim_end(),
                info.manufacturer_id().trim_end(),
                info.model().trim_end(),
                info.serial_number().trim_end()
            );
            found.push((slot, description));
        }
    }
    if found.len() > 1 {
        return Err(unavailable(format!(
            "{} tokens carry this label; labels must be unique",
            found.len()
        )));
    }
    found
        .pop()
        .ok_or_else(|| unavailable("no initialized token with this label is present".to_owned()))
}

fn open_generation(ctx: &Pkcs11, cfg: &TokenConfig, generation: u64) -> Result<Opened, StartError> {
    let (slot, description) = find_slot(ctx, &cfg.token_label)?;
    let login = ctx
        .open_rw_session(slot)
        .map_err(|e| StartError::TokenUnavailable {
            label: cfg.token_label.clone(),
            detail: format!("cannot open a read-write session: {e}"),
        })?;
    let pin = AuthPin::from(cfg.pin.as_str());
    match login.login(UserType::User, Some(&pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => {
            return Err(StartError::Login {
                label: cfg.token_label.clone(),
                detail: e.to_string(),
            });
        }
    }
    let root = find_or_create_root(&login, &cfg.root_key_label)?;
    Ok(Opened {
        generation,
        slot,
        root,
        description,
        _login: Mutex::new(login),
        pool: Mutex::new(Vec::new()),
    })
}

fn root_template(label: &str) -> Vec<Attribute> {
    vec![
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

fn find_or_create_root(session: &Session, label: &str) -> Result<ObjectHandle, StartError> {
    let err = |detail: String| StartError::RootKey {
        label: label.to_owned(),
        detail,
    };
    let mut found = session
        .find_objects(&root_template(label))
        .map_err(|e| err(format!("search failed: {e}")))?;
    if found.len() > 1 {
        return Err(err(format!(
            "{} keys carry this label; refusing to guess",
            found.len()
        )));
    }
    if let Some(handle) = found.pop() {
        check_root(session, handle).map_err(err)?;
        info!(label, "using existing root key");
        return Ok(handle);
    }
    let mut template = root_template(label);
    template.extend([
        Attribute::ValueLen(32.into()),
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        // Least privilege: the root key only encrypts and decrypts KEKs.
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::Sign(false),
        Attribute::Verify(false),
        Attribute::Derive(false),
    ]);
    let handle = session
        .generate_key(&Mechanism::AesKeyGen, &template)
        .map_err(|e| err(format!("generation in the token failed: {e}")))?;
    info!(label, "generated a new root key in the token");
    Ok(handle)
}

/// Refuses a root key that could leave the token or is not AES-256.
fn check_root(session: &Session, handle: ObjectHandle) -> Result<(), String> {
    let attrs = session
        .get_attributes(
            handle,
            &[
                AttributeType::Sensitive,
                AttributeType::Extractable,
                AttributeType::ValueLen,
            ],
        )
        .map_err(|e| format!("cannot read attributes: {e}"))?;
    for attr in attrs {
        match attr {
            Attribute::Sensitive(false) => return Err("existing key is not sensitive".to_owned()),
            Attribute::Extractable(true) => return Err("existing key is extractable".to_owned()),
            Attribute::ValueLen(len) if u64::from(len) != 32 => {
                return Err(format!(
                    "existing key is {} bytes, expected 32",
                    u64::from(len)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::context::Function;

    #[test]
    fn gone_errors_are_classified() {
        assert!(is_gone(&CkError::Pkcs11(
            RvError::SessionHandleInvalid,
            Function::Encrypt
        )));
        assert!(is_gone(&CkError::Pkcs11(
            RvError::DeviceRemoved,
            Function::Decrypt
        )));
        assert!(is_gone(&CkError::Pkcs11(
            RvError::TokenNotPresent,
            Function::OpenSession
        )));
        assert!(!is_gone(&CkError::Pkcs11(
            RvError::EncryptedDataInvalid,
            Function::Decrypt
        )));
        assert!(!is_gone(&CkError::Pkcs11(
            RvError::PinIncorrect,
            Function::Login
        )));
    }

    #[test]
    fn aad_binds_the_domain() {
        assert_eq!(kek_aad("a"), b"keywarden-kek-v1\0a".to_vec());
        assert_ne!(kek_aad("a"), kek_aad("b"));
    }

    #[test]
    fn epoch_labels_round_trip_and_nothing_else_parses() {
        let label = epoch_label(0xAB, 7);
        assert_eq!(label, "kw-epoch-00000000000000ab-7");
        assert_eq!(
            parse_epoch_label(label.as_bytes()),
            Some(EpochKeyId {
                node: 0xAB,
                epoch: 7
            })
        );
        for other in [
            "keywarden-root-v1",
            "kw-epoch-ab-7",
            "kw-epoch-00000000000000ab-07",
            "kw-epoch-00000000000000AB-7",
            "kw-epoch-00000000000000ab-",
            "kw-epoch-00000000000000ab-7-x",
        ] {
            assert_eq!(parse_epoch_label(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn epoch_aad_binds_node_and_epoch() {
        assert_ne!(epoch_aad(1, 2), epoch_aad(2, 1));
        assert!(epoch_aad(1, 2).starts_with(EPOCH_AAD_PREFIX));
    }

    #[test]
    fn domain_bounds() {
        assert!(check_domain("").is_err());
        assert!(check_domain(&"x".repeat(MAX_DOMAIN_LEN + 1)).is_err());
        assert!(check_domain("tenant-1").is_ok());
    }
}
