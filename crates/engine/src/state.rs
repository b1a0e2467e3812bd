//! The citizens' state as columns (struct of arrays), split into chunks of
//! contiguous citizens that are processed in parallel.
//!
//! Chunking is a performance choice only: every draw is keyed by the global
//! citizen index and every sum is an integer, so results do not depend on
//! how citizens are chunked or which thread runs a chunk.

use crate::score::ScoreColumns;
use std::ops::Range;

/// Sentinel for "no day" in the `u16` day columns.
pub const NO_DAY: u16 = u16::MAX;
/// Sentinel for "no guardian".
pub const NO_GUARDIAN: u32 = u32::MAX;

/// Bits of [`Chunk::flags`].
pub mod flag {
    pub const URBAN: u8 = 1;
    pub const AWARE: u8 = 1 << 1;
    /// On the blacklist now.
    pub const LISTED: u8 = 1 << 2;
    /// The listing is backed by a correct record.
    pub const BACKED: u8 = 1 << 3;
    /// Audit rows are written for this citizen.
    pub const TRACKED: u8 = 1 << 4;
    /// Was denied a school place, as a child, because of the guardian.
    pub const DENIED_SCHOOL: u8 = 1 << 5;
    /// Was ever on the blacklist.
    pub const EVER_LISTED: u8 = 1 << 6;
    /// Does not take part in an opt-in system: never recorded, scored,
    /// pressured, sanctioned or rewarded.
    pub const OPTED_OUT: u8 = 1 << 7;
}

/// One chunk of contiguous citizens, `first .. first + len`. All columns
/// have the same length. 88 bytes per citizen plus 4 per friend link.
#[derive(Debug, Clone, Default)]
pub struct Chunk {
    /// Global index of the first citizen.
    pub first: u32,
    /// Day-0 age in whole years.
    pub age0: Vec<u8>,
    pub region: Vec<u8>,
    /// Income decile 1..=10.
    pub decile: Vec<u8>,
    /// [`flag`] bits.
    pub flags: Vec<u8>,
    /// Guardian's global index, or [`NO_GUARDIAN`].
    pub guardian: Vec<u32>,
    pub compliance: Vec<f32>,
    pub dissent: Vec<f32>,
    /// G, L and E in thousandths, as they stood after the last record
    /// (decayed on read, see `score::ScoreRules::decay`).
    pub gains: Vec<i64>,
    pub losses: Vec<i64>,
    pub erroneous: Vec<i64>,
    /// Day of the last record or won appeal (t0 of the decay).
    pub last_update: Vec<u16>,
    /// The friends' term F in thousandths, as last set.
    pub friends_term: Vec<i32>,
    /// Day on which the current listing ends (paid or term over).
    pub listing_end: Vec<u16>,
    /// Day of the last denial, or [`NO_DAY`].
    pub last_denial: Vec<u16>,
    /// Next day on which a behaviour candidate fires, or [`NO_DAY`].
    pub next_candidate: Vec<u16>,
    /// Bit k set when activity k was ever denied to this citizen.
    pub ever_denied: Vec<u16>,
    /// Friends in CSR form: friends of local citizen j are
    /// `friends[friend_offsets[j] .. friend_offsets[j + 1]]` (global indices).
    pub friend_offsets: Vec<u32>,
    pub friends: Vec<u32>,
}

impl Chunk {
    /// Number of citizens in the chunk.
    #[inline]
    pub fn len(&self) -> usize {
        self.age0.len()
    }

    /// Whether the chunk holds no citizen.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.age0.is_empty()
    }

    /// The columns the score passes read, for local citizens `range`.
    #[inline]
    pub fn score_columns(&self, range: Range<usize>) -> ScoreColumns<'_> {
        ScoreColumns {
            gains: &self.gains[range.clone()],
            losses: &self.losses[range.clone()],
            last_update: &self.last_update[range.clone()],
            friends_term: &self.friends_term[range.clone()],
            friend_offsets: &self.friend_offsets[range.start..=range.end],
        }
    }

    /// Friends of local citizen `j`.
    #[inline]
    pub fn friends_of(&self, j: usize) -> &[u32] {
        &self.friends[self.friend_offsets[j] as usize..self.friend_offsets[j + 1] as usize]
    }
}

/// Bytes of state per citizen, excluding friend links (see [`Chunk`]), plus
/// the effective-score column kept beside the chunks.
pub const BYTES_PER_CITIZEN: u64 = 4 + 4 + 8 + 24 + 2 + 4 + 2 + 2 + 2 + 2 + 4 + 4;
/// Bytes per friend link (one direction).
pub const BYTES_PER_LINK: u64 = 4;

/// The chunk size for a population: small enough to balance the load over
/// threads, large enough that per-chunk buffers are few.
pub fn chunk_size(citizens: u32) -> usize {
    let target = (citizens as usize).div_ceil(64).next_power_of_two();
    target.clamp(4096, 1 << 20)
}
