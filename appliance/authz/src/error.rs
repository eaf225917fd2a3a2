//! Errors of the authorization file and of DN strings.

use std::path::PathBuf;

/// A DN string that is not a valid RFC 4514 distinguished name (or DN pattern).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    /// Nothing to parse.
    #[error("the DN is empty")]
    Empty,
    /// Longer than [`crate::dn::MAX_DN_BYTES`].
    #[error("the DN is {len} bytes long, more than the limit of {max}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More RDNs or attributes than the limit.
    #[error("the DN has more than {max} attributes")]
    TooManyAttributes {
        /// The limit.
        max: usize,
    },
    /// An attribute with no `=`.
    #[error("attribute {index} ({text:?}) has no '='")]
    MissingEquals {
        /// 1-based position in the DN.
        index: usize,
        /// What was found.
        text: String,
    },
    /// An attribute type that is neither a known short name nor a dotted OID.
    #[error("attribute type {0:?} is neither a known name (CN, OU, O, L, ST, C, ...) nor an OID")]
    BadType(String),
    /// A backslash escape that is not `\` + special character or two hex digits.
    #[error("bad escape in value {0:?}")]
    BadEscape(String),
    /// A value that is empty (only a wildcard may stand for "any value").
    #[error("attribute {0} has an empty value")]
    EmptyValue(String),
    /// A value whose escapes do not decode to UTF-8.
    #[error("value of {0} is not UTF-8 once unescaped")]
    NotUtf8(String),
    /// A `*` value where an exact DN is needed.
    #[error("an exact DN may not contain the wildcard value * (escape a literal star as \\*)")]
    WildcardInExact,
    /// A pattern with more than one `*` value.
    #[error("a DN pattern may have only one wildcard value, this one has {0}")]
    TooManyWildcards(usize),
}

/// A bad authorization file: which file, which line, why.
#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    /// The file cannot be read.
    #[error("authorization file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is larger than [`crate::MAX_FILE_BYTES`].
    #[error("authorization file {path}: {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// A line of the file is invalid.
    #[error("authorization file {path}, line {line}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        reason: String,
    },
}
