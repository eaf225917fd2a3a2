//! The echo baseline: a rustls server with kmsd's TLS configuration and request loop that
//! answers every framed request with a fixed response (a real kmsd response, captured by the
//! bench, so message sizes match), run as a separate process like kmsd.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use keywarden_kmip::ttlv::{HEADER_LEN, Limits, peek_message_length};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;

use crate::tls;

/// How long the TLS handshake may take, as kmsd's default.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Arguments of the `echo-server` subcommand.
#[derive(Clone, Debug, clap::Args)]
pub struct EchoArgs {
    /// Server certificate (PEM).
    #[arg(long)]
    pub cert: PathBuf,
    /// Server key (PEM).
    #[arg(long)]
    pub key: PathBuf,
    /// CA that client certificates must chain to (PEM).
    #[arg(long)]
    pub ca: PathBuf,
    /// Listen address; port 0 picks one, printed as `listening ADDR` on stdout.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// File holding the whole response message sent for every request.
    #[arg(long)]
    pub response: PathBuf,
}

/// Runs the echo server until stdin closes (the bench exited) or it is killed.
pub fn serve(args: EchoArgs) -> Result<()> {
    let config = tls::server_config(&args.cert, &args.key, &args.ca)?;
    let response = std::fs::read(&args.response)
        .with_context(|| format!("reading {}", args.response.display()))?;
    let head: [u8; HEADER_LEN] = response
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .context("response file shorter than a TTLV header")?;
    let total = peek_message_length(&head, &Limits::default()).context("response header")?;
    anyhow::ensure!(
        total == response.len(),
        "response file is not one whole message"
    );
    let response = Arc::new(response);

    // Parent death closes our stdin: leave then, so no echo server outlives the bench.
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });

    // The same runtime kmsd builds: multi-thread, one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("binding {}", args.addr))?;
        let local = listener.local_addr().context("local address")?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening {local}").context("stdout")?;
            out.flush().context("stdout")?;
        }
        let acceptor = TlsAcceptor::from(config);
        loop {
            let (tcp, _) = listener.accept().await.context("accept")?;
            tcp.set_nodelay(true).ok();
            let acceptor = acceptor.clone();
            let response = Arc::clone(&response);
            tokio::spawn(async move {
                if let Ok(Ok(mut stream)) = timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    let _ = echo_loop(&mut stream, &response).await;
                    let _ = stream.shutdown().await;
                }
            });
        }
    })
}

/// kmsd's request loop without the key service: header, length check, body, one response.
async fn echo_loop<S>(stream: &mut S, response: &[u8]) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let limits = Limits::default();
    let mut buf = Vec::new();
    loop {
        let mut header = [0u8; HEADER_LEN];
        match stream.read_exact(&mut header).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let total = peek_message_length(&header, &limits).map_err(std::io::Error::other)?;
        buf.clear();
        buf.extend_from_slice(&header);
        buf.resize(total, 0);
        stream.read_exact(&mut buf[HEADER_LEN..]).await?;
        stream.write_all(response).await?;
        stream.flush().await?;
    }
}

/// A running echo server process; killed on drop.
pub struct EchoProcess {
    child: Child,
    _stdin: ChildStdin,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl EchoProcess {
    /// Starts `<this executable> echo-server ...` and waits for its address.
    pub fn spawn(cert: &Path, key: &Path, ca: &Path, response: &Path) -> Result<EchoProcess> {
        let exe = std::env::current_exe().context("locating keywarden-bench")?;
        let mut child = Command::new(exe)
            .arg("echo-server")
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .arg("--ca")
            .arg(ca)
            .arg("--response")
            .arg(response)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the echo server")?;
        let stdin = child.stdin.take().context("echo server stdin")?;
        let stdout = child.stdout.take().context("echo server stdout")?;
        // The first line arrives once it listens; a dying child closes stdout, ending the read.
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .context("reading the echo server's address")?;
        let addr = match line.trim().strip_prefix("listening ") {
            Some(addr) => addr.parse().context("echo server address")?,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("echo server did not start (said {line:?})");
            }
        };
        Ok(EchoProcess {
            child,
            _stdin: stdin,
            addr,
        })
    }
}

impl EchoProcess {
    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for EchoProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
