//! A side-by-side line diff: the longest common subsequence of lines, with each run of removed
//! lines paired against the run of added lines beside it so the two columns stay aligned.
//! Pure; tested natively.

/// Beyond this many cells in the comparison table, the middle of the two texts (after common
/// leading and trailing lines) is shown as replaced wholesale instead of compared line by line.
const MAX_CELLS: usize = 4_000_000;

/// How a row of the diff differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// The same line on both sides.
    Same,
    /// The left line became the right line.
    Changed,
    /// Only on the left.
    Removed,
    /// Only on the right.
    Added,
}

impl RowKind {
    /// The class name the view gives the row.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Same => "same",
            Self::Changed => "changed",
            Self::Removed => "removed",
            Self::Added => "added",
        }
    }
}

/// A numbered line of one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number in its text.
    pub number: usize,
    /// The line, without its end.
    pub text: String,
}

/// One row of the side-by-side view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// How the sides differ.
    pub kind: RowKind,
    /// The left line, unless the row is [`RowKind::Added`].
    pub left: Option<Line>,
    /// The right line, unless the row is [`RowKind::Removed`].
    pub right: Option<Line>,
}

/// An edit step: keep a line of both, drop one of the left, take one of the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Keep,
    Drop,
    Take,
}

/// The rows that turn `left` into `right`.
pub fn diff_lines(left: &str, right: &str) -> Vec<Row> {
    let a: Vec<&str> = left.lines().collect();
    let b: Vec<&str> = right.lines().collect();
    align(&a, &b, &edit_script(&a, &b))
}

/// Keeps the common head and tail, and compares what lies between.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (middle_a, middle_b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let mut ops = vec![Op::Keep; head];
    ops.extend(middle(middle_a, middle_b));
    ops.extend(vec![Op::Keep; tail]);
    ops
}

/// The shortest edit script by a longest-common-subsequence table.
fn middle(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len(), b.len());
    if (n + 1).saturating_mul(m + 1) > MAX_CELLS {
        let mut ops = vec![Op::Drop; n];
        ops.extend(vec![Op::Take; m]);
        return ops;
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::with_capacity(n + m));
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Keep);
            (i, j) = (i + 1, j + 1);
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            ops.push(Op::Take);
            j += 1;
        } else {
            ops.push(Op::Drop);
            i += 1;
        }
    }
    ops
}

/// Turns the edit script into rows, pairing each run of drops with the takes next to it.
fn align(a: &[&str], b: &[&str], ops: &[Op]) -> Vec<Row> {
    let line = |lines: &[&str], i: usize| Line {
        number: i + 1,
        text: lines[i].to_owned(),
    };
    let (mut rows, mut i, mut j, mut k) = (Vec::new(), 0, 0, 0);
    while k < ops.len() {
        if ops[k] == Op::Keep {
            rows.push(Row {
                kind: RowKind::Same,
                left: Some(line(a, i)),
                right: Some(line(b, j)),
            });
            (i, j, k) = (i + 1, j + 1, k + 1);
            continue;
        }
        let run = ops[k..].iter().take_while(|op| **op != Op::Keep).count();
        let drops = ops[k..k + run].iter().filter(|op| **op == Op::Drop).count();
        let takes = run - drops;
        for n in 0..drops.max(takes) {
            let left = (n < drops).then(|| line(a, i + n));
            let right = (n < takes).then(|| line(b, j + n));
            let kind = match (&left, &right) {
                (Some(_), Some(_)) => RowKind::Changed,
                (Some(_), None) => RowKind::Removed,
                _ => RowKind::Added,
            };
            rows.push(Row { kind, left, right });
        }
        (i, j, k) = (i + drops, j + takes, k + run);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(rows: &[Row]) -> Vec<RowKind> {
        rows.iter().map(|r| r.kind).collect()
    }

    fn numbers(rows: &[Row]) -> Vec<(Option<usize>, Option<usize>)> {
        rows.iter()
            .map(|r| {
                (
                    r.left.as_ref().map(|l| l.number),
                    r.right.as_ref().map(|l| l.number),
                )
            })
            .collect()
    }

    #[test]
    fn equal_texts_are_all_same() {
        let rows = diff_lines("a\nb\n", "a\nb\n");
        assert_eq!(kinds(&rows), [RowKind::Same, RowKind::Same]);
        assert_eq!(numbers(&rows), [(Some(1), Some(1)), (Some(2), Some(2))]);
    }

    #[test]
    fn an_added_line_leaves_the_left_side_empty() {
        let rows = diff_lines("a\nb\nc", "a\nb\nx\nc");
        use RowKind::*;
        assert_eq!(kinds(&rows), [Same, Same, Added, Same]);
        assert_eq!(rows[2].right.as_ref().map(|l| l.text.as_str()), Some("x"));
        assert_eq!(rows[3].left.as_ref().map(|l| l.number), Some(3));
        assert_eq!(rows[3].right.as_ref().map(|l| l.number), Some(4));
    }

    #[test]
    fn replaced_lines_pair_up_and_the_surplus_is_removed() {
        use RowKind::*;
        let rows = diff_lines("keep\nold1\nold2\nold3\nend", "keep\nnew1\nend");
        assert_eq!(kinds(&rows), [Same, Changed, Removed, Removed, Same]);
        assert_eq!(
            numbers(&rows),
            [
                (Some(1), Some(1)),
                (Some(2), Some(2)),
                (Some(3), None),
                (Some(4), None),
                (Some(5), Some(3))
            ]
        );
    }

    #[test]
    fn the_v2_schema_adds_a_field_after_cost() {
        let v1 = include_str!("../../../schemas/click_v1.avsc");
        let v2 = include_str!("../../../schemas/click_v2.avsc");
        let rows = diff_lines(v1, v2);
        let changed: Vec<&Row> = rows.iter().filter(|r| r.kind != RowKind::Same).collect();
        assert!(
            changed.iter().any(|r| r.kind == RowKind::Added
                && r.right.as_ref().is_some_and(|l| l.text.contains("country"))),
            "{changed:?}"
        );
        assert!(changed
            .iter()
            .all(|r| r.left.as_ref().is_none_or(|l| !l.text.contains("\"id\""))));
        let left_lines = rows.iter().filter(|r| r.left.is_some()).count();
        let right_lines = rows.iter().filter(|r| r.right.is_some()).count();
        assert_eq!(
            (left_lines, right_lines),
            (v1.lines().count(), v2.lines().count())
        );
    }

    #[test]
    fn empty_sides() {
        assert!(diff_lines("", "").is_empty());
        assert_eq!(
            kinds(&diff_lines("", "a\nb")),
            [RowKind::Added, RowKind::Added]
        );
        assert_eq!(kinds(&diff_lines("a", "")), [RowKind::Removed]);
    }
}
