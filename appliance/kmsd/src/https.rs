//! The HTTPS listener: health, readiness, metrics, the audit log and the storage erase (REST
//! comes later on the same listener).
//!
//! A client certificate is optional here (load balancer probes carry none) but verified
//! against the CA and its CRLs when presented; `/metrics` is served only to callers whose role
//! is admin or auditor. A connection whose certificate a reloaded CRL revokes is closed.
//!
//! Every wait on a client is bounded: header reads by the idle timeout (also between
//! keep-alive requests), bodies by the read timeout and [`MAX_BODY`], stuck writes by the write
//! timeout ([`WriteStallTimeout`]) and the whole connection by `https_lifetime`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};
use hyper::header::{ALLOW, CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::registry::Registry;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error, info};

use crate::accept::Shutdown;
use crate::admission::Handshake;
use crate::config::Timeouts;
use crate::metrics::ListenerMetrics;
use crate::revocation::{peer_chain, until_revoked};
use crate::service::{KmipService, Refusal};
use crate::stall::WriteStallTimeout;
use keywarden_tls::{ClientTrust, IdentitySource, peer_identity};

/// Largest request body accepted; no resource uses a body yet, so this only bounds the work a
/// client can make the server do.
pub const MAX_BODY: usize = 64 * 1024;

/// Content type of `/metrics` as encoded by prometheus-client.
const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Shared state of all HTTPS connections.
pub struct HttpsContext<S> {
    /// The key service (for readiness).
    pub service: Arc<S>,
    /// TLS with optional client certificates.
    pub acceptor: TlsAcceptor,
    /// The client CAs and their current CRLs.
    pub trust: Arc<ClientTrust>,
    /// Which part of the certificate is the caller identity.
    pub identity: IdentitySource,
    /// Every metric of the process.
    pub registry: Arc<Registry>,
    /// Timeouts.
    pub timeouts: Timeouts,
    /// Listener metrics.
    pub metrics: ListenerMetrics,
}

/// Serves one accepted TCP connection with HTTP/1.1 until it ends or shutdown.
pub async fn connection<S: KmipService>(
    ctx: Arc<HttpsContext<S>>,
    tcp: TcpStream,
    peer: SocketAddr,
    mut shutdown: Shutdown,
    handshake: Handshake,
) {
    let _open = ctx.metrics.open_guard();
    let io = WriteStallTimeout::new(ctx.metrics.count(tcp), ctx.timeouts.write);
    let tls = match timeout(ctx.timeouts.handshake, ctx.acceptor.accept(io)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            ctx.metrics.handshake_failures.inc();
            debug!(%peer, error = %e, "HTTPS TLS handshake failed");
            return;
        }
        Err(_) => {
            ctx.metrics.handshake_failures.inc();
            debug!(%peer, "HTTPS TLS handshake timed out");
            return;
        }
    };
    // The handshake is over: the connection no longer counts against the handshake limits.
    drop(handshake);
    // The verifier checked any presented chain during the handshake (a resumed session is
    // checked against the current CRLs here).
    let chain = peer_chain(tls.get_ref().1);
    let client = match chain.first() {
        None => Client::Anonymous,
        Some(_) if !ctx.trust.still_trusted(&chain) => {
            ctx.metrics.handshake_failures.inc();
            debug!(%peer, "HTTPS client certificate no longer trusted, closing");
            return;
        }
        Some(cert) => match peer_identity(cert, ctx.identity) {
            Ok(identity) => Client::Certified(Arc::new(ctx.service.caller(&identity, peer))),
            // A verified certificate without a usable identity (e.g. no SAN of the configured
            // kind) is served like an anonymous probe.
            Err(e) => {
                debug!(%peer, error = %e, "HTTPS client certificate gives no identity");
                Client::Anonymous
            }
        },
    };
    let revoked = until_revoked(&ctx.trust, &chain);
    tokio::pin!(revoked);
    let service_ctx = Arc::clone(&ctx);
    let service = hyper::service::service_fn(move |request| {
        let ctx = Arc::clone(&service_ctx);
        let client = client.clone();
        async move { Ok::<_, Infallible>(route(&ctx, request, &client).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // hyper restarts the header timer whenever it waits for a request head, so this is also
    // the keep-alive idle timeout.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(ctx.timeouts.idle);
    let conn = builder.serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    let lifetime = tokio::time::sleep(ctx.timeouts.https_lifetime);
    tokio::pin!(lifetime);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = shutdown.wait() => {
            conn.as_mut().graceful_shutdown();
            conn.as_mut().await
        }
        () = &mut revoked => {
            info!(%peer, "HTTPS client certificate revoked by a reloaded CRL, closing");
            return;
        }
        () = &mut lifetime => {
            debug!(%peer, lifetime = ?ctx.timeouts.https_lifetime, "HTTPS connection lifetime over, closing");
            conn.as_mut().graceful_shutdown();
            match timeout(ctx.timeouts.shutdown_grace, conn.as_mut()).await {
                Ok(result) => result,
                Err(_) => {
                    info!(%peer, "HTTPS connection did not finish after its lifetime, dropped");
                    return;
                }
            }
        }
    };
    if let Err(e) = result {
        debug!(%peer, error = %e, "HTTPS connection ended with an error");
    }
}

/// Who the client of a connection is.
#[derive(Debug)]
pub enum Client<C> {
    /// No certificate: health and readiness only.
    Anonymous,
    /// A verified certificate, as the key service's caller (with its role).
    Certified(Arc<C>),
}

impl<C> Clone for Client<C> {
    fn clone(&self) -> Self {
        match self {
            Client::Anonymous => Client::Anonymous,
            Client::Certified(c) => Client::Certified(Arc::clone(c)),
        }
    }
}

/// Reads and discards a request body of at most [`MAX_BODY`] bytes within the read timeout;
/// `Err` is the response to send instead.
async fn drain_body(
    body: Incoming,
    read: std::time::Duration,
) -> Result<(), Response<Full<Bytes>>> {
    let too_large = || {
        let mut response = problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Content Too Large",
            &format!("request bodies are limited to {MAX_BODY} bytes"),
        );
        // The rest of the body is not read, so the connection cannot carry another request.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        response
    };
    if body.is_end_stream() {
        return Ok(());
    }
    if usize::try_from(body.size_hint().lower()).map_or(true, |len| len > MAX_BODY) {
        return Err(too_large());
    }
    match timeout(read, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) => {
            debug!(error = %e, "cannot read request body");
            Err(problem(
                StatusCode::BAD_REQUEST,
                "Bad Request",
                "the request body could not be read",
            ))
        }
        Err(_) => {
            let mut response = problem(
                StatusCode::REQUEST_TIMEOUT,
                "Request Timeout",
                "the request body did not arrive in time",
            );
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            Err(response)
        }
    }
}

/// Answers one request; never fails.
pub async fn route<S: KmipService>(
    ctx: &HttpsContext<S>,
    request: Request<Incoming>,
    client: &Client<S::Caller>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    if let Err(response) = drain_body(body, ctx.timeouts.read).await {
        return response;
    }
    let path = parts.uri.path();
    if path == ERASE_PATH {
        if parts.method != Method::POST {
            return method_not_allowed(&format!("{path} supports POST only"), "POST");
        }
        return erase(ctx, client).await;
    }
    let known = matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | AUDIT_PATH | CONFLICTS_PATH
    );
    if !known {
        return problem(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("no resource at {path}"),
        );
    }
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return method_not_allowed(&format!("{path} supports GET only"), "GET, HEAD");
    }
    match path {
        "/healthz" => respond(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            Bytes::from_static(b"ok"),
        ),
        "/readyz" => {
            let readiness = ctx.service.readiness().await;
            let (status, body) = if readiness.ready {
                (
                    StatusCode::OK,
                    json!({ "ready": true, "hsm_loss_policy": readiness.hsm_loss }),
                )
            } else {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    json!({
                        "ready": false,
                        "reasons": readiness.reasons,
                        "hsm_loss_policy": readiness.hsm_loss,
                    }),
                )
            };
            respond(status, "application/json", Bytes::from(body.to_string()))
        }
        AUDIT_PATH => audit(ctx, parts.uri.query(), client).await,
        CONFLICTS_PATH => conflicts(ctx, parts.uri.query(), client).await,
        _ => {
            let Client::Certified(caller) = client else {
                return problem(
                    StatusCode::FORBIDDEN,
                    "Forbidden",
                    "/metrics requires a client certificate whose role is admin or auditor",
                );
            };
            if let Err(refusal) = ctx.service.read_metrics(caller).await {
                return refused(refusal, "metrics read refused");
            }
            let mut text = String::new();
            match prometheus_client::encoding::text::encode(&mut text, &ctx.registry) {
                Ok(()) => respond(StatusCode::OK, METRICS_CONTENT_TYPE, Bytes::from(text)),
                Err(e) => {
                    error!(error = %e, "cannot encode metrics");
                    problem(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal Server Error",
                        "metrics could not be encoded",
                    )
                }
            }
        }
    }
}

/// The audit log for admins and auditors: `GET /v1/audit?from=SEQ&limit=N`.
const AUDIT_PATH: &str = "/v1/audit";
/// Entries per page when `limit` is not given.
const AUDIT_DEFAULT_LIMIT: usize = 100;

/// The `name=value` pairs of a query in order, each name one of `known`; an unknown one is
/// an `Err` naming it, in its place.
fn query_pairs<'q>(
    query: Option<&'q str>,
    known: &'q [&'q str],
) -> impl Iterator<Item = Result<(&'q str, &'q str), String>> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if known.contains(&name) {
                Ok((name, value))
            } else {
                Err(format!("unknown parameter {name:?} ({})", known.join(", ")))
            }
        })
}

/// A `limit` parameter: 1 to `max`.
fn limit_param(value: &str, max: usize) -> Result<usize, String> {
    value
        .parse()
        .ok()
        .filter(|v| (1..=max).contains(v))
        .ok_or_else(|| format!("limit: {value:?} is not 1 to {max}"))
}

/// The `from` and `limit` of an audit query; `Err` names the bad parameter.
fn audit_query(query: Option<&str>) -> Result<(u64, usize), String> {
    let (mut from, mut limit) = (1u64, AUDIT_DEFAULT_LIMIT);
    for pair in query_pairs(query, &["from", "limit"]) {
        let (name, value) = pair?;
        if name == "from" {
            from =
                value.parse().ok().filter(|v| *v >= 1).ok_or_else(|| {
                    format!("from: {value:?} is not a sequence number (1 or more)")
                })?;
        } else {
            limit = limit_param(value, keywarden_audit::MAX_READ)?;
        }
    }
    Ok((from, limit))
}

/// The `limit` of a conflicts query (1000 when not given); `Err` names the bad parameter.
fn conflicts_query(query: Option<&str>) -> Result<usize, String> {
    let mut limit = 1000;
    for pair in query_pairs(query, &["limit"]) {
        let (_, value) = pair?;
        limit = limit_param(value, CONFLICTS_MAX)?;
    }
    Ok(limit)
}

async fn audit<S: KmipService>(
    ctx: &HttpsContext<S>,
    query: Option<&str>,
    client: &Client<S::Caller>,
) -> Response<Full<Bytes>> {
    let Client::Certified(caller) = client else {
        return problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the audit log requires a client certificate whose role is admin or auditor",
        );
    };
    let (from, limit) = match audit_query(query) {
        Ok(q) => q,
        Err(detail) => return problem(StatusCode::BAD_REQUEST, "Bad Request", &detail),
    };
    match ctx.service.read_audit(caller, from, limit).await {
        Ok(records) => respond(
            StatusCode::OK,
            "application/json",
            Bytes::from(json!({ "records": records }).to_string()),
        ),
        Err(refusal) => refused(refusal, "audit log read failed"),
    }
}

/// Conflicts found by merges on this node, for admins and auditors: `GET
/// /v1/cluster/conflicts?limit=N`.
const CONFLICTS_PATH: &str = "/v1/cluster/conflicts";
/// Most conflicts in one answer.
const CONFLICTS_MAX: usize = 10_000;

async fn conflicts<S: KmipService>(
    ctx: &HttpsContext<S>,
    query: Option<&str>,
    client: &Client<S::Caller>,
) -> Response<Full<Bytes>> {
    let Client::Certified(caller) = client else {
        return problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the conflicts require a client certificate whose role is admin or auditor",
        );
    };
    let limit = match conflicts_query(query) {
        Ok(limit) => limit,
        Err(detail) => return problem(StatusCode::BAD_REQUEST, "Bad Request", &detail),
    };
    match ctx.service.read_conflicts(caller, limit).await {
        Ok(found) => respond(
            StatusCode::OK,
            "application/json",
            Bytes::from(json!({ "conflicts": found }).to_string()),
        ),
        Err(refusal) => refused(refusal, "conflicts read failed"),
    }
}

/// The problem+json answer to a refused administrative request (the one mapping of
/// [`Refusal`] to HTTP).
fn refused(refusal: Refusal, failure_log: &'static str) -> Response<Full<Bytes>> {
    match refusal {
        Refusal::Forbidden(why) => problem(StatusCode::FORBIDDEN, "Forbidden", &why),
        Refusal::Unavailable(why) => {
            problem(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", &why)
        }
        Refusal::Failed(why) => {
            error!(error = %why, "{failure_log}");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                &why,
            )
        }
    }
}

/// The storage erase for admins: `POST /v1/storage/erase`, answered once the erase is complete.
const ERASE_PATH: &str = "/v1/storage/erase";

async fn erase<S: KmipService>(
    ctx: &HttpsContext<S>,
    client: &Client<S::Caller>,
) -> Response<Full<Bytes>> {
    let Client::Certified(caller) = client else {
        return problem(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the storage erase requires a client certificate whose role is admin",
        );
    };
    match ctx.service.erase_storage(caller).await {
        Ok(done) => respond(
            StatusCode::OK,
            "application/json",
            Bytes::from(
                json!({
                    "epoch": done.epoch,
                    "destroyed_epochs": done.destroyed,
                    "resealed_records": done.resealed,
                })
                .to_string(),
            ),
        ),
        Err(refusal) => refused(refusal, "storage erase failed"),
    }
}

/// 405 with the `Allow` header listing the methods the resource takes.
fn method_not_allowed(detail: &str, allow: &'static str) -> Response<Full<Bytes>> {
    let mut response = problem(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed", detail);
    response
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    response
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// An RFC 9457 problem document.
fn problem(status: StatusCode, title: &str, detail: &str) -> Response<Full<Bytes>> {
    let body = json!({
        "type": "about:blank",
        "title": title,
        "status": status.as_u16(),
        "detail": detail,
    });
    respond(
        status,
        "application/problem+json",
        Bytes::from(body.to_string()),
    )
}
