//! The CLI's error: whose fault it is decides the exit code.

use std::fmt;
use std::sync::OnceLock;

/// Exit code for a run that failed (resources, I/O, a bug).
pub const EXIT_FAILED: u8 = 1;
/// Exit code for bad input (a scenario, a flag, a run directory).
pub const EXIT_BAD_INPUT: u8 = 2;

/// An error with its exit code.
#[derive(Debug)]
pub enum CliError {
    /// The user's input was wrong: exit 2.
    Input(anyhow::Error),
    /// The work failed: exit 1.
    Failed(anyhow::Error),
    /// A signal stopped the work (after writing a checkpoint): exit 130.
    Interrupted(anyhow::Error),
    /// A rank of a run over several ranks stops because another failed,
    /// or with an input error every rank has and rank 0 reports: nothing
    /// to print, only the exit code.
    Silent(u8),
}

/// This process's rank and the run's ranks, when it is part of an MPI job.
static RANK: OnceLock<(usize, usize)> = OnceLock::new();

/// Records that this process is rank `rank` of `ranks` (for [`report`]).
#[cfg_attr(not(feature = "mpi"), allow(dead_code))]
pub fn set_rank(rank: usize, ranks: usize) {
    let _ = RANK.set((rank, ranks));
}

/// Prints an error on standard error; in a run over several ranks, with
/// the rank that met it (an input error every rank meets alike is made
/// [`CliError::Silent`] on all but rank 0 before it gets here).
pub fn report(e: &CliError) {
    match (e, RANK.get()) {
        (CliError::Silent(_), _) => {}
        (_, None | Some((0, _))) => eprintln!("error: {e}"),
        (_, Some((rank, ranks))) => eprintln!("error (rank {rank} of {ranks}): {e}"),
    }
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => EXIT_BAD_INPUT,
            CliError::Failed(_) => EXIT_FAILED,
            CliError::Interrupted(_) => crate::interrupt::EXIT_INTERRUPTED,
            CliError::Silent(code) => *code,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = match self {
            CliError::Input(e) | CliError::Failed(e) | CliError::Interrupted(e) => e,
            CliError::Silent(code) => return write!(f, "stopped with exit code {code}"),
        };
        write!(f, "{e}")?;
        let shown = e.to_string();
        // A cause whose text is already in the message (an error that
        // prints its source) is not repeated.
        for cause in e.chain().skip(1).filter(|c| !shown.contains(&c.to_string())) {
            write!(f, "\n  caused by: {cause}")?;
        }
        Ok(())
    }
}

/// Marks errors as the user's fault or a failure.
pub trait Blame<T> {
    fn input(self) -> Result<T, CliError>;
    fn failed(self) -> Result<T, CliError>;
}

impl<T, E: Into<anyhow::Error>> Blame<T> for Result<T, E> {
    fn input(self) -> Result<T, CliError> {
        self.map_err(|e| CliError::Input(e.into()))
    }
    fn failed(self) -> Result<T, CliError> {
        self.map_err(|e| CliError::Failed(e.into()))
    }
}

/// A bad-input error from a message.
pub fn bad_input(msg: impl fmt::Display) -> CliError {
    CliError::Input(anyhow::anyhow!("{msg}"))
}
