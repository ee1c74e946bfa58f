//! A one-invocation Lambda Runtime API for running the real binary as the Lambda does
//! (`palosync` with `AWS_LAMBDA_RUNTIME_API` set): `GET …/invocation/next` hands out the one
//! payload with a deadline `budget` from now, the function's `…/response` or `…/error` is
//! recorded, and a second `/next` is held open (the function is then idle; the soak kills it).
//! Why: a Lambda run's config-lock lease ends at its invocation deadline, so a Lambda killed
//! mid-run is recoverable seconds later, as in production.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the function answered, if it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Pending,
    Response,
    Error,
}

#[derive(Debug)]
struct Invocation {
    payload: Option<Vec<u8>>,
    budget: Duration,
    answer: Answer,
}

/// A runtime API serving one invocation.
#[derive(Debug, Clone)]
pub struct LambdaApi {
    pub address: String,
    state: Arc<Mutex<Invocation>>,
    shutdown: Arc<tokio::sync::Notify>,
}

impl LambdaApi {
    pub async fn start(payload: Vec<u8>, budget: Duration) -> anyhow::Result<LambdaApi> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?.to_string();
        let state = Arc::new(Mutex::new(Invocation {
            payload: Some(payload),
            budget,
            answer: Answer::Pending,
        }));
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(state.clone());
        let shutdown = Arc::new(tokio::sync::Notify::new());
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.notified().await })
                .await;
        });
        Ok(LambdaApi {
            address,
            state,
            shutdown,
        })
    }

    pub fn answer(&self) -> Answer {
        self.state.lock().expect("invocation").answer
    }

    pub fn stop(&self) {
        self.shutdown.notify_waiters();
    }
}

async fn next(State(state): State<Arc<Mutex<Invocation>>>) -> axum::response::Response {
    let taken = {
        let mut invocation = state.lock().expect("invocation");
        invocation.payload.take().map(|p| (p, invocation.budget))
    };
    let Some((payload, budget)) = taken else {
        // The real service holds /next open until the next event; the soak never sends one.
        std::future::pending::<()>().await;
        unreachable!("pending never resolves")
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(budget)
        .as_millis();
    let mut headers = HeaderMap::new();
    let pairs = [
        (
            "lambda-runtime-aws-request-id",
            "soak-invocation".to_owned(),
        ),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:111122223333:function:palosync".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1".to_owned(),
        ),
        ("content-type", "application/json".to_owned()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    (headers, payload).into_response()
}

async fn answer(
    State(state): State<Arc<Mutex<Invocation>>>,
    Path((_id, kind)): Path<(String, String)>,
    _body: Bytes,
) -> impl IntoResponse {
    state.lock().expect("invocation").answer = if kind == "response" {
        Answer::Response
    } else {
        Answer::Error
    };
    (axum::http::StatusCode::ACCEPTED, "{\"status\":\"OK\"}")
}

async fn init_error(
    State(state): State<Arc<Mutex<Invocation>>>,
    _body: Bytes,
) -> impl IntoResponse {
    state.lock().expect("invocation").answer = Answer::Error;
    (axum::http::StatusCode::ACCEPTED, "{\"status\":\"OK\"}")
}
