//! Reads arbitrary bytes (as lossy UTF-8) as a KMIP XML document with the default limits and
//! without placeholders, as a wire reader would; every item accepted is within the limits and
//! writes to XML that reads back as the same item.

#![no_main]

use keywarden_kmip::ttlv::encoded_len;
use keywarden_kmip::xml::{ReadOptions, read_document, to_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = ReadOptions::default();
    if let Ok(items) = read_document(&text, &options) {
        for item in items {
            assert!(encoded_len(&item) <= options.limits.max_message);
            let xml = to_xml(&item).expect("what was read can be written");
            let again = read_document(&xml, &options).expect("what was written reads back");
            assert_eq!(again, vec![item]);
        }
    }
});
