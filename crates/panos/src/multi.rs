//! `action=multi-config`: several config actions applied atomically, with one reply per action.
//!
//! A batch either applies whole or not at all; a failed batch comes back as
//! [`Error::BatchRolledBack`] with each action's reply (or as the more specific lock/session
//! error that caused it). A `delete` of a missing node inside a batch is a success (code 7).

use crate::client::Client;
use crate::config::Position;
use crate::envelope::{Envelope, message_lines};
use crate::error::Error;
use crate::retry::Idempotency;
use crate::stats::RequestKind;
use crate::transport::ApiRequest;
use crate::xml::XmlNode;
use crate::xpath::XPath;

/// One action of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigAction {
    /// Create or merge `element` under `xpath`.
    Set {
        /// Parent container (or the node itself).
        xpath: XPath,
        /// The element to merge.
        element: XmlNode,
    },
    /// Replace the node at `xpath` with `element`.
    Edit {
        /// The node.
        xpath: XPath,
        /// Its replacement (same root tag and name).
        element: XmlNode,
    },
    /// Delete the node at `xpath` (absent is fine).
    Delete {
        /// The node.
        xpath: XPath,
    },
    /// Rename the entry at `xpath`.
    Rename {
        /// The entry.
        xpath: XPath,
        /// Its new name.
        new_name: String,
    },
    /// Move the entry at `xpath`. Inside a batch, a device may reject "already at the top".
    Move {
        /// The entry.
        xpath: XPath,
        /// Where to.
        position: Position,
    },
}

impl ConfigAction {
    fn to_node(&self, id: usize) -> XmlNode {
        let (tag, xpath) = match self {
            Self::Set { xpath, .. } => ("set", xpath),
            Self::Edit { xpath, .. } => ("edit", xpath),
            Self::Delete { xpath } => ("delete", xpath),
            Self::Rename { xpath, .. } => ("rename", xpath),
            Self::Move { xpath, .. } => ("move", xpath),
        };
        let mut node = XmlNode::new(tag)
            .with_attr("id", id.to_string())
            .with_attr("xpath", xpath.as_str());
        match self {
            Self::Set { element, .. } | Self::Edit { element, .. } => {
                node.children.push(element.clone());
            }
            Self::Rename { new_name, .. } => {
                node.attributes
                    .push(("newname".to_owned(), new_name.clone()));
            }
            Self::Move { position, .. } => {
                let (place, dst) = position.params();
                node.attributes.push(("where".to_owned(), place.to_owned()));
                if let Some(dst) = dst {
                    node.attributes.push(("dst".to_owned(), dst.to_owned()));
                }
            }
            Self::Delete { .. } => {}
        }
        node
    }

    fn is_idempotent(&self) -> bool {
        !matches!(self, Self::Rename { .. })
    }
}

/// The device's reply to one action of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionResult {
    /// The `id` the action was sent with (its 1-based position in the batch).
    pub id: String,
    /// `status="success"`.
    pub success: bool,
    /// The reply's code (20 done, 7 absent on delete, 12 invalid, …).
    pub code: Option<u32>,
    /// Message lines.
    pub lines: Vec<String>,
}

impl ActionResult {
    /// Whether this action succeeded (including a delete of something absent).
    pub fn succeeded(&self) -> bool {
        self.success
    }

    /// A delete whose target did not exist.
    pub fn was_absent(&self) -> bool {
        self.success && self.code == Some(7)
    }
}

/// A batch that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiConfigResult {
    /// One reply per action, in order.
    pub actions: Vec<ActionResult>,
}

/// The `element=` document of a batch.
fn batch_document(actions: &[ConfigAction]) -> XmlNode {
    let mut root = XmlNode::new("multi-configure-request");
    for (i, action) in actions.iter().enumerate() {
        root.children.push(action.to_node(i + 1));
    }
    root
}

/// Reads the per-action replies nested in the outer `<response>`.
fn action_results(reply: &Envelope) -> Result<Vec<ActionResult>, Error> {
    reply
        .root
        .children_named("response")
        .map(|inner| {
            let inner_reply = Envelope::from_node(inner.clone())?;
            Ok(ActionResult {
                id: inner.attr("id").unwrap_or_default().to_owned(),
                success: inner_reply.success,
                code: inner_reply.code,
                lines: message_lines(inner),
            })
        })
        .collect()
}

/// The outcome of a batch reply.
fn interpret_batch(reply: &Envelope) -> Result<MultiConfigResult, Error> {
    let actions = action_results(reply)?;
    if reply.success {
        return Ok(MultiConfigResult { actions });
    }
    let Some(failed) = actions.iter().find(|a| !a.success) else {
        return Err(reply.to_error());
    };
    match crate::error::classify_error_reply(failed.code, failed.lines.clone()) {
        specific @ (Error::LockHeld { .. }
        | Error::SessionTimedOut { .. }
        | Error::CommitInProgress { .. }) => Err(specific),
        _ => Err(Error::BatchRolledBack {
            code: reply.code,
            actions,
        }),
    }
}

impl Client {
    /// Applies `actions` atomically (`action=multi-config`, PAN-OS 10.0+).
    pub async fn multi_config(&self, actions: &[ConfigAction]) -> Result<MultiConfigResult, Error> {
        self.send_batch(actions, false).await
    }

    /// Like [`Client::multi_config`] with `strict-transactional=yes`: fails while a commit is
    /// running or pending, and first reverts this admin's own uncommitted changes.
    pub async fn multi_config_strict(
        &self,
        actions: &[ConfigAction],
    ) -> Result<MultiConfigResult, Error> {
        self.send_batch(actions, true).await
    }

    async fn send_batch(
        &self,
        actions: &[ConfigAction],
        strict: bool,
    ) -> Result<MultiConfigResult, Error> {
        if actions.is_empty() {
            return Ok(MultiConfigResult {
                actions: Vec::new(),
            });
        }
        let reply = self.send(batch_request(actions, strict)).await?;
        interpret_batch(&reply).map_err(|e| self.scrub(e))
    }
}

fn batch_request(actions: &[ConfigAction], strict: bool) -> ApiRequest {
    let idempotency = if actions.iter().all(ConfigAction::is_idempotent) {
        Idempotency::Idempotent
    } else {
        Idempotency::NotIdempotent
    };
    let mut params = vec![
        ("type", "config".to_owned()),
        ("action", "multi-config".to_owned()),
    ];
    if strict {
        params.push(("strict-transactional", "yes".to_owned()));
    }
    params.push(("element", batch_document(actions).to_xml()));
    ApiRequest {
        kind: RequestKind::MultiConfig,
        params,
        idempotency,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xpath::Location;

    #[test]
    fn batch_document_matches_the_documented_shape() {
        let rules = Location::vsys("vsys1").security_rules();
        let doc = batch_document(&[
            ConfigAction::Set {
                xpath: rules.clone(),
                element: XmlNode::new("entry").with_attr("name", "a"),
            },
            ConfigAction::Move {
                xpath: rules.clone().entry("a"),
                position: Position::Before("Clean up".into()),
            },
            ConfigAction::Delete {
                xpath: rules.clone().entry("old"),
            },
        ]);
        let xml = doc.to_xml();
        assert!(xml.starts_with(r#"<multi-configure-request><set id="1" xpath="/config/devices/entry[@name=&apos;localhost.localdomain&apos;]"#), "{xml}");
        let parsed = XmlNode::parse(&xml).expect("own output");
        let moved = &parsed.children[1];
        assert_eq!(moved.name, "move");
        assert_eq!(moved.attr("where"), Some("before"));
        assert_eq!(moved.attr("dst"), Some("Clean up"));
        assert!(
            moved
                .attr("xpath")
                .is_some_and(|x| x.ends_with("entry[@name='a']"))
        );
    }

    #[test]
    fn strict_batches_ask_for_strict_transactions_and_renames_are_not_retried() {
        let entry = Location::vsys("vsys1").security_rule("a");
        let rename = [ConfigAction::Rename {
            xpath: entry.clone(),
            new_name: "b".into(),
        }];
        let strict = batch_request(&rename, true);
        assert!(
            strict
                .params
                .contains(&("strict-transactional", "yes".to_owned()))
        );
        assert_eq!(strict.idempotency, Idempotency::NotIdempotent);
        let delete = [ConfigAction::Delete { xpath: entry }];
        let plain = batch_request(&delete, false);
        assert!(
            plain
                .params
                .iter()
                .all(|(k, _)| *k != "strict-transactional")
        );
        assert_eq!(plain.idempotency, Idempotency::Idempotent);
    }

    #[test]
    fn success_reply_lists_every_action_including_absent_delete() {
        let reply = Envelope::parse(r#"<response status="success" code="20"><response status="success" code="20" id="1"><msg>command succeeded</msg></response><response status="success" code="7" id="2"><msg>Object doesn't exist</msg></response></response>"#).expect("valid");
        let result = interpret_batch(&reply).expect("applied");
        assert_eq!(result.actions.len(), 2);
        assert!(result.actions[1].was_absent());
        assert!(result.actions.iter().all(ActionResult::succeeded));
    }

    #[test]
    fn failed_batch_is_rolled_back_with_per_action_replies() {
        let reply = Envelope::parse(r#"<response status="error" code="13"><response status="success" code="20" id="1"><msg>command succeeded</msg></response><response status="error" code="12" id="1110"><msg><line><![CDATA[ test-new unexpected here]]></line></msg></response></response>"#).expect("valid");
        match interpret_batch(&reply) {
            Err(Error::BatchRolledBack { code, actions }) => {
                assert_eq!(code, Some(13));
                assert_eq!(actions.len(), 2);
                assert_eq!(actions[1].id, "1110");
                assert_eq!(actions[1].lines, vec!["test-new unexpected here"]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn batch_blocked_by_a_lock_reports_the_lock() {
        let reply = Envelope::parse(r#"<response status="error" code="13"><response status="error" id="1"><msg><line>Configuration is locked by bob</line></msg></response></response>"#).expect("valid");
        assert!(matches!(
            interpret_batch(&reply),
            Err(Error::LockHeld { holder: Some(h), .. }) if h == "bob"
        ));
    }
}
