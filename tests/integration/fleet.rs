//! Fleet dynamics: the stories of the bundled scenarios, asserted on their
//! outcomes (the AWS behaviour of docs/aws-behaviour.md: autoscaling, deploys,
//! failures).

use crate::util::{parse, scenario};
use dockmaster_reports::{FleetEvent, FleetEventKind, Gauge, Recording};
use dockmaster_sim::engine::Simulation;

fn load(name: &str) -> dockmaster_sim::Scenario {
    dockmaster_sim::scenario::load(&scenario(name)).unwrap()
}

/// Runs one replication with the over-commit audit on.
fn run(s: &dockmaster_sim::Scenario) -> Recording {
    let (rec, audit) = Simulation::new(s, s.seed).run_audited(&|_| {});
    assert_eq!(audit.overcommits, 0, "a host was over-committed");
    rec
}

fn gauge(rec: &Recording, g: Gauge) -> Vec<(f64, f64)> {
    let values = rec.gauge(&g).unwrap_or_else(|| panic!("no gauge {g}"));
    rec.windows
        .iter()
        .map(|w| w.t_start_s)
        .zip(values)
        .collect()
}

fn events<'a>(rec: &'a Recording, kind: FleetEventKind, subject: &str) -> Vec<&'a FleetEvent> {
    rec.events
        .iter()
        .filter(|e| e.kind == kind && (subject.is_empty() || e.subject == subject))
        .collect()
}

/// `metric=... value=V target=T` of a datapoint row.
fn datapoint(e: &FleetEvent) -> (f64, f64) {
    let field = |k: &str| -> f64 {
        e.detail
            .split(' ')
            .find_map(|p| p.strip_prefix(k))
            .unwrap_or_else(|| panic!("{k} in {}", e.detail))
            .parse()
            .unwrap()
    };
    (field("value="), field("target="))
}

/// Every scale-out of `subject` follows 3 datapoints above target, and
/// every scale-in follows 15 below `low_factor` × target.
fn assert_scaling_follows_breaches(rec: &Recording, subject: &str, low_factor: f64) {
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut actions = 0;
    for e in rec.events.iter().filter(|e| e.subject == subject) {
        match e.kind {
            FleetEventKind::Datapoint => points.push(datapoint(e)),
            FleetEventKind::ScaleOut => {
                actions += 1;
                assert!(
                    points.len() >= 3,
                    "{subject} scaled out at {} s without data",
                    e.t_s
                );
                for (v, t) in &points[points.len() - 3..] {
                    assert!(
                        v > t,
                        "{subject} scale-out at {} s after datapoint {v} <= {t}",
                        e.t_s
                    );
                }
            }
            FleetEventKind::ScaleIn => {
                actions += 1;
                assert!(
                    points.len() >= 15,
                    "{subject} scaled in at {} s without data",
                    e.t_s
                );
                for (v, t) in &points[points.len() - 15..] {
                    assert!(
                        *v < low_factor * t,
                        "{subject} scale-in at {} s after datapoint {v} >= {low_factor} x {t}",
                        e.t_s
                    );
                }
            }
            _ => {}
        }
    }
    assert!(actions > 0, "{subject} never scaled");
}

#[test]
fn flash_sale_scales_out_recovers_its_slo_and_scales_back_in() {
    let s = load("flash-sale-managed.toml");
    let rec = run(&s);
    let slo_ms = 400.0;

    // Both scale out during the ramp (20 → 25 min) or just after it. (At
    // 300 rps the service sits at its 50% CPU target, so it may add a task
    // before the ramp too.)
    let first_out = |subject: &str| {
        events(&rec, FleetEventKind::ScaleOut, subject)
            .into_iter()
            .find(|e| e.t_s >= 1200.0)
            .map(|e| e.t_s)
            .unwrap_or_else(|| panic!("{subject} never scaled out"))
    };
    let (svc_out, asg_out) = (first_out("storefront"), first_out("asg"));
    assert!(
        (1200.0..1800.0).contains(&svc_out),
        "service scaled out at {svc_out} s"
    );
    assert!(
        (1200.0..2100.0).contains(&asg_out),
        "ASG scaled out at {asg_out} s"
    );
    let peak_hosts = gauge(&rec, Gauge::Hosts)
        .iter()
        .map(|g| g.1)
        .fold(0.0, f64::max);
    assert!(peak_hosts >= 12.0, "hosts peaked at {peak_hosts}");

    // After the scale-out, every window's p99 is back under the SLO until
    // the peak ends (70 min).
    let recovered = rec
        .windows
        .iter()
        .filter(|w| w.t_start_s >= 1500.0 && w.t_start_s < 4200.0)
        .rev()
        .take_while(|w| w.latency.p99_ms <= slo_ms)
        .last()
        .map(|w| w.t_start_s)
        .expect("p99 above the SLO at the end of the peak");
    assert!(
        recovered < 3000.0,
        "p99 back under the SLO only at {recovered} s"
    );

    // Both scale in after the drop (70 → 80 min).
    for subject in ["storefront", "asg"] {
        let ins = events(&rec, FleetEventKind::ScaleIn, subject);
        assert!(
            ins.iter().any(|e| e.t_s > 4200.0),
            "{subject} did not scale in after the drop"
        );
    }
    let end_hosts = gauge(&rec, Gauge::Hosts).last().unwrap().1;
    assert!(
        end_hosts < peak_hosts,
        "hosts {end_hosts} at the end, peak {peak_hosts}"
    );

    // Every scaling action follows breaching datapoints: 3 above target to
    // scale out; 15 below the low threshold to scale in (0.9 × target for a
    // service, the target itself for a capacity provider).
    assert_scaling_follows_breaches(&rec, "storefront", 0.9);
    assert_scaling_follows_breaches(&rec, "asg", 1.0);
}

#[test]
fn flash_sale_as_written_cannot_trigger_its_asg_policy() {
    // c5.xlarge registers 7,864 MiB: three 2,048 MiB tasks per instance, so
    // CPU reservation tops out at 75% and an 80% target never breaches. The
    // simulator must show it (no ASG scale-out, tasks left PENDING) and
    // `validate` must warn.
    let s = load("flash-sale.toml");
    let rec = run(&s);
    assert!(events(&rec, FleetEventKind::ScaleOut, "asg").is_empty());
    assert!(!events(&rec, FleetEventKind::ScaleOut, "storefront").is_empty());
    let reservation = gauge(&rec, Gauge::CpuReservation)
        .iter()
        .map(|g| g.1)
        .fold(0.0, f64::max);
    assert!(
        reservation <= 0.75 + 1e-9,
        "cpu reservation reached {reservation}"
    );
    assert!(gauge(&rec, Gauge::TasksPending).iter().any(|g| g.1 > 0.0));
    let o = crate::util::dockmaster(&["validate", scenario("flash-sale.toml").to_str().unwrap()]);
    let out = crate::util::stdout(&o);
    assert!(
        out.contains("warning") && out.contains("75%"),
        "validate output:\n{out}"
    );
}

#[test]
fn az_outage_replaces_lost_tasks_in_the_surviving_azs() {
    let s = load("az-outage.toml");
    let rec = run(&s);
    let t_fail = 900.0;
    // The story, in order: the AZ fails, the ASG launches replacements, the
    // lost targets fail their health checks and are replaced.
    let first = |kind: FleetEventKind| {
        events(&rec, kind, "")
            .iter()
            .find(|e| e.t_s >= t_fail)
            .map(|e| e.t_s)
            .unwrap_or_else(|| panic!("no {kind} after the outage"))
    };
    let (fail, launch, unhealthy, in_service) = (
        first(FleetEventKind::FailAz),
        first(FleetEventKind::Launch),
        first(FleetEventKind::TaskUnhealthy),
        first(FleetEventKind::InService),
    );
    assert_eq!(fail, t_fail);
    assert!(fail <= launch && launch <= unhealthy && unhealthy < in_service);

    // Errors only during the transient: the lost targets' health checks
    // (2 × 10 s + 5 s timeout) bound it.
    for w in &rec.windows {
        let errors: u64 = w.errors.iter().sum();
        if errors > 0 {
            assert!(
                w.t_start_s >= t_fail && w.t_start_s < t_fail + 40.0,
                "{errors} errors in the window at {} s",
                w.t_start_s
            );
        }
    }
    // Once capacity allows, every service is back at desired, all in the
    // two surviving AZs.
    let at_last = |g: Gauge| gauge(&rec, g).last().unwrap().1;
    let desired: f64 = ["checkout", "search"]
        .map(|s| at_last(Gauge::Desired(s.into())))
        .iter()
        .sum();
    assert_eq!(at_last(Gauge::TasksRunning), desired);
    assert_eq!(at_last(Gauge::TasksPending), 0.0);
    let placed_after: Vec<&FleetEvent> = events(&rec, FleetEventKind::TaskPlaced, "")
        .into_iter()
        .filter(|e| e.t_s > t_fail)
        .collect();
    assert!(
        placed_after.len() >= 8,
        "only {} tasks re-placed",
        placed_after.len()
    );
    // Hosts of us-east-1b are i-0002, i-0005, i-0008 (launched round-robin).
    for e in placed_after {
        for h in ["i-0002", "i-0005", "i-0008"] {
            assert!(
                !e.detail.ends_with(h),
                "placed in the dead AZ: {}",
                e.detail
            );
        }
    }
}

fn deploy_window(rec: &Recording) -> (f64, f64) {
    let start = events(rec, FleetEventKind::DeployStart, "api")[0].t_s;
    let end = events(rec, FleetEventKind::DeployEnd, "api")
        .first()
        .map(|e| e.t_s)
        .expect("the deploy completes");
    (start, end)
}

#[test]
fn deploy_at_50_100_drops_capacity_and_completes() {
    let s = load("deploy-under-load.toml");
    let rec = run(&s);
    let (start, end) = deploy_window(&rec);
    let during = |w: &&dockmaster_reports::Window| w.t_start_s >= start && w.t_start_s < end;
    let min_running = gauge(&rec, Gauge::TasksRunning)
        .iter()
        .filter(|g| g.0 >= start && g.0 < end)
        .map(|g| g.1)
        .fold(f64::MAX, f64::min);
    assert!(
        min_running <= 4.0,
        "tasks_running only dipped to {min_running}"
    );
    let before_p99 = median(
        rec.windows
            .iter()
            .filter(|w| w.t_start_s < start)
            .map(|w| w.latency.p99_ms),
    );
    let worst = rec
        .windows
        .iter()
        .filter(during)
        .map(|w| w.latency.p99_ms)
        .fold(0.0, f64::max);
    let errors: u64 = rec
        .windows
        .iter()
        .filter(during)
        .map(|w| w.errors.iter().sum::<u64>())
        .sum();
    assert!(
        worst > 2.0 * before_p99 || errors > 0,
        "p99 {worst} vs {before_p99}, {errors} errors"
    );
}

#[test]
fn deploy_at_100_200_with_room_keeps_capacity() {
    let text = std::fs::read_to_string(scenario("deploy-under-load.toml"))
        .unwrap()
        .replace(
            "minimum_healthy_percent = 50, maximum_percent = 100",
            "minimum_healthy_percent = 100, maximum_percent = 200",
        );
    let s = parse(&text);
    let rec = run(&s);
    let (start, end) = deploy_window(&rec);
    let min_running = gauge(&rec, Gauge::TasksRunning)
        .iter()
        .filter(|g| g.0 >= start && g.0 < end)
        .map(|g| g.1)
        .fold(f64::MAX, f64::min);
    assert!(min_running >= 8.0, "tasks_running dipped to {min_running}");
    assert_eq!(rec.errors(), 0);
    let before = median(
        rec.windows
            .iter()
            .filter(|w| w.t_start_s < start)
            .map(|w| w.latency.p99_ms),
    );
    let during = median(
        rec.windows
            .iter()
            .filter(|w| w.t_start_s >= start && w.t_start_s < end)
            .map(|w| w.latency.p99_ms),
    );
    assert!(
        during < 1.5 * before,
        "p99 {during} during the deploy vs {before} before"
    );
}

#[test]
fn spot_interruption_drains_within_the_notice_and_nothing_fails() {
    let s = load("spot-interruption.toml");
    let rec = run(&s);
    let notice = events(&rec, FleetEventKind::SpotNotice, "");
    assert_eq!(notice.len(), 1);
    let (t0, host) = (notice[0].t_s, notice[0].subject.clone());
    // Every task on the host is stopped (drained) before the reclaim...
    let stopped: Vec<&FleetEvent> = events(&rec, FleetEventKind::TaskStopped, "api")
        .into_iter()
        .filter(|e| e.detail.contains(&format!("on {host}:")))
        .collect();
    assert!(!stopped.is_empty(), "no task was on {host}");
    for e in &stopped {
        assert!(
            e.t_s < t0 + 120.0,
            "task stopped only at {} s: {}",
            e.t_s,
            e.detail
        );
    }
    let term = events(&rec, FleetEventKind::Terminate, &host);
    assert_eq!(term.len(), 1);
    assert!((term[0].t_s - (t0 + 120.0)).abs() < 1e-6);
    assert!(
        term[0].detail.contains("with 0 tasks"),
        "{}",
        term[0].detail
    );
    // ... the ASG replaces the instance, and no request fails.
    assert!(events(&rec, FleetEventKind::Launch, "")
        .iter()
        .any(|e| e.t_s >= t0 + 120.0));
    assert_eq!(rec.errors(), 0, "errors: {:?}", rec.errors_by_kind);
}

fn median(v: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = v.filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn background_failures_are_replaced() {
    // 3 hosts failing at one per 10 minutes each: ~6 failures in 20 min.
    // Each is replaced by the ASG and its tasks by the scheduler.
    let text = std::fs::read_to_string(scenario("steady.toml"))
        .unwrap()
        .replace("duration = \"10m\"", "duration = \"20m\"")
        .replace("[slo]", "[faults]\ninstance_mtbf = \"10m\"\n\n[slo]");
    let s = parse(&text);
    let rec = run(&s);
    let failures = events(&rec, FleetEventKind::FailInstance, "");
    assert!(failures.len() >= 2, "only {} failures", failures.len());
    let launches = events(&rec, FleetEventKind::Launch, "");
    assert!(
        launches.len() >= failures.len() - 1,
        "{} launches",
        launches.len()
    );
    for f in &failures {
        assert!(
            launches.iter().any(|l| l.t_s == f.t_s),
            "no replacement launched at {} s",
            f.t_s
        );
    }
    // Errors only in the failures' transients: 502s until the lost targets
    // fail their health checks (2 × 30 s + 5 s timeout, plus a 10 s window),
    // 503s while the surviving tasks carry the load until replacements start
    // (launch ~90 s + startup 20 s + first check ≤ 30 s; 300 s allows for a
    // slow launch).
    let after_failure = |t: f64, within: f64| {
        failures
            .iter()
            .any(|f| t + 10.0 > f.t_s && t < f.t_s + within)
    };
    for w in &rec.windows {
        let e502 = w.error_count(dockmaster_reports::ErrorKind::Http502);
        let e503 = w.error_count(dockmaster_reports::ErrorKind::Http503);
        assert!(
            e502 == 0 || after_failure(w.t_start_s, 75.0),
            "{e502} 502s at {} s",
            w.t_start_s
        );
        assert!(
            e503 == 0 || after_failure(w.t_start_s, 300.0),
            "{e503} 503s at {} s",
            w.t_start_s
        );
    }
}
