//! The CLI's error: whose fault it is decides the exit code.

use std::fmt;

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
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => EXIT_BAD_INPUT,
            CliError::Failed(_) => EXIT_FAILED,
            CliError::Interrupted(_) => crate::interrupt::EXIT_INTERRUPTED,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = match self {
            CliError::Input(e) | CliError::Failed(e) | CliError::Interrupted(e) => e,
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
