//! The blacklist (MODEL.md §5), sanctions and rewards (§6), school
//! enrolment through guardians, and appeals (§7), in scenarios built so that
//! who is sanctioned is known: everyone at grade D, everyone blacklisted,
//! everyone at grade AA, guardians of one age band at grade D.
//!
//! Statistical checks allow 5 standard deviations of a sum of independent
//! Bernoulli trials unless a comment says otherwise; seeds are fixed.

mod common;
use common::*;
use scorelab_engine::{AuditKind, CitizenRow, GroupDimension};
use scorelab_scenario::{ActivityKind, Scenario, Trigger};

/// Daily attempt probability of activity `k` for a citizen (§6), 0 outside its ages.
fn attempt(sc: &Scenario, k: usize, c: &CitizenRow) -> f64 {
    match &sc.activities[k].kind {
        ActivityKind::Daily { ages, rate_per_year, scale_by_decile } if ages.contains(c.age) => {
            let scale = if *scale_by_decile { f64::from(c.income_decile) } else { 1.0 };
            p_day(rate_per_year * scale / 365.0)
        }
        _ => 0.0,
    }
}

/// A citizen's group label in a breakdown (age band by the age at the end).
fn label(sc: &Scenario, dim: GroupDimension, c: &CitizenRow) -> String {
    match dim {
        GroupDimension::IncomeDecile => c.income_decile.to_string(),
        GroupDimension::Urban => (if c.urban { "urban" } else { "rural" }).to_string(),
        GroupDimension::Region => c.region.to_string(),
        GroupDimension::AgeBand => {
            let bands = &sc.population.age_bands;
            let i = bands.iter().rposition(|b| u32::from(b.min) <= c.age).unwrap_or(0);
            if i + 1 == bands.len() {
                format!("{}+", bands[i].min)
            } else {
                format!("{}-{}", bands[i].min, bands[i].max)
            }
        }
    }
}

fn is_daily(sc: &Scenario, k: usize) -> bool {
    matches!(sc.activities[k].kind, ActivityKind::Daily { .. })
}

/// Citizens' score held at `base` by a behaviour that never happens, and the
/// seed-article activities.
fn constant_score(base: f64, extra: &str) -> Scenario {
    custom(&format!(
        r#"
[score]
base = {base}
{extra}
[sources.s]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[behaviours.never]
source = "s"
ages = [0, 255]
rate_per_year = 0.0
points = -1.0
{ACTIVITIES}"#
    ))
}

/// §6: with everyone at grade D (B = 500), every attempt of an activity
/// sanctioned by `grade <= D` or `grade <= C` is denied: denials per activity
/// are Σ_i Σ_days 1 − exp(−a_i/365) (a scaled by the decile where the table
/// says so); `blacklisted`-only activities and rewards give nothing; nothing
/// is wrongful (E = 0) and no appeal is won (nothing erroneous).
#[test]
fn everyone_at_grade_d_is_denied_every_attempt() {
    let sc = constant_score(500.0, "");
    let days = 90;
    let r = run(&sc, 20_000, days, 61, vec![]);
    let rows = r.citizens();
    let totals = r.sim.totals();
    let groups = r.sim.groups();
    for (k, a) in sc.activities.iter().enumerate() {
        if !is_daily(&sc, k) {
            continue;
        }
        let graded = a.sanction.iter().any(|t| matches!(t, Trigger::GradeAtMost(_)));
        let denied = r.sum(|d| d.denials[k]);
        if graded {
            let (mut e, mut unique) = (Expect::default(), Expect::default());
            let mut by_decile = [Expect::default(); 10];
            for c in &rows {
                let p = attempt(&sc, k, c);
                e.add(p, f64::from(days));
                by_decile[usize::from(c.income_decile) - 1].add(p, f64::from(days));
                unique.add(1.0 - (1.0 - p).powi(days as i32), 1.0);
            }
            e.check(denied, 5.0, &format!("{}: denials", a.name));
            unique.check(totals.unique_denied[k], 5.0, &format!("{}: citizens ever denied", a.name));
            for g in groups.iter().filter(|g| g.activity == a.name && g.dimension == GroupDimension::IncomeDecile) {
                let d: usize = g.group.parse().expect("decile label");
                by_decile[d - 1].check(g.denials, 5.0, &format!("{}: denials in decile {d}", a.name));
            }
            // §9 breakdowns by urban/rural, age band (age on the day; constant
            // in 90 days) and region, with their expectations.
            for g in groups.iter().filter(|g| g.activity == a.name && g.dimension != GroupDimension::IncomeDecile) {
                let mut e = Expect::default();
                let mut members = 0u64;
                for c in rows.iter().filter(|c| label(&sc, g.dimension, c) == g.group) {
                    e.add(attempt(&sc, k, c), f64::from(days));
                    members += 1;
                }
                assert_eq!(g.citizens, members, "{} {:?} {}: citizens", a.name, g.dimension, g.group);
                e.check(g.denials, 5.0, &format!("{}: denials in {:?} {}", a.name, g.dimension, g.group));
            }
        } else {
            assert_eq!(denied, 0, "{}: only blacklisted citizens are denied it", a.name);
        }
        assert_eq!(r.sum(|d| d.grants[k]), 0, "{}: no grants at grade D", a.name);
        assert_eq!(r.sum(|d| d.wrongful_denials[k]), 0, "{}: nothing wrongful", a.name);
        for dim in GroupDimension::ALL {
            let s: u64 = groups.iter().filter(|g| g.activity == a.name && g.dimension == dim).map(|g| g.denials).sum();
            assert_eq!(s, denied, "{}: denials by {dim:?} add up", a.name);
        }
    }
    let d = r.days.last().expect("days");
    assert_eq!(d.grade_counts.last(), Some(&d.adults), "every adult at grade D");
    assert!(totals.appeals > 0);
    assert_eq!(totals.appeals_won, 0, "nothing erroneous: no appeal can be won");
}

/// §6: at grade AA (B = 1040) every attempt of an activity rewarded at
/// `grade >= AA` or `grade >= A` is granted, Σ 1 − exp(−a/365); at grade A
/// (B = 1000) only `grade >= A` rewards are; nobody is denied.
#[test]
fn rewards_are_granted_at_their_grades() {
    for (base, seed) in [(1040.0, 67u64), (1000.0, 71)] {
        let sc = constant_score(base, "");
        let days = 90;
        let r = run(&sc, 20_000, days, seed, vec![]);
        let rows = r.citizens();
        let grade = sc.score.grade_of((base * 1000.0) as i64);
        for (k, a) in sc.activities.iter().enumerate() {
            let granted = r.sum(|d| d.grants[k]);
            assert_eq!(r.sum(|d| d.denials[k]), 0, "base {base}: {} denied", a.name);
            let rewarded = a.reward.iter().any(|t| matches!(t, Trigger::GradeAtLeast(g) if grade <= *g));
            if rewarded && is_daily(&sc, k) {
                let mut e = Expect::default();
                rows.iter().for_each(|c| e.add(attempt(&sc, k, c), f64::from(days)));
                e.check(granted, 5.0, &format!("base {base}: {}: grants", a.name));
            } else {
                assert_eq!(granted, 0, "base {base}: {} granted", a.name);
            }
        }
    }
}

/// §5, §6: everyone blacklisted by a certain, correct judgment record every
/// day: every attempt of an activity with a `blacklisted` sanction is
/// denied; grade triggers are never met without a score; on day 243 every
/// child aged 6 or 12 is denied school through its (blacklisted) guardian,
/// counted for the guardian and the child; all listings are backed, so
/// nothing is wrongful and no appeal is won.
#[test]
fn everyone_blacklisted_is_denied_and_children_are_refused_school() {
    let sc = custom(&format!(
        r#"
[score]
enabled = false
[sources.court]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[behaviours.default]
source = "court"
ages = [0, 255]
rate_per_year = 1e9
points = 0.0
blacklist = true
{ACTIVITIES}"#
    ));
    let days = 244;
    let r = run(&sc, 10_000, days, 73, vec![]);
    let rows = r.citizens();
    let totals = r.sim.totals();
    for d in &r.days {
        assert_eq!(d.blacklisted, 10_000, "day {}: everyone listed", d.day);
        assert_eq!(d.blacklisted_erroneous, 0);
    }
    for (k, a) in sc.activities.iter().enumerate() {
        let denied = r.sum(|d| d.denials[k]);
        assert_eq!(r.sum(|d| d.grants[k]), 0, "{}: no score, no reward", a.name);
        assert_eq!(r.sum(|d| d.wrongful_denials[k]), 0, "{}: backed listings", a.name);
        if !is_daily(&sc, k) {
            continue;
        }
        if a.sanction.contains(&Trigger::Blacklisted) {
            let mut e = Expect::default();
            rows.iter().for_each(|c| e.add(attempt(&sc, k, c), f64::from(days)));
            e.check(denied, 5.0, &format!("{}: denials", a.name));
        } else {
            assert_eq!(denied, 0, "{}: grade triggers are never met without a score", a.name);
        }
    }
    // Day 243 is the school day; ages on it are the day-0 ages.
    let school = act(&sc, "school_enrolment");
    let children: Vec<&CitizenRow> = rows.iter().filter(|c| c.age == 6 || c.age == 12).collect();
    assert!(children.iter().all(|c| c.guardian.is_some()));
    let n = children.len() as u64;
    assert!(n > 100);
    assert_eq!(r.days[243].denials[school], n, "every child of 6 or 12 is refused school");
    assert_eq!(r.sum(|d| d.denials[school]), n, "only on day 243");
    assert_eq!(totals.school_denials, n);
    assert_eq!(totals.children_denied_school, n);
    for c in &rows {
        assert_eq!(c.denied_school_as_child, c.age == 6 || c.age == 12, "citizen {}", c.id);
    }
    for c in &children {
        let g = &rows[c.guardian.unwrap_or(0) as usize];
        assert!(g.ever_denied.iter().any(|a| a == "school_enrolment"), "guardian {} of {}", g.id, c.id);
    }
    assert!(totals.appeals > 0);
    assert_eq!(totals.appeals_won, 0, "backed listings: no appeal can be won");
}

/// §6 school enrolment with a grade trigger: guardians aged 40-64 get a
/// certain −1000-point record a day (grade D), the others keep B (grade A).
/// On day 243 a child aged 6 or 12 is denied exactly when its guardian is
/// aged 40-64; the denial counts for the guardian (ever denied, appeals) and
/// the child (`denied_school_as_child`), in the breakdowns with the child's
/// attributes; audit rows name the other party.
#[test]
fn school_enrolment_follows_the_guardians_grade() {
    let sc = custom(
        r#"
[sources.s]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[behaviours.stain]
source = "s"
ages = [40, 64]
rate_per_year = 1e9
points = -1000.0
[activities.school_enrolment]
kind = "school_enrolment"
enrolment_ages = [6, 12]
day_of_year = 243
sanction = { triggers = ["blacklisted", "grade <= C"] }
"#,
    );
    let n = 5_000u32;
    // Track the first 300 children aged 6 or 12 and their guardians.
    let probe = run(&sc, n, 1, 79, vec![]).citizens();
    let mut tracked: Vec<u32> = probe
        .iter()
        .filter(|c| c.age == 6 || c.age == 12)
        .take(300)
        .flat_map(|c| [c.id, c.guardian.unwrap_or(c.id)])
        .collect();
    tracked.sort_unstable();
    tracked.dedup();
    let mut r = run(&sc, n, 244, 79, tracked.clone());
    let rows = r.citizens();
    let school = act(&sc, "school_enrolment");
    let mut want = 0u64;
    let mut per_decile = [0u64; 10];
    let mut guardians_denied = std::collections::BTreeSet::new();
    for c in &rows {
        let denied = (c.age == 6 || c.age == 12) && {
            let g = &rows[c.guardian.expect("a child has a guardian") as usize];
            (40..=64).contains(&g.age)
        };
        assert_eq!(c.denied_school_as_child, denied, "child {}", c.id);
        if denied {
            want += 1;
            per_decile[usize::from(c.income_decile) - 1] += 1;
            guardians_denied.insert(c.guardian.unwrap_or(0));
        }
    }
    assert!(want > 50);
    assert_eq!(r.days[243].denials[school], want);
    assert_eq!(r.sum(|d| d.wrongful_denials[school]), 0);
    assert_eq!(r.sim.totals().children_denied_school, want);
    for c in &rows {
        let ever = c.ever_denied.iter().any(|a| a == "school_enrolment");
        assert_eq!(ever, guardians_denied.contains(&c.id), "citizen {} ever denied school", c.id);
    }
    for g in r
        .sim
        .groups()
        .iter()
        .filter(|g| g.dimension == GroupDimension::IncomeDecile && g.activity == "school_enrolment")
    {
        let d: usize = g.group.parse().expect("decile");
        assert_eq!(g.denials, per_decile[d - 1], "school denials in decile {d} (child's decile)");
    }
    // Audit: a child's denial row names the guardian and vice versa.
    let audit = r.sim.take_audit();
    let mut child_rows = 0;
    for a in audit.iter().filter(|a| a.kind == AuditKind::Denial) {
        assert_eq!(a.day, 243);
        assert_eq!(a.rule.as_deref(), Some("guardian: grade <= C"));
        assert_eq!(a.wrongful, Some(false));
        let other = a.other.expect("school denial names the other party");
        let (child, guardian) = if rows[a.citizen as usize].age < 18 { (a.citizen, other) } else { (other, a.citizen) };
        assert_eq!(rows[child as usize].guardian, Some(guardian));
        child_rows += u32::from(child == a.citizen);
    }
    let tracked_children_denied = tracked.iter().filter(|&&i| rows[i as usize].denied_school_as_child).count() as u32;
    assert_eq!(child_rows, tracked_children_denied);
}

/// §5: a listing leaves each day with probability q = 1 − 2^(−1/h_list),
/// drawn before the day's entries. Everyone is 17 and gets a certain
/// judgment record every day of year 0, so everyone is listed at the start
/// of days 1..364: exits on those days are Binomial(364·N, q), and every
/// exit is re-listed on the same day.
#[test]
fn blacklist_exit_probability() {
    let sc = custom(
        r#"
[population]
age_bands = [{ min = 17, max = 17, share = 1.0 }]
aware_share = 0.0
[score]
enabled = false
[sources.court]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[behaviours.default]
source = "court"
ages = [17, 17]
rate_per_year = 1e9
points = 0.0
blacklist = true
[activities]
"#,
    );
    let n = 20_000u32;
    let r = run(&sc, n, 365, 83, vec![]);
    let q = 1.0 - (-1.0f64 / 365.0).exp2();
    assert_eq!(r.days[0].listings_started, u64::from(n));
    let mut e = Expect::default();
    e.add(q, f64::from(n) * 364.0);
    let exits: u64 = r.days[1..].iter().map(|d| d.listings_ended).sum();
    e.check(exits, 5.0, "daily exits of listed citizens");
    for d in &r.days[1..] {
        assert_eq!(d.listings_started, d.listings_ended, "day {}: exits are re-listed the same day", d.day);
        assert_eq!(d.blacklisted, u64::from(n));
    }
}

/// §5 at steady state: judgment records at 0.2 a year put citizens on the
/// list; a listing started on day s is still there on day T with
/// probability 2^(−(T−s)/365) if T − s < 730, else 0 (the two-year term).
/// Given the day's entries, the listed count on day T has expectation
/// Σ_s entries_s · that survival (Σ S(1 − S) variance, 5 sd); on day 999
/// the same sum without the term must be rejected (more than 5 sd off).
/// Entries on a day are Binomial(unlisted after the day's exits, p).
#[test]
fn blacklist_entries_and_steady_state_with_the_term() {
    let sc = custom(
        r#"
[population]
aware_share = 0.0
[score]
enabled = false
[appeals]
enabled = false
[sources.court]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[behaviours.default]
source = "court"
ages = [0, 255]
rate_per_year = 0.2
points = 0.0
blacklist = true
[activities]
"#,
    );
    let (n, days) = (10_000u32, 1000u32);
    let r = run(&sc, n, days, 89, vec![]);
    let p = p_day(0.2 / 365.0);
    let mut entries = Expect::default();
    let mut listed_before = 0u64;
    for d in &r.days {
        entries.add(p, (u64::from(n) - (listed_before - d.listings_ended)) as f64);
        assert_eq!(d.blacklisted, listed_before + d.listings_started - d.listings_ended, "day {}: list balance", d.day);
        assert_eq!(d.blacklisted_erroneous, 0);
        listed_before = d.blacklisted;
    }
    entries.check(r.sum(|d| d.listings_started), 5.0, "listings started");
    let survive = |k: u32| if k < 730 { (-(f64::from(k)) / 365.0).exp2() } else { 0.0 };
    for t in [300u32, 600, 800, 999] {
        let mut e = Expect::default();
        for s in 0..=t {
            e.add(survive(t - s), r.days[s as usize].listings_started as f64);
        }
        e.check(r.days[t as usize].blacklisted, 5.0, &format!("listed on day {t}"));
    }
    // Power: a list without the two-year term would hold many more on day 999.
    let mut no_term = Expect::default();
    for s in 0..=999u32 {
        no_term.add((-(f64::from(999 - s)) / 365.0).exp2(), r.days[s as usize].listings_started as f64);
    }
    let z = (r.days[999].blacklisted as f64 - no_term.mean) / no_term.var.sqrt();
    assert!(z < -5.0, "day 999 cannot tell the term apart (z = {z:.1} against no term)");
}

/// §7: a citizen with a denial in the last 30 days (today included) appeals
/// with probability 0.02 a day; with something erroneous the appeal is won
/// with probability 0.5. Everyone is 17 with an unbacked listing renewed
/// every day by a spurious record, and is denied every day of year 0 (a
/// certain attempt, ages 17-17): appeals are Binomial(N, 0.02) on each of
/// days 0..=393 (the last denial is on day 364) and none from day 394;
/// given the appeals, wins are Binomial(appeals, 0.5). Every denial is
/// wrongful (unbacked listing).
#[test]
fn appeals_rate_window_and_won_share() {
    let sc = custom(
        r#"
[population]
age_bands = [{ min = 17, max = 17, share = 1.0 }]
[sources.court]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 1e9
[behaviours.smear]
source = "court"
ages = [0, 255]
rate_per_year = 0.0
points = -1.0
blacklist = true
[activities.probe]
ages = [17, 17]
rate_per_year = 1e9
sanction = { triggers = ["blacklisted"] }
"#,
    );
    let n = 5_000u32;
    let r = run(&sc, n, 400, 97, vec![]);
    let nf = f64::from(n);
    for d in &r.days[..365] {
        assert_eq!(d.denials[0], u64::from(n), "day {}: everyone denied", d.day);
        assert_eq!(d.wrongful_denials[0], u64::from(n), "day {}: every denial wrongful", d.day);
    }
    let mut all = Expect::default();
    all.add(0.02, nf * 394.0);
    all.check(r.days[..394].iter().map(|d| d.appeals).sum(), 5.0, "appeals on days 0..=393");
    let mut tail = Expect::default();
    tail.add(0.02, nf * 29.0);
    tail.check(
        r.days[365..394].iter().map(|d| d.appeals).sum(),
        5.0,
        "appeals on days 365..=393 (after the last denial)",
    );
    assert!(r.days[393].appeals > 0);
    for d in &r.days[394..] {
        assert_eq!(d.appeals, 0, "day {}: the 30-day window is over", d.day);
    }
    let appeals = r.sum(|d| d.appeals);
    let mut won = Expect::default();
    won.add(0.5, appeals as f64);
    won.check(r.sum(|d| d.appeals_won), 5.0, "appeals won");
}

/// §9, §11: denials by age band use the age on the day of the denial.
/// The breakdown's bands are the population's (the last one open-ended):
/// citizens aged 13-14 and 15-16 on day 0, all at grade D, over 400 days:
/// a citizen of 14 is denied high-speed rail under `13-14` in year 0 and
/// under `15+` from day 365 on.
#[test]
fn denials_by_age_band_use_the_age_on_the_day() {
    let sc = constant_score(
        500.0,
        "[population]\nage_bands = [{ min = 13, max = 14, share = 0.5 }, { min = 15, max = 16, share = 0.5 }]",
    );
    let days = 400u32;
    let r = run(&sc, 5_000, days, 191, vec![]);
    let rows = r.citizens();
    let k = act(&sc, "high_speed_rail");
    let (mut young, mut older) = (Expect::default(), Expect::default());
    for c in &rows {
        let a0 = age0(c, days);
        let p = attempt(&sc, k, c); // the decile scaling; ages 13-17 are all eligible
        for (age, n) in [(a0, 365.0), (a0 + 1, 35.0)] {
            if age <= 14 {
                young.add(p, n)
            } else {
                older.add(p, n)
            }
        }
    }
    let groups = r.sim.groups();
    let band = |label: &str| {
        groups
            .iter()
            .find(|g| g.activity == "high_speed_rail" && g.dimension == GroupDimension::AgeBand && g.group == label)
            .map_or(0, |g| g.denials)
    };
    young.check(band("13-14"), 5.0, "high_speed_rail denials at ages 13-14 on the day");
    older.check(band("15+"), 5.0, "high_speed_rail denials at ages 15+ on the day");
    assert_eq!(band("13-14") + band("15+"), r.sum(|d| d.denials[k]));
}
