//! Proptest strategies shared by the property tests: random TTLV trees and random typed
//! messages of every supported protocol version.

// Each test crate compiles this module and uses only part of it.
#![allow(dead_code)]

pub mod messages;
pub mod ttlv;
