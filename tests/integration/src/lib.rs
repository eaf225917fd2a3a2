//! Cross-process tests for Keywarden against real `kmsd dev` nodes (started through the test
//! kit, `keywarden-test-kit`): mTLS KMIP and HTTPS clients, and a tiny independent TTLV codec
//! for crafting good and bad requests.
//!
//! It owns only test plumbing. It must never link the product's crates to judge the product:
//! answers are decoded by its own codec (the kit's dev PKI generator only mints certificates),
//! and every wait it does is bounded.

pub mod client;
pub mod kmip;
pub mod ttlv;

pub use client::{
    KmipClient, READY_TIMEOUT, ReadOutcome, https_get, https_request, https_request_as,
    wait_until_ready,
};

/// Raises this process's soft limit on open files to its hard limit and returns it: a test
/// holding a thousand connections needs more than the common soft limit of 1024.
pub fn raise_open_file_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(_) => soft,
        },
        Ok((soft, _)) => soft,
        Err(_) => 0,
    }
}
