//! A replay oracle: an independent implementation of MODEL.md §4–§8 that
//! reads the audit trail of a run in which *every* citizen is tracked and
//! recomputes, day by day, each citizen's G, L, E, listing, friends' term,
//! own and effective score and grade from the records alone, then checks
//! every row the engine wrote:
//!
//! - records: points are π_b, `erroneous` matches the kind, spurious records
//!   only of penalised behaviours, misattributed ones never to the actor;
//! - listings: made by a blacklisting record on an unlisted citizen, with
//!   the record's erroneous flag; backed by any correct record; exits only
//!   while listed and never later than the term (and always at its end);
//! - score rows: S = clamp(B + G + L), Ŝ = round(((1000 − w')S + w'F)/1000)
//!   with F set on days t mod period = period − 1 from the friends' S after
//!   the day's records, grade = the highest grade whose threshold ≤ Ŝ;
//! - denials and grants: the verdict of the activity on that state (sanction
//!   first), the rule text naming exactly the triggers met, `wrongful` by
//!   §6/§11 (no trigger met with E removed, F unchanged, only backed
//!   listings); for activities attempted with certainty (rate ≥ 1e6 a year)
//!   every citizen concerned must have a row; school rows on the guardian;
//! - appeals: only within the window after a denial; won only with
//!   something erroneous; a won appeal sets L ← L − E, E ← 0, t0 ← t and ends
//!   an unbacked listing; with probability 1 every citizen in the window
//!   appeals;
//! - the day's figures equal the sums of the audit rows, and the final
//!   citizen rows equal the replayed state.
//!
//! Decay follows MODEL.md §4 to the letter: every record (whatever its
//! points) and every won appeal brings G, L, E to the day and sets t0.

use super::{decay, half_even, Run};
use scorelab_engine::{AuditKind, AuditRow, YEAR};
use scorelab_scenario::{ActivityKind, Scenario, Trigger};

#[derive(Debug, Clone, Copy, Default)]
struct Citizen {
    g: i64,
    l: i64,
    e: i64,
    t0: u32,
    listed: bool,
    backed: bool,
    listed_on: u32,
    f: i64,
    last_denial: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
struct View {
    g: i64,
    l: i64,
    e: i64,
    own: i64,
    eff: i64,
    grade: usize,
    listed: bool,
    backed: bool,
    f: i64,
    has_friends: bool,
}

struct Rules<'a> {
    sc: &'a Scenario,
}

impl Rules<'_> {
    fn own(&self, g: i64, l: i64) -> i64 {
        let s = &self.sc.score;
        if !s.enabled {
            return s.base_milli;
        }
        (s.base_milli + g + l).clamp(s.min_milli, s.max_milli)
    }

    fn eff(&self, own: i64, f: i64, has_friends: bool) -> i64 {
        let w = self.sc.network.weight_milli;
        if !has_friends || w == 0 || !self.sc.score.enabled {
            own
        } else {
            half_even((1000 - w) * own + w * f, 1000)
        }
    }

    fn grade(&self, eff: i64) -> usize {
        let grades = &self.sc.score.grades;
        grades.iter().position(|g| g.threshold_milli.is_none_or(|t| eff >= t)).unwrap_or(grades.len() - 1)
    }

    fn met(&self, t: Trigger, grade: usize, listed: bool) -> bool {
        match t {
            Trigger::Blacklisted => listed,
            Trigger::GradeAtMost(g) => self.sc.score.enabled && grade >= g,
            Trigger::GradeAtLeast(g) => self.sc.score.enabled && grade <= g,
        }
    }

    fn text(&self, t: Trigger) -> String {
        let name = |g: usize| self.sc.score.grades[g].name.clone();
        match t {
            Trigger::Blacklisted => "blacklisted".into(),
            Trigger::GradeAtMost(g) => format!("grade <= {}", name(g)),
            Trigger::GradeAtLeast(g) => format!("grade >= {}", name(g)),
        }
    }

    /// The text of the triggers met, with the label.
    fn rule(&self, list: &[Trigger], label: &Option<String>, grade: usize, listed: bool) -> Option<String> {
        let met: Vec<String> = list.iter().filter(|&&t| self.met(t, grade, listed)).map(|&t| self.text(t)).collect();
        if met.is_empty() {
            return None;
        }
        let text = met.join("; ");
        Some(match label {
            Some(l) => format!("{text} ({l})"),
            None => text,
        })
    }

    /// (kind, rule, wrongful) of activity k for a citizen in state v.
    fn verdict(&self, k: usize, v: &View) -> Option<(AuditKind, String, Option<bool>)> {
        let a = &self.sc.activities[k];
        let sanctions: &[Trigger] = if self.sc.sanctions_enabled { &a.sanction } else { &[] };
        let rewards: &[Trigger] = if self.sc.rewards_enabled { &a.reward } else { &[] };
        if let Some(rule) = self.rule(sanctions, &a.sanction_label, v.grade, v.listed) {
            let own = self.own(v.g, v.l - v.e);
            let grade = self.grade(self.eff(own, v.f, v.has_friends));
            let wrongful = !sanctions.iter().any(|&t| self.met(t, grade, v.listed && v.backed));
            return Some((AuditKind::Denial, rule, Some(wrongful)));
        }
        self.rule(rewards, &a.reward_label, v.grade, v.listed).map(|rule| (AuditKind::Grant, rule, None))
    }
}

fn phase(r: &AuditRow) -> u8 {
    match r.kind {
        AuditKind::Delisted if r.detail.as_deref() != Some("appeal") => 0,
        AuditKind::Record | AuditKind::Listed => 0,
        AuditKind::Denial | AuditKind::Grant => 1,
        AuditKind::Appeal | AuditKind::Delisted => 2,
        AuditKind::Score => 3,
    }
}

/// What the oracle saw, for tests that want to be sure it was exercised.
#[derive(Debug, Default, Clone, Copy)]
pub struct Coverage {
    pub records: u64,
    pub erroneous_records: u64,
    pub listings: u64,
    pub term_ends: u64,
    pub denials: u64,
    pub wrongful: u64,
    pub grants: u64,
    pub school_denials: u64,
    pub appeals: u64,
    pub appeals_won: u64,
    pub friends_days: u64,
}

/// Replays `audit` (every citizen tracked, rows as `take_audit` returns
/// them) against the model and panics at the first disagreement.
pub fn replay(sc: &Scenario, run: &Run, audit: &[AuditRow]) -> Coverage {
    let rules = Rules { sc };
    let rows = run.citizens();
    let n = rows.len();
    let days = run.days.len() as u32;
    let h = sc.score.half_life_days;
    let base = sc.score.base_milli;
    let mut cov = Coverage::default();
    let mut st = vec![Citizen { f: base, ..Citizen::default() }; n];
    let age0: Vec<u32> = rows.iter().map(|c| c.age - (days - 1) / YEAR).collect();
    let friends: Vec<&[u32]> = (0..n as u32).map(|i| run.sim.friends_of(i)).collect();
    let certain =
        |k: usize| matches!(&sc.activities[k].kind, ActivityKind::Daily { rate_per_year, .. } if *rate_per_year >= 1e6);

    // Rows per day, each day's rows grouped by citizen in phase order.
    let mut by_day: Vec<Vec<&AuditRow>> = vec![Vec::new(); days as usize];
    for r in audit {
        by_day[r.day as usize].push(r);
    }
    for day in &mut by_day {
        day.sort_by_key(|r| (r.citizen, phase(r)));
    }

    let comps = |c: &Citizen, t: u32| (decay(c.g, t - c.t0, h), decay(c.l, t - c.t0, h), decay(c.e, t - c.t0, h));
    let view = |c: &Citizen, i: usize, t: u32| {
        let (g, l, e) = comps(c, t);
        let own = rules.own(g, l);
        let has_friends = !friends[i].is_empty();
        let eff = rules.eff(own, c.f, has_friends);
        View { g, l, e, own, eff, grade: rules.grade(eff), listed: c.listed, backed: c.backed, f: c.f, has_friends }
    };

    for t in 0..days {
        let rows_t = &by_day[t as usize];
        let m = &run.days[t as usize];
        let mut correct = vec![0u64; sc.behaviours.len()];
        let mut erroneous = vec![0u64; sc.behaviours.len()];
        let mut listings_started = 0u64;
        let mut listings_ended = 0u64;

        // Steps 2-4: exits (before entries), records, entries.
        let mut i = 0;
        while i < rows_t.len() {
            let r = rows_t[i];
            let who = r.citizen as usize;
            let c = &mut st[who];
            let ctx = format!("day {t}, citizen {who}: {r:?}");
            match (r.kind, phase(r)) {
                (AuditKind::Delisted, 0) => {
                    assert!(c.listed, "exit while not listed: {ctx}");
                    assert!(
                        t > c.listed_on && t <= c.listed_on + sc.blacklist.max_days,
                        "exit outside the term: {ctx}"
                    );
                    cov.term_ends += u64::from(t == c.listed_on + sc.blacklist.max_days);
                    c.listed = false;
                    c.backed = false;
                    listings_ended += 1;
                }
                (AuditKind::Record, _) => {
                    let b = sc
                        .behaviour_id(r.behaviour.as_deref().unwrap_or(""))
                        .unwrap_or_else(|| panic!("unknown behaviour: {ctx}"));
                    let beh = &sc.behaviours[b];
                    let points = if sc.score.enabled { beh.points_milli } else { 0 };
                    assert_eq!(r.points_milli, Some(points), "points: {ctx}");
                    assert_eq!(r.source.as_deref(), Some(sc.sources[beh.source].name.as_str()), "source: {ctx}");
                    let err = match r.detail.as_deref() {
                        Some("correct") => false,
                        Some("spurious") => {
                            assert!(sc.is_penalised(b), "spurious record of a behaviour that is not penalised: {ctx}");
                            true
                        }
                        Some("misattributed") => {
                            assert!(r.actor.is_some_and(|a| a != r.citizen), "misattributed to its actor: {ctx}");
                            true
                        }
                        other => panic!("record detail {other:?}: {ctx}"),
                    };
                    assert_eq!(r.erroneous, Some(err), "erroneous flag: {ctx}");
                    let age = age0[who] + t / YEAR;
                    assert!(beh.ages.contains(age), "record outside the behaviour's ages: {ctx}");
                    if err {
                        erroneous[b] += 1;
                        cov.erroneous_records += 1;
                    } else {
                        correct[b] += 1;
                    }
                    cov.records += 1;
                    // §4: bring to t, add π_b, set t0 = t.
                    let (mut g, mut l, mut e) = comps(c, t);
                    if points > 0 {
                        g += points;
                    } else if points < 0 {
                        l += points;
                        if err {
                            e += points;
                        }
                    }
                    (c.g, c.l, c.e, c.t0) = (g, l, e, t);
                    if beh.blacklists && sc.blacklist.enabled {
                        if c.listed {
                            c.backed |= !err;
                        } else {
                            let next =
                                rows_t.get(i + 1).filter(|x| x.citizen == r.citizen && x.kind == AuditKind::Listed);
                            let next = next.unwrap_or_else(|| panic!("blacklisting record without a listing: {ctx}"));
                            assert_eq!(next.erroneous, Some(err), "listing's erroneous flag: {ctx}");
                            assert_eq!(next.behaviour.as_deref(), Some(beh.name.as_str()));
                            c.listed = true;
                            c.backed = !err;
                            c.listed_on = t;
                            listings_started += 1;
                            cov.listings += 1;
                            i += 1;
                        }
                    }
                }
                (AuditKind::Listed, _) => panic!("listing without a blacklisting record before it: {ctx}"),
                _ => {}
            }
            i += 1;
        }
        for (who, c) in st.iter().enumerate() {
            assert!(
                !c.listed || t < c.listed_on + sc.blacklist.max_days,
                "day {t}, citizen {who}: listing past its term"
            );
        }

        // Step 5: the friends' term from S after the day's records.
        let period = sc.network.update_period_days;
        if sc.score.enabled && sc.network.weight_milli > 0 && t % period == period - 1 {
            cov.friends_days += 1;
            let own: Vec<i64> = st
                .iter()
                .map(|c| {
                    let (g, l, _) = comps(c, t);
                    rules.own(g, l)
                })
                .collect();
            for (who, c) in st.iter_mut().enumerate() {
                if !friends[who].is_empty() {
                    let sum: i64 = friends[who].iter().map(|&f| own[f as usize]).sum();
                    c.f = half_even(sum, friends[who].len() as i64);
                }
            }
        }

        // Step 6: the state every rule of the day is judged on.
        let views: Vec<View> = st.iter().enumerate().map(|(who, c)| view(c, who, t)).collect();

        // Step 7: activities. Expected school rows, then daily rows.
        let mut denials = vec![0u64; sc.activities.len()];
        let mut wrongful = vec![0u64; sc.activities.len()];
        let mut grants = vec![0u64; sc.activities.len()];
        let mut denied_today = vec![false; n];
        let activity_rows: Vec<&AuditRow> =
            rows_t.iter().copied().filter(|r| matches!(r.kind, AuditKind::Denial | AuditKind::Grant)).collect();
        for (k, a) in sc.activities.iter().enumerate() {
            let mine: Vec<&AuditRow> =
                activity_rows.iter().copied().filter(|r| r.activity.as_deref() == Some(a.name.as_str())).collect();
            match &a.kind {
                ActivityKind::SchoolEnrolment { ages, day_of_year } => {
                    let mut want: Vec<(u32, AuditKind, String, Option<bool>, u32)> = Vec::new();
                    if t % YEAR == *day_of_year {
                        for (child, row) in rows.iter().enumerate() {
                            let age = age0[child] + t / YEAR;
                            let Some(gd) = row.guardian else { continue };
                            if !ages.iter().any(|&x| u32::from(x) == age) {
                                continue;
                            }
                            if let Some((kind, rule, wrong)) = rules.verdict(k, &views[gd as usize]) {
                                let rule = format!("guardian: {rule}");
                                if kind == AuditKind::Denial {
                                    want.push((gd, kind, rule.clone(), wrong, child as u32));
                                    denials[k] += 1;
                                    wrongful[k] += u64::from(wrong == Some(true));
                                    denied_today[gd as usize] = true;
                                    cov.school_denials += 1;
                                } else {
                                    grants[k] += 1;
                                }
                                want.push((child as u32, kind, rule, wrong, gd));
                            }
                        }
                    }
                    let mut got: Vec<(u32, AuditKind, String, Option<bool>, u32)> = mine
                        .iter()
                        .map(|r| {
                            (
                                r.citizen,
                                r.kind,
                                r.rule.clone().unwrap_or_default(),
                                r.wrongful,
                                r.other.unwrap_or(u32::MAX),
                            )
                        })
                        .collect();
                    want.sort_by_key(|x| (x.0, x.4));
                    got.sort_by_key(|x| (x.0, x.4));
                    assert_eq!(got, want, "day {t}: school rows of {}", a.name);
                }
                ActivityKind::Daily { ages, .. } => {
                    let mut seen = vec![false; n];
                    for r in &mine {
                        let who = r.citizen as usize;
                        let ctx = format!("day {t}, citizen {who}: {r:?}, state {:?}", views[who]);
                        assert!(!seen[who], "two rows for one activity in a day: {ctx}");
                        seen[who] = true;
                        assert!(ages.contains(age0[who] + t / YEAR), "attempt outside the activity's ages: {ctx}");
                        let (kind, rule, wrong) =
                            rules.verdict(k, &views[who]).unwrap_or_else(|| panic!("no rule applies: {ctx}"));
                        assert_eq!(
                            (r.kind, r.rule.as_deref(), r.wrongful),
                            (kind, Some(rule.as_str()), wrong),
                            "verdict: {ctx}"
                        );
                        if kind == AuditKind::Denial {
                            denials[k] += 1;
                            wrongful[k] += u64::from(wrong == Some(true));
                            denied_today[who] = true;
                        } else {
                            grants[k] += 1;
                        }
                    }
                    if certain(k) {
                        for who in 0..n {
                            if ages.contains(age0[who] + t / YEAR) && rules.verdict(k, &views[who]).is_some() {
                                assert!(
                                    seen[who],
                                    "day {t}, citizen {who}: certain attempt of {} without a row; state {:?}",
                                    a.name, views[who]
                                );
                            }
                        }
                    }
                }
            }
        }
        for who in 0..n {
            if denied_today[who] {
                st[who].last_denial = Some(t);
            }
        }
        cov.denials += denials.iter().sum::<u64>();
        cov.wrongful += wrongful.iter().sum::<u64>();
        cov.grants += grants.iter().sum::<u64>();

        // Step 8: appeals.
        let (mut appeals, mut won_n) = (0u64, 0u64);
        let mut appealed = vec![false; n];
        for r in rows_t.iter().filter(|r| phase(r) == 2) {
            let who = r.citizen as usize;
            let ctx = format!("day {t}, citizen {who}: {r:?}, state {:?}", views[who]);
            if r.kind == AuditKind::Delisted {
                continue; // checked with the appeal below
            }
            assert!(sc.appeals.enabled, "appeal with appeals off: {ctx}");
            assert!(!appealed[who], "two appeals in a day: {ctx}");
            appealed[who] = true;
            let last = st[who].last_denial.unwrap_or_else(|| panic!("appeal without a denial: {ctx}"));
            assert!(t - last < sc.appeals.window_days, "appeal outside the window: {ctx}");
            appeals += 1;
            let v = views[who];
            let unbacked = v.listed && !v.backed;
            let has_error = v.e < 0 || unbacked;
            let won = r.won.unwrap_or_else(|| panic!("appeal without an outcome: {ctx}"));
            let delisted = rows_t.iter().any(|x| {
                x.citizen == r.citizen && x.kind == AuditKind::Delisted && x.detail.as_deref() == Some("appeal")
            });
            assert_eq!(delisted, won && unbacked, "delisting by appeal: {ctx}");
            if won {
                assert!(has_error, "appeal won with nothing erroneous: {ctx}");
                won_n += 1;
                let c = &mut st[who];
                (c.g, c.l, c.e, c.t0) = (v.g, v.l - v.e, 0, t);
                if unbacked {
                    c.listed = false;
                    listings_ended += 1;
                }
            } else if has_error {
                assert!(sc.appeals.win_probability < 1.0, "appeal lost with p(win) = 1: {ctx}");
            }
        }
        if sc.appeals.enabled && sc.appeals.daily_probability >= 1.0 {
            for (who, c) in st.iter().enumerate() {
                if c.last_denial.is_some_and(|d| t - d < sc.appeals.window_days) {
                    assert!(appealed[who], "day {t}, citizen {who}: certain appeal missing");
                }
            }
        }
        cov.appeals += appeals;
        cov.appeals_won += won_n;

        // Step 9: end-of-day score rows and the day's figures.
        let mut grade_counts = vec![0u64; sc.score.grades.len()];
        let mut blacklisted = 0u64;
        let mut blacklisted_erroneous = 0u64;
        let mut score_rows = 0;
        for r in rows_t.iter().filter(|r| r.kind == AuditKind::Score) {
            let who = r.citizen as usize;
            let v = view(&st[who], who, t);
            let grade = sc.score.grades[v.grade].name.as_str();
            assert_eq!(
                (r.own_score_milli, r.effective_score_milli, r.grade.as_deref()),
                (Some(v.own), Some(v.eff), Some(grade)),
                "day {t}, citizen {who}: end-of-day score (G {} L {} E {} F {})",
                v.g,
                v.l,
                v.e,
                v.f
            );
            if age0[who] + t / YEAR >= u32::from(sc.population.adult_age) {
                grade_counts[v.grade] += 1;
            }
            score_rows += 1;
        }
        assert_eq!(score_rows, n, "day {t}: one score row per citizen");
        for c in &st {
            blacklisted += u64::from(c.listed);
            blacklisted_erroneous += u64::from(c.listed && !c.backed);
        }
        assert_eq!(m.correct_records, correct, "day {t}: correct records");
        assert_eq!(m.erroneous_records, erroneous, "day {t}: erroneous records");
        assert_eq!(m.denials, denials, "day {t}: denials");
        assert_eq!(m.wrongful_denials, wrongful, "day {t}: wrongful denials");
        assert_eq!(m.grants, grants, "day {t}: grants");
        assert_eq!((m.appeals, m.appeals_won), (appeals, won_n), "day {t}: appeals");
        assert_eq!(m.grade_counts, grade_counts, "day {t}: grade counts");
        assert_eq!((m.blacklisted, m.blacklisted_erroneous), (blacklisted, blacklisted_erroneous), "day {t}: listed");
        assert_eq!((m.listings_started, m.listings_ended), (listings_started, listings_ended), "day {t}: listings");
    }

    // The final state of every citizen.
    let t = days - 1;
    for (who, row) in rows.iter().enumerate() {
        let v = view(&st[who], who, t);
        assert_eq!(
            (
                row.gains_milli,
                row.losses_milli,
                row.erroneous_losses_milli,
                row.own_score_milli,
                row.effective_score_milli
            ),
            (v.g, v.l, v.e, v.own, v.eff),
            "citizen {who}: final score"
        );
        assert_eq!(
            (row.blacklisted, row.listing_backed),
            (v.listed, v.listed && v.backed),
            "citizen {who}: final listing"
        );
    }
    cov
}
