//! The client CAs and their CRLs, re-read when the CRL files change.
//!
//! Every handshake asks the verifier of the current generation, so a reload takes effect for
//! the next handshake without a new server configuration. Connections opened before a reload
//! watch [`TrustGeneration`] and ask [`ClientTrust::still_trusted`] again, so one whose
//! certificate the new CRLs revoke is closed at once. A reload that fails (a file half written,
//! a CRL of another issuer) keeps the previous generation and is reported; the start-up load
//! fails instead, naming the file.
//!
//! Once any CRL is configured, the revocation status of every client certificate must be known:
//! a leaf whose issuer has no CRL among the files is refused (fail closed), so give one CRL per
//! client CA. Only the end-entity certificate is checked against the CRLs.
//!
//! A CRL past its nextUpdate no longer says anything about revocations since then, so it is
//! treated like a missing one (fail closed): the start-up load refuses it naming the file and
//! the time, handshakes verified against it fail, and when a loaded CRL expires the watcher
//! starts a new generation, so open connections are checked again and closed. Replacing the
//! file with a current CRL restores service without a restart.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use tokio::sync::watch;

use crate::error::TlsError;
use crate::pem::{crls_from_bytes, load_certs};
use crate::server::ClientAuth;
#[cfg(test)]
use proptest::prelude::*;

/// What identifies one version of a CRL file without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

fn stamp(path: &Path) -> Option<FileStamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        dev: m.dev(),
        ino: m.ino(),
        len: m.len(),
        mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
    })
}

/// The verifiers of one generation of CRLs.
struct Generation {
    required: Arc<dyn ClientCertVerifier>,
    optional: Arc<dyn ClientCertVerifier>,
    stamps: Vec<Option<FileStamp>>,
    /// The earliest nextUpdate of its CRLs (seconds since the Unix epoch), with its file.
    expires: Option<(u64, PathBuf)>,
    /// The watcher already started a generation for its expiry.
    expired: bool,
}

/// The client CAs of a listener with their current CRLs.
pub struct ClientTrust {
    provider: Arc<CryptoProvider>,
    roots: Arc<RootCertStore>,
    hints: Vec<DistinguishedName>,
    ca_subjects: Vec<Vec<u8>>,
    crl_paths: Vec<PathBuf>,
    current: RwLock<Generation>,
    generation: watch::Sender<u64>,
    reload_failures: AtomicU64,
}

impl std::fmt::Debug for ClientTrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTrust")
            .field("roots", &self.roots.len())
            .field("crl_paths", &self.crl_paths)
            .field("generation", &*self.generation.borrow())
            .finish_non_exhaustive()
    }
}

/// Resolves when the CRLs change; held by each open connection.
#[derive(Clone, Debug)]
pub struct TrustGeneration(watch::Receiver<u64>);

impl TrustGeneration {
    /// Waits for the next reload (forever if the trust is dropped).
    pub async fn changed(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl ClientTrust {
    /// Loads the client CA file and every CRL file; any problem fails with the file named.
    pub fn load(
        provider: Arc<CryptoProvider>,
        client_ca: &Path,
        crl_paths: Vec<PathBuf>,
    ) -> Result<Arc<ClientTrust>, TlsError> {
        let mut roots = RootCertStore::empty();
        let mut ca_subjects = Vec::new();
        for cert in load_certs(client_ca)? {
            let (_, parsed) =
                x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| TlsError::File {
                    what: "client CA",
                    path: client_ca.to_path_buf(),
                    reason: e.to_string(),
                })?;
            ca_subjects.push(parsed.subject().as_raw().to_vec());
            roots.add(cert).map_err(|e| TlsError::File {
                what: "client CA",
                path: client_ca.to_path_buf(),
                reason: e.to_string(),
            })?;
        }
        let roots = Arc::new(roots);
        let hints = roots.subjects();
        let mut trust = ClientTrust {
            provider,
            roots,
            hints,
            ca_subjects,
            crl_paths,
            current: RwLock::new(Generation {
                required: WebPkiClientVerifier::no_client_auth(),
                optional: WebPkiClientVerifier::no_client_auth(),
                stamps: Vec::new(),
                expires: None,
                expired: false,
            }),
            generation: watch::Sender::new(0),
            reload_failures: AtomicU64::new(0),
        };
        let first = trust.read_generation()?;
        if let Some((at, path)) = &first.expires
            && *at <= UnixTime::now().as_secs()
        {
            return Err(TlsError::CrlExpired {
                path: path.clone(),
                next_update: *at,
            });
        }
        trust.current = RwLock::new(first);
        Ok(Arc::new(trust))
    }

    /// Reads every CRL file and builds the verifiers of a new generation.
    fn read_generation(&self) -> Result<Generation, TlsError> {
        let mut crls: Vec<CertificateRevocationListDer<'static>> = Vec::new();
        let mut stamps = Vec::new();
        let mut expires: Option<(u64, PathBuf)> = None;
        for path in &self.crl_paths {
            // The stamp is taken before the read, so a write racing the read shows up as a
            // change at the next poll rather than being missed.
            stamps.push(stamp(path));
            let bytes = crate::pem::read_crl_file(path)?;
            for crl in crls_from_bytes(&bytes).map_err(|reason| TlsError::File {
                what: "CRL",
                path: path.clone(),
                reason,
            })? {
                let next = self.check_issuer(path, &crl)?;
                if let Some(next) = next
                    && expires.as_ref().is_none_or(|(at, _)| next < *at)
                {
                    expires = Some((next, path.clone()));
                }
                crls.push(crl);
            }
        }
        let build = |auth: ClientAuth| {
            let mut builder = WebPkiClientVerifier::builder_with_provider(
                Arc::clone(&self.roots),
                Arc::clone(&self.provider),
            )
            .with_crls(crls.iter().cloned())
            .only_check_end_entity_revocation()
            .enforce_revocation_expiration();
            if auth == ClientAuth::Optional {
                builder = builder.allow_unauthenticated();
            }
            builder.build().map_err(|e| TlsError::Config {
                what: "client certificate verifier",
                reason: e.to_string(),
            })
        };
        Ok(Generation {
            required: build(ClientAuth::Required)?,
            optional: build(ClientAuth::Optional)?,
            stamps,
            expires,
            expired: false,
        })
    }

    /// Refuses a CRL no client CA issued or that the verifier could not read (each with the
    /// file named: once they are all in one verifier its error names none); answers its
    /// nextUpdate (seconds since the epoch).
    fn check_issuer(
        &self,
        path: &Path,
        crl: &CertificateRevocationListDer<'_>,
    ) -> Result<Option<u64>, TlsError> {
        let (_, parsed) =
            x509_parser::parse_x509_crl(crl.as_ref()).map_err(|e| TlsError::File {
                what: "CRL",
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        // The verifier's own parser is stricter than x509-parser on some encodings.
        webpki::OwnedCertRevocationList::from_der(crl.as_ref()).map_err(|e| TlsError::File {
            what: "CRL",
            path: path.to_path_buf(),
            reason: format!("not a CRL the verifier can read: {e:?}"),
        })?;
        let issuer = parsed.tbs_cert_list.issuer.as_raw();
        if self.ca_subjects.iter().any(|s| s.as_slice() == issuer) {
            Ok(parsed
                .tbs_cert_list
                .next_update
                .map(|t| u64::try_from(t.timestamp()).unwrap_or(0)))
        } else {
            Err(TlsError::CrlIssuer {
                path: path.to_path_buf(),
                issuer: parsed.tbs_cert_list.issuer.to_string(),
            })
        }
    }

    /// The verifier a server configuration uses; it always asks the current generation.
    pub fn verifier(self: &Arc<Self>, auth: ClientAuth) -> Arc<dyn ClientCertVerifier> {
        Arc::new(CurrentVerifier {
            trust: Arc::clone(self),
            auth,
        })
    }

    fn current(&self, auth: ClientAuth) -> Arc<dyn ClientCertVerifier> {
        let generation = self.current.read().unwrap_or_else(PoisonError::into_inner);
        match auth {
            ClientAuth::Required => Arc::clone(&generation.required),
            ClientAuth::Optional => Arc::clone(&generation.optional),
        }
    }

    /// Re-reads the CRL files if any changed since the last read; `Ok(true)` when a new
    /// generation took effect. On error the previous generation stays.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now: Vec<Option<FileStamp>> = self.crl_paths.iter().map(|p| stamp(p)).collect();
        {
            let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
            if current.stamps == now {
                // Unchanged files, but a CRL that just expired: the verifiers already refuse
                // new handshakes; a new generation makes open connections check again.
                if let Some((at, path)) = &current.expires
                    && !current.expired
                    && *at <= UnixTime::now().as_secs()
                {
                    tracing::error!(
                        crl = %path.display(),
                        next_update = *at,
                        "a client CRL expired: client certificates are refused until it is replaced"
                    );
                    current.expired = true;
                    drop(current);
                    self.generation.send_modify(|g| *g += 1);
                    return Ok(true);
                }
                return Ok(false);
            }
        }
        match self.read_generation() {
            Ok(next) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = next;
                self.generation.send_modify(|g| *g += 1);
                Ok(true)
            }
            Err(e) => {
                // Remember the stamps that failed, so one bad file is reported once, not at
                // every poll; the next change is tried again.
                self.current
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .stamps = now;
                self.reload_failures.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }

    /// Polls the CRL files every `every` until the trust is dropped elsewhere.
    pub fn spawn_watcher(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(trust) = weak.upgrade() else { return };
                let check = Arc::clone(&trust);
                let result = tokio::task::spawn_blocking(move || check.reload_if_changed()).await;
                match result {
                    Ok(Ok(true)) => tracing::info!(
                        generation = *trust.generation.borrow(),
                        "client CRLs reloaded; open connections are checked again"
                    ),
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "client CRLs not reloaded; the previous ones stay in force")
                    }
                    Err(e) => tracing::error!(error = %e, "CRL reload task failed"),
                }
            }
        })
    }

    /// A handle that resolves at each reload.
    pub fn generation(&self) -> TrustGeneration {
        TrustGeneration(self.generation.subscribe())
    }

    /// How many reloads failed since start.
    pub fn reload_failures(&self) -> u64 {
        self.reload_failures.load(Ordering::Relaxed)
    }

    /// Whether a chain verified at its handshake still verifies under the current CRLs (and
    /// has not expired since).
    pub fn still_trusted(&self, chain: &[CertificateDer<'_>]) -> bool {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return false;
        };
        self.current(ClientAuth::Required)
            .verify_client_cert(leaf, intermediates, UnixTime::now())
            .is_ok()
    }
}

/// Delegates every check to the current generation's verifier.
#[derive(Debug)]
struct CurrentVerifier {
    trust: Arc<ClientTrust>,
    auth: ClientAuth,
}

impl ClientCertVerifier for CurrentVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.auth == ClientAuth::Required
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.trust.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.trust
            .current(self.auth)
            .verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust
            .current(self.auth)
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust
            .current(self.auth)
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.current(self.auth).supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{
        BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType, IsCa, Issuer,
        KeyIdMethod, KeyPair, KeyUsagePurpose, RevokedCertParams, SerialNumber,
    };

    struct Ca {
        issuer: Issuer<'static, KeyPair>,
        pem: String,
    }

    fn ca(name: &str) -> Ca {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    fn leaf(ca: &Ca, serial: u64) -> CertificateDer<'static> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("client {serial}"));
        params.serial_number = Some(SerialNumber::from(serial));
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        params.signed_by(&key, &ca.issuer).unwrap().der().clone()
    }

    fn crl(ca: &Ca, number: u64, revoked: &[u64]) -> String {
        crl_until(ca, number, revoked, time::Duration::days(30))
    }

    /// A CRL whose nextUpdate is `valid` from now (negative: already expired).
    fn crl_until(ca: &Ca, number: u64, revoked: &[u64], valid: time::Duration) -> String {
        let now = time::OffsetDateTime::now_utc();
        CertificateRevocationListParams {
            this_update: now - time::Duration::minutes(2),
            next_update: now + valid,
            crl_number: SerialNumber::from(number),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(*s),
                    revocation_time: now - time::Duration::minutes(1),
                    reason_code: None,
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&ca.issuer)
        .unwrap()
        .pem()
        .unwrap()
    }

    /// Writes through a new file and a rename, as an operator's tooling should.
    fn replace(path: &Path, text: &str) {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    fn setup(dir: &Path, ca: &Ca, revoked: &[u64]) -> Arc<ClientTrust> {
        std::fs::write(dir.join("ca.crt"), &ca.pem).unwrap();
        std::fs::write(dir.join("ca.crl"), crl(ca, 1, revoked)).unwrap();
        ClientTrust::load(
            crate::provider().unwrap(),
            &dir.join("ca.crt"),
            vec![dir.join("ca.crl")],
        )
        .unwrap()
    }

    #[test]
    fn a_reloaded_crl_revokes_a_certificate_that_was_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let ca = ca("Test CA");
        let trust = setup(dir.path(), &ca, &[]);
        let (alice, bob) = (leaf(&ca, 10), leaf(&ca, 11));
        assert!(trust.still_trusted(std::slice::from_ref(&alice)));
        assert!(trust.still_trusted(std::slice::from_ref(&bob)));
        let mut generation = trust.generation();
        assert!(!trust.reload_if_changed().unwrap(), "nothing changed yet");

        replace(&dir.path().join("ca.crl"), &crl(&ca, 2, &[11]));
        assert!(trust.reload_if_changed().unwrap());
        assert!(trust.still_trusted(std::slice::from_ref(&alice)));
        assert!(!trust.still_trusted(std::slice::from_ref(&bob)));
        // Open connections learn of the reload at once.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), generation.changed())
                .await
                .expect("generation changed");
        });
        assert!(!trust.still_trusted(&[]));
    }

    #[test]
    fn a_bad_reload_keeps_the_previous_crls_and_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let ca = ca("Test CA");
        let trust = setup(dir.path(), &ca, &[11]);
        let bob = leaf(&ca, 11);
        replace(
            &dir.path().join("ca.crl"),
            "-----BEGIN X509 CRL-----\nnot base64\n",
        );
        let e = trust.reload_if_changed().unwrap_err().to_string();
        assert!(e.contains("ca.crl"), "{e}");
        assert_eq!(trust.reload_failures(), 1);
        assert!(
            !trust.still_trusted(std::slice::from_ref(&bob)),
            "still revoked"
        );
        // The same bad file is not retried at every poll.
        assert!(!trust.reload_if_changed().unwrap());
        replace(&dir.path().join("ca.crl"), &crl(&ca, 3, &[]));
        assert!(trust.reload_if_changed().unwrap());
        assert!(trust.still_trusted(std::slice::from_ref(&bob)));
    }

    #[test]
    fn a_crl_of_another_issuer_or_an_unreadable_one_fails_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let (ours, theirs) = (ca("Our CA"), ca("Their CA"));
        std::fs::write(dir.path().join("ca.crt"), &ours.pem).unwrap();
        std::fs::write(dir.path().join("other.crl"), crl(&theirs, 1, &[])).unwrap();
        let load = |crls: Vec<PathBuf>| {
            ClientTrust::load(crate::provider().unwrap(), &dir.path().join("ca.crt"), crls)
        };
        let e = load(vec![dir.path().join("other.crl")]).unwrap_err();
        assert!(matches!(e, TlsError::CrlIssuer { .. }), "{e}");
        let e = load(vec![dir.path().join("missing.crl")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.crl"), "{e}");
        // No CRL configured: nothing is checked for revocation.
        let trust = load(Vec::new()).unwrap();
        assert!(trust.still_trusted(&[leaf(&ours, 5)]));
        assert!(
            !trust.still_trusted(&[leaf(&theirs, 5)]),
            "another CA's client"
        );
    }

    #[test]
    fn an_expired_crl_fails_the_start_naming_the_file_and_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let ca = ca("Test CA");
        std::fs::write(dir.path().join("ca.crt"), &ca.pem).unwrap();
        let expired = crl_until(&ca, 1, &[], -time::Duration::minutes(1));
        std::fs::write(dir.path().join("ca.crl"), expired).unwrap();
        let e = ClientTrust::load(
            crate::provider().unwrap(),
            &dir.path().join("ca.crt"),
            vec![dir.path().join("ca.crl")],
        )
        .unwrap_err();
        assert!(matches!(e, TlsError::CrlExpired { .. }), "{e}");
        let e = e.to_string();
        assert!(e.contains("ca.crl") && e.contains("expired at 20"), "{e}");
    }

    #[test]
    fn a_crl_that_expires_refuses_clients_and_checks_open_connections_again() {
        let dir = tempfile::tempdir().unwrap();
        let ca = ca("Test CA");
        std::fs::write(dir.path().join("ca.crt"), &ca.pem).unwrap();
        let short = crl_until(&ca, 1, &[], time::Duration::seconds(2));
        std::fs::write(dir.path().join("ca.crl"), short).unwrap();
        let trust = ClientTrust::load(
            crate::provider().unwrap(),
            &dir.path().join("ca.crt"),
            vec![dir.path().join("ca.crl")],
        )
        .unwrap();
        let alice = leaf(&ca, 10);
        assert!(trust.still_trusted(std::slice::from_ref(&alice)));
        let before = *trust.generation.borrow();
        // Bounded wait for the CRL's nextUpdate to pass (it is seconds away).
        let mut refused = false;
        for _ in 0..300 {
            if !trust.still_trusted(std::slice::from_ref(&alice)) {
                refused = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(refused, "a client is refused once the CRL expired");
        // The files did not change, yet the expiry starts one new generation for the open
        // connections, once.
        assert!(trust.reload_if_changed().unwrap());
        assert_eq!(*trust.generation.borrow(), before + 1);
        assert!(!trust.reload_if_changed().unwrap());
        // A current CRL restores service without a restart.
        replace(&dir.path().join("ca.crl"), &crl(&ca, 2, &[]));
        assert!(trust.reload_if_changed().unwrap());
        assert!(trust.still_trusted(std::slice::from_ref(&alice)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A damaged CRL file (bytes flipped, cut short, or garbage) is refused with the file
        /// named, or read if it still parses, and never panics; the previous CRLs stay.
        #[test]
        fn a_damaged_crl_file_never_panics_a_reload(
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
            cut in proptest::option::of(any::<usize>()),
            pem in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let ca = ca("Test CA");
            let trust = setup(dir.path(), &ca, &[11]);
            use rustls_pki_types::pem::PemObject;
            let good = crl(&ca, 2, &[11]);
            // PEM: damage the text (base64 body, markers); DER: damage the structure.
            let mut bytes = if pem {
                good.into_bytes()
            } else {
                rustls_pki_types::CertificateRevocationListDer::from_pem_slice(good.as_bytes())
                    .unwrap()
                    .as_ref()
                    .to_vec()
            };
            for (at, bits) in &flips {
                let i = at % bytes.len();
                bytes[i] ^= bits | 1;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut % (bytes.len() + 1));
            }
            let tmp = dir.path().join("ca.crl.tmp");
            std::fs::write(&tmp, &bytes).unwrap();
            std::fs::rename(&tmp, dir.path().join("ca.crl")).unwrap();
            match trust.reload_if_changed() {
                Ok(_) => {}
                Err(e) => prop_assert!(e.to_string().contains("ca.crl"), "{e}"),
            }
        }
    }

    #[test]
    fn a_crl_file_over_the_limit_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.crl");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(crate::pem::MAX_CRL_FILE + 1).unwrap();
        let e = crate::pem::load_crls(&path).unwrap_err().to_string();
        assert!(e.contains("huge.crl") && e.contains("larger than"), "{e}");
    }
}
