//! Encoder and decoder of binary TTLV (KMIP 1.x/2.x §9.1).
//!
//! The decoder is iterative: an explicit stack of open structures replaces recursion, so hostile
//! nesting can exhaust neither the call stack nor memory. Every length is compared with the
//! bytes that remain and with [`Limits`] before anything is allocated for it. The encoder
//! computes the exact size first, reserves once, and back-patches structure lengths.

use super::{DecodeError, ItemType, Limits, Tag, Ttlv, Value};
use zeroize::Zeroizing;

/// Size of a TTLV item header: tag (3), type (1), length (4).
pub const HEADER_LEN: usize = 8;

/// Rounds a value length up to the 8-byte alignment of TTLV.
#[inline]
fn padded(len: usize) -> usize {
    // Saturating, so a hostile length near `usize::MAX` (32-bit targets) cannot wrap to a small
    // value; the result is then compared with the bytes available and refused.
    len.checked_add(7).map_or(usize::MAX, |l| l & !7)
}

/// A structure whose header has been read and whose children are being collected.
struct OpenStructure {
    tag: Tag,
    offset: usize,
    end: usize,
    items: Vec<Ttlv>,
}

/// Decodes exactly one TTLV item spanning all of `bytes`, enforcing `limits` before allocating.
///
/// Strict: fixed-size values must have their exact length, padding must be zero, booleans 0 or
/// 1, text UTF-8, a structure's children must fill it exactly, and nothing may follow the item.
/// Hence an accepted input is the one canonical encoding of its tree: `encode(&decode(b)?) == b`.
///
/// # Errors
///
/// The first fault found, in wire order, as the [`DecodeError`] variant that names it; limits
/// are [`DecodeError::MessageTooLarge`], [`DecodeError::ItemTooLarge`], [`DecodeError::TooDeep`]
/// and [`DecodeError::TooManyItems`].
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Ttlv, DecodeError> {
    if bytes.len() > limits.max_message {
        return Err(DecodeError::MessageTooLarge {
            len: bytes.len(),
            max: limits.max_message,
        });
    }
    // Eight levels cover well-formed KMIP messages without regrowing.
    let mut stack: Vec<OpenStructure> = Vec::with_capacity(limits.max_depth.min(8));
    let mut pos = 0usize;
    let mut count = 0usize;
    loop {
        // Close every structure that ends here; the last close at depth 0 is the result.
        while let Some(top) = stack.last() {
            if pos != top.end {
                break;
            }
            let Some(done) = stack.pop() else { break };
            let item = Ttlv {
                tag: done.tag,
                value: Value::Structure(done.items),
            };
            match stack.last_mut() {
                Some(parent) => parent.items.push(item),
                None => return Ok(item),
            }
        }

        let end = stack.last().map_or(bytes.len(), |s| s.end);
        let offset = pos;
        let avail = end - offset;
        let header = match bytes.get(offset..offset + HEADER_LEN) {
            Some(h) if avail >= HEADER_LEN => h,
            _ => {
                return Err(overrun(
                    stack.last(),
                    offset,
                    HEADER_LEN.saturating_sub(avail),
                ));
            }
        };
        let word = u64::from_be_bytes(array8(header));
        let tag = Tag((word >> 40) as u32);
        let type_byte = (word >> 32) as u8;
        let len = (word as u32) as usize;

        count += 1;
        if count > limits.max_items {
            return Err(DecodeError::TooManyItems {
                max: limits.max_items,
            });
        }
        let Some(item_type) = ItemType::from_byte(type_byte) else {
            return Err(DecodeError::UnknownItemType {
                tag,
                item_type: type_byte,
                offset,
            });
        };

        if item_type == ItemType::Structure {
            if stack.is_empty() {
                let total = HEADER_LEN.saturating_add(len);
                if total > limits.max_message {
                    return Err(DecodeError::MessageTooLarge {
                        len: total,
                        max: limits.max_message,
                    });
                }
                if total < bytes.len() {
                    return Err(DecodeError::TrailingBytes {
                        extra: bytes.len() - total,
                    });
                }
            }
            if len > avail - HEADER_LEN {
                return Err(overrun(stack.last(), offset, len - (avail - HEADER_LEN)));
            }
            if stack.len() >= limits.max_depth {
                return Err(DecodeError::TooDeep {
                    offset,
                    max: limits.max_depth,
                });
            }
            pos = offset + HEADER_LEN;
            let end = pos + len;
            let items = Vec::with_capacity(count_children(bytes, pos, end));
            stack.push(OpenStructure {
                tag,
                offset,
                end,
                items,
            });
            continue;
        }

        let value = decode_primitive(bytes, limits, tag, item_type, len, offset, end).map_err(
            |e| match (e, stack.last()) {
                (DecodeError::Truncated { .. }, Some(s)) => overrun(Some(s), offset, 0),
                (e, _) => e,
            },
        )?;
        // The value fitted in `end`, so this neither overflows nor passes the input's end.
        pos = offset + HEADER_LEN + padded(len);
        let item = Ttlv { tag, value };
        match stack.last_mut() {
            Some(parent) => parent.items.push(item),
            None => {
                if pos < bytes.len() {
                    return Err(DecodeError::TrailingBytes {
                        extra: bytes.len() - pos,
                    });
                }
                return Ok(item);
            }
        }
    }
}

/// How many direct children the structure body `bytes[start..end]` appears to hold, so its
/// vector is allocated once at the right size.
///
/// Only the children's headers are read (each child is skipped by its length), so over a whole
/// message this costs one extra header read per item. Malformed bodies are not judged here: the
/// count stops at the first header that does not fit and the decoder reports the fault later.
/// The result is at most `(end - start) / 8`, so it never allocates beyond the input's size.
fn count_children(bytes: &[u8], start: usize, end: usize) -> usize {
    let mut pos = start;
    let mut count = 0;
    while end - pos >= HEADER_LEN {
        let Some(h) = bytes.get(pos..pos + HEADER_LEN) else {
            break;
        };
        let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let body = if h[3] == ItemType::Structure as u8 {
            len
        } else {
            padded(len)
        };
        count += 1;
        match body.checked_add(HEADER_LEN) {
            Some(step) if step <= end - pos => pos += step,
            _ => break,
        }
    }
    count
}

/// The error for an item that does not fit: inside a structure it overruns the structure, at the
/// top level the input is too short.
fn overrun(parent: Option<&OpenStructure>, offset: usize, needed: usize) -> DecodeError {
    match parent {
        Some(s) => DecodeError::StructureOverrun {
            tag: s.tag,
            offset: s.offset,
        },
        None => DecodeError::Truncated { offset, needed },
    }
}

/// Decodes the value of a non-structure item whose header starts at `offset`; `end` is the end
/// of the enclosing structure (or of the input).
///
/// Fixed-size values are read as one 8-byte word (value and padding together); the checks run
/// in the order: length for the type, the per-item limit, bytes present, padding, content.
fn decode_primitive(
    bytes: &[u8],
    limits: &Limits,
    tag: Tag,
    item_type: ItemType,
    len: usize,
    offset: usize,
    end: usize,
) -> Result<Value, DecodeError> {
    let value_start = offset + HEADER_LEN;
    let avail = end - value_start;
    let bad_length = || DecodeError::BadLength {
        tag,
        item_type,
        len,
        offset,
    };
    let truncated = |padded_len: usize| DecodeError::Truncated {
        offset,
        needed: padded_len.saturating_sub(avail),
    };
    match item_type {
        ItemType::Integer
        | ItemType::Enumeration
        | ItemType::Interval
        | ItemType::LongInteger
        | ItemType::Boolean
        | ItemType::DateTime
        | ItemType::DateTimeExtended => {
            let four = matches!(
                item_type,
                ItemType::Integer | ItemType::Enumeration | ItemType::Interval
            );
            if len != if four { 4 } else { 8 } {
                return Err(bad_length());
            }
            let word = match bytes.get(value_start..value_start + 8) {
                Some(w) if avail >= 8 => u64::from_be_bytes(array8(w)),
                _ => return Err(truncated(8)),
            };
            if four && word as u32 != 0 {
                return Err(DecodeError::BadPadding { tag, offset });
            }
            let high = (word >> 32) as u32;
            Ok(match item_type {
                ItemType::Integer => Value::Integer(high as i32),
                ItemType::Enumeration => Value::Enumeration(high),
                ItemType::Interval => Value::Interval(high),
                ItemType::LongInteger => Value::LongInteger(word as i64),
                ItemType::DateTime => Value::DateTime(word as i64),
                ItemType::DateTimeExtended => Value::DateTimeExtended(word as i64),
                _ => match word {
                    0 => Value::Boolean(false),
                    1 => Value::Boolean(true),
                    value => return Err(DecodeError::BadBoolean { tag, value, offset }),
                },
            })
        }
        ItemType::BigInteger | ItemType::TextString | ItemType::ByteString => {
            if item_type == ItemType::BigInteger && !len.is_multiple_of(8) {
                return Err(bad_length());
            }
            if len > limits.max_item_len {
                return Err(DecodeError::ItemTooLarge {
                    tag,
                    offset,
                    len,
                    max: limits.max_item_len,
                });
            }
            let padded_len = padded(len);
            let raw = match bytes.get(value_start..value_start.saturating_add(padded_len)) {
                Some(r) if padded_len <= avail => r,
                // Inside a structure the caller turns this into StructureOverrun.
                _ => return Err(truncated(padded_len)),
            };
            let pad = padded_len - len;
            if pad > 0 {
                // The padding is the low end of the last 8-byte word.
                let tail = raw
                    .get(padded_len - 8..)
                    .map_or(0, |t| u64::from_be_bytes(array8(t)));
                if tail & ((1u64 << (pad * 8)) - 1) != 0 {
                    return Err(DecodeError::BadPadding { tag, offset });
                }
            }
            let data = raw.get(..len).unwrap_or_default();
            Ok(match item_type {
                ItemType::BigInteger => Value::BigInteger(Zeroizing::new(data.to_vec())),
                ItemType::ByteString => Value::ByteString(Zeroizing::new(data.to_vec())),
                _ => match std::str::from_utf8(data) {
                    Ok(text) => Value::TextString(text.to_owned()),
                    Err(_) => return Err(DecodeError::InvalidUtf8 { tag, offset }),
                },
            })
        }
        ItemType::Structure => Err(bad_length()),
    }
}

#[inline]
fn array8(data: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(data);
    a
}

/// Encodes an item to a new buffer of exactly the right size.
///
/// Tags are written as their low 24 bits. A [`Value::BigInteger`] whose length is not a multiple
/// of 8 is sign-extended on the left to the next multiple, as the wire format requires; every
/// other value is written as is, so `decode(&encode(x)) == x` for any tree whose big integers
/// are already padded.
///
/// # Panics
///
/// If a single value or structure exceeds the 4 GiB a TTLV length field can express.
pub fn encode(item: &Ttlv) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_len(item));
    write_item(item, &mut out);
    out
}

/// Appends the encoding of an item to `out`, reserving the exact size first.
///
/// # Panics
///
/// As [`encode`].
pub fn encode_into(item: &Ttlv, out: &mut Vec<u8>) {
    out.reserve(encoded_len(item));
    write_item(item, out);
}

/// The number of bytes [`encode`] produces for `item`, header and padding included.
pub fn encoded_len(item: &Ttlv) -> usize {
    HEADER_LEN
        + match &item.value {
            Value::Structure(items) => items.iter().map(encoded_len).sum(),
            Value::Integer(_)
            | Value::Enumeration(_)
            | Value::Interval(_)
            | Value::LongInteger(_)
            | Value::Boolean(_)
            | Value::DateTime(_)
            | Value::DateTimeExtended(_) => 8,
            Value::BigInteger(b) => padded(b.len()),
            Value::TextString(s) => padded(s.len()),
            Value::ByteString(b) => padded(b.len()),
        }
}

/// Converts a value length to the 4-byte wire field.
///
/// # Panics
///
/// If the length exceeds `u32::MAX`: such a value cannot be expressed in TTLV, and no message
/// this crate builds comes near it.
#[inline]
fn wire_len(len: usize) -> [u8; 4] {
    match u32::try_from(len) {
        Ok(l) => l.to_be_bytes(),
        Err(_) => panic!("TTLV value of {len} bytes exceeds the 4 GiB the length field allows"),
    }
}

#[inline]
fn write_header(out: &mut Vec<u8>, tag: Tag, item_type: ItemType, len: usize) {
    let t = tag.0.to_be_bytes();
    let l = wire_len(len);
    out.extend_from_slice(&[t[1], t[2], t[3], item_type as u8, l[0], l[1], l[2], l[3]]);
}

#[inline]
fn write_padded(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(data);
    let pad = padded(data.len()) - data.len();
    out.extend_from_slice(&[0u8; 8][..pad]);
}

fn write_item(item: &Ttlv, out: &mut Vec<u8>) {
    let tag = item.tag;
    match &item.value {
        Value::Structure(items) => {
            let start = out.len();
            write_header(out, tag, ItemType::Structure, 0);
            for child in items {
                write_item(child, out);
            }
            let len = wire_len(out.len() - start - HEADER_LEN);
            out[start + 4..start + 8].copy_from_slice(&len);
        }
        Value::Integer(v) => write_four(out, tag, ItemType::Integer, v.to_be_bytes()),
        Value::Enumeration(v) => write_four(out, tag, ItemType::Enumeration, v.to_be_bytes()),
        Value::Interval(v) => write_four(out, tag, ItemType::Interval, v.to_be_bytes()),
        Value::LongInteger(v) => write_eight(out, tag, ItemType::LongInteger, v.to_be_bytes()),
        Value::DateTime(v) => write_eight(out, tag, ItemType::DateTime, v.to_be_bytes()),
        Value::DateTimeExtended(v) => {
            write_eight(out, tag, ItemType::DateTimeExtended, v.to_be_bytes())
        }
        Value::Boolean(v) => write_eight(out, tag, ItemType::Boolean, u64::from(*v).to_be_bytes()),
        Value::TextString(s) => {
            write_header(out, tag, ItemType::TextString, s.len());
            write_padded(out, s.as_bytes());
        }
        Value::ByteString(b) => {
            write_header(out, tag, ItemType::ByteString, b.len());
            write_padded(out, b);
        }
        Value::BigInteger(b) => {
            // The wire wants a multiple of 8: sign-extend on the left, as §9.1.1.4 requires.
            let len = padded(b.len());
            write_header(out, tag, ItemType::BigInteger, len);
            let fill = if b.first().is_some_and(|&x| x & 0x80 != 0) {
                0xFF
            } else {
                0x00
            };
            out.extend_from_slice(&[fill; 8][..len - b.len()]);
            out.extend_from_slice(b);
        }
    }
}

#[inline]
fn write_four(out: &mut Vec<u8>, tag: Tag, item_type: ItemType, v: [u8; 4]) {
    let t = tag.0.to_be_bytes();
    out.extend_from_slice(&[
        t[1],
        t[2],
        t[3],
        item_type as u8,
        0,
        0,
        0,
        4,
        v[0],
        v[1],
        v[2],
        v[3],
        0,
        0,
        0,
        0,
    ]);
}

#[inline]
fn write_eight(out: &mut Vec<u8>, tag: Tag, item_type: ItemType, v: [u8; 8]) {
    let t = tag.0.to_be_bytes();
    out.extend_from_slice(&[
        t[1],
        t[2],
        t[3],
        item_type as u8,
        0,
        0,
        0,
        8,
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        v[5],
        v[6],
        v[7],
    ]);
}

/// Reads the 8-byte header of a message and returns its total length (header included),
/// refusing a header that is not a structure or a length above `limits.max_message`.
pub fn peek_message_length(header: &[u8; 8], limits: &Limits) -> Result<usize, DecodeError> {
    let tag = Tag(u32::from_be_bytes([0, header[0], header[1], header[2]]));
    if header[3] != ItemType::Structure as u8 {
        return Err(DecodeError::NotAStructure {
            tag,
            item_type: header[3],
        });
    }
    let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
    let total = HEADER_LEN + len;
    if total > limits.max_message {
        return Err(DecodeError::MessageTooLarge {
            len: total,
            max: limits.max_message,
        });
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    //! The byte vectors are the examples of KMIP 1.4 §9.1.2, written out by hand.

    use super::*;

    const T: Tag = Tag(0x420020);

    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| {
                let text = std::str::from_utf8(pair).unwrap_or("00");
                u8::from_str_radix(text, 16).unwrap_or(0)
            })
            .collect()
    }

    fn both_ways(bytes: &str, value: Value) {
        let bytes = hex(bytes);
        let item = Ttlv::new(T, value);
        assert_eq!(encode(&item), bytes, "encoding of {item:?}");
        assert_eq!(encoded_len(&item), bytes.len());
        assert_eq!(decode(&bytes, &Limits::default()), Ok(item));
    }

    #[test]
    fn integer() {
        both_ways(
            "42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00",
            Value::Integer(8),
        );
        both_ways(
            "42 00 20 | 02 | 00 00 00 04 | FF FF FF FF 00 00 00 00",
            Value::Integer(-1),
        );
    }

    #[test]
    fn long_integer() {
        both_ways(
            "42 00 20 | 03 | 00 00 00 08 | 01 B6 9B 4B A5 74 92 00",
            Value::LongInteger(123_456_789_000_000_000),
        );
    }

    #[test]
    fn big_integer() {
        let raw = hex("00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00");
        both_ways(
            "42 00 20 | 04 | 00 00 00 10 | 00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00",
            Value::BigInteger(Zeroizing::new(raw)),
        );
    }

    #[test]
    fn big_integer_is_sign_extended_on_encode() {
        let short = Ttlv::new(T, Value::BigInteger(Zeroizing::new(vec![0x80, 0x01])));
        assert_eq!(
            encode(&short),
            hex("42 00 20 | 04 | 00 00 00 08 | FF FF FF FF FF FF 80 01")
        );
        let positive = Ttlv::new(T, Value::BigInteger(Zeroizing::new(vec![0x7F])));
        assert_eq!(
            encode(&positive),
            hex("42 00 20 | 04 | 00 00 00 08 | 00 00 00 00 00 00 00 7F")
        );
    }

    #[test]
    fn enumeration() {
        both_ways(
            "42 00 20 | 05 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
            Value::Enumeration(255),
        );
    }

    #[test]
    fn boolean() {
        both_ways(
            "42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01",
            Value::Boolean(true),
        );
        both_ways(
            "42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 00",
            Value::Boolean(false),
        );
    }

    #[test]
    fn text_string() {
        both_ways(
            "42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 00",
            Value::TextString("Hello World".to_owned()),
        );
        both_ways(
            "42 00 20 | 07 | 00 00 00 00",
            Value::TextString(String::new()),
        );
    }

    #[test]
    fn byte_string() {
        both_ways(
            "42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 00",
            Value::ByteString(Zeroizing::new(vec![1, 2, 3])),
        );
        both_ways(
            "42 00 20 | 08 | 00 00 00 08 | 01 02 03 04 05 06 07 08",
            Value::ByteString(Zeroizing::new(vec![1, 2, 3, 4, 5, 6, 7, 8])),
        );
    }

    #[test]
    fn date_time() {
        // Friday, March 14, 2008, 11:56:40 GMT.
        both_ways(
            "42 00 20 | 09 | 00 00 00 08 | 00 00 00 00 47 DA 67 F8",
            Value::DateTime(1_205_495_800),
        );
    }

    #[test]
    fn interval() {
        // Ten days.
        both_ways(
            "42 00 20 | 0A | 00 00 00 04 | 00 0D 2F 00 00 00 00 00",
            Value::Interval(864_000),
        );
    }

    #[test]
    fn date_time_extended() {
        both_ways(
            "42 00 20 | 0B | 00 00 00 08 | 00 04 48 64 5C EF EE 00",
            Value::DateTimeExtended(1_205_495_800_000_000),
        );
    }

    #[test]
    fn structure() {
        both_ways(
            "42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 \
             | 42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
            Value::Structure(vec![
                Ttlv::new(Tag(0x420004), Value::Enumeration(254)),
                Ttlv::new(Tag(0x420005), Value::Integer(255)),
            ]),
        );
        both_ways("42 00 20 | 01 | 00 00 00 00", Value::Structure(Vec::new()));
    }

    #[test]
    fn nested_structures_close_together() {
        // Two structures ending at the same byte, followed by a sibling of the outer one.
        both_ways(
            "42 00 20 | 01 | 00 00 00 28 | 42 00 01 | 01 | 00 00 00 18 | 42 00 02 | 01 | 00 00 00 10 \
             | 42 00 03 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01 \
             | 42 00 04 | 01 | 00 00 00 00",
            Value::Structure(vec![
                Ttlv::structure(
                    Tag(0x420001),
                    vec![Ttlv::structure(
                        Tag(0x420002),
                        vec![Ttlv::new(Tag(0x420003), Value::Boolean(true))],
                    )],
                ),
                Ttlv::structure(Tag(0x420004), Vec::new()),
            ]),
        );
    }

    #[test]
    fn encode_into_appends() {
        let item = Ttlv::new(T, Value::Integer(8));
        let mut out = vec![0xAA];
        encode_into(&item, &mut out);
        assert_eq!(out[0], 0xAA);
        assert_eq!(&out[1..], encode(&item).as_slice());
    }

    #[test]
    fn peek_reads_structure_length() {
        let limits = Limits::default();
        let header = [0x42, 0x00, 0x78, 0x01, 0x00, 0x00, 0x01, 0x00];
        assert_eq!(peek_message_length(&header, &limits), Ok(8 + 256));
        let not_structure = [0x42, 0x00, 0x78, 0x02, 0x00, 0x00, 0x00, 0x04];
        assert!(matches!(
            peek_message_length(&not_structure, &limits),
            Err(DecodeError::NotAStructure {
                item_type: 0x02,
                ..
            })
        ));
        let huge = [0x42, 0x00, 0x78, 0x01, 0x06, 0x00, 0x00, 0x00];
        assert_eq!(
            peek_message_length(&huge, &limits),
            Err(DecodeError::MessageTooLarge {
                len: 8 + 0x0600_0000,
                max: limits.max_message
            })
        );
        let exact = Limits {
            max_message: 8 + 256,
            ..limits
        };
        assert_eq!(peek_message_length(&header, &exact), Ok(8 + 256));
        let below = Limits {
            max_message: 8 + 255,
            ..limits
        };
        assert!(peek_message_length(&header, &below).is_err());
    }

    #[test]
    fn child_lookup() {
        let item = Ttlv::structure(
            T,
            vec![
                Ttlv::new(Tag(0x420004), Value::Integer(1)),
                Ttlv::new(Tag(0x420005), Value::Integer(2)),
                Ttlv::new(Tag(0x420004), Value::Integer(3)),
            ],
        );
        assert_eq!(
            item.child(Tag(0x420005)).map(|c| &c.value),
            Some(&Value::Integer(2))
        );
        assert_eq!(item.children_with(Tag(0x420004)).count(), 2);
        assert_eq!(item.child(Tag(0x420006)), None);
        assert_eq!(item.item_type(), ItemType::Structure);
    }

    #[test]
    fn every_type_byte_maps_back() {
        for byte in 0u8..=255 {
            match ItemType::from_byte(byte) {
                Some(t) => assert_eq!(t as u8, byte),
                None => assert!(byte == 0 || byte > 0x0B),
            }
        }
    }
}
