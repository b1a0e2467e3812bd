//! Ctrl-C (SIGINT) and SIGTERM during a run: the first asks the run to stop
//! at the end of the current day and write a checkpoint; the second stops
//! the process at once (files already written stay whole: every file is
//! renamed into place only when complete).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// Exit code of a run stopped by a signal: 128 + SIGINT, as shells report it.
pub const EXIT_INTERRUPTED: u8 = 130;

static STOP: AtomicBool = AtomicBool::new(false);
static INSTALLED: OnceLock<bool> = OnceLock::new();

/// Installs the handler (once per process) and returns the flag it sets.
/// If the handler cannot be installed, signals keep their default effect
/// (the process ends; checkpoints already written can still be resumed).
pub fn install() -> &'static AtomicBool {
    INSTALLED.get_or_init(|| {
        ctrlc::set_handler(|| {
            if STOP.swap(true, Ordering::SeqCst) {
                eprintln!("\nsecond interrupt: stopping now, without a new checkpoint");
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
            eprintln!("\ninterrupt: stopping at the end of the current day to write a checkpoint (interrupt again to stop at once)");
        })
        .is_ok()
    });
    &STOP
}
