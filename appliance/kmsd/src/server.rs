//! `serve`: from a [`ServerConfig`] to running listeners, and back to a clean stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing::{info, warn};

use crate::accept::{AcceptLoop, Shutdown};
use crate::admission::Admission;
use crate::budget::Budget;
use crate::config::{ReadyFile, ServerConfig};
use crate::error::Error;
use crate::https::{self, HttpsContext};
use crate::kmip::{self, KmipContext};
use crate::metrics::{ConnectionMetrics, Listener};
use crate::ready::ReadyAnnouncement;
use crate::service::KmipService;
use keywarden_tls::{ClientAuth, ClientTrust, ServerTls};

/// Prefix of every metric name.
const METRICS_PREFIX: &str = "keywarden";

/// Opens the key service and serves until `stop` resolves: the daemon's whole life.
pub async fn serve(config: ServerConfig, stop: impl Future<Output = ()>) -> Result<(), Error> {
    // Before the key service opens: a bad setting fails the start, not a background task.
    config.validate()?;
    let mut registry = Registry::with_prefix(METRICS_PREFIX);
    let kms = Arc::new(crate::kms::open(&config, &mut registry).await?);
    match Server::bind(config, Arc::clone(&kms), registry).await {
        Ok(server) => server.run(stop).await,
        Err(e) => {
            // The store is open: close it properly even though serving never started.
            kms.shutdown().await;
            Err(e)
        }
    }
}

/// Both listeners bound, the key service open, nothing accepted yet.
pub struct Server<S> {
    config: ServerConfig,
    service: Arc<S>,
    registry: Registry,
    trust: Arc<ClientTrust>,
    kmip_tls: Arc<rustls::ServerConfig>,
    https_tls: Arc<rustls::ServerConfig>,
    kmip: TcpListener,
    https: TcpListener,
}

impl<S: KmipService> Server<S> {
    /// Loads TLS material and binds both listeners; fails fast on any misconfiguration.
    pub async fn bind(
        config: ServerConfig,
        service: Arc<S>,
        registry: Registry,
    ) -> Result<Server<S>, Error> {
        let provider = keywarden_tls::provider()?;
        let trust = ClientTrust::load(
            Arc::clone(&provider),
            &config.tls.client_ca,
            config.tls.client_crls.clone(),
        )?;
        config.validate()?;
        let tls = ServerTls::load(
            provider,
            Arc::clone(&trust),
            &config.tls.server_cert,
            &config.tls.server_key,
        )?;
        let kmip_tls = tls.server_config(ClientAuth::Required, &[])?;
        let https_tls = tls.server_config(ClientAuth::Optional, &[b"http/1.1"])?;
        let bind = |listener: &'static str, addr: SocketAddr| async move {
            TcpListener::bind(addr).await.map_err(|source| Error::Bind {
                listener,
                addr,
                source,
            })
        };
        let kmip = bind("kmip", config.kmip_addr).await?;
        let https = bind("https", config.https_addr).await?;
        Ok(Server {
            config,
            service,
            registry,
            trust,
            kmip_tls,
            https_tls,
            kmip,
            https,
        })
    }

    /// The bound KMIP address (the real port when 0 was asked).
    pub fn kmip_addr(&self) -> Result<SocketAddr, Error> {
        local_addr(&self.kmip, "kmip", self.config.kmip_addr)
    }

    /// The bound HTTPS address.
    pub fn https_addr(&self) -> Result<SocketAddr, Error> {
        local_addr(&self.https, "https", self.config.https_addr)
    }

    /// Serves until `stop` resolves, then drains, shuts the key service down and removes the
    /// readiness file.
    pub async fn run(mut self, stop: impl Future<Output = ()>) -> Result<(), Error> {
        let kmip_addr = self.kmip_addr()?;
        let https_addr = self.https_addr()?;
        let metrics = ConnectionMetrics::register(&mut self.registry);
        let registry = Arc::new(self.registry);
        let config = self.config;
        let (trigger, shutdown) = Shutdown::new();

        let crl_watcher = (!config.tls.client_crls.is_empty())
            .then(|| self.trust.spawn_watcher(config.tls.crl_poll));
        let kmip_ctx = Arc::new(KmipContext {
            service: Arc::clone(&self.service),
            acceptor: TlsAcceptor::from(self.kmip_tls),
            trust: Arc::clone(&self.trust),
            identity: config.identity,
            limits: config.limits,
            budget: Budget::new(config.request_budget),
            timeouts: config.timeouts,
            metrics: metrics.listener(Listener::Kmip),
        });
        let https_ctx = Arc::new(HttpsContext {
            service: Arc::clone(&self.service),
            acceptor: TlsAcceptor::from(self.https_tls),
            trust: Arc::clone(&self.trust),
            identity: config.identity,
            registry,
            timeouts: config.timeouts,
            metrics: metrics.listener(Listener::Https),
        });
        let kmip_loop = AcceptLoop {
            name: Listener::Kmip,
            tcp: self.kmip,
            max_connections: config.max_connections,
            admission: Admission::new(config.admission),
            metrics: kmip_ctx.metrics.clone(),
            grace: config.timeouts.shutdown_grace,
        };
        let https_loop = AcceptLoop {
            name: Listener::Https,
            tcp: self.https,
            max_connections: config.max_connections,
            admission: Admission::new(config.admission),
            metrics: https_ctx.metrics.clone(),
            grace: config.timeouts.shutdown_grace,
        };
        let kmip_task = tokio::spawn(kmip_loop.run(
            shutdown.clone(),
            move |tcp, peer, shutdown, handshake| {
                kmip::connection(Arc::clone(&kmip_ctx), tcp, peer, shutdown, handshake)
            },
        ));
        let https_task = tokio::spawn(https_loop.run(
            shutdown,
            move |tcp, peer, shutdown, handshake| {
                https::connection(Arc::clone(&https_ctx), tcp, peer, shutdown, handshake)
            },
        ));

        tokio::pin!(stop);
        // The readiness file promises a node that can serve keys, so it waits for the key
        // service (HSM reachable, KEK unwrapped); the listeners already answer meanwhile,
        // and /readyz tells why the node is not ready yet.
        let mut stopped = false;
        let announced = match &config.ready_file {
            Some(ready) => tokio::select! {
                () = wait_until_ready(self.service.as_ref()) => {
                    announce(ready, kmip_addr, https_addr).map(Some)
                }
                () = &mut stop => {
                    stopped = true;
                    Ok(None)
                }
            },
            None => Ok(None),
        };
        if announced.is_ok() && !stopped {
            info!(kmip = %kmip_addr, https = %https_addr, "kmsd serving");
            stop.await;
            info!("stopping: no new connections, draining in-flight requests");
        }
        trigger.trigger();
        for (name, task) in [("kmip", kmip_task), ("https", https_task)] {
            if let Err(e) = task.await {
                warn!(listener = name, error = %e, "listener task failed");
            }
        }
        if let Some(watcher) = crl_watcher {
            watcher.abort();
        }
        self.service.shutdown().await;
        if let Some(path) = announced? {
            crate::ready::remove(&path);
        }
        info!("kmsd stopped");
        Ok(())
    }
}

/// Resolves once the key service reports ready, logging why it is not every few seconds.
async fn wait_until_ready<S: KmipService>(service: &S) {
    const POLL: Duration = Duration::from_millis(50);
    const REPORT_EVERY: u32 = 100;
    let mut polls = 0u32;
    loop {
        let readiness = service.readiness().await;
        if readiness.ready {
            return;
        }
        if polls.is_multiple_of(REPORT_EVERY) {
            warn!(reasons = ?readiness.reasons, "not ready yet; waiting before announcing");
        }
        polls = polls.wrapping_add(1);
        tokio::time::sleep(POLL).await;
    }
}

fn announce(
    ready: &ReadyFile,
    kmip: SocketAddr,
    https: SocketAddr,
) -> Result<std::path::PathBuf, Error> {
    let announcement = ReadyAnnouncement::new(kmip, https, &ready.dev);
    announcement.write(&ready.path)?;
    // The file is the contract; a closed stdout must not stop the daemon.
    if let Err(e) = announcement.print() {
        warn!(error = %e, "cannot print the readiness line");
    }
    Ok(ready.path.clone())
}

fn local_addr(
    listener: &TcpListener,
    name: &'static str,
    asked: SocketAddr,
) -> Result<SocketAddr, Error> {
    listener.local_addr().map_err(|source| Error::Bind {
        listener: name,
        addr: asked,
        source,
    })
}
