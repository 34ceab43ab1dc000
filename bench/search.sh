#!/usr/bin/env bash
# Search latency on a large seeded site, with the page cache off (FOLIO_PAGE_CACHE_MB=0:
# since the cache key keeps only the parameters a route reads, a cache-busting parameter no
# longer bypasses it): wrk on 127.0.0.1 rotating through common, rarer and prefix searches.
# Budget (DESIGN.md): p99 under 20 ms with 100,000 posts.
#
#   bash bench/search.sh                                   # 100,000 posts, SQLite
#   FOLIO_DATABASE_URL=postgres://postgres@127.0.0.1/folio_bench bash bench/search.sh
#   SEED=no FOLIO_DATA_DIR=… bash bench/search.sh          # reuse an already seeded site
#   BIN=/tmp/folio-before SEED=no FOLIO_DATA_DIR=… bash bench/search.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."
posts="${POSTS:-100000}"
duration="${DURATION:-10s}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

if [ -n "${BIN:-}" ]; then
  bin="$BIN"
else
  cargo build --release --quiet --bin folio
  bin="${CARGO_TARGET_DIR:-target}/release/folio"
fi
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; rm -rf "$work"' EXIT
export FOLIO_DATA_DIR="${FOLIO_DATA_DIR:-$work/data}" FOLIO_LOG=warn
if [ "${SEED:-yes}" != no ]; then
  echo "seeding $posts posts…"
  "$bin" seed --posts "$posts" --force
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
FOLIO_PAGE_CACHE_MB=0 "$bin" serve --bind "127.0.0.1:$port" --workers 2 >/dev/null &
pid=$!
for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done

# The seed's vocabulary: ranks 30 and 300 (in ~60 % and ~9 % of posts), a prefix, a
# common English pair, and a word in no post.
cat > "$work/search.lua" <<'LUA'
local queries = { "mitar", "baka", "mitar+baka", "the+river", "engin", "kaloren", "nothingmatches" }
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/search?q=" .. queries[(n % #queries) + 1] .. "&r=" .. n)
end
LUA
curl -s -o /dev/null "http://127.0.0.1:$port/search?q=mitar" # warm the database cache
for connections in 1 8; do
  wrk -t1 -c"$connections" -d"$duration" --latency -s "$work/search.lua" "http://127.0.0.1:$port" 2>/dev/null |
    awk -v c="$connections" '
      /Requests\/sec/ { rps = $2 }
      /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
      END { printf "search, %d connection(s): %s r/s, p50 %s, p99 %s\n", c, rps, p50, p99 }'
done
echo "folio resident memory after the load: $(awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status")"
