//! Client behaviour against a scripted fake bridge (no PKCS#11 here; the real
//! bridge is exercised in `hsm/bridge/tests`).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use hsm_proto::{PROTOCOL_VERSION, Request, Response, read_message, write_message};
use tokio::net::UnixListener;
use zeroize::Zeroizing;

use super::*;

/// How the fake bridge behaves.
#[derive(Clone, Copy)]
enum Script {
    /// Answers every request properly and keeps the connection.
    Echo,
    /// Answers one request per connection, then closes it (like a restarted bridge).
    OneShot,
    /// Completes Hello, then never answers.
    Silent,
    /// Answers Hello with another protocol version.
    WrongVersion,
    /// Answers every request with TokenUnavailable.
    TokenGone,
}

fn answer(request: Request) -> Response {
    match request {
        Request::Hello { .. } => Response::Error(BridgeError::BadRequest("twice".into())),
        Request::Health => Response::Health(HealthReport {
            ok: true,
            reason: None,
            latency_us: 7,
        }),
        // Reversible stand-in for a real wrap, so the test can check what came back.
        Request::WrapKek { domain, kek } => Response::Wrapped {
            blob: domain
                .bytes()
                .chain([0])
                .chain(kek.iter().map(|b| b ^ 0x5a))
                .collect(),
        },
        Request::UnwrapKek { domain, blob } => {
            let prefix: Vec<u8> = domain.bytes().chain([0]).collect();
            match blob.strip_prefix(prefix.as_slice()) {
                Some(rest) => Response::Unwrapped {
                    kek: Zeroizing::new(rest.iter().map(|b| b ^ 0x5a).collect()),
                },
                None => Response::Error(BridgeError::UnwrapFailed),
            }
        }
        Request::Random { len } => Response::Random {
            bytes: vec![4; len as usize],
        },
        // The fake token holds the keys of epochs 1 and 2 of node 9, and epoch 2 is
        // "wrapped" reversibly like a KEK.
        Request::CreateEpochKey { node, epoch } if node == 9 && epoch <= 2 => {
            Response::Error(BridgeError::EpochKeyExists { node, epoch })
        }
        Request::CreateEpochKey { .. } => Response::EpochKeyCreated,
        Request::WrapEpochDataKey { node, epoch, key } => Response::Wrapped {
            blob: [node as u8, epoch as u8]
                .into_iter()
                .chain(key.iter().map(|b| b ^ 0x5a))
                .collect(),
        },
        Request::UnwrapEpochDataKey { node, epoch, .. } if node != 9 || epoch > 2 => {
            Response::Error(BridgeError::EpochKeyMissing { node, epoch })
        }
        Request::UnwrapEpochDataKey { blob, .. } => Response::DataKey {
            key: Zeroizing::new(blob.iter().skip(2).map(|b| b ^ 0x5a).collect()),
        },
        Request::DestroyEpochKey { node, epoch } => Response::EpochKeyDestroyed {
            existed: node == 9 && epoch <= 2,
        },
        Request::ListEpochKeys => Response::EpochKeys {
            keys: vec![
                EpochKeyId { node: 9, epoch: 1 },
                EpochKeyId { node: 9, epoch: 2 },
            ],
        },
    }
}

/// Starts a fake bridge; returns the number of accepted connections so far.
fn fake_bridge(path: &Path, script: Script) -> Arc<AtomicUsize> {
    let listener = match UnixListener::bind(path) {
        Ok(l) => l,
        Err(e) => panic!("cannot bind fake bridge: {e}"),
    };
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let Ok(Some(Request::Hello { .. })) = read_message::<_, Request>(&mut stream).await
                else {
                    return;
                };
                let version = match script {
                    Script::WrongVersion => PROTOCOL_VERSION + 1,
                    _ => PROTOCOL_VERSION,
                };
                if write_message(
                    &mut stream,
                    &Response::Hello {
                        version,
                        token: "fake".into(),
                    },
                )
                .await
                .is_err()
                {
                    return;
                }
                while let Ok(Some(request)) = read_message::<_, Request>(&mut stream).await {
                    let response = match script {
                        Script::Silent => {
                            std::future::pending::<()>().await;
                            return;
                        }
                        Script::TokenGone => {
                            Response::Error(BridgeError::TokenUnavailable("gone".into()))
                        }
                        _ => answer(request),
                    };
                    if write_message(&mut stream, &response).await.is_err() {
                        return;
                    }
                    if matches!(script, Script::OneShot) {
                        return;
                    }
                }
            });
        }
    });
    accepted
}

fn temp_socket() -> (tempfile::TempDir, PathBuf) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("cannot create temp dir: {e}"),
    };
    let path = dir.path().join("hsm.sock");
    (dir, path)
}

#[tokio::test]
async fn absent_socket_is_unavailable() {
    let (_dir, path) = temp_socket();
    let client = HsmClient::new(path);
    assert!(matches!(
        client.health().await,
        Err(HsmError::Unavailable(_))
    ));
    assert_eq!(client.last_latency(), None);
}

#[tokio::test]
async fn calls_round_trip_and_reuse_one_connection() -> Result<(), HsmError> {
    let (_dir, path) = temp_socket();
    let accepted = fake_bridge(&path, Script::Echo);
    let client = HsmClient::new(path);
    let blob = client.wrap_kek("d1", &[1, 2, 3]).await?;
    assert_eq!(client.unwrap_kek("d1", &blob).await?.as_slice(), &[1, 2, 3]);
    assert!(matches!(
        client.unwrap_kek("d2", &blob).await,
        Err(HsmError::Bridge(BridgeError::UnwrapFailed))
    ));
    assert_eq!(client.random(9).await?, vec![4; 9]);
    assert!(client.health().await?.ok);
    assert!(client.last_latency().is_some());
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    Ok(())
}

#[tokio::test]
async fn epoch_key_calls_map_their_answers_and_errors() -> Result<(), HsmError> {
    let (_dir, path) = temp_socket();
    let _accepted = fake_bridge(&path, Script::Echo);
    let client = HsmClient::new(path);
    client.create_epoch_key(9, 3).await?;
    assert!(matches!(
        client.create_epoch_key(9, 2).await,
        Err(HsmError::Bridge(BridgeError::EpochKeyExists {
            node: 9,
            epoch: 2
        }))
    ));
    let blob = client.wrap_epoch_data_key(9, 2, &[7; 32]).await?;
    assert_eq!(
        client.unwrap_epoch_data_key(9, 2, &blob).await?.as_slice(),
        &[7; 32]
    );
    assert!(matches!(
        client.unwrap_epoch_data_key(9, 3, &blob).await,
        Err(HsmError::Bridge(BridgeError::EpochKeyMissing {
            node: 9,
            epoch: 3
        }))
    ));
    assert!(client.destroy_epoch_key(9, 1).await?);
    assert!(!client.destroy_epoch_key(9, 5).await?);
    assert_eq!(
        client.list_epoch_keys().await?,
        vec![
            EpochKeyId { node: 9, epoch: 1 },
            EpochKeyId { node: 9, epoch: 2 }
        ]
    );
    Ok(())
}

#[tokio::test]
async fn dead_connection_is_redialed_transparently() -> Result<(), HsmError> {
    let (_dir, path) = temp_socket();
    let accepted = fake_bridge(&path, Script::OneShot);
    let client = HsmClient::new(path);
    for _ in 0..3 {
        assert!(client.health().await?.ok);
    }
    // Each call after the first found its pooled connection closed and dialed again.
    assert_eq!(accepted.load(Ordering::SeqCst), 3);
    Ok(())
}

#[tokio::test]
async fn silent_bridge_times_out_as_unavailable() {
    let (_dir, path) = temp_socket();
    fake_bridge(&path, Script::Silent);
    let client = HsmClient::new(path).with_timeout(Duration::from_millis(200));
    assert!(matches!(
        client.random(4).await,
        Err(HsmError::Unavailable(_))
    ));
}

#[tokio::test]
async fn other_protocol_version_is_a_protocol_error() {
    let (_dir, path) = temp_socket();
    fake_bridge(&path, Script::WrongVersion);
    let client = HsmClient::new(path);
    assert!(matches!(client.health().await, Err(HsmError::Protocol(_))));
}

#[tokio::test]
async fn token_unavailable_maps_to_unavailable() {
    let (_dir, path) = temp_socket();
    fake_bridge(&path, Script::TokenGone);
    let client = HsmClient::new(path);
    match client.wrap_kek("d", &[0; 32]).await {
        Err(HsmError::Unavailable(reason)) => assert_eq!(reason, "gone"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn oversized_random_is_refused_locally() {
    let (_dir, path) = temp_socket();
    let client = HsmClient::new(path);
    let too_big = MAX_RANDOM as usize + 1;
    assert!(matches!(
        client.random(too_big).await,
        Err(HsmError::Bridge(BridgeError::BadRequest(_)))
    ));
}
