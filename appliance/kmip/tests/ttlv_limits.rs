//! Every decoder limit and every malformation triggers its own `DecodeError` variant.

use keywarden_kmip::ttlv::{
    DecodeError, ItemType, Limits, Tag, Ttlv, Value, decode, encode, peek_message_length,
};

const OUTER: [u8; 3] = [0x42, 0x00, 0x78];
const INNER: [u8; 3] = [0x42, 0x00, 0x94];

/// One raw item: header plus the given value bytes, which the caller pads (or not) on purpose.
fn raw(tag: [u8; 3], item_type: u8, len: u32, value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    out.push(item_type);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
    out
}

/// A structure wrapping `body`, with its length computed from `body`.
fn wrap(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("test bodies are small");
    raw(OUTER, 0x01, len, body)
}

fn decode_default(bytes: &[u8]) -> Result<Ttlv, DecodeError> {
    decode(bytes, &Limits::default())
}

#[test]
fn hundred_megabyte_byte_string_claim_is_item_too_large() {
    let claim = 100 * 1024 * 1024;
    let msg = wrap(&raw(INNER, 0x08, claim, &[0; 8]));
    assert_eq!(
        decode_default(&msg),
        Err(DecodeError::ItemTooLarge {
            tag: Tag(0x420094),
            offset: 8,
            len: claim as usize,
            max: Limits::default().max_item_len,
        })
    );
}

#[test]
fn hundred_megabyte_claim_with_no_item_limit_overruns_without_allocating() {
    // With the per-item limit lifted, the claim is still checked against the bytes present.
    let limits = Limits {
        max_item_len: usize::MAX,
        ..Limits::default()
    };
    let msg = wrap(&raw(INNER, 0x08, 100 * 1024 * 1024, &[0; 8]));
    assert_eq!(
        decode(&msg, &limits),
        Err(DecodeError::StructureOverrun {
            tag: Tag(0x420078),
            offset: 0
        })
    );
    let top = raw(INNER, 0x07, 100 * 1024 * 1024, b"abcdefgh");
    assert!(matches!(
        decode(&top, &limits),
        Err(DecodeError::Truncated { offset: 0, .. })
    ));
}

#[test]
fn hundred_megabyte_message_claim_is_message_too_large() {
    let claim: u32 = 100 * 1024 * 1024;
    let msg = raw(OUTER, 0x01, claim, &[]);
    let max = Limits::default().max_message;
    assert_eq!(
        decode_default(&msg),
        Err(DecodeError::MessageTooLarge {
            len: 8 + claim as usize,
            max
        })
    );
    let header: [u8; 8] = msg[..8].try_into().expect("8 bytes");
    assert_eq!(
        peek_message_length(&header, &Limits::default()),
        Err(DecodeError::MessageTooLarge {
            len: 8 + claim as usize,
            max
        })
    );
}

#[test]
fn input_longer_than_max_message_is_refused_before_parsing() {
    let limits = Limits {
        max_message: 64,
        ..Limits::default()
    };
    let msg = wrap(&[0u8; 64]);
    assert_eq!(
        decode(&msg, &limits),
        Err(DecodeError::MessageTooLarge { len: 72, max: 64 })
    );
}

/// `depth` nested empty-bodied structures, innermost holding one integer.
fn nested(depth: usize) -> Vec<u8> {
    let leaf = raw(INNER, 0x02, 4, &[0, 0, 0, 7, 0, 0, 0, 0]);
    let mut out = Vec::with_capacity(depth * 8 + leaf.len());
    for level in 0..depth {
        let len = u32::try_from((depth - level - 1) * 8 + leaf.len()).expect("fits");
        out.extend_from_slice(&raw(OUTER, 0x01, len, &[]));
    }
    out.extend_from_slice(&leaf);
    out
}

#[test]
fn ten_thousand_deep_nesting_is_too_deep() {
    let msg = nested(10_000);
    let max = Limits::default().max_depth;
    assert_eq!(
        decode_default(&msg),
        Err(DecodeError::TooDeep {
            offset: max * 8,
            max
        })
    );
}

#[test]
fn depth_limit_is_exact() {
    let limits = Limits::default();
    assert!(decode(&nested(limits.max_depth), &limits).is_ok());
    assert!(matches!(
        decode(&nested(limits.max_depth + 1), &limits),
        Err(DecodeError::TooDeep { .. })
    ));
}

#[test]
fn ten_thousand_deep_nesting_decodes_iteratively_when_allowed() {
    // The decoder keeps its own stack; only dropping and comparing the result recurse, so the
    // check runs on a thread with room for that.
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(|| {
            let limits = Limits {
                max_depth: 10_000,
                ..Limits::default()
            };
            let msg = nested(10_000);
            let item = decode(&msg, &limits).expect("deep but within the limit");
            let mut depth = 0;
            let mut cursor = &item;
            while let Value::Structure(children) = &cursor.value {
                depth += 1;
                match children.first() {
                    Some(child) if depth <= 10_000 => cursor = child,
                    _ => break,
                }
            }
            assert_eq!(depth, 10_000);
            assert_eq!(cursor.value, Value::Integer(7));
            assert_eq!(encode(&item), msg);
        });
    assert!(worker.expect("spawn").join().is_ok());
}

/// A structure of `n` empty structures: `n + 1` items, `8 * (n + 1)` bytes.
fn many_items(n: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(n * 8);
    for _ in 0..n {
        body.extend_from_slice(&raw(INNER, 0x01, 0, &[]));
    }
    wrap(&body)
}

#[test]
fn hundred_thousand_items_is_too_many() {
    let max = Limits::default().max_items;
    assert_eq!(max, 100_000);
    // The outer structure counts too: 100,000 children make 100,001 items.
    assert_eq!(
        decode_default(&many_items(100_000)),
        Err(DecodeError::TooManyItems { max })
    );
    let ok = decode_default(&many_items(99_999)).expect("exactly at the limit");
    assert_eq!(ok.children().len(), 99_999);
}

#[test]
fn invalid_utf8_is_rejected() {
    let msg = wrap(&raw(INNER, 0x07, 3, &[0x61, 0xC3, 0x28, 0, 0, 0, 0, 0]));
    assert_eq!(
        decode_default(&msg),
        Err(DecodeError::InvalidUtf8 {
            tag: Tag(0x420094),
            offset: 8
        })
    );
    let lone_surrogate = wrap(&raw(INNER, 0x07, 3, &[0xED, 0xA0, 0x80, 0, 0, 0, 0, 0]));
    assert!(matches!(
        decode_default(&lone_surrogate),
        Err(DecodeError::InvalidUtf8 { .. })
    ));
}

#[test]
fn boolean_other_than_zero_or_one_is_rejected() {
    for (bytes, value) in [
        ([0, 0, 0, 0, 0, 0, 0, 2], 2u64),
        ([1, 0, 0, 0, 0, 0, 0, 0], 1 << 56),
        ([0xFF; 8], u64::MAX),
    ] {
        let msg = wrap(&raw(INNER, 0x06, 8, &bytes));
        assert_eq!(
            decode_default(&msg),
            Err(DecodeError::BadBoolean {
                tag: Tag(0x420094),
                value,
                offset: 8
            })
        );
    }
}

#[test]
fn non_zero_padding_is_rejected_for_every_padded_type() {
    let cases: [(u8, u32, [u8; 8]); 5] = [
        (0x02, 4, [0, 0, 0, 1, 0, 0, 0, 1]),
        (0x05, 4, [0, 0, 0, 1, 0x80, 0, 0, 0]),
        (0x0A, 4, [0, 0, 0, 1, 0, 0, 1, 0]),
        (0x07, 5, [b'h', b'e', b'l', b'l', b'o', 0, 0, b'!']),
        (0x08, 1, [1, 0, 0, 0, 0, 0, 0, 0xFF]),
    ];
    for (item_type, len, value) in cases {
        let msg = wrap(&raw(INNER, item_type, len, &value));
        assert_eq!(
            decode_default(&msg),
            Err(DecodeError::BadPadding {
                tag: Tag(0x420094),
                offset: 8
            }),
            "type 0x{item_type:02x}"
        );
        // The same item with clean padding decodes, so padding alone was at fault.
        let mut clean = value;
        for b in clean.iter_mut().skip(len as usize) {
            *b = 0;
        }
        assert!(decode_default(&wrap(&raw(INNER, item_type, len, &clean))).is_ok());
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut msg = wrap(&raw(INNER, 0x02, 4, &[0, 0, 0, 1, 0, 0, 0, 0]));
    msg.extend_from_slice(&[0; 8]);
    assert_eq!(
        decode_default(&msg),
        Err(DecodeError::TrailingBytes { extra: 8 })
    );
    let mut one = raw(INNER, 0x03, 8, &[0; 8]);
    one.push(0);
    assert_eq!(
        decode_default(&one),
        Err(DecodeError::TrailingBytes { extra: 1 })
    );
}

#[test]
fn wrong_fixed_lengths_are_bad_length() {
    let cases: [(u8, ItemType, &[u32]); 8] = [
        (0x02, ItemType::Integer, &[0, 3, 5, 8]),
        (0x03, ItemType::LongInteger, &[0, 4, 7, 16]),
        (0x05, ItemType::Enumeration, &[0, 8]),
        (0x06, ItemType::Boolean, &[1, 4]),
        (0x09, ItemType::DateTime, &[4]),
        (0x0A, ItemType::Interval, &[8]),
        (0x0B, ItemType::DateTimeExtended, &[4]),
        (0x04, ItemType::BigInteger, &[1, 7, 9, 12]),
    ];
    for (type_byte, item_type, lens) in cases {
        for &len in lens {
            let msg = wrap(&raw(INNER, type_byte, len, &[0; 16]));
            assert_eq!(
                decode_default(&msg),
                Err(DecodeError::BadLength {
                    tag: Tag(0x420094),
                    item_type,
                    len: len as usize,
                    offset: 8
                }),
                "{item_type:?} with length {len}"
            );
        }
    }
}

#[test]
fn unknown_type_bytes_are_rejected() {
    for type_byte in [0x00, 0x0C, 0x42, 0xFF] {
        let msg = wrap(&raw(INNER, type_byte, 4, &[0; 8]));
        assert_eq!(
            decode_default(&msg),
            Err(DecodeError::UnknownItemType {
                tag: Tag(0x420094),
                item_type: type_byte,
                offset: 8
            })
        );
    }
}

#[test]
fn oversized_primitives_are_item_too_large() {
    let limits = Limits {
        max_item_len: 16,
        ..Limits::default()
    };
    for type_byte in [0x04, 0x07, 0x08] {
        let msg = wrap(&raw(INNER, type_byte, 24, &[b'a'; 24]));
        assert_eq!(
            decode(&msg, &limits),
            Err(DecodeError::ItemTooLarge {
                tag: Tag(0x420094),
                offset: 8,
                len: 24,
                max: 16
            })
        );
        assert!(decode(&wrap(&raw(INNER, type_byte, 16, &[b'a'; 16])), &limits).is_ok());
    }
}

#[test]
fn truncated_input_is_truncated() {
    let full = wrap(&raw(INNER, 0x02, 4, &[0, 0, 0, 1, 0, 0, 0, 0]));
    assert_eq!(
        decode_default(&[]),
        Err(DecodeError::Truncated {
            offset: 0,
            needed: 8
        })
    );
    assert_eq!(
        decode_default(&full[..5]),
        Err(DecodeError::Truncated {
            offset: 0,
            needed: 3
        })
    );
    for cut in 8..full.len() {
        assert!(
            matches!(
                decode_default(&full[..cut]),
                Err(DecodeError::Truncated { offset: 0, .. })
            ),
            "cut at {cut}"
        );
    }
    // A lone primitive whose padding is missing.
    let short = raw(INNER, 0x07, 3, b"abc");
    assert_eq!(
        decode_default(&short),
        Err(DecodeError::Truncated {
            offset: 0,
            needed: 5
        })
    );
}

#[test]
fn children_that_do_not_fill_their_structure_exactly_overrun() {
    let int = raw(INNER, 0x02, 4, &[0, 0, 0, 1, 0, 0, 0, 0]);
    // The structure claims 8 bytes but its child needs 16.
    let mut short = raw(OUTER, 0x01, 8, &[]);
    short.extend_from_slice(&int);
    let mut msg = raw([0x42, 0x00, 0x01], 0x01, 24, &[]);
    msg.extend_from_slice(&short);
    assert_eq!(
        decode_default(&msg),
        Err(DecodeError::StructureOverrun {
            tag: Tag(0x420078),
            offset: 8
        })
    );
    // A structure whose remaining space is smaller than a header.
    let mut gap = raw(OUTER, 0x01, 20, &[]);
    gap.extend_from_slice(&int);
    gap.extend_from_slice(&[0; 4]);
    assert_eq!(
        decode_default(&gap),
        Err(DecodeError::StructureOverrun {
            tag: Tag(0x420078),
            offset: 0
        })
    );
}

#[test]
fn peek_refuses_primitives_and_accepts_structures() {
    let limits = Limits::default();
    let int: [u8; 8] = raw(INNER, 0x02, 4, &[])[..8].try_into().expect("8 bytes");
    assert_eq!(
        peek_message_length(&int, &limits),
        Err(DecodeError::NotAStructure {
            tag: Tag(0x420094),
            item_type: 0x02
        })
    );
    let msg = wrap(&raw(INNER, 0x02, 4, &[0, 0, 0, 1, 0, 0, 0, 0]));
    let header: [u8; 8] = msg[..8].try_into().expect("8 bytes");
    assert_eq!(peek_message_length(&header, &limits), Ok(msg.len()));
}
