//! The command line: `kmsd dev` and `kmsd audit verify`, each flag's parse and its typed value.
//!
//! A value that cannot be parsed is refused by clap naming the flag; the checks between flags
//! (`--max-handshakes` against `--max-connections`, ...) run in [`DevOptions::validate`], before
//! anything is provisioned.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use keywarden_tls::IdentitySource;

use crate::config::{AdmissionLimits, RequestBudget};
use crate::dev::{DEV_CRL_POLL, DevOptions};
use crate::error::Error;

/// Keywarden KMS daemon.
#[derive(Debug, Parser)]
#[command(name = "kmsd", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run on this host with a SoftHSM token, a dev PKI and a database under DIR.
    Dev(DevArgs),
    /// Work with a node's audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

/// `kmsd audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the whole hash chain and every checkpoint signature; name the first broken entry.
    Verify(AuditVerifyArgs),
}

/// Arguments of `kmsd audit verify`.
#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// The audit directory (`<data>/audit`; in dev mode `DIR/data/audit`).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The node's audit public key (`ed25519:HEX`, as logged at start); without it the key
    /// file in the directory is trusted.
    #[arg(long, value_name = "KEY")]
    pub key: Option<keywarden_audit::PublicKey>,
}

/// Arguments of `kmsd dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Directory of all state (created if missing, reused if provisioned).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// KMIP over TLS listen address (port 0: any free port, see ready.json).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:5696")]
    kmip: SocketAddr,
    /// HTTPS listen address (port 0: any free port, see ready.json).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8443")]
    https: SocketAddr,
    /// The hsm-bridge executable [default: next to kmsd].
    #[arg(long, value_name = "PATH")]
    hsm_bridge: Option<PathBuf>,
    /// PKCS#11 module loaded by hsm-bridge.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/usr/lib/softhsm/libsofthsm2.so"
    )]
    pkcs11_module: PathBuf,
    /// Seconds a client connection may stay silent between requests.
    #[arg(long, value_name = "SECS", default_value_t = 60, hide = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Seconds a request body may take once its header arrived.
    #[arg(long, value_name = "SECS", default_value_t = 10, hide = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    read_timeout: u64,
    /// While the HSM does not answer: keep-serving (from the cached domain KEK; /readyz says
    /// 503) or refuse (every request but Discover Versions and Query fails).
    #[arg(long, value_name = "POLICY", default_value = "keep-serving",
          value_parser = parse_hsm_loss)]
    hsm_loss: keywarden_kms::HsmLossPolicy,
    /// Seconds between checks whether destroyed key material must be erased from the data
    /// directory (the bound on the time to erasure, plus one erase).
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    erase_interval: u64,
    /// Most concurrent connections per listener; more are closed at accept.
    #[arg(long, value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds between checks whether the CRL file (DIR/pki/ca.crl) changed; a revocation
    /// takes effect within this time.
    #[arg(long, value_name = "SECS", default_value_t = DEV_CRL_POLL.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    crl_poll: u64,
    /// Which part of a client certificate is the caller: subject-dn (its whole subject DN) or
    /// san:email, san:dns, san:uri (its one subject alternative name of that kind). The dev
    /// authorization file grants the dev certificates' DNs: with a SAN, grant in DIR/authz.toml.
    #[arg(long, value_name = "SOURCE", default_value = "subject-dn",
          value_parser = parse_identity_source)]
    identity_source: IdentitySource,
    /// Most connections per listener still in their TLS handshake; more are closed at accept.
    /// At most --max-connections.
    #[arg(long, value_name = "N", default_value_t = AdmissionLimits::default().handshakes,
          value_parser = at_least_one)]
    max_handshakes: usize,
    /// Most connections per listener in their TLS handshake from one IP address. At most
    /// --max-handshakes.
    #[arg(long, value_name = "N",
          default_value_t = AdmissionLimits::default().handshakes_per_peer,
          value_parser = at_least_one)]
    max_handshakes_per_ip: usize,
    /// Bytes of KMIP requests held in memory at once, over all connections (a request waits in
    /// its socket until its bytes fit). At least the largest message allowed.
    #[arg(long, value_name = "BYTES", default_value_t = RequestBudget::default().bytes,
          value_parser = at_least_one)]
    request_budget: usize,
}

impl DevArgs {
    /// The options of `kmsd dev`, each flag's value in its typed form; see
    /// [`DevOptions::validate`] for the checks between flags.
    pub fn options(&self) -> Result<DevOptions, Error> {
        let hsm_bridge = match &self.hsm_bridge {
            Some(path) => path.clone(),
            None => std::env::current_exe()
                .map_err(Error::io("<current executable>"))?
                .with_file_name("hsm-bridge"),
        };
        Ok(DevOptions {
            kmip: self.kmip,
            https: self.https,
            hsm_bridge,
            pkcs11_module: self.pkcs11_module.clone(),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            read_timeout: Duration::from_secs(self.read_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            hsm_loss: self.hsm_loss,
            erase_interval: Duration::from_secs(self.erase_interval),
            crl_poll: Duration::from_secs(self.crl_poll),
            identity: self.identity_source,
            admission: AdmissionLimits {
                handshakes: self.max_handshakes,
                handshakes_per_peer: self.max_handshakes_per_ip,
            },
            request_budget: RequestBudget {
                bytes: self.request_budget,
            },
        })
    }
}

/// The `--identity-source` value, or an error naming the valid ones.
fn parse_identity_source(value: &str) -> Result<IdentitySource, String> {
    IdentitySource::from_name(value)
        .ok_or_else(|| format!("{value:?} is not subject-dn, san:email, san:dns or san:uri"))
}

/// A count or size of at least 1.
fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{value:?} is not a whole number ({e})")),
    }
}

/// The `--hsm-loss` value, or an error naming the valid ones.
fn parse_hsm_loss(value: &str) -> Result<keywarden_kms::HsmLossPolicy, String> {
    keywarden_kms::HsmLossPolicy::from_name(value)
        .ok_or_else(|| format!("{value:?} is not keep-serving or refuse"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use keywarden_authz::SanKind;

    /// `kmsd dev` with `extra` flags, parsed and checked as `run_dev` does before provisioning.
    fn dev(extra: &[&str]) -> Result<DevOptions, String> {
        let mut argv = vec!["kmsd", "dev", "--dir", "/nonexistent/kmsd-dev"];
        argv.extend_from_slice(extra);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        let Command::Dev(args) = cli.command else {
            panic!("parsed as another command");
        };
        let options = args.options().map_err(|e| e.to_string())?;
        options.validate().map_err(|e| e.to_string())?;
        Ok(options)
    }

    fn refused(extra: &[&str], flag: &str) {
        let err = dev(extra).expect_err("refused");
        assert!(err.contains(flag), "{extra:?}: {err}");
    }

    #[test]
    fn the_defaults_are_the_settings_defaults() {
        let options = dev(&[]).unwrap();
        assert_eq!(options.crl_poll, DEV_CRL_POLL);
        assert_eq!(options.identity, IdentitySource::SubjectDn);
        assert_eq!(options.admission, AdmissionLimits::default());
        assert_eq!(options.request_budget.bytes, RequestBudget::default().bytes);
    }

    #[test]
    fn crl_poll_is_whole_seconds_from_one() {
        assert_eq!(
            dev(&["--crl-poll", "5"]).unwrap().crl_poll,
            Duration::from_secs(5)
        );
        refused(&["--crl-poll", "0"], "--crl-poll");
        refused(&["--crl-poll", "0.5"], "--crl-poll");
    }

    #[test]
    fn identity_source_is_the_subject_dn_or_one_san_kind() {
        for (name, kind) in [
            ("san:email", SanKind::Email),
            ("san:dns", SanKind::Dns),
            ("san:uri", SanKind::Uri),
        ] {
            assert_eq!(
                dev(&["--identity-source", name]).unwrap().identity,
                IdentitySource::San(kind)
            );
        }
        assert_eq!(
            dev(&["--identity-source", "subject-dn"]).unwrap().identity,
            IdentitySource::SubjectDn
        );
        refused(&["--identity-source", "san:bogus"], "--identity-source");
        refused(&["--identity-source", "dn"], "--identity-source");
    }

    #[test]
    fn max_handshakes_is_at_least_one_and_at_most_max_connections() {
        let options = dev(&["--max-connections", "4096", "--max-handshakes", "2000"]).unwrap();
        assert_eq!(options.admission.handshakes, 2000);
        refused(&["--max-handshakes", "0"], "--max-handshakes");
        // More than the 1024 connections allowed per listener.
        refused(&["--max-handshakes", "2000"], "--max-handshakes");
    }

    #[test]
    fn max_handshakes_per_ip_is_at_least_one_and_at_most_max_handshakes() {
        let options = dev(&["--max-handshakes", "512", "--max-handshakes-per-ip", "300"]).unwrap();
        assert_eq!(options.admission.handshakes_per_peer, 300);
        refused(&["--max-handshakes-per-ip", "0"], "--max-handshakes-per-ip");
        // More than the 256 handshakes allowed in all.
        refused(
            &["--max-handshakes-per-ip", "300"],
            "--max-handshakes-per-ip",
        );
    }

    #[test]
    fn request_budget_holds_at_least_the_largest_message() {
        let options = dev(&["--request-budget", "134217728"]).unwrap();
        assert_eq!(options.request_budget.bytes, 128 << 20);
        refused(&["--request-budget", "0"], "--request-budget");
        refused(&["--request-budget", "1000"], "--request-budget");
        refused(&["--request-budget", "64MiB"], "--request-budget");
    }

    #[test]
    fn the_flags_reach_the_server_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let layout = crate::dev::DevLayout::create(dir.path()).unwrap();
        let options = dev(&[
            "--crl-poll",
            "7",
            "--identity-source",
            "san:uri",
            "--max-handshakes",
            "100",
            "--max-handshakes-per-ip",
            "10",
            "--request-budget",
            "33554432",
        ])
        .unwrap();
        let config = layout.server_config(&options);
        assert_eq!(config.tls.crl_poll, Duration::from_secs(7));
        assert_eq!(config.identity, IdentitySource::San(SanKind::Uri));
        assert_eq!(
            config.admission,
            AdmissionLimits {
                handshakes: 100,
                handshakes_per_peer: 10
            }
        );
        assert_eq!(config.request_budget.bytes, 32 << 20);
    }

    #[test]
    fn dev_help_documents_every_flag() {
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("dev")
            .expect("dev subcommand")
            .render_long_help()
            .to_string();
        for flag in [
            "--crl-poll",
            "--identity-source",
            "--max-handshakes ",
            "--max-handshakes-per-ip",
            "--request-budget",
        ] {
            assert!(help.contains(flag), "{flag} missing from:\n{help}");
        }
    }
}
