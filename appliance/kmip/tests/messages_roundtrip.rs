//! Every request and response payload variant survives encode → binary TTLV → decode, in the
//! 1.4 form (Template-Attribute, Attribute Name) and the 2.1 form (Attributes, Attribute
//! Reference, New/Current Attribute).

use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::*;
use keywarden_kmip::message::{
    ProtocolVersion, RequestMessage, ResponseBatchItem, ResponseHeader, ResponseMessage,
};
use keywarden_kmip::objects::{
    CryptographicParameters, KeyBlock, KeyMaterial, KeyValue, KeyWrappingData,
    KeyWrappingSpecification, ManagedObject,
};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::tags;
use keywarden_kmip::ttlv::{Limits, Ttlv, Value};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use zeroize::Zeroizing;

const V14: ProtocolVersion = ProtocolVersion::V1_4;
const V21: ProtocolVersion = ProtocolVersion::V2_1;

fn en<E: KmipEnum + std::fmt::Debug>() -> BoxedStrategy<E> {
    prop::sample::select(E::all()).boxed()
}

fn text() -> BoxedStrategy<String> {
    "[a-zA-Z0-9 _.-]{1,16}".boxed()
}

fn bytes() -> BoxedStrategy<Vec<u8>> {
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

fn attribute(ver: ProtocolVersion) -> BoxedStrategy<Attribute> {
    let value = prop_oneof![
        en::<CryptographicAlgorithm>()
            .prop_map(|a| Attribute::enumeration("Cryptographic Algorithm", a)),
        any::<i32>().prop_map(|n| Attribute::new("Cryptographic Length", Value::Integer(n))),
        any::<i32>().prop_map(|n| Attribute::new("Cryptographic Usage Mask", Value::Integer(n))),
        (text(), en::<NameType>()).prop_map(|(n, t)| Attribute::name_value(n, t)),
        (en::<LinkType>(), text()).prop_map(|(t, id)| Attribute::link(t, id)),
        any::<i64>().prop_map(|t| Attribute::new("Activation Date", Value::DateTime(t))),
        text().prop_map(|t| Attribute::new("Object Group", Value::TextString(t))),
        any::<bool>().prop_map(|b| Attribute::new("Sensitive", Value::Boolean(b))),
        ("[a-z]{1,8}", text())
            .prop_map(|(n, t)| Attribute::new(format!("x-{n}"), Value::TextString(t))),
        bytes().prop_map(|b| Attribute::new("y-blob", Value::ByteString(Zeroizing::new(b)))),
    ];
    let index = if ver.uses_attributes_form() {
        Just(None).boxed()
    } else {
        of(0..4i32).boxed()
    };
    (value, index)
        .prop_map(|(mut a, i)| {
            a.index = i;
            a
        })
        .boxed()
}

fn attributes(ver: ProtocolVersion) -> BoxedStrategy<Attributes> {
    vec(attribute(ver), 0..5).prop_map(Attributes).boxed()
}

fn params() -> BoxedStrategy<CryptographicParameters> {
    (
        (of(en()), of(en()), of(en()), of(en()), of(en()), of(en())),
        (
            of(any::<bool>()),
            of(any::<i32>()),
            of(any::<i32>()),
            of(any::<i32>()),
        ),
        (
            of(any::<i32>()),
            of(any::<i32>()),
            of(any::<i32>()),
            of(any::<i32>()),
        ),
        (of(en()), of(en()), of(bytes()), of(any::<i32>())),
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
fn private_material() -> BoxedStrategy<(KeyFormatType, KeyMaterial)> {
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
        (en::<RecommendedCurve>(), magnitude()).prop_map(|(c, d)| (
            KeyFormatType::TransparentEcPrivateKey,
            KeyMaterial::TransparentEcPrivate {
                curve: c,
                d: zeroizing(d)
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

fn public_material() -> BoxedStrategy<(KeyFormatType, KeyMaterial)> {
    prop_oneof![
        secret().prop_map(|b| (KeyFormatType::X509, KeyMaterial::Bytes(b))),
        (magnitude(), magnitude()).prop_map(|(n, e)| (
            KeyFormatType::TransparentRsaPublicKey,
            KeyMaterial::TransparentRsaPublic {
                modulus: n,
                public_exponent: e
            }
        )),
        (en::<RecommendedCurve>(), bytes()).prop_map(|(c, q)| (
            KeyFormatType::TransparentEcPublicKey,
            KeyMaterial::TransparentEcPublic {
                curve: c,
                q_string: q
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

fn wrapping_data() -> BoxedStrategy<KeyWrappingData> {
    (en(), uid(), of(params()), uid(), of(bytes()), of(en()))
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
    let wrapped = (bytes(), wrapping_data())
        .prop_map(|(b, w)| (KeyFormatType::Raw, KeyValue::Wrapped(b), Some(w)));
    (
        prop_oneof![3 => plain, 1 => wrapped],
        of(en::<KeyCompressionType>()),
        of(en::<CryptographicAlgorithm>()),
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

fn object(ver: ProtocolVersion) -> BoxedStrategy<ManagedObject> {
    prop_oneof![
        key_block(symmetric_material(), ver).prop_map(ManagedObject::SymmetricKey),
        key_block(private_material(), ver).prop_map(ManagedObject::PrivateKey),
        key_block(public_material(), ver).prop_map(ManagedObject::PublicKey),
        (en::<SecretDataType>(), key_block(symmetric_material(), ver)).prop_map(|(t, k)| {
            ManagedObject::SecretData {
                secret_data_type: t,
                key_block: k,
            }
        }),
        (any::<u32>(), secret()).prop_map(|(t, v)| ManagedObject::OpaqueObject {
            opaque_data_type: t,
            value: v
        }),
        (en::<CertificateType>(), bytes()).prop_map(|(t, v)| ManagedObject::Certificate {
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

fn request_payload(ver: ProtocolVersion) -> BoxedStrategy<RequestPayload> {
    let v2 = ver.uses_attributes_form();
    let versions = vec(
        (0..3i32, 0..5i32).prop_map(|(a, b)| ProtocolVersion::new(a, b)),
        0..4,
    );
    prop_oneof![
        versions.prop_map(|versions| RequestPayload::DiscoverVersions { versions }),
        vec(en::<QueryFunction>(), 0..4).prop_map(|functions| RequestPayload::Query { functions }),
        (en::<ObjectType>(), attributes(ver)).prop_map(|(object_type, attributes)| {
            RequestPayload::Create {
                object_type,
                attributes,
            }
        }),
        (attributes(ver), attributes(ver), attributes(ver)).prop_map(
            |(common, private, public)| {
                RequestPayload::CreateKeyPair {
                    common,
                    private,
                    public,
                }
            }
        ),
        (attributes(ver), object(ver)).prop_map(|(attributes, object)| RequestPayload::Register {
            object_type: object.object_type(),
            attributes,
            object,
        }),
        (uid(), of(any::<u32>()), attributes(ver)).prop_map(|(u, o, a)| RequestPayload::ReKey {
            unique_identifier: u,
            offset: o,
            attributes: a,
        }),
        (
            uid(),
            of(en::<KeyFormatType>()),
            of(en::<KeyCompressionType>()),
            of((
                en(),
                uid(),
                of(params()),
                uid(),
                vec(text(), 0..3),
                of(en())
            )
                .prop_map(|(m, ek, ep, mk, names, eo)| KeyWrappingSpecification {
                    wrapping_method: m,
                    encryption_key_uid: ek,
                    encryption_parameters: ep,
                    mac_signature_key_uid: mk,
                    attribute_names: names,
                    encoding_option: eo,
                }))
        )
            .prop_map(|(u, f, c, k)| RequestPayload::Get {
                unique_identifier: u,
                key_format_type: f,
                key_compression_type: c,
                key_wrapping_specification: k,
            }),
        (uid(), attribute_names()).prop_map(|(u, names)| RequestPayload::GetAttributes {
            unique_identifier: u,
            names,
        }),
        uid().prop_map(|u| RequestPayload::GetAttributeList {
            unique_identifier: u
        }),
        (uid(), attribute(ver)).prop_map(|(u, a)| RequestPayload::AddAttribute {
            unique_identifier: u,
            attribute: a,
        }),
        (uid(), attribute(V21)).prop_map(|(u, a)| RequestPayload::SetAttribute {
            unique_identifier: u,
            attribute: a,
        }),
        (uid(), attribute(ver), of(attribute(V21))).prop_map(move |(u, a, c)| {
            RequestPayload::ModifyAttribute {
                unique_identifier: u,
                attribute: a,
                // 1.x has no Current Attribute.
                current: if v2 { c } else { None },
            }
        }),
        (uid(), attribute(ver), of(0..4i32), any::<bool>()).prop_map(move |(u, a, i, by_value)| {
            if v2 {
                // 2.x deletes by Current Attribute (value) or by Attribute Reference (name).
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
        }),
        (
            of(any::<i32>()),
            of(any::<i32>()),
            of(any::<u32>()),
            of(1..3u32),
            attributes(ver)
        )
            .prop_map(|(m, o, s, g, a)| RequestPayload::Locate {
                maximum_items: m,
                offset_items: o,
                storage_status_mask: s,
                object_group_member: g,
                attributes: a,
            }),
        uid().prop_map(|u| RequestPayload::Activate {
            unique_identifier: u
        }),
        (
            uid(),
            en::<RevocationReasonCode>(),
            of(text()),
            of(any::<i64>())
        )
            .prop_map(|(u, r, m, d)| RequestPayload::Revoke {
                unique_identifier: u,
                reason: r,
                message: m,
                compromise_occurrence_date: d,
            }),
        uid().prop_map(|u| RequestPayload::Destroy {
            unique_identifier: u
        }),
        (uid(), of(params()), secret(), of(bytes()), of(bytes())).prop_map(|(u, p, d, iv, aad)| {
            RequestPayload::Encrypt {
                unique_identifier: u,
                parameters: p,
                data: d,
                iv_counter_nonce: iv,
                aad,
            }
        }),
        (
            uid(),
            of(params()),
            bytes(),
            of(bytes()),
            of(bytes()),
            of(bytes())
        )
            .prop_map(|(u, p, d, iv, aad, tag)| RequestPayload::Decrypt {
                unique_identifier: u,
                parameters: p,
                data: d,
                iv_counter_nonce: iv,
                aad,
                tag,
            }),
        (uid(), of(params()), bytes(), of(bytes())).prop_map(|(u, p, d, dd)| {
            RequestPayload::Sign {
                unique_identifier: u,
                parameters: p,
                data: Some(d),
                digested_data: dd,
            }
        }),
        (uid(), of(params()), of(bytes()), of(bytes()), bytes()).prop_map(|(u, p, d, dd, s)| {
            RequestPayload::SignatureVerify {
                unique_identifier: u,
                parameters: p,
                data: d,
                digested_data: dd,
                signature: s,
            }
        }),
        (uid(), of(params()), bytes()).prop_map(|(u, p, d)| RequestPayload::Mac {
            unique_identifier: u,
            parameters: p,
            data: d,
        }),
        (uid(), of(params()), bytes(), bytes()).prop_map(|(u, p, d, m)| {
            RequestPayload::MacVerify {
                unique_identifier: u,
                parameters: p,
                data: d,
                mac: m,
            }
        }),
        any::<i32>().prop_map(|length| RequestPayload::RngRetrieve { length }),
    ]
    .boxed()
}

/// A response payload with the operation its batch item names.
fn response_payload(ver: ProtocolVersion) -> BoxedStrategy<(Operation, ResponsePayload)> {
    let v2 = ver.uses_attributes_form();
    let versions = vec(
        (0..3i32, 0..5i32).prop_map(|(a, b)| ProtocolVersion::new(a, b)),
        0..4,
    );
    prop_oneof![
        versions.prop_map(|versions| (
            Operation::DiscoverVersions,
            ResponsePayload::DiscoverVersions { versions }
        )),
        (
            // Values newer than the version are left out on encode (tested separately).
            vec(en::<Operation>(), 0..6).prop_map(move |v| v
                .into_iter()
                .filter(|o| o.exists_in(ver.major, ver.minor))
                .collect::<Vec<_>>()),
            vec(en::<ObjectType>(), 0..4).prop_map(move |v| v
                .into_iter()
                .filter(|o| o.exists_in(ver.major, ver.minor))
                .collect::<Vec<_>>()),
            of(text()),
            of(text())
        )
            .prop_map(|(o, t, v, s)| (
                Operation::Query,
                ResponsePayload::Query {
                    operations: o,
                    object_types: t,
                    vendor_identification: v,
                    server_information: s,
                }
            )),
        (en::<ObjectType>(), text()).prop_map(|(t, u)| (
            Operation::Create,
            ResponsePayload::Create {
                object_type: t,
                unique_identifier: u
            }
        )),
        (text(), text()).prop_map(|(a, b)| (
            Operation::CreateKeyPair,
            ResponsePayload::CreateKeyPair {
                private_key_unique_identifier: a,
                public_key_unique_identifier: b
            }
        )),
        text().prop_map(|u| (
            Operation::Register,
            ResponsePayload::Register {
                unique_identifier: u
            }
        )),
        text().prop_map(|u| (
            Operation::ReKey,
            ResponsePayload::ReKey {
                unique_identifier: u
            }
        )),
        (text(), object(ver)).prop_map(|(u, o)| (
            Operation::Get,
            ResponsePayload::Get {
                object_type: o.object_type(),
                unique_identifier: u,
                object: o
            }
        )),
        (text(), attributes(ver)).prop_map(|(u, a)| (
            Operation::GetAttributes,
            ResponsePayload::GetAttributes {
                unique_identifier: u,
                attributes: a
            }
        )),
        (text(), attribute_names()).prop_map(|(u, n)| (
            Operation::GetAttributeList,
            ResponsePayload::GetAttributeList {
                unique_identifier: u,
                names: n
            }
        )),
        (
            prop::sample::select(vec![
                Operation::AddAttribute,
                Operation::SetAttribute,
                Operation::ModifyAttribute
            ]),
            text(),
            of(attribute(ver))
        )
            .prop_map(move |(op, u, a)| (
                op,
                ResponsePayload::AttributeChanged {
                    unique_identifier: u,
                    // 2.x responses do not carry the attribute.
                    attribute: if v2 { None } else { a },
                }
            )),
        (text(), of(attribute(ver))).prop_map(move |(u, a)| (
            Operation::DeleteAttribute,
            ResponsePayload::DeleteAttribute {
                unique_identifier: u,
                attribute: if v2 { None } else { a },
            }
        )),
        (of(any::<i32>()), vec(text(), 0..5)).prop_map(|(n, u)| (
            Operation::Locate,
            ResponsePayload::Locate {
                located_items: n,
                unique_identifiers: u
            }
        )),
        (
            prop::sample::select(vec![
                Operation::Activate,
                Operation::Revoke,
                Operation::Destroy
            ]),
            text()
        )
            .prop_map(|(op, u)| (
                op,
                ResponsePayload::Identifier {
                    unique_identifier: u
                }
            )),
        (text(), bytes(), of(bytes()), of(bytes())).prop_map(|(u, d, iv, t)| (
            Operation::Encrypt,
            ResponsePayload::Encrypt {
                unique_identifier: u,
                data: d,
                iv_counter_nonce: iv,
                tag: t
            }
        )),
        (text(), secret()).prop_map(|(u, d)| (
            Operation::Decrypt,
            ResponsePayload::Decrypt {
                unique_identifier: u,
                data: d
            }
        )),
        (text(), bytes()).prop_map(|(u, s)| (
            Operation::Sign,
            ResponsePayload::Sign {
                unique_identifier: u,
                signature: s
            }
        )),
        (text(), any::<bool>()).prop_map(|(u, v)| (
            Operation::SignatureVerify,
            ResponsePayload::SignatureVerify {
                unique_identifier: u,
                valid: v
            }
        )),
        (text(), bytes()).prop_map(|(u, m)| (
            Operation::Mac,
            ResponsePayload::Mac {
                unique_identifier: u,
                mac: m
            }
        )),
        (text(), any::<bool>()).prop_map(|(u, v)| (
            Operation::MacVerify,
            ResponsePayload::MacVerify {
                unique_identifier: u,
                valid: v
            }
        )),
        bytes().prop_map(|d| (
            Operation::RngRetrieve,
            ResponsePayload::RngRetrieve { data: d }
        )),
    ]
    .boxed()
}

fn request_round_trip(ver: ProtocolVersion, payloads: Vec<RequestPayload>) {
    let mut msg = RequestMessage::new(ver, payloads);
    msg.header.client_correlation_value = Some("corr".into());
    msg.header.maximum_response_size = Some(4096);
    msg.header.batch_error_continuation = Some(BatchErrorContinuationOption::Stop);
    msg.header.time_stamp = Some(1_700_000_000);
    let bytes = msg.encode();
    let back = RequestMessage::decode(&bytes, &Limits::default()).expect("decodes");
    assert_eq!(back, msg);
}

fn response_round_trip(ver: ProtocolVersion, items: Vec<(Operation, ResponsePayload)>) {
    let msg = ResponseMessage {
        header: ResponseHeader {
            protocol_version: ver,
            time_stamp: 1_700_000_000,
            client_correlation_value: Some("c".into()),
            server_correlation_value: Some("s".into()),
        },
        items: items
            .into_iter()
            .enumerate()
            .map(|(i, (op, p))| ResponseBatchItem::success(op, Some(vec![i as u8]), Some(p)))
            .collect(),
    };
    let back = ResponseMessage::decode(&msg.encode(), &Limits::default()).expect("decodes");
    assert_eq!(back, msg);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn requests_round_trip_1_4(p in vec(request_payload(V14), 1..4)) {
        request_round_trip(V14, p);
    }

    #[test]
    fn requests_round_trip_2_1(p in vec(request_payload(V21), 1..4)) {
        request_round_trip(V21, p);
    }

    #[test]
    fn responses_round_trip_1_4(p in vec(response_payload(V14), 1..4)) {
        response_round_trip(V14, p);
    }

    #[test]
    fn responses_round_trip_2_1(p in vec(response_payload(V21), 1..4)) {
        response_round_trip(V21, p);
    }
}

/// The attribute forms on the wire are the version's: checked on the encoded TTLV.
#[test]
fn create_uses_the_version_form() {
    let mut a = Attributes::new();
    a.push(Attribute::enumeration(
        "Cryptographic Algorithm",
        CryptographicAlgorithm::Aes,
    ));
    a.push(Attribute::new("x-ID", Value::TextString("k".into())));
    let p = RequestPayload::Create {
        object_type: ObjectType::SymmetricKey,
        attributes: a,
    };
    let t14 = p.to_ttlv(V14);
    assert!(t14.child(tags::TEMPLATE_ATTRIBUTE).is_some());
    assert!(t14.child(tags::ATTRIBUTES).is_none());
    let t21 = p.to_ttlv(V21);
    let attrs = t21.child(tags::ATTRIBUTES).expect("2.1 uses Attributes");
    assert_eq!(
        attrs.child(tags::CRYPTOGRAPHIC_ALGORITHM).map(|t| &t.value),
        Some(&Value::Enumeration(CryptographicAlgorithm::Aes.value()))
    );
    let vendor = attrs
        .child(tags::ATTRIBUTE)
        .expect("custom attribute as vendor Attribute");
    assert_eq!(
        vendor.child(tags::VENDOR_IDENTIFICATION).map(|t| &t.value),
        Some(&Value::TextString("x".into()))
    );
    assert_eq!(
        vendor.child(tags::ATTRIBUTE_NAME).map(|t| &t.value),
        Some(&Value::TextString("ID".into()))
    );
}

#[test]
fn get_attributes_response_uses_the_version_form() {
    let mut a = Attributes::new();
    a.push(Attribute::new("Cryptographic Length", Value::Integer(128)));
    let p = ResponsePayload::GetAttributes {
        unique_identifier: "1".into(),
        attributes: a,
    };
    let t14: Ttlv = p.to_ttlv(V14);
    assert!(t14.child(tags::ATTRIBUTE).is_some());
    let t21 = p.to_ttlv(V21);
    assert!(
        t21.child(tags::ATTRIBUTES)
            .and_then(|a| a.child(tags::CRYPTOGRAPHIC_LENGTH))
            .is_some()
    );
}

#[test]
fn query_answers_only_what_the_version_knows() {
    let p = ResponsePayload::Query {
        operations: vec![Operation::Get, Operation::SetAttribute],
        object_types: vec![ObjectType::SymmetricKey, ObjectType::CertificateRequest],
        vendor_identification: None,
        server_information: None,
    };
    let ops = |v: ProtocolVersion| p.to_ttlv(v).children_with(tags::OPERATION).count();
    let types = |v: ProtocolVersion| p.to_ttlv(v).children_with(tags::OBJECT_TYPE).count();
    assert_eq!((ops(V14), types(V14)), (1, 1));
    assert_eq!((ops(V21), types(V21)), (2, 2));
}
