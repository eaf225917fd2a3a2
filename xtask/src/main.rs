//! `cargo xtask`: the one entry point for developer chores (run, test, bench).
//!
//! It owns the order of the CI steps and the system packages they need. It must stay
//! dependency-light (std, anyhow, serde_json) so that it builds before anything else,
//! and it must never change the repository's sources.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Debian packages the tests and `kmsd dev` need.
const SYSTEM_PACKAGES: &[&str] = &["softhsm2", "opensc", "python3-venv", "python3-pip"];

/// How long `run` waits for ready.json before it stops printing connection hints.
const READY_WAIT: Duration = Duration::from_secs(120);

const USAGE: &str = "usage:
  cargo xtask test [--quick] [--long]  fmt, cargo deny, clippy (not with --quick), build, cargo test, PyKMIP interop; --long runs 5,000 cluster simulation and 20,000 power-cut seeds
  cargo xtask run                   build release kmsd + hsm-bridge, run `kmsd dev --dir target/dev`
  cargo xtask bench NAME [--quick]  build release, run target/release/keywarden-bench NAME";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => cmd_test(&args[1..]),
        Some("run") => cmd_run(&args[1..]),
        Some("bench") => cmd_bench(&args[1..]),
        Some("__print-ready") => cmd_print_ready(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask manifest directory has no parent")
}

/// The cargo that invoked us, so the pinned toolchain is used throughout.
fn cargo() -> Command {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    if let Ok(root) = workspace_root() {
        cmd.current_dir(root);
    }
    cmd
}

/// The target directory cargo uses (honours CARGO_TARGET_DIR).
fn target_dir() -> Result<PathBuf> {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                Ok(dir)
            } else {
                Ok(workspace_root()?.join(dir))
            }
        }
        None => Ok(workspace_root()?.join("target")),
    }
}

/// Runs a command to completion, failing with its description when it exits non-zero.
fn run_checked(what: &str, cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("{what}: could not start {cmd:?}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Installs the Debian packages that are missing; prints what it installs.
fn ensure_packages() -> Result<()> {
    let missing: Vec<&str> = SYSTEM_PACKAGES
        .iter()
        .copied()
        .filter(|pkg| !package_installed(pkg))
        .collect();
    if missing.is_empty() {
        println!(
            "xtask: system packages present: {}",
            SYSTEM_PACKAGES.join(" ")
        );
        return Ok(());
    }
    println!("xtask: installing missing packages: {}", missing.join(" "));
    run_checked(
        "apt-get update",
        Command::new("apt-get")
            .args(["update"])
            .stdin(Stdio::null()),
    )?;
    run_checked(
        "apt-get install",
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null()),
    )?;
    let still: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|pkg| !package_installed(pkg))
        .collect();
    if !still.is_empty() {
        bail!(
            "packages still missing after apt-get install: {}",
            still.join(" ")
        );
    }
    Ok(())
}

fn package_installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .stderr(Stdio::null())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

/// The cargo-deny release the licence check is pinned to (installed from crates.io if missing).
const CARGO_DENY_VERSION: &str = "0.20.2";

/// Installs cargo-deny when `cargo deny` is not there (a fresh machine); prints what it does.
fn ensure_cargo_deny() -> Result<()> {
    let present = cargo()
        .args(["deny", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if present {
        return Ok(());
    }
    println!("xtask: installing cargo-deny {CARGO_DENY_VERSION} (first run on this machine)");
    run_checked(
        "cargo install cargo-deny",
        cargo().args([
            "install",
            "--locked",
            "cargo-deny",
            "--version",
            CARGO_DENY_VERSION,
        ]),
    )
}

/// Seeds of the seeded tests: CI's default, or many more with `--long`.
fn seed_env(long: bool) -> Vec<(&'static str, &'static str)> {
    if long {
        vec![("KW_SIM_SEEDS", "5000"), ("KW_POWER_CUT_SEEDS", "20000")]
    } else {
        Vec::new()
    }
}

/// `cargo xtask test [--quick] [--long]`.
fn cmd_test(args: &[String]) -> Result<ExitCode> {
    let mut quick = false;
    let mut long = false;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            "--long" => long = true,
            other => bail!("test: unknown argument {other:?}\n{USAGE}"),
        }
    }
    let root = workspace_root()?;
    let mut summary: Vec<(String, Duration, bool)> = Vec::new();

    type Step = (&'static str, Box<dyn Fn() -> Result<()>>);
    let mut steps: Vec<Step> = vec![
        ("system packages", Box::new(ensure_packages)),
        (
            "cargo fmt --check",
            Box::new(|| {
                run_checked(
                    "cargo fmt --all -- --check",
                    cargo().args(["fmt", "--all", "--", "--check"]),
                )
            }),
        ),
    ];
    steps.push((
        "cargo deny (licences)",
        Box::new(|| {
            ensure_cargo_deny()?;
            run_checked(
                "cargo deny check licenses bans sources",
                cargo().args([
                    "deny",
                    "--log-level",
                    "error",
                    "check",
                    "licenses",
                    "bans",
                    "sources",
                ]),
            )
        }),
    ));
    if !quick {
        steps.push((
            "cargo clippy",
            Box::new(|| {
                run_checked(
                    "cargo clippy",
                    cargo().args([
                        "clippy",
                        "--workspace",
                        "--all-targets",
                        "--",
                        "-D",
                        "warnings",
                    ]),
                )
            }),
        ));
    }
    steps.push((
        "cargo build --bins",
        Box::new(|| {
            run_checked(
                "cargo build --workspace --bins",
                cargo().args(["build", "--workspace", "--bins"]),
            )
        }),
    ));
    steps.push((
        "cargo test",
        Box::new(move || {
            // KMSD_BIN names the kmsd just built, whatever CARGO_TARGET_DIR is. The PyKMIP test
            // is deferred to the next step so that it runs once, with its output shown.
            let kmsd = target_dir()?.join("debug").join("kmsd");
            run_checked(
                "cargo test --workspace --no-fail-fast",
                cargo()
                    // Every test binary runs, so one failure does not hide the others.
                    .args(["test", "--workspace", "--no-fail-fast"])
                    .envs(seed_env(long))
                    .env("KMSD_BIN", &kmsd)
                    .env("KEYWARDEN_PYKMIP", "defer"),
            )
        }),
    ));
    steps.push((
        "PyKMIP interop",
        Box::new(|| {
            // Only the interop test, with its output shown.
            let kmsd = target_dir()?.join("debug").join("kmsd");
            run_checked(
                "PyKMIP interop (cargo test -p keywarden-tests --test pykmip)",
                cargo()
                    .args([
                        "test",
                        "-p",
                        "keywarden-tests",
                        "--test",
                        "pykmip",
                        "--",
                        "--nocapture",
                    ])
                    .env("KMSD_BIN", &kmsd),
            )
        }),
    ));

    println!("xtask: workspace {}", root.display());
    let mut failure = None;
    for (name, step) in &steps {
        println!("\nxtask: ==> {name}");
        let start = Instant::now();
        let outcome = step();
        let took = start.elapsed();
        let ok = outcome.is_ok();
        summary.push(((*name).to_string(), took, ok));
        if let Err(e) = outcome {
            failure = Some(format!("step '{name}' failed: {e:#}"));
            break;
        }
    }

    println!("\nxtask: summary");
    for (name, took, ok) in &summary {
        let mark = if *ok { "ok  " } else { "FAIL" };
        println!("  {mark} {name:<22} {:>8.1} s", took.as_secs_f64());
    }
    for (name, _) in steps.iter().skip(summary.len()) {
        println!("  skip {name}");
    }
    match failure {
        Some(msg) => {
            eprintln!("\nxtask: {msg}");
            Ok(ExitCode::FAILURE)
        }
        None => {
            println!("\nxtask: all steps passed");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `cargo xtask run`: builds release binaries and runs `kmsd dev` in the foreground.
fn cmd_run(args: &[String]) -> Result<ExitCode> {
    if let Some(arg) = args.first() {
        bail!("run: unknown argument {arg:?}\n{USAGE}");
    }
    ensure_packages()?;
    run_checked(
        "cargo build --release -p kmsd -p hsm-bridge",
        cargo().args(["build", "--release", "-p", "kmsd", "-p", "hsm-bridge"]),
    )?;
    let root = workspace_root()?;
    let kmsd = target_dir()?.join("release").join("kmsd");
    let dir = root.join("target").join("dev");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let ready = dir.join("ready.json");
    // A ready.json left by an earlier run would make us print stale endpoints.
    match std::fs::remove_file(&ready) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing stale {}", ready.display())),
    }

    // A small watcher (this same binary) prints how to connect once ready.json appears; then
    // this process becomes kmsd via exec, so SIGTERM/SIGINT reach kmsd directly and its exit
    // code is ours.
    let me = env::current_exe().context("locating the xtask executable")?;
    Command::new(me)
        .arg("__print-ready")
        .arg(&ready)
        .arg(&root)
        .stdin(Stdio::null())
        .spawn()
        .context("starting the ready.json watcher")?;

    println!("xtask: exec {} dev --dir {}", kmsd.display(), dir.display());
    use std::os::unix::process::CommandExt;
    let err = Command::new(&kmsd)
        .arg("dev")
        .arg("--dir")
        .arg(&dir)
        .current_dir(&root)
        .exec();
    Err(err).with_context(|| format!("exec {}", kmsd.display()))
}

/// Hidden helper for `run`: waits (bounded) for ready.json, then prints connection help.
fn cmd_print_ready(args: &[String]) -> Result<ExitCode> {
    let (Some(ready), Some(root)) = (args.first(), args.get(1)) else {
        bail!("__print-ready READY_JSON ROOT");
    };
    let ready = PathBuf::from(ready);
    let deadline = Instant::now() + READY_WAIT;
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(&ready)
            && let Ok(info) = serde_json::from_str::<serde_json::Value>(&text)
        {
            print_connect_help(&info, Path::new(root));
            return Ok(ExitCode::SUCCESS);
        }
        thread::sleep(Duration::from_millis(200));
    }
    eprintln!(
        "xtask: {} did not appear within {} s; see kmsd's output above",
        ready.display(),
        READY_WAIT.as_secs()
    );
    Ok(ExitCode::FAILURE)
}

/// Maps a child's exit status to ours (signals become 128 + signal, as shells do).
fn exit_code_of(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let sig = status.signal().unwrap_or(1);
    ExitCode::from(u8::try_from(128 + sig).unwrap_or(1))
}

fn print_connect_help(info: &serde_json::Value, root: &Path) {
    let s = |k: &str| {
        info.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("?")
            .to_string()
    };
    let kmip = s("kmip");
    let https = s("https");
    let (host, port) = kmip.rsplit_once(':').unwrap_or(("127.0.0.1", "5696"));
    let venv = root.join("target").join("pykmip-venv");
    println!(
        "
xtask: kmsd dev is ready
  KMIP (TLS, client cert required): {kmip}
  HTTPS:                            https://{https}  (/healthz /readyz /metrics)
  CA certificate:                   {ca}
  admin client cert / key:          {ac} / {ak}
  user client cert / key:           {uc} / {uk}

  health:  curl --cacert {ca} https://localhost:{hport}/readyz
  TLS:     openssl s_client -connect {kmip} -CAfile {ca} -cert {ac} -key {ak} </dev/null
  PyKMIP:  {venv}/bin/python -c \"from kmip.pie.client import ProxyKmipClient; from kmip import enums; \\
             c = ProxyKmipClient(hostname='{host}', port={port}, cert='{ac}', key='{ak}', ca='{ca}', config_file='/dev/null'); c.open(); \\
             print(c.create(enums.CryptographicAlgorithm.AES, 256)); c.close()\"
           (the venv is made by `cargo xtask test`; see README.md)
  stop:    Ctrl-C
",
        ca = s("ca_cert"),
        ac = s("admin_cert"),
        ak = s("admin_key"),
        uc = s("user_cert"),
        uk = s("user_key"),
        hport = https.rsplit_once(':').map(|(_, p)| p).unwrap_or("8443"),
        venv = venv.display(),
    );
}

/// `cargo xtask bench NAME [--quick]`.
fn cmd_bench(args: &[String]) -> Result<ExitCode> {
    let Some(name) = args.first() else {
        bail!("bench: missing NAME\n{USAGE}");
    };
    let rest = &args[1..];
    for arg in rest {
        if arg != "--quick" {
            bail!("bench: unknown argument {arg:?}\n{USAGE}");
        }
    }
    ensure_packages()?;
    run_checked(
        "cargo build --release -p keywarden-bench -p kmsd -p hsm-bridge",
        cargo().args([
            "build",
            "--release",
            "-p",
            "keywarden-bench",
            "-p",
            "kmsd",
            "-p",
            "hsm-bridge",
        ]),
    )?;
    let bench = target_dir()?.join("release").join("keywarden-bench");
    let status = Command::new(&bench)
        .arg(name)
        .args(rest)
        .current_dir(workspace_root()?)
        .status()
        .with_context(|| format!("starting {}", bench.display()))?;
    Ok(exit_code_of(status))
}
