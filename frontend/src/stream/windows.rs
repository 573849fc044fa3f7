//! The streaming query's windows as the page knows them: each pushed count replaces the earlier
//! one of its window and creative, and the chart reads the latest windows as series per top
//! creative. Pure; tested natively.

use shared::protocol::WindowCount;
use std::collections::BTreeMap;

/// Window counts by (window start, creative).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Windows {
    counts: BTreeMap<(i64, String), WindowCount>,
}

/// What the chart draws.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Window starts, oldest first.
    pub starts: Vec<i64>,
    /// Clicks of every creative per window.
    pub totals: Vec<u64>,
    /// The top creatives (by clicks over the windows shown) and their clicks per window.
    pub top: Vec<(String, Vec<u64>)>,
}

impl Windows {
    /// No windows yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes updated counts.
    pub fn apply(&mut self, updates: &[WindowCount]) {
        for w in updates {
            self.counts
                .insert((w.start_ms, w.creative_id.clone()), w.clone());
        }
    }

    /// Windows seen.
    pub fn window_count(&self) -> usize {
        let mut starts: Vec<i64> = self.counts.keys().map(|(s, _)| *s).collect();
        starts.dedup();
        starts.len()
    }

    /// Clicks over every window and creative.
    pub fn total_clicks(&self) -> u64 {
        self.counts.values().map(|w| w.clicks).sum()
    }

    /// Clicks per window of every creative, oldest first.
    pub fn per_window(&self) -> Vec<(i64, u64)> {
        let mut out: Vec<(i64, u64)> = Vec::new();
        for ((start, _), w) in &self.counts {
            match out.last_mut() {
                Some((s, n)) if s == start => *n += w.clicks,
                _ => out.push((*start, w.clicks)),
            }
        }
        out
    }

    /// The newest `last` windows as series for the `top` creatives with most clicks in them.
    pub fn series(&self, last: usize, top: usize) -> Series {
        let per_window = self.per_window();
        let shown = &per_window[per_window.len().saturating_sub(last)..];
        let starts: Vec<i64> = shown.iter().map(|(s, _)| *s).collect();
        let first = starts.first().copied().unwrap_or(i64::MAX);
        let mut by_creative: BTreeMap<&str, u64> = BTreeMap::new();
        for ((start, creative), w) in &self.counts {
            if *start >= first {
                *by_creative.entry(creative).or_default() += w.clicks;
            }
        }
        let mut ranked: Vec<(&str, u64)> = by_creative.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let top = ranked
            .into_iter()
            .take(top)
            .map(|(creative, _)| {
                let clicks = starts
                    .iter()
                    .map(|s| {
                        self.counts
                            .get(&(*s, creative.to_owned()))
                            .map_or(0, |w| w.clicks)
                    })
                    .collect();
                (creative.to_owned(), clicks)
            })
            .collect();
        Series {
            totals: shown.iter().map(|(_, n)| *n).collect(),
            starts,
            top,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(start_ms: i64, creative: &str, clicks: u64) -> WindowCount {
        WindowCount {
            start_ms,
            end_ms: start_ms + 60_000,
            creative_id: creative.into(),
            clicks,
            cost_cents: clicks * 10,
        }
    }

    #[test]
    fn an_update_replaces_its_window_and_creative() {
        let mut windows = Windows::new();
        windows.apply(&[w(0, "a", 3), w(0, "b", 1), w(60_000, "a", 2)]);
        windows.apply(&[w(0, "a", 5)]);
        assert_eq!(windows.total_clicks(), 8);
        assert_eq!(windows.per_window(), vec![(0, 6), (60_000, 2)]);
        assert_eq!(windows.window_count(), 2);
    }

    #[test]
    fn series_keep_the_newest_windows_and_the_top_creatives() {
        let mut windows = Windows::new();
        windows.apply(&[
            w(0, "old", 100),
            w(60_000, "a", 3),
            w(60_000, "b", 1),
            w(120_000, "b", 4),
            w(120_000, "c", 1),
        ]);
        let s = windows.series(2, 2);
        assert_eq!(s.starts, vec![60_000, 120_000]);
        assert_eq!(s.totals, vec![4, 5]);
        assert_eq!(
            s.top,
            vec![("b".to_owned(), vec![1, 4]), ("a".to_owned(), vec![3, 0])]
        );
        assert_eq!(Windows::new().series(5, 3), Series::default());
    }
}
