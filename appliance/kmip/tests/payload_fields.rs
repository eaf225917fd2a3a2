//! Every operation's Request Payload accepts exactly its fields at the request's version.
//!
//! For each operation with a typed payload and each protocol version that has the operation
//! (1.0 to 1.4, 2.0 and 2.1), written as raw TTLV from the spec's Request Payload tables:
//! - the payload decodes;
//! - the same payload with an extension tag (0x540001) is refused: Invalid Field in 1.x (§11.1
//!   "unknown field"), Unknown Tag in 2.x ("a tag is not known by the server");
//! - the same payload with a tag KMIP defines but this payload does not have (Object Type in
//!   Get, Attributes in a 1.x Locate, Template-Attribute in a 2.x Create, ...) is refused:
//!   Invalid Field in 1.x, Invalid Message in 2.x ("the invalid use of a known tag");
//! - a single-valued field sent twice is refused with Invalid Message (1.x §11.1 "the same field
//!   is contained in a ... payload more than once").
//!
//! Each refusal names the operation, the tag (name and number) and the version.
//!
//! The same three refusals hold one level down and further, for every structure decoded from
//! a payload (Cryptographic Parameters, Key Wrapping Specification, key blocks and material,
//! Register's objects, Template-Attribute, Attribute, structured attribute values, ...): see
//! `every_nested_structure_accepts_its_fields_and_refuses_any_other_child`.

use keywarden_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, KeyFormatType, KeyWrapType, ObjectType, Operation,
    QueryFunction, ResultReason, RevocationReasonCode,
};
use keywarden_kmip::message::{ProtocolVersion, RequestMessage};
use keywarden_kmip::payload::{RequestPayload, SUPPORTED_OPERATIONS};
use keywarden_kmip::tags;
use keywarden_kmip::ttlv::{self, Limits, Tag, Ttlv, Value};
use zeroize::Zeroizing;

const VERSIONS: [ProtocolVersion; 7] = [
    ProtocolVersion::V1_0,
    ProtocolVersion::V1_1,
    ProtocolVersion::V1_2,
    ProtocolVersion::V1_3,
    ProtocolVersion::V1_4,
    ProtocolVersion::V2_0,
    ProtocolVersion::V2_1,
];

const EXTENSION: Tag = Tag(0x540001);

// ---- TTLV builders ---------------------------------------------------------------------------

fn text(tag: Tag, s: &str) -> Ttlv {
    Ttlv::new(tag, Value::TextString(s.into()))
}

fn int(tag: Tag, v: i32) -> Ttlv {
    Ttlv::new(tag, Value::Integer(v))
}

fn enumeration(tag: Tag, v: u32) -> Ttlv {
    Ttlv::new(tag, Value::Enumeration(v))
}

fn bytes(tag: Tag, b: &[u8]) -> Ttlv {
    Ttlv::new(tag, Value::ByteString(Zeroizing::new(b.to_vec())))
}

fn structure(tag: Tag, items: Vec<Ttlv>) -> Ttlv {
    Ttlv::structure(tag, items)
}

fn uid() -> Ttlv {
    text(tags::UNIQUE_IDENTIFIER, "key-1")
}

/// A 1.x Attribute {Attribute Name, Attribute Value}.
fn attribute_1x(name: &str, value: Ttlv) -> Ttlv {
    structure(
        tags::ATTRIBUTE,
        vec![
            text(tags::ATTRIBUTE_NAME, name),
            Ttlv::new(tags::ATTRIBUTE_VALUE, value.value),
        ],
    )
}

fn algorithm() -> Ttlv {
    enumeration(
        tags::CRYPTOGRAPHIC_ALGORITHM,
        CryptographicAlgorithm::Aes.value(),
    )
}

fn length() -> Ttlv {
    int(tags::CRYPTOGRAPHIC_LENGTH, 128)
}

fn usage() -> Ttlv {
    int(tags::CRYPTOGRAPHIC_USAGE_MASK, 12)
}

/// The attributes of a new AES key in the form of `v2` (Template-Attribute family with
/// `tag_1x`, or Attributes family with `tag_2x`).
fn key_attributes(v2: bool, tag_1x: Tag, tag_2x: Tag) -> Ttlv {
    if v2 {
        structure(tag_2x, vec![algorithm(), length(), usage()])
    } else {
        structure(
            tag_1x,
            vec![
                attribute_1x("Cryptographic Algorithm", algorithm()),
                attribute_1x("Cryptographic Length", length()),
                attribute_1x("Cryptographic Usage Mask", usage()),
            ],
        )
    }
}

fn template_attribute(v2: bool) -> Ttlv {
    key_attributes(v2, tags::TEMPLATE_ATTRIBUTE, tags::ATTRIBUTES)
}

fn symmetric_key() -> Ttlv {
    structure(
        tags::SYMMETRIC_KEY,
        vec![structure(
            tags::KEY_BLOCK,
            vec![
                enumeration(tags::KEY_FORMAT_TYPE, KeyFormatType::Raw.value()),
                structure(tags::KEY_VALUE, vec![bytes(tags::KEY_MATERIAL, &[7; 16])]),
                algorithm(),
                length(),
            ],
        )],
    )
}

fn parameters() -> Ttlv {
    structure(
        tags::CRYPTOGRAPHIC_PARAMETERS,
        vec![enumeration(
            tags::BLOCK_CIPHER_MODE,
            BlockCipherMode::Cbc.value(),
        )],
    )
}

fn contact(value: &str) -> Ttlv {
    text(tags::CONTACT_INFORMATION, value)
}

fn protocol_version(major: i32, minor: i32) -> Ttlv {
    structure(
        tags::PROTOCOL_VERSION,
        vec![
            int(tags::PROTOCOL_VERSION_MAJOR, major),
            int(tags::PROTOCOL_VERSION_MINOR, minor),
        ],
    )
}

/// A request message of one batch item per payload, encoded to binary TTLV.
fn request(ver: ProtocolVersion, items: &[(Operation, Vec<Ttlv>)]) -> Vec<u8> {
    let mut children = vec![structure(
        tags::REQUEST_HEADER,
        vec![
            protocol_version(ver.major, ver.minor),
            int(tags::BATCH_COUNT, items.len() as i32),
        ],
    )];
    for (n, (op, payload)) in items.iter().enumerate() {
        children.push(structure(
            tags::BATCH_ITEM,
            vec![
                enumeration(tags::OPERATION, op.value()),
                bytes(tags::UNIQUE_BATCH_ITEM_ID, &[n as u8]),
                structure(tags::REQUEST_PAYLOAD, payload.clone()),
            ],
        ));
    }
    ttlv::encode(&structure(tags::REQUEST_MESSAGE, children))
}

/// Decodes a one-item request and returns that item's payload.
fn decode_one(
    ver: ProtocolVersion,
    op: Operation,
    payload: Vec<Ttlv>,
) -> Result<RequestPayload, keywarden_kmip::KmipError> {
    let m = RequestMessage::decode(&request(ver, &[(op, payload)]), &Limits::default())
        .expect("the message as a whole decodes");
    assert_eq!(m.header.protocol_version, ver);
    m.items.into_iter().next().expect("one item").payload
}

// ---- the table -------------------------------------------------------------------------------

/// One operation's payload at one version.
struct Case {
    /// A payload the spec allows.
    valid: Vec<Ttlv>,
    /// A tag KMIP defines that this payload does not have at the version.
    misplaced: Ttlv,
    /// A single-valued field of `valid`, to send twice.
    single: Option<Tag>,
}

fn case(op: Operation, ver: ProtocolVersion) -> Case {
    let v2 = ver.uses_attributes_form();
    let at_least = |major, minor| ver >= ProtocolVersion::new(major, minor);
    let object_type = || enumeration(tags::OBJECT_TYPE, ObjectType::SymmetricKey.value());
    let wrong_form = |tag_1x, tag_2x| key_attributes(!v2, tag_1x, tag_2x);
    match op {
        Operation::Create => {
            let mut valid = vec![object_type(), template_attribute(v2)];
            if v2 {
                // libkmip sends Protection Storage Masks at 2.0.
                valid.push(structure(
                    tags::PROTECTION_STORAGE_MASKS,
                    vec![int(tags::PROTECTION_STORAGE_MASK, 1)],
                ));
            }
            Case {
                valid,
                misplaced: template_attribute(!v2),
                single: Some(tags::OBJECT_TYPE),
            }
        }
        Operation::CreateKeyPair => {
            let (common, private, public) = (
                (tags::COMMON_TEMPLATE_ATTRIBUTE, tags::COMMON_ATTRIBUTES),
                (
                    tags::PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
                    tags::PRIVATE_KEY_ATTRIBUTES,
                ),
                (
                    tags::PUBLIC_KEY_TEMPLATE_ATTRIBUTE,
                    tags::PUBLIC_KEY_ATTRIBUTES,
                ),
            );
            Case {
                valid: vec![
                    key_attributes(v2, common.0, common.1),
                    key_attributes(v2, private.0, private.1),
                    key_attributes(v2, public.0, public.1),
                ],
                misplaced: wrong_form(common.0, common.1),
                single: Some(if v2 { common.1 } else { common.0 }),
            }
        }
        Operation::Register => Case {
            valid: vec![object_type(), template_attribute(v2), symmetric_key()],
            misplaced: template_attribute(!v2),
            single: Some(tags::SYMMETRIC_KEY),
        },
        Operation::ReKey => Case {
            valid: vec![
                uid(),
                Ttlv::new(tags::OFFSET, Value::Interval(0)),
                template_attribute(v2),
            ],
            misplaced: template_attribute(!v2),
            single: Some(tags::OFFSET),
        },
        Operation::Locate => {
            let mut valid = vec![
                int(tags::MAXIMUM_ITEMS, 10),
                int(tags::STORAGE_STATUS_MASK, 1),
            ];
            if at_least(1, 1) {
                valid.push(enumeration(tags::OBJECT_GROUP_MEMBER, 1));
            }
            if at_least(1, 3) {
                valid.push(int(tags::OFFSET_ITEMS, 0));
            }
            if v2 {
                valid.push(structure(
                    tags::ATTRIBUTES,
                    vec![object_type(), algorithm()],
                ));
            } else {
                // 1.x: the attributes to match are repeated Attribute items of the payload.
                valid.push(attribute_1x("Object Type", object_type()));
                valid.push(attribute_1x("Cryptographic Algorithm", algorithm()));
            }
            Case {
                valid,
                misplaced: if v2 {
                    // What libkmip sends: an attribute directly in the payload.
                    object_type()
                } else {
                    structure(tags::ATTRIBUTES, vec![object_type()])
                },
                single: Some(tags::MAXIMUM_ITEMS),
            }
        }
        Operation::Get => {
            let mut valid = vec![
                uid(),
                enumeration(tags::KEY_FORMAT_TYPE, KeyFormatType::Raw.value()),
            ];
            if at_least(1, 4) {
                // libkmip sends Key Wrap Type from 1.4 on.
                valid.push(enumeration(
                    tags::KEY_WRAP_TYPE,
                    KeyWrapType::NotWrapped.value(),
                ));
            }
            Case {
                valid,
                misplaced: object_type(),
                single: Some(tags::UNIQUE_IDENTIFIER),
            }
        }
        Operation::GetAttributes => {
            let valid = if v2 {
                vec![
                    uid(),
                    enumeration(tags::ATTRIBUTE_REFERENCE, tags::STATE.0),
                    enumeration(tags::ATTRIBUTE_REFERENCE, tags::NAME.0),
                ]
            } else {
                vec![
                    uid(),
                    text(tags::ATTRIBUTE_NAME, "State"),
                    text(tags::ATTRIBUTE_NAME, "Name"),
                ]
            };
            Case {
                valid,
                misplaced: if v2 {
                    text(tags::ATTRIBUTE_NAME, "State")
                } else {
                    enumeration(tags::ATTRIBUTE_REFERENCE, tags::STATE.0)
                },
                single: Some(tags::UNIQUE_IDENTIFIER),
            }
        }
        Operation::GetAttributeList => Case {
            valid: vec![uid()],
            misplaced: text(tags::ATTRIBUTE_NAME, "State"),
            single: Some(tags::UNIQUE_IDENTIFIER),
        },
        Operation::AddAttribute | Operation::SetAttribute => Case {
            valid: if v2 {
                vec![uid(), structure(tags::NEW_ATTRIBUTE, vec![contact("a")])]
            } else {
                vec![uid(), attribute_1x("Contact Information", contact("a"))]
            },
            misplaced: if v2 {
                attribute_1x("Contact Information", contact("a"))
            } else {
                structure(tags::NEW_ATTRIBUTE, vec![contact("a")])
            },
            single: Some(tags::UNIQUE_IDENTIFIER),
        },
        Operation::ModifyAttribute => Case {
            valid: if v2 {
                vec![
                    uid(),
                    structure(tags::CURRENT_ATTRIBUTE, vec![contact("a")]),
                    structure(tags::NEW_ATTRIBUTE, vec![contact("b")]),
                ]
            } else {
                vec![uid(), attribute_1x("Contact Information", contact("b"))]
            },
            misplaced: if v2 {
                attribute_1x("Contact Information", contact("b"))
            } else {
                structure(tags::CURRENT_ATTRIBUTE, vec![contact("a")])
            },
            single: Some(if v2 {
                tags::NEW_ATTRIBUTE
            } else {
                tags::ATTRIBUTE
            }),
        },
        Operation::DeleteAttribute => Case {
            valid: if v2 {
                vec![
                    uid(),
                    enumeration(tags::ATTRIBUTE_REFERENCE, tags::CONTACT_INFORMATION.0),
                ]
            } else {
                vec![
                    uid(),
                    text(tags::ATTRIBUTE_NAME, "Contact Information"),
                    int(tags::ATTRIBUTE_INDEX, 0),
                ]
            },
            misplaced: if v2 {
                int(tags::ATTRIBUTE_INDEX, 0)
            } else {
                enumeration(tags::ATTRIBUTE_REFERENCE, tags::CONTACT_INFORMATION.0)
            },
            single: Some(if v2 {
                tags::ATTRIBUTE_REFERENCE
            } else {
                tags::ATTRIBUTE_NAME
            }),
        },
        Operation::Activate => Case {
            valid: vec![uid()],
            misplaced: structure(
                tags::REVOCATION_REASON,
                vec![enumeration(tags::REVOCATION_REASON_CODE, 1)],
            ),
            single: Some(tags::UNIQUE_IDENTIFIER),
        },
        Operation::Revoke => Case {
            valid: vec![
                uid(),
                structure(
                    tags::REVOCATION_REASON,
                    vec![enumeration(
                        tags::REVOCATION_REASON_CODE,
                        RevocationReasonCode::KeyCompromise.value(),
                    )],
                ),
                Ttlv::new(tags::COMPROMISE_OCCURRENCE_DATE, Value::DateTime(1_000)),
            ],
            // Revocation Message belongs inside Revocation Reason.
            misplaced: text(tags::REVOCATION_MESSAGE, "lost"),
            single: Some(tags::REVOCATION_REASON),
        },
        Operation::Destroy => Case {
            valid: vec![uid()],
            misplaced: object_type(),
            single: Some(tags::UNIQUE_IDENTIFIER),
        },
        Operation::Query => {
            let mut valid = vec![
                enumeration(tags::QUERY_FUNCTION, QueryFunction::QueryOperations.value()),
                enumeration(tags::QUERY_FUNCTION, QueryFunction::QueryObjects.value()),
            ];
            let single = at_least(2, 1).then_some(tags::OBJECT_GROUPS);
            if single.is_some() {
                valid.push(structure(
                    tags::OBJECT_GROUPS,
                    vec![text(tags::OBJECT_GROUP, "g")],
                ));
            }
            Case {
                valid,
                misplaced: protocol_version(1, 4),
                single,
            }
        }
        Operation::DiscoverVersions => Case {
            valid: vec![protocol_version(2, 1), protocol_version(1, 4)],
            misplaced: int(tags::PROTOCOL_VERSION_MAJOR, 2),
            single: None,
        },
        Operation::Encrypt => {
            let mut valid = vec![
                uid(),
                parameters(),
                bytes(tags::DATA, b"plain"),
                bytes(tags::IV_COUNTER_NONCE, &[0; 16]),
            ];
            if at_least(1, 4) {
                valid.push(bytes(tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, b"a"));
            }
            Case {
                valid,
                misplaced: bytes(tags::SIGNATURE_DATA, b"s"),
                single: Some(tags::DATA),
            }
        }
        Operation::Decrypt => {
            let mut valid = vec![
                uid(),
                parameters(),
                bytes(tags::DATA, b"cipher"),
                bytes(tags::IV_COUNTER_NONCE, &[0; 16]),
            ];
            if at_least(1, 4) {
                valid.push(bytes(tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, b"a"));
                valid.push(bytes(tags::AUTHENTICATED_ENCRYPTION_TAG, &[1; 16]));
            }
            Case {
                valid,
                misplaced: bytes(tags::MAC_DATA, b"m"),
                single: Some(tags::IV_COUNTER_NONCE),
            }
        }
        Operation::Sign => Case {
            valid: vec![uid(), parameters(), bytes(tags::DATA, b"msg")],
            misplaced: bytes(tags::IV_COUNTER_NONCE, &[0; 16]),
            single: Some(tags::CRYPTOGRAPHIC_PARAMETERS),
        },
        Operation::SignatureVerify => Case {
            valid: vec![
                uid(),
                parameters(),
                bytes(tags::DATA, b"msg"),
                bytes(tags::SIGNATURE_DATA, b"sig"),
            ],
            misplaced: bytes(tags::MAC_DATA, b"m"),
            single: Some(tags::SIGNATURE_DATA),
        },
        Operation::Mac => Case {
            valid: vec![uid(), parameters(), bytes(tags::DATA, b"msg")],
            misplaced: bytes(tags::SIGNATURE_DATA, b"s"),
            single: Some(tags::DATA),
        },
        Operation::MacVerify => Case {
            valid: vec![
                uid(),
                parameters(),
                bytes(tags::DATA, b"msg"),
                bytes(tags::MAC_DATA, b"mac"),
            ],
            misplaced: bytes(tags::SIGNATURE_DATA, b"s"),
            single: Some(tags::MAC_DATA),
        },
        Operation::RngRetrieve => Case {
            valid: vec![int(tags::DATA_LENGTH, 32)],
            misplaced: bytes(tags::DATA, b"seed"),
            single: Some(tags::DATA_LENGTH),
        },
        other => panic!("no case for {other}: add one when the decoder learns it"),
    }
}

/// The spec name of `tag` as the error messages spell it.
fn name(tag: Tag) -> &'static str {
    tags::name(tag).expect("a defined tag")
}

fn assert_names(e: &keywarden_kmip::KmipError, op: Operation, ver: ProtocolVersion, tag: &str) {
    for part in [op.to_string(), format!("KMIP {ver}"), tag.to_string()] {
        assert!(
            e.message.contains(&part),
            "{op} at {ver}: {part:?} not in {e}"
        );
    }
}

#[test]
fn every_payload_accepts_its_fields_and_refuses_any_other_child() {
    let mut covered: Vec<(Operation, ProtocolVersion)> = Vec::new();
    for ver in VERSIONS {
        let v2 = ver.uses_attributes_form();
        for &op in SUPPORTED_OPERATIONS {
            if !op.exists_in(ver.major, ver.minor) {
                continue;
            }
            covered.push((op, ver));
            let c = case(op, ver);

            let p = decode_one(ver, op, c.valid.clone())
                .unwrap_or_else(|e| panic!("valid {op} at {ver} refused: {e}"));
            assert_eq!(p.operation(), op);

            // An extension tag, first or last.
            for at in [0, c.valid.len()] {
                let mut payload = c.valid.clone();
                payload.insert(at, text(EXTENSION, "vendor"));
                let e = decode_one(ver, op, payload)
                    .expect_err(&format!("{op} at {ver} with 0x540001 at {at} decoded"));
                let want = if v2 {
                    ResultReason::UnknownTag
                } else {
                    ResultReason::InvalidField
                };
                assert_eq!(e.reason, want, "{op} at {ver}: {e}");
                assert_names(&e, op, ver, "0x540001");
            }

            // A defined tag that belongs elsewhere.
            let mut payload = c.valid.clone();
            let misplaced = c.misplaced.tag;
            payload.push(c.misplaced);
            let e = decode_one(ver, op, payload)
                .expect_err(&format!("{op} at {ver} with {} decoded", name(misplaced)));
            let want = if v2 {
                ResultReason::InvalidMessage
            } else {
                ResultReason::InvalidField
            };
            assert_eq!(e.reason, want, "{op} at {ver}: {e}");
            assert_names(&e, op, ver, name(misplaced));
            assert!(e.message.contains(&format!("0x{:06x}", misplaced.0)), "{e}");

            // A single-valued field twice.
            if let Some(single) = c.single {
                let mut payload = c.valid.clone();
                let again = payload
                    .iter()
                    .find(|i| i.tag == single)
                    .cloned()
                    .unwrap_or_else(|| panic!("{op} at {ver}: {} not in the case", name(single)));
                payload.push(again);
                let e = decode_one(ver, op, payload).expect_err(&format!(
                    "{op} at {ver} with {} twice decoded",
                    name(single)
                ));
                assert_eq!(e.reason, ResultReason::InvalidMessage, "{op} at {ver}: {e}");
                assert_names(&e, op, ver, name(single));
                assert!(e.message.contains("more than once"), "{e}");
            }
        }
    }
    // Every operation at 2.0 and 2.1; every operation 1.x has at 1.4 and at an earlier minor.
    for &op in SUPPORTED_OPERATIONS {
        for ver in [ProtocolVersion::V2_0, ProtocolVersion::V2_1] {
            assert!(covered.contains(&(op, ver)), "{op} not tested at {ver}");
        }
        if op.exists_in(1, 4) {
            assert!(covered.contains(&(op, ProtocolVersion::V1_4)), "{op}");
            assert!(
                covered
                    .iter()
                    .any(|(o, v)| *o == op && v.major == 1 && v.minor < 4),
                "{op} not tested before 1.4"
            );
        }
    }
}

/// libkmip (the C client behind Percona's KMIP keyring) writes a 2.0 Locate's filters straight
/// into the payload. Skipping them would match every object on the server, and the client
/// takes the first answer as its key.
#[test]
fn libkmip_locate_at_2_0_with_filters_outside_attributes_is_refused() {
    for filter in [
        enumeration(tags::OBJECT_TYPE, ObjectType::SymmetricKey.value()),
        attribute_1x(
            "Name",
            structure(
                tags::NAME,
                vec![
                    text(tags::NAME_VALUE, "mysql-master-key"),
                    enumeration(tags::NAME_TYPE, 1),
                ],
            ),
        ),
    ] {
        let tag = filter.tag;
        let e = decode_one(ProtocolVersion::V2_0, Operation::Locate, vec![filter])
            .expect_err("never answered as a Locate without filters");
        assert_eq!(e.reason, ResultReason::InvalidMessage, "{e}");
        assert_names(&e, Operation::Locate, ProtocolVersion::V2_0, name(tag));
        assert!(e.message.contains("inside Attributes"), "{e}");
    }
    // The same filters inside Attributes are what 2.0 specifies.
    let p = decode_one(
        ProtocolVersion::V2_0,
        Operation::Locate,
        vec![structure(
            tags::ATTRIBUTES,
            vec![enumeration(
                tags::OBJECT_TYPE,
                ObjectType::SymmetricKey.value(),
            )],
        )],
    )
    .expect("decodes");
    let RequestPayload::Locate { attributes, .. } = p else {
        panic!("not a Locate")
    };
    assert_eq!(attributes.object_type(), Some(ObjectType::SymmetricKey));
}

#[test]
fn fields_of_a_later_minor_are_refused_before_it() {
    // (operation, version without the field, version with it, the field, a valid payload)
    let aad = bytes(tags::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA, b"a");
    let encrypt = vec![uid(), bytes(tags::DATA, b"p")];
    let cases = [
        (
            Operation::Locate,
            ProtocolVersion::V1_0,
            ProtocolVersion::V1_1,
            enumeration(tags::OBJECT_GROUP_MEMBER, 1),
            vec![],
        ),
        (
            Operation::Locate,
            ProtocolVersion::V1_2,
            ProtocolVersion::V1_3,
            int(tags::OFFSET_ITEMS, 5),
            vec![],
        ),
        (
            Operation::Encrypt,
            ProtocolVersion::V1_3,
            ProtocolVersion::V1_4,
            aad,
            encrypt,
        ),
        (
            Operation::Get,
            ProtocolVersion::V1_3,
            ProtocolVersion::V1_4,
            enumeration(tags::KEY_WRAP_TYPE, KeyWrapType::NotWrapped.value()),
            vec![uid()],
        ),
        (
            Operation::Query,
            ProtocolVersion::V2_0,
            ProtocolVersion::V2_1,
            structure(tags::OBJECT_GROUPS, vec![text(tags::OBJECT_GROUP, "g")]),
            vec![],
        ),
    ];
    for (op, before, from, field, mut payload) in cases {
        let tag = field.tag;
        payload.push(field);
        assert!(
            decode_one(from, op, payload.clone()).is_ok(),
            "{op} at {from} with {}",
            name(tag)
        );
        let e = decode_one(before, op, payload).expect_err("refused before its version");
        let want = if before.uses_attributes_form() {
            ResultReason::InvalidMessage
        } else {
            ResultReason::InvalidField
        };
        assert_eq!(e.reason, want, "{e}");
        assert_names(&e, op, before, name(tag));
        assert!(e.message.contains(&format!("from KMIP {from}")), "{e}");
    }
}

#[test]
fn an_undefined_standard_tag_is_unknown_in_2_x() {
    let e = decode_one(
        ProtocolVersion::V2_1,
        Operation::Get,
        vec![uid(), int(Tag(0x42eeee), 1)],
    )
    .expect_err("refused");
    assert_eq!(e.reason, ResultReason::UnknownTag, "{e}");
    assert!(e.message.contains("0x42eeee"), "{e}");
}

#[test]
fn a_refused_payload_fails_only_its_own_batch_item() {
    for ver in [ProtocolVersion::V1_4, ProtocolVersion::V2_1] {
        let bytes = request(
            ver,
            &[
                (Operation::Activate, vec![uid()]),
                (Operation::Get, vec![uid(), text(EXTENSION, "vendor")]),
                (Operation::Destroy, vec![uid()]),
            ],
        );
        let m = RequestMessage::decode(&bytes, &Limits::default()).expect("decodes");
        assert_eq!(m.items.len(), 3);
        assert!(m.items[0].payload.is_ok(), "{ver}");
        assert!(m.items[1].payload.is_err(), "{ver}");
        assert!(m.items[2].payload.is_ok(), "{ver}");
        assert_eq!(m.items[1].operation, Ok(Operation::Get));
        assert_eq!(m.items[1].unique_batch_item_id.as_deref(), Some(&[1u8][..]));
    }
}

#[test]
fn template_attribute_holds_only_names_and_attributes() {
    let mut ta = template_attribute(false);
    if let Value::Structure(items) = &mut ta.value {
        // A 2.x-style attribute item inside a 1.x Template-Attribute would otherwise be lost.
        items.push(usage());
    }
    let e = decode_one(
        ProtocolVersion::V1_4,
        Operation::Create,
        vec![
            enumeration(tags::OBJECT_TYPE, ObjectType::SymmetricKey.value()),
            ta,
        ],
    )
    .expect_err("refused");
    assert_eq!(e.reason, ResultReason::InvalidField, "{e}");
    assert!(e.message.contains("CryptographicUsageMask"), "{e}");
}

#[test]
fn pykmip_re_key_at_2_x_with_a_template_attribute_is_read_not_ignored() {
    for ver in [ProtocolVersion::V2_0, ProtocolVersion::V2_1] {
        // PyKMIP 0.11 writes a 2.x Re-key's attributes as a 1.x Template-Attribute.
        let p = decode_one(
            ver,
            Operation::ReKey,
            vec![uid(), template_attribute(false)],
        )
        .expect("read");
        let RequestPayload::ReKey { attributes, .. } = p else {
            panic!("not a Re-key")
        };
        assert_eq!(
            attributes.0.len(),
            3,
            "the three attributes are read: {attributes:?}"
        );
        // Both forms at once: which one is meant is ambiguous, so it is refused.
        let e = decode_one(
            ver,
            Operation::ReKey,
            vec![uid(), template_attribute(true), template_attribute(false)],
        )
        .expect_err("both forms refused");
        assert_eq!(e.reason, ResultReason::InvalidMessage, "{e}");
    }
}

// ---- structures nested in the payloads ----------------------------------------------------

/// One structure nested in one operation's payload, at one version.
struct Nested {
    /// What the structure is, for failure messages.
    what: &'static str,
    op: Operation,
    /// A payload the spec allows that holds the structure.
    valid: Vec<Ttlv>,
    /// The tags leading from the payload to the structure (the first child with each tag).
    path: Vec<Tag>,
    /// A tag KMIP defines that the structure does not have at the version.
    misplaced: Ttlv,
    /// A single-valued field of the structure in `valid`, to send twice.
    single: Option<Tag>,
}

/// The children of the structure at `path` inside `payload`.
fn children_at<'a>(payload: &'a mut [Ttlv], path: &[Tag]) -> &'a mut Vec<Ttlv> {
    let (first, rest) = path.split_first().expect("a path of one tag or more");
    let item = payload
        .iter_mut()
        .find(|i| i.tag == *first)
        .unwrap_or_else(|| panic!("no {} on the path", name(*first)));
    let Value::Structure(children) = &mut item.value else {
        panic!("{} is not a structure", name(*first))
    };
    if rest.is_empty() {
        children
    } else {
        children_at(children, rest)
    }
}

fn big(tag: Tag, b: &[u8]) -> Ttlv {
    Ttlv::new(tag, Value::BigInteger(Zeroizing::new(b.to_vec())))
}

fn key_block(format: KeyFormatType, material: Ttlv, rest: Vec<Ttlv>) -> Ttlv {
    let mut items = vec![
        enumeration(tags::KEY_FORMAT_TYPE, format.value()),
        structure(tags::KEY_VALUE, vec![material]),
    ];
    items.extend(rest);
    structure(tags::KEY_BLOCK, items)
}

fn register(object_type: ObjectType, object: Ttlv) -> Vec<Ttlv> {
    vec![enumeration(tags::OBJECT_TYPE, object_type.value()), object]
}

/// A payload with one attribute `value` of attribute `attr` (its tag, its 1.x name) in the
/// form of `ver`, and the path to the value: an Add Attribute's Attribute / New Attribute.
fn add_attribute(ver: ProtocolVersion, attr: Tag, value: Vec<Ttlv>) -> (Vec<Ttlv>, Vec<Tag>) {
    let value = structure(attr, value);
    if ver.uses_attributes_form() {
        (
            vec![uid(), structure(tags::NEW_ATTRIBUTE, vec![value])],
            vec![tags::NEW_ATTRIBUTE, attr],
        )
    } else {
        let attr_name = keywarden_kmip::attributes::name_for_tag(attr).expect("an attribute");
        (
            vec![uid(), attribute_1x(attr_name, value)],
            vec![tags::ATTRIBUTE, tags::ATTRIBUTE_VALUE],
        )
    }
}

/// Every structure decoded from a request payload that `ver` has, each in one payload.
fn nested_cases(ver: ProtocolVersion) -> Vec<Nested> {
    let v2 = ver.uses_attributes_form();
    let at_least = |major, minor| ver >= ProtocolVersion::new(major, minor);
    let cbc = || enumeration(tags::BLOCK_CIPHER_MODE, BlockCipherMode::Cbc.value());
    let wrap = || enumeration(tags::WRAPPING_METHOD, 1);
    // Get with a Key Wrapping Specification exists in every version: it carries Cryptographic
    // Parameters at 1.0 and 1.1, before Encrypt exists.
    let get_wrapped = || {
        vec![
            uid(),
            structure(
                tags::KEY_WRAPPING_SPECIFICATION,
                vec![
                    wrap(),
                    structure(
                        tags::ENCRYPTION_KEY_INFORMATION,
                        vec![
                            text(tags::UNIQUE_IDENTIFIER, "kek"),
                            structure(tags::CRYPTOGRAPHIC_PARAMETERS, vec![cbc()]),
                        ],
                    ),
                    structure(
                        tags::MAC_SIGNATURE_KEY_INFORMATION,
                        vec![text(tags::UNIQUE_IDENTIFIER, "mac-key")],
                    ),
                    text(tags::ATTRIBUTE_NAME, "Name"),
                ],
            ),
        ]
    };
    let kws = tags::KEY_WRAPPING_SPECIFICATION;
    let eki = tags::ENCRYPTION_KEY_INFORMATION;
    let raw_key = || {
        structure(
            tags::SYMMETRIC_KEY,
            vec![key_block(
                KeyFormatType::Raw,
                bytes(tags::KEY_MATERIAL, &[7; 16]),
                vec![algorithm(), length()],
            )],
        )
    };
    let sk = tags::SYMMETRIC_KEY;
    let kb = tags::KEY_BLOCK;
    let kv = tags::KEY_VALUE;
    let km = tags::KEY_MATERIAL;
    let name_value = || vec![text(tags::NAME_VALUE, "k"), enumeration(tags::NAME_TYPE, 1)];

    let mut cases = vec![
        Nested {
            what: "Key Wrapping Specification",
            op: Operation::Get,
            valid: get_wrapped(),
            path: vec![kws],
            misplaced: enumeration(tags::KEY_FORMAT_TYPE, KeyFormatType::Raw.value()),
            single: Some(tags::WRAPPING_METHOD),
        },
        Nested {
            what: "Encryption Key Information",
            op: Operation::Get,
            valid: get_wrapped(),
            path: vec![kws, eki],
            misplaced: text(tags::ATTRIBUTE_NAME, "Name"),
            single: Some(tags::UNIQUE_IDENTIFIER),
        },
        Nested {
            what: "MAC/Signature Key Information",
            op: Operation::Get,
            valid: get_wrapped(),
            path: vec![kws, tags::MAC_SIGNATURE_KEY_INFORMATION],
            misplaced: wrap(),
            single: Some(tags::UNIQUE_IDENTIFIER),
        },
        Nested {
            what: "Cryptographic Parameters in Encryption Key Information",
            op: Operation::Get,
            valid: get_wrapped(),
            path: vec![kws, eki, tags::CRYPTOGRAPHIC_PARAMETERS],
            misplaced: text(tags::UNIQUE_IDENTIFIER, "k"),
            single: Some(tags::BLOCK_CIPHER_MODE),
        },
        Nested {
            what: "Symmetric Key",
            op: Operation::Register,
            valid: register(ObjectType::SymmetricKey, raw_key()),
            path: vec![sk],
            misplaced: structure(tags::KEY_VALUE, vec![bytes(tags::KEY_MATERIAL, &[1])]),
            single: Some(kb),
        },
        Nested {
            what: "Key Block",
            op: Operation::Register,
            valid: register(ObjectType::SymmetricKey, raw_key()),
            path: vec![sk, kb],
            misplaced: bytes(tags::KEY_MATERIAL, &[1]),
            single: Some(tags::KEY_FORMAT_TYPE),
        },
        Nested {
            what: "Key Value",
            op: Operation::Register,
            valid: register(ObjectType::SymmetricKey, raw_key()),
            path: vec![sk, kb, kv],
            // The other family's form of the attributes carried with the key.
            misplaced: if v2 {
                attribute_1x("Contact Information", contact("a"))
            } else {
                structure(tags::ATTRIBUTES, vec![contact("a")])
            },
            single: Some(km),
        },
        Nested {
            what: "Transparent Symmetric Key",
            op: Operation::Register,
            valid: register(
                ObjectType::SymmetricKey,
                structure(
                    sk,
                    vec![key_block(
                        KeyFormatType::TransparentSymmetricKey,
                        structure(km, vec![bytes(tags::KEY, &[7; 16])]),
                        vec![algorithm(), length()],
                    )],
                ),
            ),
            path: vec![sk, kb, kv, km],
            misplaced: big(tags::MODULUS, &[1]),
            single: Some(tags::KEY),
        },
        Nested {
            what: "Transparent RSA Public Key",
            op: Operation::Register,
            valid: register(
                ObjectType::PublicKey,
                structure(
                    tags::PUBLIC_KEY,
                    vec![key_block(
                        KeyFormatType::TransparentRsaPublicKey,
                        structure(
                            km,
                            vec![
                                big(tags::MODULUS, &[0x5f; 8]),
                                big(tags::PUBLIC_EXPONENT, &[1, 0, 1]),
                            ],
                        ),
                        vec![],
                    )],
                ),
            ),
            path: vec![tags::PUBLIC_KEY, kb, kv, km],
            misplaced: big(tags::D, &[1]),
            single: Some(tags::MODULUS),
        },
        Nested {
            what: "Key Wrapping Data",
            op: Operation::Register,
            valid: register(
                ObjectType::SymmetricKey,
                structure(
                    sk,
                    vec![structure(
                        kb,
                        vec![
                            enumeration(tags::KEY_FORMAT_TYPE, KeyFormatType::Raw.value()),
                            bytes(tags::KEY_VALUE, &[9; 24]),
                            structure(
                                tags::KEY_WRAPPING_DATA,
                                vec![
                                    wrap(),
                                    structure(eki, vec![text(tags::UNIQUE_IDENTIFIER, "kek")]),
                                ],
                            ),
                        ],
                    )],
                ),
            ),
            path: vec![sk, kb, tags::KEY_WRAPPING_DATA],
            misplaced: enumeration(tags::KEY_FORMAT_TYPE, KeyFormatType::Raw.value()),
            single: Some(tags::WRAPPING_METHOD),
        },
        Nested {
            what: "Secret Data",
            op: Operation::Register,
            valid: register(
                ObjectType::SecretData,
                structure(
                    tags::SECRET_DATA,
                    vec![
                        enumeration(tags::SECRET_DATA_TYPE, 1),
                        key_block(
                            KeyFormatType::Opaque,
                            bytes(tags::KEY_MATERIAL, b"pw"),
                            vec![],
                        ),
                    ],
                ),
            ),
            path: vec![tags::SECRET_DATA],
            misplaced: bytes(tags::OPAQUE_DATA_VALUE, b"x"),
            single: Some(tags::SECRET_DATA_TYPE),
        },
        Nested {
            what: "Opaque Object",
            op: Operation::Register,
            valid: register(
                ObjectType::OpaqueObject,
                structure(
                    tags::OPAQUE_OBJECT,
                    vec![
                        enumeration(tags::OPAQUE_DATA_TYPE, 0x8000_0001),
                        bytes(tags::OPAQUE_DATA_VALUE, b"blob"),
                    ],
                ),
            ),
            path: vec![tags::OPAQUE_OBJECT],
            misplaced: bytes(tags::CERTIFICATE_VALUE, b"x"),
            single: Some(tags::OPAQUE_DATA_VALUE),
        },
        Nested {
            what: "Certificate",
            op: Operation::Register,
            valid: register(
                ObjectType::Certificate,
                structure(
                    tags::CERTIFICATE,
                    vec![
                        enumeration(tags::CERTIFICATE_TYPE, 1),
                        bytes(tags::CERTIFICATE_VALUE, b"der"),
                    ],
                ),
            ),
            path: vec![tags::CERTIFICATE],
            misplaced: bytes(tags::OPAQUE_DATA_VALUE, b"x"),
            single: Some(tags::CERTIFICATE_TYPE),
        },
        Nested {
            what: "Revocation Reason",
            op: Operation::Revoke,
            valid: vec![
                uid(),
                structure(
                    tags::REVOCATION_REASON,
                    vec![
                        enumeration(
                            tags::REVOCATION_REASON_CODE,
                            RevocationReasonCode::KeyCompromise.value(),
                        ),
                        text(tags::REVOCATION_MESSAGE, "lost"),
                    ],
                ),
            ],
            path: vec![tags::REVOCATION_REASON],
            misplaced: Ttlv::new(tags::COMPROMISE_OCCURRENCE_DATE, Value::DateTime(1)),
            single: Some(tags::REVOCATION_MESSAGE),
        },
    ];

    // The attributes of a new key, in the family's form.
    if v2 {
        let create = || {
            vec![
                enumeration(tags::OBJECT_TYPE, ObjectType::SymmetricKey.value()),
                structure(
                    tags::ATTRIBUTES,
                    vec![
                        structure(tags::NAME, name_value()),
                        algorithm(),
                        structure(
                            tags::ATTRIBUTE,
                            vec![
                                text(tags::VENDOR_IDENTIFICATION, "x"),
                                text(tags::ATTRIBUTE_NAME, "ID"),
                                Ttlv::new(tags::ATTRIBUTE_VALUE, Value::TextString("1".into())),
                            ],
                        ),
                    ],
                ),
                structure(
                    tags::PROTECTION_STORAGE_MASKS,
                    vec![int(tags::PROTECTION_STORAGE_MASK, 1)],
                ),
            ]
        };
        cases.extend([
            Nested {
                what: "Attributes",
                op: Operation::Create,
                valid: create(),
                path: vec![tags::ATTRIBUTES],
                misplaced: wrap(),
                single: None,
            },
            Nested {
                what: "2.x Attribute (vendor attribute)",
                op: Operation::Create,
                valid: create(),
                path: vec![tags::ATTRIBUTES, tags::ATTRIBUTE],
                // 2.0 dropped the Attribute Index.
                misplaced: int(tags::ATTRIBUTE_INDEX, 0),
                single: Some(tags::ATTRIBUTE_NAME),
            },
            Nested {
                what: "Name attribute value in Attributes",
                op: Operation::Create,
                valid: create(),
                path: vec![tags::ATTRIBUTES, tags::NAME],
                misplaced: enumeration(tags::LINK_TYPE, 1),
                single: Some(tags::NAME_VALUE),
            },
            Nested {
                what: "Protection Storage Masks",
                op: Operation::Create,
                valid: create(),
                path: vec![tags::PROTECTION_STORAGE_MASKS],
                misplaced: text(tags::OBJECT_GROUP, "g"),
                single: None,
            },
            Nested {
                what: "Template-Attribute in a 2.x Re-key (PyKMIP 0.11)",
                op: Operation::ReKey,
                valid: vec![uid(), template_attribute(false)],
                path: vec![tags::TEMPLATE_ATTRIBUTE],
                misplaced: usage(),
                single: None,
            },
            Nested {
                what: "1.x Attribute in a 2.x Re-key's Template-Attribute",
                op: Operation::ReKey,
                valid: vec![uid(), template_attribute(false)],
                path: vec![tags::TEMPLATE_ATTRIBUTE, tags::ATTRIBUTE],
                misplaced: text(tags::VENDOR_IDENTIFICATION, "x"),
                single: Some(tags::ATTRIBUTE_NAME),
            },
            Nested {
                what: "New Attribute",
                op: Operation::AddAttribute,
                valid: vec![uid(), structure(tags::NEW_ATTRIBUTE, vec![contact("a")])],
                path: vec![tags::NEW_ATTRIBUTE],
                misplaced: wrap(),
                // The one attribute it holds, twice.
                single: Some(tags::CONTACT_INFORMATION),
            },
            Nested {
                what: "Current Attribute",
                op: Operation::ModifyAttribute,
                valid: vec![
                    uid(),
                    structure(tags::CURRENT_ATTRIBUTE, vec![contact("a")]),
                    structure(tags::NEW_ATTRIBUTE, vec![contact("b")]),
                ],
                path: vec![tags::CURRENT_ATTRIBUTE],
                misplaced: wrap(),
                single: Some(tags::CONTACT_INFORMATION),
            },
            Nested {
                what: "Attribute Reference (vendor attribute)",
                op: Operation::GetAttributes,
                valid: vec![
                    uid(),
                    structure(
                        tags::ATTRIBUTE_REFERENCE,
                        vec![
                            text(tags::VENDOR_IDENTIFICATION, "x"),
                            text(tags::ATTRIBUTE_NAME, "ID"),
                        ],
                    ),
                ],
                path: vec![tags::ATTRIBUTE_REFERENCE],
                misplaced: int(tags::ATTRIBUTE_INDEX, 0),
                single: Some(tags::ATTRIBUTE_NAME),
            },
        ]);
        if at_least(2, 1) {
            cases.push(Nested {
                what: "Object Groups",
                op: Operation::Query,
                valid: vec![structure(
                    tags::OBJECT_GROUPS,
                    vec![text(tags::OBJECT_GROUP, "g")],
                )],
                path: vec![tags::OBJECT_GROUPS],
                misplaced: text(tags::NAME_VALUE, "g"),
                single: None,
            });
        }
    } else {
        let create = || {
            vec![
                enumeration(tags::OBJECT_TYPE, ObjectType::SymmetricKey.value()),
                structure(
                    tags::TEMPLATE_ATTRIBUTE,
                    vec![
                        attribute_1x("Name", structure(tags::NAME, name_value())),
                        attribute_1x("Cryptographic Algorithm", algorithm()),
                    ],
                ),
            ]
        };
        cases.extend([
            Nested {
                what: "Template-Attribute",
                op: Operation::Create,
                valid: create(),
                path: vec![tags::TEMPLATE_ATTRIBUTE],
                misplaced: algorithm(),
                single: None,
            },
            Nested {
                what: "1.x Attribute",
                op: Operation::Create,
                valid: create(),
                path: vec![tags::TEMPLATE_ATTRIBUTE, tags::ATTRIBUTE],
                // The 2.x Attribute's field.
                misplaced: text(tags::VENDOR_IDENTIFICATION, "x"),
                single: Some(tags::ATTRIBUTE_NAME),
            },
            Nested {
                what: "Name attribute value in a 1.x Attribute",
                op: Operation::Create,
                valid: create(),
                path: vec![
                    tags::TEMPLATE_ATTRIBUTE,
                    tags::ATTRIBUTE,
                    tags::ATTRIBUTE_VALUE,
                ],
                misplaced: enumeration(tags::LINK_TYPE, 1),
                single: Some(tags::NAME_VALUE),
            },
        ]);
    }

    // Structured attribute values, in an Add Attribute of the family's form.
    for (what, attr, value, misplaced, single) in [
        (
            "Link attribute value",
            tags::LINK,
            vec![
                enumeration(tags::LINK_TYPE, 0x0000_0101),
                text(tags::LINKED_OBJECT_IDENTIFIER, "other"),
            ],
            enumeration(tags::NAME_TYPE, 1),
            tags::LINK_TYPE,
        ),
        (
            "Application Specific Information attribute value",
            tags::APPLICATION_SPECIFIC_INFORMATION,
            vec![
                text(tags::APPLICATION_NAMESPACE, "ssl"),
                text(tags::APPLICATION_DATA, "www.example.com"),
            ],
            text(tags::NAME_VALUE, "n"),
            tags::APPLICATION_NAMESPACE,
        ),
        (
            "Cryptographic Parameters attribute value",
            tags::CRYPTOGRAPHIC_PARAMETERS,
            vec![cbc()],
            text(tags::UNIQUE_IDENTIFIER, "k"),
            tags::BLOCK_CIPHER_MODE,
        ),
    ] {
        let (valid, path) = add_attribute(ver, attr, value);
        cases.push(Nested {
            what,
            op: Operation::AddAttribute,
            valid,
            path,
            misplaced,
            single: Some(single),
        });
    }

    // Locate filters on a Digest (a structured attribute a client does not set).
    let digest = structure(
        tags::DIGEST,
        vec![
            enumeration(tags::HASHING_ALGORITHM, 4),
            bytes(tags::DIGEST_VALUE, &[0; 20]),
        ],
    );
    let (valid, path) = if v2 {
        (
            vec![structure(tags::ATTRIBUTES, vec![digest])],
            vec![tags::ATTRIBUTES, tags::DIGEST],
        )
    } else {
        (
            vec![attribute_1x("Digest", digest)],
            vec![tags::ATTRIBUTE, tags::ATTRIBUTE_VALUE],
        )
    };
    cases.push(Nested {
        what: "Digest attribute value in Locate",
        op: Operation::Locate,
        valid,
        path,
        misplaced: text(tags::NAME_VALUE, "n"),
        single: Some(tags::DIGEST_VALUE),
    });

    if Operation::DiscoverVersions.exists_in(ver.major, ver.minor) {
        cases.push(Nested {
            what: "Protocol Version",
            op: Operation::DiscoverVersions,
            valid: vec![protocol_version(1, 4)],
            path: vec![tags::PROTOCOL_VERSION],
            misplaced: int(tags::BATCH_COUNT, 1),
            single: Some(tags::PROTOCOL_VERSION_MINOR),
        });
    }
    if Operation::Encrypt.exists_in(ver.major, ver.minor) {
        cases.push(Nested {
            what: "Cryptographic Parameters in Encrypt",
            op: Operation::Encrypt,
            valid: vec![
                uid(),
                structure(
                    tags::CRYPTOGRAPHIC_PARAMETERS,
                    vec![
                        cbc(),
                        enumeration(tags::PADDING_METHOD, 3),
                        Ttlv::new(tags::RANDOM_IV, Value::Boolean(true)),
                    ],
                ),
                bytes(tags::DATA, b"plain"),
            ],
            path: vec![tags::CRYPTOGRAPHIC_PARAMETERS],
            misplaced: bytes(tags::DATA, b"plain"),
            single: Some(tags::BLOCK_CIPHER_MODE),
        });
    }
    cases
}

#[test]
fn every_nested_structure_accepts_its_fields_and_refuses_any_other_child() {
    let mut covered = 0;
    for ver in VERSIONS {
        let v2 = ver.uses_attributes_form();
        for c in nested_cases(ver) {
            let (op, what) = (c.op, c.what);
            let decode = |payload: Vec<Ttlv>| decode_one(ver, op, payload);
            decode(c.valid.clone())
                .unwrap_or_else(|e| panic!("valid {what} in {op} at {ver} refused: {e}"));

            // An extension tag, first or last among the structure's children.
            for first in [true, false] {
                let mut payload = c.valid.clone();
                let children = children_at(&mut payload, &c.path);
                let at = if first { 0 } else { children.len() };
                children.insert(at, text(EXTENSION, "vendor"));
                let e = decode(payload)
                    .expect_err(&format!("{what} in {op} at {ver} with 0x540001 decoded"));
                let want = if v2 {
                    ResultReason::UnknownTag
                } else {
                    ResultReason::InvalidField
                };
                assert_eq!(e.reason, want, "{what} in {op} at {ver}: {e}");
                assert!(e.message.contains("0x540001"), "{what} at {ver}: {e}");
                assert!(e.message.contains(&format!("KMIP {ver}")), "{e}");
            }

            // A defined tag that belongs elsewhere.
            let mut payload = c.valid.clone();
            let misplaced = c.misplaced.tag;
            children_at(&mut payload, &c.path).push(c.misplaced);
            let e = decode(payload).expect_err(&format!(
                "{what} in {op} at {ver} with {} decoded",
                name(misplaced)
            ));
            let want = if v2 {
                ResultReason::InvalidMessage
            } else {
                ResultReason::InvalidField
            };
            assert_eq!(e.reason, want, "{what} in {op} at {ver}: {e}");
            assert!(
                e.message.contains(&format!("0x{:06x}", misplaced.0)),
                "{what} at {ver}: {e}"
            );

            // A single-valued field twice.
            if let Some(single) = c.single {
                let mut payload = c.valid.clone();
                let children = children_at(&mut payload, &c.path);
                let again = children
                    .iter()
                    .find(|i| i.tag == single)
                    .cloned()
                    .unwrap_or_else(|| panic!("{what} at {ver}: {} not in the case", name(single)));
                children.push(again);
                let e = decode(payload).expect_err(&format!(
                    "{what} in {op} at {ver} with {} twice decoded",
                    name(single)
                ));
                assert_eq!(
                    e.reason,
                    ResultReason::InvalidMessage,
                    "{what} at {ver}: {e}"
                );
                assert!(e.message.contains("more than once"), "{what} at {ver}: {e}");
            }
            covered += 1;
        }
    }
    // Each of the seven versions has at least the structures every version shares.
    assert!(covered >= 7 * 19, "only {covered} cases");
}

#[test]
fn nested_fields_of_a_later_minor_are_refused_before_it() {
    // Cryptographic Parameters had four fields in 1.0 and 1.1; Random IV came with 1.2, Salt
    // Length with 1.4. A Get's Key Wrapping Specification carries them in every version.
    for (field, from) in [
        (
            Ttlv::new(tags::RANDOM_IV, Value::Boolean(true)),
            ProtocolVersion::V1_2,
        ),
        (int(tags::SALT_LENGTH, 32), ProtocolVersion::V1_4),
    ] {
        for ver in VERSIONS {
            let payload = vec![
                uid(),
                structure(
                    tags::KEY_WRAPPING_SPECIFICATION,
                    vec![
                        enumeration(tags::WRAPPING_METHOD, 1),
                        structure(
                            tags::ENCRYPTION_KEY_INFORMATION,
                            vec![
                                text(tags::UNIQUE_IDENTIFIER, "kek"),
                                structure(tags::CRYPTOGRAPHIC_PARAMETERS, vec![field.clone()]),
                            ],
                        ),
                    ],
                ),
            ];
            let got = decode_one(ver, Operation::Get, payload);
            if ver >= from {
                assert!(got.is_ok(), "{} at {ver}: {got:?}", name(field.tag));
            } else {
                let e = got.expect_err("refused before its version");
                assert_eq!(e.reason, ResultReason::InvalidField, "{e}");
                assert!(e.message.contains(&format!("from KMIP {from}")), "{e}");
            }
        }
    }
}

#[test]
fn an_operation_the_version_lacks_is_not_supported_whatever_its_payload() {
    // Encrypt came with 1.2: its payload at 1.1 is not held to fields it does not have yet.
    let e = decode_one(
        ProtocolVersion::V1_1,
        Operation::Encrypt,
        vec![uid(), bytes(tags::DATA, b"p"), text(EXTENSION, "vendor")],
    )
    .expect_err("refused");
    assert_eq!(e.reason, ResultReason::OperationNotSupported, "{e}");
    assert!(e.message.contains("KMIP 1.1"), "{e}");
}

#[test]
fn a_1_x_only_attribute_is_refused_in_2_x_attributes() {
    // Operation Policy Name was removed in 2.0; its tag is reserved.
    let e = decode_one(
        ProtocolVersion::V2_0,
        Operation::Create,
        vec![
            enumeration(tags::OBJECT_TYPE, ObjectType::SymmetricKey.value()),
            structure(
                tags::ATTRIBUTES,
                vec![algorithm(), text(tags::OPERATION_POLICY_NAME, "default")],
            ),
        ],
    )
    .expect_err("refused");
    assert_eq!(e.reason, ResultReason::InvalidMessage, "{e}");
    assert!(e.message.contains("OperationPolicyName"), "{e}");
}
