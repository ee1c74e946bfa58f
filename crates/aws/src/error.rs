//! The inventory's errors: what failed, against which AWS operation or file, and why.
//!
//! Messages name the operation and the resource so a log line alone says what to fix. They never
//! carry secret values (see `secrets` for the API key's own error type).

use std::error::Error as StdError;

pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// An AWS call failed (after the SDK's retries).
    #[error("AWS {operation} failed: {message}")]
    Aws {
        operation: &'static str,
        message: String,
        #[source]
        source: BoxError,
    },
    /// AWS answered with something the model cannot hold (a missing id, an unparsable CIDR).
    #[error("AWS {operation} returned {resource} {detail}")]
    Malformed {
        operation: &'static str,
        resource: String,
        detail: String,
    },
    /// Fleet discovery found no running instance.
    #[error("no running firewall carries {selector}")]
    EmptyFleet { selector: String },
    #[error("cannot read snapshot {path}: {source}")]
    SnapshotIo {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("snapshot is not valid JSON of the documented shape: {0}")]
    SnapshotFormat(#[source] serde_json::Error),
    #[error("snapshot version {found} is not supported (this build reads version {supported})")]
    SnapshotVersion { found: u32, supported: u32 },
    #[error("CloudTrail log object s3://{bucket}/{key} does not exist")]
    LogObjectNotFound { bucket: String, key: String },
    #[error(
        "CloudTrail log object s3://{bucket}/{key} is {size} bytes, over the {limit}-byte limit"
    )]
    LogObjectTooLarge {
        bucket: String,
        key: String,
        size: u64,
        limit: u64,
    },
    #[error("CloudTrail log object s3://{bucket}/{key} could not be parsed: {source}")]
    LogObjectParse {
        bucket: String,
        key: String,
        #[source]
        source: events::EventsError,
    },
    #[error("reading CloudTrail log object s3://{bucket}/{key} failed: {message}")]
    LogObjectRead {
        bucket: String,
        key: String,
        message: String,
    },
}

impl InventoryError {
    /// Wrap an SDK error, keeping the full context chain in the message.
    pub(crate) fn aws<E>(operation: &'static str, error: E) -> Self
    where
        E: StdError + Send + Sync + 'static,
    {
        let message = aws_sdk_ec2::error::DisplayErrorContext(&error).to_string();
        InventoryError::Aws {
            operation,
            message,
            source: Box::new(error),
        }
    }

    pub(crate) fn malformed(
        operation: &'static str,
        resource: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        InventoryError::Malformed {
            operation,
            resource: resource.into(),
            detail: detail.into(),
        }
    }
}
