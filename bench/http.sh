#!/usr/bin/env bash
# HTTP load on 127.0.0.1 (wrk from Debian's packages) against a seeded site, each figure next
# to a bare actix-web handler returning the same bytes (examples/baseline.rs) in the same run.
#
# 1. Repeated pages: home, an article, a tag archive and a search, 64 connections (the page
#    cache answers), the ratio to the bare handler, and the same page over one connection
#    from a second server with the page cache off (FOLIO_PAGE_CACHE_MB=0).
# 2. A crawler: every article in random order, 64 connections, on the default server (the
#    page cache fills as it goes) and on the cache-less one (rendered from the database
#    every time), against the bare handler's figure for one article.
# 3. Memory: resident memory of both servers after each of three rounds of 1 and 2.
# 4. Instructions per request for an article rendered from the database, counted by
#    callgrind (repeatable on a busy machine, unlike the timings above). INSTRUCTIONS=no
#    skips it; it takes about a minute.
#
# Requests carry no Accept-Encoding, so pages go out uncompressed, as in DESIGN.md's budget;
# ACCEPT_ENCODING="br, gzip" (what browsers and crawlers send) measures compressed pages.
# The bare handler serves the bytes Folio sent.
#
#   bash bench/http.sh                                  # 10,000 posts, SQLite
#   POSTS=100000 DURATION=20s bash bench/http.sh
#   BACKEND=postgres bash bench/http.sh                 # a scratch database on the local
#                                                       # PostgreSQL (PG_URL), dropped after
set -euo pipefail
cd "$(dirname "$0")/.."
posts="${POSTS:-10000}"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-64}"
workers="${WORKERS:-2}"
rounds="${ROUNDS:-3}"
accept_encoding="${ACCEPT_ENCODING-}"
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet --bin folio --example baseline
target="${CARGO_TARGET_DIR:-target}/release"
work="$(mktemp -d)"
pids=()
scratch_db=""
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$scratch_db" ]; then psql -q "$pg_url/postgres" -c "DROP DATABASE IF EXISTS $scratch_db" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export FOLIO_DATA_DIR="$work/data" FOLIO_LOG=warn
if [ "${BACKEND:-sqlite}" = postgres ]; then
  scratch_db="folio_bench_$$"
  psql -q "$pg_url/postgres" -c "CREATE DATABASE $scratch_db"
  export FOLIO_DATABASE_URL="$pg_url/$scratch_db"
fi
echo "backend: ${BACKEND:-sqlite}; $posts posts; $workers workers; $connections connections; $duration per run; Accept-Encoding: '${accept_encoding}'"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "seeding $posts posts…"
"$target/folio" seed --posts "$posts" --force | tee "$work/seed.txt"
# Two words of the seeded vocabulary: one in most posts, one in about 9 %.
terms=$(sed -n 's/^Search terms to try: \([a-z]*\) .*, \([a-z]*\) .*/\1+\2/p' "$work/seed.txt")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "$1 did not come up" >&2; exit 1; }
rss() { awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }

port=$(free_port)
"$target/folio" serve --bind "127.0.0.1:$port" --workers "$workers" >/dev/null &
folio_pid=$!; pids+=("$folio_pid")
base="http://127.0.0.1:$port"
wait_for "$base/healthz"
# The same site with the page cache off. (A query string of its own per request doesn't
# bypass the cache: its key holds only the parameters a route reads.)
uport=$(free_port)
FOLIO_PAGE_CACHE_MB=0 "$target/folio" serve --bind "127.0.0.1:$uport" --workers "$workers" >/dev/null &
uncached_pid=$!; pids+=("$uncached_pid")
ubase="http://127.0.0.1:$uport"
wait_for "$ubase/healthz"

# Every URL of the sitemap (following a sitemap index), then the articles among them.
sitemap_urls() {
  local body
  body=$(curl -s "$1")
  if grep -q "<sitemapindex" <<<"$body"; then
    for part in $(grep -o "<loc>[^<]*</loc>" <<<"$body" | sed 's#<loc>##; s#</loc>##'); do
      curl -s "$part" | grep -o "<loc>[^<]*</loc>"
    done
  else
    grep -o "<loc>[^<]*</loc>" <<<"$body"
  fi | sed 's#<loc>[^/]*//[^/]*##; s#</loc>##'
}
sitemap_urls "$base/sitemap.xml" > "$work/urls.txt"
grep -v -e '^/$' -e '^/tag/' -e '^/author/' "$work/urls.txt" > "$work/articles.txt"
article=$(sed -n 1p "$work/articles.txt")
tag=$(grep -m1 '^/tag/' "$work/urls.txt")
echo "crawl: $(wc -l < "$work/articles.txt") articles in random order"

wrk_header=()
curl_header=()
if [ -n "$accept_encoding" ]; then
  wrk_header=(-H "Accept-Encoding: $accept_encoding")
  curl_header=(-H "Accept-Encoding: $accept_encoding")
fi

# wrk's Lua: every request a random article of the list.
{
  echo "local paths = {"
  sed 's/.*/  "&",/' "$work/articles.txt"
  echo "}"
  cat <<'LUA'
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
request = function()
  return wrk.format(nil, paths[math.random(#paths)])
end
LUA
} > "$work/crawl.lua"

# wrk → "requests/s p50 p99"
run_wrk() { # CONNECTIONS URL [wrk args…]
  local c="$1" url="$2"; shift 2
  local threads=2; [ "$c" -lt 2 ] && threads=1
  wrk -t"$threads" -c"$c" -d"$duration" --latency "${wrk_header[@]}" "$@" "$url" 2>/dev/null | awk '
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = $2 }
    /^ +99%/ { p99 = $2 }
    END { print rps, p50, p99 }'
}

# The bare handler serving FILE: "requests/s p99"
baseline() {
  local bport bpid
  bport=$(free_port)
  "$target/examples/baseline" "$1" "$bport" "$workers" &
  bpid=$!; pids+=("$bpid")
  wait_for "http://127.0.0.1:$bport/"
  read -r brps _ bp99 < <(run_wrk "$connections" "http://127.0.0.1:$bport/")
  kill -TERM "$bpid"; wait "$bpid" 2>/dev/null || true
  echo "$brps $bp99"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }

article_baseline=""
repeated_pages() {
  printf "\n%-28s %10s %9s %12s %9s %7s   %s\n" "repeated page" "folio r/s" "p99" "bare r/s" "p99" "ratio" "cache off, 1 connection: r/s p50 p99"
  for path in "/" "$article" "$tag" "/search?q=$terms"; do
    curl -s "${curl_header[@]}" "$base$path" > "$work/page.bin"
    read -r rps _ p99 < <(run_wrk "$connections" "$base$path")
    read -r brps bp99 < <(baseline "$work/page.bin")
    [ "$path" = "$article" ] && article_baseline="$brps"
    read -r urps up50 up99 < <(run_wrk 1 "$ubase$path")
    printf "%-28s %10s %9s %12s %9s %7s   %s\n" "${path:0:28}" "$rps" "$p99" "$brps" "$bp99" "$(ratio "$rps" "$brps")" "$urps $up50 $up99"
  done
  echo "bytes sent for the article: $(curl -s "${curl_header[@]}" "$base$article" | wc -c)"
}

crawl() {
  printf "\n%-40s %10s %9s %9s %7s\n" "crawl (every article, random order)" "r/s" "p50" "p99" "of bare"
  read -r rps p50 p99 < <(run_wrk "$connections" "$base" -s "$work/crawl.lua")
  printf "%-40s %10s %9s %9s %7s\n" "default settings (page cache on)" "$rps" "$p50" "$p99" "$(ratio "$rps" "$article_baseline")"
  read -r rps p50 p99 < <(run_wrk "$connections" "$ubase" -s "$work/crawl.lua")
  printf "%-40s %10s %9s %9s %7s\n" "page cache off" "$rps" "$p50" "$p99" "$(ratio "$rps" "$article_baseline")"
}

for round in $(seq "$rounds"); do
  echo
  echo "── round $round of $rounds"
  repeated_pages
  crawl
  echo "resident memory after round $round: default server $(rss "$folio_pid"), cache-off server $(rss "$uncached_pid")"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${INSTRUCTIONS:-yes}" != no ] && command -v valgrind >/dev/null; then
  # One article at a time from the cache-less server under callgrind: the difference
  # between 400 and 200 requests (start-up and warm-up cancel out), per request.
  echo
  echo "instructions per request, an article rendered from the database (callgrind):"
  count_for() { # N → total instructions of a server that answered N article requests
    local n="$1" cport cpid out="$work/callgrind.$1"
    cport=$(free_port)
    FOLIO_PAGE_CACHE_MB=0 valgrind --tool=callgrind --callgrind-out-file="$out" \
      "$target/folio" serve --bind "127.0.0.1:$cport" --workers 1 >/dev/null 2>&1 &
    cpid=$!
    # Wait for the port without sending requests (they would count).
    for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$cport") 2>/dev/null && break; sleep 0.2; done
    head -n "$n" "$work/articles.txt" | sed "s#^#http://127.0.0.1:$cport#" > "$work/batch.txt"
    xargs -n 50 curl -s "${curl_header[@]}" < "$work/batch.txt" > /dev/null
    kill -TERM "$cpid"; wait "$cpid" 2>/dev/null || true
    awk '/^summary:|^totals:/ { print $2; exit }' "$out"
  }
  small=$(count_for 200)
  large=$(count_for 400)
  awk -v a="$small" -v b="$large" 'BEGIN { printf "  %.0f instructions (%s for 200 requests, %s for 400)\n", (b - a) / 200, a, b }'
fi
