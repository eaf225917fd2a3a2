//! Distinguished names: the structured form, its canonical RFC 4514 string, and the parser of
//! DN strings and DN patterns (the authorization file's `dn` values).
//!
//! Canonical form: RDNs from the most specific to the least (RFC 4514 order, the reverse of
//! the certificate's ASN.1 order), separated by `,`, multi-valued RDNs joined by `+`, attribute
//! types as upper-case short names where RFC 4514 (and common practice) defines one and dotted
//! OIDs otherwise, values escaped as RFC 4514 §2.4 requires. Two certificates have the same
//! identity iff their subjects print the same here; values compare exactly (case-sensitive).

use crate::error::DnError;

/// Longest DN string accepted.
pub const MAX_DN_BYTES: usize = 4096;
/// Most attributes in one DN.
pub const MAX_ATTRIBUTES: usize = 64;

/// Short names for attribute types, by OID.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "SERIALNUMBER"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "STREET"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "TITLE"),
    ("2.5.4.42", "GIVENNAME"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.2.840.113549.1.9.1", "EMAILADDRESS"),
];

/// The value of one attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AttrValue {
    /// A string value, unescaped.
    Text(String),
    /// A value that is not a string, as its DER encoding (printed `#` + hex, RFC 4514 §2.4).
    Der(Vec<u8>),
}

impl AttrValue {
    fn is_empty(&self) -> bool {
        match self {
            AttrValue::Text(t) => t.is_empty(),
            AttrValue::Der(d) => d.is_empty(),
        }
    }
}

/// One `type=value` pair.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DnAttribute {
    /// Upper-case short name (`CN`) or dotted OID.
    pub kind: String,
    /// The value.
    pub value: AttrValue,
}

/// A relative distinguished name: one or more attributes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rdn(pub Vec<DnAttribute>);

/// A distinguished name, most specific RDN first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dn(pub Vec<Rdn>);

/// The canonical name of an attribute type given as a short name or OID.
pub(crate) fn canonical_type(kind: &str) -> Result<String, DnError> {
    let kind = kind
        .strip_prefix("OID.")
        .or_else(|| kind.strip_prefix("oid."))
        .unwrap_or(kind);
    let upper = kind.to_ascii_uppercase();
    if let Some((_, short)) = SHORT_NAMES
        .iter()
        .find(|(oid, short)| *oid == kind || *short == upper)
    {
        return Ok((*short).to_owned());
    }
    // Accepted spellings of the same types.
    let alias = match upper.as_str() {
        "E" | "EMAIL" => Some("EMAILADDRESS"),
        "S" => Some("ST"),
        _ => None,
    };
    if let Some(short) = alias {
        return Ok(short.to_owned());
    }
    let oid = kind;
    let is_oid = !oid.is_empty()
        && oid.split('.').count() >= 2
        && oid
            .split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
    if is_oid {
        return Ok(oid.to_owned());
    }
    Err(DnError::BadType(kind.to_owned()))
}

impl DnAttribute {
    /// A canonical attribute from a type given by OID or name.
    pub fn new(kind: &str, value: AttrValue) -> Result<DnAttribute, DnError> {
        Ok(DnAttribute {
            kind: canonical_type(kind)?,
            value,
        })
    }

    /// A canonical attribute with a string value.
    pub fn text(kind: &str, value: impl Into<String>) -> Result<DnAttribute, DnError> {
        DnAttribute::new(kind, AttrValue::Text(value.into()))
    }
}

/// Writes `value` escaped as RFC 4514 §2.4 requires.
fn escape_into(out: &mut String, value: &AttrValue) {
    let value = match value {
        AttrValue::Text(text) => text,
        AttrValue::Der(der) => {
            out.push('#');
            for b in der {
                out.push_str(&format!("{b:02X}"));
            }
            return;
        }
    };
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '\0' => out.push_str("\\00"),
            // A wildcard in a pattern is an unescaped `*`; a real `*` in a value is escaped so
            // that printing an identity never produces a pattern.
            '*' => out.push_str("\\*"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
}

impl std::fmt::Display for Dn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        for (i, rdn) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            for (j, a) in rdn.0.iter().enumerate() {
                if j > 0 {
                    out.push('+');
                }
                out.push_str(&a.kind);
                out.push('=');
                escape_into(&mut out, &a.value);
            }
        }
        f.write_str(&out)
    }
}

/// One attribute value of a parsed pattern: a literal, or the wildcard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PatternValue {
    /// Matches exactly this value.
    Literal(AttrValue),
    /// Matches any non-empty value.
    Any,
}

/// A parsed DN pattern: a DN in which at most one value may be the wildcard `*`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DnPattern(pub Vec<Vec<(String, PatternValue)>>);

impl DnPattern {
    /// Whether `dn` has the same RDNs, types and values (any value at the wildcard).
    pub(crate) fn matches(&self, dn: &Dn) -> bool {
        self.0.len() == dn.0.len()
            && self.0.iter().zip(&dn.0).all(|(p, r)| {
                p.len() == r.0.len()
                    && p.iter().zip(&r.0).all(|((kind, value), a)| {
                        *kind == a.kind
                            && match value {
                                PatternValue::Any => !a.value.is_empty(),
                                PatternValue::Literal(v) => *v == a.value,
                            }
                    })
            })
    }

    /// True when the pattern has a wildcard.
    pub(crate) fn has_wildcard(&self) -> bool {
        self.0
            .iter()
            .flatten()
            .any(|(_, v)| *v == PatternValue::Any)
    }

    /// The exact DN of a pattern without wildcard.
    pub(crate) fn exact(&self) -> Option<Dn> {
        let rdns = self
            .0
            .iter()
            .map(|rdn| {
                rdn.iter()
                    .map(|(kind, v)| match v {
                        PatternValue::Literal(value) => Some(DnAttribute {
                            kind: kind.clone(),
                            value: value.clone(),
                        }),
                        PatternValue::Any => None,
                    })
                    .collect::<Option<Vec<_>>>()
                    .map(Rdn)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Dn(rdns))
    }
}

impl std::str::FromStr for Dn {
    type Err = DnError;

    /// Parses an RFC 4514 string; a `*` value is refused (that is a pattern).
    fn from_str(s: &str) -> Result<Dn, DnError> {
        let pattern = parse_pattern(s)?;
        if pattern.has_wildcard() {
            return Err(DnError::WildcardInExact);
        }
        pattern.exact().ok_or(DnError::Empty)
    }
}

/// Splits `s` at unescaped occurrences of the separators, keeping escapes for the value parser.
fn split_unescaped(s: &str, seps: &[char]) -> Vec<(String, Option<char>)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            current.push(c);
            if let Some(next) = chars.next() {
                current.push(next);
            }
        } else if seps.contains(&c) {
            parts.push((std::mem::take(&mut current), Some(c)));
        } else {
            current.push(c);
        }
    }
    parts.push((current, None));
    parts
}

/// Unescapes one value; `Ok(None)` for the bare wildcard `*`.
fn unescape_value(kind: &str, raw: &str) -> Result<Option<AttrValue>, DnError> {
    // Unescaped spaces around a value are formatting; escaped ones are kept.
    let trimmed_start = raw.trim_start_matches(' ');
    let mut end = trimmed_start.len();
    while end > 0 && trimmed_start.as_bytes()[end - 1] == b' ' {
        let backslashes = trimmed_start.as_bytes()[..end - 1]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            break;
        }
        end -= 1;
    }
    let raw = &trimmed_start[..end];
    if raw == "*" {
        return Ok(None);
    }
    if raw.is_empty() {
        return Err(DnError::EmptyValue(kind.to_owned()));
    }
    if let Some(hex) = raw.strip_prefix('#') {
        let der: Option<Vec<u8>> = (hex.len().is_multiple_of(2) && !hex.is_empty())
            .then(|| {
                hex.as_bytes()
                    .chunks(2)
                    .map(|pair| {
                        std::str::from_utf8(pair)
                            .ok()
                            .and_then(|t| u8::from_str_radix(t, 16).ok())
                    })
                    .collect()
            })
            .flatten();
        return der
            .map(|d| Some(AttrValue::Der(d)))
            .ok_or_else(|| DnError::BadEscape(raw.to_owned()));
    }
    let mut bytes = Vec::with_capacity(raw.len());
    let src = raw.as_bytes();
    let mut i = 0;
    while i < src.len() {
        if src[i] == b'\\' {
            let next = *src
                .get(i + 1)
                .ok_or_else(|| DnError::BadEscape(raw.to_owned()))?;
            if next.is_ascii_hexdigit() {
                let hi = next;
                let lo = *src
                    .get(i + 2)
                    .ok_or_else(|| DnError::BadEscape(raw.to_owned()))?;
                let pair = [hi, lo];
                let text =
                    std::str::from_utf8(&pair).map_err(|_| DnError::BadEscape(raw.to_owned()))?;
                let b =
                    u8::from_str_radix(text, 16).map_err(|_| DnError::BadEscape(raw.to_owned()))?;
                bytes.push(b);
                i += 3;
            } else if b" \"#+,;<=>\\*".contains(&next) {
                bytes.push(next);
                i += 2;
            } else {
                return Err(DnError::BadEscape(raw.to_owned()));
            }
        } else {
            bytes.push(src[i]);
            i += 1;
        }
    }
    String::from_utf8(bytes)
        .map(|t| Some(AttrValue::Text(t)))
        .map_err(|_| DnError::NotUtf8(kind.to_owned()))
}

/// Parses a DN string in which one value may be the wildcard `*`.
pub(crate) fn parse_pattern(s: &str) -> Result<DnPattern, DnError> {
    if s.len() > MAX_DN_BYTES {
        return Err(DnError::TooLong {
            len: s.len(),
            max: MAX_DN_BYTES,
        });
    }
    if s.trim().is_empty() {
        return Err(DnError::Empty);
    }
    let mut rdns: Vec<Vec<(String, PatternValue)>> = vec![Vec::new()];
    let mut count = 0usize;
    let mut wildcards = 0usize;
    for (part, sep) in split_unescaped(s, &[',', '+']) {
        count += 1;
        if count > MAX_ATTRIBUTES {
            return Err(DnError::TooManyAttributes {
                max: MAX_ATTRIBUTES,
            });
        }
        let (kind, raw) = part.split_once('=').ok_or_else(|| DnError::MissingEquals {
            index: count,
            text: part.clone(),
        })?;
        let kind = canonical_type(kind.trim())?;
        let value = match unescape_value(&kind, raw)? {
            Some(v) => PatternValue::Literal(v),
            None => {
                wildcards += 1;
                PatternValue::Any
            }
        };
        if let Some(rdn) = rdns.last_mut() {
            rdn.push((kind, value));
        }
        if sep == Some(',') {
            rdns.push(Vec::new());
        }
    }
    if wildcards > 1 {
        return Err(DnError::TooManyWildcards(wildcards));
    }
    Ok(DnPattern(rdns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dn(rdns: &[&[(&str, &str)]]) -> Dn {
        Dn(rdns
            .iter()
            .map(|r| {
                Rdn(r
                    .iter()
                    .map(|(k, v)| DnAttribute::text(k, *v).unwrap())
                    .collect())
            })
            .collect())
    }

    #[test]
    fn prints_rfc4514_with_escapes() {
        let d = dn(&[
            &[("CN", "Smith, John")],
            &[("O", " Acme+Co ")],
            &[("C", "US")],
        ]);
        assert_eq!(d.to_string(), r"CN=Smith\, John,O=\ Acme\+Co\ ,C=US");
        let d = dn(&[&[("CN", "#1"), ("UID", "a*b")], &[("2.5.4.10", "x;y")]]);
        assert_eq!(d.to_string(), r"CN=\#1+UID=a\*b,O=x\;y");
        let d = dn(&[&[("1.2.3.4", "v\0")]]);
        assert_eq!(d.to_string(), r"1.2.3.4=v\00");
        let der = Dn(vec![Rdn(vec![
            DnAttribute::new("2.5.4.45", AttrValue::Der(vec![0x03, 0x01, 0xAB])).unwrap(),
        ])]);
        assert_eq!(der.to_string(), "2.5.4.45=#0301AB");
        assert_eq!(der.to_string().parse::<Dn>().unwrap(), der);
    }

    #[test]
    fn parses_what_it_prints_and_common_spellings() {
        let d = dn(&[
            &[("CN", "Smith, John")],
            &[("O", " Acme+Co ")],
            &[("C", "US")],
        ]);
        assert_eq!(d.to_string().parse::<Dn>().unwrap(), d);
        assert_eq!(
            "cn=admin, o=Keywarden dev".parse::<Dn>().unwrap(),
            dn(&[&[("CN", "admin")], &[("O", "Keywarden dev")]])
        );
        assert_eq!(
            "OID.2.5.4.3=a,2.5.4.11=b,E=x@y".parse::<Dn>().unwrap(),
            dn(&[&[("CN", "a")], &[("OU", "b")], &[("EMAILADDRESS", "x@y")]])
        );
        assert_eq!(
            r"CN=caf\C3\A9".parse::<Dn>().unwrap(),
            dn(&[&[("CN", "café")]])
        );
    }

    #[test]
    fn bad_strings_are_refused_with_the_reason() {
        assert_eq!("".parse::<Dn>(), Err(DnError::Empty));
        assert!(matches!(
            "CN".parse::<Dn>(),
            Err(DnError::MissingEquals { .. })
        ));
        assert!(matches!("XYZ=a".parse::<Dn>(), Err(DnError::BadType(_))));
        assert!(matches!("CN=".parse::<Dn>(), Err(DnError::EmptyValue(_))));
        assert!(matches!(
            r"CN=a\q".parse::<Dn>(),
            Err(DnError::BadEscape(_))
        ));
        assert!(matches!(r"CN=\FF".parse::<Dn>(), Err(DnError::NotUtf8(_))));
        assert!("CN=*".parse::<Dn>().is_err());
        assert_eq!(parse_pattern("CN=*,O=*"), Err(DnError::TooManyWildcards(2)));
        let long = format!("CN={}", "a".repeat(MAX_DN_BYTES));
        assert!(matches!(long.parse::<Dn>(), Err(DnError::TooLong { .. })));
        let many = vec!["CN=a"; MAX_ATTRIBUTES + 1].join(",");
        assert!(matches!(
            many.parse::<Dn>(),
            Err(DnError::TooManyAttributes { .. })
        ));
    }

    #[test]
    fn a_wildcard_matches_one_value_and_nothing_else() {
        let p = parse_pattern("CN=*,OU=apps,O=Example").unwrap();
        assert!(p.matches(&dn(&[
            &[("CN", "billing")],
            &[("OU", "apps")],
            &[("O", "Example")]
        ])));
        assert!(!p.matches(&dn(&[
            &[("CN", "billing")],
            &[("OU", "ops")],
            &[("O", "Example")]
        ])));
        assert!(!p.matches(&dn(&[&[("CN", "billing")], &[("OU", "apps")]])));
        assert!(!p.matches(&dn(&[
            &[("CN", "billing")],
            &[("OU", "apps")],
            &[("O", "Example")],
            &[("C", "US")]
        ])));
        assert!(!p.matches(&dn(&[
            &[("UID", "billing")],
            &[("OU", "apps")],
            &[("O", "Example")]
        ])));
        // An escaped star is a literal, not a wildcard.
        let literal = parse_pattern(r"CN=\*,O=Example").unwrap();
        assert!(!literal.has_wildcard());
        assert!(literal.matches(&dn(&[&[("CN", "*")], &[("O", "Example")]])));
        assert!(!literal.matches(&dn(&[&[("CN", "x")], &[("O", "Example")]])));
    }

    fn value() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[ -~éü\u{0}#,+;<>\\\\\"*=]{1,12}").unwrap()
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_dn(
            rdns in proptest::collection::vec(
                proptest::collection::vec(
                    (proptest::sample::select(vec!["CN", "O", "OU", "C", "1.2.3.4", "DC"]), value()),
                    1..3),
                1..5)
        ) {
            let d = Dn(rdns
                .iter()
                .map(|r| Rdn(r.iter().map(|(k, v)| DnAttribute::text(k, v.clone()).unwrap()).collect()))
                .collect());
            let text = d.to_string();
            let back: Dn = text.parse().unwrap();
            prop_assert_eq!(back, d);
        }

        #[test]
        fn any_string_parses_or_fails_without_panicking(s in "\\PC{0,200}") {
            let _ = parse_pattern(&s);
            let _ = s.parse::<Dn>();
        }
    }
}
