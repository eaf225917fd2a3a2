//! The dev PKI: the one generator of the certificates `kmsd dev` serves with and tests connect
//! with (a CA, a server certificate for localhost, client certificates `admin` and `user`, and
//! an empty CRL, all ECDSA P-256, PEM, in one directory), plus extra client certificates and
//! CRLs issued from that CA for tests.
//!
//! A crate of its own rather than a module of `keywarden-tls`: that crate loads and checks
//! certificates on the serving path and has no business minting them (it would pull rcgen into
//! every listener), while `kmsd dev`, the test kit and the benchmark all need the same minting.
//!
//! It owns the file layout of a dev PKI directory and what is in each certificate. It must
//! never overwrite an existing certificate or key (regenerating would silently invalidate what
//! was issued before), never leave a key readable by others (0600), and never be the trust of
//! anything but a dev node or a test.

mod error;
mod files;
mod pki;

pub use error::PkiError;
pub use pki::{CA_NAME, CertPair, ClientCert, ClientSan, DevPki, PkiOutcome, SubjectAttr};
