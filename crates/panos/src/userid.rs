//! `type=user-id`: tag registrations for dynamic address groups. A [`UidMessage`] holds
//! `<register>` and `<unregister>` entries; [`Client::user_id`] sends one, and
//! [`Client::update_registrations`] packs many changes into as few messages as the per-message
//! entry limit allows.
//!
//! Registering a tag an address already has, or unregistering one it lacks, is answered by the
//! device with `status="error"` and per-entry messages ending in `already exists, ignore` /
//! `does not exist, ignore unreg` (the texts pan-os-python ignores); this module treats those as
//! success, so both operations are idempotent and are retried on transient failures. Any other
//! per-entry message is [`Error::UserIdRefused`].
//!
//! Messages are built as XML trees; tag names are element text and go through escaping.

use std::net::IpAddr;

use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::retry::Idempotency;
use crate::stats::RequestKind;
use crate::transport::ApiRequest;
use crate::xml::XmlNode;

/// Default most entries (register plus unregister) in one message.
pub const DEFAULT_UID_ENTRIES_PER_MESSAGE: usize = 1000;

/// Suffixes of per-entry messages that report nothing to do.
const BENIGN_SUFFIXES: [&str; 2] = ["already exists, ignore", "does not exist, ignore unreg"];

/// One tag of a register entry, with its timeout in seconds (`None` or 0: never expires;
/// PAN-OS accepts at most 2,592,000).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidTag {
    /// Tag name.
    pub name: String,
    /// Seconds until the device drops the tag.
    pub timeout: Option<u32>,
}

/// One address of a register or unregister list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UidEntry {
    /// The address.
    pub ip: IpAddr,
    /// Tags; for an unregister entry, empty means every tag of the address.
    pub tags: Vec<UidTag>,
    /// `persistent="0|1"` (keep across a reboot); absent when `None`.
    pub persistent: Option<bool>,
}

/// A User-ID `update` message: unregistrations, then registrations (the device applies the
/// payload in document order, so a tag in both ends registered).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UidMessage {
    /// `<register>` entries.
    pub register: Vec<UidEntry>,
    /// `<unregister>` entries.
    pub unregister: Vec<UidEntry>,
}

impl UidMessage {
    /// An empty message.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `tags` to `ip`, each with `timeout`.
    #[must_use]
    pub fn register<S: AsRef<str>>(mut self, ip: IpAddr, tags: &[S], timeout: Option<u32>) -> Self {
        self.register.push(UidEntry {
            ip,
            tags: uid_tags(tags, timeout),
            persistent: None,
        });
        self
    }

    /// Removes `tags` from `ip`; no tags removes all of them.
    #[must_use]
    pub fn unregister<S: AsRef<str>>(mut self, ip: IpAddr, tags: &[S]) -> Self {
        self.unregister.push(UidEntry {
            ip,
            tags: uid_tags(tags, None),
            persistent: None,
        });
        self
    }

    /// Register plus unregister entries.
    pub fn entry_count(&self) -> usize {
        self.register.len() + self.unregister.len()
    }

    /// Whether the message holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entry_count() == 0
    }

    /// `<uid-message><version>1.0</version><type>update</type><payload>…</payload></uid-message>`
    /// (version 1.0, as pan-os-python sends).
    pub fn to_xml(&self) -> String {
        let mut payload = XmlNode::new("payload");
        if !self.unregister.is_empty() {
            payload
                .children
                .push(list_node("unregister", &self.unregister, false));
        }
        if !self.register.is_empty() {
            payload
                .children
                .push(list_node("register", &self.register, true));
        }
        XmlNode::new("uid-message")
            .with_child(XmlNode::with_text_content("version", "1.0"))
            .with_child(XmlNode::with_text_content("type", "update"))
            .with_child(payload)
            .to_xml()
    }
}

fn uid_tags<S: AsRef<str>>(tags: &[S], timeout: Option<u32>) -> Vec<UidTag> {
    tags.iter()
        .map(|t| UidTag {
            name: t.as_ref().to_owned(),
            timeout,
        })
        .collect()
}

fn list_node(name: &str, entries: &[UidEntry], with_timeouts: bool) -> XmlNode {
    let mut list = XmlNode::new(name);
    for entry in entries {
        let mut node = XmlNode::new("entry").with_attr("ip", entry.ip.to_string());
        if let Some(p) = entry.persistent {
            node = node.with_attr("persistent", if p { "1" } else { "0" });
        }
        if !entry.tags.is_empty() {
            let mut tag = XmlNode::new("tag");
            for t in &entry.tags {
                let mut member = XmlNode::with_text_content("member", t.name.clone());
                if let (true, Some(timeout)) = (with_timeouts, t.timeout) {
                    member = member.with_attr("timeout", timeout.to_string());
                }
                tag.children.push(member);
            }
            node.children.push(tag);
        }
        list.children.push(node);
    }
    list
}

/// A per-entry message of a refused User-ID message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UidEntryMessage {
    /// The entry's `ip` attribute, as the device echoed it.
    pub ip: String,
    /// The device's message.
    pub message: String,
}

/// Per-entry messages of a `uid-response`, if the reply carries one.
fn uid_entry_messages(reply: &Envelope) -> Option<Vec<UidEntryMessage>> {
    let payload = reply
        .root
        .path(&["msg", "line", "uid-response", "payload"])
        .or_else(|| reply.root.path(&["result", "uid-response", "payload"]))?;
    Some(
        payload
            .children
            .iter()
            .flat_map(|list| list.children_named("entry"))
            .map(|e| UidEntryMessage {
                ip: e.attr("ip").unwrap_or_default().to_owned(),
                message: e.attr("message").unwrap_or_default().trim().to_owned(),
            })
            .collect(),
    )
}

/// `Ok` for success or nothing-to-do notes; the typed error otherwise.
fn interpret_uid_reply(reply: &Envelope) -> Result<(), Error> {
    if reply.success {
        return Ok(());
    }
    match uid_entry_messages(reply) {
        Some(entries) if !entries.is_empty() => {
            let refused: Vec<UidEntryMessage> = entries
                .into_iter()
                .filter(|e| !BENIGN_SUFFIXES.iter().any(|s| e.message.ends_with(s)))
                .collect();
            if refused.is_empty() {
                Ok(())
            } else {
                Err(Error::UserIdRefused { entries: refused })
            }
        }
        _ => Err(reply.to_error()),
    }
}

/// Splits register and unregister changes into messages of at most `per_message` entries,
/// unregistrations first so that a tag moved between them ends registered.
pub(crate) fn pack_messages(
    register: &[(IpAddr, Vec<String>)],
    unregister: &[(IpAddr, Vec<String>)],
    timeout: Option<u32>,
    per_message: usize,
) -> Vec<UidMessage> {
    let per_message = per_message.max(1);
    let mut messages = Vec::new();
    let mut current = UidMessage::new();
    let changes = unregister.iter().map(|c| (false, c)).chain(
        register
            .iter()
            .filter(|(_, t)| !t.is_empty())
            .map(|c| (true, c)),
    );
    for (is_register, (ip, tags)) in changes {
        if current.entry_count() == per_message {
            messages.push(std::mem::take(&mut current));
        }
        current = if is_register {
            current.register(*ip, tags, timeout)
        } else {
            current.unregister(*ip, tags)
        };
    }
    if !current.is_empty() {
        messages.push(current);
    }
    messages
}

impl Client {
    /// Sends one User-ID message to `vsys`. Duplicate registrations and unregistrations of
    /// absent tags count as success; other per-entry refusals are [`Error::UserIdRefused`].
    pub async fn user_id(&self, vsys: &str, message: &UidMessage) -> Result<(), Error> {
        let request = ApiRequest {
            kind: RequestKind::UserId,
            params: vec![
                ("type", "user-id".to_owned()),
                ("vsys", vsys.to_owned()),
                ("cmd", message.to_xml()),
            ],
            idempotency: Idempotency::Idempotent,
        };
        let reply = self.send(request).await?;
        interpret_uid_reply(&reply).map_err(|e| self.scrub(e))
    }

    /// Registers `register` (address, tags, each with `timeout`) and unregisters `unregister`
    /// (address, tags; no tags: all of the address's tags) in as few messages as possible, at
    /// most [`ClientBuilder::uid_entries_per_message`](crate::ClientBuilder::uid_entries_per_message)
    /// entries each. Register entries without tags are skipped. Returns how many messages were
    /// sent (0 when there is nothing to do). Stops at the first message that fails; earlier
    /// ones stay applied (re-running converges, as both operations are idempotent).
    pub async fn update_registrations(
        &self,
        vsys: &str,
        register: &[(IpAddr, Vec<String>)],
        unregister: &[(IpAddr, Vec<String>)],
        timeout: Option<u32>,
    ) -> Result<usize, Error> {
        let messages = pack_messages(
            register,
            unregister,
            timeout,
            self.userid.entries_per_message,
        );
        for message in &messages {
            self.user_id(vsys, message).await?;
        }
        Ok(messages.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test ip")
    }

    #[test]
    fn messages_are_built_as_pan_os_python_sends_them() {
        let msg = UidMessage::new()
            .register(ip("10.0.0.1"), &["a<b", "c"], Some(60))
            .unregister(ip("2001:db8::1"), &[] as &[&str]);
        assert_eq!(
            msg.to_xml(),
            "<uid-message><version>1.0</version><type>update</type><payload><unregister><entry ip=\"2001:db8::1\"/></unregister><register><entry ip=\"10.0.0.1\"><tag><member timeout=\"60\">a&lt;b</member><member timeout=\"60\">c</member></tag></entry></register></payload></uid-message>"
        );
    }

    #[test]
    fn packing_respects_the_entry_limit_and_puts_unregistrations_first() {
        let reg: Vec<(IpAddr, Vec<String>)> = (1..=5)
            .map(|i| (ip(&format!("10.0.0.{i}")), vec!["t".to_owned()]))
            .collect();
        let unreg = vec![(ip("10.0.1.1"), vec![])];
        let msgs = pack_messages(&reg, &unreg, None, 2);
        assert_eq!(msgs.len(), 3);
        assert_eq!(msgs[0].unregister.len(), 1);
        assert_eq!(msgs[0].register.len(), 1);
        assert!(msgs.iter().all(|m| m.entry_count() <= 2));
        assert_eq!(pack_messages(&reg, &unreg, None, 1000).len(), 1);
        assert!(pack_messages(&[], &[], None, 10).is_empty());
        assert!(pack_messages(&[(ip("10.0.0.9"), vec![])], &[], None, 10).is_empty());
    }

    #[test]
    fn benign_notes_are_success_and_other_entry_messages_are_refusals() {
        let dup = Envelope::parse(r#"<response status="error"><msg><line><uid-response><version>2.0</version><payload><register><entry ip="10.0.0.1" message="a already exists, ignore"/></register><unregister><entry ip="10.0.0.1" message="b does not exist, ignore unreg"/></unregister></payload></uid-response></line></msg></response>"#).expect("valid");
        assert!(interpret_uid_reply(&dup).is_ok());
        let bad = Envelope::parse(r#"<response status="error"><msg><line><uid-response><payload><register><entry ip="xxx" message="Invalid IP address"/><entry ip="10.0.0.1" message="a already exists, ignore"/></register></payload></uid-response></line></msg></response>"#).expect("valid");
        match interpret_uid_reply(&bad) {
            Err(Error::UserIdRefused { entries }) => {
                assert_eq!(
                    entries,
                    vec![UidEntryMessage {
                        ip: "xxx".into(),
                        message: "Invalid IP address".into()
                    }]
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        let malformed = Envelope::parse(
            r#"<response status="error" code="18"><msg><line>Malformed Request</line></msg></response>"#,
        )
        .expect("valid");
        assert!(matches!(
            interpret_uid_reply(&malformed),
            Err(Error::Api { code: Some(18), .. })
        ));
    }
}
