# Sourced by the benchmarks that talk to a server: a fresh data directory ($work) with an
# admin (bench@example.org, "benchmark password 123") and `$bin serve` on a free loopback
# port, whose URL is left in $base. The server is stopped and $work removed on exit.
work="$(mktemp -d)"
export FOLIO_DATA_DIR="$work/data" FOLIO_LOG=warn
echo "benchmark password 123" | "$bin" user create --email bench@example.org --name Bench \
  --role admin --password-stdin >/dev/null

coproc SERVER { exec "$bin" serve --bind 127.0.0.1:0; }
trap 'kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; rm -rf "$work"' EXIT
base=""
while read -r line <&"${SERVER[0]}"; do
  if [[ "$line" == "Folio is listening on "* ]]; then
    base="${line#Folio is listening on }"
    base="${base%% *}"
    break
  fi
done
