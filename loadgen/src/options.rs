//! What a load test is asked to do: the model (open, replaying the
//! scenario's arrivals, or closed), the target, the connection and thread
//! budget, how to stop, and whom to tell how it goes.

use crate::progress::ProgressFn;
use crate::stop::Stop;
use dockmaster_sim::scenario::Scenario;
use dockmaster_sim::time::Nanos;
use std::time::Duration;

/// How requests are issued.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// Replay the scenario's arrivals in `[from, to)` (scenario time, ns),
    /// the rate multiplied by `rate_scale`.
    Open {
        rate_scale: f64,
        from: Nanos,
        /// `None`: the end of the scenario.
        to: Option<Nanos>,
    },
    /// `connections` connections, each sending its next request as soon as
    /// the previous answer is in, for `duration`: the target's ceiling.
    Closed {
        connections: usize,
        duration: Duration,
    },
}

/// What `run` needs. [`Options::new`] gives the defaults.
pub struct Options {
    pub scenario: Scenario,
    pub seed: u64,
    /// `http://host[:port][/base]`; requests go to `<base>/<service>/`.
    pub target: String,
    pub mode: Mode,
    /// Keep-alive connections at most (split between the threads).
    pub max_connections: usize,
    /// Per request, from the moment it gets a connection.
    pub timeout: Duration,
    /// Worker threads (each a single-threaded tokio runtime).
    pub threads: usize,
    /// After a stop, how long in-flight requests may still finish.
    pub drain: Duration,
    /// Escalate it (signals do, see [`crate::stop::on_signals`]): the first
    /// step stops sending and gives in-flight requests `drain` to finish,
    /// the second stops waiting; the recording is returned either way.
    pub stop: Stop,
    /// Called from the aggregator thread every `progress_every`.
    pub progress: Option<ProgressFn>,
    pub progress_every: Duration,
    /// Nice value for the worker and aggregator threads (negative: ahead of
    /// neighbouring work on a shared machine; needs root). `None`: inherited.
    pub nice: Option<i32>,
}

impl Options {
    /// Open model over the whole scenario with its own seed, 1000
    /// connections, 30 s timeout, one thread per core, 2 s drain.
    pub fn new(scenario: Scenario, target: impl Into<String>) -> Options {
        let seed = scenario.seed;
        Options {
            scenario,
            seed,
            target: target.into(),
            mode: Mode::Open {
                rate_scale: 1.0,
                from: 0,
                to: None,
            },
            max_connections: 1000,
            timeout: Duration::from_secs(30),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            drain: Duration::from_secs(2),
            stop: Stop::new(),
            progress: None,
            progress_every: Duration::from_secs(1),
            nice: None,
        }
    }
}
