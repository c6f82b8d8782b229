use super::*;
use crate::recording::{ErrorKind, Meta, Recorder, Replay, RunTotals, SloSpec, Source};
use crate::scenario_summary::{Arrivals, FleetSummary, ServiceSummary, TrafficSummary};
use crate::{FleetEvent, FleetGauges, Gauge, ScenarioSummary};

/// A synthetic run for chart, page and comparison tests.
pub(crate) struct Synth {
    pub scenario: &'static str,
    pub source: Source,
    pub seed: u64,
    pub windows: usize,
    pub window_s: f64,
    /// Requests per second offered.
    pub rps: f64,
    /// Median latency in ms; the tail reaches about 8×.
    pub p50_ms: f64,
    pub gauges: Vec<Gauge>,
    /// From this window on, 5% of requests fail with 503.
    pub errors_from: Option<usize>,
    pub events: Vec<FleetEvent>,
    pub slo: SloSpec,
}

impl Default for Synth {
    fn default() -> Synth {
        Synth {
            scenario: "synthetic",
            source: Source::Simulate,
            seed: 1,
            windows: 30,
            window_s: 10.0,
            rps: 40.0,
            p50_ms: 20.0,
            gauges: Vec::new(),
            errors_from: None,
            events: Vec::new(),
            slo: SloSpec {
                p99_ms: Some(150.0),
                error_rate: Some(0.01),
                ..SloSpec::default()
            },
        }
    }
}

impl Synth {
    /// The simulator's gauges for services `api` and `worker`.
    pub fn all_gauges() -> Vec<Gauge> {
        FleetGauges::declared(["api", "worker"])
    }

    /// What the simulator would say of the scenario text [`Synth::record`]
    /// writes.
    pub fn scenario_summary(&self) -> ScenarioSummary {
        ScenarioSummary {
            description: "A made-up run for tests.".into(),
            fleet: FleetSummary {
                instance_type: "m5.large".into(),
                azs: vec!["a".into(), "b".into()],
                asg_min: 2,
                asg_max: 6,
                asg_desired: 3,
                scaling: None,
            },
            services: vec![ServiceSummary {
                name: "api".into(),
                desired: 4,
                autoscaled: false,
            }],
            traffic: TrafficSummary {
                arrivals: Arrivals::Poisson,
                min_rps: self.rps,
                peak_rps: self.rps,
            },
            events: Vec::new(),
        }
    }

    pub fn record(&self) -> Recording {
        let meta = Meta {
            scenario: self.scenario.to_string(),
            seed: self.seed,
            source: self.source,
            version: "0.0.0-test".into(),
            window_s: self.window_s,
            duration_s: self.windows as f64 * self.window_s,
            slo: self.slo.clone(),
            start_unix_s: 0.0,
            target: None,
            scenario_text: format!(
                "# A made-up run for tests.\nname = \"{}\"\n[cluster]\ninstance_type = \"m5.large\"\nazs = [\"a\", \"b\"]\n\
                 [cluster.asg]\nmin = 2\nmax = 6\ndesired = 3\n[[services]]\nname = \"api\"\ndesired = 4\n\
                 [traffic]\nprofile = [ {{ at = \"0s\", rps = {} }} ]\n",
                self.scenario, self.rps
            ),
            scenario_summary: Some(self.scenario_summary()),
            replay: Replay::default(),
            services: vec![],
        };
        let mut r = Recorder::new(meta, self.gauges.clone());
        let mut state = self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for w in 0..self.windows {
            let n = (self.rps * self.window_s).round() as u64;
            r.record_offered(0, n);
            for _ in 0..n {
                let fail = self.errors_from.is_some_and(|from| w >= from) && uniform() < 0.05;
                if fail {
                    r.record_error(0, ErrorKind::Http503);
                    continue;
                }
                // Exponential body around the median plus a rare slow tail.
                let u = uniform().max(1e-12);
                let mut ms = self.p50_ms * (-u.ln()) / std::f64::consts::LN_2;
                if uniform() < 0.01 {
                    ms *= 4.0;
                }
                r.record_ok(0, (ms.max(0.01) * 1e6) as u64);
            }
            let t = w as f64;
            let gauges: Vec<(Gauge, f64)> = self
                .gauges
                .iter()
                .map(|g| {
                    let v = match g {
                        Gauge::CpuUtil => 0.3 + 0.2 * (t / 10.0).sin().abs(),
                        Gauge::CpuReservation => 0.5,
                        Gauge::MemoryReservation => 0.4,
                        Gauge::HostsPending | Gauge::TasksPending | Gauge::TasksDraining => {
                            f64::from(w % 7 == 0)
                        }
                        Gauge::CostUsd => 0.001,
                        Gauge::Hosts | Gauge::Tasks => 4.0 + (w / 10) as f64,
                        _ => 3.0 + (w / 10) as f64,
                    };
                    (g.clone(), v)
                })
                .collect();
            r.close_window(w as f64 * self.window_s, 1.0, &gauges);
        }
        r.finish(RunTotals {
            hosts_peak: Some(5),
            tasks_peak: Some(8),
            cost_usd: Some(0.12),
            events: self.events.clone(),
            ..RunTotals::default()
        })
    }
}

pub(crate) fn ev(t: f64, kind: &str, subject: &str, detail: &str) -> FleetEvent {
    FleetEvent {
        t_s: t,
        kind: crate::FleetEventKind::parse(kind).expect("a kind the simulator writes"),
        subject: subject.into(),
        detail: detail.into(),
    }
}

/// Checks that every tag opened in `svg` is closed in order (a cheap
/// well-formedness check; the browser test does the rest).
pub(crate) fn assert_balanced(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("unterminated tag");
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(
                stack.pop().as_deref(),
                Some(name.trim()),
                "mismatched </{name}>"
            );
        } else if !tag.ends_with('/') && !tag.starts_with('!') && !tag.starts_with('?') {
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed tags {stack:?}");
}

fn by_name<'a>(charts: &'a [Chart], name: &str) -> &'a Chart {
    charts
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name} chart"))
}

fn names(charts: &[Chart]) -> Vec<&'static str> {
    charts.iter().map(|c| c.name).collect()
}

#[test]
fn a_simulation_with_every_gauge_gets_all_five_charts() {
    let rec = Synth {
        gauges: Synth::all_gauges(),
        ..Synth::default()
    }
    .record();
    let charts = recording_charts(&rec).unwrap();
    // One service: its latency is the fleet's, drawn once.
    let expected: Vec<&str> = RECORDING_CHARTS
        .into_iter()
        .filter(|n| *n != "latency-services")
        .collect();
    assert_eq!(names(&charts), expected);
    for c in &charts {
        assert_balanced(&c.svg);
        assert!(c.svg.starts_with("<svg"), "{}", c.name);
        assert!(c.svg.contains("<polyline"), "{} has no line", c.name);
        for label in &c.series {
            assert!(
                c.svg.contains(label.as_str()),
                "{}: legend `{label}` not drawn",
                c.name
            );
        }
        assert!(!c.caption.is_empty());
        assert!(c.svg.contains(&c.title.replace('&', "&amp;")));
    }
    assert_eq!(
        by_name(&charts, "latency").series,
        vec!["max", "p99", "p90", "p50", "SLO p99 ≤ 150 ms"]
    );
    assert_eq!(
        by_name(&charts, "capacity").series,
        vec![
            "hosts in service",
            "hosts (total)",
            "hosts pending",
            "ASG desired",
            "tasks running",
            "tasks (total)",
            "tasks pending",
            "tasks draining",
            "desired api",
            "desired worker"
        ]
    );
    assert_eq!(
        by_name(&charts, "utilisation").series,
        vec![
            "CPU utilisation",
            "CPU reserved by tasks",
            "memory reserved by tasks"
        ]
    );
    let throughput = by_name(&charts, "throughput");
    assert_eq!(
        throughput.series,
        vec!["completed (ok)", "offered", "errors (none)"]
    );
    assert!(throughput.svg.contains("no failed requests in this run"));
    // Axis titles carry units.
    for (name, axis) in [
        ("latency", "latency (ms, log scale)"),
        ("throughput", "requests per second (req/s)"),
        ("capacity", "EC2 hosts"),
        ("utilisation", "share of the cluster (%)"),
        ("latency-cdf", "percentile"),
    ] {
        let c = by_name(&charts, name);
        assert!(c.svg.contains(axis), "{name}: no `{axis}`");
        assert!(
            c.svg.contains("time since start") || name == "latency-cdf",
            "{name}"
        );
    }
}

#[test]
fn a_load_test_without_gauges_gets_no_capacity_or_utilisation_chart() {
    let rec = Synth {
        source: Source::Loadtest,
        ..Synth::default()
    }
    .record();
    let charts = recording_charts(&rec).unwrap();
    assert_eq!(names(&charts), vec!["latency", "throughput", "latency-cdf"]);
}

#[test]
fn only_present_gauges_are_drawn() {
    let rec = Synth {
        gauges: vec![
            Gauge::Hosts,
            Gauge::Tasks,
            Gauge::TasksPending,
            Gauge::CpuUtil,
            Gauge::CostUsd,
        ],
        ..Synth::default()
    }
    .record();
    let charts = recording_charts(&rec).unwrap();
    assert_eq!(
        by_name(&charts, "capacity").series,
        vec!["hosts in service", "tasks running", "tasks pending"]
    );
    assert_eq!(
        by_name(&charts, "utilisation").series,
        vec!["CPU utilisation"]
    );

    let rec = Synth {
        gauges: vec![Gauge::MemoryReservation],
        ..Synth::default()
    }
    .record();
    let charts = recording_charts(&rec).unwrap();
    assert!(!names(&charts).contains(&"capacity"));
    assert_eq!(
        by_name(&charts, "utilisation").series,
        vec!["memory reserved by tasks"]
    );
}

#[test]
fn notable_events_are_labelled_markers_and_task_churn_is_not() {
    let mut events = vec![
        ev(60.0, "deploy_start", "api", "rev 2"),
        ev(90.0, "deploy_step", "api", "2 of 4"),
        ev(150.0, "deploy_end", "api", ""),
        ev(200.0, "fail_az", "us-east-1b", ""),
        ev(230.0, "spot_notice", "i-0042", "2 min"),
        ev(260.0, "scale_out", "asg", "3→5"),
    ];
    for i in 0..500 {
        events.push(ev(i as f64 * 0.5, "task_placed", "api", "host i-1"));
    }
    let rec = Synth {
        gauges: Synth::all_gauges(),
        events,
        ..Synth::default()
    }
    .record();
    let charts = recording_charts(&rec).unwrap();
    for name in ["latency", "throughput", "capacity", "utilisation"] {
        let c = by_name(&charts, name);
        for label in [
            "deploy api",
            "deployed api",
            "AZ us-east-1b fails",
            "Spot notice i-0042",
            "scale out asg 3→5",
        ] {
            assert!(c.svg.contains(label), "{name}: marker `{label}` missing");
        }
        for kind in ["deploy", "failure", "Spot notice", "scaling"] {
            assert!(c.series.iter().any(|s| s == kind), "{name}: legend {kind}");
        }
        assert!(
            !c.svg.contains("task placed"),
            "{name}: task churn labelled"
        );
    }
    // Markers stay off the distribution chart (it has no time axis).
    assert!(!by_name(&charts, "latency-cdf").svg.contains("deploy api"));
}

#[test]
fn errors_are_drawn_by_kind() {
    let rec = Synth {
        errors_from: Some(10),
        ..Synth::default()
    }
    .record();
    let charts = recording_charts(&rec).unwrap();
    let t = by_name(&charts, "throughput");
    assert_eq!(
        t.series,
        vec!["completed (ok)", "offered", "503 (no target or queue full)"]
    );
    assert!(!t.svg.contains("no failed requests"));
}

#[test]
fn pooled_replications_draw_confidence_bands_and_bars() {
    let reps: Vec<Recording> = (1..=4)
        .map(|seed| {
            Synth {
                seed,
                ..Synth::default()
            }
            .record()
        })
        .collect();
    let rec = Recording::pool(reps);
    let charts = recording_charts(&rec).unwrap();
    let lat = by_name(&charts, "latency");
    // Pooling adds each window's interval: the bands follow the windows.
    for name in ["p50", "p99"] {
        let label = format!("{name}: 95% CI per window over 4 replications");
        assert!(lat.series.contains(&label), "{label} in {:?}", lat.series);
    }
    assert!(lat.svg.contains("<polygon"), "no band drawn");
    let lo = rec.gauge(&Gauge::P99MsCi95Lo).unwrap();
    let hi = rec.gauge(&Gauge::P99MsCi95Hi).unwrap();
    for ((w, lo), hi) in rec.windows.iter().zip(lo).zip(hi) {
        if w.latency.count > 0 {
            assert!(lo <= hi, "window at {} s: [{lo}, {hi}]", w.t_start_s);
        }
    }
    let cdf = by_name(&charts, "latency-cdf");
    assert!(cdf
        .series
        .contains(&"95% CI over 4 replications".to_string()));
    assert!(lat.svg.contains("4 replications pooled"));
}

#[test]
fn a_run_without_responses_gets_no_latency_charts() {
    let rec = Synth {
        rps: 0.0,
        ..Synth::default()
    }
    .record();
    let charts = recording_charts(&rec).unwrap();
    assert_eq!(names(&charts), vec!["throughput"]);
}

#[test]
fn write_charts_replaces_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let full = Synth {
        gauges: Synth::all_gauges(),
        ..Synth::default()
    }
    .record();
    let written = write_charts(
        dir.path(),
        &recording_charts(&full).unwrap(),
        &RECORDING_CHARTS,
        &crate::RunId::of_parts(&[b"test"]),
    )
    .unwrap();
    assert_eq!(written.len(), 5);
    std::fs::write(dir.path().join(CHARTS_DIR).join("mine.svg"), "keep").unwrap();
    let bare = Synth::default().record();
    write_charts(
        dir.path(),
        &recording_charts(&bare).unwrap(),
        &RECORDING_CHARTS,
        &crate::RunId::of_parts(&[b"test"]),
    )
    .unwrap();
    let mut left: Vec<String> = std::fs::read_dir(dir.path().join(CHARTS_DIR))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec![
            "latency-cdf.svg",
            "latency.svg",
            "mine.svg",
            "throughput.svg"
        ]
    );
}

#[test]
fn rendering_is_deterministic() {
    let s = Synth {
        gauges: Synth::all_gauges(),
        events: vec![ev(100.0, "fail_az", "b", "")],
        ..Synth::default()
    };
    let a = recording_charts(&s.record()).unwrap();
    let b = recording_charts(&s.record()).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.svg, y.svg, "{}", x.name);
    }
}
