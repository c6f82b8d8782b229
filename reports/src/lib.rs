//! Recordings: what a run measured, window by window, in the same shape
//! whether it came from the simulator or from a real load test.
//!
//! ```text
//!  sim / loadgen ──record_ok / record_error──► Recorder (current window)
//!                ──close_window(gauges)──────► Window rows + encoded histograms
//!                ──finish────────────────────► Recording ──► summary.json
//!                                                          ├► timeseries.csv
//!                                                          └► latency.hlog
//! ```
//!
//! Architecture invariant: this crate knows nothing of the simulator or of
//! hyper; it sees latencies, counters, typed gauges ([`Gauge`]) and events.

pub mod charts;
pub mod compare;
pub mod comparison;
pub mod error;
pub mod events;
pub mod gauge;
pub mod html;
pub mod plan_view;
pub mod recording;
pub mod run_id;
pub mod scenario_summary;
pub mod staging;
pub mod stats;

pub use events::{FleetEvent, FleetEventKind, MarkerFamily, EVENTS_FILE};
pub use gauge::{FleetGauges, Gauge, LoadTestGauges};
pub use recording::*;
pub use run_id::RunId;
pub use scenario_summary::ScenarioSummary;
pub use staging::{Staging, Writes};
