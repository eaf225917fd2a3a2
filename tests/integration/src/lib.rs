//! Cross-process tests for Keywarden: a harness that runs real `kmsd dev` nodes (with their
//! `hsm-bridge` and SoftHSM token), mTLS KMIP and HTTPS clients, and a tiny independent TTLV
//! codec for crafting good and bad requests.
//!
//! It owns only test plumbing. It must never link the product's crates to judge the product:
//! answers are decoded by its own codec, and every wait it does is bounded.

pub mod client;
pub mod kmip;
pub mod node;
pub mod ttlv;

pub use client::{
    KmipClient, READY_TIMEOUT, ReadOutcome, https_get, https_request, wait_until_ready,
};
pub use node::{DevNode, DevNodeBuilder, Identity, Ready};
