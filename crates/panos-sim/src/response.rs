//! The XML bodies PAN-OS answers with: `<response status=… code=…>` envelopes for success and
//! errors, message lines (CDATA, as devices send them), and the HTTP-level 400/403 bodies.
//!
//! This module must never decide what a request means: it only renders outcomes.

use crate::failure::ApiFailure;
use crate::xml::{Element, escape};

/// An HTTP status and an XML body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub http_status: u16,
    pub body: String,
}

impl Reply {
    pub fn ok(body: String) -> Reply {
        Reply {
            http_status: 200,
            body,
        }
    }

    /// HTTP 403 with the device's exact `Invalid Credential` body.
    pub fn forbidden() -> Reply {
        Reply {
            http_status: 403,
            body: "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>".into(),
        }
    }

    /// HTTP 400 for a missing or illegal parameter.
    pub fn bad_request(msg: &str) -> Reply {
        Reply {
            http_status: 400,
            body: format!(
                "<response status = 'error' code = '400'><result><msg>{}</msg></result></response>",
                escape(msg)
            ),
        }
    }
}

fn code_attr(code: Option<u32>) -> String {
    code.map(|c| format!(" code=\"{c}\"")).unwrap_or_default()
}

/// `<line>` with CDATA content (escaped text if the line itself contains `]]>`).
pub fn line(text: &str) -> String {
    if text.contains("]]>") {
        format!("<line>{}</line>", escape(text))
    } else {
        format!("<line><![CDATA[{text}]]></line>")
    }
}

pub fn msg_lines(lines: &[String]) -> String {
    let mut out = String::from("<msg>");
    for l in lines {
        out.push_str(&line(l));
    }
    out.push_str("</msg>");
    out
}

/// `<response status="error" code="N"><msg><line>…</line></msg></response>`
pub fn error(f: &ApiFailure) -> String {
    error_with_id(f, None)
}

pub fn error_with_id(f: &ApiFailure, id: Option<&str>) -> String {
    let id = id
        .map(|i| format!(" id=\"{}\"", escape(i)))
        .unwrap_or_default();
    format!(
        "<response status=\"error\"{}{id}>{}</response>",
        code_attr(f.code),
        msg_lines(&f.lines)
    )
}

/// `<response status="success" [code]><result>inner</result></response>`
pub fn result(code: Option<u32>, inner: &str) -> String {
    format!(
        "<response status=\"success\"{}><result>{inner}</result></response>",
        code_attr(code)
    )
}

/// `<response status="success"><result>element</result></response>` for op commands.
pub fn op_result(el: &Element) -> String {
    result(None, &el.to_xml())
}

/// Plain text in `<result>`, escaped.
pub fn op_text(text: &str) -> String {
    result(None, &escape(text))
}

/// `<response status="success" code="N"><msg>text</msg></response>`
pub fn success_msg(code: u32, text: &str) -> String {
    format!(
        "<response status=\"success\" code=\"{code}\"><msg>{}</msg></response>",
        escape(text)
    )
}
