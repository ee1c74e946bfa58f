//! A one-invocation Lambda Runtime API, enough to time a function's cold start: it hands out
//! one event on `GET …/invocation/next`, notes when that request arrived and when the answer
//! was posted, and holds any later `/next` open as the real service does.
//!
//! Plain HTTP/1.1 over std on 127.0.0.1 only; it never serves anything else.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const REQUEST_ID: &str = "bench-cold-start-0001";

#[derive(Debug, Default)]
struct Timeline {
    first_next: Option<Instant>,
    answered: Option<(Instant, String)>,
    handed_out: bool,
}

#[derive(Debug)]
pub struct OneInvocation {
    addr: SocketAddr,
    timeline: Arc<(Mutex<Timeline>, Condvar)>,
}

/// When the function first asked for work and when it answered.
#[derive(Debug, Clone)]
pub struct ColdStart {
    pub first_next: Instant,
    pub answered: Instant,
    /// `response` or `error`, and the body.
    pub outcome: String,
}

impl OneInvocation {
    pub fn start(payload: &[u8]) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let timeline: Arc<(Mutex<Timeline>, Condvar)> = Arc::default();
        let shared = Arc::clone(&timeline);
        let payload = payload.to_vec();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                let payload = payload.clone();
                thread::spawn(move || serve(stream, &shared, &payload));
            }
        });
        Ok(Self { addr, timeline })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub fn wait(&self, timeout: Duration) -> Result<ColdStart> {
        let (lock, wake) = &*self.timeline;
        let deadline = Instant::now() + timeout;
        let mut timeline = lock.lock().expect("timeline lock is never poisoned");
        loop {
            if let (Some(first_next), Some((answered, outcome))) =
                (timeline.first_next, &timeline.answered)
            {
                return Ok(ColdStart {
                    first_next,
                    answered: *answered,
                    outcome: outcome.clone(),
                });
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("the function did not answer within {timeout:?}");
            }
            timeline = wake
                .wait_timeout(timeline, left)
                .expect("timeline lock is never poisoned")
                .0;
        }
    }
}

fn serve(stream: TcpStream, shared: &(Mutex<Timeline>, Condvar), payload: &[u8]) {
    let _ = serve_requests(stream, shared, payload);
}

fn serve_requests(
    mut stream: TcpStream,
    shared: &(Mutex<Timeline>, Condvar),
    payload: &[u8],
) -> Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let arrived = Instant::now();
        let mut words = line.split_whitespace();
        let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let (method, path) = (method.to_owned(), path.to_owned());
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().context("content-length")?;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let (lock, wake) = shared;
        if method == "GET" && path == NEXT {
            let mut timeline = lock.lock().expect("timeline lock is never poisoned");
            timeline.first_next.get_or_insert(arrived);
            while timeline.handed_out {
                timeline = wake
                    .wait(timeline)
                    .expect("timeline lock is never poisoned");
            }
            timeline.handed_out = true;
            drop(timeline);
            reply(&mut stream, "200 OK", &invocation_headers(), payload)?;
        } else if method == "POST" && path.contains(REQUEST_ID) {
            let kind = path.rsplit('/').next().unwrap_or("").to_owned();
            let text = format!("{kind}: {}", String::from_utf8_lossy(&body));
            lock.lock()
                .expect("timeline lock is never poisoned")
                .answered
                .get_or_insert((arrived, text));
            wake.notify_all();
            reply(&mut stream, "202 Accepted", &[], br#"{"status":"OK"}"#)?;
        } else {
            reply(&mut stream, "404 Not Found", &[], b"{}")?;
        }
    }
}

fn invocation_headers() -> Vec<(&'static str, String)> {
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        + 60_000;
    vec![
        ("Lambda-Runtime-Aws-Request-Id", REQUEST_ID.to_owned()),
        ("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string()),
        (
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:111122223333:function:palosync".to_owned(),
        ),
        (
            "Lambda-Runtime-Trace-Id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".to_owned(),
        ),
    ]
}

fn reply(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}
