//! Scenario: a CloudTrail log object is read from S3 (gzip and plain) into triggers, missing
//! and oversized objects fail clearly; the API key is read from Secrets Manager (plain and
//! JSON) and from an SSM SecureString, and missing secrets say so.

mod support;

use aws::{
    ApiKeySource, InventoryError, InventoryOptions, ScopeOptions, SdkInventory, SecretError,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use events::{EventFilter, LogObjectRef};
use flate2::Compression;
use flate2::write::GzEncoder;
use model::{GroupId, InstanceId, ReconcileKey, RouteTableId};
use std::io::Write;

const REGION: &str = "ap-southeast-1";
const LOG: &str = include_str!("../../../examples/cloudtrail-log.json");

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

async fn bucket_with(config: &aws_config::SdkConfig, bucket: &str, objects: &[(&str, Vec<u8>)]) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .expect("create bucket");
    for (key, body) in objects {
        s3.put_object()
            .bucket(bucket)
            .key(*key)
            .body(ByteStream::from(body.clone()))
            .send()
            .await
            .expect("put object");
    }
}

fn object(bucket: &str, key: &str) -> LogObjectRef {
    LogObjectRef {
        bucket: bucket.into(),
        key: key.into(),
        region: Some(REGION.into()),
    }
}

fn inventory(config: &aws_config::SdkConfig, max_bytes: u64) -> SdkInventory {
    let mut options = InventoryOptions::new(ScopeOptions::default());
    options.max_log_object_bytes = max_bytes;
    SdkInventory::new(config, options)
}

#[tokio::test]
async fn gzip_and_plain_log_objects_stream_into_triggers() {
    let config = support::moto_config(REGION).await;
    let gz_key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/27/111122223333_CloudTrail_us-east-1_20261127T0105Z_AbCdEfGh12345678.json.gz";
    bucket_with(
        &config,
        "trail-logs-gzip",
        &[
            (gz_key, gzip(LOG.as_bytes())),
            ("plain/log.json", LOG.as_bytes().to_vec()),
        ],
    )
    .await;
    let inventory = inventory(&config, aws::DEFAULT_MAX_LOG_OBJECT_BYTES);
    let filter = EventFilter::any();
    let from_gzip = inventory
        .read_cloudtrail_log(&object("trail-logs-gzip", gz_key), &filter)
        .await
        .expect("gzip log object");
    let keys: Vec<ReconcileKey> = from_gzip.keys().into_iter().cloned().collect();
    assert_eq!(
        keys,
        [
            ReconcileKey::RouteTable(RouteTableId::new("rtb-007c15471a4517d6c")),
            ReconcileKey::Instance(InstanceId::new("i-063f65da874007cb4")),
            ReconcileKey::SecurityGroup(GroupId::new("sg-018dff3934223aa56")),
        ]
    );
    let direct = events::parse_log_file(LOG.as_bytes(), &filter).expect("direct parse");
    assert_eq!(
        from_gzip, direct,
        "bytes from S3 parse exactly like the file"
    );
    let from_plain = inventory
        .read_cloudtrail_log(&object("trail-logs-gzip", "plain/log.json"), &filter)
        .await
        .expect("plain log object");
    assert_eq!(from_plain, direct);
    assert_eq!(inventory.call_count().of("GetObject"), 2);
}

#[tokio::test]
async fn missing_log_object_or_bucket_is_a_clear_error() {
    let config = support::moto_config(REGION).await;
    bucket_with(&config, "trail-logs-missing", &[]).await;
    let inventory = inventory(&config, aws::DEFAULT_MAX_LOG_OBJECT_BYTES);
    for (bucket, key) in [
        ("trail-logs-missing", "nope.json.gz"),
        ("no-such-bucket-here", "x.json.gz"),
    ] {
        let error = inventory
            .read_cloudtrail_log(&object(bucket, key), &EventFilter::any())
            .await
            .expect_err("missing object");
        assert!(
            matches!(error, InventoryError::LogObjectNotFound { .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!("CloudTrail log object s3://{bucket}/{key} does not exist")
        );
    }
}

#[tokio::test]
async fn log_object_over_the_size_limit_is_refused() {
    let config = support::moto_config(REGION).await;
    let body = gzip(LOG.as_bytes());
    let size = body.len() as u64;
    bucket_with(&config, "trail-logs-large", &[("big.json.gz", body)]).await;
    let inventory = inventory(&config, size - 1);
    let error = inventory
        .read_cloudtrail_log(
            &object("trail-logs-large", "big.json.gz"),
            &EventFilter::any(),
        )
        .await
        .expect_err("over the limit");
    assert!(
        matches!(error, InventoryError::LogObjectTooLarge { size: s, limit, .. } if s == size && limit == size - 1),
        "{error:?}"
    );
}

#[tokio::test]
async fn api_key_from_secrets_manager_plain_and_json_and_from_ssm() {
    let config = support::moto_config("ap-northeast-1").await;
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    for (name, value) in [
        ("palosync/plain", "LUFRPT1plain=="),
        (
            "palosync/json",
            r#"{"api_key": "LUFRPT1json==", "admin": "palosync"}"#,
        ),
    ] {
        secrets
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("create secret");
    }
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name("/palosync/api-key")
        .value("LUFRPT1ssm==")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("put parameter");

    for (source, expected) in [
        (
            ApiKeySource::SecretsManager("palosync/plain".into()),
            "LUFRPT1plain==",
        ),
        (
            ApiKeySource::SecretsManager("palosync/json".into()),
            "LUFRPT1json==",
        ),
        (
            ApiKeySource::SsmParameter("/palosync/api-key".into()),
            "LUFRPT1ssm==",
        ),
    ] {
        let key = aws::fetch_api_key(&config, &source).await.expect("api key");
        assert_eq!(key.expose(), expected, "{source}");
        assert!(!format!("{key:?}").contains(expected));
    }
}

#[tokio::test]
async fn missing_secret_and_parameter_say_not_found() {
    let config = support::moto_config("ap-south-1").await;
    for source in [
        ApiKeySource::SecretsManager("palosync/absent".into()),
        ApiKeySource::SsmParameter("/palosync/absent".into()),
    ] {
        let error = aws::fetch_api_key(&config, &source)
            .await
            .expect_err("absent");
        assert!(matches!(error, SecretError::NotFound { .. }), "{error:?}");
        assert_eq!(error.to_string(), format!("{source} does not exist"));
    }
}
