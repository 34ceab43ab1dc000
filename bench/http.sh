#!/usr/bin/env bash
# HTTP load on 127.0.0.1 (wrk from Debian's packages): Folio serving the home page, an
# article, a tag archive and a search from a seeded database, each next to a bare actix-web
# handler returning the same bytes (examples/baseline.rs). Prints requests/s, p99 latency,
# the ratio to the baseline (64 connections; repeated URLs, so the page cache answers),
# the same pages over one connection from a second server with the page cache off
# (FOLIO_PAGE_CACHE_MB=0: rendered from the database every time), and Folio's resident
# memory after the load.
#
#   bash bench/http.sh                                  # 10,000 posts, SQLite
#   POSTS=100000 DURATION=20s bash bench/http.sh
#   FOLIO_DATABASE_URL=postgres://postgres@127.0.0.1/folio_bench bash bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
posts="${POSTS:-10000}"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-64}"
workers="${WORKERS:-2}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet --bin folio --example baseline
target="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export FOLIO_DATA_DIR="$work/data" FOLIO_LOG=warn

echo "seeding $posts posts…"
"$target/folio" seed --posts "$posts" --force | tee "$work/seed.txt"
# Two words of the seeded vocabulary: one in most posts, one in about 9 %.
terms=$(sed -n 's/^Search terms to try: \([a-z]*\) .*, \([a-z]*\) .*/\1+\2/p' "$work/seed.txt")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "$1 did not come up" >&2; exit 1; }

port=$(free_port)
"$target/folio" serve --bind "127.0.0.1:$port" --workers "$workers" >/dev/null &
folio_pid=$!; pids+=("$folio_pid")
base="http://127.0.0.1:$port"
wait_for "$base/healthz"
# The same site with the page cache off. (A query string of its own per request no longer
# bypasses the cache: its key holds only the parameters a route reads.)
uport=$(free_port)
FOLIO_PAGE_CACHE_MB=0 "$target/folio" serve --bind "127.0.0.1:$uport" --workers "$workers" >/dev/null &
pids+=("$!")
ubase="http://127.0.0.1:$uport"
wait_for "$ubase/healthz"

article=$(curl -s "$base/sitemap.xml" | grep -o "<loc>[^<]*</loc>" | sed -n 2p | sed 's#<loc>[^/]*//[^/]*##; s#</loc>##')
tag=$(curl -s "$base/sitemap.xml" | grep -o "<loc>[^<]*/tag/[^<]*</loc>" | head -1 | sed 's#<loc>[^/]*//[^/]*##; s#</loc>##')

measure() { # URL → "requests/s p99"
  wrk -t2 -c"$connections" -d"$duration" --latency "$1" 2>/dev/null | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +99%/ { p99 = $2 }
    END { print rps, p99 }'
}

measure_uncached() { # URL on the cache-less server → "requests/s p50 p99" with one connection
  wrk -t1 -c1 -d"$duration" --latency "$1" 2>/dev/null | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    END { print rps, p50, p99 }'
}

printf "%-28s %10s %10s %12s %10s %8s %22s\n" "page" "folio r/s" "p99" "baseline r/s" "p99" "ratio" "uncached r/s p50 p99"
for path in "/" "$article" "$tag" "/search?q=$terms"; do
  curl -s "$base$path" > "$work/page.html"
  read -r rps p99 < <(measure "$base$path")
  bport=$(free_port)
  "$target/examples/baseline" "$work/page.html" "$bport" "$workers" &
  bpid=$!; pids+=("$bpid")
  wait_for "http://127.0.0.1:$bport/"
  read -r brps bp99 < <(measure "http://127.0.0.1:$bport/")
  kill -TERM "$bpid"; wait "$bpid" 2>/dev/null || true
  ratio=$(awk -v a="$rps" -v b="$brps" 'BEGIN { printf "%.0f%%", 100 * a / b }')
  read -r urps up50 up99 < <(measure_uncached "$ubase$path")
  printf "%-28s %10s %10s %12s %10s %8s %22s\n" "${path:0:28}" "$rps" "$p99" "$brps" "$bp99" "$ratio" "$urps $up50 $up99"
done
echo "page size of the last one: $(wc -c < "$work/page.html") bytes"
echo "folio resident memory after the load: $(awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$folio_pid/status")"
