//! Turns whatever invoked palosync into *what to reconcile* and *why*.
//!
//! Input is any Lambda payload or CLI file: an EventBridge event (CloudTrail API call, EC2
//! state change, schedule), an S3 event notification, an SQS batch, an SNS notification, a bare
//! CloudTrail record, a CloudTrail log file (plain or gzip, streamed), a JSON array of records,
//! the output of `aws cloudtrail lookup-events`, or an EventBridge Scheduler `{"action":"sync"}`. The envelope is recognised by its shape, never by a setting.
//! Output is an [`Ingest`]: reconcile keys with provenance, skips with typed reasons, log objects
//! to fetch, and per-message SQS outcomes.
//!
//! Events never carry the truth: a key only says which resource to re-read. This crate does no
//! IO beyond the reader it is handed, never panics on input, and never turns a readable record
//! into an error: records that are not for us (failed calls, other services, read-only calls,
//! calls we do not act on, other regions or accounts, duplicates) are skips.

mod collector;
mod ec2_json;
mod envelope;
mod error;
mod eventbridge;
mod ingest;
mod lenient;
mod logfile;
mod lookup;
mod mapping;
mod queues;
mod record;
mod s3;
mod shape;
mod skip;

pub use envelope::parse_payload;
pub use error::{Envelope, EventsError};
pub use ingest::{EventFilter, Ingest, LogObjectRef, MessageOutcome, Trigger};
pub use logfile::parse_log_file;
pub use skip::{Skip, SkipReason, SkipTally};
