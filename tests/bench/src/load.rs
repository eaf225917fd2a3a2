//! The load generator: N persistent mTLS connections, each sending one request and waiting for
//! its response in a loop, with per-request latency in an HDR histogram.
//!
//! Requests are encoded once; per request a connection only patches the digits of a name (for
//! Locate). Every response is decoded and checked, in the baseline too, so the client does the
//! same work whatever it talks to. Runs are bounded: a warm-up, a measured window, and an
//! overall deadline after which a silent server fails the run instead of hanging it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use keywarden_kmip::ttlv::{HEADER_LEN, Limits, peek_message_length};
use keywarden_tests::client::connect_tls_within;
use rustls::ClientConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;

use crate::report::{OpStats, new_histogram};
use crate::wire::{self, Checked, Expect};

/// Bound on connecting, on one setup call, and on how long a run may outlast its window.
pub const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// One mTLS connection to a KMIP endpoint (kmsd or the echo server).
pub struct Conn {
    stream: TlsStream<TcpStream>,
    buf: Vec<u8>,
    limits: Limits,
}

impl Conn {
    /// Connects and completes the TLS handshake (server name "localhost").
    pub async fn connect(addr: SocketAddr, tls: Arc<ClientConfig>) -> Result<Conn> {
        Ok(Conn {
            stream: connect_tls_within(addr, tls, IO_TIMEOUT).await?,
            buf: Vec::with_capacity(4096),
            limits: wire::response_limits(),
        })
    }

    /// Sends one request and reads one whole response into the connection's buffer.
    pub async fn round_trip(&mut self, request: &[u8]) -> Result<&[u8]> {
        self.stream.write_all(request).await.context("write")?;
        self.stream.flush().await.context("flush")?;
        let mut head = [0u8; HEADER_LEN];
        self.stream
            .read_exact(&mut head)
            .await
            .context("reading a response header")?;
        let total = peek_message_length(&head, &self.limits).context("response header")?;
        self.buf.clear();
        self.buf.extend_from_slice(&head);
        self.buf.resize(total, 0);
        self.stream
            .read_exact(&mut self.buf[HEADER_LEN..])
            .await
            .context("reading a response body")?;
        Ok(&self.buf)
    }

    /// A bounded round trip for setup calls; returns a copy of the response.
    pub async fn call(&mut self, request: &[u8]) -> Result<Vec<u8>> {
        timeout(IO_TIMEOUT, self.round_trip(request))
            .await
            .context("no response in time")?
            .map(<[u8]>::to_vec)
    }

    /// The decode limits for responses.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// What each request of a run is.
#[derive(Clone, Debug)]
pub enum Source {
    /// The same bytes every time.
    Fixed(Arc<Vec<u8>>),
    /// A Locate by name whose name digits are patched to a pseudo-random key below `keys`.
    LocateByName {
        /// The encoded request.
        template: Vec<u8>,
        /// Offset of the name digits.
        offset: usize,
        /// Names `0..keys` exist.
        keys: u64,
    },
}

/// One measured run.
#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Label for messages.
    pub label: String,
    /// Endpoint.
    pub addr: SocketAddr,
    /// Client TLS configuration.
    pub tls: Arc<ClientConfig>,
    /// Persistent connections.
    pub connections: usize,
    /// Unmeasured time after all connections are up.
    pub warmup: Duration,
    /// Measured window.
    pub window: Duration,
    /// The requests.
    pub source: Source,
    /// What a response must contain.
    pub expect: Expect,
    /// The server process, to account its CPU time over the window.
    pub server_pid: Option<u32>,
}

/// What one connection counted inside the window.
struct ConnStats {
    ok: u64,
    failed: u64,
    first_failure: Option<String>,
    hist: Histogram<u64>,
    response_len: usize,
}

/// A cheap per-connection pseudo-random sequence (xorshift64*), seeded per connection.
struct XorShift(u64);

impl XorShift {
    fn next_below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

/// Runs `spec`: connects every connection first, then loads for warm-up + window.
pub async fn run(spec: LoadSpec) -> Result<OpStats> {
    anyhow::ensure!(spec.connections > 0, "{}: no connections", spec.label);
    let mut connecting = JoinSet::new();
    for _ in 0..spec.connections {
        connecting.spawn(Conn::connect(spec.addr, Arc::clone(&spec.tls)));
    }
    let mut conns = Vec::with_capacity(spec.connections);
    while let Some(joined) = connecting.join_next().await {
        conns.push(joined.context("connect task")??);
    }
    let start = Instant::now() + spec.warmup;
    let end = start + spec.window;
    let mut tasks = JoinSet::new();
    for (n, conn) in conns.into_iter().enumerate() {
        let source = spec.source.clone();
        let expect = spec.expect;
        tasks.spawn(drive(conn, source, expect, start, end, n as u64));
    }
    // CPU time of this process and of the server over exactly the window: the tasks run
    // while this future sleeps.
    tokio::time::sleep_until(start.into()).await;
    let cpu_start = (
        cpu_ticks(None),
        spec.server_pid.and_then(|p| cpu_ticks(Some(p))),
    );
    tokio::time::sleep_until(end.into()).await;
    let cpu_end = (
        cpu_ticks(None),
        spec.server_pid.and_then(|p| cpu_ticks(Some(p))),
    );
    let deadline = end + IO_TIMEOUT;
    let mut total = new_histogram();
    let (mut ok, mut failed, mut first_failure, mut response_len) = (0, 0, None, 0);
    let mut errors = Vec::new();
    loop {
        let joined = match tokio::time::timeout_at(deadline.into(), tasks.join_next()).await {
            Ok(Some(joined)) => joined,
            Ok(None) => break,
            Err(_) => bail!(
                "{}: connections still busy {} s after the window ended (server stuck?)",
                spec.label,
                IO_TIMEOUT.as_secs()
            ),
        };
        match joined.context("load task")? {
            Ok(stats) => {
                ok += stats.ok;
                failed += stats.failed;
                if first_failure.is_none() {
                    first_failure = stats.first_failure;
                }
                response_len = response_len.max(stats.response_len);
                total.add(&stats.hist).context("merging histograms")?;
            }
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if let Some(first) = errors.first() {
        bail!(
            "{}: {} of {} connections failed; first: {first}",
            spec.label,
            errors.len(),
            spec.connections
        );
    }
    let request_len = match &spec.source {
        Source::Fixed(bytes) => bytes.len(),
        Source::LocateByName { template, .. } => template.len(),
    };
    let mut stats = OpStats::from_histogram(
        &total,
        ok,
        failed,
        first_failure,
        spec.window,
        spec.connections,
        request_len,
        response_len,
    );
    let per_op = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if ok > 0 => Some(b.saturating_sub(a) as f64 * TICK_US / ok as f64),
        _ => None,
    };
    stats.client_cpu_us_per_op = per_op(cpu_start.0, cpu_end.0);
    stats.server_cpu_us_per_op = per_op(cpu_start.1, cpu_end.1);
    Ok(stats)
}

/// Microseconds per clock tick of /proc/PID/stat (USER_HZ is 100 on Linux).
const TICK_US: f64 = 10_000.0;

/// User + system CPU ticks of a process (all threads; `None` = this one), from /proc.
pub fn cpu_ticks(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    parse_cpu_ticks(&std::fs::read_to_string(path).ok()?)
}

fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // Fields after "(comm)": state is field 3, utime 14, stime 15 (1-based).
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// VmRSS of `pid` in MiB, from /proc/PID/status.
pub fn rss_mib(pid: u32) -> Result<f64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_vm_rss_kib(&status)
        .map(|kib| kib as f64 / 1024.0)
        .with_context(|| format!("no VmRSS in {path}"))
}

fn parse_vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// One connection's loop.
async fn drive(
    mut conn: Conn,
    source: Source,
    expect: Expect,
    start: Instant,
    end: Instant,
    seed: u64,
) -> Result<ConnStats> {
    let mut stats = ConnStats {
        ok: 0,
        failed: 0,
        first_failure: None,
        hist: new_histogram(),
        response_len: 0,
    };
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15 ^ (seed.wrapping_add(1) << 17));
    let (mut request, patch) = match source {
        Source::Fixed(bytes) => (bytes.as_ref().clone(), None),
        Source::LocateByName {
            template,
            offset,
            keys,
        } => (template, Some((offset, keys))),
    };
    loop {
        let t0 = Instant::now();
        if t0 >= end {
            return Ok(stats);
        }
        if let Some((offset, keys)) = patch {
            wire::patch_name(&mut request, offset, rng.next_below(keys));
        }
        let limits = *conn.limits();
        let response = conn.round_trip(&request).await?;
        let elapsed = t0.elapsed();
        let checked: Checked = wire::check(response, &limits, expect)?;
        if t0 >= start {
            stats.response_len = response.len();
            stats.ok += checked.ok;
            stats.failed += checked.failed;
            if stats.first_failure.is_none() {
                stats.first_failure = checked.first_failure;
            }
            stats
                .hist
                .record(
                    u64::try_from(elapsed.as_micros())
                        .unwrap_or(u64::MAX)
                        .max(1),
                )
                .context("recording a latency")?;
        }
    }
}

/// Outcome of seeding named keys.
#[derive(Clone, Debug, Default)]
pub struct Seeded {
    /// Keys created.
    pub ok: u64,
    /// Create items that failed.
    pub failed: u64,
    /// Why the first one failed.
    pub first_failure: Option<String>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Creates the named keys `0..keys` in batches of `batch` Creates per message over
/// `connections` connections, printing progress every few seconds.
pub async fn seed(
    addr: SocketAddr,
    tls: Arc<ClientConfig>,
    connections: usize,
    keys: u64,
    batch: u64,
) -> Result<Seeded> {
    let began = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..connections.max(1) {
        let mut conn = Conn::connect(addr, Arc::clone(&tls)).await?;
        let next = Arc::clone(&next);
        let done = Arc::clone(&done);
        tasks.spawn(async move {
            let mut seeded = Seeded::default();
            // Bounded: every round claims `batch` more names until all `keys` are claimed.
            loop {
                let first = next.fetch_add(batch, Ordering::Relaxed);
                if first >= keys {
                    return Ok::<_, anyhow::Error>(seeded);
                }
                let count = batch.min(keys - first);
                let request = wire::create_named_batch(first, count);
                let limits = *conn.limits();
                let response = timeout(IO_TIMEOUT, conn.round_trip(&request))
                    .await
                    .context("seeding: no response in time")??;
                let checked = wire::check(response, &limits, Expect::Success)?;
                seeded.ok += checked.ok;
                seeded.failed += checked.failed;
                if seeded.first_failure.is_none() {
                    seeded.first_failure = checked.first_failure;
                }
                done.fetch_add(count, Ordering::Relaxed);
            }
        });
    }
    let mut total = Seeded::default();
    let mut last_print = Instant::now();
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(joined) => {
                    let s = joined.context("seed task")??;
                    total.ok += s.ok;
                    total.failed += s.failed;
                    if total.first_failure.is_none() {
                        total.first_failure = s.first_failure;
                    }
                }
            },
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        if last_print.elapsed() >= Duration::from_secs(5) {
            last_print = Instant::now();
            let n = done.load(Ordering::Relaxed);
            let secs = began.elapsed().as_secs_f64();
            eprintln!(
                "  seeding: {n}/{keys} keys, {:.0} keys/s, {secs:.0} s",
                n as f64 / secs.max(1e-9)
            );
        }
    }
    total.elapsed = began.elapsed();
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_random_names_stay_below_the_key_count_and_vary() {
        let mut rng = XorShift(12345);
        let draws: Vec<u64> = (0..1000).map(|_| rng.next_below(20_000)).collect();
        assert!(draws.iter().all(|&d| d < 20_000));
        let distinct: std::collections::HashSet<_> = draws.iter().collect();
        assert!(distinct.len() > 900, "{} distinct", distinct.len());
        assert_eq!(XorShift(1).next_below(0), 0);
    }

    #[test]
    fn reads_cpu_ticks_from_proc_stat() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 10 0 0 0 7 5 0 0 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat), Some(12));
        assert_eq!(parse_cpu_ticks("42 (x) S 1"), None);
        assert!(cpu_ticks(None).is_some());
    }

    #[test]
    fn reads_vm_rss() {
        assert_eq!(
            parse_vm_rss_kib("Name:\tkmsd\nVmRSS:\t   20480 kB\nThreads: 3\n"),
            Some(20480)
        );
        assert_eq!(parse_vm_rss_kib("Name: x\n"), None);
        assert!(rss_mib(std::process::id()).unwrap() > 0.0);
    }
}
