//! kmsd's memory under many large requests at once: 1,024 authenticated clients each send a
//! 1 MiB request together, and kmsd's peak RSS stays under a bound far below the 1 GiB they
//! send, because request bodies are read only within the process-wide request budget.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use keywarden_test_kit::{DevNode, Identity};
use keywarden_tests::kmip::{self, Response, reason};
use keywarden_tests::{KmipClient, READY_TIMEOUT, wait_until_ready};

/// Clients, each sending one request.
const CLIENTS: usize = 1024;
/// The size of each request message.
const REQUEST: usize = 1 << 20;
/// kmsd's peak RSS may not exceed this. What it is made of: the default request budget of
/// 64 MiB, a decoded copy of each request in flight (at most as many as the budget holds),
/// rustls buffers of 1,024 connections, and the ~50 MiB of an idle node.
const PEAK_RSS_BOUND_MIB: u64 = 320;

/// A kilobyte figure of /proc/PID/status.
fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("{field} not in /proc/{pid}/status"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_sending_1_mib_each_keep_kmsd_under_its_memory_bound() -> Result<()> {
    // The read timeout is raised out of the way: on a loaded 2-core machine this test's own
    // 1,024 clients (one process) can take longer than 10 s to deliver some bodies, and what
    // is measured here is memory, not the timeout (tested on its own in kmsd).
    let files = keywarden_tests::raise_open_file_limit();
    ensure!(
        files >= 2 * CLIENTS as u64,
        "the limit on open files ({files}) is too low for {CLIENTS} clients"
    );
    let node = DevNode::builder()
        .args(&["--max-connections", "1100", "--read-timeout", "300"])
        .start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let pid = node.pid().context("kmsd pid")?;

    // An Encrypt of a key that does not exist: the server reads and decodes the whole 1 MiB
    // before it can answer Item Not Found. The plaintext fills the message to 1 MiB exactly.
    let overhead = kmip::encrypt_gcm("no-such-key", &[]).len();
    let request = Arc::new(kmip::encrypt_gcm(
        "no-such-key",
        &vec![0x5A; REQUEST - overhead - 8],
    ));
    ensure!(
        request.len() <= REQUEST && request.len() > REQUEST - 64,
        "request is {} bytes",
        request.len()
    );

    // Connect everyone first, a few handshakes at a time (one address may hold only 64).
    let mut clients = Vec::with_capacity(CLIENTS);
    for chunk in 0..CLIENTS / 32 {
        let mut connecting = Vec::new();
        for _ in 0..32 {
            connecting.push(KmipClient::connect(&node, Identity::User));
        }
        for c in futures_join_all(connecting).await {
            clients.push(c.with_context(|| format!("connecting batch {chunk}"))?);
        }
    }
    let before = status_kib(pid, "VmRSS:")?;

    let mut tasks = Vec::with_capacity(CLIENTS);
    for mut client in clients {
        let request = Arc::clone(&request);
        tasks.push(tokio::spawn(async move {
            // Under a CPU hog the last of 1 GiB can take minutes on 2 cores: bounded, not 30 s.
            let bytes = client
                .send_within(&request, Duration::from_secs(300))
                .await?;
            let answer = Response::parse(&bytes)?;
            let item = answer.only()?.clone();
            ensure!(
                item.reason == Some(reason::ITEM_NOT_FOUND),
                "answer {item:?}"
            );
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await.context("client task")??;
    }
    let peak = status_kib(pid, "VmHWM:")?;
    eprintln!(
        "kmsd RSS: {} MiB with {CLIENTS} idle connections; peak {} MiB after {CLIENTS} requests of 1 MiB",
        before / 1024,
        peak / 1024
    );
    ensure!(
        peak / 1024 < PEAK_RSS_BOUND_MIB,
        "kmsd's peak RSS was {} MiB, over the bound of {PEAK_RSS_BOUND_MIB} MiB",
        peak / 1024
    );
    Ok(())
}

/// Awaits every future (the crate has no futures dependency).
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut out = Vec::with_capacity(futures.len());
    for f in futures {
        out.push(f.await);
    }
    out
}
