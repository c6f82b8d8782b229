//! The fleet's story as a list of happenings: every scaling decision,
//! launch, deploy step, failure, replacement and drain, in `events.csv`
//! (`t_s,kind,subject,detail`).

use crate::error::ReportError;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const EVENTS_FILE: &str = "events.csv";

/// Declares [`FleetEventKind`] with each kind's word written once: the
/// variant, its word in `events.csv`, and `ALL` come from one list.
macro_rules! fleet_event_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident = $word:literal,)*) => {
        /// What happened, as the simulator tells it: every kind it writes,
        /// no other. In `events.csv` each is its word ([`FleetEventKind::as_str`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum FleetEventKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl FleetEventKind {
            /// Every kind, in declaration order.
            pub const ALL: [FleetEventKind; [$($word),*].len()] = [$(FleetEventKind::$variant),*];

            /// The word `events.csv` writes.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FleetEventKind::$variant => $word,)*
                }
            }
        }
    };
}

fleet_event_kinds! {
    /// The ASG launched an instance (Pending).
    Launch = "launch",
    /// The ASG could not launch: every AZ is down.
    LaunchFailed = "launch_failed",
    /// A launched instance is InService and registered with the cluster.
    InService = "in_service",
    /// An instance started draining (scale-in, Spot notice).
    DrainStart = "drain_start",
    /// An instance was terminated.
    Terminate = "terminate",
    /// A one-minute CloudWatch datapoint a scaling policy saw.
    Datapoint = "datapoint",
    /// A scaling policy raised a desired count.
    ScaleOut = "scale_out",
    /// A scaling policy lowered a desired count.
    ScaleIn = "scale_in",
    /// A scripted change of a service's desired count.
    ScaleService = "scale_service",
    /// An instance failed (scripted, its AZ, or at random).
    FailInstance = "fail_instance",
    /// An Availability Zone went down.
    FailAz = "fail_az",
    /// An instance got its two-minute Spot interruption notice.
    SpotNotice = "spot_notice",
    /// The ECS scheduler placed a task on an instance.
    TaskPlaced = "task_placed",
    /// A task passed its first health check.
    TaskHealthy = "task_healthy",
    /// A task failed its health checks.
    TaskUnhealthy = "task_unhealthy",
    /// A task stopped.
    TaskStopped = "task_stopped",
    /// A rolling deploy started.
    DeployStart = "deploy_start",
    /// A rolling deploy replaced a batch of tasks.
    DeployStep = "deploy_step",
    /// A rolling deploy finished.
    DeployEnd = "deploy_end",
}

/// The families of event marked on the time charts, each with its legend
/// entry and colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerFamily {
    Deploy,
    Failure,
    SpotNotice,
    Scaling,
}

impl MarkerFamily {
    /// The legend's word for the family.
    pub fn name(self) -> &'static str {
        match self {
            MarkerFamily::Deploy => "deploy",
            MarkerFamily::Failure => "failure",
            MarkerFamily::SpotNotice => "Spot notice",
            MarkerFamily::Scaling => "scaling",
        }
    }
}

impl FleetEventKind {
    /// The kind whose word is `word`, if the simulator writes one.
    pub fn parse(word: &str) -> Option<FleetEventKind> {
        FleetEventKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// The marker family of a kind the charts mark, or None for the kinds
    /// they leave off: task churn, launches and datapoints can run to
    /// thousands of rows. Every kind is named, so a new one needs a choice.
    pub fn notable(self) -> Option<MarkerFamily> {
        use FleetEventKind::*;
        match self {
            DeployStart | DeployStep | DeployEnd => Some(MarkerFamily::Deploy),
            FailInstance | FailAz => Some(MarkerFamily::Failure),
            SpotNotice => Some(MarkerFamily::SpotNotice),
            ScaleOut | ScaleIn => Some(MarkerFamily::Scaling),
            Launch | LaunchFailed | InService | DrainStart | Terminate | Datapoint
            | ScaleService | TaskPlaced | TaskHealthy | TaskUnhealthy | TaskStopped => None,
        }
    }
}

impl std::fmt::Display for FleetEventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FleetEventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FleetEventKind {
    /// Strict: the files are ours, so a word the simulator does not write
    /// is an error, not an "other" kind.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let word = std::borrow::Cow::<'de, str>::deserialize(d)?;
        FleetEventKind::parse(&word).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "kind `{word}` is not one dockmaster writes (one of {})",
                FleetEventKind::ALL.map(FleetEventKind::as_str).join(", ")
            ))
        })
    }
}

/// One happening. `kind` says what, `subject` what it happened to (`asg`,
/// a service name, a host id), `detail` why and what changed, in words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FleetEvent {
    pub t_s: f64,
    pub kind: FleetEventKind,
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
            e.kind.as_str().to_string(),
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
/// comments: the run id). A kind the simulator does not write is an error
/// naming the file, the line and the word.
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
        .map_err(|source| match source.kind() {
            csv::ErrorKind::Deserialize {
                pos: Some(pos),
                err,
            } => ReportError::Format {
                path: path.clone(),
                detail: format!("line {}: {}", pos.line(), err.kind()),
            },
            _ => ReportError::Csv { path, source },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_written_as_its_word_and_read_back() {
        let events: Vec<FleetEvent> = FleetEventKind::ALL
            .into_iter()
            .enumerate()
            .map(|(i, kind)| FleetEvent {
                t_s: i as f64,
                kind,
                subject: "asg".into(),
                detail: String::new(),
            })
            .collect();
        let bytes = csv_bytes(&events);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\n1.000,launch_failed,asg,\n"), "{text}");
        let back = parse(Path::new("rec"), Some(&bytes)).unwrap();
        assert_eq!(back, events);
    }

    #[test]
    fn an_unknown_kind_is_refused_naming_the_file_line_and_word() {
        let bytes = b"# dockmaster run_id=x\nt_s,kind,subject,detail\n\
                      1.000,launch,asg,\n2.000,scale_sideways,asg,\n";
        let err = parse(Path::new("rec"), Some(bytes))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("rec/events.csv: line 4: "), "{err}");
        assert!(err.contains("`scale_sideways`"), "{err}");
        assert!(err.contains("scale_out"), "{err}");
    }
}
