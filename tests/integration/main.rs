//! The integration tests: one binary, one module per concern.

mod bad_input;
mod cli;
mod determinism;
mod queueing;
mod util;
