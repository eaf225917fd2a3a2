//! KMIP XML encoding (KMIP Profiles, "XML Encoding") to and from TTLV.
//!
//! Each element is one TTLV item: the element name is the tag's normalized name (or `TTLV` with
//! a `tag="0x42xxxx"` attribute; the attribute may also give a name), `type` gives the item type
//! (Structure when absent) and `value` the value: Integers in decimal or hex (masks also as flag
//! names separated by spaces or `|`), Long Integers and Intervals in decimal or hex,
//! enumerations by name or hex, Date-Time and Date-Time Extended as ISO 8601 (or decimal or
//! hex), Byte String and Big Integer as hex digits, Booleans as `true`/`false`. The XML itself
//! is read and written by quick-xml; dates by `time`; the spellings of values are shared with
//! the JSON encoding in `spelling`.
//!
//! Reading is bounded by the binary decoder's [`Limits`]: the document's size (a multiple of
//! `max_message`, see [`max_document_len`]), element nesting and count, the length of each
//! value, and the binary size of each item read. Every failure is an [`XmlError`] naming the
//! line and column, the element and what is wrong with it.
//!
//! The OASIS test cases use placeholders (`$NOW-3600`, `$UNIQUE_IDENTIFIER_0`,
//! `$IV_COUNTER_NONCE`, ...) for values only known at run time; [`document_to_ttlv`] replaces
//! them with fixed dummies (see [`Placeholders`]), [`read_document`] does when asked to.

mod read;
mod tree;
mod write;

use crate::ttlv::{ItemType, Limits, Ttlv};

pub use read::{read_document, read_element};
pub use tree::{parse, parse_with_limits};
pub use write::{XmlWriteError, to_xml};

/// Why an XML document could not be read, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("XML line {line}, column {column}: {kind}")]
pub struct XmlError {
    /// 1-based line of the fault (for a bad element or value: where its start tag begins).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub kind: XmlErrorKind,
}

/// What is wrong with an XML document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XmlErrorKind {
    /// The document is longer than [`max_document_len`] allows.
    #[error("document of {len} bytes exceeds the limit of {max} bytes")]
    DocumentTooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not well-formed XML, as quick-xml reports it.
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// Text or CDATA content: the KMIP encoding carries values in attributes only.
    #[error("text content {0:?} outside the value attributes")]
    TextContent(String),
    /// No element at all.
    #[error("the document has no root element")]
    NoRoot,
    /// An element after the root element.
    #[error("element {0} after the root element")]
    AfterRoot(String),
    /// The input ended inside an element.
    #[error("element {0} is not closed")]
    Unclosed(String),
    /// Elements nest deeper than the limit.
    #[error("elements nest deeper than {max} levels")]
    TooDeep {
        /// The limit: [`Limits::max_depth`] structures, their primitive children, one framing
        /// root.
        max: usize,
    },
    /// More elements than the limit.
    #[error("more than {max} elements")]
    TooManyElements {
        /// The limit.
        max: usize,
    },
    /// An attribute the encoding does not define.
    #[error("{element}: unknown attribute {attribute:?} (the encoding has tag, type and value)")]
    UnknownAttribute {
        /// The element.
        element: String,
        /// The attribute's name.
        attribute: String,
    },
    /// The element name is not a tag name and there is no `tag` attribute.
    #[error("{element}: not a KMIP tag name (unknown tags are written TTLV tag=\"0x54xxxx\")")]
    UnknownTag {
        /// The element.
        element: String,
    },
    /// A `tag` attribute that is neither a tag name nor `0x` and six hex digits.
    #[error("{element}: tag attribute {value:?} is neither a tag name nor 0x and six hex digits")]
    BadTag {
        /// The element.
        element: String,
        /// The attribute's value.
        value: String,
    },
    /// A `type` attribute that is not an item type name.
    #[error("{element}: type {value:?} is not an item type")]
    UnknownType {
        /// The element.
        element: String,
        /// The attribute's value.
        value: String,
    },
    /// A primitive item without its `value` attribute.
    #[error("{element}: the {} has no value attribute", .item_type.name())]
    MissingValue {
        /// The element.
        element: String,
        /// Its item type.
        item_type: ItemType,
    },
    /// A Structure with a `value` attribute.
    #[error("{element}: a Structure has child elements, not a value attribute")]
    ValueOnStructure {
        /// The element.
        element: String,
    },
    /// A `value` that is not a value of the item type.
    #[error("{element}: bad {} value: {detail}", .item_type.name())]
    BadValue {
        /// The element.
        element: String,
        /// Its item type.
        item_type: ItemType,
        /// Why; quotes the value except for Byte Strings and Big Integers, which may be keys.
        detail: String,
    },
    /// A primitive item with child elements.
    #[error("{element}: a {} cannot have child elements", .item_type.name())]
    ChildrenOfPrimitive {
        /// The element.
        element: String,
        /// Its item type.
        item_type: ItemType,
    },
    /// A value longer than [`Limits::max_item_len`].
    #[error("{element}: {} of {len} bytes exceeds the item limit of {max} bytes", .item_type.name())]
    ItemTooLarge {
        /// The element.
        element: String,
        /// Its item type.
        item_type: ItemType,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Structures nest deeper than [`Limits::max_depth`].
    #[error("{element}: structures nest deeper than {max} levels")]
    StructureTooDeep {
        /// The element that crosses the limit.
        element: String,
        /// The limit.
        max: usize,
    },
    /// One item holds more items than [`Limits::max_items`].
    #[error("{element}: more than {max} items")]
    TooManyItems {
        /// The outermost element of the item.
        element: String,
        /// The limit.
        max: usize,
    },
    /// An item whose binary TTLV would be longer than [`Limits::max_message`].
    #[error("{element}: {len} bytes as binary TTLV exceeds the limit of {max} bytes")]
    MessageTooLarge {
        /// The outermost element of the item.
        element: String,
        /// Its binary length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// An XML element: name, attributes, children (the encoding has no text content).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Element name.
    pub name: String,
    /// Attributes in document order, values unescaped and normalized as XML requires.
    pub attributes: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Element>,
    /// 1-based line where the element starts.
    pub line: usize,
    /// 1-based column where the element starts, in characters.
    pub column: usize,
}

impl Element {
    /// The value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// An error at this element.
    fn error(&self, kind: XmlErrorKind) -> XmlError {
        XmlError {
            line: self.line,
            column: self.column,
            kind,
        }
    }
}

/// Values substituted for the test-case placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholders {
    /// `$NOW`, in seconds since the epoch.
    pub now: i64,
}

impl Default for Placeholders {
    fn default() -> Self {
        // A fixed instant keeps conversions reproducible: 2023-11-14T22:13:20Z.
        Placeholders { now: 1_700_000_000 }
    }
}

/// How a document is read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The limits, those of the binary decoder.
    pub limits: Limits,
    /// Values for the OASIS test cases' placeholders; `None` reads `$...` values as written.
    pub placeholders: Option<Placeholders>,
}

/// How many bytes of XML one byte of binary TTLV may take in what [`to_xml`] writes, so that
/// any message within `max_message` reads back under the same limits. The densest item is a
/// Cryptographic Usage Mask with every bit set: 16 bytes of TTLV, about 430 bytes of XML (24
/// flag names, indented 33 levels deep); an empty structure, 8 bytes, is at most 110.
const XML_BYTES_PER_TTLV_BYTE: usize = 32;

/// The longest document read under `limits`.
pub fn max_document_len(limits: &Limits) -> usize {
    limits.max_message.saturating_mul(XML_BYTES_PER_TTLV_BYTE)
}

/// Parses a document and converts every child of its root (the OASIS files wrap messages in
/// `<KMIP>`) — or the root itself when it is a KMIP item — to TTLV, with the default limits
/// and the test-case placeholders replaced.
pub fn document_to_ttlv(text: &str, ph: &Placeholders) -> Result<Vec<Ttlv>, XmlError> {
    read_document(
        text,
        &ReadOptions {
            limits: Limits::default(),
            placeholders: Some(ph.clone()),
        },
    )
}

/// Converts one element (and its children) to TTLV, with the default limits and the
/// test-case placeholders replaced.
pub fn to_ttlv(e: &Element, ph: &Placeholders) -> Result<Ttlv, XmlError> {
    read_element(
        e,
        &ReadOptions {
            limits: Limits::default(),
            placeholders: Some(ph.clone()),
        },
    )
}

/// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" (RFC 3339; without an offset, UTC) to
/// microseconds since the epoch.
pub fn parse_iso8601_micros(s: &str) -> Option<i64> {
    crate::spelling::iso8601_micros(s)
}

/// Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SS+00:00", or, outside the years
/// 0000–9999, as `0x` and sixteen hex digits (which the reader also takes).
pub fn format_iso8601(secs: i64) -> String {
    crate::spelling::datetime_text(secs)
}

#[cfg(test)]
mod tests;
