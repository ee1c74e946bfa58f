//! A Lambda Runtime API emulator for end-to-end tests of the real `palosync` binary.
//!
//! It serves queued events on `GET /2018-06-01/runtime/invocation/next` with the headers the
//! `lambda_runtime` crate requires, records what the function posts back to `…/response` or
//! `…/error`, and holds `/next` open once the queue is empty, as the real service does. Plain
//! HTTP/1.1 over std, so the test needs no extra server stack.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the function answered for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Response(serde_json::Value),
    Error(serde_json::Value),
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Vec<u8>)>,
    outcomes: Vec<(String, Outcome)>,
    next_id: u64,
}

pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl RuntimeApi {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind runtime API emulator");
        let addr = listener.local_addr().expect("local addr");
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { addr, state }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queue one invocation; returns its request id.
    pub fn invoke(&self, payload: &[u8]) -> String {
        let (lock, wake) = &*self.state;
        let mut state = lock.lock().expect("state lock");
        state.next_id += 1;
        let id = format!("req-{:04}", state.next_id);
        state.queue.push_back((id.clone(), payload.to_vec()));
        wake.notify_all();
        id
    }

    /// Wait for the function's answer to `request_id`.
    pub fn outcome(&self, request_id: &str, timeout: Duration) -> Outcome {
        let (lock, wake) = &*self.state;
        let mut state = lock.lock().expect("state lock");
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some((_, outcome)) = state.outcomes.iter().find(|(id, _)| id == request_id) {
                return outcome.clone();
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            assert!(!left.is_zero(), "no answer for {request_id} within {timeout:?}");
            state = wake.wait_timeout(state, left).expect("state lock").0;
        }
    }
}

fn serve(mut stream: TcpStream, shared: &(Mutex<State>, Condvar)) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut content_length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; content_length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let written = match (method.as_str(), path.as_str()) {
            ("GET", "/2018-06-01/runtime/invocation/next") => next_invocation(&mut stream, shared),
            ("POST", path) if path.starts_with("/2018-06-01/runtime/invocation/") => {
                let rest = &path["/2018-06-01/runtime/invocation/".len()..];
                let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
                let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                let outcome = match kind {
                    "response" => Outcome::Response(value),
                    _ => Outcome::Error(value),
                };
                let (lock, wake) = shared;
                lock.lock().expect("state lock").outcomes.push((id.to_owned(), outcome));
                wake.notify_all();
                reply(&mut stream, "202 Accepted", &[], br#"{"status":"OK"}"#)
            }
            ("POST", "/2018-06-01/runtime/init/error") => {
                reply(&mut stream, "202 Accepted", &[], br#"{"status":"OK"}"#)
            }
            _ => reply(&mut stream, "404 Not Found", &[], b"{}"),
        };
        if written.is_err() {
            return;
        }
    }
}

fn next_invocation(stream: &mut TcpStream, shared: &(Mutex<State>, Condvar)) -> std::io::Result<()> {
    let (lock, wake) = shared;
    let mut state = lock.lock().expect("state lock");
    // An empty queue holds the long poll open, as the real service does.
    let (id, payload) = loop {
        if let Some(next) = state.queue.pop_front() {
            break next;
        }
        state = wake.wait(state).expect("state lock");
    };
    drop(state);
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis()
        + 60_000;
    let headers = [
        ("Lambda-Runtime-Aws-Request-Id", id),
        ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
        (
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:111122223333:function:palosync".to_owned(),
        ),
        (
            "Lambda-Runtime-Trace-Id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".to_owned(),
        ),
    ];
    reply(stream, "200 OK", &headers, &payload)
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
