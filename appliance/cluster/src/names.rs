//! How a node is named in its certificate: one DNS name, `<node id as 16 hex digits>.node.keywarden`.
//! A peer's identity on a link is the node its verified certificate names, never an address.

use keywarden_store::NodeId;

/// The DNS suffix of node names.
pub const NODE_DNS_SUFFIX: &str = ".node.keywarden";

/// The DNS name that a node certificate of `node` carries.
pub fn node_dns_name(node: NodeId) -> String {
    format!("{:016x}{NODE_DNS_SUFFIX}", node.0)
}

/// The node a DNS name names, if it is a node name (lower-case hex, exactly 16 digits).
pub fn node_of_dns_name(name: &str) -> Option<NodeId> {
    let hex = name.strip_suffix(NODE_DNS_SUFFIX)?;
    if hex.len() != 16
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().map(NodeId)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn names_round_trip(id in any::<u64>()) {
            prop_assert_eq!(node_of_dns_name(&node_dns_name(NodeId(id))), Some(NodeId(id)));
        }
    }

    #[test]
    fn other_names_are_not_nodes() {
        for name in [
            "localhost",
            "00000000000000a.node.keywarden",
            "00000000000000AB.node.keywarden",
            "+000000000000001.node.keywarden",
            "000000000000000a.node.keywarden.evil",
            "x.000000000000000a.node.keywarden",
        ] {
            assert_eq!(node_of_dns_name(name), None, "{name}");
        }
    }
}
