//! Random typed request and response payloads for one protocol version.
//!
//! A strategy for version `ver` draws only what exists at `ver`: operations, enumeration values
//! and attributes the version defines, and payload fields from the minor that added them on
//! (Object Group Member 1.1; Offset Items, Located Items 1.3; Digested Data, Authenticated
//! Encryption data and tag, Client/Server Correlation Value, the PSS/OAEP Cryptographic
//! Parameters 1.4; Random IV and the other AEAD/CTR parameters 1.2; Encoding Option 1.1).
//! Masks and integers take any value: the typed layer carries them as numbers in every version.

use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::*;
use keywarden_kmip::message::{
    ProtocolVersion, RequestMessage, ResponseBatchItem, ResponseHeader, ResponseMessage,
    SUPPORTED_VERSIONS,
};
use keywarden_kmip::objects::{
    CryptographicParameters, KeyBlock, KeyMaterial, KeyValue, KeyWrappingData,
    KeyWrappingSpecification, ManagedObject,
};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::ttlv::Value;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use zeroize::Zeroizing;

/// Any supported protocol version, 1.0 to 2.1.
pub fn version() -> BoxedStrategy<ProtocolVersion> {
    prop::sample::select(SUPPORTED_VERSIONS.to_vec()).boxed()
}

/// True when `ver` is `major.minor` or later.
pub fn at_least(ver: ProtocolVersion, major: i32, minor: i32) -> bool {
    ver >= ProtocolVersion::new(major, minor)
}

/// A value of `E` that exists at `ver`.
pub fn en<E: KmipEnum + std::fmt::Debug>(ver: ProtocolVersion) -> BoxedStrategy<E> {
    let values: Vec<E> = E::all()
        .iter()
        .copied()
        .filter(|e| ver.has(e.since()))
        .collect();
    assert!(!values.is_empty(), "{} has no value at {ver}", E::NAME);
    prop::sample::select(values).boxed()
}

/// `Some` of the strategy `make` builds from version `major.minor` on, `None` before (`make`
/// is not called before, where the values it draws from may not exist).
fn since<S>(
    ver: ProtocolVersion,
    major: i32,
    minor: i32,
    make: impl FnOnce() -> S,
) -> BoxedStrategy<Option<S::Value>>
where
    S: Strategy + 'static,
    S::Value: std::fmt::Debug + Clone,
{
    if at_least(ver, major, minor) {
        of(make()).boxed()
    } else {
        Just(None).boxed()
    }
}

/// A short printable text.
pub fn text() -> BoxedStrategy<String> {
    "[a-zA-Z0-9 _.-]{1,16}".boxed()
}

/// Up to 47 bytes, possibly none.
pub fn bytes() -> BoxedStrategy<Vec<u8>> {
    vec(any::<u8>(), 0..48).boxed()
}

fn secret() -> BoxedStrategy<Zeroizing<Vec<u8>>> {
    vec(any::<u8>(), 1..48).prop_map(Zeroizing::new).boxed()
}

/// A big-integer magnitude without leading zero bytes (the decoder's canonical form).
fn magnitude() -> BoxedStrategy<Vec<u8>> {
    vec(any::<u8>(), 1..40)
        .prop_map(|mut v| {
            if v[0] == 0 {
                v[0] = 1;
            }
            v
        })
        .boxed()
}

fn uid() -> BoxedStrategy<Option<String>> {
    of(text()).boxed()
}

/// An attribute `ver` defines (or a custom one), with an index in 1.x.
pub fn attribute(ver: ProtocolVersion) -> BoxedStrategy<Attribute> {
    let mut values = vec![
        en::<CryptographicAlgorithm>(ver)
            .prop_map(|a| Attribute::enumeration("Cryptographic Algorithm", a))
            .boxed(),
        any::<i32>()
            .prop_map(|n| Attribute::new("Cryptographic Length", Value::Integer(n)))
            .boxed(),
        any::<i32>()
            .prop_map(|n| Attribute::new("Cryptographic Usage Mask", Value::Integer(n)))
            .boxed(),
        (text(), en::<NameType>(ver))
            .prop_map(|(n, t)| Attribute::name_value(n, t))
            .boxed(),
        (en::<LinkType>(ver), text())
            .prop_map(|(t, id)| Attribute::link(t, id))
            .boxed(),
        any::<i64>()
            .prop_map(|t| Attribute::new("Activation Date", Value::DateTime(t)))
            .boxed(),
        text()
            .prop_map(|t| Attribute::new("Object Group", Value::TextString(t)))
            .boxed(),
        ("[a-z]{1,8}", text())
            .prop_map(|(n, t)| Attribute::new(format!("x-{n}"), Value::TextString(t)))
            .boxed(),
        bytes()
            .prop_map(|b| Attribute::new("y-blob", Value::ByteString(Zeroizing::new(b))))
            .boxed(),
    ];
    // Sensitive is a 1.4 attribute.
    if at_least(ver, 1, 4) {
        values.push(
            any::<bool>()
                .prop_map(|b| Attribute::new("Sensitive", Value::Boolean(b)))
                .boxed(),
        );
    }
    let index = if ver.uses_attributes_form() {
        Just(None).boxed()
    } else {
        of(0..4i32).boxed()
    };
    (Union::new(values), index)
        .prop_map(|(mut a, i)| {
            a.index = i;
            a
        })
        .boxed()
}

/// Up to four attributes of `ver`.
pub fn attributes(ver: ProtocolVersion) -> BoxedStrategy<Attributes> {
    vec(attribute(ver), 0..5).prop_map(Attributes).boxed()
}

/// Cryptographic Parameters with the fields of `ver`: four in 1.0 and 1.1, the AEAD, CTR and
/// signature fields from 1.2, the PSS and OAEP fields from 1.4.
pub fn params(ver: ProtocolVersion) -> BoxedStrategy<CryptographicParameters> {
    (
        (
            of(en(ver)),
            of(en(ver)),
            of(en(ver)),
            of(en(ver)),
            since(ver, 1, 2, || en(ver)),
            since(ver, 1, 2, || en(ver)),
        ),
        (
            since(ver, 1, 2, any::<bool>),
            since(ver, 1, 2, any::<i32>),
            since(ver, 1, 2, any::<i32>),
            since(ver, 1, 2, any::<i32>),
        ),
        (
            since(ver, 1, 2, any::<i32>),
            since(ver, 1, 2, any::<i32>),
            since(ver, 1, 2, any::<i32>),
            since(ver, 1, 4, any::<i32>),
        ),
        (
            since(ver, 1, 4, || en(ver)),
            since(ver, 1, 4, || en(ver)),
            since(ver, 1, 4, bytes),
            since(ver, 1, 4, any::<i32>),
        ),
    )
        .prop_map(
            |(
                (bcm, pm, ha, krt, dsa, ca),
                (riv, ivl, tl, ffl),
                (ifl, cl, icv, sl),
                (mg, mgh, ps, tf),
            )| {
                CryptographicParameters {
                    block_cipher_mode: bcm,
                    padding_method: pm,
                    hashing_algorithm: ha,
                    key_role_type: krt,
                    digital_signature_algorithm: dsa,
                    cryptographic_algorithm: ca,
                    random_iv: riv,
                    iv_length: ivl,
                    tag_length: tl,
                    fixed_field_length: ffl,
                    invocation_field_length: ifl,
                    counter_length: cl,
                    initial_counter_value: icv,
                    salt_length: sl,
                    mask_generator: mg,
                    mask_generator_hashing_algorithm: mgh,
                    p_source: ps,
                    trailer_field: tf,
                }
            },
        )
        .boxed()
}

fn zeroizing(v: Vec<u8>) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(v)
}

/// (Key Format Type, Key Material) pairs for private keys.
fn private_material(ver: ProtocolVersion) -> BoxedStrategy<(KeyFormatType, KeyMaterial)> {
    let mut formats = vec![private_material_1_0()];
    // The Transparent EC formats exist from 1.3 on.
    if ver.has(KeyFormatType::TransparentEcPrivateKey.since()) {
        formats.push(
            (en::<RecommendedCurve>(ver), magnitude())
                .prop_map(|(c, d)| {
                    (
                        KeyFormatType::TransparentEcPrivateKey,
                        KeyMaterial::TransparentEcPrivate {
                            curve: c,
                            d: zeroizing(d),
                        },
                    )
                })
                .boxed(),
        );
    }
    prop::strategy::Union::new(formats).boxed()
}

/// Private key formats of every version.
fn private_material_1_0() -> BoxedStrategy<(KeyFormatType, KeyMaterial)> {
    prop_oneof![
        secret().prop_map(|b| (KeyFormatType::Pkcs8, KeyMaterial::Bytes(b))),
        (
            magnitude(),
            of(magnitude()),
            of(magnitude()),
            of(magnitude()),
            of(magnitude()),
            (of(magnitude()), of(magnitude()), of(magnitude()))
        )
            .prop_map(|(n, d, e, p, q, (dp, dq, qi))| (
                KeyFormatType::TransparentRsaPrivateKey,
                KeyMaterial::TransparentRsaPrivate {
                    modulus: n,
                    private_exponent: d.map(zeroizing),
                    public_exponent: e,
                    p: p.map(zeroizing),
                    q: q.map(zeroizing),
                    prime_exponent_p: dp.map(zeroizing),
                    prime_exponent_q: dq.map(zeroizing),
                    crt_coefficient: qi.map(zeroizing),
                }
            )),
        (magnitude(), magnitude(), magnitude(), magnitude()).prop_map(|(p, q, g, x)| (
            KeyFormatType::TransparentDsaPrivateKey,
            KeyMaterial::TransparentDsaPrivate {
                p,
                q,
                g,
                x: zeroizing(x)
            }
        )),
        (
            magnitude(),
            of(magnitude()),
            magnitude(),
            of(magnitude()),
            magnitude()
        )
            .prop_map(|(p, q, g, j, x)| (
                KeyFormatType::TransparentDhPrivateKey,
                KeyMaterial::TransparentDhPrivate {
                    p,
                    q,
                    g,
                    j,
                    x: zeroizing(x)
                }
            )),
    ]
    .boxed()
}

fn public_material(ver: ProtocolVersion) -> BoxedStrategy<(KeyFormatType, KeyMaterial)> {
    let mut formats = vec![public_material_1_0()];
    if ver.has(KeyFormatType::TransparentEcPublicKey.since()) {
        formats.push(
            (en::<RecommendedCurve>(ver), bytes())
                .prop_map(|(c, q)| {
                    (
                        KeyFormatType::TransparentEcPublicKey,
                        KeyMaterial::TransparentEcPublic {
                            curve: c,
                            q_string: q,
                        },
                    )
                })
                .boxed(),
        );
    }
    prop::strategy::Union::new(formats).boxed()
}

/// Public key formats of every version.
fn public_material_1_0() -> BoxedStrategy<(KeyFormatType, KeyMaterial)> {
    prop_oneof![
        secret().prop_map(|b| (KeyFormatType::X509, KeyMaterial::Bytes(b))),
        (magnitude(), magnitude()).prop_map(|(n, e)| (
            KeyFormatType::TransparentRsaPublicKey,
            KeyMaterial::TransparentRsaPublic {
                modulus: n,
                public_exponent: e
            }
        )),
        (magnitude(), magnitude(), magnitude(), magnitude()).prop_map(|(p, q, g, y)| (
            KeyFormatType::TransparentDsaPublicKey,
            KeyMaterial::TransparentDsaPublic { p, q, g, y }
        )),
        (
            magnitude(),
            of(magnitude()),
            magnitude(),
            of(magnitude()),
            magnitude()
        )
            .prop_map(|(p, q, g, j, y)| (
                KeyFormatType::TransparentDhPublicKey,
                KeyMaterial::TransparentDhPublic { p, q, g, j, y }
            )),
    ]
    .boxed()
}

fn symmetric_material() -> BoxedStrategy<(KeyFormatType, KeyMaterial)> {
    prop_oneof![
        secret().prop_map(|b| (KeyFormatType::Raw, KeyMaterial::Bytes(b))),
        secret().prop_map(|k| (
            KeyFormatType::TransparentSymmetricKey,
            KeyMaterial::TransparentSymmetric { key: k }
        )),
    ]
    .boxed()
}

fn wrapping_data(ver: ProtocolVersion) -> BoxedStrategy<KeyWrappingData> {
    (
        en(ver),
        uid(),
        of(params(ver)),
        uid(),
        of(bytes()),
        since(ver, 1, 1, || en(ver)),
    )
        .prop_map(|(m, ek, ep, mk, iv, eo)| KeyWrappingData {
            wrapping_method: m,
            encryption_key_uid: ek,
            encryption_parameters: ep,
            mac_signature_key_uid: mk,
            iv_counter_nonce: iv,
            encoding_option: eo,
        })
        .boxed()
}

fn key_block(
    material: BoxedStrategy<(KeyFormatType, KeyMaterial)>,
    ver: ProtocolVersion,
) -> BoxedStrategy<KeyBlock> {
    let plain = (material, attributes(ver)).prop_map(|((f, m), a)| {
        (
            f,
            KeyValue::Plain {
                material: m,
                attributes: a,
            },
            None,
        )
    });
    let wrapped = (bytes(), wrapping_data(ver))
        .prop_map(|(b, w)| (KeyFormatType::Raw, KeyValue::Wrapped(b), Some(w)));
    (
        prop_oneof![3 => plain, 1 => wrapped],
        of(en::<KeyCompressionType>(ver)),
        of(en::<CryptographicAlgorithm>(ver)),
        of(any::<i32>()),
    )
        .prop_map(|((f, kv, w), kc, ca, cl)| KeyBlock {
            key_format_type: f,
            key_compression_type: kc,
            key_value: kv,
            cryptographic_algorithm: ca,
            cryptographic_length: cl,
            key_wrapping_data: w,
        })
        .boxed()
}

/// A managed object: keys plain or wrapped, secret data, opaque objects, certificates.
pub fn object(ver: ProtocolVersion) -> BoxedStrategy<ManagedObject> {
    prop_oneof![
        key_block(symmetric_material(), ver).prop_map(ManagedObject::SymmetricKey),
        key_block(private_material(ver), ver).prop_map(ManagedObject::PrivateKey),
        key_block(public_material(ver), ver).prop_map(ManagedObject::PublicKey),
        (
            en::<SecretDataType>(ver),
            key_block(symmetric_material(), ver)
        )
            .prop_map(|(t, k)| {
                ManagedObject::SecretData {
                    secret_data_type: t,
                    key_block: k,
                }
            }),
        (any::<u32>(), secret()).prop_map(|(t, v)| ManagedObject::OpaqueObject {
            opaque_data_type: t,
            value: v
        }),
        (en::<CertificateType>(ver), bytes()).prop_map(|(t, v)| ManagedObject::Certificate {
            certificate_type: t,
            value: v
        }),
    ]
    .boxed()
}

/// Attribute names as a client asks for them: in 2.x only those with a 2.x reference.
fn attribute_names() -> BoxedStrategy<Vec<String>> {
    vec(
        prop_oneof![
            Just("Cryptographic Algorithm".to_string()),
            Just("Name".to_string()),
            Just("State".to_string()),
            "[a-z]{1,6}".prop_map(|n| format!("x-{n}")),
        ],
        0..4,
    )
    .boxed()
}

/// Protocol versions as data (a Discover Versions list), supported or not.
fn version_list() -> BoxedStrategy<Vec<ProtocolVersion>> {
    vec(
        (0..3i32, 0..5i32).prop_map(|(a, b)| ProtocolVersion::new(a, b)),
        0..4,
    )
    .boxed()
}

/// One of `variants` whose operation exists at `ver`.
fn of_operations<T: std::fmt::Debug + 'static>(
    ver: ProtocolVersion,
    variants: Vec<(Operation, BoxedStrategy<T>)>,
) -> BoxedStrategy<T> {
    let present: Vec<BoxedStrategy<T>> = variants
        .into_iter()
        .filter(|(op, _)| op.exists_in(ver.major, ver.minor))
        .map(|(_, s)| s)
        .collect();
    Union::new(present).boxed()
}

/// A request payload of an operation `ver` has, with the fields `ver` has.
pub fn request_payload(ver: ProtocolVersion) -> BoxedStrategy<RequestPayload> {
    let v2 = ver.uses_attributes_form();
    use Operation as O;
    of_operations(
        ver,
        vec![
            (
                O::DiscoverVersions,
                version_list()
                    .prop_map(|versions| RequestPayload::DiscoverVersions { versions })
                    .boxed(),
            ),
            (
                O::Query,
                vec(en::<QueryFunction>(ver), 0..4)
                    .prop_map(|functions| RequestPayload::Query { functions })
                    .boxed(),
            ),
            (
                O::Create,
                (en::<ObjectType>(ver), attributes(ver))
                    .prop_map(|(object_type, attributes)| RequestPayload::Create {
                        object_type,
                        attributes,
                    })
                    .boxed(),
            ),
            (
                O::CreateKeyPair,
                (attributes(ver), attributes(ver), attributes(ver))
                    .prop_map(|(common, private, public)| RequestPayload::CreateKeyPair {
                        common,
                        private,
                        public,
                    })
                    .boxed(),
            ),
            (
                O::Register,
                (attributes(ver), object(ver))
                    .prop_map(|(attributes, object)| RequestPayload::Register {
                        object_type: object.object_type(),
                        attributes,
                        object,
                    })
                    .boxed(),
            ),
            (
                O::ReKey,
                (uid(), of(any::<u32>()), attributes(ver))
                    .prop_map(|(u, o, a)| RequestPayload::ReKey {
                        unique_identifier: u,
                        offset: o,
                        attributes: a,
                    })
                    .boxed(),
            ),
            (
                O::Get,
                (
                    uid(),
                    of(en::<KeyFormatType>(ver)),
                    of(en::<KeyCompressionType>(ver)),
                    of((
                        en(ver),
                        uid(),
                        of(params(ver)),
                        uid(),
                        vec(text(), 0..3),
                        since(ver, 1, 1, || en(ver)),
                    )
                        .prop_map(|(m, ek, ep, mk, names, eo)| {
                            KeyWrappingSpecification {
                                wrapping_method: m,
                                encryption_key_uid: ek,
                                encryption_parameters: ep,
                                mac_signature_key_uid: mk,
                                attribute_names: names,
                                encoding_option: eo,
                            }
                        })),
                )
                    .prop_map(|(u, f, c, k)| RequestPayload::Get {
                        unique_identifier: u,
                        key_format_type: f,
                        key_compression_type: c,
                        key_wrapping_specification: k,
                    })
                    .boxed(),
            ),
            (
                O::GetAttributes,
                (uid(), attribute_names())
                    .prop_map(|(u, names)| RequestPayload::GetAttributes {
                        unique_identifier: u,
                        names,
                    })
                    .boxed(),
            ),
            (
                O::GetAttributeList,
                uid()
                    .prop_map(|u| RequestPayload::GetAttributeList {
                        unique_identifier: u,
                    })
                    .boxed(),
            ),
            (
                O::AddAttribute,
                (uid(), attribute(ver))
                    .prop_map(|(u, a)| RequestPayload::AddAttribute {
                        unique_identifier: u,
                        attribute: a,
                    })
                    .boxed(),
            ),
            (
                O::SetAttribute,
                (uid(), attribute(ver))
                    .prop_map(|(u, a)| RequestPayload::SetAttribute {
                        unique_identifier: u,
                        attribute: a,
                    })
                    .boxed(),
            ),
            (
                O::ModifyAttribute,
                (uid(), attribute(ver), of(attribute(ver)))
                    .prop_map(move |(u, a, c)| RequestPayload::ModifyAttribute {
                        unique_identifier: u,
                        attribute: a,
                        // 1.x has no Current Attribute.
                        current: if v2 { c } else { None },
                    })
                    .boxed(),
            ),
            (
                O::DeleteAttribute,
                (uid(), attribute(ver), of(0..4i32), any::<bool>())
                    .prop_map(move |(u, a, i, by_value)| {
                        if v2 {
                            // 2.x deletes by Current Attribute (value) or Attribute Reference.
                            RequestPayload::DeleteAttribute {
                                unique_identifier: u,
                                name: a.name.clone(),
                                index: None,
                                current: by_value.then(|| Attribute { index: None, ..a }),
                            }
                        } else {
                            RequestPayload::DeleteAttribute {
                                unique_identifier: u,
                                name: a.name,
                                index: i,
                                current: None,
                            }
                        }
                    })
                    .boxed(),
            ),
            (
                O::Locate,
                (
                    of(any::<i32>()),
                    since(ver, 1, 3, any::<i32>),
                    of(any::<u32>()),
                    since(ver, 1, 1, || 1..3u32),
                    attributes(ver),
                )
                    .prop_map(|(m, o, s, g, a)| RequestPayload::Locate {
                        maximum_items: m,
                        offset_items: o,
                        storage_status_mask: s,
                        object_group_member: g,
                        attributes: a,
                    })
                    .boxed(),
            ),
            (
                O::Activate,
                uid()
                    .prop_map(|u| RequestPayload::Activate {
                        unique_identifier: u,
                    })
                    .boxed(),
            ),
            (
                O::Revoke,
                (
                    uid(),
                    en::<RevocationReasonCode>(ver),
                    of(text()),
                    of(any::<i64>()),
                )
                    .prop_map(|(u, r, m, d)| RequestPayload::Revoke {
                        unique_identifier: u,
                        reason: r,
                        message: m,
                        compromise_occurrence_date: d,
                    })
                    .boxed(),
            ),
            (
                O::Destroy,
                uid()
                    .prop_map(|u| RequestPayload::Destroy {
                        unique_identifier: u,
                    })
                    .boxed(),
            ),
            (
                O::Encrypt,
                (
                    uid(),
                    of(params(ver)),
                    secret(),
                    of(bytes()),
                    since(ver, 1, 4, bytes),
                )
                    .prop_map(|(u, p, d, iv, aad)| RequestPayload::Encrypt {
                        unique_identifier: u,
                        parameters: p,
                        data: d,
                        iv_counter_nonce: iv,
                        aad,
                    })
                    .boxed(),
            ),
            (
                O::Decrypt,
                (
                    uid(),
                    of(params(ver)),
                    bytes(),
                    of(bytes()),
                    since(ver, 1, 4, bytes),
                    since(ver, 1, 4, bytes),
                )
                    .prop_map(|(u, p, d, iv, aad, tag)| RequestPayload::Decrypt {
                        unique_identifier: u,
                        parameters: p,
                        data: d,
                        iv_counter_nonce: iv,
                        aad,
                        tag,
                    })
                    .boxed(),
            ),
            (
                O::Sign,
                (uid(), of(params(ver)), bytes(), since(ver, 1, 4, bytes))
                    .prop_map(|(u, p, d, dd)| RequestPayload::Sign {
                        unique_identifier: u,
                        parameters: p,
                        data: Some(d),
                        digested_data: dd,
                    })
                    .boxed(),
            ),
            (
                O::SignatureVerify,
                (
                    uid(),
                    of(params(ver)),
                    of(bytes()),
                    since(ver, 1, 4, bytes),
                    bytes(),
                )
                    .prop_map(|(u, p, d, dd, s)| RequestPayload::SignatureVerify {
                        unique_identifier: u,
                        parameters: p,
                        data: d,
                        digested_data: dd,
                        signature: s,
                    })
                    .boxed(),
            ),
            (
                O::Mac,
                (uid(), of(params(ver)), bytes())
                    .prop_map(|(u, p, d)| RequestPayload::Mac {
                        unique_identifier: u,
                        parameters: p,
                        data: d,
                    })
                    .boxed(),
            ),
            (
                O::MacVerify,
                (uid(), of(params(ver)), bytes(), bytes())
                    .prop_map(|(u, p, d, m)| RequestPayload::MacVerify {
                        unique_identifier: u,
                        parameters: p,
                        data: d,
                        mac: m,
                    })
                    .boxed(),
            ),
            (
                O::RngRetrieve,
                any::<i32>()
                    .prop_map(|length| RequestPayload::RngRetrieve { length })
                    .boxed(),
            ),
        ],
    )
}

/// A response payload with the operation its batch item names.
pub fn response_payload(ver: ProtocolVersion) -> BoxedStrategy<(Operation, ResponsePayload)> {
    let v2 = ver.uses_attributes_form();
    use Operation as O;
    let with = |op: Operation, s: BoxedStrategy<ResponsePayload>| {
        (op, s.prop_map(move |p| (op, p)).boxed())
    };
    let attribute_changed = |op: Operation| {
        (
            op,
            (text(), of(attribute(ver)))
                .prop_map(move |(u, a)| {
                    (
                        op,
                        ResponsePayload::AttributeChanged {
                            unique_identifier: u,
                            // 2.x responses do not carry the attribute.
                            attribute: if v2 { None } else { a },
                        },
                    )
                })
                .boxed(),
        )
    };
    let identifier = |op: Operation| {
        with(
            op,
            text()
                .prop_map(|u| ResponsePayload::Identifier {
                    unique_identifier: u,
                })
                .boxed(),
        )
    };
    of_operations(
        ver,
        vec![
            with(
                O::DiscoverVersions,
                version_list()
                    .prop_map(|versions| ResponsePayload::DiscoverVersions { versions })
                    .boxed(),
            ),
            with(
                O::Query,
                (
                    vec(en::<Operation>(ver), 0..6),
                    vec(en::<ObjectType>(ver), 0..4),
                    of(text()),
                    of(text()),
                )
                    .prop_map(|(o, t, v, s)| ResponsePayload::Query {
                        operations: o,
                        object_types: t,
                        vendor_identification: v,
                        server_information: s,
                    })
                    .boxed(),
            ),
            with(
                O::Create,
                (en::<ObjectType>(ver), text())
                    .prop_map(|(t, u)| ResponsePayload::Create {
                        object_type: t,
                        unique_identifier: u,
                    })
                    .boxed(),
            ),
            with(
                O::CreateKeyPair,
                (text(), text())
                    .prop_map(|(a, b)| ResponsePayload::CreateKeyPair {
                        private_key_unique_identifier: a,
                        public_key_unique_identifier: b,
                    })
                    .boxed(),
            ),
            with(
                O::Register,
                text()
                    .prop_map(|u| ResponsePayload::Register {
                        unique_identifier: u,
                    })
                    .boxed(),
            ),
            with(
                O::ReKey,
                text()
                    .prop_map(|u| ResponsePayload::ReKey {
                        unique_identifier: u,
                    })
                    .boxed(),
            ),
            with(
                O::Get,
                (text(), object(ver))
                    .prop_map(|(u, o)| ResponsePayload::Get {
                        object_type: o.object_type(),
                        unique_identifier: u,
                        object: o,
                    })
                    .boxed(),
            ),
            with(
                O::GetAttributes,
                (text(), attributes(ver))
                    .prop_map(|(u, a)| ResponsePayload::GetAttributes {
                        unique_identifier: u,
                        attributes: a,
                    })
                    .boxed(),
            ),
            with(
                O::GetAttributeList,
                (text(), attribute_names())
                    .prop_map(|(u, n)| ResponsePayload::GetAttributeList {
                        unique_identifier: u,
                        names: n,
                    })
                    .boxed(),
            ),
            attribute_changed(O::AddAttribute),
            attribute_changed(O::SetAttribute),
            attribute_changed(O::ModifyAttribute),
            with(
                O::DeleteAttribute,
                (text(), of(attribute(ver)))
                    .prop_map(move |(u, a)| ResponsePayload::DeleteAttribute {
                        unique_identifier: u,
                        attribute: if v2 { None } else { a },
                    })
                    .boxed(),
            ),
            with(
                O::Locate,
                (since(ver, 1, 3, any::<i32>), vec(text(), 0..5))
                    .prop_map(|(n, u)| ResponsePayload::Locate {
                        located_items: n,
                        unique_identifiers: u,
                    })
                    .boxed(),
            ),
            identifier(O::Activate),
            identifier(O::Revoke),
            identifier(O::Destroy),
            with(
                O::Encrypt,
                (text(), bytes(), of(bytes()), since(ver, 1, 4, bytes))
                    .prop_map(|(u, d, iv, t)| ResponsePayload::Encrypt {
                        unique_identifier: u,
                        data: d,
                        iv_counter_nonce: iv,
                        tag: t,
                    })
                    .boxed(),
            ),
            with(
                O::Decrypt,
                (text(), secret())
                    .prop_map(|(u, d)| ResponsePayload::Decrypt {
                        unique_identifier: u,
                        data: d,
                    })
                    .boxed(),
            ),
            with(
                O::Sign,
                (text(), bytes())
                    .prop_map(|(u, s)| ResponsePayload::Sign {
                        unique_identifier: u,
                        signature: s,
                    })
                    .boxed(),
            ),
            with(
                O::SignatureVerify,
                (text(), any::<bool>())
                    .prop_map(|(u, v)| ResponsePayload::SignatureVerify {
                        unique_identifier: u,
                        valid: v,
                    })
                    .boxed(),
            ),
            with(
                O::Mac,
                (text(), bytes())
                    .prop_map(|(u, m)| ResponsePayload::Mac {
                        unique_identifier: u,
                        mac: m,
                    })
                    .boxed(),
            ),
            with(
                O::MacVerify,
                (text(), any::<bool>())
                    .prop_map(|(u, v)| ResponsePayload::MacVerify {
                        unique_identifier: u,
                        valid: v,
                    })
                    .boxed(),
            ),
            with(
                O::RngRetrieve,
                bytes()
                    .prop_map(|d| ResponsePayload::RngRetrieve { data: d })
                    .boxed(),
            ),
        ],
    )
}

/// A request of `payloads` at `ver`, with the header fields `ver` has set.
pub fn request(ver: ProtocolVersion, payloads: Vec<RequestPayload>) -> RequestMessage {
    let mut msg = RequestMessage::new(ver, payloads);
    // Client Correlation Value is a 1.4 header field.
    if at_least(ver, 1, 4) {
        msg.header.client_correlation_value = Some("corr".into());
    }
    msg.header.maximum_response_size = Some(4096);
    msg.header.batch_error_continuation = Some(BatchErrorContinuationOption::Stop);
    msg.header.time_stamp = Some(1_700_000_000);
    msg
}

/// A response of successful `items` at `ver`, with the header fields `ver` has set.
pub fn response(ver: ProtocolVersion, items: Vec<(Operation, ResponsePayload)>) -> ResponseMessage {
    let correlation = |v: &str| at_least(ver, 1, 4).then(|| v.to_string());
    ResponseMessage {
        header: ResponseHeader {
            protocol_version: ver,
            time_stamp: 1_700_000_000,
            client_correlation_value: correlation("c"),
            server_correlation_value: correlation("s"),
        },
        items: items
            .into_iter()
            .enumerate()
            .map(|(i, (op, p))| ResponseBatchItem::success(op, Some(vec![i as u8]), Some(p)))
            .collect(),
    }
}

/// A version and a request of one to three payloads drawn at it.
pub fn any_request() -> BoxedStrategy<RequestMessage> {
    version()
        .prop_flat_map(|ver| vec(request_payload(ver), 1..4).prop_map(move |p| request(ver, p)))
        .boxed()
}

/// A version and a response of one to three items drawn at it.
pub fn any_response() -> BoxedStrategy<ResponseMessage> {
    version()
        .prop_flat_map(|ver| {
            vec(response_payload(ver), 1..4).prop_map(move |items| response(ver, items))
        })
        .boxed()
}
