//! What a run measures (MODEL.md section 9): daily figures, per-run figures
//! by group, the final state of citizens, and the audit trail of tracked
//! citizens. Plain data: the store writes it, the CLI prints it.

use serde::{Deserialize, Serialize};

/// Width of a bin of the daily score histogram, in points.
pub const HISTOGRAM_BIN_POINTS: i64 = 10;

/// The bins of the daily score histogram: `bins` bins of
/// [`HISTOGRAM_BIN_POINTS`] points, the first starting at `origin_points`.
/// A score equal to the upper clamp falls in the last bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistogramSpec {
    pub origin_points: i64,
    pub bins: usize,
}

impl HistogramSpec {
    /// The bins covering scores from `min_milli` to `max_milli` (thousandths).
    pub fn for_range(min_milli: i64, max_milli: i64) -> Self {
        let bin = HISTOGRAM_BIN_POINTS * 1000;
        let origin = min_milli.div_euclid(bin);
        let last = (max_milli - 1).div_euclid(bin).max(origin);
        HistogramSpec { origin_points: origin * HISTOGRAM_BIN_POINTS, bins: (last - origin + 1) as usize }
    }

    /// The bin of a score in thousandths.
    #[inline]
    pub fn bin_of(&self, score_milli: i64) -> usize {
        let b = score_milli.div_euclid(HISTOGRAM_BIN_POINTS * 1000) - self.origin_points / HISTOGRAM_BIN_POINTS;
        b.clamp(0, self.bins as i64 - 1) as usize
    }
}

/// Every daily figure of MODEL.md section 9, for one day. Vectors are indexed
/// by behaviour, activity or grade id of the scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayMetrics {
    pub day: u32,
    /// Citizens aged 18 or more on this day: the population of the score figures.
    pub adults: u64,
    /// Adults per 10-point bin of the effective score (see [`HistogramSpec`]).
    pub score_histogram: Vec<u64>,
    /// Mean effective score of adults, in points.
    pub score_mean: f64,
    /// 10th, 50th and 90th percentiles of the adults' effective score, in
    /// points, exact to 0.1 point (lower nearest-rank on 0.1-point bins).
    pub score_p10: f64,
    pub score_p50: f64,
    pub score_p90: f64,
    /// Gini coefficient of the adults' effective score.
    pub score_gini: f64,
    /// Adults per grade, highest grade first.
    pub grade_counts: Vec<u64>,
    /// Citizens on the blacklist at the end of the day.
    pub blacklisted: u64,
    /// Of those, listings not backed by a correct record.
    pub blacklisted_erroneous: u64,
    /// Listings made and ended today.
    pub listings_started: u64,
    pub listings_ended: u64,
    /// Per behaviour: events that happened, records written against the
    /// actor, and erroneous records (misattributed or spurious).
    pub true_events: Vec<u64>,
    pub correct_records: Vec<u64>,
    pub erroneous_records: Vec<u64>,
    /// Per activity: attempts by citizens a sanction or reward applied to,
    /// denials, wrongful denials and grants.
    pub denials: Vec<u64>,
    pub wrongful_denials: Vec<u64>,
    pub grants: Vec<u64>,
    pub appeals: u64,
    pub appeals_won: u64,
}

impl DayMetrics {
    /// A day with every figure zero, sized for a scenario.
    pub fn empty(day: u32, bins: usize, grades: usize, behaviours: usize, activities: usize) -> Self {
        DayMetrics {
            day,
            adults: 0,
            score_histogram: vec![0; bins],
            score_mean: 0.0,
            score_p10: 0.0,
            score_p50: 0.0,
            score_p90: 0.0,
            score_gini: 0.0,
            grade_counts: vec![0; grades],
            blacklisted: 0,
            blacklisted_erroneous: 0,
            listings_started: 0,
            listings_ended: 0,
            true_events: vec![0; behaviours],
            correct_records: vec![0; behaviours],
            erroneous_records: vec![0; behaviours],
            denials: vec![0; activities],
            wrongful_denials: vec![0; activities],
            grants: vec![0; activities],
            appeals: 0,
            appeals_won: 0,
        }
    }
}

/// A breakdown of per-run figures (MODEL.md section 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupDimension {
    IncomeDecile,
    Urban,
    AgeBand,
    Region,
}

impl GroupDimension {
    pub const ALL: [GroupDimension; 4] =
        [GroupDimension::IncomeDecile, GroupDimension::Urban, GroupDimension::AgeBand, GroupDimension::Region];

    /// The column name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupDimension::IncomeDecile => "income_decile",
            GroupDimension::Urban => "urban",
            GroupDimension::AgeBand => "age_band",
            GroupDimension::Region => "region",
        }
    }
}

/// Per-run figures for one (dimension, group, activity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRow {
    pub dimension: GroupDimension,
    /// The group's label: decile `1`..`10`, `urban`/`rural`, an age band
    /// such as `25-44`, or a region number `0`..
    pub group: String,
    /// Activity name.
    pub activity: String,
    /// Citizens in the group at the end of the run (age band: by age then).
    pub citizens: u64,
    /// Denials, wrongful denials and grants over the run (age band: by age
    /// on the day of the denial; school denials by the child's attributes).
    pub denials: u64,
    pub wrongful_denials: u64,
    pub grants: u64,
    /// Distinct citizens of the group (as at the end of the run) denied
    /// this activity at least once.
    pub unique_denied: u64,
}

/// Per-run totals and headline figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunTotals {
    pub citizens: u64,
    pub days: u32,
    /// Per behaviour, summed over the run.
    pub true_events: Vec<u64>,
    pub correct_records: Vec<u64>,
    pub erroneous_records: Vec<u64>,
    /// Per activity, summed over the run.
    pub denials: Vec<u64>,
    pub wrongful_denials: Vec<u64>,
    pub grants: Vec<u64>,
    /// Per activity: distinct citizens ever denied it.
    pub unique_denied: Vec<u64>,
    /// Distinct citizens ever denied anything.
    pub unique_denied_any: u64,
    /// Distinct citizens ever on the blacklist, and ever wrongly (unbacked).
    pub ever_blacklisted: u64,
    /// School denials because of a guardian (events), and distinct children.
    pub school_denials: u64,
    pub children_denied_school: u64,
    pub appeals: u64,
    pub appeals_won: u64,
}

impl RunTotals {
    /// Totals of a run of `citizens` that has not started.
    pub fn empty(citizens: u64, behaviours: usize, activities: usize) -> Self {
        RunTotals {
            citizens,
            days: 0,
            true_events: vec![0; behaviours],
            correct_records: vec![0; behaviours],
            erroneous_records: vec![0; behaviours],
            denials: vec![0; activities],
            wrongful_denials: vec![0; activities],
            grants: vec![0; activities],
            unique_denied: vec![0; activities],
            unique_denied_any: 0,
            ever_blacklisted: 0,
            school_denials: 0,
            children_denied_school: 0,
            appeals: 0,
            appeals_won: 0,
        }
    }
}

/// The final state of one citizen (a row of `citizens.parquet`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitizenRow {
    pub id: u32,
    /// Age at the end of the run.
    pub age: u32,
    pub region: u8,
    pub urban: bool,
    pub income_decile: u8,
    pub aware: bool,
    pub compliance: f32,
    pub dissent: f32,
    /// Guardian's id for a citizen who had one on day 0.
    pub guardian: Option<u32>,
    pub friends: u32,
    /// Own score S, effective score Ŝ, gains G, losses L and their erroneous
    /// part E, all in thousandths of a point, as of the last day.
    pub own_score_milli: i64,
    pub effective_score_milli: i64,
    pub grade: String,
    pub gains_milli: i64,
    pub losses_milli: i64,
    pub erroneous_losses_milli: i64,
    pub blacklisted: bool,
    pub listing_backed: bool,
    /// Names of activities this citizen was ever denied.
    pub ever_denied: Vec<String>,
    /// Whether this citizen, as a child, was denied a school place.
    pub denied_school_as_child: bool,
}

/// What an audit row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A record written against the citizen.
    Record,
    /// The citizen was put on the blacklist.
    Listed,
    /// The citizen left the blacklist (paid, term over, or appeal).
    Delisted,
    /// An activity was denied (for school enrolment: the guardian's row and the child's row).
    Denial,
    /// An activity was granted as a reward.
    Grant,
    /// The citizen appealed.
    Appeal,
    /// End-of-day score and grade (one row per day for tracked citizens).
    Score,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Record => "record",
            AuditKind::Listed => "listed",
            AuditKind::Delisted => "delisted",
            AuditKind::Denial => "denial",
            AuditKind::Grant => "grant",
            AuditKind::Appeal => "appeal",
            AuditKind::Score => "score",
        }
    }
}

/// One event in the life of a tracked citizen. Fields that do not apply to
/// a kind are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub citizen: u32,
    pub day: u32,
    pub kind: AuditKind,
    /// Record: behaviour name; Listed/Delisted: `judgment_default` or reason.
    pub behaviour: Option<String>,
    /// Record: source name.
    pub source: Option<String>,
    /// Record: points in thousandths.
    pub points_milli: Option<i64>,
    /// Record: erroneous (misattributed or spurious); Listed: unbacked.
    pub erroneous: Option<bool>,
    /// Record: `correct`, `misattributed` or `spurious`; Delisted: `paid`, `term`, `appeal`.
    pub detail: Option<String>,
    /// Record: the citizen whose event it was, for a misattributed record.
    pub actor: Option<u32>,
    /// Denial/Grant: activity name.
    pub activity: Option<String>,
    /// Denial/Grant: the triggers that were met, e.g. `blacklisted; grade <= D`.
    pub rule: Option<String>,
    /// Denial: whether it was wrongful.
    pub wrongful: Option<bool>,
    /// School denial: the child (on the guardian's row) or the guardian (on the child's row).
    pub other: Option<u32>,
    /// Appeal: whether it was won.
    pub won: Option<bool>,
    /// Score: own and effective score in thousandths, and grade.
    pub own_score_milli: Option<i64>,
    pub effective_score_milli: Option<i64>,
    pub grade: Option<String>,
}

impl AuditRow {
    /// A row of the given kind with every optional field empty.
    pub fn new(citizen: u32, day: u32, kind: AuditKind) -> Self {
        AuditRow {
            citizen,
            day,
            kind,
            behaviour: None,
            source: None,
            points_milli: None,
            erroneous: None,
            detail: None,
            actor: None,
            activity: None,
            rule: None,
            wrongful: None,
            other: None,
            won: None,
            own_score_milli: None,
            effective_score_milli: None,
            grade: None,
        }
    }
}
