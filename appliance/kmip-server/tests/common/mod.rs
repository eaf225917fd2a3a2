//! Test fixture: a private SoftHSM2 token with the real `hsm-bridge` in front of it (the test
//! kit's `SoftHsm`), and a `Kms` on a temp data directory; plus a small typed KMIP client over
//! `KmipServer::handle`. Without SoftHSM2 every test fails with a clear message (never skips).

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::{
    BatchErrorContinuationOption, CryptographicAlgorithm, CryptographicUsageMask, NameType,
    ObjectType, Operation, ResultReason, ResultStatus, RevocationReasonCode,
};
use keywarden_kmip::message::{
    ProtocolVersion, RequestMessage, ResponseBatchItem, ResponseMessage,
};
use keywarden_kmip::objects::{KeyMaterial, KeyValue, ManagedObject};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::ttlv::{Limits, Value};
use keywarden_kmip_server::{KmipConfig, KmipServer};
use keywarden_kms::{Caller, Identity, Kms, KmsConfig, Policy};

/// The private SoftHSM2 token and its bridge: the test kit's.
pub use keywarden_test_kit::SoftHsm as Hsm;

const MAX_POLLS: u32 = 600;
const POLL: Duration = Duration::from_millis(50);

pub const V14: ProtocolVersion = ProtocolVersion { major: 1, minor: 4 };
pub const V21: ProtocolVersion = ProtocolVersion { major: 2, minor: 1 };
/// Every protocol version the server speaks, oldest first; the version loops run over all of
/// them. Written out rather than taken from `SUPPORTED_VERSIONS`, so a version dropped from the
/// server fails the tests instead of leaving them.
pub const ALL_VERSIONS: [ProtocolVersion; 7] = [
    ProtocolVersion::V1_0,
    ProtocolVersion::V1_1,
    ProtocolVersion::V1_2,
    ProtocolVersion::V1_3,
    V14,
    ProtocolVersion::V2_0,
    V21,
];
pub const ADMIN: &str = "admin";
/// A test identity with the key-admin role (`CN=keyadmin`).
pub const KEY_ADMIN: &str = "keyadmin";
/// A test identity with the auditor role (`CN=auditor`).
pub const AUDITOR: &str = "auditor";

/// A running key service on a SoftHSM-backed bridge.
pub struct Env {
    pub hsm: Hsm,
    pub data: tempfile::TempDir,
    pub kms: Arc<Kms>,
    /// The metrics of the first open (a reopen registers into a registry of its own).
    pub registry: prometheus_client::registry::Registry,
}

impl Env {
    /// Token, bridge and key service, ready.
    pub async fn start() -> Env {
        Env::start_with(|_| {}).await
    }

    /// [`Env::start`] with a configuration changed by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut KmsConfig)) -> Env {
        let mut hsm = Hsm::new();
        hsm.start();
        let data = tempfile::tempdir().expect("data dir");
        let mut config = config(&hsm, data.path());
        adjust(&mut config);
        let mut registry = prometheus_client::registry::Registry::default();
        let kms = Kms::open(config, &mut registry).await.expect("Kms::open");
        wait_ready(&kms).await;
        Env {
            hsm,
            data,
            kms,
            registry,
        }
    }

    /// The metrics of the first open, as Prometheus text.
    pub fn metrics(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("encode");
        text
    }

    /// Closes the key service and opens a new one on the same data directory.
    pub async fn reopen(&mut self) {
        self.kms.shutdown().await;
        let kms = open(&self.hsm, self.data.path()).await;
        let old = std::mem::replace(&mut self.kms, kms);
        drop(old);
    }

    pub fn client(&self, identity: &str, version: ProtocolVersion) -> Client {
        Client {
            kms: Arc::clone(&self.kms),
            kmip: KmipConfig::default(),
            caller: self.kms.caller(&Identity::Dn(
                format!("CN={identity}").parse().expect("test identity"),
            )),
            version,
        }
    }
}

pub fn config(hsm: &Hsm, data: &Path) -> KmsConfig {
    KmsConfig {
        data_dir: data.to_path_buf(),
        hsm_socket: hsm.socket(),
        authorization: Policy::parse(
            &format!(
                "[[grant]]\ndn = \"CN={ADMIN}\"\nrole = \"admin\"\n\n\
                 [[grant]]\ndn = \"CN={KEY_ADMIN}\"\nrole = \"key-admin\"\n\n\
                 [[grant]]\ndn = \"CN={AUDITOR}\"\nrole = \"auditor\"\n"
            ),
            Path::new("test-authz.toml"),
        )
        .expect("test authorization file"),
        hsm_loss: keywarden_kms::HsmLossPolicy::default(),
        erase_interval: keywarden_kms::DEFAULT_ERASE_INTERVAL,
        store: keywarden_kms::StoreOptions::default(),
    }
}

pub async fn open(hsm: &Hsm, data: &Path) -> Arc<Kms> {
    let mut registry = prometheus_client::registry::Registry::default();
    Kms::open(config(hsm, data), &mut registry)
        .await
        .expect("Kms::open")
}

/// Waits (bounded) until the service reports ready.
pub async fn wait_ready(kms: &Kms) {
    let mut last = None;
    for _ in 0..MAX_POLLS {
        let r = kms.readiness().await;
        if r.ready {
            return;
        }
        last = Some(r);
        tokio::time::sleep(POLL).await;
    }
    panic!("key service never became ready: {last:?}");
}

/// A typed KMIP client calling `KmipServer::handle` with real TTLV bytes.
pub struct Client {
    pub kms: Arc<Kms>,
    /// The settings of the KMIP message layer its requests go through.
    pub kmip: KmipConfig,
    pub caller: Caller,
    pub version: ProtocolVersion,
}

impl Client {
    /// A client of `kms` with the default KMIP settings.
    pub fn new(kms: Arc<Kms>, caller: Caller, version: ProtocolVersion) -> Client {
        Client {
            kms,
            kmip: KmipConfig::default(),
            caller,
            version,
        }
    }

    /// The KMIP message layer in front of the key service.
    pub fn server(&self) -> KmipServer {
        KmipServer::new(Arc::clone(&self.kms), self.kmip)
    }

    pub async fn send(&self, message: RequestMessage) -> ResponseMessage {
        let bytes = message.encode();
        let out = self.server().handle(&self.caller, &bytes).await;
        ResponseMessage::decode(&out, &Limits::default()).expect("response decodes")
    }

    pub async fn batch(
        &self,
        payloads: Vec<RequestPayload>,
        continuation: Option<BatchErrorContinuationOption>,
    ) -> ResponseMessage {
        let mut m = RequestMessage::new(self.version, payloads);
        m.header.batch_error_continuation = continuation;
        self.send(m).await
    }

    pub async fn one(&self, payload: RequestPayload) -> ResponseBatchItem {
        let r = self.batch(vec![payload], None).await;
        assert_eq!(r.header.protocol_version, self.version, "response version");
        assert_eq!(r.items.len(), 1, "one response item");
        r.items.into_iter().next().expect("one item")
    }

    /// Runs `payload` and returns its successful response payload.
    pub async fn ok(&self, payload: RequestPayload) -> ResponsePayload {
        let op = payload.operation();
        let item = self.one(payload).await;
        assert_eq!(
            item.result_status,
            ResultStatus::Success,
            "{op} failed: {:?} {:?}",
            item.result_reason,
            item.result_message
        );
        item.payload.expect("success payload")
    }

    /// Runs `payload` and returns its successful response payload where this client's version
    /// has the operation; where it has not, checks the answer is Operation Not Supported and
    /// returns `None`, so a test states what an older version does instead of skipping it.
    pub async fn ok_if_defined(&self, payload: RequestPayload) -> Option<ResponsePayload> {
        if has(payload.operation(), self.version) {
            Some(self.ok(payload).await)
        } else {
            self.refuses(payload, ResultReason::OperationNotSupported)
                .await;
            None
        }
    }

    /// Runs `payload` and checks it fails with `reason`, or with Operation Not Supported where
    /// this client's version does not have the operation.
    pub async fn refuses(&self, payload: RequestPayload, reason: ResultReason) {
        let (op, version) = (payload.operation(), self.version);
        assert_eq!(
            self.fail(payload).await,
            or_unsupported(op, version, reason),
            "{op} at {version}"
        );
    }

    /// Runs `payload`, expects a failure, returns its reason.
    pub async fn fail(&self, payload: RequestPayload) -> ResultReason {
        let op = payload.operation();
        let item = self.one(payload).await;
        assert_eq!(
            item.result_status,
            ResultStatus::OperationFailed,
            "{op} should fail: {item:?}"
        );
        item.result_reason.expect("failure reason")
    }

    /// Creates an AES key and returns its id.
    pub async fn create_aes(&self, bits: i32, extra: Vec<Attribute>) -> String {
        let mut attrs = vec![alg(CryptographicAlgorithm::Aes), len(bits)];
        attrs.extend(extra);
        match self
            .ok(RequestPayload::Create {
                object_type: ObjectType::SymmetricKey,
                attributes: Attributes(attrs),
            })
            .await
        {
            ResponsePayload::Create {
                unique_identifier, ..
            } => unique_identifier,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// Creates and activates an AES-256 key.
    pub async fn active_aes(&self) -> String {
        let uid = self.create_aes(256, vec![]).await;
        self.ok(RequestPayload::Activate {
            unique_identifier: Some(uid.clone()),
        })
        .await;
        uid
    }

    /// Get Attributes of one attribute; None when absent.
    pub async fn attribute(&self, uid: &str, name: &str) -> Option<Value> {
        match self
            .ok(RequestPayload::GetAttributes {
                unique_identifier: Some(uid.to_owned()),
                names: vec![name.to_owned()],
            })
            .await
        {
            ResponsePayload::GetAttributes { attributes, .. } => attributes
                .0
                .into_iter()
                .find(|a| a.name == name)
                .map(|a| a.value),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// The State attribute.
    pub async fn state(&self, uid: &str) -> u32 {
        match self.attribute(uid, "State").await {
            Some(Value::Enumeration(s)) => s,
            other => panic!("State attribute: {other:?}"),
        }
    }
}

pub fn alg(a: CryptographicAlgorithm) -> Attribute {
    Attribute::enumeration("Cryptographic Algorithm", a)
}

pub fn len(bits: i32) -> Attribute {
    Attribute::new("Cryptographic Length", Value::Integer(bits))
}

pub fn mask(m: CryptographicUsageMask) -> Attribute {
    Attribute::new(
        "Cryptographic Usage Mask",
        Value::Integer(i32::from_ne_bytes(m.0.to_ne_bytes())),
    )
}

pub fn name(n: &str) -> Attribute {
    Attribute::name_value(n, NameType::UninterpretedTextString)
}

pub fn text(n: &str, v: &str) -> Attribute {
    Attribute::new(n, Value::TextString(v.to_owned()))
}

pub fn uid_of(p: &ResponsePayload) -> String {
    match p {
        ResponsePayload::Create {
            unique_identifier, ..
        }
        | ResponsePayload::Register { unique_identifier }
        | ResponsePayload::ReKey { unique_identifier }
        | ResponsePayload::Identifier { unique_identifier } => unique_identifier.clone(),
        other => panic!("no identifier in {other:?}"),
    }
}

/// True when protocol version `v` has operation `op` (Discover Versions from 1.1, Encrypt to
/// RNG Retrieve from 1.2, Set Attribute from 2.0, ...).
pub fn has(op: Operation, v: ProtocolVersion) -> bool {
    op.exists_in(v.major, v.minor)
}

/// `reason` where version `v` has `op`, else Operation Not Supported: the server refuses an
/// operation the version lacks before it looks at the caller's role or at any object.
pub fn or_unsupported(op: Operation, v: ProtocolVersion, reason: ResultReason) -> ResultReason {
    if has(op, v) {
        reason
    } else {
        ResultReason::OperationNotSupported
    }
}

/// The reason for an object in the wrong lifecycle state: Wrong Key Lifecycle State exists from
/// KMIP 2.0 on; 1.x answers Permission Denied.
pub fn lifecycle_reason(v: ProtocolVersion) -> ResultReason {
    if v.major >= 2 {
        ResultReason::WrongKeyLifecycleState
    } else {
        ResultReason::PermissionDenied
    }
}

/// The reason for using a destroyed object's material: Object Destroyed (2.x), Key Value Not
/// Present (1.2 to 1.4, where it first exists), Item Not Found (1.0 and 1.1).
pub fn destroyed_reason(v: ProtocolVersion) -> ResultReason {
    if v.major >= 2 {
        ResultReason::ObjectDestroyed
    } else if v >= ProtocolVersion::V1_2 {
        ResultReason::KeyValueNotPresent
    } else {
        ResultReason::ItemNotFound
    }
}

/// A plain Get of `uid`.
pub fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get {
        unique_identifier: Some(uid.to_owned()),
        key_format_type: None,
        key_compression_type: None,
        key_wrapping_specification: None,
    }
}

/// The raw bytes of a symmetric key in a Get answer.
pub fn key_bytes(p: &ResponsePayload) -> Vec<u8> {
    match p {
        ResponsePayload::Get {
            object: ManagedObject::SymmetricKey(b),
            ..
        } => match &b.key_value {
            KeyValue::Plain {
                material: KeyMaterial::Bytes(k),
                ..
            } => k.to_vec(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// Revoke `uid` for `reason`, without a message or compromise date.
pub fn revoke(uid: &str, reason: RevocationReasonCode) -> RequestPayload {
    RequestPayload::Revoke {
        unique_identifier: Some(uid.to_owned()),
        reason,
        message: None,
        compromise_occurrence_date: None,
    }
}

/// Checks `item` is the refusal of an object whose stored record failed authentication at rest:
/// Operation Failed, General Failure (it exists at every version), the message naming it.
pub fn assert_refused_at_rest(item: &ResponseBatchItem, uid: &str, context: &str) {
    assert_eq!(
        item.result_status,
        ResultStatus::OperationFailed,
        "{context}"
    );
    assert_eq!(
        item.result_reason,
        Some(ResultReason::GeneralFailure),
        "{context}"
    );
    let message = item.result_message.clone().unwrap_or_default();
    assert!(
        message.contains(uid) && message.contains("authentication"),
        "{context}: {message}"
    );
}
