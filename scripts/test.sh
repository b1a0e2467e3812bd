#!/usr/bin/env bash
# The whole test suite: the README's test command, which .ci/run calls.
# Installs Open MPI when it is missing (the MPI tests launch `mpirun`;
# scripts/install-mpi.sh), then runs every crate's tests with the `mpi`
# feature on, so the MPI build is tested too. Extra arguments go to cargo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-mpi.sh
# Open MPI refuses root unless told; CI machines and containers run as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cargo test --workspace --features scorelab/mpi "$@"
