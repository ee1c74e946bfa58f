//! The original Lambda's algorithm (`aws-lambda-paloalto`, 2016), rewritten against the same
//! `panos` client and simulator so it can be measured beside palosync. It exists only to be
//! measured: it keeps the original's round-trip pattern and its flaws on purpose.
//!
//! Per CloudTrail record, as the original did:
//! - StartInstances: for each (instance, group, permission with external IPv4 sources) a rule
//!   named after the instance; AuthorizeSecurityGroupIngress: for each (interface in the group,
//!   whatever its instance's state, source range) a rule named after the group. For each rule:
//!   a service lookup (GET of all services, then a `set` when missing) for non-App-ID ports; one
//!   `test security-policy-match` per (source, destination) pair and a GET of every matching
//!   rule; if nothing allowed it yet, a GET of the whole rulebase to pick a free name, `set`,
//!   then `move` above the bottom rule.
//! - StopInstances: per instance, a GET of the whole rulebase and a delete of every rule whose
//!   name *contains* the instance id. RevokeSecurityGroupIngress: a GET of the whole rulebase
//!   for names containing the group id, then per revoked range a GET of each such rule and a
//!   delete of the exact matches.
//! - Then one FULL commit per record (everyone's pending changes), waited for to the end. The
//!   original fired the commit and returned; the device still runs them one after another, so
//!   waiting changes when this process ends, not when policy is enforced.
//!
//! Topology reads (boto3 in the original) come from the same in-memory topology as palosync's
//! snapshot and are not counted for either.

use crate::device::{BOTTOM_RULE, VSYS};
use anyhow::{Context, Result};
use ipnet::Ipv4Net;
use model::{GroupId, InstanceId, Protocol, Topology};
use panos::{
    Client, CommitOutcome, CommitRequest, CommitScope, ConfigEntry, Location, PolicyMatch,
    PolicyMatchQuery, Position, RuleAction, SecurityRule, ServiceObject, ServiceProtocol,
};
use serde_json::Value;
use std::net::IpAddr;
use std::time::Duration;

const COMMIT_BUDGET: Duration = Duration::from_secs(3600);

/// One rule the original would add.
#[derive(Debug, Clone)]
struct LegacyRule {
    /// Instance or group id; the rule is named `<owner>-<n>`.
    owner: String,
    sources: Vec<String>,
    destinations: Vec<String>,
    protocol: Protocol,
}

#[derive(Debug)]
pub struct Legacy {
    client: Client,
    location: Location,
    vpc_cidr: Ipv4Net,
}

impl Legacy {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            location: Location::vsys(VSYS),
            vpc_cidr: crate::topology::VPC_CIDR
                .parse()
                .expect("constant CIDR is valid"),
        }
    }

    /// Handle one CloudTrail record against AWS as it is now (`topology`).
    pub async fn handle_record(&self, record: &Value, topology: &Topology) -> Result<()> {
        let request = &record["requestParameters"];
        match record["eventName"].as_str().unwrap_or_default() {
            "StartInstances" => {
                for id in instance_ids(request) {
                    for rule in self.start_rules(&InstanceId::new(id), topology) {
                        self.add_rule(&rule).await?;
                    }
                }
            }
            "AuthorizeSecurityGroupIngress" => {
                let group = GroupId::new(request["groupId"].as_str().unwrap_or_default());
                for (protocol, cidrs) in permissions(request) {
                    for rule in self.authorize_rules(&group, &protocol, &cidrs, topology) {
                        self.add_rule(&rule).await?;
                    }
                }
            }
            "StopInstances" => {
                for id in instance_ids(request) {
                    for name in self.names_containing(id).await? {
                        self.client
                            .delete(&self.location.security_rule(&name))
                            .await?;
                    }
                }
            }
            "RevokeSecurityGroupIngress" => self.revoke(request).await?,
            _ => return Ok(()),
        }
        self.full_commit().await
    }

    fn start_rules(&self, id: &InstanceId, topology: &Topology) -> Vec<LegacyRule> {
        let mut rules = Vec::new();
        for eni in topology.interfaces_of(id) {
            let destinations: Vec<String> =
                eni.private_ipv4.iter().map(ToString::to_string).collect();
            for group in eni
                .security_groups
                .iter()
                .filter_map(|g| topology.security_group(g))
            {
                for permission in &group.ingress {
                    let sources = self.external(permission.ipv4_ranges.iter().map(|r| r.cidr));
                    if !sources.is_empty() {
                        rules.push(LegacyRule {
                            owner: id.to_string(),
                            sources,
                            destinations: destinations.clone(),
                            protocol: permission.protocol,
                        });
                    }
                }
            }
        }
        rules
    }

    fn authorize_rules(
        &self,
        group: &GroupId,
        protocol: &Protocol,
        cidrs: &[Ipv4Net],
        topology: &Topology,
    ) -> Vec<LegacyRule> {
        let mut rules = Vec::new();
        for cidr in cidrs {
            let sources = self.external([*cidr].into_iter());
            if sources.is_empty() {
                continue;
            }
            // Every interface in the group, stopped instances included (the original's flaw).
            for eni in topology
                .network_interfaces
                .iter()
                .filter(|n| n.security_groups.contains(group))
            {
                rules.push(LegacyRule {
                    owner: group.to_string(),
                    sources: sources.clone(),
                    destinations: eni.private_ipv4.iter().map(ToString::to_string).collect(),
                    protocol: *protocol,
                });
            }
        }
        rules
    }

    /// Sources outside the VPC's primary block; `0.0.0.0/0` becomes `any`.
    fn external(&self, cidrs: impl Iterator<Item = Ipv4Net>) -> Vec<String> {
        let mut sources = Vec::new();
        for cidr in cidrs.filter(|c| !self.vpc_cidr.contains(c)) {
            if cidr.prefix_len() == 0 {
                return vec!["any".to_owned()];
            }
            sources.push(cidr.to_string());
        }
        sources
    }

    async fn add_rule(&self, rule: &LegacyRule) -> Result<()> {
        let (application, service) = self.service_for(&rule.protocol).await?;
        let matches = self.matching_rules(rule, &application).await?;
        if !matches.is_empty() {
            let mut denied = false;
            for name in &matches {
                let details: Option<SecurityRule> =
                    self.client.get_entry(&self.location, name).await?;
                denied |= details.is_some_and(|d| d.action == Some(RuleAction::Deny));
            }
            if !denied {
                return Ok(());
            }
        }
        let taken = self.names_containing(&rule.owner).await?;
        let mut n = taken.len() + 1;
        while taken.contains(&format!("{}-{n}", rule.owner)) {
            n += 1;
        }
        let entry = SecurityRule {
            name: format!("{}-{n}", rule.owner),
            from: vec!["untrust".to_owned()],
            to: vec!["trust".to_owned()],
            source: rule.sources.clone(),
            destination: rule.destinations.clone(),
            application: vec![application],
            service: vec![service],
            action: Some(RuleAction::Allow),
            ..SecurityRule::default()
        };
        self.client.create(&self.location, &entry).await?;
        self.client
            .move_rule(
                &self.location,
                &entry.name,
                &Position::Before(BOTTOM_RULE.to_owned()),
            )
            .await?;
        Ok(())
    }

    /// The original's App-ID table, else a `<proto>_<port>` service found or created.
    async fn service_for(&self, protocol: &Protocol) -> Result<(String, String)> {
        let (kind, port) = match protocol {
            Protocol::Icmp { .. } => return Ok(pair("icmp", "application-default")),
            Protocol::Tcp { ports } => (ServiceProtocol::Tcp, ports.to),
            Protocol::Udp { ports } => (ServiceProtocol::Udp, ports.to),
            _ => return Ok(pair("any", "any")),
        };
        let app = match (kind, port) {
            (ServiceProtocol::Tcp, 22) => "ssh",
            (ServiceProtocol::Tcp, 25) => "smtp",
            (_, 53) => "dns",
            (ServiceProtocol::Tcp, 80) => "web-browsing",
            (ServiceProtocol::Tcp, 443) => "ssl",
            (ServiceProtocol::Tcp, 3306) => "mysql",
            (ServiceProtocol::Tcp, 3389) => "rdp",
            _ => "",
        };
        if !app.is_empty() {
            return Ok(pair(app, "application-default"));
        }
        let existing: Vec<ServiceObject> = self.client.list(&self.location).await?;
        let port = port.to_string();
        let found = existing.iter().find(|s| {
            s.ports
                .as_ref()
                .is_some_and(|p| p.protocol == kind && p.port.as_deref() == Some(&port))
        });
        let name = match found {
            Some(service) => service.name.clone(),
            None => {
                let service = ServiceObject::new(format!("{}_{port}", kind.as_str()), kind, &port);
                self.client.create(&self.location, &service).await?;
                service.name
            }
        };
        Ok(("any".to_owned(), name))
    }

    /// One policy match per (source, destination) pair; the names of the rules that matched.
    async fn matching_rules(&self, rule: &LegacyRule, application: &str) -> Result<Vec<String>> {
        let (number, port) = match rule.protocol {
            Protocol::Tcp { ports } => (6, Some(ports.to)),
            Protocol::Udp { ports } => (17, Some(ports.to)),
            Protocol::Icmp { .. } => (1, None),
            _ => return Ok(Vec::new()),
        };
        let mut names = Vec::new();
        for source in &rule.sources {
            for destination in &rule.destinations {
                let query = PolicyMatchQuery {
                    from: "untrust".to_owned(),
                    to: "trust".to_owned(),
                    source: address_of(source)?,
                    destination: address_of(destination)?,
                    protocol: number,
                    destination_port: port,
                    application: Some(application.to_owned()),
                    source_user: None,
                    vsys: None,
                };
                if let PolicyMatch::Match { rule, .. } = self.client.policy_match(&query).await? {
                    names.push(rule);
                }
            }
        }
        Ok(names)
    }

    /// GET of the whole rulebase; names that contain `fragment` (substring, as the original).
    async fn names_containing(&self, fragment: &str) -> Result<Vec<String>> {
        let rules: Vec<SecurityRule> = self.client.list(&self.location).await?;
        Ok(rules
            .into_iter()
            .map(|r| r.name)
            .filter(|name| name.contains(fragment))
            .collect())
    }

    async fn revoke(&self, request: &Value) -> Result<()> {
        let group = request["groupId"].as_str().unwrap_or_default();
        let candidates = self.names_containing(group).await?;
        for (protocol, cidrs) in permissions(request) {
            let (application, service) = self.service_for(&protocol).await?;
            for cidr in cidrs {
                let mut doomed = Vec::new();
                for name in &candidates {
                    let rule: Option<SecurityRule> =
                        self.client.get_entry(&self.location, name).await?;
                    if rule.is_some_and(|r| {
                        r.source == [cidr.to_string()]
                            && r.service == [service.clone()]
                            && r.application == [application.clone()]
                    }) {
                        doomed.push(name.clone());
                    }
                }
                for name in doomed {
                    self.client
                        .delete(&SecurityRule::xpath(&self.location, &name))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn full_commit(&self) -> Result<()> {
        let request = CommitRequest {
            scope: CommitScope::Full,
            description: Some("aws-lambda-paloalto".to_owned()),
            force: false,
            device_groups: Vec::new(),
        };
        match self.client.commit_and_wait(&request, COMMIT_BUDGET).await? {
            CommitOutcome::Committed(_) | CommitOutcome::NothingToCommit => Ok(()),
            CommitOutcome::StillRunning(id) => anyhow::bail!("commit job {id} still running"),
        }
    }
}

fn pair(application: &str, service: &str) -> (String, String) {
    (application.to_owned(), service.to_owned())
}

/// `0.0.0.0` for `any`, the network address of a CIDR, the address itself otherwise.
fn address_of(text: &str) -> Result<IpAddr> {
    let address = match text {
        "any" => "0.0.0.0",
        other => other.split('/').next().unwrap_or(other),
    };
    address.parse().with_context(|| format!("address {text:?}"))
}

fn instance_ids(request: &Value) -> Vec<&str> {
    items(&request["instancesSet"])
        .filter_map(|item| item["instanceId"].as_str())
        .collect()
}

/// (protocol, IPv4 ranges) of each `ipPermissions` item.
fn permissions(request: &Value) -> Vec<(Protocol, Vec<Ipv4Net>)> {
    items(&request["ipPermissions"])
        .filter_map(|item| {
            let port = |name: &str| item[name].as_i64();
            let protocol = Protocol::from_aws(
                item["ipProtocol"].as_str().unwrap_or_default(),
                port("fromPort"),
                port("toPort"),
            )
            .ok()?;
            let cidrs = items(&item["ipRanges"])
                .filter_map(|r| r["cidrIp"].as_str()?.parse().ok())
                .collect();
            Some((protocol, cidrs))
        })
        .collect()
}

fn items(list: &Value) -> impl Iterator<Item = &Value> {
    list["items"].as_array().into_iter().flatten()
}
