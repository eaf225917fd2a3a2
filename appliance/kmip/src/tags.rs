//! Tag numbers and names of KMIP 1.0–2.1 (owner: codec helper).

use crate::ttlv::Tag;

/// The spec's CamelCase name of a tag, as used by the XML encoding.
pub fn name(tag: Tag) -> Option<&'static str> {
    let _ = tag;
    None
}
