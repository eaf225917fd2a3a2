//! Interoperability with a real third-party KMIP client: PyKMIP's ProxyKmipClient, over mTLS
//! with the dev admin certificate, at protocol 1.2 and 2.0 (tests/integration/pykmip/interop.py).
//!
//! The venv is created once under `target/pykmip-venv` and reused while its pinned
//! requirements are unchanged. PyKMIP 0.11.0 wraps sockets with `SSLContext.wrap_socket`
//! (not the removed `ssl.wrap_socket`), and its client imports without SQLAlchemy < 2, so no
//! monkeypatching is needed; the pins below are the set that was verified to import and run.
//!
//! `cargo xtask test` sets KEYWARDEN_PYKMIP=defer for its `cargo test --workspace` step and then
//! runs this test on its own, so it runs once per CI run with its output shown.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use keywarden_test_kit::DevNode;
use keywarden_tests::{READY_TIMEOUT, wait_until_ready};

/// Exact versions installed into the venv (the marker file holds this text).
const REQUIREMENTS: &[&str] = &[
    "PyKMIP==0.11.0",
    "cryptography==50.0.2",
    "SQLAlchemy==2.1.9",
    "six==1.17.0",
    "requests==2.34.2",
];
/// Bound on venv creation + pip install.
const SETUP_TIMEOUT: Duration = Duration::from_secs(600);
/// Bound on one interop script run.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs a command with a time bound; returns (success, combined output).
fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<(bool, String)> {
    let dir = tempfile::tempdir().context("temp dir for output")?;
    let out_path = dir.path().join("out.log");
    let out = fs::File::create(&out_path).context("output file")?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().context("dup output")?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().context("polling child")? {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(100));
    };
    let text = fs::read_to_string(&out_path).unwrap_or_default();
    match status {
        Some(s) => Ok((s.success(), text)),
        None => bail!(
            "{cmd:?} did not finish within {} s; output:\n{text}",
            limit.as_secs()
        ),
    }
}

/// Creates (or reuses) target/pykmip-venv with the pinned requirements; returns its python.
fn ensure_venv() -> Result<PathBuf> {
    let venv = workspace_root().join("target").join("pykmip-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join("keywarden-requirements.txt");
    let wanted = REQUIREMENTS.join("\n");
    if python.exists() && fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    if venv.exists() {
        fs::remove_dir_all(&venv).with_context(|| format!("removing stale {}", venv.display()))?;
    }
    fs::create_dir_all(venv.parent().context("venv parent")?)?;
    let (ok, out) = run_bounded(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        SETUP_TIMEOUT,
    )?;
    ensure!(
        ok,
        "python3 -m venv failed (is python3-venv installed? `cargo xtask test` installs it):\n{out}"
    );
    let (ok, out) = run_bounded(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
            .args(REQUIREMENTS),
        SETUP_TIMEOUT,
    )?;
    ensure!(ok, "pip install {} failed:\n{out}", REQUIREMENTS.join(" "));
    let (ok, out) = run_bounded(
        Command::new(&python).args([
            "-c",
            "from kmip.pie.client import ProxyKmipClient; from kmip import enums; enums.KMIPVersion.KMIP_2_0",
        ]),
        SETUP_TIMEOUT,
    )?;
    ensure!(ok, "PyKMIP does not import in the venv:\n{out}");
    fs::write(&marker, wanted).context("writing the venv marker")?;
    Ok(python)
}

#[test]
fn pykmip_client_interoperates_at_kmip_1_2_and_2_0() -> Result<()> {
    if std::env::var("KEYWARDEN_PYKMIP").as_deref() == Ok("defer") {
        eprintln!(
            "PyKMIP interop deferred to its own `cargo xtask test` step (KEYWARDEN_PYKMIP=defer)"
        );
        return Ok(());
    }
    let python = ensure_venv()?;
    let node = DevNode::start()?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(wait_until_ready(&node, READY_TIMEOUT))?;
    let ready = node.ready().clone();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("pykmip")
        .join("interop.py");
    let mut failures = Vec::new();
    for version in ["1.2", "2.0"] {
        let (ok, out) = run_bounded(
            Command::new(&python)
                .arg(&script)
                .args(["--host", &ready.kmip.ip().to_string()])
                .args(["--port", &ready.kmip.port().to_string()])
                .arg("--cert")
                .arg(&ready.admin_cert)
                .arg("--key")
                .arg(&ready.admin_key)
                .arg("--ca")
                .arg(&ready.ca_cert)
                .args(["--version", version]),
            RUN_TIMEOUT,
        )?;
        println!("--- PyKMIP interop, KMIP {version} ---\n{out}");
        if !ok {
            failures.push(format!("KMIP {version}:\n{out}"));
        }
    }
    ensure!(
        failures.is_empty(),
        "PyKMIP interop failed:\n{}\nkmsd stderr:\n{}",
        failures.join("\n"),
        node.stderr_tail()
    );
    Ok(())
}
