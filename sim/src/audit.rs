//! What a run's independent checks saw: placements that would over-commit a
//! host, and CPU per window counted two ways (handed out by the sharing
//! arithmetic, and finished by requests), beside the fleet's capacity.
//! Tests read it (`Simulation::run_audited`); recordings do not carry it.

/// What a run's independent checks saw (tests read it; the recording does
/// not carry it).
#[derive(Clone, Debug, Default)]
pub struct Audit {
    /// Placements that would have over-committed a host's registered CPU or
    /// memory (0 unless the placement engine is wrong).
    pub overcommits: u32,
    /// Times a hard-limited task spent its quota and was throttled.
    pub throttled: u64,
    /// Per reporting window, in order.
    pub windows: Vec<CpuWindow>,
    /// CPU time each service's tasks got over the run, ns, in file order.
    pub service_cpu_ns: Vec<f64>,
}

/// CPU in one reporting window.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuWindow {
    /// CPU time the model handed out (∫ Σ vCPU delivered dt), ns.
    pub cpu_delivered_ns: f64,
    /// CPU work of the requests that finished it in the window, counted at
    /// each finish (a count independent of the sharing arithmetic), ns.
    pub cpu_work_done_ns: f64,
    /// ∫ registered hosts' vCPU dt, ns: the most the fleet could do.
    pub vcpu_capacity_ns: f64,
}
