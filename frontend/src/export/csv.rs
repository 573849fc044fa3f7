//! CSV as spreadsheets read it (RFC 4180): fields holding a comma, a quote or a line break are
//! quoted, quotes doubled, lines end with CRLF. A field that a spreadsheet would run as a formula
//! (starting with `=`, `+`, `@`, a tab, or `-` not followed by a digit) gets a leading `'`, so
//! data from a topic never runs in someone's spreadsheet.

/// One CSV line of `fields`, with its CRLF.
pub fn line<S: AsRef<str>>(fields: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field_text(field.as_ref()));
    }
    out.push_str("\r\n");
    out
}

fn field_text(field: &str) -> String {
    let mut chars = field.chars();
    let formula = match chars.next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => !chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    };
    let field = if formula {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(line(["a", "b c", "1.5"]), "a,b c,1.5\r\n");
        assert_eq!(
            line(["x,y", "say \"hi\"", "two\nlines"]),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(line(Vec::<String>::new()), "\r\n");
    }

    #[test]
    fn formulas_are_defused_but_negative_numbers_are_not() {
        assert_eq!(
            line(["=1+1", "@cmd", "-12.50", "-x", "+3"]),
            "'=1+1,'@cmd,-12.50,'-x,'+3\r\n"
        );
    }
}
