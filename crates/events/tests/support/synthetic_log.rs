//! A CloudTrail log file generated on the fly, for memory tests and throughput measurements.
//!
//! `SyntheticLog` is a `Read` that produces `{"Records":[…]}` of realistic records until it has
//! produced `target_bytes`, without ever holding more than one record: the file never exists
//! in memory. The first `relevant_records` records are EC2 calls we act on (StartInstances of
//! distinct instances); the rest are the usual bulk of a trail: other services, read-only
//! calls and EC2 calls we do not act on. Shared by tests, the example and the bench via `#[path]`.
#![allow(dead_code)]

use std::io::{self, Read};

#[derive(Debug)]
pub struct SyntheticLog {
    target_bytes: u64,
    relevant_records: u64,
    produced: u64,
    records: u64,
    chunk: Vec<u8>,
    at: usize,
    finished: bool,
}

impl SyntheticLog {
    pub fn new(target_bytes: u64, relevant_records: u64) -> Self {
        Self {
            target_bytes,
            relevant_records,
            produced: 0,
            records: 0,
            chunk: br#"{"Records":["#.to_vec(),
            at: 0,
            finished: false,
        }
    }

    /// Records written so far (all of them once the reader is exhausted).
    pub fn records(&self) -> u64 {
        self.records
    }

    fn refill(&mut self) {
        self.chunk.clear();
        self.at = 0;
        if self.finished {
            return;
        }
        if self.produced >= self.target_bytes {
            self.chunk.extend_from_slice(b"]}\n");
            self.finished = true;
            return;
        }
        if self.records > 0 {
            self.chunk.push(b',');
        }
        let n = self.records;
        let record = if n < self.relevant_records {
            start_instances(n)
        } else {
            match n % 5 {
                0 => s3_get_object(n),
                1 => describe_instances(n),
                2 => create_tags(n),
                3 => assume_role(n),
                _ => kms_decrypt(n),
            }
        };
        self.chunk.extend_from_slice(record.as_bytes());
        self.records += 1;
    }
}

impl Read for SyntheticLog {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.chunk.len() {
            self.refill();
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        self.produced += n as u64;
        Ok(n)
    }
}

fn common(n: u64, source: &str, name: &str, identity: &str, read_only: bool) -> String {
    format!(
        r#""eventVersion":"1.10","userIdentity":{identity},"eventTime":"2026-11-27T01:{:02}:{:02}Z","eventSource":"{source}","eventName":"{name}","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.{}","userAgent":"aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/{name}","requestID":"c2b4d6e8-0a1c-4e3f-8b5d-{n:012x}","eventID":"9d3e5f7a-1b2c-4d6e-8f0a-{n:012x}","readOnly":{read_only},"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"{}.us-east-1.amazonaws.com"}}"#,
        (n / 60) % 60,
        n % 60,
        n % 250,
        source.trim_end_matches(".amazonaws.com"),
    )
}

fn role(n: u64) -> String {
    format!(
        r#"{{"type":"AssumedRole","principalId":"AROAQEXAMPLEAPP00001:task-{n}","arn":"arn:aws:sts::111122223333:assumed-role/app/task-{n}","accountId":"111122223333","accessKeyId":"ASIAQEXAMPLE{:08}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAQEXAMPLEAPP00001","arn":"arn:aws:iam::111122223333:role/app","accountId":"111122223333","userName":"app"}},"webIdFederationData":{{}},"attributes":{{"creationDate":"2026-11-27T00:00:00Z","mfaAuthenticated":"false"}}}}}}"#,
        n % 100_000_000
    )
}

fn start_instances(n: u64) -> String {
    format!(
        r#"{{{},"requestParameters":{{"instancesSet":{{"items":[{{"instanceId":"i-0{n:016x}"}}]}}}},"responseElements":{{"requestId":"c2b4d6e8-0a1c-4e3f-8b5d-{n:012x}","instancesSet":{{"items":[{{"instanceId":"i-0{n:016x}","currentState":{{"code":0,"name":"pending"}},"previousState":{{"code":80,"name":"stopped"}}}}]}}}}}}"#,
        common(n, "ec2.amazonaws.com", "StartInstances", &role(n), false)
    )
}

fn s3_get_object(n: u64) -> String {
    format!(
        r#"{{{},"requestParameters":{{"bucketName":"app-data","Host":"app-data.s3.us-east-1.amazonaws.com","key":"reports/2026/11/27/part-{n:08}.parquet"}},"responseElements":null,"additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"eXaMpLe{n:016x}","bytesTransferredOut":48213}},"resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::app-data/reports/2026/11/27/part-{n:08}.parquet"}},{{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::app-data"}}]}}"#,
        common(n, "s3.amazonaws.com", "GetObject", &role(n), true)
    )
}

fn describe_instances(n: u64) -> String {
    format!(
        r#"{{{},"requestParameters":{{"instancesSet":{{}},"filterSet":{{"items":[{{"name":"tag:team","valueSet":{{"items":[{{"value":"web"}}]}}}},{{"name":"instance-state-name","valueSet":{{"items":[{{"value":"running"}}]}}}}]}}}},"responseElements":null}}"#,
        common(n, "ec2.amazonaws.com", "DescribeInstances", &role(n), true)
    )
}

fn create_tags(n: u64) -> String {
    format!(
        r#"{{{},"requestParameters":{{"resourcesSet":{{"items":[{{"resourceId":"i-0{n:016x}"}}]}},"tagSet":{{"items":[{{"key":"backup","value":"daily"}}]}}}},"responseElements":{{"requestId":"c2b4d6e8-0a1c-4e3f-8b5d-{n:012x}","_return":true}}}}"#,
        common(n, "ec2.amazonaws.com", "CreateTags", &role(n), false)
    )
}

fn assume_role(n: u64) -> String {
    format!(
        r#"{{{},"requestParameters":{{"roleArn":"arn:aws:iam::111122223333:role/app","roleSessionName":"task-{n}","durationSeconds":3600}},"responseElements":{{"credentials":{{"accessKeyId":"ASIAQEXAMPLE{:08}","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKEN{n:032x}","expiration":"Nov 27, 2026, 2:00:00 AM"}},"assumedRoleUser":{{"assumedRoleId":"AROAQEXAMPLEAPP00001:task-{n}","arn":"arn:aws:sts::111122223333:assumed-role/app/task-{n}"}}}},"resources":[{{"accountId":"111122223333","type":"AWS::IAM::Role","ARN":"arn:aws:iam::111122223333:role/app"}}]}}"#,
        common(n, "sts.amazonaws.com", "AssumeRole", &role(n), false),
        n % 100_000_000
    )
}

fn kms_decrypt(n: u64) -> String {
    format!(
        r#"{{{},"requestParameters":{{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{{"aws:lambda:FunctionArn":"arn:aws:lambda:us-east-1:111122223333:function:app"}}}},"responseElements":null,"resources":[{{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}}]}}"#,
        common(n, "kms.amazonaws.com", "Decrypt", &role(n), true)
    )
}
