//! Throughput of the streaming log-file parser on a generated 16 MiB CloudTrail log, plain and
//! gzip, held in memory so the bench measures parsing, not disk.
//!
//! `cargo bench -p events --bench log_file -- --warm-up-time 1 --measurement-time 3`

#[path = "../tests/support/synthetic_log.rs"]
mod synthetic_log;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use events::{EventFilter, parse_log_file};
use flate2::{Compression, write::GzEncoder};
use std::io::{Read, Write};
use synthetic_log::SyntheticLog;

const MIB: u64 = 1024 * 1024;

fn log_file(c: &mut Criterion) {
    let mut plain = Vec::new();
    SyntheticLog::new(16 * MIB, 200)
        .read_to_end(&mut plain)
        .expect("the generator cannot fail");
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(&plain)
        .expect("writing to a Vec cannot fail");
    let gzip = encoder.finish().expect("writing to a Vec cannot fail");
    let filter = EventFilter::any();

    let mut group = c.benchmark_group("log_file");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(plain.len() as u64));
    group.bench_function("plain_16MiB", |b| {
        b.iter(|| parse_log_file(plain.as_slice(), &filter).expect("parses"))
    });
    group.bench_function("gzip_16MiB", |b| {
        b.iter(|| parse_log_file(gzip.as_slice(), &filter).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, log_file);
criterion_main!(benches);
