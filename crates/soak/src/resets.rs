//! Connection resets between palosync and the firewall: a TCP relay in front of the simulator
//! that, when armed, answers the next connections with a reset (zero linger, then close) and
//! drops every connection open at that moment (so a pooled keep-alive connection dies under
//! palosync mid-run). Relays bytes unchanged otherwise; never looks inside them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct ResetRelay {
    /// `http://127.0.0.1:PORT`, palosync's `PANOS_URL`.
    pub url: String,
    pending: Arc<AtomicU32>,
    generation: watch::Sender<u64>,
}

impl ResetRelay {
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<ResetRelay> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let pending = Arc::new(AtomicU32::new(0));
        let (generation, _) = watch::channel(0u64);
        let relay = ResetRelay {
            url,
            pending: pending.clone(),
            generation: generation.clone(),
        };
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let reset = pending
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if reset {
                    let _ = client.set_zero_linger();
                    drop(client);
                    continue;
                }
                let mut changed = generation.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = changed.changed() => {
                            let _ = client.set_zero_linger();
                        }
                    }
                });
            }
        });
        Ok(relay)
    }

    /// Reset the next `connections` new connections and every open one.
    pub fn arm(&self, connections: u32) {
        self.pending.fetch_add(connections, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Stop resetting new connections.
    pub fn disarm(&self) {
        self.pending.store(0, Ordering::SeqCst);
    }
}
