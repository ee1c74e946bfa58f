//! Plan fragments for unit tests.

use planner::{Explanation, Operation, RuleAction, RuleContent};

pub fn rule(name: &str) -> RuleContent {
    RuleContent {
        name: name.into(),
        from_zones: vec!["untrust".into()],
        to_zones: vec!["trust".into()],
        sources: vec!["any".into()],
        destinations: vec!["10.0.1.10".into()],
        applications: vec!["ssl".into()],
        services: vec!["application-default".into()],
        action: RuleAction::Allow,
        profile_group: None,
        tags: vec!["palosync".into()],
        description: String::new(),
    }
}

pub fn create(name: &str) -> Operation {
    Operation::CreateRule {
        rule: Box::new(rule(name)),
        why: Explanation::default(),
    }
}
