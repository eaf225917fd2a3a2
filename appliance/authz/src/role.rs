//! The four roles of a caller.

use serde::Deserialize;

/// What a caller may do; granted per identity by the authorization file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, on every object of every domain.
    Admin,
    /// The lifecycle (state, attributes, re-key, destroy) of any object in its domain, and what
    /// a crypto-user may do with its own objects; no use of other identities' keys.
    KeyAdmin,
    /// Creates objects and uses only its own. The role of an identity that no entry names.
    CryptoUser,
    /// Reads the audit log and metrics; no key use and no object access.
    Auditor,
}

impl Role {
    /// The name used in the authorization file, logs and the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::KeyAdmin => "key-admin",
            Role::CryptoUser => "crypto-user",
            Role::Auditor => "auditor",
        }
    }

    /// Every role, for messages that list the valid names.
    pub const ALL: [Role; 4] = [Role::Admin, Role::KeyAdmin, Role::CryptoUser, Role::Auditor];
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
