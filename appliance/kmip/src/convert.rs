//! Shared helpers for converting typed KMIP structures to and from TTLV.
//!
//! Decoding never panics: every missing or ill-typed field becomes a [`KmipError`] naming the
//! structure and the field, with the Result Reason the protocol version expects.

use crate::KmipError;
use crate::enums::{KmipEnum, ResultReason};
use crate::tags;
use crate::ttlv::{ItemType, Tag, Ttlv, Value};
use crate::version::ProtocolVersion;
use zeroize::Zeroizing;

/// The XML name of a tag, or its hex number.
pub(crate) fn tag_name(tag: Tag) -> String {
    match tags::name(tag) {
        Some(n) => n.to_string(),
        None => format!("0x{:06x}", tag.0),
    }
}

/// A required field is absent: Missing Data in 2.x, Invalid Message in 1.x.
pub(crate) fn missing(ver: ProtocolVersion, parent: &str, tag: Tag) -> KmipError {
    let reason = if ver.major >= 2 {
        ResultReason::MissingData
    } else {
        ResultReason::InvalidMessage
    };
    KmipError::new(
        reason,
        format!("{parent}: required field {} is missing", tag_name(tag)),
    )
}

/// A field is present but unusable.
pub(crate) fn invalid(parent: &str, tag: Tag, why: impl std::fmt::Display) -> KmipError {
    KmipError::new(
        ResultReason::InvalidField,
        format!("{parent}: field {} {why}", tag_name(tag)),
    )
}

/// The Result Reason for a child that is not a field of its structure: Invalid Field in 1.x;
/// in 2.x Invalid Message for a tag the spec defines, Unknown Tag for any other (see `schema`).
pub(crate) fn stray_reason(ver: ProtocolVersion, tag: Tag) -> ResultReason {
    if !ver.uses_attributes_form() {
        ResultReason::InvalidField
    } else if tags::is_defined_standard(tag) {
        ResultReason::InvalidMessage
    } else {
        ResultReason::UnknownTag
    }
}

/// A tag as its spec name and number, e.g. "ObjectType (0x420057)", or "extension tag 0x540001".
pub(crate) fn label(tag: Tag) -> String {
    match tags::name(tag) {
        Some(name) => format!("{name} (0x{:06x})", tag.0),
        None if tag.0 >> 16 == 0x54 => format!("extension tag 0x{:06x}", tag.0),
        None => format!("tag 0x{:06x}", tag.0),
    }
}

/// Reads the fields of one structure.
pub(crate) struct Reader<'a> {
    /// Protocol version of the message.
    pub ver: ProtocolVersion,
    /// Name of the structure, for error messages.
    pub parent: &'a str,
    /// The structure's children.
    pub items: &'a [Ttlv],
}

impl<'a> Reader<'a> {
    /// A reader over `item`, which must be a structure.
    pub fn new(ver: ProtocolVersion, parent: &'a str, item: &'a Ttlv) -> Result<Self, KmipError> {
        match &item.value {
            Value::Structure(items) => Ok(Reader { ver, parent, items }),
            other => Err(invalid(
                parent,
                item.tag,
                format!("must be a Structure, found {:?}", other.item_type()),
            )),
        }
    }

    /// The first child with `tag`.
    pub fn opt(&self, tag: Tag) -> Option<&'a Ttlv> {
        self.items.iter().find(|c| c.tag == tag)
    }

    /// The first child with `tag`, required.
    pub fn req(&self, tag: Tag) -> Result<&'a Ttlv, KmipError> {
        self.opt(tag)
            .ok_or_else(|| missing(self.ver, self.parent, tag))
    }

    /// Every child with `tag`.
    pub fn all(&self, tag: Tag) -> impl Iterator<Item = &'a Ttlv> + 'a {
        self.items.iter().filter(move |c| c.tag == tag)
    }

    /// A known tag used with the wrong item type: the message is not syntactically
    /// understood (KMIP 2.1 defines Invalid Message as "the invalid use of a known tag";
    /// 1.x §11.1 answers a batch item that cannot be parsed with Invalid Message).
    fn wrong(&self, item: &Ttlv, want: ItemType) -> KmipError {
        KmipError::new(
            ResultReason::InvalidMessage,
            format!(
                "{}: field {} must be of type {want:?}, found {:?}",
                self.parent,
                tag_name(item.tag),
                item.value.item_type()
            ),
        )
    }

    /// Text String field.
    pub fn text(&self, tag: Tag) -> Result<Option<String>, KmipError> {
        self.opt(tag).map(|i| self.as_text(i)).transpose()
    }

    /// Required Text String field.
    pub fn req_text(&self, tag: Tag) -> Result<String, KmipError> {
        self.as_text(self.req(tag)?)
    }

    /// Converts one item to text.
    pub fn as_text(&self, item: &Ttlv) -> Result<String, KmipError> {
        match &item.value {
            Value::TextString(s) => Ok(s.clone()),
            _ => Err(self.wrong(item, ItemType::TextString)),
        }
    }

    /// Every Text String child with `tag`.
    pub fn texts(&self, tag: Tag) -> Result<Vec<String>, KmipError> {
        self.all(tag).map(|i| self.as_text(i)).collect()
    }

    /// Integer field.
    pub fn int(&self, tag: Tag) -> Result<Option<i32>, KmipError> {
        self.opt(tag)
            .map(|i| match &i.value {
                Value::Integer(v) => Ok(*v),
                _ => Err(self.wrong(i, ItemType::Integer)),
            })
            .transpose()
    }

    /// Required Integer field.
    pub fn req_int(&self, tag: Tag) -> Result<i32, KmipError> {
        self.int(tag)?
            .ok_or_else(|| missing(self.ver, self.parent, tag))
    }

    /// Integer field holding a bit mask.
    pub fn mask(&self, tag: Tag) -> Result<Option<u32>, KmipError> {
        // Masks are Integers on the wire; reinterpret the bits.
        Ok(self.int(tag)?.map(|v| v as u32))
    }

    /// Interval field.
    pub fn interval(&self, tag: Tag) -> Result<Option<u32>, KmipError> {
        self.opt(tag)
            .map(|i| match &i.value {
                Value::Interval(v) => Ok(*v),
                _ => Err(self.wrong(i, ItemType::Interval)),
            })
            .transpose()
    }

    /// Boolean field.
    pub fn boolean(&self, tag: Tag) -> Result<Option<bool>, KmipError> {
        self.opt(tag)
            .map(|i| match &i.value {
                Value::Boolean(v) => Ok(*v),
                _ => Err(self.wrong(i, ItemType::Boolean)),
            })
            .transpose()
    }

    /// Date-Time field in seconds; a Date-Time Extended is truncated to seconds.
    pub fn datetime(&self, tag: Tag) -> Result<Option<i64>, KmipError> {
        self.opt(tag)
            .map(|i| match &i.value {
                Value::DateTime(v) => Ok(*v),
                Value::DateTimeExtended(v) => Ok(v.div_euclid(1_000_000)),
                _ => Err(self.wrong(i, ItemType::DateTime)),
            })
            .transpose()
    }

    /// Byte String field.
    pub fn bytes(&self, tag: Tag) -> Result<Option<Vec<u8>>, KmipError> {
        self.opt(tag).map(|i| self.as_bytes(i)).transpose()
    }

    /// Required Byte String field.
    pub fn req_bytes(&self, tag: Tag) -> Result<Vec<u8>, KmipError> {
        self.as_bytes(self.req(tag)?)
    }

    /// Byte String field kept in a zeroizing buffer.
    pub fn secret(&self, tag: Tag) -> Result<Option<Zeroizing<Vec<u8>>>, KmipError> {
        self.opt(tag)
            .map(|i| match &i.value {
                Value::ByteString(b) => Ok(b.clone()),
                _ => Err(self.wrong(i, ItemType::ByteString)),
            })
            .transpose()
    }

    /// Converts one item to bytes.
    pub fn as_bytes(&self, item: &Ttlv) -> Result<Vec<u8>, KmipError> {
        match &item.value {
            Value::ByteString(b) => Ok(b.to_vec()),
            _ => Err(self.wrong(item, ItemType::ByteString)),
        }
    }

    /// Big Integer field as an unsigned big-endian magnitude without leading zeros.
    pub fn big(&self, tag: Tag) -> Result<Option<Zeroizing<Vec<u8>>>, KmipError> {
        self.opt(tag)
            .map(|i| match &i.value {
                Value::BigInteger(b) => {
                    if b.first().is_some_and(|f| f & 0x80 != 0) {
                        return Err(invalid(self.parent, tag, "must not be negative"));
                    }
                    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
                    Ok(Zeroizing::new(b.get(start..).unwrap_or_default().to_vec()))
                }
                _ => Err(self.wrong(i, ItemType::BigInteger)),
            })
            .transpose()
    }

    /// Raw enumeration value.
    pub fn raw_enum(&self, item: &Ttlv) -> Result<u32, KmipError> {
        match &item.value {
            Value::Enumeration(v) => Ok(*v),
            _ => Err(self.wrong(item, ItemType::Enumeration)),
        }
    }

    /// Converts one item to an enumeration defined in the message's protocol version: a value
    /// a later version added is refused like an unknown one (a 1.x client cannot have meant
    /// it, and answering it would speak a version the client did not ask for).
    pub fn as_enum<E: KmipEnum>(&self, item: &Ttlv) -> Result<E, KmipError> {
        let raw = self.raw_enum(item)?;
        let value = E::from_value(raw).ok_or_else(|| {
            invalid(
                self.parent,
                item.tag,
                format!("has unknown {} value 0x{raw:08x}", E::NAME),
            )
        })?;
        if !self.ver.has(value.since()) {
            let (major, minor) = value.since();
            return Err(invalid(
                self.parent,
                item.tag,
                format!(
                    "has {} value {}, which KMIP {} does not define (it is new in {major}.{minor})",
                    E::NAME,
                    value.spec_name(),
                    self.ver
                ),
            ));
        }
        Ok(value)
    }

    /// Enumeration field.
    pub fn enumeration<E: KmipEnum>(&self, tag: Tag) -> Result<Option<E>, KmipError> {
        self.opt(tag).map(|i| self.as_enum(i)).transpose()
    }

    /// Required enumeration field.
    pub fn req_enum<E: KmipEnum>(&self, tag: Tag) -> Result<E, KmipError> {
        self.as_enum(self.req(tag)?)
    }

    /// Every enumeration child with `tag`.
    pub fn enums<E: KmipEnum>(&self, tag: Tag) -> Result<Vec<E>, KmipError> {
        self.all(tag).map(|i| self.as_enum(i)).collect()
    }

    /// A nested structure field, read with the same version.
    pub fn sub(&self, tag: Tag, name: &'a str) -> Result<Option<Reader<'a>>, KmipError> {
        self.opt(tag)
            .map(|i| Reader::new(self.ver, name, i))
            .transpose()
    }
}

/// Collects the children of a structure being encoded.
#[derive(Default)]
pub(crate) struct Writer(pub Vec<Ttlv>);

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer(Vec::new())
    }

    /// Appends an item.
    pub fn push(&mut self, item: Ttlv) -> &mut Self {
        self.0.push(item);
        self
    }

    /// Appends a value.
    pub fn value(&mut self, tag: Tag, value: Value) -> &mut Self {
        self.push(Ttlv::new(tag, value))
    }

    /// Appends a Text String.
    pub fn text(&mut self, tag: Tag, v: &str) -> &mut Self {
        self.value(tag, Value::TextString(v.to_string()))
    }

    /// Appends a Text String when present.
    pub fn opt_text(&mut self, tag: Tag, v: Option<&str>) -> &mut Self {
        if let Some(v) = v {
            self.text(tag, v);
        }
        self
    }

    /// Appends an Integer.
    pub fn int(&mut self, tag: Tag, v: i32) -> &mut Self {
        self.value(tag, Value::Integer(v))
    }

    /// Appends an Integer when present.
    pub fn opt_int(&mut self, tag: Tag, v: Option<i32>) -> &mut Self {
        if let Some(v) = v {
            self.int(tag, v);
        }
        self
    }

    /// Appends a mask (an Integer on the wire) when present.
    pub fn opt_mask(&mut self, tag: Tag, v: Option<u32>) -> &mut Self {
        // Masks are Integers on the wire; reinterpret the bits.
        self.opt_int(tag, v.map(|v| v as i32))
    }

    /// Appends an Interval when present.
    pub fn opt_interval(&mut self, tag: Tag, v: Option<u32>) -> &mut Self {
        if let Some(v) = v {
            self.value(tag, Value::Interval(v));
        }
        self
    }

    /// Appends a Boolean when present.
    pub fn opt_bool(&mut self, tag: Tag, v: Option<bool>) -> &mut Self {
        if let Some(v) = v {
            self.value(tag, Value::Boolean(v));
        }
        self
    }

    /// Appends a Date-Time when present.
    pub fn opt_datetime(&mut self, tag: Tag, v: Option<i64>) -> &mut Self {
        if let Some(v) = v {
            self.value(tag, Value::DateTime(v));
        }
        self
    }

    /// Appends an enumeration.
    pub fn enm<E: KmipEnum>(&mut self, tag: Tag, v: E) -> &mut Self {
        self.value(tag, Value::Enumeration(v.value()))
    }

    /// Appends an enumeration when present.
    pub fn opt_enum<E: KmipEnum>(&mut self, tag: Tag, v: Option<E>) -> &mut Self {
        if let Some(v) = v {
            self.enm(tag, v);
        }
        self
    }

    /// Appends a Byte String.
    pub fn bytes(&mut self, tag: Tag, v: &[u8]) -> &mut Self {
        self.value(tag, Value::ByteString(Zeroizing::new(v.to_vec())))
    }

    /// Appends a Byte String when present.
    pub fn opt_bytes(&mut self, tag: Tag, v: Option<&[u8]>) -> &mut Self {
        if let Some(v) = v {
            self.bytes(tag, v);
        }
        self
    }

    /// Appends an unsigned big-endian magnitude as a Big Integer (sign bit clear, padded to 8).
    pub fn big(&mut self, tag: Tag, magnitude: &[u8]) -> &mut Self {
        self.value(tag, Value::BigInteger(big_from_magnitude(magnitude)))
    }

    /// Appends a Big Integer when present.
    pub fn opt_big(&mut self, tag: Tag, magnitude: Option<&[u8]>) -> &mut Self {
        if let Some(m) = magnitude {
            self.big(tag, m);
        }
        self
    }

    /// Finishes as a structure with `tag`.
    pub fn into_structure(self, tag: Tag) -> Ttlv {
        Ttlv::structure(tag, self.0)
    }
}

/// Encodes an unsigned magnitude as KMIP Big Integer bytes: two's complement, length a multiple
/// of eight, sign bit clear.
pub(crate) fn big_from_magnitude(magnitude: &[u8]) -> Zeroizing<Vec<u8>> {
    let start = magnitude
        .iter()
        .position(|&x| x != 0)
        .unwrap_or(magnitude.len());
    let m = magnitude.get(start..).unwrap_or_default();
    let needs_sign_byte = m.first().is_some_and(|f| f & 0x80 != 0);
    let min = m.len() + usize::from(needs_sign_byte);
    let len = min.div_ceil(8).max(1) * 8;
    let mut out = Zeroizing::new(vec![0u8; len]);
    if let Some(dst) = out.get_mut(len - m.len()..) {
        dst.copy_from_slice(m);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_known_tags_and_extension_tags() {
        assert_eq!(label(tags::OBJECT_TYPE), "ObjectType (0x420057)");
        assert_eq!(label(Tag(0x540001)), "extension tag 0x540001");
        assert_eq!(label(Tag(0x42eeee)), "tag 0x42eeee");
    }

    #[test]
    fn big_integer_padding() {
        assert_eq!(
            big_from_magnitude(&[1]).to_vec(),
            vec![0, 0, 0, 0, 0, 0, 0, 1]
        );
        assert_eq!(
            big_from_magnitude(&[0x80]).to_vec(),
            vec![0, 0, 0, 0, 0, 0, 0, 0x80]
        );
        assert_eq!(big_from_magnitude(&[0xff; 8]).len(), 16);
        assert_eq!(big_from_magnitude(&[]).to_vec(), vec![0; 8]);
    }
}
