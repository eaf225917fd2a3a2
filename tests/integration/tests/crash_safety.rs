//! No acknowledged write is lost in a crash.
//!
//! 16 connections create AES-256 keys concurrently; for every acknowledged key the worker
//! activates it and encrypts a known plaintext (AES-GCM), recording ciphertext, IV and tag.
//! After at least 200 acknowledged Creates, kmsd and hsm-bridge are killed with SIGKILL
//! mid-stream. After a restart on the same directory, every acknowledged UUID must Get, and
//! every recorded ciphertext must Decrypt to its plaintext.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use keywarden_test_kit::{DevNode, Identity};
use keywarden_tests::kmip::Sealed;
use keywarden_tests::{KmipClient, READY_TIMEOUT, wait_until_ready};

const CONNECTIONS: usize = 16;
/// Acknowledged Creates before the kill.
const ACKS_BEFORE_KILL: usize = 200;
/// Upper bound on keys per connection, so the stream ends even if the kill never comes.
const MAX_KEYS_PER_CONNECTION: usize = 400;
/// Bound on reaching ACKS_BEFORE_KILL.
const STREAM_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Default)]
struct Journal {
    /// Every UUID whose Create was acknowledged.
    created: Vec<String>,
    /// (uuid, plaintext, sealed) for every acknowledged Encrypt.
    sealed: Vec<(String, Vec<u8>, Sealed)>,
}

fn plaintext_for(uid: &str) -> Vec<u8> {
    format!("crash-safety plaintext for {uid}").into_bytes()
}

async fn worker(node_addr: Arc<DevNodeHandle>, journal: Arc<Mutex<Journal>>) {
    let Ok(mut client) = KmipClient::connect_with(node_addr.kmip, node_addr.tls.clone()).await
    else {
        return;
    };
    for _ in 0..MAX_KEYS_PER_CONNECTION {
        // Any error means the server is gone: the stream for this connection ends.
        let Ok(uid) = client.create_aes256().await else {
            return;
        };
        if let Ok(mut j) = journal.lock() {
            j.created.push(uid.clone());
        }
        if client.activate(&uid).await.is_err() {
            return;
        }
        let plaintext = plaintext_for(&uid);
        let Ok(sealed) = client.encrypt(&uid, &plaintext).await else {
            return;
        };
        if let Ok(mut j) = journal.lock() {
            j.sealed.push((uid, plaintext, sealed));
        }
    }
}

/// What the workers need to connect, without borrowing the node (which the main task kills).
struct DevNodeHandle {
    kmip: std::net::SocketAddr,
    tls: Arc<rustls::ClientConfig>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_keys_survive_kill_9() -> Result<()> {
    let mut node = DevNode::start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let (cert, key) = node.identity_files(Identity::Admin);
    let tls = keywarden_tests::client::client_config(
        &node.ready().ca_cert,
        Some(keywarden_tests::client::ClientIdentity::from_pem_files(
            &cert, &key,
        )?),
    )?;
    let handle = Arc::new(DevNodeHandle {
        kmip: node.kmip_addr(),
        tls,
    });
    let journal = Arc::new(Mutex::new(Journal::default()));
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(worker(handle.clone(), journal.clone())))
        .collect();

    let deadline = Instant::now() + STREAM_TIMEOUT;
    loop {
        let acked = journal.lock().map(|j| j.created.len()).unwrap_or(0);
        if acked >= ACKS_BEFORE_KILL {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "only {acked} Creates acknowledged within {} s; kmsd stderr:\n{}",
            STREAM_TIMEOUT.as_secs(),
            node.stderr_tail()
        );
        ensure!(
            !workers.iter().all(|w| w.is_finished()),
            "all workers stopped after {acked} acknowledged Creates; kmsd stderr:\n{}",
            node.stderr_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.kill_9().context("kill -9")?;
    for w in workers {
        // Workers end on their first error; the bound only guards against a wedged socket.
        tokio::time::timeout(Duration::from_secs(60), w)
            .await
            .context("a worker did not stop after the kill")?
            .context("worker panicked")?;
    }

    let (created, sealed) = {
        let j = journal
            .lock()
            .map_err(|_| anyhow::anyhow!("journal poisoned"))?;
        (j.created.clone(), j.sealed.clone())
    };
    eprintln!(
        "killed after {} acknowledged Creates, {} acknowledged Encrypts",
        created.len(),
        sealed.len()
    );
    ensure!(created.len() >= ACKS_BEFORE_KILL, "journal lost entries");

    node.restart().context("restart on the same dir")?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let mut client = KmipClient::connect(&node, Identity::Admin).await?;
    let mut lost = Vec::new();
    for uid in &created {
        match client.get(uid).await {
            Ok(got) if got == *uid => {}
            Ok(got) => lost.push(format!("Get {uid} returned identifier {got}")),
            Err(e) => lost.push(format!("Get {uid}: {e:#}")),
        }
    }
    for (uid, plaintext, s) in &sealed {
        match client.decrypt(uid, s).await {
            Ok(p) if p == *plaintext => {}
            Ok(_) => lost.push(format!(
                "Decrypt under {uid} returned a different plaintext"
            )),
            Err(e) => lost.push(format!("Decrypt under {uid}: {e:#}")),
        }
    }
    ensure!(
        lost.is_empty(),
        "{} of {} acknowledged operations did not survive kill -9:\n{}\nkmsd stderr:\n{}",
        lost.len(),
        created.len() + sealed.len(),
        lost.iter().take(20).cloned().collect::<Vec<_>>().join("\n"),
        node.stderr_tail()
    );
    Ok(())
}
