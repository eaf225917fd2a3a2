//! Random TTLV trees: any tag (standard, extension, undefined), any item type and value.

use keywarden_kmip::ttlv::{Tag, Ttlv, Value};
use proptest::prelude::*;
use zeroize::Zeroizing;

/// Standard tags most often, then extension tags, then any three-byte number.
pub fn tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        3 => (0x420001u32..=0x420176).prop_map(Tag),
        1 => (0x540000u32..=0x54FFFF).prop_map(Tag),
        1 => (0u32..=0xFF_FFFF).prop_map(Tag),
    ]
}

/// A value of any primitive item type.
pub fn primitive() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        any::<i64>().prop_map(Value::LongInteger),
        (0usize..5)
            .prop_flat_map(|words| proptest::collection::vec(any::<u8>(), words * 8))
            .prop_map(|b| Value::BigInteger(Zeroizing::new(b))),
        any::<u32>().prop_map(Value::Enumeration),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,40}".prop_map(Value::TextString),
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| Value::ByteString(Zeroizing::new(b))),
        any::<i64>().prop_map(Value::DateTime),
        any::<u32>().prop_map(Value::Interval),
        any::<i64>().prop_map(Value::DateTimeExtended),
    ]
}

/// A tree up to six structures deep.
pub fn item() -> impl Strategy<Value = Ttlv> {
    let leaf = (tag(), primitive()).prop_map(|(tag, value)| Ttlv { tag, value });
    leaf.prop_recursive(6, 256, 10, |inner| {
        (tag(), proptest::collection::vec(inner, 0..10)).prop_map(|(tag, items)| Ttlv {
            tag,
            value: Value::Structure(items),
        })
    })
}
