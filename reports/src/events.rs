//! The fleet's story as a list of happenings: every scaling decision,
//! launch, deploy step, failure, replacement and drain, in `events.csv`
//! (`t_s,kind,subject,detail`).

use crate::error::ReportError;
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

/// The bytes of `events.csv` (without the run id line the recording adds).
pub(crate) fn csv_bytes(events: &[FleetEvent]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["t_s", "kind", "subject", "detail"])
        .expect("writing CSV to memory");
    for e in events {
        w.write_record([
            format!("{:.3}", e.t_s),
            e.kind.clone(),
            e.subject.clone(),
            e.detail.clone(),
        ])
        .expect("writing CSV to memory");
    }
    w.into_inner().expect("flushing CSV to memory")
}

/// The bytes of `dir/events.csv`; `None` when there is none (a load test).
pub(crate) fn read_bytes(dir: &Path) -> Result<Option<Vec<u8>>, ReportError> {
    let path = dir.join(EVENTS_FILE);
    match std::fs::read(&path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ReportError::Io {
            action: "read",
            path,
            source,
        }),
    }
}

/// The events of an `events.csv` read by [`read_bytes`] (`#` lines are
/// comments: the run id).
pub(crate) fn parse(dir: &Path, bytes: Option<&[u8]>) -> Result<Vec<FleetEvent>, ReportError> {
    let Some(bytes) = bytes else {
        return Ok(Vec::new());
    };
    let path = dir.join(EVENTS_FILE);
    csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(bytes)
        .deserialize()
        .collect::<Result<Vec<FleetEvent>, _>>()
        .map_err(|source| ReportError::Csv { path, source })
}
