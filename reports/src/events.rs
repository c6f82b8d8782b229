//! The fleet's story as a list of happenings: every scaling decision,
//! launch, deploy step, failure, replacement and drain, in `events.csv`
//! (`t_s,kind,subject,detail`).

use crate::recording::ReportError;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const EVENTS_FILE: &str = "events.csv";

/// One happening. `kind` is a fixed word (`scale_out`, `launch`,
/// `deploy_step`, `fail_az`, ...), `subject` what it happened to (`asg`, a
/// service name, a host id), `detail` why and what changed, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetEvent {
    pub t_s: f64,
    pub kind: String,
    pub subject: String,
    pub detail: String,
}

pub(crate) fn write(events: &[FleetEvent], dir: &Path) -> Result<(), ReportError> {
    let path = dir.join(EVENTS_FILE);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["t_s", "kind", "subject", "detail"])
        .and_then(|_| {
            events.iter().try_for_each(|e| {
                w.write_record([
                    format!("{:.3}", e.t_s),
                    e.kind.clone(),
                    e.subject.clone(),
                    e.detail.clone(),
                ])
            })
        })
        .map_err(|source| ReportError::Csv {
            path: path.clone(),
            source,
        })?;
    let bytes = w.into_inner().expect("in-memory writer");
    std::fs::write(&path, bytes).map_err(|source| ReportError::Io {
        action: "write",
        path,
        source,
    })
}

/// Reads `events.csv`; a recording without one (a load test) has no events.
pub(crate) fn read(dir: &Path) -> Result<Vec<FleetEvent>, ReportError> {
    let path = dir.join(EVENTS_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut r = csv::Reader::from_path(&path).map_err(|source| ReportError::Csv {
        path: path.clone(),
        source,
    })?;
    r.deserialize()
        .collect::<Result<Vec<FleetEvent>, _>>()
        .map_err(|source| ReportError::Csv { path, source })
}
