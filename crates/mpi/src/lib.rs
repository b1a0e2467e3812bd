//! The MPI transport of a partitioned scorelab run (docs/DISTRIBUTED.md).
//!
//! The engine knows no transport: a run over K ranks talks only through
//! [`scorelab_engine::comm::Comm`] (an element-wise sum and an all-to-all
//! exchange). This crate is that trait over MPI's world communicator, so
//! that K processes started by `mpirun -n K` run one simulation together.
//! It is its own crate because it links the system's MPI library and
//! generates bindings with libclang at build time: the CLI depends on it
//! only with its `mpi` feature, and a build without that feature needs
//! neither (scripts/install-mpi.sh installs Open MPI and libclang).
//!
//! Besides [`Comm`], [`Mpi`] has the few collectives the CLI needs around a
//! run: [`Mpi::broadcast_bytes`] (rank 0's run folder to everyone),
//! [`Mpi::gather_bytes_to_root`] (each rank's rows to rank 0),
//! [`Mpi::barrier`] and [`Mpi::abort`] (one rank's error stops the job).
//!
//! Threads: MPI is initialised at thread level `Serialized`. Rayon threads
//! compute; the collectives are called by whichever thread runs the day
//! (the CLI steps the run inside its rayon pool, so that is a pool thread,
//! not always the one that called [`Mpi::init`]), one call at a time,
//! never two at once. Every collective must be called by every rank, in
//! the same order.
//!
//! Sizes: MPI counts and displacements are `i32`, so a buffer too large for
//! one call is moved in several rounds of at most `i32::MAX / ranks`
//! elements per pair of ranks; all ranks agree on the number of rounds.

use mpi::collective::SystemOperation;
use mpi::datatype::{Partition, PartitionMut};
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator, CommunicatorCollectives, Root};
use mpi::Count;
use scorelab_engine::comm::Comm;

pub use mpi::Threading;

pub mod check;

/// The thread level a run needs: rayon threads compute, one thread at a
/// time calls MPI.
pub const REQUIRED_THREADING: Threading = Threading::Serialized;

/// Why MPI could not start.
#[derive(Debug, thiserror::Error)]
pub enum MpiError {
    /// [`Mpi::init`] was called before in this process (MPI can be
    /// initialised once per process, even after it was finalised).
    #[error("MPI was already initialised in this process: Mpi::init can be called once per process")]
    AlreadyInitialized,
    /// `MPI_Init_thread` returned without initialising MPI.
    #[error("MPI could not be initialised (is Open MPI installed? run scripts/install-mpi.sh, then `mpirun -n K`)")]
    InitFailed,
    /// The library's thread support is below [`REQUIRED_THREADING`].
    #[error(
        "the MPI library gives thread level {provided:?} but scorelab needs at least {required:?} \
         (rayon threads compute while one thread at a time calls MPI)"
    )]
    ThreadLevel {
        /// What the library gave.
        provided: Threading,
        /// What a run needs.
        required: Threading,
    },
}

/// This process's membership of the MPI job: owns the rsmpi [`Universe`]
/// (MPI is finalised when it drops) and implements [`Comm`] over the world
/// communicator.
///
/// Drop it before the process exits (return from `main` rather than
/// `std::process::exit`): `mpirun` counts a rank that exits without
/// finalising MPI as failed.
pub struct Mpi {
    universe: Universe,
    rank: usize,
    ranks: usize,
    threading: Threading,
}

impl std::fmt::Debug for Mpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mpi").field("rank", &self.rank).field("ranks", &self.ranks).finish_non_exhaustive()
    }
}

impl Mpi {
    /// Initialises MPI at thread level [`REQUIRED_THREADING`]. Outside
    /// `mpirun`, Open MPI starts a one-rank job (a singleton).
    pub fn init() -> Result<Mpi, MpiError> {
        if mpi::is_initialized() {
            return Err(MpiError::AlreadyInitialized);
        }
        let (universe, threading) =
            mpi::initialize_with_threading(REQUIRED_THREADING).ok_or(MpiError::AlreadyInitialized)?;
        // rsmpi ignores MPI_Init_thread's return code; a library whose
        // errors are not fatal can come back uninitialised.
        if !mpi::is_initialized() || mpi::is_finalized() {
            return Err(MpiError::InitFailed);
        }
        if threading < REQUIRED_THREADING {
            return Err(MpiError::ThreadLevel { provided: threading, required: REQUIRED_THREADING });
        }
        let world = universe.world();
        let rank = usize::try_from(world.rank()).map_err(|_| MpiError::InitFailed)?;
        let ranks = usize::try_from(world.size()).map_err(|_| MpiError::InitFailed)?;
        Ok(Mpi { universe, rank, ranks, threading })
    }

    /// The thread level the library gave (at least [`REQUIRED_THREADING`]).
    pub fn threading(&self) -> Threading {
        self.threading
    }

    /// The name of the node this rank runs on, for logs.
    pub fn processor_name(&self) -> String {
        mpi::environment::processor_name().unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// The MPI library's version string, for logs.
    pub fn library_version(&self) -> String {
        mpi::environment::library_version().unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// Stops every rank of the job with exit code `code` (`MPI_Abort`): for
    /// a rank that hits an error while the others may wait in a collective.
    /// Callable from any thread.
    pub fn abort(&self, code: i32) -> ! {
        self.universe.world().abort(code)
    }

    /// Waits until every rank has called it.
    pub fn barrier(&self) {
        self.world().barrier();
    }

    /// Replaces `bytes` on every rank by those of rank `root`. Collective.
    pub fn broadcast_bytes(&self, root: usize, bytes: &mut Vec<u8>) {
        self.broadcast_bytes_in_rounds(root, bytes, self.round_limit());
    }

    /// Gathers every rank's `bytes` on rank 0: there `Some`, indexed by
    /// source rank, elsewhere `None`. Collective.
    pub fn gather_bytes_to_root(&self, bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
        self.gather_bytes_in_rounds(bytes, self.round_limit())
    }

    /// The world communicator.
    fn world(&self) -> SimpleCommunicator {
        self.universe.world()
    }

    /// The most elements one rank moves to or from one other rank in one
    /// call, so that counts and displacements (up to `ranks` times this)
    /// fit in an MPI `Count`.
    fn round_limit(&self) -> usize {
        max_count() / self.ranks.max(1)
    }

    /// [`Comm::exchange`] moving at most `limit` words per pair of ranks
    /// per MPI call.
    pub(crate) fn exchange_in_rounds(&self, outgoing: Vec<Vec<u32>>, limit: usize) -> Vec<Vec<u32>> {
        assert!(limit > 0 && limit <= self.round_limit(), "round limit {limit} out of 1..={}", self.round_limit());
        let world = self.world();
        let k = self.ranks;
        assert_eq!(outgoing.len(), k, "exchange needs one buffer per rank ({} buffers, {k} ranks)", outgoing.len());
        if k == 1 {
            return outgoing;
        }
        // Each rank tells each other rank how many words it will get and the
        // largest buffer it sends anyone, so that every rank learns the
        // largest buffer of the job and the number of rounds.
        let largest = outgoing.iter().map(Vec::len).max().unwrap_or(0);
        let meta: Vec<u64> = outgoing.iter().flat_map(|w| [w.len() as u64, largest as u64]).collect();
        let mut got = vec![0u64; 2 * k];
        world.all_to_all_into(&meta[..], &mut got[..]);
        let incoming: Vec<usize> = got.chunks(2).map(|m| to_usize(m[0])).collect();
        let largest = got.chunks(2).map(|m| to_usize(m[1])).max().unwrap_or(0);
        let rounds = largest.div_ceil(limit);

        let mut received: Vec<Vec<u32>> = incoming.iter().map(|&n| Vec::with_capacity(n)).collect();
        let mut outgoing = outgoing;
        for round in 0..rounds {
            let piece = |len: usize| (round * limit).min(len)..((round + 1) * limit).min(len);
            let send_counts: Vec<usize> = outgoing.iter().map(|w| piece(w.len()).len()).collect();
            let mut send = Vec::with_capacity(send_counts.iter().sum::<usize>().max(1));
            for w in &outgoing {
                send.extend_from_slice(&w[piece(w.len())]);
            }
            if round + 1 == rounds {
                outgoing = Vec::new();
            }
            let recv_counts: Vec<usize> = incoming.iter().map(|&n| piece(n).len()).collect();
            let mut recv = buffer(0u32, recv_counts.iter().sum());
            let (sc, sd) = counts_and_displs(&send_counts);
            let (rc, rd) = counts_and_displs(&recv_counts);
            world.all_to_all_varcount_into(
                &Partition::new(&send[..], sc, sd),
                &mut PartitionMut::new(&mut recv[..], rc, rd),
            );
            let mut at = 0;
            for (from, &n) in recv_counts.iter().enumerate() {
                received[from].extend_from_slice(&recv[at..at + n]);
                at += n;
            }
        }
        received
    }

    /// [`Mpi::broadcast_bytes`] moving at most `limit` bytes per MPI call.
    pub(crate) fn broadcast_bytes_in_rounds(&self, root: usize, bytes: &mut Vec<u8>, limit: usize) {
        assert!(root < self.ranks, "broadcast from rank {root} of {}", self.ranks);
        assert!(limit > 0 && limit <= max_count(), "round limit {limit} out of 1..={}", max_count());
        let world = self.world();
        let from = world.process_at_rank(to_rank(root));
        let mut len = [bytes.len() as u64];
        from.broadcast_into(&mut len[..]);
        if self.rank != root {
            bytes.clear();
            bytes.resize(to_usize(len[0]), 0);
        }
        for chunk in bytes.chunks_mut(limit) {
            from.broadcast_into(chunk);
        }
    }

    /// [`Mpi::gather_bytes_to_root`] moving at most `limit` bytes per rank
    /// per MPI call.
    pub(crate) fn gather_bytes_in_rounds(&self, bytes: &[u8], limit: usize) -> Option<Vec<Vec<u8>>> {
        assert!(limit > 0 && limit <= self.round_limit(), "round limit {limit} out of 1..={}", self.round_limit());
        let world = self.world();
        let root = world.process_at_rank(0);
        // Everyone learns every length, hence the number of rounds.
        let mut lens = vec![0u64; self.ranks];
        world.all_gather_into(&[bytes.len() as u64][..], &mut lens[..]);
        let lens: Vec<usize> = lens.into_iter().map(to_usize).collect();
        let rounds = lens.iter().max().copied().unwrap_or(0).div_ceil(limit);
        let mut gathered: Option<Vec<Vec<u8>>> =
            (self.rank == 0).then(|| lens.iter().map(|&n| Vec::with_capacity(n)).collect());
        for round in 0..rounds {
            let piece = |len: usize| (round * limit).min(len)..((round + 1) * limit).min(len);
            let mine = match &bytes[piece(bytes.len())] {
                [] => &NOT_IN_PLACE[..0],
                mine => mine,
            };
            match gathered.as_mut() {
                Some(gathered) => {
                    let counts: Vec<usize> = lens.iter().map(|&n| piece(n).len()).collect();
                    let mut recv = buffer(0u8, counts.iter().sum());
                    let (c, d) = counts_and_displs(&counts);
                    root.gather_varcount_into_root(mine, &mut PartitionMut::new(&mut recv[..], c, d));
                    let mut at = 0;
                    for (from, &n) in counts.iter().enumerate() {
                        gathered[from].extend_from_slice(&recv[at..at + n]);
                        at += n;
                    }
                }
                None => root.gather_varcount_into(mine),
            }
        }
        gathered
    }
}

impl Comm for Mpi {
    fn rank(&self) -> usize {
        self.rank
    }

    fn ranks(&self) -> usize {
        self.ranks
    }

    /// `MPI_Allreduce` with `MPI_SUM` on `uint64_t`, which wraps.
    fn sum(&self, values: &mut [u64]) {
        let world = self.world();
        if self.ranks == 1 {
            return;
        }
        // Every rank passes the same length, so all make the same calls.
        for chunk in values.chunks_mut(max_count()) {
            let mine = chunk.to_vec();
            world.all_reduce_into(&mine[..], chunk, SystemOperation::sum());
        }
    }

    /// `MPI_Alltoall` of the counts, then `MPI_Alltoallv` of the words, in
    /// as many rounds as the largest buffer needs.
    fn exchange(&self, outgoing: Vec<Vec<u32>>) -> Vec<Vec<u32>> {
        self.exchange_in_rounds(outgoing, self.round_limit())
    }
}

/// Where an empty byte buffer points. An empty slice's pointer is its
/// alignment, and 1 is Open MPI's `MPI_IN_PLACE`: an empty `&[u8]` would
/// be read as "in place" (`MPI_ERR_ARG` from `MPI_Gatherv` on a non-root).
static NOT_IN_PLACE: [u8; 1] = [0];

/// `len` copies of `fill` in an allocation of at least one element, so
/// that even an empty buffer points at memory of its own (see
/// [`NOT_IN_PLACE`]).
fn buffer<T: Clone>(fill: T, len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len.max(1));
    v.resize(len, fill);
    v
}

/// The largest element count of one MPI call.
fn max_count() -> usize {
    Count::MAX as usize
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).expect("an MPI buffer length does not fit in usize")
}

fn to_rank(r: usize) -> mpi::Rank {
    mpi::Rank::try_from(r).expect("a rank does not fit in an MPI rank")
}

/// MPI counts and displacements of consecutive blocks of these sizes (each
/// round keeps their sum within `Count`).
fn counts_and_displs(sizes: &[usize]) -> (Vec<Count>, Vec<Count>) {
    let to_count =
        |n: usize| Count::try_from(n).unwrap_or_else(|_| panic!("{n} elements exceed an MPI count (sizes {sizes:?})"));
    let mut at = 0;
    let displs = sizes
        .iter()
        .map(|&n| {
            let d = to_count(at);
            at += n;
            d
        })
        .collect();
    to_count(at);
    (sizes.iter().map(|&n| to_count(n)).collect(), displs)
}
