//! The built-in scenarios, embedded in the binary from `scenarios/*.toml`.

/// A built-in scenario: its name, one-line description and TOML text.
pub(crate) struct Builtin {
    pub(crate) name: &'static str,
    /// Identical to the file's `description` (a test checks it), so that a
    /// listing does not have to parse every file.
    pub(crate) description: &'static str,
    pub(crate) source: &'static str,
}

/// Every built-in scenario, in the order they are listed to users.
pub(crate) const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "seed-article",
        description: "MODEL.md as written: points score with grades, court blacklist, sanctions and rewards",
        source: include_str!("../../../scenarios/seed-article.toml"),
    },
    Builtin {
        name: "baseline",
        description: "Same population and behaviours as seed-article, nothing scored, no sanctions: the counterfactual",
        source: include_str!("../../../scenarios/baseline.toml"),
    },
    Builtin {
        name: "court-blacklist",
        description: "Only the court blacklist and its sanctions, calibrated to the published 2018 figures; no score",
        source: include_str!("../../../scenarios/court-blacklist.toml"),
    },
    Builtin {
        name: "rongcheng",
        description: "Rongcheng's municipal points: 1000 to start, AAA-D bands, conduct only, rewards-led",
        source: include_str!("../../../scenarios/rongcheng.toml"),
    },
    Builtin {
        name: "sesame",
        description: "Sesame-style credit score, 350-950, five weighted factors, perks only",
        source: include_str!("../../../scenarios/sesame.toml"),
    },
    Builtin {
        name: "transparent-appeals",
        description:
            "seed-article, but every record is shown to the citizen and erroneous ones are removed on a quick appeal",
        source: include_str!("../../../scenarios/transparent-appeals.toml"),
    },
    Builtin {
        name: "rewards-only",
        description: "Opt-in (30% join), points only for good deeds, perks for high grades, no sanctions at all",
        source: include_str!("../../../scenarios/rewards-only.toml"),
    },
];

/// The names of [`BUILTINS`], in the same order.
pub(crate) const BUILTIN_NAMES: &[&str] =
    &["seed-article", "baseline", "court-blacklist", "rongcheng", "sesame", "transparent-appeals", "rewards-only"];

/// The built-in of that exact name.
pub(crate) fn find(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_table() {
        let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        assert_eq!(names, BUILTIN_NAMES);
    }

    #[test]
    fn descriptions_match_the_files() {
        for b in BUILTINS {
            let table: toml::Table = toml::from_str(b.source).unwrap();
            assert_eq!(table["name"].as_str(), Some(b.name), "{}", b.name);
            assert_eq!(table["description"].as_str(), Some(b.description), "{}", b.name);
        }
    }
}
