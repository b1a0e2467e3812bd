//! `scorelab scenarios` and `scorelab check`.

use crate::error::{Blame, CliError};
use clap::{Args, Subcommand};
use serde::Serialize;

#[derive(Debug, Args)]
pub struct ScenariosArgs {
    #[command(subcommand)]
    action: Option<ScenariosAction>,
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum ScenariosAction {
    /// Print a scenario, with every default filled in, as TOML.
    Show {
        /// A built-in name or a path to a scenario file.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Path to a scenario file, or a built-in name.
    file: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    description: &'a str,
}

pub fn scenarios(args: ScenariosArgs) -> Result<(), CliError> {
    match args.action {
        Some(ScenariosAction::Show { name }) => {
            let text = scorelab_scenario::resolved_toml(&name).input()?;
            out!("{text}");
            Ok(())
        }
        None => {
            let list = scorelab_scenario::builtins();
            if args.json {
                let rows: Vec<Listed> = list.iter().map(|(n, d)| Listed { name: n, description: d }).collect();
                outln!("{}", serde_json::to_string_pretty(&rows).failed()?);
            } else {
                let width = list.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
                for (name, description) in list {
                    outln!("{name:width$}  {description}");
                }
            }
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct CheckReport {
    ok: bool,
    name: String,
    behaviours: usize,
    penalised: usize,
    rewarded: usize,
    sources: usize,
    activities: usize,
    grades: Vec<String>,
    score: bool,
    blacklist: bool,
}

pub fn check(args: CheckArgs) -> Result<(), CliError> {
    let s = scorelab_scenario::load(&args.file).input()?;
    let report = CheckReport {
        ok: true,
        name: s.name.clone(),
        behaviours: s.behaviours.len(),
        penalised: (0..s.behaviours.len()).filter(|&b| s.is_penalised(b)).count(),
        rewarded: (0..s.behaviours.len()).filter(|&b| s.is_rewarded(b)).count(),
        sources: s.sources.len(),
        activities: s.activities.len(),
        grades: s.score.grades.iter().map(|g| g.name.clone()).collect(),
        score: s.score.enabled,
        blacklist: s.blacklist.enabled,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report).failed()?);
    } else {
        outln!(
            "{}: ok ({}: {} behaviours, {} penalised, {} rewarded; {} sources; {} activities; score {}; blacklist {})",
            args.file,
            report.name,
            report.behaviours,
            report.penalised,
            report.rewarded,
            report.sources,
            report.activities,
            if report.score { "on" } else { "off" },
            if report.blacklist { "on" } else { "off" },
        );
    }
    Ok(())
}
