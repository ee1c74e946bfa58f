//! Median, minimum and maximum of repeated measurements, and how they are printed.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Spread {
    /// `None` for no samples.
    pub fn of(samples: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut sorted: Vec<f64> = samples.into_iter().collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Spread {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            runs: n,
        })
    }

    /// With `decimals` places; the range only when the runs differ.
    pub fn show(&self, decimals: usize) -> String {
        if self.min == self.max {
            format!("{:.*}", decimals, self.median)
        } else {
            format!(
                "{:.*} ({:.*}–{:.*})",
                decimals, self.median, decimals, self.min, decimals, self.max
            )
        }
    }
}

impl fmt::Display for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.show(decimals_for(self.median)))
    }
}

/// Enough places to show a value's leading digits without noise.
pub fn decimals_for(value: f64) -> usize {
    match value.abs() {
        v if v >= 100.0 || v == 0.0 => 0,
        v if v >= 10.0 => 1,
        v if v >= 1.0 => 2,
        _ => 3,
    }
}

/// `a / b` as `12.3×`, or `n/a` when `b` is zero.
pub fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        return "n/a".to_owned();
    }
    let r = a / b;
    format!("{:.*}×", decimals_for(r).min(2), r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        let odd = Spread::of([5.0, 1.0, 3.0]).expect("samples");
        assert_eq!((odd.median, odd.min, odd.max), (3.0, 1.0, 5.0));
        let even = Spread::of([4.0, 1.0, 3.0, 2.0]).expect("samples");
        assert_eq!(even.median, 2.5);
        assert!(Spread::of([]).is_none());
    }

    #[test]
    fn equal_runs_print_without_a_range() {
        let same = Spread::of([7.0, 7.0]).expect("samples");
        assert_eq!(same.show(0), "7");
        let varied = Spread::of([1.0, 2.0, 3.0]).expect("samples");
        assert_eq!(varied.show(1), "2.0 (1.0–3.0)");
        assert_eq!(ratio(50.0, 2.0), "25.0×");
        assert_eq!(ratio(1.0, 0.0), "n/a");
    }
}
