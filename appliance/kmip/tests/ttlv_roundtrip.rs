//! Property tests: any TTLV tree survives encode → decode unchanged, and the encoding is exact.

mod support;

use keywarden_kmip::ttlv::{
    HEADER_LEN, Limits, Tag, Ttlv, decode, encode, encode_into, encoded_len, peek_message_length,
};
use proptest::prelude::*;
use support::ttlv::item;

fn declared_len(bytes: &[u8]) -> usize {
    u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize
}

/// Decoding as a message needs a structure on the outside.
fn as_message(item: Ttlv) -> Ttlv {
    Ttlv::structure(Tag(0x420078), vec![item])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn encode_then_decode_is_identity(item in item()) {
        let bytes = encode(&item);
        prop_assert_eq!(bytes.len() % 8, 0);
        prop_assert_eq!(bytes.len(), encoded_len(&item));
        let padded_declared = declared_len(&bytes).div_ceil(8) * 8;
        prop_assert_eq!(bytes.len(), HEADER_LEN + padded_declared);
        let back = decode(&bytes, &Limits::default());
        prop_assert_eq!(back.as_ref(), Ok(&item));
    }

    #[test]
    fn message_length_matches_header(item in item()) {
        let message = as_message(item);
        let bytes = encode(&message);
        prop_assert_eq!(bytes.len(), HEADER_LEN + declared_len(&bytes));
        let header: [u8; 8] = bytes[..8].try_into().expect("8-byte header");
        prop_assert_eq!(peek_message_length(&header, &Limits::default()), Ok(bytes.len()));
        prop_assert_eq!(decode(&bytes, &Limits::default()), Ok(message));
    }

    #[test]
    fn encode_into_appends_the_same_bytes(item in item(), prefix in proptest::collection::vec(any::<u8>(), 0..16)) {
        let mut out = prefix.clone();
        encode_into(&item, &mut out);
        prop_assert_eq!(&out[..prefix.len()], prefix.as_slice());
        let alone = encode(&item);
        prop_assert_eq!(&out[prefix.len()..], alone.as_slice());
    }

    #[test]
    fn accepted_bytes_are_canonical(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        // Strict decoding means there is one encoding per tree: whatever is accepted re-encodes
        // to the very same bytes.
        if let Ok(item) = decode(&bytes, &Limits::default()) {
            prop_assert_eq!(encode(&item), bytes);
        }
    }
}
