//! `folio seed --posts N`: a realistic site for benchmarks and demos — authors, tags and
//! published posts of about a thousand words of Markdown each. Deterministic (the same N
//! gives the same site) and refused on a database that already has content, unless forced.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;

use crate::db::schema::{post_tags, posts, tags, users};
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::render;

const AUTHORS: usize = 8;
const TAGS: usize = 40;
const BATCH: usize = 250;

/// A small deterministic generator (xorshift64*), so no dependency is needed for noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }
}

const ADJECTIVES: &[&str] = &[
    "quiet",
    "bright",
    "patient",
    "curious",
    "honest",
    "distant",
    "gentle",
    "stubborn",
    "hidden",
    "careful",
    "restless",
    "modest",
    "ancient",
    "practical",
    "fragile",
    "generous",
    "unlikely",
    "simple",
    "crowded",
    "forgotten",
];
const NOUNS: &[&str] = &[
    "engine",
    "garden",
    "harbour",
    "library",
    "machine",
    "river",
    "workshop",
    "letter",
    "bridge",
    "market",
    "lantern",
    "orchard",
    "railway",
    "observatory",
    "kitchen",
    "archive",
    "island",
    "festival",
    "compass",
    "notebook",
];
const WORDS: &[&str] = &[
    "the", "a", "and", "of", "to", "in", "that", "it", "was", "for", "on", "with", "as", "we",
    "they", "time", "people", "work", "small", "long", "light", "water", "story", "morning",
    "evening", "city", "road", "house", "window", "table", "paper", "voice", "hand", "year",
    "question", "answer", "reason", "problem", "idea", "careful", "slowly", "again", "never",
    "always", "between", "under", "behind", "around", "through", "measure", "build", "write",
    "read", "remember", "notice", "carry", "open", "close", "change", "begin", "finish", "learn",
    "teach", "travel", "return", "signal", "pattern", "number", "engine", "garden", "harbour",
    "library", "machine", "river", "workshop", "letter", "bridge", "market", "lantern",
];

/// Beside the common words, a vocabulary of made-up words drawn by Zipf's law (the r-th
/// most frequent appears about 1/r as often as the first), so that a search term matches a
/// realistic share of the posts instead of all of them.
const VOCABULARY: usize = 20_000;
/// Share of the words (in percent) taken from that vocabulary.
const VOCABULARY_SHARE: usize = 30;
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "to", "sa", "vel", "nor", "pi", "dun", "tar", "e", "li", "mo", "qua",
    "ris", "ba", "zen", "fo", "lun",
];

/// The word of the vocabulary at frequency rank `rank` (1 = most frequent): two or more
/// syllables, distinct for every rank.
pub fn vocabulary_word(rank: usize) -> String {
    let mut n = rank + SYLLABLES.len(); // at least two syllables
    let mut word = String::new();
    while n > 0 {
        word.insert_str(0, SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    word
}

/// Search terms for benchmarks: a fairly common and a less common vocabulary word (in
/// about 60 % and 9 % of the posts).
pub fn sample_search_terms() -> [String; 2] {
    [vocabulary_word(30), vocabulary_word(300)]
}

impl Noise {
    /// A rank from 1 to `n` with probability about proportional to 1/rank.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let rank = ((n as f64 + 1.0).powf(u)).floor() as usize;
        rank.clamp(1, n)
    }
}

fn sentence(noise: &mut Noise) -> String {
    let length = 8 + noise.below(14);
    let mut words: Vec<String> = (0..length)
        .map(|_| {
            if noise.below(100) < VOCABULARY_SHARE {
                vocabulary_word(noise.zipf(VOCABULARY))
            } else {
                noise.pick(WORDS).to_owned()
            }
        })
        .collect();
    if noise.below(5) == 0 {
        words.insert(noise.below(length), "**important**".to_owned());
    }
    let mut text = words.join(" ");
    if let Some(first) = text.get(0..1) {
        text.replace_range(0..1, &first.to_uppercase());
    }
    text.push('.');
    text
}

/// About a thousand words: headings, paragraphs, a list, sometimes a quote or code.
fn body(noise: &mut Noise) -> String {
    let mut out = String::with_capacity(7_000);
    for section in 0..4 {
        out.push_str(&format!(
            "## The {} {}\n\n",
            noise.pick(ADJECTIVES),
            noise.pick(NOUNS)
        ));
        for _ in 0..3 {
            let paragraph: Vec<String> = (0..4).map(|_| sentence(noise)).collect();
            out.push_str(&paragraph.join(" "));
            out.push_str("\n\n");
        }
        match section {
            1 => {
                for _ in 0..4 {
                    out.push_str(&format!("- {}\n", sentence(noise)));
                }
                out.push('\n');
            }
            2 if noise.below(2) == 0 => out.push_str(&format!("> {}\n\n", sentence(noise))),
            3 if noise.below(3) == 0 => {
                out.push_str("```rust\nfn main() {\n    println!(\"hello\");\n}\n```\n\n");
            }
            _ => {}
        }
    }
    out
}

pub struct Seeded {
    pub posts: usize,
    pub authors: usize,
    pub tags: usize,
    pub search_terms: [String; 2],
}

pub fn seed(conn: &mut DbConnection, count: usize, force: bool) -> AppResult<Seeded> {
    let existing: i64 = posts::table.count().get_result(conn)?;
    if existing > 0 && !force {
        return Err(AppError::Conflict(format!(
            "the database already has {}; seeding is for empty sites (add --force to add to it anyway)",
            crate::domain::counted(existing, "post", "posts")
        )));
    }
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15 ^ count as u64);
    let now = Utc::now().naive_utc();
    // Makes emails and slugs unique across several seed runs on one database.
    let run = Utc::now().timestamp_micros();

    let author_ids: Vec<i32> = db::write_transaction(conn, |conn| {
        (0..AUTHORS)
            .map(|n| {
                diesel::insert_into(users::table)
                    .values((
                        users::email.eq(format!("seed-author-{run}-{n}@example.invalid")),
                        users::display_name.eq(format!("Author {}", n + 1)),
                        users::slug.eq(format!("seed-author-{run}-{n}")),
                        users::role.eq(Role::Author.as_str()),
                        users::status.eq("disabled"),
                        users::created_at.eq(now),
                        users::updated_at.eq(now),
                    ))
                    .returning(users::id)
                    .get_result::<i32>(conn)
            })
            .collect::<QueryResult<Vec<i32>>>()
    })?;
    let tag_ids: Vec<i32> = db::write_transaction(conn, |conn| {
        (0..TAGS)
            .map(|n| {
                let name = format!(
                    "{} {}",
                    ADJECTIVES[n % ADJECTIVES.len()],
                    NOUNS[(n * 7) % NOUNS.len()]
                );
                diesel::insert_into(tags::table)
                    .values((
                        tags::name.eq(&name),
                        tags::slug.eq(format!("{}-{run}-{n}", name.replace(' ', "-"))),
                        tags::description.eq(format!("Posts about the {name}.")),
                        tags::created_at.eq(now),
                    ))
                    .returning(tags::id)
                    .get_result::<i32>(conn)
            })
            .collect::<QueryResult<Vec<i32>>>()
    })?;

    let mut written = 0;
    while written < count {
        let batch = BATCH.min(count - written);
        db::write_transaction(conn, |conn| -> AppResult<()> {
            for _ in 0..batch {
                let n = written;
                written += 1;
                let title = format!(
                    "The {} {} and the {} {}",
                    noise.pick(ADJECTIVES),
                    noise.pick(NOUNS),
                    noise.pick(ADJECTIVES),
                    noise.pick(NOUNS)
                );
                let markdown = body(&mut noise);
                let html = render::render(&markdown, &Default::default()).into_string();
                // Spread over the past: one post every few hours, newest last.
                let published = now - TimeDelta::minutes(((count - n) * 190) as i64);
                let id: i32 = diesel::insert_into(posts::table)
                    .values((
                        posts::kind.eq("post"),
                        posts::status.eq("published"),
                        posts::title.eq(&title),
                        posts::slug.eq(format!(
                            "{}-{run}-{n}",
                            crate::domain::slug::slugify(&title).unwrap_or_default()
                        )),
                        posts::body_markdown.eq(&markdown),
                        posts::body_html.eq(&html),
                        posts::search_text.eq(render::markdown::plain_text(&markdown)),
                        posts::excerpt.eq(""),
                        posts::author_id.eq(author_ids[noise.below(author_ids.len())]),
                        posts::version.eq(1),
                        posts::created_at.eq(published),
                        posts::updated_at.eq(published),
                        posts::published_at.eq(published),
                    ))
                    .returning(posts::id)
                    .get_result(conn)?;
                let mut chosen: Vec<i32> = Vec::new();
                for _ in 0..1 + noise.below(3) {
                    let tag = tag_ids[noise.below(tag_ids.len())];
                    if !chosen.contains(&tag) {
                        chosen.push(tag);
                        diesel::insert_into(post_tags::table)
                            .values((post_tags::post_id.eq(id), post_tags::tag_id.eq(tag)))
                            .execute(conn)?;
                    }
                }
            }
            Ok(())
        })?;
    }
    Ok(Seeded {
        posts: count,
        authors: AUTHORS,
        tags: TAGS,
        search_terms: sample_search_terms(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_words_are_distinct_and_zipf_favours_the_first() {
        let words: std::collections::HashSet<String> =
            (1..=VOCABULARY).map(vocabulary_word).collect();
        assert_eq!(words.len(), VOCABULARY);
        let mut noise = Noise(42);
        let draws: Vec<usize> = (0..100_000).map(|_| noise.zipf(VOCABULARY)).collect();
        let count = |rank: usize| draws.iter().filter(|&&r| r == rank).count();
        assert!(count(1) > 5 * count(10), "{} vs {}", count(1), count(10));
        assert!(draws.iter().all(|&r| (1..=VOCABULARY).contains(&r)));
    }
}
