//! A deliberately small, independent TTLV codec for tests.
//!
//! It is separate from `keywarden-kmip` on purpose: tests must be able to write bytes the
//! product's encoder would never produce (bad lengths, wrong types, invalid UTF-8), and an
//! independent decoder does not share the product's bugs when it checks the product's answers.

use anyhow::{Context, Result, bail, ensure};

/// Item type bytes (KMIP 1.4 §9.1.1.2).
pub mod item_type {
    /// Structure.
    pub const STRUCTURE: u8 = 0x01;
    /// 32-bit integer.
    pub const INTEGER: u8 = 0x02;
    /// 64-bit integer.
    pub const LONG_INTEGER: u8 = 0x03;
    /// Big integer.
    pub const BIG_INTEGER: u8 = 0x04;
    /// Enumeration.
    pub const ENUMERATION: u8 = 0x05;
    /// Boolean.
    pub const BOOLEAN: u8 = 0x06;
    /// Text string.
    pub const TEXT_STRING: u8 = 0x07;
    /// Byte string.
    pub const BYTE_STRING: u8 = 0x08;
    /// Date-time.
    pub const DATE_TIME: u8 = 0x09;
    /// Interval.
    pub const INTERVAL: u8 = 0x0A;
    /// Date-time extended (KMIP 2.0).
    pub const DATE_TIME_EXTENDED: u8 = 0x0B;
}

/// One decoded or to-be-encoded TTLV item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The 3-byte tag, e.g. `0x420078`.
    pub tag: u32,
    /// The value; its variant is the item type.
    pub value: Value,
}

/// A TTLV value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Nested items.
    Structure(Vec<Item>),
    /// 32-bit integer.
    Integer(i32),
    /// 64-bit integer.
    LongInteger(i64),
    /// Big-endian two's complement bytes.
    BigInteger(Vec<u8>),
    /// Enumeration.
    Enumeration(u32),
    /// Boolean.
    Boolean(bool),
    /// UTF-8 text.
    Text(String),
    /// Opaque bytes.
    Bytes(Vec<u8>),
    /// Seconds since the epoch.
    DateTime(i64),
    /// Seconds.
    Interval(u32),
    /// Microseconds since the epoch.
    DateTimeExtended(i64),
}

/// A structure item.
pub fn structure(tag: u32, children: Vec<Item>) -> Item {
    Item {
        tag,
        value: Value::Structure(children),
    }
}

/// An integer item.
pub fn int(tag: u32, v: i32) -> Item {
    Item {
        tag,
        value: Value::Integer(v),
    }
}

/// An enumeration item.
pub fn enumeration(tag: u32, v: u32) -> Item {
    Item {
        tag,
        value: Value::Enumeration(v),
    }
}

/// A text string item.
pub fn text(tag: u32, v: &str) -> Item {
    Item {
        tag,
        value: Value::Text(v.to_string()),
    }
}

/// A byte string item.
pub fn bytes(tag: u32, v: &[u8]) -> Item {
    Item {
        tag,
        value: Value::Bytes(v.to_vec()),
    }
}

/// A boolean item.
pub fn boolean(tag: u32, v: bool) -> Item {
    Item {
        tag,
        value: Value::Boolean(v),
    }
}

/// Writes one item header: 3-byte tag, type byte, 4-byte length.
pub fn header(out: &mut Vec<u8>, tag: u32, item_type: u8, len: u32) {
    out.extend_from_slice(&tag.to_be_bytes()[1..]);
    out.push(item_type);
    out.extend_from_slice(&len.to_be_bytes());
}

/// Writes an item with an arbitrary (possibly wrong) type and length around `payload`,
/// padded to 8 bytes. For crafting malformed input.
pub fn raw_item(tag: u32, item_type: u8, len: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len() + 8);
    header(&mut out, tag, item_type, len);
    out.extend_from_slice(payload);
    out.resize(out.len() + pad(payload.len()), 0);
    out
}

fn pad(len: usize) -> usize {
    (8 - len % 8) % 8
}

/// Encodes an item to bytes.
pub fn encode(item: &Item) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(item, &mut out);
    out
}

fn encode_into(item: &Item, out: &mut Vec<u8>) {
    let fixed = |out: &mut Vec<u8>, t: u8, b: &[u8]| {
        header(out, item.tag, t, b.len() as u32);
        out.extend_from_slice(b);
        out.resize(out.len() + pad(b.len()), 0);
    };
    match &item.value {
        Value::Structure(children) => {
            let start = out.len();
            header(out, item.tag, item_type::STRUCTURE, 0);
            for child in children {
                encode_into(child, out);
            }
            let len = (out.len() - start - 8) as u32;
            out[start + 4..start + 8].copy_from_slice(&len.to_be_bytes());
        }
        Value::Integer(v) => fixed(out, item_type::INTEGER, &v.to_be_bytes()),
        Value::LongInteger(v) => fixed(out, item_type::LONG_INTEGER, &v.to_be_bytes()),
        Value::BigInteger(v) => fixed(out, item_type::BIG_INTEGER, v),
        Value::Enumeration(v) => fixed(out, item_type::ENUMERATION, &v.to_be_bytes()),
        Value::Boolean(v) => fixed(out, item_type::BOOLEAN, &u64::from(*v).to_be_bytes()),
        Value::Text(v) => fixed(out, item_type::TEXT_STRING, v.as_bytes()),
        Value::Bytes(v) => fixed(out, item_type::BYTE_STRING, v),
        Value::DateTime(v) => fixed(out, item_type::DATE_TIME, &v.to_be_bytes()),
        Value::Interval(v) => fixed(out, item_type::INTERVAL, &v.to_be_bytes()),
        Value::DateTimeExtended(v) => fixed(out, item_type::DATE_TIME_EXTENDED, &v.to_be_bytes()),
    }
}

/// Deepest nesting this decoder follows; responses are never this deep.
const MAX_DEPTH: usize = 64;

/// Decodes exactly one item that spans all of `bytes`.
pub fn decode(bytes: &[u8]) -> Result<Item> {
    let (item, used) = decode_at(bytes, 0, 0)?;
    ensure!(
        used == bytes.len(),
        "{} trailing bytes after the TTLV item",
        bytes.len() - used
    );
    Ok(item)
}

fn decode_at(bytes: &[u8], offset: usize, depth: usize) -> Result<(Item, usize)> {
    ensure!(depth < MAX_DEPTH, "nesting deeper than {MAX_DEPTH}");
    let head = bytes
        .get(offset..offset + 8)
        .with_context(|| format!("truncated item header at offset {offset}"))?;
    let tag = u32::from_be_bytes([0, head[0], head[1], head[2]]);
    let ty = head[3];
    let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let start = offset + 8;
    let body = bytes
        .get(start..start + len)
        .with_context(|| format!("item 0x{tag:06x} at {offset}: length {len} overruns input"))?;
    let padded = if ty == item_type::STRUCTURE {
        len
    } else {
        len + pad(len)
    };
    ensure!(
        start + padded <= bytes.len(),
        "item 0x{tag:06x} at {offset}: padding overruns input"
    );
    let fixed8 = |what: &str| -> Result<[u8; 8]> {
        body.try_into()
            .map_err(|_| anyhow::anyhow!("item 0x{tag:06x}: {what} with length {len}"))
    };
    let fixed4 = |what: &str| -> Result<[u8; 4]> {
        body.try_into()
            .map_err(|_| anyhow::anyhow!("item 0x{tag:06x}: {what} with length {len}"))
    };
    let value = match ty {
        item_type::STRUCTURE => {
            let mut children = Vec::new();
            let mut pos = start;
            while pos < start + len {
                let (child, used) = decode_at(&bytes[..start + len], pos, depth + 1)?;
                children.push(child);
                pos += used;
            }
            Value::Structure(children)
        }
        item_type::INTEGER => Value::Integer(i32::from_be_bytes(fixed4("integer")?)),
        item_type::LONG_INTEGER => Value::LongInteger(i64::from_be_bytes(fixed8("long")?)),
        item_type::BIG_INTEGER => Value::BigInteger(body.to_vec()),
        item_type::ENUMERATION => Value::Enumeration(u32::from_be_bytes(fixed4("enum")?)),
        item_type::BOOLEAN => Value::Boolean(u64::from_be_bytes(fixed8("boolean")?) != 0),
        item_type::TEXT_STRING => Value::Text(
            String::from_utf8(body.to_vec())
                .with_context(|| format!("item 0x{tag:06x}: text is not UTF-8"))?,
        ),
        item_type::BYTE_STRING => Value::Bytes(body.to_vec()),
        item_type::DATE_TIME => Value::DateTime(i64::from_be_bytes(fixed8("date-time")?)),
        item_type::INTERVAL => Value::Interval(u32::from_be_bytes(fixed4("interval")?)),
        item_type::DATE_TIME_EXTENDED => {
            Value::DateTimeExtended(i64::from_be_bytes(fixed8("date-time extended")?))
        }
        other => bail!("item 0x{tag:06x} at {offset}: unknown item type 0x{other:02x}"),
    };
    Ok((Item { tag, value }, 8 + padded))
}

impl Item {
    /// The children of a structure (empty for primitives).
    pub fn children(&self) -> &[Item] {
        match &self.value {
            Value::Structure(c) => c,
            _ => &[],
        }
    }

    /// The first direct child with `tag`.
    pub fn child(&self, tag: u32) -> Option<&Item> {
        self.children().iter().find(|c| c.tag == tag)
    }

    /// All direct children with `tag`.
    pub fn all(&self, tag: u32) -> impl Iterator<Item = &Item> {
        self.children().iter().filter(move |c| c.tag == tag)
    }

    /// The first item with `tag` anywhere below (depth-first), this item excluded.
    pub fn find(&self, tag: u32) -> Option<&Item> {
        for c in self.children() {
            if c.tag == tag {
                return Some(c);
            }
            if let Some(found) = c.find(tag) {
                return Some(found);
            }
        }
        None
    }

    /// The value as an enumeration.
    pub fn as_enum(&self) -> Option<u32> {
        match self.value {
            Value::Enumeration(v) => Some(v),
            _ => None,
        }
    }

    /// The value as an integer.
    pub fn as_int(&self) -> Option<i32> {
        match self.value {
            Value::Integer(v) => Some(v),
            _ => None,
        }
    }

    /// The value as text.
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(v) => Some(v),
            _ => None,
        }
    }

    /// The value as bytes.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.value {
            Value::Bytes(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encodes_the_kmip_spec_example() {
        // KMIP 1.4 §9.1.2 examples: an Integer 8 and a Text String "Hello World".
        assert_eq!(
            encode(&int(0x420020, 8)),
            hex("42 00 20 02 00 00 00 04 00 00 00 08 00 00 00 00")
        );
        assert_eq!(
            encode(&text(0x420020, "Hello World")),
            hex("42 00 20 07 00 00 00 0B 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 00")
        );
        assert_eq!(
            encode(&structure(
                0x420020,
                vec![enumeration(0x420004, 254), int(0x420005, 255)]
            )),
            hex(
                "42 00 20 01 00 00 00 20 42 00 04 05 00 00 00 04 00 00 00 FE 00 00 00 00 \
                 42 00 05 02 00 00 00 04 00 00 00 FF 00 00 00 00"
            )
        );
    }

    #[test]
    fn rejects_truncation_and_trailing_bytes() {
        let good = encode(&text(0x420020, "Hello World"));
        assert!(decode(&good[..good.len() - 1]).is_err());
        let mut long = good.clone();
        long.push(0);
        assert!(decode(&long).is_err());
        assert!(decode(&raw_item(0x420020, 0x0C, 4, &[0, 0, 0, 1])).is_err());
    }

    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("test hex"))
            .collect()
    }

    fn leaf() -> impl Strategy<Value = Item> {
        let tag = 0x420001u32..0x420200;
        prop_oneof![
            (tag.clone(), any::<i32>()).prop_map(|(t, v)| int(t, v)),
            (tag.clone(), any::<u32>()).prop_map(|(t, v)| enumeration(t, v)),
            (tag.clone(), ".{0,20}").prop_map(|(t, v)| text(t, &v)),
            (tag.clone(), proptest::collection::vec(any::<u8>(), 0..40))
                .prop_map(|(t, v)| bytes(t, &v)),
            (tag, any::<bool>()).prop_map(|(t, v)| boolean(t, v)),
        ]
    }

    proptest! {
        #[test]
        fn round_trips(item in leaf().prop_recursive(4, 32, 6, |inner| {
            (0x420001u32..0x420200, proptest::collection::vec(inner, 0..6))
                .prop_map(|(t, c)| structure(t, c))
        })) {
            let bytes = encode(&item);
            prop_assert_eq!(bytes.len() % 8, 0);
            prop_assert_eq!(decode(&bytes).expect("own encoding decodes"), item);
        }
    }
}
