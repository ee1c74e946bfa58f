//! HTTP(S) transport: `/api` and `/api/` (GET and POST form, query and body merged), the
//! `/_sim/*` test endpoints, latency and fault injection, TLS via rustls (ring provider).
//!
//! This module must never interpret PAN-OS requests beyond extracting parameters and
//! credentials; [`crate::api::handle`] does that.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use base64::Engine;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::api::{self, ApiRequest};
use crate::response::Reply;
use crate::state::{FaultPlan, SimState};

/// State shared by all connections.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<SimState>,
}

impl Shared {
    pub fn new(state: SimState) -> Arc<Shared> {
        Arc::new(Shared {
            state: Mutex::new(state),
        })
    }

    /// Locks the simulator state, first running any jobs that are due.
    pub fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock cannot leave the tree half-written in a way later
        // requests could not read, so a poisoned lock is still usable.
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.advance(Instant::now());
        guard
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api", any(api_endpoint))
        .route("/api/", any(api_endpoint))
        .route("/_sim/stats", get(stats_endpoint))
        .route(
            "/_sim/faults",
            post(faults_endpoint).get(faults_get_endpoint),
        )
        .route("/_sim/reset", post(reset_endpoint))
        .with_state(shared)
}

fn xml_response(reply: Reply) -> Response {
    let status =
        StatusCode::from_u16(reply.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/xml; charset=UTF-8")],
        reply.body,
    )
        .into_response();
    if status == StatusCode::FORBIDDEN {
        resp.extensions_mut()
            .insert(hyper::ext::ReasonPhrase::from_static(b"Invalid Credential"));
    }
    resp
}

fn parse_request(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> ApiRequest {
    let mut params: Vec<(String, String)> = uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !body.is_empty() && !content_type.starts_with("multipart/") {
        params.extend(form_urlencoded::parse(body).into_owned());
    }
    let header_key = headers
        .get("x-pan-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let basic_auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|s| {
            s.split_once(':')
                .map(|(u, p)| (u.to_string(), p.to_string()))
        });
    ApiRequest {
        params,
        header_key,
        basic_auth,
    }
}

async fn api_endpoint(
    State(shared): State<Arc<Shared>>,
    _method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (latency, fault) = {
        let mut st = shared.lock();
        st.stats.bytes_in += body.len() as u64 + uri.query().map_or(0, |q| q.len() as u64);
        let fault = st.faults.take_for_request();
        if fault != Default::default() {
            st.stats.faults_injected += 1;
        }
        (st.settings.latency, fault)
    };
    let delay = latency + fault.hang.unwrap_or_default();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let reply = if let Some(status) = fault.http_error {
        Reply {
            http_status: status,
            body: "<html><body>Internal Server Error (panos-sim fault)</body></html>".into(),
        }
    } else if fault.session_timeout {
        Reply::ok("<response status=\"error\" code=\"22\"><msg><line>Session timed out</line></msg></response>".into())
    } else {
        let req = parse_request(&uri, &headers, &body);
        let mut st = shared.lock();
        api::handle(&mut st, &req, Instant::now())
    };
    shared.lock().stats.bytes_out += reply.body.len() as u64;
    if fault.http_error.is_some() {
        return (
            StatusCode::from_u16(reply.http_status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(header::CONTENT_TYPE, "text/html")],
            reply.body,
        )
            .into_response();
    }
    xml_response(reply)
}

fn json_response<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn stats_endpoint(State(shared): State<Arc<Shared>>) -> Response {
    let stats = shared.lock().stats_snapshot();
    json_response(&stats)
}

async fn faults_endpoint(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let plan: FaultPlan = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("bad fault plan: {e}")).into_response(),
    };
    let mut st = shared.lock();
    apply_faults(&mut st, plan);
    json_response(&st.faults)
}

/// Adds a fault plan to the pending faults (commit failures go to the job queue).
pub fn apply_faults(st: &mut SimState, plan: FaultPlan) {
    st.jobs.forced_failures += plan.fail_commits;
    let f = &mut st.faults;
    f.http_errors += plan.http_errors;
    if plan.http_status.is_some() {
        f.http_status = plan.http_status;
    }
    if plan.hang_requests > 0 {
        f.hang_ms = plan.hang_ms;
        f.hang_requests += plan.hang_requests;
    }
    f.session_timeouts += plan.session_timeouts;
    for (serial, n) in plan.fail_pushes {
        *f.fail_pushes.entry(serial).or_default() += n;
    }
    for (serial, n) in plan.out_of_sync_pushes {
        *f.out_of_sync_pushes.entry(serial).or_default() += n;
    }
}

async fn faults_get_endpoint(State(shared): State<Arc<Shared>>) -> Response {
    let mut plan = shared.lock().faults.clone();
    plan.fail_commits = shared.lock().jobs.forced_failures;
    json_response(&plan)
}

async fn reset_endpoint(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().reset();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from("{\"reset\":true}"),
    )
        .into_response()
}

/// Accepts connections until `shutdown` flips; each connection is served by hyper (HTTP/1.1).
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let tls = tls.clone();
        connections.spawn(async move {
            let builder = hyper::server::conn::http1::Builder::new();
            match tls {
                Some(acceptor) => {
                    if let Ok(tls_stream) = acceptor.accept(stream).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(tls_stream), service)
                            .await;
                    }
                }
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            }
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    connections.shutdown().await;
}

pub fn local_addr(listener: &TcpListener) -> std::io::Result<SocketAddr> {
    listener.local_addr()
}
