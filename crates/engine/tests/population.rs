//! The day-0 population against MODEL.md §1 and §11: age bands, regions,
//! urban share, income deciles, guardians, traits, awareness, friends.
//!
//! Statistical checks allow 5 standard deviations of the binomial (or
//! sample-mean) error unless a comment says otherwise; seeds are fixed.

mod common;
use common::*;
use scorelab_engine::CitizenRow;

const N: u32 = 50_000;

fn population(sc: &scorelab_scenario::Scenario, n: u32, seed: u64) -> (Run, Vec<CitizenRow>) {
    let r = run(sc, n, 1, seed, vec![]);
    let c = r.citizens();
    (r, c)
}

/// Largest remainder of n × w_r / Σw with integer weights, ties to the
/// lower region index (the engine's documented tie rule), in exact integers.
fn largest_remainder(n: u64, weights: &[u64]) -> Vec<u64> {
    let total: u64 = weights.iter().sum();
    let mut sizes: Vec<u64> = weights.iter().map(|w| n * w / total).collect();
    let left = n - sizes.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&r| (std::cmp::Reverse(n * weights[r] % total), r));
    for &r in order.iter().take(left as usize) {
        sizes[r] += 1;
    }
    sizes
}

#[test]
fn region_sizes_are_the_exact_largest_remainder() {
    // Equal weights (seed-article): every remainder ties.
    let sc = builtin("seed-article");
    let (_, rows) = population(&sc, N, 3);
    let mut sizes = vec![0u64; 31];
    rows.iter().for_each(|c| sizes[usize::from(c.region)] += 1);
    assert_eq!(sizes, largest_remainder(u64::from(N), &[1; 31]));

    // Unequal weights: quotas 24999.5, 14999.7, 4999.9, 2499.95, 2499.95.
    let sc = seed_with("[population]\nregions = 5\nregion_weights = [10.0, 6.0, 2.0, 1.0, 1.0]\n");
    let (_, rows) = population(&sc, 49_999, 3);
    let mut sizes = vec![0u64; 5];
    rows.iter().for_each(|c| sizes[usize::from(c.region)] += 1);
    let want = largest_remainder(49_999, &[10, 6, 2, 1, 1]);
    assert_eq!(want, vec![24_999, 15_000, 5_000, 2_500, 2_500]);
    assert_eq!(sizes, want);
}

#[test]
fn ages_follow_the_bands_uniformly_inside_each_band() {
    let sc = builtin("seed-article");
    let (_, rows) = population(&sc, N, 5);
    let n = f64::from(N);
    let mut by_age = vec![0u64; 256];
    rows.iter().for_each(|c| by_age[c.age as usize] += 1);
    for band in &sc.population.age_bands {
        let count: u64 = (band.min..=band.max).map(|a| by_age[usize::from(a)]).sum();
        let mut e = Expect::default();
        e.add(band.share, n);
        e.check(count, 5.0, &format!("citizens aged {}-{}", band.min, band.max));
        // Uniform inside the band: each single age holds share / width.
        let width = f64::from(band.max - band.min) + 1.0;
        for a in band.min..=band.max {
            let mut e = Expect::default();
            e.add(band.share / width, n);
            e.check(by_age[usize::from(a)], 5.0, &format!("citizens aged exactly {a}"));
        }
    }
    assert_eq!(by_age[96..].iter().sum::<u64>(), 0, "nobody is older than the last band");
}

#[test]
fn urban_share_aware_share_and_trait_means() {
    let sc = builtin("seed-article");
    let (_, rows) = population(&sc, N, 7);
    let n = f64::from(N);
    let urban = rows.iter().filter(|c| c.urban).count() as u64;
    let mut e = Expect::default();
    e.add(0.64, n);
    e.check(urban, 5.0, "urban citizens");
    let aware = rows.iter().filter(|c| c.aware).count() as u64;
    let mut e = Expect::default();
    e.add(0.5, n);
    e.check(aware, 5.0, "aware citizens");

    // Beta(α, β): mean α/(α+β), variance αβ/((α+β)²(α+β+1)); the sample mean
    // has sd √(var/N): 5 sd. The sample variance within 5% (its sd is ~0.6%).
    for (name, (a, b), values) in [
        ("compliance", (4.0, 2.0), rows.iter().map(|c| f64::from(c.compliance)).collect::<Vec<_>>()),
        ("dissent", (1.2, 6.0), rows.iter().map(|c| f64::from(c.dissent)).collect::<Vec<_>>()),
    ] {
        let mean_want = a / (a + b);
        let var_want = a * b / ((a + b) * (a + b) * (a + b + 1.0));
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        assert!(values.iter().all(|x| (0.0..=1.0).contains(x)), "{name} outside [0, 1]");
        let sd = (var_want / n).sqrt();
        assert!((mean - mean_want).abs() < 5.0 * sd, "{name} mean {mean} vs {mean_want} (sd {sd})");
        assert!((var / var_want - 1.0).abs() < 0.05, "{name} variance {var} vs {var_want}");
    }

    // A scenario that penalises nothing has nobody aware (§11).
    let (_, rows) = population(&builtin("baseline"), 5_000, 7);
    assert!(rows.iter().all(|c| !c.aware), "baseline must have aware = 0 for everyone");
}

/// erf by Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), for the normal CDF.
fn erf(x: f64) -> f64 {
    let s = x.signum();
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t + 0.254_829_592)
            * t
            * (-x * x).exp();
    s * y
}

fn phi(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

#[test]
fn income_deciles_hold_ten_percent_and_favour_urban_citizens() {
    let sc = builtin("seed-article");
    let (_, rows) = population(&sc, N, 9);
    let mut per = [0u64; 10];
    let mut urban_per = [0u64; 10];
    for c in &rows {
        assert!((1..=10).contains(&c.income_decile));
        per[usize::from(c.income_decile) - 1] += 1;
        urban_per[usize::from(c.income_decile) - 1] += u64::from(c.urban);
    }
    for (d, &k) in per.iter().enumerate() {
        // MODEL.md: 10% ± 0.5%.
        let share = k as f64 / f64::from(N);
        assert!((share - 0.1).abs() <= 0.005, "decile {}: share {share}", d + 1);
    }
    // latent = N(0,1) + 0.6·urban: the deciles are the mixture's quantiles q_k
    // (found by bisection), and an urban citizen lands in decile k with
    // probability Φ(q_k − 0.6) − Φ(q_{k−1} − 0.6) over the mixture's mass
    // there. Binomial error on the urban count of each decile, 5 sd (the
    // sampling error of the empirical cut points is an order smaller).
    let u = sc.population.urban_share;
    let shift = sc.population.income_urban_shift;
    let mix = |x: f64| u * phi(x - shift) + (1.0 - u) * phi(x);
    let quantile = |p: f64| {
        let (mut lo, mut hi) = (-10.0, 10.0);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if mix(mid) < p {
                lo = mid
            } else {
                hi = mid
            }
        }
        0.5 * (lo + hi)
    };
    let mut cuts = vec![f64::NEG_INFINITY];
    cuts.extend((1..10).map(|k| quantile(f64::from(k) / 10.0)));
    cuts.push(f64::INFINITY);
    for d in 0..10 {
        let urban_mass = u * (phi(cuts[d + 1] - shift) - phi(cuts[d] - shift));
        let share = urban_mass / 0.1;
        let mut e = Expect::default();
        e.add(share, per[d] as f64);
        e.check(urban_per[d], 5.0, &format!("urban citizens in decile {}", d + 1));
    }
}

#[test]
fn every_child_has_a_guardian_of_25_to_64_in_the_same_region() {
    let sc = builtin("seed-article");
    let (_, rows) = population(&sc, N, 13);
    let mut young_guardian = Expect::default();
    let mut young_count = 0u64;
    // Adults of 25-64 (and of 25-44) per region, for the uniformity check.
    let mut adults = vec![(0u64, 0u64); 31];
    for c in &rows {
        if (25..=64).contains(&c.age) {
            adults[usize::from(c.region)].0 += 1;
            adults[usize::from(c.region)].1 += u64::from(c.age <= 44);
        }
    }
    for c in &rows {
        if c.age < 18 {
            let g = c.guardian.unwrap_or_else(|| panic!("child {} has no guardian", c.id));
            let gr = &rows[g as usize];
            assert!((25..=64).contains(&gr.age), "guardian {g} of {} is aged {}", c.id, gr.age);
            assert_eq!(gr.region, c.region, "guardian {g} of {} is in another region", c.id);
            // Uniform among the region's 25-64s: aged 25-44 with probability A44/A64.
            let (a64, a44) = adults[usize::from(c.region)];
            young_guardian.add(a44 as f64 / a64 as f64, 1.0);
            young_count += u64::from(gr.age <= 44);
        } else {
            assert_eq!(c.guardian, None, "adult {} has a guardian", c.id);
        }
    }
    young_guardian.check(young_count, 5.0, "children whose guardian is aged 25-44");
}

#[test]
fn friends_graph_has_mean_degree_8_and_80_percent_in_region() {
    let sc = builtin("seed-article");
    let (r, rows) = population(&sc, N, 17);
    let sim = &r.sim;
    let mut degree_sum = 0u64;
    let mut in_region = 0u64;
    for c in &rows {
        let f = sim.friends_of(c.id);
        assert_eq!(f.len() as u32, c.friends, "friends count of {}", c.id);
        assert!(f.windows(2).all(|w| w[0] < w[1]), "friends of {} sorted and distinct", c.id);
        for &j in f {
            assert_ne!(j, c.id, "{} is its own friend", c.id);
            assert!(sim.friends_of(j).binary_search(&c.id).is_ok(), "link {}-{j} is not mutual", c.id);
            in_region += u64::from(rows[j as usize].region == c.region);
        }
        degree_sum += f.len() as u64;
    }
    assert_eq!(degree_sum, sim.friend_links());
    // Every citizen creates exactly 4 links, so the degree sum is 8N less twice
    // the pairs linked twice (kept once); those are about 1% of links.
    let mean = degree_sum as f64 / f64::from(N);
    assert!(mean <= 8.0 && mean > 7.8, "mean degree {mean}");
    // Links stay in the region with probability 0.8 (binomial sd of the share
    // is 0.001 over 200k links); duplicates, all local, lower it by ~0.003.
    let share = in_region as f64 / degree_sum as f64;
    eprintln!("mean degree {mean:.4}, in-region share {share:.4}");
    assert!((share - 0.8).abs() < 0.01, "in-region share {share}");
}
