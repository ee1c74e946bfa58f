//! The entries of the candidate's lists by name, so that finding (or not finding) an entry in an
//! N-entry list costs a hash lookup instead of a scan. Without it, writing N rules (in batches or
//! one by one, and again when a commit replays them) costs N² name comparisons, and a
//! 20,000-rule rulebase takes half a minute to write.
//!
//! The cache is kept only while it is provably exact. A `set` merges into the list it targets
//! and only appends there, so that list's entries stay known; existing children never move, so
//! the cached paths of other lists stay valid. A `set` into an ancestor or a descendant of a
//! cached list may add entries unseen (nested elements, intermediates it creates), so it forgets
//! that list. A move keeps its list's names (positions are confirmed on every hit) and forgets
//! the lists below it. Every other write (edit, delete, rename, clone), a restored snapshot and
//! a revert forget everything. Each hit is confirmed against the list, so even a stale slot is
//! never taken for the entry.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::xml::Element;
use crate::xpath::NodePath;

/// The `entry` children of each list that writes set into, per list.
#[derive(Debug, Default, Clone)]
pub struct KnownEntries {
    lists: HashMap<NodePath, ListEntries>,
}

/// Where each `entry` child of one list sits, keyed by a hash of its name: building it allocates
/// nothing per entry. A hit is confirmed against the list, so a collision costs a scan, never a
/// wrong answer.
#[derive(Debug, Default, Clone)]
pub struct ListEntries {
    by_hash: HashMap<u64, usize>,
}

/// What [`ListEntries::find`] knows about a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    At(usize),
    Absent,
    /// Another name with the same hash: scan.
    Unsure,
}

fn name_hash(name: &str) -> u64 {
    let mut h = DefaultHasher::new();
    name.hash(&mut h);
    h.finish()
}

impl ListEntries {
    fn of(list: &Element) -> ListEntries {
        let by_hash = list
            .children
            .iter()
            .enumerate()
            .filter(|(_, e)| e.name == "entry")
            .filter_map(|(i, e)| e.entry_name().map(|n| (name_hash(n), i)))
            .collect();
        ListEntries { by_hash }
    }

    /// Where the entry `name` of `list` (the list this was built for) is.
    pub fn find(&self, list: &Element, name: &str) -> Found {
        match self.by_hash.get(&name_hash(name)) {
            None => Found::Absent,
            Some(&i) if list.children.get(i).and_then(|e| e.entry_name()) == Some(name) => {
                Found::At(i)
            }
            Some(_) => Found::Unsure,
        }
    }

    /// Records that the entry `name` now sits at `index`.
    pub fn record(&mut self, name: &str, index: usize) {
        self.by_hash.insert(name_hash(name), index);
    }
}

impl KnownEntries {
    pub fn new() -> KnownEntries {
        KnownEntries::default()
    }

    /// Before a move inside `list`: the list keeps its names (only positions change, and every
    /// hit is confirmed), but lists below its entries are now at other paths. Forgetting the
    /// list itself would rehash it for the next set: palosync writes a create and a move per
    /// rule, so a 100,000-rule batch would cost N².
    pub fn after_move_within(&mut self, list: &[usize]) {
        self.lists
            .retain(|path, _| !(path.len() > list.len() && path.starts_with(list)));
    }

    /// After a write that may remove or reorder entries anywhere.
    pub fn forget_all(&mut self) {
        self.lists.clear();
    }

    /// The entries of `list` (the node at `target`), built on first use, once the lists a `set`
    /// into `target` can change unseen are forgotten. The caller records what it appends.
    pub fn for_set_into(&mut self, target: &NodePath, list: &Element) -> &mut ListEntries {
        self.lists.retain(|path, _| {
            path == target || !(path.starts_with(target) || target.starts_with(path))
        });
        self.lists
            .entry(target.clone())
            .or_insert_with(|| ListEntries::of(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[&str]) -> Element {
        let mut l = Element::new("rules");
        for n in names {
            l.push(Element::named("entry", *n));
        }
        l
    }

    #[test]
    fn a_set_into_an_ancestor_or_descendant_forgets_the_cached_list() {
        let mut known = KnownEntries::new();
        let rules = vec![0, 1, 2];
        let mut held = list(&["a", "b"]);
        known.for_set_into(&rules, &held);
        held.push(Element::named("entry", "c"));
        known.for_set_into(&rules, &held).record("c", 2);
        let sibling = vec![0, 1, 3];
        known.for_set_into(&sibling, &list(&[]));
        assert!(known.lists.contains_key(&rules), "a sibling keeps it");
        known.for_set_into(&vec![0, 1], &list(&[]));
        assert!(!known.lists.contains_key(&rules), "an ancestor forgets it");
        assert!(!known.lists.contains_key(&sibling));
        known.for_set_into(&rules, &held);
        known.for_set_into(&vec![0, 1, 2, 7], &list(&[]));
        assert!(!known.lists.contains_key(&rules), "a descendant forgets it");
    }

    #[test]
    fn finds_what_the_list_holds_and_confirms_every_hit() {
        let held = list(&["a", "b"]);
        let mut entries = ListEntries::of(&held);
        assert_eq!(entries.find(&held, "b"), Found::At(1));
        assert_eq!(entries.find(&held, "z"), Found::Absent);
        // A stale or colliding slot is never taken for the entry.
        entries.by_hash.insert(name_hash("z"), 0);
        assert_eq!(entries.find(&held, "z"), Found::Unsure);
    }
}
