//! The time charts of a recording: one point per window, at the middle of
//! the window, event markers across every panel.
//!
//! | chart | panels | series |
//! |---|---|---|
//! | latency | 1, log y | p50, p90, p99, max; SLO targets; per-window CI bands when pooled |
//! | throughput | 2 | offered, completed; errors/s by kind |
//! | capacity | hosts, tasks | in service / pending / ASG desired; running / pending / draining / desired per service |
//! | utilisation | 1, 0–100 % | CPU utilisation, CPU and memory reservation |

use super::markers::markers;
use super::plot::{Axis, Band, Figure, Line, Marker, Panel, Rgb, Rule};
use crate::gauge::Gauge;
use crate::recording::{ErrorKind, Recording, Source};
use plotters::style::RGBColor;

// Okabe–Ito, readable by colour-blind readers and in print.
pub(crate) const BLUE: Rgb = RGBColor(0, 114, 178);
pub(crate) const SKY: Rgb = RGBColor(86, 180, 233);
pub(crate) const GREEN: Rgb = RGBColor(0, 158, 115);
pub(crate) const ORANGE: Rgb = RGBColor(230, 159, 0);
pub(crate) const VERMILLION: Rgb = RGBColor(213, 94, 0);
pub(crate) const PURPLE: Rgb = RGBColor(204, 121, 167);
pub(crate) const GREY: Rgb = RGBColor(140, 140, 140);
pub(crate) const DARK: Rgb = RGBColor(60, 60, 60);
pub(crate) const DARK_GREEN: Rgb = RGBColor(0, 95, 70);
/// Tasks pending: told apart from hosts pending (orange) in the legend.
pub(crate) const AMBER: Rgb = RGBColor(170, 110, 0);
/// SLO targets: a red no data series uses.
pub(crate) const SLO_RED: Rgb = RGBColor(192, 30, 45);

/// What every time chart of one recording shares.
pub(crate) struct Context<'a> {
    pub rec: &'a Recording,
    /// Seconds per x-axis unit (1, 60 or 3600).
    pub unit_s: f64,
    pub x_title: &'static str,
    /// Midpoint of each window, in x units.
    pub xs: Vec<f64>,
    pub markers: Vec<Marker>,
    /// "steady · simulated · seed 7 · 60 windows of 10 s"
    pub subtitle: String,
    /// Replications pooled (counts are sums over them).
    pub reps: f64,
}

impl<'a> Context<'a> {
    pub fn new(rec: &'a Recording) -> Context<'a> {
        let end = rec
            .windows
            .last()
            .map_or(0.0, |w| w.t_start_s + rec.meta.window_s)
            .max(rec.meta.duration_s);
        let (unit_s, x_title) = time_unit(end);
        let xs = (0..rec.windows.len())
            .map(|i| (rec.windows[i].t_start_s + rec.window_duration_s(i) / 2.0) / unit_s)
            .collect();
        // Events closer than 1/150 of the run fold into one marker (about
        // 6 px on a 1000 px chart).
        let markers = markers(&rec.events, unit_s, end / 150.0);
        Context {
            rec,
            unit_s,
            x_title,
            xs,
            markers,
            subtitle: subtitle(rec),
            reps: f64::from(rec.replication_count()),
        }
    }

    fn x_axis(&self) -> Axis {
        let end = self
            .rec
            .windows
            .last()
            .map_or(0.0, |w| w.t_start_s + self.rec.meta.window_s)
            .max(self.rec.meta.duration_s);
        Axis::linear(self.x_title).range(0.0, end / self.unit_s)
    }

    pub(super) fn figure(&self, title: &str, panels: Vec<Panel>) -> Figure {
        Figure {
            title: title.to_string(),
            subtitle: Some(self.subtitle.clone()),
            x: self.x_axis(),
            panels,
            markers: self.markers.clone(),
        }
    }

    pub(super) fn series(&self, f: impl Fn(usize) -> f64) -> Vec<(f64, f64)> {
        self.xs
            .iter()
            .enumerate()
            .map(|(i, &x)| (x, f(i)))
            .collect()
    }

    fn gauge(&self, g: &Gauge) -> Option<Vec<(f64, f64)>> {
        Some(self.xs.iter().copied().zip(self.rec.gauge(g)?).collect())
    }

    /// Gauge `g` unless it equals gauge `other` in every window.
    fn gauge_if_differs(&self, g: &Gauge, other: &Gauge) -> Option<Vec<(f64, f64)>> {
        let a = self.gauge(g)?;
        match self.gauge(other) {
            Some(b)
                if a.iter()
                    .zip(&b)
                    .all(|(x, y)| x.1 == y.1 || (x.1.is_nan() && y.1.is_nan())) =>
            {
                None
            }
            _ => Some(a),
        }
    }

    /// Per-second rate of a per-window count (per replication).
    fn rate(&self, count: impl Fn(usize) -> u64) -> Vec<(f64, f64)> {
        self.series(|i| {
            let d = self.rec.window_duration_s(i);
            if d > 0.0 {
                count(i) as f64 / self.reps / d
            } else {
                f64::NAN
            }
        })
    }
}

/// The x unit for a run of `end_s` seconds: seconds up to 5 minutes,
/// minutes up to 6 hours, hours beyond.
pub(crate) fn time_unit(end_s: f64) -> (f64, &'static str) {
    if end_s <= 300.0 {
        (1.0, "time since start (s)")
    } else if end_s <= 6.0 * 3600.0 {
        (60.0, "time since start (min)")
    } else {
        (3600.0, "time since start (h)")
    }
}

pub(crate) fn source_word(s: Source) -> &'static str {
    match s {
        Source::Simulate => "simulated",
        Source::Loadtest => "load test",
    }
}

pub(crate) fn subtitle(rec: &Recording) -> String {
    let m = &rec.meta;
    let mut s = format!(
        "{} · {} · seed {} · {} windows of {} s",
        m.scenario,
        source_word(m.source),
        m.seed,
        rec.windows.len(),
        trim(m.window_s)
    );
    if let Some(r) = &rec.replications {
        s.push_str(&format!(" · {} replications pooled", r.n));
    }
    s
}

pub(crate) fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// "150 ms", "1.5 ms".
pub(crate) fn ms(x: f64) -> String {
    format!("{} ms", super::plot::fmt_sig(x))
}

/// SLO latency targets as dashed rules.
pub(crate) fn slo_rules(rec: &Recording) -> Vec<Rule> {
    let slo = &rec.meta.slo;
    [
        ("p50", slo.p50_ms),
        ("p90", slo.p90_ms),
        ("p99", slo.p99_ms),
    ]
    .into_iter()
    .filter_map(|(name, t)| {
        t.map(|y| Rule {
            label: format!("SLO {name} ≤ {}", ms(y)),
            color: SLO_RED,
            y,
        })
    })
    .collect()
}

pub(crate) fn latency(ctx: &Context<'_>) -> Option<(Figure, String)> {
    let rec = ctx.rec;
    if rec.windows.iter().all(|w| w.latency.count == 0) {
        return None;
    }
    let mut p = Panel::new(Axis::log("latency (ms, log scale)"), 380);
    let w = &rec.windows;
    p.lines = vec![
        Line::new("max", GREY, ctx.series(|i| w[i].latency.max_ms)).width(1),
        Line::new("p99", VERMILLION, ctx.series(|i| w[i].latency.p99_ms)),
        Line::new("p90", ORANGE, ctx.series(|i| w[i].latency.p90_ms)),
        Line::new("p50", BLUE, ctx.series(|i| w[i].latency.p50_ms)),
    ];
    let per_window = |lo: &Gauge, hi: &Gauge| -> Option<Vec<(f64, f64, f64)>> {
        let (lo, hi) = (ctx.gauge(lo)?, ctx.gauge(hi)?);
        Some(
            lo.iter()
                .zip(&hi)
                .filter(|(l, h)| l.1.is_finite() && h.1.is_finite())
                .map(|(l, h)| (l.0, l.1, h.1))
                .collect(),
        )
    };
    let mut banded_per_window = false;
    if let Some(r) = &rec.replications {
        let (x0, x1) = (0.0, ctx.x_axis().range.map_or(1.0, |r| r.1));
        for (name, ci, color, lo, hi) in [
            (
                "p50",
                r.latency_ms.p50,
                BLUE,
                Gauge::P50MsCi95Lo,
                Gauge::P50MsCi95Hi,
            ),
            (
                "p99",
                r.latency_ms.p99,
                VERMILLION,
                Gauge::P99MsCi95Lo,
                Gauge::P99MsCi95Hi,
            ),
        ] {
            if let Some(points) = per_window(&lo, &hi).filter(|p| !p.is_empty()) {
                // Each window's percentile across replications.
                banded_per_window = true;
                p.bands.push(Band {
                    label: format!("{name}: 95% CI per window over {} replications", r.n),
                    color,
                    points,
                });
            } else if ci.lo.is_finite() && ci.hi.is_finite() {
                // A recording pooled without per-window intervals: the run's.
                p.bands.push(Band {
                    label: format!("run {name}: 95% CI over {} replications", r.n),
                    color,
                    points: vec![(x0, ci.lo, ci.hi), (x1, ci.lo, ci.hi)],
                });
            }
        }
    }
    p.rules = slo_rules(rec);
    let mut caption = "Latency of successful responses in each window (percentiles from the \
        window's histogram; log scale, so a doubling looks the same at 10 ms and at 1 s)."
        .to_string();
    if !p.rules.is_empty() {
        caption.push_str(" Dashed red: the SLO target, which applies to the whole run.");
    }
    if rec.replications.is_some() {
        caption.push_str(if banded_per_window {
            " Shaded bands: each window's p50 and p99 95% confidence interval across \
             replications."
        } else {
            " Shaded bands: the whole-run p50 and p99 with their 95% confidence interval \
             across replications."
        });
    }
    Some((ctx.figure("Latency per window", vec![p]), caption))
}

pub(crate) fn throughput(ctx: &Context<'_>) -> Option<(Figure, String)> {
    let rec = ctx.rec;
    if rec.windows.is_empty() {
        return None;
    }
    let w = &rec.windows;
    let mut top = Panel::new(Axis::linear("requests per second (req/s)"), 300);
    top.lines = vec![
        Line::new("completed (ok)", BLUE, ctx.rate(|i| w[i].ok)).width(3),
        Line::new("offered", DARK, ctx.rate(|i| w[i].offered)).dashed(),
    ];
    let mut bottom = Panel::new(Axis::linear("errors per second (err/s)"), 170);
    let colors = [VERMILLION, PURPLE, ORANGE, DARK, SKY, GREEN, GREY];
    for (k, color) in ErrorKind::ALL.into_iter().zip(colors) {
        if rec.errors_by_kind.get(&k).copied().unwrap_or(0) > 0 {
            bottom.lines.push(Line::new(
                error_label(k),
                color,
                ctx.rate(|i| w[i].error_count(k)),
            ));
        }
    }
    if bottom.lines.is_empty() {
        bottom
            .lines
            .push(Line::new("errors (none)", VERMILLION, ctx.series(|_| 0.0)));
        bottom.note = Some("no failed requests in this run".to_string());
    }
    let caption = "Requests per second: offered (arrivals) and completed successfully, then \
        failed responses per second by kind. Completed lagging offered means a queue is building."
        .to_string();
    Some((
        ctx.figure("Throughput and errors", vec![top, bottom]),
        caption,
    ))
}

/// "503 (no target / queue full)", ...
pub(crate) fn error_label(k: ErrorKind) -> String {
    match k {
        ErrorKind::Http503 => "503 (no target or queue full)".into(),
        ErrorKind::Http502 => "502 (host lost)".into(),
        ErrorKind::Http504 => "504 (gateway timeout)".into(),
        ErrorKind::HttpOther => "other HTTP errors".into(),
        ErrorKind::Connect => "connect failures".into(),
        ErrorKind::Timeout => "client timeouts".into(),
        ErrorKind::Reset => "connection resets".into(),
    }
}

pub(crate) fn capacity(ctx: &Context<'_>) -> Option<(Figure, String)> {
    let gauges = &ctx.rec.gauges;
    let has = |g: &Gauge| gauges.contains(g);

    let mut hosts = Panel::new(Axis::counts("EC2 hosts"), 220);
    let in_service = if has(&Gauge::HostsInService) {
        Gauge::HostsInService
    } else {
        Gauge::Hosts
    };
    if let Some(s) = ctx.gauge(&in_service) {
        hosts
            .lines
            .push(Line::new("hosts in service", BLUE, s).width(3));
    }
    // `hosts` beside `hosts_in_service` (and `tasks` beside
    // `tasks_running`) is a wider count; drawn only where it says more.
    if in_service == Gauge::HostsInService {
        if let Some(s) = ctx.gauge_if_differs(&Gauge::Hosts, &Gauge::HostsInService) {
            hosts
                .lines
                .push(Line::new("hosts (total)", SKY, s).dashed());
        }
    }
    if let Some(s) = ctx.gauge(&Gauge::HostsPending) {
        hosts.lines.push(Line::new("hosts pending", ORANGE, s));
    }
    if let Some(s) = ctx.gauge(&Gauge::AsgDesired) {
        hosts.lines.push(Line::new("ASG desired", DARK, s).dashed());
    }

    let mut tasks = Panel::new(Axis::counts("ECS tasks"), 220);
    let running = if has(&Gauge::TasksRunning) {
        Gauge::TasksRunning
    } else {
        Gauge::Tasks
    };
    if let Some(s) = ctx.gauge(&running) {
        tasks
            .lines
            .push(Line::new("tasks running", GREEN, s).width(3));
    }
    if running == Gauge::TasksRunning {
        if let Some(s) = ctx.gauge_if_differs(&Gauge::Tasks, &Gauge::TasksRunning) {
            tasks
                .lines
                .push(Line::new("tasks (total)", SKY, s).dashed());
        }
    }
    if let Some(s) = ctx.gauge(&Gauge::TasksPending) {
        tasks.lines.push(Line::new("tasks pending", AMBER, s));
    }
    if let Some(s) = ctx.gauge(&Gauge::TasksDraining) {
        tasks.lines.push(Line::new("tasks draining", PURPLE, s));
    }
    // Each service's wanted count, dashed; the first in a dark green that
    // pairs with "tasks running".
    let desired_colors = [DARK_GREEN, VERMILLION, BLUE, PURPLE, SKY, GREY];
    let desired = gauges
        .iter()
        .filter_map(|g| Some((g, g.desired_service()?)));
    for (j, (g, svc)) in desired.enumerate() {
        if let Some(s) = ctx.gauge(g) {
            tasks.lines.push(
                Line::new(
                    format!("desired {svc}"),
                    desired_colors[j % desired_colors.len()],
                    s,
                )
                .dashed(),
            );
        }
    }

    let panels: Vec<Panel> = [hosts, tasks]
        .into_iter()
        .filter(|p| !p.lines.is_empty())
        .collect();
    if panels.is_empty() {
        return None;
    }
    let caption = "Capacity at the end of each window: EC2 hosts (in service, still launching, \
        what the Auto Scaling group wants) and ECS tasks (running, waiting for placement or \
        startup, draining, what each service wants)."
        .to_string();
    Some((ctx.figure("Capacity: hosts and tasks", panels), caption))
}

pub(crate) fn utilisation(ctx: &Context<'_>) -> Option<(Figure, String)> {
    let mut p = Panel::new(Axis::linear("share of the cluster (%)"), 300);
    for (gauge, label, color) in [
        (Gauge::CpuUtil, "CPU utilisation", VERMILLION),
        (Gauge::CpuReservation, "CPU reserved by tasks", BLUE),
        (Gauge::MemoryReservation, "memory reserved by tasks", GREEN),
    ] {
        if let Some(s) = ctx.gauge(&gauge) {
            let pct = s.into_iter().map(|(x, y)| (x, y * 100.0)).collect();
            p.lines.push(Line::new(label, color, pct));
        }
    }
    if p.lines.is_empty() {
        return None;
    }
    let max = p
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if max <= 100.0 {
        p.y =
            p.y.range(0.0, 100.0)
                .ticks((0..=5).map(|k| f64::from(k) * 20.0).collect(), |v| {
                    format!("{v:.0}")
                });
    }
    let caption = "CPU utilisation of the hosts in service (time-averaged over the window) and \
        the share of the cluster's registered CPU and memory that tasks reserve — what ECS \
        placement and capacity-provider scaling look at."
        .to_string();
    Some((ctx.figure("Utilisation and reservation", vec![p]), caption))
}
