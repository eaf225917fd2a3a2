//! Decodes arbitrary bytes as TTLV with the default limits; whatever is accepted must re-encode
//! to the same bytes and decode again to the same tree.

#![no_main]

use keywarden_kmip::ttlv::{Limits, decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(item) = decode(data, &limits) {
        let bytes = encode(&item);
        assert_eq!(bytes, data, "accepted input is not canonical");
        let again = decode(&bytes, &limits).expect("re-encoded message decodes");
        assert_eq!(again, item);
    }
});
