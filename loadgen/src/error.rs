//! Typed errors of the load generator and the testbed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    #[error("--target {url}: {detail}")]
    Target { url: String, detail: String },
    #[error("{option} {value}: {detail}")]
    Option {
        option: &'static str,
        value: String,
        detail: String,
    },
    #[error("cannot start the load generator: {0}")]
    Start(#[source] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    #[error(
        "haproxy not found (tried `{program}`): the testbed puts a real HAProxy in front of \
         the emulated tasks. Install it with `sudo apt-get install haproxy` (Debian/Ubuntu), \
         `brew install haproxy` (macOS), or pass --haproxy PATH"
    )]
    HaproxyMissing { program: String },
    #[error("haproxy did not start: {detail}\n--- haproxy output ---\n{log}")]
    HaproxyFailed { detail: String, log: String },
    #[error("cannot {action}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },
    /// The scenario burns CPU (`cpu_per_request > 0`) and this machine
    /// cannot confine it as ECS would: no writable cgroup v1 cpu/cpuset, or
    /// too few cores. The text says what is missing and what to do.
    #[error("the testbed cannot burn the scenario's CPU: {0}")]
    CpuUnavailable(String),
    #[error("the scenario cannot be emulated: {0}")]
    Unsupported(String),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl TestbedError {
    pub(crate) fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestbedError {
        let action = action.into();
        move |source| TestbedError::Io { action, source }
    }
}
