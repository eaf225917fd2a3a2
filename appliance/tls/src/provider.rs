//! The crypto provider of every TLS endpoint.

use std::sync::Arc;

use rustls::NamedGroup;
use rustls::crypto::CryptoProvider;

use crate::error::TlsError;

/// The aws-lc-rs provider with the hybrid post-quantum group X25519MLKEM768 preferred.
///
/// The workspace enables rustls' `prefer-post-quantum`, which already puts it first; the order is
/// enforced here anyway so a feature change cannot silently downgrade key exchange.
pub fn provider() -> Result<Arc<CryptoProvider>, TlsError> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    let position = provider
        .kx_groups
        .iter()
        .position(|group| group.name() == NamedGroup::X25519MLKEM768)
        .ok_or_else(|| TlsError::Config {
            what: "crypto provider",
            reason: "it lacks X25519MLKEM768".to_owned(),
        })?;
    let group = provider.kx_groups.remove(position);
    provider.kx_groups.insert(0, group);
    Ok(Arc::new(provider))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hybrid_post_quantum_group_comes_first() {
        let provider = provider().unwrap();
        let names: Vec<NamedGroup> = provider.kx_groups.iter().map(|g| g.name()).collect();
        assert_eq!(
            names.first(),
            Some(&NamedGroup::X25519MLKEM768),
            "{names:?}"
        );
        assert!(
            names.contains(&NamedGroup::X25519),
            "classical fallback kept: {names:?}"
        );
    }
}
