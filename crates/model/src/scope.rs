//! What to reconcile: the keys events resolve to.
//!
//! Events never carry the truth, only *what to look at*. A key names one AWS resource whose
//! current state the inventory re-reads; `Everything` is a full sync. The key's kind is also the
//! cause by which new rules are named (instance events name rules after the instance, group
//! events after the group).

use crate::ids::{
    AssociationId, AttachmentId, EniId, GroupId, InstanceId, PrefixListId, RouteTableId, VpcId,
};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ReconcileKey {
    Instance(InstanceId),
    NetworkInterface(EniId),
    /// A detached interface is known only by its attachment id; the inventory resolves it, or
    /// widens to the account's whole scope when the attachment is gone.
    Attachment(AttachmentId),
    SecurityGroup(GroupId),
    RouteTable(RouteTableId),
    RouteTableAssociation(AssociationId),
    Vpc(VpcId),
    PrefixList(PrefixListId),
    Everything,
}

/// The kind of a key without its id, for counting and reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconcileKeyKind {
    Instance,
    NetworkInterface,
    Attachment,
    SecurityGroup,
    RouteTable,
    RouteTableAssociation,
    Vpc,
    PrefixList,
    Everything,
}

impl ReconcileKey {
    pub fn kind(&self) -> ReconcileKeyKind {
        match self {
            ReconcileKey::Instance(_) => ReconcileKeyKind::Instance,
            ReconcileKey::NetworkInterface(_) => ReconcileKeyKind::NetworkInterface,
            ReconcileKey::Attachment(_) => ReconcileKeyKind::Attachment,
            ReconcileKey::SecurityGroup(_) => ReconcileKeyKind::SecurityGroup,
            ReconcileKey::RouteTable(_) => ReconcileKeyKind::RouteTable,
            ReconcileKey::RouteTableAssociation(_) => ReconcileKeyKind::RouteTableAssociation,
            ReconcileKey::Vpc(_) => ReconcileKeyKind::Vpc,
            ReconcileKey::PrefixList(_) => ReconcileKeyKind::PrefixList,
            ReconcileKey::Everything => ReconcileKeyKind::Everything,
        }
    }
}

impl fmt::Display for ReconcileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReconcileKey::Instance(id) => write!(f, "instance {id}"),
            ReconcileKey::NetworkInterface(id) => write!(f, "network interface {id}"),
            ReconcileKey::Attachment(id) => write!(f, "attachment {id}"),
            ReconcileKey::SecurityGroup(id) => write!(f, "security group {id}"),
            ReconcileKey::RouteTable(id) => write!(f, "route table {id}"),
            ReconcileKey::RouteTableAssociation(id) => write!(f, "route table association {id}"),
            ReconcileKey::Vpc(id) => write!(f, "vpc {id}"),
            ReconcileKey::PrefixList(id) => write!(f, "prefix list {id}"),
            ReconcileKey::Everything => f.write_str("everything"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_serialize_with_kind_and_id() {
        let key = ReconcileKey::SecurityGroup(GroupId::new("sg-1"));
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, r#"{"kind":"security_group","id":"sg-1"}"#);
        assert_eq!(serde_json::from_str::<ReconcileKey>(&json).unwrap(), key);
        assert_eq!(
            serde_json::to_string(&ReconcileKey::Everything).unwrap(),
            r#"{"kind":"everything"}"#
        );
    }
}
