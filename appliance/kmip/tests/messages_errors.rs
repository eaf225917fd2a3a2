//! Whole-message failures, per-item failures, version negotiation and Result Reason mapping.

use keywarden_kmip::KmipError;
use keywarden_kmip::enums::{KeyFormatType, ObjectType, Operation, ResultReason, ResultStatus};
use keywarden_kmip::message::{
    MessageError, ProtocolVersion, RequestMessage, ResponseBatchItem, ResponseHeader,
    ResponseMessage, SUPPORTED_VERSIONS, result_reason_for_version,
};
use keywarden_kmip::payload::RequestPayload;
use keywarden_kmip::tags;
use keywarden_kmip::ttlv::{self, Limits, Tag, Ttlv, Value};
use zeroize::Zeroizing;

fn int(tag: Tag, v: i32) -> Ttlv {
    Ttlv::new(tag, Value::Integer(v))
}

fn version(major: i32, minor: i32) -> Ttlv {
    Ttlv::structure(
        tags::PROTOCOL_VERSION,
        vec![
            int(tags::PROTOCOL_VERSION_MAJOR, major),
            int(tags::PROTOCOL_VERSION_MINOR, minor),
        ],
    )
}

fn item(op: u32, id: &[u8], payload: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(
        tags::BATCH_ITEM,
        vec![
            Ttlv::new(tags::OPERATION, Value::Enumeration(op)),
            Ttlv::new(
                tags::UNIQUE_BATCH_ITEM_ID,
                Value::ByteString(Zeroizing::new(id.to_vec())),
            ),
            Ttlv::structure(tags::REQUEST_PAYLOAD, payload),
        ],
    )
}

fn request(major: i32, minor: i32, count: i32, items: Vec<Ttlv>) -> Vec<u8> {
    let mut children = vec![Ttlv::structure(
        tags::REQUEST_HEADER,
        vec![version(major, minor), int(tags::BATCH_COUNT, count)],
    )];
    children.extend(items);
    ttlv::encode(&Ttlv::structure(tags::REQUEST_MESSAGE, children))
}

fn uid(s: &str) -> Ttlv {
    Ttlv::new(tags::UNIQUE_IDENTIFIER, Value::TextString(s.into()))
}

fn decode(bytes: &[u8]) -> Result<RequestMessage, MessageError> {
    RequestMessage::decode(bytes, &Limits::default())
}

#[test]
fn garbage_is_an_invalid_message_answered_in_1_0() {
    let e = decode(&[0x42, 0, 0x78, 1, 0, 0, 0, 200]).unwrap_err();
    assert_eq!(e.error.reason, ResultReason::InvalidMessage);
    assert!(e.error.message.contains("TTLV"), "{}", e.error.message);
    assert_eq!(e.protocol_version, None);
    let r = ResponseMessage::for_message_error(&e, 42);
    assert_eq!(r.header.protocol_version, ProtocolVersion::V1_0);
    assert_eq!(r.header.time_stamp, 42);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].result_status, ResultStatus::OperationFailed);
    assert_eq!(r.items[0].result_reason, Some(ResultReason::InvalidMessage));
    // The answer itself encodes and decodes.
    let back = ResponseMessage::decode(&r.encode(), &Limits::default()).unwrap();
    assert_eq!(back, r);
}

#[test]
fn wrong_top_level_tag() {
    let bytes = ttlv::encode(&Ttlv::structure(tags::RESPONSE_MESSAGE, vec![]));
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e.error.reason, ResultReason::InvalidMessage);
    assert!(e.error.message.contains("RequestMessage"));
}

#[test]
fn unknown_major_version_is_refused_in_2_1_with_each_item_answered() {
    let bytes = request(
        3,
        0,
        2,
        vec![
            item(Operation::Activate.value(), b"a", vec![uid("1")]),
            item(Operation::Destroy.value(), b"b", vec![uid("1")]),
        ],
    );
    let e = decode(&bytes).unwrap_err();
    assert_eq!(e.protocol_version, Some(ProtocolVersion::V2_1));
    assert_eq!(e.error.reason, ResultReason::UnsupportedProtocolVersion);
    assert_eq!(
        e.batch_items,
        vec![
            (Some(Operation::Activate), Some(b"a".to_vec())),
            (Some(Operation::Destroy), Some(b"b".to_vec()))
        ]
    );
    let r = ResponseMessage::for_message_error(&e, 0);
    assert_eq!(r.items.len(), 2);
    assert_eq!(r.items[1].unique_batch_item_id.as_deref(), Some(&b"b"[..]));
}

#[test]
fn major_zero_is_refused_in_1_0() {
    let e = decode(&request(0, 9, 0, vec![])).unwrap_err();
    assert_eq!(e.protocol_version, Some(ProtocolVersion::V1_0));
    assert_eq!(e.error.reason, ResultReason::InvalidMessage);
}

#[test]
fn newer_minor_versions_are_processed_as_the_highest_supported() {
    let m = decode(&request(1, 7, 1, vec![item(0x12, b"x", vec![uid("1")])])).unwrap();
    assert_eq!(m.header.protocol_version, ProtocolVersion::V1_4);
    let m = decode(&request(2, 3, 1, vec![item(0x12, b"x", vec![uid("1")])])).unwrap();
    assert_eq!(m.header.protocol_version, ProtocolVersion::V2_1);
    for v in SUPPORTED_VERSIONS {
        assert_eq!(v.negotiate(), Ok(*v));
    }
}

#[test]
fn batch_over_the_limit() {
    let items: Vec<Ttlv> = (0..3)
        .map(|i| item(Operation::Activate.value(), &[i], vec![uid("1")]))
        .collect();
    let limits = Limits {
        max_batch: 2,
        ..Limits::default()
    };
    let e = RequestMessage::decode(&request(1, 4, 3, items), &limits).unwrap_err();
    assert_eq!(e.error.reason, ResultReason::InvalidMessage);
    assert!(e.error.message.contains("limit"), "{}", e.error.message);
}

#[test]
fn batch_count_must_match() {
    let e = decode(&request(
        1,
        4,
        2,
        vec![item(Operation::Activate.value(), b"1", vec![])],
    ))
    .unwrap_err();
    assert!(
        e.error.message.contains("Batch Count"),
        "{}",
        e.error.message
    );
    assert_eq!(e.batch_items.len(), 1);
}

#[test]
fn unknown_and_unsupported_operations_fail_only_their_item() {
    let m = decode(&request(
        2,
        1,
        3,
        vec![
            item(0x7777, b"1", vec![]),
            item(Operation::Certify.value(), b"2", vec![]),
            item(Operation::Activate.value(), b"3", vec![uid("k")]),
        ],
    ))
    .unwrap();
    assert_eq!(m.items[0].operation, Err(0x7777));
    assert_eq!(
        m.items[0].payload.as_ref().unwrap_err().reason,
        ResultReason::OperationNotSupported
    );
    assert_eq!(m.items[1].operation, Ok(Operation::Certify));
    assert_eq!(
        m.items[1].payload.as_ref().unwrap_err().reason,
        ResultReason::OperationNotSupported
    );
    assert_eq!(
        m.items[2].payload,
        Ok(RequestPayload::Activate {
            unique_identifier: Some("k".into())
        })
    );
}

#[test]
fn missing_required_field_names_it_with_the_version_reason() {
    let create = |major| {
        decode(&request(
            major,
            if major == 2 { 1 } else { 4 },
            1,
            vec![item(Operation::Create.value(), b"1", vec![])],
        ))
        .unwrap()
    };
    let e21 = create(2).items[0].payload.clone().unwrap_err();
    assert_eq!(e21.reason, ResultReason::MissingData);
    assert!(e21.message.contains("ObjectType"), "{}", e21.message);
    let e14 = create(1).items[0].payload.clone().unwrap_err();
    assert_eq!(e14.reason, ResultReason::InvalidMessage);
    assert!(e14.message.contains("ObjectType"), "{}", e14.message);
}

#[test]
fn an_enumeration_value_newer_than_the_message_is_an_invalid_field_naming_both() {
    // PKCS#12 became a Key Format Type in 1.4: a 1.2 Get cannot ask for it.
    let get = |minor| {
        decode(&request(
            1,
            minor,
            1,
            vec![item(
                Operation::Get.value(),
                b"1",
                vec![
                    uid("k"),
                    Ttlv::new(
                        tags::KEY_FORMAT_TYPE,
                        Value::Enumeration(KeyFormatType::Pkcs12.value()),
                    ),
                ],
            )],
        ))
        .unwrap()
    };
    let e = get(2).items[0].payload.clone().unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    assert!(
        e.message.contains("PKCS_12")
            && e.message.contains("KMIP 1.2")
            && e.message.contains("1.4"),
        "{}",
        e.message
    );
    assert!(get(4).items[0].payload.is_ok());
}

#[test]
fn wrong_type_is_an_invalid_message_naming_it() {
    let m = decode(&request(
        2,
        1,
        1,
        vec![item(
            Operation::Create.value(),
            b"1",
            vec![Ttlv::new(tags::OBJECT_TYPE, Value::Integer(2))],
        )],
    ))
    .unwrap();
    let e = m.items[0].payload.clone().unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidMessage);
    assert!(e.message.contains("ObjectType"), "{}", e.message);
}

#[test]
fn unknown_standard_and_extension_tags_fail_the_item() {
    let with = |tag: u32| {
        decode(&request(
            1,
            4,
            1,
            vec![item(
                Operation::Query.value(),
                b"1",
                vec![
                    Ttlv::new(tags::QUERY_FUNCTION, Value::Enumeration(1)),
                    Ttlv::new(Tag(tag), Value::Integer(7)),
                ],
            )],
        ))
        .unwrap()
    };
    let e = with(0x42EEEE).items[0].payload.clone().unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    assert!(e.message.contains("0x42eeee"), "{}", e.message);
    // An extension tag is a field the payload does not define either (1.x §11.1).
    let e = with(0x540001).items[0].payload.clone().unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    assert!(e.message.contains("0x540001"), "{}", e.message);
}

#[test]
fn attribute_references_must_name_a_vendor_or_a_standard_attribute() {
    let reference = |vendor: Option<&str>, name: &str| {
        let mut children = Vec::new();
        if let Some(v) = vendor {
            children.push(Ttlv::new(
                tags::VENDOR_IDENTIFICATION,
                Value::TextString(v.into()),
            ));
        }
        children.push(Ttlv::new(
            tags::ATTRIBUTE_NAME,
            Value::TextString(name.into()),
        ));
        let m = decode(&request(
            2,
            1,
            1,
            vec![item(
                Operation::GetAttributes.value(),
                b"1",
                vec![
                    Ttlv::new(tags::UNIQUE_IDENTIFIER, Value::TextString("u".into())),
                    Ttlv::structure(tags::ATTRIBUTE_REFERENCE, children),
                ],
            )],
        ))
        .unwrap();
        m.items[0].payload.clone()
    };
    // Each of these once decoded to a name that re-encoded as another one.
    for (vendor, name) in [(Some(""), "a"), (None, "a")] {
        let e = reference(vendor, name).unwrap_err();
        assert_eq!(e.reason, ResultReason::InvalidField, "{vendor:?} {name}");
    }
    assert!(reference(Some("x"), "a").is_ok());
    assert!(reference(None, "State").is_ok());
}

#[test]
fn unknown_enumeration_value_is_an_invalid_field() {
    let m = decode(&request(
        2,
        1,
        1,
        vec![item(
            Operation::Create.value(),
            b"1",
            vec![Ttlv::new(tags::OBJECT_TYPE, Value::Enumeration(0x99))],
        )],
    ))
    .unwrap();
    let e = m.items[0].payload.clone().unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    assert!(e.message.contains("0x00000099"), "{}", e.message);
}

#[test]
fn template_names_are_refused_clearly() {
    let ta = Ttlv::structure(
        tags::TEMPLATE_ATTRIBUTE,
        vec![Ttlv::structure(
            tags::NAME,
            vec![
                Ttlv::new(tags::NAME_VALUE, Value::TextString("tpl".into())),
                Ttlv::new(tags::NAME_TYPE, Value::Enumeration(1)),
            ],
        )],
    );
    let m = decode(&request(
        1,
        2,
        1,
        vec![item(
            Operation::Create.value(),
            b"1",
            vec![
                Ttlv::new(
                    tags::OBJECT_TYPE,
                    Value::Enumeration(ObjectType::SymmetricKey.value()),
                ),
                ta,
            ],
        )],
    ))
    .unwrap();
    let e = m.items[0].payload.clone().unwrap_err();
    assert!(e.message.contains("template"), "{}", e.message);
}

#[test]
fn streaming_crypto_is_refused() {
    let m = decode(&request(
        1,
        4,
        1,
        vec![item(
            Operation::Encrypt.value(),
            b"1",
            vec![
                uid("k"),
                Ttlv::new(tags::DATA, Value::ByteString(Zeroizing::new(vec![1]))),
                Ttlv::new(tags::INIT_INDICATOR, Value::Boolean(true)),
            ],
        )],
    ))
    .unwrap();
    let e = m.items[0].payload.clone().unwrap_err();
    assert_eq!(e.reason, ResultReason::FeatureNotSupported);
}

#[test]
fn result_reasons_are_mapped_to_the_response_version() {
    for v in SUPPORTED_VERSIONS {
        for r in ResultReason::ALL {
            let m = result_reason_for_version(*r, *v);
            assert!(
                r.exists_in(v.major, v.minor) == (m == *r),
                "{r:?} in {v} became {m:?}"
            );
            assert!(m.exists_in(v.major, v.minor), "{r:?} → {m:?} not in {v}");
        }
    }
    assert_eq!(
        result_reason_for_version(ResultReason::ObjectNotFound, ProtocolVersion::V1_4),
        ResultReason::ItemNotFound
    );
    assert_eq!(
        result_reason_for_version(ResultReason::Sensitive, ProtocolVersion::V1_2),
        ResultReason::PermissionDenied
    );
    // On the wire.
    let resp = |v| ResponseMessage {
        header: ResponseHeader {
            protocol_version: v,
            time_stamp: 1,
            client_correlation_value: None,
            server_correlation_value: None,
        },
        items: vec![ResponseBatchItem::failure(
            Some(Operation::Get),
            None,
            KmipError::new(ResultReason::ObjectNotFound, "no such object"),
        )],
    };
    let back =
        ResponseMessage::decode(&resp(ProtocolVersion::V1_4).encode(), &Limits::default()).unwrap();
    assert_eq!(
        back.items[0].result_reason,
        Some(ResultReason::ItemNotFound)
    );
    let back =
        ResponseMessage::decode(&resp(ProtocolVersion::V2_1).encode(), &Limits::default()).unwrap();
    assert_eq!(
        back.items[0].result_reason,
        Some(ResultReason::ObjectNotFound)
    );
}

#[test]
fn truncated_and_mutated_messages_never_panic() {
    let good = RequestMessage::new(
        ProtocolVersion::V2_1,
        vec![
            RequestPayload::Activate {
                unique_identifier: Some("abc".into()),
            },
            RequestPayload::RngRetrieve { length: 16 },
        ],
    )
    .encode();
    for cut in 0..good.len() {
        let _ = decode(&good[..cut]);
    }
    // Flip every byte once; bounded by the message length.
    for i in 0..good.len() {
        let mut b = good.clone();
        b[i] ^= 0xff;
        let _ = decode(&b);
    }
}

mod mutation {
    use super::*;
    use proptest::prelude::*;

    /// A valid request at `v` exercising several payload shapes (Encrypt from 1.2, where the
    /// operation appears).
    fn seed(v: ProtocolVersion) -> Ttlv {
        let mut attrs = keywarden_kmip::attributes::Attributes::new();
        attrs.push(keywarden_kmip::attributes::Attribute::enumeration(
            "Cryptographic Algorithm",
            keywarden_kmip::enums::CryptographicAlgorithm::Aes,
        ));
        attrs.push(keywarden_kmip::attributes::Attribute::name_value(
            "n",
            keywarden_kmip::enums::NameType::UninterpretedTextString,
        ));
        let mut payloads = vec![
            RequestPayload::Create {
                object_type: ObjectType::SymmetricKey,
                attributes: attrs.clone(),
            },
            RequestPayload::Locate {
                maximum_items: Some(2),
                offset_items: None,
                storage_status_mask: None,
                object_group_member: None,
                attributes: attrs,
            },
            RequestPayload::GetAttributes {
                unique_identifier: Some("u".into()),
                names: vec!["State".into(), "x-a".into()],
            },
        ];
        if Operation::Encrypt.exists_in(v.major, v.minor) {
            payloads.push(RequestPayload::Encrypt {
                unique_identifier: None,
                parameters: Some(Default::default()),
                data: Zeroizing::new(vec![1, 2, 3]),
                iv_counter_nonce: Some(vec![0; 12]),
                aad: None,
            });
        }
        RequestMessage::new(v, payloads).to_ttlv()
    }

    /// Any supported version, 1.0 to 2.1.
    fn any_version() -> impl Strategy<Value = ProtocolVersion> {
        prop::sample::select(SUPPORTED_VERSIONS.to_vec())
    }

    fn count(t: &Ttlv) -> usize {
        1 + t.children().iter().map(count).sum::<usize>()
    }

    /// Replaces the value of the `n`-th item (pre-order) with `v`.
    fn replace(t: &mut Ttlv, n: &mut usize, v: &Value) -> bool {
        if *n == 0 {
            t.value = v.clone();
            return true;
        }
        *n -= 1;
        if let Value::Structure(items) = &mut t.value {
            for c in items {
                if replace(c, n, v) {
                    return true;
                }
            }
        }
        false
    }

    /// Sets the tag of the `n`-th item (pre-order) to `tag`.
    fn retag(t: &mut Ttlv, n: &mut usize, tag: Tag) -> bool {
        if *n == 0 {
            t.tag = tag;
            return true;
        }
        *n -= 1;
        if let Value::Structure(items) = &mut t.value {
            for c in items {
                if retag(c, n, tag) {
                    return true;
                }
            }
        }
        false
    }

    /// Tags a mutated item takes: extension, undefined, and defined ones that belong elsewhere.
    fn any_tag() -> impl Strategy<Value = Tag> {
        prop_oneof![
            (0u32..0x1_0000).prop_map(|low| Tag(0x54_0000 | low)),
            (0u32..0x1_0000).prop_map(|low| Tag(0x42_0000 | low)),
            prop::sample::select(vec![
                tags::OBJECT_TYPE,
                tags::ATTRIBUTE,
                tags::ATTRIBUTES,
                tags::TEMPLATE_ATTRIBUTE,
                tags::UNIQUE_IDENTIFIER,
                tags::ATTRIBUTE_NAME,
                tags::ATTRIBUTE_REFERENCE,
                tags::DATA,
                tags::MAXIMUM_ITEMS,
            ]),
        ]
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Structure(vec![])),
            any::<i32>().prop_map(Value::Integer),
            any::<u32>().prop_map(Value::Enumeration),
            any::<bool>().prop_map(Value::Boolean),
            "[a-z]{0,4}".prop_map(Value::TextString),
            proptest::collection::vec(any::<u8>(), 0..9)
                .prop_map(|b| Value::ByteString(Zeroizing::new(b))),
            any::<i64>().prop_map(Value::DateTime),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Any single-item corruption decodes without panicking, and whatever decodes
        /// re-encodes to a message that decodes to the same items.
        #[test]
        fn corrupted_requests_decode_stably(
            ver in any_version(),
            pick in any::<prop::sample::Index>(),
            value in any_value(),
        ) {
            let mut t = seed(ver);
            let mut n = pick.index(count(&t));
            replace(&mut t, &mut n, &value);
            if let Ok(m) = RequestMessage::from_ttlv(&t, &Limits::default()) {
                let again = RequestMessage::from_ttlv(&m.to_ttlv(), &Limits::default())
                    .expect("a decoded message re-encodes to a decodable one");
                prop_assert_eq!(&again.header, &m.header);
                for (a, b) in m.items.iter().zip(&again.items) {
                    prop_assert_eq!(&a.operation, &b.operation);
                    prop_assert_eq!(&a.unique_batch_item_id, &b.unique_batch_item_id);
                    if a.payload.is_ok() {
                        prop_assert_eq!(&a.payload, &b.payload);
                    }
                }
            }
        }

        /// Any item retagged decodes without panicking, and whatever decodes re-encodes to a
        /// message that decodes to the same items.
        #[test]
        fn retagged_requests_decode_stably(
            ver in any_version(),
            pick in any::<prop::sample::Index>(),
            tag in any_tag(),
        ) {
            let mut t = seed(ver);
            let mut n = pick.index(count(&t));
            retag(&mut t, &mut n, tag);
            if let Ok(m) = RequestMessage::from_ttlv(&t, &Limits::default()) {
                let again = RequestMessage::from_ttlv(&m.to_ttlv(), &Limits::default())
                    .expect("a decoded message re-encodes to a decodable one");
                for (a, b) in m.items.iter().zip(&again.items) {
                    if a.payload.is_ok() {
                        prop_assert_eq!(&a.payload, &b.payload);
                    }
                }
            }
        }

        /// A child of a payload retagged to an extension tag always fails that item, and only
        /// that item.
        #[test]
        fn an_extension_tag_in_a_payload_fails_its_item(
            ver in any_version(),
            item in any::<prop::sample::Index>(),
            child in any::<prop::sample::Index>(),
            low in 0u32..0x1_0000,
        ) {
            let mut t = seed(ver);
            let Value::Structure(top) = &mut t.value else { unreachable!() };
            let items: Vec<&mut Ttlv> = top.iter_mut().filter(|i| i.tag == tags::BATCH_ITEM).collect();
            let n = items.len();
            let hit = item.index(n);
            let Some(batch_item) = items.into_iter().nth(hit) else { unreachable!() };
            let Value::Structure(fields) = &mut batch_item.value else { unreachable!() };
            let Some(payload) = fields.iter_mut().find(|f| f.tag == tags::REQUEST_PAYLOAD) else {
                unreachable!()
            };
            let Value::Structure(children) = &mut payload.value else { unreachable!() };
            let c = child.index(children.len());
            children[c].tag = Tag(0x54_0000 | low);
            let m = RequestMessage::from_ttlv(&t, &Limits::default()).expect("message decodes");
            for (i, it) in m.items.iter().enumerate() {
                if i == hit {
                    let e = it.payload.as_ref().expect_err("extension tag refused");
                    let want = if ver.major >= 2 {
                        ResultReason::UnknownTag
                    } else {
                        ResultReason::InvalidField
                    };
                    prop_assert_eq!(e.reason, want);
                } else {
                    prop_assert!(it.payload.is_ok(), "item {} failed: {:?}", i, it.payload);
                }
            }
        }
    }
}
