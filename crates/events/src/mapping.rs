//! Which EC2 calls we act on, and which reconcile keys each one names.
//!
//! Events only pick the scope to re-read; they never carry the truth. A successful call maps to
//! the ids its request (or, where the request has none, its response) names. Ids must have
//! their kind's prefix (`i-`, `sg-`…); a record without the id it should carry is skipped with
//! `MissingResourceId`. Two shapes are widened to `Everything` because nothing narrower is
//! safe: a security group named only by `groupName` (default-VPC / EC2-Classic calls carry no
//! group id, and a name is not unique across VPCs), and `DisassociateVpcCidrBlock` whose response
//! lacks `vpcId` (the request names only the `vpc-cidr-assoc-…` id). This module does no IO and
//! knows nothing of envelopes, provenance or filters.

use crate::ec2_json::{list_items, text, texts_in_list};
use crate::skip::SkipReason;
use model::{
    AssociationId, AttachmentId, EniId, GroupId, InstanceId, PrefixListId, ReconcileKey,
    RouteTableId, VpcId,
};
use serde_json::Value;

/// The EC2 API calls that can change what the firewall should allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ec2Event {
    StartInstances,
    StopInstances,
    RunInstances,
    TerminateInstances,
    AuthorizeSecurityGroupIngress,
    RevokeSecurityGroupIngress,
    ModifySecurityGroupRules,
    DeleteSecurityGroup,
    ModifyInstanceAttribute,
    ModifyNetworkInterfaceAttribute,
    AttachNetworkInterface,
    DetachNetworkInterface,
    CreateRoute,
    ReplaceRoute,
    DeleteRoute,
    AssociateRouteTable,
    ReplaceRouteTableAssociation,
    DisassociateRouteTable,
    AssignPrivateIpAddresses,
    UnassignPrivateIpAddresses,
    AssignIpv6Addresses,
    UnassignIpv6Addresses,
    AssociateVpcCidrBlock,
    DisassociateVpcCidrBlock,
    ModifyManagedPrefixList,
    RestoreManagedPrefixListVersion,
}

impl Ec2Event {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        use Ec2Event::*;
        Some(match name {
            "StartInstances" => StartInstances,
            "StopInstances" => StopInstances,
            "RunInstances" => RunInstances,
            "TerminateInstances" => TerminateInstances,
            "AuthorizeSecurityGroupIngress" => AuthorizeSecurityGroupIngress,
            "RevokeSecurityGroupIngress" => RevokeSecurityGroupIngress,
            "ModifySecurityGroupRules" => ModifySecurityGroupRules,
            "DeleteSecurityGroup" => DeleteSecurityGroup,
            "ModifyInstanceAttribute" => ModifyInstanceAttribute,
            "ModifyNetworkInterfaceAttribute" => ModifyNetworkInterfaceAttribute,
            "AttachNetworkInterface" => AttachNetworkInterface,
            "DetachNetworkInterface" => DetachNetworkInterface,
            "CreateRoute" => CreateRoute,
            "ReplaceRoute" => ReplaceRoute,
            "DeleteRoute" => DeleteRoute,
            "AssociateRouteTable" => AssociateRouteTable,
            "ReplaceRouteTableAssociation" => ReplaceRouteTableAssociation,
            "DisassociateRouteTable" => DisassociateRouteTable,
            "AssignPrivateIpAddresses" => AssignPrivateIpAddresses,
            "UnassignPrivateIpAddresses" => UnassignPrivateIpAddresses,
            "AssignIpv6Addresses" => AssignIpv6Addresses,
            "UnassignIpv6Addresses" => UnassignIpv6Addresses,
            "AssociateVpcCidrBlock" => AssociateVpcCidrBlock,
            "DisassociateVpcCidrBlock" => DisassociateVpcCidrBlock,
            "ModifyManagedPrefixList" => ModifyManagedPrefixList,
            "RestoreManagedPrefixListVersion" => RestoreManagedPrefixListVersion,
            _ => return None,
        })
    }

    /// The keys a successful call names, or why it names none.
    pub(crate) fn keys(
        self,
        request: Option<&Value>,
        response: Option<&Value>,
    ) -> Result<Vec<ReconcileKey>, SkipReason> {
        use Ec2Event::*;
        let keys = match self {
            StartInstances | StopInstances | TerminateInstances => {
                let mut keys = instances(request.and_then(|r| r.get("instancesSet")));
                if keys.is_empty() {
                    keys = instances(response.and_then(|r| r.get("instancesSet")));
                }
                non_empty(keys, "requestParameters.instancesSet")?
            }
            RunInstances => non_empty(
                instances(response.and_then(|r| r.get("instancesSet"))),
                "responseElements.instancesSet",
            )?,
            AuthorizeSecurityGroupIngress => {
                group_keys(request, response, "securityGroupRuleSet", "groupId")?
            }
            RevokeSecurityGroupIngress => {
                group_keys(request, response, "revokedSecurityGroupRuleSet", "groupId")?
            }
            DeleteSecurityGroup => group_keys(request, None, "", "groupId")?,
            ModifySecurityGroupRules => {
                let wrapped = request.and_then(|r| r.get("ModifySecurityGroupRulesRequest"));
                let group = id(wrapped, "GroupId", GroupId::looks_like)
                    .or_else(|| id(request, "groupId", GroupId::looks_like));
                let group =
                    group.ok_or_else(|| missing("ModifySecurityGroupRulesRequest.GroupId"))?;
                vec![ReconcileKey::SecurityGroup(group.into())]
            }
            ModifyInstanceAttribute => {
                changes_groups(request)?;
                vec![instance(request, "instanceId")?]
            }
            ModifyNetworkInterfaceAttribute => {
                changes_groups(request)?;
                vec![eni(request)?]
            }
            AttachNetworkInterface => {
                let mut keys = vec![eni(request)?];
                keys.extend(instance(request, "instanceId").ok());
                keys
            }
            DetachNetworkInterface => {
                let attachment = id(request, "attachmentId", AttachmentId::looks_like)
                    .ok_or_else(|| missing("requestParameters.attachmentId"))?;
                vec![ReconcileKey::Attachment(attachment.into())]
            }
            CreateRoute | ReplaceRoute | DeleteRoute => vec![route_table(request)?],
            AssociateRouteTable => {
                let mut keys = vec![route_table(request)?];
                keys.extend(association(response, "associationId"));
                keys
            }
            ReplaceRouteTableAssociation => {
                let keys: Vec<_> = association(request, "associationId")
                    .into_iter()
                    .chain(route_table(request).ok())
                    .collect();
                non_empty(keys, "requestParameters.associationId")?
            }
            DisassociateRouteTable => {
                let keys = association(request, "associationId").into_iter().collect();
                non_empty(keys, "requestParameters.associationId")?
            }
            // The addresses of one interface changed (IPv6 ones are destinations too); the
            // response repeats the interface id (EC2 API reference, Assign/UnassignIpv6Addresses).
            AssignPrivateIpAddresses
            | UnassignPrivateIpAddresses
            | AssignIpv6Addresses
            | UnassignIpv6Addresses => {
                let in_response = id(response, "networkInterfaceId", EniId::looks_like)
                    .map(|id| ReconcileKey::NetworkInterface(id.into()));
                vec![eni(request).or_else(|missing| in_response.ok_or(missing))?]
            }
            AssociateVpcCidrBlock => {
                let vpc = id(request, "vpcId", VpcId::looks_like)
                    .or_else(|| id(response, "vpcId", VpcId::looks_like))
                    .ok_or_else(|| missing("requestParameters.vpcId"))?;
                vec![ReconcileKey::Vpc(vpc.into())]
            }
            DisassociateVpcCidrBlock => {
                // The request names only the CIDR association; the response says whose it was.
                let vpc = id(response, "vpcId", VpcId::looks_like)
                    .or_else(|| id(request, "vpcId", VpcId::looks_like));
                vec![vpc.map_or(ReconcileKey::Everything, |vpc| {
                    ReconcileKey::Vpc(vpc.into())
                })]
            }
            // Both change the entries that prefix-list sources stand for; a restore names the
            // list in its request and returns it as `prefixList` (EC2 API reference).
            ModifyManagedPrefixList | RestoreManagedPrefixListVersion => {
                let list = id(request, "prefixListId", PrefixListId::looks_like)
                    .or_else(|| {
                        let in_response = response.and_then(|r| r.get("prefixList"));
                        id(in_response, "prefixListId", PrefixListId::looks_like)
                    })
                    .ok_or_else(|| missing("requestParameters.prefixListId"))?;
                vec![ReconcileKey::PrefixList(list.into())]
            }
        };
        Ok(unique(keys))
    }
}

fn missing(field: &str) -> SkipReason {
    SkipReason::MissingResourceId {
        field: field.to_owned(),
    }
}

fn id<'a>(object: Option<&'a Value>, field: &str, looks_like: fn(&str) -> bool) -> Option<&'a str> {
    text(object, field).filter(|id| looks_like(id))
}

fn non_empty(keys: Vec<ReconcileKey>, field: &str) -> Result<Vec<ReconcileKey>, SkipReason> {
    if keys.is_empty() {
        Err(missing(field))
    } else {
        Ok(keys)
    }
}

fn unique(keys: Vec<ReconcileKey>) -> Vec<ReconcileKey> {
    let mut out: Vec<ReconcileKey> = Vec::with_capacity(keys.len());
    for key in keys {
        if !out.contains(&key) {
            out.push(key);
        }
    }
    out
}

fn instances(list: Option<&Value>) -> Vec<ReconcileKey> {
    texts_in_list(list, "instanceId")
        .filter(|id| InstanceId::looks_like(id))
        .map(|id| ReconcileKey::Instance(id.into()))
        .collect()
}

fn instance(request: Option<&Value>, field: &str) -> Result<ReconcileKey, SkipReason> {
    id(request, field, InstanceId::looks_like)
        .map(|id| ReconcileKey::Instance(id.into()))
        .ok_or_else(|| missing(&format!("requestParameters.{field}")))
}

fn eni(request: Option<&Value>) -> Result<ReconcileKey, SkipReason> {
    id(request, "networkInterfaceId", EniId::looks_like)
        .map(|id| ReconcileKey::NetworkInterface(id.into()))
        .ok_or_else(|| missing("requestParameters.networkInterfaceId"))
}

fn route_table(request: Option<&Value>) -> Result<ReconcileKey, SkipReason> {
    id(request, "routeTableId", RouteTableId::looks_like)
        .map(|id| ReconcileKey::RouteTable(id.into()))
        .ok_or_else(|| missing("requestParameters.routeTableId"))
}

fn association(object: Option<&Value>, field: &str) -> Option<ReconcileKey> {
    id(object, field, AssociationId::looks_like)
        .map(|id| ReconcileKey::RouteTableAssociation(id.into()))
}

/// `ModifyInstanceAttribute` / `ModifyNetworkInterfaceAttribute` matter only for `groupSet`.
fn changes_groups(request: Option<&Value>) -> Result<(), SkipReason> {
    let has_group_set = request.is_some_and(|r| r.get("groupSet").is_some())
        || text(request, "attribute") == Some("groupSet");
    if has_group_set {
        Ok(())
    } else {
        Err(SkipReason::NoSecurityGroupChange)
    }
}

/// The group of an ingress call: `groupId`, else the groups of the response's rule set, else
/// (a call by `groupName` alone) everything.
fn group_keys(
    request: Option<&Value>,
    response: Option<&Value>,
    response_rule_set: &str,
    field: &str,
) -> Result<Vec<ReconcileKey>, SkipReason> {
    if let Some(group) = id(request, field, GroupId::looks_like) {
        return Ok(vec![ReconcileKey::SecurityGroup(group.into())]);
    }
    let from_response: Vec<_> = list_items(response.and_then(|r| r.get(response_rule_set)))
        .filter_map(|rule| id(Some(rule), field, GroupId::looks_like))
        .map(|group| ReconcileKey::SecurityGroup(group.into()))
        .collect();
    if !from_response.is_empty() {
        return Ok(from_response);
    }
    if text(request, "groupName").is_some() {
        return Ok(vec![ReconcileKey::Everything]);
    }
    Err(missing("requestParameters.groupId"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_with_the_wrong_prefix_are_missing() {
        let request = json!({"routeTableId": "sg-0123"});
        assert_eq!(
            Ec2Event::CreateRoute.keys(Some(&request), None),
            Err(missing("requestParameters.routeTableId"))
        );
    }

    #[test]
    fn repeated_ids_give_one_key() {
        let request = json!({"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-1"}]}});
        assert_eq!(
            Ec2Event::StopInstances.keys(Some(&request), None),
            Ok(vec![ReconcileKey::Instance("i-1".into())])
        );
    }

    #[test]
    fn every_acted_on_name_round_trips() {
        for name in [
            "StartInstances",
            "ModifyManagedPrefixList",
            "RestoreManagedPrefixListVersion",
            "AssignIpv6Addresses",
            "UnassignIpv6Addresses",
            "DeleteSecurityGroup",
        ] {
            assert!(Ec2Event::from_name(name).is_some(), "{name}");
        }
        assert_eq!(Ec2Event::from_name("CreateTags"), None);
        assert_eq!(Ec2Event::from_name("AuthorizeSecurityGroupEgress"), None);
    }
}
