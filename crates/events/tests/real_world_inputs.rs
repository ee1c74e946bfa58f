//! Every third-party event file in `fixtures/real-world/` (issue 12, item 11), fed through
//! `parse_payload` exactly as `palosync handle` and the Lambda do, with what each must yield.
//!
//! The files were written or captured by other projects (provenance in
//! `fixtures/real-world/PROVENANCE.md`, traps in `NOTES.md`): `{}` for empty sets, `item` vs
//! `items`, the legacy flat AuthorizeSecurityGroupIngress, string ports, v1.0 records without
//! event ids, anonymised ids and regions, whole logs as bare arrays in descending time order,
//! SNS-wrapped EventBridge, organisation-trail S3 keys, plain-text SNS and SQS messages. The
//! table is exhaustive both ways: a file without a row, or a row without a file, fails.
//! `TRAP-*` files are other projects' fixtures with shapes AWS never sends: they must not panic
//! and must never yield a key or a log object.

mod support;

use events::{Envelope, EventFilter, SkipReason, parse_payload};
use model::ReconcileKey::{Everything, RouteTable};
use std::path::Path;
use support::yields::Yield::{self, *};
use support::yields::{failed, group, instance, key, log, other_source, skip, tally, yields};

/// file (under fixtures/real-world/) → exactly what it yields.
fn table() -> Vec<(&'static str, Vec<Yield>)> {
    let stratus_instance = "i-DDd6c7B0e18F0E35f";
    vec![
        // --- CloudTrail records and log bodies ---------------------------------------------
        (
            "cloudtrail/awsdocs-logfile-errorcode-updatetrail.json",
            vec![tally(
                "UpdateTrail",
                other_source("cloudtrail.amazonaws.com"),
                1,
            )],
        ),
        (
            // eventVersion 1.0: no eventID, no recipientAccountId.
            "cloudtrail/awsdocs-logfile-startinstances-v1.0.json",
            vec![key("StartInstances", instance("i-ebeaf9e2"))],
        ),
        (
            "cloudtrail/awsdocs-logfile-stopinstances-v1.0.json",
            vec![key("StopInstances", instance("i-ebeaf9e2"))],
        ),
        (
            "cloudtrail/awsdocs-logfile-terminateinstances.json",
            vec![key("TerminateInstances", instance("i-1a2b3c4d"))],
        ),
        (
            "cloudtrail/custodian-runinstances-assumedrole.json",
            vec![key("RunInstances", instance("i-0f7c711dc84bedda0"))],
        ),
        (
            // Two instances launched by autoscaling for root; `groupSet: {}` in the response.
            "cloudtrail/custodian-runinstances-autoscaling-root.json",
            vec![
                key("RunInstances", instance("i-784cdacd")),
                key("RunInstances", instance("i-7b4cdace")),
            ],
        ),
        (
            "cloudtrail/custodian-runinstances-console-iamuser.json",
            vec![key("RunInstances", instance("i-0f7c711dc84bedda0"))],
        ),
        (
            // `groups: {}`, `ipv6Ranges: {}`, `prefixListIds: {}`; securityGroupRuleSet.items.
            "cloudtrail/elastic-authorize-sg-ingress-items-sgr.json",
            vec![key(
                "AuthorizeSecurityGroupIngress",
                group("sg-0f63fecfa17ef4fee"),
            )],
        ),
        (
            // privateIpAddressesSet spelled {"item": [...]}.
            "cloudtrail/elastic-runinstances-privateIpAddressesSet-item.json",
            vec![key("RunInstances", instance("i-0f2f135de18b555e3"))],
        ),
        (
            "cloudtrail/elastic-terminateinstances-terraform.json",
            vec![key("TerminateInstances", instance("i-00000000000000000"))],
        ),
        (
            // Egress rules do not change what enters through the firewall.
            "cloudtrail/panther-authorize-sg-egress-terraform-proto-minus1-CONVERTED.json",
            vec![skip("AuthorizeSecurityGroupEgress", SkipReason::NotActedOn)],
        ),
        (
            // Ports as strings ("443"): the group is re-read, the ports never parsed here.
            "cloudtrail/panther-authorize-sg-ingress-console-STRING-ports-CONVERTED.json",
            vec![key(
                "AuthorizeSecurityGroupIngress",
                group("sg-04f0b44316f7d2471"),
            )],
        ),
        (
            "cloudtrail/panther-authorize-sg-ingress-console-errorcode-CONVERTED.json",
            vec![skip(
                "AuthorizeSecurityGroupIngress",
                failed("UnauthorizedOperation"),
            )],
        ),
        (
            "cloudtrail/panther-authorize-sg-ingress-go-script-CONVERTED.json",
            vec![key(
                "AuthorizeSecurityGroupIngress",
                group("sg-0d921df5d84f7270a"),
            )],
        ),
        (
            "cloudtrail/panther-createroute-errorcode-sanitized-CONVERTED.json",
            vec![skip("CreateRoute", failed("Blocked"))],
        ),
        (
            // Sanitised ids ("rtb-1") are still ids of their kind.
            "cloudtrail/panther-createroute-sanitized-CONVERTED.json",
            vec![key("CreateRoute", RouteTable("rtb-1".into()))],
        ),
        (
            "cloudtrail/panther-stopinstances-two-instances-CONVERTED.json",
            vec![
                key("StopInstances", instance("i-EXAMPLE56126103cb")),
                key("StopInstances", instance("i-EXAMPLEaff4840c22")),
            ],
        ),
        (
            "cloudtrail/sekoia-modifyinstanceattribute-userdata-root-awsinternal.json",
            vec![skip(
                "ModifyInstanceAttribute",
                SkipReason::NoSecurityGroupChange,
            )],
        ),
        (
            "cloudtrail/sekoia-modifyinstanceattribute-userdata-root-awsinternal2.json",
            vec![skip(
                "ModifyInstanceAttribute",
                SkipReason::NoSecurityGroupChange,
            )],
        ),
        (
            // Legacy flat form: cidrIp/fromPort/toPort at top level, "ipPermissions": {}.
            "cloudtrail/stratus-authorize-sg-ingress-flat-cidrip.json",
            vec![key(
                "AuthorizeSecurityGroupIngress",
                group("sg-003dc7f1f1c686164"),
            )],
        ),
        (
            "cloudtrail/stratus-modifyinstanceattribute-userdata.json",
            vec![skip(
                "ModifyInstanceAttribute",
                SkipReason::NoSecurityGroupChange,
            )],
        ),
        (
            "cloudtrail/stratus-runinstances-errorcode-unauthorized.json",
            vec![skip("RunInstances", failed("Client.UnauthorizedOperation"))],
        ),
        (
            // Region "us-northeast-1r" and a mixed-case instance id: not validated strictly.
            "cloudtrail/stratus-startinstances.json",
            vec![key("StartInstances", instance(stratus_instance))],
        ),
        (
            "cloudtrail/stratus-stopinstances-force.json",
            vec![key("StopInstances", instance(stratus_instance))],
        ),
        // --- whole attack-simulation logs: bare JSON arrays ---------------------------------
        (
            "cloudtrail/whole/stratus-aws.execution.ec2-launch-unusual-instances.json",
            vec![
                skip("RunInstances", failed("Client.UnauthorizedOperation")),
                tally("AssumeRole", other_source("sts.amazonaws.com"), 2),
            ],
        ),
        (
            // 35 records in descending time order: the stop comes first, the start after.
            "cloudtrail/whole/stratus-aws.execution.ec2-user-data.json",
            vec![
                key("StartInstances", instance(stratus_instance)),
                key("StopInstances", instance(stratus_instance)),
                skip("ModifyInstanceAttribute", SkipReason::NoSecurityGroupChange),
                tally("DescribeInstances", SkipReason::ReadOnly, 32),
            ],
        ),
        (
            "cloudtrail/whole/stratus-aws.exfiltration.ec2-security-group-open-port-22-ingress.json",
            vec![key(
                "AuthorizeSecurityGroupIngress",
                group("sg-003dc7f1f1c686164"),
            )],
        ),
        // --- envelopes ----------------------------------------------------------------------
        (
            // detail.instance_id (real: instance-id): no key, a skip that says which field.
            "envelopes/TRAP-eventbridge-ec2-state-change-instance_id-powertools.json",
            vec![skip(
                "EC2 Instance State-change Notification",
                SkipReason::MissingResourceId {
                    field: "detail.instance-id".to_owned(),
                },
            )],
        ),
        (
            // detailType (real: detail-type): not an EventBridge event, refused as unknown.
            "envelopes/TRAP-scheduled-event-detailType-camelcase-awsdocs.json",
            vec![NotRecognised(Envelope::Payload)],
        ),
        (
            "envelopes/cloudtrail-sns-delivery-notification-message-2015.json",
            vec![log(
                "878533158213trail-eu-west-1",
                "AWSLogs/878533158213/CloudTrail/eu-west-1/2015/06/18/878533158213_CloudTrail_eu-west-1_20150618T2015Z_H1x5ghOoaLGopLJ7.json.gz",
                None,
            )],
        ),
        (
            // One permission with both ipRanges and ipv6Ranges.
            "envelopes/eventbridge-api-call-authorize-sg-ingress-v4-v6-2021-CONVERTED.json",
            vec![key(
                "AuthorizeSecurityGroupIngress",
                group("sg-0db7d4784c4db8612"),
            )],
        ),
        (
            "envelopes/eventbridge-api-call-createroute-2020-sanitized.json",
            vec![key("CreateRoute", RouteTable("rtb-xxx".into()))],
        ),
        (
            // Only `_return: true` in the response (2019).
            "envelopes/eventbridge-api-call-revoke-sg-ingress-2019.json",
            vec![key(
                "RevokeSecurityGroupIngress",
                group("sg-0f4f552819eac34fc"),
            )],
        ),
        (
            "envelopes/eventbridge-api-call-via-cloudtrail-s3-createbucket-custodian.json",
            vec![skip("CreateBucket", other_source("s3.amazonaws.com"))],
        ),
        (
            "envelopes/eventbridge-ec2-state-change-awsdocs.json",
            vec![key(
                "EC2 Instance State-change Notification",
                instance("i-abcd1111"),
            )],
        ),
        (
            // 2015: no `version` field.
            "envelopes/eventbridge-ec2-state-change-custodian-2015.json",
            vec![key(
                "EC2 Instance State-change Notification",
                instance("i-a2d74f12"),
            )],
        ),
        (
            "envelopes/eventbridge-s3-object-created-powertools.json",
            vec![skip(
                "Object Created",
                SkipReason::UnsupportedDetailType {
                    detail_type: "Object Created".to_owned(),
                },
            )],
        ),
        (
            "envelopes/eventbridge-scheduled-event-custodian.json",
            vec![key("Scheduled Event", Everything)],
        ),
        (
            "envelopes/eventbridge-scheduled-event-rust-runtime.json",
            vec![key("Scheduled Event", Everything)],
        ),
        (
            // The bucket's region (us-west-2) differs from the key's (us-east-1).
            "envelopes/s3-notification-cloudtrail-logfile-2017-CONVERTED.json",
            vec![log(
                "1strategy-training-traillogs",
                "AWSLogs/281782457076/CloudTrail/us-east-1/2017/08/23/281782457076_CloudTrail_us-east-1_20170823T1725Z_Nobz9PDTfkS2itSG.json.gz",
                Some("us-west-2"),
            )],
        ),
        (
            // A URL-encoded key ("Happy%20Face.jpg") of an object that is not a log file.
            "envelopes/s3-notification-lambda-go.json",
            vec![skip(
                "ObjectCreated:Put",
                SkipReason::NotCloudTrailLog {
                    key: "Happy Face.jpg".to_owned(),
                },
            )],
        ),
        (
            // Plain-text Message: a skip with its reason, not a failed invocation.
            "envelopes/sns-event-lambda-go.json",
            vec![skip("Notification", SkipReason::SnsMessageNotJson)],
        ),
        (
            "envelopes/sns-event-rust-runtime.json",
            vec![skip("Notification", SkipReason::SnsMessageNotJson)],
        ),
        (
            // Organisation trail: AWSLogs/o-…/<account>/CloudTrail/<region>/…
            "envelopes/sns-notification-wrapping-s3-cloudtrail-orgtrail-logfile-2020.json",
            vec![log(
                "s3-to-elasticsearch-cloudtrailbucket651b1cf1-1sxwk9yev080b",
                "AWSLogs/o-2xh1murzat/696965430582/CloudTrail/us-west-2/2020/11/01/696965430582_CloudTrail_us-west-2_20201101T2250Z_V84r5ej0Vt9EciUg.json.gz",
                Some("us-west-2"),
            )],
        ),
        (
            "envelopes/sns-wrapping-eventbridge-revoke-sg-ingress-CONVERTED.json",
            vec![key(
                "RevokeSecurityGroupIngress",
                group("sg-0f4f552819eac34fc"),
            )],
        ),
        (
            // Body "Test message.": that message fails alone (redelivered, then the DLQ keeps it).
            "envelopes/sqs-event-lambda-go.json",
            vec![MessageFailed(
                "MessageID_1".to_owned(),
                Envelope::SqsMessageBody,
            )],
        ),
        (
            "envelopes/sqs-event-rust-runtime.json",
            vec![MessageFailed(
                "MessageID_1".to_owned(),
                Envelope::SqsMessageBody,
            )],
        ),
        (
            "envelopes/sqs-wrapping-s3-notification-powertools.json",
            vec![
                skip(
                    "ObjectCreated:Put",
                    SkipReason::NotCloudTrailLog {
                        key: "test.pdf".to_owned(),
                    },
                ),
                MessageOk("ca3e7a89-c358-40e5-8aa0-5da01403c267".to_owned()),
            ],
        ),
        (
            // A pretty-printed SNS body whose Message is JSON of no kind we read.
            "envelopes/sqs-wrapping-sns-notification-powertools.json",
            vec![
                skip(
                    "Notification",
                    SkipReason::SnsMessageNotRecognised {
                        found: r#"found an object with keys "message", "username""#.to_owned(),
                    },
                ),
                MessageOk("79406a00-bf15-46ca-978c-22c3613fcb30".to_owned()),
            ],
        ),
    ]
}

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/real-world");

/// Every `.json` file under `dir`, relative to ROOT, sorted.
fn event_files(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("real-world fixtures are present") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            event_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            let relative = path.strip_prefix(ROOT).expect("under the root");
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    out.sort();
}

#[test]
fn every_real_world_event_file_has_a_row_and_every_row_a_file() {
    let mut files = Vec::new();
    event_files(Path::new(ROOT), &mut files);
    let mut rows: Vec<String> = table().iter().map(|(f, _)| (*f).to_owned()).collect();
    rows.sort();
    assert_eq!(files, rows);
    assert!(files.len() >= 49, "{} files", files.len());
}

#[test]
fn every_real_world_event_file_yields_exactly_its_keys_and_skips() {
    let mut wrong = Vec::new();
    for (file, expected) in table() {
        let bytes = std::fs::read(Path::new(ROOT).join(file)).expect("fixture reads");
        let got = yields(parse_payload(&bytes, &EventFilter::any()));
        if got != expected {
            wrong.push((file, got, expected));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn trap_files_survive_and_never_act() {
    let mut traps = 0;
    for (file, _) in table() {
        if !file.rsplit('/').next().unwrap().starts_with("TRAP-") {
            continue;
        }
        traps += 1;
        let bytes = std::fs::read(Path::new(ROOT).join(file)).expect("fixture reads");
        for got in yields(parse_payload(&bytes, &EventFilter::any())) {
            assert!(!matches!(got, Key(..) | Log(..)), "{file} acted: {got:?}");
        }
    }
    assert_eq!(traps, 2);
}

#[test]
fn real_world_records_outside_the_deployment_are_skipped_not_acted_on() {
    // The anonymised stratus region ("ca-northsouth-2r") is not ours: skipped by region.
    let bytes = std::fs::read(Path::new(ROOT).join("cloudtrail/stratus-startinstances.json"))
        .expect("fixture reads");
    let filter = EventFilter {
        region: Some("us-east-1".to_owned()),
        account: None,
        served: Vec::new(),
    };
    assert_eq!(
        yields(parse_payload(&bytes, &filter)),
        vec![skip(
            "StartInstances",
            SkipReason::OtherRegion {
                region: "ca-northsouth-2r".to_owned()
            }
        )]
    );
}
