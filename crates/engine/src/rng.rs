//! Counter-based randomness: every draw is a pure function of
//! (seed, stream, citizen, day, slot).
//!
//! Nothing here has state that advances, so a draw never depends on which
//! thread or process made it, nor on which other draws were made before:
//! skipping a draw that is not needed changes no other draw. That is what
//! makes runs identical for any thread count and couples a scenario with
//! its baseline draw for draw (MODEL.md §11).
//!
//! The mixer is three rounds of the SplitMix64 finaliser over the packed
//! counter, keyed twice by the seed. SplitMix64's finaliser is a bijection
//! with full avalanche; keyed and chained it passes BigCrush as a
//! counter-based generator, which is ample for Monte Carlo.

/// What a draw is for. Each purpose has its own stream, so two purposes
/// never share a draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stream {
    /// Day-0 age of a slot in a region (slot = 0).
    Age = 1,
    Urban,
    /// Latent income: two uniforms for Box–Muller (slot 0, 1).
    Income,
    /// Compliance: gamma draws, slots from 0 up.
    Compliance,
    /// Dissent: gamma draws, slots from 0 up.
    Dissent,
    Aware,
    Guardian,
    /// Friends graph: a created link's region choice and partner (slot = link·4 + k).
    Friends,
    /// Waiting time to the next candidate day for behaviours (slot 0 at a
    /// year start, 1 after a candidate day).
    Candidate,
    /// On a candidate day: which bounded events fired (slot = item).
    CandidatePick,
    /// Thinning: whether a fired candidate is a real event (slot = behaviour).
    Accept,
    /// Whether the data source saw the event (slot = behaviour).
    Coverage,
    /// Whether the record is misattributed (slot = behaviour).
    Misattribution,
    /// The citizen a misattributed record goes to (slot = behaviour).
    MisattributionTarget,
    /// Days a new listing lasts before the debt is paid (slot 0).
    ListingExit,
    /// Activity attempts: one draw for "any", then one per activity.
    Activity,
    /// Whether a citizen appeals today (slot 0) and whether it is won (slot 1).
    Appeal,
    /// Which citizens are tracked by default.
    Tracking,
    /// Whether a citizen takes part in an opt-in system (slot 0).
    Participation,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline(always)]
fn splitmix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The keyed generator of a run. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rng {
    key0: u64,
    key1: u64,
}

/// 2^-53, the spacing of the uniforms returned by [`Rng::uniform`].
const INV_2_53: f64 = 1.0 / (1u64 << 53) as f64;

impl Rng {
    /// The generator for a seed.
    pub fn new(seed: u64) -> Self {
        let key0 = splitmix(seed ^ GOLDEN);
        let key1 = splitmix(key0.wrapping_add(GOLDEN));
        Rng { key0, key1 }
    }

    /// 64 random bits for (stream, citizen, day, slot).
    #[inline(always)]
    pub fn bits(&self, stream: Stream, citizen: u32, day: u32, slot: u32) -> u64 {
        let a = u64::from(citizen) | (u64::from(day) << 32);
        let b = (u64::from(stream as u8) << 56) ^ u64::from(slot);
        let h = splitmix(a ^ self.key0);
        let h = splitmix(h ^ b.wrapping_mul(GOLDEN) ^ self.key1);
        splitmix(h.wrapping_add(self.key0))
    }

    /// A uniform in the open interval (0, 1), never 0 or 1, so its logarithm
    /// is finite.
    #[inline(always)]
    pub fn uniform(&self, stream: Stream, citizen: u32, day: u32, slot: u32) -> f64 {
        ((self.bits(stream, citizen, day, slot) >> 11) as f64 + 0.5) * INV_2_53
    }

    /// `true` with probability `p`.
    #[inline(always)]
    pub fn bernoulli(&self, p: f64, stream: Stream, citizen: u32, day: u32, slot: u32) -> bool {
        self.uniform(stream, citizen, day, slot) < p
    }

    /// An exponential variate with mean 1.
    #[inline(always)]
    pub fn exponential(&self, stream: Stream, citizen: u32, day: u32, slot: u32) -> f64 {
        -self.uniform(stream, citizen, day, slot).ln()
    }

    /// A standard normal variate (Box–Muller on slots `slot`, `slot + 1`).
    pub fn normal(&self, stream: Stream, citizen: u32, day: u32, slot: u32) -> f64 {
        let u1 = self.uniform(stream, citizen, day, slot);
        let u2 = self.uniform(stream, citizen, day, slot + 1);
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A Gamma(shape, 1) variate (Marsaglia–Tsang), using slots from
    /// `*slot` upward; `*slot` is advanced past the slots used, so the
    /// caller can draw again from the same counter.
    pub fn gamma(&self, shape: f64, stream: Stream, citizen: u32, day: u32, slot: &mut u32) -> f64 {
        if shape < 1.0 {
            // Boost: Gamma(a) = Gamma(a + 1) · U^(1/a).
            let g = self.gamma(shape + 1.0, stream, citizen, day, slot);
            let u = self.uniform(stream, citizen, day, *slot);
            *slot += 1;
            return g * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal(stream, citizen, day, *slot);
            let u = self.uniform(stream, citizen, day, *slot + 2);
            *slot += 3;
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            if u < 1.0 - 0.0331 * x * x * x * x || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                return d * v;
            }
        }
    }

    /// A Beta(alpha, beta) variate as X / (X + Y) of two gamma variates.
    pub fn beta(&self, alpha: f64, beta: f64, stream: Stream, citizen: u32) -> f64 {
        let mut slot = 0;
        let x = self.gamma(alpha, stream, citizen, 0, &mut slot);
        let y = self.gamma(beta, stream, citizen, 0, &mut slot);
        x / (x + y)
    }

    /// A uniform integer in `0..n` (`n > 0`), by Lemire's multiply-shift
    /// (bias below 2^-32 for the populations used here).
    #[inline(always)]
    pub fn below(&self, n: u64, stream: Stream, citizen: u32, day: u32, slot: u32) -> u64 {
        ((u128::from(self.bits(stream, citizen, day, slot)) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_pure_functions_of_their_counter() {
        let a = Rng::new(7);
        let b = Rng::new(7);
        assert_eq!(a.bits(Stream::Accept, 5, 9, 2), b.bits(Stream::Accept, 5, 9, 2));
        assert_ne!(a.bits(Stream::Accept, 5, 9, 2), a.bits(Stream::Accept, 5, 9, 3));
        assert_ne!(a.bits(Stream::Accept, 5, 9, 2), a.bits(Stream::Coverage, 5, 9, 2));
        assert_ne!(a.bits(Stream::Accept, 5, 9, 2), Rng::new(8).bits(Stream::Accept, 5, 9, 2));
    }

    #[test]
    fn uniforms_have_the_right_mean_and_variance() {
        let rng = Rng::new(1);
        let n = 200_000u32;
        let (mut s, mut s2) = (0.0, 0.0);
        for i in 0..n {
            let u = rng.uniform(Stream::Urban, i, 3, 0);
            assert!(u > 0.0 && u < 1.0);
            s += u;
            s2 += u * u;
        }
        let mean = s / f64::from(n);
        let var = s2 / f64::from(n) - mean * mean;
        // Standard error of the mean is sqrt(1/12/n) ≈ 6.5e-4: allow 5 sd.
        assert!((mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / f64::from(n)).sqrt(), "{mean}");
        assert!((var - 1.0 / 12.0).abs() < 2e-3, "{var}");
    }

    #[test]
    fn bits_are_balanced_across_neighbouring_counters() {
        // Each output bit should be set half the time over consecutive counters.
        let rng = Rng::new(42);
        let n = 100_000u32;
        let mut ones = [0u32; 64];
        for i in 0..n {
            let x = rng.bits(Stream::Accept, i, 0, 0);
            for (b, c) in ones.iter_mut().enumerate() {
                *c += ((x >> b) & 1) as u32;
            }
        }
        let sd = (f64::from(n) * 0.25).sqrt();
        for (b, &c) in ones.iter().enumerate() {
            assert!((f64::from(c) - f64::from(n) / 2.0).abs() < 5.0 * sd, "bit {b}: {c}");
        }
    }

    #[test]
    fn beta_moments_match() {
        let rng = Rng::new(3);
        let (a, b) = (1.2, 6.0);
        let n = 100_000u32;
        let mut s = 0.0;
        let mut s2 = 0.0;
        for i in 0..n {
            let x = rng.beta(a, b, Stream::Dissent, i);
            assert!((0.0..=1.0).contains(&x));
            s += x;
            s2 += x * x;
        }
        let mean = s / f64::from(n);
        let var = s2 / f64::from(n) - mean * mean;
        let want_mean = a / (a + b);
        let want_var = a * b / ((a + b) * (a + b) * (a + b + 1.0));
        assert!((mean - want_mean).abs() < 5.0 * (want_var / f64::from(n)).sqrt(), "{mean}");
        assert!((var - want_var).abs() / want_var < 0.03, "{var} vs {want_var}");
    }

    #[test]
    fn gamma_below_one_has_the_right_mean() {
        let rng = Rng::new(9);
        let n = 100_000u32;
        let mut s = 0.0;
        for i in 0..n {
            let mut slot = 0;
            s += rng.gamma(0.5, Stream::Compliance, i, 0, &mut slot);
        }
        // Var = 0.5, sd of the mean = sqrt(0.5/n).
        assert!((s / f64::from(n) - 0.5).abs() < 5.0 * (0.5 / f64::from(n)).sqrt());
    }

    #[test]
    fn below_is_uniform() {
        let rng = Rng::new(5);
        let mut counts = [0u32; 7];
        let n = 70_000u32;
        for i in 0..n {
            counts[rng.below(7, Stream::Guardian, i, 0, 0) as usize] += 1;
        }
        let sd = (f64::from(n) / 7.0 * (6.0 / 7.0)).sqrt();
        for c in counts {
            assert!((f64::from(c) - f64::from(n) / 7.0).abs() < 5.0 * sd);
        }
    }
}
