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
