//! The integration tests: one binary, one module per concern.

mod atomic;
mod bad_input;
mod cli;
mod cpu;
mod determinism;
mod e2e;
mod e2e_cpu;
mod estimate;
mod fleet;
mod interrupts;
mod plan;
mod queueing;
mod readme;
mod report;
mod services;
mod set;
mod util;
