//! Tag numbers and names of KMIP 1.0–2.1 (owner: codec helper).

use crate::ttlv::Tag;
