//! Standard output for the commands' results.
//!
//! `println!` panics when stdout is a pipe whose reader has gone
//! (`scorelab scenarios show seed-article | head`). Here, a reader that
//! stopped reading ends the program quietly with success (it chose to stop);
//! any other write error (a full disk behind a redirection) is reported and
//! ends the program with exit code 1.

use std::io::{ErrorKind, Write};

/// Writes formatted text to stdout (see the module docs for errors).
pub fn write(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the results to standard output: {e}");
        std::process::exit(i32::from(crate::error::EXIT_FAILED));
    }
}
