//! `palosync explain TARGET` (issue 16, item 2): the first question of an incident, "why can't
//! the partner reach this instance?", answered from the same code that decides: the planner's
//! scope, desired allowances and shadowing, and a dry-run plan for the target's own key.
//!
//! For an address, instance, interface or security group it shows, per interface and family,
//! the route table and default route that put it in scope or out; the groups and their
//! permissions; each desired allowance and the managed rule that holds it, or the operator's
//! rule that already allows it, or that it is missing; what cannot be opened and why; and the
//! changes a reconcile would make now (drift). Nothing is written. Against a fleet, the first
//! firewall that answers is asked (converged firewalls hold the same rules).

use crate::app::{App, AppError};
use crate::executor::{self, ExecuteOptions};
use model::{EniId, GroupId, InstanceId, NetworkInterface, PolicyMode, Provenance, ReconcileKey};
use planner::desired::{SkippedAllowance, desired_for};
use planner::ownership::owned_name;
use planner::scope::{FirewallTargets, RouteIndex, in_scope_enis};
use planner::sources::{IpFamily, external_sources};
use planner::{ObservedRule, Scope};
use serde::Serialize;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// What to explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Address(IpAddr),
    Instance(InstanceId),
    Interface(EniId),
    Group(GroupId),
}

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Ok(address) = text.parse() {
            return Ok(Target::Address(address));
        }
        if InstanceId::looks_like(text) {
            return Ok(Target::Instance(InstanceId::new(text)));
        }
        if EniId::looks_like(text) {
            return Ok(Target::Interface(EniId::new(text)));
        }
        if GroupId::looks_like(text) {
            return Ok(Target::Group(GroupId::new(text)));
        }
        Err(format!(
            "{text:?} is not an IP address, instance (i-…), interface (eni-…) or security group (sg-…)"
        ))
    }
}

impl Target {
    fn key(&self) -> ReconcileKey {
        match self {
            Target::Address(_) => ReconcileKey::Everything,
            Target::Instance(id) => ReconcileKey::Instance(id.clone()),
            Target::Interface(id) => ReconcileKey::NetworkInterface(id.clone()),
            Target::Group(id) => ReconcileKey::SecurityGroup(id.clone()),
        }
    }

    fn selects(&self, eni: &NetworkInterface) -> bool {
        match self {
            Target::Address(address) => match address {
                IpAddr::V4(v4) => eni.private_ipv4.contains(v4),
                IpAddr::V6(v6) => eni.ipv6.contains(v6),
            },
            Target::Instance(id) => eni.attached_instance() == Some(id),
            Target::Interface(id) => &eni.id == id,
            Target::Group(id) => eni.security_groups.contains(id),
        }
    }
}

/// The whole answer.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    pub target: String,
    pub mode: &'static str,
    pub interfaces: Vec<InterfaceView>,
    pub groups: Vec<GroupView>,
    pub allowances: Vec<AllowanceView>,
    pub skipped: Vec<SkippedAllowance>,
    /// What a reconcile of the target would change now.
    pub drift: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InterfaceView {
    pub id: EniId,
    pub instance: Option<InstanceId>,
    pub subnet: String,
    pub families: Vec<FamilyView>,
}

/// One IP family of an interface: in scope or not, and why.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyView {
    pub family: &'static str,
    pub addresses: Vec<IpAddr>,
    pub in_scope: bool,
    pub why: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupView {
    pub id: GroupId,
    pub name: String,
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AllowanceView {
    pub source: String,
    pub destination: IpAddr,
    pub service: String,
    /// The group permissions that allow it.
    pub allowed_by: Vec<String>,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Held by these managed rules.
    Implemented { rules: Vec<String> },
    /// An operator's rule above palosync's already allows it.
    AlreadyAllowed { rule: String },
    /// No rule allows it yet: the next reconcile creates it.
    Missing,
}

pub async fn explain(app: &App, target: &Target) -> Result<Explained, AppError> {
    let settings = &app.config.policy;
    let key = target.key();
    let topology = app.topology_for(std::slice::from_ref(&key)).await?;
    let scope = Scope::single(key, Provenance::sync("explain"));
    let read = executor::registrations_to_read(settings, &scope);
    // A fleet's firewalls hold the same policy once converged: the first one answers.
    let firewall = app.first_firewall().await?;
    let state = firewall
        .read_state(settings, &read)
        .await
        .map_err(executor::ExecuteError::from)?;
    let options = ExecuteOptions {
        dry_run: true,
        deadline: Instant::now() + Duration::from_secs(60),
    };
    let dry_run =
        executor::reconcile_state(&firewall, settings, &topology, &scope, &state, options).await?;

    let scoped = in_scope_enis(&topology, settings);
    let routes = RouteIndex::new(&topology);
    let firewall = FirewallTargets::new(&topology, settings);
    let selected: Vec<&NetworkInterface> = topology
        .network_interfaces
        .iter()
        .filter(|eni| target.selects(eni))
        .collect();
    let interfaces = selected
        .iter()
        .map(|eni| {
            let in_scope = scoped.in_scope.iter().find(|s| s.eni.id == eni.id);
            let incomplete = scoped.incomplete.iter().find(|i| i.eni.id == eni.id);
            let state = eni
                .attached_instance()
                .and_then(|id| topology.instances.iter().find(|i| &i.id == id))
                .map(|i| i.state);
            let subnet = topology.subnet(&eni.subnet_id);
            let family = |family: IpFamily, addresses: Vec<IpAddr>| {
                let decided = subnet.and_then(|s| firewall.subnet_scope(&routes, s, family));
                let through = in_scope.is_some_and(|s| match family {
                    IpFamily::V4 => s.ipv4,
                    IpFamily::V6 => s.ipv6,
                });
                let why = match (incomplete, state, decided) {
                    (Some(i), _, _) => format!("undecided: {}", i.reason),
                    _ if eni.attached_instance() == Some(&settings.firewall_instance_id) => {
                        "the firewall's own interface".to_owned()
                    }
                    (_, None, _) => "not attached to an instance that was read".to_owned(),
                    (_, Some(s), _) if !s.receives_traffic() => format!("its instance is {s:?}"),
                    (_, _, None) => "no route table applies".to_owned(),
                    (_, _, Some(scope)) => scope.why.clone(),
                };
                FamilyView {
                    family: match family {
                        IpFamily::V4 => "IPv4",
                        IpFamily::V6 => "IPv6",
                    },
                    addresses,
                    in_scope: through,
                    why,
                }
            };
            InterfaceView {
                id: eni.id.clone(),
                instance: eni.attached_instance().cloned(),
                subnet: eni.subnet_id.to_string(),
                families: vec![
                    family(
                        IpFamily::V4,
                        eni.private_ipv4.iter().map(|a| IpAddr::V4(*a)).collect(),
                    ),
                    family(
                        IpFamily::V6,
                        eni.ipv6.iter().map(|a| IpAddr::V6(*a)).collect(),
                    ),
                ],
            }
        })
        .collect();

    let mut group_ids: Vec<&GroupId> = selected.iter().flat_map(|e| &e.security_groups).collect();
    if let Target::Group(id) = target {
        group_ids.push(id);
    }
    group_ids.sort();
    group_ids.dedup();
    let groups = group_ids
        .iter()
        .filter_map(|id| topology.security_groups.iter().find(|g| &g.id == *id))
        .map(|g| {
            // What counts as inside: every block of the group's VPC and INTERNAL_CIDRS.
            let internal: Vec<ipnet::IpNet> = g
                .vpc_id
                .as_ref()
                .and_then(|v| topology.vpc(v))
                .map(|v| v.cidr_blocks.clone())
                .unwrap_or_default()
                .into_iter()
                .chain(settings.internal_cidrs.iter().copied())
                .collect();
            GroupView {
                id: g.id.clone(),
                name: g.name.clone(),
                permissions: g
                    .ingress
                    .iter()
                    .map(|p| {
                        let (external, _) = external_sources(p, &topology, &internal);
                        let text = describe_permission(p);
                        if external.is_empty() {
                            format!("{text}: opens nothing through the firewall (every source is inside the VPC, INTERNAL_CIDRS or a group)")
                        } else {
                            text
                        }
                    })
                    .collect(),
            }
        })
        .collect();

    let targeted = scoped.in_scope.iter().filter(|s| target.selects(s.eni));
    let desired = desired_for(&topology, settings, targeted, &|_| None);
    let managed: Vec<&ObservedRule> = state
        .rules
        .iter()
        .filter(|r| owned_name(r, &settings.managed_tag).is_some())
        .collect();
    let mut allowances: Vec<AllowanceView> = Vec::new();
    for ((destination, service), sources) in &desired.slots {
        for (source, backers) in sources {
            let groups_of: Vec<String> = backers
                .iter()
                .map(|b| settings.member_tag(b.group_id(&topology).as_str()))
                .collect();
            let status = match dry_run.plan.shadowed.iter().find(|s| {
                s.allowance.destination == *destination
                    && s.allowance.source == *source
                    && s.allowance.service == *service
            }) {
                Some(shadow) => Status::AlreadyAllowed {
                    rule: shadow.rule.clone(),
                },
                None => {
                    let rules: Vec<String> = managed
                        .iter()
                        .filter(|r| {
                            let to_it = r.destinations.contains(&destination.to_string())
                                || (settings.mode == PolicyMode::Groups
                                    && r.destinations.iter().any(|d| groups_of.contains(d)));
                            to_it
                                && (r.sources.contains(&source.member())
                                    || r.sources.iter().any(|s| s == "any"))
                                && r.applications.iter().any(|a| a == service.application)
                                && r.services.contains(&service.service_member())
                        })
                        .map(|r| r.name.clone())
                        .collect();
                    if rules.is_empty() {
                        Status::Missing
                    } else {
                        Status::Implemented { rules }
                    }
                }
            };
            allowances.push(AllowanceView {
                source: source.to_string(),
                destination: *destination,
                service: service.to_string(),
                allowed_by: backers.iter().map(|b| b.describe(&topology)).collect(),
                status,
            });
        }
    }
    allowances.sort_by(|a, b| {
        (a.destination, &a.service, &a.source).cmp(&(b.destination, &b.service, &b.source))
    });
    let plan = &dry_run.plan;
    // An address is explained from a full read: keep only the changes that concern it.
    let addresses: Vec<String> = selected
        .iter()
        .flat_map(|e| {
            e.private_ipv4
                .iter()
                .map(|a| a.to_string())
                .chain(e.ipv6.iter().map(|a| a.to_string()))
        })
        .collect();
    let concerns = |op: &planner::Operation| match (target, op) {
        (Target::Address(_), planner::Operation::CreateRule { rule, .. })
        | (Target::Address(_), planner::Operation::ReplaceRule { rule, .. }) => {
            rule.destinations.iter().any(|d| addresses.contains(d))
        }
        (Target::Address(_), other) => other
            .why()
            .network_interfaces
            .iter()
            .any(|n| selected.iter().any(|e| &e.id == n)),
        _ => true,
    };
    let drift = plan
        .operations
        .iter()
        .chain(&plan.cleanup)
        .filter(|op| concerns(op))
        .map(|op| op.why().text.clone())
        .chain(
            plan.registrations
                .listed()
                .filter(|(_, r)| addresses.contains(&r.address.to_string()))
                .map(|(_, r)| r.why.text.clone()),
        )
        .collect();
    Ok(Explained {
        target: target_text(target),
        mode: settings.mode.as_str(),
        interfaces,
        groups,
        allowances,
        skipped: plan.skipped.clone(),
        drift,
    })
}

fn target_text(target: &Target) -> String {
    match target {
        Target::Address(a) => a.to_string(),
        Target::Instance(id) => id.to_string(),
        Target::Interface(id) => id.to_string(),
        Target::Group(id) => id.to_string(),
    }
}

fn describe_permission(permission: &model::IngressPermission) -> String {
    let mut sources: Vec<String> = permission
        .ipv4_ranges
        .iter()
        .map(|c| c.cidr.to_string())
        .chain(permission.ipv6_ranges.iter().map(|c| c.cidr.to_string()))
        .collect();
    sources.extend(permission.prefix_lists.iter().map(|p| p.id.to_string()));
    sources.extend(
        permission
            .groups
            .iter()
            .map(|g| format!("{} (a group)", g.group_id)),
    );
    format!("{} from {}", permission.protocol, sources.join(", "))
}

impl Explained {
    /// The human form.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "palosync explain {} ({} mode)", self.target, self.mode);
        if self.interfaces.is_empty() {
            let _ = writeln!(out, "  no interface of it was read");
        }
        for eni in &self.interfaces {
            let instance = eni
                .instance
                .as_ref()
                .map_or("-".to_owned(), |i| i.to_string());
            let _ = writeln!(
                out,
                "  interface {} of {instance} in {}",
                eni.id, eni.subnet
            );
            for family in eni.families.iter().filter(|f| !f.addresses.is_empty()) {
                let addresses: Vec<String> =
                    family.addresses.iter().map(IpAddr::to_string).collect();
                let verdict = if family.in_scope {
                    "in scope"
                } else {
                    "out of scope"
                };
                let _ = writeln!(
                    out,
                    "    {} {}: {verdict}: {}",
                    family.family,
                    addresses.join(", "),
                    family.why
                );
            }
        }
        for group in &self.groups {
            let _ = writeln!(out, "  group {} ({})", group.id, group.name);
            for permission in &group.permissions {
                let _ = writeln!(out, "    {permission}");
            }
        }
        let _ = writeln!(out, "  allowances: {}", self.allowances.len());
        for a in &self.allowances {
            let status = match &a.status {
                Status::Implemented { rules } => format!("held by {}", rules.join(", ")),
                Status::AlreadyAllowed { rule } => format!("already allowed by {rule}"),
                Status::Missing => "MISSING: the next reconcile creates it".to_owned(),
            };
            let _ = writeln!(
                out,
                "    {} -> {} {} (as {}): {status}",
                a.source,
                a.destination,
                a.service,
                a.allowed_by.join(", ")
            );
        }
        for s in &self.skipped {
            let _ = writeln!(
                out,
                "  not opened: {} {} on {}: {}",
                s.group, s.permission, s.network_interface, s.reason
            );
        }
        if self.drift.is_empty() {
            let _ = writeln!(out, "  drift: none");
        }
        for change in &self.drift {
            let _ = writeln!(out, "  drift: {change}");
        }
        out
    }
}
