//! Checkpoints: the state of a run written to a byte stream and read back,
//! so that an interrupted run continues exactly where it stopped.
//!
//! Every random draw is a pure function of (seed, stream, citizen, day,
//! slot) and every figure an integer count until the last division, so the
//! columns, the run's counters and the audit rows gathered so far are the
//! whole state of a run: a run restored from a checkpoint and stepped to its
//! end gives the same bits as the run that never stopped. What is derived
//! from the scenario (the [`crate::sim`] `Model`: tables, decay factors,
//! layout) is not written; it is rebuilt from the scenario.
//!
//! The engine does no I/O: the caller hands in any [`std::io::Write`] (a
//! buffered file, a `Vec<u8>`) and [`std::io::Read`]. The state is streamed
//! column by column through a 64 KiB buffer, never copied whole: at 100
//! million citizens it is about 9 GB.
//!
//! # Format (version 1)
//!
//! Little-endian throughout. A string is a `u32` byte length and UTF-8
//! bytes; a list is a `u32` (or, where noted, `u64`) count and its items.
//!
//! | part | content |
//! | --- | --- |
//! | signature | the 8 bytes `SCORECKP`, then the format version (`u32`) |
//! | header | producer (string: the program and version that wrote it), scenario fingerprint (`u64`, see [`scenario_fingerprint`]), the resolved scenario as TOML (string), seed (`u64`), citizens, days, days done (`u32` each), tracked citizens (list of `u32`), chunk size and chunk count (`u32`) |
//! | chunks | per chunk: first citizen and length (`u32`), then each column of [`Chunk`] in declaration order (`u8`, `u16`, `u32`, `i32`, `i64` or `f32` bits as stored; `len + 1` friend offsets; a `u32` count of friend links and the links), then the chunk's effective scores (`i32`) |
//! | counters | the run totals so far, the per-group denial, wrongful-denial and grant counters (lists of `u64`) |
//! | audit | the audit rows gathered so far (`u64` count), in the order they were gathered |
//! | daily | the caller's daily figures so far (`u32` count of [`DayMetrics`]) |
//! | trailer | a 64-bit checksum of every byte before it, then the 8 bytes `CKPTEND\n` |
//!
//! A reader refuses another signature or version, a checksum that does not
//! match, and any value that could not have been written (a citizen index
//! out of range, a day in the future): a damaged checkpoint is an error,
//! never a wrong run or a panic.

use std::fmt;
use std::io::{self, Read, Write};
use std::sync::Arc;

use scorelab_scenario::Scenario;

use crate::column::HugeColumn;
use crate::comm::{Comm, Single};
use crate::metrics::{AuditKind, AuditRow, DayMetrics, HistogramSpec, RunTotals};
use crate::sim::{RunConfig, Simulation, MAX_DAYS};
use crate::state::{Chunk, NO_DAY, NO_GUARDIAN};

/// The first 8 bytes of every checkpoint.
pub const MAGIC: [u8; 8] = *b"SCORECKP";
/// The last 8 bytes of every checkpoint.
pub const END: [u8; 8] = *b"CKPTEND\n";
/// The format version written by this engine; readers refuse any other.
pub const VERSION: u32 = 2;

/// Longest producer string and scenario text a reader accepts.
const MAX_PRODUCER: usize = 4096;
const MAX_SCENARIO_TEXT: usize = 64 << 20;
/// Longest name (behaviour, grade, ...) inside an audit row.
const MAX_NAME: usize = 1 << 16;
/// Friend links per citizen, on average over a chunk, that a reader
/// accepts (the scenario allows a mean degree of 64; the tail of the degree
/// distribution stays far below this).
const MAX_MEAN_LINKS: usize = 4096;
/// Largest magnitude of a stored gain or loss, in thousandths: far beyond
/// any score range, far below where arithmetic on it could overflow.
const MAX_COMPONENT: i64 = 1 << 52;

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The stream failed (a full disk while writing, a read error).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The stream does not start with [`MAGIC`].
    #[error("not a scorelab checkpoint (it does not start with the checkpoint signature)")]
    NotACheckpoint,
    /// Written in another format version.
    #[error("checkpoint format version {found}, but this scorelab reads version {VERSION}; resume it with the scorelab that wrote it")]
    Version {
        /// The version in the file.
        found: u32,
    },
    /// Truncated, corrupted, or holding values no run could have written.
    #[error("damaged checkpoint: {0}")]
    Damaged(String),
    /// A valid checkpoint of another run (another scenario).
    #[error("{0}")]
    Mismatch(String),
}

fn damaged(msg: impl Into<String>) -> CheckpointError {
    CheckpointError::Damaged(msg.into())
}

/// What a checkpoint says about its run, readable before the state itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// The program that wrote the checkpoint, as the caller named it (e.g.
    /// `scorelab 0.1.0 (abc1234)`).
    pub producer: String,
    /// [`scenario_fingerprint`] of the scenario that was running.
    pub scenario_fingerprint: u64,
    /// The resolved scenario as TOML, as the caller gave it: enough to
    /// rebuild the scenario without its file.
    pub scenario_toml: String,
    /// Size, seed and tracked citizens of the run.
    pub config: RunConfig,
    /// Days done when the checkpoint was written (the next day to run).
    pub day: u32,
    /// The rank whose part of the run this is, and the ranks of the run
    /// (0 of 1 for a run in one process).
    pub rank: u32,
    pub ranks: u32,
}

/// A 64-bit fingerprint of a scenario: two scenarios with the same
/// fingerprint run the same model. It hashes the scenario's every field (its
/// `Debug` text: exact for numbers, free of hash-map order), so it detects a
/// different file, a changed default, or a scenario that this version of
/// scorelab reads differently from the one that wrote the checkpoint.
pub fn scenario_fingerprint(scenario: &Scenario) -> u64 {
    struct Sink(Hash64);
    impl fmt::Write for Sink {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut sink = Sink(Hash64::new());
    // Writing into a hasher cannot fail; a Debug impl that reported an
    // error would only shorten the text hashed.
    let _ = fmt::write(&mut sink, format_args!("{scenario:?}"));
    sink.0.finish()
}

/// The checksum stored in a checkpoint's trailer, over `bytes` (everything
/// before the trailer). For tools that repair or fuzz checkpoints: a reader
/// checks it and refuses a mismatch.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut h = Hash64::new();
    h.update(bytes);
    h.finish()
}

/// Bytes of a checkpoint of `citizens` citizens at `days` days, before the
/// audit rows (which depend on the tracked citizens' lives): an estimate for
/// a free-space check, within a few percent for the built-in scenarios.
pub fn estimate_bytes(scenario: &Scenario, citizens: u32, days: u32) -> u64 {
    let n = u64::from(citizens);
    let links = (scenario.network.mean_degree * n as f64) as u64;
    // Columns (see the format table), friend offsets, effective scores.
    let per_citizen = 4 + 4 + 4 + 4 + 24 + 2 + 4 + 2 + 2 + 2 + 2 + 4 + 4;
    let histogram = HistogramSpec::for_range(scenario.score.min_milli, scenario.score.max_milli).bins as u64;
    let per_day = 8 * (16 + histogram + scenario.score.grades.len() as u64 + 3 * scenario.behaviours.len() as u64)
        + 8 * 3 * scenario.activities.len() as u64;
    n * per_citizen + links * 4 + u64::from(days) * per_day + 64 * 1024
}

impl Simulation {
    /// Writes the state of the run after [`Simulation::day`] days into
    /// `out`, with the caller's `daily` figures so far (so that a resumed
    /// run can write every day's row), `scenario_toml` (the resolved scenario,
    /// stored in the header) and `producer` (who wrote it). Returns the bytes
    /// written. `out` is flushed, not synced: making the file durable is the
    /// caller's part.
    ///
    /// ```
    /// use scorelab_engine::checkpoint::CheckpointReader;
    /// use scorelab_engine::{RunConfig, Simulation};
    /// let scenario = scorelab_scenario::load_builtin("seed-article").unwrap();
    /// let config = RunConfig { citizens: 2_000, days: 6, seed: 3, tracked: vec![5] };
    /// let mut sim = Simulation::new(&scenario, config.clone()).unwrap();
    /// let mut daily = vec![sim.step(), sim.step()];
    /// let mut bytes = Vec::new();
    /// sim.write_checkpoint(&mut bytes, "doc", "", &daily).unwrap();
    ///
    /// let reader = CheckpointReader::new(&bytes[..]).unwrap();
    /// assert_eq!(reader.header().day, 2);
    /// let (mut resumed, days) = reader.restore(&scenario).unwrap();
    /// assert_eq!(days, daily);
    /// let mut straight = Simulation::new(&scenario, config).unwrap();
    /// straight.step();
    /// straight.step();
    /// while !sim.is_done() {
    ///     assert_eq!(sim.step(), resumed.step());
    /// }
    /// assert_eq!(sim.take_audit(), resumed.take_audit());
    /// ```
    pub fn write_checkpoint<W: Write>(
        &self,
        out: W,
        producer: &str,
        scenario_toml: &str,
        daily: &[DayMetrics],
    ) -> Result<u64, CheckpointError> {
        let mut w = HashWrite { inner: out, hash: Hash64::new(), bytes: 0 };
        w.write_all(&MAGIC)?;
        put_u32(&mut w, VERSION)?;
        put_str(&mut w, producer)?;
        put_u64(&mut w, scenario_fingerprint(&self.model.scenario))?;
        put_str(&mut w, scenario_toml)?;
        put_u64(&mut w, self.config.seed)?;
        put_u32(&mut w, self.config.citizens)?;
        put_u32(&mut w, self.config.days)?;
        put_u32(&mut w, self.day)?;
        put_list(&mut w, &self.config.tracked)?;
        put_u32(&mut w, len_u32(self.part.rank)?)?;
        put_u32(&mut w, len_u32(self.part.ranks)?)?;
        put_u32(&mut w, len_u32(self.model.chunk_size)?)?;
        put_u32(&mut w, len_u32(self.chunks.len())?)?;

        for (chunk, scores) in self.chunks.iter().zip(self.scores.chunks(self.model.chunk_size)) {
            put_u32(&mut w, chunk.first)?;
            put_u32(&mut w, len_u32(chunk.len())?)?;
            put_slice(&mut w, &chunk.age0)?;
            put_slice(&mut w, &chunk.region)?;
            put_slice(&mut w, &chunk.decile)?;
            put_slice(&mut w, &chunk.flags)?;
            put_slice(&mut w, &chunk.guardian)?;
            put_slice(&mut w, &chunk.compliance)?;
            put_slice(&mut w, &chunk.dissent)?;
            put_slice(&mut w, &chunk.gains)?;
            put_slice(&mut w, &chunk.losses)?;
            put_slice(&mut w, &chunk.erroneous)?;
            put_slice(&mut w, &chunk.last_update)?;
            put_slice(&mut w, &chunk.friends_term)?;
            put_slice(&mut w, &chunk.listing_end)?;
            put_slice(&mut w, &chunk.last_denial)?;
            put_slice(&mut w, &chunk.next_candidate)?;
            put_slice(&mut w, &chunk.ever_denied)?;
            put_slice(&mut w, &chunk.friend_offsets)?;
            put_list(&mut w, &chunk.friends)?;
            put_slice(&mut w, scores)?;
        }

        put_totals(&mut w, &self.totals)?;
        put_list(&mut w, &self.group_denials)?;
        put_list(&mut w, &self.group_wrongful)?;
        put_list(&mut w, &self.group_grants)?;
        put_u64(&mut w, self.audit.len() as u64)?;
        for row in &self.audit {
            put_audit(&mut w, row)?;
        }
        put_u32(&mut w, len_u32(daily.len())?)?;
        for day in daily {
            put_day(&mut w, day)?;
        }

        let sum = w.hash.finish();
        let mut out = w.inner;
        out.write_all(&sum.to_le_bytes())?;
        out.write_all(&END)?;
        out.flush()?;
        Ok(w.bytes + 16)
    }
}

/// Reads a checkpoint: the header first (to learn which scenario and size
/// it belongs to), then, with the scenario, the state.
pub struct CheckpointReader<R: Read> {
    r: HashRead<R>,
    header: Header,
}

impl<R: Read> CheckpointReader<R> {
    /// Reads and checks the signature, the version and the header.
    pub fn new(inner: R) -> Result<Self, CheckpointError> {
        let mut r = HashRead { inner, hash: Hash64::new() };
        let mut magic = [0u8; 8];
        read_exact(&mut r, &mut magic).map_err(|e| match e {
            CheckpointError::Damaged(_) => CheckpointError::NotACheckpoint,
            other => other,
        })?;
        if magic != MAGIC {
            return Err(CheckpointError::NotACheckpoint);
        }
        let version = get_u32(&mut r)?;
        if version != VERSION {
            return Err(CheckpointError::Version { found: version });
        }
        let producer = get_str(&mut r, MAX_PRODUCER, "producer")?;
        let scenario_fingerprint = get_u64(&mut r)?;
        let scenario_toml = get_str(&mut r, MAX_SCENARIO_TEXT, "scenario")?;
        let seed = get_u64(&mut r)?;
        let citizens = get_u32(&mut r)?;
        let days = get_u32(&mut r)?;
        let day = get_u32(&mut r)?;
        if citizens == 0 || citizens == u32::MAX {
            return Err(damaged(format!("{citizens} citizens")));
        }
        if days == 0 || days > MAX_DAYS || day > days {
            return Err(damaged(format!("day {day} of {days}")));
        }
        let n = get_u32(&mut r)? as usize;
        if n > citizens as usize {
            return Err(damaged(format!("{n} tracked citizens among {citizens}")));
        }
        let tracked: Vec<u32> = get_vec(&mut r, n)?;
        if let Some(bad) = tracked.iter().find(|&&t| t >= citizens) {
            return Err(damaged(format!("tracked citizen {bad} among {citizens}")));
        }
        let rank = get_u32(&mut r)?;
        let ranks = get_u32(&mut r)?;
        if ranks == 0 || rank >= ranks || ranks > citizens {
            return Err(damaged(format!("rank {rank} of {ranks} for {citizens} citizens")));
        }
        let header = Header {
            version,
            producer,
            scenario_fingerprint,
            scenario_toml,
            config: RunConfig { citizens, days, seed, tracked },
            day,
            rank,
            ranks,
        };
        Ok(CheckpointReader { r, header })
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Reads the state and rebuilds the run, which continues with day
    /// [`Header::day`]; returns it with the daily figures stored with it.
    /// `scenario` must be the one the checkpoint was written with (same
    /// [`scenario_fingerprint`]), typically parsed from
    /// [`Header::scenario_toml`].
    pub fn restore(self, scenario: &Scenario) -> Result<(Simulation, Vec<DayMetrics>), CheckpointError> {
        self.restore_part(scenario, Arc::new(Single))
    }

    /// [`CheckpointReader::restore`] for one rank of a run split over
    /// ranks: the checkpoint must be this rank's part, written by a run
    /// over as many ranks. Collective.
    pub fn restore_part(
        self,
        scenario: &Scenario,
        comm: Arc<dyn Comm>,
    ) -> Result<(Simulation, Vec<DayMetrics>), CheckpointError> {
        let CheckpointReader { mut r, header } = self;
        if header.ranks as usize != comm.ranks() || header.rank as usize != comm.rank() {
            return Err(CheckpointError::Mismatch(format!(
                "this is the checkpoint of rank {} of a run over {} ranks, read by rank {} of {}: resume with as many ranks as the run started with",
                header.rank,
                header.ranks,
                comm.rank(),
                comm.ranks()
            )));
        }
        if scenario_fingerprint(scenario) != header.scenario_fingerprint {
            return Err(CheckpointError::Mismatch(format!(
                "the checkpoint was written for another scenario than `{}` (or for the same file read by another version of scorelab)",
                scenario.name
            )));
        }
        let mut sim = empty_simulation(scenario, &header, comm)?;
        let cfg = &header.config;
        let part = sim.part;
        let size = get_u32(&mut r)? as usize;
        let count = get_u32(&mut r)? as usize;
        if size != sim.model.chunk_size || count != (part.len as usize).div_ceil(size) {
            return Err(damaged(format!("{count} chunks of {size} citizens")));
        }
        let regions = sim.model.layout.regions();
        let activities = scenario.activities.len();
        let (mut chunks, mut scores) = (Vec::with_capacity(count), HugeColumn::filled(part.len as usize, 0));
        for c in 0..count {
            let first = get_u32(&mut r)?;
            let len = get_u32(&mut r)? as usize;
            let want = size.min(part.len as usize - c * size);
            if first as usize != part.first as usize + c * size || len != want {
                return Err(damaged(format!("chunk {c} holds citizens {first} and {len} more")));
            }
            let chunk = Chunk {
                first,
                age0: get_vec(&mut r, len)?,
                region: get_vec(&mut r, len)?,
                decile: get_vec(&mut r, len)?,
                flags: get_vec(&mut r, len)?,
                guardian: get_vec(&mut r, len)?,
                compliance: get_vec(&mut r, len)?,
                dissent: get_vec(&mut r, len)?,
                gains: get_vec(&mut r, len)?,
                losses: get_vec(&mut r, len)?,
                erroneous: get_vec(&mut r, len)?,
                last_update: get_vec(&mut r, len)?,
                friends_term: get_vec(&mut r, len)?,
                listing_end: get_vec(&mut r, len)?,
                last_denial: get_vec(&mut r, len)?,
                next_candidate: get_vec(&mut r, len)?,
                ever_denied: get_vec(&mut r, len)?,
                friend_offsets: get_vec(&mut r, len + 1)?,
                friends: {
                    let links = get_u32(&mut r)? as usize;
                    if links > len.max(1) * MAX_MEAN_LINKS {
                        return Err(damaged(format!("chunk {c} has {links} friend links")));
                    }
                    get_vec(&mut r, links)?
                },
            };
            check_chunk(&chunk, c, cfg.citizens, header.day, regions, activities)?;
            chunks.push(chunk);
            scores[c * size..c * size + len].copy_from_slice(&get_vec::<i32, _>(&mut r, len)?);
        }
        sim.chunks = chunks;
        sim.scores = scores;

        let (b, a) = (scenario.behaviours.len(), activities);
        sim.totals = get_totals(&mut r, b, a)?;
        if sim.totals.citizens != u64::from(cfg.citizens) || sim.totals.days != header.day {
            return Err(damaged("the run totals are of another size or day"));
        }
        let groups = sim.group_slots * a;
        sim.group_denials = get_list(&mut r, groups, "group counters")?;
        sim.group_wrongful = get_list(&mut r, groups, "group counters")?;
        sim.group_grants = get_list(&mut r, groups, "group counters")?;
        let rows = get_u64(&mut r)?;
        let mut audit = Vec::with_capacity(rows.min(1 << 16) as usize);
        for _ in 0..rows {
            audit.push(get_audit(&mut r, cfg.citizens, header.day)?);
        }
        sim.audit = audit;
        let days = get_u32(&mut r)?;
        if days != header.day {
            return Err(damaged(format!("{days} daily rows for {} days", header.day)));
        }
        let dims = Dims {
            histogram: sim.model.histogram.bins,
            grades: scenario.score.grades.len(),
            behaviours: b,
            activities: a,
        };
        let mut daily = Vec::with_capacity(days as usize);
        for t in 0..days {
            let m = get_day(&mut r, &dims)?;
            if m.day != t {
                return Err(damaged(format!("daily row {t} is for day {}", m.day)));
            }
            daily.push(m);
        }

        let sum = r.hash.finish();
        let mut trailer = [0u8; 16];
        read_exact(&mut r.inner, &mut trailer)?;
        let (stored, end) = trailer.split_at(8);
        if stored != sum.to_le_bytes() {
            return Err(damaged("the checksum does not match its content"));
        }
        if end != END {
            return Err(damaged("it does not end with the end marker"));
        }
        let mut extra = [0u8; 1];
        if r.inner.read(&mut extra)? != 0 {
            return Err(damaged("there are bytes after the end marker"));
        }
        sim.day = header.day;
        Ok((sim, daily))
    }
}

/// A simulation with its model rebuilt from the scenario and every column
/// empty, ready to be filled from a checkpoint. Mirrors the checks and the
/// construction of `Simulation::new`, without generating a population.
fn empty_simulation(scenario: &Scenario, header: &Header, comm: Arc<dyn Comm>) -> Result<Simulation, CheckpointError> {
    Simulation::empty(scenario, header.config.clone(), comm).map_err(|e| CheckpointError::Mismatch(e.to_string()))
}

/// Refuses values the day loop could not handle (indices out of range, days
/// in the future, components that could overflow).
fn check_chunk(
    c: &Chunk,
    index: usize,
    citizens: u32,
    day: u32,
    regions: usize,
    activities: usize,
) -> Result<(), CheckpointError> {
    let bad = |what: &str, j: usize| damaged(format!("citizen {}: {what}", c.first as usize + j));
    for j in 0..c.len() {
        if usize::from(c.region[j]) >= regions {
            return Err(bad("region out of range", j));
        }
        if !(1..=10).contains(&c.decile[j]) {
            return Err(bad("income decile out of range", j));
        }
        if c.guardian[j] != NO_GUARDIAN && c.guardian[j] >= citizens {
            return Err(bad("guardian out of range", j));
        }
        let (g, l, e) = (c.gains[j], c.losses[j], c.erroneous[j]);
        if !(0..=MAX_COMPONENT).contains(&g) || !(-MAX_COMPONENT..=0).contains(&l) || !(l..=0).contains(&e) {
            return Err(bad("score components out of range", j));
        }
        if u32::from(c.last_update[j]) > day {
            return Err(bad("last update after the checkpoint's day", j));
        }
        if c.last_denial[j] != NO_DAY && u32::from(c.last_denial[j]) >= day {
            return Err(bad("last denial after the checkpoint's day", j));
        }
        if u32::from(c.ever_denied[j]) >> activities != 0 {
            return Err(bad("denied an activity the scenario does not have", j));
        }
    }
    let offsets = &c.friend_offsets;
    if offsets.first() != Some(&0)
        || offsets.last().map(|&o| o as usize) != Some(c.friends.len())
        || offsets.windows(2).any(|w| w[0] > w[1])
    {
        return Err(damaged(format!("chunk {index}: friend offsets out of order")));
    }
    if c.friends.iter().any(|&f| f >= citizens) {
        return Err(damaged(format!("chunk {index}: a friend out of range")));
    }
    Ok(())
}

/// Lengths of the vectors inside a [`DayMetrics`].
struct Dims {
    histogram: usize,
    grades: usize,
    behaviours: usize,
    activities: usize,
}

// ---- encoding ----

fn len_u32(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a list too long for a checkpoint"))
}

fn put_u32(w: &mut impl Write, v: u32) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

fn put_u64(w: &mut impl Write, v: u64) -> io::Result<()> {
    w.write_all(&v.to_le_bytes())
}

fn put_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    put_u32(w, len_u32(s.len())?)?;
    w.write_all(s.as_bytes())
}

fn put_opt_str(w: &mut impl Write, s: &Option<String>) -> io::Result<()> {
    match s {
        Some(s) => put_str(w, s),
        None => Ok(()),
    }
}

/// A fixed-size little-endian value.
trait Le: Copy {
    const N: usize;
    fn put(self, out: &mut [u8]);
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! le {
    ($($t:ty),*) => {$(
        impl Le for $t {
            const N: usize = std::mem::size_of::<$t>();
            #[inline]
            fn put(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            #[inline]
            fn get(bytes: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(bytes);
                <$t>::from_le_bytes(a)
            }
        }
    )*};
}
le!(u8, u16, u32, u64, i32, i64, f32, f64);

const BLOCK: usize = 1 << 16;

/// Writes a slice through a 64 KiB block, without a count.
fn put_slice<T: Le>(w: &mut impl Write, v: &[T]) -> io::Result<()> {
    let mut buf = [0u8; BLOCK];
    for part in v.chunks(BLOCK / T::N) {
        for (x, out) in part.iter().zip(buf.chunks_exact_mut(T::N)) {
            x.put(out);
        }
        w.write_all(&buf[..part.len() * T::N])?;
    }
    Ok(())
}

/// Writes a `u32` count, then the slice.
fn put_list<T: Le>(w: &mut impl Write, v: &[T]) -> io::Result<()> {
    put_u32(w, len_u32(v.len())?)?;
    put_slice(w, v)
}

fn put_totals(w: &mut impl Write, t: &RunTotals) -> io::Result<()> {
    put_u64(w, t.citizens)?;
    put_u32(w, t.days)?;
    for v in [
        &t.true_events,
        &t.correct_records,
        &t.erroneous_records,
        &t.denials,
        &t.wrongful_denials,
        &t.grants,
        &t.unique_denied,
    ] {
        put_list(w, v)?;
    }
    for v in
        [t.unique_denied_any, t.ever_blacklisted, t.school_denials, t.children_denied_school, t.appeals, t.appeals_won]
    {
        put_u64(w, v)?;
    }
    Ok(())
}

fn kind_code(k: AuditKind) -> u8 {
    match k {
        AuditKind::Record => 0,
        AuditKind::Listed => 1,
        AuditKind::Delisted => 2,
        AuditKind::Denial => 3,
        AuditKind::Grant => 4,
        AuditKind::Appeal => 5,
        AuditKind::Score => 6,
    }
}

fn kind_of(code: u8) -> Option<AuditKind> {
    Some(match code {
        0 => AuditKind::Record,
        1 => AuditKind::Listed,
        2 => AuditKind::Delisted,
        3 => AuditKind::Denial,
        4 => AuditKind::Grant,
        5 => AuditKind::Appeal,
        6 => AuditKind::Score,
        _ => return None,
    })
}

/// Audit rows as words for the exchange between ranks: their checkpoint
/// encoding, its length in bytes first, zero-padded to whole words.
pub(crate) fn audit_to_words(rows: &[AuditRow]) -> Vec<u32> {
    let mut bytes = Vec::new();
    for row in rows {
        // Writing into a Vec cannot fail.
        let _ = put_audit(&mut bytes, row);
    }
    let mut words = vec![bytes.len() as u32];
    words.extend(bytes.chunks(4).map(|c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        u32::from_le_bytes(w)
    }));
    words
}

/// The rows of [`audit_to_words`].
pub(crate) fn audit_from_words(words: &[u32], citizens: u32, days: u32) -> Result<Vec<AuditRow>, CheckpointError> {
    let Some((&len, words)) = words.split_first() else { return Ok(Vec::new()) };
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).take(len as usize).collect();
    let mut r = &bytes[..];
    let mut rows = Vec::new();
    while !r.is_empty() {
        rows.push(get_audit(&mut r, citizens, days)?);
    }
    Ok(rows)
}

/// An audit row: citizen, day, kind, a bit set of the fields present, then
/// each present field in declaration order.
fn put_audit(w: &mut impl Write, r: &AuditRow) -> io::Result<()> {
    let present = [
        r.behaviour.is_some(),
        r.source.is_some(),
        r.points_milli.is_some(),
        r.erroneous.is_some(),
        r.detail.is_some(),
        r.actor.is_some(),
        r.activity.is_some(),
        r.rule.is_some(),
        r.wrongful.is_some(),
        r.other.is_some(),
        r.won.is_some(),
        r.own_score_milli.is_some(),
        r.effective_score_milli.is_some(),
        r.grade.is_some(),
    ];
    let bits = present.iter().enumerate().fold(0u16, |b, (i, &p)| b | (u16::from(p) << i));
    put_u32(w, r.citizen)?;
    put_u32(w, r.day)?;
    w.write_all(&[kind_code(r.kind)])?;
    w.write_all(&bits.to_le_bytes())?;
    put_opt_str(w, &r.behaviour)?;
    put_opt_str(w, &r.source)?;
    if let Some(v) = r.points_milli {
        w.write_all(&v.to_le_bytes())?;
    }
    if let Some(v) = r.erroneous {
        w.write_all(&[u8::from(v)])?;
    }
    put_opt_str(w, &r.detail)?;
    if let Some(v) = r.actor {
        put_u32(w, v)?;
    }
    put_opt_str(w, &r.activity)?;
    put_opt_str(w, &r.rule)?;
    if let Some(v) = r.wrongful {
        w.write_all(&[u8::from(v)])?;
    }
    if let Some(v) = r.other {
        put_u32(w, v)?;
    }
    if let Some(v) = r.won {
        w.write_all(&[u8::from(v)])?;
    }
    if let Some(v) = r.own_score_milli {
        w.write_all(&v.to_le_bytes())?;
    }
    if let Some(v) = r.effective_score_milli {
        w.write_all(&v.to_le_bytes())?;
    }
    put_opt_str(w, &r.grade)
}

fn put_day(w: &mut impl Write, d: &DayMetrics) -> io::Result<()> {
    put_u32(w, d.day)?;
    put_u64(w, d.adults)?;
    put_list(w, &d.score_histogram)?;
    put_slice(w, &[d.score_mean, d.score_p10, d.score_p50, d.score_p90, d.score_gini])?;
    put_list(w, &d.grade_counts)?;
    put_slice(w, &[d.blacklisted, d.blacklisted_erroneous, d.listings_started, d.listings_ended])?;
    for v in [&d.true_events, &d.correct_records, &d.erroneous_records, &d.denials, &d.wrongful_denials, &d.grants] {
        put_list(w, v)?;
    }
    put_slice(w, &[d.appeals, d.appeals_won])
}

// ---- decoding ----

/// `read_exact`, with a stream that ends early reported as a truncated checkpoint.
fn read_exact(r: &mut impl Read, buf: &mut [u8]) -> Result<(), CheckpointError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            damaged("it ends early (truncated)")
        } else {
            CheckpointError::Io(e)
        }
    })
}

fn get<T: Le>(r: &mut impl Read) -> Result<T, CheckpointError> {
    let mut buf = [0u8; 8];
    read_exact(r, &mut buf[..T::N])?;
    Ok(T::get(&buf[..T::N]))
}

fn get_u32(r: &mut impl Read) -> Result<u32, CheckpointError> {
    get::<u32>(r)
}

fn get_u64(r: &mut impl Read) -> Result<u64, CheckpointError> {
    get::<u64>(r)
}

fn get_bool(r: &mut impl Read) -> Result<bool, CheckpointError> {
    match get::<u8>(r)? {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(damaged(format!("{v} where a boolean was expected"))),
    }
}

fn get_str(r: &mut impl Read, max: usize, what: &str) -> Result<String, CheckpointError> {
    let n = get_u32(r)? as usize;
    if n > max {
        return Err(damaged(format!("a {what} text of {n} bytes")));
    }
    let bytes: Vec<u8> = get_vec(r, n)?;
    String::from_utf8(bytes).map_err(|_| damaged(format!("the {what} text is not UTF-8")))
}

/// Reads `n` values. `n` is checked by the caller against what the run
/// allows, so the vector is allocated once at its final size; it is filled
/// block by block, so a stream that ends early fails before it is all read.
fn get_vec<T: Le, R: Read>(r: &mut R, n: usize) -> Result<Vec<T>, CheckpointError> {
    let mut v = Vec::with_capacity(n);
    let mut buf = [0u8; BLOCK];
    let per = BLOCK / T::N;
    let mut left = n;
    while left > 0 {
        let k = left.min(per);
        read_exact(r, &mut buf[..k * T::N])?;
        v.extend(buf[..k * T::N].chunks_exact(T::N).map(T::get));
        left -= k;
    }
    Ok(v)
}

/// Reads a `u32` count, which must be `want`, then the values.
fn get_list<T: Le>(r: &mut impl Read, want: usize, what: &str) -> Result<Vec<T>, CheckpointError> {
    let n = get_u32(r)? as usize;
    if n != want {
        return Err(damaged(format!("{n} {what} where the scenario has {want}")));
    }
    get_vec(r, n)
}

fn get_totals(r: &mut impl Read, b: usize, a: usize) -> Result<RunTotals, CheckpointError> {
    let citizens = get_u64(r)?;
    let days = get_u32(r)?;
    Ok(RunTotals {
        citizens,
        days,
        true_events: get_list(r, b, "behaviour totals")?,
        correct_records: get_list(r, b, "behaviour totals")?,
        erroneous_records: get_list(r, b, "behaviour totals")?,
        denials: get_list(r, a, "activity totals")?,
        wrongful_denials: get_list(r, a, "activity totals")?,
        grants: get_list(r, a, "activity totals")?,
        unique_denied: get_list(r, a, "activity totals")?,
        unique_denied_any: get_u64(r)?,
        ever_blacklisted: get_u64(r)?,
        school_denials: get_u64(r)?,
        children_denied_school: get_u64(r)?,
        appeals: get_u64(r)?,
        appeals_won: get_u64(r)?,
    })
}

fn get_audit(r: &mut impl Read, citizens: u32, day: u32) -> Result<AuditRow, CheckpointError> {
    let citizen = get_u32(r)?;
    let t = get_u32(r)?;
    if citizen >= citizens || t >= day {
        return Err(damaged(format!("an audit row of citizen {citizen} on day {t}")));
    }
    let kind = kind_of(get::<u8>(r)?).ok_or_else(|| damaged("an audit row of an unknown kind"))?;
    let bits = get::<u16>(r)?;
    if bits >> 14 != 0 {
        return Err(damaged("an audit row with unknown fields"));
    }
    let has = |i: u32| (bits >> i) & 1 == 1;
    let mut row = AuditRow::new(citizen, t, kind);
    let name = |r: &mut _| get_str(r, MAX_NAME, "name");
    row.behaviour = if has(0) { Some(name(r)?) } else { None };
    row.source = if has(1) { Some(name(r)?) } else { None };
    row.points_milli = if has(2) { Some(get::<i64>(r)?) } else { None };
    row.erroneous = if has(3) { Some(get_bool(r)?) } else { None };
    row.detail = if has(4) { Some(name(r)?) } else { None };
    row.actor = if has(5) { Some(get_u32(r)?) } else { None };
    row.activity = if has(6) { Some(name(r)?) } else { None };
    row.rule = if has(7) { Some(name(r)?) } else { None };
    row.wrongful = if has(8) { Some(get_bool(r)?) } else { None };
    row.other = if has(9) { Some(get_u32(r)?) } else { None };
    row.won = if has(10) { Some(get_bool(r)?) } else { None };
    row.own_score_milli = if has(11) { Some(get::<i64>(r)?) } else { None };
    row.effective_score_milli = if has(12) { Some(get::<i64>(r)?) } else { None };
    row.grade = if has(13) { Some(name(r)?) } else { None };
    Ok(row)
}

fn get_day(r: &mut impl Read, dims: &Dims) -> Result<DayMetrics, CheckpointError> {
    let day = get_u32(r)?;
    let adults = get_u64(r)?;
    let score_histogram = get_list(r, dims.histogram, "histogram bins")?;
    let f: Vec<f64> = get_vec(r, 5)?;
    let grade_counts = get_list(r, dims.grades, "grades")?;
    let c: Vec<u64> = get_vec(r, 4)?;
    let (b, a) = (dims.behaviours, dims.activities);
    let m = DayMetrics {
        day,
        adults,
        score_histogram,
        score_mean: f[0],
        score_p10: f[1],
        score_p50: f[2],
        score_p90: f[3],
        score_gini: f[4],
        grade_counts,
        blacklisted: c[0],
        blacklisted_erroneous: c[1],
        listings_started: c[2],
        listings_ended: c[3],
        true_events: get_list(r, b, "behaviours")?,
        correct_records: get_list(r, b, "behaviours")?,
        erroneous_records: get_list(r, b, "behaviours")?,
        denials: get_list(r, a, "activities")?,
        wrongful_denials: get_list(r, a, "activities")?,
        grants: get_list(r, a, "activities")?,
        appeals: get_u64(r)?,
        appeals_won: get_u64(r)?,
    };
    Ok(m)
}

// ---- checksum ----

/// A fast 64-bit checksum over a byte stream, word by word (not
/// cryptographic: it detects damage, not forgery). The same bytes give the
/// same sum however the stream is cut into writes.
#[derive(Debug, Clone)]
struct Hash64 {
    h: u64,
    carry: [u8; 8],
    filled: usize,
    len: u64,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Hash64 {
    fn new() -> Self {
        Hash64 { h: 0x5C0E_1AB5_C0DE_0001, carry: [0; 8], filled: 0, len: 0 }
    }

    #[inline]
    fn word(&mut self, w: u64) {
        self.h = (self.h.rotate_left(23) ^ w).wrapping_mul(K);
    }

    fn update(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len() as u64;
        if self.filled > 0 {
            let take = (8 - self.filled).min(bytes.len());
            self.carry[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled < 8 {
                return;
            }
            self.word(u64::from_le_bytes(self.carry));
            self.filled = 0;
        }
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            self.word(u64::from_le_bytes(a));
        }
        let rest = words.remainder();
        self.carry[..rest.len()].copy_from_slice(rest);
        self.filled = rest.len();
    }

    fn finish(&self) -> u64 {
        let mut h = self.clone();
        if h.filled > 0 {
            let mut last = [0u8; 8];
            last[..h.filled].copy_from_slice(&h.carry[..h.filled]);
            h.word(u64::from_le_bytes(last));
        }
        h.word(h.len);
        // splitmix64's finaliser.
        let mut z = h.h;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

struct HashWrite<W> {
    inner: W,
    hash: Hash64,
    bytes: u64,
}

impl<W: Write> Write for HashWrite<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct HashRead<R> {
    inner: R,
    hash: Hash64,
}

impl<R: Read> Read for HashRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn checksum_does_not_depend_on_how_the_stream_is_cut() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut whole = Hash64::new();
        whole.update(&data);
        for cut in [1, 3, 7, 8, 9, 64, 999] {
            let mut parts = Hash64::new();
            for p in data.chunks(cut) {
                parts.update(p);
            }
            assert_eq!(parts.finish(), whole.finish(), "cut {cut}");
        }
        let mut other = Hash64::new();
        other.update(&data[..999]);
        assert_ne!(other.finish(), whole.finish());
    }

    #[test]
    fn audit_rows_round_trip() {
        let mut row = AuditRow::new(3, 1, AuditKind::Denial);
        row.activity = Some("flight".into());
        row.rule = Some("blacklisted".into());
        row.wrongful = Some(true);
        row.other = Some(9);
        let mut score = AuditRow::new(3, 1, AuditKind::Score);
        score.own_score_milli = Some(-5);
        score.effective_score_milli = Some(1_000_000);
        score.grade = Some("A".into());
        for r in [row, score] {
            let mut bytes = Vec::new();
            put_audit(&mut bytes, &r).unwrap();
            assert_eq!(get_audit(&mut &bytes[..], 10, 2).unwrap(), r);
        }
    }
}
