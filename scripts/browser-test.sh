#!/usr/bin/env bash
# Browser test of the dashboard: `scorelab serve` on two small runs (a
# policy run and its baseline, plus a run "being written"), driven by
# Debian's headless Chromium through scripts/browser_test.py. Installs
# Chromium from Debian's packages when /usr/bin/chromium is missing (so it
# needs root and the package mirror on a fresh machine). Screenshots land
# in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update && apt-get install -y chromium fonts-dejavu-core
fi
PYTHON=$(command -v python3)

# The same profile and features as the README's test command
# (scripts/test.sh), so that after the test step this builds nothing; with
# the mpi feature only where Open MPI is installed.
FEATURES=()
if command -v mpicc >/dev/null; then
  FEATURES=(--features scorelab/mpi)
fi
# `--tests`: the binary as the integration tests build it (dev-dependency
# features included), which is the one the test step left behind.
cargo build --profile test --workspace --tests "${FEATURES[@]}"
BIN=$ROOT/target/debug/scorelab

WORK=$(mktemp -d)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

RUNS=$WORK/runs
mkdir -p "$RUNS"
echo "== making the runs"
"$BIN" run baseline --citizens 20000 --days 120 --seed 1 --out "$RUNS/baseline-1" -q >/dev/null
"$BIN" run seed-article --citizens 20000 --days 120 --seed 1 --out "$RUNS/seed-article-1" -q >/dev/null
# A run that is still being written: a progress file and no manifest.
mkdir -p "$RUNS/court-blacklist-7"
echo '{"day": 40, "days": 365, "citizens": 1000000, "started_unix": 1700000000}' >"$RUNS/court-blacklist-7/progress.json"
"$BIN" report "$RUNS/seed-article-1" --out "$WORK/report.html"

echo "== serving"
"$BIN" serve "$RUNS" --port 0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER=$!
URL=""
for _ in $(seq 1 100); do
  URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/serve.out" || true)
  [ -n "$URL" ] && break
  if ! kill -0 "$SERVER" 2>/dev/null; then cat "$WORK/serve.err"; echo "scorelab serve stopped"; exit 1; fi
  sleep 0.1
done
[ -n "$URL" ] || { echo "scorelab serve did not say where it listens"; cat "$WORK/serve.err"; exit 1; }
echo "dashboard at $URL"

SHOTS=$ROOT/target/screenshots
rm -rf "$SHOTS"
status=0
"$PYTHON" scripts/browser_test.py "$URL" "$RUNS" "$WORK/report.html" "$SHOTS" || status=$?
if [ "$status" -ne 0 ] && [ -s "$WORK/serve.err" ]; then
  echo "== the server's log"; cat "$WORK/serve.err"
fi
exit "$status"
