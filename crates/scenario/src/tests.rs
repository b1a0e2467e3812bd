//! Tests of the public API on the built-ins and small scenarios written inline.

use std::fs;

use super::*;

/// seed-article with one more file on top: `extends`, a name, and `body`.
fn variant(body: &str) -> Result<Scenario, ScenarioError> {
    let text = format!("extends = \"seed-article\"\nname = \"variant\"\ndescription = \"test\"\n{body}");
    parse_str(&text, "variant.toml")
}

fn seed() -> Scenario {
    load_builtin("seed-article").unwrap()
}

#[test]
fn every_builtin_loads_by_name_and_through_load() {
    assert_eq!(
        builtin_names(),
        ["seed-article", "baseline", "court-blacklist", "rongcheng", "sesame", "transparent-appeals", "rewards-only"]
    );
    for name in builtin_names() {
        let a = load_builtin(name).unwrap();
        let b = load(name).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.name, *name);
        assert_eq!(Some(a.description.as_str()), builtin_description(name));
        assert!(builtin_source(name).is_some());
    }
    let listed: Vec<&str> = builtins().iter().map(|(n, _)| *n).collect();
    assert_eq!(listed, builtin_names());
    assert!(builtin_source("nope").is_none());
}

#[test]
fn unknown_names_list_the_builtins() {
    let e = load("rongchen").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownScenario);
    assert_eq!(e.exit_code(), 2);
    let msg = e.to_string();
    assert!(msg.contains("seed-article, baseline, court-blacklist"), "{msg}");
    let e = load_builtin("seed-artcle").unwrap_err();
    assert!(e.to_string().contains("did you mean `seed-article`?"), "{e}");
    assert_eq!(load("").unwrap_err().kind(), ErrorKind::UnknownScenario);
}

#[test]
fn missing_files_are_io_errors_with_the_path() {
    let e = load("no/such/dir/scenario.toml").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    assert!(e.to_string().starts_with("no/such/dir/scenario.toml: cannot read"), "{e}");
    assert!(matches!(e, ScenarioError::Io { ref path, .. } if path.ends_with("scenario.toml")));
}

#[test]
fn baseline_has_no_pressure_and_court_blacklist_has() {
    let base = load_builtin("baseline").unwrap();
    assert!(!base.has_pressure());
    assert!(!base.score.enabled && !base.blacklist.enabled);
    assert!(!base.sanctions_enabled && !base.rewards_enabled);
    // Same population and behaviours as seed-article: the counterfactual.
    let s = seed();
    assert_eq!(base.population, s.population);
    assert_eq!(base.behaviours, s.behaviours);

    let court = load_builtin("court-blacklist").unwrap();
    assert!(court.has_pressure());
    assert!(!court.score.enabled);
    assert!(court.blacklist.enabled);
    let penalised: Vec<&str> = (0..court.behaviours.len())
        .filter(|&b| court.is_penalised(b))
        .map(|b| court.behaviours[b].name.as_str())
        .collect();
    assert_eq!(penalised, ["judgment_default"]);
    let names: Vec<&str> = court.activities.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["flight", "high_speed_rail", "civil_service_job", "luxury_hotel", "school_enrolment"]);
    for a in &court.activities {
        assert_eq!(a.sanction, [Trigger::Blacklisted], "{}", a.name);
        assert!(a.reward.is_empty(), "{}", a.name);
        // `reward = { triggers = [] }` over a labelled reward drops the label.
        assert_eq!(a.reward_label, None, "{}", a.name);
    }
}

#[test]
fn seed_article_has_model_md_numbers() {
    let s = seed();
    let p = &s.population;
    let shares: Vec<f64> = p.age_bands.iter().map(|b| b.share).collect();
    for (got, want) in shares.iter().zip([0.179, 0.110, 0.290, 0.286, 0.135]) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert_eq!((p.age_bands[4].min, p.age_bands[4].max), (65, 95));
    assert_eq!(p.region_weights.len(), 31);
    assert!(p.region_weights.iter().all(|w| (w - 1.0 / 31.0).abs() < 1e-15));
    assert_eq!(p.urban_share, 0.64);
    assert_eq!(p.income_urban_shift, 0.6);
    assert_eq!(p.compliance, BetaDist { alpha: 4.0, beta: 2.0 });
    assert_eq!(p.dissent, BetaDist { alpha: 1.2, beta: 6.0 });
    assert_eq!(p.aware_share, 0.5);
    assert_eq!(p.adult_age, 18);
    assert_eq!(p.guardian_ages, AgeRange { min: 25, max: 64 });

    assert_eq!(s.network.mean_degree, 8.0);
    assert_eq!(s.network.in_region_share, 0.8);
    assert_eq!(s.network.weight_milli, 150);
    assert_eq!(s.network.update_period_days, 7);
    assert_eq!(s.pressure.general_deterrence, 0.3);
    assert_eq!(s.pressure.width_points, 200.0);

    assert!(s.score.enabled);
    assert_eq!((s.score.base_milli, s.score.min_milli, s.score.max_milli), (1_000_000, 0, 2_000_000));
    assert_eq!(s.score.half_life_days, 730.0);
    let grades: Vec<(&str, Option<i64>)> =
        s.score.grades.iter().map(|g| (g.name.as_str(), g.threshold_milli)).collect();
    assert_eq!(
        grades,
        [
            ("AAA", Some(1_050_000)),
            ("AA", Some(1_030_000)),
            ("A", Some(960_000)),
            ("B", Some(850_000)),
            ("C", Some(600_000)),
            ("D", None)
        ]
    );
    assert_eq!(s.score.grade_of(1_030_000), 1);
    assert_eq!(s.score.grade_of(599_999), 5);
    assert_eq!((s.blacklist.half_life_days, s.blacklist.max_days), (365.0, 730));
    assert_eq!(s.appeals.window_days, 30);
    assert_eq!(s.appeals.daily_probability, 0.02);
    assert_eq!(s.appeals.win_probability, 0.5);

    // Section 3: twelve sources; spot-check two rows.
    assert_eq!(s.sources.len(), 12);
    let public = &s.sources[1];
    assert_eq!(public.name, "public_cameras");
    assert_eq!(
        (public.coverage_urban, public.coverage_rural, public.misattribution, public.false_flags_per_year),
        (0.3, 0.05, 0.02, 0.02)
    );
    let court = &s.sources[9];
    assert_eq!(court.name, "court_records");
    assert_eq!(court.false_flags_per_year, 0.0005);

    // Section 2: sixteen behaviours in MODEL.md's order.
    let names: Vec<&str> = s.behaviours.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "traffic_violation",
            "smoking_in_nonsmoking_area",
            "fake_news_post",
            "flagged_private_message",
            "foreign_newspaper_reading",
            "excessive_gaming",
            "alcohol_excess",
            "drug_use",
            "late_loan_payment",
            "judgment_default",
            "volunteer_work",
            "blood_donation",
            "elderly_support",
            "buy_local_products",
            "pro_government_post",
            "charity_donation",
        ]
    );
    let fake = &s.behaviours[s.behaviour_id("fake_news_post").unwrap()];
    assert_eq!(s.sources[fake.source].name, "social_media");
    assert_eq!(fake.ages, AgeRange { min: 15, max: 95 });
    assert_eq!(
        (fake.rate_per_year, fake.compliance_slope, fake.dissent_slope, fake.urban_multiplier),
        (1.0, -1.0, 4.0, 1.2)
    );
    assert_eq!((fake.points_milli, fake.deterrence, fake.boost), (-50_000, 0.8, 0.0));
    let judgment = &s.behaviours[s.behaviour_id("judgment_default").unwrap()];
    assert!(judgment.blacklists);
    assert_eq!((judgment.rate_per_year, judgment.points_milli), (0.012, -100_000));
    let pro = &s.behaviours[s.behaviour_id("pro_government_post").unwrap()];
    assert_eq!((pro.points_milli, pro.boost, pro.dissent_slope), (5_000, 2.0, -2.0));
    assert_eq!(s.behaviours.iter().filter(|b| b.blacklists).count(), 1);

    // Section 6.
    assert_eq!(s.activities.len(), 9);
    let rail = &s.activities[s.activity_id("high_speed_rail").unwrap()];
    assert_eq!(
        rail.kind,
        ActivityKind::Daily { ages: AgeRange { min: 10, max: 85 }, rate_per_year: 0.5, scale_by_decile: true }
    );
    assert_eq!(rail.sanction, [Trigger::Blacklisted, Trigger::GradeAtMost(5)]);
    assert_eq!(rail.reward, [Trigger::GradeAtLeast(1)]);
    assert_eq!(rail.reward_label.as_deref(), Some("priority_ticket"));
    let internet = &s.activities[s.activity_id("internet_plan").unwrap()];
    assert_eq!(internet.sanction_label.as_deref(), Some("throttled"));
    assert_eq!(s.trigger_text(internet.sanction[0]), "grade <= C");
    let school = &s.activities[s.activity_id("school_enrolment").unwrap()];
    assert_eq!(school.kind, ActivityKind::SchoolEnrolment { ages: vec![6, 12], day_of_year: 243 });
    assert_eq!(school.sanction, [Trigger::Blacklisted, Trigger::GradeAtMost(4)]);
    assert!(s.has_pressure());
    assert!(s.sanctions_enabled && s.rewards_enabled);
}

#[test]
fn resolved_toml_round_trips_for_every_builtin() {
    for name in builtin_names() {
        let text = resolved_toml(name).unwrap();
        let again = parse_str(&text, "resolved").unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(again, load(name).unwrap(), "{name}");
        // And the resolved text of the resolved text is the same text (but
        // for the header comment, which names the chain).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resolved.toml");
        fs::write(&path, &text).unwrap();
        let twice = resolved_toml(path.to_str().unwrap()).unwrap();
        let body = |t: &str| t.lines().filter(|l| !l.starts_with('#')).collect::<Vec<_>>().join("\n");
        assert_eq!(body(&twice), body(&text), "{name}");
        assert!(!body(&text).contains("extends"), "{name}");
    }
}

#[test]
fn extends_overrides_a_single_key() {
    let v = variant("[behaviours.fake_news_post]\nrate_per_year = 2.5\n").unwrap();
    let mut expected = seed();
    expected.name = "variant".into();
    expected.description = "test".into();
    let b = expected.behaviour_id("fake_news_post").unwrap();
    expected.behaviours[b].rate_per_year = 2.5;
    assert_eq!(v, expected);
}

#[test]
fn extends_merges_tables_and_appends_new_entries() {
    let v = variant(
        "[activities.high_speed_rail]\nreward = { triggers = [\"grade >= A\"] }\n\
         [behaviours.littering]\nsource = \"public_cameras\"\nages = [10, 95]\nrate_per_year = 1\npoints = -5\n\
         [behaviours.drug_use]\nenabled = false\n",
    )
    .unwrap();
    // The inherited label survives, the triggers are replaced.
    let rail = &v.activities[v.activity_id("high_speed_rail").unwrap()];
    assert_eq!(rail.reward, [Trigger::GradeAtLeast(2)]);
    assert_eq!(rail.reward_label.as_deref(), Some("priority_ticket"));
    // New entries come after the parent's; disabled ones are dropped.
    assert_eq!(v.behaviours.last().map(|b| b.name.as_str()), Some("littering"));
    assert_eq!(v.behaviour_id("drug_use"), None);
    assert_eq!(v.behaviours.len(), 16);
    // Integers are accepted where points are expected.
    assert_eq!(v.behaviours[15].points_milli, -5_000);
}

#[test]
fn scalar_sections_default_to_model_md() {
    // seed-article without its scalar sections: the defaults are MODEL.md's,
    // which is what seed-article writes out.
    let mut table: toml::Table = toml::from_str(builtin_source("seed-article").unwrap()).unwrap();
    for section in ["population", "network", "pressure", "score", "blacklist", "appeals", "policy"] {
        assert!(table.remove(section).is_some(), "{section}");
    }
    let text = toml::to_string(&table).unwrap();
    assert_eq!(parse_str(&text, "bare.toml").unwrap(), seed());
    // And a partly written section keeps the defaults of the other keys.
    let v = variant("[score]\nbase = 900\n").unwrap();
    assert_eq!(v.score.base_milli, 900_000);
    assert_eq!(v.score.grades, seed().score.grades);
}

#[test]
fn disabled_entries_are_checked_but_not_resolved() {
    // Renaming the grades and disabling every activity that used the old
    // ones is fine: their triggers are not resolved.
    let mut body = String::from("[score]\ngrades = [{ name = \"good\", min = 1000.0 }, { name = \"bad\" }]\n");
    for a in seed().activities {
        body.push_str(&format!("[activities.{}]\nenabled = false\n", a.name));
    }
    let v = variant(&body).unwrap();
    assert!(v.activities.is_empty());
    // But their values are still checked.
    let e = variant("[activities.flight]\nenabled = false\nrate_per_year = -1\n").unwrap_err();
    assert!(e.to_string().contains("activities.flight.rate_per_year = -1"), "{e}");
}

#[test]
fn relative_extends_resolve_against_the_extending_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    fs::create_dir(&sub).unwrap();
    fs::write(
        sub.join("parent.toml"),
        "extends = \"court-blacklist\"\nname = \"parent\"\ndescription = \"p\"\n[network]\nweight = 0.2\n",
    )
    .unwrap();
    let child = dir.path().join("child.toml");
    fs::write(
        &child,
        "extends = \"sub/parent.toml\"\nname = \"child\"\ndescription = \"c\"\n[appeals]\nenabled = false\n",
    )
    .unwrap();
    let c = load(child.to_str().unwrap()).unwrap();
    assert_eq!(c.name, "child");
    assert_eq!(c.network.weight_milli, 200);
    assert!(!c.appeals.enabled && !c.score.enabled);
    let shown = resolved_toml(child.to_str().unwrap()).unwrap();
    assert!(shown.contains("-> built-in court-blacklist -> built-in seed-article"), "{shown}");

    // A parent's error is located in the parent, with a note.
    fs::write(
        sub.join("parent.toml"),
        "extends = \"court-blacklist\"\nname = \"parent\"\ndescription = \"p\"\n[network]\nweight = 2\n",
    )
    .unwrap();
    let e = load(child.to_str().unwrap()).unwrap_err();
    let d = e.diagnostic().unwrap();
    assert!(d.origin.ends_with("parent.toml"), "{e}");
    assert_eq!((d.line, d.column), (Some(5), Some(10)));
    assert_eq!(d.key.as_deref(), Some("network.weight"));
    assert_eq!(d.value.as_deref(), Some("2"));
    assert!(d.inherited_by.as_deref().is_some_and(|c| c.ends_with("child.toml")));
    assert!(e.to_string().contains("(inherited by "), "{e}");

    // A cycle through files is reported with the chain.
    fs::write(sub.join("parent.toml"), "extends = \"../child.toml\"\nname = \"p\"\ndescription = \"p\"\n").unwrap();
    let e = load(child.to_str().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Extends);
    assert!(e.to_string().contains("`extends` cycle: "), "{e}");
}

#[test]
fn extends_to_a_missing_file_is_located() {
    let e = parse_str("extends = \"./nowhere.toml\"\nname = \"x\"\ndescription = \"x\"\n", "x.toml").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Extends);
    assert!(e.to_string().starts_with("x.toml:1:11: extends = \"./nowhere.toml\": "), "{e}");
}

#[test]
fn errors_expose_their_parts() {
    let e = variant("[behaviours.fake_news_post]\nrate_per_year = -1\n").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidValue);
    let d = e.diagnostic().unwrap();
    assert_eq!(d.origin, "variant.toml");
    assert_eq!((d.line, d.column), (Some(5), Some(17)));
    assert_eq!(d.key.as_deref(), Some("behaviours.fake_news_post.rate_per_year"));
    assert_eq!(d.value.as_deref(), Some("-1"));
    assert_eq!(d.inherited_by, None);
}

#[test]
fn every_key_of_the_format_is_documented() {
    let docs = include_str!("../../../docs/scenarios.md");
    let text = resolved_toml("seed-article").unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let mut keys = std::collections::BTreeSet::new();
    fn collect(v: &toml::Value, keys: &mut std::collections::BTreeSet<String>, named: bool) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    // Entry names (sources.<name>, ...) are not keys of the format.
                    if !named {
                        keys.insert(k.clone());
                    }
                    let entries = matches!(k.as_str(), "sources" | "behaviours" | "activities");
                    collect(v, keys, !named && entries);
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|v| collect(v, keys, false)),
            _ => {}
        }
    }
    collect(&toml::Value::Table(table), &mut keys, false);
    for extra in ["extends", "label", "enrolment_ages", "day_of_year", "ages", "rate_per_year"] {
        keys.insert(extra.to_string());
    }
    for k in &keys {
        let documented = docs.contains(&format!("`{k}`"))
            || docs.contains(&format!("`[{k}]`"))
            || docs.contains(&format!("`[{k}.<name>]`"));
        assert!(documented, "docs/scenarios.md does not document `{k}`");
    }
}

#[test]
fn the_docs_example_loads() {
    let docs = include_str!("../../../docs/scenarios.md");
    let start = docs.find("```toml\n").unwrap() + "```toml\n".len();
    let len = docs[start..].find("```").unwrap();
    let example = &docs[start..start + len];
    assert!(example.contains("extends = \"seed-article\""));
    let sc = parse_str(example, "docs example").unwrap();
    assert_ne!(sc, seed());
}

#[test]
fn a_file_without_a_name_is_named_after_itself() {
    let s =
        crate::parse_str("extends = \"seed-article\"\n[score]\nhalf_life_days = 365.0\n", "policies/my policy.toml")
            .unwrap();
    assert_eq!(s.name, "my-policy");
    assert_eq!(s.description, "my-policy: a variant of seed-article");
    assert_eq!(s.score.half_life_days, 365.0);
    let s = crate::parse_str("extends = \"seed-article\"\n", "").unwrap();
    assert_eq!(s.name, "custom");
}
