//! What the node does while its HSM is lost: a setting, never a silent fallback.
//!
//! - `keep-serving` (the default): key operations go on with the domain KEK already unwrapped
//!   in memory, so applications keep working through an HSM outage; `/readyz` answers 503 with
//!   the reason and the policy, and `requests_without_hsm_total{outcome="served"}` counts what
//!   was served meanwhile. Nothing new can be wrapped or unwrapped by the HSM in that time (a
//!   restart cannot unwrap the KEK until the HSM is back).
//! - `refuse`: every request but Discover Versions and Query fails with General Failure while
//!   the last HSM health check failed, for sites whose rule is "no HSM, no service".
//!
//! In both, RNG Retrieve takes its bytes from the HSM or fails: no software fallback.

use std::sync::atomic::Ordering;

use crate::OpError;

use crate::Kms;
use crate::access::Access;

/// What to do while the HSM does not answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HsmLossPolicy {
    /// Serve from the cached domain KEK; report the loss.
    #[default]
    KeepServing,
    /// Refuse every request that touches objects or randomness.
    Refuse,
}

impl HsmLossPolicy {
    /// The setting's name (`keep-serving`, `refuse`).
    pub fn as_str(self) -> &'static str {
        match self {
            HsmLossPolicy::KeepServing => "keep-serving",
            HsmLossPolicy::Refuse => "refuse",
        }
    }

    /// The policy of a setting's name.
    pub fn from_name(name: &str) -> Option<HsmLossPolicy> {
        [HsmLossPolicy::KeepServing, HsmLossPolicy::Refuse]
            .into_iter()
            .find(|p| p.as_str() == name)
    }
}

impl std::fmt::Display for HsmLossPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Applies the policy to one batch item while the HSM is lost.
pub(crate) fn check(kms: &Kms, access: Access) -> Result<(), OpError> {
    if access == Access::Discover || kms.hsm_ok.load(Ordering::Acquire) {
        return Ok(());
    }
    match kms.config.hsm_loss {
        HsmLossPolicy::KeepServing => {
            kms.metrics.without_hsm("served");
            Ok(())
        }
        HsmLossPolicy::Refuse => {
            kms.metrics.without_hsm("refused");
            // No Result Reason names an unavailable HSM; General Failure exists in every
            // version, and the message says why and that it is a policy.
            Err(OpError::Unavailable(
                "the HSM does not answer and this node's HSM-loss policy is refuse; retry later"
                    .to_owned(),
            ))
        }
    }
}
