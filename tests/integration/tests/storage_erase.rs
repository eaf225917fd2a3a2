//! `POST /v1/storage/erase` on a running `kmsd dev`: only an admin may erase; the answer comes
//! once the erase is complete and names the new storage epoch; the metrics follow; keys live
//! before the erase still decrypt, also after a restart.

use anyhow::{Context, Result, ensure};
use keywarden_test_kit::{DevNode, Identity};
use keywarden_tests::{
    KmipClient, READY_TIMEOUT, https_get, https_request, kmip, wait_until_ready,
};

const ERASE: &str = "/v1/storage/erase";

fn json(body: &str) -> Result<serde_json::Value> {
    serde_json::from_str(body).with_context(|| format!("not JSON: {body}"))
}

fn metric(metrics: &str, name: &str) -> Option<String> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_erases_storage_over_https_and_nobody_else_can() -> Result<()> {
    let mut node = DevNode::start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let mut client = KmipClient::connect(&node, Identity::User).await?;
    let live = client.create_active_aes256().await?;
    let sealed = client.encrypt(&live, b"written before the erase").await?;
    let doomed = client.create_aes256().await?;
    client
        .call(&kmip::destroy(&doomed))
        .await?
        .success()
        .context("Destroy")?;

    for (who, what) in [(Some(Identity::User), "the user"), (None, "no certificate")] {
        let (status, body) = https_request(&node, who, "POST", ERASE).await?;
        ensure!(status == 403, "{what}: {status} {body}");
        let problem = json(&body)?;
        ensure!(
            problem["status"] == 403 && problem["title"] == "Forbidden",
            "{body}"
        );
    }
    let (status, body) = https_request(&node, Some(Identity::Admin), "GET", ERASE).await?;
    ensure!(status == 405, "GET: {status} {body}");

    for expected in [2u64, 3] {
        let (status, body) = https_request(&node, Some(Identity::Admin), "POST", ERASE).await?;
        ensure!(status == 200, "erase: {status} {body}");
        let done = json(&body)?;
        ensure!(done["epoch"] == expected, "{body}");
        ensure!(
            done["destroyed_epochs"] == serde_json::json!([expected - 1]),
            "{body}"
        );
        ensure!(
            done["resealed_records"].as_u64().is_some_and(|n| n >= 2),
            "{body}"
        );
    }
    let (_, metrics) = https_get(&node, "/metrics").await?;
    ensure!(
        metric(&metrics, "keywarden_store_storage_epoch").as_deref() == Some("3"),
        "{metrics}"
    );
    ensure!(
        metric(&metrics, "keywarden_store_erases_total").as_deref() == Some("2"),
        "{metrics}"
    );
    ensure!(client.decrypt(&live, &sealed).await? == b"written before the erase");

    drop(client);
    node.restart()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let mut client = KmipClient::connect(&node, Identity::User).await?;
    ensure!(client.decrypt(&live, &sealed).await? == b"written before the erase");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_erase_interval_setting_bounds_the_time_to_erasure() -> Result<()> {
    let node = DevNode::builder()
        .args(&["--erase-interval", "1"])
        .start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let mut client = KmipClient::connect(&node, Identity::User).await?;
    let doomed = client.create_aes256().await?;
    client
        .call(&kmip::destroy(&doomed))
        .await?
        .success()
        .context("Destroy")?;
    // Nobody asks for an erase: the schedule (every second here) does it by itself.
    let mut last = String::new();
    for _ in 0..300 {
        let (_, metrics) = https_get(&node, "/metrics").await?;
        if metric(&metrics, "keywarden_store_erases_total").is_some_and(|v| v != "0") {
            return Ok(());
        }
        last = metrics;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("no erase within 30 s of a Destroy with --erase-interval 1:\n{last}")
}
