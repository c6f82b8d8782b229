//! Pooling replications of one scenario into one recording.

use super::*;

/// A per-window confidence interval [`Recording::pool`] adds as two gauges:
/// the percentile, and the gauges of the interval's ends.
struct WindowCi {
    percentile: fn(&LatencyStats) -> f64,
    lo: Gauge,
    hi: Gauge,
}

const WINDOW_CI: [WindowCi; 2] = [
    WindowCi {
        percentile: |l| l.p50_ms,
        lo: Gauge::P50MsCi95Lo,
        hi: Gauge::P50MsCi95Hi,
    },
    WindowCi {
        percentile: |l| l.p99_ms,
        lo: Gauge::P99MsCi95Lo,
        hi: Gauge::P99MsCi95Hi,
    },
];

impl Recording {
    /// Pools replications of one scenario (same windows, same gauges):
    /// per-window histograms merged, counters summed, `in_system` and gauges
    /// averaged; top-level figures from the pooled histogram. Peaks are the
    /// maximum over replications, cost the mean, engine stats the sum; notes
    /// are kept once each, in order, plus a note naming the seeds.
    /// `replications` holds each replication's latency figures and error
    /// rate: mean and 95% Student-t interval. Depends only on the input
    /// order.
    ///
    /// # Panics
    /// If `reps` is empty, or the replications differ in window count or
    /// gauge names (they are not replications of one scenario).
    pub fn pool(reps: Vec<Recording>) -> Recording {
        assert!(!reps.is_empty(), "pool needs at least one recording");
        let first = &reps[0];
        for r in &reps[1..] {
            assert_eq!(
                r.windows.len(),
                first.windows.len(),
                "pool: replications must have the same windows"
            );
            assert_eq!(
                r.gauges, first.gauges,
                "pool: replications must have the same gauges"
            );
            assert_eq!(
                r.meta.services, first.meta.services,
                "pool: replications must have the same services"
            );
        }
        let n = reps.len();

        let lats: Vec<LatencyStats> = reps.iter().map(Recording::latency).collect();
        let ci = |f: fn(&LatencyStats) -> f64| -> Ci95 {
            let xs: Vec<f64> = lats.iter().map(f).filter(|x| x.is_finite()).collect();
            mean_ci95(&xs).into()
        };
        let rates: Vec<f64> = reps.iter().map(Recording::error_rate).collect();
        let replications = Replications {
            n: n as u32,
            latency_ms: ReplicatedLatency {
                mean: ci(|l| l.mean_ms),
                p50: ci(|l| l.p50_ms),
                p90: ci(|l| l.p90_ms),
                p99: ci(|l| l.p99_ms),
                p999: ci(|l| l.p999_ms),
                max: ci(|l| l.max_ms),
            },
            error_rate: mean_ci95(&rates).into(),
        };

        let mut serializer = V2Serializer::new();
        let windows = (0..first.windows.len())
            .map(|i| {
                let mut hist = new_histogram();
                let mut w = Window {
                    t_start_s: first.windows[i].t_start_s,
                    offered: 0,
                    ok: 0,
                    errors: [0; 7],
                    latency: LatencyStats::EMPTY,
                    in_system: 0.0,
                    gauges: vec![0.0; first.gauges.len()],
                    sum_ns: 0,
                    histogram_v2z: Vec::new(),
                    services: (0..first.windows[i].services.len())
                        .map(|j| pool_service_window(&reps, i, j, &mut serializer))
                        .collect(),
                };
                for r in &reps {
                    let rw = &r.windows[i];
                    hist.add(rw.histogram())
                        .expect("histograms with equal bounds add");
                    w.offered += rw.offered;
                    w.sum_ns += rw.sum_ns;
                    add_counts(&mut w.errors, rw.errors);
                    w.in_system += rw.in_system;
                    for (a, b) in w.gauges.iter_mut().zip(&rw.gauges) {
                        *a += b;
                    }
                }
                w.in_system /= n as f64;
                for g in &mut w.gauges {
                    *g /= n as f64;
                }
                w.ok = hist.len();
                w.latency = LatencyStats::from_histogram(&hist, w.sum_ns);
                w.histogram_v2z = encode_histogram(&hist, &mut serializer);
                // Each window's p50 and p99 across replications: a 95%
                // confidence band per window (Student t over the replications
                // that had responses in it).
                for WindowCi { percentile, .. } in WINDOW_CI {
                    let xs: Vec<f64> = reps
                        .iter()
                        .map(|r| percentile(&r.windows[i].latency))
                        .filter(|x| x.is_finite())
                        .collect();
                    let c = mean_ci95(&xs);
                    let (lo, hi) = if xs.len() >= 2 {
                        (c.lo, c.hi)
                    } else {
                        (f64::NAN, f64::NAN)
                    };
                    w.gauges.extend([lo, hi]);
                }
                w
            })
            .collect();
        let mut gauges = first.gauges.clone();
        gauges.extend(WINDOW_CI.into_iter().flat_map(|ci| [ci.lo, ci.hi]));

        let mut total = new_histogram();
        for r in &reps {
            total
                .add(&r.total)
                .expect("histograms with equal bounds add");
        }
        let errors_by_kind = ErrorKind::ALL
            .into_iter()
            .map(|k| {
                let c = reps
                    .iter()
                    .map(|r| r.errors_by_kind.get(&k).copied().unwrap_or(0))
                    .sum();
                (k, c)
            })
            .collect();
        let peak = |f: fn(&Recording) -> Option<u32>| reps.iter().filter_map(f).max();
        let costs: Vec<f64> = reps.iter().filter_map(|r| r.cost_usd).collect();
        let engines: Vec<EngineStats> = reps.iter().filter_map(|r| r.engine).collect();
        let mut notes: Vec<String> = Vec::new();
        for r in &reps {
            for note in &r.notes {
                if !notes.contains(note) {
                    notes.push(note.clone());
                }
            }
        }
        let seeds: Vec<String> = reps.iter().map(|r| r.meta.seed.to_string()).collect();
        notes.push(format!(
            "pooled {n} replications (seeds {}); counts are totals over all replications",
            seeds.join(", ")
        ));

        Recording {
            meta: first.meta.clone(),
            gauges,
            windows,
            ok: total.len(),
            total,
            total_sum_ns: reps.iter().map(|r| r.total_sum_ns).sum(),
            offered: reps.iter().map(|r| r.offered).sum(),
            errors_by_kind,
            hosts_peak: peak(|r| r.hosts_peak),
            tasks_peak: peak(|r| r.tasks_peak),
            cost_usd: (!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64),
            notes,
            engine: (!engines.is_empty()).then(|| EngineStats {
                events: engines.iter().map(|e| e.events).sum(),
                wall_seconds: engines.iter().map(|e| e.wall_seconds).sum(),
            }),
            events: first.events.clone(),
            replications: Some(replications),
            services: (0..first.services.len())
                .map(|j| pool_service_totals(&reps, j))
                .collect(),
            run_id: None,
        }
    }
}

/// Service `j` of window `i`, over the replications.
fn pool_service_window(
    reps: &[Recording],
    i: usize,
    j: usize,
    serializer: &mut V2Serializer,
) -> ServiceWindow {
    let mut hist = new_histogram();
    let (mut offered, mut errors, mut sum_ns) = (0, 0, 0);
    for r in reps {
        let w = &r.windows[i].services[j];
        hist.add(w.histogram())
            .expect("histograms with equal bounds add");
        offered += w.offered;
        errors += w.errors;
        sum_ns += w.sum_ns;
    }
    ServiceWindow {
        offered,
        ok: hist.len(),
        errors,
        latency: LatencyStats::from_histogram(&hist, sum_ns),
        sum_ns,
        histogram_v2z: encode_histogram(&hist, serializer),
    }
}

/// Service `j`'s whole run, over the replications.
fn pool_service_totals(reps: &[Recording], j: usize) -> ServiceTotals {
    let mut total = new_histogram();
    let mut kinds = [0; 7];
    for r in reps {
        let s = &r.services[j];
        total
            .add(&s.total)
            .expect("histograms with equal bounds add");
        for (k, c) in &s.errors_by_kind {
            kinds[k.index()] += c;
        }
    }
    ServiceTotals {
        name: reps[0].services[j].name.clone(),
        ok: total.len(),
        total,
        total_sum_ns: reps.iter().map(|r| r.services[j].total_sum_ns).sum(),
        offered: reps.iter().map(|r| r.services[j].offered).sum(),
        errors_by_kind: by_kind(kinds),
    }
}
