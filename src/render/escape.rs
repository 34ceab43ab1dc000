//! Text made safe to write into HTML or a `<script>` element.

/// Escapes text for an element or a quoted attribute value: text stays text wherever
/// HTML is expected (feed descriptions, generated markup).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON with `<`, `>` and `&` written as `\u` escapes (they occur only inside strings,
/// where the escapes mean the same): safe inside a `<script>` element, and no markup
/// for anything that sniffs the document as HTML.
pub fn json_without_markup(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
