//! A fault-injecting HTTP proxy in front of moto: palosync's AWS calls go through it, and while
//! a fault is armed a fraction of them are answered with EC2's throttling error (HTTP 400
//! `Throttling`), a 503 `RequestLimitExceeded` or a 500 instead of being forwarded. The soak's own
//! reads of moto bypass it. Never changes a forwarded request or answer.

use crate::rng::Rng;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};

/// What the proxy does to the calls it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsFault {
    /// Forward everything.
    None,
    /// HTTP 400 `Throttling`, as EC2 answers when its rate is exceeded.
    Throttling,
    /// HTTP 503 `RequestLimitExceeded`.
    Unavailable,
    /// HTTP 500 `InternalError`.
    Internal,
}

#[derive(Debug)]
struct Armed {
    fault: AwsFault,
    /// Percentage of calls that fail while armed.
    percent: u64,
    rng: Rng,
    injected: u64,
}

#[derive(Debug, Clone)]
struct Shared {
    upstream: String,
    client: reqwest::Client,
    armed: Arc<Mutex<Armed>>,
}

/// A running proxy; dropping it leaves the server task to the runtime's end.
#[derive(Debug, Clone)]
pub struct AwsProxy {
    pub url: String,
    armed: Arc<Mutex<Armed>>,
}

impl AwsProxy {
    pub async fn start(upstream: &str, seed: u64) -> anyhow::Result<AwsProxy> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let armed = Arc::new(Mutex::new(Armed {
            fault: AwsFault::None,
            percent: 0,
            rng: Rng::new(seed),
            injected: 0,
        }));
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
            armed: armed.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(shared);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(AwsProxy { url, armed })
    }

    /// Fail `percent`% of the calls from now on with `fault` (`AwsFault::None` disarms).
    pub fn arm(&self, fault: AwsFault, percent: u64) {
        let mut armed = self.armed.lock().expect("proxy state");
        armed.fault = fault;
        armed.percent = percent;
    }

    /// Calls failed so far.
    pub fn injected(&self) -> u64 {
        self.armed.lock().expect("proxy state").injected
    }
}

fn error_response(fault: AwsFault) -> Response {
    let (status, code) = match fault {
        AwsFault::Throttling | AwsFault::None => (StatusCode::BAD_REQUEST, "Throttling"),
        AwsFault::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "RequestLimitExceeded"),
        AwsFault::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
         <Message>soak: injected {code}</Message></Error></Errors>\
         <RequestID>00000000-0000-4000-8000-000000000000</RequestID></Response>"
    );
    (status, [("content-type", "text/xml;charset=UTF-8")], body).into_response()
}

async fn forward(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = {
        let mut armed = shared.armed.lock().expect("proxy state");
        let percent = armed.percent;
        let hit = armed.fault != AwsFault::None && armed.rng.next_u64() % 100 < percent;
        if hit {
            armed.injected += 1;
        }
        hit.then_some(armed.fault)
    };
    if let Some(fault) = fault {
        return error_response(fault);
    }
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut request = shared
        .client
        .request(method, format!("{}{path}", shared.upstream))
        .body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = answer.status();
            let mut out = Response::builder().status(status);
            for (name, value) in answer.headers() {
                if name != "content-length" && name != "transfer-encoding" {
                    out = out.header(name, value);
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            out.body(Body::from(bytes))
                .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
