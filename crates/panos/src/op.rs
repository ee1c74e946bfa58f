//! `type=op` commands: the generic entry point, `show system info` and `check pending-changes`.
//!
//! Commands are built as XML trees from fixed keywords; argument values are element text and go
//! through escaping. This module never builds a command string by pasting input.

use crate::client::Client;
use crate::envelope::Envelope;
use crate::error::Error;
use crate::retry::Idempotency;
use crate::stats::RequestKind;
use crate::transport::ApiRequest;
use crate::xml::XmlNode;

/// `["show", "system", "info"]` → `<show><system><info/></system></show>`.
pub(crate) fn op_command(words: &[&str]) -> XmlNode {
    let mut node: Option<XmlNode> = None;
    for word in words.iter().rev() {
        let mut parent = XmlNode::new(*word);
        if let Some(child) = node {
            parent.children.push(child);
        }
        node = Some(parent);
    }
    node.unwrap_or_default()
}

pub(crate) fn op_request(
    cmd: &XmlNode,
    vsys: Option<&str>,
    idempotency: Idempotency,
) -> ApiRequest {
    let mut params = vec![("type", "op".to_owned()), ("cmd", cmd.to_xml())];
    if let Some(vsys) = vsys {
        params.push(("vsys", vsys.to_owned()));
    }
    ApiRequest {
        kind: RequestKind::Op,
        params,
        idempotency,
    }
}

/// A PAN-OS software version `X.Y.Z[-hN]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SoftwareVersion {
    /// X
    pub major: u32,
    /// Y
    pub minor: u32,
    /// Z
    pub patch: u32,
    /// N of `-hN`.
    pub hotfix: Option<u32>,
}

impl SoftwareVersion {
    /// Parses `10.2.3`, `10.2.3-h4`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (base, hotfix) = match text.trim().split_once('-') {
            Some((base, suffix)) => (base, Some(suffix.strip_prefix('h')?.parse().ok()?)),
            None => (text.trim(), None),
        };
        let mut parts = base.split('.');
        let version = Self {
            major: parts.next()?.parse().ok()?,
            minor: parts.next()?.parse().ok()?,
            patch: parts.next()?.parse().ok()?,
            hotfix,
        };
        parts.next().is_none().then_some(version)
    }
}

/// What `show system info` says about the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// Hostname.
    pub hostname: Option<String>,
    /// `PA-VM`, `PA-440`, `Panorama`, `M-200`, ….
    pub model: String,
    /// Serial number.
    pub serial: Option<String>,
    /// `sw-version` as written.
    pub sw_version: String,
    /// `sw-version` parsed, when it has the usual shape.
    pub version: Option<SoftwareVersion>,
    /// `family` (`vm`, …).
    pub family: Option<String>,
    /// `multi-vsys` is `on`.
    pub multi_vsys: bool,
    /// The device is a Panorama (model or `system-mode`).
    pub is_panorama: bool,
}

impl SystemInfo {
    fn from_reply(reply: &Envelope) -> Result<Self, Error> {
        let system = reply
            .result()
            .and_then(|r| r.child("system"))
            .ok_or_else(|| Error::malformed("system info reply has no result/system"))?;
        let text = |name: &str| system.child_text(name).map(str::to_owned);
        let model = text("model").ok_or_else(|| Error::malformed("system info has no model"))?;
        let sw_version =
            text("sw-version").ok_or_else(|| Error::malformed("system info has no sw-version"))?;
        let is_panorama =
            model == "Panorama" || model.starts_with("M-") || system.child("system-mode").is_some();
        Ok(Self {
            hostname: text("hostname"),
            serial: text("serial"),
            version: SoftwareVersion::parse(&sw_version),
            family: text("family"),
            multi_vsys: system.child_text("multi-vsys") == Some("on"),
            is_panorama,
            model,
            sw_version,
        })
    }
}

impl Client {
    /// Runs an op command and returns its `<result>` (an empty `result` element when the reply
    /// has none). Treated as a read and retried on transient failures: do not use it for
    /// commands that change state.
    pub async fn op(&self, cmd: &XmlNode, vsys: Option<&str>) -> Result<XmlNode, Error> {
        let reply = self
            .send_ok(op_request(cmd, vsys, Idempotency::Idempotent))
            .await?;
        Ok(reply
            .result()
            .cloned()
            .unwrap_or_else(|| XmlNode::new("result")))
    }

    /// `show system info`.
    pub async fn system_info(&self) -> Result<SystemInfo, Error> {
        let cmd = op_command(&["show", "system", "info"]);
        let reply = self
            .send_ok(op_request(&cmd, None, Idempotency::Idempotent))
            .await?;
        SystemInfo::from_reply(&reply)
    }

    /// `check pending-changes`: whether the candidate differs from the running config.
    pub async fn pending_changes(&self) -> Result<bool, Error> {
        let cmd = op_command(&["check", "pending-changes"]);
        let result = self.op(&cmd, None).await?;
        match result.trimmed_text() {
            "yes" => Ok(true),
            "no" => Ok(false),
            other => Err(Error::malformed(format!(
                "pending-changes answered {other:?}, expected yes or no"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_commands_nest_words() {
        assert_eq!(
            op_command(&["show", "system", "info"]).to_xml(),
            "<show><system><info/></system></show>"
        );
    }

    #[test]
    fn versions_parse_with_and_without_hotfix() {
        assert_eq!(
            SoftwareVersion::parse("10.2.3-h4"),
            Some(SoftwareVersion {
                major: 10,
                minor: 2,
                patch: 3,
                hotfix: Some(4)
            })
        );
        assert_eq!(
            SoftwareVersion::parse("9.1.0"),
            Some(SoftwareVersion {
                major: 9,
                minor: 1,
                patch: 0,
                hotfix: None
            })
        );
        assert_eq!(SoftwareVersion::parse("11.1"), None);
        assert_eq!(SoftwareVersion::parse("10.1.0-beta"), None);
        assert!(SoftwareVersion::parse("10.2.0") > SoftwareVersion::parse("9.1.16"));
    }

    #[test]
    fn system_info_of_a_vm_series_and_a_panorama() {
        let fw = Envelope::parse("<response status=\"success\"><result><system><hostname>fw1</hostname><model>PA-VM</model><family>vm</family><serial>0079</serial><sw-version>10.2.3</sw-version><app-version>8700-7709</app-version><multi-vsys>off</multi-vsys></system></result></response>").expect("valid");
        let info = SystemInfo::from_reply(&fw).expect("parses");
        assert_eq!(info.model, "PA-VM");
        assert_eq!(info.version.map(|v| v.major), Some(10));
        assert!(!info.multi_vsys);
        assert!(!info.is_panorama);
        let pano = Envelope::parse("<response status=\"success\"><result><system><model>Panorama</model><sw-version>11.1.2-h3</sw-version><system-mode>panorama</system-mode><multi-vsys>on</multi-vsys></system></result></response>").expect("valid");
        let info = SystemInfo::from_reply(&pano).expect("parses");
        assert!(info.is_panorama);
        assert!(info.multi_vsys);
        assert_eq!(info.version.and_then(|v| v.hotfix), Some(3));
        let empty =
            Envelope::parse("<response status=\"success\"><result/></response>").expect("valid");
        assert!(matches!(
            SystemInfo::from_reply(&empty),
            Err(Error::MalformedResponse { .. })
        ));
    }
}
