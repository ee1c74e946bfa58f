//! Per-administrator uncommitted changes: who has any, and reverting one admin's own.
//!
//! `check pending-changes` is global (any admin's edit makes it `yes`), so a tool that must
//! commit only its own work needs these. Commands as agreed in the project's device notes
//! (`/work/shared` device behaviours C and D): `show config list admins` [?] and PAN-OS 8.0+
//! `revert config partial admin <name>` (PAN-OS admin guide, "Revert Firewall Configuration
//! Changes"). A non-superuser may only revert its own changes; the device refuses otherwise.

use crate::client::Client;
use crate::error::Error;
use crate::op::{op_command, op_request};
use crate::retry::Idempotency;
use crate::xml::XmlNode;

fn pending_admins_command() -> XmlNode {
    op_command(&["show", "config", "list", "admins"])
}

fn revert_admin_command(admin: &str) -> XmlNode {
    let mut cmd = op_command(&["revert", "config", "partial", "admin"]);
    let admin_node = &mut cmd.children[0].children[0].children[0];
    admin_node
        .children
        .push(XmlNode::with_text_content("member", admin));
    cmd
}

/// Reads `<result><admins><member>a</member>…</admins></result>`; no `<admins>` is nobody.
fn parse_pending_admins(result: &XmlNode) -> Vec<String> {
    result.members_of("admins")
}

impl Client {
    /// Administrators with uncommitted changes in the candidate, as the device lists them.
    pub async fn admins_with_pending_changes(&self) -> Result<Vec<String>, Error> {
        let result = self.op(&pending_admins_command(), None).await?;
        Ok(parse_pending_admins(&result))
    }

    /// Reverts `admin`'s uncommitted changes only (others' stay). Nothing to revert is a
    /// success. Idempotent: reverting twice leaves the same candidate.
    pub async fn revert_admin_changes(&self, admin: &str) -> Result<(), Error> {
        let request = op_request(&revert_admin_command(admin), None, Idempotency::Idempotent);
        self.send_ok(request).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;

    #[test]
    fn commands_have_the_agreed_shape() {
        assert_eq!(
            pending_admins_command().to_xml(),
            "<show><config><list><admins/></list></config></show>"
        );
        assert_eq!(
            revert_admin_command("palosync").to_xml(),
            "<revert><config><partial><admin><member>palosync</member></admin></partial></config></revert>"
        );
    }

    #[test]
    fn pending_admins_parse_with_and_without_members() {
        let some = Envelope::parse(r#"<response status="success"><result><admins><member>admin</member><member>bob</member></admins></result></response>"#).expect("valid");
        assert_eq!(
            parse_pending_admins(some.result().expect("result")),
            vec!["admin", "bob"]
        );
        let none =
            Envelope::parse(r#"<response status="success"><result><admins/></result></response>"#)
                .expect("valid");
        assert!(parse_pending_admins(none.result().expect("result")).is_empty());
    }
}
