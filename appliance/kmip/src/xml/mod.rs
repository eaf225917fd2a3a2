//! KMIP XML encoding (KMIP Profiles, "XML Encoding") to TTLV, for test vectors and tooling.
//!
//! Each element is one TTLV item: the element name is the tag's XML name (or `TTLV` with a
//! `tag="0x54xxxx"` attribute), `type` gives the item type (Structure when absent) and `value`
//! the value: enumerations by XML name or hex, masks as space-separated flag names, Date-Time as
//! ISO 8601, Byte String and Big Integer as hex. The OASIS test cases also use placeholders
//! (`$NOW-3600`, `$UNIQUE_IDENTIFIER_0`, `$IV_COUNTER_NONCE`, ...) for values only known at run
//! time; they are replaced by fixed dummies. This is a small, strict parser for that subset of
//! XML (elements, attributes, comments, declarations, character references), not a general one.

use crate::attributes;
use crate::enums::{
    self, CryptographicUsageMask, KmipEnum, ProtectionStorageMask, StorageStatusMask,
};
use crate::tags;
use crate::ttlv::{Tag, Ttlv, Value};
use zeroize::Zeroizing;

/// Why an XML document could not be converted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("XML line {line}: {message}")]
pub struct XmlError {
    /// 1-based line of the element at fault.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// An XML element: name, attributes, children (text content is ignored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Element name.
    pub name: String,
    /// Attributes in document order.
    pub attributes: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Element>,
    /// 1-based line where the element starts.
    pub line: usize,
}

impl Element {
    /// The value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
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

fn err(line: usize, message: impl Into<String>) -> XmlError {
    XmlError {
        line,
        message: message.into(),
    }
}

/// Parses an XML document into its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut p = Parser {
        s: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    p.skip_misc()?;
    let root = p.element(0)?;
    p.skip_misc()?;
    if p.pos < p.s.len() {
        return Err(err(p.line, "content after the root element"));
    }
    Ok(root)
}

/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn starts(&self, pat: &str) -> bool {
        self.s
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(pat.as_bytes()))
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.bump();
        }
    }

    fn skip_until(&mut self, end: &str) -> Result<(), XmlError> {
        let line = self.line;
        while !self.starts(end) {
            if self.bump().is_none() {
                return Err(err(line, format!("unterminated construct, expected {end}")));
            }
        }
        for _ in 0..end.len() {
            self.bump();
        }
        Ok(())
    }

    /// Skips whitespace, comments, declarations and processing instructions.
    fn skip_misc(&mut self) -> Result<(), XmlError> {
        loop {
            self.skip_ws();
            if self.starts("<!--") {
                self.skip_until("-->")?;
            } else if self.starts("<?") {
                self.skip_until("?>")?;
            } else if self.starts("<!") {
                self.skip_until(">")?;
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<String, XmlError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'))
        {
            self.bump();
        }
        if start == self.pos {
            return Err(err(self.line, "expected a name"));
        }
        Ok(String::from_utf8_lossy(self.s.get(start..self.pos).unwrap_or_default()).into_owned())
    }

    fn element(&mut self, depth: usize) -> Result<Element, XmlError> {
        if depth > MAX_DEPTH {
            return Err(err(self.line, "elements nest too deeply"));
        }
        let line = self.line;
        if self.bump() != Some(b'<') {
            return Err(err(line, "expected '<'"));
        }
        let name = self.name()?;
        let mut attributes = Vec::new();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'/') => {
                    self.bump();
                    if self.bump() != Some(b'>') {
                        return Err(err(self.line, "expected '>' after '/'"));
                    }
                    return Ok(Element {
                        name,
                        attributes,
                        children: Vec::new(),
                        line,
                    });
                }
                Some(b'>') => {
                    self.bump();
                    break;
                }
                Some(_) => {
                    let an = self.name()?;
                    self.skip_ws();
                    if self.bump() != Some(b'=') {
                        return Err(err(self.line, format!("expected '=' after attribute {an}")));
                    }
                    self.skip_ws();
                    let q = self.bump();
                    if !matches!(q, Some(b'"') | Some(b'\'')) {
                        return Err(err(self.line, "expected a quoted attribute value"));
                    }
                    let start = self.pos;
                    while self.peek().is_some_and(|c| Some(c) != q) {
                        self.bump();
                    }
                    let raw = self.s.get(start..self.pos).unwrap_or_default();
                    if self.bump().is_none() {
                        return Err(err(line, "unterminated attribute value"));
                    }
                    let raw = std::str::from_utf8(raw)
                        .map_err(|_| err(self.line, "attribute value is not UTF-8"))?;
                    attributes.push((an, unescape(raw).map_err(|m| err(self.line, m))?));
                }
                None => return Err(err(line, format!("unterminated element {name}"))),
            }
        }
        let mut children = Vec::new();
        loop {
            // Text content is not part of the KMIP XML encoding: skip it.
            while self.peek().is_some_and(|c| c != b'<') {
                self.bump();
            }
            if self.starts("<!--") {
                self.skip_until("-->")?;
            } else if self.starts("</") {
                self.bump();
                self.bump();
                let end = self.name()?;
                self.skip_ws();
                if end != name || self.bump() != Some(b'>') {
                    return Err(err(self.line, format!("expected </{name}>")));
                }
                return Ok(Element {
                    name,
                    attributes,
                    children,
                    line,
                });
            } else if self.peek().is_none() {
                return Err(err(line, format!("unterminated element {name}")));
            } else {
                children.push(self.element(depth + 1)?);
            }
        }
    }
}

fn unescape(raw: &str) -> Result<String, String> {
    if !raw.contains('&') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(rest.get(..i).unwrap_or_default());
        let after = rest.get(i + 1..).unwrap_or_default();
        let Some(end) = after.find(';') else {
            return Err("unterminated character reference".into());
        };
        let ent = after.get(..end).unwrap_or_default();
        let c = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = if let Some(h) = ent.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown character reference &{ent};"))?
            }
        };
        out.push(c);
        rest = after.get(end + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses a document and converts every child of its root (the OASIS files wrap messages in
/// `<KMIP>`) — or the root itself when it is a known KMIP tag — to TTLV.
pub fn document_to_ttlv(text: &str, ph: &Placeholders) -> Result<Vec<Ttlv>, XmlError> {
    let root = parse(text)?;
    if tags::by_name(&root.name).is_some() {
        return Ok(vec![to_ttlv(&root, ph)?]);
    }
    root.children.iter().map(|e| to_ttlv(e, ph)).collect()
}

/// Converts one element (and its children) to TTLV.
pub fn to_ttlv(e: &Element, ph: &Placeholders) -> Result<Ttlv, XmlError> {
    convert(e, ph, None)
}

fn element_tag(e: &Element) -> Result<Tag, XmlError> {
    if let Some(t) = e.attribute("tag") {
        return parse_hex_u32(t)
            .map(Tag)
            .ok_or_else(|| err(e.line, format!("bad tag attribute {t:?}")));
    }
    tags::by_name(&e.name).ok_or_else(|| err(e.line, format!("unknown tag name {}", e.name)))
}

fn parse_hex_u32(s: &str) -> Option<u32> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u32::from_str_radix(h, 16).ok()
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `$NAME_n` placeholders in byte strings: deterministic dummy bytes.
fn placeholder_bytes(v: &str) -> Vec<u8> {
    let seed = v
        .bytes()
        .fold(0u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
    (0..16u8).map(|i| seed.wrapping_add(i)).collect()
}

fn placeholder_time(v: &str, ph: &Placeholders) -> Option<i64> {
    let rest = v.strip_prefix("$NOW")?;
    if rest.is_empty() {
        return Some(ph.now);
    }
    let (sign, n) = match rest.split_at_checked(1)? {
        ("+", n) => (1, n),
        ("-", n) => (-1, n),
        _ => return None,
    };
    // Test files are outside input: an offset near i64::MAX must fail the element, not panic.
    n.parse::<i64>()
        .ok()?
        .checked_mul(sign)
        .and_then(|offset| ph.now.checked_add(offset))
}

/// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" to microseconds since the epoch.
pub fn parse_iso8601_micros(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    if b.len() < 19 || b.get(4) != Some(&b'-') || b.get(10) != Some(&b'T') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        let frac = s.get(start..i)?;
        let padded: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros = padded.parse().ok()?;
    }
    let offset = match s.get(i..)? {
        "" | "Z" => 0,
        tz => {
            let sign = match tz.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let oh: i64 = tz.get(1..3)?.parse().ok()?;
            let om: i64 = tz.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    Some(secs * 1_000_000 + micros)
}

fn parse_int(s: &str) -> Option<i64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(h, 16).ok().map(|v| v as i64);
    }
    s.parse().ok()
}

/// The enumeration vocabulary of items with tag `tag`: (name → value, value → name).
type Vocab = (fn(&str) -> Option<u32>, fn(u32) -> Option<&'static str>);

fn vocabulary(tag: Tag) -> Option<Vocab> {
    fn by<E: KmipEnum>(name: &str) -> Option<u32> {
        E::from_spec_name(name).map(E::value)
    }
    fn name_of<E: KmipEnum>(value: u32) -> Option<&'static str> {
        E::from_value(value).map(E::spec_name)
    }
    fn tag_by_name(name: &str) -> Option<u32> {
        tags::by_name(name).map(|t| t.0)
    }
    fn tag_name_of(value: u32) -> Option<&'static str> {
        tags::name(Tag(value))
    }
    macro_rules! table {
        ($($t:ident => $e:ident),+ $(,)?) => {
            $(if tag == tags::$t { return Some((by::<enums::$e>, name_of::<enums::$e>)); })+
        };
    }
    if tag == tags::ATTRIBUTE_REFERENCE || tag == tags::TAG || tag == tags::EXTENSION_TAG {
        return Some((tag_by_name, tag_name_of));
    }
    table! {
        ALTERNATIVE_NAME_TYPE => AlternativeNameType,
        ATTESTATION_TYPE => AttestationType,
        BATCH_ERROR_CONTINUATION_OPTION => BatchErrorContinuationOption,
        BLOCK_CIPHER_MODE => BlockCipherMode,
        CANCELLATION_RESULT => CancellationResult,
        CERTIFICATE_REQUEST_TYPE => CertificateRequestType,
        CERTIFICATE_TYPE => CertificateType,
        CLIENT_REGISTRATION_METHOD => ClientRegistrationMethod,
        CREDENTIAL_TYPE => CredentialType,
        CRYPTOGRAPHIC_ALGORITHM => CryptographicAlgorithm,
        DERIVATION_METHOD => DerivationMethod,
        DESTROY_ACTION => DestroyAction,
        DIGITAL_SIGNATURE_ALGORITHM => DigitalSignatureAlgorithm,
        DRBG_ALGORITHM => DrbgAlgorithm,
        ENCODING_OPTION => EncodingOption,
        FIPS186_VARIATION => Fips186Variation,
        HASHING_ALGORITHM => HashingAlgorithm,
        MASK_GENERATOR_HASHING_ALGORITHM => HashingAlgorithm,
        KEY_COMPRESSION_TYPE => KeyCompressionType,
        KEY_FORMAT_TYPE => KeyFormatType,
        KEY_ROLE_TYPE => KeyRoleType,
        KEY_VALUE_LOCATION_TYPE => KeyValueLocationType,
        KEY_WRAP_TYPE => KeyWrapType,
        LINK_TYPE => LinkType,
        MASK_GENERATOR => MaskGenerator,
        NAME_TYPE => NameType,
        NIST_KEY_TYPE => NistKeyType,
        OBJECT_GROUP_MEMBER => ObjectGroupMember,
        OBJECT_TYPE => ObjectType,
        OPERATION => Operation,
        PADDING_METHOD => PaddingMethod,
        PUT_FUNCTION => PutFunction,
        QUERY_FUNCTION => QueryFunction,
        RECOMMENDED_CURVE => RecommendedCurve,
        RESULT_REASON => ResultReason,
        RESULT_STATUS => ResultStatus,
        REVOCATION_REASON_CODE => RevocationReasonCode,
        RNG_ALGORITHM => RngAlgorithm,
        RNG_MODE => RngMode,
        SECRET_DATA_TYPE => SecretDataType,
        SHREDDING_ALGORITHM => ShreddingAlgorithm,
        SPLIT_KEY_METHOD => SplitKeyMethod,
        STATE => State,
        UNIQUE_IDENTIFIER => UniqueIdentifier,
        UNWRAP_MODE => UnwrapMode,
        USAGE_LIMITS_UNIT => UsageLimitsUnit,
        VALIDATION_AUTHORITY_TYPE => ValidationAuthorityType,
        VALIDATION_TYPE => ValidationType,
        VALIDITY_INDICATOR => ValidityIndicator,
        WRAPPING_METHOD => WrappingMethod,
        ADJUSTMENT_TYPE => AdjustmentType,
        ASYNCHRONOUS_INDICATOR => AsynchronousIndicator,
        DATA => Data,
        PKCS11_FUNCTION => Pkcs11Function,
        PKCS11_RETURN_CODE => Pkcs11ReturnCode,
        ENDPOINT_ROLE => EndpointRole,
        INTEROP_FUNCTION => InteropFunction,
        PROTECTION_LEVEL => ProtectionLevel,
        TICKET_TYPE => TicketType,
    }
    None
}

/// The enumeration value named `name` for items with tag `tag`.
fn enum_value(tag: Tag, name: &str) -> Option<u32> {
    vocabulary(tag).and_then(|(by, _)| by(name))
}

/// The XML name of enumeration value `value` for items with tag `tag`.
fn enum_name(tag: Tag, value: u32) -> Option<&'static str> {
    vocabulary(tag).and_then(|(_, name_of)| name_of(value))
}

/// The mask value written as flag names for items with tag `tag`.
fn mask_value(tag: Tag, text: &str) -> Option<u32> {
    if tag == tags::STORAGE_STATUS_MASK {
        StorageStatusMask::from_spec_text(text).map(|m| m.0)
    } else if tag == tags::PROTECTION_STORAGE_MASK {
        ProtectionStorageMask::from_spec_text(text).map(|m| m.0)
    } else {
        CryptographicUsageMask::from_spec_text(text).map(|m| m.0)
    }
}

/// Converts an element. `value_tag` is the tag whose vocabulary an Attribute Value uses (the
/// tag of the attribute named by the sibling Attribute Name).
fn convert(e: &Element, ph: &Placeholders, value_tag: Option<Tag>) -> Result<Ttlv, XmlError> {
    let tag = element_tag(e)?;
    let vocab = if tag == tags::ATTRIBUTE_VALUE {
        value_tag.unwrap_or(tag)
    } else {
        tag
    };
    let ty = e.attribute("type").unwrap_or("Structure");
    let v = e.attribute("value");
    let need = || v.ok_or_else(|| err(e.line, format!("{} has no value attribute", e.name)));
    let bad = |what: &str| {
        err(
            e.line,
            format!("{}: bad {what} value {:?}", e.name, v.unwrap_or("")),
        )
    };
    let value = match ty {
        "Structure" => {
            let mut items = Vec::with_capacity(e.children.len());
            let mut attr_tag: Option<Tag> = None;
            for c in &e.children {
                let item = convert(c, ph, attr_tag)?;
                if let (true, Value::TextString(n)) =
                    (item.tag == tags::ATTRIBUTE_NAME, &item.value)
                {
                    attr_tag = attributes::tag_for_name(n);
                }
                items.push(item);
            }
            Value::Structure(items)
        }
        "Integer" => {
            let s = need()?;
            match parse_int(s) {
                Some(n) => Value::Integer(
                    i32::try_from(n)
                        .or_else(|_| u32::try_from(n).map(|u| u as i32))
                        .map_err(|_| bad("Integer"))?,
                ),
                // Masks are written as flag names; reinterpret the bits as the wire Integer.
                None => Value::Integer(mask_value(vocab, s).ok_or_else(|| bad("Integer"))? as i32),
            }
        }
        "LongInteger" => Value::LongInteger(parse_int(need()?).ok_or_else(|| bad("LongInteger"))?),
        "BigInteger" => {
            let s = need()?;
            let mut b = hex_bytes(s).ok_or_else(|| bad("BigInteger"))?;
            // The wire form is a multiple of eight bytes, sign-extended.
            let pad = (8 - b.len() % 8) % 8;
            let fill = if b.first().is_some_and(|f| f & 0x80 != 0) {
                0xff
            } else {
                0
            };
            let mut v = vec![fill; pad];
            v.append(&mut b);
            Value::BigInteger(Zeroizing::new(v))
        }
        "Enumeration" => {
            let s = need()?;
            match parse_hex_u32(s) {
                Some(n) => Value::Enumeration(n),
                None => Value::Enumeration(enum_value(vocab, s).ok_or_else(|| bad("Enumeration"))?),
            }
        }
        "Boolean" => Value::Boolean(match need()? {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(bad("Boolean")),
        }),
        "TextString" => {
            let s = v.unwrap_or("");
            Value::TextString(match s.strip_prefix("$UNIQUE_IDENTIFIER_") {
                Some(n) => format!("uid-{n}"),
                None => s.to_string(),
            })
        }
        "ByteString" => {
            let s = v.unwrap_or("");
            Value::ByteString(Zeroizing::new(if s.starts_with('$') {
                placeholder_bytes(s)
            } else {
                hex_bytes(s).ok_or_else(|| bad("ByteString"))?
            }))
        }
        "DateTime" => {
            let s = need()?;
            let t = placeholder_time(s, ph)
                .or_else(|| parse_iso8601_micros(s).map(|m| m.div_euclid(1_000_000)))
                .or_else(|| parse_int(s))
                .ok_or_else(|| bad("DateTime"))?;
            Value::DateTime(t)
        }
        "DateTimeExtended" => {
            let s = need()?;
            let t = placeholder_time(s, ph)
                .and_then(|t| t.checked_mul(1_000_000))
                .or_else(|| parse_iso8601_micros(s))
                .or_else(|| parse_int(s))
                .ok_or_else(|| bad("DateTimeExtended"))?;
            Value::DateTimeExtended(t)
        }
        "Interval" => Value::Interval(
            parse_int(need()?)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| bad("Interval"))?,
        ),
        other => return Err(err(e.line, format!("{}: unknown type {other:?}", e.name))),
    };
    if !matches!(value, Value::Structure(_)) && !e.children.is_empty() {
        return Err(err(
            e.line,
            format!("{}: a {ty} cannot have children", e.name),
        ));
    }
    Ok(Ttlv::new(tag, value))
}

/// Writes a TTLV item in the KMIP XML encoding (two-space indentation), the inverse of
/// [`to_ttlv`]: enumerations and usage masks by name when known, Date-Time as ISO 8601 UTC.
pub fn to_xml(item: &Ttlv) -> String {
    let mut out = String::new();
    write_item(item, 0, None, &mut out);
    out
}

fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 => out.push_str(&format!("&#x{:x};", c as u32)),
            c => out.push(c),
        }
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SS+00:00".
pub fn format_iso8601(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn write_item(item: &Ttlv, depth: usize, value_tag: Option<Tag>, out: &mut String) {
    let indent = "  ".repeat(depth);
    out.push_str(&indent);
    out.push('<');
    let name = tags::name(item.tag);
    match name {
        Some(n) => out.push_str(n),
        None => out.push_str(&format!("TTLV tag=\"0x{:06x}\"", item.tag.0)),
    }
    let vocab = if item.tag == tags::ATTRIBUTE_VALUE {
        value_tag.unwrap_or(item.tag)
    } else {
        item.tag
    };
    let (ty, value): (&str, String) = match &item.value {
        Value::Structure(items) => {
            if items.is_empty() {
                out.push_str("/>\n");
                return;
            }
            out.push_str(">\n");
            let mut attr_tag = None;
            for c in items {
                write_item(c, depth + 1, attr_tag, out);
                if let (true, Value::TextString(n)) = (c.tag == tags::ATTRIBUTE_NAME, &c.value) {
                    attr_tag = attributes::tag_for_name(n);
                }
            }
            out.push_str(&indent);
            out.push_str("</");
            out.push_str(name.unwrap_or("TTLV"));
            out.push_str(">\n");
            return;
        }
        Value::Integer(v) => {
            let is_mask = vocab == tags::CRYPTOGRAPHIC_USAGE_MASK
                || vocab == tags::STORAGE_STATUS_MASK
                || vocab == tags::PROTECTION_STORAGE_MASK;
            // Masks are Integers on the wire; reinterpret the bits.
            let bits = *v as u32;
            let text = if !is_mask || bits == 0 {
                v.to_string()
            } else if vocab == tags::STORAGE_STATUS_MASK {
                StorageStatusMask(bits).to_spec_text()
            } else if vocab == tags::PROTECTION_STORAGE_MASK {
                ProtectionStorageMask(bits).to_spec_text()
            } else {
                CryptographicUsageMask(bits).to_spec_text()
            };
            ("Integer", text)
        }
        Value::LongInteger(v) => ("LongInteger", v.to_string()),
        Value::BigInteger(b) => ("BigInteger", hex(b)),
        Value::Enumeration(v) => (
            "Enumeration",
            enum_name(vocab, *v)
                .map(str::to_string)
                .unwrap_or_else(|| format!("0x{v:08x}")),
        ),
        Value::Boolean(v) => ("Boolean", v.to_string()),
        Value::TextString(s) => ("TextString", s.clone()),
        Value::ByteString(b) => ("ByteString", hex(b)),
        Value::DateTime(t) => ("DateTime", format_iso8601(*t)),
        Value::Interval(v) => ("Interval", v.to_string()),
        Value::DateTimeExtended(v) => ("DateTimeExtended", v.to_string()),
    };
    out.push_str(" type=\"");
    out.push_str(ty);
    out.push_str("\" value=\"");
    escape(&value, out);
    out.push_str("\"/>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(
            parse_iso8601_micros("1970-01-01T00:00:06+00:00"),
            Some(6_000_000)
        );
        assert_eq!(
            parse_iso8601_micros("2000-03-01T00:00:00Z"),
            Some(951_868_800_000_000)
        );
        assert_eq!(
            parse_iso8601_micros("2000-03-01T01:00:00+01:00"),
            Some(951_868_800_000_000)
        );
        assert_eq!(
            parse_iso8601_micros("1970-01-01T00:00:00.5Z"),
            Some(500_000)
        );
        assert_eq!(parse_iso8601_micros("1970-13-01T00:00:00Z"), None);
    }

    #[test]
    fn now_placeholders_that_overflow_are_errors() {
        let ph = Placeholders::default();
        for (ty, value) in [
            ("DateTime", "$NOW+9223372036854775807"),
            ("DateTime", "$NOW--9223372036854775808"),
            ("DateTimeExtended", "$NOW+9223372036854775807"),
            ("DateTimeExtended", "$NOW+9223372036854"),
        ] {
            let doc = format!(r#"<ActivationDate type="{ty}" value="{value}"/>"#);
            let element = parse(&doc).unwrap();
            let result = to_ttlv(&element, &ph);
            assert!(result.is_err(), "{ty} {value}: {result:?}");
        }
        let element = parse(r#"<ActivationDate type="DateTime" value="$NOW-100"/>"#).unwrap();
        let ttlv = to_ttlv(&element, &ph).unwrap();
        assert!(
            matches!(ttlv.value, Value::DateTime(t) if t == ph.now - 100),
            "{ttlv:?}"
        );
    }

    #[test]
    fn converts_a_small_message() {
        let doc = r#"<KMIP><!-- c -->
          <RequestMessage>
            <RequestHeader>
              <ProtocolVersion>
                <ProtocolVersionMajor type="Integer" value="1"/>
                <ProtocolVersionMinor type="Integer" value="4"/>
              </ProtocolVersion>
              <BatchCount type="Integer" value="1"/>
            </RequestHeader>
            <BatchItem>
              <Operation type="Enumeration" value="Create"/>
              <RequestPayload>
                <ObjectType type="Enumeration" value="SymmetricKey"/>
                <TemplateAttribute>
                  <Attribute>
                    <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
                    <AttributeValue type="Integer" value="Encrypt Decrypt"/>
                  </Attribute>
                  <Attribute>
                    <AttributeName type="TextString" value="Cryptographic Algorithm"/>
                    <AttributeValue type="Enumeration" value="AES"/>
                  </Attribute>
                  <Attribute>
                    <AttributeName type="TextString" value="x-&amp;"/>
                    <AttributeValue type="DateTime" value="$NOW-3600"/>
                  </Attribute>
                </TemplateAttribute>
              </RequestPayload>
            </BatchItem>
          </RequestMessage></KMIP>"#;
        let items = document_to_ttlv(doc, &Placeholders::default()).unwrap();
        assert_eq!(items.len(), 1);
        let m = &items[0];
        assert_eq!(m.tag, tags::REQUEST_MESSAGE);
        let ta = m
            .child(tags::BATCH_ITEM)
            .and_then(|b| b.child(tags::REQUEST_PAYLOAD))
            .and_then(|p| p.child(tags::TEMPLATE_ATTRIBUTE))
            .unwrap();
        let vals: Vec<&Value> = ta
            .children()
            .iter()
            .map(|a| &a.child(tags::ATTRIBUTE_VALUE).unwrap().value)
            .collect();
        assert_eq!(vals[0], &Value::Integer(0x0c));
        assert_eq!(vals[1], &Value::Enumeration(3));
        assert_eq!(vals[2], &Value::DateTime(1_700_000_000 - 3600));
        let name = &ta.children()[2].child(tags::ATTRIBUTE_NAME).unwrap().value;
        assert_eq!(name, &Value::TextString("x-&".into()));
    }

    #[test]
    fn rejects_malformed() {
        let ph = Placeholders::default();
        assert!(document_to_ttlv("<KMIP><RequestMessage></KMIP>", &ph).is_err());
        assert!(document_to_ttlv("<Nope/>", &ph).unwrap().is_empty());
        assert!(
            document_to_ttlv(
                r#"<KMIP><BatchCount type="Integer" value="x"/></KMIP>"#,
                &ph
            )
            .is_err()
        );
        assert!(
            document_to_ttlv(
                r#"<KMIP><Operation type="Enumeration" value="Frobnicate"/></KMIP>"#,
                &ph
            )
            .is_err()
        );
        assert!(
            document_to_ttlv(r#"<KMIP><Unheard type="Integer" value="1"/></KMIP>"#, &ph).is_err()
        );
        let deep = "<A>".repeat(100);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn big_integer_and_hex_enum() {
        let ph = Placeholders::default();
        let t = document_to_ttlv(
            r#"<KMIP><Modulus type="BigInteger" value="010001"/><OpaqueDataType type="Enumeration" value="0x80000001"/></KMIP>"#,
            &ph,
        )
        .unwrap();
        assert_eq!(
            t[0].value,
            Value::BigInteger(Zeroizing::new(vec![0, 0, 0, 0, 0, 1, 0, 1]))
        );
        assert_eq!(t[1].value, Value::Enumeration(0x8000_0001));
    }

    #[test]
    fn iso_format_inverts_parse() {
        for t in [0i64, 6, 951_868_800, 1_700_000_000, -86_401, 4_102_444_800] {
            let s = format_iso8601(t);
            assert_eq!(parse_iso8601_micros(&s), Some(t * 1_000_000), "{s}");
        }
    }

    #[test]
    fn xml_writer_inverts_the_reader() {
        let doc = r#"<RequestMessage>
  <BatchItem>
    <Operation type="Enumeration" value="Create"/>
    <RequestPayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <TemplateAttribute>
        <Attribute>
          <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
          <AttributeValue type="Integer" value="Encrypt Decrypt"/>
        </Attribute>
        <Attribute>
          <AttributeName type="TextString" value="x-a&lt;b"/>
          <AttributeValue type="DateTime" value="2023-11-14T22:13:20+00:00"/>
        </Attribute>
      </TemplateAttribute>
      <TTLV tag="0x540001" type="ByteString" value="00ff"/>
      <AttributeReference type="Enumeration" value="CryptographicAlgorithm"/>
      <Modulus type="BigInteger" value="0000000000010001"/>
      <LinkType type="Enumeration" value="0x80000000"/>
    </RequestPayload>
  </BatchItem>
</RequestMessage>
"#;
        let ph = Placeholders::default();
        let t = document_to_ttlv(doc, &ph).unwrap();
        let written = to_xml(&t[0]);
        assert_eq!(written, doc);
        assert_eq!(document_to_ttlv(&written, &ph).unwrap(), t);
    }
}
