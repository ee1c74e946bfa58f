//! Streaming a CloudTrail log file `{"Records":[…]}`, plain or gzip.
//!
//! Log files run to tens of MB. The visitor walks the top-level object and the `Records` array
//! one record at a time, handing each to the collector as soon as it is read; nothing of a
//! record outlives its turn unless it becomes a trigger or an itemised skip, and irrelevant
//! records are only counted. It must never buffer the file or collect records first. A bare
//! top-level array of records goes through the same per-record path.

use crate::collector::{Collector, Origin};
use crate::error::{Envelope, EventsError};
use crate::ingest::{EventFilter, Ingest};
use crate::record::Record;
use flate2::read::MultiGzDecoder;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::io::{BufRead, BufReader, Read};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether bytes start like a gzip stream.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// A CloudTrail log file, plain or gzip (detected by its magic bytes), streamed from any
/// reader with memory bounded by the largest record, not by the number of records.
pub fn parse_log_file<R: Read>(reader: R, filter: &EventFilter) -> Result<Ingest, EventsError> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let head = reader
        .fill_buf()
        .map_err(|err| read_error(&err.to_string()))?;
    if is_gzip(head) {
        let decoder = BufReader::with_capacity(64 * 1024, MultiGzDecoder::new(reader));
        parse_plain(decoder, filter)
    } else {
        parse_plain(reader, filter)
    }
}

fn read_error(message: &str) -> EventsError {
    EventsError::Read {
        envelope: Envelope::CloudTrailLogFile,
        message: message.to_owned(),
    }
}

fn parse_plain<R: Read>(reader: R, filter: &EventFilter) -> Result<Ingest, EventsError> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let ingest = parse_with(&mut deserializer, filter)?;
    deserializer
        .end()
        .map_err(|err| EventsError::from_json(Envelope::CloudTrailLogFile, &err))?;
    Ok(ingest)
}

/// Runs the streaming visitor over any serde_json deserializer (a reader or an in-memory slice).
pub(crate) fn parse_with<'de, D>(
    deserializer: D,
    filter: &EventFilter,
) -> Result<Ingest, EventsError>
where
    D: Deserializer<'de, Error = serde_json::Error>,
{
    let mut collector = Collector::for_log_file(filter);
    let found_records = deserializer
        .deserialize_map(LogFileVisitor {
            collector: &mut collector,
        })
        .map_err(|err| EventsError::from_json(Envelope::CloudTrailLogFile, &err))?;
    if !found_records {
        return Err(EventsError::malformed(
            Envelope::CloudTrailLogFile,
            "no \"Records\" array",
        ));
    }
    Ok(collector.finish())
}

/// A top-level JSON array of CloudTrail records, streamed like a log file's `Records` (and
/// tallied like one: such arrays are whole logs, mostly of other calls).
pub(crate) fn parse_record_array<'de, D>(
    deserializer: D,
    filter: &EventFilter,
) -> Result<Ingest, EventsError>
where
    D: Deserializer<'de, Error = serde_json::Error>,
{
    let mut collector = Collector::for_log_file(filter);
    deserializer
        .deserialize_seq(RecordsSeed {
            collector: &mut collector,
        })
        .map_err(|err| EventsError::from_json(Envelope::CloudTrailRecordArray, &err))?;
    Ok(collector.finish())
}

#[derive(serde::Deserialize)]
#[serde(field_identifier)]
enum TopField {
    Records,
    #[serde(other)]
    Other,
}

struct LogFileVisitor<'c, 'f> {
    collector: &'c mut Collector<'f>,
}

impl<'de> Visitor<'de> for LogFileVisitor<'_, '_> {
    /// Whether a `Records` key was present.
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail log file object {\"Records\": [...]}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(field) = map.next_key::<TopField>()? {
            match field {
                TopField::Records => {
                    map.next_value_seed(RecordsSeed {
                        collector: &mut *self.collector,
                    })?;
                    found = true;
                }
                TopField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

struct RecordsSeed<'c, 'f> {
    collector: &'c mut Collector<'f>,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let origin = Origin::default();
        while let Some(record) = seq.next_element::<Record>()? {
            self.collector.record(record, &origin);
        }
        Ok(())
    }
}
