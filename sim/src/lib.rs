//! dockmaster-sim: the scenario model, a deterministic discrete-event kernel,
//! and a model of an ECS-on-EC2 fleet behind an ALB.
//!
//! ```text
//!  scenario.toml ──scenario::load──► Scenario ──engine::run──► reports::Recording
//!                                       │
//!                                       └─traffic::Arrivals──► (also used by loadgen)
//! ```
//!
//! Architecture invariant: nothing here reads the wall clock or the network;
//! only `scenario::load` reads files (the TOML and empirical samples). Same
//! scenario and seed give the same events in the same order.

pub mod alb;
pub mod asg;
pub mod audit;
pub mod autoscale;
pub mod catalogue;
pub mod cpu;
pub mod dist;
pub mod engine;
pub mod estimate;
pub mod faults;
pub mod host;
pub mod kernel;
pub mod layout;
pub mod placement;
pub mod rng;
pub mod scenario;
pub mod scheduler;
pub mod target_tracking;
pub mod task;
pub mod time;
pub mod traffic;

pub use estimate::WorkEstimate;
pub use scenario::Scenario;
pub use time::{Nanos, SimTime};
