//! Counts in words: "1 post", "3 posts", never "3 post(s)".

use std::fmt::Display;

/// `n` followed by `one` when it is 1 and by `many` otherwise. The words may carry their
/// verb along: `counted(n, "file was", "files were")`.
pub fn counted(n: impl Display, one: &str, many: &str) -> String {
    let n = n.to_string();
    let words = if n == "1" { one } else { many };
    format!("{n} {words}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1_usize, "post", "posts"), "1 post");
        assert_eq!(counted(0_i64, "post", "posts"), "0 posts");
        assert_eq!(counted(3_u32, "result", "results"), "3 results");
        assert_eq!(counted(11_i32, "post", "posts"), "11 posts");
        assert_eq!(counted(-1_i32, "post", "posts"), "-1 posts");
        assert_eq!(counted(1_usize, "item was", "items were"), "1 item was");
    }
}
