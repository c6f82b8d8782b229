//! One service's part of a recording. Behind one ALB a fast service can hide
//! a slow one in the fleet's figures (90 % of the traffic at 5 ms keeps the
//! fleet's p99 low while the other 10 % wait a second), so every request is
//! also counted under its service: the fleet's figures are the sums of the
//! services' (a test checks it on every bundled scenario).

use super::*;

/// A service as a recording names it: its name (the suffix of its
/// `timeseries.csv` columns, the `Tag=` of its `latency.hlog` intervals,
/// its key under `services` in `summary.json`) and its own objectives.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceMeta {
    pub name: String,
    /// `services[].slo`; empty when the service has none.
    pub slo: SloSpec,
}

/// One service's requests in one window. Errors are counted as a total per
/// window; their kinds are kept for the whole run ([`ServiceTotals`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceWindow {
    /// Requests for the service that arrived in the window.
    pub offered: u64,
    /// Its successful responses completed in the window.
    pub ok: u64,
    /// Its failed responses completed in the window.
    pub errors: u64,
    pub latency: LatencyStats,
    /// Exact sum of the ok latencies in ns (for the mean).
    pub sum_ns: u128,
    /// The µs histogram, V2 encoded as [`Window::histogram_v2z`] is.
    pub histogram_v2z: Vec<u8>,
}

impl ServiceWindow {
    /// Decodes the service's histogram of the window.
    pub fn histogram(&self) -> Histogram<u64> {
        decode_known(&self.histogram_v2z)
    }
}

/// One service's whole run.
#[derive(Clone, Debug)]
pub struct ServiceTotals {
    pub name: String,
    /// Merge of the service's window histograms (µs).
    pub total: Histogram<u64>,
    /// Exact sum of its ok latencies in ns.
    pub total_sum_ns: u128,
    /// Its requests that arrived.
    pub offered: u64,
    /// Its successful responses (`total.len()`).
    pub ok: u64,
    /// Every kind, zeros included.
    pub errors_by_kind: BTreeMap<ErrorKind, u64>,
}

impl ServiceTotals {
    /// The service's latency over the run.
    pub fn latency(&self) -> LatencyStats {
        LatencyStats::from_histogram(&self.total, self.total_sum_ns)
    }

    /// Its failed responses.
    pub fn errors(&self) -> u64 {
        self.errors_by_kind.values().sum()
    }

    /// Its failed / (ok + failed) responses, as [`Recording::error_rate`].
    pub fn error_rate(&self) -> f64 {
        error_rate(self.ok, self.errors())
    }
}

/// Failed / (ok + failed); 0 when nothing finished.
pub(super) fn error_rate(ok: u64, errors: u64) -> f64 {
    let done = ok + errors;
    if done == 0 {
        0.0
    } else {
        errors as f64 / done as f64
    }
}

/// Every kind of `counts` (in [`ErrorKind::ALL`] order) by kind.
pub(super) fn by_kind(counts: [u64; 7]) -> BTreeMap<ErrorKind, u64> {
    ErrorKind::ALL
        .into_iter()
        .map(|k| (k, counts[k.index()]))
        .collect()
}
