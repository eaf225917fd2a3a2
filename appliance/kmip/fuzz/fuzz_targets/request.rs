//! Decodes arbitrary bytes as a typed Request Message with the default limits (header, batch
//! items, each payload held to its operation's fields); whatever is accepted must re-encode to
//! a message that decodes to the same header and the same payloads.

#![no_main]

use keywarden_kmip::message::RequestMessage;
use keywarden_kmip::ttlv::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(message) = RequestMessage::decode(data, &limits) {
        let again =
            RequestMessage::decode(&message.encode(), &limits).expect("re-encoded request decodes");
        assert_eq!(again.header, message.header);
        assert_eq!(again.items.len(), message.items.len());
        for (a, b) in message.items.iter().zip(&again.items) {
            assert_eq!(a.operation, b.operation);
            assert_eq!(a.unique_batch_item_id, b.unique_batch_item_id);
            if a.payload.is_ok() {
                assert_eq!(a.payload, b.payload);
            }
        }
    }
});
