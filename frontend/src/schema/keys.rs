//! The editor's Tab and Shift-Tab as edits of the text: two spaces at the caret, or each selected
//! line indented or outdented by two. Offsets are UTF-16 code units, as a text area's selection
//! counts them. Pure; tested natively.

/// One level of indentation.
pub const INDENT: &str = "  ";

/// A change to the text area: the UTF-16 range `start..end` becomes `insert`, then `select` is
/// selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Start of the replaced range.
    pub start: u32,
    /// End of the replaced range.
    pub end: u32,
    /// The text put there.
    pub insert: String,
    /// The selection afterwards (start, end).
    pub select: (u32, u32),
}

/// Tab: two spaces in place of the selection when it lies within one line; each line of a
/// selection over several lines indented by two spaces (empty lines stay empty).
pub fn indent(text: &str, start: u32, end: u32) -> Edit {
    let (from, to) = bytes_of(text, start, end);
    if !text[from..to].contains('\n') {
        let caret = utf16_at(text, from) + INDENT.len() as u32;
        return Edit {
            start: utf16_at(text, from),
            end: utf16_at(text, to),
            insert: INDENT.into(),
            select: (caret, caret),
        };
    }
    let (first, last) = lines_of(text, from, to);
    let block: Vec<String> = text[first..last]
        .split('\n')
        .map(|line| match line {
            "" => String::new(),
            line => format!("{INDENT}{line}"),
        })
        .collect();
    replace_lines(text, first, last, block.join("\n"))
}

/// Shift-Tab: up to two spaces (or one tab) taken from the start of each line the selection
/// touches; `None` when no line starts with any.
pub fn outdent(text: &str, start: u32, end: u32) -> Option<Edit> {
    let (from, to) = bytes_of(text, start, end);
    let (first, last) = lines_of(text, from, to);
    let mut removed = 0;
    let block: Vec<&str> = text[first..last]
        .split('\n')
        .map(|line| {
            let rest = line
                .strip_prefix(INDENT)
                .or_else(|| line.strip_prefix([' ', '\t']))
                .unwrap_or(line);
            removed += line.len() - rest.len();
            rest
        })
        .collect();
    if removed == 0 {
        return None;
    }
    let mut edit = replace_lines(text, first, last, block.join("\n"));
    if !text[from..to].contains('\n') {
        // One line: the selection moves left with the text, not past the line's start.
        let line_start = edit.start;
        let moved = |at: u32| at.saturating_sub(removed as u32).max(line_start);
        edit.select = (moved(utf16_at(text, from)), moved(utf16_at(text, to)));
    }
    Some(edit)
}

/// The edit replacing the whole lines `first..last` (byte offsets) with `block`, selecting it.
fn replace_lines(text: &str, first: usize, last: usize, block: String) -> Edit {
    let start = utf16_at(text, first);
    let after = start + block.encode_utf16().count() as u32;
    Edit {
        start,
        end: utf16_at(text, last),
        insert: block,
        select: (start, after),
    }
}

/// The byte range of the lines the selection `from..to` touches, without their final line
/// break. A selection ending at the very start of a line leaves that line out.
fn lines_of(text: &str, from: usize, to: usize) -> (usize, usize) {
    let first = text[..from].rfind('\n').map_or(0, |nl| nl + 1);
    let to = if to > from && text[..to].ends_with('\n') {
        to - 1
    } else {
        to
    };
    let last = text[to..].find('\n').map_or(text.len(), |nl| to + nl);
    (first, last.max(first))
}

/// The byte offsets of the UTF-16 offsets `start` and `end`, in order and within the text.
fn bytes_of(text: &str, start: u32, end: u32) -> (usize, usize) {
    let (a, b) = (byte_at(text, start), byte_at(text, end));
    (a.min(b), a.max(b))
}

/// The byte offset of the character boundary at or after UTF-16 offset `at` (the text's end past
/// it).
fn byte_at(text: &str, at: u32) -> usize {
    let mut units = 0;
    for (byte, c) in text.char_indices() {
        if units >= at as usize {
            return byte;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// The UTF-16 offset of the byte offset `at` (a character boundary).
fn utf16_at(text: &str, at: usize) -> u32 {
    text.get(..at).map_or(0, |s| s.encode_utf16().count()) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `edit` the way the text area does, UTF-16 offsets and all.
    fn apply(text: &str, edit: &Edit) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        let mut out: Vec<u16> = units[..edit.start as usize].to_vec();
        out.extend(edit.insert.encode_utf16());
        out.extend(&units[edit.end as usize..]);
        String::from_utf16_lossy(&out)
    }

    #[test]
    fn tab_puts_two_spaces_at_the_caret_or_over_a_selection_in_one_line() {
        let edit = indent("ab", 1, 1);
        assert_eq!((apply("ab", &edit).as_str(), edit.select), ("a  b", (3, 3)));
        let edit = indent("abc", 2, 1);
        assert_eq!(
            (apply("abc", &edit).as_str(), edit.select),
            ("a  c", (3, 3))
        );
        // UTF-16: é is one unit, 😀 two.
        let text = "é😀x";
        let edit = indent(text, 4, 4);
        assert_eq!(
            (apply(text, &edit).as_str(), edit.select),
            ("é😀x  ", (6, 6))
        );
        let edit = indent(text, 1, 1);
        assert_eq!(apply(text, &edit), "é  😀x");
    }

    #[test]
    fn tab_over_lines_indents_each_non_empty_line() {
        let text = "a\nb\n\nc\nd";
        let edit = indent(text, 0, 6);
        assert_eq!(apply(text, &edit), "  a\n  b\n\n  c\nd");
        assert_eq!(edit.select, (0, 12));
        // Ending at the start of a line leaves that line alone.
        let edit = indent(text, 2, 4);
        assert_eq!(apply(text, &edit), "a\n  b\n\nc\nd");
    }

    #[test]
    fn shift_tab_outdents_the_lines_it_touches() {
        let edit = outdent("    x", 4, 4);
        assert_eq!(
            edit.as_ref().map(|e| (apply("    x", e), e.select)),
            Some(("  x".into(), (2, 2)))
        );
        // A caret inside the removed spaces stays on the line.
        let edit = outdent("a\n  x", 3, 3);
        assert_eq!(
            edit.as_ref().map(|e| (apply("a\n  x", e), e.select)),
            Some(("a\nx".into(), (2, 2)))
        );
        let text = "  a\n b\n\tc\nd\n  e";
        let edit = outdent(text, 1, 10);
        assert_eq!(
            edit.as_ref().map(|e| apply(text, e)),
            Some("a\nb\nc\nd\n  e".into())
        );
        assert_eq!(outdent("x\n  y", 0, 1), None);
        assert_eq!(outdent("", 0, 0), None);
        let edit = outdent("  😀", 4, 4);
        assert_eq!(
            edit.as_ref().map(|e| (apply("  😀", e), e.select)),
            Some(("😀".into(), (2, 2)))
        );
    }

    #[test]
    fn offsets_past_the_text_are_its_end() {
        let edit = indent("ab", 9, 7);
        assert_eq!(apply("ab", &edit), "ab  ");
        assert_eq!(outdent("  ab", 40, 90).map(|e| e.insert), Some("ab".into()));
    }
}
