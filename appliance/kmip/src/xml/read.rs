//! Elements to TTLV items: the tag from the element, the item type from `type`, the value
//! from `value` as `spelling` reads it, within [`Limits`].

use super::tree::parse_with_limits;
use super::{Element, Placeholders, ReadOptions, XmlError, XmlErrorKind};
use crate::attributes;
use crate::spelling;
use crate::tags;
use crate::ttlv::{ItemType, Limits, Tag, Ttlv, Value, encoded_len};
use zeroize::Zeroizing;

/// Parses a document and converts every child of its root (the OASIS files wrap messages in
/// `<KMIP>`) — or the root itself when it is a KMIP item — to TTLV.
pub fn read_document(text: &str, options: &ReadOptions) -> Result<Vec<Ttlv>, XmlError> {
    let root = parse_with_limits(text, &options.limits)?;
    if root.attribute("tag").is_some() || tags::by_name(&root.name).is_some() {
        return Ok(vec![read_element(&root, options)?]);
    }
    root.children
        .iter()
        .map(|e| read_element(e, options))
        .collect()
}

/// Converts one element (and its children) to a TTLV item.
///
/// The item may nest `max_depth` structures, hold `max_items` items in all, values of at most
/// `max_item_len` bytes, and be at most `max_message` bytes as binary TTLV.
pub fn read_element(e: &Element, options: &ReadOptions) -> Result<Ttlv, XmlError> {
    let mut reading = Reading {
        limits: &options.limits,
        placeholders: options.placeholders.as_ref(),
        top: e,
        items: 0,
    };
    let item = reading.item(e, None, 1)?;
    let len = encoded_len(&item);
    if len > options.limits.max_message {
        return Err(e.error(XmlErrorKind::MessageTooLarge {
            element: e.name.clone(),
            len,
            max: options.limits.max_message,
        }));
    }
    Ok(item)
}

/// One conversion: its options and what it has counted so far.
struct Reading<'a> {
    limits: &'a Limits,
    placeholders: Option<&'a Placeholders>,
    /// The element converted, which errors about the whole item name.
    top: &'a Element,
    items: usize,
}

impl Reading<'_> {
    /// Converts `e` at structure depth `depth` (1 for the outermost item). `value_vocab` is
    /// the tag whose names an Attribute Value uses: the attribute its sibling Attribute Name
    /// names.
    fn item(
        &mut self,
        e: &Element,
        value_vocab: Option<Tag>,
        depth: usize,
    ) -> Result<Ttlv, XmlError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(self.top.error(XmlErrorKind::TooManyItems {
                element: self.top.name.clone(),
                max: self.limits.max_items,
            }));
        }
        if let Some((name, _)) = e
            .attributes
            .iter()
            .find(|(n, _)| !matches!(n.as_str(), "tag" | "type" | "value"))
        {
            return Err(e.error(XmlErrorKind::UnknownAttribute {
                element: e.name.clone(),
                attribute: name.clone(),
            }));
        }
        let tag = element_tag(e)?;
        let item_type = match e.attribute("type") {
            None => ItemType::Structure,
            Some(t) => ItemType::from_name(t).ok_or_else(|| {
                e.error(XmlErrorKind::UnknownType {
                    element: e.name.clone(),
                    value: t.to_string(),
                })
            })?,
        };
        if item_type == ItemType::Structure {
            return self.structure(e, tag, depth);
        }
        if !e.children.is_empty() {
            return Err(e.error(XmlErrorKind::ChildrenOfPrimitive {
                element: e.name.clone(),
                item_type,
            }));
        }
        let vocab = if tag == tags::ATTRIBUTE_VALUE {
            value_vocab.unwrap_or(tag)
        } else {
            tag
        };
        let value = self.primitive(e, item_type, vocab)?;
        Ok(Ttlv::new(tag, value))
    }

    fn structure(&mut self, e: &Element, tag: Tag, depth: usize) -> Result<Ttlv, XmlError> {
        if e.attribute("value").is_some() {
            return Err(e.error(XmlErrorKind::ValueOnStructure {
                element: e.name.clone(),
            }));
        }
        if depth > self.limits.max_depth {
            return Err(e.error(XmlErrorKind::StructureTooDeep {
                element: e.name.clone(),
                max: self.limits.max_depth,
            }));
        }
        let mut items = Vec::with_capacity(e.children.len());
        let mut attribute_tag: Option<Tag> = None;
        for child in &e.children {
            let item = self.item(child, attribute_tag, depth + 1)?;
            if let (true, Value::TextString(name)) = (item.tag == tags::ATTRIBUTE_NAME, &item.value)
            {
                attribute_tag = attributes::tag_for_name(name);
            }
            items.push(item);
        }
        Ok(Ttlv::new(tag, Value::Structure(items)))
    }

    /// The value of a primitive element of `item_type`, whose names are `vocab`'s.
    fn primitive(&self, e: &Element, item_type: ItemType, vocab: Tag) -> Result<Value, XmlError> {
        let value = e.attribute("value");
        let need = || {
            value.ok_or_else(|| {
                e.error(XmlErrorKind::MissingValue {
                    element: e.name.clone(),
                    item_type,
                })
            })
        };
        let bad = |detail: String| {
            e.error(XmlErrorKind::BadValue {
                element: e.name.clone(),
                item_type,
                detail,
            })
        };
        Ok(match item_type {
            ItemType::Integer => {
                let s = need()?;
                let n =
                    spelling::integer_from_text(s).or_else(|| spelling::mask_from_text(vocab, s));
                Value::Integer(n.ok_or_else(|| {
                    let names = if spelling::is_mask(vocab) {
                        " nor flag names of the mask"
                    } else {
                        ""
                    };
                    bad(format!(
                        "{} is not a 32-bit number in decimal or 0x hex{names}",
                        quote(s)
                    ))
                })?)
            }
            ItemType::LongInteger => {
                let s = need()?;
                Value::LongInteger(spelling::long_from_text(s).ok_or_else(|| {
                    bad(format!(
                        "{} is not a 64-bit number in decimal or 0x hex",
                        quote(s)
                    ))
                })?)
            }
            ItemType::BigInteger => {
                let mut b = spelling::bytes_from_hex(need()?).map_err(|f| bad(f.to_string()))?;
                // The wire form is a multiple of eight bytes, sign-extended.
                let pad = (8 - b.len() % 8) % 8;
                let fill = if b.first().is_some_and(|f| f & 0x80 != 0) {
                    0xff
                } else {
                    0
                };
                let mut v = Zeroizing::new(vec![fill; pad]);
                v.append(&mut b);
                self.check_len(e, item_type, v.len())?;
                Value::BigInteger(v)
            }
            ItemType::Enumeration => {
                let s = need()?;
                Value::Enumeration(spelling::enumeration_from_text(vocab, s).ok_or_else(|| {
                    bad(format!(
                        "{} is neither 0x and eight hex digits nor a name of {} values",
                        quote(s),
                        tags::name(vocab).unwrap_or("this tag's")
                    ))
                })?)
            }
            ItemType::Boolean => {
                let s = need()?;
                Value::Boolean(match s {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad(format!("{} is not true or false", quote(s)))),
                })
            }
            ItemType::TextString => {
                let s = value.unwrap_or("");
                let text = match (self.placeholders, s.strip_prefix("$UNIQUE_IDENTIFIER_")) {
                    (Some(_), Some(n)) => format!("uid-{n}"),
                    _ => s.to_string(),
                };
                self.check_len(e, item_type, text.len())?;
                Value::TextString(text)
            }
            ItemType::ByteString => {
                let s = value.unwrap_or("");
                let bytes = match self.placeholders {
                    Some(_) if s.starts_with('$') => placeholder_bytes(s),
                    _ => spelling::bytes_from_hex(s).map_err(|f| bad(f.to_string()))?,
                };
                self.check_len(e, item_type, bytes.len())?;
                Value::ByteString(Zeroizing::new(bytes))
            }
            ItemType::DateTime => {
                let s = need()?;
                let t = self
                    .placeholder_time(s)
                    .or_else(|| spelling::iso8601_micros(s).map(|m| m.div_euclid(1_000_000)))
                    .or_else(|| spelling::long_from_text(s))
                    .ok_or_else(|| bad(format!("{} is not an ISO 8601 date-time", quote(s))))?;
                Value::DateTime(t)
            }
            ItemType::DateTimeExtended => {
                let s = need()?;
                let t = self
                    .placeholder_time(s)
                    .and_then(|t| t.checked_mul(1_000_000))
                    .or_else(|| spelling::iso8601_micros(s))
                    .or_else(|| spelling::long_from_text(s))
                    .ok_or_else(|| bad(format!("{} is not an ISO 8601 date-time", quote(s))))?;
                Value::DateTimeExtended(t)
            }
            ItemType::Interval => {
                let s = need()?;
                Value::Interval(spelling::interval_from_text(s).ok_or_else(|| {
                    bad(format!(
                        "{} is not a number of seconds below 2^32",
                        quote(s)
                    ))
                })?)
            }
            // Structures are read by `structure`.
            ItemType::Structure => Value::Structure(Vec::new()),
        })
    }

    fn check_len(&self, e: &Element, item_type: ItemType, len: usize) -> Result<(), XmlError> {
        if len > self.limits.max_item_len {
            return Err(e.error(XmlErrorKind::ItemTooLarge {
                element: e.name.clone(),
                item_type,
                len,
                max: self.limits.max_item_len,
            }));
        }
        Ok(())
    }

    /// `$NOW`, `$NOW+n` or `$NOW-n` in seconds, when placeholders are read.
    fn placeholder_time(&self, v: &str) -> Option<i64> {
        let now = self.placeholders?.now;
        let rest = v.strip_prefix("$NOW")?;
        if rest.is_empty() {
            return Some(now);
        }
        let (sign, n) = match rest.split_at_checked(1)? {
            ("+", n) => (1, n),
            ("-", n) => (-1, n),
            _ => return None,
        };
        // An offset near i64::MAX must fail the element, not overflow.
        n.parse::<i64>()
            .ok()?
            .checked_mul(sign)
            .and_then(|offset| now.checked_add(offset))
    }
}

/// The element's tag: its `tag` attribute (a name or hex), else its name.
fn element_tag(e: &Element) -> Result<Tag, XmlError> {
    if let Some(t) = e.attribute("tag") {
        return spelling::tag_from_text(t).ok_or_else(|| {
            e.error(XmlErrorKind::BadTag {
                element: e.name.clone(),
                value: t.to_string(),
            })
        });
    }
    tags::by_name(&e.name).ok_or_else(|| {
        e.error(XmlErrorKind::UnknownTag {
            element: e.name.clone(),
        })
    })
}

/// `$NAME_n` placeholders in byte strings: sixteen deterministic dummy bytes.
fn placeholder_bytes(v: &str) -> Vec<u8> {
    let seed = v
        .bytes()
        .fold(0u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    (0..16u8).map(|i| seed.wrapping_add(i)).collect()
}

/// A value quoted for an error message, cut at 40 characters.
fn quote(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((cut, _)) => format!("{:?}…", s.get(..cut).unwrap_or_default()),
        None => format!("{s:?}"),
    }
}
