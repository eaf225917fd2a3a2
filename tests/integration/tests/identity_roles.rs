//! Identities and roles against a running `kmsd dev`: the caller is the certificate's whole
//! subject DN, its role comes from the node's authorization file, and another identity's
//! objects follow one rule for every operation (kms README, "Another identity's objects").

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use keywarden_test_kit::{ClientCert, ClientSan, DevNode, Identity, SubjectAttr, kmsd_bin};
use keywarden_tests::kmip::{self, Response, reason, status};
use keywarden_tests::{
    KmipClient, READY_TIMEOUT, ReadOutcome, client, https_request, wait_until_ready,
};

/// Issues a client certificate from the node's dev CA with the given subject.
fn issue(
    node: &DevNode,
    subject: &[(SubjectAttr, &str)],
    name: &str,
) -> Result<(std::path::PathBuf, std::path::PathBuf)> {
    let pki = node.pki();
    let pair = pki.pair(name);
    let spec = ClientCert {
        subject: subject.iter().map(|(a, v)| (*a, (*v).to_owned())).collect(),
        sans: Vec::new(),
    };
    pki.issue_client(&pair, &spec)?;
    Ok((pair.cert, pair.key))
}

async fn connect_as(node: &DevNode, cert: &Path, key: &Path) -> Result<KmipClient> {
    let config = client::mtls_client_config(&node.ready().ca_cert, cert, key)?;
    KmipClient::connect_with(node.kmip_addr(), config).await
}

/// The one batch item of a request's response.
async fn one(c: &mut KmipClient, request: &[u8]) -> Result<kmip::ResponseItem> {
    let response: Response = c.call(request).await?;
    Ok(response.only()?.clone())
}

/// Asserts that a request about `uid` is answered exactly like one about an identifier that
/// does not exist: the same status and reason, the same message but for the identifier.
async fn looks_missing(
    c: &mut KmipClient,
    what: &str,
    request: fn(&str) -> Vec<u8>,
    uid: &str,
) -> Result<()> {
    let theirs = one(c, &request(uid)).await?;
    let missing = one(c, &request("no-such-object")).await?;
    ensure!(
        theirs.status == status::OPERATION_FAILED && theirs.reason == Some(reason::ITEM_NOT_FOUND),
        "{what} of another identity's object: {theirs:?}"
    );
    ensure!(
        theirs.reason == missing.reason,
        "{what}: {theirs:?} vs {missing:?}"
    );
    ensure!(
        theirs.message.map(|m| m.replace(uid, "X"))
            == missing.message.map(|m| m.replace("no-such-object", "X")),
        "{what}: the message tells an existing object from a missing one"
    );
    Ok(())
}

async fn succeeds(c: &mut KmipClient, what: &str, request: &[u8]) -> Result<kmip::ResponseItem> {
    let item = one(c, request).await?;
    ensure!(item.status == status::SUCCESS, "{what}: {item:?}");
    Ok(item)
}

async fn locate(c: &mut KmipClient) -> Result<Vec<String>> {
    let item = succeeds(c, "Locate", &kmip::locate_all()).await?;
    Ok(item.payload.as_ref().map(kmip::located).unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_identities_objects_follow_one_rule_and_an_impostor_cn_is_not_admin() -> Result<()> {
    let node = DevNode::start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let mut admin = KmipClient::connect(&node, Identity::Admin).await?;
    let mut user = KmipClient::connect(&node, Identity::User).await?;

    // The authorization file kmsd dev wrote names both certificates by their whole DN.
    let authz = std::fs::read_to_string(node.dir().join("authz.toml")).context("authz.toml")?;
    ensure!(
        authz.contains(r#"dn = "CN=admin,O=Keywarden dev""#),
        "{authz}"
    );
    ensure!(authz.contains(r#"role = "admin""#), "{authz}");
    ensure!(
        authz.contains(r#"dn = "CN=user,O=Keywarden dev""#),
        "{authz}"
    );

    // The user cannot tell the admin's objects from missing ones, whatever the operation.
    let admins = admin.create_active_aes256().await?;
    let admins_pre_active = admin.create_aes256().await?;
    looks_missing(&mut user, "Get", kmip::get, &admins).await?;
    looks_missing(&mut user, "Get Attributes", kmip::get_attributes, &admins).await?;
    looks_missing(
        &mut user,
        "Encrypt",
        |u| kmip::encrypt_gcm(u, b"x"),
        &admins,
    )
    .await?;
    looks_missing(&mut user, "Activate", kmip::activate, &admins_pre_active).await?;
    looks_missing(&mut user, "Revoke", kmip::revoke, &admins).await?;
    looks_missing(&mut user, "Destroy", kmip::destroy, &admins_pre_active).await?;
    let seen = locate(&mut user).await?;
    ensure!(
        !seen.contains(&admins) && !seen.contains(&admins_pre_active),
        "user Locate: {seen:?}"
    );
    // ... and the admin's objects are untouched by all that.
    succeeds(
        &mut admin,
        "admin Encrypt",
        &kmip::encrypt_gcm(&admins, b"x"),
    )
    .await?;

    // The user's own objects serve the user, and the admin acts on them too.
    let users = user.create_aes256().await?;
    succeeds(&mut user, "user Activate", &kmip::activate(&users)).await?;
    succeeds(&mut user, "user Encrypt", &kmip::encrypt_gcm(&users, b"x")).await?;
    ensure!(
        locate(&mut user).await?.contains(&users),
        "user Locate misses its own key"
    );
    let all = locate(&mut admin).await?;
    ensure!(
        all.contains(&users) && all.contains(&admins),
        "admin Locate: {all:?}"
    );
    succeeds(&mut admin, "admin Get", &kmip::get(&users)).await?;
    succeeds(
        &mut admin,
        "admin Get Attributes",
        &kmip::get_attributes(&users),
    )
    .await?;
    succeeds(
        &mut admin,
        "admin Encrypt",
        &kmip::encrypt_gcm(&users, b"x"),
    )
    .await?;
    let users_second = user.create_aes256().await?;
    succeeds(&mut admin, "admin Activate", &kmip::activate(&users_second)).await?;
    succeeds(&mut admin, "admin Revoke", &kmip::revoke(&users)).await?;
    succeeds(&mut admin, "admin Destroy", &kmip::destroy(&users)).await?;

    // An impostor: the dev CA signed it and its CN is "admin", but its DN is another one. It
    // is an unlisted identity, so a crypto-user that sees nobody else's objects.
    let (cert, key) = issue(
        &node,
        &[
            (SubjectAttr::Organization, "Impostor"),
            (SubjectAttr::CommonName, "admin"),
        ],
        "impostor",
    )?;
    let mut impostor = connect_as(&node, &cert, &key).await?;
    looks_missing(&mut impostor, "impostor Get", kmip::get, &admins).await?;
    looks_missing(
        &mut impostor,
        "impostor Get Attributes",
        kmip::get_attributes,
        &admins,
    )
    .await?;
    looks_missing(
        &mut impostor,
        "impostor Encrypt",
        |u| kmip::encrypt_gcm(u, b"x"),
        &admins,
    )
    .await?;
    looks_missing(&mut impostor, "impostor Revoke", kmip::revoke, &admins).await?;
    looks_missing(
        &mut impostor,
        "impostor Destroy",
        kmip::destroy,
        &users_second,
    )
    .await?;
    let seen = locate(&mut impostor).await?;
    ensure!(seen.is_empty(), "impostor Locate found {seen:?}");
    // What it creates is its own, invisible to the real user.
    let its = impostor.create_aes256().await?;
    looks_missing(&mut user, "user Get of the impostor's key", kmip::get, &its).await?;
    succeeds(
        &mut admin,
        "admin Get of the impostor's key",
        &kmip::get(&its),
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_authorization_file_fails_the_start_naming_the_line() -> Result<()> {
    let dir = tempfile::Builder::new().prefix("kw-authz").tempdir()?;
    std::fs::write(
        dir.path().join("authz.toml"),
        "[[grant]]\ndn = \"CN=admin,O=Keywarden dev\"\nrole = \"admin\"\n\n[[grant]]\ndn = \"CN=ops\"\nrole = \"superuser\"\n",
    )?;
    let mut child = Command::new(kmsd_bin()?)
        .args(["dev", "--dir"])
        .arg(dir.path())
        .args(["--kmip", "127.0.0.1:0", "--https", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let deadline = Instant::now() + READY_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            anyhow::bail!("kmsd kept running with an invalid authorization file");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().context("stderr")?, &mut stderr)?;
    ensure!(!status.success(), "kmsd exited with {status}");
    ensure!(
        stderr.contains("authz.toml, line 5") && stderr.contains("\"superuser\""),
        "the error does not name the line and the reason:\n{stderr}"
    );
    ensure!(!dir.path().join("ready.json").exists(), "announced ready");
    Ok(())
}

/// `kmsd dev --identity-source san:email`: the caller is the certificate's email SAN, whatever
/// its subject. Two certificates with the same email and different DNs are one identity; one
/// with the first one's DN and another email is another identity; a dev certificate without an
/// email SAN gets no KMIP answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_email_san_as_identity_source_the_san_is_the_caller() -> Result<()> {
    let dir = tempfile::tempdir().context("node dir")?;
    // Written before the first start, so kmsd dev keeps it instead of its DN grants.
    std::fs::write(
        dir.path().join("authz.toml"),
        "[[grant]]\nsan = \"email:ops@example.com\"\nrole = \"crypto-user\"\n",
    )?;
    let node = DevNode::builder()
        .dir(dir.path())
        .args(&["--identity-source", "san:email"])
        .start()?;
    let deadline = Instant::now() + READY_TIMEOUT;
    while https_request(&node, None, "GET", "/readyz")
        .await
        .ok()
        .map(|r| r.0)
        != Some(200)
    {
        ensure!(
            Instant::now() < deadline,
            "not ready: {}",
            node.stderr_tail()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let pki = node.pki();
    let with_email =
        |cn: &str, email: &str| ClientCert::named(cn).with_san(ClientSan::Email(email.to_owned()));
    let (first, second, other) = (pki.pair("first"), pki.pair("second"), pki.pair("other"));
    pki.issue_client(&first, &with_email("ops-1", "ops@example.com"))?;
    pki.issue_client(&second, &with_email("ops-2", "ops@example.com"))?;
    pki.issue_client(&other, &with_email("ops-1", "other@example.com"))?;

    let mut c1 = connect_as(&node, &first.cert, &first.key).await?;
    let uid = c1.create_aes256().await?;
    let mut c2 = connect_as(&node, &second.cert, &second.key).await?;
    ensure!(
        locate(&mut c2).await? == [uid.clone()],
        "the same email is the same owner"
    );
    let mut c3 = connect_as(&node, &other.cert, &other.key).await?;
    ensure!(
        locate(&mut c3).await?.is_empty(),
        "the same DN with another email is another identity"
    );

    let mut admin = KmipClient::connect(&node, Identity::Admin).await?;
    let _ = admin.write_raw(&kmip::discover_versions()).await;
    match admin.read_message(Duration::from_secs(30)).await {
        ReadOutcome::Closed(_) => Ok(()),
        ReadOutcome::Message(m) => anyhow::bail!(
            "a certificate without an email SAN got an answer ({} bytes)",
            m.len()
        ),
        ReadOutcome::TimedOut => anyhow::bail!("neither refused nor answered"),
    }
}

/// An auditor (granted in the node's authorization file) reads the audit log and the metrics
/// over HTTPS, and may neither use keys over KMIP nor erase storage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_reads_the_audit_log_and_metrics_and_touches_no_key() -> Result<()> {
    use keywarden_tests::https_request_as;
    let mut node = DevNode::start()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    let (cert, key) = issue(
        &node,
        &[
            (SubjectAttr::Organization, "Keywarden dev"),
            (SubjectAttr::CommonName, "auditor"),
        ],
        "auditor",
    )?;
    let status = node.sigterm()?;
    ensure!(status.success(), "kmsd exited with {status}");
    // kmsd dev keeps an existing authorization file: add the auditor to the one it wrote.
    let authz = node.dir().join("authz.toml");
    let mut text = std::fs::read_to_string(&authz)?;
    text.push_str("\n[[grant]]\ndn = \"CN=auditor,O=Keywarden dev\"\nrole = \"auditor\"\n");
    std::fs::write(&authz, text)?;
    node.restart()?;
    wait_until_ready(&node, READY_TIMEOUT).await?;

    let auditor = Some((cert.as_path(), key.as_path()));
    let (status, body) = https_request_as(&node, auditor, "GET", "/v1/audit?limit=10").await?;
    ensure!(
        status == 200 && body.contains("\"records\""),
        "audit read: {status} {body}"
    );
    let (status, body) = https_request_as(&node, auditor, "GET", "/metrics").await?;
    ensure!(
        status == 200 && body.contains("kms_operations_total"),
        "metrics: {status}"
    );
    let (status, body) = https_request_as(&node, auditor, "GET", "/v1/cluster/conflicts").await?;
    ensure!(
        status == 200 && body.contains("\"conflicts\":[]"),
        "conflicts read: {status} {body}"
    );
    let pki = node.pki();
    let user = Some((pki.user.cert.as_path(), pki.user.key.as_path()));
    let (status, body) = https_request_as(&node, user, "GET", "/v1/cluster/conflicts").await?;
    ensure!(
        status == 403,
        "a crypto-user read the conflicts: {status} {body}"
    );
    let (status, body) = https_request_as(&node, auditor, "POST", "/v1/storage/erase").await?;
    ensure!(status == 403, "an auditor erased storage: {status} {body}");
    let mut c = connect_as(&node, &cert, &key).await?;
    let item = one(&mut c, &kmip::create_aes256()).await?;
    ensure!(
        item.status == status::OPERATION_FAILED && item.reason == Some(reason::PERMISSION_DENIED),
        "an auditor's Create: {item:?}"
    );
    Ok(())
}
