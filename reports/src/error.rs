//! What can go wrong reading or writing a recording's files, and which
//! failures are the environment's rather than the input's.

use std::path::PathBuf;

/// Errors reading or writing a recording's files.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a valid summary", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: not a valid time series", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{}: {detail}", path.display())]
    Format { path: PathBuf, detail: String },
    /// `-o` names something a recording may not replace.
    #[error("cannot write to {}: {why}", path.display())]
    NotReplaceable { path: PathBuf, why: String },
    /// The files of one folder come from different runs.
    #[error("{}: its files come from different runs ({detail}); write the recording again", dir.display())]
    MixedRuns { dir: PathBuf, detail: String },
}

impl ReportError {
    /// The environment failed (a disk full, a folder not writable), not
    /// the input: exit status 3 rather than 2.
    pub fn is_environment(&self) -> bool {
        match self {
            ReportError::Io { action, .. } => *action != "read",
            _ => false,
        }
    }
}
