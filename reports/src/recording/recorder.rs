//! [`Recorder`]: builds a [`Recording`] window by window as a run goes.

use super::*;

/// Collects one run window by window. See the crate docs for the flow.
///
/// Every request is recorded under its service (an index into
/// `Meta::services`). Latencies go into the service's current window
/// histogram (µs) and an exact ns sum; errors are only counted.
/// `close_window` seals each service's window, adds them up into the
/// fleet's [`Window`] and merges both into the run totals: a request is
/// recorded once, and the fleet is the sum of its services by construction.
pub struct Recorder {
    meta: Meta,
    /// The gauges every window carries, in column order.
    gauges: Vec<Gauge>,
    /// One per service (one in all when `Meta::services` is empty).
    streams: Vec<Stream>,
    /// The fleet's histogram of the window being closed (scratch).
    fleet: Histogram<u64>,
    total: Histogram<u64>,
    total_sum_ns: u128,
    windows: Vec<Window>,
    serializer: V2Serializer,
    next_t_start_s: f64,
}

/// One service's current window and its whole run so far.
struct Stream {
    hist: Histogram<u64>,
    sum_ns: u128,
    offered: u64,
    errors: [u64; 7],
    total: Histogram<u64>,
    total_sum_ns: u128,
    total_offered: u64,
    total_errors: [u64; 7],
}

impl Stream {
    fn new() -> Stream {
        Stream {
            hist: new_histogram(),
            sum_ns: 0,
            offered: 0,
            errors: [0; 7],
            total: new_histogram(),
            total_sum_ns: 0,
            total_offered: 0,
            total_errors: [0; 7],
        }
    }

    fn is_empty(&self) -> bool {
        self.offered == 0 && self.hist.is_empty() && self.errors.iter().all(|&e| e == 0)
    }

    /// Seals the current window into a [`ServiceWindow`], adds it to the
    /// run totals and starts the next one.
    fn close(&mut self, serializer: &mut V2Serializer) -> ServiceWindow {
        let w = ServiceWindow {
            offered: self.offered,
            ok: self.hist.len(),
            errors: self.errors.iter().sum(),
            latency: LatencyStats::from_histogram(&self.hist, self.sum_ns),
            sum_ns: self.sum_ns,
            histogram_v2z: encode_histogram(&self.hist, serializer),
        };
        self.total
            .add(&self.hist)
            .expect("histograms with equal bounds add");
        self.total_sum_ns += self.sum_ns;
        self.total_offered += self.offered;
        add_counts(&mut self.total_errors, self.errors);
        self.hist.reset();
        self.sum_ns = 0;
        self.offered = 0;
        self.errors = [0; 7];
        w
    }
}

impl Recorder {
    /// `gauges`: the per-window gauges the caller will push at every
    /// [`Recorder::close_window`], in column order. Requests are recorded
    /// per service of `meta.services`; with none, under service 0 and for
    /// the fleet only.
    pub fn new(meta: Meta, gauges: Vec<Gauge>) -> Recorder {
        Recorder {
            streams: (0..meta.services.len().max(1))
                .map(|_| Stream::new())
                .collect(),
            meta,
            gauges,
            fleet: new_histogram(),
            total: new_histogram(),
            total_sum_ns: 0,
            windows: Vec::new(),
            serializer: V2Serializer::new(),
            next_t_start_s: 0.0,
        }
    }

    pub fn gauges(&self) -> &[Gauge] {
        &self.gauges
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Requests for `service` that arrived in the current window.
    ///
    /// # Panics
    /// If `service` is not an index into `Meta::services` (a caller bug).
    #[inline]
    pub fn record_offered(&mut self, service: usize, n: u64) {
        self.streams[service].offered += n;
    }

    /// A successful response of `service`: its latency (rounded to µs,
    /// clamped to 1 µs .. 1 h) into the window's histogram, the exact ns
    /// into the sum.
    #[inline]
    pub fn record_ok(&mut self, service: usize, latency_ns: u64) {
        let s = &mut self.streams[service];
        s.hist
            .record(ns_to_us(latency_ns))
            .expect("clamped value is in range");
        s.sum_ns += u128::from(latency_ns);
    }

    /// A failed response of `service`: counted, not put in the latency
    /// histogram.
    #[inline]
    pub fn record_error(&mut self, service: usize, kind: ErrorKind) {
        self.streams[service].errors[kind.index()] += 1;
    }

    /// Ends the current window `[t_start_s, t_start_s + meta.window_s)`.
    /// `in_system_mean` is the time-averaged number of requests in the
    /// system over the window; `gauges` each declared gauge's value, each
    /// named, so a value cannot land in another's column.
    ///
    /// # Panics
    /// If `gauges` are not the ones declared to [`Recorder::new`], in that
    /// order (a caller bug).
    pub fn close_window(&mut self, t_start_s: f64, in_system_mean: f64, gauges: &[(Gauge, f64)]) {
        assert!(
            gauges.iter().map(|(g, _)| g).eq(&self.gauges),
            "close_window: the gauges declared ({:?}), in order, not {:?}",
            self.gauges,
            gauges.iter().map(|(g, _)| g).collect::<Vec<_>>()
        );
        self.seal_window(
            t_start_s,
            in_system_mean,
            gauges.iter().map(|&(_, v)| v).collect(),
        );
    }

    /// [`Recorder::close_window`] with the values checked.
    fn seal_window(&mut self, t_start_s: f64, in_system_mean: f64, gauges: Vec<f64>) {
        let mut window = Window {
            t_start_s,
            offered: 0,
            ok: 0,
            errors: [0; 7],
            latency: LatencyStats::EMPTY,
            in_system: in_system_mean,
            gauges,
            sum_ns: 0,
            histogram_v2z: Vec::new(),
            services: Vec::with_capacity(self.streams.len()),
        };
        self.fleet.reset();
        for s in &mut self.streams {
            self.fleet
                .add(&s.hist)
                .expect("histograms with equal bounds add");
            window.offered += s.offered;
            window.sum_ns += s.sum_ns;
            add_counts(&mut window.errors, s.errors);
            window.services.push(s.close(&mut self.serializer));
        }
        window.ok = self.fleet.len();
        window.latency = LatencyStats::from_histogram(&self.fleet, window.sum_ns);
        window.histogram_v2z = encode_histogram(&self.fleet, &mut self.serializer);
        if self.meta.services.is_empty() {
            window.services.clear();
        }
        self.total
            .add(&self.fleet)
            .expect("histograms with equal bounds add");
        self.total_sum_ns += window.sum_ns;
        self.windows.push(window);
        self.next_t_start_s = t_start_s + self.meta.window_s;
    }

    /// Seals the recording. Anything recorded after the last `close_window`
    /// is not lost: it becomes one more window (at the next window start,
    /// with unknown `in_system` and gauges) and a note says so.
    pub fn finish(mut self, totals: RunTotals) -> Recording {
        let mut notes = totals.notes;
        if !self.streams.iter().all(Stream::is_empty) {
            let t = self.next_t_start_s;
            let gauges = vec![f64::NAN; self.gauges.len()];
            self.seal_window(t, f64::NAN, gauges);
            notes.push(format!(
                "requests recorded after the last window closed were put in an extra window at t={t} s"
            ));
        }
        let offered = self.windows.iter().map(|w| w.offered).sum();
        let errors_by_kind = ErrorKind::ALL
            .into_iter()
            .map(|k| (k, self.windows.iter().map(|w| w.error_count(k)).sum()))
            .collect();
        let services = self
            .meta
            .services
            .iter()
            .zip(self.streams)
            .map(|(m, s)| ServiceTotals {
                name: m.name.clone(),
                ok: s.total.len(),
                total: s.total,
                total_sum_ns: s.total_sum_ns,
                offered: s.total_offered,
                errors_by_kind: by_kind(s.total_errors),
            })
            .collect();
        Recording {
            meta: self.meta,
            gauges: self.gauges,
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
            services,
            run_id: None,
        }
    }
}
