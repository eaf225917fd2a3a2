//! Conflicts that a merge with a peer's record found: both sides kept as the merge decided
//! (deterministically, on every node), and recorded here so an operator can see them. A leaf:
//! the writer records, the store lists.

use serde::{Deserialize, Serialize};

use crate::clock::Stamp;
use crate::error::StoreError;

/// What two concurrent versions of the cluster's state disagreed on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConflictKind {
    /// One node recorded a compromise and another a destroy, neither having seen the other's:
    /// the object is both (destroyed, compromised), its material gone.
    CompromiseDestroyRace {
        /// The node that recorded the compromise.
        compromised_by: crate::clock::NodeId,
        /// The node that recorded the destroy.
        destroyed_by: crate::clock::NodeId,
    },
    /// Another object already carries this name: both keep it.
    DuplicateName {
        /// The name.
        name: String,
        /// The other object.
        other: String,
    },
}

/// A conflict as this node recorded it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The object whose merge found it.
    pub uuid: String,
    /// What.
    pub kind: ConflictKind,
    /// When this node found it.
    pub detected: Stamp,
}

/// The stored value, behind a version tag (variants only appended).
#[derive(Serialize, Deserialize)]
enum Stored {
    V1(Conflict),
}

impl Conflict {
    /// The table key: one row per object and kind (and name), so finding it again changes
    /// nothing.
    pub(crate) fn key(&self) -> Vec<u8> {
        let mut k = self.uuid.as_bytes().to_vec();
        k.push(0);
        match &self.kind {
            ConflictKind::CompromiseDestroyRace { .. } => k.push(1),
            ConflictKind::DuplicateName { name, .. } => {
                k.push(2);
                k.extend_from_slice(name.as_bytes());
            }
        }
        k
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, StoreError> {
        postcard::to_stdvec(&Stored::V1(self.clone())).map_err(|e| StoreError::Encode {
            what: "conflict",
            reason: e.to_string(),
        })
    }

    pub(crate) fn decode(b: &[u8]) -> Result<Conflict, StoreError> {
        match postcard::from_bytes(b) {
            Ok(Stored::V1(c)) => Ok(c),
            Err(e) => Err(StoreError::Decode {
                what: "conflict",
                reason: e.to_string(),
            }),
        }
    }
}
