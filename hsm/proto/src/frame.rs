//! Framing on the socket: a 4-byte big-endian length, then a postcard body.
//!
//! The length is checked against [`MAX_FRAME`] before any buffer is
//! allocated, so a peer cannot make us reserve memory by sending a large
//! prefix. Frame buffers are [`Zeroizing`] because a request or response may
//! carry a KEK in clear.

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroizing;

use crate::MAX_FRAME;

/// Size of the length prefix in front of every frame body.
pub const LEN_PREFIX: usize = 4;

/// A framing or encoding failure on the hsm-bridge socket.
#[derive(Debug, thiserror::Error)]
pub enum ProtoError {
    /// Reading or writing the socket failed (including EOF inside a frame).
    #[error("hsm socket I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The length prefix announced a body larger than [`MAX_FRAME`].
    #[error("frame length {len} exceeds the maximum of {max} bytes", max = MAX_FRAME)]
    FrameTooLarge {
        /// The announced or encoded body length.
        len: usize,
    },
    /// The frame body is not a valid postcard message of the expected type.
    #[error("frame body does not decode: {0}")]
    Decode(String),
    /// The message could not be encoded.
    #[error("message does not encode: {0}")]
    Encode(String),
}

/// Checks a length prefix and returns the body length it announces.
pub fn parse_len(prefix: [u8; LEN_PREFIX]) -> Result<usize, ProtoError> {
    let len = u32::from_be_bytes(prefix);
    let len = usize::try_from(len).map_err(|_| ProtoError::FrameTooLarge { len: usize::MAX })?;
    if len > MAX_FRAME {
        return Err(ProtoError::FrameTooLarge { len });
    }
    Ok(len)
}

/// Encodes a message into a complete frame (length prefix and body).
///
/// The size is computed first and the message serialized into one buffer of exactly that size:
/// a growing buffer would reallocate and leave partial KEK bytes in freed, unwiped memory.
pub fn encode_frame<T: Serialize>(msg: &T) -> Result<Zeroizing<Vec<u8>>, ProtoError> {
    let body_len = postcard::experimental::serialized_size(msg)
        .map_err(|e| ProtoError::Encode(e.to_string()))?;
    if body_len > MAX_FRAME {
        return Err(ProtoError::FrameTooLarge { len: body_len });
    }
    let len = u32::try_from(body_len).map_err(|_| ProtoError::FrameTooLarge { len: body_len })?;
    let mut frame = Zeroizing::new(vec![0u8; LEN_PREFIX + body_len]);
    let (prefix, body) = frame.split_at_mut(LEN_PREFIX);
    prefix.copy_from_slice(&len.to_be_bytes());
    let written = postcard::to_slice(msg, body)
        .map_err(|e| ProtoError::Encode(e.to_string()))?
        .len();
    if written != body_len {
        return Err(ProtoError::Encode(format!(
            "message encoded to {written} bytes, {body_len} were computed"
        )));
    }
    Ok(frame)
}

/// Decodes one frame body; trailing bytes after the message are an error.
pub fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ProtoError> {
    let (msg, rest) =
        postcard::take_from_bytes(body).map_err(|e| ProtoError::Decode(e.to_string()))?;
    if !rest.is_empty() {
        return Err(ProtoError::Decode(format!(
            "{} trailing bytes after the message",
            rest.len()
        )));
    }
    Ok(msg)
}

/// Decodes a complete frame held in memory (prefix, then exactly the body).
pub fn decode_frame<T: DeserializeOwned>(frame: &[u8]) -> Result<T, ProtoError> {
    let (prefix, body) = frame.split_first_chunk::<LEN_PREFIX>().ok_or_else(|| {
        ProtoError::Decode(format!(
            "frame shorter than its {LEN_PREFIX}-byte length prefix"
        ))
    })?;
    let len = parse_len(*prefix)?;
    if body.len() != len {
        return Err(ProtoError::Decode(format!(
            "length prefix says {len} bytes but the body has {}",
            body.len()
        )));
    }
    decode_body(body)
}

/// Reads one frame body; `Ok(None)` when the peer closed cleanly before a new frame.
pub async fn read_frame<R: AsyncRead + Unpin>(
    r: &mut R,
) -> Result<Option<Zeroizing<Vec<u8>>>, ProtoError> {
    let mut prefix = [0u8; LEN_PREFIX];
    let mut got = 0;
    while got < LEN_PREFIX {
        let slot = prefix.get_mut(got..).unwrap_or_default();
        let n = r.read(slot).await?;
        if n == 0 {
            if got == 0 {
                return Ok(None);
            }
            return Err(ProtoError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
        got += n;
    }
    let len = parse_len(prefix)?;
    let mut body = Zeroizing::new(vec![0u8; len]);
    r.read_exact(&mut body).await?;
    Ok(Some(body))
}

/// Reads and decodes one message; `Ok(None)` when the peer closed cleanly.
pub async fn read_message<R: AsyncRead + Unpin, T: DeserializeOwned>(
    r: &mut R,
) -> Result<Option<T>, ProtoError> {
    match read_frame(r).await? {
        Some(body) => decode_body(&body).map(Some),
        None => Ok(None),
    }
}

/// Encodes and writes one message, then flushes.
pub async fn write_message<W: AsyncWrite + Unpin, T: Serialize>(
    w: &mut W,
    msg: &T,
) -> Result<(), ProtoError> {
    let frame = encode_frame(msg)?;
    w.write_all(&frame).await?;
    w.flush().await?;
    Ok(())
}
