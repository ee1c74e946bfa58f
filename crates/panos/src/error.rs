//! The one error type of the crate, and the mapping from device answers to it.
//!
//! Every failure a caller can act on has its own variant (locks, commit in progress, session
//! timeout, missing object, failed job, transport). Messages carry the device's lines, never the
//! API key, never a request body.

use std::fmt;

use crate::commit::JobId;
use crate::multi::ActionResult;

/// Which lock blocked an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockKind {
    /// Config lock: blocks other admins' writes to the candidate.
    Config,
    /// Commit lock: blocks other admins' commits.
    Commit,
}

impl fmt::Display for LockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Config => "config",
            Self::Commit => "commit",
        })
    }
}

/// What went wrong below the XML API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// TCP connect failed (refused, unreachable, DNS).
    Connect,
    /// Connect or request timeout, or the caller's deadline.
    Timeout,
    /// TLS handshake or certificate verification failed.
    Tls,
    /// Anything else on the wire (reset connection, truncated body).
    Other,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Tls => "TLS",
            Self::Other => "transport",
        })
    }
}

/// Every failure of the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// HTTP 403: bad or expired key, bad credentials, or a role lacking rights.
    #[error("authentication failed (HTTP 403): {message}")]
    Authentication {
        /// The device's message, e.g. `Invalid Credential`.
        message: String,
    },
    /// The device answered `status="error"` for a reason with no more specific variant.
    #[error("PAN-OS API error{}: {}", code_suffix(*.code), join_lines(.lines))]
    Api {
        /// The `code` attribute, when the device sent one.
        code: Option<u32>,
        /// The message lines, trimmed.
        lines: Vec<String>,
    },
    /// Another administrator holds a lock that blocks this operation.
    #[error("{kind} lock held by {}: {}", .holder.as_deref().unwrap_or("another administrator"), join_lines(.lines))]
    LockHeld {
        /// Which lock.
        kind: LockKind,
        /// The holder's name when the device said it.
        holder: Option<String>,
        /// The message lines.
        lines: Vec<String>,
    },
    /// A commit, validate or install is running; try again later.
    #[error("a commit is in progress: {}", join_lines(.lines))]
    CommitInProgress {
        /// The message lines.
        lines: Vec<String>,
    },
    /// Code 22: the device ended the API session.
    #[error("session timed out: {}", join_lines(.lines))]
    SessionTimedOut {
        /// The message lines.
        lines: Vec<String>,
    },
    /// The addressed object (entry, job) does not exist.
    #[error("object not found: {}", join_lines(.lines))]
    ObjectNotFound {
        /// The message lines.
        lines: Vec<String>,
    },
    /// A multi-config batch failed and nothing of it was applied.
    #[error("multi-config batch rolled back{}: {}", code_suffix(*.code), describe_failed_action(.actions))]
    BatchRolledBack {
        /// Outer `code` (13 on real devices).
        code: Option<u32>,
        /// Per-action replies up to and including the failing one.
        actions: Vec<ActionResult>,
    },
    /// A job (commit, validate) finished with result FAIL.
    #[error("job {id} failed: {}", join_lines(.details))]
    JobFailed {
        /// The job id.
        id: JobId,
        /// `details` lines, e.g. `Validation Error:` and the offending paths.
        details: Vec<String>,
        /// `warnings` lines.
        warnings: Vec<String>,
    },
    /// A User-ID message was refused for the listed entries (invalid address, timeout, or a
    /// device limit such as tags per address); duplicates and absent tags never land here.
    #[error("User-ID message refused: {}", describe_uid_entries(.entries))]
    UserIdRefused {
        /// The refused entries with the device's message for each.
        entries: Vec<crate::userid::UidEntryMessage>,
    },
    /// A non-success HTTP status other than 403 (5xx, 400, 414 …).
    #[error("HTTP status {status}: {}", join_lines(.lines))]
    HttpStatus {
        /// The HTTP status code.
        status: u16,
        /// Message lines when the body was a PAN-OS envelope.
        lines: Vec<String>,
    },
    /// The request did not complete.
    #[error("{kind} error talking to the device: {message}")]
    Transport {
        /// Connect, timeout, TLS or other.
        kind: TransportKind,
        /// What happened (never contains the key: it travels in a header).
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The answer was not a PAN-OS response of the expected shape.
    #[error("malformed response: {reason}")]
    MalformedResponse {
        /// What was missing or unreadable (never the body itself).
        reason: String,
    },
    /// The client was configured wrongly (bad URL, unreadable CA file, conflicting TLS options).
    #[error("client setup: {reason}")]
    Setup {
        /// What is wrong.
        reason: String,
    },
}

impl Error {
    /// Whether a retry may succeed: transport failures, 5xx, session timeout, commit in progress.
    /// Never validation errors, locks or authentication.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. }
            | Self::SessionTimedOut { .. }
            | Self::CommitInProgress { .. } => true,
            Self::HttpStatus { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Self::MalformedResponse {
            reason: reason.into(),
        }
    }

    pub(crate) fn setup(reason: impl Into<String>) -> Self {
        Self::Setup {
            reason: reason.into(),
        }
    }

    /// Replaces `secret` (the key, a password) in every message this error carries
    /// (defence in depth: devices do not echo secrets, but a proxy or a bug might).
    pub(crate) fn scrubbed(self, secret: &str) -> Self {
        let scrub = |text: &str| crate::key::scrub_secret(text, secret);
        let lines = |lines: Vec<String>| lines.iter().map(|l| scrub(l)).collect();
        match self {
            Self::Authentication { message } => Self::Authentication {
                message: scrub(&message),
            },
            Self::Api { code, lines: l } => Self::Api {
                code,
                lines: lines(l),
            },
            Self::LockHeld {
                kind,
                holder,
                lines: l,
            } => Self::LockHeld {
                kind,
                holder,
                lines: lines(l),
            },
            Self::CommitInProgress { lines: l } => Self::CommitInProgress { lines: lines(l) },
            Self::SessionTimedOut { lines: l } => Self::SessionTimedOut { lines: lines(l) },
            Self::ObjectNotFound { lines: l } => Self::ObjectNotFound { lines: lines(l) },
            Self::JobFailed {
                id,
                details,
                warnings,
            } => Self::JobFailed {
                id,
                details: lines(details),
                warnings: lines(warnings),
            },
            Self::HttpStatus { status, lines: l } => Self::HttpStatus {
                status,
                lines: lines(l),
            },
            Self::Transport {
                kind,
                message,
                source,
            } => Self::Transport {
                kind,
                message: scrub(&message),
                source,
            },
            other => other,
        }
    }
}

fn code_suffix(code: Option<u32>) -> String {
    code.map(|c| format!(" (code {c})")).unwrap_or_default()
}

fn join_lines(lines: &[String]) -> String {
    if lines.is_empty() {
        "(no message)".to_owned()
    } else {
        lines.join("; ")
    }
}

fn describe_uid_entries(entries: &[crate::userid::UidEntryMessage]) -> String {
    let parts: Vec<String> = entries
        .iter()
        .map(|e| format!("{}: {}", e.ip, e.message))
        .collect();
    join_lines(&parts)
}

fn describe_failed_action(actions: &[ActionResult]) -> String {
    match actions.iter().find(|a| !a.succeeded()) {
        Some(failed) => format!("action {} failed: {}", failed.id, join_lines(&failed.lines)),
        None => "no action reported the failure".to_owned(),
    }
}

/// Maps an error reply (code and message lines) to the most specific variant.
pub(crate) fn classify_error_reply(code: Option<u32>, lines: Vec<String>) -> Error {
    let text = lines.join("\n");
    let lower = text.to_ascii_lowercase();
    if code == Some(22) || lower.contains("session timed out") {
        return Error::SessionTimedOut { lines };
    }
    if lower.contains("commit is in progress")
        || lower.contains("commit/validate is in progress")
        || lower.contains("install is in progress")
        || lower.contains("commit in progress")
    {
        return Error::CommitInProgress { lines };
    }
    if let Some(kind) = lock_kind(code, &lower) {
        let holder = lock_holder(&text);
        return Error::LockHeld {
            kind,
            holder,
            lines,
        };
    }
    if code == Some(403) {
        return Error::Authentication { message: text };
    }
    if code == Some(7) || lower.starts_with("no such node") || lower.contains(" not found") {
        return Error::ObjectNotFound { lines };
    }
    Error::Api { code, lines }
}

fn lock_kind(code: Option<u32>, lower: &str) -> Option<LockKind> {
    if lower.contains("commit lock is already held")
        || lower.contains("holding device wide commit locks")
        || lower.contains("commit is currently locked")
        || (code == Some(14) && lower.contains("commit lock"))
    {
        return Some(LockKind::Commit);
    }
    if lower.contains("config lock is already held")
        || lower.contains("configuration is locked by")
        || (lower.contains("config for scope") && lower.contains("currently locked"))
    {
        return Some(LockKind::Config);
    }
    None
}

/// The word after `held by` / `locked by`, without trailing punctuation.
fn lock_holder(text: &str) -> Option<String> {
    ["held by ", "locked by "].iter().find_map(|marker| {
        let lower = text.to_ascii_lowercase();
        let at = lower.find(marker)? + marker.len();
        let holder: String = text
            .get(at..)?
            .split_whitespace()
            .next()?
            .trim_end_matches(['.', ',', ';', ':'])
            .to_owned();
        (!holder.is_empty()).then_some(holder)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(code: Option<u32>, line: &str) -> Error {
        classify_error_reply(code, vec![line.to_owned()])
    }

    #[test]
    fn lock_messages_name_the_holder() {
        match classify(None, "Config lock is already held by bob") {
            Error::LockHeld { kind, holder, .. } => {
                assert_eq!(kind, LockKind::Config);
                assert_eq!(holder.as_deref(), Some("bob"));
            }
            other => panic!("unexpected {other:?}"),
        }
        match classify(None, "Configuration is locked by alice.") {
            Error::LockHeld { kind, holder, .. } => {
                assert_eq!(kind, LockKind::Config);
                assert_eq!(holder.as_deref(), Some("alice"));
            }
            other => panic!("unexpected {other:?}"),
        }
        match classify(
            Some(14),
            "Other administrators are holding device wide commit locks.",
        ) {
            Error::LockHeld { kind, holder, .. } => {
                assert_eq!(kind, LockKind::Commit);
                assert_eq!(holder, None);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn transient_causes_are_recognised() {
        assert!(classify(Some(22), "Session timed out").is_transient());
        assert!(
            classify(
                None,
                "Another commit/validate is in progress. Please try again later"
            )
            .is_transient()
        );
        assert!(classify(None, "A commit is in progress.").is_transient());
        assert!(
            !classify(Some(12), "rules -> r1 -> service is invalid").is_transient(),
            "validation errors are never retried"
        );
        assert!(!classify(None, "Config lock is already held by bob").is_transient());
    }

    #[test]
    fn missing_objects_map_to_not_found() {
        assert!(matches!(
            classify(Some(7), "job 19 not found"),
            Error::ObjectNotFound { .. }
        ));
        assert!(matches!(
            classify(None, "No such node"),
            Error::ObjectNotFound { .. }
        ));
    }

    #[test]
    fn messages_join_lines_and_show_the_code() {
        let err = classify_error_reply(
            Some(12),
            vec![
                "'x' is not a valid reference".into(),
                "rules is invalid".into(),
            ],
        );
        assert_eq!(
            err.to_string(),
            "PAN-OS API error (code 12): 'x' is not a valid reference; rules is invalid"
        );
    }
}
