//! The live progress of a load test: a snapshot the aggregator thread
//! hands to the caller's callback every `progress_every`.

/// Receives a [`Progress`] snapshot every `progress_every`.
pub type ProgressFn = Box<dyn FnMut(&Progress) + Send>;

/// A snapshot for the live progress line.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub elapsed_s: f64,
    pub planned_s: f64,
    /// Requests dispatched so far.
    pub sent: u64,
    /// Over the last interval.
    pub sent_per_s: f64,
    pub ok: u64,
    pub errors: u64,
    pub in_flight: u64,
    /// Of the responses so far, from the scheduled instant; NaN if none.
    pub p99_ms: f64,
    /// Open model only; NaN otherwise.
    pub lag_p99_ms: f64,
}
