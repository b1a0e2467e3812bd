//! What crosses between the parts of a partitioned run
//! (docs/DISTRIBUTED.md).
//!
//! A run over K ranks gives rank r the contiguous citizens
//! [`Partition::of`]`(N, K, r)`. Everything one rank needs from another goes
//! through the two collective operations of [`Comm`]: an element-wise sum
//! and an all-to-all exchange of `u32` words. The engine knows no transport:
//! [`Single`] is the one-rank run, [`ThreadComm`] runs K ranks as threads of
//! one process (for tests), and the `scorelab-mpi` crate is MPI.
//!
//! Every operation is collective: each rank of the run calls it, in the
//! same order, or the run deadlocks. The engine calls them at the same
//! points of every day on every rank, whatever its own citizens do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};

/// The collective operations a partitioned run needs.
pub trait Comm: Send + Sync {
    /// This process's rank, 0-based.
    fn rank(&self) -> usize;
    /// The number of ranks in the run.
    fn ranks(&self) -> usize;
    /// Replaces `values` by their element-wise sum over all ranks (wrapping,
    /// so two's-complement sums of signed values are exact). Every rank
    /// passes a slice of the same length.
    fn sum(&self, values: &mut [u64]);
    /// All-to-all: `outgoing[q]` goes to rank q (`outgoing.len() ==
    /// ranks()`); returns what each rank sent here, indexed by source rank.
    fn exchange(&self, outgoing: Vec<Vec<u32>>) -> Vec<Vec<u32>>;
}

/// The citizens one rank owns: `first .. first + len` of `0 .. citizens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub citizens: u32,
    pub first: u32,
    pub len: u32,
    pub rank: usize,
    pub ranks: usize,
}

impl Partition {
    /// Rank r of K owns citizens ⌊r·N/K⌋ .. ⌊(r+1)·N/K⌋.
    pub fn of(citizens: u32, ranks: usize, rank: usize) -> Partition {
        let start = |r: usize| (u64::from(citizens) * r as u64 / ranks as u64) as u32;
        let first = start(rank);
        Partition { citizens, first, len: start(rank + 1) - first, rank, ranks }
    }

    /// The whole population in one part.
    pub fn whole(citizens: u32) -> Partition {
        Partition::of(citizens, 1, 0)
    }

    /// One past the last citizen owned.
    #[inline]
    pub fn end(&self) -> u32 {
        self.first + self.len
    }

    /// Whether citizen `i` is owned here.
    #[inline]
    pub fn owns(&self, i: u32) -> bool {
        i >= self.first && i < self.end()
    }

    /// The rank that owns citizen `i`.
    #[inline]
    pub fn owner(&self, i: u32) -> usize {
        // The first rank whose range starts after i, minus one; ranges are
        // ⌊r·N/K⌋, so the division is a good first guess.
        let k = self.ranks as u64;
        let n = u64::from(self.citizens);
        let mut r = ((u64::from(i) * k) / n.max(1)) as usize;
        while r + 1 < self.ranks && Partition::of(self.citizens, self.ranks, r + 1).first <= i {
            r += 1;
        }
        while r > 0 && Partition::of(self.citizens, self.ranks, r).first > i {
            r -= 1;
        }
        r
    }
}

/// The run in one process: rank 0 of 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct Single;

impl Comm for Single {
    fn rank(&self) -> usize {
        0
    }
    fn ranks(&self) -> usize {
        1
    }
    fn sum(&self, _values: &mut [u64]) {}
    fn exchange(&self, outgoing: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
        outgoing
    }
}

/// K ranks as K threads of one process, each holding a [`ThreadComm`] made
/// by [`ThreadComm::group`]. For tests of partitioned runs without MPI.
pub struct ThreadComm {
    rank: usize,
    shared: std::sync::Arc<Shared>,
}

struct Shared {
    ranks: usize,
    barrier: Barrier,
    /// `mail[from * ranks + to]`.
    mail: Mutex<Vec<Vec<u32>>>,
    sums: Mutex<Vec<u64>>,
}

impl ThreadComm {
    /// The communicators of a K-rank group, rank 0 first.
    pub fn group(ranks: usize) -> Vec<ThreadComm> {
        let shared = std::sync::Arc::new(Shared {
            ranks,
            barrier: Barrier::new(ranks),
            mail: Mutex::new(vec![Vec::new(); ranks * ranks]),
            sums: Mutex::new(Vec::new()),
        });
        (0..ranks).map(|rank| ThreadComm { rank, shared: shared.clone() }).collect()
    }
}

impl Comm for ThreadComm {
    fn rank(&self) -> usize {
        self.rank
    }
    fn ranks(&self) -> usize {
        self.shared.ranks
    }
    fn sum(&self, values: &mut [u64]) {
        let s = &self.shared;
        {
            let mut sums = s.sums.lock().unwrap_or_else(|e| e.into_inner());
            if sums.len() != values.len() {
                sums.clear();
                sums.resize(values.len(), 0);
            }
            sums.iter_mut().zip(values.iter()).for_each(|(a, &b)| *a = a.wrapping_add(b));
        }
        s.barrier.wait();
        values.copy_from_slice(&s.sums.lock().unwrap_or_else(|e| e.into_inner()));
        // Everyone has read the sum before anyone clears it for the next call.
        if s.barrier.wait().is_leader() {
            s.sums.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
        s.barrier.wait();
    }
    fn exchange(&self, outgoing: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
        let s = &self.shared;
        assert_eq!(outgoing.len(), s.ranks, "exchange needs one buffer per rank");
        {
            let mut mail = s.mail.lock().unwrap_or_else(|e| e.into_inner());
            for (to, words) in outgoing.into_iter().enumerate() {
                mail[self.rank * s.ranks + to] = words;
            }
        }
        s.barrier.wait();
        let received = {
            let mut mail = s.mail.lock().unwrap_or_else(|e| e.into_inner());
            (0..s.ranks).map(|from| std::mem::take(&mut mail[from * s.ranks + self.rank])).collect()
        };
        s.barrier.wait();
        received
    }
}

/// A [`Comm`] that counts what this rank sends: bytes to other ranks in
/// exchanges, and bytes contributed to sums (an MPI reduction moves about
/// that much per rank). For `scorelab bench --mpi`.
pub struct Counted<C> {
    inner: C,
    exchanged: AtomicU64,
    summed: AtomicU64,
}

impl<C: Comm> Counted<C> {
    pub fn new(inner: C) -> Self {
        Counted { inner, exchanged: AtomicU64::new(0), summed: AtomicU64::new(0) }
    }

    /// Bytes sent to other ranks by [`Comm::exchange`] so far.
    pub fn exchanged_bytes(&self) -> u64 {
        self.exchanged.load(Ordering::Relaxed)
    }

    /// Bytes of the values passed to [`Comm::sum`] so far.
    pub fn summed_bytes(&self) -> u64 {
        self.summed.load(Ordering::Relaxed)
    }

    /// The transport counted.
    pub fn inner(&self) -> &C {
        &self.inner
    }
}

impl<C: Comm> Comm for Counted<C> {
    fn rank(&self) -> usize {
        self.inner.rank()
    }
    fn ranks(&self) -> usize {
        self.inner.ranks()
    }
    fn sum(&self, values: &mut [u64]) {
        self.summed.fetch_add(8 * values.len() as u64, Ordering::Relaxed);
        self.inner.sum(values);
    }
    fn exchange(&self, outgoing: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
        let rank = self.rank();
        let words: usize = outgoing.iter().enumerate().filter(|&(q, _)| q != rank).map(|(_, w)| w.len()).sum();
        self.exchanged.fetch_add(4 * words as u64, Ordering::Relaxed);
        self.inner.exchange(outgoing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_cover_the_population_in_order() {
        for n in [1u32, 7, 10, 1000, 4_000_000_000] {
            for k in 1..=7usize {
                let mut next = 0;
                for r in 0..k {
                    let p = Partition::of(n, k, r);
                    assert_eq!(p.first, next);
                    next = p.end();
                    for i in [p.first, p.end().saturating_sub(1)] {
                        if p.len > 0 {
                            assert_eq!(p.owner(i), r, "n {n} k {k} i {i}");
                        }
                    }
                }
                assert_eq!(next, n);
            }
        }
    }

    #[test]
    fn counted_counts_bytes_sent_elsewhere() {
        let c = Counted::new(Single);
        c.sum(&mut [1, 2, 3]);
        let back = c.exchange(vec![vec![1, 2]]);
        assert_eq!(back, vec![vec![1, 2]]);
        assert_eq!((c.summed_bytes(), c.exchanged_bytes()), (24, 0), "nothing leaves a one-rank run");
    }

    #[test]
    fn thread_comm_sums_and_exchanges() {
        let group = ThreadComm::group(3);
        std::thread::scope(|s| {
            for c in &group {
                s.spawn(move || {
                    for round in 0..3u64 {
                        let mut v = vec![c.rank() as u64 + round, 1];
                        c.sum(&mut v);
                        assert_eq!(v, vec![3 + 3 * round, 3]);
                        let out = (0..3).map(|q| vec![(c.rank() * 10 + q) as u32; q + 1]).collect();
                        let got = c.exchange(out);
                        for (from, words) in got.iter().enumerate() {
                            assert_eq!(words, &vec![(from * 10 + c.rank()) as u32; c.rank() + 1]);
                        }
                    }
                });
            }
        });
    }
}
