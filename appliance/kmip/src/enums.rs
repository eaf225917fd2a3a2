//! Typed KMIP enumerations and bit masks (owner: messages helper).
