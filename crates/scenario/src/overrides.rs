//! `--set KEY=VALUE` overrides: a scenario with a few values changed on the
//! command line, checked exactly like a file.
//!
//! The overrides become one more layer on top of the scenario they change,
//! written as TOML text:
//!
//! ```toml
//! extends = "seed-article"
//! name = "seed-article"
//! description = "... (with --set behaviours.fake_news_post.points=-100)"
//! behaviours.fake_news_post.points = -100
//! ```
//!
//! and compiled through the same `extends` chain, merge, schema and checks
//! as any scenario file. So an override is valid exactly when the same line
//! in a file extending the scenario would be, and every mistake gets the
//! file machinery's message (what is wrong, what would be valid, "did you
//! mean"); [`relocate`] then names the `--set` that caused it instead of a
//! line of the generated text.
//!
//! A value is read as a TOML value (`-100`, `0.5`, `true`, `[25, 64]`,
//! `"text"`); anything that is not valid TOML (`grade<=C`) is taken as a
//! string. Keys are dotted bare keys; array elements cannot be set one by
//! one (set the whole array). Unknown keys are refused, including new
//! entries under `sources`, `behaviours` and `activities`: an override
//! changes a scenario, it never adds a behaviour by a typo.

use crate::error::{suggest, Diagnostic, ErrorKind, ScenarioError};

/// The origin label of the generated layer, and its chain text (`resolved_toml`'s header).
pub(crate) const LABEL: &str = "the --set overrides";

/// Lines of the generated layer before the first override (`extends`, `name`, `description`).
const HEADER_LINES: usize = 3;

/// The sections whose keys are entry names chosen by the scenario.
const ENTRY_SECTIONS: [&str; 3] = ["sources", "behaviours", "activities"];

/// Splits one `--set` argument, `KEY=VALUE`, at its first `=`; the key is
/// trimmed and checked to be a dotted key (`score.half_life_days`). The
/// error says what was wrong with the argument and what would be valid.
///
/// ```
/// use scorelab_scenario::parse_assignment;
/// assert_eq!(parse_assignment("score.half_life_days=1460"), Ok(("score.half_life_days".into(), "1460".into())));
/// assert!(parse_assignment("score.half_life_days").unwrap_err().contains("KEY=VALUE"));
/// ```
pub fn parse_assignment(arg: &str) -> Result<(String, String), String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(format!(
            "`{arg}` has no `=`: write KEY=VALUE, e.g. score.half_life_days=1460 (keys as in `scorelab scenarios show`)"
        ));
    };
    let key = key.trim();
    check_key_syntax(key)?;
    Ok((key.to_string(), value.trim().to_string()))
}

/// Splits a sweep's value list (`V1,V2,...`) at the commas that are not
/// inside brackets, braces or quotes, so that array values survive:
/// `[25,64],[30,60]` is two values.
///
/// ```
/// use scorelab_scenario::split_values;
/// assert_eq!(split_values("1,2, 3"), vec!["1", "2", "3"]);
/// assert_eq!(split_values("[25,64],[30,60]"), vec!["[25,64]", "[30,60]"]);
/// assert_eq!(split_values("\"a,b\",c"), vec!["\"a,b\"", "c"]);
/// ```
pub fn split_values(list: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in list.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '[' | '{' => depth += 1,
                ']' | '}' => depth -= 1,
                ',' if depth <= 0 => {
                    values.push(current.trim().to_string());
                    current.clear();
                    continue;
                }
                _ => {}
            },
        }
        current.push(c);
    }
    values.push(current.trim().to_string());
    values
}

/// Checks that `key` is a dotted key of bare keys.
fn check_key_syntax(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty: write KEY=VALUE, e.g. score.half_life_days=1460".to_string());
    }
    if key.contains('[') {
        return Err(format!(
            "`{key}`: array elements cannot be set one by one; set the whole array, e.g. population.guardian_ages=[25,64]"
        ));
    }
    if let Some(bad) = key.split('.').find(|s| !crate::error::is_bare_key(s)) {
        return Err(format!(
            "`{key}`: `{bad}` is not a key; a key is dotted names of letters, digits, `_` and `-`, e.g. behaviours.fake_news_post.points"
        ));
    }
    Ok(())
}

/// The text of a `--set` as the user wrote it (for messages).
fn shown(key: &str, value: &str) -> String {
    format!("--set {key}={value}")
}

/// A diagnostic about one override, before any text is compiled.
fn refuse(key: &str, value: &str, kind: ErrorKind, message: String) -> ScenarioError {
    Diagnostic {
        kind,
        origin: shown(key, value),
        line: None,
        column: None,
        key: None,
        value: None,
        message,
        inherited_by: None,
    }
    .into()
}

/// How a `--set` value reads, for tools that store it typed (`scorelab
/// sweep`'s table): the TOML scalar it is, or [`ValueKind::Other`] (arrays,
/// tables, strings, and text that is not TOML).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueKind {
    /// A TOML integer.
    Integer(i64),
    /// A TOML float.
    Float(f64),
    /// A TOML boolean.
    Boolean(bool),
    /// Anything else.
    Other,
}

/// The [`ValueKind`] of a `--set` value as written.
///
/// ```
/// use scorelab_scenario::{value_kind, ValueKind};
/// assert_eq!(value_kind("-100"), ValueKind::Integer(-100));
/// assert_eq!(value_kind("0.5"), ValueKind::Float(0.5));
/// assert_eq!(value_kind("grade<=C"), ValueKind::Other);
/// ```
pub fn value_kind(raw: &str) -> ValueKind {
    let parsed = toml::from_str::<toml::Table>(&format!("v = {}", raw.trim())).ok().and_then(|mut t| {
        let v = t.remove("v");
        if t.is_empty() {
            v
        } else {
            None
        }
    });
    match parsed {
        Some(toml::Value::Integer(n)) => ValueKind::Integer(n),
        Some(toml::Value::Float(x)) => ValueKind::Float(x),
        Some(toml::Value::Boolean(b)) => ValueKind::Boolean(b),
        _ => ValueKind::Other,
    }
}

/// A value as one line of TOML text: the value itself when it is one TOML
/// value, otherwise a TOML string holding it.
fn value_toml(raw: &str) -> String {
    let raw = raw.trim();
    if let Ok(mut table) = toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        if table.len() == 1 {
            if let Some(v) = table.remove("v") {
                return one_line(&v);
            }
        }
    }
    basic_string(raw)
}

/// A TOML basic string on one line (newlines and other control characters
/// escaped), so that every override stays on its own line of the layer.
pub(crate) fn basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML value written on one line (strings as basic strings, tables inline).
fn one_line(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => basic_string(s),
        toml::Value::Array(items) => format!("[{}]", items.iter().map(one_line).collect::<Vec<_>>().join(", ")),
        toml::Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| {
                    let key = if crate::error::is_bare_key(k) { k.clone() } else { basic_string(k) };
                    format!("{key} = {}", one_line(v))
                })
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// What the generated layer is built on: the scenario being changed.
pub(crate) struct Parent<'a> {
    /// The name or path the user gave (the layer's `extends`).
    pub(crate) name_or_path: &'a str,
    pub(crate) name: &'a str,
    pub(crate) description: &'a str,
    /// Entry names of the parent, per section of [`ENTRY_SECTIONS`].
    pub(crate) entries: [Vec<String>; 3],
}

/// The generated layer's TOML text, after checking every key: its syntax,
/// that no key is given twice or inside another, that `extends` is not
/// overridden, and that entries named under `sources`, `behaviours` and
/// `activities` exist in the parent.
pub(crate) fn layer_text(parent: &Parent<'_>, overrides: &[(String, String)]) -> Result<String, ScenarioError> {
    for (i, (key, value)) in overrides.iter().enumerate() {
        check_key_syntax(key).map_err(|m| refuse(key, value, ErrorKind::Syntax, m))?;
        if key == "extends" {
            return Err(refuse(
                key,
                value,
                ErrorKind::Extends,
                "`extends` cannot be overridden: name the scenario to start from instead".to_string(),
            ));
        }
        for (other, _) in &overrides[..i] {
            if other == key {
                return Err(refuse(key, value, ErrorKind::Syntax, format!("`{key}` is set twice; set each key once")));
            }
            let (short, long) = if other.len() < key.len() { (other, key) } else { (key, other) };
            if long.starts_with(&format!("{short}.")) {
                return Err(refuse(
                    key,
                    value,
                    ErrorKind::Syntax,
                    format!("`{key}` and `{other}` overlap (one is inside the other); set one of them"),
                ));
            }
        }
        let mut parts = key.split('.');
        if let (Some(section), Some(entry)) = (parts.next(), parts.next()) {
            if let Some(s) = ENTRY_SECTIONS.iter().position(|x| *x == section) {
                let names = &parent.entries[s];
                if !names.iter().any(|n| n == entry) {
                    let mut message = format!(
                        "unknown key: `{}` has no entry `{entry}`; its entries are: {}",
                        section,
                        if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
                    );
                    if let Some(s) = suggest(entry, names.iter().map(String::as_str)) {
                        message.push_str(&format!("; did you mean `{section}.{s}`?"));
                    }
                    message.push_str(" (an override changes entries; add new ones in a scenario file)");
                    return Err(refuse(key, value, ErrorKind::UnknownKey, message));
                }
            }
        }
    }
    let sets: Vec<String> = overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut text = format!("extends = {}\n", basic_string(parent.name_or_path));
    let given = |k: &str| overrides.iter().any(|(key, _)| key == k);
    // `name` and `description` are never inherited: keep the parent's name
    // (the run is of that scenario, changed), and say what changed.
    if given("name") {
        text.push_str("# name set below\n");
    } else {
        text.push_str(&format!("name = {}\n", basic_string(parent.name)));
    }
    if given("description") {
        text.push_str("# description set below\n");
    } else {
        let description = format!("{} (with --set {})", parent.description, sets.join(" --set "));
        text.push_str(&format!("description = {}\n", basic_string(&description)));
    }
    for (key, value) in overrides {
        text.push_str(&format!("{key} = {}\n", value_toml(value)));
    }
    Ok(text)
}

/// An error found while compiling the generated layer, told in terms of the
/// `--set` that caused it: a diagnostic located in the layer names that
/// `--set` instead of a line; one located in the parent that the overrides
/// inherit says so.
pub(crate) fn relocate(err: ScenarioError, name_or_path: &str, overrides: &[(String, String)]) -> ScenarioError {
    let ScenarioError::Invalid(mut d) = err else {
        return err;
    };
    if d.origin == LABEL {
        let index = d.line.and_then(|l| l.checked_sub(HEADER_LINES + 1));
        match index.and_then(|i| overrides.get(i)) {
            Some((key, value)) => {
                d.origin = shown(key, value);
                if d.key.as_deref() == Some(key.as_str()) {
                    d.key = None;
                    d.value = None;
                }
            }
            None => d.origin = "--set".to_string(),
        }
        d.line = None;
        d.column = None;
    }
    if d.inherited_by.as_deref() == Some(LABEL) {
        let sets: Vec<String> = overrides.iter().map(|(k, v)| shown(k, v)).collect();
        d.inherited_by = Some(format!("{name_or_path} with {}", sets.join(" ")));
    }
    ScenarioError::Invalid(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_split_at_the_first_equals_sign() {
        assert_eq!(parse_assignment(" a.b = x=y "), Ok(("a.b".into(), "x=y".into())));
        assert!(parse_assignment("=3").unwrap_err().contains("empty"));
        assert!(parse_assignment("a..b=3").unwrap_err().contains("is not a key"));
        assert!(parse_assignment("population.age_bands[0].share=0.2").unwrap_err().contains("whole array"));
    }

    #[test]
    fn values_are_toml_or_strings() {
        assert_eq!(value_toml("-100"), "-100");
        assert_eq!(value_toml("0.5"), "0.5");
        assert_eq!(value_toml("true"), "true");
        assert_eq!(value_toml("[25,64]"), "[25, 64]");
        assert_eq!(value_toml("\"quoted\""), "\"quoted\"");
        assert_eq!(value_toml("grade<=C"), "\"grade<=C\"");
        // Text that would add a key to the layer stays one string.
        assert_eq!(value_toml("1\nname = \"x\""), "\"1\\nname = \\\"x\\\"\"");
        assert_eq!(value_toml("[\"a\", 1]"), "[\"a\", 1]");
        assert_eq!(value_toml("{ a = 1 }"), "{ a = 1 }");
    }

    #[test]
    fn value_lists_split_outside_brackets_and_quotes() {
        assert_eq!(split_values("0.1"), vec!["0.1"]);
        assert_eq!(split_values("{a=1,b=2},{a=3}"), vec!["{a=1,b=2}", "{a=3}"]);
        assert_eq!(split_values("'x,y',z"), vec!["'x,y'", "z"]);
        assert_eq!(split_values("1,"), vec!["1", ""]);
    }

    fn set(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn err(pairs: &[(&str, &str)]) -> String {
        match crate::load_with_overrides("seed-article", &set(pairs)) {
            Ok(_) => panic!("{pairs:?} should be refused"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn overrides_change_the_values_and_keep_the_name() {
        let sets = set(&[("appeals.win_probability", "0.1"), ("behaviours.fake_news_post.points", "-100")]);
        let sc = crate::load_with_overrides("seed-article", &sets).unwrap();
        let plain = crate::load("seed-article").unwrap();
        assert_eq!(sc.name, "seed-article");
        assert_eq!(sc.appeals.win_probability, 0.1);
        assert_ne!(sc, plain);
        assert!(sc.description.contains("--set appeals.win_probability=0.1"), "{}", sc.description);
        assert_eq!(crate::load_with_overrides("seed-article", &[]).unwrap(), plain);
    }

    #[test]
    fn the_resolved_text_records_the_overridden_values() {
        let sets = set(&[("appeals.win_probability", "0.1"), ("score.half_life_days", "1460")]);
        let text = crate::resolved_toml_with_overrides("seed-article", &sets).unwrap();
        assert!(text.contains("win_probability = 0.1"), "{text}");
        assert!(text.contains("with --set appeals.win_probability=0.1 --set score.half_life_days=1460"), "{text}");
        let back = crate::parse_str(&text, "manifest.json").unwrap();
        assert_eq!(back, crate::load_with_overrides("seed-article", &sets).unwrap());
    }

    #[test]
    fn a_name_and_description_can_be_set_too() {
        let sc = crate::load_with_overrides("baseline", &set(&[("name", "quiet"), ("description", "a b")])).unwrap();
        assert_eq!((sc.name.as_str(), sc.description.as_str()), ("quiet", "a b"));
    }

    #[test]
    fn a_misspelt_key_names_the_set_and_the_closest_key() {
        let e = crate::load_with_overrides("seed-article", &set(&[("score.half_life_dayz", "10")])).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownKey);
        assert_eq!(e.exit_code(), 2);
        let m = e.to_string();
        assert!(m.starts_with("--set score.half_life_dayz=10: unknown key; valid keys here: "), "{m}");
        assert!(m.ends_with("did you mean `half_life_days`?"), "{m}");
        let m = err(&[("scor.half_life_days", "1")]);
        assert!(
            m.starts_with("--set scor.half_life_days=1: scor: unknown key") && m.contains("did you mean `score`?"),
            "{m}"
        );
    }

    #[test]
    fn a_new_entry_is_refused_with_the_existing_ones() {
        let m = err(&[("behaviours.fake_news_psot.points", "-1")]);
        assert!(
            m.starts_with(
                "--set behaviours.fake_news_psot.points=-1: unknown key: `behaviours` has no entry `fake_news_psot`"
            ),
            "{m}"
        );
        assert!(m.contains("did you mean `behaviours.fake_news_post`?"), "{m}");
        let m = err(&[("activities.flights.sanction", "{ triggers = [] }")]);
        assert!(m.contains("did you mean `activities.flight`?"), "{m}");
    }

    #[test]
    fn a_wrong_type_or_range_names_the_set_and_what_is_valid() {
        assert_eq!(
            err(&[("behaviours.fake_news_post.points", "lots")]),
            "--set behaviours.fake_news_post.points=lots: wrong type: found string \"lots\", expected a number"
        );
        assert_eq!(
            err(&[("behaviours.drug_use.rate_per_year", "-1")]),
            "--set behaviours.drug_use.rate_per_year=-1: must be a rate >= 0 (events per citizen-year)"
        );
        assert_eq!(
            err(&[("appeals.win_probability", "1.5")]),
            "--set appeals.win_probability=1.5: must be a probability in [0, 1]"
        );
        // The second of two overrides is the one blamed.
        let m = err(&[("appeals.win_probability", "0.2"), ("appeals.window_days", "-3")]);
        assert!(m.starts_with("--set appeals.window_days=-3: "), "{m}");
    }

    #[test]
    fn keys_set_twice_overlapping_or_extends_are_refused() {
        assert!(err(&[("score.half_life_days", "1"), ("score.half_life_days", "2")]).contains("is set twice"));
        assert!(err(&[("score", "{ half_life_days = 1 }"), ("score.half_life_days", "2")]).contains("overlap"));
        assert!(err(&[("extends", "baseline")]).contains("`extends` cannot be overridden"));
        assert!(err(&[("score..x", "1")]).contains("is not a key"));
    }
}
