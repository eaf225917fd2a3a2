//! Operations that make objects: Create, Create Key Pair, Register, Re-key.

use std::sync::Arc;

use crate::OpError;
use keywarden_crypto as crypto;
use keywarden_kmip::attributes::Attributes;
use keywarden_kmip::enums::{
    CryptographicAlgorithm, KeyFormatType, LinkType, ObjectType, RecommendedCurve, State,
};
use keywarden_kmip::objects::ManagedObject;
use keywarden_kmip::payload::ResponsePayload;
use keywarden_kmip::ttlv::Value;

use super::{Ctx, Template, TemplateUse, event, set_server_attributes};
use crate::attrs::{self, name};
use crate::cpu::CpuPool;
use crate::material::{self, Kind, Material};
use crate::policy;

fn crypto_failure(e: crypto::CryptoError) -> OpError {
    OpError::Crypto(e.to_string())
}

/// Runs a key generation on the CPU pool, so RSA's seconds of work never stall the async
/// workers (other connections, `/readyz`). With `limit`, at most its permits run at once on
/// top of the pool's own bound; a caller over the limit waits without holding a thread. The
/// permit travels with the work, so it stays taken until the generation ends even if the
/// waiting request is dropped.
pub(crate) async fn generate_off_worker<T, F>(
    pool: CpuPool,
    limit: Option<&Arc<tokio::sync::Semaphore>>,
    work: F,
) -> Result<T, OpError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, crypto::CryptoError> + Send + 'static,
{
    let permit = match limit {
        Some(sem) => Some(
            Arc::clone(sem)
                .acquire_owned()
                .await
                .map_err(|_| OpError::Unavailable("key service is shutting down".to_owned()))?,
        ),
        None => None,
    };
    pool.run(move || {
        let _permit = permit;
        work().map_err(crypto_failure)
    })
    .await
}

/// A new symmetric key, generated on the calling worker: it is a few dozen bytes from the
/// RNG, cheaper than the hand-off to the blocking pool that key pairs need.
fn symmetric_key(bits: u32) -> Result<zeroize::Zeroizing<Vec<u8>>, OpError> {
    crypto::generate_symmetric(bits).map_err(crypto_failure)
}

/// The default length of an HMAC key: the hash output size.
fn hmac_default_length(algorithm: CryptographicAlgorithm) -> Option<i32> {
    Some(match algorithm {
        CryptographicAlgorithm::HmacSha1 => 160,
        CryptographicAlgorithm::HmacSha224 => 224,
        CryptographicAlgorithm::HmacSha256 => 256,
        CryptographicAlgorithm::HmacSha384 => 384,
        CryptographicAlgorithm::HmacSha512 => 512,
        _ => return None,
    })
}

/// Create: a symmetric key (AES or HMAC).
pub(crate) async fn create(
    ctx: &Ctx<'_>,
    object_type: ObjectType,
    attributes: Attributes,
) -> Result<ResponsePayload, OpError> {
    if object_type != ObjectType::SymmetricKey {
        return Err(OpError::ObjectTypeMismatch(format!(
            "Create makes symmetric keys only, not {object_type}"
        )));
    }
    let kek = ctx.kek()?;
    let template = Template::parse(ctx, attributes, TemplateUse::Generate)?;
    let algorithm = template
        .algorithm()
        .ok_or_else(|| policy::missing("Create: attribute Cryptographic Algorithm is required"))?;
    let length = template
        .length()
        .or_else(|| hmac_default_length(algorithm))
        .ok_or_else(|| policy::missing("Create: attribute Cryptographic Length is required"))?;
    material::check_symmetric(algorithm, length)?;
    let bits =
        u32::try_from(length).map_err(|_| policy::invalid("Cryptographic Length is negative"))?;
    let key = symmetric_key(bits)?;
    let mut obj = ctx.new_object(ObjectType::SymmetricKey)?;
    let stamp = ctx.stamp()?;
    template.apply(&mut obj, stamp);
    set_server_attributes(&mut obj, Some(algorithm), Some(length), None, stamp)?;
    obj.seal(
        &kek,
        &Material {
            kind: Kind::Symmetric,
            native_format: KeyFormatType::Raw.value(),
            subtype: 0,
            bytes: key,
        },
    )?;
    let uid = obj.rec.uuid.clone();
    ctx.commit(vec![obj]).await?;
    Ok(ResponsePayload::Create {
        object_type,
        unique_identifier: uid,
    })
}

/// The key pair to generate from the merged templates.
fn key_pair_spec(
    template: &Template,
) -> Result<(crypto::KeyPairSpec, CryptographicAlgorithm), OpError> {
    let algorithm = template.algorithm().ok_or_else(|| {
        policy::missing("Create Key Pair: attribute Cryptographic Algorithm is required")
    })?;
    let curve = template
        .get(name::DOMAIN_PARAMETERS)
        .and_then(|v| attrs::child_enum(v, attrs::tag::RECOMMENDED_CURVE))
        .or_else(|| template.get("Recommended Curve").and_then(attrs::as_enum))
        .and_then(RecommendedCurve::from_value);
    let length = template.length();
    let bad = |m: String| OpError::InvalidAttributeValue(m);
    let spec = match algorithm {
        CryptographicAlgorithm::Rsa => match length {
            Some(bits @ (2048 | 3072 | 4096)) => crypto::KeyPairSpec::Rsa(bits.unsigned_abs()),
            Some(bits) => {
                return Err(bad(format!(
                    "RSA key length {bits}: use 2048, 3072 or 4096"
                )));
            }
            None => {
                return Err(policy::missing(
                    "Create Key Pair: attribute Cryptographic Length is required for RSA",
                ));
            }
        },
        CryptographicAlgorithm::Ec
        | CryptographicAlgorithm::Ecdsa
        | CryptographicAlgorithm::Ecdh => match (curve, length) {
            (Some(RecommendedCurve::P256), None | Some(256)) | (None, Some(256)) => {
                crypto::KeyPairSpec::EcP256
            }
            (Some(RecommendedCurve::P384), None | Some(384)) | (None, Some(384)) => {
                crypto::KeyPairSpec::EcP384
            }
            (Some(RecommendedCurve::Curve25519), _) => crypto::KeyPairSpec::Ed25519,
            (None, None) => {
                return Err(policy::missing(
                    "Create Key Pair: EC keys need a Recommended Curve or a Cryptographic Length",
                ));
            }
            (c, l) => {
                return Err(bad(format!(
                    "EC curve {c:?} with length {l:?}: use P-256 or P-384"
                )));
            }
        },
        CryptographicAlgorithm::Ed25519 => crypto::KeyPairSpec::Ed25519,
        other => {
            return Err(bad(format!(
                "Cryptographic Algorithm {other} is not offered for key pairs"
            )));
        }
    };
    Ok((spec, algorithm))
}

/// Create Key Pair: RSA, EC P-256/P-384, Ed25519; private and public key linked both ways.
pub(crate) async fn create_key_pair(
    ctx: &Ctx<'_>,
    common: Attributes,
    private: Attributes,
    public: Attributes,
) -> Result<ResponsePayload, OpError> {
    let kek = ctx.kek()?;
    let common = Template::parse(ctx, common, TemplateUse::Generate)?;
    let private = Template::merged(
        &common,
        &Template::parse(ctx, private, TemplateUse::Generate)?,
    );
    let public = Template::merged(
        &common,
        &Template::parse(ctx, public, TemplateUse::Generate)?,
    );
    let (spec, algorithm) = key_pair_spec(&private)?;
    // RSA takes up to seconds per key: bound how many run at once so they cannot take every
    // blocking thread. EC and Ed25519 are fast and never queue behind RSA.
    let limit = matches!(spec, crypto::KeyPairSpec::Rsa(_)).then_some(&ctx.kms.rsa_keygen);
    let pair = generate_off_worker(ctx.kms.cpu.clone(), limit, move || {
        crypto::generate_key_pair(spec)
    })
    .await?;
    let facts = material::private_facts(&pair.private_pkcs8)?;
    let algorithm = if spec == crypto::KeyPairSpec::Ed25519 {
        CryptographicAlgorithm::Ed25519
    } else {
        algorithm
    };
    let rsa = algorithm == CryptographicAlgorithm::Rsa;
    let curve = if rsa { None } else { facts.curve };
    let mut sk = ctx.new_object(ObjectType::PrivateKey)?;
    let mut pk = ctx.new_object(ObjectType::PublicKey)?;
    let stamp = ctx.stamp()?;
    private.apply(&mut sk, stamp);
    public.apply(&mut pk, stamp);
    set_server_attributes(&mut sk, Some(algorithm), facts.length, curve, stamp)?;
    set_server_attributes(&mut pk, Some(algorithm), facts.length, curve, stamp)?;
    let pk_uid = pk.rec.uuid.clone();
    let sk_uid = sk.rec.uuid.clone();
    sk.add_link(LinkType::PublicKeyLink.value(), &pk_uid, stamp);
    pk.add_link(LinkType::PrivateKeyLink.value(), &sk_uid, stamp);
    // RSA keys come back as PKCS#1 by default (the KMIP profiles' test cases); the others in
    // the formats every client reads: PKCS#8 and SPKI.
    let (sk_format, pk_format) = if rsa {
        (KeyFormatType::Pkcs1, KeyFormatType::Pkcs1)
    } else {
        (KeyFormatType::Pkcs8, KeyFormatType::X509)
    };
    sk.seal(
        &kek,
        &Material {
            kind: Kind::Private,
            native_format: sk_format.value(),
            subtype: 0,
            bytes: pair.private_pkcs8.clone(),
        },
    )?;
    pk.seal(
        &kek,
        &Material {
            kind: Kind::Public,
            native_format: pk_format.value(),
            subtype: 0,
            bytes: zeroize::Zeroizing::new(pair.public_spki.clone()),
        },
    )?;
    ctx.commit(vec![sk, pk]).await?;
    Ok(ResponsePayload::CreateKeyPair {
        private_key_unique_identifier: sk_uid,
        public_key_unique_identifier: pk_uid,
    })
}

fn object_kind_matches(object_type: ObjectType, object: &ManagedObject) -> bool {
    matches!(
        (object_type, object),
        (ObjectType::SymmetricKey, ManagedObject::SymmetricKey(_))
            | (ObjectType::PrivateKey, ManagedObject::PrivateKey(_))
            | (ObjectType::PublicKey, ManagedObject::PublicKey(_))
            | (ObjectType::Certificate, ManagedObject::Certificate { .. })
            | (ObjectType::SecretData, ManagedObject::SecretData { .. })
            | (ObjectType::OpaqueObject, ManagedObject::OpaqueObject { .. })
    )
}

/// Register: validates the client's object and stores it sealed.
pub(crate) async fn register(
    ctx: &Ctx<'_>,
    object_type: ObjectType,
    attributes: Attributes,
    mut object: ManagedObject,
) -> Result<ResponsePayload, OpError> {
    if !object_kind_matches(object_type, &object) {
        return Err(OpError::ObjectTypeMismatch(format!(
            "Object Type {object_type} does not match the object sent"
        )));
    }
    let kek = ctx.kek()?;
    let template = Template::parse(ctx, attributes, TemplateUse::Register)?;
    // A symmetric key's algorithm may come in the template instead of the key block.
    if let ManagedObject::SymmetricKey(block) = &mut object
        && block.cryptographic_algorithm.is_none()
    {
        block.cryptographic_algorithm = template.algorithm();
    }
    let (material, facts) = material::from_object(&object)?;
    if let (Some(given), Some(actual)) = (template.length(), facts.length)
        && given != actual
        && material.kind != Kind::Certificate
    {
        return Err(policy::invalid(format!(
            "attribute Cryptographic Length {given} does not match the key ({actual} bits)"
        )));
    }
    // Keep the client's algorithm name for EC keys (EC, ECDSA or ECDH), else the material's.
    let algorithm = match (template.algorithm(), facts.algorithm) {
        (
            Some(a @ (CryptographicAlgorithm::Ecdsa | CryptographicAlgorithm::Ecdh)),
            Some(CryptographicAlgorithm::Ec),
        ) if material.kind != Kind::Certificate => Some(a),
        (_, f) if material.kind != Kind::Certificate => f,
        _ => None,
    };
    let mut obj = ctx.new_object(object_type)?;
    let stamp = ctx.stamp()?;
    template.apply(&mut obj, stamp);
    let (length, curve) = if material.kind == Kind::Certificate {
        obj.set(
            name::CERTIFICATE_TYPE,
            0,
            &Value::Enumeration(material.subtype),
            stamp,
        );
        (None, None)
    } else {
        let curve = if algorithm == Some(CryptographicAlgorithm::Rsa) {
            None
        } else {
            facts.curve
        };
        (facts.length, curve)
    };
    set_server_attributes(&mut obj, algorithm, length, curve, stamp)?;
    obj.seal(&kek, &material)?;
    let uid = obj.rec.uuid.clone();
    ctx.commit(vec![obj]).await?;
    Ok(ResponsePayload::Register {
        unique_identifier: uid,
    })
}

/// Attributes a replacement key inherits from the key it replaces.
fn inherited(attr: &str) -> bool {
    attrs::client_modifiable(attr) && attr != name::LINK && attr != name::NAME
        || attr == name::USAGE_MASK
}

/// Re-key: a new symmetric key with the old one's algorithm, length and attributes; the names
/// move to the new key (KMIP 1.4 §4.4); Replacement/Replaced Object links join the two.
///
/// Dates: with an Offset, the new key activates at now + Offset; without one, it is active now
/// when the old key was ever activated, else it stays Pre-Active. A Deactivation Date keeps its
/// distance from the Activation Date.
pub(crate) async fn re_key(
    ctx: &Ctx<'_>,
    uid: String,
    offset: Option<u32>,
    attributes: Attributes,
) -> Result<ResponsePayload, OpError> {
    let kek = ctx.kek()?;
    let _guard = ctx.lock(&uid).await;
    let mut old = ctx.load(&uid)?;
    if old.object_type()? != ObjectType::SymmetricKey {
        return Err(OpError::ObjectTypeNotApplicable(
            "Re-key applies to symmetric keys; use Re-key Key Pair for key pairs".to_owned(),
        ));
    }
    if matches!(
        old.state(ctx.now),
        State::Destroyed | State::DestroyedCompromised
    ) {
        return Err(policy::destroyed(&uid));
    }
    let template = Template::parse(ctx, attributes, TemplateUse::Generate)?;
    let facts = old.facts();
    let algorithm = facts
        .algorithm
        .ok_or_else(|| OpError::Failed("old key has no algorithm".to_owned()))?;
    let length = facts
        .length
        .ok_or_else(|| OpError::Failed("old key has no length".to_owned()))?;
    let bits = u32::try_from(length).map_err(|_| policy::invalid("bad length"))?;
    let key = symmetric_key(bits)?;
    let mut new = ctx.new_object(ObjectType::SymmetricKey)?;
    // The replacement belongs where the replaced key did, even when an admin re-keys it: the
    // names move to it, so the owner must be able to find and use it.
    new.rec_mut().owner.clone_from(&old.rec.owner);
    new.rec_mut().domain.clone_from(&old.rec.domain);
    new.rec_mut().domain.clone_from(&old.rec.domain);
    let stamp = ctx.stamp()?;
    for a in old
        .rec
        .attributes
        .iter()
        .filter(|a| !a.deleted && inherited(&a.name))
    {
        new.rec_mut()
            .attributes
            .push(keywarden_store::StoredAttribute { stamp, ..a.clone() });
    }
    for (index, value) in old.values(name::NAME) {
        new.set(name::NAME, index, &value, stamp);
        old.delete(name::NAME, index, stamp);
    }
    template.apply(&mut new, stamp);
    let now = crate::object::stamp_secs(&stamp);
    let old_activation = old.rec.lifecycle.activated.as_ref().map(|e| e.effective);
    let activation = match (offset, old_activation) {
        (Some(off), _) => Some(now.saturating_add(i64::from(off))),
        (None, Some(_)) => Some(now),
        (None, None) => None,
    };
    if new.rec.lifecycle.activated.is_none()
        && let Some(at) = activation
    {
        new.rec_mut().lifecycle.activated = Some(event(stamp, at, None, None));
        if let (Some(old_a), Some(old_d)) = (
            old_activation,
            old.rec.lifecycle.deactivated.as_ref().map(|e| e.effective),
        ) && new.rec.lifecycle.deactivated.is_none()
            && old
                .rec
                .lifecycle
                .deactivated
                .as_ref()
                .is_some_and(|e| e.reason.is_none())
        {
            new.rec_mut().lifecycle.deactivated = Some(event(
                stamp,
                at.saturating_add(old_d.saturating_sub(old_a)),
                None,
                None,
            ));
        }
    }
    set_server_attributes(&mut new, Some(algorithm), Some(length), None, stamp)?;
    let new_uid = new.rec.uuid.clone();
    new.add_link(LinkType::ReplacedObjectLink.value(), &uid, stamp);
    old.add_link(LinkType::ReplacementObjectLink.value(), &new_uid, stamp);
    old.touch(stamp);
    new.seal(
        &kek,
        &Material {
            kind: Kind::Symmetric,
            native_format: KeyFormatType::Raw.value(),
            subtype: 0,
            bytes: key,
        },
    )?;
    ctx.commit(vec![old, new]).await?;
    Ok(ResponsePayload::ReKey {
        unique_identifier: new_uid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    const TASKS: usize = 6;
    const MAX_POLLS: u32 = 2_000;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn key_generation_is_bounded_by_the_semaphore() {
        let sem = Arc::new(tokio::sync::Semaphore::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let (sem, running, peak, release) = (
                Arc::clone(&sem),
                Arc::clone(&running),
                Arc::clone(&peak),
                Arc::clone(&release),
            );
            tasks.push(tokio::spawn(async move {
                generate_off_worker(CpuPool::with_width(2), Some(&sem), move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    // Hold the slot until the test has seen the others wait (bounded).
                    for _ in 0..MAX_POLLS {
                        if release.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                })
                .await
            }));
        }
        // Wait until two generations hold their slots, give the rest every chance to start,
        // then let them all finish.
        for _ in 0..MAX_POLLS {
            if running.load(Ordering::SeqCst) >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(running.load(Ordering::SeqCst), 2);
        release.store(true, Ordering::SeqCst);
        for t in tasks {
            t.await.expect("task").expect("generation");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    /// One worker thread: a generation run on it would never see the worker's signal.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_request_keeps_its_permit_until_the_generation_ends() {
        let sem = Arc::new(tokio::sync::Semaphore::new(1));
        let started = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (s, r) = (Arc::clone(&started), Arc::clone(&release));
        let waiting = tokio::spawn({
            let sem = Arc::clone(&sem);
            async move {
                generate_off_worker(CpuPool::with_width(2), Some(&sem), move || {
                    s.store(true, Ordering::SeqCst);
                    for _ in 0..MAX_POLLS {
                        if r.load(Ordering::SeqCst) {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    Ok(())
                })
                .await
            }
        });
        for _ in 0..MAX_POLLS {
            if started.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert!(started.load(Ordering::SeqCst), "generation started");
        // The request goes away (connection dropped); the generation runs on.
        waiting.abort();
        assert!(waiting.await.is_err_and(|e| e.is_cancelled()));
        assert_eq!(
            sem.available_permits(),
            0,
            "the running generation keeps its slot"
        );
        release.store(true, Ordering::SeqCst);
        for _ in 0..MAX_POLLS {
            if sem.available_permits() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        assert_eq!(sem.available_permits(), 1, "the slot is back once it ends");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn generation_leaves_the_async_worker_free() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let generation = tokio::spawn(generate_off_worker(
            CpuPool::with_width(2),
            None,
            move || {
                rx.recv_timeout(std::time::Duration::from_secs(10))
                    .map_err(|_| {
                        crypto::CryptoError::InvalidParameters(
                            "the async worker was blocked by the generation".to_owned(),
                        )
                    })
            },
        ));
        // The generation task gets the thread first; only then does the worker signal.
        tokio::task::yield_now().await;
        tx.send(()).expect("generation still waiting");
        generation
            .await
            .expect("task")
            .expect("the worker ran while the generation waited");
    }

    #[tokio::test]
    async fn generation_errors_are_cryptographic_failures() {
        let err = generate_off_worker(CpuPool::with_width(2), None, || {
            crypto::generate_symmetric(12)
        })
        .await
        .expect_err("12 bits is refused");
        assert!(matches!(err, OpError::Crypto(_)), "{err}");
    }
}
