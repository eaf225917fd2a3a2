//! Every operation through the KMIP message layer (`KmipServer::handle`) with real TTLV, on a SoftHSM-backed bridge, at every
//! protocol version from 1.0 to 2.1 where the version matters: each test states what a
//! version offers, including Operation Not Supported for an operation it lacks, the fields it
//! lacks refused, and its own Result Reasons.

mod common;

use common::*;
use keywarden_crypto as crypto;
use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::{
    BatchErrorContinuationOption, BlockCipherMode, CertificateType, CryptographicAlgorithm,
    CryptographicUsageMask as Mask, HashingAlgorithm, KeyFormatType, LinkType, ObjectType,
    Operation, PaddingMethod, QueryFunction, RecommendedCurve, ResultReason, ResultStatus,
    RevocationReasonCode, SecretDataType, State, WrappingMethod,
};
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kmip::objects::{
    CryptographicParameters, KeyBlock, KeyMaterial, KeyValue, KeyWrappingSpecification,
    ManagedObject,
};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::ttlv::{self, Limits, Tag, Ttlv, Value};
use zeroize::Zeroizing;

/// (parameters, AAD, plaintext) of one encryption mode test.
type ModeCase = (Option<CryptographicParameters>, Option<Vec<u8>>, Vec<u8>);

fn get(uid: &str, format: Option<KeyFormatType>) -> RequestPayload {
    RequestPayload::Get {
        unique_identifier: Some(uid.to_owned()),
        key_format_type: format,
        key_compression_type: None,
        key_wrapping_specification: None,
    }
}

fn key_bytes(p: &ResponsePayload) -> Vec<u8> {
    let ResponsePayload::Get { object, .. } = p else {
        panic!("not a Get answer: {p:?}")
    };
    let block = match object {
        ManagedObject::SymmetricKey(b)
        | ManagedObject::PrivateKey(b)
        | ManagedObject::PublicKey(b) => b,
        ManagedObject::SecretData { key_block, .. } => key_block,
        ManagedObject::Certificate { value, .. } => return value.clone(),
        ManagedObject::OpaqueObject { value, .. } => return value.to_vec(),
    };
    match &block.key_value {
        KeyValue::Plain {
            material: KeyMaterial::Bytes(b),
            ..
        } => b.to_vec(),
        KeyValue::Plain {
            material: KeyMaterial::TransparentSymmetric { key },
            ..
        } => key.to_vec(),
        KeyValue::Wrapped(b) => b.clone(),
        other => panic!("unexpected key value {other:?}"),
    }
}

fn block_of(p: &ResponsePayload) -> KeyBlock {
    match p {
        ResponsePayload::Get {
            object:
                ManagedObject::SymmetricKey(b)
                | ManagedObject::PrivateKey(b)
                | ManagedObject::PublicKey(b),
            ..
        } => b.clone(),
        other => panic!("no key block in {other:?}"),
    }
}

fn activate(uid: &str) -> RequestPayload {
    RequestPayload::Activate {
        unique_identifier: Some(uid.to_owned()),
    }
}

fn destroy(uid: &str) -> RequestPayload {
    RequestPayload::Destroy {
        unique_identifier: Some(uid.to_owned()),
    }
}

fn gcm() -> Option<CryptographicParameters> {
    Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Gcm),
        tag_length: Some(16),
        ..Default::default()
    })
}

fn cbc() -> Option<CryptographicParameters> {
    Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Cbc),
        padding_method: Some(PaddingMethod::Pkcs5),
        ..Default::default()
    })
}

/// AES parameters a client of version `v` can use: GCM from 1.4 on, where Encrypt and Decrypt
/// carry its tag, CBC with PKCS#5 padding before.
fn aes_params(v: ProtocolVersion) -> Option<CryptographicParameters> {
    if v >= V14 { gcm() } else { cbc() }
}

/// The reason for a key whose Cryptographic Usage Mask lacks the operation: Incompatible
/// Cryptographic Usage Mask exists from 2.0 on; 1.x answers Permission Denied.
fn usage_reason(v: ProtocolVersion) -> ResultReason {
    if v.major >= 2 {
        ResultReason::IncompatibleCryptographicUsageMask
    } else {
        ResultReason::PermissionDenied
    }
}

/// The reason for changing an attribute only the server sets: Read Only Attribute exists from
/// 2.0 on; 1.x answers Permission Denied.
fn read_only_reason(v: ProtocolVersion) -> ResultReason {
    if v.major >= 2 {
        ResultReason::ReadOnlyAttribute
    } else {
        ResultReason::PermissionDenied
    }
}

fn encrypt(
    uid: &str,
    data: &[u8],
    params: Option<CryptographicParameters>,
    aad: Option<&[u8]>,
) -> RequestPayload {
    RequestPayload::Encrypt {
        unique_identifier: Some(uid.to_owned()),
        parameters: params,
        data: Zeroizing::new(data.to_vec()),
        iv_counter_nonce: None,
        aad: aad.map(<[u8]>::to_vec),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_versions_and_query() {
    let env = Env::start().await;
    let mut newest_first = ALL_VERSIONS.to_vec();
    newest_first.reverse();
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        // Discover Versions exists from 1.1 on.
        if let Some(answer) = c
            .ok_if_defined(RequestPayload::DiscoverVersions { versions: vec![] })
            .await
        {
            match answer {
                ResponsePayload::DiscoverVersions { versions } => {
                    assert_eq!(versions, newest_first);
                }
                other => panic!("{other:?}"),
            }
        }
        let wanted = vec![V14, ProtocolVersion::V1_1];
        if let Some(answer) = c
            .ok_if_defined(RequestPayload::DiscoverVersions {
                versions: wanted.clone(),
            })
            .await
        {
            match answer {
                ResponsePayload::DiscoverVersions { versions } => assert_eq!(versions, wanted),
                other => panic!("{other:?}"),
            }
        }
        let functions = vec![
            QueryFunction::QueryOperations,
            QueryFunction::QueryObjects,
            QueryFunction::QueryServerInformation,
        ];
        match c.ok(RequestPayload::Query { functions }).await {
            ResponsePayload::Query {
                operations,
                object_types,
                vendor_identification,
                ..
            } => {
                // A client is offered the served operations its version defines, and no other.
                for op in [
                    Operation::Create,
                    Operation::DiscoverVersions,
                    Operation::Encrypt,
                    Operation::RngRetrieve,
                    Operation::SetAttribute,
                ] {
                    assert_eq!(operations.contains(&op), has(op, v), "{op} at {v}");
                }
                assert!(
                    operations.iter().all(|op| has(*op, v)),
                    "{v}: {operations:?}"
                );
                assert!(object_types.contains(&ObjectType::SymmetricKey));
                assert!(
                    object_types.iter().all(|t| t.exists_in(v.major, v.minor)),
                    "{v}: {object_types:?}"
                );
                assert_eq!(vendor_identification.as_deref(), Some("Keywarden"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_aes_and_get_formats() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        for bits in [128, 192, 256] {
            let uid = c
                .create_aes(bits, vec![name(&format!("k-{bits}-{v}"))])
                .await;
            let raw = c.ok(get(&uid, None)).await;
            let block = block_of(&raw);
            assert_eq!(block.key_format_type, KeyFormatType::Raw);
            assert_eq!(
                block.cryptographic_algorithm,
                Some(CryptographicAlgorithm::Aes)
            );
            assert_eq!(block.cryptographic_length, Some(bits));
            let key = key_bytes(&raw);
            assert_eq!(key.len() * 8, usize::try_from(bits).expect("bits"));
            let t = c
                .ok(get(&uid, Some(KeyFormatType::TransparentSymmetricKey)))
                .await;
            assert_eq!(key_bytes(&t), key);
            assert_eq!(
                c.fail(get(&uid, Some(KeyFormatType::Pkcs8))).await,
                ResultReason::KeyFormatTypeNotSupported
            );
            assert_eq!(c.state(&uid).await, State::PreActive.value());
            match c.attribute(&uid, "Cryptographic Usage Mask").await {
                Some(Value::Integer(m)) => {
                    let m = Mask(u32::from_ne_bytes(m.to_ne_bytes()));
                    assert!(m.contains(Mask::ENCRYPT) && m.contains(Mask::DECRYPT));
                }
                other => panic!("usage mask {other:?}"),
            }
        }
    }
}

/// New identifiers are UUID version 7: time-ordered, so the objects of one group commit share
/// a few B-tree pages, with 74 random bits left so they still cannot be guessed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_are_time_ordered_uuid_v7() {
    let env = Env::start().await;
    // One sequence across the versions: the order holds whichever version asks.
    let mut previous: Option<uuid::Uuid> = None;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        for _ in 0..3 {
            let uid = c.create_aes(128, Vec::new()).await;
            let id = uuid::Uuid::parse_str(&uid).expect("identifier is a UUID");
            assert_eq!(id.get_version_num(), 7, "{uid} at {v}");
            assert_eq!(
                uid,
                id.hyphenated().to_string(),
                "canonical lower-case form at {v}"
            );
            if let Some(p) = previous {
                assert!(id > p, "{id} does not sort after {p} at {v}");
            }
            previous = Some(id);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_validates_template() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let no_alg = RequestPayload::Create {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes(vec![len(256)]),
        };
        assert_eq!(c.fail(no_alg).await, ResultReason::MissingData);
        let bad_len = RequestPayload::Create {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes(vec![alg(CryptographicAlgorithm::Aes), len(100)]),
        };
        assert_eq!(c.fail(bad_len).await, ResultReason::InvalidField);
        let wrong_type = RequestPayload::Create {
            object_type: ObjectType::PrivateKey,
            attributes: Attributes(vec![alg(CryptographicAlgorithm::Aes), len(256)]),
        };
        let expected = if v.major >= 2 {
            ResultReason::InvalidObjectType
        } else {
            ResultReason::InvalidField
        };
        assert_eq!(c.fail(wrong_type).await, expected);
        let server_attr = RequestPayload::Create {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes(vec![
                alg(CryptographicAlgorithm::Aes),
                len(256),
                Attribute::new("Initial Date", Value::DateTime(5)),
            ]),
        };
        assert_eq!(c.fail(server_attr).await, read_only_reason(v));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hmac_keys_mac_and_verify() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        for (a, hash) in [
            (CryptographicAlgorithm::HmacSha256, crypto::HashAlg::Sha256),
            (CryptographicAlgorithm::HmacSha384, crypto::HashAlg::Sha384),
            (CryptographicAlgorithm::HmacSha512, crypto::HashAlg::Sha512),
        ] {
            let uid = uid_of(
                &c.ok(RequestPayload::Create {
                    object_type: ObjectType::SymmetricKey,
                    attributes: Attributes(vec![alg(a)]),
                })
                .await,
            );
            c.ok(activate(&uid)).await;
            let key = key_bytes(&c.ok(get(&uid, None)).await);
            let data = b"message to authenticate".to_vec();
            let mac = match c
                .ok_if_defined(RequestPayload::Mac {
                    unique_identifier: Some(uid.clone()),
                    parameters: None,
                    data: data.clone(),
                })
                .await
            {
                Some(ResponsePayload::Mac { mac, .. }) => {
                    assert_eq!(mac, crypto::hmac(hash, &key, &data));
                    mac
                }
                // A version without MAC has no MAC Verify either (both 1.2): its refusal is
                // checked below with no MAC.
                None => Vec::new(),
                Some(other) => panic!("{other:?}"),
            };
            for (m, expect) in [(mac.clone(), true), (vec![0u8; mac.len()], false)] {
                match c
                    .ok_if_defined(RequestPayload::MacVerify {
                        unique_identifier: Some(uid.clone()),
                        parameters: None,
                        data: data.clone(),
                        mac: m,
                    })
                    .await
                {
                    Some(ResponsePayload::MacVerify { valid, .. }) => assert_eq!(valid, expect),
                    None => {}
                    Some(other) => panic!("{other:?}"),
                }
            }
            // An HMAC key cannot encrypt: the default usage mask has no Encrypt bit.
            c.refuses(encrypt(&uid, b"x", aes_params(v), None), usage_reason(v))
                .await;
        }
    }
}

async fn key_pair(c: &Client, attrs: Vec<Attribute>) -> (String, String) {
    match c
        .ok(RequestPayload::CreateKeyPair {
            common: Attributes(attrs),
            private: Attributes(vec![name("sk")]),
            public: Attributes(vec![name("pk")]),
        })
        .await
    {
        ResponsePayload::CreateKeyPair {
            private_key_unique_identifier,
            public_key_unique_identifier,
        } => (private_key_unique_identifier, public_key_unique_identifier),
        other => panic!("{other:?}"),
    }
}

async fn sign_verify(c: &Client, sk: &str, pk: &str, params: Option<CryptographicParameters>) {
    let data = b"signed payload".to_vec();
    let signature = match c
        .ok_if_defined(RequestPayload::Sign {
            unique_identifier: Some(sk.to_owned()),
            parameters: params.clone(),
            data: Some(data.clone()),
            digested_data: None,
        })
        .await
    {
        Some(ResponsePayload::Sign { signature, .. }) => signature,
        // A version without Sign has no Signature Verify either (both 1.2): its refusal is
        // checked below with no signature.
        None => Vec::new(),
        Some(other) => panic!("{other:?}"),
    };
    for (d, expect) in [(data.clone(), true), (b"other".to_vec(), false)] {
        match c
            .ok_if_defined(RequestPayload::SignatureVerify {
                unique_identifier: Some(pk.to_owned()),
                parameters: params.clone(),
                data: Some(d),
                digested_data: None,
                signature: signature.clone(),
            })
            .await
        {
            Some(ResponsePayload::SignatureVerify { valid, .. }) => assert_eq!(valid, expect),
            None => {}
            Some(other) => panic!("{other:?}"),
        }
    }
}

/// The Decrypt of what `encrypted` (an Encrypt answer) returned, with `params` and `aad`.
/// Without an answer, at a version that has neither Encrypt nor Decrypt (both 1.2), it carries
/// no ciphertext: such a version refuses it before reading it.
fn decrypt_of(
    uid: &str,
    params: Option<CryptographicParameters>,
    aad: Option<Vec<u8>>,
    encrypted: Option<&ResponsePayload>,
) -> RequestPayload {
    let (data, iv_counter_nonce, tag) = match encrypted {
        Some(ResponsePayload::Encrypt {
            data,
            iv_counter_nonce,
            tag,
            ..
        }) => (data.clone(), iv_counter_nonce.clone(), tag.clone()),
        None => (Vec::new(), None, None),
        Some(other) => panic!("not an Encrypt answer: {other:?}"),
    };
    RequestPayload::Decrypt {
        unique_identifier: Some(uid.to_owned()),
        parameters: params,
        data,
        iv_counter_nonce,
        aad,
        tag,
    }
}

/// The plaintext of a Decrypt answer.
fn decrypted(p: &ResponsePayload) -> &[u8] {
    match p {
        ResponsePayload::Decrypt { data, .. } => data,
        other => panic!("not a Decrypt answer: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa_key_pair_links_formats_sign_encrypt() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let (sk, pk) = key_pair(&c, vec![alg(CryptographicAlgorithm::Rsa), len(2048)]).await;
        // Links both ways.
        let sk_link = c.attribute(&sk, "Link").await.expect("private key link");
        assert_eq!(
            sk_link,
            Attribute::link(LinkType::PublicKeyLink, pk.clone()).value
        );
        let pk_link = c.attribute(&pk, "Link").await.expect("public key link");
        assert_eq!(
            pk_link,
            Attribute::link(LinkType::PrivateKeyLink, sk.clone()).value
        );
        // Formats.
        assert_eq!(
            block_of(&c.ok(get(&sk, None)).await).key_format_type,
            KeyFormatType::Pkcs1
        );
        let pkcs8 = key_bytes(&c.ok(get(&sk, Some(KeyFormatType::Pkcs8))).await);
        assert_eq!(
            crypto::inspect_private_pkcs8(&pkcs8).expect("pkcs8").1,
            2048
        );
        let spki = key_bytes(&c.ok(get(&pk, Some(KeyFormatType::X509))).await);
        assert_eq!(crypto::public_from_private(&pkcs8).expect("public"), spki);
        let t = block_of(
            &c.ok(get(&sk, Some(KeyFormatType::TransparentRsaPrivateKey)))
                .await,
        );
        assert!(matches!(
            t.key_value,
            KeyValue::Plain {
                material: KeyMaterial::TransparentRsaPrivate { .. },
                ..
            }
        ));
        let t = block_of(
            &c.ok(get(&pk, Some(KeyFormatType::TransparentRsaPublicKey)))
                .await,
        );
        assert!(matches!(
            t.key_value,
            KeyValue::Plain {
                material: KeyMaterial::TransparentRsaPublic { .. },
                ..
            }
        ));
        // Pre-Active keys cannot sign.
        c.refuses(
            RequestPayload::Sign {
                unique_identifier: Some(sk.clone()),
                parameters: None,
                data: Some(b"x".to_vec()),
                digested_data: None,
            },
            lifecycle_reason(v),
        )
        .await;
        c.ok(activate(&sk)).await;
        c.ok(activate(&pk)).await;
        sign_verify(&c, &sk, &pk, None).await;
        sign_verify(
            &c,
            &sk,
            &pk,
            Some(CryptographicParameters {
                padding_method: Some(PaddingMethod::Pss),
                hashing_algorithm: Some(HashingAlgorithm::Sha384),
                ..Default::default()
            }),
        )
        .await;
        let oaep = Some(CryptographicParameters {
            padding_method: Some(PaddingMethod::Oaep),
            hashing_algorithm: Some(HashingAlgorithm::Sha256),
            ..Default::default()
        });
        let ct = c
            .ok_if_defined(encrypt(&pk, b"secret", oaep.clone(), None))
            .await;
        if let Some(p) = c
            .ok_if_defined(decrypt_of(&sk, oaep, None, ct.as_ref()))
            .await
        {
            assert_eq!(decrypted(&p), b"secret");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ec_and_ed25519_key_pairs() {
    let env = Env::start().await;
    let curve = |rc: RecommendedCurve| {
        Attribute::new(
            "Cryptographic Domain Parameters",
            Value::Structure(vec![Ttlv::new(
                Tag(0x420075),
                Value::Enumeration(rc.value()),
            )]),
        )
    };
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let exists = |a: CryptographicAlgorithm| a.exists_in(v.major, v.minor);
        // ECDSA on a named curve exists in every version; the algorithm EC from 1.2, Ed25519
        // from 2.0. An older version's request naming a newer algorithm is refused like an
        // unknown value (Invalid Field: 1.x has no Invalid Attribute Value).
        for newer in [CryptographicAlgorithm::Ec, CryptographicAlgorithm::Ed25519] {
            if exists(newer) {
                continue;
            }
            let refused = RequestPayload::CreateKeyPair {
                common: Attributes(vec![alg(newer), curve(RecommendedCurve::P256)]),
                private: Attributes::default(),
                public: Attributes::default(),
            };
            assert_eq!(
                c.fail(refused).await,
                ResultReason::InvalidField,
                "{newer} at {v}"
            );
        }
        let mut cases = vec![(
            vec![
                alg(CryptographicAlgorithm::Ecdsa),
                curve(RecommendedCurve::P256),
            ],
            256,
        )];
        if exists(CryptographicAlgorithm::Ec) {
            cases.push((vec![alg(CryptographicAlgorithm::Ec), len(384)], 384));
        }
        if exists(CryptographicAlgorithm::Ed25519) {
            cases.push((vec![alg(CryptographicAlgorithm::Ed25519)], 0));
        }
        for (attrs, bits) in cases {
            let (sk, pk) = key_pair(&c, attrs).await;
            c.ok(activate(&sk)).await;
            c.ok(activate(&pk)).await;
            // Sign and Signature Verify exist from 1.2; before, both are Operation Not
            // Supported.
            sign_verify(&c, &sk, &pk, None).await;
            let spki = key_bytes(&c.ok(get(&pk, None)).await);
            let kind = crypto::inspect_public_spki(&spki).expect("spki").0;
            if bits == 0 {
                assert_eq!(kind, crypto::AsymmetricKind::Ed25519, "{v}");
                continue;
            }
            // Transparent EC Public Key exists from 1.3 on.
            if KeyFormatType::TransparentEcPublicKey.exists_in(v.major, v.minor) {
                let t = block_of(
                    &c.ok(get(&pk, Some(KeyFormatType::TransparentEcPublicKey)))
                        .await,
                );
                assert!(
                    matches!(
                        t.key_value,
                        KeyValue::Plain {
                            material: KeyMaterial::TransparentEcPublic { .. },
                            ..
                        }
                    ),
                    "{v}"
                );
            }
            let sec1 = key_bytes(&c.ok(get(&sk, Some(KeyFormatType::EcPrivateKey))).await);
            assert!(crypto::ec_private_sec1_to_pkcs8(&sec1).is_ok(), "{v}");
        }
        // RSA with a length the server does not offer: Invalid Attribute Value exists from 2.0
        // on; 1.x answers Invalid Field.
        let bad = RequestPayload::CreateKeyPair {
            common: Attributes(vec![alg(CryptographicAlgorithm::Rsa), len(1024)]),
            private: Attributes::default(),
            public: Attributes::default(),
        };
        let expected = if v.major >= 2 {
            ResultReason::InvalidAttributeValue
        } else {
            ResultReason::InvalidField
        };
        assert_eq!(c.fail(bad).await, expected, "{v}");
    }
}

fn sym_block(
    format: KeyFormatType,
    material: KeyMaterial,
    a: Option<CryptographicAlgorithm>,
) -> KeyBlock {
    KeyBlock {
        key_format_type: format,
        key_compression_type: None,
        key_value: KeyValue::Plain {
            material,
            attributes: Attributes::default(),
        },
        cryptographic_algorithm: a,
        cryptographic_length: None,
        key_wrapping_data: None,
    }
}

fn register(t: ObjectType, object: ManagedObject, attrs: Vec<Attribute>) -> RequestPayload {
    RequestPayload::Register {
        object_type: t,
        attributes: Attributes(attrs),
        object,
    }
}

fn certificate_der() -> Vec<u8> {
    let key = rcgen::KeyPair::generate().expect("rcgen key");
    let params = rcgen::CertificateParams::new(vec!["kms.test".to_owned()]).expect("params");
    params
        .self_signed(&key)
        .expect("self-signed")
        .der()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_every_object_type() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        // Symmetric key, raw and transparent.
        let key = vec![7u8; 32];
        let uid = uid_of(
            &c.ok(register(
                ObjectType::SymmetricKey,
                ManagedObject::SymmetricKey(sym_block(
                    KeyFormatType::Raw,
                    KeyMaterial::Bytes(Zeroizing::new(key.clone())),
                    Some(CryptographicAlgorithm::Aes),
                )),
                vec![name("registered")],
            ))
            .await,
        );
        assert_eq!(key_bytes(&c.ok(get(&uid, None)).await), key);
        assert_eq!(
            c.attribute(&uid, "Cryptographic Length").await,
            Some(Value::Integer(256))
        );
        let t = uid_of(
            &c.ok(register(
                ObjectType::SymmetricKey,
                ManagedObject::SymmetricKey(sym_block(
                    KeyFormatType::TransparentSymmetricKey,
                    KeyMaterial::TransparentSymmetric {
                        key: Zeroizing::new(vec![1u8; 16]),
                    },
                    None,
                )),
                vec![alg(CryptographicAlgorithm::Aes)],
            ))
            .await,
        );
        assert_eq!(
            block_of(&c.ok(get(&t, None)).await).key_format_type,
            KeyFormatType::TransparentSymmetricKey
        );
        // A wrong-sized AES key is refused.
        let bad = register(
            ObjectType::SymmetricKey,
            ManagedObject::SymmetricKey(sym_block(
                KeyFormatType::Raw,
                KeyMaterial::Bytes(Zeroizing::new(vec![1u8; 17])),
                Some(CryptographicAlgorithm::Aes),
            )),
            vec![],
        );
        assert_eq!(c.fail(bad).await, ResultReason::InvalidField);
        // Private key PKCS#8 and PKCS#1; public key SPKI and PKCS#1.
        let pair = crypto::generate_key_pair(crypto::KeyPairSpec::Rsa(2048)).expect("rsa");
        let sk = uid_of(
            &c.ok(register(
                ObjectType::PrivateKey,
                ManagedObject::PrivateKey(sym_block(
                    KeyFormatType::Pkcs8,
                    KeyMaterial::Bytes(pair.private_pkcs8.clone()),
                    Some(CryptographicAlgorithm::Rsa),
                )),
                vec![],
            ))
            .await,
        );
        assert_eq!(
            key_bytes(&c.ok(get(&sk, None)).await),
            pair.private_pkcs8.to_vec()
        );
        let pkcs1 = crypto::rsa_private_pkcs8_to_pkcs1(&pair.private_pkcs8).expect("pkcs1");
        let sk1 = uid_of(
            &c.ok(register(
                ObjectType::PrivateKey,
                ManagedObject::PrivateKey(sym_block(
                    KeyFormatType::Pkcs1,
                    KeyMaterial::Bytes(pkcs1.clone()),
                    None,
                )),
                vec![],
            ))
            .await,
        );
        assert_eq!(key_bytes(&c.ok(get(&sk1, None)).await), pkcs1.to_vec());
        assert_eq!(
            key_bytes(&c.ok(get(&sk1, Some(KeyFormatType::Pkcs8))).await),
            pair.private_pkcs8.to_vec()
        );
        let pk = uid_of(
            &c.ok(register(
                ObjectType::PublicKey,
                ManagedObject::PublicKey(sym_block(
                    KeyFormatType::X509,
                    KeyMaterial::Bytes(Zeroizing::new(pair.public_spki.clone())),
                    None,
                )),
                vec![],
            ))
            .await,
        );
        assert_eq!(key_bytes(&c.ok(get(&pk, None)).await), pair.public_spki);
        let pub1 = crypto::rsa_public_spki_to_pkcs1(&pair.public_spki).expect("pkcs1 public");
        let pk1 = uid_of(
            &c.ok(register(
                ObjectType::PublicKey,
                ManagedObject::PublicKey(sym_block(
                    KeyFormatType::Pkcs1,
                    KeyMaterial::Bytes(Zeroizing::new(pub1.clone())),
                    None,
                )),
                vec![],
            ))
            .await,
        );
        assert_eq!(
            key_bytes(&c.ok(get(&pk1, Some(KeyFormatType::X509))).await),
            pair.public_spki
        );
        // Garbage private key.
        let bad = register(
            ObjectType::PrivateKey,
            ManagedObject::PrivateKey(sym_block(
                KeyFormatType::Pkcs8,
                KeyMaterial::Bytes(Zeroizing::new(vec![0x30, 3, 1, 2, 3])),
                None,
            )),
            vec![],
        );
        assert_eq!(c.fail(bad).await, ResultReason::InvalidField);
        // Certificate: stored as DER, Get returns it.
        let der = certificate_der();
        let cert = uid_of(
            &c.ok(register(
                ObjectType::Certificate,
                ManagedObject::Certificate {
                    certificate_type: CertificateType::X509,
                    value: der.clone(),
                },
                vec![],
            ))
            .await,
        );
        assert_eq!(key_bytes(&c.ok(get(&cert, None)).await), der);
        let bad = register(
            ObjectType::Certificate,
            ManagedObject::Certificate {
                certificate_type: CertificateType::X509,
                value: vec![1, 2, 3],
            },
            vec![],
        );
        assert_eq!(c.fail(bad).await, ResultReason::InvalidField);
        // Secret data and opaque object.
        let secret = uid_of(
            &c.ok(register(
                ObjectType::SecretData,
                ManagedObject::SecretData {
                    secret_data_type: SecretDataType::Password,
                    key_block: sym_block(
                        KeyFormatType::Opaque,
                        KeyMaterial::Bytes(Zeroizing::new(b"hunter2".to_vec())),
                        None,
                    ),
                },
                vec![],
            ))
            .await,
        );
        assert_eq!(key_bytes(&c.ok(get(&secret, None)).await), b"hunter2");
        let opaque = uid_of(
            &c.ok(register(
                ObjectType::OpaqueObject,
                ManagedObject::OpaqueObject {
                    opaque_data_type: 0x8000_0001,
                    value: Zeroizing::new(vec![9, 9, 9]),
                },
                vec![],
            ))
            .await,
        );
        assert_eq!(key_bytes(&c.ok(get(&opaque, None)).await), vec![9, 9, 9]);
        // Mismatched object type: the codec reads the object by its declared type, so this is
        // refused before the operation runs, never stored.
        let bad = register(
            ObjectType::PublicKey,
            ManagedObject::OpaqueObject {
                opaque_data_type: 1,
                value: Zeroizing::new(vec![1]),
            },
            vec![],
        );
        let reason = c.fail(bad).await;
        assert_ne!(reason, ResultReason::GeneralFailure);
    }
}

fn wrapped_get(
    uid: &str,
    wrapping_key: &str,
    mode: Option<BlockCipherMode>,
    hash: Option<HashingAlgorithm>,
) -> RequestPayload {
    RequestPayload::Get {
        unique_identifier: Some(uid.to_owned()),
        key_format_type: None,
        key_compression_type: None,
        key_wrapping_specification: Some(KeyWrappingSpecification {
            wrapping_method: WrappingMethod::Encrypt,
            encryption_key_uid: Some(wrapping_key.to_owned()),
            encryption_parameters: Some(CryptographicParameters {
                block_cipher_mode: mode,
                hashing_algorithm: hash,
                padding_method: hash.map(|_| PaddingMethod::Oaep),
                ..Default::default()
            }),
            mac_signature_key_uid: None,
            attribute_names: vec![],
            encoding_option: None,
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_with_key_wrapping() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let target = c.create_aes(256, vec![]).await;
        let clear = key_bytes(&c.ok(get(&target, None)).await);
        let kek = c.create_aes(256, vec![]).await;
        // Pre-Active wrapping key refused.
        assert_eq!(
            c.fail(wrapped_get(
                &target,
                &kek,
                Some(BlockCipherMode::NistKeyWrap),
                None
            ))
            .await,
            lifecycle_reason(v)
        );
        c.ok(activate(&kek)).await;
        let kek_bytes = key_bytes(&c.ok(get(&kek, None)).await);
        let answer = c
            .ok(wrapped_get(
                &target,
                &kek,
                Some(BlockCipherMode::NistKeyWrap),
                None,
            ))
            .await;
        let block = block_of(&answer);
        let wd = block.key_wrapping_data.clone().expect("key wrapping data");
        assert_eq!(wd.wrapping_method, WrappingMethod::Encrypt);
        assert_eq!(wd.encryption_key_uid.as_deref(), Some(kek.as_str()));
        let unwrapped =
            crypto::aes_key_unwrap(&kek_bytes, &key_bytes(&answer)).expect("RFC 3394 unwrap");
        assert_eq!(unwrapped.to_vec(), clear);
        let answer = c
            .ok(wrapped_get(
                &target,
                &kek,
                Some(BlockCipherMode::AesKeyWrapPadding),
                None,
            ))
            .await;
        let unwrapped =
            crypto::aes_key_unwrap_pad(&kek_bytes, &key_bytes(&answer)).expect("RFC 5649 unwrap");
        assert_eq!(unwrapped.to_vec(), clear);
        // RSA-OAEP with a public key.
        let (sk, pk) = key_pair(&c, vec![alg(CryptographicAlgorithm::Rsa), len(2048)]).await;
        c.ok(activate(&pk)).await;
        let answer = c
            .ok(wrapped_get(
                &target,
                &pk,
                None,
                Some(HashingAlgorithm::Sha256),
            ))
            .await;
        let sk_pkcs8 = key_bytes(&c.ok(get(&sk, Some(KeyFormatType::Pkcs8))).await);
        let unwrapped = crypto::rsa_oaep_decrypt(
            &sk_pkcs8,
            crypto::OaepHash::Sha256,
            None,
            &key_bytes(&answer),
        )
        .expect("OAEP unwrap");
        assert_eq!(unwrapped.to_vec(), clear);
        // A wrapping key without the Wrap Key usage.
        let no_wrap = c
            .create_aes(256, vec![mask(Mask::ENCRYPT | Mask::DECRYPT)])
            .await;
        c.ok(activate(&no_wrap)).await;
        assert_eq!(
            c.fail(wrapped_get(&target, &no_wrap, None, None)).await,
            usage_reason(v)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attribute_operations() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let uid = c
            .create_aes(128, vec![name("first"), text("x-team", "blue")])
            .await;
        // Get Attributes (all) contains server and client attributes.
        let all = match c
            .ok(RequestPayload::GetAttributes {
                unique_identifier: Some(uid.clone()),
                names: vec![],
            })
            .await
        {
            ResponsePayload::GetAttributes { attributes, .. } => attributes.0,
            other => panic!("{other:?}"),
        };
        for n in [
            "Unique Identifier",
            "Object Type",
            "State",
            "Initial Date",
            "Last Change Date",
            "Name",
            "x-team",
            "Cryptographic Algorithm",
        ] {
            assert!(
                all.iter().any(|a| a.name == n),
                "{n} missing in {v}: {all:?}"
            );
        }
        let list = match c
            .ok(RequestPayload::GetAttributeList {
                unique_identifier: Some(uid.clone()),
            })
            .await
        {
            ResponsePayload::GetAttributeList { names, .. } => names,
            other => panic!("{other:?}"),
        };
        assert!(list.contains(&"Cryptographic Length".to_owned()));
        // Add a second name, modify the custom attribute, delete the first name.
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: name("second"),
        })
        .await;
        let names = match c
            .ok(RequestPayload::GetAttributes {
                unique_identifier: Some(uid.clone()),
                names: vec!["Name".to_owned()],
            })
            .await
        {
            ResponsePayload::GetAttributes { attributes, .. } => attributes.0,
            other => panic!("{other:?}"),
        };
        assert_eq!(names.len(), 2);
        c.ok(RequestPayload::ModifyAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: text("x-team", "red"),
            current: None,
        })
        .await;
        assert_eq!(
            c.attribute(&uid, "x-team").await,
            Some(Value::TextString("red".to_owned()))
        );
        let (index, current) = if v.major >= 2 {
            (None, Some(name("first")))
        } else {
            (Some(0), None)
        };
        c.ok(RequestPayload::DeleteAttribute {
            unique_identifier: Some(uid.clone()),
            name: "Name".to_owned(),
            index,
            current,
        })
        .await;
        assert_eq!(c.attribute(&uid, "Name").await, Some(name("second").value));
        // Single-instance attribute: Contact Information.
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: text("Contact Information", "ops"),
        })
        .await;
        let twice = c
            .fail(RequestPayload::AddAttribute {
                unique_identifier: Some(uid.clone()),
                attribute: text("Contact Information", "dev"),
            })
            .await;
        assert_eq!(
            twice,
            if v.major >= 2 {
                ResultReason::AttributeSingleValued
            } else {
                ResultReason::IllegalOperation
            }
        );
        // Set Attribute exists from 2.0 on.
        if c.ok_if_defined(RequestPayload::SetAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: text("Contact Information", "sec"),
        })
        .await
        .is_some()
        {
            assert_eq!(
                c.attribute(&uid, "Contact Information").await,
                Some(Value::TextString("sec".to_owned()))
            );
        }
        // Read-only attributes.
        let read_only = read_only_reason(v);
        for attribute in [
            Attribute::enumeration("State", State::Active),
            Attribute::new("Cryptographic Length", Value::Integer(64)),
            Attribute::new("Unique Identifier", Value::TextString("forged".to_owned())),
            mask(Mask::ENCRYPT),
        ] {
            assert_eq!(
                c.fail(RequestPayload::ModifyAttribute {
                    unique_identifier: Some(uid.clone()),
                    attribute: attribute.clone(),
                    current: None
                })
                .await,
                read_only,
                "modify {}",
                attribute.name
            );
            assert_eq!(
                c.fail(RequestPayload::AddAttribute {
                    unique_identifier: Some(uid.clone()),
                    attribute: attribute.clone()
                })
                .await,
                read_only,
                "add {}",
                attribute.name
            );
        }
        assert_eq!(
            c.fail(RequestPayload::DeleteAttribute {
                unique_identifier: Some(uid.clone()),
                name: "State".to_owned(),
                index: None,
                current: None
            })
            .await,
            read_only
        );
        // Deleting an absent attribute.
        let absent = c
            .fail(RequestPayload::DeleteAttribute {
                unique_identifier: Some(uid.clone()),
                name: "x-none".to_owned(),
                index: None,
                current: None,
            })
            .await;
        assert_eq!(
            absent,
            if v.major >= 2 {
                ResultReason::AttributeNotFound
            } else {
                ResultReason::ItemNotFound
            }
        );
        // Links can be added by clients, with the link types their version defines: Parent
        // Link from 1.2 on; before, it is refused like an unknown value.
        let other = c.create_aes(128, vec![]).await;
        let link_type = if LinkType::ParentLink.exists_in(v.major, v.minor) {
            LinkType::ParentLink
        } else {
            let newer = c
                .fail(RequestPayload::AddAttribute {
                    unique_identifier: Some(uid.clone()),
                    attribute: Attribute::link(LinkType::ParentLink, other.clone()),
                })
                .await;
            assert_eq!(newer, ResultReason::InvalidField, "{v}");
            LinkType::DerivationBaseObjectLink
        };
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: Attribute::link(link_type, other.clone()),
        })
        .await;
        assert_eq!(
            c.attribute(&uid, "Link").await,
            Some(Attribute::link(link_type, other).value)
        );
    }
}

fn boolean(n: &str, b: bool) -> Attribute {
    Attribute::new(n, Value::Boolean(b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extractable_and_sensitive_guard_get_and_are_one_way() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        // Sensitive and Extractable exist from KMIP 1.4 on, as do their Result Reasons. An
        // older client cannot name them, yet the server guards an object that has them: the
        // same identity marks its objects through 1.4, and the older client meets the guard.
        let has_guards = v >= V14;
        let marker = env.client("alice", v.max(V14));
        let (not_extractable, sensitive) = if has_guards {
            (ResultReason::NotExtractable, ResultReason::Sensitive)
        } else {
            (
                ResultReason::PermissionDenied,
                ResultReason::PermissionDenied,
            )
        };
        let kek = c.active_aes().await;
        // Extractable false: no Get, wrapped or not.
        let locked = marker
            .create_aes(256, vec![boolean("Extractable", false)])
            .await;
        assert_eq!(c.fail(get(&locked, None)).await, not_extractable);
        assert_eq!(
            c.fail(wrapped_get(&locked, &kek, None, None)).await,
            not_extractable
        );
        // Sensitive true: only wrapped.
        let secret = marker
            .create_aes(256, vec![boolean("Sensitive", true)])
            .await;
        assert_eq!(c.fail(get(&secret, None)).await, sensitive);
        let wrapped = c.ok(wrapped_get(&secret, &kek, None, None)).await;
        assert!(matches!(block_of(&wrapped).key_value, KeyValue::Wrapped(_)));
        if !has_guards {
            // The rest changes the attributes, which only a version that has them can name.
            continue;
        }
        // One way: Extractable true → false and Sensitive false → true only.
        let read_only = read_only_reason(v);
        let modify = |uid: &str, attr: Attribute| RequestPayload::ModifyAttribute {
            unique_identifier: Some(uid.to_owned()),
            attribute: attr,
            current: None,
        };
        assert_eq!(
            c.fail(modify(&locked, boolean("Extractable", true))).await,
            read_only
        );
        assert_eq!(
            c.fail(modify(&secret, boolean("Sensitive", false))).await,
            read_only
        );
        for (attr, uid) in [("Extractable", &locked), ("Sensitive", &secret)] {
            assert_eq!(
                c.fail(RequestPayload::DeleteAttribute {
                    unique_identifier: Some(uid.clone()),
                    name: attr.to_owned(),
                    index: None,
                    current: None,
                })
                .await,
                read_only,
                "Delete {attr}"
            );
        }
        c.refuses(
            RequestPayload::SetAttribute {
                unique_identifier: Some(locked.clone()),
                attribute: boolean("Extractable", true),
            },
            read_only,
        )
        .await;
        assert_eq!(
            c.attribute(&locked, "Extractable").await,
            Some(Value::Boolean(false))
        );
        // Setting the value it already has, and the allowed direction, succeed.
        c.ok(modify(&locked, boolean("Extractable", false))).await;
        let open = c.create_aes(256, vec![boolean("Extractable", true)]).await;
        c.ok(get(&open, None)).await;
        c.ok(modify(&open, boolean("Extractable", false))).await;
        assert_eq!(c.fail(get(&open, None)).await, not_extractable);
        let plain = c.create_aes(256, vec![]).await;
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(plain.clone()),
            attribute: boolean("Sensitive", true),
        })
        .await;
        assert_eq!(c.fail(get(&plain, None)).await, sensitive);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_are_bounded_in_size() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let limit = if v.major >= 2 {
            ResultReason::ServerLimitExceeded
        } else {
            ResultReason::IllegalOperation
        };
        let groups = |n: usize| -> Vec<Attribute> {
            (0..n)
                .map(|i| text("Object Group", &format!("g{i}")))
                .collect()
        };
        let create = |extra: Vec<Attribute>| {
            let mut attrs = vec![alg(CryptographicAlgorithm::Aes), len(128)];
            attrs.extend(extra);
            RequestPayload::Create {
                object_type: ObjectType::SymmetricKey,
                attributes: Attributes(attrs),
            }
        };
        assert_eq!(c.fail(create(groups(300))).await, limit);
        assert_eq!(
            c.fail(create(vec![
                text("x-a", &"a".repeat(40_000)),
                text("x-b", &"b".repeat(40_000)),
            ]))
            .await,
            limit
        );
        assert_eq!(c.fail(create(vec![name(&"n".repeat(300))])).await, limit);
        // Adding instances one by one stops at the limit; deleting one makes room again.
        let uid = uid_of(&c.ok(create(groups(240))).await);
        let mut added = 0;
        let mut refused = None;
        for i in 0..40 {
            let item = c
                .one(RequestPayload::AddAttribute {
                    unique_identifier: Some(uid.clone()),
                    attribute: text("Object Group", &format!("more{i}")),
                })
                .await;
            if item.result_status == ResultStatus::Success {
                added += 1;
            } else {
                refused = item.result_reason;
                assert!(
                    item.result_message
                        .as_deref()
                        .is_some_and(|m| m.contains("256")),
                    "{item:?}"
                );
                break;
            }
        }
        assert!(added > 0);
        assert_eq!(refused, Some(limit));
        c.ok(RequestPayload::DeleteAttribute {
            unique_identifier: Some(uid.clone()),
            name: "Object Group".to_owned(),
            index: Some(0),
            current: None,
        })
        .await;
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: text("Object Group", "after-delete"),
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_targets_must_exist_and_be_visible() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let alice = env.client("alice", v);
        let bob = env.client("bob", v);
        // Link types the version defines (Parent and Child Link exist from 1.2 on).
        let (parent, child) = if LinkType::ParentLink.exists_in(v.major, v.minor) {
            (LinkType::ParentLink, LinkType::ChildLink)
        } else {
            (LinkType::DerivationBaseObjectLink, LinkType::DerivedKeyLink)
        };
        let uid = alice.create_aes(128, vec![]).await;
        let bobs = bob.create_aes(128, vec![]).await;
        for target in ["no-such-object", bobs.as_str()] {
            let link = Attribute::link(parent, target.to_owned());
            assert_eq!(
                alice
                    .fail(RequestPayload::AddAttribute {
                        unique_identifier: Some(uid.clone()),
                        attribute: link.clone(),
                    })
                    .await,
                ResultReason::ItemNotFound,
                "Add Attribute Link to {target}"
            );
            assert_eq!(
                alice
                    .fail(RequestPayload::Create {
                        object_type: ObjectType::SymmetricKey,
                        attributes: Attributes(vec![
                            alg(CryptographicAlgorithm::Aes),
                            len(128),
                            link.clone(),
                        ]),
                    })
                    .await,
                ResultReason::ItemNotFound,
                "Create with a Link to {target}"
            );
        }
        assert_eq!(alice.attribute(&uid, "Link").await, None);
        // Modify cannot redirect an existing link to an invisible object either.
        let mine = alice.create_aes(128, vec![]).await;
        alice
            .ok(RequestPayload::AddAttribute {
                unique_identifier: Some(uid.clone()),
                attribute: Attribute::link(parent, mine.clone()),
            })
            .await;
        assert_eq!(
            alice
                .fail(RequestPayload::ModifyAttribute {
                    unique_identifier: Some(uid.clone()),
                    attribute: Attribute::link(parent, bobs.clone()),
                    current: None,
                })
                .await,
            ResultReason::ItemNotFound
        );
        assert_eq!(
            alice.attribute(&uid, "Link").await,
            Some(Attribute::link(parent, mine).value)
        );
        // An admin may link to anyone's object.
        env.client(ADMIN, v)
            .ok(RequestPayload::AddAttribute {
                unique_identifier: Some(uid.clone()),
                attribute: Attribute::link(child, bobs.clone()),
            })
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_attribute_adds_lose_nothing() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = std::sync::Arc::new(env.client("alice", v));
        let uid = c.create_aes(128, vec![]).await;
        let mut tasks = Vec::new();
        for i in 0..16 {
            let c = std::sync::Arc::clone(&c);
            let uid = uid.clone();
            tasks.push(tokio::spawn(async move {
                c.ok(RequestPayload::AddAttribute {
                    unique_identifier: Some(uid),
                    attribute: text("x-n", &format!("{i}")),
                })
                .await;
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let values = match c
            .ok(RequestPayload::GetAttributes {
                unique_identifier: Some(uid),
                names: vec!["x-n".to_owned()],
            })
            .await
        {
            ResponsePayload::GetAttributes { attributes, .. } => attributes.0,
            other => panic!("{other:?}"),
        };
        let mut seen: Vec<String> = values
            .iter()
            .map(|a| match &a.value {
                Value::TextString(t) => t.clone(),
                other => panic!("x-n at {v}: {other:?}"),
            })
            .collect();
        seen.sort_by_key(|n| n.parse::<u32>().expect("a number"));
        let wanted: Vec<String> = (0..16).map(|i| i.to_string()).collect();
        assert_eq!(seen, wanted, "{v}");
    }
}

fn locate(attrs: Vec<Attribute>, max: Option<i32>, offset: Option<i32>) -> RequestPayload {
    RequestPayload::Locate {
        maximum_items: max,
        offset_items: offset,
        storage_status_mask: None,
        object_group_member: None,
        attributes: Attributes(attrs),
    }
}

async fn located(
    c: &Client,
    attrs: Vec<Attribute>,
    max: Option<i32>,
    offset: Option<i32>,
) -> (Option<i32>, Vec<String>) {
    match c.ok(locate(attrs, max, offset)).await {
        ResponsePayload::Locate {
            located_items,
            unique_identifiers,
        } => (located_items, unique_identifiers),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locate_by_attributes_paging_and_owner() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let tag = format!("{}{}", v.major, v.minor);
        let c = env.client(&format!("alice{tag}"), v);
        let a = c
            .create_aes(128, vec![name(&format!("a{tag}")), text("x-env", "prod")])
            .await;
        let b = c
            .create_aes(256, vec![name(&format!("b{tag}")), text("x-env", "prod")])
            .await;
        let d = c
            .create_aes(256, vec![name(&format!("d{tag}")), text("x-env", "dev")])
            .await;
        c.ok(activate(&d)).await;
        let (_, sk_pk) = (
            0,
            key_pair(&c, vec![alg(CryptographicAlgorithm::Rsa), len(2048)]).await,
        );
        assert_eq!(
            located(&c, vec![name(&format!("b{tag}"))], None, None)
                .await
                .1,
            vec![b.clone()]
        );
        let mut prod = located(&c, vec![text("x-env", "prod")], None, None).await.1;
        prod.sort();
        let mut expect = vec![a.clone(), b.clone()];
        expect.sort();
        assert_eq!(prod, expect);
        assert_eq!(
            located(
                &c,
                vec![len(256), alg(CryptographicAlgorithm::Aes)],
                None,
                None
            )
            .await
            .1
            .len(),
            2
        );
        assert_eq!(
            located(
                &c,
                vec![Attribute::enumeration("State", State::Active)],
                None,
                None
            )
            .await
            .1,
            vec![d.clone()]
        );
        let keys = located(
            &c,
            vec![Attribute::enumeration(
                "Object Type",
                ObjectType::PrivateKey,
            )],
            None,
            None,
        )
        .await
        .1;
        assert_eq!(keys, vec![sk_pk.0.clone()]);
        // Paging: 5 objects in all for this owner. Offset Items and Located Items exist from
        // 1.3 on; before, Maximum Items alone limits the answer, and Offset Items is refused.
        let paged = v >= ProtocolVersion::V1_3;
        let offset = paged.then_some(1);
        let (total, page) = located(&c, vec![], Some(2), offset).await;
        assert_eq!(page.len(), 2);
        assert_eq!(total, paged.then_some(5));
        if !paged {
            assert_eq!(
                c.fail(locate(vec![], Some(2), Some(1))).await,
                ResultReason::InvalidField
            );
        }
        // With a State, the store pages by itself: 4 Pre-Active objects, the second one only
        // (the first one before 1.3).
        let pre = vec![Attribute::enumeration("State", State::PreActive)];
        let (total, page) = located(&c, pre.clone(), Some(1), offset).await;
        assert_eq!(total, paged.then_some(4));
        assert_eq!(page.len(), 1);
        let all_pre = located(&c, pre, None, None).await.1;
        assert_eq!(all_pre.len(), 4);
        assert_eq!(all_pre.get(usize::from(paged)), page.first());
        // Another user sees none of them; the admin sees them all.
        let eve = env.client(&format!("eve{tag}"), v);
        assert!(
            located(&eve, vec![name(&format!("b{tag}"))], None, None)
                .await
                .1
                .is_empty()
        );
        let admin = env.client(ADMIN, v);
        assert_eq!(
            located(&admin, vec![name(&format!("b{tag}"))], None, None)
                .await
                .1,
            vec![b.clone()]
        );
        // Destroyed objects are not located by default.
        c.ok(destroy(&a)).await;
        assert!(
            located(&c, vec![name(&format!("a{tag}"))], None, None)
                .await
                .1
                .is_empty()
        );
        assert_eq!(
            located(
                &c,
                vec![
                    name(&format!("a{tag}")),
                    Attribute::enumeration("State", State::Destroyed)
                ],
                None,
                None
            )
            .await
            .1,
            vec![a.clone()]
        );
    }
}

/// Server-side cap on the identifiers one Locate returns.
const LOCATE_CAP: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locate_caps_the_answer_without_maximum_items() {
    let mut env = Env::start().await;
    // Seed more records than the cap straight into the store: one commit instead of 10k.
    env.kms.shutdown().await;
    {
        let store = keywarden_kms::open_store(&config(&env.hsm, env.data.path()))
            .await
            .expect("open store");
        let ops = (0..=LOCATE_CAP)
            .map(|i| {
                let stamp = store.clock().now();
                keywarden_store::WriteOp::PutObject(keywarden_store::ObjectRecord {
                    uuid: format!("seeded-{i:05}"),
                    domain: keywarden_kms::DEFAULT_DOMAIN.to_owned(),
                    owner: "CN=alice".to_owned(),
                    object_type: ObjectType::OpaqueObject.value(),
                    origin: stamp.node,
                    created: stamp,
                    updated: stamp,
                    lifecycle: keywarden_store::Lifecycle::default(),
                    material: None,
                    attributes: Vec::new(),
                    links: Vec::new(),
                    index: keywarden_store::IndexTerms::default(),
                })
            })
            .collect();
        store.commit(ops).await.expect("seed commit");
        store.close().await;
    }
    env.reopen().await;
    wait_ready(&env.kms).await;
    let locate_all = |mask: Option<u32>, max: Option<i32>| RequestPayload::Locate {
        maximum_items: max,
        offset_items: None,
        storage_status_mask: mask,
        object_group_member: None,
        attributes: Attributes::default(),
    };
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        // Located Items exists from 1.3 on; before, the capped list alone is the answer.
        let total =
            (v >= ProtocolVersion::V1_3).then(|| i32::try_from(LOCATE_CAP + 1).expect("fits"));
        // Index-paged path (no mask) and record-filtered path (On-line only).
        for mask in [None, Some(1)] {
            match c.ok(locate_all(mask, None)).await {
                ResponsePayload::Locate {
                    located_items,
                    unique_identifiers,
                } => {
                    assert_eq!(unique_identifiers.len(), LOCATE_CAP, "mask {mask:?} at {v}");
                    assert_eq!(located_items, total, "mask {mask:?} at {v}");
                }
                other => panic!("{other:?}"),
            }
            // A larger Maximum Items is capped too; a smaller one still applies.
            match c.ok(locate_all(mask, Some(20_000))).await {
                ResponsePayload::Locate {
                    unique_identifiers, ..
                } => assert_eq!(unique_identifiers.len(), LOCATE_CAP, "{v}"),
                other => panic!("{other:?}"),
            }
            match c.ok(locate_all(mask, Some(3))).await {
                ResponsePayload::Locate {
                    unique_identifiers, ..
                } => assert_eq!(unique_identifiers.len(), 3, "{v}"),
                other => panic!("{other:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_rules() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let uid = c.create_aes(256, vec![]).await;
        // Pre-Active: no crypto at all.
        c.refuses(
            encrypt(&uid, b"x", aes_params(v), None),
            lifecycle_reason(v),
        )
        .await;
        c.ok(activate(&uid)).await;
        assert_eq!(c.state(&uid).await, State::Active.value());
        assert!(c.attribute(&uid, "Activation Date").await.is_some());
        assert_eq!(c.fail(activate(&uid)).await, lifecycle_reason(v));
        // Active keys cannot be destroyed.
        assert_eq!(c.fail(destroy(&uid)).await, lifecycle_reason(v));
        let ct = c
            .ok_if_defined(encrypt(&uid, b"payload", aes_params(v), None))
            .await;
        c.ok(revoke(&uid, RevocationReasonCode::CessationOfOperation))
            .await;
        assert_eq!(c.state(&uid).await, State::Deactivated.value());
        assert!(c.attribute(&uid, "Deactivation Date").await.is_some());
        assert!(c.attribute(&uid, "Revocation Reason").await.is_some());
        // Deactivated: decrypt yes, encrypt no.
        c.refuses(
            encrypt(&uid, b"x", aes_params(v), None),
            lifecycle_reason(v),
        )
        .await;
        let dec = decrypt_of(&uid, aes_params(v), None, ct.as_ref());
        if let Some(p) = c.ok_if_defined(dec.clone()).await {
            assert_eq!(decrypted(&p), b"payload");
        }
        // Compromise: still decrypts.
        c.ok(RequestPayload::Revoke {
            unique_identifier: Some(uid.clone()),
            reason: RevocationReasonCode::KeyCompromise,
            message: Some("leaked".to_owned()),
            compromise_occurrence_date: Some(1_600_000_000),
        })
        .await;
        assert_eq!(c.state(&uid).await, State::Compromised.value());
        assert_eq!(
            c.attribute(&uid, "Compromise Occurrence Date").await,
            Some(Value::DateTime(1_600_000_000))
        );
        c.ok_if_defined(dec.clone()).await;
        // Destroy: material gone, attributes still readable.
        c.ok(destroy(&uid)).await;
        assert_eq!(c.state(&uid).await, State::DestroyedCompromised.value());
        let gone = destroyed_reason(v);
        assert_eq!(c.fail(get(&uid, None)).await, gone);
        c.refuses(dec, gone).await;
        assert!(c.attribute(&uid, "Destroy Date").await.is_some());
        assert_eq!(c.fail(destroy(&uid)).await, gone);
        // A Pre-Active key can be destroyed directly, and not revoked for a non-compromise reason.
        let pre = c.create_aes(128, vec![]).await;
        assert_eq!(
            c.fail(revoke(&pre, RevocationReasonCode::Superseded)).await,
            lifecycle_reason(v)
        );
        c.ok(destroy(&pre)).await;
        assert_eq!(c.state(&pre).await, State::Destroyed.value());
        // Unknown object.
        assert_eq!(
            c.fail(get("no-such-object", None)).await,
            ResultReason::ItemNotFound
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_date_in_template() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let past = c
            .create_aes(
                128,
                vec![Attribute::new("Activation Date", Value::DateTime(1_000))],
            )
            .await;
        assert_eq!(c.state(&past).await, State::Active.value(), "{v}");
        let future = c
            .create_aes(
                128,
                vec![Attribute::new(
                    "Activation Date",
                    Value::DateTime(4_000_000_000),
                )],
            )
            .await;
        assert_eq!(c.state(&future).await, State::PreActive.value(), "{v}");
        assert_eq!(
            c.attribute(&future, "Activation Date").await,
            Some(Value::DateTime(4_000_000_000)),
            "{v}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypt_decrypt_modes() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let uid = c.active_aes().await;
        let gcm_with_aad: ModeCase = (
            Some(CryptographicParameters {
                block_cipher_mode: Some(BlockCipherMode::Gcm),
                tag_length: Some(12),
                ..Default::default()
            }),
            Some(b"header".to_vec()),
            b"gcm with aad".to_vec(),
        );
        let mut cases: Vec<ModeCase> = vec![
            (cbc(), None, b"cbc with padding, any length".to_vec()),
            (
                Some(CryptographicParameters {
                    block_cipher_mode: Some(BlockCipherMode::Cbc),
                    padding_method: Some(PaddingMethod::None),
                    ..Default::default()
                }),
                None,
                vec![5u8; 32],
            ),
            (
                Some(CryptographicParameters {
                    block_cipher_mode: Some(BlockCipherMode::Ctr),
                    ..Default::default()
                }),
                None,
                b"counter mode".to_vec(),
            ),
        ];
        if v >= V14 {
            cases.insert(0, gcm_with_aad);
        } else if has(Operation::Encrypt, v) {
            // 1.2 and 1.3 have no field for a GCM tag, so no GCM, and none for additional data.
            let (gcm, aad, plain) = gcm_with_aad;
            assert_eq!(
                c.fail(encrypt(&uid, &plain, gcm, None)).await,
                ResultReason::InvalidField
            );
            assert_eq!(
                c.fail(encrypt(&uid, &plain, cbc(), aad.as_deref())).await,
                ResultReason::InvalidField
            );
        }
        for (params, aad, plain) in cases {
            let ct = c
                .ok_if_defined(encrypt(&uid, &plain, params.clone(), aad.as_deref()))
                .await;
            if let Some(ResponsePayload::Encrypt {
                iv_counter_nonce,
                tag,
                ..
            }) = &ct
            {
                assert!(
                    iv_counter_nonce.is_some(),
                    "server-generated IV is returned"
                );
                if let Some(t) = tag {
                    assert_eq!(t.len(), 12);
                }
            }
            let mut dec = decrypt_of(&uid, params, aad, ct.as_ref());
            if let Some(p) = c.ok_if_defined(dec.clone()).await {
                assert_eq!(decrypted(&p), &plain[..]);
            }
            if let RequestPayload::Decrypt { tag: Some(t), .. } = &mut dec {
                t[0] ^= 1;
                assert_eq!(c.fail(dec).await, ResultReason::CryptographicFailure);
            }
        }
        // Usage mask enforcement: a decrypt-only key cannot encrypt.
        let dec_only = c.create_aes(256, vec![mask(Mask::DECRYPT)]).await;
        c.ok(activate(&dec_only)).await;
        c.refuses(
            encrypt(&dec_only, b"x", aes_params(v), None),
            usage_reason(v),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ownership_user_admin_other() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let alice = env.client("alice", v);
        let bob = env.client("bob", v);
        let admin = env.client(ADMIN, v);
        let uid = alice.active_aes().await;
        for p in [
            get(&uid, None),
            RequestPayload::GetAttributes {
                unique_identifier: Some(uid.clone()),
                names: vec![],
            },
            encrypt(&uid, b"x", aes_params(v), None),
            revoke(&uid, RevocationReasonCode::Unspecified),
            destroy(&uid),
            RequestPayload::AddAttribute {
                unique_identifier: Some(uid.clone()),
                attribute: name("mine"),
            },
        ] {
            // Exactly the answer for an identifier that does not exist: no probing.
            let expected = or_unsupported(p.operation(), v, ResultReason::ItemNotFound);
            let theirs = bob.one(p.clone()).await;
            let missing = bob.one(with_uid(p, "no-such-object")).await;
            assert_eq!(theirs.result_reason, Some(expected));
            assert_eq!(theirs.result_reason, missing.result_reason);
            assert_eq!(
                theirs.result_message.map(|m| m.replace(&uid, "X")),
                missing
                    .result_message
                    .map(|m| m.replace("no-such-object", "X"))
            );
        }
        // Another owner's wrapping key is answered like a missing one.
        let bobs = bob.create_aes(256, vec![]).await;
        let theirs = bob.one(wrapped_get(&bobs, &uid, None, None)).await;
        let missing = bob.one(wrapped_get(&bobs, "no-such-kek", None, None)).await;
        assert_eq!(theirs.result_status, ResultStatus::OperationFailed);
        assert_eq!(theirs.result_reason, missing.result_reason);
        admin.ok(get(&uid, None)).await;
        admin
            .ok_if_defined(encrypt(&uid, b"x", aes_params(v), None))
            .await;
        admin
            .ok(revoke(&uid, RevocationReasonCode::Unspecified))
            .await;
        admin.ok(destroy(&uid)).await;
        // The owner is the creator even when the admin created it.
        let admins = admin.create_aes(128, vec![]).await;
        assert_eq!(
            alice.fail(get(&admins, None)).await,
            ResultReason::ItemNotFound
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_key_admin_manages_others_objects_and_auditor_touches_none() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let alice = env.client("alice", v);
        let key_admin = env.client(KEY_ADMIN, v);
        let auditor = env.client(AUDITOR, v);
        let uid = alice.create_aes(128, vec![]).await;
        // A key-admin sees and manages another identity's object ...
        assert!(
            located(&key_admin, vec![], None, None)
                .await
                .1
                .contains(&uid)
        );
        key_admin
            .ok(RequestPayload::GetAttributes {
                unique_identifier: Some(uid.clone()),
                names: vec![],
            })
            .await;
        key_admin
            .ok(RequestPayload::Activate {
                unique_identifier: Some(uid.clone()),
            })
            .await;
        // ... but never uses or exports its material: Permission Denied, since it sees it.
        for p in [get(&uid, None), encrypt(&uid, b"x", aes_params(v), None)] {
            key_admin.refuses(p, ResultReason::PermissionDenied).await;
        }
        alice
            .ok_if_defined(encrypt(&uid, b"x", aes_params(v), None))
            .await;
        key_admin
            .ok(revoke(&uid, RevocationReasonCode::Unspecified))
            .await;
        key_admin.ok(destroy(&uid)).await;
        // Its own objects it uses like any crypto-user.
        let own = key_admin.active_aes().await;
        key_admin
            .ok_if_defined(encrypt(&own, b"x", aes_params(v), None))
            .await;

        // An auditor may discover the server, and touches no object, its own included.
        auditor
            .ok(RequestPayload::Query { functions: vec![] })
            .await;
        let other = alice.active_aes().await;
        for p in [
            get(&other, None),
            RequestPayload::GetAttributes {
                unique_identifier: Some(other.clone()),
                names: vec![],
            },
            encrypt(&other, b"x", aes_params(v), None),
            revoke(&other, RevocationReasonCode::Unspecified),
            destroy(&other),
            locate(vec![], None, None),
            RequestPayload::Create {
                object_type: ObjectType::SymmetricKey,
                attributes: Attributes(vec![alg(CryptographicAlgorithm::Aes), len(128)]),
            },
            RequestPayload::RngRetrieve { length: 16 },
        ] {
            // The same answer whether or not the object exists: it depends on the role only
            // (and on the version, which may lack the operation altogether).
            let expected = or_unsupported(p.operation(), v, ResultReason::PermissionDenied);
            let existing = auditor.one(p.clone()).await;
            let missing = auditor.one(with_uid(p, "no-such-object")).await;
            assert_eq!(existing.result_reason, Some(expected), "{v}");
            assert_eq!(existing.result_reason, missing.result_reason);
        }
    }
}

/// `p` addressed to another identifier.
fn with_uid(p: RequestPayload, uid: &str) -> RequestPayload {
    let u = Some(uid.to_owned());
    match p {
        RequestPayload::Get {
            key_format_type,
            key_compression_type,
            key_wrapping_specification,
            ..
        } => RequestPayload::Get {
            unique_identifier: u,
            key_format_type,
            key_compression_type,
            key_wrapping_specification,
        },
        RequestPayload::GetAttributes { names, .. } => RequestPayload::GetAttributes {
            unique_identifier: u,
            names,
        },
        RequestPayload::Encrypt {
            parameters,
            data,
            iv_counter_nonce,
            aad,
            ..
        } => RequestPayload::Encrypt {
            unique_identifier: u,
            parameters,
            data,
            iv_counter_nonce,
            aad,
        },
        RequestPayload::Revoke {
            reason,
            message,
            compromise_occurrence_date,
            ..
        } => RequestPayload::Revoke {
            unique_identifier: u,
            reason,
            message,
            compromise_occurrence_date,
        },
        RequestPayload::Destroy { .. } => RequestPayload::Destroy {
            unique_identifier: u,
        },
        RequestPayload::AddAttribute { attribute, .. } => RequestPayload::AddAttribute {
            unique_identifier: u,
            attribute,
        },
        // Requests that name no object stay as they are.
        p @ (RequestPayload::Locate { .. }
        | RequestPayload::Create { .. }
        | RequestPayload::RngRetrieve { .. }) => p,
        other => panic!("with_uid: unexpected {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_placeholder_batches() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let create = RequestPayload::Create {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes(vec![alg(CryptographicAlgorithm::Aes), len(256)]),
        };
        // The new key is used through the placeholder: Encrypt where the version has it (1.2
        // on), Get before.
        let use_key = if has(Operation::Encrypt, v) {
            RequestPayload::Encrypt {
                unique_identifier: None,
                parameters: aes_params(v),
                data: Zeroizing::new(b"abc".to_vec()),
                iv_counter_nonce: None,
                aad: None,
            }
        } else {
            RequestPayload::Get {
                unique_identifier: None,
                key_format_type: None,
                key_compression_type: None,
                key_wrapping_specification: None,
            }
        };
        let r = c
            .batch(
                vec![
                    create,
                    RequestPayload::Activate {
                        unique_identifier: None,
                    },
                    use_key,
                    RequestPayload::GetAttributes {
                        unique_identifier: None,
                        names: vec!["State".to_owned()],
                    },
                ],
                None,
            )
            .await;
        assert_eq!(r.items.len(), 4);
        for (i, item) in r.items.iter().enumerate() {
            assert_eq!(
                item.result_status,
                ResultStatus::Success,
                "item {i}: {item:?}"
            );
            assert_eq!(
                item.unique_batch_item_id,
                Some((u32::try_from(i).expect("i") + 1).to_be_bytes().to_vec())
            );
        }
        let ResponsePayload::Create {
            unique_identifier, ..
        } = r.items[0].payload.clone().expect("payload")
        else {
            panic!()
        };
        let used = match r.items[2].payload.clone().expect("payload") {
            ResponsePayload::Encrypt {
                unique_identifier, ..
            }
            | ResponsePayload::Get {
                unique_identifier, ..
            } => unique_identifier,
            other => panic!("{other:?}"),
        };
        assert_eq!(unique_identifier, used);
        // Without an earlier item, a missing identifier is Missing Data.
        assert_eq!(
            c.fail(RequestPayload::Activate {
                unique_identifier: None
            })
            .await,
            ResultReason::MissingData
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_error_continuation() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let items = || {
            vec![
                get("missing", None),
                RequestPayload::Create {
                    object_type: ObjectType::SymmetricKey,
                    attributes: Attributes(vec![alg(CryptographicAlgorithm::Aes), len(128)]),
                },
            ]
        };
        // Default (Stop): nothing after the failure is processed or answered.
        let r = c.batch(items(), None).await;
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].result_reason, Some(ResultReason::ItemNotFound));
        let r = c
            .batch(items(), Some(BatchErrorContinuationOption::Stop))
            .await;
        assert_eq!(r.items.len(), 1);
        // Continue: every item is processed.
        let r = c
            .batch(items(), Some(BatchErrorContinuationOption::Continue))
            .await;
        assert_eq!(r.items.len(), 2);
        assert_eq!(r.items[0].result_status, ResultStatus::OperationFailed);
        assert_eq!(r.items[1].result_status, ResultStatus::Success);
    }
}

/// A 2.0 Locate as libkmip (the C client behind Percona's KMIP keyring) writes it: the
/// filters straight in the payload instead of inside Attributes, followed by the same Locate
/// written as 2.0 specifies, with Batch Error Continuation `continuation`.
fn libkmip_locate_request(
    key_name: &str,
    continuation: Option<BatchErrorContinuationOption>,
) -> Vec<u8> {
    use keywarden_kmip::tags;
    let name_value = || {
        Ttlv::structure(
            tags::NAME,
            vec![
                Ttlv::new(tags::NAME_VALUE, Value::TextString(key_name.into())),
                Ttlv::new(tags::NAME_TYPE, Value::Enumeration(1)),
            ],
        )
    };
    let object_type = || {
        Ttlv::new(
            tags::OBJECT_TYPE,
            Value::Enumeration(ObjectType::SymmetricKey.value()),
        )
    };
    let libkmip = vec![
        object_type(),
        Ttlv::structure(
            tags::ATTRIBUTE,
            vec![
                Ttlv::new(tags::ATTRIBUTE_NAME, Value::TextString("Name".into())),
                Ttlv::new(tags::ATTRIBUTE_VALUE, name_value().value),
            ],
        ),
    ];
    let spec = vec![Ttlv::structure(
        tags::ATTRIBUTES,
        vec![object_type(), name_value()],
    )];
    let mut header = vec![
        ProtocolVersion::V2_0.to_ttlv(),
        Ttlv::new(tags::BATCH_COUNT, Value::Integer(2)),
    ];
    if let Some(c) = continuation {
        header.push(Ttlv::new(
            tags::BATCH_ERROR_CONTINUATION_OPTION,
            Value::Enumeration(c.value()),
        ));
    }
    let item = |id: u8, payload| {
        Ttlv::structure(
            tags::BATCH_ITEM,
            vec![
                Ttlv::new(
                    tags::OPERATION,
                    Value::Enumeration(Operation::Locate.value()),
                ),
                Ttlv::new(
                    tags::UNIQUE_BATCH_ITEM_ID,
                    Value::ByteString(Zeroizing::new(vec![id])),
                ),
                Ttlv::structure(tags::REQUEST_PAYLOAD, payload),
            ],
        )
    };
    ttlv::encode(&Ttlv::structure(
        tags::REQUEST_MESSAGE,
        vec![
            Ttlv::structure(tags::REQUEST_HEADER, header),
            item(1, libkmip),
            item(2, spec),
        ],
    ))
}

/// The libkmip Locate must fail, never succeed with every object on the server (the client
/// would take the first one as its key); the other items are answered per Batch Error
/// Continuation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libkmip_locate_with_filters_outside_attributes_fails_alone() {
    let env = Env::start().await;
    // Pinned to 2.0: the version libkmip speaks, whose Locate this malformed form imitates.
    let c = env.client("alice", ProtocolVersion::V2_0);
    let wanted = c.create_aes(256, vec![name("percona-master-key")]).await;
    c.create_aes(128, vec![name("another-key")]).await;
    let send = |continuation| {
        let bytes = libkmip_locate_request("percona-master-key", continuation);
        let server = c.server();
        let caller = c.caller.clone();
        async move {
            let out = server.handle(&caller, &bytes).await;
            keywarden_kmip::message::ResponseMessage::decode(&out, &Limits::default())
                .expect("response decodes")
        }
    };

    let r = send(Some(BatchErrorContinuationOption::Continue)).await;
    assert_eq!(r.items.len(), 2);
    let refused = &r.items[0];
    assert_eq!(refused.unique_batch_item_id.as_deref(), Some(&[1u8][..]));
    assert_eq!(refused.result_status, ResultStatus::OperationFailed);
    assert_eq!(refused.result_reason, Some(ResultReason::InvalidMessage));
    assert!(
        refused.payload.is_none(),
        "no identifiers for the refused item"
    );
    let message = refused.result_message.as_deref().unwrap_or_default();
    for part in ["Locate", "ObjectType", "0x420057", "2.0"] {
        assert!(message.contains(part), "{part:?} not in {message:?}");
    }
    assert_eq!(r.items[1].result_status, ResultStatus::Success);
    match &r.items[1].payload {
        Some(ResponsePayload::Locate {
            unique_identifiers, ..
        }) => assert_eq!(unique_identifiers, &vec![wanted.clone()]),
        other => panic!("{other:?}"),
    }

    // Stop (the default): nothing after the refused item is processed.
    let r = send(None).await;
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].result_reason, Some(ResultReason::InvalidMessage));
}

/// The stored records of `uids`, read with the key service closed (one restart for them all).
async fn stored(env: &mut Env, uids: &[String]) -> Vec<keywarden_store::ObjectRecord> {
    env.kms.shutdown().await;
    let store = keywarden_kms::open_store(&config(&env.hsm, env.data.path()))
        .await
        .expect("open store");
    let records = uids
        .iter()
        .map(|uid| {
            let rec = store.get(uid).expect("store get").expect("record");
            std::sync::Arc::unwrap_or_clone(rec)
        })
        .collect();
    store.close().await;
    env.reopen().await;
    wait_ready(&env.kms).await;
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_lifecycle_dates_survive_the_merge() {
    let mut env = Env::start().await;
    let far = 4_000_000_000_i64;
    for attr in ["Activation Date", "Deactivation Date"] {
        // One object per version, changed by a client of that version; the records are read
        // together, so a step costs one restart whatever the number of versions.
        let mut uids = Vec::new();
        for v in ALL_VERSIONS {
            let uid = env
                .client("alice", v)
                .create_aes(128, vec![Attribute::new(attr, Value::DateTime(far))])
                .await;
            uids.push(uid);
        }
        let before = stored(&mut env, &uids).await;
        let mut last = before.clone();
        let mut dates = vec![far; uids.len()];
        for (change, at) in [("modify", far - 1_000), ("set", far - 2_000)] {
            let mut changed = Vec::new();
            for (v, uid) in ALL_VERSIONS.into_iter().zip(&uids) {
                let attribute = Attribute::new(attr, Value::DateTime(at));
                let p = if change == "modify" {
                    RequestPayload::ModifyAttribute {
                        unique_identifier: Some(uid.clone()),
                        attribute,
                        current: None,
                    }
                } else {
                    RequestPayload::SetAttribute {
                        unique_identifier: Some(uid.clone()),
                        attribute,
                    }
                };
                // Set Attribute exists from 2.0; 1.x answers Operation Not Supported and the
                // record stays as it was.
                changed.push(env.client("alice", v).ok_if_defined(p).await.is_some());
            }
            let after = stored(&mut env, &uids).await;
            for (i, v) in ALL_VERSIONS.into_iter().enumerate() {
                let what = format!("{attr} after {change} at {v}");
                if changed[i] {
                    // A replica still holding the old fact merges to the new date, both ways
                    // round.
                    let mut merged = before[i].lifecycle.clone();
                    merged.merge(&after[i].lifecycle);
                    let mut merged_back = after[i].lifecycle.clone();
                    merged_back.merge(&before[i].lifecycle);
                    assert_eq!(merged, after[i].lifecycle, "{what}");
                    assert_eq!(merged_back, after[i].lifecycle, "{what}");
                    dates[i] = at;
                } else {
                    assert_eq!(after[i].lifecycle, last[i].lifecycle, "{what}");
                }
                assert_eq!(
                    env.client("alice", v).attribute(&uids[i], attr).await,
                    Some(Value::DateTime(dates[i])),
                    "{what}"
                );
            }
            last = after;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_key_by_an_admin_keeps_the_owner() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let alice = env.client("alice", v);
        let admin = env.client(ADMIN, v);
        let label = format!("admin-rotated-{v}");
        let old = alice.create_aes(256, vec![name(&label)]).await;
        let new = uid_of(
            &admin
                .ok(RequestPayload::ReKey {
                    unique_identifier: Some(old.clone()),
                    offset: None,
                    attributes: Attributes::default(),
                })
                .await,
        );
        alice.ok(get(&new, None)).await;
        assert_eq!(
            located(&alice, vec![name(&label)], None, None).await.1,
            vec![new.clone()]
        );
        assert!(
            located(&env.client("bob", v), vec![name(&label)], None, None)
                .await
                .1
                .is_empty()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_key_links_and_moves_names() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let old = c
            .create_aes(
                192,
                vec![name(&format!("rotating-{v}")), text("x-app", "billing")],
            )
            .await;
        c.ok(activate(&old)).await;
        let new = uid_of(
            &c.ok(RequestPayload::ReKey {
                unique_identifier: Some(old.clone()),
                offset: None,
                attributes: Attributes::default(),
            })
            .await,
        );
        assert_ne!(new, old);
        assert_eq!(c.state(&new).await, State::Active.value());
        assert_eq!(
            c.attribute(&new, "Cryptographic Length").await,
            Some(Value::Integer(192))
        );
        assert_eq!(
            c.attribute(&new, "x-app").await,
            Some(Value::TextString("billing".to_owned()))
        );
        assert_eq!(
            c.attribute(&new, "Name").await,
            Some(name(&format!("rotating-{v}")).value)
        );
        assert_eq!(c.attribute(&old, "Name").await, None);
        assert_eq!(
            c.attribute(&new, "Link").await,
            Some(Attribute::link(LinkType::ReplacedObjectLink, old.clone()).value)
        );
        assert_eq!(
            c.attribute(&old, "Link").await,
            Some(Attribute::link(LinkType::ReplacementObjectLink, new.clone()).value)
        );
        assert_ne!(
            key_bytes(&c.ok(get(&old, None)).await),
            key_bytes(&c.ok(get(&new, None)).await)
        );
        // With an offset, the new key is Pre-Active until then.
        let later = uid_of(
            &c.ok(RequestPayload::ReKey {
                unique_identifier: Some(new.clone()),
                offset: Some(3600),
                attributes: Attributes::default(),
            })
            .await,
        );
        assert_eq!(c.state(&later).await, State::PreActive.value());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rng_retrieve() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        match c
            .ok_if_defined(RequestPayload::RngRetrieve { length: 48 })
            .await
        {
            Some(ResponsePayload::RngRetrieve { data }) => {
                assert_eq!(data.len(), 48);
                assert!(data.iter().any(|b| *b != 0));
            }
            None => {}
            Some(other) => panic!("{other:?}"),
        }
        c.refuses(
            RequestPayload::RngRetrieve { length: 0 },
            ResultReason::InvalidField,
        )
        .await;
    }
}

/// A request with `operation` and an empty payload, written as raw TTLV.
fn raw_request(major: i32, minor: i32, operation: u32) -> Vec<u8> {
    let t = |tag: u32, v: Value| Ttlv::new(Tag(tag), v);
    let msg = Ttlv::structure(
        Tag(0x420078),
        vec![
            Ttlv::structure(
                Tag(0x420077),
                vec![
                    Ttlv::structure(
                        Tag(0x420069),
                        vec![
                            t(0x42006A, Value::Integer(major)),
                            t(0x42006B, Value::Integer(minor)),
                        ],
                    ),
                    t(0x42000D, Value::Integer(1)),
                ],
            ),
            Ttlv::structure(
                Tag(0x42000F),
                vec![
                    t(0x42005C, Value::Enumeration(operation)),
                    Ttlv::structure(Tag(0x420079), vec![]),
                ],
            ),
        ],
    );
    ttlv::encode(&msg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_operations_and_bad_messages() {
    let env = Env::start().await;
    // The raw requests carry their own version (and garbage none): the V21 clients below only
    // lend their message layer, their version is never sent.
    let caller = keywarden_kms::Caller::new("CN=alice", keywarden_kms::Role::CryptoUser);
    for ProtocolVersion { major, minor } in ALL_VERSIONS {
        for op in [
            Operation::GetUsageAllocation,
            Operation::Check,
            Operation::Archive,
        ] {
            let out = env
                .client("alice", V21)
                .server()
                .handle(&caller, &raw_request(major, minor, op.value()))
                .await;
            let r = keywarden_kmip::message::ResponseMessage::decode(&out, &Limits::default())
                .expect("decodes");
            assert_eq!(r.items.len(), 1);
            assert_eq!(
                r.items[0].result_reason,
                Some(ResultReason::OperationNotSupported),
                "{op}"
            );
        }
        let out = env
            .client("alice", V21)
            .server()
            .handle(&caller, &raw_request(major, minor, 0x7777))
            .await;
        let r = keywarden_kmip::message::ResponseMessage::decode(&out, &Limits::default())
            .expect("decodes");
        assert_eq!(r.items[0].result_status, ResultStatus::OperationFailed);
    }
    // Garbage: still a decodable KMIP error response.
    let out = env
        .client("alice", V21)
        .server()
        .handle(&caller, &[0x42, 0, 0x78, 1, 0, 0, 0, 200, 1, 2, 3])
        .await;
    let r = keywarden_kmip::message::ResponseMessage::decode(&out, &Limits::default())
        .expect("decodes");
    assert_eq!(r.items[0].result_status, ResultStatus::OperationFailed);
    let err =
        ttlv::decode(&[0x42, 0, 0x78, 1, 0, 0, 0, 200], &Limits::default()).expect_err("truncated");
    let out = env
        .client("alice", V21)
        .server()
        .frame_error(&caller, &err)
        .await;
    let r = keywarden_kmip::message::ResponseMessage::decode(&out, &Limits::default())
        .expect("decodes");
    assert_eq!(r.items[0].result_reason, Some(ResultReason::InvalidMessage));
    // A request left unread for want of request memory: a General Failure saying so.
    let out = env
        .client("alice", V21)
        .server()
        .busy(&caller, 4096, std::time::Duration::from_secs(10))
        .await;
    let r = keywarden_kmip::message::ResponseMessage::decode(&out, &Limits::default())
        .expect("decodes");
    assert_eq!(r.items[0].result_status, ResultStatus::OperationFailed);
    assert_eq!(r.items[0].result_reason, Some(ResultReason::GeneralFailure));
    let message = r.items[0].result_message.as_deref().unwrap_or_default();
    assert!(
        message.contains("4096 bytes was not read") && message.contains("retry later"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_dates_are_client_modifiable_in_early_states() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let uid = c.create_aes(256, vec![]).await;
        // Activation Date while Pre-Active: a past date activates the key.
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: Attribute::new("Activation Date", Value::DateTime(1_000)),
        })
        .await;
        assert_eq!(c.state(&uid).await, State::Active.value());
        // Not any more once Active.
        let again = c
            .fail(RequestPayload::ModifyAttribute {
                unique_identifier: Some(uid.clone()),
                attribute: Attribute::new("Activation Date", Value::DateTime(2_000)),
                current: None,
            })
            .await;
        assert_eq!(again, lifecycle_reason(v));
        // Protect Stop Date in the past: no more encryption, decryption still allowed.
        let ct = c
            .ok_if_defined(encrypt(&uid, b"data", aes_params(v), None))
            .await;
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: Attribute::new("Protect Stop Date", Value::DateTime(1_000)),
        })
        .await;
        c.refuses(
            encrypt(&uid, b"data", aes_params(v), None),
            lifecycle_reason(v),
        )
        .await;
        let dec = decrypt_of(&uid, aes_params(v), None, ct.as_ref());
        c.ok_if_defined(dec.clone()).await;
        // Process Start Date in the future: no decryption yet.
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(uid.clone()),
            attribute: Attribute::new("Process Start Date", Value::DateTime(4_000_000_000)),
        })
        .await;
        c.refuses(dec, lifecycle_reason(v)).await;
        // A future Deactivation Date keeps the key Active until then.
        let other = c.active_aes().await;
        c.ok(RequestPayload::AddAttribute {
            unique_identifier: Some(other.clone()),
            attribute: Attribute::new("Deactivation Date", Value::DateTime(4_000_000_000)),
        })
        .await;
        assert_eq!(c.state(&other).await, State::Active.value());
        assert_eq!(
            c.attribute(&other, "Deactivation Date").await,
            Some(Value::DateTime(4_000_000_000))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_cryptographic_parameters_are_the_default() {
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let cbc = Attribute::new(
            "Cryptographic Parameters",
            Value::Structure(vec![
                Ttlv::new(
                    Tag(0x420011),
                    Value::Enumeration(BlockCipherMode::Cbc.value()),
                ),
                Ttlv::new(
                    Tag(0x42005F),
                    Value::Enumeration(PaddingMethod::Pkcs5.value()),
                ),
            ]),
        );
        let uid = c.create_aes(128, vec![cbc]).await;
        c.ok(activate(&uid)).await;
        let ct = c
            .ok_if_defined(encrypt(&uid, b"seventeen bytes!!", None, None))
            .await;
        if let Some(ResponsePayload::Encrypt { data, tag, .. }) = &ct {
            assert_eq!(data.len(), 32, "CBC with PKCS#5 padding");
            assert!(tag.is_none());
        }
        if let Some(p) = c
            .ok_if_defined(decrypt_of(&uid, None, None, ct.as_ref()))
            .await
        {
            assert_eq!(decrypted(&p), b"seventeen bytes!!");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_level_options() {
    use keywarden_kmip::message::RequestMessage;
    let env = Env::start().await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let uid = c.create_aes(256, vec![]).await;
        // Maximum Response Size too small for the key.
        let mut m = RequestMessage::new(v, vec![get(&uid, None)]);
        m.header.maximum_response_size = Some(64);
        let r = c.send(m).await;
        assert_eq!(
            r.items[0].result_reason,
            Some(ResultReason::ResponseTooLarge),
            "{v}"
        );
        // Only reads are dropped: a committed Create, Revoke or Destroy keeps its success.
        let active = c.active_aes().await;
        let mut m = RequestMessage::new(
            v,
            vec![
                RequestPayload::Create {
                    object_type: ObjectType::SymmetricKey,
                    attributes: Attributes(vec![alg(CryptographicAlgorithm::Aes), len(256)]),
                },
                get(&uid, None),
                revoke(&active, RevocationReasonCode::CessationOfOperation),
                destroy(&active),
            ],
        );
        m.header.maximum_response_size = Some(200);
        let r = c.send(m).await;
        let status: Vec<_> = r.items.iter().map(|i| i.result_status).collect();
        assert_eq!(
            status,
            vec![
                ResultStatus::Success,
                ResultStatus::OperationFailed,
                ResultStatus::Success,
                ResultStatus::Success
            ],
            "{v}"
        );
        assert_eq!(
            r.items[1].result_reason,
            Some(ResultReason::ResponseTooLarge),
            "{v}"
        );
        let created = r.items[0]
            .payload
            .as_ref()
            .map(uid_of)
            .expect("Create payload");
        assert_eq!(c.state(&created).await, State::PreActive.value(), "{v}");
        assert_eq!(c.state(&active).await, State::Destroyed.value(), "{v}");
        // Undo is not offered.
        let r = c
            .batch(
                vec![get(&uid, None)],
                Some(BatchErrorContinuationOption::Undo),
            )
            .await;
        assert_eq!(
            r.items[0].result_reason,
            Some(ResultReason::FeatureNotSupported),
            "{v}"
        );
        // The client correlation value is echoed from 1.4 on, where the header has it; an
        // older response header has no such field, so nothing is echoed there.
        let mut m = RequestMessage::new(v, vec![get(&uid, None)]);
        m.header.client_correlation_value = Some("corr-1".to_owned());
        let r = c.send(m).await;
        assert_eq!(r.items[0].result_status, ResultStatus::Success, "{v}");
        assert_eq!(
            r.header.client_correlation_value.as_deref(),
            (v >= V14).then_some("corr-1"),
            "{v}"
        );
    }
    // Version negotiation, about the newest minor of each major only: a newer minor version
    // is answered in the highest one supported of that major.
    let c = env.client("alice", V21);
    let uid = c.create_aes(256, vec![]).await;
    for (newer, answered) in [
        (ProtocolVersion { major: 1, minor: 7 }, V14),
        (ProtocolVersion { major: 2, minor: 5 }, V21),
    ] {
        let r = c
            .send(RequestMessage::new(newer, vec![get(&uid, None)]))
            .await;
        assert_eq!(r.header.protocol_version, answered, "{newer}");
        assert_eq!(r.items[0].result_status, ResultStatus::Success, "{newer}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_verifies_signatures() {
    let env = Env::start().await;
    let pair = crypto::generate_key_pair(crypto::KeyPairSpec::EcP256).expect("P-256");
    let key =
        rcgen::KeyPair::try_from(pair.private_pkcs8.as_slice()).expect("rcgen key from PKCS#8");
    let params = rcgen::CertificateParams::new(vec!["signer.test".to_owned()]).expect("params");
    let der = params
        .self_signed(&key)
        .expect("self-signed")
        .der()
        .to_vec();
    let message = b"signed elsewhere".to_vec();
    let signature = crypto::sign(
        &pair.private_pkcs8,
        crypto::SignatureScheme::Ecdsa(crypto::HashAlg::Sha256),
        &message,
    )
    .expect("local signature");
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let cert = uid_of(
            &c.ok(register(
                ObjectType::Certificate,
                ManagedObject::Certificate {
                    certificate_type: CertificateType::X509,
                    value: der.clone(),
                },
                vec![],
            ))
            .await,
        );
        c.ok(activate(&cert)).await;
        // Signature Verify exists from 1.2; before, it is Operation Not Supported.
        for (data, expect) in [(message.clone(), true), (b"tampered".to_vec(), false)] {
            match c
                .ok_if_defined(RequestPayload::SignatureVerify {
                    unique_identifier: Some(cert.clone()),
                    parameters: None,
                    data: Some(data),
                    digested_data: None,
                    signature: signature.clone(),
                })
                .await
            {
                Some(ResponsePayload::SignatureVerify { valid, .. }) => {
                    assert_eq!(valid, expect, "{v}");
                }
                None => {}
                Some(other) => panic!("{other:?}"),
            }
        }
        // A certificate cannot sign: that needs a private key.
        c.refuses(
            RequestPayload::Sign {
                unique_identifier: Some(cert),
                parameters: None,
                data: Some(message.clone()),
                digested_data: None,
            },
            usage_reason(v),
        )
        .await;
    }
}

/// Every file of a directory, concatenated.
fn all_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("audit dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            out.extend(std::fs::read(&path).expect("read"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_is_audited_state_changes_durably_and_no_secret_is_recorded() {
    let env = Env::start().await;
    let secret = [0x5Au8, 0xC3, 0x11, 0x7E, 0x99, 0x02, 0x44, 0xE8].repeat(4);
    let plaintext = b"audit-plaintext-never-recorded".to_vec();
    // One identity per version, so each version's entries are told apart.
    let identity = |v: ProtocolVersion| format!("alice{}{}", v.major, v.minor);
    let mut uids = Vec::new();
    for v in ALL_VERSIONS {
        let alice = env.client(&identity(v), v);
        let uid = uid_of(
            &alice
                .ok(register(
                    ObjectType::SymmetricKey,
                    ManagedObject::SymmetricKey(sym_block(
                        KeyFormatType::Raw,
                        KeyMaterial::Bytes(Zeroizing::new(secret.clone())),
                        Some(CryptographicAlgorithm::Aes),
                    )),
                    vec![],
                ))
                .await,
        );
        alice
            .ok(RequestPayload::Activate {
                unique_identifier: Some(uid.clone()),
            })
            .await;
        alice.ok(get(&uid, None)).await;
        // Encrypt exists from 1.2; the refusal of 1.0 and 1.1 is recorded too.
        alice
            .ok_if_defined(encrypt(&uid, &plaintext, aes_params(v), None))
            .await;
        assert_eq!(
            alice.fail(get("no-such-object", None)).await,
            ResultReason::ItemNotFound
        );
        alice
            .ok(revoke(&uid, RevocationReasonCode::Unspecified))
            .await;
        alice.ok(destroy(&uid)).await;
        uids.push(uid);
    }

    // The Destroys were answered, so their entries are on disk already: read from the files
    // now, through another handle than the writer's.
    let dir = keywarden_kms::audit_dir(env.data.path());
    let records = keywarden_audit::read(&dir, 1, keywarden_audit::MAX_READ, None).expect("read");
    for (v, uid) in ALL_VERSIONS.into_iter().zip(&uids) {
        let dn = format!("CN={}", identity(v));
        let mine: Vec<_> = records
            .iter()
            .filter(|r| r.entry.identity.as_ref() == dn)
            .collect();
        let ops: Vec<(&str, bool)> = mine
            .iter()
            .map(|r| {
                (
                    r.entry.operation.as_ref(),
                    r.entry.outcome == keywarden_audit::Outcome::Success,
                )
            })
            .collect();
        assert_eq!(
            ops,
            [
                ("Register", true),
                ("Activate", true),
                ("Get", true),
                ("Encrypt", has(Operation::Encrypt, v)),
                ("Get", false),
                ("Revoke", true),
                ("Destroy", true)
            ],
            "{v}"
        );
        let u = uuid::Uuid::parse_str(uid).expect("uuid");
        let destroy_entry = mine
            .iter()
            .find(|r| r.entry.operation == "Destroy")
            .expect("Destroy recorded");
        assert_eq!(destroy_entry.entry.objects.as_slice(), [u], "{v}");
        assert_eq!(
            destroy_entry.entry.role,
            Some(keywarden_kms::Role::CryptoUser),
            "{v}"
        );
        let failures: Vec<_> = mine
            .iter()
            .filter(|r| r.entry.outcome != keywarden_audit::Outcome::Success)
            .map(|r| r.entry.outcome.clone())
            .collect();
        let mut expected = Vec::new();
        if !has(Operation::Encrypt, v) {
            // Refused by the message layer before the key service, under the reason's name.
            expected.push(keywarden_audit::Outcome::failure("OperationNotSupported"));
        }
        expected.push(keywarden_audit::Outcome::failure("not-found"));
        assert_eq!(failures, expected, "{v}");
    }
    // The whole chain verifies, and no secret is anywhere in the files.
    keywarden_audit::verify(&dir, None).expect("verify");
    let files = all_bytes(&dir);
    for (what, needle) in [("key material", &secret[..]), ("plaintext", &plaintext[..])] {
        assert!(
            !files.windows(needle.len()).any(|w| w == needle),
            "the audit log contains the {what}"
        );
    }

    // The auditor reads it; a crypto-user may not. (The audit read is no KMIP request: the
    // clients' version plays no part in it.)
    let auditor = env.client(AUDITOR, V21);
    let read = env
        .kms
        .read_audit(&auditor.caller, 1, 100)
        .await
        .expect("auditor reads");
    assert!(read.iter().any(|r| r.entry.operation == "Destroy"));
    let alice = env.client(&identity(V21), V21);
    assert!(matches!(
        env.kms.read_audit(&alice.caller, 1, 100).await,
        Err(keywarden_kms::AuditReadError::Forbidden(
            keywarden_kms::Role::CryptoUser
        ))
    ));
    env.kms.shutdown().await;
    // A clean close leaves a log that verifies with a signed end.
    let report = keywarden_audit::verify(&dir, None).expect("verify after close");
    assert!(report.closed_cleanly, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_not_started_by_the_batch_deadline_answer_operation_failed() {
    // A deadline of zero: the first item runs, every later one is past it.
    let env = Env::start().await;
    let query = || RequestPayload::Query { functions: vec![] };
    for v in ALL_VERSIONS {
        let mut c = env.client("alice", v);
        c.kmip.batch_deadline = std::time::Duration::ZERO;
        for continuation in [None, Some(BatchErrorContinuationOption::Continue)] {
            let r = c.batch(vec![query(), query(), query()], continuation).await;
            assert_eq!(
                r.items.len(),
                3,
                "every item is answered ({continuation:?} at {v})"
            );
            assert_eq!(r.items[0].result_status, ResultStatus::Success);
            for item in &r.items[1..] {
                assert_eq!(item.result_status, ResultStatus::OperationFailed);
                // General Failure exists in every version; no reason names a deadline.
                assert_eq!(
                    item.result_reason,
                    Some(ResultReason::GeneralFailure),
                    "{v}"
                );
                let message = item.result_message.clone().unwrap_or_default();
                assert!(
                    message.contains("deadline") && message.contains("not processed"),
                    "{v}: {message}"
                );
            }
        }
        // Nothing was done for the unprocessed items: a Create after the deadline creates
        // nothing.
        let create = RequestPayload::Create {
            object_type: ObjectType::SymmetricKey,
            attributes: Attributes(vec![alg(CryptographicAlgorithm::Aes), len(128)]),
        };
        let r = c.batch(vec![query(), create], None).await;
        assert_eq!(r.items[1].result_status, ResultStatus::OperationFailed);
        assert!(located(&c, vec![], None, None).await.1.is_empty(), "{v}");
    }
}

/// The CPU-heavy work of an operation (key pair generation, private-key Sign and Decrypt) runs
/// on the bounded pool, one job each, and cheap work (AES, Get) never does: the pool's job
/// counter moves by exactly that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_work_runs_on_the_cpu_pool_and_cheap_work_does_not() {
    let env = Env::start().await;
    let jobs = || {
        let text = env.metrics();
        text.lines()
            .find_map(|l| l.strip_prefix("cpu_pool_jobs_total "))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no cpu_pool_jobs_total in:\n{text}"))
    };
    let c = env.client("alice", V21);
    let start = jobs();
    let (sk, pk) = key_pair(&c, vec![alg(CryptographicAlgorithm::Rsa), len(2048)]).await;
    assert_eq!(jobs(), start + 1, "the key pair is generated on the pool");
    c.ok(activate(&sk)).await;
    c.ok(activate(&pk)).await;
    let aes = c.active_aes().await;
    let sealed = c.ok(encrypt(&aes, b"cheap", aes_params(V21), None)).await;
    c.ok(decrypt_of(&aes, aes_params(V21), None, Some(&sealed)))
        .await;
    c.ok(get(&aes, None)).await;
    assert_eq!(jobs(), start + 1, "AES and Get stay on the async workers");
    c.ok(RequestPayload::Sign {
        unique_identifier: Some(sk.clone()),
        parameters: None,
        data: Some(b"x".to_vec()),
        digested_data: None,
    })
    .await;
    assert_eq!(jobs(), start + 2, "an RSA signature runs on the pool");
    let oaep = Some(CryptographicParameters {
        padding_method: Some(PaddingMethod::Oaep),
        hashing_algorithm: Some(HashingAlgorithm::Sha256),
        ..Default::default()
    });
    let ct = c.ok(encrypt(&pk, b"secret", oaep.clone(), None)).await;
    let before_decrypt = jobs();
    c.ok(decrypt_of(&sk, oaep, None, Some(&ct))).await;
    assert_eq!(
        jobs(),
        before_decrypt + 1,
        "an RSA decryption runs on the pool"
    );
    env.kms.shutdown().await;
}
