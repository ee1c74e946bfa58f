//! The `<response status=… code=…>` envelope every PAN-OS answer comes in.
//!
//! Reads the status and code, finds message lines wherever devices put them (the search order of
//! pan-python), and turns error replies into typed [`Error`]s. It decides nothing about what a
//! particular action's reply means; the action modules do that.

use crate::error::{Error, classify_error_reply};
use crate::xml::XmlNode;

/// One parsed API reply.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// True for `status="success"`; `error` and `failed` are failures.
    pub success: bool,
    /// The `code` attribute, if present and numeric.
    pub code: Option<u32>,
    /// The whole `<response>` element.
    pub root: XmlNode,
}

impl Envelope {
    /// Parses a response body. Fails when it is not XML or the root is not a `<response>`
    /// carrying `status`.
    pub fn parse(body: &str) -> Result<Self, Error> {
        let root = XmlNode::parse(body).map_err(|e| Error::malformed(e.to_string()))?;
        Self::from_node(root)
    }

    /// Reads an already parsed `<response>` element (also used for multi-config sub-replies).
    pub fn from_node(root: XmlNode) -> Result<Self, Error> {
        if root.name != "response" {
            return Err(Error::malformed(format!(
                "root element is <{}>, expected <response>",
                root.name
            )));
        }
        let success = match root.attr("status").map(str::trim) {
            Some("success") => true,
            Some("error" | "failed") => false,
            Some(other) => {
                return Err(Error::malformed(format!(
                    "unknown response status {other:?}"
                )));
            }
            None => return Err(Error::malformed("response has no status attribute")),
        };
        let code = root.attr("code").and_then(|c| c.trim().parse().ok());
        Ok(Self {
            success,
            code,
            root,
        })
    }

    /// The `<result>` element, if any.
    pub fn result(&self) -> Option<&XmlNode> {
        self.root.child("result")
    }

    /// Message lines, trimmed, in pan-python's search order: `msg`, `result/msg`,
    /// `result/job/details/line`.
    pub fn lines(&self) -> Vec<String> {
        message_lines(&self.root)
    }

    /// Whether any message line starts with `prefix` (ASCII case-insensitive).
    pub fn has_line_starting_with(&self, prefix: &str) -> bool {
        let prefix = prefix.to_ascii_lowercase();
        self.lines()
            .iter()
            .any(|l| l.to_ascii_lowercase().starts_with(&prefix))
    }

    /// The typed error for a failed reply.
    pub fn to_error(&self) -> Error {
        classify_error_reply(self.code, self.lines())
    }

    /// `Ok(self)` for success, the typed error otherwise.
    pub fn into_success(self) -> Result<Self, Error> {
        if self.success {
            Ok(self)
        } else {
            Err(self.to_error())
        }
    }
}

/// Message lines of a `<response>` element.
pub(crate) fn message_lines(response: &XmlNode) -> Vec<String> {
    let candidates = [
        response.child("msg"),
        response.path(&["result", "msg"]),
        response.path(&["result", "job", "details"]),
    ];
    for container in candidates.into_iter().flatten() {
        let lines = lines_of(container);
        if !lines.is_empty() {
            return lines;
        }
    }
    Vec::new()
}

/// Lines inside a `msg`-like container: `<line>` children (possibly nested `<line><line>`, or
/// holding structured children such as `uid-response`), else the container's bare text.
pub(crate) fn lines_of(container: &XmlNode) -> Vec<String> {
    let mut out = Vec::new();
    let mut saw_line = false;
    for line in container.children_named("line") {
        saw_line = true;
        if line.child("line").is_some() {
            out.extend(lines_of(line));
        } else if line.children.is_empty() {
            push_trimmed(&mut out, &line.text);
        } else {
            collect_texts(line, &mut out);
        }
    }
    if !saw_line {
        push_trimmed(&mut out, &container.text);
    }
    out
}

fn collect_texts(node: &XmlNode, out: &mut Vec<String>) {
    push_trimmed(out, &node.text);
    for child in &node.children {
        collect_texts(child, out);
    }
}

fn push_trimmed(out: &mut Vec<String>, text: &str) {
    let trimmed = text.trim();
    if !trimmed.is_empty() {
        out.push(trimmed.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Envelope {
        Envelope::parse(body).expect("valid envelope")
    }

    #[test]
    fn write_success_with_code_20() {
        let env = parse(
            r#"<response status="success" code="20"><msg>command succeeded</msg></response>"#,
        );
        assert!(env.success);
        assert_eq!(env.code, Some(20));
        assert_eq!(env.lines(), vec!["command succeeded"]);
    }

    #[test]
    fn validation_error_with_cdata_lines() {
        let env = parse(
            r#"<response status="error" code="12"><msg><line><![CDATA[ rules -> r1 -> service 'x' is not a valid reference]]></line><line><![CDATA[ rules -> r1 -> service is invalid]]></line></msg></response>"#,
        );
        assert!(!env.success);
        assert_eq!(
            env.lines(),
            vec![
                "rules -> r1 -> service 'x' is not a valid reference",
                "rules -> r1 -> service is invalid"
            ]
        );
        assert!(matches!(env.to_error(), Error::Api { code: Some(12), .. }));
    }

    #[test]
    fn nested_lines_and_result_msg() {
        let nested = parse(
            r#"<response status="error"><msg><line><line>first</line><line>second</line></line></msg></response>"#,
        );
        assert_eq!(nested.lines(), vec!["first", "second"]);
        let in_result = parse(
            r#"<response status = 'error' code = '400'><result><msg>Illegal value for parameter "type" [version].</msg></result></response>"#,
        );
        assert_eq!(
            in_result.lines(),
            vec![r#"Illegal value for parameter "type" [version]."#]
        );
    }

    #[test]
    fn show_of_missing_node_has_no_code() {
        let env =
            parse(r#"<response status="error"><msg><line>No such node</line></msg></response>"#);
        assert_eq!(env.code, None);
        assert!(env.has_line_starting_with("no such node"));
        assert!(matches!(env.to_error(), Error::ObjectNotFound { .. }));
    }

    #[test]
    fn failed_status_is_a_failure_and_missing_status_is_malformed() {
        assert!(!parse(r#"<response status="failed"/>"#).success);
        assert!(matches!(
            Envelope::parse("<response/>"),
            Err(Error::MalformedResponse { .. })
        ));
        assert!(matches!(
            Envelope::parse("<html><body>proxy error</body></html>"),
            Err(Error::MalformedResponse { .. })
        ));
    }

    #[test]
    fn job_details_are_the_last_resort_for_lines() {
        let env = parse(
            r#"<response status="success"><result><job><details><line>Configuration committed successfully</line></details></job></result></response>"#,
        );
        assert_eq!(env.lines(), vec!["Configuration committed successfully"]);
    }

    #[test]
    fn uid_response_lines_flatten_their_texts() {
        let env = parse(
            r#"<response status="error"><msg><line><uid-response><payload><login><entry message="x"/></login></payload></uid-response></line></msg></response>"#,
        );
        assert!(env.lines().is_empty());
        let env = parse(
            r#"<response status="error"><msg><line><uid-response><payload>user map failed</payload></uid-response></line></msg></response>"#,
        );
        assert_eq!(env.lines(), vec!["user map failed"]);
    }
}
