use super::*;
use std::os::unix::fs::PermissionsExt;

use keywarden_authz::SanKind;
use keywarden_tls::{Identity, IdentitySource, load_certs, load_crls, peer_identity};

fn identity(cert: &Path, source: IdentitySource) -> Result<Identity, keywarden_tls::IdentityError> {
    peer_identity(&load_certs(cert).unwrap()[0], source)
}

fn dn(cert: &Path) -> String {
    identity(cert, IdentitySource::SubjectDn)
        .unwrap()
        .to_string()
}

#[test]
fn generation_is_idempotent_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(&dir.path().join("pki"));
    assert_eq!(pki.ensure().unwrap(), PkiOutcome::Created);
    let read_all = || -> Vec<Vec<u8>> {
        [&pki.ca, &pki.server, &pki.admin, &pki.user]
            .iter()
            .flat_map(|p| [fs::read(&p.cert).unwrap(), fs::read(&p.key).unwrap()])
            .collect()
    };
    let before = read_all();
    assert_eq!(pki.ensure().unwrap(), PkiOutcome::Reused);
    assert_eq!(before, read_all());
    for pair in [&pki.ca, &pki.server, &pki.admin, &pki.user] {
        let mode = fs::metadata(&pair.key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", pair.key.display());
    }
}

#[test]
fn the_files_keep_the_names_kmsd_dev_always_wrote() {
    let pki = DevPki::at(Path::new("/d"));
    let names = [
        &pki.ca.cert,
        &pki.ca.key,
        &pki.server.cert,
        &pki.server.key,
        &pki.admin.cert,
        &pki.admin.key,
        &pki.user.cert,
        &pki.user.key,
        &pki.crl,
    ]
    .map(|p| p.display().to_string());
    assert_eq!(
        names,
        [
            "/d/ca.crt",
            "/d/ca.key",
            "/d/server.crt",
            "/d/server.key",
            "/d/admin.crt",
            "/d/admin.key",
            "/d/user.crt",
            "/d/user.key",
            "/d/ca.crl"
        ]
    );
}

#[test]
fn client_certificates_carry_their_identity() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path());
    pki.ensure().unwrap();
    assert_eq!(dn(&pki.admin.cert), "CN=admin,O=Keywarden dev");
    assert_eq!(dn(&pki.user.cert), "CN=user,O=Keywarden dev");
    assert_eq!(dn(&pki.server.cert), "CN=localhost,O=Keywarden dev");
    assert_eq!(dn(&pki.ca.cert), format!("CN={CA_NAME},O=Keywarden dev"));
    // The CRL exists from the start, issued by the CA and revoking nothing.
    assert_eq!(load_crls(&pki.crl).unwrap().len(), 1);
}

#[test]
fn a_missing_leaf_pair_is_reissued_from_the_existing_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path());
    pki.ensure().unwrap();
    let ca = fs::read(&pki.ca.cert).unwrap();
    fs::remove_file(&pki.user.cert).unwrap();
    fs::remove_file(&pki.user.key).unwrap();
    assert_eq!(pki.ensure().unwrap(), PkiOutcome::Completed);
    assert_eq!(fs::read(&pki.ca.cert).unwrap(), ca);
    assert!(pki.user.cert.exists() && pki.user.key.exists());
    fs::remove_file(&pki.crl).unwrap();
    assert_eq!(pki.ensure().unwrap(), PkiOutcome::Completed);
    assert!(pki.crl.exists());
}

#[test]
fn half_pairs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path());
    pki.ensure().unwrap();
    fs::remove_file(&pki.admin.key).unwrap();
    let admin_cert = fs::read(&pki.admin.cert).unwrap();
    assert!(matches!(pki.ensure(), Err(PkiError::Refused { .. })));
    assert_eq!(
        fs::read(&pki.admin.cert).unwrap(),
        admin_cert,
        "nothing overwritten"
    );

    let other = tempfile::tempdir().unwrap();
    let pki = DevPki::at(other.path());
    pki.ensure().unwrap();
    fs::remove_file(&pki.ca.cert).unwrap();
    assert!(matches!(pki.ensure(), Err(PkiError::Refused { .. })));
    fs::remove_file(&pki.ca.key).unwrap();
    assert!(
        matches!(pki.ensure(), Err(PkiError::Refused { .. })),
        "leaves without a CA"
    );
}

#[test]
fn extra_client_certificates_name_any_subject_and_sans() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path());
    pki.ensure().unwrap();

    let impostor = pki.pair("impostor");
    let spec = ClientCert {
        subject: vec![
            (SubjectAttr::Organization, "Impostor".to_owned()),
            (SubjectAttr::CommonName, "admin".to_owned()),
        ],
        sans: Vec::new(),
    };
    pki.issue_client(&impostor, &spec).unwrap();
    assert_eq!(dn(&impostor.cert), "CN=admin,O=Impostor");

    let alice = pki.pair("alice");
    let spec = ClientCert::named("alice")
        .with_san(ClientSan::Email("alice@example.com".to_owned()))
        .with_san(ClientSan::Dns("alice.example.com".to_owned()))
        .with_san(ClientSan::Uri("spiffe://example/alice".to_owned()));
    pki.issue_client(&alice, &spec).unwrap();
    let san = |kind| {
        identity(&alice.cert, IdentitySource::San(kind))
            .unwrap()
            .to_string()
    };
    assert_eq!(san(SanKind::Email), "email:alice@example.com");
    assert_eq!(san(SanKind::Dns), "dns:alice.example.com");
    assert_eq!(san(SanKind::Uri), "uri:spiffe://example/alice");

    let blank = pki.pair("blank");
    pki.issue_client(&blank, &ClientCert::default()).unwrap();
    assert!(identity(&blank.cert, IdentitySource::SubjectDn).is_err());
    let mode = fs::metadata(&blank.key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_client_certificate_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path());
    pki.ensure().unwrap();
    let admin = fs::read(&pki.admin.cert).unwrap();
    let err = pki
        .issue_client(&pki.admin, &ClientCert::named("other"))
        .unwrap_err();
    assert!(matches!(err, PkiError::Refused { .. }), "{err}");
    assert_eq!(fs::read(&pki.admin.cert).unwrap(), admin);
    // Without a CA nothing is issued.
    let empty = tempfile::tempdir().unwrap();
    let none = DevPki::at(empty.path());
    assert!(matches!(
        none.issue_client(&none.pair("x"), &ClientCert::named("x")),
        Err(PkiError::Io { .. })
    ));
}

#[test]
fn a_rewritten_crl_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::at(dir.path());
    pki.ensure().unwrap();
    let empty = fs::read(&pki.crl).unwrap();
    pki.write_crl(&[vec![0x01, 0x02, 0x03]]).unwrap();
    let revoking = fs::read(&pki.crl).unwrap();
    assert_ne!(empty, revoking);
    let der = load_crls(&pki.crl).unwrap();
    assert_eq!(der.len(), 1);
    // The revoked serial is in the signed list (DER INTEGER 01 02 03).
    assert!(
        der[0]
            .as_ref()
            .windows(5)
            .any(|w| w == [0x02, 0x03, 0x01, 0x02, 0x03]),
        "serial not in the CRL"
    );
}
