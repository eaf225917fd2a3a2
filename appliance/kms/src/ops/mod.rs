//! The operations: one function per KMIP operation, sharing the request context, object
//! loading with the ownership check, attribute templates and durable commits.

mod attributes;
mod crypto_ops;
mod get;
mod lifecycle;
mod locate;
mod make;
mod query;

use crate::OpError;
use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::{
    CryptographicAlgorithm, CryptographicUsageMask, KmipEnum, LinkType, ObjectType, Operation,
    RecommendedCurve,
};
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::ttlv::Value;
use keywarden_store::{
    Applied, DomainKek, IndexTerms, Lifecycle, LifecycleEvent, ObjectRecord, Stamp, Store, WriteOp,
};
use std::sync::Arc;

use crate::access::{self, Access};
use crate::attrs::{self, name};
use crate::object::Object;
use crate::policy;
use crate::{Caller, Kms, keyring};

/// Everything an operation needs to know about its request.
pub(crate) struct Ctx<'a> {
    pub kms: &'a Kms,
    pub caller: &'a Caller,
    /// What the operation does with the objects it names (see [`crate::access`]).
    pub access: Access,
    pub version: ProtocolVersion,
    pub now: i64,
    placeholder: Option<String>,
    /// Commits of this request that are applied and not yet durable (see [`Ctx::commit`]).
    pending: std::sync::Mutex<Vec<Applied>>,
}

impl<'a> Ctx<'a> {
    /// The context of one batch item.
    pub(crate) fn new(
        kms: &'a Kms,
        caller: &'a Caller,
        access: Access,
        version: ProtocolVersion,
        placeholder: Option<String>,
    ) -> Ctx<'a> {
        Ctx {
            kms,
            caller,
            access,
            version,
            now: crate::clock::unix_now(),
            placeholder,
            pending: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The identifier given, else the batch's ID Placeholder.
    pub(crate) fn uid(&self, given: Option<String>) -> Result<String, OpError> {
        given.or_else(|| self.placeholder.clone()).ok_or_else(|| {
            policy::missing(
                "Unique Identifier is missing and no earlier batch item set the ID Placeholder",
            )
        })
    }

    /// The store, unless the service is shut down.
    pub(crate) fn store(&self) -> Result<Store, OpError> {
        self.kms
            .store()
            .ok_or_else(|| OpError::Unavailable("key service is shutting down".to_owned()))
    }

    /// The domain KEK, or the "HSM unavailable" error.
    pub(crate) fn kek(&self) -> Result<Arc<DomainKek>, OpError> {
        keyring::kek(self.kms)
    }

    /// A fresh stamp from the node's hybrid logical clock.
    pub(crate) fn stamp(&self) -> Result<Stamp, OpError> {
        Ok(self.store()?.clock().now())
    }

    /// The KMIP error for a store failure: see [`store_error`].
    pub(crate) fn store_error(&self, e: keywarden_store::StoreError) -> OpError {
        store_error(self.kms, e)
    }

    /// Loads an object the caller may act on in the operation's access class.
    pub(crate) fn load(&self, uid: &str) -> Result<Object, OpError> {
        self.load_for(uid, self.access)
    }

    /// Loads an object the caller may act on in `access` (a second object of an operation,
    /// such as the wrapping key of a Get, is used, not managed).
    pub(crate) fn load_for(&self, uid: &str, access: Access) -> Result<Object, OpError> {
        let rec = self
            .store()?
            .get(uid)
            .map_err(|e| self.store_error(e))?
            .ok_or_else(|| policy::not_found(uid))?;
        // An object the caller may not see answers exactly like a missing one, so identifiers
        // of other identities cannot be probed.
        if !access::sees(self.caller, &rec) {
            return Err(policy::not_found(uid));
        }
        if !access::may(self.caller, &rec, access) {
            return Err(access::denied(self.caller, uid, access));
        }
        Ok(Object { rec })
    }

    /// Refuses a Link whose target does not exist or that the caller may not see (the same
    /// not-found answer as [`Ctx::load`]).
    pub(crate) fn check_link_target(&self, value: &Value) -> Result<(), OpError> {
        let (_, target) =
            attrs::link_parts(value).ok_or_else(|| policy::invalid("Link value is malformed"))?;
        self.load_for(&target, Access::Manage).map(|_| ())
    }

    /// Writes objects in one commit. When this returns the commit is applied (later reads
    /// see it); it is durable only once [`Ctx::durable`] returned, which `execute` awaits
    /// together with the request's audit entry, so the store's sync and the audit log's sync
    /// overlap instead of following each other. Nothing is answered before both.
    pub(crate) async fn commit(&self, objects: Vec<Object>) -> Result<(), OpError> {
        for o in &objects {
            o.check_limits()?;
        }
        let ops = objects
            .into_iter()
            .map(|o| WriteOp::PutObject(o.into_record()))
            .collect();
        match self.store()?.commit_applied(ops).await {
            Ok(applied) => {
                self.pending
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(applied);
                Ok(())
            }
            Err(e) => {
                self.kms.note_commit(Err(&e));
                Err(self.store_error(e))
            }
        }
    }

    /// Waits until every commit of this request is durable; the first one that cannot be is
    /// the error.
    pub(crate) async fn durable(&self) -> Result<(), OpError> {
        let pending = std::mem::take(
            &mut *self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for applied in pending {
            let result = applied.durable().await.map(|_| ());
            self.kms.note_commit(result.as_ref().copied());
            result.map_err(|e| self.store_error(e))?;
        }
        Ok(())
    }

    /// A new, empty object owned by the caller, with its own creation stamp (the store orders
    /// objects by it, so no two objects share one). Its UUID is version 7: time-ordered, so
    /// the objects of one group commit land in the same few B-tree pages instead of one random
    /// page each (a random v4 cost a 4 KiB page write per create), with 74 random bits left
    /// so identifiers still cannot be guessed.
    pub(crate) fn new_object(&self, object_type: ObjectType) -> Result<Object, OpError> {
        let stamp = self.stamp()?;
        Ok(Object {
            rec: Arc::new(ObjectRecord {
                uuid: uuid::Uuid::now_v7().to_string(),
                domain: self.caller.domain.clone(),
                owner: self.caller.identity.to_string(),
                object_type: object_type.value(),
                origin: stamp.node,
                created: stamp,
                updated: stamp,
                lifecycle: Lifecycle::default(),
                material: None,
                attributes: Vec::new(),
                links: Vec::new(),
                index: IndexTerms::default(),
            }),
        })
    }

    /// The mutation lock of an object, held across read-modify-write.
    pub(crate) async fn lock(&self, uid: &str) -> tokio::sync::MutexGuard<'a, ()> {
        self.kms.object_lock(uid).lock().await
    }
}

/// The one place store errors become operation errors. A record that fails authentication at
/// rest is counted and named (the object is not missing, and the client cannot fix it).
pub(crate) fn store_error(kms: &Kms, e: keywarden_store::StoreError) -> OpError {
    use keywarden_store::StoreError as E;
    match e {
        E::RecordRejected { uuid, fault } => {
            kms.metrics.records_rejected.inc();
            tracing::warn!(object = %uuid, %fault, "stored record refused: it failed authentication at rest");
            OpError::RecordRejected {
                uuid,
                fault: fault.to_string(),
            }
        }
        E::Locked => OpError::Unavailable(
            "the store is locked until its storage epoch keys are unwrapped through the HSM; \
             retry later"
                .to_owned(),
        ),
        other => OpError::Failed(format!("store: {other}")),
    }
}

/// Runs one operation.
pub(crate) async fn dispatch(
    ctx: &Ctx<'_>,
    operation: Operation,
    payload: RequestPayload,
) -> Result<ResponsePayload, OpError> {
    if !operation.exists_in(ctx.version.major, ctx.version.minor) {
        return Err(OpError::NotInVersion {
            operation,
            version: ctx.version,
        });
    }
    access::check_role(ctx.caller, ctx.access)?;
    crate::hsm_policy::check(ctx.kms, ctx.access)?;
    match payload {
        RequestPayload::DiscoverVersions { versions } => Ok(query::discover_versions(&versions)),
        RequestPayload::Query { functions } => Ok(query::query(ctx, &functions)),
        RequestPayload::Create {
            object_type,
            attributes,
        } => make::create(ctx, object_type, attributes).await,
        RequestPayload::CreateKeyPair {
            common,
            private,
            public,
        } => make::create_key_pair(ctx, common, private, public).await,
        RequestPayload::Register {
            object_type,
            attributes,
            object,
        } => make::register(ctx, object_type, attributes, object).await,
        RequestPayload::ReKey {
            unique_identifier,
            offset,
            attributes,
        } => make::re_key(ctx, ctx.uid(unique_identifier)?, offset, attributes).await,
        RequestPayload::Get {
            unique_identifier,
            key_format_type,
            key_compression_type,
            key_wrapping_specification,
        } => {
            get::get(
                ctx,
                ctx.uid(unique_identifier)?,
                key_format_type,
                key_compression_type,
                key_wrapping_specification,
            )
            .await
        }
        RequestPayload::GetAttributes {
            unique_identifier,
            names,
        } => attributes::get_attributes(ctx, ctx.uid(unique_identifier)?, &names),
        RequestPayload::GetAttributeList { unique_identifier } => {
            attributes::get_attribute_list(ctx, ctx.uid(unique_identifier)?)
        }
        RequestPayload::AddAttribute {
            unique_identifier,
            attribute,
        } => attributes::add(ctx, ctx.uid(unique_identifier)?, attribute).await,
        RequestPayload::SetAttribute {
            unique_identifier,
            attribute,
        } => attributes::set(ctx, ctx.uid(unique_identifier)?, attribute).await,
        RequestPayload::ModifyAttribute {
            unique_identifier,
            attribute,
            current,
        } => attributes::modify(ctx, ctx.uid(unique_identifier)?, attribute, current).await,
        RequestPayload::DeleteAttribute {
            unique_identifier,
            name,
            index,
            current,
        } => attributes::delete(ctx, ctx.uid(unique_identifier)?, &name, index, current).await,
        RequestPayload::Locate {
            maximum_items,
            offset_items,
            storage_status_mask,
            object_group_member: _,
            attributes,
        } => {
            locate::locate(
                ctx,
                maximum_items,
                offset_items,
                storage_status_mask,
                attributes,
            )
            .await
        }
        RequestPayload::Activate { unique_identifier } => {
            lifecycle::activate(ctx, ctx.uid(unique_identifier)?).await
        }
        RequestPayload::Revoke {
            unique_identifier,
            reason,
            message,
            compromise_occurrence_date,
        } => {
            lifecycle::revoke(
                ctx,
                ctx.uid(unique_identifier)?,
                reason,
                message,
                compromise_occurrence_date,
            )
            .await
        }
        RequestPayload::Destroy { unique_identifier } => {
            lifecycle::destroy(ctx, ctx.uid(unique_identifier)?).await
        }
        RequestPayload::Encrypt {
            unique_identifier,
            parameters,
            data,
            iv_counter_nonce,
            aad,
        } => crypto_ops::encrypt(
            ctx,
            ctx.uid(unique_identifier)?,
            parameters,
            &data,
            iv_counter_nonce,
            aad,
        ),
        RequestPayload::Decrypt {
            unique_identifier,
            parameters,
            data,
            iv_counter_nonce,
            aad,
            tag,
        } => {
            crypto_ops::decrypt(
                ctx,
                ctx.uid(unique_identifier)?,
                parameters,
                &data,
                iv_counter_nonce,
                aad,
                tag,
            )
            .await
        }
        RequestPayload::Sign {
            unique_identifier,
            parameters,
            data,
            digested_data,
        } => {
            crypto_ops::sign(
                ctx,
                ctx.uid(unique_identifier)?,
                parameters,
                data,
                digested_data,
            )
            .await
        }
        RequestPayload::SignatureVerify {
            unique_identifier,
            parameters,
            data,
            digested_data,
            signature,
        } => crypto_ops::verify(
            ctx,
            ctx.uid(unique_identifier)?,
            parameters,
            data,
            digested_data,
            &signature,
        ),
        RequestPayload::Mac {
            unique_identifier,
            parameters,
            data,
        } => crypto_ops::mac(ctx, ctx.uid(unique_identifier)?, parameters, &data),
        RequestPayload::MacVerify {
            unique_identifier,
            parameters,
            data,
            mac,
        } => crypto_ops::mac_verify(ctx, ctx.uid(unique_identifier)?, parameters, &data, &mac),
        RequestPayload::RngRetrieve { length } => crypto_ops::rng_retrieve(ctx, length).await,
    }
}

/// Which server-set attributes a template may carry for an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TemplateUse {
    /// Create / Create Key Pair / Re-key: algorithm, length and curve are inputs.
    Generate,
    /// Register: algorithm and length describe the material and must agree with it.
    Register,
}

/// A validated creation template.
#[derive(Default)]
pub(crate) struct Template {
    pub items: Vec<Attribute>,
}

impl Template {
    /// Checks every attribute of a creation request.
    pub(crate) fn parse(
        ctx: &Ctx<'_>,
        attributes: Attributes,
        usage: TemplateUse,
    ) -> Result<Template, OpError> {
        let mut items: Vec<Attribute> = Vec::new();
        for a in attributes.0 {
            let inputs_ok = matches!(
                a.name.as_str(),
                name::ALGORITHM | name::LENGTH | name::DOMAIN_PARAMETERS | name::OBJECT_TYPE
            ) || (usage == TemplateUse::Generate && a.name == "Recommended Curve");
            if !(inputs_ok || attrs::settable_at_creation(&a.name)) {
                if attrs::is_server_only(&a.name) {
                    return Err(policy::read_only(&a.name));
                }
                return Err(OpError::UnsupportedAttribute(format!(
                    "attribute {:?} is not supported",
                    a.name
                )));
            }
            check_value(ctx.version, &a.name, &a.value)?;
            if a.name == name::LINK {
                ctx.check_link_target(&a.value)?;
            }
            if !attrs::is_multi(&a.name) && items.iter().any(|i| i.name == a.name) {
                return Err(OpError::AttributeRepeated(format!(
                    "attribute {:?} may appear only once",
                    a.name
                )));
            }
            items.push(a);
        }
        Ok(Template { items })
    }

    /// Merges `specific` over `common` (Create Key Pair): a single-instance attribute in the
    /// specific template replaces the common one.
    pub(crate) fn merged(common: &Template, specific: &Template) -> Template {
        let mut items: Vec<Attribute> = common
            .items
            .iter()
            .filter(|c| {
                attrs::is_multi(&c.name) || !specific.items.iter().any(|s| s.name == c.name)
            })
            .cloned()
            .collect();
        items.extend(specific.items.iter().cloned());
        Template { items }
    }

    /// The first value of an attribute.
    pub(crate) fn get(&self, attr: &str) -> Option<&Value> {
        self.items.iter().find(|a| a.name == attr).map(|a| &a.value)
    }

    /// The Cryptographic Algorithm given.
    pub(crate) fn algorithm(&self) -> Option<CryptographicAlgorithm> {
        self.get(name::ALGORITHM)
            .and_then(attrs::as_enum)
            .and_then(CryptographicAlgorithm::from_value)
    }

    /// The Cryptographic Length given.
    pub(crate) fn length(&self) -> Option<i32> {
        self.get(name::LENGTH).and_then(attrs::as_i32)
    }

    /// Applies the client attributes to a new object: lifecycle dates become lifecycle facts,
    /// links go to the link set, the rest are stored. Algorithm, length and curve are left to
    /// the caller, which knows the material.
    pub(crate) fn apply(&self, obj: &mut Object, stamp: Stamp) {
        for a in &self.items {
            match a.name.as_str() {
                name::ALGORITHM
                | name::LENGTH
                | name::DOMAIN_PARAMETERS
                | name::OBJECT_TYPE
                | "Recommended Curve" => {}
                name::ACTIVATION_DATE => {
                    if let Some(t) = attrs::as_date(&a.value) {
                        obj.rec_mut().lifecycle.activated = Some(event(stamp, t, None, None));
                    }
                }
                name::DEACTIVATION_DATE => {
                    if let Some(t) = attrs::as_date(&a.value) {
                        obj.rec_mut().lifecycle.deactivated = Some(event(stamp, t, None, None));
                    }
                }
                name::LINK => {
                    if let Some((t, target)) = attrs::link_parts(&a.value) {
                        obj.add_link(t, &target, stamp);
                    }
                }
                other => {
                    let index = if attrs::is_multi(other) {
                        obj.next_index(other)
                    } else {
                        0
                    };
                    obj.set(other, index, &a.value, stamp);
                }
            }
        }
    }
}

/// A lifecycle fact.
pub(crate) fn event(
    stamp: Stamp,
    effective: i64,
    reason: Option<u32>,
    message: Option<String>,
) -> LifecycleEvent {
    LifecycleEvent {
        stamp,
        effective,
        reason,
        message,
    }
}

/// Checks the type of a value against its attribute.
pub(crate) fn check_value(
    version: ProtocolVersion,
    attr: &str,
    value: &Value,
) -> Result<(), OpError> {
    // An enumeration value a later protocol version added is refused like an unknown one.
    fn defined<E: KmipEnum>(version: ProtocolVersion, raw: Option<u32>) -> bool {
        raw.and_then(E::from_value)
            .is_some_and(|e| version.has(e.since()))
    }
    let ok = match attr {
        name::NAME => attrs::name_text(value).is_some(),
        name::OBJECT_GROUP
        | name::CONTACT_INFORMATION
        | "Operation Policy Name"
        | "Description"
        | "Comment"
        | name::UNIQUE_IDENTIFIER => matches!(value, Value::TextString(_)),
        name::USAGE_MASK | name::LENGTH => matches!(value, Value::Integer(_)),
        name::ALGORITHM => defined::<CryptographicAlgorithm>(version, attrs::as_enum(value)),
        name::OBJECT_TYPE => defined::<ObjectType>(version, attrs::as_enum(value)),
        "Recommended Curve" => defined::<RecommendedCurve>(version, attrs::as_enum(value)),
        name::DOMAIN_PARAMETERS => attrs::child_enum(value, attrs::tag::RECOMMENDED_CURVE)
            .is_none_or(|raw| defined::<RecommendedCurve>(version, Some(raw))),
        name::ACTIVATION_DATE
        | name::DEACTIVATION_DATE
        | name::PROCESS_START_DATE
        | name::PROTECT_STOP_DATE => attrs::as_date(value).is_some(),
        // A link type this version does not define is refused; an undefined one (an extension
        // value) is kept as sent.
        name::LINK => attrs::link_parts(value).is_some_and(|(raw, _)| {
            LinkType::from_value(raw).is_none_or(|t| version.has(t.since()))
        }),
        "Sensitive" | "Extractable" => matches!(value, Value::Boolean(_)),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(OpError::InvalidAttributeValue(format!(
            "attribute {attr:?} has a value of the wrong type, out of range or not defined in \
             KMIP {version}"
        )))
    }
}

/// The usage mask when the client gives none.
pub(crate) fn default_usage(
    object_type: ObjectType,
    algorithm: Option<CryptographicAlgorithm>,
) -> CryptographicUsageMask {
    use CryptographicUsageMask as M;
    let rsa = algorithm == Some(CryptographicAlgorithm::Rsa);
    match object_type {
        ObjectType::SymmetricKey => match algorithm {
            Some(
                CryptographicAlgorithm::HmacSha1
                | CryptographicAlgorithm::HmacSha224
                | CryptographicAlgorithm::HmacSha256
                | CryptographicAlgorithm::HmacSha384
                | CryptographicAlgorithm::HmacSha512,
            ) => M::MAC_GENERATE | M::MAC_VERIFY,
            _ => M::ENCRYPT | M::DECRYPT | M::WRAP_KEY | M::UNWRAP_KEY,
        },
        ObjectType::PrivateKey if rsa => M::SIGN | M::DECRYPT | M::UNWRAP_KEY,
        ObjectType::PrivateKey => M::SIGN,
        ObjectType::PublicKey if rsa => M::VERIFY | M::ENCRYPT | M::WRAP_KEY,
        ObjectType::PublicKey | ObjectType::Certificate => M::VERIFY,
        _ => M(0),
    }
}

/// Sets the attributes the server owns on a new object.
pub(crate) fn set_server_attributes(
    obj: &mut Object,
    algorithm: Option<CryptographicAlgorithm>,
    length: Option<i32>,
    curve: Option<keywarden_kmip::enums::RecommendedCurve>,
    stamp: Stamp,
) -> Result<(), OpError> {
    let now = crate::object::stamp_secs(&stamp);
    let object_type = obj.object_type()?;
    if let Some(a) = algorithm {
        obj.set(name::ALGORITHM, 0, &Value::Enumeration(a.value()), stamp);
    }
    if let Some(l) = length {
        obj.set(name::LENGTH, 0, &Value::Integer(l), stamp);
    }
    if let Some(c) = curve {
        obj.set(
            name::DOMAIN_PARAMETERS,
            0,
            &Value::Structure(vec![keywarden_kmip::ttlv::Ttlv::new(
                attrs::tag::RECOMMENDED_CURVE,
                Value::Enumeration(c.value()),
            )]),
            stamp,
        );
    }
    if obj.first(name::USAGE_MASK).is_none() {
        let mask = default_usage(object_type, algorithm);
        obj.set(
            name::USAGE_MASK,
            0,
            &Value::Integer(i32::from_ne_bytes(mask.0.to_ne_bytes())),
            stamp,
        );
    }
    obj.set(name::INITIAL_DATE, 0, &Value::DateTime(now), stamp);
    obj.set(
        name::ORIGINAL_CREATION_DATE,
        0,
        &Value::DateTime(now),
        stamp,
    );
    obj.touch(stamp);
    Ok(())
}
