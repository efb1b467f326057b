//! A fault-injecting HTTP proxy on 127.0.0.1 in front of a Kinesis-API server.
//!
//! Local servers never throttle nor fail part of a call, so this proxy does, on a
//! deterministic schedule of `PutRecords` calls:
//! - every `fail_every`-th record of a call is kept from the server and answered as a
//!   `ProvisionedThroughputExceededException` entry (a partial failure);
//! - every `throttle_every`-th call is answered with a throttling error, unsent;
//! - every `drop_before_every`-th call has its connection closed before it is sent;
//! - every `drop_after_every`-th call is sent but its answer is lost (connection
//!   closed): the only way this proxy causes duplicates, counted in
//!   [`Counters::records_in_lost_answers`].
//!
//! Other calls (`CreateStream`, `GetRecords`, …) pass through untouched.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};

/// Which faults to inject; 0 turns a fault off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub fail_every: u64,
    pub throttle_every: u64,
    pub drop_before_every: u64,
    pub drop_after_every: u64,
}

/// What the proxy did.
#[derive(Debug, Default)]
pub struct Counters {
    pub put_calls: AtomicU64,
    pub records_failed: AtomicU64,
    pub calls_throttled: AtomicU64,
    pub calls_dropped_before: AtomicU64,
    pub calls_dropped_after: AtomicU64,
    pub records_in_lost_answers: AtomicU64,
}

pub struct Proxy {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct State {
    upstream: SocketAddr,
    faults: Faults,
    counters: Arc<Counters>,
    record_no: AtomicU64,
    client: Client<HttpConnector, Full<Bytes>>,
}

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}
impl std::error::Error for Dropped {}

impl Proxy {
    pub async fn start(upstream: SocketAddr, faults: Faults) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counters = Arc::new(Counters::default());
        let state = Arc::new(State {
            upstream,
            faults,
            counters: counters.clone(),
            record_no: AtomicU64::new(0),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { state.handle(req).await }
                    });
                    // A service error closes the connection without an answer.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            counters,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

fn every(n: u64, i: u64) -> bool {
    n > 0 && i % n == n - 1
}

impl State {
    async fn handle(&self, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Dropped> {
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
        let is_put = parts
            .headers
            .get("x-amz-target")
            .is_some_and(|t| t.as_bytes().ends_with(b".PutRecords"));
        if !is_put {
            let (status, headers, body) = self.forward(&parts, body).await?;
            return Ok(respond(status, headers, body));
        }
        let c = &self.counters;
        let call = c.put_calls.fetch_add(1, SeqCst);
        if every(self.faults.drop_before_every, call) {
            c.calls_dropped_before.fetch_add(1, SeqCst);
            return Err(Dropped);
        }
        if every(self.faults.throttle_every, call) {
            c.calls_throttled.fetch_add(1, SeqCst);
            let body = json!({"__type": "ProvisionedThroughputExceededException",
                              "message": "Rate exceeded for stream (injected)"});
            return Ok(json_response(StatusCode::BAD_REQUEST, &body));
        }
        // Keep some records from the server; they are answered as failed entries.
        let mut request: Value = serde_json::from_slice(&body).map_err(|_| Dropped)?;
        let records = request["Records"].as_array().cloned().unwrap_or_default();
        let mut failed = Vec::with_capacity(records.len());
        let mut kept = Vec::with_capacity(records.len());
        for r in records {
            let no = self.record_no.fetch_add(1, SeqCst);
            let fail = every(self.faults.fail_every, no);
            failed.push(fail);
            if !fail {
                kept.push(r);
            }
        }
        let n_failed = failed.iter().filter(|f| **f).count() as u64;
        c.records_failed.fetch_add(n_failed, SeqCst);
        let n_kept = kept.len() as u64;
        let mut upstream_entries = Vec::new().into_iter();
        let mut upstream_failed = 0;
        if !kept.is_empty() {
            request["Records"] = Value::Array(kept);
            let body = Bytes::from(serde_json::to_vec(&request).unwrap());
            let (status, headers, answer) = self.forward(&parts, body).await?;
            if status != StatusCode::OK {
                return Ok(respond(status, headers, answer));
            }
            if every(self.faults.drop_after_every, call) {
                c.calls_dropped_after.fetch_add(1, SeqCst);
                c.records_in_lost_answers.fetch_add(n_kept, SeqCst);
                return Err(Dropped);
            }
            let answer: Value = serde_json::from_slice(&answer).map_err(|_| Dropped)?;
            upstream_failed = answer["FailedRecordCount"].as_u64().unwrap_or(0);
            upstream_entries = answer["Records"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter();
        }
        let entries: Vec<Value> = failed
            .iter()
            .map(|&f| {
                if f {
                    json!({"ErrorCode": "ProvisionedThroughputExceededException",
                           "ErrorMessage": "Rate exceeded for shard (injected)"})
                } else {
                    upstream_entries.next().unwrap_or(Value::Null)
                }
            })
            .collect();
        let body = json!({"FailedRecordCount": upstream_failed + n_failed, "Records": entries});
        Ok(json_response(StatusCode::OK, &body))
    }

    async fn forward(
        &self,
        parts: &hyper::http::request::Parts,
        body: Bytes,
    ) -> Result<(StatusCode, hyper::HeaderMap, Bytes), Dropped> {
        let uri = format!(
            "http://{}{}",
            self.upstream,
            parts.uri.path_and_query().map_or("/", |p| p.as_str())
        );
        let mut req = Request::builder().method(parts.method.clone()).uri(uri);
        for (name, value) in &parts.headers {
            if name != "content-length" {
                req = req.header(name, value);
            }
        }
        let req = req.body(Full::new(body)).map_err(|_| Dropped)?;
        let res = self.client.request(req).await.map_err(|_| Dropped)?;
        let (parts, body) = res.into_parts();
        let body = body.collect().await.map_err(|_| Dropped)?.to_bytes();
        Ok((parts.status, parts.headers, body))
    }
}

fn respond(status: StatusCode, headers: hyper::HeaderMap, body: Bytes) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    for (name, value) in &headers {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            res.headers_mut().insert(name, value.clone());
        }
    }
    res
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())));
    *res.status_mut() = status;
    res.headers_mut().insert(
        "content-type",
        "application/x-amz-json-1.1".parse().unwrap(),
    );
    res
}
