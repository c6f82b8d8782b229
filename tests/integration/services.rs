//! Per-service results: a slow service cannot hide behind a fast one, and
//! the services' parts add up to the fleet in every file.

use crate::util::{
    bundled_scenarios, csv_rows, dockmaster, scenario, simulate_quietly, stderr, stdout,
    write_scenario,
};
use base64::Engine as _;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn summary(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn a_missed_service_slo_fails_check_slo_though_the_fleet_meets_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let f = scenario("slow-api.toml");
    let o = dockmaster(&[
        "simulate",
        f.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--check-slo",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s = summary(&out);
    assert_eq!(s["slo"]["met"], false);
    let checks = s["slo"]["checks"].as_array().unwrap();
    // The fleet's own objectives are met: 98 % of the requests take 5 ms.
    let fleet: Vec<&Value> = checks.iter().filter(|c| c["service"].is_null()).collect();
    assert!(!fleet.is_empty());
    assert!(fleet.iter().all(|c| c["met"] == true), "{fleet:?}");
    // The api's is not, and the summary says so in both places.
    let api: Vec<&Value> = checks.iter().filter(|c| c["service"] == "api").collect();
    assert_eq!(api.len(), 1);
    assert_eq!(api[0]["name"], "p99");
    assert_eq!(api[0]["met"], false);
    assert!(api[0]["actual"].as_f64().unwrap() > 300.0);
    assert_eq!(s["services"]["api"]["slo"]["met"], false);
    assert_eq!(s["services"]["web"]["slo"]["met"], true);
    assert!(s["services"]["web"]["slo"]["checks"]
        .as_array()
        .unwrap()
        .is_empty());
    // The table names the miss.
    assert!(
        stdout(&o).contains("api p99") && stdout(&o).contains("MISSED"),
        "{}",
        stdout(&o)
    );
    // So does the page: the verdict names the service, the per-service
    // table its miss, and the per-service chart is drawn.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains("api&#39;s p99 latency was"),
        "the verdict does not name the service"
    );
    assert!(page.contains("<h2>Per service</h2>"));
    assert!(
        page.contains("missed: p99"),
        "no per-service miss in the page"
    );
    let chart = std::fs::read_to_string(out.join("charts/latency-services.svg")).unwrap();
    assert!(chart.contains("api p99") && chart.contains("web p99"));
}

#[test]
fn a_bad_service_slo_is_refused_naming_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("slow-api.toml"))
        .unwrap()
        .replace("slo = { p99 = \"300ms\" }", "slo = { p99 = \"-5ms\" }");
    let f = write_scenario(tmp.path(), "bad.toml", &text);
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("services[1].slo.p99"), "{}", stderr(&o));
}

#[test]
fn a_service_name_outside_ecs_rules_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(scenario("slow-api.toml"))
        .unwrap()
        .replace("name = \"api\"", "name = \"my api\"")
        .replace("service = \"api\"", "service = \"my api\"");
    let f = write_scenario(tmp.path(), "bad.toml", &text);
    let o = dockmaster(&["validate", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("services[1].name") && e.contains("underscores and hyphens"),
        "{e}"
    );
}

/// `timeseries.csv` as rows of named cells (the run id line skipped).
fn rows(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let text = csv_rows(&dir.join("timeseries.csv"));
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    rd.records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn count(row: &BTreeMap<String, String>, col: &str) -> u64 {
    row.get(col)
        .unwrap_or_else(|| panic!("no column {col}"))
        .parse()
        .unwrap_or_else(|_| panic!("{col} = {:?}", row[col]))
}

/// `latency.hlog` read with HdrHistogram's own reader: the untagged
/// intervals, and the tagged ones by tag, in order.
#[allow(clippy::type_complexity)]
fn intervals(dir: &Path) -> (Vec<Histogram<u64>>, BTreeMap<String, Vec<Histogram<u64>>>) {
    let bytes = std::fs::read(dir.join("latency.hlog")).unwrap();
    let (mut fleet, mut tagged) = (Vec::new(), BTreeMap::<String, Vec<_>>::new());
    for e in IntervalLogIterator::new(&bytes) {
        let LogEntry::Interval(h) = e.expect("a well-formed interval log") else {
            continue;
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(h.encoded_histogram())
            .unwrap();
        let hist: Histogram<u64> = Deserializer::new().deserialize(&mut &raw[..]).unwrap();
        match h.tag() {
            None => fleet.push(hist),
            Some(t) => tagged.entry(t.as_str().to_string()).or_default().push(hist),
        }
    }
    (fleet, tagged)
}

/// Offered = ok + errors + unfinished holds per service too, and every
/// service figure adds up to the fleet's: in summary.json, in each row of
/// timeseries.csv, and in each interval of latency.hlog (bucket by bucket).
fn check_parts_add_up(name: &str, dir: &Path) {
    let s = summary(dir);
    let services = s["services"].as_object().expect("summary has services");
    assert!(!services.is_empty(), "{name}");
    let req = &s["requests"];
    for key in ["total", "ok", "errors"] {
        let sum: u64 = services
            .values()
            .map(|v| v["requests"][key].as_u64().unwrap())
            .sum();
        assert_eq!(sum, req[key].as_u64().unwrap(), "{name}: requests.{key}");
    }
    for (kind, n) in req["errors_by_kind"].as_object().unwrap() {
        let sum: u64 = services
            .values()
            .map(|v| v["requests"]["errors_by_kind"][kind].as_u64().unwrap())
            .sum();
        assert_eq!(sum, n.as_u64().unwrap(), "{name}: errors_by_kind.{kind}");
    }
    for (svc, v) in services {
        let r = &v["requests"];
        let (total, ok, errors) = (
            r["total"].as_u64().unwrap(),
            r["ok"].as_u64().unwrap(),
            r["errors"].as_u64().unwrap(),
        );
        assert!(ok + errors <= total, "{name}/{svc}: ok + errors > offered");
    }

    let rows = rows(dir);
    for (i, row) in rows.iter().enumerate() {
        for (fleet_col, metric) in [
            ("offered", "offered"),
            ("completed", "completed"),
            ("errors", "errors"),
        ] {
            let sum: u64 = services
                .keys()
                .map(|svc| count(row, &format!("{metric}_{svc}")))
                .sum();
            assert_eq!(sum, count(row, fleet_col), "{name}: row {i}, {fleet_col}");
        }
    }

    let (fleet, tagged) = intervals(dir);
    assert_eq!(
        fleet.len(),
        rows.len(),
        "{name}: one fleet interval per row"
    );
    assert_eq!(
        tagged.keys().collect::<Vec<_>>(),
        {
            let mut k: Vec<&String> = services.keys().collect();
            k.sort();
            k
        },
        "{name}: one tag per service"
    );
    for (i, f) in fleet.iter().enumerate() {
        let mut sum: Histogram<u64> = Histogram::new_from(f);
        for parts in tagged.values() {
            assert_eq!(parts.len(), fleet.len(), "{name}: intervals per tag");
            sum.add(&parts[i]).unwrap();
        }
        let buckets = |h: &Histogram<u64>| -> Vec<(u64, u64)> {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect()
        };
        assert_eq!(buckets(&sum), buckets(f), "{name}: interval {i}");
    }
}

#[test]
fn per_service_parts_add_up_to_the_fleet_on_every_bundled_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let scenarios = bundled_scenarios();
    assert!(scenarios.len() >= 5);
    for p in &scenarios {
        let name = p.file_stem().unwrap().to_str().unwrap();
        let out = tmp.path().join(name);
        simulate_quietly(p, &out, &[]);
        check_parts_add_up(name, &out);
    }
}

#[test]
fn pooled_replications_add_up_per_service_too() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pooled");
    simulate_quietly(
        &scenario("slow-api.toml"),
        &out,
        &["--replications", "3", "--set", "duration=\"1m\""],
    );
    // Counts in timeseries.csv of a pooled run are means; summary.json's
    // are totals and must still add up.
    let s = summary(&out);
    let total: u64 = s["services"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["requests"]["total"].as_u64().unwrap())
        .sum();
    assert_eq!(total, s["requests"]["total"].as_u64().unwrap());
}
