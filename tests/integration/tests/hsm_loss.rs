//! Losing the HSM makes the node unready, not dead; getting it back makes it ready again.
//!
//! The hsm-bridge process is killed and the SoftHSM token directory renamed away (so the
//! supervisor's restarted bridge finds no token): /readyz must turn 503 with a body naming the
//! HSM. After the directory is renamed back, /readyz must return 200, Create + Encrypt must
//! work, and kmsd must be the same process (no restart).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use keywarden_test_kit::{DevNode, Identity};
use keywarden_tests::{KmipClient, https_get};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Bound on each state change to show in /readyz (the supervisor may back off between tries).
const STATE_TIMEOUT: Duration = Duration::from_secs(90);

/// Polls /readyz until `want(status, body)` holds; returns the last (status, body).
async fn wait_readyz(
    node: &DevNode,
    what: &str,
    want: impl Fn(u16, &str) -> bool,
) -> Result<(u16, String)> {
    let deadline = Instant::now() + STATE_TIMEOUT;
    let mut last = None;
    while Instant::now() < deadline {
        match https_get(node, "/readyz").await {
            Ok((status, body)) if want(status, &body) => return Ok((status, body)),
            Ok(other) => last = Some(format!("{other:?}")),
            Err(e) => last = Some(format!("error: {e:#}")),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!(
        "/readyz never became {what} within {} s; last answer {}; kmsd stderr:\n{}",
        STATE_TIMEOUT.as_secs(),
        last.unwrap_or_default(),
        node.stderr_tail()
    )
}

async fn create_and_encrypt(node: &DevNode) -> Result<()> {
    let mut client = KmipClient::connect(node, Identity::Admin).await?;
    let uid = client.create_active_aes256().await?;
    let plaintext = b"hsm loss test";
    let sealed = client.encrypt(&uid, plaintext).await?;
    ensure!(
        client.decrypt(&uid, &sealed).await? == plaintext,
        "round trip under {uid} changed the plaintext"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsm_loss_makes_node_unready_and_recovery_makes_it_ready() -> Result<()> {
    let mut node = DevNode::start()?;
    let kmsd_pid = node.pid().context("kmsd pid")?;
    ensure!(
        node.ready().pid == kmsd_pid,
        "ready.json pid {} is not the kmsd we started ({kmsd_pid})",
        node.ready().pid
    );
    wait_readyz(&node, "200", |s, _| s == 200).await?;
    create_and_encrypt(&node).await.context("before HSM loss")?;

    // The bridge is spawned at start-up; give /proc a bounded moment to show it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let bridge = loop {
        if let Some(pid) = node.hsm_bridge_pid()? {
            break pid;
        }
        ensure!(
            Instant::now() < deadline,
            "no hsm-bridge child of kmsd {kmsd_pid} found in /proc"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let tokens = node.ready().token_dir.clone();
    let away = tokens.with_extension("away");
    std::fs::rename(&tokens, &away)
        .with_context(|| format!("renaming {} away", tokens.display()))?;
    kill(
        Pid::from_raw(i32::try_from(bridge).context("pid range")?),
        Signal::SIGKILL,
    )
    .context("killing hsm-bridge")?;

    let (_, body) = wait_readyz(&node, "503 naming the HSM", |s, body| {
        s == 503 && body.to_ascii_lowercase().contains("hsm")
    })
    .await?;
    eprintln!("/readyz while the HSM is gone: 503 {body}");
    ensure!(
        body.contains(r#""hsm_loss_policy":"keep-serving""#),
        "/readyz does not report the HSM-loss policy: {body}"
    );
    ensure!(node.is_running(), "kmsd exited when the HSM went away");

    std::fs::rename(&away, &tokens)
        .with_context(|| format!("renaming {} back", tokens.display()))?;
    wait_readyz(&node, "200 again", |s, _| s == 200).await?;
    create_and_encrypt(&node)
        .await
        .context("after HSM recovery")?;

    ensure!(
        node.is_running() && node.pid() == Some(kmsd_pid),
        "kmsd was restarted (pid {kmsd_pid} -> {:?})",
        node.pid()
    );
    // A new bridge must have replaced the killed one.
    let new_bridge = node.hsm_bridge_pid()?;
    ensure!(
        new_bridge.is_some() && new_bridge != Some(bridge),
        "expected a new hsm-bridge, found {new_bridge:?} (killed {bridge})"
    );
    Ok(())
}
