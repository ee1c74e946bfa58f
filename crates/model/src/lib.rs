//! Plain domain types that every palosync crate shares.
//!
//! This crate is the vocabulary of the project: what AWS looks like (`topology`), what the
//! operator configured (`settings`), what an event asks us to look at (`scope`) and why
//! (`provenance`). It does no IO and holds no logic beyond parsing and small lookups, so the
//! layers above (events, inventory, planner, executor) can agree on types without depending on
//! each other.

pub mod account;
pub mod endpoint;
pub mod ids;
pub mod protocol;
pub mod provenance;
pub mod scope;
pub mod settings;
pub mod topology;

pub use account::AccountRegion;
pub use endpoint::VpcEndpoint;
pub use ids::{
    AssociationId, AttachmentId, EniId, GroupId, InstanceId, PrefixListId, RouteTableId, SubnetId,
    VpcId,
};
pub use protocol::{IcmpMatch, PortRange, Protocol, ProtocolError};
pub use provenance::Provenance;
pub use scope::{ReconcileKey, ReconcileKeyKind};
pub use settings::{MAX_REGISTRATION_TIMEOUT, PolicyMode, Settings, SettingsError};
pub use topology::{
    Attachment, CidrSource, GroupReference, IngressPermission, Instance, InstanceState,
    ManagedPrefixList, NetworkInterface, PrefixListEntry, PrefixListReference, ReadTargets, Route,
    RouteDestination, RouteState, RouteTable, RouteTableAssociation, RouteTargets, SecurityGroup,
    Subnet, Topology, Vpc,
};
