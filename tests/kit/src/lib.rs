//! The one test kit of Keywarden: what a test needs that is bigger than itself.
//!
//! - [`SoftHsm`]: a private SoftHSM2 token in a temp dir and the real `hsm-bridge` binary in
//!   front of it (started, SIGKILLed, restarted at will; killed on drop).
//! - [`DevPki`]: the dev PKI, from the same generator `kmsd dev` uses (`keywarden-dev-pki`),
//!   with extra client certificates and CRLs for tests.
//! - [`DevNode`]: a running `kmsd dev` (with its supervised `hsm-bridge`) on a temp dir, on
//!   ports the OS chose, with its endpoints and client certificates, restart, SIGTERM, kill -9;
//!   killed on drop.
//!
//! It owns only test plumbing. It must never skip: without SoftHSM2 a test fails with a message
//! saying to run `cargo xtask test`, which installs it. Every wait it does is bounded, it never
//! touches global state (SoftHSM is driven through `SOFTHSM2_CONF` given to the child only),
//! and it is never a dependency of anything but tests and the benchmark.

pub mod node;
pub mod softhsm;

pub use keywarden_dev_pki::{
    CertPair, ClientCert, ClientSan, DevPki, PkiError, PkiOutcome, SubjectAttr,
};
pub use node::{DevNode, DevNodeBuilder, Identity, Ready, kmsd_bin};
pub use softhsm::{Bridge, MODULE, SoftHsm, bridge_bin, require_softhsm};
