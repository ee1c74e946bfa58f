//! The API key as a secret value.
//!
//! The key must never appear in a URL, a log line, `Debug`/`Display` output or an error message.
//! [`ApiKey`] prints `<redacted>`; the only way to read it is [`ApiKey::expose`], which the
//! transport calls once per request to fill the `X-PAN-KEY` header.

use std::fmt;

/// A PAN-OS API key. `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (a trailing newline from a secret store) is dropped.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.len() == key.len() {
            Self(key)
        } else {
            Self(trimmed.to_owned())
        }
    }

    /// The key itself. Only the transport should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the key in `text` with `<redacted>`.
    ///
    /// Defence in depth for messages that echo device output: the device never should
    /// echo the key, but if it did, it would not reach a log through us.
    pub fn scrub(&self, text: &str) -> String {
        scrub_secret(text, &self.0)
    }
}

/// `text` with every occurrence of `secret` replaced by `<redacted>`.
pub(crate) fn scrub_secret(text: &str, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        return text.to_owned();
    }
    text.replace(secret, REDACTED)
}

pub(crate) const REDACTED: &str = "<redacted>";

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(")?;
        f.write_str(REDACTED)?;
        f.write_str(")")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = ApiKey::new("LUFRPT1secret==");
        assert_eq!(format!("{key}"), "<redacted>");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert!(!format!("{:#?}", Some(&key)).contains("LUFRPT1"));
    }

    #[test]
    fn trailing_newline_from_a_secret_store_is_dropped() {
        assert_eq!(ApiKey::new("abc\n").expose(), "abc");
    }

    #[test]
    fn scrub_removes_every_occurrence() {
        let key = ApiKey::new("K3y");
        assert_eq!(key.scrub("a K3y b K3y"), "a <redacted> b <redacted>");
        assert_eq!(key.scrub("nothing here"), "nothing here");
    }
}
