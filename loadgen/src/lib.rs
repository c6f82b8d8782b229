//! dockmaster-loadgen: the real half. Replays a scenario's traffic against a
//! live HTTP endpoint, open-model, and records it exactly as the simulator
//! records its run; and stands up a local testbed — emulated tasks behind a
//! real HAProxy — to load-test when there is no fleet at hand.
//!
//! ```text
//!  scenario.toml ──sim::scenario::load──► Scenario ──sim::traffic::Arrivals──► schedule (same seed, same arrivals)
//!                                            │                                     │
//!                                            │                        loadgen::run ▼
//!                                            │        workers (each its share, on time; hyper keep-alive pool) ──HTTP──► target
//!                                            │                                     │ one Record per request
//!                                            │                                     ▼
//!                                            │                      aggregator ──► reports::Recording + loadtest.json
//!                                            │
//!                                            └──testbed::Testbed::start──► HAProxy ──► emulated tasks (hyper servers:
//!                                                                           concurrency slots, queue_limit → 503,
//!                                                                           CPU share burnt in the task's cgroup,
//!                                                                           the rest slept)
//! ```
//!
//! Architecture invariants: the binary only parses flags and prints; tests
//! drive [`run()`] and [`testbed::Testbed`] in-process. One record per request
//! goes over one bounded channel to one aggregator; every queue is bounded
//! (jobs per worker, records, connections, emulated task queues). Latency is
//! measured from the scheduled instant.

mod aggregate;
pub mod client;
pub mod clock;
pub mod error;
pub mod options;
pub mod progress;
pub mod report;
pub mod run;
pub mod schedule;
mod shared;
pub mod stop;
pub mod testbed;
mod worker;

/// Raises this process's soft limit on open files to its hard limit: a load
/// test at 1,000 connections (or a testbed proxying them) needs more than
/// the common default of 1,024. Best effort; returns the limit in force.
pub fn raise_fd_limit() -> u64 {
    #[cfg(unix)]
    {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit read and write only the struct passed.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) != 0 {
                return 0;
            }
            if r.rlim_cur < r.rlim_max {
                let want = libc::rlimit {
                    rlim_cur: r.rlim_max,
                    rlim_max: r.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                    r.rlim_cur = r.rlim_max;
                }
            }
        }
        r.rlim_cur
    }
    #[cfg(not(unix))]
    0
}
pub use client::Target;
pub use error::{LoadgenError, TestbedError};
pub use options::{Mode, Options};
pub use progress::{Progress, ProgressFn};
pub use report::{LoadtestReport, LOADTEST_FILE};
pub use run::{run, Outcome};
pub use stop::{Level, Stop};
