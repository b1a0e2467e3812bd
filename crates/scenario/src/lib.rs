//! Scenario files for scorelab: schema, defaults, validation, built-ins.
//!
//! A scenario is a TOML file (the format is documented in
//! `docs/scenarios.md`) that may `extends` a built-in or another file. This
//! crate reads it, merges the `extends` chain, checks every value and
//! resolves it into a [`Scenario`], the validated model the engine reads.
//! Every mistake is reported as a [`ScenarioError`] that names the file,
//! line, column and key, and says what would be valid:
//!
//! ```
//! let text = r#"
//! extends = "seed-article"
//! name = "typo"
//! description = "a mistake"
//!
//! [behaviours.fake_news_post]
//! rate_per_year = -1
//! "#;
//! let err = scorelab_scenario::parse_str(text, "my.toml").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "my.toml:7:17: behaviours.fake_news_post.rate_per_year = -1: \
//!      must be a rate >= 0 (events per citizen-year)"
//! );
//! ```
//!
//! Architecture invariants: this crate does no I/O beyond reading the
//! scenario files it is asked for (and those they extend), knows nothing of
//! the engine, and takes only policy parameters and aggregate tables, never
//! a record about a real person.
//!
//! Pipeline: `layer` (TOML with spans, `extends`, merge) → `schema`
//! (serde structs, MODEL.md defaults) → `resolve` (checks, indices,
//! thousandths) → [`model::Scenario`]; `emit` writes the merged file back.

#![warn(missing_docs)]

mod builtin;
mod emit;
mod error;
pub(crate) mod layer;
pub mod model;
mod overrides;
mod resolve;
mod schema;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use error::{Diagnostic, ErrorKind, ScenarioError};
pub use model::*;
pub use overrides::{parse_assignment, split_values, value_kind, ValueKind};

use layer::Input;

/// The names of the built-in scenarios, in listing order.
///
/// ```
/// assert!(scorelab_scenario::builtin_names().contains(&"seed-article"));
/// ```
pub fn builtin_names() -> &'static [&'static str] {
    builtin::BUILTIN_NAMES
}

/// The TOML text of a built-in scenario, as embedded in the binary.
pub fn builtin_source(name: &str) -> Option<&'static str> {
    builtin::find(name).map(|b| b.source)
}

/// The one-line description of a built-in scenario.
pub fn builtin_description(name: &str) -> Option<&'static str> {
    builtin::find(name).map(|b| b.description)
}

/// Every built-in scenario as `(name, one-line description)`, in listing order.
pub fn builtins() -> Vec<(&'static str, &'static str)> {
    builtin::BUILTINS.iter().map(|b| (b.name, b.description)).collect()
}

/// What a `name_or_path` argument names: a built-in (which wins over a file
/// of the same name), else a file.
fn input_for(name_or_path: &str) -> Result<Input, ScenarioError> {
    if let Some(b) = builtin::find(name_or_path) {
        return Ok(Input::builtin(b));
    }
    let path = Path::new(name_or_path);
    let looks_like_path = name_or_path.contains('/')
        || name_or_path.contains(std::path::MAIN_SEPARATOR)
        || name_or_path.ends_with(".toml");
    if !name_or_path.is_empty() && (looks_like_path || path.exists()) {
        return Input::file(path);
    }
    Err(ScenarioError::UnknownScenario {
        name: name_or_path.to_string(),
        suggestion: error::suggest(name_or_path, builtin::BUILTIN_NAMES.iter().copied()),
    })
}

/// A checked scenario: the merged file form (for [`resolved_toml`]) and the model.
struct Compiled {
    file: schema::FileScenario,
    scenario: Scenario,
    chain: String,
}

fn compile(input: Input) -> Result<Compiled, ScenarioError> {
    let layers = layer::load_chain(input)?;
    let merged = layer::merge(layers);
    let file = schema::deserialize(&merged)?;
    let scenario = resolve::resolve(&file, &merged)?;
    Ok(Compiled { file, scenario, chain: merged.chain_text() })
}

/// Loads a scenario by built-in name (see [`builtin_names`]) or by path to a
/// `.toml` file. A built-in name wins over a file of the same name in the
/// current folder; write `./name` for the file.
///
/// Errors: [`ScenarioError::UnknownScenario`] (listing the built-ins) for a
/// name that is neither; [`ScenarioError::Io`] for a file that cannot be
/// read; [`ScenarioError::Invalid`] for anything wrong inside.
///
/// ```
/// let sc = scorelab_scenario::load("seed-article").unwrap();
/// assert_eq!(sc.score.grades.len(), 6);
/// assert!(scorelab_scenario::load("seed-artcle").unwrap_err().to_string().contains("did you mean `seed-article`?"));
/// ```
pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
    Ok(compile(input_for(name_or_path)?)?.scenario)
}

/// Loads a built-in scenario by name; never reads a file.
pub fn load_builtin(name: &str) -> Result<Scenario, ScenarioError> {
    match builtin::find(name) {
        Some(b) => Ok(compile(Input::builtin(b))?.scenario),
        None => Err(ScenarioError::UnknownScenario {
            name: name.to_string(),
            suggestion: error::suggest(name, builtin::BUILTIN_NAMES.iter().copied()),
        }),
    }
}

/// Parses scenario text. `origin` names it in messages (e.g. `<stdin>` or a
/// file name). `extends` may name a built-in, or a file relative to the
/// current folder.
///
/// ```
/// let text = "extends = \"seed-article\"\nname = \"quiet\"\ndescription = \"no network\"\n[network]\nweight = 0\n";
/// let sc = scorelab_scenario::parse_str(text, "quiet.toml").unwrap();
/// assert_eq!(sc.network.weight_milli, 0);
/// ```
pub fn parse_str(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    Ok(compile(Input::text(text, origin))?.scenario)
}

/// The fully merged scenario (built-in name or path) as TOML text: `extends`
/// applied, every key written out with its default, disabled entries kept
/// (with `enabled = false`). It parses back to an equal [`Scenario`]. For
/// `scorelab scenarios show` and the run manifest. The scenario is checked
/// first: an invalid one gives its error, not text.
pub fn resolved_toml(name_or_path: &str) -> Result<String, ScenarioError> {
    resolved_toml_with_overrides(name_or_path, &[])
}

/// The checked scenario `name_or_path` with `--set KEY=VALUE` overrides
/// applied on top, as one more layer: an override is valid exactly when
/// the same key and value written in a file that `extends` the scenario
/// would be. The scenario keeps its name; its description lists the overrides.
fn compile_with_overrides(name_or_path: &str, overrides: &[(String, String)]) -> Result<Compiled, ScenarioError> {
    let base = compile(input_for(name_or_path)?)?;
    if overrides.is_empty() {
        return Ok(base);
    }
    let parent = overrides::Parent {
        name_or_path,
        name: &base.scenario.name,
        description: &base.scenario.description,
        entries: [
            base.file.sources.0.iter().map(|(n, _)| n.clone()).collect(),
            base.file.behaviours.0.iter().map(|(n, _)| n.clone()).collect(),
            base.file.activities.0.iter().map(|(n, _)| n.clone()).collect(),
        ],
    };
    let text = overrides::layer_text(&parent, overrides)?;
    let mut c =
        compile(Input::text(&text, overrides::LABEL)).map_err(|e| overrides::relocate(e, name_or_path, overrides))?;
    let sets: Vec<String> = overrides.iter().map(|(k, v)| format!("--set {k}={v}")).collect();
    c.chain = format!("{} with {}", base.chain, sets.join(" "));
    Ok(c)
}

/// Loads a scenario (as [`load`]) with `overrides` applied: pairs of a
/// dotted key, as in `scorelab scenarios show`, and a value, as on the
/// command line (`--set behaviours.fake_news_post.points=-100`; split one
/// with [`parse_assignment`]). A value is read as TOML (a number, a
/// boolean, an array, a quoted string); anything else is taken as a string.
///
/// Every mistake is refused with a message that names the `--set`, says
/// what would be valid and suggests the closest key for a misspelt one;
/// unknown keys, including new entries under `sources`, `behaviours` and
/// `activities`, are refused. With no overrides this is [`load`].
///
/// ```
/// use scorelab_scenario::load_with_overrides;
/// let set = |k: &str, v: &str| (k.to_string(), v.to_string());
/// let sc = load_with_overrides("seed-article", &[set("appeals.win_probability", "0.1")]).unwrap();
/// assert_eq!(sc.name, "seed-article");
///
/// let err = load_with_overrides("seed-article", &[set("score.half_life_dayz", "10")]).unwrap_err();
/// assert!(err.to_string().starts_with("--set score.half_life_dayz=10: unknown key"));
/// assert!(err.to_string().contains("did you mean `half_life_days`?"));
/// ```
pub fn load_with_overrides(name_or_path: &str, overrides: &[(String, String)]) -> Result<Scenario, ScenarioError> {
    Ok(compile_with_overrides(name_or_path, overrides)?.scenario)
}

/// [`resolved_toml`] of the scenario with `overrides` applied (see
/// [`load_with_overrides`]): the overridden values are written out, so the
/// text parses back to the same scenario. For the manifest of a run made
/// with `--set`.
pub fn resolved_toml_with_overrides(
    name_or_path: &str,
    overrides: &[(String, String)],
) -> Result<String, ScenarioError> {
    let c = compile_with_overrides(name_or_path, overrides)?;
    let header = format!(
        "Scenario `{}`, resolved from {}.\n\
         Every key is written out, defaults included; `extends` is already applied.",
        c.scenario.name, c.chain
    );
    Ok(emit::emit(&c.file, &header))
}
