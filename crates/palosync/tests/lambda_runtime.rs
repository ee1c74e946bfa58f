//! The real `palosync` binary as AWS Lambda runs it: `AWS_LAMBDA_RUNTIME_API` points at an
//! emulator in this test, AWS is moto, the firewall is the simulator. One invocation per
//! envelope kind, each answer checked, and the rulebase checked after each.

mod support;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Child, Stdio};
use std::time::Duration;
use support::moto::{cidr, tcp};
use support::runtime_api::{Outcome, RuntimeApi};
use support::*;

const BUCKET: &str = "trail-bucket";
const LOG_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/27/111122223333_CloudTrail_us-east-1_20261127T0105Z_AbCdEfGh12345678.json.gz";
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

struct Function(Child);

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn log_path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("palosync-lambda-{}.log", std::process::id()))
}

/// The function's EMF report lines so far.
fn report_lines() -> Vec<Value> {
    std::fs::read_to_string(log_path())
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line.get("_aws").is_some())
        .collect()
}

fn start_function(api: &RuntimeApi, h: &Harness) -> Function {
    let log = log_path();
    let log = std::fs::File::create(log).expect("log file");
    let child = palosync_command(&h.sim, &h.vpc.firewall)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "palosync")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", testkit::moto_endpoint())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("palosync starts");
    Function(child)
}

/// Wait for the function's answer without stalling the runtime that serves the simulator.
fn wait_for(api: &RuntimeApi, request_id: &str) -> Outcome {
    tokio::task::block_in_place(|| api.outcome(request_id, ANSWER_WITHIN))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn sqs_record(message_id: &str, body: &str) -> Value {
    json!({
        "messageId": message_id,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1795741500000",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1795741500010"
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:palosync-events",
        "awsRegion": "us-east-1"
    })
}

// The simulator serves the function from this process: the test waits on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_eventbridge_s3_and_sqs_invocations_through_the_runtime_api() {
    let h = Harness::new("us-east-1").await;
    let api = RuntimeApi::start();
    let _function = start_function(&api, &h);
    let (web1, group) = (h.vpc.web1.clone(), h.vpc.web_group.clone());
    let instances = json!({ "instancesSet": { "items": [{ "instanceId": web1 }] } });

    // 1. EventBridge: an instance started.
    let start = palosync::demo::api_call_event("StartInstances", "alice", 101, instances.clone());
    let id = api.invoke(start.to_string().as_bytes());
    let Outcome::Response(answer) = wait_for(&api, &id) else {
        panic!("StartInstances failed");
    };
    assert_eq!(answer["keys"], 1, "{answer}");
    assert!(answer["operations"].as_u64().unwrap_or(0) >= 2, "{answer}");
    assert_eq!(answer["commit"]["result"], "committed", "{answer}");
    assert_eq!(h.managed_rules().await.len(), 1);
    // Its report line carries the invocation's CloudWatch metrics (EMF).
    let metrics = report_lines().into_iter().next().expect("a report line");
    assert_eq!(
        metrics["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "palosync"
    );
    assert_eq!(metrics["Function"], "palosync");
    assert_eq!(metrics["RulesCreated"], 1, "{metrics}");
    assert_eq!(metrics["Commits"], 1, "{metrics}");
    assert!(metrics["CommitDuration"].is_u64(), "{metrics}");
    assert_eq!(metrics["report"]["trigger"], "lambda");

    // 2. S3: a CloudTrail log file with an AuthorizeSecurityGroupIngress record.
    h.ec2
        .authorize_security_group_ingress()
        .group_id(&group)
        .ip_permissions(tcp(8443).ip_ranges(cidr("198.51.100.0/24")).build())
        .send()
        .await
        .expect("authorize in moto");
    let permission = json!({ "groupId": group, "ipPermissions": { "items": [{
        "ipProtocol": "tcp", "fromPort": 8443, "toPort": 8443,
        "ipRanges": { "items": [{ "cidrIp": "198.51.100.0/24" }] } }] } });
    let record = palosync::demo::api_call_event(
        "AuthorizeSecurityGroupIngress",
        "bob",
        102,
        permission,
    )["detail"]
        .clone();
    let log = json!({ "Records": [record] }).to_string();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&h.sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    s3.put_object()
        .bucket(BUCKET)
        .key(LOG_KEY)
        .body(gzip(log.as_bytes()).into())
        .send()
        .await
        .expect("put log object");
    let notification = json!({ "Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
        "eventTime": "2026-11-27T01:05:12.345Z", "eventName": "ObjectCreated:Put",
        "userIdentity": { "principalId": "AWS:AROAEXAMPLE:regionalDeliverySession" },
        "requestParameters": { "sourceIPAddress": "192.0.2.44" },
        "responseElements": { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8" },
        "s3": { "s3SchemaVersion": "1.0", "configurationId": "ct-logs",
            "bucket": { "name": BUCKET, "ownerIdentity": { "principalId": "A3NL1KOZZKExample" },
                        "arn": format!("arn:aws:s3:::{BUCKET}") },
            "object": { "key": LOG_KEY, "size": 1234, "eTag": "0123456789abcdef", "sequencer": "0A1B2C3D4E5F678901" } }
    }] });
    let id = api.invoke(notification.to_string().as_bytes());
    let Outcome::Response(answer) = wait_for(&api, &id) else {
        panic!("the S3 notification failed");
    };
    assert_eq!(answer["commit"]["result"], "committed", "{answer}");
    let managed = h.managed_rules().await;
    assert!(
        managed
            .iter()
            .any(|r| r.name.starts_with(&group) && r.service == ["tcp_8443"]),
        "{managed:#?}"
    );

    // 3. SQS: a batch with one good message and one that is not JSON.
    h.ec2
        .stop_instances()
        .instance_ids(&web1)
        .send()
        .await
        .expect("stop in moto");
    let stop = palosync::demo::api_call_event("StopInstances", "alice", 103, instances);
    let batch = json!({ "Records": [
        sqs_record("good-message", &stop.to_string()),
        sqs_record("bad-message", "{ this is not json"),
    ] });
    let id = api.invoke(batch.to_string().as_bytes());
    let Outcome::Response(answer) = wait_for(&api, &id) else {
        panic!("the SQS batch failed as a whole");
    };
    assert_eq!(
        answer,
        json!({ "batchItemFailures": [{ "itemIdentifier": "bad-message" }] })
    );
    assert!(h.managed_rules().await.is_empty(), "the stop was applied");

    // 4. Not a payload palosync knows: an error with a meaningful type.
    let id = api.invoke(br#"{"hello": "world"}"#);
    let Outcome::Error(error) = wait_for(&api, &id) else {
        panic!("an unknown payload must fail");
    };
    assert_eq!(error["errorType"], "InvalidPayload", "{error}");
}
