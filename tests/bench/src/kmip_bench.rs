//! `keywarden-bench kmip`: the whole KMIP measurement, step by step.
//!
//! Order: start kmsd on a fresh directory under `target/bench/`; the fsync baseline in that
//! directory while everything is idle; create the keys and capture one real Get and Encrypt
//! response; the echo baselines with those responses and the same requests and connection
//! count; Get, Encrypt, Create against kmsd; seed the named keys; Locate; RSS; restart time.
//! A failing step is recorded and the steps that need it are skipped; the table and the JSON
//! are written in every case.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use keywarden_store::WriteStats;
use rustls::ClientConfig;
use tokio::runtime::Runtime;

use keywarden_test_kit::{DevNode, Ready};
use keywarden_tests::client::mtls_client_config;

use crate::echo::EchoProcess;
use crate::fsync;
use crate::load::{self, Conn, LoadSpec, Source};
use crate::pki::TlsFiles;
use crate::report::{CreateStore, OpStats, Report};
use crate::wire::{self, Expect};

/// Plaintext size of the Encrypt operation.
const PLAINTEXT_BYTES: usize = 64;
/// How long after ready.json kmsd may take to create keys (its HSM bridge may still start).
const SERVE_TIMEOUT: Duration = Duration::from_secs(60);
/// Creates per message while seeding.
const SEED_BATCH: u64 = 100;
/// Bound on a kmsd start (the first one creates a SoftHSM token and a PKI; a restart loads the
/// seeded keys), and on the first Locate after a restart.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// Bound on a SIGTERM stop before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments of `keywarden-bench kmip`.
#[derive(Clone, Debug, clap::Args)]
pub struct KmipArgs {
    /// Short run: 3 s windows and 20,000 keys (unless given explicitly).
    #[arg(long)]
    pub quick: bool,
    /// Connections for Get, Encrypt, Locate and their baselines [default: 16].
    #[arg(long, value_name = "N")]
    pub connections: Option<usize>,
    /// Connections for Create, one run per count, comma-separated [default: 32,64].
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',')]
    pub create_connections: Vec<usize>,
    /// Measured seconds per operation [default: 10, --quick 3].
    #[arg(long, value_name = "S")]
    pub seconds: Option<u64>,
    /// Named keys to store before Locate, RSS and restart [default: 1000000, --quick 20000].
    #[arg(long, value_name = "K")]
    pub keys: Option<u64>,
    /// Client runtime: 0 = tokio current-thread (default; see README), N = N worker threads.
    #[arg(long, value_name = "T", default_value_t = 0)]
    pub client_threads: usize,
    /// Connections used to seed keys.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub seed_connections: usize,
    /// Output directory [default: <workspace>/target/bench].
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Keep the node directory after the run.
    #[arg(long)]
    pub keep: bool,
}

/// Resolved settings.
#[derive(Clone, Debug)]
struct Settings {
    connections: usize,
    create_connections: Vec<usize>,
    window: Duration,
    warmup: Duration,
    keys: u64,
    seed_connections: usize,
    out_dir: PathBuf,
}

impl KmipArgs {
    fn settings(&self) -> Result<Settings> {
        let connections = self.connections.unwrap_or(16);
        // Issue 13 judges Create at both counts, in one run.
        let create_connections = if self.create_connections.is_empty() {
            vec![32, 64]
        } else {
            self.create_connections.clone()
        };
        let seconds = self.seconds.unwrap_or(if self.quick { 3 } else { 10 });
        let keys = self
            .keys
            .unwrap_or(if self.quick { 20_000 } else { 1_000_000 });
        if connections == 0 || create_connections.contains(&0) || seconds == 0 || keys == 0 {
            bail!("--connections, --create-connections, --seconds and --keys must be above 0");
        }
        if keys >= 10u64.pow(wire::NAME_DIGITS as u32) {
            bail!("--keys must stay below 10^{}", wire::NAME_DIGITS);
        }
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench"),
        };
        Ok(Settings {
            connections,
            create_connections,
            window: Duration::from_secs(seconds),
            warmup: Duration::from_millis(if self.quick { 500 } else { 1000 }),
            keys,
            seed_connections: self.seed_connections.max(1),
            out_dir,
        })
    }
}

/// Runs the benchmark; exit code 0 unless the bench itself failed.
pub fn run(args: KmipArgs) -> Result<ExitCode> {
    let settings = args.settings()?;
    std::fs::create_dir_all(&settings.out_dir)
        .with_context(|| format!("creating {}", settings.out_dir.display()))?;
    let out_dir = settings
        .out_dir
        .canonicalize()
        .context("resolving the output directory")?;
    let node_dir = out_dir.join("kmip-node");
    if node_dir.exists() {
        std::fs::remove_dir_all(&node_dir)
            .with_context(|| format!("removing the previous {}", node_dir.display()))?;
    }
    std::fs::create_dir_all(&node_dir)
        .with_context(|| format!("creating {}", node_dir.display()))?;
    let runtime = client_runtime(args.client_threads)?;
    let mut report = Report {
        keys: settings.keys,
        connections: settings.connections,
        create_connections: settings.create_connections.clone(),
        seconds: settings.window.as_secs_f64(),
        quick: args.quick,
        client_threads: args.client_threads,
        ..Report::default()
    };
    let mut bench = Bench {
        settings,
        runtime,
        node_dir: node_dir.clone(),
        kmsd: None,
        report: &mut report,
    };
    bench.all();
    // A graceful stop, so a kept directory holds what kmsd leaves on SIGTERM.
    if let Some(mut kmsd) = bench.kmsd.take()
        && kmsd.pid().is_some()
    {
        let _ = kmsd.sigterm();
    }
    drop(bench);

    let table = report.table();
    println!("\n{table}");
    let json_path = out_dir.join("kmip.json");
    let text = serde_json::to_string_pretty(&report.to_json()).context("encoding kmip.json")?;
    std::fs::write(&json_path, text + "\n")
        .with_context(|| format!("writing {}", json_path.display()))?;
    println!("wrote {}", json_path.display());
    if !args.keep {
        let _ = std::fs::remove_dir_all(&node_dir);
    }
    let failed = !report.errors.is_empty() || !report.failure_lines().is_empty();
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The client's tokio runtime (see the README for why current-thread is the default).
fn client_runtime(threads: usize) -> Result<Runtime> {
    let mut builder = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    builder.enable_all().build().context("client runtime")
}

/// What the setup against kmsd produced.
struct Prepared {
    addr: SocketAddr,
    client: Arc<ClientConfig>,
    get_request: Arc<Vec<u8>>,
    encrypt_request: Arc<Vec<u8>>,
    get_response: Vec<u8>,
    encrypt_response: Vec<u8>,
}

/// The echo baselines' TLS files, client configuration, requests and responses.
struct EchoSetup {
    files: TlsFiles,
    client: Arc<ClientConfig>,
    requests: [Arc<Vec<u8>>; 2],
    responses: [Vec<u8>; 2],
}

struct Bench<'a> {
    settings: Settings,
    runtime: Runtime,
    node_dir: PathBuf,
    /// Set once kmsd has started.
    kmsd: Option<DevNode>,
    report: &'a mut Report,
}

impl Bench<'_> {
    fn note<T>(&mut self, step: &str, result: Result<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("{step} failed: {e:#}");
                self.report.errors.push(format!("{step}: {e:#}"));
                None
            }
        }
    }

    fn all(&mut self) {
        eprintln!("starting kmsd in {}", self.node_dir.display());
        // kmsd stays in the bench's process group: a Ctrl-C reaches kmsd and hsm-bridge too.
        let started = DevNode::builder()
            .dir(&self.node_dir)
            .ready_timeout(START_TIMEOUT)
            .stop_timeout(STOP_TIMEOUT)
            .own_process_group(false)
            .start()
            .context("starting kmsd");
        self.kmsd = self.note("kmsd start", started);
        let ready = self.kmsd.as_ref().map(|kmsd| {
            eprintln!("kmsd ready after {} ms", kmsd.ready_after().as_millis());
            kmsd.ready().clone()
        });

        let prepared = match &ready {
            Some(ready) => {
                let prepared = self.prepare(ready);
                self.note("setup against kmsd", prepared)
            }
            None => None,
        };
        // Each measurement runs right after its baseline, so a change in the machine's other
        // load (disk, CPU) between the two distorts the ratio as little as possible.
        let echo = self.echo_setup(prepared.as_ref());
        let c = self.settings.connections;
        if let Some(echo) = &echo {
            self.report.echo_get = self.echo_run(echo, 0);
        }
        if let Some(p) = &prepared {
            let get = Source::Fixed(Arc::clone(&p.get_request));
            self.report.get = self.measure("get", p, get, c);
        }
        if let Some(echo) = &echo {
            self.report.echo_encrypt = self.echo_run(echo, 1);
        }
        if let Some(p) = &prepared {
            let encrypt = Source::Fixed(Arc::clone(&p.encrypt_request));
            self.report.encrypt = self.measure("encrypt", p, encrypt, c);
        }
        eprintln!("fsync baseline ({} s)", self.settings.window.as_secs());
        let fsync = fsync::run(&self.node_dir, self.settings.warmup, self.settings.window);
        self.report.fsync = self.note("fsync baseline", fsync);
        if let Some(f) = &self.report.fsync {
            eprintln!(
                "  {:.0} ops/s, p50 {:.3} ms, p99 {:.3} ms",
                f.ops_s, f.p50_ms, f.p99_ms
            );
        }
        let Some(p) = prepared else { return };
        let create = Arc::new(wire::create_aes256());
        let before = self.store_counters();
        let began = Instant::now();
        for cc in self.settings.create_connections.clone() {
            let source = Source::Fixed(Arc::clone(&create));
            let stats = self.measure(&format!("create@{cc}"), &p, source, cc);
            self.report.create.push((cc, stats));
        }
        let step = began.elapsed();
        self.report.create_store = before
            .zip(self.store_counters())
            .and_then(|(a, b)| create_store(&a, &b, step));

        if !self.seed(&p) {
            return;
        }
        match wire::locate_by_name(0) {
            Ok((template, offset)) => {
                let source = Source::LocateByName {
                    template,
                    offset,
                    keys: self.settings.keys,
                };
                self.report.locate = self.measure_with("locate", &p, source, c, Expect::OneLocated);
            }
            Err(e) => self.report.errors.push(format!("locate request: {e:#}")),
        }
        self.memory();
        self.restart(&p);
        self.crash_restart(&p);
    }

    /// Creates the Get and Encrypt keys and captures one response of each.
    fn prepare(&mut self, ready: &Ready) -> Result<Prepared> {
        let client = mtls_client_config(&ready.ca_cert, &ready.admin_cert, &ready.admin_key)?;
        let addr = ready.kmip;
        let tls = Arc::clone(&client);
        self.runtime.block_on(async move {
            let mut conn = Conn::connect(addr, tls).await?;
            // kmsd may announce itself before hsm-bridge answers ("retry later"): the first
            // Create is retried, bounded, and the wait reported.
            let began = Instant::now();
            let deadline = began + SERVE_TIMEOUT;
            let get_uid = loop {
                let created = conn.call(&wire::create_aes256()).await?;
                match first_uid(&created) {
                    Ok(uid) => break uid,
                    Err(e) if Instant::now() > deadline => {
                        return Err(e.context("Create (Get key), retried"));
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            };
            if began.elapsed() > Duration::from_millis(100) {
                eprintln!(
                    "  kmsd could create keys {} ms after ready.json",
                    began.elapsed().as_millis()
                );
            }
            let created = conn.call(&wire::create_aes256()).await?;
            let enc_uid = first_uid(&created).context("Create (Encrypt key)")?;
            let activated = conn.call(&wire::activate(&enc_uid)).await?;
            first_uid(&activated).context("Activate (Encrypt key)")?;

            let get_request = wire::get(&get_uid);
            let get_response = conn.call(&get_request).await?;
            wire::check(&get_response, conn.limits(), Expect::Success)
                .and_then(success_only)
                .context("Get")?;
            let encrypt_request = wire::encrypt_gcm(&enc_uid, &[0x42; PLAINTEXT_BYTES]);
            let encrypt_response = conn.call(&encrypt_request).await?;
            wire::check(&encrypt_response, conn.limits(), Expect::Success)
                .and_then(success_only)
                .context("Encrypt")?;
            Ok(Prepared {
                addr,
                client,
                get_request: Arc::new(get_request),
                encrypt_request: Arc::new(encrypt_request),
                get_response,
                encrypt_response,
            })
        })
    }

    /// What the echo baselines send and answer: kmsd's captured responses or, without kmsd,
    /// synthetic ones.
    fn echo_setup(&mut self, prepared: Option<&Prepared>) -> Option<EchoSetup> {
        let placeholder = "00000000-0000-4000-8000-000000000000";
        let (files, requests, responses, source) = match prepared {
            Some(p) => match TlsFiles::of_kmsd(&self.node_dir) {
                Some(files) => (
                    files,
                    [Arc::clone(&p.get_request), Arc::clone(&p.encrypt_request)],
                    [p.get_response.clone(), p.encrypt_response.clone()],
                    "kmsd",
                ),
                None => {
                    self.report
                        .errors
                        .push("echo baseline: kmsd's dev PKI files not found".to_owned());
                    return None;
                }
            },
            None => {
                let files = match TlsFiles::of_kmsd(&self.node_dir) {
                    Some(files) => Ok(files),
                    None => TlsFiles::generate(&self.node_dir.join("bench-pki")),
                };
                let files = self.note("echo PKI", files)?;
                // A 1.4 Get of a Raw AES-256 key and a 64-byte GCM Encrypt answer in about
                // these sizes; used only when no real response could be captured.
                let synthetic = [312, 304].map(wire::synthetic_response);
                let [Ok(g), Ok(e)] = synthetic else {
                    self.report.errors.push("synthetic responses".to_owned());
                    return None;
                };
                (
                    files,
                    [
                        Arc::new(wire::get(placeholder)),
                        Arc::new(wire::encrypt_gcm(placeholder, &[0x42; PLAINTEXT_BYTES])),
                    ],
                    [g, e],
                    "synthetic (kmsd unavailable)",
                )
            }
        };
        self.report.echo_responses = source.to_owned();
        let client = mtls_client_config(&files.ca, &files.client_cert, &files.client_key);
        let client = self.note("echo client TLS", client)?;
        Some(EchoSetup {
            files,
            client,
            requests,
            responses,
        })
    }

    /// One echo baseline: 0 with Get's messages, 1 with Encrypt's.
    fn echo_run(&mut self, setup: &EchoSetup, i: usize) -> Option<OpStats> {
        let name = ["echo_get", "echo_encrypt"][i];
        let response_file = self.node_dir.join(format!("{name}.response"));
        let files = &setup.files;
        let spawned = std::fs::write(&response_file, &setup.responses[i])
            .context("writing the echo response")
            .and_then(|()| {
                EchoProcess::spawn(
                    &files.server_cert,
                    &files.server_key,
                    &files.ca,
                    &response_file,
                )
            });
        let echo = self.note(name, spawned)?;
        let spec = LoadSpec {
            label: name.to_owned(),
            addr: echo.addr,
            tls: Arc::clone(&setup.client),
            connections: self.settings.connections,
            warmup: self.settings.warmup,
            window: self.settings.window,
            source: Source::Fixed(Arc::clone(&setup.requests[i])),
            expect: Expect::Success,
            server_pid: Some(echo.pid()),
        };
        eprintln!(
            "{name}: {} connections, {} s",
            spec.connections,
            spec.window.as_secs()
        );
        let stats = self.runtime.block_on(load::run(spec));
        let stats = self.note(name, stats)?;
        print_stats(&stats);
        Some(stats)
    }

    fn measure(
        &mut self,
        label: &str,
        p: &Prepared,
        source: Source,
        conns: usize,
    ) -> Option<OpStats> {
        self.measure_with(label, p, source, conns, Expect::Success)
    }

    fn measure_with(
        &mut self,
        label: &str,
        p: &Prepared,
        source: Source,
        conns: usize,
        expect: Expect,
    ) -> Option<OpStats> {
        let alive = self.check_alive();
        self.note(label, alive)?;
        let spec = LoadSpec {
            label: label.to_owned(),
            addr: p.addr,
            tls: Arc::clone(&p.client),
            connections: conns,
            warmup: self.settings.warmup,
            window: self.settings.window,
            source,
            expect,
            server_pid: self.kmsd.as_ref().and_then(DevNode::pid),
        };
        eprintln!("{label}: {conns} connections, {} s", spec.window.as_secs());
        let stats = self.runtime.block_on(load::run(spec));
        let stats = self.note(label, stats)?;
        print_stats(&stats);
        Some(stats)
    }

    /// kmsd's `keywarden_store_*` write counters from `/metrics`; `None` (with a note) if unreadable.
    fn store_counters(&mut self) -> Option<WriteStats> {
        let node = self.kmsd.as_ref()?;
        let scraped = self
            .runtime
            .block_on(keywarden_tests::client::https_get(node, "/metrics"))
            .and_then(|(status, body)| {
                anyhow::ensure!(status == 200, "/metrics answered {status}");
                parse_write_stats(&body)
            });
        self.note("store counters", scraped)
    }

    /// Fails when kmsd is not running (never started, or died).
    fn check_alive(&mut self) -> Result<()> {
        let Some(kmsd) = self.kmsd.as_mut() else {
            bail!("kmsd is not running");
        };
        if !kmsd.is_running() {
            bail!("kmsd died; stderr:\n{}", kmsd.stderr_tail());
        }
        Ok(())
    }

    /// Stores the named keys; false when that failed (the later steps need them).
    fn seed(&mut self, p: &Prepared) -> bool {
        let keys = self.settings.keys;
        eprintln!("seeding {keys} named keys, {SEED_BATCH} Creates per message");
        let seeded = self.runtime.block_on(load::seed(
            p.addr,
            Arc::clone(&p.client),
            self.settings.seed_connections,
            keys,
            SEED_BATCH,
        ));
        let Some(seeded) = self.note("seeding", seeded) else {
            return false;
        };
        let rate = seeded.ok as f64 / seeded.elapsed.as_secs_f64().max(1e-9);
        self.report.seed_keys_s = Some(rate);
        eprintln!(
            "  seeded {} keys in {:.1} s ({rate:.0} keys/s), {} failed",
            seeded.ok,
            seeded.elapsed.as_secs_f64(),
            seeded.failed
        );
        if seeded.failed > 0 {
            self.report.errors.push(format!(
                "seeding: {} of {keys} Creates failed; first: {}",
                seeded.failed,
                seeded.first_failure.as_deref().unwrap_or("?")
            ));
            return false;
        }
        true
    }

    /// kmsd's (and hsm-bridge's) resident memory with the keys stored.
    fn memory(&mut self) {
        let kmsd = self.kmsd.as_ref();
        let rss = kmsd
            .and_then(DevNode::pid)
            .context("kmsd not running")
            .and_then(load::rss_mib);
        let bridge = kmsd.and_then(|k| k.hsm_bridge_pid().ok().flatten());
        self.report.rss_mib = self.note("kmsd rss", rss);
        self.report.hsm_bridge_rss_mib = bridge.and_then(|p| load::rss_mib(p).ok());
    }

    /// SIGTERM, start again on the same directory: time to ready.json and to a first Locate.
    fn restart(&mut self, p: &Prepared) {
        eprintln!("restart with {} keys stored", self.settings.keys);
        let Some(kmsd) = self.kmsd.as_mut() else {
            return;
        };
        let stopped = match kmsd.pid() {
            Some(_) => kmsd.sigterm().map(drop),
            None => Ok(()),
        };
        if self.note("kmsd stop", stopped).is_none() {
            return;
        }
        let Some((ready_ms, first_ms)) =
            self.timed_start(p, "kmsd restart", "first Locate after restart")
        else {
            return;
        };
        self.report.startup_ms = Some(ready_ms);
        self.report.startup_first_locate_ms = first_ms;
        eprintln!(
            "  ready after {ready_ms:.0} ms, first Locate after {:.0} ms",
            first_ms.unwrap_or(f64::NAN)
        );
    }
}

impl Bench<'_> {
    /// Starts the stopped kmsd on the same directory and times it from the spawn (`restart`
    /// spawns at once): ms to ready.json and, if a Locate then succeeds, ms to that first
    /// Locate. Failures are noted under the two labels.
    fn timed_start(
        &mut self,
        p: &Prepared,
        start_label: &str,
        locate_label: &str,
    ) -> Option<(f64, Option<f64>)> {
        let kmsd = self.kmsd.as_mut()?;
        let restarted = kmsd.restart().map(|()| {
            let kmip = kmsd.kmip_addr();
            (kmip, kmsd.spawned_at(), kmsd.ready_after())
        });
        let (kmip, began, to_ready) = self.note(start_label, restarted)?;
        let first = self.first_locate(p, kmip, began);
        let first_ms = self
            .note(locate_label, first)
            .map(|d| d.as_secs_f64() * 1000.0);
        Some((to_ready.as_secs_f64() * 1000.0, first_ms))
    }

    /// Time from `began` to the first Locate of a seeded name that finds it (bounded).
    fn first_locate(&self, p: &Prepared, kmip: SocketAddr, began: Instant) -> Result<Duration> {
        let client = Arc::clone(&p.client);
        let name = self.settings.keys / 2;
        self.runtime.block_on(async move {
            let (request, _) = wire::locate_by_name(name)?;
            let deadline = began + START_TIMEOUT;
            // Bounded by the deadline: kmsd may announce before its store answers.
            loop {
                let attempt = async {
                    let mut conn = Conn::connect(kmip, Arc::clone(&client)).await?;
                    let response = conn.call(&request).await?;
                    wire::check(&response, conn.limits(), Expect::OneLocated).and_then(success_only)
                };
                match attempt.await {
                    Ok(()) => return Ok(began.elapsed()),
                    Err(e) if Instant::now() > deadline => return Err(e),
                    Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        })
    }

    /// SIGKILL in the middle of a stream of creates (16 connections for 1.5 s), start again:
    /// time to ready.json and to a first Locate, with the store's journal replay in between.
    fn crash_restart(&mut self, p: &Prepared) {
        eprintln!(
            "SIGKILL during creates, then start with {} keys stored",
            self.settings.keys
        );
        let Some(kmsd) = self.kmsd.as_mut() else {
            return;
        };
        let addr = kmsd.kmip_addr();
        let request = Arc::new(wire::create_aes256());
        let window = Duration::from_millis(1500);
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let client = Arc::clone(&p.client);
                let request = Arc::clone(&request);
                self.runtime.spawn(async move {
                    // Acknowledged creates in the last second before the kill; the loop ends
                    // when the kill breaks the connection, or after 10 s in any case.
                    let mut acked: Vec<Instant> = Vec::new();
                    let Ok(mut conn) = Conn::connect(addr, client).await else {
                        return acked;
                    };
                    let stop = Instant::now() + Duration::from_secs(10);
                    while Instant::now() < stop {
                        let Ok(response) = conn.call(&request).await else {
                            break;
                        };
                        if wire::check(&response, conn.limits(), Expect::Success)
                            .and_then(success_only)
                            .is_err()
                        {
                            break;
                        }
                        acked.push(Instant::now());
                    }
                    acked
                })
            })
            .collect();
        // The client runtime may be current-thread: the creates run only inside block_on.
        self.runtime
            .block_on(async move { tokio::time::sleep(window).await });
        let killed = kmsd.kill_9();
        let killed_at = Instant::now();
        let acked: usize = self.runtime.block_on(async move {
            let mut n = 0;
            for t in tasks {
                if let Ok(times) = t.await {
                    n += times
                        .iter()
                        .filter(|t| killed_at.duration_since(**t) <= Duration::from_secs(1))
                        .count();
                }
            }
            n
        });
        if self.note("kmsd SIGKILL", killed).is_none() {
            return;
        }
        self.report.crash_acked_creates = Some(acked as u64);
        let Some((ready_ms, first_ms)) =
            self.timed_start(p, "kmsd start after SIGKILL", "first Locate after SIGKILL")
        else {
            return;
        };
        self.report.crash_startup_ms = Some(ready_ms);
        self.report.crash_startup_first_locate_ms = first_ms;
        eprintln!(
            "  {acked} creates acknowledged in the last second; ready after {ready_ms:.0} ms, first Locate after {:.0} ms",
            first_ms.unwrap_or(f64::NAN)
        );
    }
}

/// The store's write-path totals from the `keywarden_store_*_total` counters of `/metrics`.
fn parse_write_stats(metrics: &str) -> Result<WriteStats> {
    fn value<T: std::str::FromStr>(metrics: &str, name: &str) -> Result<T>
    where
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .with_context(|| format!("{name} missing from /metrics"))?
            .trim()
            .parse()
            .with_context(|| format!("{name} is not a number"))
    }
    Ok(WriteStats {
        groups: value(metrics, "keywarden_store_commit_groups_total")?,
        commits: value(metrics, "keywarden_store_commits_total")?,
        journal_syncs: value(metrics, "keywarden_store_journal_syncs_total")?,
        journal_sync_seconds: value(metrics, "keywarden_store_journal_sync_seconds_total")?,
        checkpoints: value(metrics, "keywarden_store_checkpoints_total")?,
        checkpoint_seconds: value(metrics, "keywarden_store_checkpoint_seconds_total")?,
    })
}

/// What the store did between two scrapes `step` apart; `None` if it wrote nothing. kmsd copies
/// the counters once a second, so both ends may lag by up to a second.
fn create_store(a: &WriteStats, b: &WriteStats, step: Duration) -> Option<CreateStore> {
    let groups = b.groups.checked_sub(a.groups).filter(|&g| g > 0)?;
    let syncs = b
        .journal_syncs
        .checked_sub(a.journal_syncs)
        .filter(|&s| s > 0)?;
    if step.is_zero() {
        return None;
    }
    Some(CreateStore {
        mean_group_size: b.commits.saturating_sub(a.commits) as f64 / groups as f64,
        journal_sync_ms: (b.journal_sync_seconds - a.journal_sync_seconds) / syncs as f64 * 1e3,
        checkpoints: b.checkpoints.saturating_sub(a.checkpoints) as f64,
        checkpoint_share: (b.checkpoint_seconds - a.checkpoint_seconds) / step.as_secs_f64(),
    })
}

fn print_stats(stats: &OpStats) {
    eprintln!(
        "  {:.0} ops/s, p50 {:.3} ms, p99 {:.3} ms, {} failed",
        stats.ops_s, stats.p50_ms, stats.p99_ms, stats.failed
    );
}

fn success_only(c: wire::Checked) -> Result<()> {
    match c.first_failure {
        None if c.failed == 0 => Ok(()),
        why => bail!("failed: {}", why.unwrap_or_default()),
    }
}

fn first_uid(response: &[u8]) -> Result<String> {
    wire::unique_identifiers(response)?
        .into_iter()
        .next()
        .context("no Unique Identifier in the response")
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: &str = "# HELP store_commits Commits\n\
        # TYPE store_commits counter\n\
        keywarden_store_commits_total 300\n\
        keywarden_store_commit_groups_total 20\n\
        keywarden_store_journal_syncs_total 18\n\
        keywarden_store_journal_sync_seconds_total 0.0036\n\
        keywarden_store_checkpoints_total 2\n\
        keywarden_store_checkpoint_seconds_total 0.25\n";

    #[test]
    fn store_counters_are_read_by_exact_name() {
        let c = parse_write_stats(METRICS).expect("parse");
        assert_eq!(c.commits, 300);
        assert_eq!(c.groups, 20);
        assert_eq!(c.checkpoint_seconds, 0.25);
        let missing =
            parse_write_stats("keywarden_store_commits_total 1\n").expect_err("incomplete");
        assert!(
            missing
                .to_string()
                .contains("keywarden_store_commit_groups_total"),
            "{missing}"
        );
    }

    #[test]
    fn create_store_is_the_growth_over_the_step() {
        let a = WriteStats::default();
        let b = parse_write_stats(METRICS).expect("parse");
        let c = create_store(&a, &b, Duration::from_secs(5)).expect("wrote");
        assert_eq!(c.mean_group_size, 15.0);
        assert!((c.journal_sync_ms - 0.2).abs() < 1e-9, "{c:?}");
        assert_eq!(c.checkpoints, 2.0);
        assert!((c.checkpoint_share - 0.05).abs() < 1e-9, "{c:?}");
        assert_eq!(create_store(&b, &b, Duration::from_secs(5)), None);
    }
}
