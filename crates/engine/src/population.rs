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

use crate::comm::{Comm, Partition};
use crate::rng::{BetaShape, Draws, Rng, Stream};
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
/// counted (a counting sort puts them in order). Each rank draws the ages
/// of its share of every region; the counts are summed over ranks.
pub fn layout(rng: &Rng, scenario: &Scenario, citizens: u32, comm: &dyn Comm) -> Layout {
    let sizes = region_sizes(citizens, &scenario.population.region_weights);
    let mut region_start = Vec::with_capacity(sizes.len() + 1);
    let mut acc = 0u32;
    region_start.push(0);
    for s in &sizes {
        acc += s;
        region_start.push(acc);
    }
    let mut counts: Vec<u64> = (0..sizes.len())
        .into_par_iter()
        .flat_map_iter(|r| {
            let share = Partition::of(sizes[r], comm.ranks(), comm.rank());
            let (lo, hi) = (region_start[r] + share.first, region_start[r] + share.end());
            (lo..hi)
                .into_par_iter()
                .fold(
                    || vec![0u64; 256],
                    |mut c, slot| {
                        c[draw_age(rng, scenario, slot) as usize] += 1;
                        c
                    },
                )
                .reduce(
                    || vec![0u64; 256],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        a
                    },
                )
        })
        .collect();
    comm.sum(&mut counts);
    let age_start = counts
        .chunks(256)
        .enumerate()
        .map(|(r, counts)| {
            let mut starts = Vec::with_capacity(257);
            let mut at = region_start[r];
            starts.push(at);
            for &c in counts {
                at += c as u32;
                starts.push(at);
            }
            starts
        })
        .collect();
    Layout { citizens, region_start, age_start }
}

#[inline]
fn is_urban(draws: &Draws, scenario: &Scenario) -> bool {
    draws.bernoulli(scenario.population.urban_share, Stream::Urban, 0)
}

#[inline]
fn latent_income_of(draws: &Draws, scenario: &Scenario, urban: bool) -> f32 {
    let shift = if urban { scenario.population.income_urban_shift } else { 0.0 };
    (draws.normal(Stream::Income, &mut 0) + shift) as f32
}

/// A key whose unsigned order is `f32::total_cmp`'s order.
#[inline]
fn order_key(x: f32) -> u32 {
    let b = x.to_bits();
    if b & 0x8000_0000 != 0 {
        !b
    } else {
        b | 0x8000_0000
    }
}

#[inline]
fn from_order_key(k: u32) -> f32 {
    f32::from_bits(if k & 0x8000_0000 != 0 { k & 0x7fff_ffff } else { !k })
}

/// Counts of `keys` by their high 16 bits (`bins = None`), or, for each of
/// `bins`, of the keys in that high bin by their low 16 bits.
fn key_histogram(keys: &[u32], bins: Option<&[u32]>) -> Vec<u64> {
    let width = bins.map_or(1, <[u32]>::len) << 16;
    keys.par_chunks(1 << 20)
        .map(|block| {
            let mut h = vec![0u64; width];
            match bins {
                None => block.iter().for_each(|&k| h[(k >> 16) as usize] += 1),
                Some(bins) => {
                    for &k in block {
                        for (b, &bin) in bins.iter().enumerate() {
                            if k >> 16 == bin {
                                h[(b << 16) | (k & 0xffff) as usize] += 1;
                            }
                        }
                    }
                }
            }
            h
        })
        .reduce(
            || vec![0u64; width],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// The bin holding the `rank`-th (0-based) counted value, and its rank
/// among the values of that bin.
fn bin_of_rank(hist: &[u64], rank: u64) -> (usize, u64) {
    let mut below = 0u64;
    for (b, &c) in hist.iter().enumerate() {
        if below + c > rank {
            return (b, rank - below);
        }
        below += c;
    }
    (hist.len() - 1, 0)
}

/// Bit of a [`deciles_and_urban`] byte set for an urban citizen; the low
/// four bits are the income decile (1–10).
const URBAN_BIT: u8 = 0x10;

/// The income decile and urban flag of each citizen of the part, one byte
/// each (decile in the low four bits, [`URBAN_BIT`]): drawn once here and
/// read by the chunks, so neither draw is repeated.
fn deciles_and_urban(rng: &Rng, scenario: &Scenario, part: Partition, comm: &dyn Comm) -> Vec<u8> {
    let (mut bytes, keys): (Vec<u8>, Vec<u32>) = (part.first..part.end())
        .into_par_iter()
        .map(|i| {
            let draws = rng.draws(i, 0);
            let urban = is_urban(&draws, scenario);
            (if urban { URBAN_BIT } else { 0 }, order_key(latent_income_of(&draws, scenario, urban)))
        })
        .unzip();
    let cuts = decile_cuts(&keys, part, comm);
    bytes.par_iter_mut().zip(keys.par_iter()).for_each(|(b, &k)| {
        let latent = from_order_key(k);
        *b |= 1 + cuts.iter().filter(|&&cut| latent >= cut).count() as u8;
    });
    bytes
}

/// The nine cut points of the latent income's population deciles: the
/// values at ranks floor(k·N/10), k = 1..9, of the sorted latents.
///
/// Each rank holds only its own citizens' latents, so the order statistics
/// are found by a two-round radix selection on a total-order key: counts of
/// the high 16 bits summed over ranks give each cut's bin, then counts of
/// the low 16 bits within those bins give the exact value.
fn decile_cuts(keys: &[u32], part: Partition, comm: &dyn Comm) -> [f32; 9] {
    let n = u64::from(part.citizens);
    let ranks: Vec<u64> = (1..=9).map(|k| k * n / 10).collect();
    let mut high = key_histogram(keys, None);
    comm.sum(&mut high);
    let located: Vec<(usize, u64)> = ranks.iter().map(|&r| bin_of_rank(&high, r)).collect();
    let bins: Vec<u32> = located.iter().map(|&(b, _)| b as u32).collect();
    let mut low = key_histogram(keys, Some(&bins));
    comm.sum(&mut low);
    let mut cuts = [f32::INFINITY; 9];
    for (k, cut) in cuts.iter_mut().enumerate() {
        if ranks[k] < n {
            let (bin, within) = located[k];
            let (lo, _) = bin_of_rank(&low[k << 16..(k + 1) << 16], within);
            *cut = from_order_key(((bin as u32) << 16) | lo as u32);
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
    /// A citizen's link kinds fit a [`LinkKinds`] byte.
    kinds_fit: bool,
}

impl GraphParams {
    fn new(scenario: &Scenario) -> Self {
        let half = scenario.network.mean_degree / 2.0;
        GraphParams {
            links_whole: half.floor() as u32,
            links_frac: half - half.floor(),
            in_region: scenario.network.in_region_share,
            kinds_fit: half.floor() + 1.0 <= 7.0,
        }
    }
}

/// Which of a citizen's created links stay in its region (bit s for link
/// s) and whether it creates the fractional extra link ([`EXTRA_LINK`]):
/// what the first pass over the links draws, kept (one byte a citizen) so
/// the second pass does not draw it again. Kept only where a citizen creates
/// at most 7 links (`mean_degree` below 14; [`GraphParams::kinds_fit`]).
type LinkKinds = u8;
const EXTRA_LINK: LinkKinds = 0x80;

/// Calls `f(partner, in_region)` for each link created by citizen `i`;
/// with `local_partners` false, only for its links to other regions (the
/// draw that picks an in-region partner is then not made: draws are pure
/// functions of their counter, so skipping one changes no other). `known`
/// gives the link kinds a first pass returned, so they are not drawn again;
/// returns them.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn for_each_created_link(
    rng: &Rng,
    layout: &Layout,
    p: GraphParams,
    i: u32,
    r: usize,
    known: Option<LinkKinds>,
    local_partners: bool,
    mut f: impl FnMut(u32, bool),
) -> LinkKinds {
    let n = layout.citizens;
    let (rs, re) = (layout.region_start[r], layout.region_start[r + 1]);
    let others = n - (re - rs);
    let draws = rng.draws(i, 0);
    let extra = match known {
        Some(kinds) => u32::from(kinds & EXTRA_LINK != 0),
        None => u32::from(p.links_frac > 0.0 && draws.bernoulli(p.links_frac, Stream::Friends, u32::MAX)),
    };
    let mut kinds = if extra == 1 { EXTRA_LINK } else { 0 };
    for s in 0..p.links_whole + extra {
        let local = match known {
            Some(kinds) => (kinds >> s) & 1 == 1,
            None => others == 0 || draws.bernoulli(p.in_region, Stream::Friends, 4 * s),
        };
        if local {
            kinds |= 1u8.checked_shl(s).unwrap_or(0) & !EXTRA_LINK;
            if !local_partners {
                continue;
            }
            let lo = i.saturating_sub(LOCAL_WINDOW).max(rs);
            let hi = i.saturating_add(LOCAL_WINDOW).min(re - 1);
            let span = hi - lo; // candidates other than i
            if span == 0 {
                continue;
            }
            let k = draws.below(u64::from(span), Stream::Friends, 4 * s + 1) as u32;
            let partner = lo + k + u32::from(lo + k >= i);
            f(partner, true);
        } else {
            let k = draws.below(u64::from(others), Stream::Friends, 4 * s + 2) as u32;
            let partner = if k >= rs { k + (re - rs) } else { k };
            f(partner, false);
        }
    }
    kinds
}

/// (far end, creator) pairs grouped by `bucket(pair.0)`. Nothing depends on
/// the order within a group: each chunk sorts its own rows.
struct Grouped {
    pairs: Vec<(u32, u32)>,
    /// Where each group starts, with the end last (`buckets + 1` offsets).
    start: Vec<usize>,
}

impl Grouped {
    /// Copies of the pairs of `lists`, grouped by a counting sort.
    fn new(lists: &[&[(u32, u32)]], buckets: usize, bucket: impl Fn(u32) -> usize) -> Self {
        let start = Self::starts(lists.iter().copied().flatten(), buckets, &bucket);
        let mut at = start.clone();
        let mut pairs = vec![(0u32, 0u32); start[buckets]];
        for &pair in lists.iter().copied().flatten() {
            let b = bucket(pair.0);
            pairs[at[b]] = pair;
            at[b] += 1;
        }
        Grouped { pairs, start }
    }

    /// The pairs grouped where they lie, by swaps (one pass of an American
    /// flag sort: each swap puts a pair in its group for good), so no
    /// second copy of them is ever held.
    fn in_place(mut pairs: Vec<(u32, u32)>, buckets: usize, bucket: impl Fn(u32) -> usize) -> Self {
        let start = Self::starts(pairs.iter(), buckets, &bucket);
        let mut at = start.clone();
        for b in 0..buckets {
            while at[b] < start[b + 1] {
                let c = bucket(pairs[at[b]].0);
                if c == b {
                    at[b] += 1;
                } else {
                    pairs.swap(at[b], at[c]);
                    at[c] += 1;
                }
            }
        }
        pairs.shrink_to_fit();
        Grouped { pairs, start }
    }

    /// Where each group of `pairs` starts, with the end last.
    fn starts<'a>(
        pairs: impl Iterator<Item = &'a (u32, u32)>,
        buckets: usize,
        bucket: &impl Fn(u32) -> usize,
    ) -> Vec<usize> {
        let mut start = vec![0usize; buckets + 1];
        for &(d, _) in pairs {
            start[bucket(d) + 1] += 1;
        }
        for k in 0..buckets {
            start[k + 1] += start[k];
        }
        start
    }

    /// The pairs of group `b`.
    fn group(&self, b: usize) -> &[(u32, u32)] {
        &self.pairs[self.start[b]..self.start[b + 1]]
    }
}

/// Builds every chunk of this rank's part of the population, friends
/// included. A link created by a citizen of this part to a citizen of
/// another region is sent to the rank that owns its far end.
pub fn generate(rng: &Rng, scenario: &Scenario, layout: &Layout, part: Partition, comm: &dyn Comm) -> Vec<Chunk> {
    let size = chunk_size(part.len) as u32;
    let traits = deciles_and_urban(rng, scenario, part, comm);
    let params = GraphParams::new(scenario);
    let aware_share = if scenario.has_pressure() { scenario.population.aware_share } else { 0.0 };
    let base = i32::try_from(scenario.score.base_milli).unwrap_or(i32::MAX);

    // Cross-region links, grouped by the chunk of their far end so each
    // chunk finds the links it receives. Each block of citizens groups its
    // own links, in parallel and in place; a chunk gathers its group from
    // every block.
    // The link kinds drawn on the way are kept.
    let chunks = part.len.div_ceil(size) as usize;
    let chunk_of = |d: u32| ((d - part.first) / size) as usize;
    let mut kinds: Vec<LinkKinds> = vec![0; part.len as usize];
    let cross: Vec<Vec<(u32, u32)>> = kinds
        .par_chunks_mut(CSR_BLOCK)
        .enumerate()
        .map(|(b, kinds)| {
            let first = part.first + (b * CSR_BLOCK) as u32;
            let mut v = Vec::new();
            for (i, kind) in (first..).zip(kinds.iter_mut()) {
                let r = layout.region_of(i);
                *kind = for_each_created_link(rng, layout, params, i, r, None, false, |p, _| v.push((p, i)));
            }
            v
        })
        .collect();
    // Kinds that do not fit a byte are drawn again.
    let kinds: &[LinkKinds] = if params.kinds_fit { &kinds } else { &[] };
    let cross: Vec<Grouped> = if part.ranks > 1 {
        vec![Grouped::in_place(send_to_far_ends(cross, part, comm), chunks, chunk_of)]
    } else {
        cross.into_par_iter().map(|v| Grouped::in_place(v, chunks, chunk_of)).collect()
    };

    (0..chunks)
        .into_par_iter()
        .map(|c| {
            let lo = part.first + c as u32 * size;
            let hi = (lo + size).min(part.end());
            let traits = &traits[(lo - part.first) as usize..(hi - part.first) as usize];
            let cross: Vec<&[(u32, u32)]> = cross.iter().map(|g| g.group(c)).collect();
            let known = Known { kinds, first: part.first };
            build_chunk(rng, scenario, layout, params, traits, aware_share, base, &cross, known, lo, hi)
        })
        .collect()
}

/// Sends each (far end, creator) link to the rank owning its far end;
/// returns the links received.
fn send_to_far_ends(cross: Vec<Vec<(u32, u32)>>, part: Partition, comm: &dyn Comm) -> Vec<(u32, u32)> {
    let lists: Vec<&[(u32, u32)]> = cross.iter().map(Vec::as_slice).collect();
    let by_rank = Grouped::new(&lists, part.ranks, |d| part.owner(d));
    drop(lists);
    drop(cross);
    let outgoing = (0..part.ranks).map(|q| by_rank.group(q).iter().flat_map(|&(d, s)| [d, s]).collect()).collect();
    drop(by_rank);
    comm.exchange(outgoing).iter().flat_map(|w| w.chunks_exact(2).map(|p| (p[0], p[1]))).collect()
}

/// Builds the chunk of citizens `lo..hi`; `cross` holds the links from
/// other regions whose far end is in it, as (far end, creator), in lists.
#[allow(clippy::too_many_arguments)]
fn build_chunk(
    rng: &Rng,
    scenario: &Scenario,
    layout: &Layout,
    params: GraphParams,
    traits: &[u8],
    aware_share: f64,
    base: i32,
    cross: &[&[(u32, u32)]],
    known: Known,
    lo: u32,
    hi: u32,
) -> Chunk {
    let len = (hi - lo) as usize;
    let pop = &scenario.population;
    let mut c = Chunk { first: lo, ..Chunk::default() };
    let compliance = BetaShape::new(pop.compliance.alpha, pop.compliance.beta);
    let dissent = BetaShape::new(pop.dissent.alpha, pop.dissent.beta);
    c.age0.reserve_exact(len);
    c.region.reserve_exact(len);
    c.decile.reserve_exact(len);
    c.flags.reserve_exact(len);
    c.guardian.reserve_exact(len);
    c.compliance.reserve_exact(len);
    c.dissent.reserve_exact(len);
    // Region and day-0 age by cursors over the layout (citizens are in
    // (region, age) order), not a search per citizen.
    let mut r = layout.region_of(lo);
    let mut age0 = usize::from(layout.age0_of(lo, r));
    for (i, &t) in (lo..hi).zip(traits) {
        while i >= layout.region_start[r + 1] {
            r += 1;
            age0 = 0;
        }
        while i >= layout.age_start[r][age0 + 1] {
            age0 += 1;
        }
        let age0 = age0 as u8;
        let urban = t & URBAN_BIT != 0;
        let decile = t & 0x0f;
        let draws = rng.draws(i, 0);
        let mut aware = draws.bernoulli(aware_share, Stream::Aware, 0);
        // Drawn only in opt-in systems, so compulsory ones keep their draws.
        let opted_out = scenario.participation_share < 1.0
            && !draws.bernoulli(scenario.participation_share, Stream::Participation, 0);
        aware &= !opted_out;
        let guardian = if age0 < pop.adult_age {
            let (glo, ghi) = layout.age_range(r, i64::from(pop.guardian_ages.min), i64::from(pop.guardian_ages.max));
            if ghi > glo {
                glo + draws.below(u64::from(ghi - glo), Stream::Guardian, 0) as u32
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
        c.compliance.push(draws.beta(&compliance, Stream::Compliance) as f32);
        c.dissent.push(draws.beta(&dissent, Stream::Dissent) as f32);
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

    (c.friend_offsets, c.friends) = chunk_friends(rng, layout, params, cross, known, lo, hi, CSR_BLOCK);
    c
}

/// The link kinds of the part's citizens `first..`, as the first pass over
/// links returned them (empty when they do not fit a byte).
#[derive(Clone, Copy)]
struct Known<'a> {
    kinds: &'a [LinkKinds],
    first: u32,
}

impl Known<'_> {
    #[inline]
    fn of(&self, i: u32) -> Option<LinkKinds> {
        i.checked_sub(self.first).and_then(|k| self.kinds.get(k as usize)).copied()
    }
}

/// Rows of a chunk's friend lists built at a time. A block's pairs and
/// counts (about 5 MB) stay in cache, where a whole chunk's (up to 1,048,576
/// rows, 80 MB) would not: the counting sort scatters each row's links.
const CSR_BLOCK: usize = 1 << 16;

/// The friends of citizens `lo..hi` in CSR form (offsets from 0), built
/// `block` rows at a time: links created by the block's citizens, received
/// from nearby citizens of the same region, and received from other
/// regions (`cross`, lists of (far end, creator)). The result does not
/// depend on `block` or on how `cross` is split into lists, every row being
/// sorted and deduplicated on its own, nor on `known`, which only spares
/// draws already made.
#[allow(clippy::too_many_arguments)]
fn chunk_friends(
    rng: &Rng,
    layout: &Layout,
    params: GraphParams,
    cross: &[&[(u32, u32)]],
    known: Known,
    lo: u32,
    hi: u32,
    block: usize,
) -> (Vec<u32>, Vec<u32>) {
    let len = (hi - lo) as usize;
    let blocks = len.div_ceil(block);
    let cross = Grouped::new(cross, blocks, |d| (d - lo) as usize / block);
    let links = 2 * params.links_whole as usize + 2;
    let mut offsets = Vec::with_capacity(len + 1);
    offsets.push(0u32);
    let mut friends = Vec::with_capacity(len * links);
    let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(block.min(len) * links);
    for b in 0..blocks {
        let a = lo + (b * block) as u32;
        let e = (a + block as u32).min(hi);
        pairs.clear();
        let src_lo = a.saturating_sub(LOCAL_WINDOW);
        let src_hi = e.saturating_add(LOCAL_WINDOW).min(layout.citizens);
        for j in src_lo..src_hi {
            let r = layout.region_of(j);
            let own = (a..e).contains(&j);
            for_each_created_link(rng, layout, params, j, r, known.of(j), true, |p, local| {
                if own {
                    pairs.push((j - a, p));
                }
                if local && (a..e).contains(&p) {
                    pairs.push((p - a, j));
                }
            });
        }
        pairs.extend(cross.group(b).iter().map(|&(d, s)| (d - a, s)));
        append_rows((e - a) as usize, &pairs, &mut offsets, &mut friends);
    }
    friends.shrink_to_fit();
    (offsets, friends)
}

/// Appends `rows` rows of friends (ascending, without repeats) built from
/// (row, friend) pairs in any order: a counting sort by row, then each
/// short row sorted alone.
fn append_rows(rows: usize, pairs: &[(u32, u32)], offsets: &mut Vec<u32>, friends: &mut Vec<u32>) {
    let mut start = vec![0u32; rows + 1];
    for &(row, _) in pairs {
        start[row as usize + 1] += 1;
    }
    for k in 0..rows {
        start[k + 1] += start[k];
    }
    let mut at = start.clone();
    let mut slots = vec![0u32; pairs.len()];
    for &(row, f) in pairs {
        slots[at[row as usize] as usize] = f;
        at[row as usize] += 1;
    }
    for k in 0..rows {
        let row = &mut slots[start[k] as usize..start[k + 1] as usize];
        row.sort_unstable();
        let mut last = None;
        for &f in row.iter() {
            if last != Some(f) {
                friends.push(f);
                last = Some(f);
            }
        }
        offsets.push(friends.len() as u32);
    }
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

    #[test]
    fn grouping_in_place_gives_the_groups_of_the_copying_sort() {
        let rng = Rng::new(3);
        for (n, buckets) in [(0u32, 1usize), (1, 3), (1_000, 1), (5_000, 7), (20_000, 400)] {
            let pairs: Vec<(u32, u32)> =
                (0..n).map(|i| (rng.below(10_000, Stream::Friends, i, 0, 0) as u32, i)).collect();
            let bucket = |d: u32| d as usize * buckets / 10_000;
            let copied = Grouped::new(&[&pairs], buckets, bucket);
            let in_place = Grouped::in_place(pairs.clone(), buckets, bucket);
            assert_eq!(copied.start, in_place.start);
            for b in 0..buckets {
                let mut group = in_place.group(b).to_vec();
                assert!(group.iter().all(|&(d, _)| bucket(d) == b), "{n} pairs, bucket {b}");
                group.sort_unstable();
                let mut want = copied.group(b).to_vec();
                want.sort_unstable();
                assert_eq!(group, want, "{n} pairs, bucket {b}");
            }
        }
    }

    #[test]
    fn friend_lists_do_not_depend_on_the_block_size() {
        let sc = scorelab_scenario::load_builtin("seed-article").expect("built-in");
        let rng = Rng::new(8);
        let n = 40_000;
        let lay = layout(&rng, &sc, n, &crate::comm::Single);
        let params = GraphParams::new(&sc);
        let (lo, hi) = (10_000, 27_000);
        assert!(params.kinds_fit);
        let mut cross = Vec::new();
        let mut kinds = Vec::new();
        for i in 0..n {
            let kind = for_each_created_link(&rng, &lay, params, i, lay.region_of(i), None, false, |p, _| {
                if (lo..hi).contains(&p) {
                    cross.push((p, i));
                }
            });
            kinds.push(kind);
        }
        let none = Known { kinds: &[], first: 0 };
        let whole = chunk_friends(&rng, &lay, params, &[&cross], none, lo, hi, (hi - lo) as usize);
        assert_eq!(whole.0.len(), (hi - lo) as usize + 1);
        assert!(whole.1.len() > 7 * (hi - lo) as usize, "{} links", whole.1.len());
        for block in [1, 150, 4096, 5000] {
            assert!(chunk_friends(&rng, &lay, params, &[&cross], none, lo, hi, block) == whole, "block {block}");
        }
        // Nor on how the received links are split into lists, nor on their order.
        let (x, y) = cross.split_at(cross.len() / 3);
        assert!(chunk_friends(&rng, &lay, params, &[y, &[], x], none, lo, hi, 4096) == whole, "split lists");
        // Link kinds kept from the first pass, for all or for part of the
        // citizens, spare draws and change nothing.
        for first in [0, 9_000, 20_000] {
            let known = Known { kinds: &kinds[first as usize..], first };
            assert!(chunk_friends(&rng, &lay, params, &[&cross], known, lo, hi, 4096) == whole, "known from {first}");
        }
        // Every row is ascending, without repeats or the citizen itself.
        for (k, row) in whole.0.windows(2).enumerate() {
            let friends = &whole.1[row[0] as usize..row[1] as usize];
            assert!(friends.windows(2).all(|w| w[0] < w[1]) && !friends.contains(&(lo + k as u32)));
        }
    }
}
