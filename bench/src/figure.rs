//! One line per figure an issue sets a target for, in a shape `make bench` (e2e/bench/all.mjs)
//! collects into its closing table: `figure | name | value | target | verdict`.

/// How a figure compares with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Meets it.
    Pass,
    /// Does not.
    Below,
    /// Printed for the record; no target.
    Reported,
}

impl Verdict {
    /// Pass when `ok`.
    pub fn of(ok: bool) -> Self {
        if ok {
            Self::Pass
        } else {
            Self::Below
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Below => "BELOW",
            Self::Reported => "REPORTED",
        }
    }
}

/// The line for one figure.
pub fn line(name: &str, value: &str, target: &str, verdict: Verdict) -> String {
    format!(
        "figure | {name} | {value} | {target} | {}",
        verdict.as_str()
    )
}

/// Prints the line for one figure.
pub fn print(name: &str, value: &str, target: &str, verdict: Verdict) {
    println!("{}", line(name, value, target, verdict));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_line_has_five_fields() {
        let l = line(
            "stream p99",
            "900 ms",
            "<= 1000 ms",
            Verdict::of(900 <= 1000),
        );
        assert_eq!(
            l.split(" | ").collect::<Vec<_>>(),
            ["figure", "stream p99", "900 ms", "<= 1000 ms", "PASS"]
        );
        assert!(line("x", "1", "2", Verdict::of(false)).ends_with("| BELOW"));
    }
}
