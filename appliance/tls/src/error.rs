//! Errors of TLS set-up and of caller identities.

use std::path::PathBuf;

/// A TLS set-up that cannot work; every variant names the file or setting.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file cannot be read or holds nothing usable.
    #[error("{what} {path}: {reason}")]
    File {
        /// Which kind of file (certificates, private key, CRL).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A CRL is not issued by any client CA.
    #[error("CRL {path}: issued by {issuer:?}, which is not one of the client CAs")]
    CrlIssuer {
        /// The file.
        path: PathBuf,
        /// Its issuer.
        issuer: String,
    },
    /// A CRL is past its nextUpdate: it says nothing about revocations since.
    #[error(
        "CRL {path}: expired at {} (its nextUpdate); install a current CRL from its CA",
        rfc3339(*next_update)
    )]
    CrlExpired {
        /// The file.
        path: PathBuf,
        /// Its nextUpdate, seconds since the Unix epoch.
        next_update: u64,
    },
    /// The provider or rustls refused a setting.
    #[error("{what}: {reason}")]
    Config {
        /// The setting.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

/// Why a verified client certificate gives no caller identity.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The certificate does not parse (cannot happen after verification, but is not assumed).
    #[error("the certificate does not parse")]
    Parse,
    /// An empty subject, with the subject DN as identity.
    #[error("the certificate subject is empty")]
    EmptySubject,
    /// A subject the DN type cannot hold (too many attributes, unknown type).
    #[error("the certificate subject is not a usable DN: {0}")]
    Subject(keywarden_authz::DnError),
    /// No SAN of the configured kind.
    #[error("the certificate has no {0} subject alternative name")]
    NoSan(&'static str),
    /// More than one SAN of the configured kind: which one is meant is ambiguous.
    #[error("the certificate has {count} {kind} subject alternative names; exactly one is needed")]
    AmbiguousSan {
        /// The kind.
        kind: &'static str,
        /// How many.
        count: usize,
    },
}

/// A time in seconds since the Unix epoch as RFC 3339 (UTC), for messages.
fn rfc3339(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{secs} s after the Unix epoch"))
}
