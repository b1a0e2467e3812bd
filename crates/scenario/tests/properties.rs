//! Property tests: any value for a numeric key, and any text at all, gives a scenario or an error, never a panic.

use proptest::prelude::*;
use scorelab_scenario::{builtin_source, parse_str, ActivityKind, ErrorKind, Scenario};

/// A TOML rendering of any `f64`, `nan` and `inf` included.
fn float(x: f64) -> String {
    toml::Value::Float(x).to_string()
}

/// seed-article with one key set to `value` (TOML text); the key is on line 5.
fn one_key(section: &str, key: &str, value: &str) -> String {
    format!(
        "extends = \"seed-article\"\nname = \"prop\"\ndescription = \"property test\"\n[{section}]\n{key} = {value}\n"
    )
}

/// Values of every kind: ordinary, huge, tiny, negative, not finite,
/// and close to whole thousandths.
fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        -10.0f64..10.0,
        -1e4f64..1e4,
        any::<f64>(),
        (-2_000_000i64..2_000_000).prop_map(|m| m as f64 / 1000.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(-0.0),
        Just(1.0005),
    ]
}

/// Checks the invariants the engine relies on.
fn check_invariants(s: &Scenario) {
    assert!(!s.behaviours.is_empty());
    for b in &s.behaviours {
        assert!(b.rate_per_year.is_finite() && b.rate_per_year >= 0.0);
        assert!((0.0..=1.0).contains(&b.deterrence));
        assert!(b.boost >= 0.0 && b.boost.is_finite());
        assert!(b.source < s.sources.len());
        assert!(b.ages.min <= b.ages.max);
    }
    let sc = &s.score;
    assert!(sc.min_milli < sc.max_milli);
    assert!(sc.min_milli <= sc.base_milli && sc.base_milli <= sc.max_milli);
    assert!(sc.half_life_days > 0.0);
    assert!(!sc.grades.is_empty());
    assert!(sc.grades.last().is_some_and(|g| g.threshold_milli.is_none()));
    let thresholds: Vec<i64> = sc.grades.iter().filter_map(|g| g.threshold_milli).collect();
    assert_eq!(thresholds.len(), sc.grades.len() - 1);
    assert!(thresholds.windows(2).all(|w| w[0] > w[1]));
    assert!((0..=1000).contains(&s.network.weight_milli));
    assert!((0.0..=64.0).contains(&s.network.mean_degree));
    assert!(s.network.update_period_days >= 1);
    let p = &s.population;
    assert!(!p.region_weights.is_empty() && p.region_weights.len() <= 255);
    assert!((p.region_weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!((p.age_bands.iter().map(|b| b.share).sum::<f64>() - 1.0).abs() < 1e-9);
    for a in &s.activities {
        if let ActivityKind::Daily { rate_per_year, ages, .. } = &a.kind {
            assert!(rate_per_year.is_finite() && *rate_per_year >= 0.0);
            assert!(ages.min <= ages.max);
        }
        for t in a.sanction.iter().chain(&a.reward) {
            // Panics if a grade index is out of range.
            let _ = s.trigger_text(*t);
        }
    }
}

/// Loads `text` (one key changed on line 5); an error must be located on
/// that key.
fn load_or_located_error(text: &str, path: &str) {
    match parse_str(text, "prop.toml") {
        Ok(s) => check_invariants(&s),
        Err(e) => {
            let d = e.diagnostic().unwrap_or_else(|| panic!("unlocated error: {e}"));
            assert!(matches!(d.kind, ErrorKind::InvalidValue | ErrorKind::WrongType), "{e}");
            assert_eq!(d.key.as_deref(), Some(path), "{e}");
            assert_eq!(d.line, Some(5), "{e}");
            assert_eq!(d.origin, "prop.toml");
        }
    }
}

proptest! {
    #[test]
    fn any_rate_loads_or_is_located(x in any_number()) {
        let text = one_key("behaviours.fake_news_post", "rate_per_year", &float(x));
        load_or_located_error(&text, "behaviours.fake_news_post.rate_per_year");
    }

    #[test]
    fn any_base_score_loads_or_is_located(x in any_number()) {
        load_or_located_error(&one_key("score", "base", &float(x)), "score.base");
    }

    #[test]
    fn any_network_weight_loads_or_is_located(x in any_number()) {
        load_or_located_error(&one_key("network", "weight", &float(x)), "network.weight");
    }

    #[test]
    fn any_deterrence_loads_or_is_located(x in any_number()) {
        let text = one_key("behaviours.drug_use", "deterrence", &float(x));
        load_or_located_error(&text, "behaviours.drug_use.deterrence");
    }

    #[test]
    fn any_mean_degree_loads_or_is_located(x in any_number()) {
        load_or_located_error(&one_key("network", "mean_degree", &float(x)), "network.mean_degree");
    }

    #[test]
    fn any_region_count_loads_or_is_located(n in any::<i64>()) {
        load_or_located_error(&one_key("population", "regions", &n.to_string()), "population.regions");
    }

    #[test]
    fn any_day_of_year_loads_or_is_located(n in -1000i64..1000) {
        let text = one_key("activities.school_enrolment", "day_of_year", &n.to_string());
        load_or_located_error(&text, "activities.school_enrolment.day_of_year");
    }

    #[test]
    fn any_grade_thresholds_load_or_fail(a in any_number(), b in any_number(), c in any_number()) {
        let value = format!(
            "[{{ name = \"AAA\", min = {} }}, {{ name = \"AA\", min = {} }}, {{ name = \"A\", min = {} }}, {{ name = \"B\", min = 850.0 }}, {{ name = \"C\", min = 600.0 }}, {{ name = \"D\" }}]",
            float(a), float(b), float(c)
        );
        match parse_str(&one_key("score", "grades", &value), "prop.toml") {
            Ok(s) => check_invariants(&s),
            Err(e) => {
                let key = e.diagnostic().and_then(|d| d.key.clone()).unwrap_or_default();
                prop_assert!(key.starts_with("score.grades["), "{}", e);
            }
        }
    }

    #[test]
    fn any_text_gives_a_scenario_or_an_error(text in "\\PC{0,400}") {
        if let Ok(s) = parse_str(&text, "fuzz") {
            check_invariants(&s);
        }
    }

    #[test]
    fn damaged_seed_article_never_panics(at in 0usize..20_000, len in 0usize..40, junk in "[ -~\\n]{0,12}") {
        let source = builtin_source("seed-article").unwrap_or_default();
        let mut start = at.min(source.len());
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + len).min(source.len());
        while !source.is_char_boundary(end) {
            end -= 1;
        }
        let text = format!("{}{junk}{}", &source[..start], &source[end..]);
        match parse_str(&text, "damaged.toml") {
            Ok(s) => check_invariants(&s),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
