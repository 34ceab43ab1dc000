#!/usr/bin/env bash
# Uploads on the release binary, over loopback with curl:
#  - resident memory of the server while it receives a 25 MB file (sampled every 50 ms;
#    it must not grow by the file's size: uploads stream to disk);
#  - time to upload a 12-megapixel JPEG and get its three variants (the request returns
#    once the variants are written), best and median of RUNS.
#
#   bash bench/media.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"

cargo build --release --quiet --bin folio --example photo
dir="${CARGO_TARGET_DIR:-target}/release"
bin="$dir/folio"
source bench/serve.sh

jar="$work/cookies"
token=$(curl -s -c "$jar" "$base/admin/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p')
curl -s -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf_token=$token" \
  --data-urlencode "email=bench@example.org" --data-urlencode "password=benchmark password 123" \
  "$base/admin/login"
csrf=$(curl -s -b "$jar" "$base/api/admin/session" | sed -n 's/.*"csrf_token":"\([^"]*\)".*/\1/p')
upload() {
  curl -s -o "$work/answer" -w '%{http_code} %{time_total}\n' -b "$jar" \
    -H "X-CSRF-Token: $csrf" -F "files=@$1" "${@:2}" "$base/api/admin/media"
}
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$SERVER_PID/status"; }

rss_kb >/dev/null
# A 25 MB PDF (a header, then padding: sniffed as PDF, no processing).
{ printf '%%PDF-1.4\n'; head -c $((25 * 1024 * 1024 - 9)) /dev/zero; } > "$work/big.pdf"
before=$(rss_kb)
( while sleep 0.05; do rss_kb; done ) > "$work/rss" &
sampler=$!
# Sent at 5 MB/s so the sampler sees the server while it receives (about 5 s).
result=$(upload "$work/big.pdf" --limit-rate 5M)
kill "$sampler"
peak=$(sort -n "$work/rss" | tail -1)
echo "25 MB upload: HTTP ${result% *}, ${result#* } s; server RSS before ${before} kB, peak while receiving ${peak:-?} kB, after $(rss_kb) kB"

"$dir/examples/photo" "$work/photo.jpg" 4000 3000
echo "12-megapixel JPEG: $(du -k "$work/photo.jpg" | cut -f1) kB"
for i in $(seq "$runs"); do
  # A different byte each run, so each upload is new content.
  cp "$work/photo.jpg" "$work/photo-$i.jpg"
  printf '%s' "$i" >> "$work/photo-$i.jpg"
  upload "$work/photo-$i.jpg"
done > "$work/times"
if grep -qv '^201 ' "$work/times"; then
  echo "some uploads failed:" >&2; cat "$work/times" "$work/answer" >&2; exit 1
fi
cut -d' ' -f2 "$work/times" | sort -n | awk '{ t[NR] = $1 } END {
  printf "12 MP JPEG upload + 3 variants: best %.0f ms, median %.0f ms (%d runs)\n", t[1] * 1000, t[int((NR + 1) / 2)] * 1000, NR }'
echo "server RSS: peak $(awk '/VmHWM/ { print $2 }' "/proc/$SERVER_PID/status") kB during the image uploads, $(rss_kb) kB after"
