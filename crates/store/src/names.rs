//! Names of behaviours, activities and grades, and the column names made
//! from them. Every column name is a plain identifier (lowercase ASCII
//! letters, digits and `_`, starting with a letter) so it can be written
//! unquoted in DuckDB, SQL, pandas attribute access and R.

use std::collections::BTreeSet;

use scorelab_scenario::Scenario;
use serde::{Deserialize, Serialize};

/// The names a run's wide columns are made from, in scenario order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Names {
    /// Behaviour names, in the order of `Scenario::behaviours`.
    pub behaviours: Vec<String>,
    /// Activity names, in the order of `Scenario::activities`.
    pub activities: Vec<String>,
    /// Grade names, highest first, as in `Score::grades`.
    pub grades: Vec<String>,
}

impl Names {
    /// The names of a scenario's behaviours, activities and grades.
    pub fn of(scenario: &Scenario) -> Names {
        Names {
            behaviours: scenario.behaviours.iter().map(|b| b.name.clone()).collect(),
            activities: scenario.activities.iter().map(|a| a.name.clone()).collect(),
            grades: scenario.score.grades.iter().map(|g| g.name.clone()).collect(),
        }
    }
}

/// The part of a column name made from a scenario name: lowercased, `+`
/// spelled `plus`, every run of other characters that is not an ASCII letter
/// or digit turned into one `_`, no `_` at either end; `x` if nothing is left.
///
/// ```
/// use scorelab_store::column_part;
/// assert_eq!(column_part("AAA"), "aaa");
/// assert_eq!(column_part("high-speed rail"), "high_speed_rail");
/// assert_eq!(column_part("A+"), "a_plus");
/// assert_eq!(column_part("优秀"), "x");
/// ```
pub fn column_part(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        if c == '+' {
            words.push("plus".to_string());
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    if words.is_empty() {
        return "x".to_string();
    }
    words.join("_")
}

/// Registers `prefix + column_part(name)` in `used` and returns it; if that
/// name is taken (two scenario names that differ only in case or
/// punctuation), appends `_2`, `_3`, ... until it is free. The result only
/// depends on the order of the names, so a reader rebuilding the columns
/// from the manifest finds the same names.
pub(crate) fn unique_column(prefix: &str, name: &str, used: &mut BTreeSet<String>) -> String {
    let base = format!("{prefix}{}", column_part(name));
    if used.insert(base.clone()) {
        return base;
    }
    let mut n = 2u64;
    loop {
        let candidate = format!("{base}_{n}");
        if used.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

/// Whether `name` is a plain identifier: starts with a lowercase ASCII
/// letter, then lowercase letters, digits and `_`.
pub fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z')) && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_parts() {
        assert_eq!(column_part("speeding"), "speeding");
        assert_eq!(column_part("Jaywalking"), "jaywalking");
        assert_eq!(column_part("__a__b__"), "a_b");
        assert_eq!(column_part("B-"), "b");
        assert_eq!(column_part("A++"), "a_plus_plus");
        assert_eq!(column_part(""), "x");
        assert_eq!(column_part("2nd"), "2nd");
    }

    #[test]
    fn clashes_get_suffixes() {
        let mut used = BTreeSet::new();
        assert_eq!(unique_column("grade_", "A", &mut used), "grade_a");
        assert_eq!(unique_column("grade_", "a", &mut used), "grade_a_2");
        assert_eq!(unique_column("grade_", "A.", &mut used), "grade_a_3");
        assert_eq!(unique_column("grade_", "a_2", &mut used), "grade_a_2_2");
    }

    #[test]
    fn plain_identifiers() {
        assert!(is_plain_identifier("grade_aaa"));
        assert!(is_plain_identifier("events_x2"));
        assert!(!is_plain_identifier("grade_AAA"));
        assert!(!is_plain_identifier("_a"));
        assert!(!is_plain_identifier("2a"));
        assert!(!is_plain_identifier("a-b"));
        assert!(!is_plain_identifier(""));
    }
}
