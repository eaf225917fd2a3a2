//! XML text to a tree of [`Element`]s, on quick-xml's event reader, within [`Limits`].
//!
//! The tree is built with an explicit stack, never by recursion, and is checked against the
//! limits as it grows: the document's length before anything is read, the nesting and the
//! number of elements at each start tag.

use super::{Element, XmlError, XmlErrorKind, max_document_len};
use crate::ttlv::Limits;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Parses an XML document into its root element, with the default limits.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    parse_with_limits(text, &Limits::default())
}

/// Parses an XML document into its root element.
///
/// Elements may nest `limits.max_depth + 2` deep (the structures, their primitive children
/// and one framing root such as the test cases' `<KMIP>`), and a document holds at most
/// `limits.max_items + 1` elements.
pub fn parse_with_limits(text: &str, limits: &Limits) -> Result<Element, XmlError> {
    let mut positions = Positions::new(text);
    let max = max_document_len(limits);
    if text.len() > max {
        return Err(positions.error(
            0,
            XmlErrorKind::DocumentTooLarge {
                len: text.len(),
                max,
            },
        ));
    }
    // XML has no U+0000, raw or as a reference; quick-xml refuses only the reference.
    if let Some(at) = text.find('\0') {
        let kind = XmlErrorKind::Malformed("U+0000 is not allowed in XML".into());
        return Err(positions.error(at, kind));
    }
    let max_depth = limits.max_depth.saturating_add(2);
    let max_elements = limits.max_items.saturating_add(1);
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_comments = true;
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.trim_text(false);

    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let at = offset(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                let at = offset(reader.error_position());
                return Err(positions.error(at, XmlErrorKind::Malformed(e.to_string())));
            }
        };
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let name = start.name().as_ref().to_string();
                return Err(positions.error(at, XmlErrorKind::AfterRoot(name)));
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                elements += 1;
                if elements > max_elements {
                    let kind = XmlErrorKind::TooManyElements { max: max_elements };
                    return Err(positions.error(at, kind));
                }
                if open.len() >= max_depth {
                    return Err(positions.error(at, XmlErrorKind::TooDeep { max: max_depth }));
                }
                let new = element(start, at, &mut positions)?;
                // An empty element is complete at once; a start tag waits for its end.
                if matches!(event, Event::Empty(_)) {
                    close(new, &mut open, &mut root);
                } else {
                    open.push(new);
                }
            }
            // quick-xml has checked that the end tag matches the open element.
            Event::End(_) => match open.pop() {
                Some(done) => close(done, &mut open, &mut root),
                None => {
                    let kind = XmlErrorKind::Malformed("an end tag without a start tag".into());
                    return Err(positions.error(at, kind));
                }
            },
            Event::Text(text) => {
                let content: &str = text.as_ref();
                if !content.trim().is_empty() {
                    return Err(positions.error(at, XmlErrorKind::TextContent(excerpt(content))));
                }
            }
            Event::CData(data) => {
                let content: &str = data.as_ref();
                return Err(positions.error(at, XmlErrorKind::TextContent(excerpt(content))));
            }
            Event::GeneralRef(reference) => {
                let content = format!("&{};", AsRef::<str>::as_ref(&reference));
                return Err(positions.error(at, XmlErrorKind::TextContent(content)));
            }
            // Comments, the declaration, processing instructions and a DOCTYPE carry no items;
            // a DOCTYPE's entities are never expanded (only the five predefined ones are).
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(unclosed) = open.last() {
        return Err(unclosed.error(XmlErrorKind::Unclosed(unclosed.name.clone())));
    }
    root.ok_or_else(|| positions.error(text.len(), XmlErrorKind::NoRoot))
}

/// A byte offset from quick-xml's position (a `u64`, always within the `&str` it reads).
fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// Attaches a finished element to its parent, or makes it the root.
fn close(done: Element, open: &mut [Element], root: &mut Option<Element>) {
    match open.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

/// The element a start tag opens, with its attributes unescaped and normalized.
fn element(
    start: &BytesStart<'_>,
    at: usize,
    positions: &mut Positions<'_>,
) -> Result<Element, XmlError> {
    let name = start.name().as_ref().to_string();
    let (line, column) = positions.line_column(at);
    let fail = |detail: String| XmlError {
        line,
        column,
        kind: XmlErrorKind::Malformed(format!("element {name}: {detail}")),
    };
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| fail(e.to_string()))?;
        let key = attribute.key.as_ref().to_string();
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| fail(format!("attribute {key}: {e}")))?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
        line,
        column,
    })
}

/// At most 40 characters of `s`, for an error message.
fn excerpt(s: &str) -> String {
    let trimmed = s.trim();
    match trimmed.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", trimmed.get(..cut).unwrap_or_default()),
        None => trimmed.to_string(),
    }
}

/// Line and column of byte offsets, computed forward from the last one asked for (offsets
/// come in document order, so the document is scanned once however long its lines).
struct Positions<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
    /// Characters between the start of the line and `offset`.
    column: usize,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str) -> Self {
        Positions {
            text,
            offset: 0,
            line: 1,
            column: 0,
        }
    }

    /// The 1-based line and column (in characters) of byte `at`.
    fn line_column(&mut self, at: usize) -> (usize, usize) {
        let at = at.min(self.text.len());
        if at < self.offset {
            // An error may point back into the last event: count again from the start.
            *self = Positions::new(self.text);
        }
        let scanned = self
            .text
            .as_bytes()
            .get(self.offset..at)
            .unwrap_or_default();
        for b in scanned {
            if *b == b'\n' {
                self.line += 1;
                self.column = 0;
            } else if b & 0xC0 != 0x80 {
                // Not a UTF-8 continuation byte: a new character.
                self.column += 1;
            }
        }
        self.offset = at;
        (self.line, self.column + 1)
    }

    fn error(&mut self, at: usize, kind: XmlErrorKind) -> XmlError {
        let (line, column) = self.line_column(at);
        XmlError { line, column, kind }
    }
}
