#!/usr/bin/env bash
# The uncached render path (issue #14, item 1): every article of a seeded site in random
# order from a server with the page cache off (FOLIO_PAGE_CACHE_MB=0), so each request is
# rendered from the database. Prints, for one connection and for 64:
# requests/s, p50 and p99, next to a bare actix-web handler (examples/baseline.rs) serving
# one article's bytes at 64 connections; then (CALLGRIND=1) the instructions one article
# request costs inside the server, counted by valgrind's callgrind — repeatable on this
# noisy, shared machine where wall-clock figures are not.
#
#   bash bench/render.sh                                   # 10,000 posts, SQLite
#   FOLIO_DATABASE_URL=postgres://postgres@127.0.0.1/folio_render bash bench/render.sh
#   CALLGRIND=1 REQUESTS=300 bash bench/render.sh          # plus instructions per request
#   CRAWL=0 CALLGRIND=1 bash bench/render.sh               # instructions only
#   SEED=0 DATA=/tmp/render-bench bash bench/render.sh     # reuse an already seeded site
#   FOLIO_BIN=/tmp/folio-old bash bench/render.sh          # measure another build
#
# The callgrind profile is kept (its path is printed) for `callgrind_annotate`.
set -euo pipefail
cd "$(dirname "$0")/.."
posts="${POSTS:-10000}"
duration="${DURATION:-10s}"
workers="${WORKERS:-2}"
requests="${REQUESTS:-300}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

target="${CARGO_TARGET_DIR:-target}/release"
if [[ -z "${FOLIO_BIN:-}" ]]; then
  cargo build --release --quiet --bin folio --example baseline
fi
folio="${FOLIO_BIN:-$target/folio}"   # FOLIO_BIN=PATH: measure that binary (e.g. an older build)
baseline="${BASELINE_BIN:-$target/examples/baseline}"
work="$(mktemp -d)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export FOLIO_DATA_DIR="${DATA:-$work/data}" FOLIO_LOG=warn FOLIO_PAGE_CACHE_MB=0

if [[ "${SEED:-1}" != 0 ]]; then
  echo "seeding $posts posts…"
  "$folio" seed --posts "$posts" --force >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 3000); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "$1 did not come up" >&2; exit 1; }

port=$(free_port)
"$folio" serve --bind "127.0.0.1:$port" --workers "$workers" >/dev/null &
folio_pid=$!; pids+=("$folio_pid")
base="http://127.0.0.1:$port"
wait_for "$base/healthz"

# Every post and page: the sitemap's addresses without the tag and author archives.
curl -s "$base/sitemap.xml" | grep -o "<loc>[^<]*</loc>" | sed 's#<loc>[^/]*//[^/]*##; s#</loc>##' \
  | grep -v '^/$\|^/tag/\|^/author/' > "$work/paths.txt"
echo "$(wc -l < "$work/paths.txt") articles; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
cat > "$work/crawl.lua" <<EOF
local paths = {}
for line in io.lines("$work/paths.txt") do paths[#paths + 1] = line end
local thread_id = 0
function setup(thread) thread_id = thread_id + 1; thread:set("id", thread_id) end
function init() math.randomseed(os.time() * 100 + (id or 0)) end
request = function() return wrk.format(nil, paths[math.random(#paths)]) end
EOF

crawl() { # URL connections threads → "requests/s p50 p99 non-2xx"
  wrk -t"$3" -c"$2" -d"$duration" --latency -s "$work/crawl.lua" "$1" 2>/dev/null | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    /Non-2xx/ { bad = $4 }
    END { print rps, p50, p99, bad + 0 }'
}
plain() { # URL → "requests/s p50 p99"
  wrk -t2 -c64 -d"$duration" --latency "$1" 2>/dev/null | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    END { print rps, p50, p99 }'
}

if [[ "${CRAWL:-1}" != 0 ]]; then
curl -s "$base$(sed -n 2p "$work/paths.txt")" > "$work/page.html"
bport=$(free_port)
"$baseline" "$work/page.html" "$bport" "$workers" &
bpid=$!; pids+=("$bpid")
wait_for "http://127.0.0.1:$bport/"
read -r brps bp50 bp99 < <(plain "http://127.0.0.1:$bport/")
kill -TERM "$bpid"; wait "$bpid" 2>/dev/null || true

printf "%-34s %10s %9s %9s %7s %6s\n" "workload (page cache off)" "r/s" "p50" "p99" "non-2xx" "ratio"
printf "%-34s %10s %9s %9s %7s %6s\n" "bare handler, 64 conn" "$brps" "$bp50" "$bp99" "-" "100%"
read -r rps p50 p99 bad < <(crawl "$base" 1 1)
printf "%-34s %10s %9s %9s %7s %6s\n" "crawl, 1 connection" "$rps" "$p50" "$p99" "$bad" "-"
read -r rps p50 p99 bad < <(crawl "$base" 64 2)
ratio=$(awk -v a="$rps" -v b="$brps" 'BEGIN { printf "%.1f%%", 100 * a / b }')
printf "%-34s %10s %9s %9s %7s %6s\n" "crawl, 64 connections" "$rps" "$p50" "$p99" "$bad" "$ratio"
echo "page size: $(wc -c < "$work/page.html") bytes; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
kill -TERM "$folio_pid"; wait "$folio_pid" 2>/dev/null || true

if [[ "${CALLGRIND:-0}" == 1 ]]; then
  command -v valgrind >/dev/null || { echo "valgrind is needed: apt-get install valgrind" >&2; exit 1; }
  out="${CALLGRIND_OUT:-/tmp/render-callgrind.$$}"
  port=$(free_port)
  valgrind --tool=callgrind --callgrind-out-file="$out.%p" --dump-instr=no \
    "$folio" serve --bind "127.0.0.1:$port" --workers 1 >/dev/null 2>"$work/valgrind.log" &
  vpid=$!; pids+=("$vpid")
  base="http://127.0.0.1:$port"
  wait_for "$base/healthz"
  shuf -n "$requests" --random-source=<(yes) "$work/paths.txt" | sed "s#^#$base#" > "$work/urls.txt"
  # Warm up (settings cache, prepared statements, pool), then count only the requests.
  head -20 "$work/urls.txt" | xargs curl -s >/dev/null
  callgrind_control -z "$vpid" >/dev/null 2>&1
  sleep 1
  # Idle: what the server does on its own in about the time the requests take.
  callgrind_control -d idle "$vpid" >/dev/null 2>&1
  xargs curl -s < "$work/urls.txt" >/dev/null
  callgrind_control -d requests "$vpid" >/dev/null 2>&1
  sum_ir() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }
  idle=0
  for f in "$out.$vpid".*; do
    case "$(head -c 2000 "$f" | grep -m1 '^desc: Trigger')" in
      *idle*) idle=$(( idle + $(sum_ir "$f") )) ;;
    esac
  done
  total=0
  for f in "$out.$vpid".*; do
    case "$(head -c 2000 "$f" | grep -m1 '^desc: Trigger')" in
      *requests*) total=$(( total + $(sum_ir "$f") )) ;;
    esac
  done
  echo "callgrind: $requests article requests, 1 worker: $(( (total - idle) / requests )) instructions per request (idle dump: $idle)"
  echo "profile: $out.$vpid.* (callgrind_annotate --inclusive=yes FILE)"
fi
