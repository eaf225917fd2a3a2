//! Get, with format conversion and the Key Wrapping Specification.

use crate::OpError;
use keywarden_crypto as crypto;
use keywarden_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, EncodingOption, HashingAlgorithm, KeyCompressionType,
    KeyFormatType, ObjectType, PaddingMethod, State, WrappingMethod,
};
use keywarden_kmip::objects::{
    CryptographicParameters, KeyBlock, KeyValue, KeyWrappingData, KeyWrappingSpecification,
    ManagedObject,
};
use keywarden_kmip::payload::ResponsePayload;
use keywarden_kmip::ttlv::Value;

use super::Ctx;
use crate::attrs::name;
use crate::material::{self, Kind, Material};
use crate::object::Object;
use crate::policy::{self, KeyUse};

/// Facts used to convert material: derived from the material for asymmetric keys (so the
/// conversion never trusts an attribute), from the attributes otherwise.
pub(crate) fn material_facts(obj: &Object, m: &Material) -> Result<material::KeyFacts, OpError> {
    let attr_facts = obj.facts();
    let mut facts = match m.kind {
        Kind::Private => material::private_facts(&m.bytes)?,
        Kind::Public => material::public_facts(&m.bytes)?,
        _ => attr_facts,
    };
    if attr_facts.algorithm.is_some() {
        facts.algorithm = match (attr_facts.algorithm, facts.algorithm) {
            // EC keys keep their family for conversions; the block shows the client's name.
            (Some(_), Some(CryptographicAlgorithm::Ec)) => Some(CryptographicAlgorithm::Ec),
            (a, _) => a,
        };
    }
    Ok(facts)
}

/// Get.
pub(crate) async fn get(
    ctx: &Ctx<'_>,
    uid: String,
    format: Option<KeyFormatType>,
    compression: Option<KeyCompressionType>,
    wrapping: Option<KeyWrappingSpecification>,
) -> Result<ResponsePayload, OpError> {
    let obj = ctx.load(&uid)?;
    let object_type = obj.object_type()?;
    if matches!(
        obj.state(ctx.now),
        State::Destroyed | State::DestroyedCompromised
    ) {
        return Err(policy::destroyed(&uid));
    }
    check_export(ctx, &obj, &uid, wrapping.is_some())?;
    let kek = ctx.kek()?;
    let m = obj.open(&kek)?;
    let facts = material_facts(&obj, &m)?;
    if let Some(c) = compression
        && !(c == KeyCompressionType::EcPublicKeyTypeUncompressed && facts.curve.is_some())
    {
        return Err(OpError::UnsupportedCompression(format!(
            "Key Compression Type {c} is not supported for this object"
        )));
    }
    let mut object = material::to_object(&m, format, &facts, ctx.version)?;
    // The key block reports the object's own algorithm attribute (e.g. ECDSA rather than EC).
    if let Some(block) = block_mut(&mut object) {
        if let Some(a) = obj.facts().algorithm {
            block.cryptographic_algorithm = Some(a);
        }
        block.key_compression_type = compression;
    }
    if let Some(spec) = wrapping {
        wrap(ctx, &mut object, spec)?;
    }
    Ok(ResponsePayload::Get {
        object_type,
        unique_identifier: uid,
        object,
    })
}

/// KMIP 2.1 §4.20 Extractable / §4.48 Sensitive (1.4 §3.48 / §3.47): a non-extractable
/// object's material never leaves the server, wrapped or not; a sensitive one only wrapped.
fn check_export(_ctx: &Ctx<'_>, obj: &Object, uid: &str, wrapped: bool) -> Result<(), OpError> {
    if obj.first(name::EXTRACTABLE) == Some(Value::Boolean(false)) {
        return Err(OpError::NotExtractable(format!(
            "object {uid} has Extractable false: its key material cannot be retrieved"
        )));
    }
    if !wrapped && obj.first(name::SENSITIVE) == Some(Value::Boolean(true)) {
        return Err(OpError::Sensitive(format!(
            "object {uid} has Sensitive true: Get needs a Key Wrapping Specification"
        )));
    }
    Ok(())
}

fn block_mut(object: &mut ManagedObject) -> Option<&mut KeyBlock> {
    match object {
        ManagedObject::SymmetricKey(b)
        | ManagedObject::PrivateKey(b)
        | ManagedObject::PublicKey(b) => Some(b),
        ManagedObject::SecretData { key_block, .. } => Some(key_block),
        _ => None,
    }
}

fn oaep_hash(_ctx: &Ctx<'_>, h: Option<HashingAlgorithm>) -> Result<crypto::OaepHash, OpError> {
    // KMIP's default hash for OAEP is SHA-1 (as in PKCS#1).
    match h.unwrap_or(HashingAlgorithm::Sha1) {
        HashingAlgorithm::Sha1 => Ok(crypto::OaepHash::Sha1),
        HashingAlgorithm::Sha256 => Ok(crypto::OaepHash::Sha256),
        HashingAlgorithm::Sha384 => Ok(crypto::OaepHash::Sha384),
        HashingAlgorithm::Sha512 => Ok(crypto::OaepHash::Sha512),
        other => Err(policy::bad_params(format!(
            "OAEP with hash {other} is not supported"
        ))),
    }
}

/// Checks RSA-OAEP parameters and returns the hash.
pub(crate) fn oaep_params(
    ctx: &Ctx<'_>,
    p: &CryptographicParameters,
) -> Result<crypto::OaepHash, OpError> {
    if let Some(pad) = p.padding_method
        && pad != PaddingMethod::Oaep
    {
        return Err(policy::bad_params(format!(
            "RSA encryption supports OAEP padding only, not {pad}"
        )));
    }
    let hash = oaep_hash(ctx, p.hashing_algorithm)?;
    if let Some(mgf) = p.mask_generator_hashing_algorithm
        && Some(mgf) != p.hashing_algorithm.or(Some(HashingAlgorithm::Sha1))
    {
        return Err(policy::bad_params(
            "OAEP: the mask generator hash must equal the hashing algorithm",
        ));
    }
    Ok(hash)
}

/// Wraps the key value of `object` as the Key Wrapping Specification asks.
fn wrap(
    ctx: &Ctx<'_>,
    object: &mut ManagedObject,
    spec: KeyWrappingSpecification,
) -> Result<(), OpError> {
    if spec.wrapping_method != WrappingMethod::Encrypt {
        return Err(OpError::UnsupportedWrapping(format!(
            "Wrapping Method {} is not supported; use Encrypt",
            spec.wrapping_method
        )));
    }
    if !spec.attribute_names.is_empty() {
        return Err(OpError::Unsupported(
            "wrapping attributes with the key is not supported".to_owned(),
        ));
    }
    if spec.mac_signature_key_uid.is_some() {
        return Err(OpError::Unsupported(
            "MAC/Signature Key Information is not supported with the Encrypt method".to_owned(),
        ));
    }
    if matches!(spec.encoding_option, Some(EncodingOption::TtlvEncoding)) {
        return Err(OpError::UnsupportedEncoding(
            "TTLV encoding of the wrapped key is not supported; use No Encoding".to_owned(),
        ));
    }
    let wrap_uid = spec.encryption_key_uid.clone().ok_or_else(|| {
        policy::missing("Key Wrapping Specification: Encryption Key Information is required")
    })?;
    let wk = ctx.load(&wrap_uid).map_err(|e| {
        if let OpError::NotFound { uid } = e {
            OpError::WrappingKeyNotFound(format!("no wrapping key {uid}"))
        } else {
            e
        }
    })?;
    let state = wk.state(ctx.now);
    if matches!(state, State::Destroyed | State::DestroyedCompromised) {
        return Err(OpError::WrappingKeyDestroyed(format!(
            "wrapping key {wrap_uid} is destroyed"
        )));
    }
    if !policy::state_allows(state, KeyUse::Protect) {
        return Err(policy::wrong_state(format!(
            "wrapping key {wrap_uid} must be Active; it is {state}"
        )));
    }
    if let Some(bit) = policy::needed_usage("Wrap Key")
        && !wk.usage_mask().contains(bit)
    {
        return Err(policy::usage_denied(format!(
            "wrapping key {wrap_uid} lacks the Wrap Key usage"
        )));
    }
    let kek = ctx.kek()?;
    let wm = wk.open(&kek)?;
    let input = material::wrap_input(object)?;
    let params = spec
        .encryption_parameters
        .clone()
        .or_else(|| super::crypto_ops::key_parameters(ctx, &wk))
        .unwrap_or_default();
    let wrapped = match (wk.object_type()?, wm.kind) {
        (ObjectType::SymmetricKey, Kind::Symmetric) => {
            if wk.facts().algorithm != Some(CryptographicAlgorithm::Aes) {
                return Err(policy::bad_params("a symmetric wrapping key must be AES"));
            }
            let mode =
                params
                    .block_cipher_mode
                    .unwrap_or(if input.len() % 8 == 0 && input.len() >= 16 {
                        BlockCipherMode::NistKeyWrap
                    } else {
                        BlockCipherMode::AesKeyWrapPadding
                    });
            match mode {
                BlockCipherMode::NistKeyWrap => crypto::aes_key_wrap(&wm.bytes, &input),
                BlockCipherMode::AesKeyWrapPadding => crypto::aes_key_wrap_pad(&wm.bytes, &input),
                other => {
                    return Err(policy::bad_params(format!("key wrapping with block cipher mode {other} is not supported; use NISTKeyWrap or AESKeyWrapPadding"),
                    ));
                }
            }
            .map_err(|e| OpError::Crypto(e.to_string()))?
        }
        (ObjectType::PublicKey, Kind::Public) => {
            let hash = oaep_params(ctx, &params)?;
            crypto::rsa_oaep_encrypt(&wm.bytes, hash, params.p_source.as_deref(), &input)
                .map_err(|e| OpError::Crypto(e.to_string()))?
        }
        (t, _) => {
            return Err(OpError::KeyTypeNotApplicable(format!(
                "a {t} cannot wrap keys; use an AES key or an RSA public key"
            )));
        }
    };
    let Some(block) = block_mut(object) else {
        return Err(OpError::NotAllowed(
            "this object cannot be wrapped".to_owned(),
        ));
    };
    block.key_value = KeyValue::Wrapped(wrapped);
    block.key_wrapping_data = Some(KeyWrappingData {
        wrapping_method: WrappingMethod::Encrypt,
        encryption_key_uid: Some(wrap_uid),
        encryption_parameters: spec.encryption_parameters,
        mac_signature_key_uid: None,
        iv_counter_nonce: None,
        encoding_option: spec.encoding_option,
    });
    Ok(())
}
