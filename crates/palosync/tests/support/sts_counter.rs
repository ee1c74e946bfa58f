//! A TCP relay in front of moto that counts the STS `AssumeRole` requests passing through it,
//! so a test can tell how often palosync asked for credentials (moto keeps no such count).
//! Plain threads over std, as the runtime API emulator.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// The STS query-protocol action, as it appears in a request body.
const NEEDLE: &[u8] = b"Action=AssumeRole&";

pub struct StsCounter {
    url: String,
    assumed: Arc<AtomicUsize>,
}

impl StsCounter {
    /// Relay to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let assumed = Arc::new(AtomicUsize::new(0));
        let counter = assumed.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let counter = counter.clone();
                let (client_in, server_out) = (client.try_clone(), server.try_clone());
                let (Ok(client_in), Ok(server_out)) = (client_in, server_out) else {
                    continue;
                };
                thread::spawn(move || relay(client_in, server_out, Some(&counter)));
                thread::spawn(move || relay(server, client, None));
            }
        });
        Self { url, assumed }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// `AssumeRole` requests relayed so far.
    pub fn assumed(&self) -> usize {
        self.assumed.load(Ordering::SeqCst)
    }
}

/// Copy `from` to `to` until either closes, counting [`NEEDLE`] across read boundaries.
fn relay(mut from: TcpStream, mut to: TcpStream, counter: Option<&AtomicUsize>) {
    let mut buffer = [0u8; 16 * 1024];
    let mut window: Vec<u8> = Vec::new();
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 {
            break;
        }
        // Counted before it is forwarded, so the count is complete once the answer arrives.
        if let Some(counter) = counter {
            window.extend_from_slice(&buffer[..n]);
            let found = window
                .windows(NEEDLE.len())
                .filter(|w| *w == NEEDLE)
                .count();
            counter.fetch_add(found, Ordering::SeqCst);
            // Keep only what could begin a match that the next read completes.
            let keep = window.len().min(NEEDLE.len() - 1);
            window.drain(..window.len() - keep);
        }
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
