//! The audit entry: the only things a request leaves in the audit log.
//!
//! Every field is bounded text, a small enum, a UUID, a time or an address. There is no byte
//! field, so key material cannot land here by accident. Text can still carry a secret that a
//! caller formats into it: callers must never pass secret-bearing text (a decoded request, an
//! attribute value, a password, a crypto library's error message that quotes operands) as an
//! operation, reason or message.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use keywarden_authz::Role;
use serde::de::{self, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::AuditError;

/// Longest identity accepted, in bytes (a subject DN; certificates hold far shorter ones).
pub const MAX_IDENTITY_LEN: usize = 4096;
/// Longest operation name or result reason name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Longest reason message kept, in bytes; longer ones are cut at a character boundary.
pub const MAX_MESSAGE_LEN: usize = 512;
/// Most object identifiers one entry names.
pub const MAX_OBJECTS: usize = 4;

/// Marks a message that was cut to [`MAX_MESSAGE_LEN`].
const TRUNCATED: &str = "…";

/// Wall-clock time of a request, in nanoseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time. A clock before 1970 reads as the epoch.
    pub fn now() -> Timestamp {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Timestamp(i64::try_from(nanos).unwrap_or(i64::MAX))
    }

    /// A time from nanoseconds since the epoch.
    pub const fn from_unix_nanos(nanos: i64) -> Timestamp {
        Timestamp(nanos)
    }

    /// Nanoseconds since the epoch.
    pub const fn unix_nanos(self) -> i64 {
        self.0
    }

    /// The time as a `time` value (every i64 of nanoseconds is in its range).
    pub fn to_offset_date_time(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339, e.g. `2026-12-01T10:00:00.123456789Z`.
    pub fn rfc3339(self) -> String {
        self.to_offset_date_time()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| format!("{}ns", self.0))
    }
}

impl From<OffsetDateTime> for Timestamp {
    fn from(t: OffsetDateTime) -> Timestamp {
        let n = t.unix_timestamp_nanos();
        Timestamp(i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX }))
    }
}

/// Stores a role by its name (`admin`, `key-admin`, `crypto-user`, `auditor`), so the log
/// does not depend on the order of [`Role`]'s variants.
mod role_name {
    use super::*;

    pub fn serialize<S: Serializer>(role: &Option<Role>, s: S) -> Result<S::Ok, S::Error> {
        role.map(Role::as_str).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Role>, D::Error> {
        let Some(name) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
            .map(Some)
            .ok_or_else(|| de::Error::custom(format!("unknown role {name:?}")))
    }
}

/// Stores the shared identity text as a plain string.
mod arc_str {
    use super::*;

    pub fn serialize<S: Serializer>(text: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        String::deserialize(d).map(Arc::from)
    }
}

/// How a request ended. Variants are only appended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The operation succeeded.
    Success,
    /// The operation failed.
    Failure {
        /// Name of the result reason, e.g. a KMIP Result Reason such as `Item Not Found`.
        reason: Cow<'static, str>,
    },
}

impl Outcome {
    /// A failure with the given result reason name.
    pub fn failure(reason: impl Into<Cow<'static, str>>) -> Outcome {
        Outcome::Failure {
            reason: reason.into(),
        }
    }
}

/// A human-readable reason, at most [`MAX_MESSAGE_LEN`] bytes: longer text is cut at a
/// character boundary and ends in `…`. Never pass text that may carry a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReasonMessage(Cow<'static, str>);

impl ReasonMessage {
    /// A message, cut to the length limit if needed.
    pub fn new(text: impl Into<Cow<'static, str>>) -> ReasonMessage {
        let text = text.into();
        if text.len() <= MAX_MESSAGE_LEN {
            return ReasonMessage(text);
        }
        let mut end = MAX_MESSAGE_LEN - TRUNCATED.len();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut cut = String::with_capacity(end + TRUNCATED.len());
        cut.push_str(&text[..end]);
        cut.push_str(TRUNCATED);
        ReasonMessage(Cow::Owned(cut))
    }

    /// No message.
    pub const fn empty() -> ReasonMessage {
        ReasonMessage(Cow::Borrowed(""))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for ReasonMessage {
    fn from(s: &'static str) -> ReasonMessage {
        ReasonMessage::new(s)
    }
}

impl From<String> for ReasonMessage {
    fn from(s: String) -> ReasonMessage {
        ReasonMessage::new(s)
    }
}

/// Up to [`MAX_OBJECTS`] object identifiers, held inline so an entry needs no allocation for
/// them (a Get names one, a Re-key two, a Create Key Pair two).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ObjectIds {
    ids: [Uuid; MAX_OBJECTS],
    len: u8,
}

impl ObjectIds {
    /// No object.
    pub const fn none() -> ObjectIds {
        ObjectIds {
            ids: [Uuid::nil(); MAX_OBJECTS],
            len: 0,
        }
    }

    /// One object.
    pub const fn one(id: Uuid) -> ObjectIds {
        let mut ids = [Uuid::nil(); MAX_OBJECTS];
        ids[0] = id;
        ObjectIds { ids, len: 1 }
    }

    /// Adds an identifier; an error when [`MAX_OBJECTS`] are already there.
    pub fn push(&mut self, id: Uuid) -> Result<(), AuditError> {
        let slot = self
            .ids
            .get_mut(usize::from(self.len))
            .ok_or_else(|| AuditError::Invalid {
                field: "objects",
                reason: format!("at most {MAX_OBJECTS} per entry"),
            })?;
        *slot = id;
        self.len += 1;
        Ok(())
    }

    /// The identifiers from a slice; an error when there are more than [`MAX_OBJECTS`].
    pub fn from_slice(ids: &[Uuid]) -> Result<ObjectIds, AuditError> {
        let mut out = ObjectIds::none();
        for id in ids {
            out.push(*id)?;
        }
        Ok(out)
    }

    /// The identifiers, in the order given.
    pub fn as_slice(&self) -> &[Uuid] {
        &self.ids[..usize::from(self.len)]
    }

    /// True when no object is named.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for ObjectIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl Serialize for ObjectIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.as_slice().len()))?;
        for id in self.as_slice() {
            seq.serialize_element(id)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ObjectIds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdsVisitor;
        impl<'de> Visitor<'de> for IdsVisitor {
            type Value = ObjectIds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "at most {MAX_OBJECTS} UUIDs")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ObjectIds, A::Error> {
                let mut out = ObjectIds::none();
                while let Some(id) = seq.next_element::<Uuid>()? {
                    out.push(id)
                        .map_err(|_| de::Error::invalid_length(MAX_OBJECTS + 1, &self))?;
                }
                Ok(out)
            }
        }
        d.deserialize_seq(IdsVisitor)
    }
}

/// One request as the audit log records it. The writer adds the sequence number and the chain
/// hashes (see [`crate::AuditRecord`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When the request was received.
    pub time: Timestamp,
    /// Who sent it: the identity string of the verified client certificate (its whole subject
    /// DN in RFC 4514 form, or the configured SAN), never a bare CN. Shared, so a connection
    /// can build it once and each of its entries clones a pointer.
    #[serde(with = "arc_str")]
    pub identity: Arc<str>,
    /// The role it was authorised under; `None` when the caller has none (not yet known).
    #[serde(with = "role_name")]
    pub role: Option<Role>,
    /// Operation name, e.g. `Create`, `Get`, `Encrypt` or an HTTP route name.
    pub operation: Cow<'static, str>,
    /// The objects it acted on or created.
    pub objects: ObjectIds,
    /// Success, or failure with the result reason name.
    pub outcome: Outcome,
    /// Why, in words (bounded; never secret-bearing).
    pub message: ReasonMessage,
    /// The client's address; `None` for a local caller without one.
    pub client: Option<SocketAddr>,
}

fn check_name(field: &'static str, value: &str) -> Result<(), AuditError> {
    if value.is_empty() || value.len() > MAX_NAME_LEN {
        return Err(AuditError::Invalid {
            field,
            reason: format!("{} bytes, must be 1 to {MAX_NAME_LEN}", value.len()),
        });
    }
    Ok(())
}

impl AuditEntry {
    /// Checks the length limits (the type already bounds the objects); the appender calls it
    /// before queueing, and readers on every decoded entry.
    pub fn validate(&self) -> Result<(), AuditError> {
        if self.identity.len() > MAX_IDENTITY_LEN {
            return Err(AuditError::Invalid {
                field: "identity",
                reason: format!("{} bytes, at most {MAX_IDENTITY_LEN}", self.identity.len()),
            });
        }
        check_name("operation", &self.operation)?;
        if let Outcome::Failure { reason } = &self.outcome {
            check_name("result reason", reason)?;
        }
        if self.message.as_str().len() > MAX_MESSAGE_LEN {
            return Err(AuditError::Invalid {
                field: "message",
                reason: format!(
                    "{} bytes, at most {MAX_MESSAGE_LEN}",
                    self.message.as_str().len()
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            time: Timestamp::from_unix_nanos(1_700_000_000_123_456_789),
            identity: "CN=alice,O=Example".into(),
            role: Some(Role::CryptoUser),
            operation: "Encrypt".into(),
            objects: ObjectIds::one(Uuid::from_u128(7)),
            outcome: Outcome::failure("Permission Denied"),
            message: "usage mask lacks Encrypt".into(),
            client: Some("192.0.2.1:5696".parse().unwrap()),
        }
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let m = ReasonMessage::new("é".repeat(MAX_MESSAGE_LEN));
        assert!(m.as_str().len() <= MAX_MESSAGE_LEN);
        assert!(m.as_str().ends_with(TRUNCATED));
        let short = ReasonMessage::new("fine");
        assert_eq!(short.as_str(), "fine");
    }

    #[test]
    fn limits_are_enforced() {
        assert!(entry().validate().is_ok());
        let mut e = entry();
        e.identity = "x".repeat(MAX_IDENTITY_LEN + 1).into();
        assert!(matches!(
            e.validate(),
            Err(AuditError::Invalid {
                field: "identity",
                ..
            })
        ));
        let mut e = entry();
        e.operation = "".into();
        assert!(e.validate().is_err());
        let mut e = entry();
        e.outcome = Outcome::failure("r".repeat(MAX_NAME_LEN + 1));
        assert!(e.validate().is_err());
        let mut ids = ObjectIds::from_slice(&[Uuid::nil(); MAX_OBJECTS]).unwrap();
        assert!(ids.push(Uuid::nil()).is_err());
    }

    #[test]
    fn roles_are_stored_by_name() {
        for r in Role::ALL {
            let mut e = entry();
            e.role = Some(r);
            let bin = postcard::to_stdvec(&e).unwrap();
            assert!(support_contains(&bin, r.as_str().as_bytes()), "{r}");
            assert_eq!(
                postcard::from_bytes::<AuditEntry>(&bin).unwrap().role,
                Some(r)
            );
        }
        let mut e = entry();
        e.role = None;
        let bin = postcard::to_stdvec(&e).unwrap();
        assert_eq!(postcard::from_bytes::<AuditEntry>(&bin).unwrap().role, None);
        let json = serde_json::to_string(&entry())
            .unwrap()
            .replace("crypto-user", "root");
        assert!(serde_json::from_str::<AuditEntry>(&json).is_err());
    }

    fn support_contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn postcard_and_json_roundtrip() {
        let e = entry();
        let bin = postcard::to_stdvec(&e).unwrap();
        assert_eq!(postcard::from_bytes::<AuditEntry>(&bin).unwrap(), e);
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.contains("\"crypto-user\""), "{json}");
        assert_eq!(serde_json::from_str::<AuditEntry>(&json).unwrap(), e);
    }

    #[test]
    fn too_many_objects_do_not_decode() {
        let ids: Vec<Uuid> = (0..=MAX_OBJECTS as u128).map(Uuid::from_u128).collect();
        let bin = postcard::to_stdvec(&ids).unwrap();
        assert!(postcard::from_bytes::<ObjectIds>(&bin).is_err());
        let ok = postcard::to_stdvec(&ids[..2]).unwrap();
        assert_eq!(
            postcard::from_bytes::<ObjectIds>(&ok).unwrap().as_slice(),
            &ids[..2]
        );
    }

    #[test]
    fn timestamps_format_as_rfc3339() {
        let t = Timestamp::from_unix_nanos(0);
        assert_eq!(t.rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp::from(t.to_offset_date_time()), t);
    }
}
