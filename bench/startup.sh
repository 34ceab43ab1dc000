#!/usr/bin/env bash
# Start-up time of the release binary: from exec to "Folio is listening" (socket bound, workers
# starting) on a data directory whose migrations are already applied and that has a user —
# the state of every restart after the first. Budget (DESIGN.md): under 300 ms.
#
#   bash bench/startup.sh                       # SQLite, 20 runs
#   RUNS=50 FOLIO_DATABASE_URL=postgres://postgres@127.0.0.1/folio_bench bash bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-20}"

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/folio"
data_dir="$(mktemp -d)"
trap 'rm -rf "$data_dir"' EXIT
export FOLIO_DATA_DIR="$data_dir" FOLIO_LOG=warn

"$bin" migrate >/dev/null
echo "benchmark password 123" | "$bin" user create --email bench@example.org --name Bench \
  --role admin --password-stdin >/dev/null 2>&1 || true

for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  coproc SERVER { exec "$bin" serve --bind 127.0.0.1:0; }
  while read -r line <&"${SERVER[0]}"; do
    [[ "$line" == "Folio is listening"* ]] && break
  done
  end=$(date +%s%N)
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" || true
  echo $(( (end - start) / 1000 ))
done | sort -n | awk -v backend="${FOLIO_DATABASE_URL:-sqlite}" '
  { t[NR] = $1 / 1000 }
  END { printf "start-up to listening (%s), %d runs: min %.1f ms, median %.1f ms, max %.1f ms\n",
        (backend ~ /^postgres/ ? "postgres" : "sqlite"), NR, t[1], t[int((NR + 1) / 2)], t[NR] }'
