//! A self-check of the transport, run on every rank of a job: by the
//! `mpirun` test (tests/mpirun.rs) under `mpirun -n K`, and by anyone who
//! wants to know that MPI works on a machine before a long run.
//!
//! Each function is collective: every rank calls it, and each returns the
//! first mismatch this rank saw. A rank that fails should [`Mpi::abort`],
//! since the others may be waiting in a later collective.

use scorelab_engine::comm::Comm;

use crate::Mpi;

/// The word rank `from` sends to rank `to` at position `i` of round `round`.
fn word(from: usize, to: usize, round: usize, i: usize) -> u32 {
    let x = (from as u64) << 48 ^ (to as u64) << 32 ^ (round as u64) << 24 ^ i as u64;
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

/// How many words `from` sends to `to` in round `round` of `ranks`: empty
/// rounds, uneven sizes, one large buffer, self-sends.
fn words_len(from: usize, to: usize, round: usize, ranks: usize) -> usize {
    match round {
        0 => 0,
        1 => (from * 7 + to * 3) % 5,
        2 if from == 0 && to + 1 == ranks => 100_000,
        2 => from + to,
        3 => usize::from(from == to),
        _ => (from + 2 * to + round) % 4,
    }
}

fn outgoing(rank: usize, ranks: usize, round: usize) -> Vec<Vec<u32>> {
    (0..ranks).map(|to| (0..words_len(rank, to, round, ranks)).map(|i| word(rank, to, round, i)).collect()).collect()
}

fn check_received(rank: usize, ranks: usize, round: usize, got: &[Vec<u32>], what: &str) -> Result<(), String> {
    if got.len() != ranks {
        return Err(format!("rank {rank}: {what} round {round}: {} buffers back for {ranks} ranks", got.len()));
    }
    for (from, words) in got.iter().enumerate() {
        let want: Vec<u32> = (0..words_len(from, rank, round, ranks)).map(|i| word(from, rank, round, i)).collect();
        if *words != want {
            let at = words.iter().zip(&want).position(|(a, b)| a != b);
            return Err(format!(
                "rank {rank}: {what} round {round}: from rank {from} got {} words, want {} (first difference at {at:?})",
                words.len(),
                want.len()
            ));
        }
    }
    Ok(())
}

/// Checks [`Comm::sum`] (wrapping, empty, long) and [`Comm::exchange`]
/// (empty buffers, uneven sizes, self-sends, several rounds) on any
/// transport. Collective.
pub fn check_comm(comm: &impl Comm) -> Result<(), String> {
    let (rank, k) = (comm.rank(), comm.ranks());
    if k == 0 || rank >= k {
        return Err(format!("rank {rank} of {k}"));
    }
    let (r, n) = (rank as u64, k as u64);
    for round in 0..3u64 {
        let mut v = vec![r, 1, u64::MAX, r << 40, round, r.wrapping_neg()];
        comm.sum(&mut v);
        let tri = n * (n - 1) / 2;
        let want = vec![tri, n, u64::MAX.wrapping_mul(n), tri << 40, round * n, tri.wrapping_neg()];
        if v != want {
            return Err(format!("rank {rank}: sum round {round}: got {v:?}, want {want:?}"));
        }
    }
    let mut empty: [u64; 0] = [];
    comm.sum(&mut empty);
    let mut long: Vec<u64> = (0..10_000u64).map(|i| i * (r + 1)).collect();
    comm.sum(&mut long);
    if let Some(i) = (0..10_000u64).find(|&i| long[i as usize] != i * n * (n + 1) / 2) {
        return Err(format!(
            "rank {rank}: long sum: element {i} is {}, want {}",
            long[i as usize],
            i * n * (n + 1) / 2
        ));
    }
    for round in 0..6 {
        let got = comm.exchange(outgoing(rank, k, round));
        check_received(rank, k, round, &got, "exchange")?;
    }
    Ok(())
}

/// The bytes rank `rank` contributes in test `case`.
fn bytes(rank: usize, case: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| (rank * 31 + case * 7 + i * 13) as u8).collect()
}

/// [`check_comm`] on the MPI world, then the exchange split into rounds,
/// the byte broadcast and gather (empty, uneven, split into rounds), a
/// barrier, and a collective called from another thread.
/// Collective.
pub fn self_check(mpi: &Mpi) -> Result<(), String> {
    let (rank, k) = (mpi.rank(), mpi.ranks());
    check_comm(mpi)?;

    for limit in [1, 3, 4096] {
        for round in 0..4 {
            let got = mpi.exchange_in_rounds(outgoing(rank, k, round), limit);
            check_received(rank, k, round, &got, &format!("exchange in rounds of {limit}"))?;
        }
    }

    for (case, (root, len, limit)) in
        [(0, 0, usize::MAX), (0, 1000, usize::MAX), (k - 1, 17, usize::MAX), (k / 2, 1000, 7), (0, 5, 1)]
            .into_iter()
            .enumerate()
    {
        let want = bytes(root, case, len);
        let mut got = if rank == root { want.clone() } else { vec![0xAA; 3] };
        mpi.broadcast_bytes_in_rounds(root, &mut got, limit.min(crate::max_count()));
        if got != want {
            return Err(format!("rank {rank}: broadcast case {case} from {root}: got {} bytes, want {len}", got.len()));
        }
    }

    for (case, (lens, limit)) in [
        (vec![0; k], usize::MAX),
        ((0..k).map(|r| if r == 1 { 0 } else { r * 5 + 2 }).collect::<Vec<_>>(), usize::MAX),
        ((0..k).map(|r| 100 + r * 33).collect(), 7),
        ((0..k).map(|r| r % 2 * 4).collect(), 1),
    ]
    .into_iter()
    .enumerate()
    {
        let gathered = mpi.gather_bytes_in_rounds(&bytes(rank, case, lens[rank]), limit.min(mpi.round_limit()));
        match (rank, gathered) {
            (0, Some(all)) => {
                let want: Vec<Vec<u8>> = (0..k).map(|r| bytes(r, case, lens[r])).collect();
                if all != want {
                    let lens_got: Vec<usize> = all.iter().map(Vec::len).collect();
                    return Err(format!("rank 0: gather case {case}: got lengths {lens_got:?}, want {lens:?}"));
                }
            }
            (0, None) => return Err(format!("rank 0: gather case {case}: root got nothing")),
            (_, Some(_)) => return Err(format!("rank {rank}: gather case {case}: a non-root got the gathered bytes")),
            (_, None) => {}
        }
    }

    mpi.barrier();
    if mpi.processor_name().is_empty() {
        return Err(format!("rank {rank}: empty processor name"));
    }
    // The day runs on a rayon pool thread: a collective from a thread other
    // than the one that initialised MPI (one at a time) must work.
    let mut v = vec![1u64; 3];
    std::thread::scope(|s| s.spawn(|| mpi.sum(&mut v)).join())
        .map_err(|_| format!("rank {rank}: a sum from another thread panicked"))?;
    if v != vec![mpi.ranks() as u64; 3] {
        return Err(format!("rank {rank}: a sum from another thread gave {v:?}"));
    }
    mpi.barrier();
    Ok(())
}

#[cfg(test)]
mod tests {
    use scorelab_engine::comm::{Comm, Single, ThreadComm};

    use super::check_comm;

    /// One rank whose sum or exchange is off by one.
    struct Broken {
        sum: bool,
    }

    impl Comm for Broken {
        fn rank(&self) -> usize {
            0
        }
        fn ranks(&self) -> usize {
            1
        }
        fn sum(&self, values: &mut [u64]) {
            if self.sum {
                values.iter_mut().for_each(|v| *v = v.wrapping_add(1));
            }
        }
        fn exchange(&self, mut outgoing: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
            if !self.sum {
                outgoing.iter_mut().for_each(|w| w.push(0));
            }
            outgoing
        }
    }

    #[test]
    fn the_check_passes_on_the_engine_transports() {
        check_comm(&Single).expect("one rank");
        for k in 2..=4 {
            let group = ThreadComm::group(k);
            std::thread::scope(|s| {
                for c in &group {
                    s.spawn(move || check_comm(c).expect("threads as ranks"));
                }
            });
        }
    }

    #[test]
    fn the_check_catches_a_wrong_sum_or_exchange() {
        let sum = check_comm(&Broken { sum: true }).expect_err("a wrong sum");
        assert!(sum.contains("sum round 0"), "{sum}");
        let exchange = check_comm(&Broken { sum: false }).expect_err("a wrong exchange");
        assert!(exchange.contains("exchange round 0: from rank 0 got 1 words, want 0"), "{exchange}");
    }
}
