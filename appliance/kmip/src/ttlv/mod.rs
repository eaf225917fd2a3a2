//! Binary TTLV (Tag-Type-Length-Value), the KMIP wire encoding.
//!
//! Every limit in [`Limits`] is checked before the memory it guards is allocated.

mod codec;

pub use codec::{HEADER_LEN, decode, encode, encode_into, encoded_len, peek_message_length};

use zeroize::Zeroizing;

/// A KMIP tag: three bytes on the wire, `0x42xxxx` for standard tags, `0x54xxxx` for extensions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u32);

/// The item type byte of a TTLV item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ItemType {
    /// A structure of nested items.
    Structure = 0x01,
    /// 32-bit signed integer.
    Integer = 0x02,
    /// 64-bit signed integer.
    LongInteger = 0x03,
    /// Big-endian two's complement integer, length a multiple of 8.
    BigInteger = 0x04,
    /// 32-bit unsigned enumeration value.
    Enumeration = 0x05,
    /// Boolean, 8 bytes on the wire.
    Boolean = 0x06,
    /// UTF-8 text.
    TextString = 0x07,
    /// Opaque bytes.
    ByteString = 0x08,
    /// Seconds since the Unix epoch, 64-bit.
    DateTime = 0x09,
    /// Seconds, 32-bit unsigned.
    Interval = 0x0A,
    /// Microseconds since the Unix epoch, 64-bit (KMIP 2.0+).
    DateTimeExtended = 0x0B,
}

impl ItemType {
    /// The item type for a wire type byte, or `None` when the byte is not defined.
    pub const fn from_byte(byte: u8) -> Option<ItemType> {
        Some(match byte {
            0x01 => ItemType::Structure,
            0x02 => ItemType::Integer,
            0x03 => ItemType::LongInteger,
            0x04 => ItemType::BigInteger,
            0x05 => ItemType::Enumeration,
            0x06 => ItemType::Boolean,
            0x07 => ItemType::TextString,
            0x08 => ItemType::ByteString,
            0x09 => ItemType::DateTime,
            0x0A => ItemType::Interval,
            0x0B => ItemType::DateTimeExtended,
            _ => return None,
        })
    }

    /// The spec's name of the type, as in the XML encoding's `type` attribute (e.g. "TextString").
    pub const fn name(self) -> &'static str {
        match self {
            ItemType::Structure => "Structure",
            ItemType::Integer => "Integer",
            ItemType::LongInteger => "LongInteger",
            ItemType::BigInteger => "BigInteger",
            ItemType::Enumeration => "Enumeration",
            ItemType::Boolean => "Boolean",
            ItemType::TextString => "TextString",
            ItemType::ByteString => "ByteString",
            ItemType::DateTime => "DateTime",
            ItemType::Interval => "Interval",
            ItemType::DateTimeExtended => "DateTimeExtended",
        }
    }

    /// The item type named `name` as in [`ItemType::name`].
    pub fn from_name(name: &str) -> Option<ItemType> {
        (0x01..=0x0B)
            .filter_map(ItemType::from_byte)
            .find(|t| t.name() == name)
    }
}

/// One TTLV item: a tag and its typed value.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ttlv {
    /// The item's tag.
    pub tag: Tag,
    /// The item's value; its variant gives the item type.
    pub value: Value,
}

impl Ttlv {
    /// Builds an item from a tag and a value.
    pub fn new(tag: Tag, value: Value) -> Self {
        Ttlv { tag, value }
    }

    /// Builds a structure item from its children.
    pub fn structure(tag: Tag, items: Vec<Ttlv>) -> Self {
        Ttlv {
            tag,
            value: Value::Structure(items),
        }
    }

    /// The children of a structure, or an empty slice for any other type.
    pub fn children(&self) -> &[Ttlv] {
        match &self.value {
            Value::Structure(items) => items,
            _ => &[],
        }
    }

    /// The first child with `tag`, if this is a structure that has one.
    pub fn child(&self, tag: Tag) -> Option<&Ttlv> {
        self.children().iter().find(|c| c.tag == tag)
    }

    /// Every child with `tag`, in wire order.
    pub fn children_with(&self, tag: Tag) -> impl Iterator<Item = &Ttlv> {
        self.children().iter().filter(move |c| c.tag == tag)
    }

    /// The wire item type of this item.
    pub fn item_type(&self) -> ItemType {
        self.value.item_type()
    }
}

/// The value of a TTLV item.
///
/// Byte strings and big integers may hold key material: they are zeroized on drop and `Debug`
/// prints only their length.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// Nested items, in wire order.
    Structure(Vec<Ttlv>),
    /// 32-bit signed integer.
    Integer(i32),
    /// 64-bit signed integer.
    LongInteger(i64),
    /// Big-endian two's complement bytes, as on the wire (padding kept).
    BigInteger(Zeroizing<Vec<u8>>),
    /// Enumeration value.
    Enumeration(u32),
    /// Boolean.
    Boolean(bool),
    /// UTF-8 text (validated on decode).
    TextString(String),
    /// Opaque bytes.
    ByteString(Zeroizing<Vec<u8>>),
    /// Seconds since the Unix epoch.
    DateTime(i64),
    /// Seconds.
    Interval(u32),
    /// Microseconds since the Unix epoch.
    DateTimeExtended(i64),
}

impl Value {
    /// The wire item type of this value.
    pub fn item_type(&self) -> ItemType {
        match self {
            Value::Structure(_) => ItemType::Structure,
            Value::Integer(_) => ItemType::Integer,
            Value::LongInteger(_) => ItemType::LongInteger,
            Value::BigInteger(_) => ItemType::BigInteger,
            Value::Enumeration(_) => ItemType::Enumeration,
            Value::Boolean(_) => ItemType::Boolean,
            Value::TextString(_) => ItemType::TextString,
            Value::ByteString(_) => ItemType::ByteString,
            Value::DateTime(_) => ItemType::DateTime,
            Value::Interval(_) => ItemType::Interval,
            Value::DateTimeExtended(_) => ItemType::DateTimeExtended,
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Structure(items) => f.debug_list().entries(items).finish(),
            Value::Integer(v) => write!(f, "Integer({v})"),
            Value::LongInteger(v) => write!(f, "LongInteger({v})"),
            Value::BigInteger(b) => write!(f, "BigInteger(<{} bytes>)", b.len()),
            Value::Enumeration(v) => write!(f, "Enumeration(0x{v:08x})"),
            Value::Boolean(v) => write!(f, "Boolean({v})"),
            Value::TextString(s) => write!(f, "TextString({s:?})"),
            Value::ByteString(b) => write!(f, "ByteString(<{} bytes>)", b.len()),
            Value::DateTime(v) => write!(f, "DateTime({v})"),
            Value::Interval(v) => write!(f, "Interval({v})"),
            Value::DateTimeExtended(v) => write!(f, "DateTimeExtended({v})"),
        }
    }
}

/// Hard limits applied while decoding bytes from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message, header included, in bytes.
    pub max_message: usize,
    /// Deepest structure nesting; the outermost structure is depth 1.
    pub max_depth: usize,
    /// Most items in one message, all levels counted.
    pub max_items: usize,
    /// Most batch items in one request.
    pub max_batch: usize,
    /// Longest single primitive value (text, bytes, big integer) in bytes.
    pub max_item_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message: 1024 * 1024,
            max_depth: 32,
            max_items: 100_000,
            max_batch: 1_000,
            max_item_len: 1024 * 1024,
        }
    }
}

/// Why bytes could not be decoded as TTLV.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended inside an item.
    #[error("message truncated at offset {offset}: needed {needed} more bytes")]
    Truncated {
        /// Byte offset of the item that is cut.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// The message is larger than [`Limits::max_message`].
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// Length the message claims.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A primitive value is longer than [`Limits::max_item_len`].
    #[error("item {tag:?} at offset {offset} of {len} bytes exceeds the item limit of {max} bytes")]
    ItemTooLarge {
        /// Tag of the item.
        tag: Tag,
        /// Byte offset of the item.
        offset: usize,
        /// Length it claims.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Structures nest deeper than [`Limits::max_depth`].
    #[error("nesting deeper than {max} levels at offset {offset}")]
    TooDeep {
        /// Byte offset where the limit was crossed.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// More items than [`Limits::max_items`].
    #[error("more than {max} items in one message")]
    TooManyItems {
        /// The limit.
        max: usize,
    },
    /// An item type byte that is not defined.
    #[error("unknown item type 0x{item_type:02x} for tag {tag:?} at offset {offset}")]
    UnknownItemType {
        /// Tag of the item.
        tag: Tag,
        /// The type byte.
        item_type: u8,
        /// Byte offset of the item.
        offset: usize,
    },
    /// A fixed-size type with the wrong length, or a bad big-integer length.
    #[error("item {tag:?} at offset {offset} has invalid length {len} for type {item_type:?}")]
    BadLength {
        /// Tag of the item.
        tag: Tag,
        /// The item's type.
        item_type: ItemType,
        /// The length found.
        len: usize,
        /// Byte offset of the item.
        offset: usize,
    },
    /// A boolean other than 0 or 1.
    #[error("item {tag:?} at offset {offset} is a boolean with value {value}")]
    BadBoolean {
        /// Tag of the item.
        tag: Tag,
        /// The raw value.
        value: u64,
        /// Byte offset of the item.
        offset: usize,
    },
    /// A text string that is not UTF-8.
    #[error("text string {tag:?} at offset {offset} is not valid UTF-8")]
    InvalidUtf8 {
        /// Tag of the item.
        tag: Tag,
        /// Byte offset of the item.
        offset: usize,
    },
    /// Padding bytes that are not zero.
    #[error("item {tag:?} at offset {offset} has non-zero padding")]
    BadPadding {
        /// Tag of the item.
        tag: Tag,
        /// Byte offset of the item.
        offset: usize,
    },
    /// Bytes left over after the outermost item.
    #[error("{extra} trailing bytes after the message")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// A message header whose item is not a structure.
    #[error("message {tag:?} has item type 0x{item_type:02x}, not a structure")]
    NotAStructure {
        /// Tag of the item.
        tag: Tag,
        /// The type byte found.
        item_type: u8,
    },
    /// The lengths of a structure's children do not add up to the structure's length.
    #[error("structure {tag:?} at offset {offset} has children that overrun its length")]
    StructureOverrun {
        /// Tag of the structure.
        tag: Tag,
        /// Byte offset of the structure.
        offset: usize,
    },
}
