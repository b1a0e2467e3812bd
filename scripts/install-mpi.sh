#!/usr/bin/env bash
# Installs what the MPI transport (crates/mpi) needs to build and test:
# Open MPI (mpirun, mpicc and its headers, which mpi-sys probes) and
# libclang (mpi-sys generates its bindings with bindgen at build time).
# Idempotent: does nothing when all three are already there. Uses Debian's
# packages, so it needs root (or sudo) and the package mirror.
set -euo pipefail

have_libclang() {
  if [ -n "${LIBCLANG_PATH:-}" ] && compgen -G "${LIBCLANG_PATH}/libclang*.so*" >/dev/null; then
    return 0
  fi
  if command -v ldconfig >/dev/null && ldconfig -p 2>/dev/null | grep -q 'libclang[-.0-9]*\.so'; then
    return 0
  fi
  compgen -G "/usr/lib/llvm-*/lib/libclang*.so*" >/dev/null ||
    compgen -G "/usr/lib/*-linux-gnu/libclang*.so*" >/dev/null
}

if command -v mpirun >/dev/null && command -v mpicc >/dev/null && have_libclang; then
  echo "install-mpi: mpirun, mpicc and libclang are present; nothing to do"
  exit 0
fi

PACKAGES=(openmpi-bin libopenmpi-dev libclang-dev)
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-mpi: not root and no sudo; install as root: apt-get install ${PACKAGES[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

echo "install-mpi: installing ${PACKAGES[*]} (Debian packages)"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get update; then
  echo "install-mpi: apt-get update failed (is the package mirror reachable?)" >&2
  exit 1
fi
if ! "${SUDO[@]}" apt-get install -y --no-install-recommends "${PACKAGES[@]}"; then
  echo "install-mpi: apt-get install ${PACKAGES[*]} failed" >&2
  exit 1
fi

for tool in mpirun mpicc; do
  if ! command -v "$tool" >/dev/null; then
    echo "install-mpi: $tool is still missing after the install" >&2
    exit 1
  fi
done
if ! have_libclang; then
  echo "install-mpi: libclang is still missing after the install (set LIBCLANG_PATH to its folder)" >&2
  exit 1
fi
echo "install-mpi: done"
