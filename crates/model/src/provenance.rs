//! Why palosync is looking at something: the event that asked for it.
//!
//! Provenance never decides anything (current AWS state does); it is carried through to rule
//! descriptions and the invocation report so an operator can trace every firewall change back to
//! the API call and principal that caused it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// `StartInstances`, `EC2 Instance State-change Notification`, `Scheduled Event`, `sync`…
    pub event_name: String,
    /// CloudTrail `eventID` or the EventBridge event id; the de-duplication key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// As the event gives it (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_arn: Option<String>,
    /// `IAMUser`, `AssumedRole`, `Root`, `AWSService`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    /// An IP address, `AWS Internal`, or a service's DNS name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The account that owns the resources (`recipientAccountId`), not the caller's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl Provenance {
    /// Provenance for work nobody's event asked for: a scheduled or manual sync.
    pub fn sync(trigger: impl Into<String>) -> Self {
        Self {
            event_name: trigger.into(),
            ..Self::default()
        }
    }

    /// One line for a rule description or a log: `StartInstances 4b2c… by arn:… at 2026-…`.
    pub fn summary(&self) -> String {
        let mut out = self.event_name.clone();
        if let Some(id) = &self.event_id {
            out.push(' ');
            out.push_str(id);
        }
        if let Some(principal) = &self.principal_arn {
            out.push_str(" by ");
            out.push_str(principal);
        }
        if let Some(time) = &self.event_time {
            out.push_str(" at ");
            out.push_str(time);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_event_principal_and_time() {
        let p = Provenance {
            event_name: "StartInstances".into(),
            event_id: Some("e-1".into()),
            event_time: Some("2026-11-27T01:02:03Z".into()),
            principal_arn: Some("arn:aws:iam::111122223333:user/alice".into()),
            ..Provenance::default()
        };
        assert_eq!(
            p.summary(),
            "StartInstances e-1 by arn:aws:iam::111122223333:user/alice at 2026-11-27T01:02:03Z"
        );
        assert_eq!(Provenance::sync("sync").summary(), "sync");
    }
}
