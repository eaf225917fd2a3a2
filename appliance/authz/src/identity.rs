//! The identity of an authenticated caller.

use crate::dn::Dn;

/// Which subject alternative name is the identity, when the node is configured for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SanKind {
    /// `rfc822Name`.
    Email,
    /// `dNSName`.
    Dns,
    /// `uniformResourceIdentifier`.
    Uri,
}

impl SanKind {
    /// The prefix of this kind in identity strings and the authorization file.
    pub fn as_str(self) -> &'static str {
        match self {
            SanKind::Email => "email",
            SanKind::Dns => "dns",
            SanKind::Uri => "uri",
        }
    }

    /// The kind named by its prefix.
    pub fn from_name(name: &str) -> Option<SanKind> {
        [SanKind::Email, SanKind::Dns, SanKind::Uri]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// Who an authenticated caller is: the verified certificate's whole subject DN, or one
/// configured subject alternative name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The subject DN.
    Dn(Dn),
    /// One subject alternative name of the configured kind.
    San(SanKind, String),
}

impl std::fmt::Display for Identity {
    /// The identity string: the RFC 4514 DN, or `kind:value` for a SAN. It is the owner of the
    /// objects the caller creates, so it never changes for the same certificate subject.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Dn(dn) => dn.fmt(f),
            Identity::San(kind, value) => write!(f, "{}:{value}", kind.as_str()),
        }
    }
}
