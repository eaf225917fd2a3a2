//! Malformed and hostile input against a running `kmsd dev`.
//!
//! Every case runs on a fresh connection and is followed by a good request (Discover
//! Versions) on another NEW connection, which must succeed: no input may take the server down
//! or wedge it. All cases run (on one node, in order) and every failure is reported at the end.
//!
//! Expected Result Reasons — what the spec says, and why:
//! - KMIP 1.2–1.4 §11.1 "General Errors": "Message cannot be parsed" and "Protocol major version
//!   mismatch" → "Response message containing a header and a Batch Item without Operation, but
//!   with the Result Status field set to Operation Failed", Result Reason **Invalid Message**
//!   (0x04); "Error parsing batch item or payload within batch item" → Invalid Message.
//!   KMIP 2.1 defines Invalid Message as "the request message was not syntactically understood
//!   by the server. For example – the invalid use of a known tag". So: truncated items, wrong
//!   item types, nesting and item-count limits, invalid UTF-8 → Invalid Message.
//! - Unsupported version 9.9: 1.x §11.1 says Invalid Message; KMIP 2.0 added "Unsupported
//!   Protocol Version" (0x3F, "the operation cannot be performed with the provided protocol
//!   version"). The server cannot know which enumeration a 9.9 client reads, so either is
//!   accepted.
//! - Unknown tag inside a payload of a 1.4 request: 1.x §11.1 "Same major & minor version,
//!   unknown field" → **Invalid Field** (0x07); KMIP 2.x adds "Unknown Tag" (0x3D), which a 1.4
//!   client cannot decode, so Invalid Field or Invalid Message (the message is not understood) is
//!   accepted.
//! - Missing required field: 1.x §11.3 (Create Key Pair) "REQUIRED field(s) missing" → Invalid
//!   Message; 2.x defines Missing Data (0x06) as "the operation required additional information
//!   in the request, which was not present". Create without Object Type: Invalid Message,
//!   Missing Data or Invalid Field are accepted. Get with neither Unique Identifier nor an ID
//!   Placeholder: 1.x §11.12 "Object does not exist" → Item Not Found, or one of the above.
//!   The OASIS test cases under shared/kmip-test-cases hold no missing-field example.
//! - Where framing cannot carry a response (no client certificate, foreign CA, a length the
//!   server must not wait for) the server may close the connection instead, but never hang.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use keywarden_test_kit::{DevNode, DevPki, Identity};
use keywarden_tests::client::{ClientIdentity, client_config};
use keywarden_tests::kmip::{self, V1_4, op, reason, status, tag};
use keywarden_tests::ttlv::{self, enumeration, int, item_type, structure};
use keywarden_tests::{KmipClient, READY_TIMEOUT, ReadOutcome, wait_until_ready};

/// The idle timeout kmsd gets in this test (hidden `--idle-timeout` flag).
const IDLE_TIMEOUT_SECS: u64 = 2;
/// How long a case waits for the server to answer or close: well above the idle timeout.
const CASE_WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_hostile_input_never_takes_the_server_down() -> Result<()> {
    let node = DevNode::start_with(&["--idle-timeout", &IDLE_TIMEOUT_SECS.to_string()])?;
    wait_until_ready(&node, READY_TIMEOUT).await?;
    // The baseline must work, or every case below would fail for the wrong reason.
    good_request(&node).await.context("baseline good request")?;

    let mut failures = Vec::new();
    macro_rules! case {
        ($name:expr, $body:expr) => {
            let outcome: Result<()> = $body.await;
            let after = good_request(&node).await;
            match (outcome, after) {
                (Ok(()), Ok(())) => eprintln!("case {:<28} ok", $name),
                (o, a) => {
                    let msg = format!(
                        "case {}: {}{}",
                        $name,
                        o.err()
                            .map(|e| format!("{e:#}"))
                            .unwrap_or_else(|| "ok".into()),
                        a.err()
                            .map(|e| format!("; good request afterwards FAILED: {e:#}"))
                            .unwrap_or_default()
                    );
                    eprintln!("{msg}");
                    failures.push(msg);
                }
            }
        };
    }

    case!("truncated item", truncated_item(&node));
    case!("length beyond message", length_beyond_message(&node));
    case!("length claims 100 MB", length_claims_100mb(&node));
    case!("unknown tag", unknown_tag(&node));
    case!("wrong item type", wrong_item_type(&node));
    case!("nesting 10,000 deep", nesting_10000_deep(&node));
    case!("batch of 100,000 items", batch_100000_items(&node));
    case!("invalid UTF-8", invalid_utf8(&node));
    case!("protocol version 9.9", unsupported_version(&node));
    case!(
        "Create without Object Type",
        create_without_object_type(&node)
    );
    case!("Get without identifier", get_without_identifier(&node));
    case!("no client certificate", no_client_certificate(&node));
    case!("certificate from another CA", foreign_ca_certificate(&node));
    case!("silent client", silent_client(&node));

    ensure!(
        failures.is_empty(),
        "{} case(s) failed:\n{}\nkmsd stderr:\n{}",
        failures.len(),
        failures.join("\n"),
        node.stderr_tail()
    );
    Ok(())
}

/// A Discover Versions on a new admin connection must succeed.
async fn good_request(node: &DevNode) -> Result<()> {
    let mut c = KmipClient::connect(node, Identity::Admin).await?;
    let resp = c.call(&kmip::discover_versions()).await?;
    let item = resp.only()?;
    ensure!(
        item.operation == Some(op::DISCOVER_VERSIONS),
        "good request answered for operation {:?}",
        item.operation
    );
    resp.success()?;
    Ok(())
}

/// Sends `bytes` (write errors tolerated: the server may stop reading) and returns what came back.
async fn send_bad(node: &DevNode, bytes: &[u8]) -> Result<ReadOutcome> {
    let mut c = KmipClient::connect(node, Identity::Admin).await?;
    let _ = c.write_raw(bytes).await;
    Ok(c.read_message(CASE_WAIT).await)
}

/// The response must be a KMIP failure with one of `reasons`.
fn assert_failure(outcome: ReadOutcome, reasons: &[u32]) -> Result<()> {
    let bytes = match outcome {
        ReadOutcome::Message(m) => m,
        ReadOutcome::Closed(why) => {
            bail!("server closed the connection without a KMIP response ({why})")
        }
        ReadOutcome::TimedOut => bail!("no response within {} s", CASE_WAIT.as_secs()),
    };
    let resp = kmip::Response::parse(&bytes).context("answer is not a ResponseMessage")?;
    ensure!(
        !resp.items.is_empty(),
        "failure response without batch items"
    );
    for item in &resp.items {
        ensure!(
            item.status == status::OPERATION_FAILED,
            "expected Result Status Operation Failed, got {} (reason {:?})",
            item.status,
            item.reason
        );
        let r = item.reason.context("failure without Result Reason")?;
        ensure!(
            reasons.contains(&r),
            "Result Reason 0x{r:02x} not in expected {:02x?} (message {:?})",
            reasons,
            item.message
        );
    }
    Ok(())
}

/// A raw structure around already-encoded parts.
fn raw_structure(tag: u32, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(8 + len);
    ttlv::header(&mut out, tag, item_type::STRUCTURE, len as u32);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// A 1.4 request whose single batch item has `operation` and the raw payload `payload`.
fn request_with_raw_payload(operation: u32, payload: &[u8]) -> Vec<u8> {
    let header = ttlv::encode(&kmip::request_header(V1_4, 1));
    let op = ttlv::encode(&enumeration(tag::OPERATION, operation));
    let payload = raw_structure(tag::REQUEST_PAYLOAD, &[payload]);
    let item = raw_structure(tag::BATCH_ITEM, &[&op, &payload]);
    raw_structure(tag::REQUEST_MESSAGE, &[&header, &item])
}

/// A Query whose last item is cut: the outer length is consistent, an inner one overruns.
async fn truncated_item(node: &DevNode) -> Result<()> {
    let mut bytes = kmip::query();
    bytes.truncate(bytes.len() - 8);
    let len = (bytes.len() - 8) as u32;
    bytes[4..8].copy_from_slice(&len.to_be_bytes());
    assert_failure(send_bad(node, &bytes).await?, &[reason::INVALID_MESSAGE])
}

/// The header claims 64 bytes more than are sent; the client then goes quiet without closing.
async fn length_beyond_message(node: &DevNode) -> Result<()> {
    let mut bytes = kmip::query();
    let len = (bytes.len() - 8 + 64) as u32;
    bytes[4..8].copy_from_slice(&len.to_be_bytes());
    assert_failure(send_bad(node, &bytes).await?, &[reason::INVALID_MESSAGE])
}

/// The header claims 100 MB; a server must not wait for (or allocate) it.
async fn length_claims_100mb(node: &DevNode) -> Result<()> {
    let mut bytes = kmip::query();
    bytes[4..8].copy_from_slice(&100_000_000u32.to_be_bytes());
    // The header alone shows the message is too long, so the framing allows an answer.
    assert_failure(send_bad(node, &bytes).await?, &[reason::INVALID_MESSAGE])
}

/// A Query payload with an extra item under a tag KMIP does not define.
async fn unknown_tag(node: &DevNode) -> Result<()> {
    let req = kmip::request(
        V1_4,
        vec![kmip::batch_item(
            op::QUERY,
            vec![enumeration(tag::QUERY_FUNCTION, 1), int(0x42EEEE, 7)],
        )],
    );
    assert_failure(
        send_bad(node, &ttlv::encode(&req)).await?,
        &[reason::INVALID_FIELD, reason::INVALID_MESSAGE],
    )
}

/// Operation encoded as an Integer instead of an Enumeration.
async fn wrong_item_type(node: &DevNode) -> Result<()> {
    let header = ttlv::encode(&kmip::request_header(V1_4, 1));
    let op = ttlv::encode(&int(tag::OPERATION, op::QUERY as i32));
    let payload = ttlv::encode(&structure(
        tag::REQUEST_PAYLOAD,
        vec![enumeration(tag::QUERY_FUNCTION, 1)],
    ));
    let item = raw_structure(tag::BATCH_ITEM, &[&op, &payload]);
    let bytes = raw_structure(tag::REQUEST_MESSAGE, &[&header, &item]);
    assert_failure(send_bad(node, &bytes).await?, &[reason::INVALID_MESSAGE])
}

/// 10,000 nested structures inside a Query payload (80 kB, well-formed framing).
async fn nesting_10000_deep(node: &DevNode) -> Result<()> {
    const DEPTH: usize = 10_000;
    let mut nested = Vec::with_capacity(DEPTH * 8);
    for level in 0..DEPTH {
        // Each level holds all the levels below it: 8 bytes of header each.
        let inner = ((DEPTH - 1 - level) * 8) as u32;
        ttlv::header(&mut nested, 0x420008, item_type::STRUCTURE, inner);
    }
    let bytes = request_with_raw_payload(op::QUERY, &nested);
    assert_failure(send_bad(node, &bytes).await?, &[reason::INVALID_MESSAGE])
}

/// 100,000 (empty) batch items: 800 kB, under any sane size limit, over any item limit.
async fn batch_100000_items(node: &DevNode) -> Result<()> {
    const COUNT: usize = 100_000;
    let header = ttlv::encode(&kmip::request_header(V1_4, COUNT as i32));
    let mut items = Vec::with_capacity(COUNT * 8);
    for _ in 0..COUNT {
        ttlv::header(&mut items, tag::BATCH_ITEM, item_type::STRUCTURE, 0);
    }
    let bytes = raw_structure(tag::REQUEST_MESSAGE, &[&header, &items]);
    assert_failure(send_bad(node, &bytes).await?, &[reason::INVALID_MESSAGE])
}

/// A Get whose Unique Identifier text is not UTF-8.
async fn invalid_utf8(node: &DevNode) -> Result<()> {
    let uid = ttlv::raw_item(
        tag::UNIQUE_IDENTIFIER,
        item_type::TEXT_STRING,
        4,
        &[0x41, 0xFF, 0xFE, 0x42],
    );
    let bytes = request_with_raw_payload(op::GET, &uid);
    assert_failure(send_bad(node, &bytes).await?, &[reason::INVALID_MESSAGE])
}

/// Discover Versions claiming protocol 9.9.
async fn unsupported_version(node: &DevNode) -> Result<()> {
    let req = kmip::request(
        (9, 9),
        vec![kmip::batch_item(op::DISCOVER_VERSIONS, vec![])],
    );
    assert_failure(
        send_bad(node, &ttlv::encode(&req)).await?,
        &[
            reason::INVALID_MESSAGE,
            reason::UNSUPPORTED_PROTOCOL_VERSION,
        ],
    )
}

/// Create with a template but no Object Type.
async fn create_without_object_type(node: &DevNode) -> Result<()> {
    let bytes = kmip::single(op::CREATE, vec![kmip::aes256_template()]);
    assert_failure(
        send_bad(node, &bytes).await?,
        &[
            reason::INVALID_MESSAGE,
            reason::MISSING_DATA,
            reason::INVALID_FIELD,
        ],
    )
}

/// Get with neither a Unique Identifier nor an earlier batch item to set the ID Placeholder.
async fn get_without_identifier(node: &DevNode) -> Result<()> {
    let bytes = kmip::single(op::GET, vec![]);
    assert_failure(
        send_bad(node, &bytes).await?,
        &[
            reason::ITEM_NOT_FOUND,
            reason::INVALID_MESSAGE,
            reason::MISSING_DATA,
            reason::INVALID_FIELD,
        ],
    )
}

/// A TLS client that presents no certificate must not get a KMIP answer.
async fn no_client_certificate(node: &DevNode) -> Result<()> {
    let config = client_config(&node.ready().ca_cert, None)?;
    expect_rejected(node, config).await
}

/// A client certificate from a CA the server does not trust, though it has the same names as
/// the node's own dev PKI (CA "Keywarden dev CA", client "CN=admin,O=Keywarden dev").
async fn foreign_ca_certificate(node: &DevNode) -> Result<()> {
    let other = tempfile::tempdir().context("temp dir")?;
    let rogue = DevPki::at(other.path());
    rogue.ensure()?;
    let identity = ClientIdentity::from_pem_files(&rogue.admin.cert, &rogue.admin.key)?;
    let config = client_config(&node.ready().ca_cert, Some(identity))?;
    expect_rejected(node, config).await
}

/// The handshake fails, or (TLS 1.3: the server's verdict comes after the client's Finished)
/// the first read fails; a KMIP response would mean the certificate check was skipped.
async fn expect_rejected(
    node: &DevNode,
    config: std::sync::Arc<rustls::ClientConfig>,
) -> Result<()> {
    let mut client = match KmipClient::connect_with(node.kmip_addr(), config).await {
        Err(_) => return Ok(()),
        Ok(c) => c,
    };
    let _ = client.write_raw(&kmip::discover_versions()).await;
    match client.read_message(CASE_WAIT).await {
        ReadOutcome::Closed(_) => Ok(()),
        ReadOutcome::Message(m) => bail!(
            "server answered ({} bytes) a client it should have rejected",
            m.len()
        ),
        ReadOutcome::TimedOut => bail!("server neither rejected nor answered the client"),
    }
}

/// A client that connects and says nothing is disconnected after the idle timeout.
async fn silent_client(node: &DevNode) -> Result<()> {
    let mut c = KmipClient::connect(node, Identity::Admin).await?;
    match c.read_message(CASE_WAIT).await {
        ReadOutcome::Closed(_) => Ok(()),
        ReadOutcome::Message(m) => bail!("server sent {} bytes to a silent client", m.len()),
        ReadOutcome::TimedOut => bail!(
            "server kept a silent connection open for {} s (idle timeout {} s)",
            CASE_WAIT.as_secs(),
            IDLE_TIMEOUT_SECS
        ),
    }
}

#[test]
fn crafted_messages_have_consistent_framing() -> Result<()> {
    // The bad cases must be bad only where intended: check the framing helpers themselves.
    let req = request_with_raw_payload(
        op::QUERY,
        &ttlv::encode(&enumeration(tag::QUERY_FUNCTION, 1)),
    );
    let decoded = ttlv::decode(&req)?;
    assert_eq!(decoded.tag, tag::REQUEST_MESSAGE);
    assert_eq!(
        ttlv::encode(&decoded),
        ttlv::encode(&kmip::request(
            V1_4,
            vec![kmip::batch_item(
                op::QUERY,
                vec![enumeration(tag::QUERY_FUNCTION, 1)]
            )]
        ))
    );
    Ok(())
}
