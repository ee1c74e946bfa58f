//! Counts of round trips to the device by kind, for reports and benchmarks.
//!
//! Counted per HTTP attempt (a retried request counts twice, and once more in `retries`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// What a request was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequestKind {
    /// `type=keygen`
    Keygen,
    /// `type=config&action=get`
    ConfigGet,
    /// `type=config&action=show`
    ConfigShow,
    /// `type=config&action=set`
    ConfigSet,
    /// `type=config&action=edit`
    ConfigEdit,
    /// `type=config&action=delete`
    ConfigDelete,
    /// `type=config&action=rename`
    ConfigRename,
    /// `type=config&action=move`
    ConfigMove,
    /// `type=config&action=multi-config`
    MultiConfig,
    /// `type=op` (show/check/test/request)
    Op,
    /// `type=commit`
    Commit,
    /// `type=user-id` (tag registrations)
    UserId,
}

impl RequestKind {
    const ALL: [RequestKind; 12] = [
        Self::Keygen,
        Self::ConfigGet,
        Self::ConfigShow,
        Self::ConfigSet,
        Self::ConfigEdit,
        Self::ConfigDelete,
        Self::ConfigRename,
        Self::ConfigMove,
        Self::MultiConfig,
        Self::Op,
        Self::Commit,
        Self::UserId,
    ];

    fn index(self) -> usize {
        self as usize
    }
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClientStats {
    /// HTTP round trips by request kind (kinds never sent are absent).
    pub round_trips: BTreeMap<RequestKind, u64>,
    /// Attempts that were retries of an earlier attempt.
    pub retries: u64,
}

impl ClientStats {
    /// All round trips.
    pub fn total(&self) -> u64 {
        self.round_trips.values().sum()
    }

    /// Round trips of one kind.
    pub fn count(&self, kind: RequestKind) -> u64 {
        self.round_trips.get(&kind).copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
pub(crate) struct StatsCounters {
    by_kind: [AtomicU64; RequestKind::ALL.len()],
    retries: AtomicU64,
}

impl StatsCounters {
    pub(crate) fn record(&self, kind: RequestKind, is_retry: bool) {
        self.by_kind[kind.index()].fetch_add(1, Ordering::Relaxed);
        if is_retry {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn snapshot(&self) -> ClientStats {
        let round_trips = RequestKind::ALL
            .iter()
            .filter_map(|kind| {
                let n = self.by_kind[kind.index()].load(Ordering::Relaxed);
                (n > 0).then_some((*kind, n))
            })
            .collect();
        ClientStats {
            round_trips,
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind_and_retries() {
        let counters = StatsCounters::default();
        counters.record(RequestKind::ConfigGet, false);
        counters.record(RequestKind::ConfigGet, true);
        counters.record(RequestKind::Commit, false);
        let stats = counters.snapshot();
        assert_eq!(stats.count(RequestKind::ConfigGet), 2);
        assert_eq!(stats.count(RequestKind::Commit), 1);
        assert_eq!(stats.count(RequestKind::Op), 0);
        assert_eq!(stats.total(), 3);
        assert_eq!(stats.retries, 1);
    }
}
