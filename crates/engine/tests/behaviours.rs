//! Behaviours and records (MODEL.md §2, §3, §11) checked against
//! expectations computed from each run's own population: event rates,
//! trait slopes and urban multipliers, pressure (deterrence and boost),
//! coverage, misattribution and spurious records.
//!
//! Counts are sums of independent Bernoulli trials (one per citizen, day and
//! behaviour), so the expectation is Σ p and the variance Σ p(1 − p);
//! every check allows 5 standard deviations unless a comment says
//! otherwise. Seeds are fixed: the tests are deterministic.

mod common;
use common::*;
use scorelab_engine::AuditKind;
use std::collections::HashMap;

/// MODEL.md §2 with no pressure: every behaviour of seed-article, run as
/// `baseline` (nothing penalised, so P = 0), has Σ_i Σ_days p_ib true
/// events; its records split by coverage and misattribution (§3): correct
/// Σ p·cov·(1 − m), erroneous Σ p·cov·m, and no spurious records at all.
#[test]
fn every_behaviour_has_its_rate_without_pressure() {
    let sc = builtin("baseline");
    let days = 200;
    let r = run(&sc, 40_000, days, 21, vec![]);
    let rows = r.citizens();
    for (b, beh) in sc.behaviours.iter().enumerate() {
        let src = &sc.sources[beh.source];
        let (mut events, mut correct, mut erroneous) = (Expect::default(), Expect::default(), Expect::default());
        for c in &rows {
            let n = f64::from(eligible_days(age0(c, days), beh.ages.min, beh.ages.max, days));
            if n == 0.0 {
                continue;
            }
            let p = p_day(daily_rate(beh, c));
            let cov = if c.urban { src.coverage_urban } else { src.coverage_rural };
            events.add(p, n);
            correct.add(p * cov * (1.0 - src.misattribution), n);
            erroneous.add(p * cov * src.misattribution, n);
        }
        let name = &beh.name;
        events.check(r.sum(|d| d.true_events[b]), 5.0, &format!("{name}: true events"));
        correct.check(r.sum(|d| d.correct_records[b]), 5.0, &format!("{name}: correct records"));
        erroneous.check(r.sum(|d| d.erroneous_records[b]), 5.0, &format!("{name}: erroneous (misattributed) records"));
    }
}

fn slopes_scenario() -> scorelab_scenario::Scenario {
    custom(
        r#"
[score]
enabled = false
[blacklist]
enabled = false

[sources.all]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[sources.urban_only]
coverage_urban = 1.0
coverage_rural = 0.0
misattribution = 0.0
false_flags_per_year = 0.0
[sources.rural_only]
coverage_urban = 0.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[sources.cameras]
coverage_urban = 0.7
coverage_rural = 0.25
misattribution = 0.0
false_flags_per_year = 0.0
[sources.cameras_urban]
coverage_urban = 0.7
coverage_rural = 0.0
misattribution = 0.0
false_flags_per_year = 0.0
[sources.cameras_rural]
coverage_urban = 0.0
coverage_rural = 0.25
misattribution = 0.0
false_flags_per_year = 0.0

[behaviours.compliance_up]
source = "all"
ages = [0, 255]
rate_per_year = 4.0
compliance_slope = 3.0
points = 0.0
[behaviours.compliance_down]
source = "all"
ages = [0, 255]
rate_per_year = 4.0
compliance_slope = -3.0
points = 0.0
[behaviours.dissent_up]
source = "all"
ages = [0, 255]
rate_per_year = 4.0
dissent_slope = 4.0
points = 0.0
[behaviours.mixed]
source = "all"
ages = [15, 60]
rate_per_year = 4.0
compliance_slope = -2.0
dissent_slope = 3.0
urban_multiplier = 1.7
points = 0.0
[behaviours.urban_seen]
source = "urban_only"
ages = [0, 255]
rate_per_year = 4.0
urban_multiplier = 2.5
points = 0.0
[behaviours.rural_seen]
source = "rural_only"
ages = [0, 255]
rate_per_year = 4.0
urban_multiplier = 2.5
points = 0.0
[behaviours.camera_seen]
source = "cameras"
ages = [18, 80]
rate_per_year = 6.0
urban_multiplier = 1.3
points = 0.0
[behaviours.camera_urban]
source = "cameras_urban"
ages = [18, 80]
rate_per_year = 6.0
urban_multiplier = 1.3
points = 0.0
[behaviours.camera_rural]
source = "cameras_rural"
ages = [18, 80]
rate_per_year = 6.0
urban_multiplier = 1.3
points = 0.0

[activities]
"#,
    )
}

/// MODEL.md §2: λ_b·exp(β_c(c − ½) + β_d(d − ½))·u_b. Behaviours that
/// isolate each factor; `urban_seen` / `rural_seen` are seen only in urban /
/// only in rural citizens, so their records are the urban / rural events
/// alone (u_b applies to urban citizens only).
#[test]
fn trait_slopes_and_urban_multiplier() {
    let sc = slopes_scenario();
    let days = 100;
    let r = run(&sc, 20_000, days, 23, vec![]);
    let rows = r.citizens();
    for name in ["compliance_up", "compliance_down", "dissent_up", "mixed", "urban_seen", "rural_seen"] {
        let b = beh(&sc, name);
        let beh = &sc.behaviours[b];
        let (mut events, mut urban, mut rural) = (Expect::default(), Expect::default(), Expect::default());
        for c in &rows {
            let n = f64::from(eligible_days(age0(c, days), beh.ages.min, beh.ages.max, days));
            let p = p_day(daily_rate(beh, c));
            events.add(p, n);
            if c.urban {
                urban.add(p, n)
            } else {
                rural.add(p, n)
            }
        }
        let got = r.sum(|d| d.true_events[b]);
        events.check(got, 5.0, &format!("{name}: true events"));
        let recorded = r.sum(|d| d.correct_records[b]);
        match name {
            "urban_seen" => urban.check(recorded, 5.0, "urban_seen: records (= urban events)"),
            "rural_seen" => rural.check(recorded, 5.0, "rural_seen: records (= rural events)"),
            _ => assert_eq!(recorded, got, "{name}: coverage 1 and m = 0 record every event"),
        }
        assert_eq!(r.sum(|d| d.erroneous_records[b]), 0, "{name}: no erroneous records");
    }
}

/// MODEL.md §3: a true event is recorded with probability coverage(urban);
/// a source with (0.7, 0.25) records Σ p·cov; split by class with sources
/// that see one class only.
#[test]
fn coverage_by_urban_and_rural() {
    let sc = slopes_scenario();
    let days = 100;
    let r = run(&sc, 20_000, days, 29, vec![]);
    let rows = r.citizens();
    for (name, cu, cr) in [("camera_seen", 0.7, 0.25), ("camera_urban", 0.7, 0.0), ("camera_rural", 0.0, 0.25)] {
        let b = beh(&sc, name);
        let beh = &sc.behaviours[b];
        let mut records = Expect::default();
        for c in &rows {
            let n = f64::from(eligible_days(age0(c, days), beh.ages.min, beh.ages.max, days));
            records.add(p_day(daily_rate(beh, c)) * if c.urban { cu } else { cr }, n);
        }
        records.check(r.sum(|d| d.correct_records[b]), 5.0, &format!("{name}: correct records"));
    }
}

/// MODEL.md §3 and §11: a recorded event goes to another citizen with
/// probability m (erroneous for the target), drawn uniformly among the
/// citizens of the actor's region inside the behaviour's age range, never
/// the actor.
#[test]
fn misattribution_rate_and_targets() {
    let sc = custom(
        r#"
[population]
regions = 3
aware_share = 0.0
[sources.noisy]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.3
false_flags_per_year = 0.0
[behaviours.act]
source = "noisy"
ages = [20, 50]
rate_per_year = 10.0
compliance_slope = -1.0
urban_multiplier = 1.5
points = -1.0
[activities]
"#,
    );
    let (n, days) = (6_000u32, 60u32);
    let tracked: Vec<u32> = (0..n).step_by(4).collect();
    let mut r = run(&sc, n, days, 31, tracked.clone());
    let rows = r.citizens();
    let beh = &sc.behaviours[0];

    // Given R recorded events, the erroneous ones are Binomial(R, m).
    let correct = r.sum(|d| d.correct_records[0]);
    let erroneous = r.sum(|d| d.erroneous_records[0]);
    let mut e = Expect::default();
    e.add(0.3, (correct + erroneous) as f64);
    e.check(erroneous, 5.0, "misattributed records given the recorded events");

    // Targets: a tracked eligible citizen j of region r receives, per day,
    // Σ_{a ≠ j eligible in r} p_a · m / (n_r − 1) misattributed records in
    // expectation; independent rare trials, variance ≈ Σ q(1 − q).
    let eligible = |c: &scorelab_engine::CitizenRow| (20..=50).contains(&c.age);
    let mut sum_p = [0.0f64; 3];
    let mut count = [0u32; 3];
    for c in rows.iter().filter(|c| eligible(c)) {
        sum_p[usize::from(c.region)] += p_day(daily_rate(beh, c));
        count[usize::from(c.region)] += 1;
    }
    let mut received = Expect::default();
    for &j in &tracked {
        let c = &rows[j as usize];
        if eligible(c) {
            let rg = usize::from(c.region);
            let q = 0.3 * (sum_p[rg] - p_day(daily_rate(beh, c))) / f64::from(count[rg] - 1);
            received.add(q, f64::from(days));
        }
    }
    let audit = r.sim.take_audit();
    let mut got = 0u64;
    for row in audit.iter().filter(|a| a.kind == AuditKind::Record) {
        let target = &rows[row.citizen as usize];
        match row.detail.as_deref() {
            Some("misattributed") => {
                let actor = row.actor.expect("a misattributed record names its actor");
                assert_ne!(actor, row.citizen, "a record misattributed to its own actor");
                let a = &rows[actor as usize];
                assert_eq!(a.region, target.region, "misattributed across regions");
                assert!(eligible(a) && eligible(target), "ages outside the behaviour's range");
                assert_eq!(row.erroneous, Some(true));
                got += 1;
            }
            Some("correct") => {
                assert_eq!(row.actor, None);
                assert_eq!(row.erroneous, Some(false));
                assert!(eligible(target));
            }
            other => panic!("unexpected record kind {other:?}"),
        }
    }
    received.check(got, 5.0, "misattributed records received by tracked citizens");
}

/// MODEL.md §3, §11: spurious records at φ/365 a day (the engine uses the
/// probability 1 − e^(−φ/365), documented; the difference is O(φ²/365²)),
/// at most one per behaviour per day, only for citizens inside the age
/// range, and only for penalised behaviours (negative points or a
/// blacklisting record), never for rewarded or neutral ones.
#[test]
fn spurious_records_only_for_penalised_behaviours() {
    let sc = custom(
        r#"
[population]
aware_share = 0.0
[sources.flags]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.5
false_flags_per_year = 73.0
[behaviours.penalised]
source = "flags"
ages = [18, 60]
rate_per_year = 0.0
points = -1.0
[behaviours.rewarded]
source = "flags"
ages = [0, 255]
rate_per_year = 0.0
points = 1.0
[behaviours.neutral]
source = "flags"
ages = [0, 255]
rate_per_year = 0.0
points = 0.0
[behaviours.listing]
source = "flags"
ages = [30, 40]
rate_per_year = 0.0
points = 0.0
blacklist = true
[activities]
"#,
    );
    let (n, days) = (20_000u32, 60u32);
    let tracked: Vec<u32> = (0..n).step_by(50).collect();
    let mut r = run(&sc, n, days, 37, tracked);
    let rows = r.citizens();
    let p = p_day(73.0 / 365.0);
    for name in ["penalised", "listing"] {
        let b = beh(&sc, name);
        let ages = sc.behaviours[b].ages;
        let mut e = Expect::default();
        for c in &rows {
            e.add(p, f64::from(eligible_days(age0(c, days), ages.min, ages.max, days)));
        }
        e.check(r.sum(|d| d.erroneous_records[b]), 5.0, &format!("{name}: spurious records"));
        assert_eq!(r.sum(|d| d.correct_records[b] + d.true_events[b]), 0, "{name}: no events");
    }
    for name in ["rewarded", "neutral"] {
        let b = beh(&sc, name);
        assert_eq!(r.sum(|d| d.erroneous_records[b] + d.correct_records[b]), 0, "{name} got records");
    }
    let audit = r.sim.take_audit();
    let mut seen = 0;
    for row in audit.iter().filter(|a| a.kind == AuditKind::Record) {
        assert_eq!(row.detail.as_deref(), Some("spurious"));
        assert_eq!(row.erroneous, Some(true));
        let b = beh(&sc, row.behaviour.as_deref().unwrap_or(""));
        let ages = sc.behaviours[b].ages;
        assert!(ages.contains(rows[row.citizen as usize].age), "spurious record outside the age range");
        seen += 1;
    }
    assert!(seen > 1000, "tracked citizens saw {seen} spurious records");
}

/// MODEL.md §2 pressure: P = min(1, g + max(0, (B − Ŝ(t−1))/W)) for aware
/// citizens, 0 for the others; penalised rates × (1 − κP), rewarded × (1 +
/// γP), neutral ones untouched. A certain behaviour of −1000 points a day
/// pins everyone's score at S_min = 900 from the end of day 0, so P is known
/// exactly: g on day 0 (Ŝ(−1) = B), min(1, g + 100/W) after.
#[test]
fn pressure_scales_penalised_and_rewarded_rates() {
    for (width, seed) in [(200.0, 41u64), (40.0, 43)] {
        let sc = custom(&format!(
            r#"
[population]
aware_share = 0.5
[network]
weight = 0.0
[pressure]
general_deterrence = 0.3
width_points = {width}
[score]
base = 1000.0
min = 900.0
max = 2000.0
grades = [{{ name = "A", min = 950.0 }}, {{ name = "B" }}]
[sources.s]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[behaviours.anchor]
source = "s"
ages = [0, 255]
rate_per_year = 1e9
points = -1000.0
[behaviours.penalised]
source = "s"
ages = [0, 255]
rate_per_year = 6.0
compliance_slope = -1.0
points = -1.0
deterrence = 0.5
[behaviours.silenced]
source = "s"
ages = [0, 255]
rate_per_year = 6.0
points = -1.0
deterrence = 1.0
[behaviours.listing]
source = "s"
ages = [0, 255]
rate_per_year = 6.0
points = 0.0
blacklist = true
deterrence = 0.4
[behaviours.rewarded]
source = "s"
ages = [0, 255]
rate_per_year = 6.0
points = 1.0
boost = 1.5
[behaviours.neutral]
source = "s"
ages = [0, 255]
rate_per_year = 6.0
points = 0.0
deterrence = 0.9
boost = 2.0
[activities]
"#
        ));
        let days = 60;
        let r = run(&sc, 20_000, days, seed, vec![]);
        let rows = r.citizens();
        assert!(rows.iter().all(|c| c.own_score_milli == 900_000), "scores pinned at S_min");
        let p1 = (0.3f64 + 100.0 / width).min(1.0);
        for (name, factor) in [
            ("penalised", Box::new(|p: f64| 1.0 - 0.5 * p) as Box<dyn Fn(f64) -> f64>),
            ("silenced", Box::new(|p: f64| 1.0 - p)),
            ("listing", Box::new(|p: f64| 1.0 - 0.4 * p)),
            ("rewarded", Box::new(|p: f64| 1.0 + 1.5 * p)),
            ("neutral", Box::new(|_| 1.0)),
        ] {
            let b = beh(&sc, name);
            let beh = &sc.behaviours[b];
            let mut e = Expect::default();
            for c in &rows {
                let x = daily_rate(beh, c);
                if c.aware {
                    e.add(p_day(x * factor(0.3)), 1.0);
                    e.add(p_day(x * factor(p1)), f64::from(days - 1));
                } else {
                    e.add(p_day(x), f64::from(days));
                }
            }
            e.check(r.sum(|d| d.true_events[b]), 5.0, &format!("W = {width}: {name}: true events"));
        }
    }
}

/// MODEL.md §2 and §11: seed-article with everyone aware against
/// `baseline` with the same seed. The runs are coupled draw for draw, so on
/// every day a penalised behaviour has no more events than in the baseline,
/// and a rewarded one no fewer. Since g ≤ P ≤ 1 for the aware, the totals
/// lie between the expectations at P = 1 and at P = g (5 sd outside).
#[test]
fn deterrence_against_the_coupled_baseline() {
    let scored = seed_with("[population]\naware_share = 1.0\n");
    let base = builtin("baseline");
    let (n, days, seed) = (20_000u32, 120u32, 47u64);
    let s = run(&scored, n, days, seed, vec![]);
    let b0 = run(&base, n, days, seed, vec![]);
    let rows = s.citizens();
    assert!(rows.iter().all(|c| c.aware));
    let g = scored.pressure.general_deterrence;
    for (b, beh) in scored.behaviours.iter().enumerate() {
        let penalised = scored.is_penalised(b);
        let rewarded = scored.is_rewarded(b);
        for (ds, db) in s.days.iter().zip(&b0.days) {
            let (x, y) = (ds.true_events[b], db.true_events[b]);
            if penalised {
                assert!(x <= y, "{}: day {}: {x} events scored > {y} in baseline", beh.name, ds.day);
            }
            if rewarded {
                assert!(x >= y, "{}: day {}: {x} events scored < {y} in baseline", beh.name, ds.day);
            }
        }
        let (mut at_g, mut at_1) = (Expect::default(), Expect::default());
        let factor = |p: f64| {
            if penalised {
                1.0 - beh.deterrence * p
            } else if rewarded {
                1.0 + beh.boost * p
            } else {
                1.0
            }
        };
        for c in &rows {
            let n = f64::from(eligible_days(age0(c, days), beh.ages.min, beh.ages.max, days));
            let x = daily_rate(beh, c);
            at_g.add(p_day(x * factor(g)), n);
            at_1.add(p_day(x * factor(1.0)), n);
        }
        let got = s.sum(|d| d.true_events[b]) as f64;
        let (lo, hi) = if penalised || !rewarded { (at_1, at_g) } else { (at_g, at_1) };
        assert!(
            got >= lo.mean - 5.0 * lo.var.sqrt() && got <= hi.mean + 5.0 * hi.var.sqrt(),
            "{}: {got} events, expected between {:.0} and {:.0}",
            beh.name,
            lo.mean,
            hi.mean
        );
        let total_base = b0.sum(|d| d.true_events[b]) as f64;
        eprintln!("{:>28}: scored/baseline = {:.3}", beh.name, got / total_base);
    }
}

/// MODEL.md §11: court-blacklist has no score but a blacklist: aware
/// citizens feel P = g (Ŝ = B), so its one penalised behaviour
/// (judgment_default) runs at λ(1 − κg) for them; nothing else is touched.
#[test]
fn court_blacklist_keeps_general_deterrence() {
    let sc = scenario("extends = \"court-blacklist\"\nname = \"cb\"\ndescription = \"x\"\n[population]\naware_share = 1.0\n[behaviours.judgment_default]\nrate_per_year = 3.0\n[burn_in]\ndays = 0\n");
    let days = 60;
    let r = run(&sc, 20_000, days, 53, vec![]);
    let rows = r.citizens();
    let mut per: HashMap<&str, Expect> = HashMap::new();
    for (b, beh) in sc.behaviours.iter().enumerate() {
        let k = if sc.is_penalised(b) { 1.0 - beh.deterrence * 0.3 } else { 1.0 };
        let e = per.entry(beh.name.as_str()).or_default();
        for c in &rows {
            let n = f64::from(eligible_days(age0(c, days), beh.ages.min, beh.ages.max, days));
            e.add(p_day(daily_rate(beh, c) * k), n);
        }
        e.check(r.sum(|d| d.true_events[b]), 5.0, &format!("court-blacklist: {}", beh.name));
    }
    assert!(sc.is_penalised(beh(&sc, "judgment_default")));
    assert!(!sc.is_penalised(beh(&sc, "fake_news_post")), "no score: points penalise nothing");
}

/// MODEL.md §2, §11: rates follow the age on the day (day-0 age + ⌊t/365⌋),
/// changing on year starts. Citizens aged 18-22 on day 0 over three years:
/// a behaviour of age 20 only is done by each citizen in at most one year,
/// one of ages 19-21 in up to three; expectation from eligible days.
#[test]
fn rates_follow_the_age_across_year_starts() {
    let sc = custom(
        r#"
[population]
age_bands = [{ min = 18, max = 22, share = 1.0 }]
[score]
enabled = false
[blacklist]
enabled = false
[sources.all]
coverage_urban = 1.0
coverage_rural = 1.0
misattribution = 0.0
false_flags_per_year = 0.0
[behaviours.twenty]
source = "all"
ages = [20, 20]
rate_per_year = 10.0
compliance_slope = 1.0
points = 0.0
[behaviours.around_twenty]
source = "all"
ages = [19, 21]
rate_per_year = 5.0
urban_multiplier = 2.0
points = 0.0
[activities]
"#,
    );
    let days = 3 * 365;
    let r = run(&sc, 10_000, days, 59, vec![]);
    let rows = r.citizens();
    for (b, beh) in sc.behaviours.iter().enumerate() {
        for year in 0..3u32 {
            let mut e = Expect::default();
            for c in &rows {
                let a = age0(c, days) + year;
                if beh.ages.contains(a) {
                    e.add(p_day(daily_rate(beh, c)), 365.0);
                }
            }
            let got: u64 =
                r.days[(year * 365) as usize..((year + 1) * 365) as usize].iter().map(|d| d.true_events[b]).sum();
            e.check(got, 5.0, &format!("{} in year {year}", beh.name));
        }
    }
}
