//! Encrypt, Decrypt, Sign, Signature Verify, MAC, MAC Verify, RNG Retrieve.

use crate::OpError;
use keywarden_crypto as crypto;
use keywarden_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, DigitalSignatureAlgorithm, HashingAlgorithm,
    ObjectType, PaddingMethod, RecommendedCurve, State,
};
use keywarden_kmip::objects::CryptographicParameters;
use keywarden_kmip::payload::ResponsePayload;
use zeroize::Zeroizing;

use super::Ctx;
use super::get::{material_facts, oaep_params};
use crate::attrs::{self, name};
use crate::material::{KeyFacts, Kind, Material};
use crate::policy::{self, KeyUse};
use keywarden_kmip::ttlv::{Tag, Ttlv};

fn crypto_err(ctx: &Ctx<'_>, e: crypto::CryptoError) -> OpError {
    crypto_err_at(ctx.version, e)
}

/// [`crypto_err`] for work that runs without the request context (on the CPU pool).
fn crypto_err_at(
    _version: keywarden_kmip::message::ProtocolVersion,
    e: crypto::CryptoError,
) -> OpError {
    match e {
        crypto::CryptoError::InvalidParameters(m) | crypto::CryptoError::Unsupported(m) => {
            policy::bad_params(m)
        }
        crypto::CryptoError::AuthenticationFailed => {
            OpError::Crypto("authentication failed".to_owned())
        }
        other => OpError::Crypto(other.to_string()),
    }
}

/// A key ready for a cryptographic operation.
pub(crate) struct UsableKey {
    pub object_type: ObjectType,
    pub material: Material,
    pub facts: KeyFacts,
    /// The key's own Cryptographic Parameters, used when the request gives none.
    pub defaults: Option<CryptographicParameters>,
}

impl UsableKey {
    /// The request's parameters, else the key's, else empty.
    pub(crate) fn params(&self, given: Option<CryptographicParameters>) -> CryptographicParameters {
        given.or_else(|| self.defaults.clone()).unwrap_or_default()
    }
}

/// Loads a key for a cryptographic operation: ownership, state, dates, usage mask, material.
pub(crate) fn use_key(
    ctx: &Ctx<'_>,
    uid: &str,
    operation: &str,
    key_use: KeyUse,
) -> Result<UsableKey, OpError> {
    let obj = ctx.load(uid)?;
    let state = obj.state(ctx.now);
    if matches!(state, State::Destroyed | State::DestroyedCompromised) {
        return Err(policy::destroyed(uid));
    }
    if !policy::state_allows(state, key_use) {
        return Err(policy::wrong_state(format!(
            "{operation} is not allowed with key {uid} in state {state}"
        )));
    }
    // Protect Stop Date ends protection; Process Start Date begins processing (KMIP 1.4
    // §3.26/§3.27).
    let date = |n: &str| obj.first(n).and_then(|v| attrs::as_date(&v));
    match key_use {
        KeyUse::Protect if date(name::PROTECT_STOP_DATE).is_some_and(|d| d <= ctx.now) => {
            return Err(policy::wrong_state(format!(
                "{operation}: key {uid} is past its Protect Stop Date"
            )));
        }
        KeyUse::Process if date(name::PROCESS_START_DATE).is_some_and(|d| d > ctx.now) => {
            return Err(policy::wrong_state(format!(
                "{operation}: key {uid} is before its Process Start Date"
            )));
        }
        _ => {}
    }
    if let Some(bit) = policy::needed_usage(operation)
        && !obj.usage_mask().contains(bit)
    {
        return Err(policy::usage_denied(format!(
            "key {uid}'s Cryptographic Usage Mask does not allow {operation}"
        )));
    }
    let kek = ctx.kek()?;
    let mut material = obj.open(&kek)?;
    // A certificate serves as its public key (encrypt, verify).
    if material.kind == Kind::Certificate {
        let spki = crypto::certificate_public_key(&material.bytes)
            .map_err(|e| OpError::Crypto(e.to_string()))?;
        material = Material {
            kind: Kind::Public,
            native_format: material.native_format,
            subtype: 0,
            bytes: Zeroizing::new(spki),
        };
    }
    let facts = material_facts(&obj, &material)?;
    Ok(UsableKey {
        object_type: obj.object_type()?,
        material,
        facts,
        defaults: key_parameters(ctx, &obj),
    })
}

/// The first Cryptographic Parameters attribute of an object, decoded.
pub(crate) fn key_parameters(
    ctx: &Ctx<'_>,
    obj: &crate::object::Object,
) -> Option<CryptographicParameters> {
    let value = obj.first(name::PARAMETERS)?;
    let item = Ttlv::new(Tag(0x42002B), value);
    CryptographicParameters::from_ttlv(&item, ctx.version).ok()
}

fn wrong_type(
    _ctx: &Ctx<'_>,
    operation: &str,
    t: ObjectType,
    alg: Option<CryptographicAlgorithm>,
) -> OpError {
    OpError::KeyTypeNotApplicable(format!(
        "{operation} is not offered for a {t} with algorithm {alg:?}"
    ))
}

/// The AES mode: GCM unless the parameters say otherwise.
fn aes_mode(
    ctx: &Ctx<'_>,
    p: &CryptographicParameters,
    tag_len: Option<usize>,
) -> Result<crypto::SymmetricMode, OpError> {
    match p.block_cipher_mode.unwrap_or(BlockCipherMode::Gcm) {
        // KMIP 1.4 added the Authenticated Encryption Tag to Encrypt's response and Decrypt's
        // request (1.4 §4.29, §4.30); the 1.2 and 1.3 payloads have no field for it, so a GCM
        // tag could only reach such a client in a field its version lacks, and its
        // ciphertext could never be decrypted.
        BlockCipherMode::Gcm if !ctx.version.has((1, 4)) => Err(policy::bad_params(format!(
            "AES-GCM needs the Authenticated Encryption Tag, which Encrypt and Decrypt \
                 carry only from KMIP 1.4 on, not in {}; use KMIP 1.4 or later, or CBC or CTR",
            ctx.version
        ))),
        BlockCipherMode::Gcm => {
            let from_params = p.tag_length.map(|t| usize::try_from(t).unwrap_or(0));
            Ok(crypto::SymmetricMode::Gcm {
                tag_len: tag_len.or(from_params).unwrap_or(16),
            })
        }
        BlockCipherMode::Cbc => match p.padding_method {
            None | Some(PaddingMethod::Pkcs5) => Ok(crypto::SymmetricMode::Cbc { pkcs7: true }),
            Some(PaddingMethod::None) => Ok(crypto::SymmetricMode::Cbc { pkcs7: false }),
            Some(other) => Err(policy::bad_params(format!(
                "AES-CBC supports PKCS5 padding or none, not {other}"
            ))),
        },
        BlockCipherMode::Ctr => Ok(crypto::SymmetricMode::Ctr),
        other => Err(policy::bad_params(format!(
            "block cipher mode {other} is not supported; use GCM, CBC or CTR"
        ))),
    }
}

/// Encrypt: AES (GCM, CBC, CTR) with symmetric keys, RSA-OAEP with public keys.
pub(crate) fn encrypt(
    ctx: &Ctx<'_>,
    uid: String,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    iv: Option<Vec<u8>>,
    aad: Option<Vec<u8>>,
) -> Result<ResponsePayload, OpError> {
    let key = use_key(ctx, &uid, "Encrypt", KeyUse::Protect)?;
    let p = key.params(parameters);
    let (t, m, facts) = (key.object_type, &key.material, &key.facts);
    match (t, facts.algorithm) {
        (ObjectType::SymmetricKey, Some(CryptographicAlgorithm::Aes)) => {
            let mode = aes_mode(ctx, &p, None)?;
            let generated = iv.is_none();
            let out = crypto::aes_encrypt(&m.bytes, mode, iv.as_deref(), aad.as_deref(), data)
                .map_err(|e| crypto_err(ctx, e))?;
            Ok(ResponsePayload::Encrypt {
                unique_identifier: uid,
                data: out.ciphertext,
                iv_counter_nonce: generated.then_some(out.iv),
                tag: out.tag,
            })
        }
        (ObjectType::PublicKey | ObjectType::Certificate, Some(CryptographicAlgorithm::Rsa)) => {
            let hash = oaep_params(ctx, &p)?;
            let out = crypto::rsa_oaep_encrypt(&m.bytes, hash, p.p_source.as_deref(), data)
                .map_err(|e| crypto_err(ctx, e))?;
            Ok(ResponsePayload::Encrypt {
                unique_identifier: uid,
                data: out,
                iv_counter_nonce: None,
                tag: None,
            })
        }
        (t, a) => Err(wrong_type(ctx, "Encrypt", t, a)),
    }
}

/// Decrypt: the inverse of [`encrypt`], with private keys for RSA-OAEP (on the CPU pool).
pub(crate) async fn decrypt(
    ctx: &Ctx<'_>,
    uid: String,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    iv: Option<Vec<u8>>,
    aad: Option<Vec<u8>>,
    tag: Option<Vec<u8>>,
) -> Result<ResponsePayload, OpError> {
    let key = use_key(ctx, &uid, "Decrypt", KeyUse::Process)?;
    let p = key.params(parameters);
    let (t, m, facts) = (key.object_type, &key.material, &key.facts);
    let plain: Zeroizing<Vec<u8>> = match (t, facts.algorithm) {
        (ObjectType::SymmetricKey, Some(CryptographicAlgorithm::Aes)) => {
            let mode = aes_mode(ctx, &p, tag.as_ref().map(Vec::len))?;
            let iv = iv.ok_or_else(|| {
                OpError::MissingIv("Decrypt: IV/Counter/Nonce is required".to_owned())
            })?;
            crypto::aes_decrypt(&m.bytes, mode, &iv, aad.as_deref(), data, tag.as_deref())
                .map_err(|e| crypto_err(ctx, e))?
        }
        (ObjectType::PrivateKey, Some(CryptographicAlgorithm::Rsa)) => {
            let hash = oaep_params(ctx, &p)?;
            let (key, label, data) = (m.bytes.clone(), p.p_source.clone(), data.to_vec());
            let version = ctx.version;
            ctx.kms
                .cpu
                .run(move || {
                    crypto::rsa_oaep_decrypt(&key, hash, label.as_deref(), &data)
                        .map_err(|e| crypto_err_at(version, e))
                })
                .await?
        }
        (t, a) => return Err(wrong_type(ctx, "Decrypt", t, a)),
    };
    Ok(ResponsePayload::Decrypt {
        unique_identifier: uid,
        data: plain,
    })
}

fn hash_alg(_ctx: &Ctx<'_>, h: HashingAlgorithm) -> Result<crypto::HashAlg, OpError> {
    Ok(match h {
        HashingAlgorithm::Sha1 => crypto::HashAlg::Sha1,
        HashingAlgorithm::Sha224 => crypto::HashAlg::Sha224,
        HashingAlgorithm::Sha256 => crypto::HashAlg::Sha256,
        HashingAlgorithm::Sha384 => crypto::HashAlg::Sha384,
        HashingAlgorithm::Sha512 => crypto::HashAlg::Sha512,
        other => {
            return Err(policy::bad_params(format!(
                "hashing algorithm {other} is not supported"
            )));
        }
    })
}

/// The signature scheme from the parameters, with defaults from the key.
fn scheme(
    ctx: &Ctx<'_>,
    p: &CryptographicParameters,
    facts: &KeyFacts,
) -> Result<crypto::SignatureScheme, OpError> {
    use DigitalSignatureAlgorithm as D;
    use crypto::SignatureScheme as S;
    if let Some(d) = p.digital_signature_algorithm {
        let h = |x| hash_alg(ctx, x);
        return Ok(match d {
            D::Sha1WithRsaEncryption => S::RsaPkcs1v15(h(HashingAlgorithm::Sha1)?),
            D::Sha224WithRsaEncryption => S::RsaPkcs1v15(h(HashingAlgorithm::Sha224)?),
            D::Sha256WithRsaEncryption => S::RsaPkcs1v15(h(HashingAlgorithm::Sha256)?),
            D::Sha384WithRsaEncryption => S::RsaPkcs1v15(h(HashingAlgorithm::Sha384)?),
            D::Sha512WithRsaEncryption => S::RsaPkcs1v15(h(HashingAlgorithm::Sha512)?),
            D::RsassaPss => S::RsaPss(h(p.hashing_algorithm.unwrap_or(HashingAlgorithm::Sha256))?),
            D::EcdsaWithSha1 => S::Ecdsa(h(HashingAlgorithm::Sha1)?),
            D::EcdsaWithSha224 => S::Ecdsa(h(HashingAlgorithm::Sha224)?),
            D::EcdsaWithSha256 => S::Ecdsa(h(HashingAlgorithm::Sha256)?),
            D::EcdsaWithSha384 => S::Ecdsa(h(HashingAlgorithm::Sha384)?),
            D::EcdsaWithSha512 => S::Ecdsa(h(HashingAlgorithm::Sha512)?),
            other => {
                return Err(policy::bad_params(format!(
                    "signature algorithm {other} is not supported"
                )));
            }
        });
    }
    match facts.algorithm {
        Some(CryptographicAlgorithm::Rsa) => {
            let h = hash_alg(ctx, p.hashing_algorithm.unwrap_or(HashingAlgorithm::Sha256))?;
            match p.padding_method {
                Some(PaddingMethod::Pss) => Ok(S::RsaPss(h)),
                None | Some(PaddingMethod::Pkcs1V15) => Ok(S::RsaPkcs1v15(h)),
                Some(other) => Err(policy::bad_params(format!(
                    "RSA signatures support PSS or PKCS1 v1.5 padding, not {other}"
                ))),
            }
        }
        Some(CryptographicAlgorithm::Ed25519) => Ok(S::Ed25519),
        Some(CryptographicAlgorithm::Ec | CryptographicAlgorithm::Ecdsa) => {
            let default = if facts.curve == Some(RecommendedCurve::P384) {
                HashingAlgorithm::Sha384
            } else {
                HashingAlgorithm::Sha256
            };
            Ok(S::Ecdsa(hash_alg(
                ctx,
                p.hashing_algorithm.unwrap_or(default),
            )?))
        }
        other => Err(policy::bad_params(format!(
            "no signature scheme for algorithm {other:?}"
        ))),
    }
}

fn message<'d>(data: &'d Option<Vec<u8>>, digested: &Option<Vec<u8>>) -> Result<&'d [u8], OpError> {
    if digested.is_some() {
        return Err(OpError::Unsupported(
            "Digested Data is not supported; send the Data to be signed".to_owned(),
        ));
    }
    data.as_deref()
        .ok_or_else(|| policy::missing("Data is required"))
}

/// Sign with a private key (on the CPU pool).
pub(crate) async fn sign(
    ctx: &Ctx<'_>,
    uid: String,
    parameters: Option<CryptographicParameters>,
    data: Option<Vec<u8>>,
    digested: Option<Vec<u8>>,
) -> Result<ResponsePayload, OpError> {
    let data = message(&data, &digested)?;
    let key = use_key(ctx, &uid, "Sign", KeyUse::Protect)?;
    if key.object_type != ObjectType::PrivateKey {
        return Err(wrong_type(
            ctx,
            "Sign",
            key.object_type,
            key.facts.algorithm,
        ));
    }
    let scheme = scheme(ctx, &key.params(parameters), &key.facts)?;
    let (bytes, data, version) = (key.material.bytes.clone(), data.to_vec(), ctx.version);
    let signature = ctx
        .kms
        .cpu
        .run(move || crypto::sign(&bytes, scheme, &data).map_err(|e| crypto_err_at(version, e)))
        .await?;
    Ok(ResponsePayload::Sign {
        unique_identifier: uid,
        signature,
    })
}

/// Signature Verify with a public key.
pub(crate) fn verify(
    ctx: &Ctx<'_>,
    uid: String,
    parameters: Option<CryptographicParameters>,
    data: Option<Vec<u8>>,
    digested: Option<Vec<u8>>,
    signature: &[u8],
) -> Result<ResponsePayload, OpError> {
    let data = message(&data, &digested)?;
    let key = use_key(ctx, &uid, "Signature Verify", KeyUse::Process)?;
    if !matches!(
        key.object_type,
        ObjectType::PublicKey | ObjectType::Certificate
    ) {
        return Err(wrong_type(
            ctx,
            "Signature Verify",
            key.object_type,
            key.facts.algorithm,
        ));
    }
    let scheme = scheme(ctx, &key.params(parameters), &key.facts)?;
    let valid = crypto::verify(&key.material.bytes, scheme, data, signature)
        .map_err(|e| crypto_err(ctx, e))?;
    Ok(ResponsePayload::SignatureVerify {
        unique_identifier: uid,
        valid,
    })
}

/// The HMAC hash of a key algorithm.
fn hmac_hash(
    _ctx: &Ctx<'_>,
    alg: Option<CryptographicAlgorithm>,
) -> Result<crypto::HashAlg, OpError> {
    Ok(match alg {
        Some(CryptographicAlgorithm::HmacSha1) => crypto::HashAlg::Sha1,
        Some(CryptographicAlgorithm::HmacSha224) => crypto::HashAlg::Sha224,
        Some(CryptographicAlgorithm::HmacSha256) => crypto::HashAlg::Sha256,
        Some(CryptographicAlgorithm::HmacSha384) => crypto::HashAlg::Sha384,
        Some(CryptographicAlgorithm::HmacSha512) => crypto::HashAlg::Sha512,
        other => {
            return Err(OpError::KeyTypeNotApplicable(format!(
                "MAC needs an HMAC key, not {other:?}"
            )));
        }
    })
}

fn mac_key(
    ctx: &Ctx<'_>,
    uid: &str,
    operation: &str,
    key_use: KeyUse,
    parameters: Option<CryptographicParameters>,
) -> Result<(Material, crypto::HashAlg), OpError> {
    let key = use_key(ctx, uid, operation, key_use)?;
    let (t, facts) = (key.object_type, key.facts);
    if t != ObjectType::SymmetricKey {
        return Err(wrong_type(ctx, operation, t, facts.algorithm));
    }
    let hash = hmac_hash(ctx, facts.algorithm)?;
    if let Some(asked) = key.params(parameters).cryptographic_algorithm
        && hmac_hash(ctx, Some(asked))? != hash
    {
        return Err(policy::bad_params(format!(
            "Cryptographic Parameters ask for {asked}, the key is {:?}",
            facts.algorithm
        )));
    }
    Ok((key.material, hash))
}

/// MAC (HMAC).
pub(crate) fn mac(
    ctx: &Ctx<'_>,
    uid: String,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
) -> Result<ResponsePayload, OpError> {
    let (m, hash) = mac_key(ctx, &uid, "MAC", KeyUse::Protect, parameters)?;
    let mac = crypto::hmac(hash, &m.bytes, data);
    Ok(ResponsePayload::Mac {
        unique_identifier: uid,
        mac,
    })
}

/// MAC Verify (HMAC, constant-time comparison).
pub(crate) fn mac_verify(
    ctx: &Ctx<'_>,
    uid: String,
    parameters: Option<CryptographicParameters>,
    data: &[u8],
    mac: &[u8],
) -> Result<ResponsePayload, OpError> {
    let (m, hash) = mac_key(ctx, &uid, "MAC Verify", KeyUse::Process, parameters)?;
    let valid = crypto::hmac_verify(hash, &m.bytes, data, mac);
    Ok(ResponsePayload::MacVerify {
        unique_identifier: uid,
        valid,
    })
}

/// RNG Retrieve: from the HSM only; while it does not answer, the request fails saying so
/// (never a silent software fallback).
pub(crate) async fn rng_retrieve(ctx: &Ctx<'_>, length: i32) -> Result<ResponsePayload, OpError> {
    let max = hsm_client::MAX_RANDOM;
    let len = u32::try_from(length)
        .ok()
        .filter(|l| (1..=max).contains(l))
        .ok_or_else(|| {
            policy::invalid(format!(
                "RNG Retrieve: Data Length {length} must be 1..={max}"
            ))
        })?;
    let len = usize::try_from(len).map_err(|_| policy::invalid("Data Length"))?;
    // Random output may become key material on the client: hold it zeroizing on every path.
    // From the HSM or not at all: a client asking a KMS for random bytes expects the HSM's
    // RNG, and a silent software fallback would hand out something else under its name.
    let mut data: zeroize::Zeroizing<Vec<u8>> = match ctx.kms.hsm.random(len).await {
        Ok(bytes) => zeroize::Zeroizing::new(bytes),
        Err(e) => {
            return Err(OpError::Unavailable(format!(
                "RNG Retrieve: the HSM's random generator is unavailable ({e}); retry later"
            )));
        }
    };
    // The payload type holds a plain Vec: move the buffer into it instead of copying, so no
    // unzeroized copy is left behind here.
    Ok(ResponsePayload::RngRetrieve {
        data: std::mem::take(&mut *data),
    })
}
