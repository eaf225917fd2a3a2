//! KMIP for Keywarden: the binary TTLV codec, the KMIP XML encoding, and the typed
//! request/response messages.
//!
//! Owns the wire format and its conversion to typed structures for protocol versions
//! 1.0–1.4, 2.0 and 2.1. It must never perform I/O, hold keys beyond a message's life,
//! or panic on any input bytes: every parser here has limits checked before allocation.

pub mod attributes;
mod convert;
pub mod enums;
pub mod error;
mod fields;
pub mod message;
pub mod objects;
pub mod payload;
mod schema;
mod spelling;
mod structures;
pub mod tags;
pub mod ttlv;
pub mod version;
pub mod xml;

pub use error::KmipError;
