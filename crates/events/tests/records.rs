//! Every CloudTrail record we act on, as a bare record: the exact keys and provenance it yields.

mod support;

use model::ReconcileKey::{
    Attachment, Everything, Instance, NetworkInterface, PrefixList, RouteTable,
    RouteTableAssociation, SecurityGroup, Vpc,
};
use support::{assert_only_triggers, by_alice, by_deploy, parse, triggers};

const WEB1: &str = "i-0f1e2d3c4b5a69781";
const WEB2: &str = "i-02468ace13579bdf0";
const APP1: &str = "i-0123456789abcdef0";
const WEB_SG: &str = "sg-0a1b2c3d4e5f60718";
const APP_SG: &str = "sg-0123456789abcdef1";
const DB_SG: &str = "sg-0fedcba9876543212";
const ENI2: &str = "eni-0123456789abcdef3";
const RTB: &str = "rtb-0a1b2c3d4e5f6071b";
const RTB2: &str = "rtb-0123456789abcdef4";
const ASSOC: &str = "rtbassoc-0a1b2c3d4e5f6071c";
const VPC: &str = "vpc-0a1b2c3d4e5f6071d";

macro_rules! fixture {
    ($name:literal) => {
        parse(include_bytes!(concat!(
            "../fixtures/record_",
            $name,
            ".json"
        )))
    };
}

#[test]
fn start_instances_reconciles_the_started_instance() {
    let expected = triggers(vec![Instance(WEB1.into())], &by_alice("StartInstances", 1));
    assert_only_triggers(&fixture!("start_instances"), expected);
}

#[test]
fn stop_instances_by_an_assumed_role_keeps_the_role_as_principal() {
    let provenance = by_deploy("StopInstances", 2, "198.51.100.7");
    assert_only_triggers(
        &fixture!("stop_instances"),
        triggers(vec![Instance(WEB1.into())], &provenance),
    );
}

#[test]
fn terminate_instances_names_every_instance_in_request_order() {
    let keys = vec![Instance(WEB1.into()), Instance(WEB2.into())];
    assert_only_triggers(
        &fixture!("terminate_instances"),
        triggers(keys, &by_alice("TerminateInstances", 3)),
    );
}

#[test]
fn run_instances_takes_the_new_ids_from_the_response() {
    let keys = vec![
        Instance("i-0fedcba9876543210".into()),
        Instance("i-0fedcba9876543211".into()),
    ];
    let provenance = by_deploy("RunInstances", 4, "cloudformation.amazonaws.com");
    assert_only_triggers(&fixture!("run_instances"), triggers(keys, &provenance));
}

#[test]
fn authorize_ingress_reconciles_the_group() {
    let provenance = by_alice("AuthorizeSecurityGroupIngress", 5);
    assert_only_triggers(
        &fixture!("authorize_security_group_ingress"),
        triggers(vec![SecurityGroup(WEB_SG.into())], &provenance),
    );
}

#[test]
fn authorize_ingress_by_group_name_only_widens_to_everything() {
    let provenance = by_alice("AuthorizeSecurityGroupIngress", 6);
    assert_only_triggers(
        &fixture!("authorize_security_group_ingress_by_group_name"),
        triggers(vec![Everything], &provenance),
    );
}

#[test]
fn revoke_ingress_by_permissions_reconciles_the_group() {
    let provenance = by_deploy("RevokeSecurityGroupIngress", 7, "203.0.113.10");
    assert_only_triggers(
        &fixture!("revoke_security_group_ingress_by_permissions"),
        triggers(vec![SecurityGroup(APP_SG.into())], &provenance),
    );
}

#[test]
fn revoke_ingress_by_rule_ids_reconciles_the_group() {
    let provenance = by_alice("RevokeSecurityGroupIngress", 8);
    assert_only_triggers(
        &fixture!("revoke_security_group_ingress_by_rule_ids"),
        triggers(vec![SecurityGroup(DB_SG.into())], &provenance),
    );
}

#[test]
fn modify_security_group_rules_reads_the_pascal_case_wrapper() {
    let provenance = by_alice("ModifySecurityGroupRules", 9);
    assert_only_triggers(
        &fixture!("modify_security_group_rules"),
        triggers(vec![SecurityGroup(WEB_SG.into())], &provenance),
    );
}

#[test]
fn delete_security_group_reconciles_the_group() {
    let provenance = by_alice("DeleteSecurityGroup", 10);
    assert_only_triggers(
        &fixture!("delete_security_group"),
        triggers(vec![SecurityGroup(DB_SG.into())], &provenance),
    );
}

#[test]
fn modify_instance_attribute_with_group_set_reconciles_the_instance() {
    let provenance = by_alice("ModifyInstanceAttribute", 11);
    assert_only_triggers(
        &fixture!("modify_instance_attribute_group_set"),
        triggers(vec![Instance(APP1.into())], &provenance),
    );
}

#[test]
fn modify_network_interface_attribute_with_group_set_reconciles_the_interface() {
    let provenance = by_deploy("ModifyNetworkInterfaceAttribute", 13, "203.0.113.10");
    assert_only_triggers(
        &fixture!("modify_network_interface_attribute_group_set"),
        triggers(vec![NetworkInterface(ENI2.into())], &provenance),
    );
}

#[test]
fn attach_network_interface_reconciles_interface_and_instance() {
    let keys = vec![NetworkInterface(ENI2.into()), Instance(APP1.into())];
    assert_only_triggers(
        &fixture!("attach_network_interface"),
        triggers(keys, &by_alice("AttachNetworkInterface", 14)),
    );
}

#[test]
fn detach_network_interface_is_known_only_by_its_attachment() {
    let keys = vec![Attachment("eni-attach-0a1b2c3d4e5f6071a".into())];
    assert_only_triggers(
        &fixture!("detach_network_interface"),
        triggers(keys, &by_alice("DetachNetworkInterface", 15)),
    );
}

#[test]
fn route_changes_reconcile_the_route_table() {
    assert_only_triggers(
        &fixture!("create_route"),
        triggers(vec![RouteTable(RTB.into())], &by_alice("CreateRoute", 16)),
    );
    assert_only_triggers(
        &fixture!("replace_route"),
        triggers(
            vec![RouteTable(RTB.into())],
            &by_deploy("ReplaceRoute", 17, "203.0.113.10"),
        ),
    );
    assert_only_triggers(
        &fixture!("delete_route"),
        triggers(vec![RouteTable(RTB2.into())], &by_alice("DeleteRoute", 18)),
    );
}

#[test]
fn associate_route_table_reconciles_the_table_and_the_new_association() {
    let keys = vec![
        RouteTable(RTB2.into()),
        RouteTableAssociation("rtbassoc-0123456789abcdef5".into()),
    ];
    assert_only_triggers(
        &fixture!("associate_route_table"),
        triggers(keys, &by_alice("AssociateRouteTable", 19)),
    );
}

#[test]
fn replace_route_table_association_reconciles_old_association_and_new_table() {
    let keys = vec![RouteTableAssociation(ASSOC.into()), RouteTable(RTB2.into())];
    assert_only_triggers(
        &fixture!("replace_route_table_association"),
        triggers(keys, &by_alice("ReplaceRouteTableAssociation", 20)),
    );
}

#[test]
fn disassociate_route_table_reconciles_the_association() {
    let keys = vec![RouteTableAssociation(ASSOC.into())];
    assert_only_triggers(
        &fixture!("disassociate_route_table"),
        triggers(keys, &by_alice("DisassociateRouteTable", 21)),
    );
}

#[test]
fn private_ip_changes_reconcile_the_interface() {
    assert_only_triggers(
        &fixture!("assign_private_ip_addresses"),
        triggers(
            vec![NetworkInterface(ENI2.into())],
            &by_alice("AssignPrivateIpAddresses", 22),
        ),
    );
    assert_only_triggers(
        &fixture!("unassign_private_ip_addresses"),
        triggers(
            vec![NetworkInterface(ENI2.into())],
            &by_alice("UnassignPrivateIpAddresses", 23),
        ),
    );
}

#[test]
fn vpc_cidr_changes_reconcile_the_vpc() {
    assert_only_triggers(
        &fixture!("associate_vpc_cidr_block"),
        triggers(
            vec![Vpc(VPC.into())],
            &by_alice("AssociateVpcCidrBlock", 24),
        ),
    );
    assert_only_triggers(
        &fixture!("disassociate_vpc_cidr_block"),
        triggers(
            vec![Vpc(VPC.into())],
            &by_alice("DisassociateVpcCidrBlock", 25),
        ),
    );
}

#[test]
fn disassociate_vpc_cidr_block_without_vpc_id_widens_to_everything() {
    assert_only_triggers(
        &fixture!("disassociate_vpc_cidr_block_without_vpc_id"),
        triggers(vec![Everything], &by_alice("DisassociateVpcCidrBlock", 26)),
    );
}

#[test]
fn modify_managed_prefix_list_reconciles_the_list() {
    let keys = vec![PrefixList("pl-0a1b2c3d4e5f6071f".into())];
    assert_only_triggers(
        &fixture!("modify_managed_prefix_list"),
        triggers(keys, &by_alice("ModifyManagedPrefixList", 27)),
    );
}

#[test]
fn instance_lists_are_read_in_every_ec2_spelling() {
    let fixture = include_bytes!("../fixtures/record_start_instances.json");
    let spellings = [
        serde_json::json!({"item": [{"instanceId": WEB1}]}),
        serde_json::json!([{"instanceId": WEB1}]),
        serde_json::json!({"items": {"instanceId": WEB1}}),
        // An empty request list: the response names the instance.
        serde_json::json!({}),
    ];
    for spelling in spellings {
        let mut record: serde_json::Value = serde_json::from_slice(fixture).unwrap();
        record["requestParameters"]["instancesSet"] = spelling.clone();
        let ingest = parse(&serde_json::to_vec(&record).unwrap());
        let expected = triggers(vec![Instance(WEB1.into())], &by_alice("StartInstances", 1));
        assert_eq!(ingest.triggers, expected, "instancesSet = {spelling}");
    }
}

#[test]
fn regression_released_ipv6_address_kept_its_rule_until_a_sync() {
    // AssignIpv6Addresses / UnassignIpv6Addresses were subscribed but skipped as not acted on.
    assert_only_triggers(
        &fixture!("assign_ipv6_addresses"),
        triggers(
            vec![NetworkInterface(ENI2.into())],
            &by_alice("AssignIpv6Addresses", 0x40),
        ),
    );
    assert_only_triggers(
        &fixture!("unassign_ipv6_addresses"),
        triggers(
            vec![NetworkInterface(ENI2.into())],
            &by_alice("UnassignIpv6Addresses", 0x41),
        ),
    );
}

#[test]
fn regression_restored_prefix_list_version_was_neither_subscribed_nor_handled() {
    let keys = vec![PrefixList("pl-0a1b2c3d4e5f6071f".into())];
    assert_only_triggers(
        &fixture!("restore_managed_prefix_list_version"),
        triggers(keys, &by_alice("RestoreManagedPrefixListVersion", 0x42)),
    );
}

#[test]
fn ipv6_address_change_without_the_interface_in_its_request_uses_the_response() {
    let fixture = include_bytes!("../fixtures/record_unassign_ipv6_addresses.json");
    let mut record: serde_json::Value = serde_json::from_slice(fixture).unwrap();
    record["requestParameters"]
        .as_object_mut()
        .unwrap()
        .remove("networkInterfaceId");
    let ingest = parse(&serde_json::to_vec(&record).unwrap());
    let expected = triggers(
        vec![NetworkInterface(ENI2.into())],
        &by_alice("UnassignIpv6Addresses", 0x41),
    );
    assert_only_triggers(&ingest, expected);
    record["responseElements"] = serde_json::json!({"_return": true});
    let ingest = parse(&serde_json::to_vec(&record).unwrap());
    assert_eq!(ingest.triggers, vec![]);
    assert_eq!(
        ingest.skips[0].reason,
        events::SkipReason::MissingResourceId {
            field: "requestParameters.networkInterfaceId".into()
        }
    );
}
