//! CloudTrail log objects from S3, as a blocking byte stream for the `events` parser.
//!
//! The object is never held in memory whole: the body streams from the SDK through a
//! [`SyncIoBridge`] on a blocking thread. Its size is checked twice, against `Content-Length`
//! before reading and by counting bytes while reading (a length header can be absent or wrong).
//! The bytes are passed on exactly as stored: gzip detection and decompression belong to the
//! parser (by magic bytes), so nothing here decompresses.

use crate::error::InventoryError;
use crate::sdk::SdkInventory;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::get_object::GetObjectError;
use events::{EventFilter, Ingest, LogObjectRef};
use std::io::{self, Read};
use tokio_util::io::SyncIoBridge;

/// Where a log object lives. `region` overrides the inventory's region for this bucket.
#[derive(Debug, Clone, Copy)]
pub struct LogObjectLocation<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub region: Option<&'a str>,
}

/// A reader that fails once more than `limit` bytes came through.
#[derive(Debug)]
struct LimitedRead<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for LimitedRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(ObjectTooLarge { read: self.read }));
        }
        Ok(n)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("object body exceeded the size limit after {read} bytes")]
struct ObjectTooLarge {
    read: u64,
}

impl SdkInventory {
    /// Open the object and hand its bytes to `consume` as a blocking [`Read`], on a blocking
    /// thread. `consume` sees a read error if the body grows past the size limit; that case is
    /// reported as [`InventoryError::LogObjectTooLarge`] whatever `consume` returned.
    pub async fn read_log_object<T, F>(
        &self,
        location: LogObjectLocation<'_>,
        consume: F,
    ) -> Result<T, InventoryError>
    where
        F: FnOnce(&mut dyn Read) -> T + Send + 'static,
        T: Send + 'static,
    {
        let limit = self.options.max_log_object_bytes;
        let too_large = |size: u64| InventoryError::LogObjectTooLarge {
            bucket: location.bucket.to_owned(),
            key: location.key.to_owned(),
            size,
            limit,
        };
        let read_failed = |message: String| InventoryError::LogObjectRead {
            bucket: location.bucket.to_owned(),
            key: location.key.to_owned(),
            message,
        };
        let object = self
            .s3_client(location.region)
            .get_object()
            .bucket(location.bucket)
            .key(location.key)
            .send()
            .await
            .map_err(|error| get_object_error(location, error))?;
        if let Some(length) = object.content_length().and_then(|l| u64::try_from(l).ok())
            && length > limit
        {
            return Err(too_large(length));
        }
        let body = Box::pin(object.body.into_async_read());
        let mut reader = LimitedRead {
            inner: SyncIoBridge::new(body),
            read: 0,
            limit,
        };
        let outcome = tokio::task::spawn_blocking(move || {
            let value = consume(&mut reader);
            (value, reader.read)
        })
        .await;
        match outcome {
            Ok((_, read)) if read > limit => Err(too_large(read)),
            Ok((value, _)) => Ok(value),
            Err(join) => Err(read_failed(format!("the reading thread failed: {join}"))),
        }
    }

    /// Stream a CloudTrail log object (plain or gzip) from S3 into the `events` parser.
    pub async fn read_cloudtrail_log(
        &self,
        object: &LogObjectRef,
        filter: &EventFilter,
    ) -> Result<Ingest, InventoryError> {
        let filter = filter.clone();
        let location = LogObjectLocation {
            bucket: &object.bucket,
            key: &object.key,
            region: object.region.as_deref(),
        };
        self.read_log_object(location, move |reader| {
            events::parse_log_file(reader, &filter)
        })
        .await?
        .map_err(|source| InventoryError::LogObjectParse {
            bucket: object.bucket.clone(),
            key: object.key.clone(),
            source,
        })
    }

    fn s3_client(&self, region: Option<&str>) -> aws_sdk_s3::Client {
        match region {
            Some(region) if self.s3_config.region().map(|r| r.as_ref()) != Some(region) => {
                let config = self
                    .s3_config
                    .to_builder()
                    .region(aws_sdk_s3::config::Region::new(region.to_owned()))
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            }
            _ => aws_sdk_s3::Client::from_conf(self.s3_config.clone()),
        }
    }
}

fn get_object_error(
    location: LogObjectLocation<'_>,
    error: SdkError<GetObjectError, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> InventoryError {
    use aws_sdk_s3::error::ProvideErrorMetadata;
    let missing = match &error {
        SdkError::ServiceError(service) => {
            matches!(service.err(), GetObjectError::NoSuchKey(_))
                || matches!(service.err().code(), Some("NoSuchKey" | "NoSuchBucket"))
        }
        _ => false,
    };
    if missing {
        InventoryError::LogObjectNotFound {
            bucket: location.bucket.to_owned(),
            key: location.key.to_owned(),
        }
    } else {
        InventoryError::aws("GetObject", error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_read_fails_past_the_limit() {
        let mut reader = LimitedRead {
            inner: &[7u8; 100][..],
            read: 0,
            limit: 64,
        };
        let mut out = Vec::new();
        let error = reader.read_to_end(&mut out).unwrap_err();
        assert!(error.to_string().contains("exceeded the size limit"));
    }

    #[test]
    fn limited_read_passes_objects_at_the_limit() {
        let mut reader = LimitedRead {
            inner: &[7u8; 64][..],
            read: 0,
            limit: 64,
        };
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), 64);
    }
}
