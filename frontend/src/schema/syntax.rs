//! The editor's colours: a forgiving JSON tokenizer that also knows Avro's type names, the HTML
//! of the highlighted text (with the error's mark) laid under the transparent text area, one
//! line at a time, and which lines a keystroke changed, so only those are laid out again.
//! Pure; tested natively.

/// Above this many bytes the text is shown plain: highlighting a pasted megabyte on every
/// keystroke would stall typing, and no real schema comes near it.
pub const MAX_HIGHLIGHTED_BYTES: usize = 200 * 1024;

/// Above this many tokens the text is shown plain too: the browser's cost is one element per
/// token, and a short text can be all punctuation (`[[[[…`). A schema of a thousand lines has
/// fewer.
pub const MAX_HIGHLIGHTED_TOKENS: usize = 20_000;

/// What a piece of the text is, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An object key (a string followed by `:`).
    Key,
    /// Any other string.
    String,
    /// A string naming an Avro type: `"record"`, `"long"`, …
    Type,
    /// A string naming an Avro logical type: `"timestamp-millis"`, …
    Logical,
    /// A number.
    Number,
    /// `true`, `false` or `null`.
    Literal,
    /// `{ } [ ] : ,`
    Punct,
    /// Spaces, tabs and line breaks.
    Space,
    /// Anything JSON does not allow there.
    Other,
}

impl Kind {
    /// The class the highlighted text gives the token (`None`: plain text).
    pub fn class(self) -> Option<&'static str> {
        match self {
            Self::Key => Some("tok-key"),
            Self::String => Some("tok-str"),
            Self::Type => Some("tok-type"),
            Self::Logical => Some("tok-logical"),
            Self::Number => Some("tok-num"),
            Self::Literal => Some("tok-lit"),
            Self::Punct => Some("tok-punct"),
            Self::Other => Some("tok-other"),
            Self::Space => None,
        }
    }
}

/// A token: its kind and its byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

/// Avro's primitive and complex type names.
const AVRO_TYPES: [&str; 13] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string", "record", "enum",
    "array", "map", "fixed",
];

/// Avro's logical type names.
const LOGICAL_TYPES: [&str; 13] = [
    "decimal",
    "big-decimal",
    "uuid",
    "date",
    "time-millis",
    "time-micros",
    "timestamp-millis",
    "timestamp-micros",
    "timestamp-nanos",
    "local-timestamp-millis",
    "local-timestamp-micros",
    "local-timestamp-nanos",
    "duration",
];

/// The tokens of `text`, covering all of it. Broken JSON still tokenizes: an unclosed string
/// ends at its line's end, a stray character is [`Kind::Other`].
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let (kind, len) = lex(&text[at..], c);
        out.push(Token {
            kind,
            start: at,
            end: at + len,
        });
        at += len;
    }
    classify_strings(text, &mut out);
    out
}

/// The kind and byte length of the token that starts `rest` (whose first character is `c`).
fn lex(rest: &str, c: char) -> (Kind, usize) {
    let run = |accept: fn(char) -> bool| rest.find(|ch: char| !accept(ch)).unwrap_or(rest.len());
    match c {
        ' ' | '\t' | '\r' | '\n' => (
            Kind::Space,
            run(|ch| matches!(ch, ' ' | '\t' | '\r' | '\n')),
        ),
        '{' | '}' | '[' | ']' | ':' | ',' => (Kind::Punct, 1),
        '"' => (Kind::String, string_len(rest)),
        '-' | '0'..='9' => (
            Kind::Number,
            run(|ch| ch.is_ascii_digit() || matches!(ch, '-' | '+' | '.' | 'e' | 'E')),
        ),
        c if c.is_ascii_alphabetic() => {
            let len = run(|ch| ch.is_ascii_alphanumeric());
            let literal = matches!(&rest[..len], "true" | "false" | "null");
            (if literal { Kind::Literal } else { Kind::Other }, len)
        }
        c => (Kind::Other, c.len_utf8()),
    }
}

/// The byte length of the string starting at `rest` (which starts with `"`): through its closing
/// quote, or up to the end of its line when it is not closed.
fn string_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return i + 1,
            b'\n' => return i,
            b'\\' if bytes.get(i + 1).is_some_and(|&b| b != b'\n') => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Strings followed by `:` are keys; other strings that name an Avro type or logical type say so.
fn classify_strings(text: &str, tokens: &mut [Token]) {
    let mut next_solid: Option<usize> = None;
    for i in (0..tokens.len()).rev() {
        let token = tokens[i];
        if token.kind == Kind::Space {
            continue;
        }
        if token.kind == Kind::String {
            let colon = next_solid.is_some_and(|n| &text[tokens[n].start..tokens[n].end] == ":");
            let name = text[token.start..token.end].trim_matches('"');
            tokens[i].kind = if colon {
                Kind::Key
            } else if AVRO_TYPES.contains(&name) {
                Kind::Type
            } else if LOGICAL_TYPES.contains(&name) {
                Kind::Logical
            } else {
                Kind::String
            };
        }
        next_solid = Some(i);
    }
}

/// Where the error's mark goes: a 1-based line and a 1-based character column (0: the start of
/// the line), as [`shared::schema::SchemaProblem::Json`] gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// Line, from 1.
    pub line: usize,
    /// Character column, from 1; 0 before the line's first character.
    pub column: usize,
}

impl Mark {
    /// The byte offset of the marked character in `text`, or of the line's end when the column
    /// lies past it (then the mark is a blank cell after the line).
    fn offset(self, text: &str) -> usize {
        let start = if self.line <= 1 {
            0
        } else {
            text.match_indices('\n')
                .nth(self.line - 2)
                .map_or(text.len(), |(at, _)| at + 1)
        };
        let line = &text[start..];
        let end = line.find('\n').unwrap_or(line.len());
        let column = self.column.saturating_sub(1);
        start
            + line[..end]
                .char_indices()
                .nth(column)
                .map_or(end, |(at, _)| at)
    }
}

/// The HTML of `text` highlighted, with the character at `mark` wrapped in the error's mark;
/// `None` for texts above [`MAX_HIGHLIGHTED_BYTES`] or [`MAX_HIGHLIGHTED_TOKENS`] (the text area
/// shows them plain).
pub fn highlighted(text: &str, mark: Option<Mark>) -> Option<String> {
    if text.len() > MAX_HIGHLIGHTED_BYTES {
        return None;
    }
    let tokens = tokens(text);
    if tokens.len() > MAX_HIGHLIGHTED_TOKENS {
        return None;
    }
    let mut html = String::with_capacity(text.len() * 3);
    let mark = mark.map(|m| (m, m.offset(text)));
    let mut marked = false;
    for token in tokens {
        let class = token.kind.class();
        if let Some(class) = class {
            html.push_str("<span class=\"");
            html.push_str(class);
            html.push_str("\">");
        }
        match mark.filter(|(_, at)| (token.start..token.end).contains(at)) {
            Some((m, at)) if !marked => {
                marked = true;
                escape_into(&text[token.start..at], &mut html);
                let ch = text[at..]
                    .chars()
                    .next()
                    .filter(|&c| c != '\n' && c != '\r');
                push_mark(m, ch, &mut html);
                let after = at + ch.map_or(0, char::len_utf8);
                escape_into(&text[after..token.end], &mut html);
            }
            _ => escape_into(&text[token.start..token.end], &mut html),
        }
        if class.is_some() {
            html.push_str("</span>");
        }
    }
    if let Some((m, _)) = mark.filter(|_| !marked) {
        push_mark(m, None, &mut html);
    }
    Some(html)
}

/// What to redo in the shown lines to go from `old` to `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changes {
    /// As many lines as before: these lines differ.
    Lines(Vec<usize>),
    /// Lines were added or removed: from line `at`, `remove` shown lines go and the `insert`
    /// new lines from `at` on take their place.
    Splice {
        /// First line that differs.
        at: usize,
        /// Shown lines to remove there.
        remove: usize,
        /// New lines to insert there.
        insert: usize,
    },
}

/// The change from the shown lines `old` to `new`: typing changes one line, the error's mark
/// moving changes two, Enter splices one in; common leading and trailing lines are kept.
pub fn changes(old: &[String], new: &[&str]) -> Changes {
    if old.len() == new.len() {
        return Changes::Lines((0..new.len()).filter(|&i| old[i] != new[i]).collect());
    }
    let same = |(o, n): (&String, &&str)| o == n;
    let head = old.iter().zip(new).take_while(|&p| same(p)).count();
    let room = old.len().min(new.len()) - head;
    let tail = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(room)
        .take_while(|&p| same(p))
        .count();
    Changes::Splice {
        at: head,
        remove: old.len() - head - tail,
        insert: new.len() - head - tail,
    }
}

/// The error's mark around `ch`, or around a blank cell when the error lies past the line's
/// last character (a space after a line's end moves nothing).
fn push_mark(mark: Mark, ch: Option<char>, html: &mut String) {
    html.push_str(&format!(
        "<span class=\"error-mark\" data-testid=\"error-mark\" data-line=\"{}\" data-column=\"{}\">",
        mark.line, mark.column
    ));
    let mut buf = [0u8; 4];
    escape_into(ch.unwrap_or(' ').encode_utf8(&mut buf), html);
    html.push_str("</span>");
}

/// Appends `text` with `&`, `<` and `>` escaped.
fn escape_into(text: &str, html: &mut String) {
    for c in text.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            c => html.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text)
            .into_iter()
            .filter(|t| t.kind != Kind::Space)
            .map(|t| (t.kind, &text[t.start..t.end]))
            .collect()
    }

    #[test]
    fn json_and_avro_names_get_their_kinds() {
        let text = r#"{"type": "record", "fields": [{"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}, "default": -1.5e3}, {"name": "ok", "type": ["null", "boolean"], "default": null, "doc": "a \"string\""}]}"#;
        let found = kinds(text);
        let of = |kind| -> Vec<&str> {
            found
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, s)| *s)
                .collect()
        };
        assert_eq!(
            of(Kind::Key),
            [
                r#""type""#,
                r#""fields""#,
                r#""name""#,
                r#""type""#,
                r#""type""#,
                r#""logicalType""#,
                r#""default""#,
                r#""name""#,
                r#""type""#,
                r#""default""#,
                r#""doc""#
            ]
        );
        assert_eq!(
            of(Kind::Type),
            [r#""record""#, r#""long""#, r#""null""#, r#""boolean""#]
        );
        assert_eq!(of(Kind::Logical), [r#""timestamp-millis""#]);
        assert_eq!(
            of(Kind::String),
            [r#""at""#, r#""ok""#, r#""a \"string\"""#]
        );
        assert_eq!(of(Kind::Number), ["-1.5e3"]);
        assert_eq!(of(Kind::Literal), ["null"]);
        assert!(of(Kind::Other).is_empty());
        assert_eq!(of(Kind::Punct).concat(), "{:,:[{:,:{:,:},:},{:,:[,],:,:}]}");
    }

    #[test]
    fn broken_text_still_covers_every_byte() {
        let text = "{\"name\": \"unclosed\n  é@ nope, \"x\\\"}\n\"end\\";
        let all = tokens(text);
        let mut at = 0;
        for token in &all {
            assert_eq!(token.start, at);
            assert!(token.end > token.start);
            at = token.end;
        }
        assert_eq!(at, text.len());
        assert_eq!(
            kinds(text),
            [
                (Kind::Punct, "{"),
                (Kind::Key, "\"name\""),
                (Kind::Punct, ":"),
                (Kind::String, "\"unclosed"),
                (Kind::Other, "é"),
                (Kind::Other, "@"),
                (Kind::Other, "nope"),
                (Kind::Punct, ","),
                (Kind::String, "\"x\\\"}"),
                (Kind::String, "\"end\\"),
            ]
        );
    }

    #[test]
    fn the_html_escapes_and_keeps_the_text() {
        let text = "{\"doc\": \"<b>&</b>\"}\n";
        let html = highlighted(text, None).unwrap_or_default();
        assert!(html.contains("&lt;b&gt;&amp;&lt;/b&gt;"), "{html}");
        assert_eq!(untagged(&html), text);
    }

    /// The text of `html`: tags dropped, entities read back.
    fn untagged(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    fn marked(html: &str) -> Option<&str> {
        let open = html.find("data-testid=\"error-mark\"")?;
        let from = open + html[open..].find('>')? + 1;
        Some(&html[from..from + html[from..].find("</span>")?])
    }

    #[test]
    fn the_mark_wraps_the_character_at_its_line_and_column() {
        let text = "[\n  \"é\", 1,\n]";
        let mark = Mark { line: 2, column: 9 };
        let html = highlighted(text, Some(mark)).unwrap_or_default();
        assert_eq!(marked(&html), Some(","));
        assert!(html.contains("data-line=\"2\" data-column=\"9\""), "{html}");
        assert_eq!(untagged(&html), text);
        assert_eq!(html.matches("data-testid=\"error-mark\"").count(), 1);
        // Inside a token: the string's closing quote.
        let html = highlighted(text, Some(Mark { line: 2, column: 5 })).unwrap_or_default();
        assert_eq!(marked(&html), Some("\""));
        assert_eq!(untagged(&html), text);
    }

    #[test]
    fn a_mark_past_a_line_or_the_text_is_a_blank_cell() {
        let text = "{\n  \"a\": 1\n";
        for (line, column) in [(2, 40), (3, 0), (9, 1)] {
            let html = highlighted(text, Some(Mark { line, column })).unwrap_or_default();
            assert_eq!(marked(&html), Some(" "), "{line}:{column} {html}");
        }
        // Past line 2's end: the blank cell comes before the line break.
        let html = highlighted(
            text,
            Some(Mark {
                line: 2,
                column: 40,
            }),
        )
        .unwrap_or_default();
        assert_eq!(untagged(&html), "{\n  \"a\": 1 \n");
        // Column 0 of line 1 is the first character.
        let html = highlighted(text, Some(Mark { line: 1, column: 0 })).unwrap_or_default();
        assert_eq!(marked(&html), Some("{"));
    }

    /// Applies `changes` to `old` the way the view does.
    fn redo(old: &[String], new: &[&str]) -> Vec<String> {
        let mut shown = old.to_vec();
        match changes(old, new) {
            Changes::Lines(lines) => {
                for i in lines {
                    shown[i] = new[i].to_owned();
                }
            }
            Changes::Splice { at, remove, insert } => {
                let fresh = new[at..at + insert].iter().map(|l| l.to_string());
                shown.splice(at..at + remove, fresh);
            }
        }
        shown
    }

    #[test]
    fn only_changed_lines_are_redone() {
        let lines = |t: &str| t.split('\n').map(str::to_owned).collect::<Vec<_>>();
        let old = lines("a\nb\nc\nd");
        assert_eq!(
            changes(&old, &["a", "B", "c", "D"]),
            Changes::Lines(vec![1, 3])
        );
        assert_eq!(changes(&old, &["a", "b", "c", "d"]), Changes::Lines(vec![]));
        let enter = ["a", "b", "", "c", "d"];
        assert_eq!(
            changes(&old, &enter),
            Changes::Splice {
                at: 2,
                remove: 0,
                insert: 1
            }
        );
        // Repeated lines: the kept head and tail never overlap.
        let old = lines("x\nx\nx");
        assert_eq!(
            changes(&old, &["x", "x"]),
            Changes::Splice {
                at: 2,
                remove: 1,
                insert: 0
            }
        );
        for (from, to) in [
            ("a\nb\nc\nd", "a\nb\nc\nd\ne"),
            ("a\nb\nc\nd", "z\na\nd"),
            ("x\nx\nx", "x\ny\nx\nx\nx"),
            ("", "a\nb"),
            ("a\nb", ""),
        ] {
            let new: Vec<&str> = to.split('\n').collect();
            assert_eq!(redo(&lines(from), &new), lines(to), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn every_broken_seed_is_shown_whole_with_one_mark() {
        use shared::schema::{validate, SchemaProblem};
        let seed = include_str!("../../../schemas/examples/click_seed.avsc");
        let broken = (0..seed.len()).map(|i| format!("{}{}", &seed[..i], &seed[i + 1..]));
        for text in broken.filter(|t| serde_json::from_str::<serde_json::Value>(t).is_err()) {
            let Err(SchemaProblem::Json { line, column, .. }) = validate(&text) else {
                continue;
            };
            let html = highlighted(&text, Some(Mark { line, column })).unwrap_or_default();
            assert_eq!(
                html.matches("data-testid=\"error-mark\"").count(),
                1,
                "{text}"
            );
            let shown = untagged(&html);
            let blank = marked(&html) == Some(" ") && text.len() + 1 == shown.len();
            assert!(shown == text || blank, "{line}:{column}\n{shown}\n{text}");
        }
    }

    #[test]
    fn huge_texts_are_not_highlighted() {
        let big = format!("[{}1]", "1, ".repeat(MAX_HIGHLIGHTED_BYTES / 3));
        assert!(big.len() > MAX_HIGHLIGHTED_BYTES);
        assert_eq!(highlighted(&big, Some(Mark { line: 1, column: 1 })), None);
        // Short, but one token per byte.
        let deep = format!("{}{}", "[".repeat(10_001), "]".repeat(10_001));
        assert!(deep.len() < MAX_HIGHLIGHTED_BYTES);
        assert_eq!(highlighted(&deep, None), None);
        let fine = format!("{}{}", "[".repeat(9_999), "]".repeat(9_999));
        assert!(highlighted(&fine, None).is_some_and(|h| h.contains("tok-punct")));
    }
}
