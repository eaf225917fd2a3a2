//! The unix socket side: one task per client, PKCS#11 work on blocking threads.
//!
//! Who may talk to the bridge is decided three times: the socket's mode (0660), the peer's uid
//! (SO_PEERCRED: our own uid, root, or one given with `--allow-uid`), and a cap on concurrent
//! clients. A client that stays silent past the idle timeout is disconnected.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hsm_proto::{
    BridgeError, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, ProtoError, Request, Response,
    read_message, write_message,
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
/// At most one warning per interval about refused connections, so a flood cannot flood the log.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Limits on the clients of one bridge.
#[derive(Clone, Debug)]
pub struct ClientPolicy {
    /// Most clients connected at once; more are closed at accept.
    pub max_clients: usize,
    /// How long a client may stay silent between requests (after its Hello).
    pub idle_timeout: Duration,
    /// The bridge's own uid; its peers and root are always allowed.
    pub own_uid: u32,
    /// Further peer uids allowed to connect.
    pub allowed_uids: Vec<u32>,
}

impl ClientPolicy {
    /// Whether a peer running as `uid` may use the bridge.
    pub fn allows(&self, uid: u32) -> bool {
        uid == 0 || uid == self.own_uid || self.allowed_uids.contains(&uid)
    }
}

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
pub async fn serve(socket: &Socket, token: Arc<Token>, fatal: Arc<Notify>, policy: ClientPolicy) {
    let limit = Arc::new(Semaphore::new(MAX_PARALLEL_OPS));
    let clients = Arc::new(Semaphore::new(policy.max_clients));
    let mut refusals = RefusalLog::default();
    loop {
        match socket.listener.accept().await {
            Ok((stream, _)) => {
                match stream.peer_cred() {
                    Ok(cred) if policy.allows(cred.uid()) => {}
                    Ok(cred) => {
                        refusals.warn(&format!(
                            "peer uid {} is neither ours ({}), root nor given with --allow-uid; closing",
                            cred.uid(),
                            policy.own_uid
                        ));
                        continue;
                    }
                    Err(e) => {
                        refusals.warn(&format!(
                            "cannot read the peer's credentials ({e}); closing"
                        ));
                        continue;
                    }
                }
                let Ok(slot) = Arc::clone(&clients).try_acquire_owned() else {
                    refusals.warn(&format!(
                        "{} clients connected, the maximum; closing the new one",
                        policy.max_clients
                    ));
                    continue;
                };
                let token = Arc::clone(&token);
                let fatal = Arc::clone(&fatal);
                let limit = Arc::clone(&limit);
                let idle = policy.idle_timeout;
                tokio::spawn(async move {
                    if let Err(e) = handle_client(stream, token, fatal, limit, idle).await {
                        debug!(error = %e, "client connection ended with an error");
                    }
                    drop(slot);
                });
            }
            Err(e) => {
                warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Rate-limited warnings about refused connections.
#[derive(Debug, Default)]
struct RefusalLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl RefusalLog {
    fn warn(&mut self, reason: &str) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < REFUSAL_LOG_INTERVAL)
        {
            self.suppressed += 1;
            return;
        }
        warn!(%reason, suppressed_since_last = self.suppressed, "refusing connection");
        self.last = Some(now);
        self.suppressed = 0;
    }
}

async fn handle_client(
    mut stream: UnixStream,
    token: Arc<Token>,
    fatal: Arc<Notify>,
    limit: Arc<Semaphore>,
    idle: Duration,
) -> Result<(), ProtoError> {
    let hello = tokio::time::timeout(HELLO_TIMEOUT, read_message::<_, Request>(&mut stream)).await;
    match hello {
        Ok(Ok(Some(Request::Hello { version })))
            if (MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&version) =>
        {
            let description = token.description();
            // The client's own version: every request it knows is served here.
            write_message(
                &mut stream,
                &Response::Hello {
                    version,
                    token: description,
                },
            )
            .await?;
        }
        Ok(Ok(Some(Request::Hello { version }))) => {
            let msg = format!(
                "protocol version {version} not supported, this bridge speaks \
                 {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}"
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
        let Ok(read) = tokio::time::timeout(idle, read_message::<_, Request>(&mut stream)).await
        else {
            debug!(?idle, "client idle too long, closing");
            return Ok(());
        };
        let request = match read {
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
        Request::CreateEpochKey { node, epoch } => token
            .create_epoch_key(node, epoch)
            .map(|()| Response::EpochKeyCreated),
        Request::WrapEpochDataKey { node, epoch, key } => token
            .wrap_epoch_data_key(node, epoch, &key)
            .map(|blob| Response::Wrapped { blob }),
        Request::UnwrapEpochDataKey { node, epoch, blob } => token
            .unwrap_epoch_data_key(node, epoch, &blob)
            .map(|key| Response::DataKey { key }),
        Request::DestroyEpochKey { node, epoch } => token
            .destroy_epoch_key(node, epoch)
            .map(|existed| Response::EpochKeyDestroyed { existed }),
        Request::ListEpochKeys => token
            .list_epoch_keys()
            .map(|keys| Response::EpochKeys { keys }),
    };
    result.unwrap_or_else(Response::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(own_uid: u32, allowed_uids: Vec<u32>) -> ClientPolicy {
        ClientPolicy {
            max_clients: 1,
            idle_timeout: Duration::from_secs(1),
            own_uid,
            allowed_uids,
        }
    }

    #[test]
    fn own_uid_root_and_listed_uids_are_allowed_others_not() {
        let p = policy(1000, vec![1001]);
        assert!(p.allows(1000));
        assert!(p.allows(0));
        assert!(p.allows(1001));
        assert!(!p.allows(1002));
        assert!(!p.allows(65534));
        assert!(!policy(1000, Vec::new()).allows(1001));
    }

    #[tokio::test]
    async fn the_uid_checked_is_the_peer_process_uid() {
        let (a, _b) = UnixStream::pair().unwrap();
        let uid = a.peer_cred().unwrap().uid();
        assert_eq!(uid, nix::unistd::getuid().as_raw());
        assert!(policy(uid, Vec::new()).allows(uid));
    }
}
