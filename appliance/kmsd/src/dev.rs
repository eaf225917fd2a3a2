//! Dev mode: provisions a SoftHSM token, a dev PKI and a data directory under one directory,
//! and turns them into a [`ServerConfig`].
//!
//! Idempotent: the first run creates, later runs reuse. A half-finished earlier run is
//! completed when nothing precious can be lost, and refused with a clear error otherwise.
//! Nothing here writes global state: SoftHSM is driven through `SOFTHSM2_CONF`.

use std::ffi::OsString;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use keywarden_dev_pki::{DevPki, PkiOutcome};
use keywarden_kmip::ttlv::Limits;
use nix::fcntl::{Flock, FlockArg};
use tracing::info;
use zeroize::Zeroizing;

use crate::config::{
    AdmissionLimits, DevDetails, ReadyFile, RequestBudget, ServerConfig, Timeouts, TlsFiles,
};
use crate::error::Error;
use crate::fsutil::{KEY_MODE, PUBLIC_MODE, create_dir, write_atomic};
use crate::supervisor::ChildSpec;

/// Label of the dev token.
pub const TOKEN_LABEL: &str = "keywarden-dev";
/// How often dev mode checks its CRL file for a change, unless `--crl-poll` says otherwise.
pub const DEV_CRL_POLL: Duration = Duration::from_secs(1);
/// Environment variable SoftHSM reads its configuration path from.
const SOFTHSM2_CONF: &str = "SOFTHSM2_CONF";
/// Length of generated PINs.
const PIN_LEN: usize = 24;
/// Mode of directories holding secrets.
const PRIVATE_DIR: u32 = 0o700;

/// What the `dev` command needs beyond the directory.
#[derive(Clone, Debug)]
pub struct DevOptions {
    /// KMIP listener address.
    pub kmip: SocketAddr,
    /// HTTPS listener address.
    pub https: SocketAddr,
    /// The hsm-bridge executable.
    pub hsm_bridge: PathBuf,
    /// The PKCS#11 module the bridge loads.
    pub pkcs11_module: PathBuf,
    /// Idle timeout of client connections.
    pub idle_timeout: Duration,
    /// Read timeout of a request body once its header arrived.
    pub read_timeout: Duration,
    /// Connection limit per listener.
    pub max_connections: usize,
    /// What to do while the HSM does not answer.
    pub hsm_loss: keywarden_kms::HsmLossPolicy,
    /// Interval of the erase schedule.
    pub erase_interval: Duration,
    /// How often the CRL file is checked for a change.
    pub crl_poll: Duration,
    /// Which part of a client certificate is the caller identity.
    pub identity: keywarden_tls::IdentitySource,
    /// Limits on connections still in their TLS handshake.
    pub admission: AdmissionLimits,
    /// Request bytes in memory at once.
    pub request_budget: RequestBudget,
}

/// The `kmsd dev` flag of each setting a check between settings can refuse, so the error names
/// what the person typed rather than the configuration field.
const FLAGS: [(&str, &str); 4] = [
    ("admission", "--max-handshakes"),
    ("admission.handshakes", "--max-handshakes"),
    ("admission.handshakes_per_peer", "--max-handshakes-per-ip"),
    ("request_budget.bytes", "--request-budget"),
];

impl DevOptions {
    /// The checks [`crate::server::serve`] makes of these settings, made before anything is
    /// provisioned; the error names the flag.
    pub fn validate(&self) -> Result<(), Error> {
        let as_flag = |e: Error| match e {
            Error::Config { field, reason } => match FLAGS.iter().find(|(f, _)| *f == field) {
                Some((_, flag)) => Error::Flag { flag, reason },
                None => Error::Config { field, reason },
            },
            other => other,
        };
        self.admission
            .validate(self.max_connections)
            .map_err(as_flag)?;
        self.request_budget
            .validate(&Limits::default())
            .map_err(as_flag)
    }
}

/// Every path of a dev directory.
#[derive(Clone, Debug)]
pub struct DevLayout {
    /// The directory itself (absolute).
    pub dir: PathBuf,
    /// SoftHSM state.
    pub hsm_dir: PathBuf,
    /// SoftHSM configuration.
    pub softhsm2_conf: PathBuf,
    /// SoftHSM token directory.
    pub token_dir: PathBuf,
    /// User PIN of the token (0600).
    pub pin_file: PathBuf,
    /// Written after the token was initialised; its absence means the init did not finish.
    pub token_marker: PathBuf,
    /// The dev PKI.
    pub pki: DevPki,
    /// Database directory.
    pub data_dir: PathBuf,
    /// Runtime files.
    pub run_dir: PathBuf,
    /// The hsm-bridge socket.
    pub hsm_socket: PathBuf,
    /// The readiness file.
    pub ready_file: PathBuf,
    /// The authorization file: admin.crt is admin, user.crt a crypto-user.
    pub authz_file: PathBuf,
    /// Lock file held while a kmsd uses the directory.
    pub lock_file: PathBuf,
}

impl DevLayout {
    /// The layout under `dir`, which is created and made absolute.
    pub fn create(dir: &Path) -> Result<DevLayout, Error> {
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
        let dir = fs::canonicalize(dir).map_err(Error::io(dir))?;
        let hsm_dir = dir.join("hsm");
        let run_dir = dir.join("run");
        Ok(DevLayout {
            softhsm2_conf: hsm_dir.join("softhsm2.conf"),
            token_dir: hsm_dir.join("tokens"),
            pin_file: hsm_dir.join("pin"),
            token_marker: hsm_dir.join("token-initialised"),
            pki: DevPki::at(&dir.join("pki")),
            data_dir: dir.join("data"),
            hsm_socket: run_dir.join("hsm.sock"),
            ready_file: dir.join("ready.json"),
            authz_file: dir.join("authz.toml"),
            lock_file: dir.join("kmsd.lock"),
            hsm_dir,
            run_dir,
            dir,
        })
    }

    /// Takes the directory's exclusive lock, so two daemons never share one directory.
    pub fn lock(&self) -> Result<Flock<fs::File>, Error> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_file)
            .map_err(Error::io(&self.lock_file))?;
        Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| Error::DevState {
            dir: self.dir.clone(),
            detail: format!("another kmsd uses this directory ({errno})"),
        })
    }

    /// Creates or reuses the token, the PKI and the directories.
    pub fn provision(&self) -> Result<(), Error> {
        crate::ready::remove(&self.ready_file);
        self.provision_token()?;
        match self.pki.ensure()? {
            PkiOutcome::Created => info!(dir = %self.pki.dir.display(), "dev PKI created"),
            PkiOutcome::Completed => info!(dir = %self.pki.dir.display(), "dev PKI completed"),
            PkiOutcome::Reused => info!(dir = %self.pki.dir.display(), "dev PKI reused"),
        }
        self.provision_authz()?;
        create_dir(&self.data_dir, PRIVATE_DIR)?;
        create_dir(&self.run_dir, PRIVATE_DIR)?;
        Ok(())
    }

    /// Writes the authorization file from the dev certificates' subjects, unless it exists
    /// (an edited file is the operator's and is kept).
    fn provision_authz(&self) -> Result<(), Error> {
        if self
            .authz_file
            .try_exists()
            .map_err(Error::io(&self.authz_file))?
        {
            info!(file = %self.authz_file.display(), "authorization file reused");
            return Ok(());
        }
        let subject = |path: &Path| -> Result<keywarden_authz::Dn, Error> {
            let cert = keywarden_tls::load_certs(path)?;
            let first = cert.first().ok_or_else(|| Error::Pki {
                path: path.to_path_buf(),
                detail: "no certificate".to_owned(),
            })?;
            match keywarden_tls::peer_identity(first, keywarden_tls::IdentitySource::SubjectDn) {
                Ok(keywarden_authz::Identity::Dn(dn)) => Ok(dn),
                Ok(other) => Err(Error::Pki {
                    path: path.to_path_buf(),
                    detail: format!("unexpected identity {other}"),
                }),
                Err(e) => Err(Error::Pki {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }),
            }
        };
        let admin = subject(&self.pki.admin.cert)?;
        let user = subject(&self.pki.user.cert)?;
        let text = keywarden_authz::Policy::render(&[
            (&admin, keywarden_authz::Role::Admin),
            (&user, keywarden_authz::Role::CryptoUser),
        ]);
        write_atomic(&self.authz_file, text.as_bytes(), PUBLIC_MODE)?;
        info!(file = %self.authz_file.display(), admin = %admin, user = %user, "authorization file written");
        Ok(())
    }

    fn refuse(&self, detail: String) -> Error {
        Error::DevState {
            dir: self.dir.clone(),
            detail,
        }
    }

    fn provision_token(&self) -> Result<(), Error> {
        create_dir(&self.hsm_dir, PRIVATE_DIR)?;
        if self.token_marker.exists() {
            if !self.pin_file.exists() {
                return Err(self.refuse(format!(
                    "the token is initialised but its PIN file {} is missing; restore it or \
                     remove the whole directory to start over",
                    self.pin_file.display()
                )));
            }
            // The configuration holds no secret; rewriting it repairs a moved directory.
            self.write_softhsm_conf()?;
            info!(token = TOKEN_LABEL, "SoftHSM token reused");
            return Ok(());
        }
        // No marker: an earlier init did not finish, or this is the first run.
        if !dir_is_empty(&self.token_dir)? {
            return Err(self.refuse(format!(
                "{} holds a token whose initialisation did not finish; remove {} (and {}) to \
                 start over",
                self.token_dir.display(),
                self.hsm_dir.display(),
                self.data_dir.display()
            )));
        }
        if !dir_is_empty(&self.data_dir)? {
            return Err(self.refuse(format!(
                "{} holds data but there is no initialised token to unwrap it; refusing to \
                 create a new token over it",
                self.data_dir.display()
            )));
        }
        let util = find_on_path("softhsm2-util").ok_or(Error::SoftHsmMissing)?;
        create_dir(&self.token_dir, PRIVATE_DIR)?;
        self.write_softhsm_conf()?;
        let pin = match fs::read_to_string(&self.pin_file) {
            // A PIN from an unfinished run protects nothing yet; reusing it is harmless.
            Ok(pin) if !pin.trim().is_empty() => Zeroizing::new(pin.trim().to_owned()),
            Ok(_) => self.new_pin()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.new_pin()?,
            Err(e) => return Err(Error::io(&self.pin_file)(e)),
        };
        let so_pin = random_pin()?;
        let output = Command::new(util)
            .env(SOFTHSM2_CONF, &self.softhsm2_conf)
            .args(["--init-token", "--free", "--label", TOKEN_LABEL, "--pin"])
            .arg(pin.as_str())
            .arg("--so-pin")
            .arg(so_pin.as_str())
            .output()
            .map_err(|e| Error::TokenInit {
                status: "not started".to_owned(),
                output: e.to_string(),
            })?;
        if !output.status.success() {
            let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stdout));
            return Err(Error::TokenInit {
                status: output.status.to_string(),
                output: text,
            });
        }
        write_atomic(&self.token_marker, TOKEN_LABEL.as_bytes(), PUBLIC_MODE)?;
        info!(token = TOKEN_LABEL, dir = %self.token_dir.display(), "SoftHSM token created");
        Ok(())
    }

    fn new_pin(&self) -> Result<Zeroizing<String>, Error> {
        let pin = random_pin()?;
        write_atomic(&self.pin_file, pin.as_bytes(), KEY_MODE)?;
        Ok(pin)
    }

    fn write_softhsm_conf(&self) -> Result<(), Error> {
        let text = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            self.token_dir.display()
        );
        write_atomic(&self.softhsm2_conf, text.as_bytes(), PUBLIC_MODE)
    }

    /// The server configuration of a provisioned directory.
    pub fn server_config(&self, options: &DevOptions) -> ServerConfig {
        ServerConfig {
            kmip_addr: options.kmip,
            https_addr: options.https,
            tls: TlsFiles {
                client_ca: self.pki.ca.cert.clone(),
                server_cert: self.pki.server.cert.clone(),
                server_key: self.pki.server.key.clone(),
                client_crls: vec![self.pki.crl.clone()],
                crl_poll: options.crl_poll,
            },
            authorization: self.authz_file.clone(),
            identity: options.identity,
            data_dir: self.data_dir.clone(),
            hsm_socket: self.hsm_socket.clone(),
            limits: Limits::default(),
            hsm_loss: options.hsm_loss,
            erase_interval: options.erase_interval,
            timeouts: Timeouts {
                idle: options.idle_timeout,
                read: options.read_timeout,
                ..Timeouts::default()
            },
            max_connections: options.max_connections,
            admission: options.admission,
            request_budget: options.request_budget,
            ready_file: Some(ReadyFile {
                path: self.ready_file.clone(),
                dev: DevDetails {
                    dir: self.dir.clone(),
                    ca_cert: self.pki.ca.cert.clone(),
                    admin_cert: self.pki.admin.cert.clone(),
                    admin_key: self.pki.admin.key.clone(),
                    user_cert: self.pki.user.cert.clone(),
                    user_key: self.pki.user.key.clone(),
                    softhsm2_conf: self.softhsm2_conf.clone(),
                    hsm_socket: self.hsm_socket.clone(),
                    token_dir: self.token_dir.clone(),
                },
            }),
        }
    }

    /// How to start `hsm-bridge` on this directory's token.
    pub fn bridge_spec(&self, options: &DevOptions) -> Result<ChildSpec, Error> {
        if !options.hsm_bridge.is_file() {
            return Err(Error::BridgeMissing {
                path: options.hsm_bridge.clone(),
            });
        }
        let args: Vec<OsString> = vec![
            "--module".into(),
            options.pkcs11_module.clone().into(),
            "--token-label".into(),
            TOKEN_LABEL.into(),
            "--pin-file".into(),
            self.pin_file.clone().into(),
            "--socket".into(),
            self.hsm_socket.clone().into(),
        ];
        Ok(ChildSpec {
            name: "hsm-bridge",
            program: options.hsm_bridge.clone(),
            args,
            env: vec![(SOFTHSM2_CONF.into(), self.softhsm2_conf.clone().into())],
        })
    }
}

/// A random alphanumeric PIN from the system CSPRNG.
fn random_pin() -> Result<Zeroizing<String>, Error> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let random = rustls::crypto::aws_lc_rs::default_provider().secure_random;
    let mut pin = Zeroizing::new(String::with_capacity(PIN_LEN));
    let mut byte = [0u8; 1];
    while pin.len() < PIN_LEN {
        random
            .fill(&mut byte)
            .map_err(|_| Error::Runtime("the system random generator failed".to_owned()))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        if usize::from(byte[0]) < limit
            && let Some(c) = ALPHABET.get(usize::from(byte[0]) % ALPHABET.len())
        {
            pin.push(char::from(*c));
        }
    }
    Ok(pin)
}

fn dir_is_empty(path: &Path) -> Result<bool, Error> {
    match fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(Error::io(path)(e)),
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_long_random_and_alphanumeric() {
        let a = random_pin().unwrap();
        let b = random_pin().unwrap();
        assert_eq!(a.len(), PIN_LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(*a, *b);
    }

    #[test]
    fn an_unfinished_token_init_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let layout = DevLayout::create(dir.path()).unwrap();
        let token = layout.token_dir.join("some-token");
        fs::create_dir_all(&token).unwrap();
        fs::write(token.join("token.object"), b"x").unwrap();
        let err = layout.provision().unwrap_err();
        assert!(matches!(err, Error::DevState { .. }), "{err}");
        assert_eq!(fs::read(token.join("token.object")).unwrap(), b"x");
    }

    #[test]
    fn data_without_a_token_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let layout = DevLayout::create(dir.path()).unwrap();
        fs::create_dir_all(&layout.data_dir).unwrap();
        fs::write(layout.data_dir.join("keys.redb"), b"x").unwrap();
        let err = layout.provision().unwrap_err();
        assert!(matches!(err, Error::DevState { .. }), "{err}");
    }

    #[test]
    fn a_second_daemon_on_the_same_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let layout = DevLayout::create(dir.path()).unwrap();
        let _held = layout.lock().unwrap();
        assert!(matches!(layout.lock(), Err(Error::DevState { .. })));
    }

    /// Needs `softhsm2-util` (installed by `cargo xtask run`); skipped without it.
    #[test]
    fn provisioning_creates_then_reuses() {
        if find_on_path("softhsm2-util").is_none() {
            eprintln!("softhsm2-util missing, skipping");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let layout = DevLayout::create(dir.path()).unwrap();
        layout.provision().unwrap();
        let pin = fs::read(&layout.pin_file).unwrap();
        let ca = fs::read(&layout.pki.ca.key).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&layout.pin_file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let conf = fs::read_to_string(&layout.softhsm2_conf).unwrap();
        assert!(conf.contains(&format!(
            "directories.tokendir = {}",
            layout.token_dir.display()
        )));
        assert!(!dir_is_empty(&layout.token_dir).unwrap());

        layout.provision().unwrap();
        assert_eq!(fs::read(&layout.pin_file).unwrap(), pin, "PIN reused");
        assert_eq!(fs::read(&layout.pki.ca.key).unwrap(), ca, "CA reused");
    }
}
