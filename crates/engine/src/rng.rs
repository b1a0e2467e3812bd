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
    /// Latent income: one normal variate (slots from 0 up).
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

/// Layers of the normal ziggurat, and where its tail starts and each
/// layer's area (Doornik's constants for 128 layers; the area is what the
/// table below was computed from, and what the tests check it against).
const ZIGGURAT_LAYERS: usize = 128;
const ZIGGURAT_R: f64 = 3.442_619_855_899;
#[cfg(test)]
const ZIGGURAT_AREA: f64 = 9.912_563_035_262_17e-3;

/// The ziggurat's layer edges: `x[0]` = area / f(R) for the base layer,
/// `x[1]` = R, then x[i] = f⁻¹(area / x[i−1] + f(x[i−1])) with
/// f(x) = exp(−x²/2), down to `x[128]` = 0 at the peak. Written out rather
/// than computed at start-up, so no process depends on its libm for them;
/// the tests check that every layer has the same area.
#[rustfmt::skip]
const ZIGGURAT_X: [f64; ZIGGURAT_LAYERS + 1] = [
    3.7130862467425505, 3.442619855899, 3.2230849845811416, 3.0832288582168683,
    2.9786962526477803, 2.894344007021529, 2.8231253505489105, 2.761169372387177,
    2.7061135731218195, 2.6564064112613597, 2.6109722484318474, 2.569033625924938,
    2.5300096723888275, 2.493454522095372, 2.4590181774118305, 2.42642064553375,
    2.3954342780110625, 2.3658713701176386, 2.3375752413392368, 2.310413683698763,
    2.2842740596774718, 2.2590595738691985, 2.2346863955909795, 2.2110814088787034,
    2.188180432076049, 2.165926793748922, 2.1442701823603953, 2.1231657086739766,
    2.1025731351892385, 2.082456237992017, 2.0627822745083084, 2.0435215366550676,
    2.0246469733773855, 2.006133869963472, 1.98795957412762, 1.9701032608543265,
    1.9525457295535567, 1.9352692282966228, 1.9182573008645099, 1.901494653105151,
    1.884967035707759, 1.8686611409944887, 1.8525645117280911, 1.836665460258446,
    1.8209529965961255, 1.8054167642192285, 1.7900469825998586, 1.7748343955860695,
    1.7597702248995934, 1.7448461281138004, 1.7300541605637305, 1.7153867407136676,
    1.7008366185699169, 1.6863968467791681, 1.672060754097601, 1.6578219209540241,
    1.6436741568628686, 1.6296114794706347, 1.615628095043161, 1.6017183802213781,
    1.5878768648905761, 1.5740982160230008, 1.560377222366169, 1.5467087798599104,
    1.5330878776740433, 1.5195095847659401, 1.5059690368632033, 1.492461423781354,
    1.4789819769899242, 1.4655259573427108, 1.4520886428892246, 1.4386653166845635,
    1.42525125451406, 1.4118417124470577, 1.3984319141310053, 1.3850170377326518,
    1.3715922024273426, 1.3581524543301435, 1.344692751753547, 1.3312079496656273,
    1.317692783209414, 1.3041418501286168, 1.2905495919261964, 1.2769102735601556,
    1.263217961454621, 1.2494664995730682, 1.2356494832633627, 1.2217602305399964,
    1.2077917504159497, 1.1937367078331287, 1.1795873846639882, 1.1653356361647524,
    1.1509728421488674, 1.1364898520131608, 1.1218769225825422, 1.107123647534036,
    1.0922188769072774, 1.0771506248928957, 1.0619059636948243, 1.0464709007640454,
    1.0308302360681956, 1.0149673952513305, 0.9988642334929836, 0.982500803515429,
    0.9658550794011499, 0.9489026255113064, 0.9316161966151508, 0.9139652510230323,
    0.8959153525809377, 0.8774274291129234, 0.8584568431938132, 0.8389522142975774,
    0.8188539067003573, 0.7980920606440569, 0.7765839878947599, 0.7542306644540556,
    0.7309119106424888, 0.7064796113354365, 0.6807479186691546, 0.6534786387399752,
    0.6243585973360507, 0.5929629424714483, 0.5586921784081852, 0.5206560387620606,
    0.4774378372966898, 0.4265479863554235, 0.36287143109703196, 0.27232086481396467,
    0.0
];

/// `ratio[i] = x[i+1] / x[i]`: the share of layer i that lies wholly
/// under the density, where a variate needs no further test.
const ZIGGURAT_RATIO: [f64; ZIGGURAT_LAYERS] = {
    let mut ratio = [0.0; ZIGGURAT_LAYERS];
    let mut i = 0;
    while i < ZIGGURAT_LAYERS {
        ratio[i] = ZIGGURAT_X[i + 1] / ZIGGURAT_X[i];
        i += 1;
    }
    ratio
};

/// A Gamma(shape, 1) distribution with Marsaglia and Tsang's constants
/// worked out once, not per variate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaShape {
    /// Shape below one: drawn as Gamma(shape + 1) · U^(1/shape).
    boost: bool,
    inverse_shape: f64,
    d: f64,
    c: f64,
}

impl GammaShape {
    /// The distribution of shape `shape` > 0.
    pub fn new(shape: f64) -> Self {
        let boost = shape < 1.0;
        let d = if boost { shape + 1.0 } else { shape } - 1.0 / 3.0;
        GammaShape { boost, inverse_shape: 1.0 / shape, d, c: 1.0 / (9.0 * d).sqrt() }
    }
}

/// A Beta(alpha, beta) distribution, drawn as X / (X + Y) of two gamma
/// variates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BetaShape {
    alpha: GammaShape,
    beta: GammaShape,
}

impl BetaShape {
    /// The distribution of shapes `alpha`, `beta` > 0.
    pub fn new(alpha: f64, beta: f64) -> Self {
        BetaShape { alpha: GammaShape::new(alpha), beta: GammaShape::new(beta) }
    }
}

impl Rng {
    /// The generator for a seed.
    pub fn new(seed: u64) -> Self {
        let key0 = splitmix(seed ^ GOLDEN);
        let key1 = splitmix(key0.wrapping_add(GOLDEN));
        Rng { key0, key1 }
    }

    /// The draws of one citizen on one day. The first round of the mixer
    /// depends only on (citizen, day), so a caller making several draws
    /// for the same citizen and day does it once; the bits are the same.
    #[inline(always)]
    pub fn draws(&self, citizen: u32, day: u32) -> Draws {
        let a = u64::from(citizen) | (u64::from(day) << 32);
        Draws { mixed: splitmix(a ^ self.key0), key0: self.key0, key1: self.key1 }
    }

    /// 64 random bits for (stream, citizen, day, slot).
    #[inline(always)]
    pub fn bits(&self, stream: Stream, citizen: u32, day: u32, slot: u32) -> u64 {
        self.draws(citizen, day).bits(stream, slot)
    }

    /// A uniform in the open interval (0, 1), never 0 or 1, so its logarithm
    /// is finite.
    #[inline(always)]
    pub fn uniform(&self, stream: Stream, citizen: u32, day: u32, slot: u32) -> f64 {
        self.draws(citizen, day).uniform(stream, slot)
    }

    /// `true` with probability `p`.
    #[inline(always)]
    pub fn bernoulli(&self, p: f64, stream: Stream, citizen: u32, day: u32, slot: u32) -> bool {
        self.draws(citizen, day).bernoulli(p, stream, slot)
    }

    /// An exponential variate with mean 1.
    #[inline(always)]
    pub fn exponential(&self, stream: Stream, citizen: u32, day: u32, slot: u32) -> f64 {
        self.draws(citizen, day).exponential(stream, slot)
    }

    /// A standard normal variate ([`Draws::normal`]).
    #[inline]
    pub fn normal(&self, stream: Stream, citizen: u32, day: u32, slot: &mut u32) -> f64 {
        self.draws(citizen, day).normal(stream, slot)
    }

    /// A Gamma(shape, 1) variate ([`Draws::gamma`]).
    #[inline]
    pub fn gamma(&self, g: &GammaShape, stream: Stream, citizen: u32, day: u32, slot: &mut u32) -> f64 {
        self.draws(citizen, day).gamma(g, stream, slot)
    }

    /// A Beta variate of a citizen's day 0 ([`Draws::beta`]).
    #[inline]
    pub fn beta(&self, b: &BetaShape, stream: Stream, citizen: u32) -> f64 {
        self.draws(citizen, 0).beta(b, stream)
    }

    /// A uniform integer in `0..n` ([`Draws::below`]).
    #[inline(always)]
    pub fn below(&self, n: u64, stream: Stream, citizen: u32, day: u32, slot: u32) -> u64 {
        self.draws(citizen, day).below(n, stream, slot)
    }
}

/// The draws of one (citizen, day): [`Rng::draws`]. Every draw is still a
/// pure function of (seed, stream, citizen, day, slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draws {
    /// The first round of the mixer over (citizen, day).
    mixed: u64,
    key0: u64,
    key1: u64,
}

impl Draws {
    /// 64 random bits for (stream, slot).
    #[inline(always)]
    pub fn bits(&self, stream: Stream, slot: u32) -> u64 {
        let b = (u64::from(stream as u8) << 56) ^ u64::from(slot);
        let h = splitmix(self.mixed ^ b.wrapping_mul(GOLDEN) ^ self.key1);
        splitmix(h.wrapping_add(self.key0))
    }

    /// A uniform in the open interval (0, 1), never 0 or 1, so its logarithm
    /// is finite.
    #[inline(always)]
    pub fn uniform(&self, stream: Stream, slot: u32) -> f64 {
        ((self.bits(stream, slot) >> 11) as f64 + 0.5) * INV_2_53
    }

    /// `true` with probability `p`.
    #[inline(always)]
    pub fn bernoulli(&self, p: f64, stream: Stream, slot: u32) -> bool {
        self.uniform(stream, slot) < p
    }

    /// An exponential variate with mean 1.
    #[inline(always)]
    pub fn exponential(&self, stream: Stream, slot: u32) -> f64 {
        -self.uniform(stream, slot).ln()
    }

    /// A standard normal variate by the ziggurat method (Marsaglia and
    /// Tsang, 2000, in Doornik's ZIGNOR form, 2005), using 64-bit draws from
    /// `*slot` upward; `*slot` is advanced past the slots used.
    ///
    /// One draw gives both the layer (its low 7 bits) and the abscissa (its
    /// high 53 bits), so 97.2% of attempts end after one draw and a table
    /// lookup (1.04 draws a variate on average), against two draws with
    /// `ln`, `sqrt` and `cos` for Box–Muller; the rest go to the wedges
    /// (one more draw and two `exp`) or the tail beyond R (Marsaglia's
    /// exponential rejection). The
    /// method is exact: the variate has the standard normal distribution,
    /// as the tests of this module check against Φ.
    #[inline(always)]
    pub fn normal(&self, stream: Stream, slot: &mut u32) -> f64 {
        let b = self.bits(stream, *slot);
        *slot += 1;
        let layer = (b & 0x7f) as usize;
        let u = 2.0 * (((b >> 11) as f64 + 0.5) * INV_2_53) - 1.0;
        if u.abs() < ZIGGURAT_RATIO[layer] {
            return u * ZIGGURAT_X[layer];
        }
        self.normal_outside_rectangles(layer, u, stream, slot)
    }

    /// The ziggurat's rare case: a point of layer `layer` at `u` outside
    /// the part wholly under the density. Draws again if it is rejected.
    #[cold]
    #[inline(never)]
    fn normal_outside_rectangles(&self, layer: usize, u: f64, stream: Stream, slot: &mut u32) -> f64 {
        if layer == 0 {
            return self.normal_tail(stream, slot, u < 0.0);
        }
        let x = &ZIGGURAT_X;
        let z = u * x[layer];
        let f0 = (-0.5 * (x[layer] * x[layer] - z * z)).exp();
        let f1 = (-0.5 * (x[layer + 1] * x[layer + 1] - z * z)).exp();
        let v = self.uniform(stream, *slot);
        *slot += 1;
        if f1 + v * (f0 - f1) < 1.0 {
            return z;
        }
        self.normal(stream, slot)
    }

    /// A normal variate beyond ±R, the ziggurat's base: Marsaglia's
    /// rejection from an exponential tail.
    #[cold]
    fn normal_tail(&self, stream: Stream, slot: &mut u32, negative: bool) -> f64 {
        loop {
            let x = self.uniform(stream, *slot).ln() / ZIGGURAT_R;
            let y = self.uniform(stream, *slot + 1).ln();
            *slot += 2;
            if -2.0 * y >= x * x {
                return if negative { x - ZIGGURAT_R } else { ZIGGURAT_R - x };
            }
        }
    }

    /// A Gamma(shape, 1) variate (Marsaglia–Tsang), using slots from
    /// `*slot` upward; `*slot` is advanced past the slots used, so the
    /// caller can draw again from the same counter.
    #[inline(always)]
    pub fn gamma(&self, g: &GammaShape, stream: Stream, slot: &mut u32) -> f64 {
        let (d, c) = (g.d, g.c);
        let variate = loop {
            let x = self.normal(stream, slot);
            let u = self.uniform(stream, *slot);
            *slot += 1;
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            if u < 1.0 - 0.0331 * x * x * x * x || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
                break d * v;
            }
        };
        if g.boost {
            // Shape below one: Gamma(a) = Gamma(a + 1) · U^(1/a).
            let u = self.uniform(stream, *slot);
            *slot += 1;
            return variate * u.powf(g.inverse_shape);
        }
        variate
    }

    /// A Beta(alpha, beta) variate as X / (X + Y) of two gamma variates.
    #[inline]
    pub fn beta(&self, b: &BetaShape, stream: Stream) -> f64 {
        let mut slot = 0;
        let x = self.gamma(&b.alpha, stream, &mut slot);
        let y = self.gamma(&b.beta, stream, &mut slot);
        x / (x + y)
    }

    /// A uniform integer in `0..n` (`n > 0`), by Lemire's multiply-shift
    /// (bias below 2^-32 for the populations used here).
    #[inline(always)]
    pub fn below(&self, n: u64, stream: Stream, slot: u32) -> u64 {
        ((u128::from(self.bits(stream, slot)) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::special::{incomplete_beta, ln_gamma};

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
            let x = rng.beta(&BetaShape::new(a, b), Stream::Dissent, i);
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
            s += rng.gamma(&GammaShape::new(0.5), Stream::Compliance, i, 0, &mut slot);
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

    /// Φ, the standard normal CDF, through erfc (Numerical Recipes'
    /// Chebyshev fit, relative error below 1.2e-7: far below the KS
    /// tolerances used here).
    fn phi(x: f64) -> f64 {
        let z = x.abs() / std::f64::consts::SQRT_2;
        let t = 1.0 / (1.0 + 0.5 * z);
        let poly = -z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
        let erfc = t * poly.exp();
        if x >= 0.0 {
            1.0 - 0.5 * erfc
        } else {
            0.5 * erfc
        }
    }

    /// The regularised lower incomplete gamma P(a, x): the Gamma(a, 1) CDF.
    fn gamma_cdf(a: f64, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let front = (-x + a * x.ln() - ln_gamma(a)).exp();
        if x < a + 1.0 {
            let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
            while term.abs() > sum.abs() * 1e-15 {
                n += 1.0;
                term *= x / n;
                sum += term;
            }
            return sum * front;
        }
        // Continued fraction for Q (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..1000 {
            let an = -f64::from(i) * (f64::from(i) - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            let step = d * c;
            h *= step;
            if (step - 1.0).abs() < 1e-15 {
                break;
            }
        }
        1.0 - front * h
    }

    /// The Kolmogorov–Smirnov distance between a sample and a CDF.
    fn ks_distance(mut sample: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        sample.sort_by(f64::total_cmp);
        let n = sample.len() as f64;
        sample.iter().enumerate().fold(0.0f64, |d, (k, &x)| {
            let f = cdf(x);
            d.max((f - k as f64 / n).abs()).max(((k + 1) as f64 / n - f).abs())
        })
    }

    /// KS distance a sample of `n` from the right distribution exceeds with
    /// probability 0.001 (the asymptotic critical value 1.949/√n).
    fn ks_critical(n: usize) -> f64 {
        1.949 / (n as f64).sqrt()
    }

    #[test]
    fn reference_cdfs_are_right() {
        // Checks of the test's own yardsticks against known values.
        assert!((phi(1.959_963_984_540_054) - 0.975).abs() < 1e-7);
        assert!((phi(-1.0) - 0.158_655_253_931_457_05).abs() < 1e-7);
        assert!((gamma_cdf(1.0, 2.0) - (1.0 - (-2.0f64).exp())).abs() < 1e-9);
        assert!((gamma_cdf(4.0, 3.0) - 0.352_768_111_217_768_7).abs() < 1e-9);
        // P(1/2, x) = erf(√x).
        assert!((gamma_cdf(0.5, 0.7) - 0.763_276_429_362_142_7).abs() < 1e-8);
        // The Beta yardstick, `special::incomplete_beta`, has its own tests.
    }

    #[test]
    fn ziggurat_layers_have_equal_areas_and_close_at_the_mode() {
        // Every layer, the base (rectangle and tail) included, must have
        // the same area, and the top one must end at the density's peak:
        // that is what the constants (R, area) promise for 128 layers (to
        // the 13 digits they are given with).
        let x = &ZIGGURAT_X;
        let f = |x: f64| (-0.5 * x * x).exp();
        let tail = (2.0 * std::f64::consts::PI).sqrt() * (1.0 - phi(ZIGGURAT_R));
        let base = ZIGGURAT_R * f(ZIGGURAT_R) + tail;
        assert!((base - ZIGGURAT_AREA).abs() < 1e-6 * ZIGGURAT_AREA, "base layer {base}");
        assert_eq!(x[1], ZIGGURAT_R);
        assert!((x[0] * f(ZIGGURAT_R) - ZIGGURAT_AREA).abs() < 1e-15);
        for i in 1..ZIGGURAT_LAYERS {
            let area = x[i] * (f(x[i + 1]) - f(x[i]));
            assert!((area - ZIGGURAT_AREA).abs() < 1e-8 * ZIGGURAT_AREA, "layer {i}: {area}");
        }
        assert!(x.windows(2).all(|w| w[0] > w[1]) && x[ZIGGURAT_LAYERS] == 0.0);
        for i in 0..ZIGGURAT_LAYERS {
            assert_eq!(ZIGGURAT_RATIO[i], x[i + 1] / x[i]);
        }
    }

    #[test]
    fn normal_tail_has_the_conditional_distribution() {
        // Beyond R the ziggurat samples the tail alone: P(X ≤ x | X > R).
        let rng = Rng::new(14);
        let n = 100_000usize;
        let sample: Vec<f64> =
            (0..n as u32).map(|i| rng.draws(i, 0).normal_tail(Stream::Income, &mut 0, false)).collect();
        assert!(sample.iter().all(|&x| x > ZIGGURAT_R));
        let beyond = 1.0 - phi(ZIGGURAT_R);
        let d = ks_distance(sample, |x| (phi(x) - phi(ZIGGURAT_R)) / beyond);
        assert!(d < ks_critical(n), "KS distance {d}");
        assert!(rng.draws(1, 0).normal_tail(Stream::Income, &mut 0, true) < -ZIGGURAT_R);
    }

    #[test]
    fn normal_has_the_standard_normal_distribution() {
        let rng = Rng::new(11);
        let n = 400_000usize;
        let mut slots = 0u64;
        let sample: Vec<f64> = (0..n as u32)
            .map(|i| {
                let mut slot = 0;
                let x = rng.normal(Stream::Income, i, 0, &mut slot);
                slots += u64::from(slot);
                x
            })
            .collect();
        let d = ks_distance(sample.clone(), phi);
        assert!(d < ks_critical(n), "KS distance {d}");
        let nf = n as f64;
        let mean = sample.iter().sum::<f64>() / nf;
        let var = sample.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / nf;
        let kurtosis = sample.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / nf / (var * var);
        assert!(mean.abs() < 5.0 / nf.sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 5.0 * (2.0 / nf).sqrt(), "variance {var}");
        assert!((kurtosis - 3.0).abs() < 5.0 * (24.0 / nf).sqrt(), "kurtosis {kurtosis}");
        // KS is weak in the tails: count the variates from the base layer's
        // tail, beyond ±R, against their binomial expectation.
        let p = 2.0 * (1.0 - phi(ZIGGURAT_R));
        let tail = sample.iter().filter(|x| x.abs() > ZIGGURAT_R).count() as f64;
        assert!((tail - nf * p).abs() < 5.0 * (nf * p * (1.0 - p)).sqrt(), "{tail} beyond R, want {}", nf * p);
        // And the far tail, beyond ±4.5 (about 2.7 per 400,000).
        assert!(sample.iter().filter(|x| x.abs() > 4.5).count() < 15);
        // Nearly every variate takes one draw (97.2% fast path; 1.04 draws
        // a variate on average).
        assert!((slots as f64 / nf) < 1.05, "{} draws a variate", slots as f64 / nf);
    }

    #[test]
    fn gamma_has_its_distribution() {
        let rng = Rng::new(12);
        let n = 100_000usize;
        for shape in [0.5, 1.0, 1.2, 2.0, 4.0, 6.0] {
            let sample: Vec<f64> = (0..n as u32)
                .map(|i| {
                    let mut slot = 0;
                    rng.gamma(&GammaShape::new(shape), Stream::Compliance, i, 0, &mut slot)
                })
                .collect();
            let d = ks_distance(sample, |x| gamma_cdf(shape, x));
            assert!(d < ks_critical(n), "Gamma({shape}): KS distance {d}");
        }
    }

    #[test]
    fn beta_has_its_distribution() {
        let rng = Rng::new(13);
        let n = 100_000usize;
        // seed-article's compliance and dissent, and two shapes below one.
        for (a, b) in [(4.0, 2.0), (1.2, 6.0), (0.7, 0.9), (2.0, 2.0)] {
            let shape = BetaShape::new(a, b);
            let sample: Vec<f64> = (0..n as u32).map(|i| rng.beta(&shape, Stream::Dissent, i)).collect();
            let d = ks_distance(sample, |x| incomplete_beta(a, b, x));
            assert!(d < ks_critical(n), "Beta({a}, {b}): KS distance {d}");
        }
    }
}
