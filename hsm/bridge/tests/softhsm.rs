//! Cross-process tests: the real `hsm-bridge` binary on a real SoftHSM2 token.
//!
//! Every test builds its own token directory and `softhsm2.conf` in a temp
//! dir and passes `SOFTHSM2_CONF` only to the child processes, so no global
//! state is touched. Without SoftHSM2 these tests fail (never skip): run
//! `cargo xtask test`, which installs it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hsm_client::{BridgeError, EpochKeyId, HsmClient, HsmError, MAX_RANDOM};
use keywarden_test_kit::SoftHsm;

const LABEL: &str = "kw-test-token";
const ROOT_LABEL: &str = "keywarden-root-v1";
/// Upper bound of polls while waiting for the bridge; each poll sleeps `POLL`.
const MAX_POLLS: u32 = 600;
const POLL: Duration = Duration::from_millis(50);

/// A fresh token in front of the bridge this crate just built.
fn softhsm() -> SoftHsm {
    let hsm = SoftHsm::with_bridge(env!("CARGO_BIN_EXE_hsm-bridge"));
    assert_eq!(hsm.label(), LABEL);
    hsm
}

fn bridge_client(hsm: &SoftHsm) -> HsmClient {
    HsmClient::new(hsm.socket())
}

fn kek(seed: u8) -> Vec<u8> {
    (0..32u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrap_unwrap_round_trip_and_domain_binding() {
    let hsm = softhsm();
    let mut bridge = hsm.run_bridge(&[]);
    let client = bridge_client(&hsm);
    let kek = kek(1);
    let blob = client.wrap_kek("tenant-a", &kek).await.expect("wrap");
    assert_eq!(
        blob.len(),
        1 + 12 + kek.len() + 16,
        "version + iv + ciphertext + tag"
    );
    assert_eq!(blob.first(), Some(&1));
    assert!(
        !blob.windows(kek.len()).any(|w| w == kek.as_slice()),
        "KEK must not appear in the blob"
    );

    let again = client
        .wrap_kek("tenant-a", &kek)
        .await
        .expect("second wrap");
    assert_ne!(blob, again, "each wrap draws a fresh IV");

    let back = client.unwrap_kek("tenant-a", &blob).await.expect("unwrap");
    assert_eq!(back.as_slice(), kek.as_slice());

    let other = client.unwrap_kek("tenant-b", &blob).await;
    assert!(
        matches!(other, Err(HsmError::Bridge(BridgeError::UnwrapFailed))),
        "got {other:?}"
    );

    let mut tampered = blob.clone();
    if let Some(last) = tampered.last_mut() {
        *last ^= 1;
    }
    let bad = client.unwrap_kek("tenant-a", &tampered).await;
    assert!(
        matches!(bad, Err(HsmError::Bridge(BridgeError::UnwrapFailed))),
        "got {bad:?}"
    );

    let short = client.unwrap_kek("tenant-a", &blob[..10]).await;
    assert!(
        matches!(short, Err(HsmError::Bridge(BridgeError::UnwrapFailed))),
        "got {short:?}"
    );

    let empty_domain = client.wrap_kek("", &kek).await;
    assert!(
        matches!(
            empty_domain,
            Err(HsmError::Bridge(BridgeError::BadRequest(_)))
        ),
        "got {empty_domain:?}"
    );

    // A blob that fails to authenticate must not be mistaken for a lost token.
    assert!(
        client
            .health()
            .await
            .expect("health after failed unwraps")
            .ok
    );
    assert!(bridge.is_running(), "bridge must still run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_key_is_created_once_and_reused_by_the_next_process() {
    let hsm = softhsm();
    let mut first = hsm.run_bridge(&[]);
    let mode = fs::metadata(hsm.socket())
        .expect("socket metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "socket mode");
    let kek = kek(2);
    let blob = bridge_client(&hsm)
        .wrap_kek("tenant-a", &kek)
        .await
        .expect("wrap");
    let status = first.terminate();
    assert!(
        status.success(),
        "SIGTERM must stop the bridge cleanly, got {status}: {}",
        first.log()
    );
    assert!(
        !hsm.socket().exists(),
        "the bridge removes its socket on SIGTERM"
    );
    assert!(
        first.log().contains("generated a new root key"),
        "{}",
        first.log()
    );

    let second = hsm.run_bridge(&[]);
    let back = bridge_client(&hsm)
        .unwrap_kek("tenant-a", &blob)
        .await
        .expect("unwrap in the second process");
    assert_eq!(back.as_slice(), kek.as_slice());
    assert!(
        second.log().contains("using existing root key"),
        "{}",
        second.log()
    );
    drop(second);

    let listing = hsm.list_secret_keys();
    assert_eq!(
        listing.matches(ROOT_LABEL).count(),
        1,
        "exactly one root key: {listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_key_is_sensitive_and_never_extractable() {
    let hsm = softhsm();
    let mut bridge = hsm.run_bridge(&[]);
    bridge_client(&hsm).health().await.expect("health");
    bridge.terminate();
    let listing = hsm.list_secret_keys();
    let access = listing
        .lines()
        .find(|l| l.trim_start().starts_with("Access:"))
        .unwrap_or_default();
    assert!(listing.contains("AES length 32"), "{listing}");
    assert!(access.contains("sensitive"), "{listing}");
    assert!(access.contains("never extractable"), "{listing}");
    assert!(
        !access
            .replace("never extractable", "")
            .contains("extractable"),
        "{listing}"
    );
    let usage = listing
        .lines()
        .find(|l| l.trim_start().starts_with("Usage:"))
        .unwrap_or_default();
    assert!(
        usage.contains("encrypt") && usage.contains("decrypt"),
        "{listing}"
    );
    assert!(
        !usage.contains("wrap") && !usage.contains("sign"),
        "least privilege: {listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn epoch_keys_live_in_the_token_until_destroyed() {
    let hsm = softhsm();
    let mut bridge = hsm.run_bridge(&[]);
    let client = bridge_client(&hsm);
    let node = 0x1234_5678_9abc_def0;
    assert_eq!(client.list_epoch_keys().await.expect("list"), vec![]);
    client
        .create_epoch_key(node, 1)
        .await
        .expect("create epoch 1");
    client
        .create_epoch_key(node, 2)
        .await
        .expect("create epoch 2");
    client
        .create_epoch_key(7, 1)
        .await
        .expect("another node's epoch 1");
    let again = client.create_epoch_key(node, 1).await;
    assert!(
        matches!(
            again,
            Err(HsmError::Bridge(BridgeError::EpochKeyExists {
                epoch: 1,
                ..
            }))
        ),
        "a second key of one epoch is refused: {again:?}"
    );

    let dk = kek(9);
    let blob = client
        .wrap_epoch_data_key(node, 1, &dk)
        .await
        .expect("wrap");
    assert_eq!(
        blob.len(),
        1 + 12 + 32 + 16,
        "version + iv + ciphertext + tag"
    );
    assert!(!blob.windows(dk.len()).any(|w| w == dk.as_slice()));
    let back = client
        .unwrap_epoch_data_key(node, 1, &blob)
        .await
        .expect("unwrap");
    assert_eq!(back.as_slice(), dk.as_slice());
    // Bound to its own epoch key: another epoch's or node's key does not open it.
    for (n, e) in [(node, 2), (7, 1)] {
        let other = client.unwrap_epoch_data_key(n, e, &blob).await;
        assert!(
            matches!(other, Err(HsmError::Bridge(BridgeError::UnwrapFailed))),
            "epoch {e} of node {n:x}: {other:?}"
        );
    }
    let mut tampered = blob.clone();
    tampered[20] ^= 1;
    assert!(matches!(
        client.unwrap_epoch_data_key(node, 1, &tampered).await,
        Err(HsmError::Bridge(BridgeError::UnwrapFailed))
    ));
    assert!(matches!(
        client.wrap_epoch_data_key(node, 1, &dk[..16]).await,
        Err(HsmError::Bridge(BridgeError::BadRequest(_)))
    ));
    assert!(matches!(
        client.wrap_epoch_data_key(node, 3, &dk).await,
        Err(HsmError::Bridge(BridgeError::EpochKeyMissing {
            epoch: 3,
            ..
        }))
    ));
    let mut listed = client.list_epoch_keys().await.expect("list");
    listed.sort();
    assert_eq!(
        listed,
        vec![
            EpochKeyId { node: 7, epoch: 1 },
            EpochKeyId { node, epoch: 1 },
            EpochKeyId { node, epoch: 2 },
        ]
    );

    // Token objects: they outlive the bridge process, sensitive and never extractable.
    bridge.terminate();
    let listing = hsm.list_secret_keys();
    let label = "kw-epoch-123456789abcdef0-1";
    let object = listing
        .split("Secret Key Object")
        .find(|o| o.contains(label))
        .unwrap_or_else(|| panic!("{label} not in {listing}"));
    assert!(object.contains("AES length 32"), "{object}");
    assert!(
        object.contains("sensitive") && object.contains("never extractable"),
        "{object}"
    );
    assert!(
        !object.contains("wrap") && !object.contains("sign"),
        "{object}"
    );
    let _bridge = hsm.run_bridge(&[]);
    let client = bridge_client(&hsm);
    let back = client
        .unwrap_epoch_data_key(node, 1, &blob)
        .await
        .expect("unwrap in the next process");
    assert_eq!(back.as_slice(), dk.as_slice());

    // Destroyed: the blob can never be opened again, by any key of the token.
    assert!(client.destroy_epoch_key(node, 1).await.expect("destroy"));
    let gone = client.unwrap_epoch_data_key(node, 1, &blob).await;
    assert!(
        matches!(
            gone,
            Err(HsmError::Bridge(BridgeError::EpochKeyMissing {
                epoch: 1,
                ..
            }))
        ),
        "{gone:?}"
    );
    assert!(
        !client
            .destroy_epoch_key(node, 1)
            .await
            .expect("destroy twice")
    );
    let mut listed = client.list_epoch_keys().await.expect("list");
    listed.sort();
    assert_eq!(
        listed,
        vec![
            EpochKeyId { node: 7, epoch: 1 },
            EpochKeyId { node, epoch: 2 }
        ]
    );
    assert!(!hsm.list_secret_keys().contains(label));
    assert!(client.health().await.expect("health").ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_client_is_still_served() {
    use hsm_proto::{Request, Response, read_message, write_message};
    let hsm = softhsm();
    let _bridge = hsm.run_bridge(&[]);
    let mut stream = tokio::net::UnixStream::connect(hsm.socket())
        .await
        .expect("connect");
    write_message(&mut stream, &Request::Hello { version: 1 })
        .await
        .expect("send Hello");
    let answer = read_message::<_, Response>(&mut stream).await;
    assert!(
        matches!(answer, Ok(Some(Response::Hello { version: 1, .. }))),
        "{answer:?}"
    );
    write_message(&mut stream, &Request::Random { len: 8 })
        .await
        .expect("send Random");
    let answer = read_message::<_, Response>(&mut stream).await;
    assert!(
        matches!(&answer, Ok(Some(Response::Random { bytes })) if bytes.len() == 8),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_and_health() {
    let hsm = softhsm();
    let _bridge = hsm.run_bridge(&[]);
    let client = bridge_client(&hsm);
    let a = client.random(32).await.expect("random");
    let b = client.random(32).await.expect("random");
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
    assert!(client.random(0).await.expect("empty random").is_empty());
    let max = usize::try_from(MAX_RANDOM).expect("fits usize");
    assert_eq!(client.random(max).await.expect("max random").len(), max);
    let report = client.health().await.expect("health");
    assert!(report.ok, "{report:?}");
    assert_eq!(report.reason, None);
    assert!(client.last_latency().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients() {
    let hsm = softhsm();
    let _bridge = hsm.run_bridge(&[]);
    let shared = bridge_client(&hsm);
    let mut tasks = Vec::new();
    for t in 0..16u8 {
        // Half the tasks share one client (pooled connections), half have their own.
        let client = if t % 2 == 0 {
            shared.clone()
        } else {
            bridge_client(&hsm)
        };
        tasks.push(tokio::spawn(async move {
            let domain = format!("tenant-{t}");
            for i in 0..20u8 {
                let kek = kek(t.wrapping_mul(20).wrapping_add(i));
                let blob = client.wrap_kek(&domain, &kek).await.expect("wrap");
                let back = client.unwrap_kek(&domain, &blob).await.expect("unwrap");
                assert_eq!(back.as_slice(), kek.as_slice());
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_reconnects_after_the_bridge_is_killed_and_restarted() {
    let hsm = softhsm();
    let mut bridge = hsm.run_bridge(&[]);
    let client = bridge_client(&hsm);
    let kek = kek(3);
    let blob = client.wrap_kek("tenant-a", &kek).await.expect("wrap");
    bridge.kill_hard();

    let down = client.health().await;
    assert!(
        matches!(down, Err(HsmError::Unavailable(_))),
        "got {down:?}"
    );

    let mut restarted = hsm.run_bridge(&[]);
    let back = client
        .unwrap_kek("tenant-a", &blob)
        .await
        .expect("unwrap after restart");
    assert_eq!(back.as_slice(), kek.as_slice());
    assert!(client.health().await.expect("health after restart").ok);

    // Restart again without a call in between: the pooled connection is dead
    // and the very next call must succeed by redialing on its own.
    restarted.kill_hard();
    let _again = hsm.run_bridge(&[]);
    let back = client
        .unwrap_kek("tenant-a", &blob)
        .await
        .expect("transparent redial");
    assert_eq!(back.as_slice(), kek.as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_lost_while_serving_answers_unavailable_and_exits_non_zero() {
    let hsm = softhsm();
    let mut bridge = hsm.run_bridge(&[]);
    let client = bridge_client(&hsm);
    assert!(client.health().await.expect("health").ok);
    fs::rename(hsm.dir().join("tokens"), hsm.dir().join("tokens.gone")).expect("rename tokens");

    let gone = client.health().await;
    assert!(
        matches!(gone, Err(HsmError::Unavailable(_))),
        "got {gone:?}"
    );
    let status = bridge.wait();
    assert!(
        !status.success(),
        "the supervisor must see a failure, got {status}"
    );
    let log = bridge.log();
    assert!(log.contains("token lost"), "{log}");
    assert!(!hsm.socket().exists(), "socket removed on exit");
}

#[test]
fn unknown_token_label_exits_non_zero_naming_the_label() {
    let hsm = softhsm();
    let mut bridge = hsm.spawn_bridge("no-such-token", &hsm.dir().join("pin"), &[]);
    let status = bridge.wait();
    assert!(!status.success());
    let log = bridge.log();
    assert!(log.contains("token \"no-such-token\" unavailable"), "{log}");
    assert!(!hsm.socket().exists());
}

#[test]
fn token_gone_before_start_exits_non_zero_naming_the_label() {
    let hsm = softhsm();
    fs::rename(hsm.dir().join("tokens"), hsm.dir().join("tokens.gone")).expect("rename tokens");
    let mut bridge = hsm.spawn_bridge(LABEL, &hsm.dir().join("pin"), &[]);
    let status = bridge.wait();
    assert!(!status.success());
    let log = bridge.log();
    assert!(
        log.contains(&format!("token \"{LABEL}\" unavailable")),
        "{log}"
    );
}

#[test]
fn wrong_pin_exits_non_zero_without_logging_the_pin() {
    let hsm = softhsm();
    let pin = hsm.dir().join("bad-pin");
    fs::write(&pin, "98765\n").expect("pin file");
    let mut bridge = hsm.spawn_bridge(LABEL, &pin, &[]);
    let status = bridge.wait();
    assert!(!status.success());
    let log = bridge.log();
    assert!(
        log.contains(&format!("login to token \"{LABEL}\" failed")),
        "{log}"
    );
    assert!(!log.contains("98765"), "{log}");
}

/// Sends raw bytes on a fresh connection and returns the first answer, if any.
async fn raw_exchange(socket: &Path, bytes: &[u8]) -> Option<hsm_proto::Response> {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .expect("connect");
    stream.write_all(bytes).await.expect("write");
    hsm_proto::read_message(&mut stream).await.ok().flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_refuses_bad_first_frames_and_keeps_serving() {
    use hsm_proto::{PROTOCOL_VERSION, Request, Response, encode_frame};
    let hsm = softhsm();
    let _bridge = hsm.run_bridge(&[]);
    let socket = hsm.socket();

    let not_hello = encode_frame(&Request::Random { len: 4 }).expect("encode");
    let answer = raw_exchange(&socket, &not_hello).await;
    assert!(
        matches!(answer, Some(Response::Error(BridgeError::BadRequest(_)))),
        "got {answer:?}"
    );

    let newer = encode_frame(&Request::Hello {
        version: PROTOCOL_VERSION + 1,
    })
    .expect("encode");
    let answer = raw_exchange(&socket, &newer).await;
    assert!(
        matches!(answer, Some(Response::Error(BridgeError::BadRequest(_)))),
        "got {answer:?}"
    );

    // A length prefix above MAX_FRAME is refused without waiting for the body.
    let oversized = u32::MAX.to_be_bytes();
    let answer = raw_exchange(&socket, &oversized).await;
    assert!(
        matches!(answer, Some(Response::Error(BridgeError::BadRequest(_)))),
        "got {answer:?}"
    );

    let garbage = [0, 0, 0, 3, 0xff, 0xff, 0xff];
    let answer = raw_exchange(&socket, &garbage).await;
    assert!(
        matches!(answer, Some(Response::Error(BridgeError::BadRequest(_)))),
        "got {answer:?}"
    );

    assert!(bridge_client(&hsm).health().await.expect("health").ok);
}

#[test]
fn client_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<HsmClient>();
}

/// Connects and completes the Hello exchange on a raw stream.
async fn hello(socket: &Path) -> tokio::net::UnixStream {
    match try_hello(socket).await {
        Ok(stream) => stream,
        Err(e) => panic!("{e}"),
    }
}

/// [`hello`], with the failure as a message.
async fn try_hello(socket: &Path) -> Result<tokio::net::UnixStream, String> {
    use hsm_proto::{PROTOCOL_VERSION, Request, Response, read_message, write_message};
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    write_message(
        &mut stream,
        &Request::Hello {
            version: PROTOCOL_VERSION,
        },
    )
    .await
    .map_err(|e| format!("send Hello: {e}"))?;
    let answer = tokio::time::timeout(TEST_DEADLINE, read_message(&mut stream))
        .await
        .map_err(|_| "test deadline".to_owned())?;
    match answer {
        Ok(Some(Response::Hello { .. })) => Ok(stream),
        other => Err(format!("got {other:?}")),
    }
}

/// True when the bridge closes `stream` without answering (bounded by the test deadline).
async fn closed_without_answer(stream: &mut tokio::net::UnixStream) -> bool {
    let next = tokio::time::timeout(
        TEST_DEADLINE,
        hsm_proto::read_message::<_, hsm_proto::Response>(stream),
    )
    .await
    .expect("test deadline: the bridge kept the connection open");
    matches!(next, Ok(None) | Err(_))
}

/// Safety net so a broken test fails instead of hanging; never a timing assertion.
const TEST_DEADLINE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_is_disconnected_after_the_idle_timeout() {
    let hsm = softhsm();
    let _bridge = hsm.run_bridge(&["--idle-timeout", "1"]);
    let mut stream = hello(&hsm.socket()).await;
    assert!(closed_without_answer(&mut stream).await);
    assert!(bridge_client(&hsm).health().await.expect("health").ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_max_clients_are_closed_at_accept() {
    let hsm = softhsm();
    let bridge = hsm.run_bridge(&["--max-clients", "1"]);
    let socket = hsm.socket();
    // `start` probed the socket; that connection holds the one slot until the bridge sees it
    // closed (bounded retries).
    let mut first = None;
    for _ in 0..MAX_POLLS {
        if let Ok(stream) = try_hello(&socket).await {
            first = Some(stream);
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    let first = first.expect("the first client is served");

    let mut second = tokio::net::UnixStream::connect(&socket)
        .await
        .expect("connect");
    let _ = hsm_proto::write_message(
        &mut second,
        &hsm_proto::Request::Hello {
            version: hsm_proto::PROTOCOL_VERSION,
        },
    )
    .await;
    assert!(closed_without_answer(&mut second).await);
    assert!(bridge.log().contains("the maximum"), "{}", bridge.log());

    // The slot frees once the first client leaves (bounded retries: the bridge notices the
    // close asynchronously).
    drop(first);
    let mut served = false;
    for _ in 0..MAX_POLLS {
        if bridge_client(&hsm).health().await.is_ok_and(|h| h.ok) {
            served = true;
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert!(served, "a new client is served once the first left");
}

/// Environment variable naming the socket [`foreign_peer_probe`] connects to.
const PROBE_SOCKET: &str = "HSM_BRIDGE_TEST_PROBE_SOCKET";
/// The uid the probe runs as.
const NOBODY: u32 = 65534;

/// Runs [`foreign_peer_probe`] from this test binary as `nobody`; returns what it printed.
fn probe_as_nobody(socket: &Path) -> String {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args(["--ignored", "--exact", "foreign_peer_probe", "--nocapture"])
        .env(PROBE_SOCKET, socket)
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .expect("run the probe");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "probe failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Not a test of its own: `peers_with_another_uid_are_refused_unless_allowed` runs it as
/// another uid. Says whether the bridge answered a Hello.
#[test]
#[ignore = "run as another uid by peers_with_another_uid_are_refused_unless_allowed"]
fn foreign_peer_probe() {
    use std::io::{Read, Write};
    let socket = std::env::var_os(PROBE_SOCKET).expect("the probe socket variable");
    let mut stream = std::os::unix::net::UnixStream::connect(socket).expect("probe connect");
    stream
        .set_read_timeout(Some(TEST_DEADLINE))
        .expect("read timeout");
    let hello = hsm_proto::encode_frame(&hsm_proto::Request::Hello {
        version: hsm_proto::PROTOCOL_VERSION,
    })
    .expect("encode");
    // The bridge may already have closed: then the write fails and the read sees the end.
    let _ = stream.write_all(&hello);
    // One frame, not to the end: an accepted client stays connected.
    let mut prefix = [0u8; hsm_proto::LEN_PREFIX];
    let verdict = if stream.read_exact(&mut prefix).is_err() {
        "REFUSED"
    } else {
        let len = hsm_proto::parse_len(prefix).expect("length prefix");
        let mut body = vec![0u8; len];
        stream.read_exact(&mut body).expect("frame body");
        match hsm_proto::decode_body::<hsm_proto::Response>(&body) {
            Ok(hsm_proto::Response::Hello { .. }) => "ANSWERED",
            other => panic!("unexpected answer {other:?}"),
        }
    };
    println!("PROBE: {verdict}");
}

#[test]
fn peers_with_another_uid_are_refused_unless_allowed() {
    assert!(
        nix::unistd::getuid().is_root(),
        "this test runs a peer as uid {NOBODY} and so needs root (as `cargo xtask test` in the dev container)"
    );
    let hsm = softhsm();
    // Let the probe reach the socket: only the uid check may stop it.
    fs::set_permissions(hsm.dir(), fs::Permissions::from_mode(0o711)).expect("chmod dir");
    let open_socket = || {
        fs::set_permissions(hsm.socket(), fs::Permissions::from_mode(0o666)).expect("chmod socket")
    };

    let mut bridge = hsm.run_bridge(&[]);
    open_socket();
    let out = probe_as_nobody(&hsm.socket());
    assert!(out.contains("PROBE: REFUSED"), "{out}");
    assert!(
        bridge.log().contains(&format!("peer uid {NOBODY}")),
        "{}",
        bridge.log()
    );
    assert!(bridge.terminate().success());

    let nobody = NOBODY.to_string();
    let _bridge = hsm.run_bridge(&["--allow-uid", &nobody]);
    open_socket();
    let out = probe_as_nobody(&hsm.socket());
    assert!(out.contains("PROBE: ANSWERED"), "{out}");
}
