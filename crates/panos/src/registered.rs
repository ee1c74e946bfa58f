//! Reading User-ID state back: registered addresses with their tags
//! (`show object registered-ip`, paged with `limit`/`start-point` exactly as pan-os-python's
//! `get_registered_ip` does, until a page comes back shorter than the page size) and the current
//! members of a dynamic address group (`show object dynamic-address-group name G`).
//!
//! Entries whose address is not a single host (10.x range or network registrations) are left
//! out of the answers: [`RegisteredIp`] holds one address.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::client::Client;
use crate::error::Error;
use crate::op::op_command;
use crate::xml::XmlNode;

/// Default page size of [`Client::registered_ips`] (what pan-os-python asks for).
pub const DEFAULT_REGISTERED_IP_PAGE: usize = 500;

/// Which registrations to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisteredIpFilter {
    /// Every registered address.
    All,
    /// Addresses carrying this tag (each with all its tags).
    Tag(String),
    /// This one address.
    Address(IpAddr),
}

/// One registered address and its tags, as the device lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegisteredIp {
    /// The address.
    pub address: IpAddr,
    /// Its tags.
    pub tags: Vec<String>,
}

/// `<show><object><registered-ip><limit>N</limit><start-point>K</start-point>[filter]…`.
fn registered_ip_command(filter: &RegisteredIpFilter, limit: usize, start: usize) -> XmlNode {
    let mut query = XmlNode::new("registered-ip")
        .with_child(XmlNode::with_text_content("limit", limit.to_string()))
        .with_child(XmlNode::with_text_content("start-point", start.to_string()));
    match filter {
        RegisteredIpFilter::All => {}
        RegisteredIpFilter::Tag(tag) => {
            query = query.with_child(
                XmlNode::new("tag")
                    .with_child(XmlNode::new("entry").with_attr("name", tag.clone())),
            );
        }
        RegisteredIpFilter::Address(ip) => {
            query = query.with_child(XmlNode::with_text_content("ip", ip.to_string()));
        }
    }
    XmlNode::new("show").with_child(XmlNode::new("object").with_child(query))
}

/// The entries of one page: how many there were, and those holding a host address.
fn parse_page(result: &XmlNode) -> (usize, Vec<RegisteredIp>) {
    let entries: Vec<&XmlNode> = result.children_named("entry").collect();
    let hosts = entries
        .iter()
        .filter_map(|e| {
            let address = e.attr("ip")?.trim().parse().ok()?;
            Some(RegisteredIp {
                address,
                tags: e.members_of("tag"),
            })
        })
        .collect();
    (entries.len(), hosts)
}

/// Registered-ip members of the group `name` in a `dyn-addr-grp` answer; `None` if the answer
/// does not list the group.
fn dag_members(result: &XmlNode, vsys: &str, name: &str) -> Option<Vec<IpAddr>> {
    let group = result
        .path(&["dyn-addr-grp"])?
        .children_named("entry")
        .find(|e| {
            e.child_text("group-name") == Some(name)
                && e.child_text("vsys").is_none_or(|v| v == vsys)
        })?;
    Some(
        group
            .child("member-list")
            .map(|list| {
                list.children_named("entry")
                    .filter(|m| m.attr("type").is_none_or(|t| t == "registered-ip"))
                    .filter_map(|m| m.attr("name")?.trim().parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
    )
}

impl Client {
    /// Registered addresses of `vsys` matching `filter`, read page by page to the end (page
    /// size [`ClientBuilder::registered_ip_page_size`](crate::ClientBuilder::registered_ip_page_size)).
    /// An address listed twice (registrations changing between pages) is reported once.
    pub async fn registered_ips(
        &self,
        vsys: &str,
        filter: RegisteredIpFilter,
    ) -> Result<Vec<RegisteredIp>, Error> {
        let page_size = self.userid.page_size;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut start = 1;
        loop {
            let cmd = registered_ip_command(&filter, page_size, start);
            let result = self.op(&cmd, Some(vsys)).await?;
            let (listed, hosts) = parse_page(&result);
            out.extend(hosts.into_iter().filter(|r| seen.insert(r.address)));
            if listed < page_size {
                return Ok(out);
            }
            start += listed;
        }
    }

    /// The registered addresses the running dynamic address group `name` of `vsys` holds now
    /// (address objects matching its filter are not included). [`Error::ObjectNotFound`] when
    /// the device lists no such dynamic group.
    pub async fn dynamic_group_members(
        &self,
        vsys: &str,
        name: &str,
    ) -> Result<Vec<IpAddr>, Error> {
        let mut cmd = op_command(&["show", "object", "dynamic-address-group"]);
        if let Some(dag) = cmd
            .children
            .first_mut()
            .and_then(|o| o.children.first_mut())
        {
            dag.children.push(XmlNode::with_text_content("name", name));
        }
        let result = self.op(&cmd, Some(vsys)).await?;
        dag_members(&result, vsys, name).ok_or_else(|| Error::ObjectNotFound {
            lines: vec![format!("dynamic address group {name} not found in {vsys}")],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_page_as_pan_os_python_does() {
        assert_eq!(
            registered_ip_command(&RegisteredIpFilter::All, 500, 1).to_xml(),
            "<show><object><registered-ip><limit>500</limit><start-point>1</start-point></registered-ip></object></show>"
        );
        assert_eq!(
            registered_ip_command(&RegisteredIpFilter::Tag("a'b".into()), 10, 11).to_xml(),
            "<show><object><registered-ip><limit>10</limit><start-point>11</start-point><tag><entry name=\"a&apos;b\"/></tag></registered-ip></object></show>"
        );
    }

    #[test]
    fn pages_count_every_entry_but_keep_only_hosts() {
        let result = XmlNode::parse(
            r#"<result><entry ip="10.0.0.1" from_agent="0" persistent="1"><tag><member>a</member><member>b</member></tag></entry><entry ip="10.1.1.10-10.1.1.19"><tag><member>r</member></tag></entry><count>2</count></result>"#,
        )
        .expect("valid");
        let (listed, hosts) = parse_page(&result);
        assert_eq!(listed, 2);
        assert_eq!(
            hosts,
            vec![RegisteredIp {
                address: "10.0.0.1".parse().expect("ip"),
                tags: vec!["a".into(), "b".into()]
            }]
        );
    }

    #[test]
    fn dynamic_group_answers_list_registered_members() {
        let result = XmlNode::parse(
            r#"<result><dyn-addr-grp><entry><vsys>vsys1</vsys><group-name>g</group-name><filter>'t'</filter><member-list><entry name="H-1" type="address-object"/><entry name="10.0.0.1" type="registered-ip"/></member-list></entry><entry><group-name>shared-g</group-name><filter>'t'</filter><member-list/></entry></dyn-addr-grp></result>"#,
        )
        .expect("valid");
        assert_eq!(
            dag_members(&result, "vsys1", "g"),
            Some(vec!["10.0.0.1".parse().expect("ip")])
        );
        assert_eq!(dag_members(&result, "vsys1", "shared-g"), Some(vec![]));
        assert_eq!(dag_members(&result, "vsys2", "g"), None);
        assert_eq!(dag_members(&result, "vsys1", "other"), None);
    }
}
