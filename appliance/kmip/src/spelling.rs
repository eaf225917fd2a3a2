//! How TTLV tags and values are spelled in KMIP's text encodings (KMIP Profiles, "XML
//! Encoding"; the JSON encoding spells values the same way).
//!
//! Tags and enumerations by their normalized name or in hex (`0x420001`, `0x00000003`), masks
//! as flag names, Date-Time as ISO 8601 (RFC 3339), Byte String and Big Integer as hex digits,
//! numbers in decimal or hex. Readers take every form the profiles allow; writers pick one, so
//! that what is written reads back as the same item. An enumeration's names depend on its tag,
//! and an Attribute Value's on the attribute its sibling Attribute Name names, hence the
//! `vocab` tag the callers pass.

use crate::enums::{
    self, CryptographicUsageMask, KmipEnum, ProtectionStorageMask, StorageStatusMask,
};
use crate::tags;
use crate::ttlv::Tag;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `s` without its `0x` (or `0X`) prefix, when it has one.
fn strip_hex_prefix(s: &str) -> Option<&str> {
    s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
}

/// `0x` and one to `max_digits` hex digits, as a number.
fn hex_number(s: &str, max_digits: usize) -> Option<u64> {
    let digits = strip_hex_prefix(s)?;
    if digits.is_empty()
        || digits.len() > max_digits
        || !digits.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// A tag: its name, or `0x` and up to six hex digits.
pub(crate) fn tag_from_text(s: &str) -> Option<Tag> {
    match hex_number(s, 6) {
        Some(n) => u32::try_from(n).ok().map(Tag),
        None => tags::by_name(s),
    }
}

/// A tag in hex: `0x` and six digits.
pub(crate) fn tag_hex(tag: Tag) -> String {
    format!("0x{:06x}", tag.0)
}

/// An Integer: decimal in the range of `i32` or `u32`, or `0x` and up to eight hex digits; a
/// value above `i32::MAX` is the bit pattern of a negative Integer.
pub(crate) fn integer_from_text(s: &str) -> Option<i32> {
    let n = match hex_number(s, 8) {
        Some(n) => i64::try_from(n).ok()?,
        None => s.parse::<i64>().ok()?,
    };
    i32::try_from(n)
        .ok()
        .or_else(|| u32::try_from(n).ok().map(|u| u as i32))
}

/// A Long Integer: decimal, or `0x` and up to sixteen hex digits (the bit pattern).
pub(crate) fn long_from_text(s: &str) -> Option<i64> {
    match hex_number(s, 16) {
        Some(n) => Some(n as i64),
        None => s.parse().ok(),
    }
}

/// An Interval: decimal seconds, or `0x` and up to eight hex digits.
pub(crate) fn interval_from_text(s: &str) -> Option<u32> {
    match hex_number(s, 8) {
        Some(n) => u32::try_from(n).ok(),
        None => s.parse().ok(),
    }
}

/// The name ↔ value tables of an enumeration.
type Vocabulary = (fn(&str) -> Option<u32>, fn(u32) -> Option<&'static str>);

/// The enumeration whose names items with tag `tag` use.
fn vocabulary(tag: Tag) -> Option<Vocabulary> {
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

/// An Enumeration of an item whose names are `vocab`'s: `0x` and up to eight hex digits, or a
/// name of that enumeration.
pub(crate) fn enumeration_from_text(vocab: Tag, s: &str) -> Option<u32> {
    match hex_number(s, 8) {
        Some(n) => u32::try_from(n).ok(),
        None => vocabulary(vocab).and_then(|(by_name, _)| by_name(s)),
    }
}

/// An Enumeration by its name when `vocab`'s enumeration has one for it, else in hex.
pub(crate) fn enumeration_text(vocab: Tag, value: u32) -> String {
    match vocabulary(vocab).and_then(|(_, name_of)| name_of(value)) {
        Some(name) => name.to_string(),
        None => format!("0x{value:08x}"),
    }
}

/// True when Integers with tag `vocab` are masks written as flag names.
pub(crate) fn is_mask(vocab: Tag) -> bool {
    vocab == tags::CRYPTOGRAPHIC_USAGE_MASK
        || vocab == tags::STORAGE_STATUS_MASK
        || vocab == tags::PROTECTION_STORAGE_MASK
}

/// A mask of `vocab` written as flag names (separated by spaces or `|`, hex parts allowed).
pub(crate) fn mask_from_text(vocab: Tag, s: &str) -> Option<i32> {
    let bits = if vocab == tags::STORAGE_STATUS_MASK {
        StorageStatusMask::from_spec_text(s)?.0
    } else if vocab == tags::PROTECTION_STORAGE_MASK {
        ProtectionStorageMask::from_spec_text(s)?.0
    } else if vocab == tags::CRYPTOGRAPHIC_USAGE_MASK {
        CryptographicUsageMask::from_spec_text(s)?.0
    } else {
        return None;
    };
    // Masks are Integers on the wire: the same 32 bits.
    Some(bits as i32)
}

/// An Integer of `vocab`: flag names for a mask with bits set, else decimal.
pub(crate) fn integer_text(vocab: Tag, value: i32) -> String {
    let bits = value as u32;
    if !is_mask(vocab) || bits == 0 {
        value.to_string()
    } else if vocab == tags::STORAGE_STATUS_MASK {
        StorageStatusMask(bits).to_spec_text()
    } else if vocab == tags::PROTECTION_STORAGE_MASK {
        ProtectionStorageMask(bits).to_spec_text()
    } else {
        CryptographicUsageMask(bits).to_spec_text()
    }
}

/// What is wrong with a hex string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HexFault {
    /// An odd number of digits.
    OddLength,
    /// A character that is not a hex digit, at this byte offset.
    NotADigit(usize),
}

impl std::fmt::Display for HexFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HexFault::OddLength => f.write_str("an odd number of hex digits"),
            HexFault::NotADigit(at) => write!(f, "a character that is not a hex digit at {at}"),
        }
    }
}

/// Bytes written as hex digits, two per byte, with or without a `0x` prefix.
pub(crate) fn bytes_from_hex(s: &str) -> Result<Vec<u8>, HexFault> {
    let digits = strip_hex_prefix(s).unwrap_or(s);
    if let Some(at) = digits.bytes().position(|c| !c.is_ascii_hexdigit()) {
        return Err(HexFault::NotADigit(at + (s.len() - digits.len())));
    }
    if !digits.len().is_multiple_of(2) {
        return Err(HexFault::OddLength);
    }
    Ok(digits
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| (nibble(pair[0]) << 4) | nibble(pair[1]))
        .collect())
}

/// The value of a hex digit (the caller has checked that `c` is one).
fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// Bytes as lower-case hex digits.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// An ISO 8601 date-time, "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)" (RFC 3339), as
/// microseconds since the epoch; without an offset the time is UTC. Digits past the
/// microsecond are dropped.
pub(crate) fn iso8601_micros(s: &str) -> Option<i64> {
    let parsed = OffsetDateTime::parse(s, &Rfc3339).or_else(|e| {
        // RFC 3339 requires the offset; ISO 8601 lets it go, and older tools leave it out.
        let has_offset = s.len() > 19
            && s.get(19..)
                .is_some_and(|rest| rest.contains(['Z', 'z', '+', '-']));
        if has_offset {
            Err(e)
        } else {
            OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339)
        }
    });
    let nanos = parsed.ok()?.unix_timestamp_nanos();
    i64::try_from(nanos.div_euclid(1000)).ok()
}

/// A Date-Time (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SS+00:00"; outside the years
/// 0000–9999, which ISO 8601 without extensions cannot write, as `0x` and sixteen hex digits.
pub(crate) fn datetime_text(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(rfc3339_utc)
        .unwrap_or_else(|| format!("0x{:016x}", secs as u64))
}

/// A Date-Time Extended (microseconds since the epoch) as ISO 8601 with the fraction of a
/// second, or in hex like [`datetime_text`].
pub(crate) fn datetime_extended_text(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(rfc3339_utc)
        .unwrap_or_else(|| format!("0x{:016x}", micros as u64))
}

/// RFC 3339 in UTC, with the offset written "+00:00" as the OASIS test cases write it.
fn rfc3339_utc(t: OffsetDateTime) -> Option<String> {
    let text = t.format(&Rfc3339).ok()?;
    Some(match text.strip_suffix('Z') {
        Some(rest) => format!("{rest}+00:00"),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601_micros("1970-01-01T00:00:06+00:00"), Some(6_000_000));
        assert_eq!(
            iso8601_micros("2000-03-01T00:00:00Z"),
            Some(951_868_800_000_000)
        );
        assert_eq!(
            iso8601_micros("2000-03-01T01:00:00+01:00"),
            Some(951_868_800_000_000)
        );
        assert_eq!(iso8601_micros("1970-01-01T00:00:00.5Z"), Some(500_000));
        assert_eq!(iso8601_micros("1970-01-01T00:00:00"), Some(0));
        assert_eq!(iso8601_micros("1970-13-01T00:00:00Z"), None);
        assert_eq!(iso8601_micros("1970-01-01T00:00:00+0"), None);
        assert_eq!(iso8601_micros("yesterday"), None);
    }

    #[test]
    fn dates_write_as_iso_in_range_and_hex_outside() {
        assert_eq!(datetime_text(1_700_000_000), "2023-11-14T22:13:20+00:00");
        assert_eq!(datetime_text(-1), "1969-12-31T23:59:59+00:00");
        assert_eq!(datetime_text(i64::MAX), "0x7fffffffffffffff");
        assert_eq!(
            datetime_extended_text(1_500_000),
            "1970-01-01T00:00:01.5+00:00"
        );
        assert_eq!(
            datetime_extended_text(-1),
            "1969-12-31T23:59:59.999999+00:00"
        );
        for t in [0i64, 6, 951_868_800, 1_700_000_000, -86_401, 4_102_444_800] {
            assert_eq!(
                iso8601_micros(&datetime_text(t)),
                Some(t * 1_000_000),
                "{t}"
            );
        }
        for m in [0i64, 1, -1, 1_700_000_000_123_456, -62_167_219_200_000_000] {
            assert_eq!(iso8601_micros(&datetime_extended_text(m)), Some(m), "{m}");
        }
    }

    #[test]
    fn numbers_in_decimal_and_hex() {
        assert_eq!(integer_from_text("-5"), Some(-5));
        assert_eq!(integer_from_text("0xFFFFFFFF"), Some(-1));
        assert_eq!(integer_from_text("4294967295"), Some(-1));
        assert_eq!(integer_from_text("4294967296"), None);
        assert_eq!(integer_from_text("0x+5"), None);
        assert_eq!(integer_from_text("0x123456789"), None);
        assert_eq!(long_from_text("0xffffffffffffffff"), Some(-1));
        assert_eq!(interval_from_text("-1"), None);
        assert_eq!(tag_from_text("0x540001"), Some(Tag(0x540001)));
        assert_eq!(tag_from_text("0x12345678"), None);
        assert_eq!(tag_from_text("ActivationDate"), Some(tags::ACTIVATION_DATE));
    }

    #[test]
    fn hex_bytes() {
        assert_eq!(bytes_from_hex("00fFa1"), Ok(vec![0, 0xff, 0xa1]));
        assert_eq!(bytes_from_hex("0x0a"), Ok(vec![0x0a]));
        assert_eq!(bytes_from_hex(""), Ok(vec![]));
        assert_eq!(bytes_from_hex("abc"), Err(HexFault::OddLength));
        assert_eq!(bytes_from_hex("0xag"), Err(HexFault::NotADigit(3)));
        assert_eq!(hex(&[0, 0xab]), "00ab");
    }

    #[test]
    fn masks_and_enumerations_by_name() {
        let cum = tags::CRYPTOGRAPHIC_USAGE_MASK;
        assert_eq!(mask_from_text(cum, "Encrypt Decrypt"), Some(0x0c));
        assert_eq!(mask_from_text(cum, "Encrypt|Decrypt"), Some(0x0c));
        assert_eq!(mask_from_text(tags::BATCH_COUNT, "Encrypt"), None);
        assert_eq!(integer_text(cum, 0x0c), "Encrypt Decrypt");
        assert_eq!(integer_text(cum, i32::MIN), "0x80000000");
        assert_eq!(integer_text(tags::BATCH_COUNT, 12), "12");
        assert_eq!(
            enumeration_from_text(tags::OBJECT_TYPE, "SymmetricKey"),
            Some(2)
        );
        assert_eq!(
            enumeration_from_text(tags::OBJECT_TYPE, "0x80000001"),
            Some(0x8000_0001)
        );
        assert_eq!(
            enumeration_from_text(tags::BATCH_COUNT, "SymmetricKey"),
            None
        );
        assert_eq!(enumeration_text(tags::OBJECT_TYPE, 2), "SymmetricKey");
        assert_eq!(enumeration_text(tags::OBJECT_TYPE, 0x7777), "0x00007777");
    }
}
