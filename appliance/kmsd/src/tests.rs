//! Listener tests against a test double of the key service, over real sockets and real TLS.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use keywarden_kmip::ttlv::{DecodeError, Limits};
use prometheus_client::registry::Registry;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, HandshakeKind, NamedGroup, RootCertStore};
use rustls_pki_types::PrivateKeyDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::{DevDetails, ReadyFile, ServerConfig, Timeouts, TlsFiles};
use crate::error::Error;
use crate::server::Server;
use crate::service::{KmipService, Readiness, Refusal};
use keywarden_dev_pki::{ClientCert, DevPki};
use keywarden_tls::{Identity, load_certs, load_key};

/// Safety net so a broken test fails instead of hanging; never a timing assertion.
const TEST_DEADLINE: Duration = Duration::from_secs(30);
/// Tag of a KMIP Response Message, for the double's framing.
const RESPONSE_TAG: [u8; 3] = [0x42, 0x00, 0x7B];

/// The key service double: answers `caller|request`, counts requests.
#[derive(Default)]
struct Double {
    ready: bool,
    started: AtomicUsize,
    handled: AtomicUsize,
    shut_down: AtomicUsize,
}

/// The subject DN of the dev PKI's admin certificate, as the listeners print identities.
const ADMIN_DN: &str = "CN=admin,O=Keywarden dev";

/// A request body the double answers only after a pause, to have a request in flight.
const SLOW: &[u8] = b"slow";
/// A request body prefix the double holds for [`HOLD_FOR`], to keep its bytes reserved.
const HOLD: &[u8] = b"hold";
/// How long the double holds a [`HOLD`] request: far beyond the read timeouts of the tests
/// that use it, so the order of the two timers never depends on the machine's load.
const HOLD_FOR: Duration = Duration::from_secs(3);

fn frame(tag: [u8; 3], body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut out = vec![tag[0], tag[1], tag[2], 0x01];
    out.extend_from_slice(&len);
    out.extend_from_slice(body);
    out
}

impl KmipService for Double {
    type Caller = String;

    fn caller(&self, identity: &Identity, _peer: SocketAddr) -> String {
        identity.to_string()
    }

    async fn read_metrics(&self, caller: &String) -> Result<(), Refusal> {
        if caller == ADMIN_DN {
            Ok(())
        } else {
            Err(Refusal::Forbidden(
                "the metrics need the admin or auditor role".to_owned(),
            ))
        }
    }

    async fn read_audit(
        &self,
        caller: &String,
        from: u64,
        limit: usize,
    ) -> Result<serde_json::Value, Refusal> {
        if caller == ADMIN_DN {
            Ok(serde_json::json!({ "from": from, "limit": limit }))
        } else {
            Err(Refusal::Forbidden(format!("{caller} may not read it")))
        }
    }

    async fn read_conflicts(
        &self,
        caller: &String,
        limit: usize,
    ) -> Result<serde_json::Value, Refusal> {
        if caller == ADMIN_DN {
            Ok(serde_json::json!([{ "limit": limit }]))
        } else {
            Err(Refusal::Forbidden(format!("{caller} may not read them")))
        }
    }

    async fn handle(&self, caller: &String, request: &[u8]) -> Vec<u8> {
        self.started.fetch_add(1, Ordering::SeqCst);
        if request.get(8..) == Some(SLOW) {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if request.get(8..).is_some_and(|body| body.starts_with(HOLD)) {
            tokio::time::sleep(HOLD_FOR).await;
        }
        self.handled.fetch_add(1, Ordering::SeqCst);
        let mut body = caller.as_bytes().to_vec();
        body.push(b'|');
        body.extend_from_slice(request);
        frame(RESPONSE_TAG, &body)
    }

    async fn frame_error(&self, _caller: &Self::Caller, error: &DecodeError) -> Vec<u8> {
        frame(RESPONSE_TAG, format!("FRAME-ERROR {error}").as_bytes())
    }

    async fn busy(&self, _caller: &Self::Caller, len: usize, waited: Duration) -> Vec<u8> {
        frame(
            RESPONSE_TAG,
            format!("BUSY {len} bytes after {waited:?}").as_bytes(),
        )
    }

    async fn readiness(&self) -> Readiness {
        if self.ready {
            Readiness {
                ready: true,
                reasons: Vec::new(),
                hsm_loss: "keep-serving",
            }
        } else {
            Readiness {
                ready: false,
                reasons: vec!["hsm-bridge unreachable".to_owned()],
                hsm_loss: "keep-serving",
            }
        }
    }

    async fn shutdown(&self) {
        self.shut_down.fetch_add(1, Ordering::SeqCst);
    }
}

/// A request as a client sends it: a structure header and a body.
fn request(body: &[u8]) -> Vec<u8> {
    frame([0x42, 0x00, 0x78], body)
}

struct Harness {
    dir: tempfile::TempDir,
    pki: DevPki,
    kmip: SocketAddr,
    https: SocketAddr,
    service: Arc<Double>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Error>>>,
}

#[derive(Clone, Copy)]
struct Options {
    idle: Duration,
    read: Duration,
    write: Duration,
    https_lifetime: Duration,
    max_connections: usize,
    admission: crate::config::AdmissionLimits,
    request_budget: usize,
    ready: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            idle: Duration::from_secs(20),
            read: Duration::from_secs(10),
            write: Duration::from_secs(10),
            https_lifetime: Duration::from_secs(300),
            max_connections: 16,
            admission: crate::config::AdmissionLimits {
                handshakes: 8,
                handshakes_per_peer: 4,
            },
            request_budget: crate::config::RequestBudget::default().bytes,
            ready: true,
        }
    }
}

fn server_config(dir: &Path, pki: &DevPki, options: Options) -> ServerConfig {
    ServerConfig {
        kmip_addr: "127.0.0.1:0".parse().unwrap(),
        https_addr: "127.0.0.1:0".parse().unwrap(),
        tls: TlsFiles {
            client_ca: pki.ca.cert.clone(),
            server_cert: pki.server.cert.clone(),
            server_key: pki.server.key.clone(),
            client_crls: vec![pki.crl.clone()],
            crl_poll: Duration::from_millis(100),
        },
        // The double decides roles itself; the file only has to be valid.
        authorization: dir.join("authz.toml"),
        identity: keywarden_tls::IdentitySource::SubjectDn,
        data_dir: dir.join("data"),
        hsm_socket: dir.join("run/hsm.sock"),
        limits: Limits {
            max_message: 4096,
            ..Limits::default()
        },
        hsm_loss: keywarden_kms::HsmLossPolicy::KeepServing,
        erase_interval: keywarden_kms::DEFAULT_ERASE_INTERVAL,
        timeouts: Timeouts {
            idle: options.idle,
            read: options.read,
            write: options.write,
            https_lifetime: options.https_lifetime,
            shutdown_grace: Duration::from_secs(5),
            ..Timeouts::default()
        },
        max_connections: options.max_connections,
        admission: options.admission,
        request_budget: crate::config::RequestBudget {
            bytes: options.request_budget,
        },
        ready_file: Some(ReadyFile {
            path: dir.join("ready.json"),
            dev: DevDetails {
                dir: dir.to_path_buf(),
                ca_cert: pki.ca.cert.clone(),
                admin_cert: pki.admin.cert.clone(),
                admin_key: pki.admin.key.clone(),
                user_cert: pki.user.cert.clone(),
                user_key: pki.user.key.clone(),
                softhsm2_conf: dir.join("hsm/softhsm2.conf"),
                hsm_socket: dir.join("run/hsm.sock"),
                token_dir: dir.join("hsm/tokens"),
            },
        }),
    }
}

impl Harness {
    async fn start(options: Options) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let pki = DevPki::at(&dir.path().join("pki"));
        pki.ensure().unwrap();
        let service = Arc::new(Double {
            ready: options.ready,
            ..Double::default()
        });
        let config = server_config(dir.path(), &pki, options);
        let server = Server::bind(config, Arc::clone(&service), Registry::default())
            .await
            .unwrap();
        let kmip = server.kmip_addr().unwrap();
        let https = server.https_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        // The ready file is written once serving; wait for it (bounded).
        let ready = dir.path().join("ready.json");
        for _ in 0..300 {
            if ready.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Harness {
            dir,
            pki,
            kmip,
            https,
            service,
            stop: Some(stop),
            task: Some(task),
        }
    }

    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(TEST_DEADLINE, task)
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
    }

    fn client_config(&self, identity: Option<(&Path, &Path)>) -> ClientConfig {
        client_config(&self.pki.ca.cert, identity)
    }

    async fn connect(
        &self,
        config: ClientConfig,
        addr: SocketAddr,
    ) -> std::io::Result<TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(addr).await?;
        let name = ServerName::try_from("localhost").unwrap();
        TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
    }

    async fn connect_admin(&self) -> TlsStream<TcpStream> {
        let config = self.client_config(Some((&self.pki.admin.cert, &self.pki.admin.key)));
        self.connect(config, self.kmip).await.unwrap()
    }

    /// `/metrics` as the admin sees it.
    async fn metrics(&self) -> String {
        let config = self.client_config(Some((&self.pki.admin.cert, &self.pki.admin.key)));
        let mut tls = self.connect(config, self.https).await.unwrap();
        http_get(&mut tls, "/metrics").await
    }
}

fn client_config(ca: &Path, identity: Option<(&Path, &Path)>) -> ClientConfig {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(ca).unwrap() {
        roots.add(cert).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    match identity {
        Some((cert, key)) => {
            let key: PrivateKeyDer<'static> = load_key(key).unwrap();
            builder
                .with_client_auth_cert(load_certs(cert).unwrap(), key)
                .unwrap()
        }
        None => builder.with_no_client_auth(),
    }
}

/// Reads one framed message, or `None` at a clean or abrupt end of stream.
async fn read_frame(stream: &mut TlsStream<TcpStream>) -> Option<Vec<u8>> {
    let read = async {
        let mut header = [0u8; 8];
        stream.read_exact(&mut header).await.ok()?;
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).await.ok()?;
        Some(body)
    };
    tokio::time::timeout(TEST_DEADLINE, read)
        .await
        .expect("test deadline")
}

/// True when the server closes the stream (EOF or error) without sending anything.
async fn closed_without_data(stream: &mut TlsStream<TcpStream>) -> bool {
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(TEST_DEADLINE, stream.read(&mut byte))
        .await
        .expect("test deadline");
    matches!(read, Ok(0) | Err(_))
}

/// One HTTP/1.1 GET with `Connection: close`; returns the whole response text.
async fn http_get(stream: &mut TlsStream<TcpStream>, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    http_exchange(stream, request.as_bytes()).await
}

/// Sends raw request bytes and returns everything the server sends until it closes.
async fn http_exchange(stream: &mut TlsStream<TcpStream>, request: &[u8]) -> String {
    // The server may answer and close before it read everything (413): that is not an error.
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(TEST_DEADLINE, stream.read_to_end(&mut response));
    // A peer that skips close_notify ends with an error after the data; the data counts.
    let _ = read.await.expect("test deadline");
    String::from_utf8(response).unwrap()
}

#[test]
fn settings_that_would_trip_a_timer_or_spin_a_loop_fail_validation_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(&dir.path().join("pki"));
    pki.ensure().unwrap();
    let good = server_config(dir.path(), &pki, Options::default());
    good.validate().unwrap();
    type Break = fn(&mut ServerConfig);
    let cases: [(&str, Break); 6] = [
        ("tls.crl_poll", |c| c.tls.crl_poll = Duration::ZERO),
        ("erase_interval", |c| c.erase_interval = Duration::ZERO),
        ("timeouts.read", |c| c.timeouts.read = Duration::ZERO),
        ("timeouts.idle", |c| {
            c.timeouts.idle = Duration::from_secs(100_000)
        }),
        ("max_connections", |c| c.max_connections = 0),
        ("admission", |c| c.admission.handshakes = 0),
    ];
    for (field, break_it) in cases {
        let mut config = good.clone();
        break_it(&mut config);
        let e = config.validate().expect_err(field).to_string();
        assert!(e.contains(field), "{field}: {e}");
    }
}

#[tokio::test]
async fn requests_are_answered_in_order_with_the_caller_identity() {
    let mut h = Harness::start(Options::default()).await;
    let mut tls = h.connect_admin().await;
    // Pipelined: both requests are sent before any response is read.
    let (first, second) = (request(b"first"), request(b"second"));
    let mut both = first.clone();
    both.extend_from_slice(&second);
    tls.write_all(&both).await.unwrap();
    let mut expect = b"CN=admin,O=Keywarden dev|".to_vec();
    expect.extend_from_slice(&first);
    assert_eq!(read_frame(&mut tls).await.unwrap(), expect);
    let mut expect = b"CN=admin,O=Keywarden dev|".to_vec();
    expect.extend_from_slice(&second);
    assert_eq!(read_frame(&mut tls).await.unwrap(), expect);
    assert_eq!(h.service.handled.load(Ordering::SeqCst), 2);
    drop(tls);
    h.stop().await;
    assert_eq!(h.service.shut_down.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_client_without_certificate_is_refused() {
    let mut h = Harness::start(Options::default()).await;
    let config = h.client_config(None);
    // With TLS 1.3 the client may finish its side before the server's verdict arrives, so
    // the refusal shows either at connect or at the first read.
    if let Ok(mut tls) = h.connect(config, h.kmip).await {
        let _ = tls.write_all(&request(b"x")).await;
        assert!(closed_without_data(&mut tls).await);
    }
    assert_eq!(h.service.handled.load(Ordering::SeqCst), 0);
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("kmsd_tls_handshake_failures_total{listener=\"kmip\"} 1"),
        "{metrics}"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let mut h = Harness::start(Options::default()).await;
    let other = tempfile::tempdir().unwrap();
    let rogue = DevPki::at(other.path());
    rogue.ensure().unwrap();
    let config = h.client_config(Some((&rogue.admin.cert, &rogue.admin.key)));
    if let Ok(mut tls) = h.connect(config, h.kmip).await {
        let _ = tls.write_all(&request(b"x")).await;
        assert!(closed_without_data(&mut tls).await);
    }
    assert_eq!(h.service.handled.load(Ordering::SeqCst), 0);
    h.stop().await;
}

#[tokio::test]
async fn a_certificate_with_an_empty_subject_is_refused_after_the_handshake() {
    let mut h = Harness::start(Options::default()).await;
    let pair = h.pki.pair("blank");
    h.pki.issue_client(&pair, &ClientCert::default()).unwrap();
    let config = h.client_config(Some((&pair.cert, &pair.key)));
    // The CA signed it, so the handshake succeeds; the identity check then closes.
    let mut tls = h.connect(config, h.kmip).await.unwrap();
    let _ = tls.write_all(&request(b"x")).await;
    assert!(closed_without_data(&mut tls).await);
    assert_eq!(h.service.handled.load(Ordering::SeqCst), 0);
    h.stop().await;
}

#[tokio::test]
async fn hybrid_post_quantum_key_exchange_is_negotiated() {
    let mut h = Harness::start(Options::default()).await;
    let tls = h.connect_admin().await;
    let group = tls
        .get_ref()
        .1
        .negotiated_key_exchange_group()
        .map(|g| g.name());
    assert_eq!(group, Some(NamedGroup::X25519MLKEM768));
    drop(tls);
    h.stop().await;
}

#[tokio::test]
async fn a_silent_client_is_closed_by_the_idle_timeout() {
    let mut h = Harness::start(Options {
        idle: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let mut tls = h.connect_admin().await;
    assert!(closed_without_data(&mut tls).await);
    h.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_limit_are_closed_at_accept() {
    let mut h = Harness::start(Options {
        max_connections: 1,
        admission: crate::config::AdmissionLimits {
            handshakes: 1,
            handshakes_per_peer: 1,
        },
        ..Options::default()
    })
    .await;
    let mut first = h.connect_admin().await;
    first.write_all(&request(b"one")).await.unwrap();
    assert!(
        read_frame(&mut first).await.is_some(),
        "first connection served"
    );

    let config = h.client_config(Some((&h.pki.admin.cert, &h.pki.admin.key)));
    if let Ok(mut second) = h.connect(config, h.kmip).await {
        let _ = second.write_all(&request(b"two")).await;
        assert!(closed_without_data(&mut second).await);
    }
    assert_eq!(h.service.handled.load(Ordering::SeqCst), 1);
    let metrics = h.metrics().await;
    assert!(
        metrics.contains("kmsd_connections_rejected_total{listener=\"kmip\"} 1"),
        "{metrics}"
    );

    // The slot frees when the first client leaves (bounded retries: the server notices the
    // close asynchronously).
    drop(first);
    let mut served = false;
    for _ in 0..100 {
        let config = h.client_config(Some((&h.pki.admin.cert, &h.pki.admin.key)));
        if let Ok(mut third) = h.connect(config, h.kmip).await
            && third.write_all(&request(b"three")).await.is_ok()
            && read_frame(&mut third).await.is_some()
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "a new connection is served once the first closed");
    h.stop().await;
}

#[tokio::test]
async fn an_oversize_header_gets_a_frame_error_then_close() {
    let mut h = Harness::start(Options::default()).await;
    let mut tls = h.connect_admin().await;
    // Claims 1 MiB, over the 4 KiB limit of the harness; no body follows.
    let header = [0x42, 0x00, 0x78, 0x01, 0x00, 0x10, 0x00, 0x00];
    tls.write_all(&header).await.unwrap();
    let response = read_frame(&mut tls).await.expect("a frame error response");
    let text = String::from_utf8(response).unwrap();
    assert!(text.starts_with("FRAME-ERROR"), "{text}");
    assert!(text.contains("exceeds"), "{text}");
    assert!(
        closed_without_data(&mut tls).await,
        "closed after the frame error"
    );
    assert_eq!(h.service.handled.load(Ordering::SeqCst), 0);
    h.stop().await;
}

#[tokio::test]
async fn ready_file_announces_the_bound_endpoints_and_goes_away_on_stop() {
    let mut h = Harness::start(Options::default()).await;
    let path = h.dir.path().join("ready.json");
    let ready: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(ready["kmip"], h.kmip.to_string());
    assert_eq!(ready["https"], h.https.to_string());
    assert_eq!(ready["pid"], std::process::id());
    assert_eq!(ready["ca_cert"], h.pki.ca.cert.display().to_string());
    assert_eq!(ready["admin_key"], h.pki.admin.key.display().to_string());
    for field in [
        "dir",
        "user_cert",
        "user_key",
        "admin_cert",
        "softhsm2_conf",
        "hsm_socket",
        "token_dir",
    ] {
        assert!(
            ready[field].as_str().is_some_and(|p| p.starts_with('/')),
            "{field}"
        );
    }
    h.stop().await;
    assert!(!path.exists());
}

#[tokio::test]
async fn https_serves_health_readiness_metrics_and_problems() {
    let mut h = Harness::start(Options {
        ready: false,
        ..Options::default()
    })
    .await;
    let get = |path: &'static str| {
        let config = h.client_config(None);
        let addr = h.https;
        let h = &h;
        async move {
            let mut tls = h.connect(config, addr).await.unwrap();
            http_get(&mut tls, path).await
        }
    };
    let health = get("/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok"), "{health}");

    let ready = get("/readyz").await;
    assert!(ready.starts_with("HTTP/1.1 503"), "{ready}");
    // Listeners answer while not ready, but the readiness file is not announced yet.
    assert!(!h.dir.path().join("ready.json").exists());
    assert!(
        ready.ends_with(
            r#"{"hsm_loss_policy":"keep-serving","ready":false,"reasons":["hsm-bridge unreachable"]}"#
        ),
        "{ready}"
    );

    let missing = get("/nope").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(missing.contains("application/problem+json"), "{missing}");
    assert!(missing.contains(r#""status":404"#), "{missing}");

    let metrics = h.metrics().await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    assert!(metrics.contains("kmsd_connections_open"), "{metrics}");
    assert!(
        metrics.contains("kmsd_bytes_total{listener=\"https\",direction=\"in\"}"),
        "{metrics}"
    );
    h.stop().await;
}

#[tokio::test]
async fn readyz_is_200_when_ready_and_client_certificates_are_accepted_on_https() {
    let mut h = Harness::start(Options::default()).await;
    let config = h.client_config(Some((&h.pki.user.cert, &h.pki.user.key)));
    let mut tls = h.connect(config, h.https).await.unwrap();
    let ready = http_get(&mut tls, "/readyz").await;
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");
    assert!(
        ready.ends_with(r#"{"hsm_loss_policy":"keep-serving","ready":true}"#),
        "{ready}"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_resumed_session_keeps_the_caller_identity() {
    let mut h = Harness::start(Options::default()).await;
    let config = Arc::new(h.client_config(Some((&h.pki.user.cert, &h.pki.user.key))));
    let mut kinds = Vec::new();
    for round in 0..2u8 {
        let mut tls = h.connect((*config).clone(), h.kmip).await.unwrap();
        kinds.push(tls.get_ref().1.handshake_kind());
        tls.write_all(&request(&[round])).await.unwrap();
        // Reading the response also takes in the session tickets sent after the handshake.
        let response = read_frame(&mut tls).await.expect("served");
        assert!(
            response.starts_with(b"CN=user,O=Keywarden dev|"),
            "round {round}"
        );
    }
    assert_eq!(
        kinds,
        [Some(HandshakeKind::Full), Some(HandshakeKind::Resumed)]
    );
    h.stop().await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish() {
    let mut h = Harness::start(Options::default()).await;
    let mut tls = h.connect_admin().await;
    tls.write_all(&request(SLOW)).await.unwrap();
    for _ in 0..1000 {
        if h.service.started.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        h.service.started.load(Ordering::SeqCst),
        1,
        "request in flight"
    );
    if let Some(stop) = h.stop.take() {
        stop.send(()).unwrap();
    }
    let response = read_frame(&mut tls)
        .await
        .expect("the in-flight request is answered");
    assert!(response.ends_with(SLOW));
    assert!(
        closed_without_data(&mut tls).await,
        "then the connection closes"
    );
    h.stop().await;
    assert_eq!(h.service.shut_down.load(Ordering::SeqCst), 1);
    assert!(
        TcpStream::connect(h.kmip).await.is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn shutdown_closes_a_connection_waiting_between_requests() {
    let mut h = Harness::start(Options::default()).await;
    let mut tls = h.connect_admin().await;
    // One answered request: the connection now waits for the next header.
    tls.write_all(&request(b"ping")).await.unwrap();
    read_frame(&mut tls).await.expect("answered");
    let stopped = std::time::Instant::now();
    if let Some(stop) = h.stop.take() {
        stop.send(()).unwrap();
    }
    assert!(closed_without_data(&mut tls).await, "closed on shutdown");
    // Well inside the 5 s grace after which open connections are aborted, and the 20 s idle
    // timeout: the shutdown signal itself closed it.
    assert!(
        stopped.elapsed() < Duration::from_secs(4),
        "{:?}",
        stopped.elapsed()
    );
    h.stop().await;
}

#[tokio::test]
async fn a_silent_https_client_is_closed_by_the_idle_timeout() {
    let mut h = Harness::start(Options {
        idle: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let config = h.client_config(None);
    let mut tls = h.connect(config, h.https).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(TEST_DEADLINE, tls.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "closed before the test deadline");
    h.stop().await;
}

#[tokio::test]
async fn tls_1_2_clients_are_served_too() {
    let mut h = Harness::start(Options::default()).await;
    let mut roots = RootCertStore::empty();
    for cert in load_certs(&h.pki.ca.cert).unwrap() {
        roots.add(cert).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(
            load_certs(&h.pki.admin.cert).unwrap(),
            load_key(&h.pki.admin.key).unwrap(),
        )
        .unwrap();
    let mut tls = h.connect(config, h.kmip).await.unwrap();
    assert_eq!(
        tls.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    tls.write_all(&request(b"old")).await.unwrap();
    let response = read_frame(&mut tls).await.expect("served over TLS 1.2");
    assert!(response.starts_with(b"CN=admin,O=Keywarden dev|"));
    drop(tls);
    h.stop().await;
}

#[tokio::test]
async fn metrics_need_a_client_certificate_health_and_readiness_do_not() {
    let mut h = Harness::start(Options::default()).await;
    for (path, status) in [("/metrics", "403"), ("/healthz", "200"), ("/readyz", "200")] {
        let mut tls = h.connect(h.client_config(None), h.https).await.unwrap();
        let response = http_get(&mut tls, path).await;
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status}")),
            "{path}: {response}"
        );
        if status == "403" {
            assert!(response.contains("application/problem+json"), "{response}");
            assert!(response.contains(r#""status":403"#), "{response}");
            assert!(!response.contains("kmsd_connections_open"), "{response}");
        }
    }
    let metrics = h.metrics().await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    // A certificate whose role may not read metrics (the double: anyone but admin).
    let user = h.client_config(Some((&h.pki.user.cert, &h.pki.user.key)));
    let mut tls = h.connect(user, h.https).await.unwrap();
    let response = http_get(&mut tls, "/metrics").await;
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(response.contains("admin or auditor"), "{response}");
    h.stop().await;
}

/// Each GET of `path` with `config` answers `status` with a body containing `needle`.
async fn expect_gets(
    h: &Harness,
    cases: impl IntoIterator<Item = (ClientConfig, &str, &str, &str)>,
) {
    for (config, path, status, needle) in cases {
        let mut tls = h.connect(config, h.https).await.unwrap();
        let response = http_get(&mut tls, path).await;
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status}")),
            "{path}: {response}"
        );
        assert!(response.contains(needle), "{path}: {response}");
    }
}

#[tokio::test]
async fn the_audit_log_is_served_to_its_readers_with_checked_parameters() {
    let mut h = Harness::start(Options::default()).await;
    let admin = h.client_config(Some((&h.pki.admin.cert, &h.pki.admin.key)));
    let user = h.client_config(Some((&h.pki.user.cert, &h.pki.user.key)));
    let cases = [
        (
            admin.clone(),
            "/v1/audit?from=5&limit=7",
            "200",
            r#""from":5"#,
        ),
        (admin.clone(), "/v1/audit", "200", r#""limit":100"#),
        (admin.clone(), "/v1/audit?limit=0", "400", "limit"),
        (admin.clone(), "/v1/audit?from=x", "400", "from"),
        (admin, "/v1/audit?offset=1", "400", "offset"),
        (user, "/v1/audit", "403", "may not read"),
        (
            h.client_config(None),
            "/v1/audit",
            "403",
            "client certificate",
        ),
    ];
    expect_gets(&h, cases).await;
    h.stop().await;
}

#[tokio::test]
async fn conflicts_are_listed_to_their_readers_with_checked_parameters() {
    let mut h = Harness::start(Options::default()).await;
    let admin = h.client_config(Some((&h.pki.admin.cert, &h.pki.admin.key)));
    let user = h.client_config(Some((&h.pki.user.cert, &h.pki.user.key)));
    let cases = [
        (
            admin.clone(),
            "/v1/cluster/conflicts?limit=7",
            "200",
            r#""limit":7"#,
        ),
        (
            admin.clone(),
            "/v1/cluster/conflicts",
            "200",
            r#""conflicts":[{"limit":1000}]"#,
        ),
        (
            admin.clone(),
            "/v1/cluster/conflicts?limit=0",
            "400",
            "limit",
        ),
        (admin, "/v1/cluster/conflicts?from=1", "400", "from"),
        (user, "/v1/cluster/conflicts", "403", "may not read"),
        (
            h.client_config(None),
            "/v1/cluster/conflicts",
            "403",
            "client certificate",
        ),
    ];
    expect_gets(&h, cases).await;
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_from_one_address_does_not_stop_an_authenticated_client() {
    const FLOOD: usize = 2000;
    // The flood and the server's side of it are both in this process: raise the soft limit
    // on descriptors to the hard one (a common soft limit is 1024).
    crate::raise_open_file_limit();
    let (soft, _) =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    assert!(
        soft >= 3 * FLOOD as u64,
        "the limit on open files ({soft}) is too low for this test"
    );
    let mut h = Harness::start(Options {
        max_connections: 1024,
        admission: crate::config::AdmissionLimits::default(),
        ..Options::default()
    })
    .await;
    // 2,000 TCP connections from 127.0.0.2 that never start TLS; kept open.
    let mut idle = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
        idle.push(socket.connect(h.kmip).await.unwrap());
    }
    // The server has admitted at most its per-peer share of them into a handshake.
    let per_peer = crate::config::AdmissionLimits::default().handshakes_per_peer;
    let mut rejected = 0;
    for _ in 0..200 {
        let metrics = h.metrics().await;
        rejected = metric_value(
            &metrics,
            "kmsd_connections_rejected_total{listener=\"kmip\"}",
        );
        if rejected >= (FLOOD - per_peer) as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        rejected,
        (FLOOD - per_peer) as u64,
        "over-limit connections closed at accept"
    );
    // An authenticated client from another address is served at once. Best of three, so one
    // scheduling hiccup of a loaded machine does not decide it; the flood stays open.
    let mut best = Duration::MAX;
    for round in 0..3u8 {
        let started = std::time::Instant::now();
        let mut tls = h.connect_admin().await;
        tls.write_all(&request(&[round])).await.unwrap();
        assert!(
            read_frame(&mut tls).await.is_some(),
            "served during the flood"
        );
        best = best.min(started.elapsed());
    }
    assert!(
        best < Duration::from_millis(100),
        "an authenticated client took {best:?} (handshake and one request) during the flood"
    );
    drop(idle);
    h.stop().await;
}

/// The value of one sample line of Prometheus text.
fn metric_value(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).map(str::trim))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_half_sent_request_gets_a_kmip_answer_when_the_read_timeout_ends() {
    let mut h = Harness::start(Options {
        read: Duration::from_millis(300),
        ..Options::default()
    })
    .await;
    let mut tls = h.connect_admin().await;
    // A header announcing 100 bytes, and only 10 of them.
    let mut partial = vec![0x42, 0x00, 0x78, 0x01, 0, 0, 0, 100];
    partial.extend_from_slice(&[0u8; 10]);
    tls.write_all(&partial).await.unwrap();
    // The answer comes once the read timeout (300 ms here) ends, then the close.
    let answer = read_frame(&mut tls)
        .await
        .expect("a KMIP answer, not a silent close");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.contains("FRAME-ERROR") && text.contains("truncated"),
        "{text}"
    );
    assert!(closed_without_data(&mut tls).await);
    h.stop().await;
}

#[tokio::test]
async fn a_request_that_waits_for_the_memory_budget_longer_than_its_read_timeout_is_answered_unread()
 {
    // The budget holds one largest message (4096 bytes here), and the first request takes all
    // of it while the double holds it for HOLD_FOR.
    let mut h = Harness::start(Options {
        read: Duration::from_millis(300),
        request_budget: 4096,
        ..Options::default()
    })
    .await;
    let mut holder = h.connect_admin().await;
    let mut body = HOLD.to_vec();
    body.resize(4096 - 8, b'.');
    holder.write_all(&request(&body)).await.unwrap();
    tokio::time::timeout(TEST_DEADLINE, async {
        while h.service.started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the holding request reached the service");
    // A second request waits for room for its own read timeout, then gets an answer saying it
    // was not read, and the connection closes; it never reaches the service.
    let mut waiter = h.connect_admin().await;
    waiter.write_all(&request(b"ping")).await.unwrap();
    let answer = read_frame(&mut waiter)
        .await
        .expect("a KMIP answer, not a silent close");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.contains("BUSY 12 bytes after 300ms"), "{text}");
    assert!(closed_without_data(&mut waiter).await);
    assert_eq!(h.service.started.load(Ordering::SeqCst), 1);
    // The holder is served in full once the double lets go; the budget is free again after.
    let answer = read_frame(&mut holder)
        .await
        .expect("the held request's answer");
    assert!(String::from_utf8_lossy(&answer).contains("|"));
    let mut next = h.connect_admin().await;
    next.write_all(&request(b"ping")).await.unwrap();
    let answer = read_frame(&mut next)
        .await
        .expect("served once the budget is free");
    assert!(String::from_utf8_lossy(&answer).ends_with("ping"));
    let metrics = h.metrics().await;
    assert_eq!(
        metric_value(
            &metrics,
            "kmsd_request_budget_timeouts_total{listener=\"kmip\"}"
        ),
        1,
        "{metrics}"
    );
    h.stop().await;
}

/// The raw serial number of a PEM certificate.
fn serial_of(cert: &Path) -> Vec<u8> {
    let der = load_certs(cert).unwrap().remove(0);
    let (_, parsed) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
    parsed.raw_serial().to_vec()
}

#[tokio::test]
async fn a_reloaded_crl_refuses_the_revoked_certificate_and_closes_its_open_connections() {
    // A read timeout far above the 10 s bound: a connection in the middle of a request must
    // be closed by the revocation, not by the timeout's answer.
    let mut h = Harness::start(Options {
        read: Duration::from_secs(120),
        ..Options::default()
    })
    .await;
    let user = h.client_config(Some((&h.pki.user.cert, &h.pki.user.key)));
    let mut kmip = h.connect(user.clone(), h.kmip).await.unwrap();
    kmip.write_all(&request(b"before")).await.unwrap();
    assert!(
        read_frame(&mut kmip).await.is_some(),
        "served before the revocation"
    );
    // One more connection stops in the middle of a request's body.
    let mut kmip_mid = h.connect(user.clone(), h.kmip).await.unwrap();
    let half_sent = request(&[7u8; 2048]);
    kmip_mid
        .write_all(&half_sent[..half_sent.len() / 2])
        .await
        .unwrap();
    kmip_mid.flush().await.unwrap();
    let mut https = h.connect(user.clone(), h.https).await.unwrap();
    let mut admin = h.connect_admin().await;

    h.pki.write_crl(&[serial_of(&h.pki.user.cert)]).unwrap();
    let reloaded = std::time::Instant::now();
    // Both open connections of the revoked certificate are closed, well within 10 s of the
    // reload (the poll is 100 ms here, 1 s in dev mode).
    for (name, stream) in [
        ("kmip", &mut kmip),
        ("kmip in the middle of a request", &mut kmip_mid),
        ("https", &mut https),
    ] {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte)).await;
        assert!(
            matches!(read, Ok(Ok(0) | Err(_))),
            "{name}: the open connection was not closed within 10 s: {read:?}"
        );
    }
    assert!(reloaded.elapsed() < Duration::from_secs(10));
    // A new handshake with it fails, on both listeners (the refusal shows at connect or at
    // the first read, as for any refused certificate).
    for addr in [h.kmip, h.https] {
        if let Ok(mut tls) = h.connect(user.clone(), addr).await {
            let _ = tls.write_all(&request(b"after")).await;
            assert!(closed_without_data(&mut tls).await);
        }
    }
    // Everyone else is still served, on the connection opened before the reload too.
    admin.write_all(&request(b"still")).await.unwrap();
    assert!(read_frame(&mut admin).await.is_some());
    // Un-revoking takes effect the same way.
    h.pki.write_crl(&[]).unwrap();
    let mut served = false;
    for _ in 0..100 {
        if let Ok(mut tls) = h.connect(user.clone(), h.kmip).await
            && tls.write_all(&request(b"again")).await.is_ok()
            && read_frame_or_close(&mut tls).await
        {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served,
        "the certificate was not accepted again after the CRL dropped it"
    );
    h.stop().await;
}

/// True when a response frame arrives, false when the server closes instead.
async fn read_frame_or_close(stream: &mut TlsStream<TcpStream>) -> bool {
    let mut header = [0u8; 8];
    tokio::time::timeout(TEST_DEADLINE, stream.read_exact(&mut header))
        .await
        .expect("test deadline")
        .is_ok()
}

#[tokio::test]
async fn request_bodies_over_64_kib_get_413() {
    let mut h = Harness::start(Options::default()).await;
    let announced = format!(
        "POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        crate::https::MAX_BODY + 1
    );
    let mut chunked =
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..5 {
        chunked.extend_from_slice(format!("{:x}\r\n", 16 * 1024).as_bytes());
        chunked.extend_from_slice(&[b'a'; 16 * 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    for request in [announced.into_bytes(), chunked] {
        let mut tls = h.connect(h.client_config(None), h.https).await.unwrap();
        let response = http_exchange(&mut tls, &request).await;
        assert!(response.starts_with("HTTP/1.1 413"), "{response}");
        assert!(response.contains("application/problem+json"), "{response}");
        assert!(response.contains(r#""status":413"#), "{response}");
    }
    // A small body is read and ignored.
    let mut tls = h.connect(h.client_config(None), h.https).await.unwrap();
    let small = b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
    let response = http_exchange(&mut tls, small).await;
    assert!(response.starts_with("HTTP/1.1 405"), "{response}");
    h.stop().await;
}

/// The `kmsd_connections_open` gauge of the HTTPS listener (the asking connection included).
async fn https_connections_open(h: &Harness) -> Option<u64> {
    let metrics = h.metrics().await;
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("kmsd_connections_open{listener=\"https\"} "))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn a_client_that_pipelines_but_never_reads_is_cut_by_the_write_timeout() {
    let mut h = Harness::start(Options {
        write: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    // A tiny receive window so the server's writes back up quickly.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(h.https).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = TlsConnector::from(Arc::new(h.client_config(None)))
        .connect(name, tcp)
        .await
        .unwrap();
    let (reader, mut writer) = tokio::io::split(tls);
    let flood = tokio::spawn(async move {
        let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(1000);
        // Bounded; blocks as soon as the server stops reading, ends when it closes.
        for _ in 0..200 {
            if writer.write_all(&request).await.is_err() {
                return;
            }
        }
    });
    assert_eq!(
        https_connections_open(&h).await,
        Some(2),
        "flooder connected"
    );
    let mut closed = false;
    for _ in 0..300 {
        if https_connections_open(&h).await == Some(1) {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "the server closed the connection that never reads");
    drop(reader);
    flood.abort();
    h.stop().await;
}

#[tokio::test]
async fn https_connections_end_after_their_lifetime() {
    let mut h = Harness::start(Options {
        https_lifetime: Duration::from_secs(1),
        idle: Duration::from_secs(600),
        ..Options::default()
    })
    .await;
    // A keep-alive client that stays: the idle timeout is far beyond the test deadline, so
    // only the lifetime can close the connection in time.
    let mut tls = h.connect(h.client_config(None), h.https).await.unwrap();
    let keep_alive = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
    tls.write_all(keep_alive).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(TEST_DEADLINE, tls.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "closed before the test deadline");
    let text = String::from_utf8_lossy(&rest);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    h.stop().await;
}
