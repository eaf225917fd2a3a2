//! The test-local TTLV codec and the product's (`keywarden_kmip::ttlv`) agree byte for byte.
//!
//! The integration tests judge kmsd with their own small codec on purpose (an independent
//! implementation does not share the product's bugs); this test makes sure the two read and
//! write the same wire format, so a disagreement is found here and not as a confusing
//! integration failure.

use keywarden_kmip::ttlv as product;
use keywarden_tests::ttlv::{self as local, Item, Value};
use proptest::prelude::*;

fn item() -> impl Strategy<Value = Item> {
    let tag = 0x420001u32..0x420200;
    let leaf = prop_oneof![
        (tag.clone(), any::<i32>()).prop_map(|(t, v)| local::int(t, v)),
        (tag.clone(), any::<i64>()).prop_map(|(t, v)| Item {
            tag: t,
            value: Value::LongInteger(v)
        }),
        (tag.clone(), any::<u32>()).prop_map(|(t, v)| local::enumeration(t, v)),
        (tag.clone(), any::<bool>()).prop_map(|(t, v)| local::boolean(t, v)),
        (tag.clone(), ".{0,24}").prop_map(|(t, v)| local::text(t, &v)),
        (tag.clone(), proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(t, v)| local::bytes(t, &v)),
        (tag.clone(), any::<i64>()).prop_map(|(t, v)| Item {
            tag: t,
            value: Value::DateTime(v)
        }),
        (tag, any::<u32>()).prop_map(|(t, v)| Item {
            tag: t,
            value: Value::Interval(v)
        }),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        (
            0x420001u32..0x420200,
            proptest::collection::vec(inner, 0..6),
        )
            .prop_map(|(t, c)| local::structure(t, c))
    })
}

proptest! {
    #[test]
    fn product_decodes_and_reencodes_local_encoding(item in item()) {
        let bytes = local::encode(&item);
        let decoded = product::decode(&bytes, &product::Limits::default());
        prop_assert!(decoded.is_ok(), "product rejected a valid encoding: {:?}", decoded.err());
        if let Ok(tree) = decoded {
            prop_assert_eq!(product::encode(&tree), bytes.clone());
            prop_assert_eq!(local::decode(&product::encode(&tree)).ok(), Some(item));
        }
    }
}

#[test]
fn both_reject_the_same_truncated_message() {
    let good = local::encode(&local::structure(
        0x420078,
        vec![local::text(0x420094, "abc"), local::int(0x42000D, 1)],
    ));
    for cut in 1..good.len() {
        let bad = &good[..good.len() - cut];
        assert!(local::decode(bad).is_err(), "local accepted a cut of {cut}");
        assert!(
            product::decode(bad, &product::Limits::default()).is_err(),
            "product accepted a cut of {cut}"
        );
    }
}
