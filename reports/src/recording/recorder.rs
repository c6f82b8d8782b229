//! [`Recorder`]: builds a [`Recording`] window by window as a run goes.

use super::*;

/// Collects one run window by window. See the crate docs for the flow.
///
/// Latencies go into the current window's histogram (µs) and an exact ns
/// sum; errors are only counted. `close_window` seals the window into a
/// compressed [`Window`] and merges it into the run total.
pub struct Recorder {
    meta: Meta,
    gauge_names: Vec<String>,
    hist: Histogram<u64>,
    sum_ns: u128,
    offered: u64,
    errors: [u64; 7],
    total: Histogram<u64>,
    total_sum_ns: u128,
    windows: Vec<Window>,
    serializer: V2Serializer,
    next_t_start_s: f64,
}

impl Recorder {
    /// `gauge_names`: extra per-window columns (e.g. "hosts", "tasks",
    /// "cpu_util"), in order.
    pub fn new(meta: Meta, gauge_names: Vec<String>) -> Recorder {
        Recorder {
            meta,
            gauge_names,
            hist: new_histogram(),
            sum_ns: 0,
            offered: 0,
            errors: [0; 7],
            total: new_histogram(),
            total_sum_ns: 0,
            windows: Vec::new(),
            serializer: V2Serializer::new(),
            next_t_start_s: 0.0,
        }
    }

    pub fn gauge_names(&self) -> &[String] {
        &self.gauge_names
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Requests that arrived in the current window.
    #[inline]
    pub fn record_offered(&mut self, n: u64) {
        self.offered += n;
    }

    /// A successful response: its latency (rounded to µs, clamped to
    /// 1 µs .. 1 h) into the window's histogram, the exact ns into the sum.
    #[inline]
    pub fn record_ok(&mut self, latency_ns: u64) {
        self.hist
            .record(ns_to_us(latency_ns))
            .expect("clamped value is in range");
        self.sum_ns += u128::from(latency_ns);
    }

    /// A failed response: counted, not put in the latency histogram.
    #[inline]
    pub fn record_error(&mut self, kind: ErrorKind) {
        self.errors[kind.index()] += 1;
    }

    /// Ends the current window `[t_start_s, t_start_s + meta.window_s)`.
    /// `in_system_mean` is the time-averaged number of requests in the
    /// system over the window.
    ///
    /// # Panics
    /// If `gauges.len() != gauge_names.len()` (a caller bug).
    pub fn close_window(&mut self, t_start_s: f64, in_system_mean: f64, gauges: &[f64]) {
        assert_eq!(
            gauges.len(),
            self.gauge_names.len(),
            "close_window: one gauge per gauge name ({:?})",
            self.gauge_names
        );
        let window = Window {
            t_start_s,
            offered: self.offered,
            ok: self.hist.len(),
            errors: self.errors,
            latency: LatencyStats::from_histogram(&self.hist, self.sum_ns),
            in_system: in_system_mean,
            gauges: gauges.to_vec(),
            sum_ns: self.sum_ns,
            histogram_v2z: encode_histogram(&self.hist, &mut self.serializer),
        };
        self.total
            .add(&self.hist)
            .expect("histograms with equal bounds add");
        self.total_sum_ns += self.sum_ns;
        self.windows.push(window);
        self.hist.reset();
        self.sum_ns = 0;
        self.offered = 0;
        self.errors = [0; 7];
        self.next_t_start_s = t_start_s + self.meta.window_s;
    }

    /// Seals the recording. Anything recorded after the last `close_window`
    /// is not lost: it becomes one more window (at the next window start,
    /// with unknown `in_system` and gauges) and a note says so.
    pub fn finish(mut self, totals: RunTotals) -> Recording {
        let mut notes = totals.notes;
        if self.offered > 0 || !self.hist.is_empty() || self.errors.iter().any(|&e| e > 0) {
            let t = self.next_t_start_s;
            let gauges = vec![f64::NAN; self.gauge_names.len()];
            self.close_window(t, f64::NAN, &gauges);
            notes.push(format!(
                "requests recorded after the last window closed were put in an extra window at t={t} s"
            ));
        }
        let offered = self.windows.iter().map(|w| w.offered).sum();
        let errors_by_kind = ErrorKind::ALL
            .into_iter()
            .map(|k| (k, self.windows.iter().map(|w| w.error_count(k)).sum()))
            .collect();
        Recording {
            meta: self.meta,
            gauge_names: self.gauge_names,
            windows: self.windows,
            ok: self.total.len(),
            total: self.total,
            total_sum_ns: self.total_sum_ns,
            offered,
            errors_by_kind,
            hosts_peak: totals.hosts_peak,
            tasks_peak: totals.tasks_peak,
            cost_usd: totals.cost_usd,
            notes,
            engine: totals.engine,
            events: totals.events,
            replications: None,
            run_id: None,
        }
    }
}
