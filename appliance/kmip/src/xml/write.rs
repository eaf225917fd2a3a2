//! TTLV items to the KMIP XML encoding, on quick-xml's writer: two-space indentation, one
//! element per item, values spelled as `spelling` writes them (the forms the reader takes back
//! unchanged).

use crate::attributes;
use crate::spelling;
use crate::tags;
use crate::ttlv::{Tag, Ttlv, Value};
use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::name::QName;
use std::borrow::Cow;

/// Why a TTLV item has no XML form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlWriteError {
    /// A Text String holds U+0000, which no XML document can carry, even as a reference.
    #[error("{element}: the text holds U+0000, which XML cannot carry")]
    NulInText {
        /// The element of the item.
        element: String,
    },
    /// The output buffer refused bytes (a `Vec` never does).
    #[error("writing the XML failed: {0}")]
    Output(String),
}

/// Writes a TTLV item in the KMIP XML encoding (two-space indentation, a newline at the end),
/// the inverse of [`read_element`](super::read_element): enumerations and masks by name when
/// known, Date-Time as ISO 8601 UTC, control characters as character references.
pub fn to_xml(item: &Ttlv) -> Result<String, XmlWriteError> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_item(&mut writer, item, None)?;
    let mut out =
        String::from_utf8(writer.into_inner()).map_err(|e| XmlWriteError::Output(e.to_string()))?;
    out.push('\n');
    Ok(out)
}

/// Writes `item`; `value_vocab` is the tag whose names an Attribute Value uses.
fn write_item(
    writer: &mut Writer<Vec<u8>>,
    item: &Ttlv,
    value_vocab: Option<Tag>,
) -> Result<(), XmlWriteError> {
    let name = tags::name(item.tag);
    let hex_tag;
    let mut start = BytesStart::new(name.unwrap_or("TTLV"));
    if name.is_none() {
        hex_tag = spelling::tag_hex(item.tag);
        start.push_attribute(("tag", hex_tag.as_str()));
    }
    let vocab = if item.tag == tags::ATTRIBUTE_VALUE {
        value_vocab.unwrap_or(item.tag)
    } else {
        item.tag
    };
    let (item_type, text) = match &item.value {
        Value::Structure(items) => {
            if items.is_empty() {
                return emit(writer, Event::Empty(start));
            }
            let end = BytesEnd::new(name.unwrap_or("TTLV"));
            emit(writer, Event::Start(start))?;
            let mut attribute_tag = None;
            for child in items {
                write_item(writer, child, attribute_tag)?;
                if let (true, Value::TextString(n)) =
                    (child.tag == tags::ATTRIBUTE_NAME, &child.value)
                {
                    attribute_tag = attributes::tag_for_name(n);
                }
            }
            return emit(writer, Event::End(end));
        }
        Value::Integer(v) => ("Integer", spelling::integer_text(vocab, *v)),
        Value::LongInteger(v) => ("LongInteger", v.to_string()),
        Value::BigInteger(b) => ("BigInteger", spelling::hex(b)),
        Value::Enumeration(v) => ("Enumeration", spelling::enumeration_text(vocab, *v)),
        Value::Boolean(v) => ("Boolean", v.to_string()),
        Value::TextString(s) => {
            if s.contains('\0') {
                return Err(XmlWriteError::NulInText {
                    element: name.unwrap_or("TTLV").to_string(),
                });
            }
            ("TextString", s.clone())
        }
        Value::ByteString(b) => ("ByteString", spelling::hex(b)),
        Value::DateTime(t) => ("DateTime", spelling::datetime_text(*t)),
        Value::Interval(v) => ("Interval", v.to_string()),
        Value::DateTimeExtended(t) => ("DateTimeExtended", spelling::datetime_extended_text(*t)),
    };
    start.push_attribute(("type", item_type));
    // Escaped here: quick-xml's escaping leaves control characters raw, which XML forbids or
    // normalizes to spaces.
    start.push_attribute(Attribute {
        key: QName("value"),
        value: escape(&text),
    });
    emit(writer, Event::Empty(start))
}

fn emit(writer: &mut Writer<Vec<u8>>, event: Event<'_>) -> Result<(), XmlWriteError> {
    writer
        .write_event(event)
        .map_err(|e| XmlWriteError::Output(e.to_string()))
}

/// `s` escaped for a double-quoted attribute: the five markup characters by name, every
/// control character as a character reference (XML would turn a raw tab, newline or return
/// into a space). quick-xml's own escaping leaves most control characters raw.
fn escape(s: &str) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '<' | '>' | '&' | '"' | '\'') || u32::from(c) < 0x20;
    if !s.contains(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("&#x{:x};", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}
