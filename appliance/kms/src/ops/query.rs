//! Discover Versions and Query: the two operations that work without the domain KEK.

use keywarden_kmip::enums::{ObjectType, Operation, QueryFunction};
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kmip::payload::ResponsePayload;

use super::Ctx;
use keywarden_kmip::message::SUPPORTED_VERSIONS;

/// Vendor Identification answered by Query.
pub(crate) const VENDOR: &str = "Keywarden";

/// Operations this server implements: every operation the KMIP crate decodes a payload for
/// (dispatch in `ops` matches that payload enum exhaustively, so the two cannot drift apart).
pub(crate) const OPERATIONS: &[Operation] = keywarden_kmip::payload::SUPPORTED_OPERATIONS;

/// Object types this server stores.
const OBJECT_TYPES: &[ObjectType] = &[
    ObjectType::Certificate,
    ObjectType::SymmetricKey,
    ObjectType::PublicKey,
    ObjectType::PrivateKey,
    ObjectType::SecretData,
    ObjectType::OpaqueObject,
];

/// Discover Versions: the server's versions that the client also lists, in the client's order
/// of preference; all of the server's when the client lists none.
pub(crate) fn discover_versions(client: &[ProtocolVersion]) -> ResponsePayload {
    let versions = if client.is_empty() {
        SUPPORTED_VERSIONS.to_vec()
    } else {
        client
            .iter()
            .copied()
            .filter(|v| SUPPORTED_VERSIONS.contains(v))
            .collect()
    };
    ResponsePayload::DiscoverVersions { versions }
}

/// Query: operations, object types and server information, as asked.
pub(crate) fn query(ctx: &Ctx<'_>, functions: &[QueryFunction]) -> ResponsePayload {
    let (major, minor) = (ctx.version.major, ctx.version.minor);
    let wants = |f: QueryFunction| functions.contains(&f);
    let operations = if wants(QueryFunction::QueryOperations) {
        OPERATIONS
            .iter()
            .copied()
            .filter(|o| o.exists_in(major, minor))
            .collect()
    } else {
        Vec::new()
    };
    let object_types = if wants(QueryFunction::QueryObjects) {
        OBJECT_TYPES
            .iter()
            .copied()
            .filter(|o| o.exists_in(major, minor))
            .collect()
    } else {
        Vec::new()
    };
    let info = wants(QueryFunction::QueryServerInformation);
    ResponsePayload::Query {
        operations,
        object_types,
        vendor_identification: info.then(|| VENDOR.to_owned()),
        server_information: info.then(|| {
            format!(
                "Keywarden KMS {} (KMIP 1.0-1.4, 2.0, 2.1)",
                env!("CARGO_PKG_VERSION")
            )
        }),
    }
}
