//! The synthetic population on day 0 (MODEL.md §1): ages, regions, urban,
//! income deciles, guardians, traits and the friends graph.
//!
//! Citizens are laid out sorted by (region, day-0 age). The layout is free
//! (citizens are exchangeable) and buys three things: "citizens of region r
//! whose age is in a range" is a contiguous index range on any day, so a
//! misattributed record finds its target with no index; guardians are drawn
//! from a contiguous range; and friends chosen near in index are near in
//! memory, so the weekly friends' term reads memory almost in order.
//!
//! The friends graph (an open choice of MODEL.md, documented in
//! `docs/model-choices.md`): every citizen creates `mean_degree / 2` links
//! (the fraction by a Bernoulli draw). A link stays in the region with
//! probability `in_region_share`, to a partner drawn uniformly within
//! [`LOCAL_WINDOW`] places of the citizen in the region's age order (so
//! friends are of similar age, and friends of friends are often friends);
//! otherwise it goes to a citizen drawn uniformly from all other regions.
//! Links are undirected; a pair linked twice is kept once.

use crate::rng::{Rng, Stream};
use crate::state::{chunk_size, flag, Chunk, NO_DAY, NO_GUARDIAN};
use rayon::prelude::*;
use scorelab_scenario::Scenario;

/// Half-width of the age-ordered window in which in-region friends are drawn.
pub const LOCAL_WINDOW: u32 = 100;

/// Where each region and each day-0 age starts in the citizen order.
#[derive(Debug, Clone)]
pub struct Layout {
    pub citizens: u32,
    /// `region_start[r] .. region_start[r + 1]` are region r's citizens.
    pub region_start: Vec<u32>,
    /// `age_start[r][a] .. age_start[r][a + 1]` are region r's citizens of
    /// day-0 age a (global indices; 257 entries per region).
    pub age_start: Vec<Vec<u32>>,
}

impl Layout {
    /// Number of regions.
    pub fn regions(&self) -> usize {
        self.region_start.len() - 1
    }

    /// The region of citizen `i`.
    #[inline]
    pub fn region_of(&self, i: u32) -> usize {
        self.region_start.partition_point(|&s| s <= i) - 1
    }

    /// The day-0 age of citizen `i` in region `r`.
    #[inline]
    pub fn age0_of(&self, i: u32, r: usize) -> u8 {
        (self.age_start[r].partition_point(|&s| s <= i) - 1) as u8
    }

    /// The index range of region `r`'s citizens whose day-0 age lies in
    /// `lo..=hi` (ages clamped to 0..=255).
    #[inline]
    pub fn age_range(&self, r: usize, lo: i64, hi: i64) -> (u32, u32) {
        if hi < 0 || lo > 255 || lo > hi {
            return (0, 0);
        }
        let lo = lo.max(0) as usize;
        let hi = hi.min(255) as usize;
        (self.age_start[r][lo], self.age_start[r][hi + 1])
    }
}

/// Region sizes by the largest remainder of N × weight (ties to the lower
/// region index).
pub fn region_sizes(citizens: u32, weights: &[f64]) -> Vec<u32> {
    let total: f64 = weights.iter().sum();
    let quotas: Vec<f64> = weights.iter().map(|w| f64::from(citizens) * w / total).collect();
    let mut sizes: Vec<u32> = quotas.iter().map(|q| q.floor() as u32).collect();
    let assigned: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
    let mut left = u64::from(citizens).saturating_sub(assigned);
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = quotas[a] - quotas[a].floor();
        let rb = quotas[b] - quotas[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for r in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        sizes[r] += 1;
        left -= 1;
    }
    sizes
}

/// Day-0 age of an age draw, from the scenario's bands (uniform inside).
fn draw_age(rng: &Rng, scenario: &Scenario, slot_citizen: u32) -> u8 {
    let bands = &scenario.population.age_bands;
    let u = rng.uniform(Stream::Age, slot_citizen, 0, 0);
    let mut cum = 0.0;
    for band in bands {
        if u < cum + band.share || std::ptr::eq(band, bands.last().unwrap_or(band)) {
            let width = f64::from(band.max - band.min) + 1.0;
            let pos = ((u - cum) / band.share).clamp(0.0, 1.0 - f64::EPSILON);
            return band.min + ((pos * width) as u8).min(band.max - band.min);
        }
        cum += band.share;
    }
    0
}

/// The layout: region sizes, then each region's ages drawn i.i.d. and
/// counted (a counting sort puts them in order).
pub fn layout(rng: &Rng, scenario: &Scenario, citizens: u32) -> Layout {
    let sizes = region_sizes(citizens, &scenario.population.region_weights);
    let mut region_start = Vec::with_capacity(sizes.len() + 1);
    let mut acc = 0u32;
    region_start.push(0);
    for s in &sizes {
        acc += s;
        region_start.push(acc);
    }
    let age_start = (0..sizes.len())
        .into_par_iter()
        .map(|r| {
            let (lo, hi) = (region_start[r], region_start[r + 1]);
            let counts = (lo..hi)
                .into_par_iter()
                .fold(
                    || vec![0u32; 256],
                    |mut c, slot| {
                        c[draw_age(rng, scenario, slot) as usize] += 1;
                        c
                    },
                )
                .reduce(
                    || vec![0u32; 256],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        a
                    },
                );
            let mut starts = Vec::with_capacity(257);
            let mut at = lo;
            starts.push(at);
            for c in counts {
                at += c;
                starts.push(at);
            }
            starts
        })
        .collect();
    Layout { citizens, region_start, age_start }
}

#[inline]
fn is_urban(rng: &Rng, scenario: &Scenario, i: u32) -> bool {
    rng.bernoulli(scenario.population.urban_share, Stream::Urban, i, 0, 0)
}

#[inline]
fn latent_income(rng: &Rng, scenario: &Scenario, i: u32) -> f32 {
    let shift = if is_urban(rng, scenario, i) { scenario.population.income_urban_shift } else { 0.0 };
    (rng.normal(Stream::Income, i, 0, 0) + shift) as f32
}

/// The nine cut points of the latent income's population deciles: the
/// values at ranks floor(k·N/10), k = 1..9, of the sorted latents.
fn decile_cuts(rng: &Rng, scenario: &Scenario, citizens: u32) -> [f32; 9] {
    let mut latents: Vec<f32> = (0..citizens).into_par_iter().map(|i| latent_income(rng, scenario, i)).collect();
    let mut cuts = [f32::INFINITY; 9];
    let n = latents.len();
    for (k, cut) in cuts.iter_mut().enumerate() {
        let rank = (k + 1) * n / 10;
        if rank < n {
            let (_, v, _) = latents.select_nth_unstable_by(rank, |a, b| a.total_cmp(b));
            *cut = *v;
        }
    }
    cuts
}

/// Parameters of the friends graph derived from the scenario.
#[derive(Debug, Clone, Copy)]
struct GraphParams {
    links_whole: u32,
    links_frac: f64,
    in_region: f64,
}

impl GraphParams {
    fn new(scenario: &Scenario) -> Self {
        let half = scenario.network.mean_degree / 2.0;
        GraphParams {
            links_whole: half.floor() as u32,
            links_frac: half - half.floor(),
            in_region: scenario.network.in_region_share,
        }
    }
}

/// Calls `f(partner, in_region)` for each link created by citizen `i`.
#[inline]
fn for_each_created_link(rng: &Rng, layout: &Layout, p: GraphParams, i: u32, r: usize, mut f: impl FnMut(u32, bool)) {
    let n = layout.citizens;
    let (rs, re) = (layout.region_start[r], layout.region_start[r + 1]);
    let others = n - (re - rs);
    let extra = u32::from(p.links_frac > 0.0 && rng.bernoulli(p.links_frac, Stream::Friends, i, 0, u32::MAX));
    for s in 0..p.links_whole + extra {
        let local = others == 0 || rng.bernoulli(p.in_region, Stream::Friends, i, 0, 4 * s);
        if local {
            let lo = i.saturating_sub(LOCAL_WINDOW).max(rs);
            let hi = i.saturating_add(LOCAL_WINDOW).min(re - 1);
            let span = hi - lo; // candidates other than i
            if span == 0 {
                continue;
            }
            let k = rng.below(u64::from(span), Stream::Friends, i, 0, 4 * s + 1) as u32;
            let partner = lo + k + u32::from(lo + k >= i);
            f(partner, true);
        } else {
            let k = rng.below(u64::from(others), Stream::Friends, i, 0, 4 * s + 2) as u32;
            let partner = if k >= rs { k + (re - rs) } else { k };
            f(partner, false);
        }
    }
}

/// Builds every chunk of the population, friends included.
pub fn generate(rng: &Rng, scenario: &Scenario, layout: &Layout) -> Vec<Chunk> {
    let n = layout.citizens;
    let size = chunk_size(n) as u32;
    let cuts = decile_cuts(rng, scenario, n);
    let params = GraphParams::new(scenario);
    let aware_share = if scenario.has_pressure() { scenario.population.aware_share } else { 0.0 };
    let base = i32::try_from(scenario.score.base_milli).unwrap_or(i32::MAX);

    // Cross-region links, listed by their far end so each chunk can find
    // the links it receives.
    let mut cross: Vec<(u32, u32)> = (0..n)
        .into_par_iter()
        .fold(Vec::new, |mut v, i| {
            let r = layout.region_of(i);
            for_each_created_link(rng, layout, params, i, r, |p, local| {
                if !local {
                    v.push((p, i));
                }
            });
            v
        })
        .reduce(Vec::new, |mut a, mut b| {
            a.append(&mut b);
            a
        });
    cross.par_sort_unstable();

    let starts: Vec<u32> = (0..n.div_ceil(size)).map(|c| c * size).collect();
    starts
        .into_par_iter()
        .map(|lo| {
            let hi = (lo + size).min(n);
            build_chunk(rng, scenario, layout, params, &cuts, aware_share, base, &cross, lo, hi)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn build_chunk(
    rng: &Rng,
    scenario: &Scenario,
    layout: &Layout,
    params: GraphParams,
    cuts: &[f32; 9],
    aware_share: f64,
    base: i32,
    cross: &[(u32, u32)],
    lo: u32,
    hi: u32,
) -> Chunk {
    let len = (hi - lo) as usize;
    let pop = &scenario.population;
    let mut c = Chunk { first: lo, ..Chunk::default() };
    c.age0.reserve_exact(len);
    c.region.reserve_exact(len);
    c.decile.reserve_exact(len);
    c.flags.reserve_exact(len);
    c.guardian.reserve_exact(len);
    c.compliance.reserve_exact(len);
    c.dissent.reserve_exact(len);
    for i in lo..hi {
        let r = layout.region_of(i);
        let age0 = layout.age0_of(i, r);
        let urban = is_urban(rng, scenario, i);
        let latent = latent_income(rng, scenario, i);
        let decile = 1 + cuts.iter().filter(|&&cut| latent >= cut).count() as u8;
        let mut aware = rng.bernoulli(aware_share, Stream::Aware, i, 0, 0);
        // Drawn only in opt-in systems, so compulsory ones keep their draws.
        let opted_out = scenario.participation_share < 1.0
            && !rng.bernoulli(scenario.participation_share, Stream::Participation, i, 0, 0);
        aware &= !opted_out;
        let guardian = if age0 < pop.adult_age {
            let (glo, ghi) = layout.age_range(r, i64::from(pop.guardian_ages.min), i64::from(pop.guardian_ages.max));
            if ghi > glo {
                glo + rng.below(u64::from(ghi - glo), Stream::Guardian, i, 0, 0) as u32
            } else {
                NO_GUARDIAN
            }
        } else {
            NO_GUARDIAN
        };
        c.age0.push(age0);
        c.region.push(r as u8);
        c.decile.push(decile);
        c.flags.push(
            if urban { flag::URBAN } else { 0 }
                | if aware { flag::AWARE } else { 0 }
                | if opted_out { flag::OPTED_OUT } else { 0 },
        );
        c.guardian.push(guardian);
        c.compliance.push(rng.beta(pop.compliance.alpha, pop.compliance.beta, Stream::Compliance, i) as f32);
        c.dissent.push(rng.beta(pop.dissent.alpha, pop.dissent.beta, Stream::Dissent, i) as f32);
    }
    c.gains = vec![0; len];
    c.losses = vec![0; len];
    c.erroneous = vec![0; len];
    c.last_update = vec![0; len];
    c.friends_term = vec![base; len];
    c.listing_end = vec![NO_DAY; len];
    c.last_denial = vec![NO_DAY; len];
    c.next_candidate = vec![NO_DAY; len];
    c.ever_denied = vec![0; len];

    // Links of this chunk's rows: created here, received from nearby
    // citizens of the same region, received from other regions.
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(len * (2 * params.links_whole as usize + 2));
    let src_lo = lo.saturating_sub(LOCAL_WINDOW);
    let src_hi = hi.saturating_add(LOCAL_WINDOW).min(layout.citizens);
    for j in src_lo..src_hi {
        let r = layout.region_of(j);
        let own = (lo..hi).contains(&j);
        for_each_created_link(rng, layout, params, j, r, |p, local| {
            if own {
                pairs.push((j - lo, p));
            }
            if local && (lo..hi).contains(&p) {
                pairs.push((p - lo, j));
            }
        });
    }
    let from = cross.partition_point(|&(d, _)| d < lo);
    let to = cross.partition_point(|&(d, _)| d < hi);
    pairs.extend(cross[from..to].iter().map(|&(d, s)| (d - lo, s)));
    pairs.sort_unstable();
    pairs.dedup();
    c.friend_offsets = Vec::with_capacity(len + 1);
    c.friends = Vec::with_capacity(pairs.len());
    c.friend_offsets.push(0);
    let mut at = 0usize;
    for row in 0..len as u32 {
        while at < pairs.len() && pairs[at].0 == row {
            c.friends.push(pairs[at].1);
            at += 1;
        }
        c.friend_offsets.push(c.friends.len() as u32);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder_is_exact() {
        assert_eq!(region_sizes(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(region_sizes(100, &[0.5, 0.25, 0.25]), vec![50, 25, 25]);
        let s = region_sizes(1_000_003, &vec![1.0; 31]);
        assert_eq!(s.iter().sum::<u32>(), 1_000_003);
        assert!(s.iter().max().unwrap() - s.iter().min().unwrap() <= 1);
    }
}
