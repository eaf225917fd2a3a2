//! The audit log of a running `kmsd dev`: every request is in it, `kmsd audit verify` finds the
//! chain intact, and after an edit of the file it names the broken entry.

use std::process::Command;

use anyhow::{Context, Result, ensure};
use keywarden_test_kit::{DevNode, Identity, kmsd_bin};
use keywarden_tests::{KmipClient, READY_TIMEOUT, wait_until_ready};

fn verify(dir: &std::path::Path) -> Result<(bool, String)> {
    let out = Command::new(kmsd_bin()?)
        .args(["audit", "verify", "--dir"])
        .arg(dir)
        .output()
        .context("running kmsd audit verify")?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kmsd_audit_verify_passes_an_intact_log_and_names_an_edited_entry() -> Result<()> {
    let mut node = DevNode::start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let mut client = KmipClient::connect(&node, Identity::User).await?;
    let uid = client.create_active_aes256().await?;
    client.encrypt(&uid, b"hello").await?;
    drop(client);
    let status = node.sigterm()?;
    ensure!(status.success(), "kmsd exited with {status}");

    let dir = node.dir().join("data").join("audit");
    let (ok, text) = verify(&dir)?;
    ensure!(ok && text.contains("intact"), "{text}");

    // The entries name the user by its whole DN; edit the first occurrence in place (same
    // length, so only the chain can tell).
    let segment = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "audit"))
        .context("no audit segment")?;
    let mut bytes = std::fs::read(&segment)?;
    // A write torn by a crash at the end is reported with where it starts, not taken as an
    // entry.
    let mut torn = bytes.clone();
    torn.extend_from_slice(&[0x5a; 7]);
    std::fs::write(&segment, &torn)?;
    let (_, text) = verify(&dir)?;
    ensure!(
        text.contains("torn by a crash") && text.contains(&format!("offset {}", bytes.len())),
        "a torn tail is not reported with its offset:\n{text}"
    );
    std::fs::write(&segment, &bytes)?;
    let needle = b"CN=user,O=Keywarden dev";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .context("the user's identity is not in the audit log")?;
    bytes[at + 3] = b'U';
    std::fs::write(&segment, &bytes)?;
    let (ok, text) = verify(&dir)?;
    ensure!(!ok, "an edited log verified:\n{text}");
    ensure!(
        text.contains("BROKEN")
            && text.contains(&segment.file_name().unwrap().to_string_lossy().to_string()),
        "the report does not name the broken entry's segment:\n{text}"
    );
    Ok(())
}

/// The administrative HTTPS requests are audited too, with the caller's whole DN and the
/// outcome: a refused metrics read and a storage erase (durably: it changed state).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrative_https_requests_are_in_the_audit_log() -> Result<()> {
    use keywarden_tests::https_request;
    let node = DevNode::start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let (status, body) = https_request(&node, Some(Identity::User), "GET", "/metrics").await?;
    ensure!(
        status == 403,
        "a crypto-user read the metrics: {status} {body}"
    );
    let (status, body) =
        https_request(&node, Some(Identity::Admin), "POST", "/v1/storage/erase").await?;
    ensure!(status == 200, "erase: {status} {body}");
    let (status, body) =
        https_request(&node, Some(Identity::Admin), "GET", "/v1/audit?limit=1000").await?;
    ensure!(status == 200, "audit read: {status} {body}");
    let json: serde_json::Value = serde_json::from_str(&body).context("audit JSON")?;
    let entries: Vec<&serde_json::Value> = json["records"]
        .as_array()
        .context("records")?
        .iter()
        .map(|r| &r["entry"])
        .collect();
    let find = |operation: &str| {
        entries
            .iter()
            .find(|e| e["operation"] == operation)
            .copied()
            .with_context(|| format!("no {operation:?} entry in {body}"))
    };
    let metrics = find("Read Metrics")?;
    ensure!(
        metrics["identity"]
            .as_str()
            .is_some_and(|i| i.starts_with("CN=user,")),
        "{metrics}"
    );
    ensure!(metrics["outcome"] != "success", "{metrics}");
    let erase = find("Erase Storage")?;
    ensure!(
        erase["identity"]
            .as_str()
            .is_some_and(|i| i.starts_with("CN=admin,")),
        "{erase}"
    );
    ensure!(erase["outcome"] == "success", "{erase}");
    Ok(())
}
