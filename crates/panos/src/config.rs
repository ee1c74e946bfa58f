//! `type=config` actions: get (candidate), show (running), set, edit, delete, rename, move, and
//! typed helpers over [`ConfigEntry`] types.
//!
//! Benign device answers are successes here: a missing node on get/show is `None`, deleting a
//! missing node is [`Deleted::WasAbsent`], moving an entry already at the top/bottom is `Ok`.
//! Nothing in this module pastes names into xpaths; [`XPath`] does the quoting.

use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::objects::{ConfigEntry, SecurityRule};
use crate::retry::Idempotency;
use crate::stats::RequestKind;
use crate::transport::ApiRequest;
use crate::xml::XmlNode;
use crate::xpath::{Location, XPath};

/// Where `move` puts an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// First in its list.
    Top,
    /// Last in its list.
    Bottom,
    /// Directly before the named sibling.
    Before(String),
    /// Directly after the named sibling.
    After(String),
}

impl Position {
    pub(crate) fn params(&self) -> (&'static str, Option<&str>) {
        match self {
            Self::Top => ("top", None),
            Self::Bottom => ("bottom", None),
            Self::Before(dst) => ("before", Some(dst)),
            Self::After(dst) => ("after", Some(dst)),
        }
    }
}

/// Outcome of a delete: both are successes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The node existed and is gone from the candidate.
    Removed,
    /// The node did not exist (code 7 `Object doesn't exist`).
    WasAbsent,
}

pub(crate) fn config_request(
    kind: RequestKind,
    action: &'static str,
    xpath: &XPath,
    idempotency: Idempotency,
) -> ApiRequest {
    ApiRequest {
        kind,
        params: vec![
            ("type", "config".to_owned()),
            ("action", action.to_owned()),
            ("xpath", xpath.as_str().to_owned()),
        ],
        idempotency,
    }
}

/// The nodes a successful get/show selected, or `None` when the reply says the node is absent.
fn selected_nodes(reply: &Envelope) -> Option<Vec<XmlNode>> {
    if reply.code == Some(7) {
        return None;
    }
    let nodes = reply.result()?.children.clone();
    (!nodes.is_empty()).then_some(nodes)
}

/// Whether an error reply means "nothing there" (show's `No such node`, delete's code 7).
fn is_absent_reply(reply: &Envelope) -> bool {
    matches!(reply.to_error(), Error::ObjectNotFound { .. })
}

/// A success reply with code 7 to an action that needs its target (move, rename): the target
/// does not exist, which must not pass as done.
fn absent_is_not_found(reply: &Envelope) -> Result<(), Error> {
    if reply.code == Some(7) {
        Err(Error::ObjectNotFound {
            lines: reply.lines(),
        })
    } else {
        Ok(())
    }
}

/// `already at the top` / `already at the bottom`: the entry is where it was asked to be.
fn is_already_in_place(reply: &Envelope) -> bool {
    reply
        .lines()
        .iter()
        .any(|l| l.to_ascii_lowercase().contains("already at the"))
}

impl Client {
    /// Candidate config at `xpath`: the first selected node, or `None` when absent.
    pub async fn get(&self, xpath: &XPath) -> Result<Option<XmlNode>, Error> {
        Ok(self.get_all(xpath).await?.into_iter().next())
    }

    /// Candidate config at `xpath`: every selected node (empty when absent).
    pub async fn get_all(&self, xpath: &XPath) -> Result<Vec<XmlNode>, Error> {
        let request = config_request(
            RequestKind::ConfigGet,
            "get",
            xpath,
            Idempotency::Idempotent,
        );
        let reply = self.send_ok(request).await?;
        Ok(selected_nodes(&reply).unwrap_or_default())
    }

    /// Running (committed) config at `xpath`, or `None` when absent (`No such node`).
    pub async fn show(&self, xpath: &XPath) -> Result<Option<XmlNode>, Error> {
        let request = config_request(
            RequestKind::ConfigShow,
            "show",
            xpath,
            Idempotency::Idempotent,
        );
        let reply = self.send(request).await?;
        if !reply.success {
            return if is_absent_reply(&reply) {
                Ok(None)
            } else {
                Err(self.scrub(reply.to_error()))
            };
        }
        Ok(selected_nodes(&reply).and_then(|nodes| nodes.into_iter().next()))
    }

    /// Creates or merges `element` under `xpath` (member lists are unioned; nothing removed).
    pub async fn set(&self, xpath: &XPath, element: &XmlNode) -> Result<(), Error> {
        self.write_element(RequestKind::ConfigSet, "set", xpath, element)
            .await
    }

    /// Replaces the node at `xpath` with `element` (whose root must match the last step);
    /// creates it when its parent exists.
    pub async fn edit(&self, xpath: &XPath, element: &XmlNode) -> Result<(), Error> {
        self.write_element(RequestKind::ConfigEdit, "edit", xpath, element)
            .await
    }

    async fn write_element(
        &self,
        kind: RequestKind,
        action: &'static str,
        xpath: &XPath,
        element: &XmlNode,
    ) -> Result<(), Error> {
        let mut request = config_request(kind, action, xpath, Idempotency::Idempotent);
        request.params.push(("element", element.to_xml()));
        self.send_ok(request).await.map(drop)
    }

    /// Deletes the node at `xpath`; a missing node is a success.
    pub async fn delete(&self, xpath: &XPath) -> Result<Deleted, Error> {
        let request = config_request(
            RequestKind::ConfigDelete,
            "delete",
            xpath,
            Idempotency::Idempotent,
        );
        let reply = self.send(request).await?;
        match (reply.success, reply.code) {
            (true, Some(7)) => Ok(Deleted::WasAbsent),
            (true, _) => Ok(Deleted::Removed),
            (false, _) if is_absent_reply(&reply) => Ok(Deleted::WasAbsent),
            (false, _) => Err(self.scrub(reply.to_error())),
        }
    }

    /// Renames the entry at `xpath` (keeps its position and uuid). Not retried.
    pub async fn rename(&self, xpath: &XPath, new_name: &str) -> Result<(), Error> {
        let mut request = config_request(
            RequestKind::ConfigRename,
            "rename",
            xpath,
            Idempotency::NotIdempotent,
        );
        request.params.push(("newname", new_name.to_owned()));
        let reply = self.send_ok(request).await?;
        absent_is_not_found(&reply).map_err(|e| self.scrub(e))
    }

    /// Moves the entry at `xpath`; "already at the top/bottom" is a success.
    pub async fn move_entry(&self, xpath: &XPath, position: &Position) -> Result<(), Error> {
        let mut request = config_request(
            RequestKind::ConfigMove,
            "move",
            xpath,
            Idempotency::Idempotent,
        );
        let (place, dst) = position.params();
        request.params.push(("where", place.to_owned()));
        if let Some(dst) = dst {
            request.params.push(("dst", dst.to_owned()));
        }
        let reply = self.send(request).await?;
        if reply.success {
            absent_is_not_found(&reply).map_err(|e| self.scrub(e))
        } else if is_already_in_place(&reply) {
            Ok(())
        } else {
            Err(self.scrub(reply.to_error()))
        }
    }

    /// Every entry of type `T` at `location`, in device order (candidate config).
    pub async fn list<T: ConfigEntry>(&self, location: &Location) -> Result<Vec<T>, Error> {
        let Some(container) = self.get(&T::container(location)).await? else {
            return Ok(Vec::new());
        };
        container
            .children_named("entry")
            .map(T::from_entry)
            .collect()
    }

    /// Security rules at `location`, in evaluation order (candidate config).
    pub async fn security_rules(&self, location: &Location) -> Result<Vec<SecurityRule>, Error> {
        self.list(location).await
    }

    /// One entry, or `None` when absent (candidate config).
    pub async fn get_entry<T: ConfigEntry>(
        &self,
        location: &Location,
        name: &str,
    ) -> Result<Option<T>, Error> {
        match self.get(&T::xpath(location, name)).await? {
            Some(entry) => T::from_entry(&entry).map(Some),
            None => Ok(None),
        }
    }

    /// Creates `entry` (set on its container; a new rule lands at the bottom). If an entry of
    /// that name exists, PAN-OS merges into it; use [`Client::replace`] to overwrite.
    pub async fn create<T: ConfigEntry>(
        &self,
        location: &Location,
        entry: &T,
    ) -> Result<(), Error> {
        self.set(&T::container(location), &entry.to_entry()).await
    }

    /// Replaces `entry` wholesale (edit), creating it when absent.
    pub async fn replace<T: ConfigEntry>(
        &self,
        location: &Location,
        entry: &T,
    ) -> Result<(), Error> {
        self.edit(&T::xpath(location, entry.name()), &entry.to_entry())
            .await
    }

    /// Deletes the entry named `name`; absent is a success.
    pub async fn delete_entry<T: ConfigEntry>(
        &self,
        location: &Location,
        name: &str,
    ) -> Result<Deleted, Error> {
        self.delete(&T::xpath(location, name)).await
    }

    /// Renames the entry named `name`.
    pub async fn rename_entry<T: ConfigEntry>(
        &self,
        location: &Location,
        name: &str,
        new_name: &str,
    ) -> Result<(), Error> {
        self.rename(&T::xpath(location, name), new_name).await
    }

    /// Moves the security rule named `name`.
    pub async fn move_rule(
        &self,
        location: &Location,
        name: &str,
        position: &Position,
    ) -> Result<(), Error> {
        self.move_entry(&location.security_rule(name), position)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> Envelope {
        Envelope::parse(body).expect("valid envelope")
    }

    #[test]
    fn get_success_selects_the_container_node() {
        let r = reply(
            r#"<response status="success" code="19"><result total-count="1" count="1"><rules><entry name="a"/><entry name="b"/></rules></result></response>"#,
        );
        let nodes = selected_nodes(&r).expect("present");
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].name, "rules");
        assert_eq!(nodes[0].children_named("entry").count(), 2);
    }

    #[test]
    fn get_of_a_missing_node_is_absent() {
        assert_eq!(
            selected_nodes(&reply(
                r#"<response status="success" code="7"><result/></response>"#
            )),
            None
        );
        assert_eq!(
            selected_nodes(&reply(
                r#"<response status="success" code="19"><result total-count="0" count="0"/></response>"#
            )),
            None
        );
    }

    #[test]
    fn show_missing_and_delete_missing_are_absent() {
        assert!(is_absent_reply(&reply(
            r#"<response status="error"><msg><line>No such node</line></msg></response>"#
        )));
        assert!(!is_absent_reply(&reply(
            r#"<response status="error" code="10"><msg><line>h1 cannot be deleted because of references from:</line></msg></response>"#
        )));
    }

    #[test]
    fn already_at_top_or_bottom_is_in_place() {
        assert!(is_already_in_place(&reply(
            r#"<response status="error"><msg><line>already at the top</line></msg></response>"#
        )));
        assert!(is_already_in_place(&reply(
            r#"<response status="error" code="12"><msg>already at the bottom</msg></response>"#
        )));
        assert!(!is_already_in_place(&reply(
            r#"<response status="error"><msg><line>No such node</line></msg></response>"#
        )));
    }

    #[test]
    fn code_7_success_to_a_move_or_rename_is_not_found() {
        let absent = reply(
            r#"<response status="success" code="7"><msg>Object doesn't exist</msg></response>"#,
        );
        assert!(matches!(
            absent_is_not_found(&absent),
            Err(Error::ObjectNotFound { .. })
        ));
        let done = reply(
            r#"<response status="success" code="20"><msg>command succeeded</msg></response>"#,
        );
        assert!(absent_is_not_found(&done).is_ok());
    }

    #[test]
    fn position_parameters() {
        assert_eq!(Position::Top.params(), ("top", None));
        assert_eq!(Position::Bottom.params(), ("bottom", None));
        assert_eq!(
            Position::Before("Clean up".into()).params(),
            ("before", Some("Clean up"))
        );
        assert_eq!(Position::After("x".into()).params(), ("after", Some("x")));
    }
}
