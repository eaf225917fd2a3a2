//! The unix socket side: one task per client, PKCS#11 work on blocking threads.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use hsm_proto::{
    BridgeError, PROTOCOL_VERSION, ProtoError, Request, Response, read_message, write_message,
};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{Notify, Semaphore};
use tracing::{debug, info, warn};

use crate::error::StartError;
use crate::token::Token;

/// Time a client has to send its Hello after connecting.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// PKCS#11 operations running at once; bounds the number of open sessions.
const MAX_PARALLEL_OPS: usize = 16;

/// The bound socket; removes its file on drop if it is still ours.
pub struct Socket {
    path: PathBuf,
    ino: u64,
    dev: u64,
    listener: UnixListener,
}

impl Socket {
    /// Removes a stale socket file, binds, and sets mode 0660.
    pub fn bind(path: &Path) -> Result<Socket, StartError> {
        let err = |detail: String| StartError::Socket {
            path: path.to_owned(),
            detail,
        };
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => {
                if std::os::unix::net::UnixStream::connect(path).is_ok() {
                    return Err(err("another process is listening on it".to_owned()));
                }
                std::fs::remove_file(path)
                    .map_err(|e| err(format!("cannot remove stale socket: {e}")))?;
                info!(path = %path.display(), "removed stale socket");
            }
            Ok(_) => {
                return Err(err(
                    "exists and is not a socket; refusing to remove it".to_owned()
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(format!("cannot inspect: {e}"))),
        }
        let std_listener = std::os::unix::net::UnixListener::bind(path)
            .map_err(|e| err(format!("bind failed: {e}")))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
            .map_err(|e| err(format!("cannot set mode 0660: {e}")))?;
        let meta = std::fs::symlink_metadata(path)
            .map_err(|e| err(format!("cannot inspect after bind: {e}")))?;
        std_listener
            .set_nonblocking(true)
            .map_err(|e| err(format!("cannot set non-blocking: {e}")))?;
        let listener = UnixListener::from_std(std_listener)
            .map_err(|e| err(format!("cannot register: {e}")))?;
        Ok(Socket {
            path: path.to_owned(),
            ino: meta.ino(),
            dev: meta.dev(),
            listener,
        })
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Only remove the file we bound, not one a newer bridge put in its place.
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && meta.ino() == self.ino
            && meta.dev() == self.dev
            && let Err(e) = std::fs::remove_file(&self.path)
        {
            warn!(path = %self.path.display(), error = %e, "cannot remove socket");
        }
    }
}

/// Accepts clients until the task is dropped; `fatal` is notified when the token is lost.
pub async fn serve(socket: &Socket, token: Arc<Token>, fatal: Arc<Notify>) {
    let limit = Arc::new(Semaphore::new(MAX_PARALLEL_OPS));
    loop {
        match socket.listener.accept().await {
            Ok((stream, _)) => {
                let token = Arc::clone(&token);
                let fatal = Arc::clone(&fatal);
                let limit = Arc::clone(&limit);
                tokio::spawn(async move {
                    if let Err(e) = handle_client(stream, token, fatal, limit).await {
                        debug!(error = %e, "client connection ended with an error");
                    }
                });
            }
            Err(e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

async fn handle_client(
    mut stream: UnixStream,
    token: Arc<Token>,
    fatal: Arc<Notify>,
    limit: Arc<Semaphore>,
) -> Result<(), ProtoError> {
    let hello = tokio::time::timeout(HELLO_TIMEOUT, read_message::<_, Request>(&mut stream)).await;
    match hello {
        Ok(Ok(Some(Request::Hello { version }))) if version == PROTOCOL_VERSION => {
            let description = token.description();
            write_message(
                &mut stream,
                &Response::Hello {
                    version: PROTOCOL_VERSION,
                    token: description,
                },
            )
            .await?;
        }
        Ok(Ok(Some(Request::Hello { version }))) => {
            let msg = format!(
                "protocol version {version} not supported, this bridge speaks {PROTOCOL_VERSION}"
            );
            return refuse(&mut stream, msg).await;
        }
        Ok(Ok(Some(other))) => {
            return refuse(
                &mut stream,
                format!("first request must be Hello, got {other:?}"),
            )
            .await;
        }
        Ok(Ok(None)) => return Ok(()),
        Ok(Err(e)) => return refuse(&mut stream, format!("bad first frame: {e}")).await,
        Err(_) => return refuse(&mut stream, "no Hello within the time limit".to_owned()).await,
    }
    loop {
        let request = match read_message::<_, Request>(&mut stream).await {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(()),
            // After a bad frame the stream cannot be resynchronised: answer once and close.
            Err(ProtoError::Io(e)) => return Err(ProtoError::Io(e)),
            Err(e) => return refuse(&mut stream, e.to_string()).await,
        };
        debug!(?request, "request");
        let response = {
            let _permit = limit
                .acquire()
                .await
                .map_err(|e| ProtoError::Io(std::io::Error::other(e)))?;
            let token = Arc::clone(&token);
            tokio::task::spawn_blocking(move || dispatch(&token, request))
                .await
                .unwrap_or_else(|e| {
                    Response::Error(BridgeError::Pkcs11(format!("worker failed: {e}")))
                })
        };
        let written = write_message(&mut stream, &response).await;
        if token.is_fatal() {
            fatal.notify_one();
        }
        written?;
    }
}

async fn refuse(stream: &mut UnixStream, reason: String) -> Result<(), ProtoError> {
    warn!(%reason, "refusing client");
    write_message(stream, &Response::Error(BridgeError::BadRequest(reason))).await
}

fn dispatch(token: &Token, request: Request) -> Response {
    let result = match request {
        Request::Hello { .. } => Err(BridgeError::BadRequest("Hello sent twice".to_owned())),
        Request::Health => token.health().map(Response::Health),
        Request::WrapKek { domain, kek } => token
            .wrap_kek(&domain, &kek)
            .map(|blob| Response::Wrapped { blob }),
        Request::UnwrapKek { domain, blob } => token
            .unwrap_kek(&domain, &blob)
            .map(|kek| Response::Unwrapped { kek }),
        Request::Random { len } => token.random(len).map(|bytes| Response::Random { bytes }),
    };
    result.unwrap_or_else(Response::Error)
}
