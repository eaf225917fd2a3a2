//! Encoder and decoder of binary TTLV (to be implemented by the codec owner).

use super::{DecodeError, Limits, Ttlv};

/// Decodes exactly one TTLV item spanning all of `bytes`, enforcing `limits` before allocating.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Ttlv, DecodeError> {
    let _ = (bytes, limits);
    todo!("codec")
}

/// Encodes an item to a new buffer.
pub fn encode(item: &Ttlv) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(item, &mut out);
    out
}

/// Appends the encoding of an item to `out`.
pub fn encode_into(item: &Ttlv, out: &mut Vec<u8>) {
    let _ = (item, out);
    todo!("codec")
}

/// Reads the 8-byte header of a message and returns its total length (header included),
/// refusing a header that is not a structure or a length above `limits.max_message`.
pub fn peek_message_length(header: &[u8; 8], limits: &Limits) -> Result<usize, DecodeError> {
    let _ = (header, limits);
    todo!("codec")
}
