//! Validation of the shipped scenarios: for each one, a figure its document
//! (docs/scenarios/<name>.md) predicts from the scenario's own numbers,
//! checked against a simulation within a stated Monte Carlo tolerance
//! (5 standard deviations). Run with `--nocapture` to see each prediction
//! beside its simulated value; the documents quote those lines.

mod common;

use common::{builtin, daily_rate, p_day, run, Expect};
use scorelab_engine::CitizenRow;
use scorelab_scenario::Scenario;

/// Σ_{k=0}^{n-1} r^k.
fn geometric(r: f64, n: u32) -> f64 {
    (0..n).map(|k| r.powi(k as i32)).sum()
}

/// The pressure of a citizen whose effective score stays at or above B:
/// g if aware, else 0 (MODEL.md §2; the gap term is left out, which the
/// tolerance absorbs: it moves only citizens below B, and them slightly).
fn pressure(sc: &Scenario, c: &CitizenRow) -> f64 {
    if c.aware {
        sc.pressure.general_deterrence
    } else {
        0.0
    }
}

/// Expected points (thousandths) that citizen `c`'s records add to the
/// own score by day `t_end` (records on days 0..=t_end, each decayed to
/// t_end), and their variance: every behaviour's recorded events and, for
/// penalised ones, spurious records. Ages must not change over the days.
fn expected_points(sc: &Scenario, c: &CitizenRow, t_end: u32) -> (f64, f64) {
    let h = sc.score.half_life_days;
    let decay = (-1.0 / h).exp2();
    let (sum1, sum2) = (geometric(decay, t_end + 1), geometric(decay * decay, t_end + 1));
    let (mut mean, mut var) = (0.0, 0.0);
    for (b, beh) in sc.behaviours.iter().enumerate() {
        if !beh.ages.contains(c.age) {
            continue;
        }
        let src = &sc.sources[beh.source];
        let p = pressure(sc, c);
        let mut mult = 1.0;
        if sc.is_penalised(b) {
            mult *= 1.0 - beh.deterrence * p;
        }
        if sc.is_rewarded(b) {
            mult *= 1.0 + beh.boost * p;
        }
        let coverage = if c.urban { src.coverage_urban } else { src.coverage_rural };
        let mut per_day = p_day(daily_rate(beh, c) * mult) * coverage;
        if sc.is_penalised(b) {
            per_day += p_day(src.false_flags_per_year / 365.0);
        }
        let points = beh.points_milli as f64;
        mean += points * per_day * sum1;
        var += points * points * per_day * sum2;
    }
    (mean, var)
}

/// rongcheng's document predicts the mean score of adults after the first
/// year from the catalogue: B plus every behaviour's expected recorded
/// points, decayed (no network, no clamps reached).
#[test]
fn rongcheng_mean_score_after_the_first_year() {
    let sc = builtin("rongcheng");
    let days = 365;
    let r = run(&sc, 40_000, days, 21, Vec::new());
    let adults: Vec<CitizenRow> = r.citizens().into_iter().filter(|c| c.age >= 18).collect();
    let (mut mean, mut var) = (0.0, 0.0);
    for c in &adults {
        let (m, v) = expected_points(&sc, c, days - 1);
        mean += sc.score.base_milli as f64 + m;
        var += v;
    }
    let observed: i64 = adults.iter().map(|c| c.effective_score_milli).sum();
    let n = adults.len() as f64;
    eprintln!(
        "rongcheng: mean score of adults on day {}: predicted {:.2}, simulated {:.2} points",
        days - 1,
        mean / n / 1000.0,
        observed as f64 / n / 1000.0
    );
    let shares: Vec<String> = r.days[days as usize - 1]
        .grade_counts
        .iter()
        .zip(&sc.score.grades)
        .map(|(k, g)| format!("{} {:.2}%", g.name, 100.0 * *k as f64 / n))
        .collect();
    eprintln!("rongcheng: adults per grade on day {}: {}", days - 1, shares.join(", "));
    let z = (observed as f64 - mean) / var.sqrt();
    assert!(z.abs() <= 5.0, "rongcheng mean score: z = {z:.2}");
}

/// sesame's document predicts the mean own score after its two-year
/// burn-in from the factor-weighted points, and says the factors add up
/// to the effective score.
#[test]
fn sesame_mean_score_after_the_burn_in_and_factors_that_add_up() {
    let sc = builtin("sesame");
    assert_eq!(sc.burn_in_days, 730);
    let days = sc.burn_in_days + 1;
    let tracked: Vec<u32> = (0..40).map(|k| k * 500).collect();
    let r = run(&sc, 20_000, days, 5, tracked.clone());
    let rows = r.citizens();
    let t_end = days - 1;
    let (mut mean, mut var) = (0.0, 0.0);
    for c in &rows {
        let (m, v) = expected_points(&sc, c, t_end);
        mean += sc.score.base_milli as f64 + m;
        var += v;
    }
    let observed: i64 = rows.iter().map(|c| c.own_score_milli).sum();
    let n = rows.len() as f64;
    eprintln!(
        "sesame: mean own score on day {t_end}: predicted {:.2}, simulated {:.2} points",
        mean / n / 1000.0,
        observed as f64 / n / 1000.0
    );
    let z = (observed as f64 - mean) / var.sqrt();
    assert!(z.abs() <= 5.0, "sesame mean own score: z = {z:.2}");

    // The breakdown of every tracked citizen adds up to the effective score.
    let mut sim = r.sim;
    let audit = sim.take_audit();
    for &i in &tracked {
        let own: Vec<_> = audit.iter().filter(|a| a.citizen == i).cloned().collect();
        let c = &rows[i as usize];
        let (day, parts) =
            scorelab_engine::factors::breakdown_on_last_scored_day(&sc, &own).expect("a factor score with scores");
        assert_eq!((day, parts.len()), (t_end, 5));
        let total: i64 = sc.score.base_milli + parts.iter().map(|p| p.contribution_milli).sum::<i64>();
        assert!(
            (total - c.effective_score_milli).abs() <= 20,
            "citizen {i}: factors add up to {total}, effective score {}",
            c.effective_score_milli
        );
    }
}

/// court-blacklist's document predicts the share listed at the steady
/// state from the entry and exit rates: a listing lasts
/// E[L] = (1 − q^730)/(1 − q) days (q = 2^(−1/365)), the time between
/// listings (1 − p)/p days for a daily entry probability p, so a citizen
/// is listed a share E[L] / (E[L] + (1 − p)/p) of the time.
#[test]
fn court_blacklist_steady_state_after_the_burn_in() {
    let sc = builtin("court-blacklist");
    assert_eq!(sc.burn_in_days, 730);
    let days = sc.burn_in_days + 30;
    let r = run(&sc, 60_000, days, 9, Vec::new());
    let q = (-1.0 / sc.blacklist.half_life_days).exp2();
    let listing_days = geometric(q, sc.blacklist.max_days);
    let jd = sc.behaviour_id("judgment_default").expect("judgment_default");
    let beh = &sc.behaviours[jd];
    let src = &sc.sources[beh.source];
    let mut e = Expect::default();
    for c in r.citizens() {
        if !beh.ages.contains(c.age) {
            continue;
        }
        let own = p_day(daily_rate(beh, &c) * (1.0 - beh.deterrence * pressure(&sc, &c)));
        let p = 1.0 - (1.0 - own) * (1.0 - p_day(src.false_flags_per_year / 365.0));
        let listed = listing_days / (listing_days + (1.0 - p) / p);
        e.add(listed, 1.0);
    }
    let last = &r.days[days as usize - 1];
    eprintln!(
        "court-blacklist: listed on day {}: predicted {:.4}%, simulated {:.4}% of citizens",
        days - 1,
        100.0 * e.mean / 60_000.0,
        100.0 * last.blacklisted as f64 / 60_000.0
    );
    e.check(last.blacklisted, 5.0, "court-blacklist listed at the steady state");
}

/// transparent-appeals' document predicts how much erroneous loss stands
/// on citizens' records: an erroneous record made on day t is still there
/// at the end of day T with probability (1 − p·w)^(T − t + 1), p the daily
/// appeal probability and w the win probability, since a citizen who can
/// see an error appeals every day until it is gone.
#[test]
fn transparent_appeals_remove_erroneous_records_within_days() {
    let sc = builtin("transparent-appeals");
    assert!(sc.appeals.visible_records);
    let days = 120u32;
    let r = run(&sc, 100_000, days, 17, Vec::new());
    let t_end = days - 1;
    let stay = 1.0 - sc.appeals.daily_probability * sc.appeals.win_probability;
    let h = sc.score.half_life_days;
    let (mut mean, mut var) = (0.0, 0.0);
    for (t, d) in r.days.iter().enumerate() {
        let age = t_end - t as u32;
        let s = stay.powi(age as i32 + 1);
        let decay = (-(f64::from(age)) / h).exp2();
        for (b, beh) in sc.behaviours.iter().enumerate() {
            if beh.points_milli >= 0 {
                continue;
            }
            let points = beh.points_milli as f64 * decay;
            let n = d.erroneous_records[b] as f64;
            mean += n * points * s;
            var += n * points * points * s * (1.0 - s);
        }
    }
    let observed: i64 = r.citizens().iter().map(|c| c.erroneous_losses_milli).sum();
    eprintln!(
        "transparent-appeals: erroneous losses standing on day {t_end}: predicted {:.1}, simulated {:.1} points \
         (a record stays {:.1} days on average)",
        mean / 1000.0,
        observed as f64 / 1000.0,
        1.0 / (1.0 - stay)
    );
    let z = (observed as f64 - mean) / var.sqrt();
    assert!(z.abs() <= 5.0, "transparent-appeals standing erroneous losses: z = {z:.2}");
}

/// rewards-only's document predicts how much more a rewarded behaviour is
/// done than with no system at all: only aware participants feel the pull,
/// at P = g, so their events rise by the factor 1 + γ·g. The baseline run of
/// the same seed is coupled draw for draw, so the extra events are exactly
/// those accepted by the boost. And nobody is ever denied anything.
#[test]
fn rewards_only_boosts_rewarded_behaviour_and_denies_nothing() {
    let sc = builtin("rewards-only");
    let base = builtin("baseline");
    let (n, days, seed) = (50_000u32, 365u32, 4u64);
    let r = run(&sc, n, days, seed, Vec::new());
    let b0 = run(&base, n, days, seed, Vec::new());
    assert_eq!(r.sum(|d| d.denials.iter().sum()), 0, "rewards-only denies nothing");
    let rows = r.citizens();
    let mut aware = Expect::default();
    aware.add(sc.participation_share * sc.population.aware_share, f64::from(n));
    aware.check(rows.iter().filter(|c| c.aware).count() as u64, 5.0, "aware participants");

    let b = sc.behaviour_id("pro_government_post").expect("pro_government_post");
    let beh = &sc.behaviours[b];
    let g = sc.pressure.general_deterrence;
    let mut extra = Expect::default();
    for c in rows.iter().filter(|c| c.aware && beh.ages.contains(c.age)) {
        let x = daily_rate(beh, c);
        extra.add(p_day(x * (1.0 + beh.boost * g)) - p_day(x), f64::from(days));
    }
    let with = r.sum(|d| d.true_events[b]);
    let without = b0.sum(|d| d.true_events[b]);
    eprintln!(
        "rewards-only: pro_government_post events {with} vs {without} with no system: ×{:.4} (predicted ×{:.4})",
        with as f64 / without as f64,
        (without as f64 + extra.mean) / without as f64
    );
    extra.check(with - without, 5.0, "rewards-only extra pro_government_post events");
}
