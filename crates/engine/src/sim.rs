//! The day loop (MODEL.md §8) over the chunked columns.
//!
//! One day is a handful of passes, each parallel over chunks:
//!
//! 1. *records*: listing exits, behaviours, records and spurious records,
//!    own records applied at once, listing entries; misattributed records
//!    are buffered (steps 2–4);
//! 2. the buffered misattributed records are applied (serial; rare);
//! 3. on friends' days, every own score S is written to the score column,
//!    then every friends' term F is recomputed from it (step 5);
//! 4. on school-enrolment days, children are tested against their
//!    guardian's state, computed afresh (step 7, school part);
//! 5. *settle*: effective score and grade (6), activities (7), appeals (8)
//!    and the day's figures (9).
//!
//! Within a pass a citizen reads only its own state (and, in 3 and 4,
//! others' state that no one writes in that pass), so the order in which
//! chunks run cannot change a result.

use crate::accum::{DayAcc, DayTotals, FineSpec, Misattributed};
use crate::column::HugeColumn;
use crate::comm::{Comm, Partition, Single};
use crate::metrics::{AuditKind, AuditRow, CitizenRow, DayMetrics, GroupDimension, GroupRow, HistogramSpec, RunTotals};
use crate::population::{self, Layout, LOCAL_WINDOW};
use crate::rng::{Rng, Stream};
use crate::score::{div_round_half_even, Components, ScoreRules};
use crate::state::{self, chunk_size, flag, Chunk, NO_DAY, NO_GUARDIAN};
use crate::tables::{sample_given_any, Tables};
use crate::EngineError;
use rayon::prelude::*;
use scorelab_scenario::{Scenario, Trigger};
use std::sync::Arc;

/// Days in a year (MODEL.md §11).
pub const YEAR: u32 = 365;

/// Most activities a scenario may have (the `ever_denied` bit set is 16 bits).
pub const MAX_ACTIVITIES: usize = 16;

/// Most days in a run (day columns are 16-bit with one sentinel).
pub const MAX_DAYS: u32 = (u16::MAX - 1) as u32;

/// Citizens per batch of the score passes ([`ScoreRules::effective_scores`]):
/// small enough that the batch's scores are still in the L1 cache when the
/// settle loop reads them back.
const SCORE_BLOCK: usize = 2048;

/// The size and seed of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    pub citizens: u32,
    pub days: u32,
    pub seed: u64,
    /// Citizens whose every record, denial and appeal is kept (audit).
    pub tracked: Vec<u32>,
}

/// A run in progress: the population, its state, and what has been measured.
pub struct Simulation {
    pub(crate) model: Model,
    pub(crate) config: RunConfig,
    /// The citizens this process holds (all of them unless the run is
    /// split over ranks, docs/DISTRIBUTED.md).
    pub(crate) part: Partition,
    pub(crate) comm: Arc<dyn Comm>,
    /// Friends held by other ranks, found on the first friends' day.
    pub(crate) ghosts: Option<Ghosts>,
    pub(crate) chunks: Vec<Chunk>,
    /// Effective score Ŝ at the end of the last day of each of this part's
    /// citizens, in order (on friends' days briefly the own score S, see the
    /// module docs): one column, so the friends' term reads a friend's score
    /// with one index; chunk c's are `chunks(chunk_size).nth(c)`.
    pub(crate) scores: HugeColumn,
    pub(crate) accs: Vec<DayAcc>,
    /// Each chunk's working space for candidate days, kept from day to day
    /// so the records pass allocates nothing.
    candidate_scratch: Vec<CandidateScratch>,
    pub(crate) serial: DayAcc,
    pub(crate) group_slots: usize,
    pub(crate) day: u32,
    pub(crate) totals: RunTotals,
    pub(crate) group_denials: Vec<u64>,
    pub(crate) group_wrongful: Vec<u64>,
    pub(crate) group_grants: Vec<u64>,
    pub(crate) audit: Vec<AuditRow>,
    /// School denials of this rank's children today (summed with the day's figures).
    pub(crate) school_denials_today: u64,
}

/// The friends of this rank's citizens that other ranks hold: which to ask
/// each rank for, which each rank asks of this one, and their scores of
/// the last friends' day.
pub(crate) struct Ghosts {
    /// Global indices, ascending: those of rank q's come before rank q+1's.
    needed: Vec<u32>,
    /// Local indices of this rank's citizens that rank q needs.
    wanted: Vec<Vec<u32>>,
    /// Per chunk, the place in `needed` of each friend held elsewhere, in
    /// the order the chunk's friend rows list them: found once, so a
    /// friends' day reads each such score at its place, with no search.
    slots: Vec<Vec<u32>>,
    scores: Vec<i32>,
}

/// Estimated peak memory of a run, in bytes: the state, the friend links,
/// and the buffers of population generation.
pub fn estimate_memory(scenario: &Scenario, citizens: u32) -> u64 {
    let n = u64::from(citizens);
    let links = (scenario.network.mean_degree * n as f64) as u64;
    let cross = (scenario.network.mean_degree / 2.0 * (1.0 - scenario.network.in_region_share) * n as f64) as u64;
    let state = n * state::BYTES_PER_CITIZEN + links * state::BYTES_PER_LINK;
    // Generation holds the latent incomes (4 B) beside each citizen's decile
    // and urban byte, then that byte, the link kinds (a byte) and the
    // cross-region link list (8 B a link) while chunks are built.
    let generation = (n * 5).max(2 * n + cross * 8);
    state + generation + 64 * 1024 * 1024
}

impl Simulation {
    /// Generates the population (day 0) for a run in this process.
    pub fn new(scenario: &Scenario, config: RunConfig) -> Result<Self, EngineError> {
        Self::new_part(scenario, config, Arc::new(Single))
    }

    /// Generates this rank's part of the population (day 0) for a run split
    /// over `comm.ranks()` ranks. Collective: every rank calls it, and then
    /// every method marked collective, in the same order.
    pub fn new_part(scenario: &Scenario, config: RunConfig, comm: Arc<dyn Comm>) -> Result<Self, EngineError> {
        if config.citizens == 0 || config.citizens == u32::MAX {
            return Err(EngineError::Citizens(config.citizens));
        }
        if config.days == 0 || config.days > MAX_DAYS {
            return Err(EngineError::Days(config.days));
        }
        if config.days <= scenario.burn_in_days {
            return Err(EngineError::BurnIn { days: config.days, burn_in: scenario.burn_in_days });
        }
        if let Some(&bad) = config.tracked.iter().find(|&&t| t >= config.citizens) {
            return Err(EngineError::Tracked { citizen: bad, citizens: config.citizens });
        }
        if config.citizens < comm.ranks() as u32 {
            return Err(EngineError::Ranks { citizens: config.citizens, ranks: comm.ranks() });
        }
        let mut sim = Self::empty(scenario, config, comm)?;
        let model = &sim.model;
        let mut chunks = population::generate(&model.rng, &model.scenario, &model.layout, sim.part, &*sim.comm);
        let size = model.chunk_size;
        for &t in sim.config.tracked.iter().filter(|&&t| sim.part.owns(t)) {
            let at = (t - sim.part.first) as usize;
            chunks[at / size].flags[at % size] |= flag::TRACKED;
        }
        let base = model.scenario.score.base_milli as i32; // checked by `empty`
        sim.scores = HugeColumn::filled(sim.part.len as usize, base);
        sim.chunks = chunks;
        Ok(sim)
    }

    /// A simulation on day 0 with its model built from the scenario, its
    /// accumulators sized, and no citizens yet: [`Simulation::new`] fills
    /// it with a fresh population, a checkpoint with a saved one.
    pub(crate) fn empty(scenario: &Scenario, config: RunConfig, comm: Arc<dyn Comm>) -> Result<Self, EngineError> {
        if scenario.activities.len() > MAX_ACTIVITIES {
            return Err(EngineError::TooManyActivities(scenario.activities.len()));
        }
        let limit = i64::from(i32::MAX);
        if scenario.score.min_milli.abs() > limit
            || scenario.score.max_milli.abs() > limit
            || i32::try_from(scenario.score.base_milli).is_err()
        {
            return Err(EngineError::ScoreRange);
        }
        let scenario = scenario.clone();
        let rng = Rng::new(config.seed);
        let rules = ScoreRules::new(&scenario.score, scenario.network.weight_milli, config.days);
        let tables = Tables::new(&scenario);
        let layout = population::layout(&rng, &scenario, config.citizens, &*comm);
        let part = Partition::of(config.citizens, comm.ranks(), comm.rank());
        let size = chunk_size(part.len);
        let histogram = HistogramSpec::for_range(scenario.score.min_milli, scenario.score.max_milli);
        let fine = FineSpec::new(scenario.score.min_milli, scenario.score.max_milli);
        let group_slots = 10 + 2 + scenario.population.age_bands.len() + layout.regions();
        let (g, b, a) = (scenario.score.grades.len(), scenario.behaviours.len(), scenario.activities.len());
        let chunks = (part.len as usize).div_ceil(size);
        let accs = (0..chunks).map(|_| DayAcc::new(&histogram, &fine, g, b, a, group_slots)).collect();
        let candidate_scratch = (0..chunks).map(|_| CandidateScratch::new(&tables)).collect();
        let serial = DayAcc::new(&histogram, &fine, g, b, a, group_slots);
        let totals = RunTotals::empty(u64::from(config.citizens), b, a);
        let thresholds: Vec<i64> =
            scenario.score.grades.iter().map(|gr| gr.threshold_milli.unwrap_or(i64::MIN)).collect();
        let thresholds = (!thresholds.is_empty() && thresholds.windows(2).all(|w| w[0] >= w[1])).then_some(thresholds);
        let triggered = (0..g * 2)
            .map(|state| {
                let (s, r) = tables.triggers.sets(state / 2, state % 2 == 1);
                s | r
            })
            .collect();
        let mut sim = Simulation {
            group_denials: vec![0; group_slots * a],
            group_wrongful: vec![0; group_slots * a],
            group_grants: vec![0; group_slots * a],
            model: Model {
                burn_in: scenario.burn_in_days,
                thresholds,
                triggered,
                bin_table: None,
                scenario,
                rng,
                rules,
                tables,
                layout,
                histogram,
                fine,
                chunk_size: size,
            },
            config,
            part,
            comm,
            ghosts: None,
            chunks: Vec::new(),
            scores: HugeColumn::filled(0, 0),
            accs,
            candidate_scratch,
            serial,
            group_slots,
            day: 0,
            totals,
            audit: Vec::new(),
            school_denials_today: 0,
        };
        sim.model.bin_table = sim.model.build_bin_table();
        Ok(sim)
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &Scenario {
        &self.model.scenario
    }

    /// The run's size and seed.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// The citizens this process holds.
    pub fn part(&self) -> Partition {
        self.part
    }

    /// The chunk and row of citizen `i`, which this rank must own.
    #[inline]
    fn locate(&self, i: u32) -> (usize, usize) {
        debug_assert!(self.part.owns(i), "citizen {i} is not held by rank {}", self.part.rank);
        let at = (i - self.part.first) as usize;
        (at / self.model.chunk_size, at % self.model.chunk_size)
    }

    /// The next day to run (the number of days done).
    pub fn day(&self) -> u32 {
        self.day
    }

    /// Whether every day of the run is done.
    pub fn is_done(&self) -> bool {
        self.day >= self.config.days
    }

    /// The bins of the daily score histogram.
    pub fn histogram_spec(&self) -> HistogramSpec {
        self.model.histogram
    }

    /// Per-run totals so far. Collective.
    pub fn totals(&self) -> RunTotals {
        let mut t = self.totals.clone();
        let a = self.model.scenario.activities.len();
        let mut unique = vec![0u64; a];
        let (mut any, mut listed, mut children) = (0u64, 0u64, 0u64);
        for c in &self.chunks {
            for j in 0..c.len() {
                let bits = c.ever_denied[j];
                if bits != 0 {
                    any += 1;
                    for (k, u) in unique.iter_mut().enumerate() {
                        *u += u64::from((bits >> k) & 1);
                    }
                }
                listed += u64::from(c.flags[j] & flag::EVER_LISTED != 0);
                children += u64::from(c.flags[j] & flag::DENIED_SCHOOL != 0);
            }
        }
        if self.part.ranks > 1 {
            let mut words = unique;
            words.extend([any, listed, children]);
            self.comm.sum(&mut words);
            [any, listed, children] = [words[a], words[a + 1], words[a + 2]];
            words.truncate(a);
            unique = words;
        }
        t.unique_denied = unique;
        t.unique_denied_any = any;
        t.ever_blacklisted = listed;
        t.children_denied_school = children;
        t
    }

    /// Takes the audit rows gathered so far (tracked citizens only), in the
    /// order of the day for each citizen: records and listings, then
    /// denials and grants, then appeals, then the end-of-day score.
    ///
    /// Collective: rank 0 gets every rank's rows, the others none.
    pub fn take_audit(&mut self) -> Vec<AuditRow> {
        let mut rows = std::mem::take(&mut self.audit);
        if self.part.ranks > 1 {
            rows = self.gather_audit(rows);
        }
        let phase = |r: &AuditRow| match r.kind {
            AuditKind::Record | AuditKind::Listed => 0,
            AuditKind::Delisted if r.detail.as_deref() != Some("appeal") => 0,
            AuditKind::Denial | AuditKind::Grant => 1,
            AuditKind::Appeal | AuditKind::Delisted => 2,
            AuditKind::Score => 3,
        };
        rows.sort_by_key(|r| (r.citizen, r.day, phase(r)));
        rows
    }

    /// Sends every rank's audit rows to rank 0.
    fn gather_audit(&self, rows: Vec<AuditRow>) -> Vec<AuditRow> {
        let mut outgoing = vec![Vec::new(); self.part.ranks];
        outgoing[0] = crate::checkpoint::audit_to_words(&rows);
        let received = self.comm.exchange(outgoing);
        if self.part.rank != 0 {
            return Vec::new();
        }
        received
            .iter()
            .flat_map(|words| {
                crate::checkpoint::audit_from_words(words, self.config.citizens, self.config.days)
                    .expect("audit rows encoded by a rank of this run decode")
            })
            .collect()
    }

    #[inline]
    fn age_on(&self, age0: u8, t: u32) -> u32 {
        self.model.age_on(age0, t)
    }

    /// Group slots of a citizen: decile, urban, age band, region.
    #[inline]
    fn slots(bands: &[scorelab_scenario::AgeBand], decile: u8, urban: bool, age: u32, region: u8) -> [usize; 4] {
        let band = bands.iter().rposition(|b| u32::from(b.min) <= age).unwrap_or(0);
        [usize::from(decile) - 1, 10 + usize::from(urban), 12 + band, 12 + bands.len() + usize::from(region)]
    }

    /// Runs one day and returns its figures.
    pub fn step(&mut self) -> DayMetrics {
        let t = self.day;
        if t == self.model.burn_in && t > 0 {
            self.end_burn_in();
        }
        self.serial.clear();
        self.records_pass(t);
        self.apply_misattributed(t);
        let period = self.model.scenario.network.update_period_days;
        if self.model.rules.enabled && self.model.rules.weight > 0 && t % period == period - 1 {
            self.friends_pass(t);
        }
        for k in 0..self.model.tables.school.len() {
            if let Some((ages, day_of_year)) = &self.model.tables.school[k] {
                if t % YEAR == *day_of_year {
                    let ages = ages.clone();
                    self.school_pass(t, k, &ages);
                }
            }
        }
        self.settle_pass(t);

        let s = &self.model.scenario;
        let mut totals = DayTotals::new(
            t,
            &self.model.histogram,
            &self.model.fine,
            s.score.grades.len(),
            s.behaviours.len(),
            s.activities.len(),
            self.group_slots,
        );
        for acc in &mut self.accs {
            totals.add(acc);
            self.audit.append(&mut acc.audit);
        }
        totals.add(&self.serial);
        self.audit.append(&mut self.serial.audit);
        let school = std::mem::take(&mut self.school_denials_today);
        if self.part.ranks > 1 {
            let mut words = totals.to_words(&[school]);
            self.comm.sum(&mut words);
            self.totals.school_denials += totals.from_words(&words)[0];
        } else {
            self.totals.school_denials += school;
        }
        totals.finish(&self.model.fine);
        let m = totals.metrics;
        let sum = |into: &mut Vec<u64>, from: &[u64]| into.iter_mut().zip(from).for_each(|(a, b)| *a += b);
        sum(&mut self.totals.true_events, &m.true_events);
        sum(&mut self.totals.correct_records, &m.correct_records);
        sum(&mut self.totals.erroneous_records, &m.erroneous_records);
        sum(&mut self.totals.denials, &m.denials);
        sum(&mut self.totals.wrongful_denials, &m.wrongful_denials);
        sum(&mut self.totals.grants, &m.grants);
        sum(&mut self.group_denials, &totals.group_denials);
        sum(&mut self.group_wrongful, &totals.group_wrongful);
        sum(&mut self.group_grants, &totals.group_grants);
        self.totals.appeals += m.appeals;
        self.totals.appeals_won += m.appeals_won;
        self.totals.days = t + 1;
        self.day += 1;
        m
    }

    /// Whether day `t` is part of the burn-in (not counted in the totals).
    pub fn is_burn_in(&self, t: u32) -> bool {
        t < self.model.burn_in
    }

    /// Starts the reported run after a burn-in: per-run totals start from
    /// zero, and "ever listed" starts with the citizens listed now.
    fn end_burn_in(&mut self) {
        let s = &self.model.scenario;
        self.totals = RunTotals::empty(u64::from(self.config.citizens), s.behaviours.len(), s.activities.len());
        self.totals.days = self.day;
        for v in [&mut self.group_denials, &mut self.group_wrongful, &mut self.group_grants] {
            v.fill(0);
        }
        self.chunks.par_iter_mut().for_each(|c| {
            c.ever_denied.fill(0);
            for f in &mut c.flags {
                *f &= !(flag::DENIED_SCHOOL | flag::EVER_LISTED);
                if *f & flag::LISTED != 0 {
                    *f |= flag::EVER_LISTED;
                }
            }
        });
    }

    /// Steps 2–4 for every citizen; misattributed records are buffered.
    fn records_pass(&mut self, t: u32) {
        let (ctx, size) = (&self.model, self.model.chunk_size);
        self.chunks
            .par_iter_mut()
            .zip(self.scores.par_chunks(size))
            .zip(self.accs.par_iter_mut())
            .zip(self.candidate_scratch.par_iter_mut())
            .for_each(|(((chunk, scores), acc), scratch)| {
                acc.clear();
                ctx.records_chunk(chunk, scores, acc, scratch, t);
            });
        // Buffers move to the serial step, in chunk order.
        for acc in &mut self.accs {
            self.serial.misattributed.append(&mut acc.misattributed);
        }
    }

    /// Applies the day's misattributed records, each on the rank that holds
    /// its target, in the order of their actors.
    fn apply_misattributed(&mut self, t: u32) {
        let mut list = std::mem::take(&mut self.serial.misattributed);
        if self.part.ranks > 1 {
            let mut outgoing = vec![Vec::new(); self.part.ranks];
            for m in &list {
                outgoing[self.part.owner(m.target)].extend([m.target, m.actor, u32::from(m.behaviour)]);
            }
            list.clear();
            for words in self.comm.exchange(outgoing) {
                list.extend(words.chunks_exact(3).map(|w| Misattributed {
                    target: w[0],
                    actor: w[1],
                    behaviour: w[2] as u16,
                }));
            }
        }
        let ctx = &self.model;
        for m in &list {
            let (c, j) = self.locate(m.target);
            let chunk = &mut self.chunks[c];
            if chunk.flags[j] & flag::OPTED_OUT != 0 {
                continue; // written against someone outside the system: no record
            }
            ctx.apply_record(
                chunk,
                &mut self.serial,
                j,
                t,
                usize::from(m.behaviour),
                RecordKind::Misattributed(m.actor),
            );
        }
        self.serial.misattributed = list;
        self.serial.misattributed.clear();
    }

    /// Runs step 5 (every own score, then every friends' term) alone, for
    /// benchmarks. It overwrites state the next day reads, so the run must
    /// not be stepped afterwards; it is not part of a run.
    #[doc(hidden)]
    pub fn benchmark_friends_term(&mut self) {
        let t = self.day.saturating_sub(1);
        self.friends_pass(t);
    }

    /// Step 5: own scores to the score column, then every friends' term.
    fn friends_pass(&mut self, t: u32) {
        let rules = &self.model.rules;
        let size = self.model.chunk_size;
        self.chunks.par_iter().zip(self.scores.par_chunks_mut(size)).for_each(|(chunk, scores)| {
            // S needs G and L only; E is not brought to the day.
            for (b, block) in scores.chunks_mut(SCORE_BLOCK).enumerate() {
                let start = b * SCORE_BLOCK;
                rules.own_scores(chunk.score_columns(start..start + block.len()), t, block);
            }
        });
        if self.part.ranks > 1 {
            self.exchange_ghost_scores();
        }
        let scores = &self.scores;
        let ghosts = self.ghosts.as_ref();
        let part = self.part;
        // In a run held whole by this process every friend is held here.
        let whole = part.ranks == 1;
        let split_far = whole && scores.len() > SPLIT_FAR_ABOVE;
        self.chunks.par_iter_mut().enumerate().for_each(|(c, chunk)| {
            if split_far {
                friends_terms_whole(chunk, scores, part.first);
                return;
            }
            // Friends held elsewhere, in row order (only partitioned runs have them, and ghosts).
            let mut elsewhere = ghosts.map(|g| g.slots[c].iter().map(|&slot| g.scores[slot as usize]));
            for j in 0..chunk.len() {
                let friends = chunk.friends_of(j);
                if friends.is_empty() {
                    continue;
                }
                let mut sum = 0i64;
                if whole {
                    for &f in friends {
                        sum += i64::from(scores[(f - part.first) as usize]);
                    }
                } else {
                    for &f in friends {
                        sum += if part.owns(f) {
                            i64::from(scores[(f - part.first) as usize])
                        } else {
                            i64::from(elsewhere.as_mut().and_then(Iterator::next).unwrap_or(0))
                        };
                    }
                }
                let f = div_round_half_even(sum, friends.len() as i64);
                chunk.friends_term[j] = f as i32;
            }
        });
    }

    /// Sends the own scores of this rank's citizens to the ranks holding
    /// their friends, and receives the scores of friends held elsewhere.
    /// The first call works out, once, which scores go where.
    fn exchange_ghost_scores(&mut self) {
        if self.ghosts.is_none() {
            self.ghosts = Some(self.find_ghosts());
        }
        let Some(ghosts) = self.ghosts.as_mut() else { return };
        let first = self.part.first;
        let scores = &self.scores;
        let outgoing = ghosts
            .wanted
            .iter()
            .map(|list| list.iter().map(|&at| scores[at as usize] as u32).collect::<Vec<u32>>())
            .collect();
        debug_assert!(ghosts.wanted.iter().flatten().all(|&at| at < self.part.len), "first {first}");
        ghosts.scores.clear();
        for words in self.comm.exchange(outgoing) {
            ghosts.scores.extend(words.into_iter().map(|w| w as i32));
        }
        assert_eq!(ghosts.scores.len(), ghosts.needed.len(), "every rank sends the scores asked of it");
    }

    /// Which friends of this rank's citizens other ranks hold, and which of
    /// this rank's citizens other ranks need. Collective.
    fn find_ghosts(&self) -> Ghosts {
        let part = self.part;
        let mut needed: Vec<u32> =
            self.chunks.par_iter().flat_map_iter(|c| c.friends.iter().copied().filter(|&f| !part.owns(f))).collect();
        needed.par_sort_unstable();
        needed.dedup();
        let mut from = vec![0usize];
        for q in 0..part.ranks {
            let end = Partition::of(part.citizens, part.ranks, q).end();
            from.push(needed.partition_point(|&i| i < end));
        }
        let outgoing = (0..part.ranks).map(|q| needed[from[q]..from[q + 1]].to_vec()).collect();
        let wanted = self
            .comm
            .exchange(outgoing)
            .into_iter()
            .map(|list| list.into_iter().map(|i| i - part.first).collect())
            .collect();
        let slots = self
            .chunks
            .par_iter()
            .map(|c| {
                let elsewhere = c.friends.iter().filter(|&&f| !part.owns(f));
                elsewhere.map(|&f| needed.partition_point(|&n| n < f) as u32).collect()
            })
            .collect();
        Ghosts { scores: Vec::with_capacity(needed.len()), needed, wanted, slots }
    }

    /// Step 7 for school enrolment: each child of an enrolment age is tested
    /// against the guardian's state after step 6, computed afresh. The
    /// guardian's rank judges the guardian (and records the denial against
    /// them); the child's rank counts the outcome.
    fn school_pass(&mut self, t: u32, k: usize, ages: &[u8]) {
        let ctx = &self.model;
        // (child, guardian) for this rank's children of an enrolment age, in child order.
        let requests: Vec<(u32, u32)> = self
            .chunks
            .par_iter()
            .flat_map_iter(|chunk| {
                (0..chunk.len()).filter_map(move |j| {
                    let age = ctx.age_on(chunk.age0[j], t);
                    let guardian = chunk.guardian[j];
                    (guardian != NO_GUARDIAN && ages.iter().any(|&a| u32::from(a) == age))
                        .then_some((chunk.first + j as u32, guardian))
                })
            })
            .collect();
        let verdicts = if self.part.ranks == 1 {
            self.judge_guardians(t, k, &requests)
        } else {
            self.judge_guardians_elsewhere(t, k, &requests)
        };
        for (&(child, guardian), verdict) in requests.iter().zip(verdicts) {
            if verdict != Verdict::Neutral {
                self.count_school_outcome(t, k, child, guardian, verdict);
            }
        }
    }

    /// [`Simulation::judge_guardians`] on the ranks that hold the guardians:
    /// the requests go to them, the verdicts come back in request order.
    fn judge_guardians_elsewhere(&mut self, t: u32, k: usize, requests: &[(u32, u32)]) -> Vec<Verdict> {
        let ranks = self.part.ranks;
        let mut outgoing = vec![Vec::new(); ranks];
        for &(child, guardian) in requests {
            outgoing[self.part.owner(guardian)].extend([child, guardian]);
        }
        let asked = self.comm.exchange(outgoing);
        let answers = asked
            .iter()
            .map(|words| {
                let pairs: Vec<(u32, u32)> = words.chunks_exact(2).map(|w| (w[0], w[1])).collect();
                self.judge_guardians(t, k, &pairs).into_iter().flat_map(Verdict::to_words).collect()
            })
            .collect();
        let answered = self.comm.exchange(answers);
        let mut at = vec![0usize; ranks];
        requests
            .iter()
            .map(|&(_, guardian)| {
                let q = self.part.owner(guardian);
                let v = Verdict::from_words(&answered[q][at[q]..at[q] + 2]);
                at[q] += 2;
                v
            })
            .collect()
    }

    /// The verdicts of activity k on the guardians of `requests` (child,
    /// guardian), all held here, with each denial recorded against its
    /// guardian (last denial, ever denied, audit).
    fn judge_guardians(&mut self, t: u32, k: usize, requests: &[(u32, u32)]) -> Vec<Verdict> {
        let verdicts: Vec<Verdict> = requests
            .par_iter()
            .map(|&(_, guardian)| {
                let (c, j) = self.locate(guardian);
                let gc = &self.chunks[c];
                // A guardian outside an opt-in system is never sanctioned or rewarded.
                if gc.flags[j] & flag::OPTED_OUT != 0 {
                    return Verdict::Neutral;
                }
                self.model.verdict(k, &self.model.view(gc, j, t))
            })
            .collect();
        for (&(child, guardian), &verdict) in requests.iter().zip(&verdicts) {
            let Verdict::Denied { wrongful, met } = verdict else { continue };
            let (c, j) = self.locate(guardian);
            let g = &mut self.chunks[c];
            g.last_denial[j] = t as u16;
            g.ever_denied[j] |= 1 << k;
            if g.flags[j] & flag::TRACKED != 0 {
                let mut row = AuditRow::new(guardian, t, AuditKind::Denial);
                row.activity = Some(self.model.scenario.activities[k].name.clone());
                row.rule = Some(format!("guardian: {}", self.model.rule_text(k, met, true)));
                row.wrongful = Some(wrongful);
                row.other = Some(child);
                self.serial.audit.push(row);
            }
        }
        verdicts
    }

    /// Counts a school denial or grant against the child (held here).
    fn count_school_outcome(&mut self, t: u32, k: usize, child: u32, guardian: u32, verdict: Verdict) {
        let ctx = &self.model;
        let (cc, cj) = self.locate(child);
        let c = &mut self.chunks[cc];
        let age = ctx.age_on(c.age0[cj], t);
        let slots = Self::slots(
            &ctx.scenario.population.age_bands,
            c.decile[cj],
            c.flags[cj] & flag::URBAN != 0,
            age,
            c.region[cj],
        );
        let tracked = c.flags[cj] & flag::TRACKED != 0;
        let acc = &mut self.serial;
        let a = ctx.scenario.activities.len();
        let mut row = AuditRow::new(child, t, AuditKind::Denial);
        row.activity = Some(ctx.scenario.activities[k].name.clone());
        row.other = Some(guardian);
        match verdict {
            Verdict::Denied { wrongful, met } => {
                acc.denials[k] += 1;
                acc.wrongful_denials[k] += u32::from(wrongful);
                for s in slots {
                    acc.group_denials[s * a + k] += 1;
                    acc.group_wrongful[s * a + k] += u32::from(wrongful);
                }
                self.school_denials_today += 1;
                c.flags[cj] |= flag::DENIED_SCHOOL;
                row.rule = Some(format!("guardian: {}", ctx.rule_text(k, met, true)));
                row.wrongful = Some(wrongful);
            }
            Verdict::Granted { met } => {
                acc.grants[k] += 1;
                for s in slots {
                    acc.group_grants[s * a + k] += 1;
                }
                row.kind = AuditKind::Grant;
                row.rule = Some(format!("guardian: {}", ctx.rule_text(k, met, false)));
            }
            Verdict::Neutral => return,
        }
        if tracked {
            acc.audit.push(row);
        }
    }

    /// Steps 6–9 for every citizen.
    fn settle_pass(&mut self, t: u32) {
        let (ctx, size) = (&self.model, self.model.chunk_size);
        self.chunks
            .par_iter_mut()
            .zip(self.scores.par_chunks_mut(size))
            .zip(self.accs.par_iter_mut())
            .for_each(|((chunk, scores), acc)| ctx.settle_chunk(chunk, scores, acc, t));
    }

    /// Per-run figures by income decile, urban/rural, age band and region.
    /// Collective.
    pub fn groups(&self) -> Vec<GroupRow> {
        let s = &self.model.scenario;
        let a = s.activities.len();
        let t_end = self.day.saturating_sub(1);
        let mut citizens = vec![0u64; self.group_slots];
        let mut unique = vec![0u64; self.group_slots * a];
        for c in &self.chunks {
            for j in 0..c.len() {
                let age = self.age_on(c.age0[j], t_end);
                let slots =
                    Self::slots(&s.population.age_bands, c.decile[j], c.flags[j] & flag::URBAN != 0, age, c.region[j]);
                for slot in slots {
                    citizens[slot] += 1;
                    let bits = c.ever_denied[j];
                    for (k, u) in unique[slot * a..(slot + 1) * a].iter_mut().enumerate() {
                        *u += u64::from((bits >> k) & 1);
                    }
                }
            }
        }
        if self.part.ranks > 1 {
            let mut words = citizens;
            words.append(&mut unique);
            self.comm.sum(&mut words);
            unique = words.split_off(self.group_slots);
            citizens = words;
        }
        let bands = &s.population.age_bands;
        let mut labels: Vec<(GroupDimension, String)> = Vec::with_capacity(self.group_slots);
        labels.extend((1..=10).map(|d| (GroupDimension::IncomeDecile, d.to_string())));
        labels.push((GroupDimension::Urban, "rural".into()));
        labels.push((GroupDimension::Urban, "urban".into()));
        for (i, b) in bands.iter().enumerate() {
            let label = if i + 1 == bands.len() { format!("{}+", b.min) } else { format!("{}-{}", b.min, b.max) };
            labels.push((GroupDimension::AgeBand, label));
        }
        labels.extend((0..self.model.layout.regions()).map(|r| (GroupDimension::Region, r.to_string())));
        let mut rows = Vec::with_capacity(self.group_slots * a);
        for (slot, (dim, label)) in labels.into_iter().enumerate() {
            for (k, act) in s.activities.iter().enumerate() {
                let i = slot * a + k;
                rows.push(GroupRow {
                    dimension: dim,
                    group: label.clone(),
                    activity: act.name.clone(),
                    citizens: citizens[slot],
                    denials: self.group_denials[i],
                    wrongful_denials: self.group_wrongful[i],
                    grants: self.group_grants[i],
                    unique_denied: unique[i],
                });
            }
        }
        rows
    }

    /// The final state of every `every`-th citizen (every citizen for 1)
    /// that this rank holds.
    pub fn citizens(&self, every: u32) -> impl Iterator<Item = CitizenRow> + '_ {
        let every = every.max(1);
        let t = self.day.saturating_sub(1);
        let ctx = &self.model;
        let first = self.part.first.div_ceil(every).saturating_mul(every);
        (first..self.part.end()).step_by(every as usize).map(move |i| {
            let (c, j) = self.locate(i);
            let c = &self.chunks[c];
            let v = ctx.view(c, j, t);
            let s = &self.model.scenario;
            CitizenRow {
                id: i,
                age: self.age_on(c.age0[j], t),
                region: c.region[j],
                urban: c.flags[j] & flag::URBAN != 0,
                income_decile: c.decile[j],
                aware: c.flags[j] & flag::AWARE != 0,
                compliance: c.compliance[j],
                dissent: c.dissent[j],
                guardian: (c.guardian[j] != NO_GUARDIAN).then_some(c.guardian[j]),
                friends: c.friends_of(j).len() as u32,
                own_score_milli: v.own,
                effective_score_milli: v.effective,
                grade: s.score.grades[v.grade].name.clone(),
                gains_milli: v.gains,
                losses_milli: v.losses,
                erroneous_losses_milli: v.erroneous(&ctx.rules),
                blacklisted: v.listed,
                listing_backed: v.listed && v.backed,
                ever_denied: s
                    .activities
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| (c.ever_denied[j] >> k) & 1 == 1)
                    .map(|(_, a)| a.name.clone())
                    .collect(),
                denied_school_as_child: c.flags[j] & flag::DENIED_SCHOOL != 0,
            }
        })
    }

    /// The friends of citizen `i`, who must be held by this rank (global
    /// indices, ascending, no repeats).
    pub fn friends_of(&self, i: u32) -> &[u32] {
        let (c, j) = self.locate(i);
        self.chunks[c].friends_of(j)
    }

    /// Friend links stored by this rank (each undirected link counted twice
    /// over the whole run).
    pub fn friend_links(&self) -> u64 {
        self.chunks.iter().map(|c| c.friends.len() as u64).sum()
    }

    /// Bytes held by this rank's state columns and friend links.
    pub fn state_bytes(&self) -> u64 {
        u64::from(self.part.len) * state::BYTES_PER_CITIZEN + self.friend_links() * state::BYTES_PER_LINK
    }
}

/// Score columns longer than this (7 MiB of scores) take
/// [`friends_terms_whole`]; shorter ones stay in the caches, where reading
/// friend by friend is cheaper. Measured on this machine's 32 MiB L3
/// (`scorelab bench --citizens N --days 1`, the weekly term, alternated
/// with the friend-by-friend loop): the split took 25% longer at 1 M
/// citizens, about as long at 1.5 M, 15% less at 2 M and 40% less at 3 M.
const SPLIT_FAR_ABOVE: usize = (7 << 20) / std::mem::size_of::<i32>();
/// Citizens whose friends' terms [`friends_terms_whole`] sums at a time.
const FRIENDS_BLOCK: usize = 256;
/// Far friends' reads [`friends_terms_whole`] holds before making them.
const FAR_READS: usize = 256;
// A far read names its row in the block with a `u16`.
const _: () = assert!(FRIENDS_BLOCK <= 1 << 16);

/// Step 5's friends' terms of a chunk, in a run held whole by this process
/// (`scores` is the part's score column, from citizen `first`). The sums
/// are the same integers as friend by friend, in any order: the reads
/// are only split by where they go. A friend within [`LOCAL_WINDOW`]
/// places is read at once (most are: in-region links are drawn that
/// close, so their scores are in cache); the others, about a fifth, land
/// anywhere in the column and mostly miss every cache, so they are listed
/// first and then read in one tight loop with nothing else between them,
/// where the core keeps many of those misses in flight at once (friend by
/// friend, the branches and arithmetic of the near reads between two far
/// ones left few of them overlapping).
fn friends_terms_whole(chunk: &mut Chunk, scores: &[i32], first: u32) {
    let mut far = [(0u16, 0u32); FAR_READS];
    let mut sums = [0i64; FRIENDS_BLOCK];
    let n = chunk.len();
    for start in (0..n).step_by(FRIENDS_BLOCK) {
        let end = (start + FRIENDS_BLOCK).min(n);
        let mut listed = 0;
        for (k, j) in (start..end).enumerate() {
            let i = chunk.first + j as u32;
            let (lo, hi) = (i.saturating_sub(LOCAL_WINDOW), i.saturating_add(LOCAL_WINDOW));
            // Far reads listed before this row's sum is stored may be made
            // meanwhile (when the list fills): they add to `sums[k]`.
            sums[k] = 0;
            let mut sum = 0i64;
            for &f in chunk.friends_of(j) {
                if f >= lo && f <= hi {
                    sum += i64::from(scores[(f - first) as usize]);
                } else {
                    if listed == FAR_READS {
                        read_far(&far, scores, first, &mut sums);
                        listed = 0;
                    }
                    far[listed] = (k as u16, f);
                    listed += 1;
                }
            }
            sums[k] += sum;
        }
        read_far(&far[..listed], scores, first, &mut sums);
        for (k, j) in (start..end).enumerate() {
            let count = chunk.friends_of(j).len() as i64;
            if count > 0 {
                chunk.friends_term[j] = div_round_half_even(sums[k], count) as i32;
            }
        }
    }
}

/// Adds the far friends' scores listed in `far` (row in the block, friend)
/// to their rows' sums.
#[inline]
fn read_far(far: &[(u16, u32)], scores: &[i32], first: u32, sums: &mut [i64; FRIENDS_BLOCK]) {
    for &(k, f) in far {
        sums[usize::from(k)] += i64::from(scores[(f - first) as usize]);
    }
}

#[inline]
fn stored(chunk: &Chunk, j: usize) -> Components {
    Components { gains: chunk.gains[j], losses: chunk.losses[j], erroneous: chunk.erroneous[j] }
}

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecordKind {
    Correct,
    Spurious,
    Misattributed(u32),
}

/// A citizen's state on a day, derived from the columns.
#[derive(Debug, Clone, Copy)]
struct View {
    /// G and L brought to the day; E is brought there only when asked
    /// ([`View::erroneous`]): few citizen-days need it.
    gains: i64,
    losses: i64,
    stored_erroneous: i64,
    last_update: u32,
    day: u32,
    own: i64,
    effective: i64,
    friends_term: i64,
    has_friends: bool,
    grade: usize,
    listed: bool,
    backed: bool,
}

impl View {
    /// E brought to the view's day.
    #[inline]
    fn erroneous(&self, rules: &ScoreRules) -> i64 {
        rules.decay(self.stored_erroneous, self.last_update, self.day)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Neutral,
    /// `met`: bit i set when trigger i of the sanction was met.
    Denied {
        wrongful: bool,
        met: u32,
    },
    Granted {
        met: u32,
    },
}

impl Verdict {
    /// Two words for the exchange between ranks: kind and wrongful, met.
    fn to_words(self) -> [u32; 2] {
        match self {
            Verdict::Neutral => [0, 0],
            Verdict::Denied { wrongful, met } => [1 | u32::from(wrongful) << 1, met],
            Verdict::Granted { met } => [4, met],
        }
    }

    fn from_words(w: &[u32]) -> Verdict {
        match w[0] {
            0 => Verdict::Neutral,
            4 => Verdict::Granted { met: w[1] },
            code => Verdict::Denied { wrongful: code & 2 != 0, met: w[1] },
        }
    }
}

/// Working space of a citizen's candidate day, set up once per chunk for
/// the whole run rather than once per candidate day.
struct CandidateScratch {
    /// Items 2b and 2b + 1: behaviour b's bounded and spurious rates.
    items: Vec<f64>,
    /// Suffix sums of `items`: Σ_{k' ≥ k} items[k'].
    suffix: Vec<f64>,
    /// Behaviour b's rate before the bound.
    base: Vec<f64>,
    /// The trait term of each (β_c, β_d) pair of `Tables::trait_pairs`.
    terms: Vec<f64>,
}

impl CandidateScratch {
    fn new(tables: &Tables) -> Self {
        let nb = tables.behaviours.len();
        CandidateScratch {
            items: vec![0.0; 2 * nb],
            suffix: vec![0.0; 2 * nb],
            base: vec![0.0; nb],
            terms: vec![0.0; tables.trait_pairs.len()],
        }
    }
}

/// What the passes read and never write: the scenario and what is derived
/// from it. Kept apart from the columns so a pass can borrow both.
pub(crate) struct Model {
    pub(crate) scenario: Scenario,
    pub(crate) rng: Rng,
    pub(crate) rules: ScoreRules,
    pub(crate) tables: Tables,
    pub(crate) layout: Layout,
    pub(crate) histogram: HistogramSpec,
    pub(crate) fine: FineSpec,
    pub(crate) chunk_size: usize,
    /// Days of burn-in: the first days of the run, not counted in its totals.
    pub(crate) burn_in: u32,
    /// Grade thresholds (thousandths, the lowest grade's as `i64::MIN`) when
    /// they never rise from one grade to the next, as validated scenarios
    /// have them: the grade is then the number of thresholds above the
    /// score (see [`Model::grade`]). `None`: the scenario's own scan.
    pub(crate) thresholds: Option<Vec<i64>>,
    /// Per fine bin, the coarse histogram bin (high byte) and the grade (low
    /// byte) of every score in it, when each fine bin lies inside one coarse
    /// bin and one grade (thresholds and 10-point edges on 0.1-point edges,
    /// as in the built-in scenarios): see [`Model::bins`]. `None` otherwise.
    pub(crate) bin_table: Option<Vec<u16>>,
    /// Per (grade, listed) state: the activities whose sanction or reward
    /// is met there (`sanctioned | rewarded` of the trigger table).
    pub(crate) triggered: Vec<u16>,
}

impl Model {
    /// Whole years since day 0 of the population. Ages stand still during
    /// a burn-in, so the reported run starts with the day-0 population the
    /// scenario describes (docs/model-choices.md).
    #[inline]
    pub(crate) fn years(&self, t: u32) -> u32 {
        t.saturating_sub(self.burn_in) / YEAR
    }

    /// Age of a citizen on day t.
    #[inline]
    pub(crate) fn age_on(&self, age0: u8, t: u32) -> u32 {
        u32::from(age0) + self.years(t)
    }

    /// The grade of an effective score: the scenario's `grade_of`, by
    /// counting the thresholds above the score when they never rise (the
    /// first grade whose threshold is at most the score comes right after
    /// them; past the last grade, the last).
    #[inline(always)]
    fn grade(&self, effective: i64) -> usize {
        match &self.thresholds {
            Some(th) => th.iter().map(|&x| usize::from(x > effective)).sum::<usize>().min(th.len() - 1),
            None => self.scenario.score.grade_of(effective),
        }
    }

    /// The table behind [`Model::bins`], or `None` when some fine bin
    /// straddles a coarse bin edge or a grade threshold (or there are more
    /// than 255 coarse bins or grades). Both the coarse bin and the grade
    /// never decrease with the score, so a bin whose first and last scores
    /// agree on them agrees on them throughout.
    fn build_bin_table(&self) -> Option<Vec<u16>> {
        let (fine, histogram) = (&self.fine, &self.histogram);
        if histogram.bins > 255 || self.scenario.score.grades.len() > 255 {
            return None;
        }
        (0..fine.bins as i64)
            .map(|b| {
                let lo = fine.origin + b * fine.width;
                let hi = lo + fine.width - 1;
                let (coarse, grade) = (histogram.bin_of(lo), self.grade(lo));
                (coarse == histogram.bin_of(hi) && grade == self.grade(hi)).then_some((coarse << 8 | grade) as u16)
            })
            .collect()
    }

    /// The fine bin, coarse histogram bin and grade of an effective score:
    /// `(fine.bin_of, histogram.bin_of, grade)`, the last two read from the
    /// bin table for scores inside the fine bins' span (where `fine.bin_of`
    /// clamps nothing).
    #[inline(always)]
    fn bins(&self, effective: i64) -> (usize, usize, usize) {
        let fine = self.fine.bin_of(effective);
        if let Some(table) = &self.bin_table {
            let x = effective - self.fine.origin;
            if x >= 0 && x < table.len() as i64 * self.fine.width {
                let v = table[fine];
                return (fine, usize::from(v >> 8), usize::from(v & 0xff));
            }
        }
        (fine, self.histogram.bin_of(effective), self.grade(effective))
    }

    #[inline]
    fn view(&self, chunk: &Chunk, j: usize, t: u32) -> View {
        let last_update = u32::from(chunk.last_update[j]);
        let gains = self.rules.decay(chunk.gains[j], last_update, t);
        let losses = self.rules.decay(chunk.losses[j], last_update, t);
        let own = self.rules.own(gains, losses);
        let has_friends = chunk.friend_offsets[j + 1] > chunk.friend_offsets[j];
        let friends_term = i64::from(chunk.friends_term[j]);
        let effective = self.rules.effective(own, friends_term, has_friends);
        View {
            gains,
            losses,
            stored_erroneous: chunk.erroneous[j],
            last_update,
            day: t,
            own,
            effective,
            friends_term,
            has_friends,
            grade: self.grade(effective),
            listed: chunk.flags[j] & flag::LISTED != 0,
            backed: chunk.flags[j] & flag::BACKED != 0,
        }
    }

    /// Bit set of the triggers in `list` met by a grade and a listing status.
    #[inline]
    fn met_set(&self, list: &[Trigger], grade: usize, listed: bool) -> u32 {
        crate::tables::met_set(list, grade, listed, self.rules.enabled)
    }

    /// What activity `k` does for a citizen in state `v`: denied (with
    /// whether wrongfully: no trigger met with E removed and only backed
    /// listings counted), granted, or neither.
    fn verdict(&self, k: usize, v: &View) -> Verdict {
        let met = self.tables.triggers.sanction_met(v.grade, v.listed, k);
        if met != 0 {
            return Verdict::Denied { wrongful: self.wrongful(k, v), met };
        }
        let met = self.tables.triggers.reward_met(v.grade, v.listed, k);
        if met != 0 {
            return Verdict::Granted { met };
        }
        Verdict::Neutral
    }

    /// Whether a denial of activity k is wrongful (§6, §11): no trigger of
    /// its sanction would be met with E removed from the score (F
    /// unchanged) and only a backed listing counted.
    fn wrongful(&self, k: usize, v: &View) -> bool {
        let own = self.rules.own(v.gains, v.losses - v.erroneous(&self.rules));
        let eff = self.rules.effective(own, v.friends_term, v.has_friends);
        let grade = self.grade(eff);
        self.met_set(&self.tables.sanctions[k], grade, v.listed && v.backed) == 0
    }

    /// Text of the triggers met (bit set `met` over the sanction's or the
    /// reward's list), e.g. `blacklisted; grade <= D`, with the label.
    fn rule_text(&self, k: usize, met: u32, sanction: bool) -> String {
        let a = &self.scenario.activities[k];
        let (list, label) = if sanction { (&a.sanction, &a.sanction_label) } else { (&a.reward, &a.reward_label) };
        let text = list
            .iter()
            .enumerate()
            .filter(|(i, _)| (met >> i) & 1 == 1)
            .map(|(_, &tr)| self.scenario.trigger_text(tr))
            .collect::<Vec<_>>()
            .join("; ");
        match label {
            Some(l) => format!("{text} ({l})"),
            None => text,
        }
    }

    /// Pressure P_i(t) from yesterday's effective score (§2).
    #[inline]
    fn pressure(&self, aware: bool, yesterday: i32) -> f64 {
        if !aware {
            return 0.0;
        }
        let gap = (self.tables.base - i64::from(yesterday)) as f64 / self.tables.width_milli;
        (self.tables.general_deterrence + gap.max(0.0)).min(1.0)
    }

    /// Candidate rates of citizen j at `age`: per behaviour b, the bounded
    /// event rate x = λ̄·bound/365 and the spurious rate as items 2b and
    /// 2b + 1 of `scratch.items`, and λ̄/365 as `scratch.base[b]`, all 0
    /// outside the age range. Returns the sum of the items.
    /// (Not inlined: inside `records_chunk` its loop ran short of registers
    /// and kept the total on the stack; on its own, the loop is unswitched
    /// on `urban` and costs ~19 instructions a behaviour instead of ~27.)
    #[inline(never)]
    fn candidate_rates(&self, chunk: &Chunk, j: usize, age: u32, scratch: &mut CandidateScratch) -> f64 {
        let c = f64::from(chunk.compliance[j]) - 0.5;
        let d = f64::from(chunk.dissent[j]) - 0.5;
        let urban = chunk.flags[j] & flag::URBAN != 0;
        // Every trait term this citizen's age needs, first, once per
        // (β_c, β_d) pair (pairs are distinct bit for bit, and the same
        // expression gives the same bits). A pair's ages cover those of its
        // behaviours, so the terms left from another citizen are never read.
        for (term, pair) in scratch.terms.iter_mut().zip(&self.tables.trait_pairs) {
            if age >= pair.age_min && age <= pair.age_max {
                *term = (pair.compliance_slope * c + pair.dissent_slope * d).exp();
            }
        }
        let mut total = 0.0;
        let rows = self.tables.behaviours.iter().zip(scratch.items.chunks_exact_mut(2)).zip(&mut scratch.base);
        for ((row, item), base) in rows {
            if age < row.age_min || age > row.age_max {
                item[0] = 0.0;
                item[1] = 0.0;
                *base = 0.0;
                continue;
            }
            let mut rate = row.daily_rate * scratch.terms[row.trait_term];
            if urban {
                rate *= row.urban_multiplier;
            }
            *base = rate;
            item[0] = rate * row.bound;
            item[1] = row.spurious_daily;
            total += item[0] + item[1];
        }
        total
    }

    /// The day of the next candidate, drawn after `from - 1`: `from + G`
    /// with G geometric of daily probability 1 − exp(−total).
    #[inline]
    fn next_candidate(&self, citizen: u32, t: u32, slot: u32, from: u32, total: f64) -> u16 {
        if total <= 0.0 {
            return NO_DAY;
        }
        let gap = (self.rng.exponential(Stream::Candidate, citizen, t, slot) / total).floor();
        let day = f64::from(from) + gap;
        if day >= f64::from(NO_DAY) {
            NO_DAY
        } else {
            day as u16
        }
    }

    /// Steps 2–4 for citizen j of a chunk.
    fn records_for(
        &self,
        chunk: &mut Chunk,
        scores: &[i32],
        acc: &mut DayAcc,
        scratch: &mut CandidateScratch,
        j: usize,
        t: u32,
    ) {
        let i = chunk.first + j as u32;
        // Step 4, first half: exits are drawn before the day's entries.
        if chunk.flags[j] & flag::LISTED != 0 && u32::from(chunk.listing_end[j]) <= t {
            chunk.flags[j] &= !(flag::LISTED | flag::BACKED);
            acc.listings_ended += 1;
            if chunk.flags[j] & flag::TRACKED != 0 {
                let mut row = AuditRow::new(i, t, AuditKind::Delisted);
                row.detail = Some("paid or term over".into());
                acc.audit.push(row);
            }
        }
        // Most citizen-days have no candidate: leave before the rates are computed.
        let year_start = t % YEAR == 0;
        if !year_start && u32::from(chunk.next_candidate[j]) != t {
            return;
        }
        let age = self.age_on(chunk.age0[j], t);
        // The rates change only with the age, on year starts; a candidate
        // day that is also a year start uses the same rates for both.
        let total = self.candidate_rates(chunk, j, age, scratch);
        if year_start {
            chunk.next_candidate[j] = self.next_candidate(i, t, 0, t, total);
            if u32::from(chunk.next_candidate[j]) != t {
                return;
            }
        }
        let CandidateScratch { items, suffix, base, .. } = &mut *scratch;
        let mut run = 0.0;
        for (s, &x) in suffix.iter_mut().zip(items.iter()).rev() {
            run += x;
            *s = run;
        }
        let pressure = self.pressure(chunk.flags[j] & flag::AWARE != 0, scores[j]);
        let (items, suffix, base) = (&items[..], &suffix[..], &base[..]);
        // A candidate day makes several draws for (i, t): mix (i, t) once.
        let draws = self.rng.draws(i, t);
        sample_given_any(
            items,
            suffix,
            |k| draws.uniform(Stream::CandidatePick, k),
            |k| {
                let b = k / 2;
                let row = &self.tables.behaviours[b];
                if k % 2 == 1 {
                    // A spurious candidate: a record only where b is penalised.
                    if row.penalised && chunk.flags[j] & flag::OPTED_OUT == 0 {
                        self.apply_record(chunk, acc, j, t, b, RecordKind::Spurious);
                    }
                    return;
                }
                // Thinning: accept the bounded candidate with probability p/q.
                // MODEL §2: deterrence if penalised, boost if rewarded (both
                // when a rewarded behaviour also blacklists).
                let mut multiplier = 1.0;
                if row.penalised {
                    multiplier *= (1.0 - row.deterrence * pressure).max(0.0);
                }
                if row.rewarded {
                    multiplier *= 1.0 + row.boost * pressure;
                }
                let p = -(-base[b] * multiplier).exp_m1();
                let q = -(-items[k]).exp_m1();
                if draws.uniform(Stream::Accept, b as u32) * q >= p {
                    return;
                }
                acc.true_events[b] += 1;
                if chunk.flags[j] & flag::OPTED_OUT != 0 {
                    return; // outside the system: nothing is recorded
                }
                let urban = chunk.flags[j] & flag::URBAN != 0;
                let coverage = if urban { row.coverage_urban } else { row.coverage_rural };
                if !draws.bernoulli(coverage, Stream::Coverage, b as u32) {
                    return;
                }
                if row.misattribution > 0.0 && draws.bernoulli(row.misattribution, Stream::Misattribution, b as u32) {
                    // Uniform among the region's citizens of an eligible age today, never the actor.
                    let r = usize::from(chunk.region[j]);
                    let year = i64::from(self.years(t));
                    let (lo, hi) =
                        self.layout.age_range(r, i64::from(row.age_min) - year, i64::from(row.age_max) - year);
                    let others = hi.saturating_sub(lo).saturating_sub(1);
                    if others > 0 {
                        let pick = lo + draws.below(u64::from(others), Stream::MisattributionTarget, b as u32) as u32;
                        let target = if pick >= i { pick + 1 } else { pick };
                        acc.misattributed.push(Misattributed { target, actor: i, behaviour: b as u16 });
                    }
                    return;
                }
                self.apply_record(chunk, acc, j, t, b, RecordKind::Correct);
            },
        );
        chunk.next_candidate[j] = self.next_candidate(i, t, 1, t + 1, total);
    }

    /// Writes a record of behaviour b against citizen j: the score (§4) and
    /// a listing (§5).
    fn apply_record(&self, chunk: &mut Chunk, acc: &mut DayAcc, j: usize, t: u32, b: usize, kind: RecordKind) {
        let row = &self.tables.behaviours[b];
        let erroneous = kind != RecordKind::Correct;
        if erroneous {
            acc.erroneous_records[b] += 1;
        } else {
            acc.correct_records[b] += 1;
        }
        let i = chunk.first + j as u32;
        // MODEL.md §4: every record, whatever its points (0 included), brings
        // G, L and E to day t and sets t0 = t; the rebase rounds, so skipping
        // it for zero-point records would change later values.
        if self.rules.enabled {
            let now = self.rules.components(stored(chunk, j), u32::from(chunk.last_update[j]), t);
            let (mut g, mut l, mut e) = (now.gains, now.losses, now.erroneous);
            if row.points > 0 {
                g += row.points;
            } else {
                l += row.points;
                if erroneous {
                    e += row.points;
                }
            }
            chunk.gains[j] = g;
            chunk.losses[j] = l;
            chunk.erroneous[j] = e;
            chunk.last_update[j] = t as u16;
        }
        let tracked = chunk.flags[j] & flag::TRACKED != 0;
        if tracked {
            let beh = &self.scenario.behaviours[b];
            let mut a = AuditRow::new(i, t, AuditKind::Record);
            a.behaviour = Some(beh.name.clone());
            a.source = Some(self.scenario.sources[beh.source].name.clone());
            a.points_milli = Some(row.points);
            a.erroneous = Some(erroneous);
            a.detail = Some(
                match kind {
                    RecordKind::Correct => "correct",
                    RecordKind::Spurious => "spurious",
                    RecordKind::Misattributed(_) => "misattributed",
                }
                .into(),
            );
            if let RecordKind::Misattributed(actor) = kind {
                a.actor = Some(actor);
            }
            acc.audit.push(a);
        }
        if row.blacklists {
            let f = &mut chunk.flags[j];
            if *f & flag::LISTED == 0 {
                *f |= flag::LISTED | flag::EVER_LISTED;
                if !erroneous {
                    *f |= flag::BACKED;
                }
                let days = (self.rng.exponential(Stream::ListingExit, i, t, 0) / self.tables.listing_exit_rate).floor();
                let paid = f64::from(t) + 1.0 + days;
                let term = f64::from(t) + f64::from(self.scenario.blacklist.max_days);
                let end = paid.min(term).min(f64::from(NO_DAY - 1));
                chunk.listing_end[j] = end as u16;
                acc.listings_started += 1;
                if tracked {
                    let mut a = AuditRow::new(i, t, AuditKind::Listed);
                    a.behaviour = Some(self.scenario.behaviours[b].name.clone());
                    a.erroneous = Some(erroneous);
                    acc.audit.push(a);
                }
            } else if !erroneous {
                *f |= flag::BACKED;
            }
        }
    }

    /// Steps 2–4 for a chunk. `records_for`'s own early exits are tested
    /// here over the columns, so the common citizen-day costs no call.
    /// (Not inlined: one call a chunk, and profiles see the pass by name.)
    #[inline(never)]
    fn records_chunk(
        &self,
        chunk: &mut Chunk,
        scores: &[i32],
        acc: &mut DayAcc,
        scratch: &mut CandidateScratch,
        t: u32,
    ) {
        let year_start = t % YEAR == 0;
        for j in 0..chunk.len() {
            let exits = chunk.flags[j] & flag::LISTED != 0 && u32::from(chunk.listing_end[j]) <= t;
            if exits || year_start || u32::from(chunk.next_candidate[j]) == t {
                self.records_for(chunk, scores, acc, scratch, j, t);
            }
        }
    }

    /// Steps 6–9 for a chunk, block by block, in three loops. The first
    /// computes every citizen's effective score (step 6,
    /// [`ScoreRules::effective_scores`]) into the score column. The second
    /// reads it back to find the grade and, for the common citizen (not
    /// tracked, no activity trigger met, no appeal possible today), counts
    /// everything step 9 counts; the rare others are listed. The third runs
    /// [`Model::settle`] for those, which works the view out again and
    /// overwrites their score. All give the same figures: the second loop
    /// is `settle` for a citizen with nothing to draw, and whether a citizen
    /// has something to draw is decided from a superset of `settle`'s own
    /// conditions. Counts are sums, so the order in which citizens are added
    /// does not matter; audit rows come only from the third loop, in row
    /// order as before. (Blocks keep the scores just written in the L1
    /// cache; the first loop on its own has few live values and, but for
    /// the clamp, no branch.)
    #[inline(never)]
    fn settle_chunk(&self, chunk: &mut Chunk, scores: &mut [i32], acc: &mut DayAcc, t: u32) {
        let n = chunk.len();
        let years = self.years(t);
        let adult = u32::from(self.scenario.population.adult_age);
        let appeals = &self.scenario.appeals;
        let (appeals_on, window, visible) = (appeals.enabled, appeals.window_days, appeals.visible_records);
        let triggers = self.tables.any_daily_trigger;
        let grade_count = self.scenario.score.grades.len();
        let mut slow = std::mem::take(&mut acc.slow);
        slow.clear();
        {
            let flags = &chunk.flags[..n];
            let age0 = &chunk.age0[..n];
            let decile = &chunk.decile[..n];
            let activities = &self.tables.activities;
            let first = chunk.first;
            let erroneous = &chunk.erroneous[..n];
            let last_denial = &chunk.last_denial[..n];
            let scores = &mut scores[..n];
            let (mut adults, mut sum, mut listed_count, mut unbacked_count) = (0u64, 0i64, 0u32, 0u32);
            let (mut lowest, mut highest) = (i64::MAX, i64::MIN);
            let histogram = &mut acc.histogram[..];
            let fine = &mut acc.fine[..];
            let grades = &mut acc.grades[..grade_count];
            for start in (0..n).step_by(SCORE_BLOCK) {
                let end = (start + SCORE_BLOCK).min(n);
                // Step 6: the view of `Model::view` for the whole block.
                self.rules.effective_scores(chunk.score_columns(start..end), t, &mut scores[start..end]);
                for j in start..end {
                    let effective = i64::from(scores[j]);
                    let f = flags[j];
                    let (fine_bin, coarse_bin, grade) = self.bins(effective);
                    let listed = f & flag::LISTED != 0;
                    let backed = f & flag::BACKED != 0;
                    let last = last_denial[j];
                    let age = u32::from(age0[j]) + years;
                    // Step 7's test and first draw, as `settle` makes them: a
                    // citizen whose draw says "no attempt" has nothing more to do.
                    let attempts = triggers
                        && f & flag::OPTED_OUT == 0
                        && self.triggered[grade * 2 + usize::from(listed)] & activities.eligible(age, decile[j]) != 0
                        && self.rng.uniform(Stream::Activity, first + j as u32, t, 0) < activities.any(age, decile[j]);
                    let rare = f & flag::TRACKED != 0
                        || attempts
                        || (appeals_on
                            && ((last != NO_DAY && t - u32::from(last) < window)
                                || (visible && (erroneous[j] != 0 || (listed && !backed)))));
                    if rare {
                        slow.push(j as u32);
                        continue;
                    }
                    // Step 9.
                    if listed {
                        listed_count += 1;
                        unbacked_count += u32::from(!backed);
                    }
                    if age >= adult {
                        adults += 1;
                        sum += effective;
                        (lowest, highest) = (lowest.min(effective), highest.max(effective));
                        histogram[coarse_bin] += 1;
                        fine[fine_bin] += 1;
                        grades[grade] += 1;
                    }
                }
            }
            acc.adults += adults;
            acc.score_sum += sum;
            acc.blacklisted += listed_count;
            acc.blacklisted_erroneous += unbacked_count;
            if adults > 0 {
                // `bin_of` never decreases with the score.
                acc.widen_fine(self.fine.bin_of(lowest), self.fine.bin_of(highest));
            }
        }
        for &j in &slow {
            let j = j as usize;
            scores[j] = self.settle(chunk, acc, j, t) as i32;
        }
        acc.slow = slow;
    }

    /// Steps 6–9 for citizen j; returns the effective score at the end of the day.
    fn settle(&self, chunk: &mut Chunk, acc: &mut DayAcc, j: usize, t: u32) -> i64 {
        let i = chunk.first + j as u32;
        let mut v = self.view(chunk, j, t);
        let age = self.age_on(chunk.age0[j], t);
        let tracked = chunk.flags[j] & flag::TRACKED != 0;
        let a = self.scenario.activities.len();

        // Step 7: daily activities, drawn only for citizens a trigger applies to.
        let opted_out = chunk.flags[j] & flag::OPTED_OUT != 0;
        if self.tables.any_daily_trigger && !opted_out {
            let row = self.tables.activities.row(age, chunk.decile[j]);
            let (sanctioned, rewarded) = self.tables.triggers.sets(v.grade, v.listed);
            let active = (sanctioned | rewarded) & row.eligible;
            if active != 0 && self.rng.uniform(Stream::Activity, i, t, 0) < row.any {
                let urban = chunk.flags[j] & flag::URBAN != 0;
                let slots = Simulation::slots(
                    &self.scenario.population.age_bands,
                    chunk.decile[j],
                    urban,
                    age,
                    chunk.region[j],
                );
                let uniform = |k: u32| self.rng.uniform(Stream::Activity, i, t, 1 + k);
                sample_given_any(row.rates, row.suffix, uniform, |k| {
                    if (sanctioned >> k) & 1 == 1 {
                        let wrongful = self.wrongful(k, &v);
                        acc.denials[k] += 1;
                        acc.wrongful_denials[k] += u32::from(wrongful);
                        for s in slots {
                            acc.group_denials[s * a + k] += 1;
                            acc.group_wrongful[s * a + k] += u32::from(wrongful);
                        }
                        chunk.last_denial[j] = t as u16;
                        chunk.ever_denied[j] |= 1 << k;
                        if tracked {
                            let mut row = AuditRow::new(i, t, AuditKind::Denial);
                            row.activity = Some(self.scenario.activities[k].name.clone());
                            let met = self.tables.triggers.sanction_met(v.grade, v.listed, k);
                            row.rule = Some(self.rule_text(k, met, true));
                            row.wrongful = Some(wrongful);
                            acc.audit.push(row);
                        }
                    } else if (rewarded >> k) & 1 == 1 {
                        acc.grants[k] += 1;
                        for s in slots {
                            acc.group_grants[s * a + k] += 1;
                        }
                        if tracked {
                            let mut row = AuditRow::new(i, t, AuditKind::Grant);
                            row.activity = Some(self.scenario.activities[k].name.clone());
                            let met = self.tables.triggers.reward_met(v.grade, v.listed, k);
                            row.rule = Some(self.rule_text(k, met, false));
                            acc.audit.push(row);
                        }
                    }
                });
            }
        }

        // Step 8: appeals by citizens with a denial in the window (today
        // included) or, where every record is shown, with anything erroneous.
        let appeals = &self.scenario.appeals;
        let last = chunk.last_denial[j];
        let denied_lately = last != NO_DAY && t - u32::from(last) < appeals.window_days;
        let unbacked = v.listed && !v.backed;
        // E only for the citizens who may appeal today.
        let erroneous =
            if appeals.enabled && (denied_lately || appeals.visible_records) { v.erroneous(&self.rules) } else { 0 };
        let has_error = erroneous < 0 || unbacked;
        if appeals.enabled
            && (denied_lately || (appeals.visible_records && has_error))
            && self.rng.bernoulli(appeals.daily_probability, Stream::Appeal, i, t, 0)
        {
            acc.appeals += 1;
            let won = has_error && self.rng.bernoulli(appeals.win_probability, Stream::Appeal, i, t, 1);
            if won {
                acc.appeals_won += 1;
                chunk.gains[j] = v.gains;
                chunk.losses[j] = v.losses - erroneous;
                chunk.erroneous[j] = 0;
                chunk.last_update[j] = t as u16;
                if unbacked {
                    chunk.flags[j] &= !(flag::LISTED | flag::BACKED);
                    acc.listings_ended += 1;
                    if tracked {
                        let mut row = AuditRow::new(i, t, AuditKind::Delisted);
                        row.detail = Some("appeal".into());
                        acc.audit.push(row);
                    }
                }
                v = self.view(chunk, j, t);
            }
            if tracked {
                let mut row = AuditRow::new(i, t, AuditKind::Appeal);
                row.won = Some(won);
                acc.audit.push(row);
            }
        }

        // Step 9: the day's figures.
        if v.listed {
            acc.blacklisted += 1;
            acc.blacklisted_erroneous += u32::from(!v.backed);
        }
        if age >= u32::from(self.scenario.population.adult_age) {
            acc.adults += 1;
            acc.score_sum += v.effective;
            acc.histogram[self.histogram.bin_of(v.effective)] += 1;
            let bin = self.fine.bin_of(v.effective);
            acc.fine[bin] += 1;
            acc.widen_fine(bin, bin);
            acc.grades[v.grade] += 1;
        }
        if tracked {
            let mut row = AuditRow::new(i, t, AuditKind::Score);
            row.own_score_milli = Some(v.own);
            row.effective_score_milli = Some(v.effective);
            row.grade = Some(self.scenario.score.grades[v.grade].name.clone());
            acc.audit.push(row);
        }
        v.effective
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comm::Single;

    /// The friends' terms of `friends_terms_whole` are the rounded means of
    /// the friends' scores, friend by friend: near and far friends, rows
    /// with none, rows whose far friends alone fill the list of far reads
    /// several times, and a block whose far reads fill it part way through.
    #[test]
    fn friends_terms_split_near_and_far_give_the_plain_means() {
        let (part, first, len) = (5_000u32, 1_000u32, 1_300usize);
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u32| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) % u64::from(n)) as u32
        };
        let scores: Vec<i32> = (0..part).map(|_| next(2_000_001) as i32 - 1_000_000).collect();
        let mut chunk = Chunk { first, age0: vec![0; len], friend_offsets: vec![0], ..Chunk::default() };
        for j in 0..len {
            let i = first + j as u32;
            let mut row: Vec<u32> = match j {
                7 => vec![],
                300 => (0..3 * FAR_READS as u32 + 5).map(|k| (i + 200 + k) % part).collect(),
                _ => (0..next(30))
                    .map(|_| if next(5) == 0 { next(part) } else { (i + next(201)).saturating_sub(100) })
                    .collect(),
            };
            row.sort_unstable();
            row.dedup();
            chunk.friends.extend(&row);
            chunk.friend_offsets.push(chunk.friends.len() as u32);
        }
        chunk.friends_term = vec![123_456; len];
        friends_terms_whole(&mut chunk, &scores, 0);
        let mut far_rows = 0;
        for j in 0..len {
            let friends = chunk.friends_of(j);
            let i = first + j as u32;
            far_rows += usize::from(friends.iter().any(|&f| f.abs_diff(i) > LOCAL_WINDOW));
            let want = if friends.is_empty() {
                123_456
            } else {
                let sum: i64 = friends.iter().map(|&f| i64::from(scores[f as usize])).sum();
                div_round_half_even(sum, friends.len() as i64) as i32
            };
            assert_eq!(chunk.friends_term[j], want, "citizen {i}");
        }
        assert!(far_rows > len / 4, "the test has far friends: {far_rows}");
    }

    /// `Model::bins` (the bin table where a scenario allows it) equals the
    /// fine bin, coarse bin and grade computed one by one, for every
    /// built-in scenario, at every 0.1-point edge of the range and past it.
    #[test]
    fn bin_table_matches_the_bins_and_grade_of_each_score() {
        for name in scorelab_scenario::builtin_names() {
            let sc = scorelab_scenario::load_builtin(name).unwrap_or_else(|e| panic!("{e}"));
            let config = RunConfig { citizens: 100, days: sc.burn_in_days + 2, seed: 1, tracked: vec![] };
            let sim = Simulation::empty(&sc, config, Arc::new(Single)).unwrap_or_else(|e| panic!("{name}: {e}"));
            let m = &sim.model;
            let (lo, hi) = (sc.score.min_milli - 3 * m.fine.width, sc.score.max_milli + 3 * m.fine.width);
            let mut s = lo;
            while s <= hi {
                for e in [s - 1, s, s + 1, s + m.fine.width / 2] {
                    let want = (m.fine.bin_of(e), m.histogram.bin_of(e), sc.score.grade_of(e));
                    assert_eq!(m.bins(e), want, "{name}: score {e}");
                }
                s += m.fine.width;
            }
        }
    }
}
