//! Geometry of the batch section's charts, in plain numbers: bars of a time series laid out in a
//! view box, and nice tick values for its axis. Pure; tested natively. The components only turn
//! these into SVG.

/// One bar of a chart, in view-box units (y grows downwards, as in SVG).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

/// Lays out `values` as bars side by side filling `width` × `height`, the largest value
/// reaching the top of the scale `max`.
pub fn bars(values: &[u64], max: u64, width: f64, height: f64) -> Vec<Bar> {
    if values.is_empty() {
        return Vec::new();
    }
    let slot = width / values.len() as f64;
    let gap = if slot > 4.0 { slot * 0.15 } else { 0.0 };
    let scale = if max == 0 { 0.0 } else { height / max as f64 };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let h = *v as f64 * scale;
            Bar {
                x: i as f64 * slot + gap / 2.0,
                y: height - h,
                width: slot - gap,
                height: h,
            }
        })
        .collect()
}

/// A round upper bound for an axis holding `max`, and the ticks from 0 to it (about 4 steps
/// of 1, 2 or 5 times a power of ten).
pub fn ticks(max: u64) -> (u64, Vec<u64>) {
    if max == 0 {
        return (1, vec![0, 1]);
    }
    let rough = max as f64 / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * power)
        .max(1.0) as u64;
    let top = max.div_ceil(step) * step;
    let ticks = (0..=top / step).map(|k| k * step).collect();
    (top, ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_the_width_and_scale_to_the_top() {
        let laid = bars(&[0, 5, 10], 10, 300.0, 100.0);
        assert_eq!(laid.len(), 3);
        assert!((laid[2].height - 100.0).abs() < 1e-9 && laid[2].y.abs() < 1e-9);
        assert!((laid[1].height - 50.0).abs() < 1e-9);
        assert_eq!(laid[0].height, 0.0);
        assert!(laid[2].x + laid[2].width <= 300.0 + 1e-9);
        assert!(laid
            .windows(2)
            .all(|w| w[0].x + w[0].width <= w[1].x + 1e-9));
        assert!(bars(&[], 1, 10.0, 10.0).is_empty());
        assert!(bars(&[0, 0], 0, 10.0, 10.0).iter().all(|b| b.height == 0.0));
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(0), (1, vec![0, 1]));
        assert_eq!(ticks(7), (8, vec![0, 2, 4, 6, 8]));
        assert_eq!(ticks(100), (100, vec![0, 50, 100]));
        let (top, marks) = ticks(1234);
        assert!(
            top >= 1234 && marks.last() == Some(&top) && marks.len() <= 6,
            "{top} {marks:?}"
        );
    }
}
