//! The file format: serde structs for scenario TOML, with MODEL.md's defaults.
//!
//! These mirror the file, not the model: points are `f64` in points, ages
//! and counts are `i64` so that out-of-range values reach our own checks
//! (with a useful message) instead of failing inside serde. Every struct
//! denies unknown keys. `resolve` turns a [`FileScenario`] into a
//! [`crate::Scenario`].

use std::fmt;
use std::marker::PhantomData;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{suggest, ErrorKind, KeyPath, ScenarioError, Seg};
use crate::layer::{At, Merged};

/// Named entries (`[sources.<name>]`, ...) in file order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entries<T>(pub(crate) Vec<(String, T)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for EntriesVisitor<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table of named entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, T>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// A whole scenario file, after `extends` has been merged.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileScenario {
    pub(crate) name: String,
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) population: PopulationFile,
    #[serde(default)]
    pub(crate) network: NetworkFile,
    #[serde(default)]
    pub(crate) pressure: PressureFile,
    #[serde(default)]
    pub(crate) score: ScoreFile,
    #[serde(default)]
    pub(crate) blacklist: BlacklistFile,
    #[serde(default)]
    pub(crate) appeals: AppealsFile,
    #[serde(default)]
    pub(crate) policy: PolicyFile,
    #[serde(default)]
    pub(crate) participation: ParticipationFile,
    #[serde(default)]
    pub(crate) burn_in: BurnInFile,
    #[serde(default)]
    pub(crate) sources: Entries<SourceFile>,
    #[serde(default)]
    pub(crate) behaviours: Entries<BehaviourFile>,
    #[serde(default)]
    pub(crate) activities: Entries<ActivityFile>,
}

/// `[population]`, MODEL.md section 1.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct PopulationFile {
    pub(crate) age_bands: Vec<AgeBandFile>,
    pub(crate) regions: i64,
    pub(crate) region_weights: Vec<f64>,
    pub(crate) urban_share: f64,
    pub(crate) income_urban_shift: f64,
    pub(crate) compliance: BetaFile,
    pub(crate) dissent: BetaFile,
    pub(crate) aware_share: f64,
    pub(crate) adult_age: i64,
    pub(crate) guardian_ages: Vec<i64>,
}

impl Default for PopulationFile {
    fn default() -> Self {
        let band = |min, max, share| AgeBandFile { min, max, share };
        PopulationFile {
            age_bands: vec![
                band(0, 14, 0.179),
                band(15, 24, 0.110),
                band(25, 44, 0.290),
                band(45, 64, 0.286),
                band(65, 95, 0.135),
            ],
            regions: 31,
            region_weights: Vec::new(),
            urban_share: 0.64,
            income_urban_shift: 0.6,
            compliance: BetaFile { alpha: 4.0, beta: 2.0 },
            dissent: BetaFile { alpha: 1.2, beta: 6.0 },
            aware_share: 0.5,
            adult_age: 18,
            guardian_ages: vec![25, 64],
        }
    }
}

/// One element of `population.age_bands`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgeBandFile {
    pub(crate) min: i64,
    pub(crate) max: i64,
    pub(crate) share: f64,
}

/// `{ alpha, beta }` of a Beta distribution.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BetaFile {
    pub(crate) alpha: f64,
    pub(crate) beta: f64,
}

/// `[network]`, MODEL.md sections 1 and 4.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct NetworkFile {
    pub(crate) mean_degree: f64,
    pub(crate) in_region_share: f64,
    pub(crate) weight: f64,
    pub(crate) update_period_days: i64,
}

impl Default for NetworkFile {
    fn default() -> Self {
        NetworkFile { mean_degree: 8.0, in_region_share: 0.8, weight: 0.15, update_period_days: 7 }
    }
}

/// `[pressure]`, MODEL.md section 2.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct PressureFile {
    pub(crate) general_deterrence: f64,
    pub(crate) width_points: f64,
    pub(crate) without_penalties: bool,
}

impl Default for PressureFile {
    fn default() -> Self {
        PressureFile { general_deterrence: 0.3, width_points: 200.0, without_penalties: false }
    }
}

/// `[score]`, MODEL.md section 4.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ScoreFile {
    pub(crate) enabled: bool,
    pub(crate) base: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) half_life_days: f64,
    pub(crate) grades: Vec<GradeFile>,
    pub(crate) factors: Vec<FactorFile>,
}

impl Default for ScoreFile {
    fn default() -> Self {
        let grade = |name: &str, min: Option<f64>| GradeFile { name: name.to_string(), min };
        ScoreFile {
            enabled: true,
            base: 1000.0,
            min: 0.0,
            max: 2000.0,
            half_life_days: 730.0,
            grades: vec![
                grade("AAA", Some(1050.0)),
                grade("AA", Some(1030.0)),
                grade("A", Some(960.0)),
                grade("B", Some(850.0)),
                grade("C", Some(600.0)),
                grade("D", None),
            ],
            factors: Vec::new(),
        }
    }
}

/// One element of `score.grades`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GradeFile {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) min: Option<f64>,
}

/// One element of `score.factors`: a named part of the score with its
/// weight (Sesame-style scores); `network = true` marks the factor whose
/// sub-score is the friends' term.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FactorFile {
    pub(crate) name: String,
    pub(crate) weight: f64,
    #[serde(default)]
    pub(crate) network: bool,
}

/// `[blacklist]`, MODEL.md section 5.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct BlacklistFile {
    pub(crate) enabled: bool,
    pub(crate) half_life_days: f64,
    pub(crate) max_days: i64,
}

impl Default for BlacklistFile {
    fn default() -> Self {
        BlacklistFile { enabled: true, half_life_days: 365.0, max_days: 730 }
    }
}

/// `[appeals]`, MODEL.md section 7.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct AppealsFile {
    pub(crate) enabled: bool,
    pub(crate) window_days: i64,
    pub(crate) daily_probability: f64,
    pub(crate) win_probability: f64,
    pub(crate) visible_records: bool,
}

impl Default for AppealsFile {
    fn default() -> Self {
        AppealsFile {
            enabled: true,
            window_days: 30,
            daily_probability: 0.02,
            win_probability: 0.5,
            visible_records: false,
        }
    }
}

/// `[participation]`: who is in the system at all (opt-in schemes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ParticipationFile {
    pub(crate) share: f64,
}

impl Default for ParticipationFile {
    fn default() -> Self {
        ParticipationFile { share: 1.0 }
    }
}

/// `[burn_in]`: days simulated before the reported run starts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct BurnInFile {
    pub(crate) days: i64,
}

/// `[policy]`: whether sanctions and rewards apply at all (MODEL.md section 6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct PolicyFile {
    pub(crate) sanctions: bool,
    pub(crate) rewards: bool,
}

impl Default for PolicyFile {
    fn default() -> Self {
        PolicyFile { sanctions: true, rewards: true }
    }
}

/// `[sources.<name>]`, MODEL.md section 3. Every key is required.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceFile {
    pub(crate) coverage_urban: f64,
    pub(crate) coverage_rural: f64,
    pub(crate) misattribution: f64,
    pub(crate) false_flags_per_year: f64,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// `[behaviours.<name>]`, MODEL.md section 2.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BehaviourFile {
    pub(crate) source: String,
    pub(crate) ages: Vec<i64>,
    pub(crate) rate_per_year: f64,
    #[serde(default)]
    pub(crate) compliance_slope: f64,
    #[serde(default)]
    pub(crate) dissent_slope: f64,
    #[serde(default = "one")]
    pub(crate) urban_multiplier: f64,
    pub(crate) points: f64,
    #[serde(default)]
    pub(crate) blacklist: bool,
    #[serde(default)]
    pub(crate) deterrence: f64,
    #[serde(default)]
    pub(crate) boost: f64,
    #[serde(default)]
    pub(crate) factor: Option<String>,
    #[serde(default = "yes")]
    pub(crate) enabled: bool,
}

fn daily() -> String {
    "daily".to_string()
}

/// `[activities.<name>]`, MODEL.md section 6. Which keys apply depends on
/// `kind`: `ages`, `rate_per_year`, `scale_by_decile` for `daily`;
/// `enrolment_ages`, `day_of_year` for `school_enrolment`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActivityFile {
    #[serde(default = "daily")]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) ages: Option<Vec<i64>>,
    #[serde(default)]
    pub(crate) rate_per_year: Option<f64>,
    #[serde(default)]
    pub(crate) scale_by_decile: Option<bool>,
    #[serde(default)]
    pub(crate) enrolment_ages: Option<Vec<i64>>,
    #[serde(default)]
    pub(crate) day_of_year: Option<i64>,
    #[serde(default)]
    pub(crate) sanction: Option<TriggersFile>,
    #[serde(default)]
    pub(crate) reward: Option<TriggersFile>,
    #[serde(default = "yes")]
    pub(crate) enabled: bool,
}

/// `sanction = { triggers = [...], label = "..." }` (or `reward`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TriggersFile {
    #[serde(default)]
    pub(crate) triggers: Vec<String>,
    #[serde(default)]
    pub(crate) label: Option<String>,
}

/// Deserializes the merged table, turning serde's errors into located
/// diagnostics (unknown keys with the valid ones and a suggestion, missing
/// keys, wrong types).
pub(crate) fn deserialize(merged: &Merged) -> Result<FileScenario, ScenarioError> {
    let value = toml::Value::Table(merged.table.clone());
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = KeyPath(
            e.path()
                .iter()
                .filter_map(|s| match s {
                    serde_path_to_error::Segment::Map { key } => Some(Seg::Key(key.clone())),
                    serde_path_to_error::Segment::Seq { index } => Some(Seg::Index(*index)),
                    serde_path_to_error::Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
                    serde_path_to_error::Segment::Unknown => None,
                })
                .collect(),
        );
        serde_error(merged, path, e.inner().message())
    })
}

/// The text between the first pair of backticks after `start`, and the rest.
fn backticked(s: &str) -> Option<(&str, &str)> {
    let a = s.find('`')?;
    let rest = &s[a + 1..];
    let b = rest.find('`')?;
    Some((&rest[..b], &rest[b + 1..]))
}

/// Friendlier names for the types serde expects.
fn type_name(expected: &str) -> String {
    let e = expected.trim();
    match e {
        "f64" | "f32" => "a number".into(),
        "i64" | "i32" | "u8" | "u32" | "u64" | "usize" => "an integer".into(),
        "a sequence" => "an array".into(),
        "a map" | "a table of named entries" => "a table".into(),
        _ if e.starts_with("struct ") => "a table".into(),
        _ => e.to_string(),
    }
}

fn serde_error(merged: &Merged, path: KeyPath, message: &str) -> ScenarioError {
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // serde: "unknown field `x`, expected one of `a`, `b`" / "expected `a`" / "there are no fields"
        let (field, mut tail) = backticked(rest).unwrap_or(("", rest));
        let mut valid: Vec<&str> = Vec::new();
        while let Some((k, t)) = backticked(tail) {
            valid.push(k);
            tail = t;
        }
        let mut msg = if valid.is_empty() {
            "unknown key; this table takes no keys".to_string()
        } else {
            format!("unknown key; valid keys here: {}", valid.join(", "))
        };
        if let Some(s) = suggest(field, valid.iter().copied()) {
            msg.push_str(&format!("; did you mean `{s}`?"));
        }
        return merged.diag(&path, ErrorKind::UnknownKey, msg, At::Key);
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let field = backticked(rest).map_or(rest, |(f, _)| f);
        let full = path.key(field);
        return merged.diag(
            &full,
            ErrorKind::MissingKey,
            "missing: this key is required (it has no default)",
            At::Value,
        );
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return merged.diag(
                &path,
                ErrorKind::WrongType,
                format!("wrong type: found {found}, expected {}", type_name(expected)),
                At::Value,
            );
        }
    }
    merged.diag(&path, ErrorKind::WrongType, message.trim().to_string(), At::Value)
}
