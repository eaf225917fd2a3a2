//! The one check of a structure's children against its declared fields, shared by the
//! operations' Request Payloads (`schema`) and the structures nested inside them
//! (`structures`).
//!
//! A field is a place in a structure: the tags that may fill it, whether it may repeat, and
//! the first protocol version that has it. A child outside the fields, or a single-valued field
//! sent twice, is a [`Violation`]; the caller words the error, since a payload names its
//! operation and a nested structure names itself.

use crate::ttlv::{Tag, Ttlv};
use crate::version::ProtocolVersion;

/// One place in a structure: the tags that may fill it, whether it repeats, since which version.
#[derive(Clone, Copy)]
pub(crate) struct Field {
    /// The tags that fill this place: one, or alternatives (Register's object).
    pub tags: &'static [Tag],
    /// The spec's "MAY be repeated".
    pub repeated: bool,
    /// The first protocol version (major, minor) whose structure has the field.
    pub since: (i32, i32),
}

/// A field sent at most once.
pub(crate) const fn one(tags: &'static [Tag]) -> Field {
    Field {
        tags,
        repeated: false,
        since: (1, 0),
    }
}

/// A field that may be repeated.
pub(crate) const fn many(tags: &'static [Tag]) -> Field {
    Field {
        tags,
        repeated: true,
        since: (1, 0),
    }
}

/// `field`, present from version `major.minor` on.
pub(crate) const fn since(field: Field, major: i32, minor: i32) -> Field {
    Field {
        since: (major, minor),
        ..field
    }
}

/// The most fields one table may declare: the check marks the fields it has seen in a `u32`.
pub(crate) const MAX_FIELDS: usize = 32;

/// What is wrong with a structure's children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Violation {
    /// A child that is not one of the fields at the version; `since` is the version from which
    /// it would be, when it is a field of a later minor.
    Stray {
        /// The child's tag.
        tag: Tag,
        /// The version that introduced the field, if the structure has it later.
        since: Option<(i32, i32)>,
    },
    /// A single-valued field sent more than once.
    Twice(Tag),
}

/// The first violation of `fields` by `items` at `ver`, if any. Allocates nothing.
pub(crate) fn violation(
    fields: &[Field],
    ver: ProtocolVersion,
    items: &[Ttlv],
) -> Option<Violation> {
    let mut seen = 0u32;
    for item in items {
        let found = fields
            .iter()
            .zip(0u32..)
            .find(|(f, _)| f.tags.contains(&item.tag));
        let Some((field, n)) = found else {
            return Some(Violation::Stray {
                tag: item.tag,
                since: None,
            });
        };
        if !ver.has(field.since) {
            return Some(Violation::Stray {
                tag: item.tag,
                since: Some(field.since),
            });
        }
        // Tables hold at most MAX_FIELDS fields (checked at compile time where they are
        // declared), so the shift never overflows; `unwrap_or(0)` keeps it panic-free anyway.
        let bit = 1u32.checked_shl(n).unwrap_or(0);
        if seen & bit != 0 && !field.repeated {
            return Some(Violation::Twice(item.tag));
        }
        seen |= bit;
    }
    None
}

/// True when no tag fills two places of `fields` (a table error the check could not see).
#[cfg(test)]
pub(crate) fn tags_are_distinct(fields: &[Field]) -> bool {
    let all: Vec<Tag> = fields.iter().flat_map(|f| f.tags.iter().copied()).collect();
    all.iter()
        .enumerate()
        .all(|(i, t)| !all.get(i + 1..).unwrap_or_default().contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags;
    use crate::ttlv::Value;

    const TABLE: &[Field] = &[
        one(&[tags::UNIQUE_IDENTIFIER]),
        many(&[tags::ATTRIBUTE_NAME]),
        since(one(&[tags::ENCODING_OPTION]), 1, 1),
    ];

    fn text(tag: Tag) -> Ttlv {
        Ttlv::new(tag, Value::TextString("x".into()))
    }

    #[test]
    fn each_violation_is_found() {
        let v10 = ProtocolVersion::V1_0;
        let ok = [text(tags::UNIQUE_IDENTIFIER), text(tags::ATTRIBUTE_NAME)];
        assert_eq!(violation(TABLE, v10, &ok), None);
        let repeated = [text(tags::ATTRIBUTE_NAME), text(tags::ATTRIBUTE_NAME)];
        assert_eq!(violation(TABLE, v10, &repeated), None);
        let twice = [text(tags::UNIQUE_IDENTIFIER), text(tags::UNIQUE_IDENTIFIER)];
        assert_eq!(
            violation(TABLE, v10, &twice),
            Some(Violation::Twice(tags::UNIQUE_IDENTIFIER))
        );
        let stray = [text(Tag(0x540001))];
        assert_eq!(
            violation(TABLE, v10, &stray),
            Some(Violation::Stray {
                tag: Tag(0x540001),
                since: None
            })
        );
        let later = [text(tags::ENCODING_OPTION)];
        assert_eq!(
            violation(TABLE, v10, &later),
            Some(Violation::Stray {
                tag: tags::ENCODING_OPTION,
                since: Some((1, 1))
            })
        );
        assert_eq!(violation(TABLE, ProtocolVersion::V1_1, &later), None);
        assert!(tags_are_distinct(TABLE));
        assert!(!tags_are_distinct(&[
            one(&[tags::UNIQUE_IDENTIFIER]),
            one(&[tags::UNIQUE_IDENTIFIER])
        ]));
    }
}
