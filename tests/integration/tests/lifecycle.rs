//! The `kmsd dev` process contract: health endpoints answer, SIGTERM ends it cleanly with exit
//! code 0 (hsm-bridge included), and a restart on the same directory reuses its state.

use anyhow::{Context, Result, ensure};
use keywarden_test_kit::{DevNode, Identity};
use keywarden_tests::{KmipClient, READY_TIMEOUT, https_get, wait_until_ready};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_is_clean_and_restart_keeps_state() -> Result<()> {
    let mut node = DevNode::start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;

    let (status, _) = https_get(&node, "/healthz").await?;
    ensure!(status == 200, "/healthz answered {status}");
    let (status, metrics) = https_get(&node, "/metrics").await?;
    ensure!(status == 200, "/metrics answered {status}");
    ensure!(
        metrics.lines().any(|l| l.starts_with("# TYPE ")),
        "/metrics is not Prometheus text:\n{metrics}"
    );

    let mut client = KmipClient::connect(&node, Identity::Admin).await?;
    let uid = client.create_active_aes256().await?;
    let sealed = client.encrypt(&uid, b"kept across restarts").await?;
    drop(client);

    let pki_before = std::fs::read(&node.ready().ca_cert).context("reading the CA")?;
    let status = node.sigterm()?;
    ensure!(
        status.code() == Some(0),
        "kmsd exited with {status} on SIGTERM; stderr:\n{}",
        node.stderr_tail()
    );

    node.restart()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let pki_after = std::fs::read(&node.ready().ca_cert).context("reading the CA")?;
    ensure!(
        pki_before == pki_after,
        "restart on the same dir made a new dev CA"
    );
    let mut client = KmipClient::connect(&node, Identity::Admin).await?;
    ensure!(client.get(&uid).await? == uid, "Get after restart");
    ensure!(
        client.decrypt(&uid, &sealed).await? == b"kept across restarts",
        "Decrypt after restart returned another plaintext"
    );
    Ok(())
}
