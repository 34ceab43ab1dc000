#!/usr/bin/env bash
# Import speed and peak memory of `folio import-wordpress` on a generated WordPress export
# (default 10,000 posts by 20 authors, 50 categories, 200 tags) into a fresh SQLite site, or
# into PostgreSQL with FOLIO_DATABASE_URL set (an empty database).
# Usage: bash bench/wordpress.sh [POSTS]     (BIN=path/to/folio to time another build;
#        ROUND_TRIPS=1 counts PostgreSQL round trips per post instead of timing)
set -euo pipefail
posts=${1:-10000}
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/tmp/folio-rel}
if [ -n "${BIN:-}" ]; then
  bin=$BIN
else
  cargo build --release --quiet --bin folio
  bin=$CARGO_TARGET_DIR/release/folio
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/export.xml" "$posts" <<'PY'
import sys
path, posts = sys.argv[1], int(sys.argv[2])
with open(path, "w") as out:
    out.write('<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">\n<channel><title>Big blog</title><link>https://big.example</link><wp:wxr_version>1.2</wp:wxr_version><wp:base_blog_url>https://big.example</wp:base_blog_url>\n')
    for a in range(20):
        out.write(f"<wp:author><wp:author_login>writer{a}</wp:author_login><wp:author_email>writer{a}@big.example</wp:author_email><wp:author_display_name>Writer {a}</wp:author_display_name></wp:author>\n")
    para = "The harbour master walked along the quay, counting boats and checking ropes. " * 12
    for n in range(posts):
        day, month, year = 1 + n % 28, 1 + (n // 28) % 12, 1990 + n // 336
        body = f"{para}\nA second line.\n\n<h2>Section</h2>\n{para}\n\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n\n" + para
        out.write(f"""<item><title><![CDATA[Post number {n}]]></title><link>https://big.example/{year}/{month:02}/{day:02}/post-{n}/</link><dc:creator>writer{n % 20}</dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{1000 + n}</wp:post_id><wp:post_date>{year}-{month:02}-{day:02} 10:00:00</wp:post_date><wp:post_date_gmt>{year}-{month:02}-{day:02} 09:00:00</wp:post_date_gmt>
<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>
<category domain="category" nicename="topic-{n % 50}"><![CDATA[Topic {n % 50}]]></category><category domain="post_tag" nicename="tag-{n % 200}"><![CDATA[Tag {n % 200}]]></category>
<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_content>Nice</wp:comment_content></wp:comment>
</item>
""")
    out.write("</channel></rss>\n")
PY
echo "export: $(du -h "$work/export.xml" | cut -f1), $posts posts"
export FOLIO_DATA_DIR=$work/data
echo "$(head -c 24 /dev/urandom | base64)" | "$bin" user create --email admin@example.com --name Admin --role admin --password-stdin >/dev/null
if [ -n "${ROUND_TRIPS:-}" ]; then
  # PostgreSQL round trips: libpq sends each statement (or batch) with one sendto(2).
  # strace slows the import: its speed is not measured in this mode.
  strace -f -c -e trace=sendto -o "$work/strace" "$bin" import-wordpress "$work/export.xml" | grep Imported
  calls=$(awk '$NF == "sendto" { print $4 }' "$work/strace")
  echo "sendto calls (round trips to the database): $calls, per post: $(python3 -c "print(round($calls / $posts, 2))")"
else
  /usr/bin/time -f "peak memory (max RSS): %M kB, wall %e s" "$bin" import-wordpress "$work/export.xml" 2>&1 | grep -E "Imported|peak memory"
fi
