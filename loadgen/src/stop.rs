//! Stopping on Ctrl-C or SIGTERM: the first signal sets a flag that the run
//! polls (stop sending, drain, write the recording); a second one while the
//! flag is set ends the process at once, as a user pressing Ctrl-C twice
//! expects.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// A flag set by SIGINT or SIGTERM. Call once per process.
pub fn on_signals() -> std::io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Order matters: the conditional shutdown checks the flag before
        // the second handler sets it, so the first signal only sets it.
        signal_hook::flag::register_conditional_shutdown(sig, 130, flag.clone())?;
        signal_hook::flag::register(sig, flag.clone())?;
    }
    Ok(flag)
}
