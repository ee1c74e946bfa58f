//! The error a PAN-OS API call answers with: an optional numeric `code` attribute and the
//! message lines PAN-OS puts under `<msg><line>`. Shared by every layer that can refuse a request.
//!
//! This module must never decide HTTP status codes: those belong to the HTTP layer.

/// PAN-OS XML API error codes (see panos-xml-api.md §2).
pub mod code {
    pub const UNKNOWN_COMMAND: u32 = 1;
    pub const BAD_XPATH: u32 = 6;
    pub const OBJECT_NOT_PRESENT: u32 = 7;
    pub const OBJECT_NOT_UNIQUE: u32 = 8;
    pub const REFERENCE_COUNT_NOT_ZERO: u32 = 10;
    pub const INVALID_OBJECT: u32 = 12;
    pub const OPERATION_FAILED: u32 = 13;
    pub const OPERATION_NOT_POSSIBLE: u32 = 14;
    pub const OPERATION_DENIED: u32 = 15;
    pub const UNAUTHORIZED: u32 = 16;
    pub const INVALID_COMMAND: u32 = 17;
    pub const MALFORMED_COMMAND: u32 = 18;
    pub const SUCCESS_READ: u32 = 19;
    pub const SUCCESS_WRITE: u32 = 20;
    pub const SESSION_TIMED_OUT: u32 = 22;
}

/// A refused request, as PAN-OS reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code {code:?}: {}", lines.join(" | "))]
pub struct ApiFailure {
    /// `None` where PAN-OS omits the attribute (e.g. `No such node`, lock errors).
    pub code: Option<u32>,
    pub lines: Vec<String>,
}

impl ApiFailure {
    pub fn new(code: u32, line: impl Into<String>) -> Self {
        ApiFailure {
            code: Some(code),
            lines: vec![line.into()],
        }
    }

    pub fn with_lines(code: u32, lines: Vec<String>) -> Self {
        ApiFailure {
            code: Some(code),
            lines,
        }
    }

    /// An error without a code attribute, as many op errors are.
    pub fn uncoded(line: impl Into<String>) -> Self {
        ApiFailure {
            code: None,
            lines: vec![line.into()],
        }
    }

    pub fn invalid(lines: Vec<String>) -> Self {
        Self::with_lines(code::INVALID_OBJECT, lines)
    }

    pub fn bad_xpath(detail: impl std::fmt::Display) -> Self {
        Self::new(code::BAD_XPATH, format!("Bad XPath: {detail}"))
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(code::MALFORMED_COMMAND, detail)
    }
}

impl From<crate::xpath::XPathError> for ApiFailure {
    fn from(e: crate::xpath::XPathError) -> Self {
        ApiFailure::new(code::BAD_XPATH, e.to_string())
    }
}
