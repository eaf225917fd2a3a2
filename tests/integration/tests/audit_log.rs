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
