//! Who a caller is and what it may do: identities taken from a verified client certificate
//! (the whole subject DN as an RFC 4514 string, or one configured subject alternative name) and
//! the roles the node's authorization file grants them.
//!
//! It owns the [`Dn`] type (parsing and canonical RFC 4514 printing), the four [`Role`]s and the
//! typed, validated [`Policy`] read from the authorization file. It must never look at a CN alone
//! (two certificates that differ anywhere in their subject are two identities), never grant a
//! role that no entry names except the documented default (`crypto-user`), and never accept a
//! file it cannot fully validate: a bad line fails the start with the line and the reason.

mod dn;
mod error;
mod identity;
mod policy;
mod role;

pub use dn::{AttrValue, Dn, DnAttribute, MAX_ATTRIBUTES as MAX_DN_ATTRIBUTES, Rdn};
pub use error::{AuthzError, DnError};
pub use identity::{Identity, SanKind};
pub use policy::{Grant, MAX_FILE_BYTES, MAX_GRANTS, Policy};
pub use role::Role;

/// The tenant domain of a grant that names none (the only domain until multi-domain lands).
pub const DEFAULT_DOMAIN: &str = "default";
