//! Ctrl-C, SIGTERM and SIGHUP for the commands that only compute and write
//! (`simulate`, `report`, `compare`): a signal sets a flag; the command
//! stops computing, throws its staging folder away and exits 130 with the
//! output folder as it was. Nothing is half-written, so a second signal
//! has nothing more to hurry and is the same as the first. (`loadtest`
//! has its own levels: drain, write now, abandon; see loadgen::stop.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The exit status of an interrupted command (128 + SIGINT, as shells use).
pub const INTERRUPTED: u8 = 130;

/// Set once any of SIGINT, SIGTERM, SIGHUP has arrived.
#[derive(Clone)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Installs the handlers. Call once per process.
    pub fn install() -> std::io::Result<Interrupt> {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            signal_hook::flag::register(sig, flag.clone())?;
        }
        Ok(Interrupt(flag))
    }

    pub fn arrived(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}
