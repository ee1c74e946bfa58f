//! `test security-policy-match`: which rule would the device apply to a flow?
//!
//! Parses the three response shapes PAN-OS has used (structured `entry name=…`, text
//! `name; index: N` entries, and the CDATA CLI line of Panorama-pushed rules on 8.1) and empty
//! answers. It must never invent an action the device did not state: when a shape carries no
//! action, [`PolicyMatch::Match::action`] is `None`.

use std::net::IpAddr;

use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::objects::RuleAction;
use crate::op::op_request;
use crate::retry::Idempotency;
use crate::xml::XmlNode;

/// A flow to test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyMatchQuery {
    /// Source zone.
    pub from: String,
    /// Destination zone.
    pub to: String,
    /// Source address.
    pub source: IpAddr,
    /// Destination address.
    pub destination: IpAddr,
    /// IP protocol number (6 tcp, 17 udp, 1 icmp).
    pub protocol: u8,
    /// Destination port, for tcp/udp.
    pub destination_port: Option<u16>,
    /// App-ID to test with.
    pub application: Option<String>,
    /// Source user.
    pub source_user: Option<String>,
    /// The `vsys` parameter, on multi-vsys firewalls.
    pub vsys: Option<String>,
}

impl PolicyMatchQuery {
    fn to_command(&self) -> XmlNode {
        let mut test = XmlNode::new("security-policy-match");
        let mut push = |name: &str, value: String| {
            test.children.push(XmlNode::with_text_content(name, value));
        };
        push("source", self.source.to_string());
        push("destination", self.destination.to_string());
        push("protocol", self.protocol.to_string());
        if let Some(port) = self.destination_port {
            push("destination-port", port.to_string());
        }
        if let Some(app) = &self.application {
            push("application", app.clone());
        }
        if let Some(user) = &self.source_user {
            push("source-user", user.clone());
        }
        push("from", self.from.clone());
        push("to", self.to.clone());
        push("show-all", "no".to_owned());
        XmlNode::new("test").with_child(test)
    }
}

/// The device's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyMatch {
    /// The first rule that matches. May be a predefined rule (`interzone-default`,
    /// `intrazone-default`) on versions that report those.
    Match {
        /// Rule name.
        rule: String,
        /// The rule's action, when the response shape states it.
        action: Option<RuleAction>,
        /// The rule's index, when stated.
        index: Option<u32>,
    },
    /// No rule matches.
    NoMatch,
}

/// Parses a policy-match reply (any of the three shapes, or empty).
pub(crate) fn parse_policy_match(reply: &Envelope) -> Result<PolicyMatch, Error> {
    let Some(result) = reply.result() else {
        return Ok(PolicyMatch::NoMatch);
    };
    if let Some(entry) = result.path(&["rules", "entry"]) {
        return parse_entry(entry);
    }
    if let Some(msg) = result.child("msg") {
        let lines = crate::envelope::lines_of(msg);
        return match lines.first() {
            Some(line) => parse_cli_line(line),
            None => Ok(PolicyMatch::NoMatch),
        };
    }
    Ok(PolicyMatch::NoMatch)
}

/// Shapes 1 and 3: `<entry name="R"><index>1</index><action>allow</action>…</entry>` or
/// `<entry>R; index: 3</entry>`.
fn parse_entry(entry: &XmlNode) -> Result<PolicyMatch, Error> {
    if let Some(name) = entry.attr("name") {
        let index = match entry.child_text("index") {
            Some(text) => Some(text.parse().map_err(|_| {
                Error::malformed(format!("policy match index {text:?} is not a number"))
            })?),
            None => None,
        };
        return Ok(PolicyMatch::Match {
            rule: name.to_owned(),
            action: entry.child_text("action").map(RuleAction::from_keyword),
            index,
        });
    }
    let (rule, index) = split_name_and_index(entry.trimmed_text())?;
    Ok(PolicyMatch::Match {
        rule,
        action: None,
        index,
    })
}

/// Shape 2: `"Rule Name; index: 1" { from L3-trust; source [ 10.0.0.1 ]; … action allow; … }`.
fn parse_cli_line(line: &str) -> Result<PolicyMatch, Error> {
    let quoted = line.strip_prefix('"').and_then(|rest| rest.split_once('"'));
    let Some((head, body)) = quoted else {
        return Err(Error::malformed(
            "policy match line does not start with a quoted rule name",
        ));
    };
    let (rule, index) = split_name_and_index(head)?;
    let action = body
        .split(';')
        .map(str::trim)
        .map(|clause| clause.trim_start_matches('{').trim())
        .find_map(|clause| clause.strip_prefix("action "))
        .map(|keyword| RuleAction::from_keyword(keyword.trim()));
    Ok(PolicyMatch::Match {
        rule,
        action,
        index,
    })
}

/// `deny all and log; index: 3` → (`deny all and log`, Some(3)); a name without index → None.
fn split_name_and_index(text: &str) -> Result<(String, Option<u32>), Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::malformed("policy match entry has no rule name"));
    }
    match text.rsplit_once("; index:") {
        Some((name, index)) => {
            let index = index
                .trim()
                .parse()
                .map_err(|_| Error::malformed(format!("policy match index {index:?}")))?;
            Ok((name.trim().to_owned(), Some(index)))
        }
        None => Ok((text.to_owned(), None)),
    }
}

impl Client {
    /// Asks the device which rule matches `query` (`show-all no`).
    pub async fn policy_match(&self, query: &PolicyMatchQuery) -> Result<PolicyMatch, Error> {
        let request = op_request(
            &query.to_command(),
            query.vsys.as_deref(),
            Idempotency::Idempotent,
        );
        let reply = self.send_ok(request).await?;
        parse_policy_match(&reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &str) -> PolicyMatch {
        parse_policy_match(&Envelope::parse(body).expect("valid")).expect("parses")
    }

    #[test]
    fn structured_shape_of_8_1_to_11_x() {
        let body = r#"<response cmd="status" status="success"><result><rules>
  <entry name="FromTrust"><index>1</index><from>Trust-L3</from><source>any</source><source-region>none</source-region>
    <to><member>Untrust-L3</member></to><destination>any</destination><destination-region>none</destination-region>
    <user>any</user><source-device>any</source-device><destinataion-device>any</destinataion-device>
    <category>any</category><application_service>0:any/any/any/any</application_service>
    <action>allow</action><icmp-unreachable>no</icmp-unreachable><terminal>yes</terminal></entry>
</rules></result></response>"#;
        assert_eq!(
            answer(body),
            PolicyMatch::Match {
                rule: "FromTrust".into(),
                action: Some(RuleAction::Allow),
                index: Some(1)
            }
        );
    }

    #[test]
    fn text_entry_shape_of_older_releases() {
        let body = r#"<response cmd="status" status="success"><result><rules><entry>deny all and log; index: 3</entry></rules></result></response>"#;
        assert_eq!(
            answer(body),
            PolicyMatch::Match {
                rule: "deny all and log".into(),
                action: None,
                index: Some(3)
            }
        );
    }

    #[test]
    fn cli_line_shape_of_panorama_pushed_rules() {
        let body = r#"<response cmd="status" status="success"><result><msg><line><![CDATA["Rule Name; index: 1" { from L3-trust; source [ 10.0.0.1 ]; to L3-untrust; destination any; application/service 0:any/tcp/any/443; action allow; terminal yes; }]]></line></msg></result></response>"#;
        assert_eq!(
            answer(body),
            PolicyMatch::Match {
                rule: "Rule Name".into(),
                action: Some(RuleAction::Allow),
                index: Some(1)
            }
        );
    }

    #[test]
    fn empty_answers_are_no_match() {
        for body in [
            r#"<response cmd="status" status="success"><result><rules/></result></response>"#,
            r#"<response cmd="status" status="success"><result/></response>"#,
            r#"<response status="success"/>"#,
            r#"<response status="success"><result><msg/></result></response>"#,
        ] {
            assert_eq!(answer(body), PolicyMatch::NoMatch, "{body}");
        }
    }

    #[test]
    fn predefined_default_rules_are_reported_as_matches() {
        let body = r#"<response status="success"><result><rules><entry name="interzone-default"><index>4</index><action>deny</action></entry></rules></result></response>"#;
        assert!(matches!(
            answer(body),
            PolicyMatch::Match { rule, action: Some(RuleAction::Deny), .. } if rule == "interzone-default"
        ));
    }

    #[test]
    fn garbage_is_malformed_not_a_match() {
        let bad = Envelope::parse(r#"<response status="success"><result><rules><entry name="x"><index>one</index></entry></rules></result></response>"#).expect("valid");
        assert!(parse_policy_match(&bad).is_err());
        let bad_line = Envelope::parse(r#"<response status="success"><result><msg><line>no quotes here</line></msg></result></response>"#).expect("valid");
        assert!(parse_policy_match(&bad_line).is_err());
    }

    #[test]
    fn query_serialises_like_pan_os_python() {
        let query = PolicyMatchQuery {
            from: "trust".into(),
            to: "untrust".into(),
            source: "10.0.0.1".parse().expect("ip"),
            destination: "8.8.8.8".parse().expect("ip"),
            protocol: 6,
            destination_port: Some(443),
            application: Some("ssl".into()),
            source_user: None,
            vsys: None,
        };
        assert_eq!(
            query.to_command().to_xml(),
            "<test><security-policy-match><source>10.0.0.1</source><destination>8.8.8.8</destination><protocol>6</protocol><destination-port>443</destination-port><application>ssl</application><from>trust</from><to>untrust</to><show-all>no</show-all></security-policy-match></test>"
        );
    }
}
