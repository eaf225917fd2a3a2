//! TLS clients for a `DevNode`: raw KMIP over mTLS, and a minimal HTTPS GET.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::kmip::{self, Response, Sealed};
use keywarden_test_kit::{DevNode, Identity};

/// Default bound on one request/response exchange.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Bound on a node becoming ready (HSM reachable, KEK unwrapped) after start or restart.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest response the client accepts; far above anything a test expects.
const MAX_RESPONSE: usize = 16 * 1024 * 1024;

/// A client certificate and key, DER.
pub struct ClientIdentity {
    /// Certificate chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Private key.
    pub key: PrivateKeyDer<'static>,
}

impl ClientIdentity {
    /// Loads PEM files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<ClientIdentity> {
        Ok(ClientIdentity {
            chain: load_certs(cert)?,
            key: load_key(key)?,
        })
    }
}

/// The certificates of a PEM file; at least one.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading certificates {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in {}", path.display());
    Ok(certs)
}

/// The private key of a PEM file.
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path).with_context(|| format!("reading key {}", path.display()))
}

/// A root store holding the certificates of the PEM file `ca`.
pub fn load_roots(ca: &Path) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(ca)? {
        roots
            .add(cert)
            .with_context(|| format!("adding CA {}", ca.display()))?;
    }
    Ok(roots)
}

/// Builds a rustls client config trusting `ca` and presenting `identity` if given.
///
/// aws-lc-rs' default provider: with the workspace's rustls feature `prefer-post-quantum` it
/// offers X25519MLKEM768 first, as kmsd prefers.
pub fn client_config(ca: &Path, identity: Option<ClientIdentity>) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(load_roots(ca)?);
    let config = match identity {
        Some(id) => builder
            .with_client_auth_cert(id.chain, id.key)
            .context("client certificate")?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// [`client_config`] presenting the certificate and key of these PEM files.
pub fn mtls_client_config(ca: &Path, cert: &Path, key: &Path) -> Result<Arc<ClientConfig>> {
    client_config(ca, Some(ClientIdentity::from_pem_files(cert, key)?))
}

/// Opens a TLS connection to `addr` (server name "localhost").
pub async fn connect_tls(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
) -> Result<TlsStream<TcpStream>> {
    connect_tls_within(addr, config, IO_TIMEOUT).await
}

/// [`connect_tls`] with its own bound on the TCP connect and on the handshake.
pub async fn connect_tls_within(
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    limit: Duration,
) -> Result<TlsStream<TcpStream>> {
    let tcp = timeout(limit, TcpStream::connect(addr))
        .await
        .with_context(|| format!("connecting to {addr} timed out"))?
        .with_context(|| format!("connecting to {addr}"))?;
    // Without it every small request waits for the previous segment's ACK.
    tcp.set_nodelay(true).context("TCP_NODELAY")?;
    let name = ServerName::try_from("localhost").context("server name")?;
    let tls = timeout(limit, TlsConnector::from(config).connect(name, tcp))
        .await
        .with_context(|| format!("TLS handshake with {addr} timed out"))?
        .with_context(|| format!("TLS handshake with {addr}"))?;
    Ok(tls)
}

/// One mTLS KMIP connection.
pub struct KmipClient {
    stream: TlsStream<TcpStream>,
}

/// What a read of one message produced.
#[derive(Debug)]
pub enum ReadOutcome {
    /// A whole TTLV message (header included).
    Message(Vec<u8>),
    /// The server closed the connection (EOF, reset, or TLS close) before a whole message.
    Closed(String),
    /// Nothing complete arrived within the timeout.
    TimedOut,
}

impl KmipClient {
    /// Connects to the node's KMIP port as `who`.
    pub async fn connect(node: &DevNode, who: Identity) -> Result<KmipClient> {
        let (cert, key) = node.identity_files(who);
        let config = mtls_client_config(&node.ready().ca_cert, &cert, &key)?;
        KmipClient::connect_with(node.kmip_addr(), config).await
    }

    /// Connects with an explicit TLS config (e.g. a foreign client certificate).
    pub async fn connect_with(addr: SocketAddr, config: Arc<ClientConfig>) -> Result<KmipClient> {
        Ok(KmipClient {
            stream: connect_tls(addr, config).await?,
        })
    }

    /// Writes bytes and flushes, without reading.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.write_within(bytes, IO_TIMEOUT).await
    }

    /// [`KmipClient::write_raw`] bounded by `limit` instead of the default 30 s.
    pub async fn write_within(&mut self, bytes: &[u8], limit: Duration) -> Result<()> {
        timeout(limit, async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        })
        .await
        .context("write timed out")?
        .context("write")
    }

    /// Reads one whole TTLV message by its 8-byte header, within `limit`.
    pub async fn read_message(&mut self, limit: Duration) -> ReadOutcome {
        let read = async {
            let mut head = [0u8; 8];
            self.stream.read_exact(&mut head).await?;
            let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
            if len > MAX_RESPONSE {
                return Err(std::io::Error::other(format!(
                    "server announced a {len}-byte response"
                )));
            }
            let mut msg = head.to_vec();
            msg.resize(8 + len, 0);
            self.stream.read_exact(&mut msg[8..]).await?;
            Ok(msg)
        };
        match timeout(limit, read).await {
            Err(_) => ReadOutcome::TimedOut,
            Ok(Ok(msg)) => ReadOutcome::Message(msg),
            Ok(Err(e)) => ReadOutcome::Closed(e.to_string()),
        }
    }

    /// Sends bytes and reads one whole response message.
    pub async fn send_raw(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
        self.send_within(bytes, IO_TIMEOUT).await
    }

    /// [`KmipClient::send_raw`] with the write and the read each bounded by `limit`.
    pub async fn send_within(&mut self, bytes: &[u8], limit: Duration) -> Result<Vec<u8>> {
        self.write_within(bytes, limit).await?;
        match self.read_message(limit).await {
            ReadOutcome::Message(m) => Ok(m),
            ReadOutcome::Closed(why) => bail!("connection closed before a response: {why}"),
            ReadOutcome::TimedOut => bail!("no response within {} s", limit.as_secs()),
        }
    }

    /// Sends a request and parses the response.
    pub async fn call(&mut self, request: &[u8]) -> Result<Response> {
        let bytes = self.send_raw(request).await?;
        Response::parse(&bytes)
    }

    /// Create AES-256; returns the Unique Identifier.
    pub async fn create_aes256(&mut self) -> Result<String> {
        let resp = self.call(&kmip::create_aes256()).await?;
        kmip::unique_identifier(resp.success().context("Create")?)
    }

    /// Activate.
    pub async fn activate(&mut self, uid: &str) -> Result<()> {
        let resp = self.call(&kmip::activate(uid)).await?;
        resp.success().context("Activate")?;
        Ok(())
    }

    /// Create + Activate an AES-256 key.
    pub async fn create_active_aes256(&mut self) -> Result<String> {
        let uid = self.create_aes256().await?;
        self.activate(&uid).await?;
        Ok(uid)
    }

    /// AES-GCM encrypt.
    pub async fn encrypt(&mut self, uid: &str, plaintext: &[u8]) -> Result<Sealed> {
        let resp = self.call(&kmip::encrypt_gcm(uid, plaintext)).await?;
        kmip::sealed(resp.success().context("Encrypt")?)
    }

    /// AES-GCM decrypt.
    pub async fn decrypt(&mut self, uid: &str, sealed: &Sealed) -> Result<Vec<u8>> {
        let resp = self.call(&kmip::decrypt_gcm(uid, sealed)).await?;
        kmip::data(resp.success().context("Decrypt")?)
    }

    /// Get; returns the response payload's Unique Identifier.
    pub async fn get(&mut self, uid: &str) -> Result<String> {
        let resp = self.call(&kmip::get(uid)).await?;
        kmip::unique_identifier(resp.success().context("Get")?)
    }
}

/// A minimal HTTPS GET as the admin (HTTP/1.1, Connection: close); returns status and body.
pub async fn https_get(node: &DevNode, path: &str) -> Result<(u16, String)> {
    https_request(node, Some(Identity::Admin), "GET", path).await
}

/// A minimal HTTPS request without a body as `who` (no client certificate for `None`);
/// returns status and body.
pub async fn https_request(
    node: &DevNode,
    who: Option<Identity>,
    method: &str,
    path: &str,
) -> Result<(u16, String)> {
    match who {
        Some(who) => {
            let (cert, key) = node.identity_files(who);
            https_request_as(node, Some((&cert, &key)), method, path).await
        }
        None => https_request_as(node, None, method, path).await,
    }
}

/// [`https_request`] with the client certificate and key files given (none for `None`).
pub async fn https_request_as(
    node: &DevNode,
    cert_and_key: Option<(&Path, &Path)>,
    method: &str,
    path: &str,
) -> Result<(u16, String)> {
    let config = match cert_and_key {
        Some((cert, key)) => mtls_client_config(&node.ready().ca_cert, cert, key)?,
        None => client_config(&node.ready().ca_cert, None)?,
    };
    let mut stream = connect_tls(node.https_addr(), config).await?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let mut raw = Vec::new();
    timeout(IO_TIMEOUT, async {
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await?;
        // A server may end with a TLS close_notify or just a TCP close; both end the body.
        match stream.read_to_end(&mut raw).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => Ok(()),
            Err(e) => Err(e),
        }
    })
    .await
    .with_context(|| format!("HTTPS {method} {path} timed out"))?
    .with_context(|| format!("{method} {path}"))?;
    parse_http_response(&raw)
}

/// Polls /readyz until it answers 200 (ready.json means "serving", not yet "ready": the
/// domain KEK may still be waiting for hsm-bridge). Fails with the last answer after `limit`.
pub async fn wait_until_ready(node: &DevNode, limit: Duration) -> Result<()> {
    let deadline = tokio::time::Instant::now() + limit;
    let mut last = String::new();
    while tokio::time::Instant::now() < deadline {
        match https_get(node, "/readyz").await {
            Ok((200, _)) => return Ok(()),
            Ok((status, body)) => last = format!("{status} {body}"),
            Err(e) => last = format!("{e:#}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "/readyz not 200 within {} s; last answer: {last}; kmsd stderr:\n{}",
        limit.as_secs(),
        node.stderr_tail()
    )
}

fn parse_http_response(raw: &[u8]) -> Result<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("HTTP response without header end")?;
    let status_line = head.lines().next().context("empty HTTP response")?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    // Bounded by the body length: every round consumes at least one line.
    while let Some((size_line, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_loading_names_the_file_and_refuses_an_empty_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").expect("write");
        let err = load_certs(&empty).expect_err("no certificate");
        assert!(format!("{err:#}").contains("empty.pem"), "{err:#}");
        assert!(load_roots(&empty).is_err());
        assert!(load_key(&empty).is_err());
        assert!(load_certs(&dir.path().join("missing.pem")).is_err());

        let pki = keywarden_test_kit::DevPki::at(dir.path());
        pki.ensure().expect("dev PKI");
        let ca_path = pki.ca.cert.clone();
        assert_eq!(load_roots(&ca_path).expect("roots").len(), 1);
        mtls_client_config(&ca_path, &pki.admin.cert, &pki.admin.key).expect("client config");
    }

    #[test]
    fn parses_plain_and_chunked_http() {
        let plain =
            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 12\r\n\r\n{\"hsm\":\"x\"}\n";
        assert_eq!(
            parse_http_response(plain).expect("parses"),
            (503, "{\"hsm\":\"x\"}\n".to_string())
        );
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(
            parse_http_response(chunked).expect("parses"),
            (200, "abcde".to_string())
        );
        assert!(parse_http_response(b"nonsense").is_err());
    }
}
