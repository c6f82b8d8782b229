//! How long does drawing a report take? Times `html::render_dir` (read the
//! recording's files, draw every chart, write the SVGs and report.html) on
//! a 2-hour recording with 10-second windows (720 windows, every gauge, a
//! few hundred events), or on a recording folder given as the argument.
//!
//! ```sh
//! cargo run --release -p dockmaster-reports --example render_timing
//! cargo run --release -p dockmaster-reports --example render_timing -- out/flash-sale
//! ```
//!
//! Prints each run and the median of 7 runs (after one warm-up).

use dockmaster_reports::html::render_dir;
use dockmaster_reports::{
    ErrorKind, FleetEvent, FleetEventKind, FleetGauges, Meta, Recorder, Replay, RunTotals, SloSpec,
    Source,
};
use std::path::PathBuf;
use std::time::Instant;

const RUNS: usize = 7;

/// 2 h at 300–3,000 req/s in 10 s windows: about 11 million responses,
/// recorded into per-window histograms like the simulator does.
fn synthetic(dir: &std::path::Path) {
    let window_s = 10.0;
    let windows = 720;
    let meta = Meta {
        scenario: "render-timing".into(),
        seed: 1,
        source: Source::Simulate,
        version: env!("CARGO_PKG_VERSION").into(),
        window_s,
        duration_s: windows as f64 * window_s,
        slo: SloSpec {
            p99_ms: Some(300.0),
            error_rate: Some(0.001),
            ..SloSpec::default()
        },
        start_unix_s: 0.0,
        target: None,
        scenario_text: "# Two hours of a sale, for timing the report.\nname = \"render-timing\"\n"
            .into(),
        scenario_summary: None,
        replay: Replay::default(),
        services: vec![],
    };
    let mut r = Recorder::new(meta, FleetGauges::declared(["web", "search"]));
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut events = Vec::new();
    for w in 0..windows {
        let t = w as f64 * window_s;
        let rps = if (1800.0..5400.0).contains(&t) {
            3000.0
        } else {
            300.0
        };
        // Sample 1 in 20 responses (weights keep the histograms realistic
        // without spending the example's time on recording).
        let n = (rps * window_s / 20.0) as u64;
        r.record_offered(0, n * 20);
        for _ in 0..n {
            let ms = 40.0 * -(next().max(1e-12)).ln();
            for _ in 0..20 {
                r.record_ok(0, (ms * 1e6) as u64);
            }
        }
        if w % 50 == 7 {
            r.record_error(0, ErrorKind::Http503);
        }
        let hosts = if rps > 1000.0 { 20.0 } else { 4.0 };
        let g = FleetGauges {
            hosts,
            hosts_pending: 0.0,
            hosts_in_service: hosts,
            tasks: hosts * 3.0,
            tasks_pending: 0.0,
            tasks_running: hosts * 3.0,
            tasks_draining: 0.0,
            cpu_util: 0.5,
            cpu_reservation: 0.7,
            memory_reservation: 0.6,
            asg_desired: hosts,
            desired: vec![("web".into(), hosts * 2.0), ("search".into(), hosts)],
            cost_usd: 0.01,
        };
        r.close_window(t, 10.0, &g.columns());
        if w % 3 == 0 {
            events.push(FleetEvent {
                t_s: t,
                kind: FleetEventKind::TaskPlaced,
                subject: "web".into(),
                detail: String::new(),
            });
        }
        if w % 60 == 30 {
            events.push(FleetEvent {
                t_s: t,
                kind: FleetEventKind::ScaleOut,
                subject: "asg".into(),
                detail: "4→20".into(),
            });
        }
    }
    r.finish(RunTotals {
        events,
        ..RunTotals::default()
    })
    .write_dir(dir)
    .expect("write the synthetic recording");
}

fn main() {
    let arg = std::env::args().nth(1).map(PathBuf::from);
    let tmp = std::env::temp_dir().join(format!("dockmaster-render-timing-{}", std::process::id()));
    let dir = match &arg {
        Some(d) => d.clone(),
        None => {
            synthetic(&tmp);
            tmp.clone()
        }
    };
    render_dir(&dir).expect("render (warm-up)");
    let mut times: Vec<f64> = (0..RUNS)
        .map(|i| {
            let t = Instant::now();
            let r = render_dir(&dir).expect("render");
            let s = t.elapsed().as_secs_f64();
            println!(
                "run {}: {:.1} ms ({} charts)",
                i + 1,
                s * 1e3,
                r.charts.len()
            );
            s
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "median of {RUNS}: {:.1} ms to read {} and write its charts and report.html",
        times[RUNS / 2] * 1e3,
        dir.display()
    );
    if arg.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
