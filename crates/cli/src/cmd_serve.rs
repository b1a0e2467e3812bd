//! `scorelab serve` and `scorelab report`: the dashboard over a folder of
//! runs, and one run's population page as a self-contained HTML file. The
//! work is in the scorelab-dashboard crate; this is the command line.

use crate::error::CliError;
use clap::Args;
use scorelab_dashboard::{DashboardError, ServeOptions};
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The folder of run directories to serve (read-only).
    #[arg(default_value_os_t = crate::default_runs_dir())]
    pub runs_dir: PathBuf,
    /// Port to listen on (0: any free port, printed at start).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Address to listen on. The default answers this machine only; any
    /// other address makes the dashboard, which has no login, reachable by
    /// others on the network.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run directory, e.g. runs/seed-article-1.
    pub run: PathBuf,
    /// The HTML file to write (default: <run name>-report.html in the current folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Bad input (a missing folder, a busy port, not a run) exits with 2,
/// anything else with 1.
fn blame(e: DashboardError) -> CliError {
    let bad_input = e.is_bad_input();
    let e = anyhow::Error::new(e);
    if bad_input {
        CliError::Input(e)
    } else {
        CliError::Failed(e)
    }
}

pub fn serve(args: ServeArgs) -> Result<(), CliError> {
    let options = ServeOptions { runs: args.runs_dir.clone(), bind: args.bind, port: args.port };
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine can read the dashboard (it has no login)",
            args.bind
        );
    }
    scorelab_dashboard::serve(&options, |addr| {
        let host = if addr.ip().is_unspecified() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
        let host = if addr.is_ipv6() && !addr.ip().is_unspecified() { format!("[{host}]") } else { host };
        outln!("serving the runs in {} at http://{host}:{}/ (Ctrl-C to stop)", args.runs_dir.display(), addr.port());
    })
    .map_err(blame)
}

pub fn report(args: ReportArgs) -> Result<(), CliError> {
    let out = args.out.unwrap_or_else(|| scorelab_dashboard::default_report_path(&args.run));
    if out.is_dir() {
        return Err(CliError::Input(anyhow::anyhow!(
            "--out {} is a folder: give a file name, e.g. --out report.html",
            out.display()
        )));
    }
    let bytes = scorelab_dashboard::write_report(&args.run, &out).map_err(blame)?;
    outln!(
        "wrote {} ({} KiB): the population page of {}, one file to share",
        out.display(),
        bytes.div_ceil(1024),
        args.run.display()
    );
    Ok(())
}
