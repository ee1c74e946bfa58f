//! Words for people: each operation's explanation and each managed rule's description.
//!
//! A managed rule's description is `to <instance> <eni>, …; allows <group> <permission>, …;
//! last change: <event>` (at most 1023 characters). The part before `; last change:` is a pure
//! function of the rule's allowances, so the planner can tell when it is stale; the `to` part
//! also lets an instance's reconcile find group-named rules that point at it after the
//! instance is gone. Nothing here decides what to allow.

use model::{EniId, GroupId, InstanceId};
use serde::Serialize;

/// PAN-OS limit on a rule description.
pub const MAX_DESCRIPTION: usize = 1023;
/// Room kept for the `last change` part.
const MAX_HEAD: usize = 760;
const LAST_CHANGE: &str = "; last change: ";

/// Why an operation is in the plan, in words and as fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Explanation {
    /// One human sentence.
    pub text: String,
    pub groups: Vec<GroupId>,
    /// `sg-1 tcp/22` for each group permission involved.
    pub permissions: Vec<String>,
    pub network_interfaces: Vec<EniId>,
    pub instances: Vec<InstanceId>,
    /// The event's one-line summary (name, id, principal, time).
    pub event: String,
}

/// `to …; allows …`: the stable part of a description.
pub fn description_head(targets: &[impl AsRef<str>], backers: &[impl AsRef<str>]) -> String {
    let mut head = String::from("to ");
    join_into(&mut head, targets);
    head.push_str("; allows ");
    join_into(&mut head, backers);
    truncate(head, MAX_HEAD)
}

fn join_into(out: &mut String, items: &[impl AsRef<str>]) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item.as_ref());
    }
}

/// The whole description: head plus the event that last changed the rule.
pub fn description(head: &str, event: &str) -> String {
    truncate(format!("{head}{LAST_CHANGE}{event}"), MAX_DESCRIPTION)
}

/// Whether `observed` was written for `head` (whatever event last changed it).
pub fn head_matches(observed: &str, head: &str) -> bool {
    observed
        .strip_prefix(head)
        .is_some_and(|rest| rest.starts_with(LAST_CHANGE))
}

/// The instance and interface ids in a description's `to` part.
pub fn described_targets(description: &str) -> impl Iterator<Item = &str> {
    let targets = description
        .strip_prefix("to ")
        .and_then(|rest| rest.split(';').next())
        .unwrap_or("");
    targets.split([',', ' ']).filter(|token| !token.is_empty())
}

/// At most `max_chars` characters, the last one `…` when cut.
fn truncate(mut text: String, max_chars: usize) -> String {
    if let Some((cut, _)) = text.char_indices().nth(max_chars.saturating_sub(1))
        && text[cut..].chars().nth(1).is_some()
    {
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_names_target_group_permission_and_event() {
        let head = description_head(&["i-1 eni-1"], &["sg-1 tcp/22", "sg-2 tcp/22"]);
        let text = description(&head, "StartInstances e-1 by arn:x at 2026");
        assert_eq!(
            text,
            "to i-1 eni-1; allows sg-1 tcp/22, sg-2 tcp/22; last change: StartInstances e-1 by arn:x at 2026"
        );
        assert!(head_matches(&text, &head));
        assert!(!head_matches(
            "to i-1 eni-1; allows sg-1 tcp/22; last change: x",
            &head
        ));
        assert_eq!(
            described_targets(&text).collect::<Vec<_>>(),
            ["i-1", "eni-1"]
        );
    }

    #[test]
    fn long_descriptions_stay_within_the_limit_and_stable() {
        let backers: Vec<String> = (0..200).map(|i| format!("sg-{i} tcp/{i}")).collect();
        let head = description_head(&["i-1 eni-1"], &backers);
        let text = description(&head, &"é".repeat(900));
        assert!(text.chars().count() <= MAX_DESCRIPTION);
        assert!(head_matches(&text, &head));
    }
}
