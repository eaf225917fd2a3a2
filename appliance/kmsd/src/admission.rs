//! Who may hold a connection that has not finished its TLS handshake.
//!
//! An unauthenticated peer costs a socket, a task and TLS state for up to the handshake
//! timeout. Such connections are counted apart from authenticated ones: at most
//! [`AdmissionLimits::handshakes`] in total and [`AdmissionLimits::handshakes_per_peer`] from
//! one IP address. A connection over either limit is closed at accept, so a flood of idle TCP
//! connections from one address can hold a small, fixed share of the listener and never the
//! capacity that authenticated clients use.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Error;

/// The limits on connections still in their TLS handshake, per listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// At most this many connections in their handshake at once.
    pub handshakes: usize,
    /// At most this many of them from one IP address.
    pub handshakes_per_peer: usize,
}

impl Default for AdmissionLimits {
    fn default() -> Self {
        AdmissionLimits {
            handshakes: 256,
            // A load balancer in TCP mode brings many clients from one address.
            handshakes_per_peer: 64,
        }
    }
}

impl AdmissionLimits {
    /// Checks the limits against the listener's connection limit; the error names the field.
    pub fn validate(&self, max_connections: usize) -> Result<(), Error> {
        let bad = |field: &'static str, reason: String| Err(Error::Config { field, reason });
        if self.handshakes == 0 || self.handshakes_per_peer == 0 {
            return bad(
                "admission",
                "handshake limits must be at least 1".to_owned(),
            );
        }
        if self.handshakes_per_peer > self.handshakes {
            return bad(
                "admission.handshakes_per_peer",
                format!(
                    "{} is more than the total handshake limit {}",
                    self.handshakes_per_peer, self.handshakes
                ),
            );
        }
        // Below max_connections in practice (the defaults leave 768 of 1024 to authenticated
        // clients); above it the limit would mean nothing.
        if self.handshakes > max_connections {
            return bad(
                "admission.handshakes",
                format!(
                    "{} is more than max_connections {max_connections}",
                    self.handshakes
                ),
            );
        }
        Ok(())
    }
}

/// Why a new connection was closed at accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many handshakes in progress on the listener.
    Total,
    /// Too many handshakes in progress from this address.
    PerPeer,
}

impl Refusal {
    /// For logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Total => "too many connections in their TLS handshake",
            Refusal::PerPeer => "too many connections in their TLS handshake from this address",
        }
    }
}

/// The handshake counters of one listener.
#[derive(Debug)]
pub struct Admission {
    limits: AdmissionLimits,
    total: Arc<Semaphore>,
    per_peer: Mutex<HashMap<IpAddr, usize>>,
}

impl Admission {
    /// Counters for `limits`.
    pub fn new(limits: AdmissionLimits) -> Arc<Admission> {
        Arc::new(Admission {
            limits,
            total: Arc::new(Semaphore::new(limits.handshakes)),
            per_peer: Mutex::new(HashMap::new()),
        })
    }

    /// Admits a connection from `ip` into its handshake, or says why not.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Handshake, Refusal> {
        let permit = Arc::clone(&self.total)
            .try_acquire_owned()
            .map_err(|_| Refusal::Total)?;
        let mut per_peer = self.per_peer.lock().unwrap_or_else(PoisonError::into_inner);
        let count = per_peer.entry(ip).or_insert(0);
        if *count >= self.limits.handshakes_per_peer {
            return Err(Refusal::PerPeer);
        }
        *count += 1;
        Ok(Handshake {
            admission: Arc::clone(self),
            ip,
            _permit: permit,
        })
    }

    /// Handshakes in progress from `ip`.
    #[cfg(test)]
    pub fn in_handshake(&self, ip: IpAddr) -> usize {
        self.per_peer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&ip)
            .copied()
            .unwrap_or(0)
    }
}

/// A connection's place among those in their handshake; dropped when the handshake ends, in
/// success or failure.
#[derive(Debug)]
pub struct Handshake {
    admission: Arc<Admission>,
    ip: IpAddr,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Handshake {
    fn drop(&mut self) {
        let mut per_peer = self
            .admission
            .per_peer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = per_peer.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                per_peer.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_peer_and_total_limits_hold_and_free_on_drop() {
        let admission = Admission::new(AdmissionLimits {
            handshakes: 3,
            handshakes_per_peer: 2,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refusal::PerPeer);
        let _third = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refusal::Total);
        drop(first);
        assert_eq!(admission.in_handshake(a), 1);
        let _again = admission.admit(a).unwrap();
        assert_eq!(admission.in_handshake(a), 2);
    }

    #[test]
    fn limits_are_validated_against_the_connection_limit() {
        let ok = AdmissionLimits::default();
        assert!(ok.validate(1024).is_ok());
        let e = ok.validate(255).unwrap_err().to_string();
        assert!(e.contains("admission.handshakes"), "{e}");
        let e = AdmissionLimits {
            handshakes: 8,
            handshakes_per_peer: 9,
        }
        .validate(1024)
        .unwrap_err()
        .to_string();
        assert!(e.contains("handshakes_per_peer"), "{e}");
    }
}
