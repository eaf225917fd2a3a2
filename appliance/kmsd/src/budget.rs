//! The memory that KMIP request bodies may hold, for the whole process.
//!
//! Each connection's buffer grows only as bytes arrive, but a thousand clients sending large
//! requests at once would still hold a thousand large buffers. Before reading a body, a
//! connection reserves its announced length from one process-wide budget and keeps it until
//! its response is written; when the budget is spent, the next connection waits (its bytes
//! wait in the kernel's socket buffer, outside kmsd's memory) instead of allocating.

use std::sync::Arc;

use keywarden_kmip::ttlv::Limits;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Error;

/// Bytes per permit of the budget's semaphore.
const UNIT: usize = 1024;

/// The size of the budget (a setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestBudget {
    /// Request bytes held in memory at once, over all KMIP connections.
    pub bytes: usize,
}

impl Default for RequestBudget {
    fn default() -> Self {
        RequestBudget { bytes: 64 << 20 }
    }
}

impl RequestBudget {
    /// The budget must hold at least one largest message, or that message could never be read.
    pub fn validate(&self, limits: &Limits) -> Result<(), Error> {
        if self.bytes < limits.max_message {
            return Err(Error::Config {
                field: "request_budget.bytes",
                reason: format!(
                    "{} bytes is less than the largest message allowed ({} bytes)",
                    self.bytes, limits.max_message
                ),
            });
        }
        if self.bytes / UNIT > Semaphore::MAX_PERMITS {
            return Err(Error::Config {
                field: "request_budget.bytes",
                reason: format!("{} bytes is too large", self.bytes),
            });
        }
        Ok(())
    }
}

/// The budget shared by every KMIP connection.
#[derive(Debug)]
pub struct Budget {
    permits: Arc<Semaphore>,
    total: u32,
}

/// Bytes reserved by one request; given back on drop.
#[derive(Debug)]
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

impl Budget {
    /// A budget of `budget.bytes` (validated first).
    pub fn new(budget: RequestBudget) -> Arc<Budget> {
        let units = (budget.bytes / UNIT).max(1);
        Arc::new(Budget {
            permits: Arc::new(Semaphore::new(units)),
            total: u32::try_from(units).unwrap_or(u32::MAX),
        })
    }

    /// Waits until `len` bytes are free, then holds them; `None` only if the budget was
    /// closed (it never is while the listener runs).
    pub async fn reserve(&self, len: usize) -> Option<Reservation> {
        let units = u32::try_from(len.div_ceil(UNIT).max(1))
            .unwrap_or(u32::MAX)
            .min(self.total);
        Arc::clone(&self.permits)
            .acquire_many_owned(units)
            .await
            .ok()
            .map(|permit| Reservation { _permit: permit })
    }

    /// Bytes free now.
    #[cfg(test)]
    pub fn available(&self) -> usize {
        self.permits.available_permits() * UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_wait_when_the_budget_is_spent_and_free_on_drop() {
        let budget = Budget::new(RequestBudget { bytes: 4 * UNIT });
        let first = budget.reserve(3 * UNIT).await.unwrap();
        assert_eq!(budget.available(), UNIT);
        let second = budget.reserve(2 * UNIT);
        tokio::pin!(second);
        // Not enough left: the second waits (polled once, no timer).
        assert!(futures_poll_once(second.as_mut()).await.is_none());
        drop(first);
        let _second = second.await;
        assert_eq!(budget.available(), 2 * UNIT);
    }

    #[test]
    fn the_budget_must_hold_the_largest_message() {
        let limits = Limits::default();
        let e = RequestBudget {
            bytes: limits.max_message - 1,
        }
        .validate(&limits)
        .unwrap_err()
        .to_string();
        assert!(e.contains("request_budget.bytes"), "{e}");
        assert!(RequestBudget::default().validate(&limits).is_ok());
    }

    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        let mut f = f;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
