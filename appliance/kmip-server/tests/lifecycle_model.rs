//! Property test: random sequences of Activate / Revoke (every reason) / Destroy / Encrypt /
//! Decrypt on one key, checked step by step against a reference model of the KMIP state
//! machine (KMIP 1.4 §3.22 and the 2.1 state table):
//!
//! - Pre-Active: no cryptographic use; Activate → Active; Destroy allowed; a compromise → Compromised.
//! - Active: every use; Revoke (non-compromise) → Deactivated; Destroy refused (revoke first).
//! - Deactivated / Compromised: decrypt only; Destroy → Destroyed / Destroyed Compromised.
//! - Destroyed: no material; a compromise → Destroyed Compromised.
//!
//! Each sequence runs at one version drawn from 1.0 to 2.1, with that version's Result Reasons;
//! before 1.2, which has no Encrypt and Decrypt, those steps are Operation Not Supported.

mod common;

use common::*;
use keywarden_kmip::enums::{
    BlockCipherMode, PaddingMethod, ResultReason, ResultStatus, RevocationReasonCode, State,
};
use keywarden_kmip::message::ProtocolVersion;
use keywarden_kmip::objects::CryptographicParameters;
use keywarden_kmip::payload::RequestPayload;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use zeroize::Zeroizing;

#[derive(Clone, Copy, Debug)]
enum Step {
    Activate,
    Revoke(RevocationReasonCode),
    Destroy,
    Encrypt,
    Decrypt,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Activate),
        prop::sample::select(RevocationReasonCode::ALL.to_vec()).prop_map(Step::Revoke),
        Just(Step::Destroy),
        Just(Step::Encrypt),
        Just(Step::Decrypt),
    ]
}

/// What the model expects of a step.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    WrongState,
    Destroyed,
    /// The request's version lacks the operation.
    Unsupported,
}

/// The reference model: the next state and the outcome of `step` in `state`.
fn model(state: State, step: Step) -> (State, Outcome) {
    use State::*;
    let destroyed = matches!(state, Destroyed | DestroyedCompromised);
    match step {
        Step::Activate => match state {
            PreActive => (Active, Outcome::Ok),
            s => (s, Outcome::WrongState),
        },
        Step::Revoke(RevocationReasonCode::KeyCompromise | RevocationReasonCode::CaCompromise) => {
            let next = if destroyed {
                DestroyedCompromised
            } else {
                Compromised
            };
            (next, Outcome::Ok)
        }
        Step::Revoke(_) => match state {
            Active => (Deactivated, Outcome::Ok),
            Deactivated | Compromised => (state, Outcome::Ok),
            s => (s, Outcome::WrongState),
        },
        Step::Destroy => match state {
            PreActive | Deactivated => (Destroyed, Outcome::Ok),
            Compromised => (DestroyedCompromised, Outcome::Ok),
            Active => (Active, Outcome::WrongState),
            s => (s, Outcome::Destroyed),
        },
        Step::Encrypt => match state {
            Active => (Active, Outcome::Ok),
            s if destroyed => (s, Outcome::Destroyed),
            s => (s, Outcome::WrongState),
        },
        Step::Decrypt => match state {
            Active | Deactivated | Compromised => (state, Outcome::Ok),
            s if destroyed => (s, Outcome::Destroyed),
            s => (s, Outcome::WrongState),
        },
    }
}

fn cbc() -> Option<CryptographicParameters> {
    Some(CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Cbc),
        padding_method: Some(PaddingMethod::None),
        ..Default::default()
    })
}

fn payload(uid: &str, step: Step) -> RequestPayload {
    let uid = Some(uid.to_owned());
    match step {
        Step::Activate => RequestPayload::Activate {
            unique_identifier: uid,
        },
        Step::Revoke(reason) => RequestPayload::Revoke {
            unique_identifier: uid,
            reason,
            message: None,
            compromise_occurrence_date: None,
        },
        Step::Destroy => RequestPayload::Destroy {
            unique_identifier: uid,
        },
        Step::Encrypt => RequestPayload::Encrypt {
            unique_identifier: uid,
            parameters: cbc(),
            data: Zeroizing::new(vec![1u8; 16]),
            iv_counter_nonce: Some(vec![0u8; 16]),
            aad: None,
        },
        Step::Decrypt => RequestPayload::Decrypt {
            unique_identifier: uid,
            parameters: cbc(),
            data: vec![2u8; 16],
            iv_counter_nonce: Some(vec![0u8; 16]),
            aad: None,
            tag: None,
        },
    }
}

fn expected_reason(version: ProtocolVersion, outcome: &Outcome) -> Option<ResultReason> {
    match outcome {
        Outcome::Ok => None,
        Outcome::WrongState => Some(lifecycle_reason(version)),
        Outcome::Destroyed => Some(destroyed_reason(version)),
        Outcome::Unsupported => Some(ResultReason::OperationNotSupported),
    }
}

async fn check(env: &Env, steps: &[Step], version: ProtocolVersion) -> Result<(), TestCaseError> {
    let c = env.client("model", version);
    let uid = c.create_aes(128, vec![]).await;
    let mut state = State::PreActive;
    for (i, s) in steps.iter().enumerate() {
        let request = payload(&uid, *s);
        // Encrypt and Decrypt exist from 1.2 on; before, they are refused and change nothing.
        let (next, outcome) = if has(request.operation(), version) {
            model(state, *s)
        } else {
            (state, Outcome::Unsupported)
        };
        let want = expected_reason(version, &outcome);
        let item = c.one(request).await;
        prop_assert_eq!(
            item.result_reason,
            want,
            "step {} {:?} in {:?} at {}: {:?}",
            i,
            s,
            state,
            version,
            item.result_message
        );
        prop_assert_eq!(
            item.result_status == ResultStatus::Success,
            outcome == Outcome::Ok
        );
        state = next;
        let actual = c.state(&uid).await;
        prop_assert_eq!(actual, state.value(), "state after step {} {:?}", i, s);
    }
    Ok(())
}

#[test]
fn random_lifecycle_sequences_follow_the_state_model() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let env = rt.block_on(Env::start());
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(
        &(
            prop::collection::vec(step(), 1..14),
            prop::sample::select(ALL_VERSIONS.to_vec()),
        ),
        |(steps, version)| rt.block_on(check(&env, &steps, version)),
    );
    rt.block_on(env.kms.shutdown());
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_model_itself_never_leaves_destroyed() {
    // Sanity of the reference model: destroyed states are absorbing except for compromise.
    for s in [State::Destroyed, State::DestroyedCompromised] {
        for st in [
            Step::Activate,
            Step::Destroy,
            Step::Encrypt,
            Step::Decrypt,
            Step::Revoke(RevocationReasonCode::Superseded),
        ] {
            assert_eq!(model(s, st).0, s);
        }
    }
    assert_eq!(
        model(
            State::Destroyed,
            Step::Revoke(RevocationReasonCode::KeyCompromise)
        )
        .0,
        State::DestroyedCompromised
    );
}
