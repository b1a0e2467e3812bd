//! The ranks of a run: one process, or `mpirun -n K scorelab run ... --mpi`
//! (docs/DISTRIBUTED.md). The MPI transport is built only with the `mpi`
//! feature; the rest of the CLI sees a [`Comm`] and these helpers.

use crate::error::CliError;
use scorelab_engine::comm::{Comm, Single};
use std::sync::Arc;

/// The communicator of this process and its place in the run.
#[derive(Clone)]
pub struct Ranks {
    pub comm: Arc<dyn Comm>,
}

impl Ranks {
    /// A run in this process alone.
    pub fn single() -> Ranks {
        Ranks { comm: Arc::new(Single) }
    }

    /// The world of an MPI job (`--mpi`).
    #[cfg(feature = "mpi")]
    pub fn mpi() -> Result<Ranks, CliError> {
        let mpi =
            scorelab_mpi::Mpi::init().map_err(|e| CliError::Failed(anyhow::anyhow!("--mpi: cannot start MPI: {e}")))?;
        let ranks = Ranks { comm: Arc::new(mpi) };
        crate::error::set_rank(ranks.rank(), ranks.count());
        Ok(ranks)
    }

    /// The world of an MPI job: this binary was built without MPI.
    #[cfg(not(feature = "mpi"))]
    pub fn mpi() -> Result<Ranks, CliError> {
        Err(crate::error::bad_input(
            "--mpi: this scorelab was built without MPI; build it with `scripts/install-mpi.sh && cargo build --release --features mpi` and launch it with `mpirun -n K target/release/scorelab run ... --mpi` (docs/DISTRIBUTED.md)",
        ))
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.comm.rank()
    }

    /// The number of ranks.
    pub fn count(&self) -> usize {
        self.comm.ranks()
    }

    /// Whether this is rank 0, which writes the run's shared files and
    /// speaks for the run.
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// Collective: whether every rank's step succeeded. A rank whose own
    /// step failed gets its error back; when only others failed, rank 0
    /// says which, and the other ranks stop quietly (their peers speak).
    pub fn agree<T>(&self, result: Result<T, CliError>) -> Result<T, CliError> {
        let k = self.count();
        if k == 1 {
            return result;
        }
        let mut failed = vec![0u64; k];
        failed[self.rank()] = u64::from(result.is_err());
        self.comm.sum(&mut failed);
        let who: Vec<String> = (0..k).filter(|&r| failed[r] != 0).map(|r| r.to_string()).collect();
        match result {
            Err(e) => Err(e),
            Ok(_) if !who.is_empty() && self.is_root() => Err(CliError::Failed(anyhow::anyhow!(
                "rank {} failed (its message is above); every rank stops",
                who.join(", rank ")
            ))),
            Ok(_) if !who.is_empty() => Err(CliError::Silent(crate::error::EXIT_FAILED)),
            Ok(v) => Ok(v),
        }
    }

    /// Collective: the element-wise sum of `flags` over ranks.
    pub fn sum(&self, flags: &mut [u64]) {
        if self.count() > 1 {
            self.comm.sum(flags);
        }
    }
}
