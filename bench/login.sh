#!/usr/bin/env bash
# Login latency of the release binary: time of POST /admin/login with the right password
# (one bcrypt verify at cost 12, plus the throttle check and the audit write), measured
# with curl on loopback.
#
#   bash bench/login.sh            # 20 logins on SQLite
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-20}"

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/folio"
source bench/serve.sh

for i in $(seq "$runs"); do
  jar="$work/cookies-$i"
  token=$(curl -s -c "$jar" "$base/admin/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
  curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}\n' \
    --data-urlencode "csrf_token=$token" --data-urlencode "email=bench@example.org" \
    --data-urlencode "password=benchmark password 123" "$base/admin/login"
done > "$work/results"
if grep -qv '^303 ' "$work/results"; then
  echo "some logins did not answer 303:" >&2
  grep -v '^303 ' "$work/results" >&2
  exit 1
fi
awk '{ print $2 * 1000 }' "$work/results" | sort -n | awk '
  { t[NR] = $1 }
  END { printf "POST /admin/login (right password), %d runs: min %.1f ms, median %.1f ms, max %.1f ms\n",
        NR, t[1], t[int((NR + 1) / 2)], t[NR] }'
