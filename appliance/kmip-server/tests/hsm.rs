//! The domain KEK and the HSM: restart, start without the HSM, HSM loss and recovery, metrics.

mod common;

use std::sync::Arc;

use common::*;
use keywarden_kmip::enums::{QueryFunction, ResultReason};
use keywarden_kmip::payload::RequestPayload;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_unwraps_kek_again_and_objects_survive() {
    let mut env = Env::start().await;
    // One key per version; after each restart every version reads every key.
    let mut keys = Vec::new();
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let label = format!("durable-{v}");
        let uid = c.create_aes(256, vec![name(&label)]).await;
        let key = key_bytes(&c.ok(get(&uid)).await);
        keys.push((uid, label, key));
    }
    env.reopen().await;
    wait_ready(&env.kms).await;
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        for (uid, label, key) in &keys {
            assert_eq!(&key_bytes(&c.ok(get(uid)).await), key, "{v}");
            assert_eq!(c.attribute(uid, "Name").await, Some(name(label).value));
        }
    }
    // Same store, new bridge process: the wrapped KEK is unwrapped by the token again.
    env.kms.shutdown().await;
    env.hsm.stop();
    env.hsm.start();
    let kms = open(&env.hsm, env.data.path()).await;
    wait_ready(&kms).await;
    for v in ALL_VERSIONS {
        let c = Client::new(
            Arc::clone(&kms),
            keywarden_kms::Caller::new("CN=alice", keywarden_kms::Role::CryptoUser),
            v,
        );
        for (uid, _, key) in &keys {
            assert_eq!(&key_bytes(&c.ok(get(uid)).await), key, "{v}");
        }
    }
    kms.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_without_hsm_then_recover() {
    let mut hsm = Hsm::new();
    let data = tempfile::tempdir().expect("data dir");
    // No bridge: open succeeds, the service is not ready and says why.
    let kms = open(&hsm, data.path()).await;
    let r = kms.readiness().await;
    assert!(!r.ready);
    assert!(r.reasons.iter().any(|s| s.contains("KEK")), "{r:?}");
    assert!(r.reasons.iter().any(|s| s.contains("HSM")), "{r:?}");
    assert!(r.reasons.iter().any(|s| s.contains("audit log")), "{r:?}");
    let client = |kms: &Arc<keywarden_kms::Kms>, v| {
        Client::new(
            Arc::clone(kms),
            keywarden_kms::Caller::new("CN=alice", keywarden_kms::Role::CryptoUser),
            v,
        )
    };
    for v in ALL_VERSIONS {
        let c = client(&kms, v);
        // Discover Versions (from 1.1; Operation Not Supported in 1.0) and Query still work.
        c.ok_if_defined(RequestPayload::DiscoverVersions { versions: vec![] })
            .await;
        c.ok(RequestPayload::Query {
            functions: vec![QueryFunction::QueryServerInformation],
        })
        .await;
        // Material operations answer General Failure with a clear message.
        let item = c
            .one(RequestPayload::Create {
                object_type: keywarden_kmip::enums::ObjectType::SymmetricKey,
                attributes: keywarden_kmip::attributes::Attributes(vec![
                    alg(keywarden_kmip::enums::CryptographicAlgorithm::Aes),
                    len(256),
                ]),
            })
            .await;
        assert_eq!(
            item.result_reason,
            Some(ResultReason::GeneralFailure),
            "{v}"
        );
        // Nothing is served that the audit log could not record.
        let message = item.result_message.unwrap_or_default();
        assert!(message.contains("audit log is not open"), "{v}: {message}");
    }
    // The bridge comes up: the background task creates and wraps the KEK, no restart needed.
    hsm.start();
    wait_ready(&kms).await;
    let mut uids = Vec::new();
    for v in ALL_VERSIONS {
        let c = client(&kms, v);
        let uid = c.create_aes(128, vec![]).await;
        c.ok(get(&uid)).await;
        uids.push(uid);
    }
    kms.shutdown().await;
    drop(kms);
    // And the KEK it created was stored: a restart unwraps it.
    let kms = open(&hsm, data.path()).await;
    wait_ready(&kms).await;
    for v in ALL_VERSIONS {
        let c = client(&kms, v);
        for uid in &uids {
            c.ok(get(uid)).await;
        }
    }
    kms.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsm_loss_makes_not_ready_and_recovery_needs_no_restart() {
    let mut env = Env::start().await;
    env.hsm.stop();
    // Bounded wait for the health loop (1 s period) to notice.
    let mut seen = false;
    for _ in 0..100 {
        let r = env.kms.readiness().await;
        if !r.ready {
            assert!(r.reasons.iter().any(|s| s.contains("HSM")), "{r:?}");
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "readiness never reported the HSM loss");
    let r = env.kms.readiness().await;
    assert_eq!(r.hsm_loss, keywarden_kms::HsmLossPolicy::KeepServing);
    assert!(
        r.reasons.iter().any(|s| s.contains("keep-serving")),
        "{r:?}"
    );
    // The KEK stays unwrapped in memory: keys keep working while the HSM is away (the default
    // policy, keep-serving).
    let mut uids = Vec::new();
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        uids.push(c.create_aes(128, vec![]).await);
        // Random bytes come from the HSM or not at all: no silent software fallback. RNG
        // Retrieve exists from 1.2; before, it is Operation Not Supported, HSM or not.
        let rng = RequestPayload::RngRetrieve { length: 16 };
        if has(rng.operation(), v) {
            let item = c.one(rng).await;
            assert_eq!(
                item.result_reason,
                Some(ResultReason::GeneralFailure),
                "{v}"
            );
            assert!(
                item.result_message.unwrap_or_default().contains("HSM"),
                "the refusal names the HSM at {v}"
            );
        } else {
            c.refuses(rng, ResultReason::OperationNotSupported).await;
        }
    }
    env.hsm.start();
    wait_ready(&env.kms).await;
    for (v, uid) in ALL_VERSIONS.into_iter().zip(&uids) {
        let c = env.client("alice", v);
        c.ok(get(uid)).await;
        c.ok_if_defined(RequestPayload::RngRetrieve { length: 16 })
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_refuse_policy_nothing_is_served_while_the_hsm_is_lost() {
    let mut env = Env::start_with(|c| c.hsm_loss = keywarden_kms::HsmLossPolicy::Refuse).await;
    // One version waits for the refusal; every version is checked once it came.
    let c = env.client("alice", V21);
    let uid = c.create_aes(128, vec![]).await;
    env.hsm.stop();
    let mut refused = None;
    for _ in 0..100 {
        let item = c.one(get(&uid)).await;
        if item.result_reason.is_some() {
            refused = Some(item);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let item = refused.expect("Get was never refused after the HSM went away");
    assert_eq!(item.result_reason, Some(ResultReason::GeneralFailure));
    assert!(
        item.result_message
            .unwrap_or_default()
            .contains("policy is refuse"),
        "the refusal names the policy"
    );
    // Once refused at one version, refused at every version alike; Discover Versions (from
    // 1.1; Operation Not Supported in 1.0) still answers.
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        let item = c.one(get(&uid)).await;
        assert_eq!(
            item.result_reason,
            Some(ResultReason::GeneralFailure),
            "{v}"
        );
        assert!(
            item.result_message
                .unwrap_or_default()
                .contains("policy is refuse"),
            "the refusal names the policy at {v}"
        );
        c.ok_if_defined(RequestPayload::DiscoverVersions { versions: vec![] })
            .await;
    }
    let r = env.kms.readiness().await;
    assert!(!r.ready);
    assert!(
        r.reasons.iter().any(|s| s.contains("policy refuse")),
        "{r:?}"
    );
    let text = env.metrics();
    for needle in [
        "hsm_loss_policy{policy=\"refuse\"} 1",
        "requests_without_hsm_total{outcome=\"refused\"}",
        "hsm_up 0",
    ] {
        assert!(text.contains(needle), "{needle} missing in:\n{text}");
    }
    // Back: served again without a restart.
    env.hsm.start();
    wait_ready(&env.kms).await;
    for v in ALL_VERSIONS {
        env.client("alice", v).ok(get(&uid)).await;
    }
    env.kms.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_registered_and_counted() {
    let env = Env::start().await;
    // One Create and one failed Get at each version: the counters count operations, whatever
    // the version that asked.
    for v in ALL_VERSIONS {
        let c = env.client("alice", v);
        c.create_aes(128, vec![]).await;
        c.fail(get("nope")).await;
    }
    // The background loop refreshes the store gauges every second: wait (bounded) for it to
    // have seen every object, then read everything at once.
    let mut text = env.metrics();
    for _ in 0..600 {
        if text.contains("store_objects 7\n") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        text = env.metrics();
    }
    for needle in [
        "kms_operations_total{operation=\"Create\",result=\"Success\"} 7\n",
        "kms_operations_total{operation=\"Get\",result=\"not-found\"} 7\n",
        "kms_operation_duration_seconds_count{operation=\"Create\"} 7\n",
        "hsm_up 1",
        "hsm_loss_policy{policy=\"keep-serving\"} 1",
        "store_objects 7\n",
        "hsm_latency_seconds_count",
        "store_file_bytes",
        // The wrapped domain KEK written at first open, then one commit per key (the Creates
        // are sequential, so none share a group).
        "store_commits_total 8\n",
        "store_commit_groups_total 8\n",
        "store_journal_syncs_total",
    ] {
        assert!(text.contains(needle), "{needle} missing in:\n{text}");
    }
    env.kms.shutdown().await;
}
