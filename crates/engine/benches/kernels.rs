//! Micro-benchmarks of the engine's hot kernels (issue #5), with divan.
//!
//! ```sh
//! cargo bench -p scorelab-engine --bench kernels
//! cargo bench -p scorelab-engine --bench kernels -- score   # only names matching "score"
//! ```
//!
//! Everything goes through the engine's public API; where the kernel itself
//! is private (`Model::view`, `candidate_rates`, the two daily passes) the
//! nearest public entry point is measured instead and the comment says so.
//! Per-item kernels run over a batch of distinct counters (citizens) so no
//! draw or evaluation can be hoisted out of the loop, write their results
//! to a buffer that is passed to `black_box`, and report throughput per
//! item with `ItemsCount`: per draw, per call, per citizen or per
//! citizen-day. Inputs come from the `seed-article` scenario. The results
//! and what they mean: docs/PERFORMANCE.md, "Micro-benchmarks (divan)".

// A benchmark is not user-facing code: a built-in scenario that fails to
// load or a size the engine refuses is a bug to see at once, so it unwraps.
#![allow(clippy::unwrap_used)]

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use scorelab_engine::rng::{BetaShape, Rng, Stream};
use scorelab_engine::score::ScoreRules;
use scorelab_engine::{RunConfig, Simulation};
use scorelab_scenario::Scenario;
use std::fmt;
use std::sync::OnceLock;

fn main() {
    divan::main();
}

/// Items per timed call of the per-item kernels: enough that the call's own
/// cost vanishes, few enough that inputs and outputs stay in L1/L2.
const BATCH: usize = 4096;

/// Days of the runs built here: long enough that no benchmark steps past
/// the end. The decay table has `DAYS + 1` entries, but a day only reads
/// entries up to its own number, as in a run of any length.
const DAYS: u32 = 3650;

/// The day the per-item kernels are evaluated on.
const TODAY: u32 = 400;

fn scenario() -> &'static Scenario {
    static S: OnceLock<Scenario> = OnceLock::new();
    S.get_or_init(|| scorelab_scenario::load_builtin("seed-article").unwrap())
}

/// A generator whose keys the optimiser cannot see (in a run they come from
/// the seed at run time).
fn rng() -> Rng {
    black_box(Rng::new(20_260_527))
}

fn rules() -> ScoreRules {
    let s = scenario();
    ScoreRules::new(&s.score, s.network.weight_milli, DAYS)
}

/// Fills `out[i] = f(i)` for every item of the batch on each call.
fn fill<T: Copy + Default>(bencher: Bencher, items: usize, f: impl Fn(usize) -> T) {
    let mut out = vec![T::default(); items];
    bencher.counter(ItemsCount::new(items)).bench_local(|| {
        for (i, o) in out.iter_mut().enumerate() {
            *o = f(i);
        }
        black_box(&mut out);
    });
}

/// A size of a whole-engine benchmark: citizens, and the threads of the
/// rayon pool it runs in.
#[derive(Clone, Copy, Debug)]
struct Size {
    citizens: u32,
    threads: usize,
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.citizens;
        let (v, unit) = if n % 1_000_000 == 0 { (n / 1_000_000, "M") } else { (n / 1000, "k") };
        let s = if self.threads == 1 { "" } else { "s" };
        write!(f, "{v}{unit} citizens, {} thread{s}", self.threads)
    }
}

const fn size(citizens: u32, threads: usize) -> Size {
    Size { citizens, threads }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

/// A seed-article simulation of `citizens` built and run for `warm` days
/// in `pool`, so the columns hold records, listings and friends' terms.
fn warmed(pool: &rayon::ThreadPool, citizens: u32, warm: u32) -> Simulation {
    pool.install(|| {
        let config = RunConfig { citizens, days: DAYS, seed: 1, tracked: vec![] };
        let mut sim = Simulation::new(scenario(), config).unwrap();
        for _ in 0..warm {
            sim.step();
        }
        sim
    })
}

/// Per-citizen state from a real run, as inputs of the score and metrics
/// kernels: the stored components and the day they were set, the own and
/// effective scores, and whether the citizen has friends.
struct Snapshot {
    gains: Vec<i64>,
    losses: Vec<i64>,
    erroneous: Vec<i64>,
    /// Day of the last update, before [`TODAY`].
    t0: Vec<u32>,
    own: Vec<i64>,
    effective: Vec<i64>,
    friends_term: Vec<i64>,
    has_friends: Vec<bool>,
}

/// [`BATCH`] citizens spread evenly over a 40,960-citizen seed-article run
/// after a year. The columns themselves are private, so the components come
/// from `Simulation::citizens` (as they stand on the last day) and the day
/// of the last update is drawn uniformly from the year before [`TODAY`]:
/// the mix of zero and non-zero components (which decide the branch in
/// `decay`) is the run's.
fn snapshot() -> &'static Snapshot {
    static S: OnceLock<Snapshot> = OnceLock::new();
    S.get_or_init(|| {
        let citizens = 40_960u32;
        let sim = warmed(&pool(2), citizens, 365);
        let every = citizens / BATCH as u32;
        let rows: Vec<_> = sim.citizens(every).take(BATCH).collect();
        assert_eq!(rows.len(), BATCH);
        let draw = Rng::new(7);
        let w = scenario().network.weight_milli;
        Snapshot {
            gains: rows.iter().map(|r| r.gains_milli).collect(),
            losses: rows.iter().map(|r| r.losses_milli).collect(),
            erroneous: rows.iter().map(|r| r.erroneous_losses_milli).collect(),
            t0: (0..BATCH as u32).map(|i| TODAY - 1 - draw.below(365, Stream::Tracking, i, 0, 0) as u32).collect(),
            own: rows.iter().map(|r| r.own_score_milli).collect(),
            effective: rows.iter().map(|r| r.effective_score_milli).collect(),
            friends_term: rows
                .iter()
                .map(|r| {
                    scorelab_engine::factors::friends_term_from(r.own_score_milli, r.effective_score_milli, w)
                        .unwrap_or(r.own_score_milli)
                })
                .collect(),
            has_friends: rows.iter().map(|r| r.friends > 0).collect(),
        }
    })
}

/// Counter-based random draws (`rng.rs`): one draw per citizen of a batch.
mod draws {
    use super::*;

    #[divan::bench]
    fn bits(bencher: Bencher) {
        let (rng, day) = (rng(), black_box(TODAY));
        fill(bencher, BATCH, |i| rng.bits(Stream::Accept, i as u32, day, 0));
    }

    #[divan::bench]
    fn uniform(bencher: Bencher) {
        let (rng, day) = (rng(), black_box(TODAY));
        fill(bencher, BATCH, |i| rng.uniform(Stream::Accept, i as u32, day, 0));
    }

    #[divan::bench]
    fn bernoulli(bencher: Bencher) {
        let (rng, day, p) = (rng(), black_box(TODAY), black_box(0.3));
        fill(bencher, BATCH, |i| rng.bernoulli(p, Stream::Coverage, i as u32, day, 0));
    }

    #[divan::bench]
    fn exponential(bencher: Bencher) {
        let (rng, day) = (rng(), black_box(TODAY));
        fill(bencher, BATCH, |i| rng.exponential(Stream::Candidate, i as u32, day, 0));
    }

    /// A region's worth of citizens, as for a misattribution target.
    #[divan::bench]
    fn below(bencher: Bencher) {
        let (rng, day, n) = (rng(), black_box(TODAY), black_box(3_225_806u64));
        fill(bencher, BATCH, |i| rng.below(n, Stream::MisattributionTarget, i as u32, day, 0));
    }

    #[divan::bench]
    fn normal(bencher: Bencher) {
        let (rng, day) = (rng(), black_box(TODAY));
        fill(bencher, BATCH, |i| rng.normal(Stream::Income, i as u32, day, &mut 0));
    }

    /// Day-0 traits: compliance ~ Beta(4, 2) and dissent ~ Beta(1.2, 6) in
    /// seed-article (two gamma variates each, rejection sampling).
    #[divan::bench(args = ["compliance", "dissent"])]
    fn beta(bencher: Bencher, trait_: &str) {
        let pop = &scenario().population;
        let (dist, stream) =
            if trait_ == "compliance" { (pop.compliance, Stream::Compliance) } else { (pop.dissent, Stream::Dissent) };
        let (rng, shape) = (rng(), black_box(BetaShape::new(dist.alpha, dist.beta)));
        fill(bencher, BATCH, |i| rng.beta(&shape, stream, i as u32));
    }
}

/// Which of a bundle of daily events happen given that one does
/// (`tables::sample_given_any`, the Poisson-points sampler): one call per
/// citizen of a batch.
mod sampler {
    use super::*;
    use scorelab_engine::tables::{sample_given_any, Tables};

    /// The bundle the records pass samples on a candidate day, for a
    /// 40-year-old rural citizen of average traits: per behaviour, the
    /// bounded rate λ·bound/365 and the spurious rate. (The pass computes it
    /// with each citizen's trait terms in the private `candidate_rates`;
    /// the exponentials of those terms are not measured here.)
    fn behaviour_bundle() -> (Vec<f64>, Vec<f64>) {
        let tables = Tables::new(scenario());
        let age = 40;
        let mut items = Vec::new();
        for row in &tables.behaviours {
            let inside = age >= row.age_min && age <= row.age_max;
            items.push(if inside { row.daily_rate * row.bound } else { 0.0 });
            items.push(if inside { row.spurious_daily } else { 0.0 });
        }
        let mut suffix = vec![0.0; items.len()];
        let mut run = 0.0;
        for k in (0..items.len()).rev() {
            run += items[k];
            suffix[k] = run;
        }
        (items, suffix)
    }

    fn run(bencher: Bencher, rates: &[f64], suffix: &[f64], stream: Stream) {
        let (rng, day) = (rng(), black_box(TODAY));
        let mut out = vec![0u32; BATCH];
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            for (i, o) in out.iter_mut().enumerate() {
                let mut fired = 0u32;
                sample_given_any(rates, suffix, |s| rng.uniform(stream, i as u32, day, s), |k| fired |= 1 << k);
                *o = fired;
            }
            black_box(&mut out);
        });
    }

    /// The records pass's bundle: 2 items per behaviour of seed-article.
    #[divan::bench]
    fn behaviours_given_any(bencher: Bencher) {
        let (items, suffix) = behaviour_bundle();
        run(bencher, &items, &suffix, Stream::CandidatePick);
    }

    /// The settle pass's bundle: the daily activities of a 40-year-old in
    /// income decile 5 (`ActivityRates::row`).
    #[divan::bench]
    fn activities_given_any(bencher: Bencher) {
        let tables = Tables::new(scenario());
        let row = tables.activities.row(40, 5);
        run(bencher, row.rates, row.suffix, Stream::Activity);
    }
}

/// Fixed-point score arithmetic (`score.rs`) over a batch of citizens of a
/// real run (see [`snapshot`]).
mod score {
    use super::*;
    use scorelab_engine::score::{div_round_half_even, round_half_even, Components};

    /// One decayed component (the losses L) per citizen.
    #[divan::bench]
    fn decay(bencher: Bencher) {
        let (s, r, t) = (snapshot(), rules(), black_box(TODAY));
        fill(bencher, BATCH, |i| r.decay(s.losses[i], s.t0[i], t));
    }

    /// G, L and E brought to today: three decays per citizen.
    #[divan::bench]
    fn components(bencher: Bencher) {
        let (s, r, t) = (snapshot(), rules(), black_box(TODAY));
        fill(bencher, BATCH, |i| {
            let stored = Components { gains: s.gains[i], losses: s.losses[i], erroneous: s.erroneous[i] };
            let c = r.components(stored, s.t0[i], t);
            c.gains + c.losses + c.erroneous
        });
    }

    #[divan::bench]
    fn own(bencher: Bencher) {
        let (s, r) = (snapshot(), rules());
        fill(bencher, BATCH, |i| r.own(s.gains[i], s.losses[i]));
    }

    #[divan::bench]
    fn effective(bencher: Bencher) {
        let (s, r) = (snapshot(), rules());
        fill(bencher, BATCH, |i| r.effective(s.own[i], s.friends_term[i], s.has_friends[i]));
    }

    /// What the private `Model::view` computes for every citizen every day
    /// (as of 710cedf): G and L brought to today (E only when a denial or
    /// an appeal needs it), own score, effective score, grade.
    #[divan::bench]
    fn view(bencher: Bencher) {
        let (s, r, t, grades) = (snapshot(), rules(), black_box(TODAY), &scenario().score);
        fill(bencher, BATCH, |i| {
            let gains = r.decay(s.gains[i], s.t0[i], t);
            let losses = r.decay(s.losses[i], s.t0[i], t);
            let own = r.own(gains, losses);
            let eff = r.effective(own, s.friends_term[i], s.has_friends[i]);
            grades.grade_of(eff)
        });
    }

    /// Step 6 as the settle pass runs it since 0a6aaf4, per citizen of a
    /// batch (`ScoreRules::effective_scores`): G and L decayed by one
    /// factor, own score, friends' mix, all in doubles, written to an `i32`
    /// column.
    #[divan::bench]
    fn effective_scores(bencher: Bencher) {
        use scorelab_engine::score::ScoreColumns;
        let (s, r, t) = (snapshot(), rules(), black_box(TODAY));
        let last_update: Vec<u16> = s.t0.iter().map(|&d| d as u16).collect();
        let friends_term: Vec<i32> = s.friends_term.iter().map(|&f| f as i32).collect();
        let offsets: Vec<u32> = std::iter::once(0)
            .chain(s.has_friends.iter().scan(0u32, |at, &has| {
                *at += u32::from(has);
                Some(*at)
            }))
            .collect();
        let columns = ScoreColumns {
            gains: &s.gains,
            losses: &s.losses,
            last_update: &last_update,
            friends_term: &friends_term,
            friend_offsets: &offsets,
        };
        let mut out = vec![0i32; BATCH];
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            r.effective_scores(black_box(columns), t, &mut out);
            black_box(&mut out);
        });
    }

    /// The grade of an effective score (`scorelab_scenario::Score::grade_of`).
    #[divan::bench]
    fn grade_of(bencher: Bencher) {
        let (s, grades) = (snapshot(), &scenario().score);
        fill(bencher, BATCH, |i| grades.grade_of(s.effective[i]));
    }

    /// x0 · 2^(−k/h) rounded half to even without libm.
    #[divan::bench(name = "round_half_even")]
    fn round_half_even_fast(bencher: Bencher) {
        let s = snapshot();
        // 2^(−k/h) for k = 100 days and seed-article's half-life of 730.
        let factor = black_box((-100.0f64 / scenario().score.half_life_days).exp2());
        let y: Vec<f64> = s.losses.iter().zip(&s.gains).map(|(&l, &g)| (l + g) as f64 * factor).collect();
        fill(bencher, BATCH, |i| round_half_even(y[i]));
    }

    /// Division by the constant 1000, as in the effective score (inlined,
    /// so the compiler turns it into a multiplication).
    #[divan::bench]
    fn div_round_half_even_by_1000(bencher: Bencher) {
        let s = snapshot();
        let num: Vec<i64> = s.own.iter().zip(&s.friends_term).map(|(&o, &f)| 850 * o + 150 * f).collect();
        fill(bencher, BATCH, |i| div_round_half_even(num[i], 1000));
    }

    /// Division by a run-time divisor (1 to 16), as in the friends' term
    /// (the sum of the friends' scores over their number).
    #[divan::bench]
    fn div_round_half_even_by_friends(bencher: Bencher) {
        let s = snapshot();
        let den: Vec<i64> = (0..BATCH as i64).map(|i| 1 + i % 16).collect();
        let num: Vec<i64> = s.own.iter().zip(&den).map(|(&o, &d)| o * d + 17 * d).collect();
        fill(bencher, BATCH, |i| div_round_half_even(num[i], den[i]));
    }
}

/// The daily figures (`accum.rs`, `metrics.rs`): binning every adult's
/// score, clearing and merging the per-chunk accumulators, percentiles and
/// Gini.
mod metrics {
    use super::*;
    use scorelab_engine::accum::{gini, DayAcc, DayTotals, FineSpec};
    use scorelab_engine::HistogramSpec;

    fn specs() -> (HistogramSpec, FineSpec) {
        let s = &scenario().score;
        (HistogramSpec::for_range(s.min_milli, s.max_milli), FineSpec::new(s.min_milli, s.max_milli))
    }

    /// A chunk's accumulator of seed-article's shape.
    fn day_acc() -> DayAcc {
        let s = scenario();
        let (hist, fine) = specs();
        let group_slots = 10 + 2 + s.population.age_bands.len() + s.population.region_weights.len();
        DayAcc::new(&hist, &fine, s.score.grades.len(), s.behaviours.len(), s.activities.len(), group_slots)
    }

    /// The bin of the 10-point daily histogram (a division by 10,000).
    #[divan::bench]
    fn histogram_bin_of(bencher: Bencher) {
        let (s, (hist, _)) = (snapshot(), specs());
        let hist = black_box(hist);
        fill(bencher, BATCH, |i| hist.bin_of(s.effective[i]));
    }

    /// The bin of the fine (0.1-point) histogram behind percentiles and Gini.
    #[divan::bench]
    fn fine_bin_of(bencher: Bencher) {
        let (s, (_, fine)) = (snapshot(), specs());
        let fine = black_box(fine);
        fill(bencher, BATCH, |i| fine.bin_of(s.effective[i]));
    }

    /// What the settle pass adds per adult to its chunk's accumulator: the
    /// count, the score sum, both histograms and the grade.
    #[divan::bench]
    fn accumulate_adult(bencher: Bencher) {
        let (s, (hist, fine)) = (snapshot(), specs());
        let (hist, fine, grades) = (black_box(hist), black_box(fine), &scenario().score);
        let mut acc = day_acc();
        bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
            for &e in &s.effective {
                acc.adults += 1;
                acc.score_sum += e;
                acc.histogram[hist.bin_of(e)] += 1;
                acc.fine[fine.bin_of(e)] += 1;
                acc.grades[grades.grade_of(e)] += 1;
            }
            black_box(&mut acc);
        });
    }

    /// Zeroing one chunk's accumulator (every chunk, every day). Per chunk:
    /// a chunk holds `state::chunk_size(citizens)` citizens (4,096 up to
    /// 262,144 citizens, 2^20 above 2^25 ≈ 33.5M).
    #[divan::bench]
    fn day_acc_clear(bencher: Bencher) {
        let mut acc = day_acc();
        bencher.bench_local(|| {
            acc.clear();
            black_box(&mut acc);
        });
    }

    /// Adding one chunk's accumulator to the day's totals (every chunk,
    /// every day; serial). Per chunk.
    #[divan::bench]
    fn day_totals_add(bencher: Bencher) {
        let s = scenario();
        let (hist, fine) = specs();
        let acc = day_acc();
        let group_slots = 10 + 2 + s.population.age_bands.len() + s.population.region_weights.len();
        let (g, b, a) = (s.score.grades.len(), s.behaviours.len(), s.activities.len());
        let mut totals = DayTotals::new(0, &hist, &fine, g, b, a, group_slots);
        bencher.bench_local(|| {
            totals.add(black_box(&acc));
            black_box(&mut totals);
        });
    }

    /// Mean, three percentiles and Gini from the fine histogram of the
    /// snapshot's scores (once a day). Per day.
    #[divan::bench]
    fn day_totals_finish(bencher: Bencher) {
        let s = scenario();
        let (hist, fine) = specs();
        let mut acc = day_acc();
        for &e in &snapshot().effective {
            acc.adults += 1;
            acc.score_sum += e;
            acc.fine[fine.bin_of(e)] += 1;
        }
        let group_slots = 10 + 2 + s.population.age_bands.len() + s.population.region_weights.len();
        let (g, b, a) = (s.score.grades.len(), s.behaviours.len(), s.activities.len());
        let mut totals = DayTotals::new(0, &hist, &fine, g, b, a, group_slots);
        totals.add(&acc);
        bencher.bench_local(|| {
            totals.finish(black_box(&fine));
            black_box(&mut totals);
        });
    }

    /// The Gini coefficient alone over the fine histogram (20,001 bins).
    #[divan::bench]
    fn gini_fine(bencher: Bencher) {
        let (_, fine) = specs();
        let mut hist = vec![0u64; fine.bins];
        for &e in &snapshot().effective {
            hist[fine.bin_of(e)] += 1;
        }
        bencher.bench_local(|| gini(black_box(&hist), &fine));
    }
}

/// Whole-engine entry points on seed-article, in a rayon pool of 1 or 2
/// threads. The simulation is built (and warmed up) once per benchmark,
/// outside the timed section.
mod engine {
    use super::*;

    /// The weekly friends' term (`Simulation::benchmark_friends_term`: every
    /// own score, then every friends' term), after four weeks of a run.
    /// Per citizen.
    #[divan::bench(
        args = [size(100_000, 1), size(100_000, 2), size(1_000_000, 1), size(1_000_000, 2)],
        sample_count = 20,
        sample_size = 1,
    )]
    fn friends_term(bencher: Bencher, size: Size) {
        let pool = pool(size.threads);
        let mut sim = warmed(&pool, size.citizens, 28);
        bencher.counter(ItemsCount::new(size.citizens)).bench_local(|| pool.install(|| sim.benchmark_friends_term()));
    }

    /// A week of days (`Simulation::step` seven times: one friends' day,
    /// every metric) after 13 weeks of a run. Per citizen-day.
    #[divan::bench(args = [size(100_000, 1), size(100_000, 2)], sample_count = 15, sample_size = 1)]
    fn step_week(bencher: Bencher, size: Size) {
        let pool = pool(size.threads);
        let mut sim = warmed(&pool, size.citizens, 91);
        bencher.counter(ItemsCount::new(7 * u64::from(size.citizens))).bench_local(|| {
            pool.install(|| {
                for _ in 0..7 {
                    black_box(sim.step());
                }
            })
        });
    }

    /// Day 0: layout, traits, deciles, guardians and the friends graph
    /// (`Simulation::new`). Per citizen.
    #[divan::bench(args = [size(100_000, 1), size(100_000, 2)], sample_count = 10, sample_size = 1)]
    fn population(bencher: Bencher, size: Size) {
        let pool = pool(size.threads);
        let config = RunConfig { citizens: size.citizens, days: DAYS, seed: 1, tracked: vec![] };
        bencher
            .counter(ItemsCount::new(size.citizens))
            .bench_local(|| pool.install(|| Simulation::new(scenario(), config.clone()).unwrap()));
    }
}
