//! Sets of integers (addresses as `u128`, ports) kept as sorted, disjoint, inclusive intervals,
//! so "is all of this inside that" and "do these meet" are exact, however wide the sets are.
//! Pure arithmetic; knows nothing about rules.

/// A set of integers as sorted, disjoint, non-adjacent inclusive intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intervals(Vec<(u128, u128)>);

impl Intervals {
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// One interval `lo..=hi`; empty when `lo > hi`.
    pub fn span(lo: u128, hi: u128) -> Self {
        let mut set = Self::empty();
        set.insert(lo, hi);
        set
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn spans(&self) -> &[(u128, u128)] {
        &self.0
    }

    pub fn insert(&mut self, lo: u128, hi: u128) {
        if lo > hi {
            return;
        }
        self.0.push((lo, hi));
        self.normalize();
    }

    pub fn union(&mut self, other: &Intervals) {
        if other.is_empty() {
            return;
        }
        self.0.extend_from_slice(&other.0);
        self.normalize();
    }

    /// Whether every member of `other` is a member of `self`.
    pub fn contains_all(&self, other: &Intervals) -> bool {
        // `self` is merged, so a contiguous span of `other` lies inside one span of `self`.
        other
            .0
            .iter()
            .all(|&(lo, hi)| self.0.iter().any(|&(a, b)| a <= lo && hi <= b))
    }

    pub fn intersects(&self, other: &Intervals) -> bool {
        self.0
            .iter()
            .any(|&(a, b)| other.0.iter().any(|&(lo, hi)| a <= hi && lo <= b))
    }

    /// Everything in `0..=max` that is not in `self`.
    pub fn complement(&self, max: u128) -> Intervals {
        let mut out = Vec::new();
        let mut next = Some(0u128);
        for &(lo, hi) in &self.0 {
            if let Some(start) = next
                && start < lo
            {
                out.push((start, lo - 1));
            }
            next = hi.checked_add(1);
        }
        if let Some(start) = next
            && start <= max
        {
            out.push((start, max));
        }
        Intervals(out)
    }

    fn normalize(&mut self) {
        self.0.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(self.0.len());
        for &(lo, hi) in &self.0 {
            match merged.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        self.0 = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_spans_merge_and_containment_needs_every_member() {
        let mut set = Intervals::span(10, 19);
        set.insert(20, 29);
        assert_eq!(set.spans(), &[(10, 29)]);
        assert!(set.contains_all(&Intervals::span(12, 29)));
        assert!(!set.contains_all(&Intervals::span(12, 30)));
        assert!(set.intersects(&Intervals::span(29, 40)));
        assert!(!set.intersects(&Intervals::span(30, 40)));
    }

    #[test]
    fn complement_is_exact_at_both_ends() {
        let set = Intervals::span(0, 4);
        assert_eq!(set.complement(9).spans(), &[(5, 9)]);
        assert_eq!(Intervals::span(3, 9).complement(9).spans(), &[(0, 2)]);
        assert!(Intervals::span(0, 9).complement(9).is_empty());
        assert_eq!(Intervals::empty().complement(9).spans(), &[(0, 9)]);
        let top = Intervals::span(5, u128::MAX);
        assert_eq!(top.complement(u128::MAX).spans(), &[(0, 4)]);
    }
}
