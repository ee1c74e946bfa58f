//! Which rules palosync owns, and the names of the rules it creates.
//!
//! A rule is owned only if its whole name is `<instance-id>-<n>` or `<group-id>-<n>` (an exact
//! parse, never a substring match) and it carries the managed tag. A new name takes the
//! smallest `<n>` that no rule on the firewall holds and no rule of this plan took, so a name is
//! never reused while a rule holds it. Nothing here may ever select an unowned rule.

use crate::firewall::ObservedRule;
use model::settings::MAX_PANOS_NAME;
use model::{GroupId, InstanceId};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// What a managed rule is named after.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NamedAfter {
    Instance(InstanceId),
    Group(GroupId),
}

impl NamedAfter {
    pub fn id(&self) -> &str {
        match self {
            NamedAfter::Instance(id) => id.as_str(),
            NamedAfter::Group(id) => id.as_str(),
        }
    }
}

impl fmt::Display for NamedAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A parsed managed rule name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ManagedName {
    pub owner: NamedAfter,
    pub number: u32,
}

/// Parse `<i-…|sg-…>-<n>`: the id body is ASCII letters and digits (no `-`, so the split is
/// unambiguous), `n` a canonical decimal (no sign, no leading zero).
pub fn parse_managed_name(name: &str) -> Option<ManagedName> {
    let (id, number) = name.rsplit_once('-')?;
    let canonical = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && !(number.len() > 1 && number.starts_with('0'));
    if !canonical {
        return None;
    }
    let number: u32 = number.parse().ok()?;
    let body_ok = |prefix: &str| {
        id.strip_prefix(prefix)
            .is_some_and(|body| !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric()))
    };
    let owner = if body_ok(InstanceId::PREFIX) {
        NamedAfter::Instance(InstanceId::new(id))
    } else if body_ok(GroupId::PREFIX) {
        NamedAfter::Group(GroupId::new(id))
    } else {
        return None;
    };
    Some(ManagedName { owner, number })
}

/// The ownership test: exact name pattern and the managed tag.
pub fn owned_name(rule: &ObservedRule, managed_tag: &str) -> Option<ManagedName> {
    if !rule.tags.iter().any(|t| t == managed_tag) {
        return None;
    }
    parse_managed_name(&rule.name)
}

/// Hands out fresh rule names.
#[derive(Debug)]
pub struct NameAllocator<'n> {
    on_firewall: HashSet<&'n str>,
    handed_out: HashSet<String>,
    cursor: HashMap<String, u32>,
}

impl<'n> NameAllocator<'n> {
    /// `taken`: every rule name on the firewall, owned or not.
    pub fn new(taken: impl IntoIterator<Item = &'n str>) -> Self {
        Self {
            on_firewall: taken.into_iter().collect(),
            handed_out: HashSet::new(),
            cursor: HashMap::new(),
        }
    }

    /// The next free `<owner>-<n>`; `None` if it would exceed the firewall's name limit.
    pub fn allocate(&mut self, owner: &NamedAfter) -> Option<String> {
        let prefix = owner.id();
        let next = self.cursor.entry(prefix.to_owned()).or_insert(1);
        loop {
            let name = format!("{prefix}-{next}");
            if name.chars().count() > MAX_PANOS_NAME {
                return None;
            }
            *next = next.checked_add(1)?;
            if !self.on_firewall.contains(name.as_str()) && self.handed_out.insert(name.clone()) {
                return Some(name);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_names_parse() {
        let parsed = parse_managed_name("i-0abc123-7").unwrap();
        assert_eq!(
            parsed.owner,
            NamedAfter::Instance(InstanceId::new("i-0abc123"))
        );
        assert_eq!(parsed.number, 7);
        assert!(matches!(
            parse_managed_name("sg-12ab-1").unwrap().owner,
            NamedAfter::Group(_)
        ));
        for name in [
            "allow i-0abc-1",
            "i-0abc-1 copy",
            "i--1",
            "i-0abc-01",
            "i-0abc-",
            "i-0abc",
            "sg-a-b-1",
            "x-sg-1-1",
            "i-0abc-99999999999",
            "Clean up",
        ] {
            assert_eq!(parse_managed_name(name), None, "{name}");
        }
    }

    #[test]
    fn names_skip_every_taken_number() {
        let mut names = NameAllocator::new(["i-1-1", "i-1-3", "sg-1-1"]);
        let owner = NamedAfter::Instance(InstanceId::new("i-1"));
        assert_eq!(names.allocate(&owner).as_deref(), Some("i-1-2"));
        assert_eq!(names.allocate(&owner).as_deref(), Some("i-1-4"));
        let group = NamedAfter::Group(GroupId::new("sg-2"));
        assert_eq!(names.allocate(&group).as_deref(), Some("sg-2-1"));
    }

    #[test]
    fn overlong_names_are_refused() {
        let mut names = NameAllocator::new([]);
        let long = NamedAfter::Group(GroupId::new(format!("sg-{}", "a".repeat(60))));
        assert_eq!(names.allocate(&long), None);
    }
}
