//! Errors of scenario loading: every one is the user's input, located as precisely as we can.
//!
//! A message reads like a compiler's:
//! `my.toml:12:17: behaviours.fake_news_post.rate_per_year = -1: must be a rate >= 0 (events per citizen-year)`:
//! the file (a path, or `built-in <name>`), the 1-based line and column of
//! the offending key or value, the dotted key path, the value as written,
//! what is wrong and what would be valid.

use std::fmt;
use std::path::PathBuf;

/// What kind of mistake a [`ScenarioError`] reports. Every kind is bad
/// input (the CLI exits with code 2 for all of them); the kind lets a caller
/// group or filter them, e.g. in `--json` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read (missing, unreadable, not UTF-8).
    Io,
    /// A name that is neither a built-in scenario nor an existing file.
    UnknownScenario,
    /// The text is not valid TOML.
    Syntax,
    /// A key that the format does not know.
    UnknownKey,
    /// A required key is absent.
    MissingKey,
    /// A value of the wrong TOML type (a string where a number belongs, ...).
    WrongType,
    /// A value of the right type outside its valid range, or inconsistent
    /// with another value.
    InvalidValue,
    /// A problem with `extends`: a target that cannot be found, a cycle, a
    /// chain too long.
    Extends,
}

impl ErrorKind {
    /// A short stable name for scripts (`io`, `unknown_scenario`, `syntax`,
    /// `unknown_key`, `missing_key`, `wrong_type`, `invalid_value`, `extends`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Io => "io",
            ErrorKind::UnknownScenario => "unknown_scenario",
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnknownKey => "unknown_key",
            ErrorKind::MissingKey => "missing_key",
            ErrorKind::WrongType => "wrong_type",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::Extends => "extends",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One located problem in a scenario file.
///
/// Displayed as `<origin>:<line>:<column>: <key> = <value>: <message>`,
/// leaving out the parts that are unknown, followed by a note when the
/// offending key was inherited through `extends`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What kind of mistake this is.
    pub kind: ErrorKind,
    /// The file the location refers to: its path as given, or
    /// `built-in <name>`, or the origin passed to [`crate::parse_str`].
    pub origin: String,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// 1-based column (in characters) of the offending key or value, when known.
    pub column: Option<usize>,
    /// Dotted key path, e.g. `behaviours.fake_news_post.rate_per_year` or
    /// `population.age_bands[2].share`; `None` for file-level problems.
    pub key: Option<String>,
    /// The offending value as written in the file, when it is short.
    pub value: Option<String>,
    /// What is wrong and what would be valid.
    pub message: String,
    /// When `origin` is a parent reached through `extends`: the file that
    /// was asked for (it inherits the offending key). Displayed as a note.
    pub inherited_by: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            f.write_str(key)?;
            if let Some(value) = &self.value {
                write!(f, " = {value}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)?;
        if let Some(child) = &self.inherited_by {
            match self.kind {
                ErrorKind::Syntax | ErrorKind::Extends | ErrorKind::Io => {
                    write!(f, " (reached through `extends` from {child})")?
                }
                _ => write!(f, " (inherited by {child} through `extends`)")?,
            }
        }
        Ok(())
    }
}

/// Why a scenario could not be loaded. Every variant is bad input (exit
/// code 2 in the CLI); [`ScenarioError::kind`] says which kind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The scenario file given to [`crate::load`] could not be read.
    #[error("{}: cannot read scenario file: {source}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Neither a built-in scenario nor an existing file.
    #[error("{}", unknown_scenario_message(name, *suggestion))]
    UnknownScenario {
        /// The name as given.
        name: String,
        /// The closest built-in name, if one is close.
        suggestion: Option<&'static str>,
    },
    /// A problem inside a scenario file (or a file it extends).
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
}

fn unknown_scenario_message(name: &str, suggestion: Option<&str>) -> String {
    let mut msg = format!(
        "unknown scenario `{name}`: not a built-in ({}) and no file at that path",
        crate::builtin::BUILTIN_NAMES.join(", ")
    );
    if let Some(s) = suggestion {
        msg.push_str(&format!("; did you mean `{s}`?"));
    }
    msg
}

impl ScenarioError {
    /// The kind of mistake. All kinds are the user's input: the CLI maps
    /// every one to exit code 2.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ScenarioError::Io { .. } => ErrorKind::Io,
            ScenarioError::UnknownScenario { .. } => ErrorKind::UnknownScenario,
            ScenarioError::Invalid(d) => d.kind,
        }
    }

    /// The located problem, for errors inside a file.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            ScenarioError::Invalid(d) => Some(d),
            _ => None,
        }
    }

    /// The process exit code a command-line tool should use: always 2
    /// (bad input), as DESIGN.md prescribes.
    pub fn exit_code(&self) -> i32 {
        2
    }
}

impl From<Diagnostic> for ScenarioError {
    fn from(d: Diagnostic) -> Self {
        ScenarioError::Invalid(Box::new(d))
    }
}

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A dotted key path, e.g. `population.age_bands[2].share`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct KeyPath(pub(crate) Vec<Seg>);

impl KeyPath {
    /// A path of plain keys.
    pub(crate) fn of(keys: &[&str]) -> Self {
        KeyPath(keys.iter().map(|k| Seg::Key((*k).to_string())).collect())
    }

    /// This path extended by a key.
    pub(crate) fn key(&self, k: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Key(k.to_string()));
        p
    }

    /// This path extended by an array index.
    pub(crate) fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Seg::Index(i));
        p
    }

    /// The path without its last step (`None` for the empty path).
    pub(crate) fn parent(&self) -> Option<Self> {
        if self.0.is_empty() {
            None
        } else {
            Some(KeyPath(self.0[..self.0.len() - 1].to_vec()))
        }
    }

    /// Whether this is the empty path (the document itself).
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether `k` can be written as a TOML bare key.
pub(crate) fn is_bare_key(k: &str) -> bool {
    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    if is_bare_key(k) {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{}", toml::Value::String(k.clone()))?;
                    }
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    // Compared case-insensitively, so that `aaa` finds `AAA` first.
    let lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let d = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let len = word.chars().count().max(c.chars().count());
    // Case-only differences always; otherwise about a third of the letters
    // of a word of four or more (`E` is not a typo of `A`).
    (d == 0 || (len >= 4 && d <= len / 3)).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_display_like_toml() {
        let p = KeyPath::of(&["population", "age_bands"]).index(2).key("share");
        assert_eq!(p.to_string(), "population.age_bands[2].share");
        let q = KeyPath::of(&["behaviours", "Bad Name"]);
        assert_eq!(q.to_string(), "behaviours.\"Bad Name\"");
        assert_eq!(q.parent(), Some(KeyPath::of(&["behaviours"])));
    }

    #[test]
    fn suggestions_catch_typos_only() {
        let keys = ["rate_per_year", "ages", "source"];
        assert_eq!(suggest("rate_per_yr", keys), Some("rate_per_year"));
        assert_eq!(suggest("age", keys), Some("ages"));
        assert_eq!(suggest("E", ["AAA", "A", "D"]), None);
        assert_eq!(suggest("colour", keys), None);
        assert_eq!(suggest("aaa", ["AAA", "B"]), Some("AAA"));
    }

    #[test]
    fn diagnostic_display_has_every_part() {
        let d = Diagnostic {
            kind: ErrorKind::InvalidValue,
            origin: "my.toml".into(),
            line: Some(12),
            column: Some(17),
            key: Some("behaviours.fake_news_post.rate_per_year".into()),
            value: Some("-1".into()),
            message: "must be a rate >= 0 (events per citizen-year)".into(),
            inherited_by: None,
        };
        assert_eq!(
            d.to_string(),
            "my.toml:12:17: behaviours.fake_news_post.rate_per_year = -1: must be a rate >= 0 (events per citizen-year)"
        );
    }
}
