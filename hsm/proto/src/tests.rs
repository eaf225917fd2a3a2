use proptest::prelude::*;
use zeroize::Zeroizing;

use super::*;

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt.block_on(f),
        Err(e) => panic!("cannot build a test runtime: {e}"),
    }
}

fn arb_request() -> impl Strategy<Value = Request> {
    prop_oneof![
        any::<u16>().prop_map(|version| Request::Hello { version }),
        Just(()).prop_map(|()| Request::Health),
        (".{0,40}", proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(domain, kek)| {
            Request::WrapKek {
                domain,
                kek: Zeroizing::new(kek),
            }
        }),
        (".{0,40}", proptest::collection::vec(any::<u8>(), 0..128))
            .prop_map(|(domain, blob)| Request::UnwrapKek { domain, blob }),
        any::<u32>().prop_map(|len| Request::Random { len }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(node, epoch)| Request::CreateEpochKey { node, epoch }),
        (
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..64)
        )
            .prop_map(|(node, epoch, key)| Request::WrapEpochDataKey {
                node,
                epoch,
                key: Zeroizing::new(key),
            }),
        (
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..128)
        )
            .prop_map(|(node, epoch, blob)| Request::UnwrapEpochDataKey {
                node,
                epoch,
                blob
            }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(node, epoch)| Request::DestroyEpochKey { node, epoch }),
        Just(()).prop_map(|()| Request::ListEpochKeys),
    ]
}

fn arb_bridge_error() -> impl Strategy<Value = BridgeError> {
    prop_oneof![
        ".{0,40}".prop_map(BridgeError::TokenUnavailable),
        Just(BridgeError::UnwrapFailed),
        ".{0,40}".prop_map(BridgeError::BadRequest),
        ".{0,40}".prop_map(BridgeError::Pkcs11),
        (any::<u64>(), any::<u64>())
            .prop_map(|(node, epoch)| BridgeError::EpochKeyMissing { node, epoch }),
        (any::<u64>(), any::<u64>())
            .prop_map(|(node, epoch)| BridgeError::EpochKeyExists { node, epoch }),
    ]
}

fn arb_response() -> impl Strategy<Value = Response> {
    prop_oneof![
        (any::<u16>(), ".{0,40}").prop_map(|(version, token)| Response::Hello { version, token }),
        (any::<bool>(), proptest::option::of(".{0,40}"), any::<u64>()).prop_map(
            |(ok, reason, latency_us)| Response::Health(HealthReport {
                ok,
                reason,
                latency_us
            })
        ),
        proptest::collection::vec(any::<u8>(), 0..128).prop_map(|blob| Response::Wrapped { blob }),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|kek| Response::Unwrapped {
            kek: Zeroizing::new(kek)
        }),
        proptest::collection::vec(any::<u8>(), 0..256).prop_map(|bytes| Response::Random { bytes }),
        arb_bridge_error().prop_map(Response::Error),
        Just(()).prop_map(|()| Response::EpochKeyCreated),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|key| Response::DataKey {
            key: Zeroizing::new(key)
        }),
        any::<bool>().prop_map(|existed| Response::EpochKeyDestroyed { existed }),
        proptest::collection::vec((any::<u64>(), any::<u64>()), 0..8).prop_map(|keys| {
            Response::EpochKeys {
                keys: keys
                    .into_iter()
                    .map(|(node, epoch)| EpochKeyId { node, epoch })
                    .collect(),
            }
        }),
    ]
}

proptest! {
    #[test]
    fn request_round_trips(req in arb_request()) {
        let frame = encode_frame(&req)?;
        let back: Request = decode_frame(&frame)?;
        prop_assert_eq!(&back, &req);
        let mut reader: &[u8] = &frame;
        let read: Option<Request> = block_on(read_message(&mut reader))?;
        prop_assert_eq!(read.as_ref(), Some(&req));
        prop_assert!(reader.is_empty());
    }

    #[test]
    fn frames_are_built_in_one_exact_allocation(resp in arb_response()) {
        // Same bytes as postcard's growing encoder, but in a buffer sized up front (no
        // reallocation left partial KEK bytes behind).
        let frame = encode_frame(&resp)?;
        prop_assert_eq!(frame.capacity(), frame.len());
        let reference = postcard::to_stdvec(&resp).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let len = u32::try_from(reference.len()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(frame.get(..LEN_PREFIX), Some(&len.to_be_bytes()[..]));
        prop_assert_eq!(frame.get(LEN_PREFIX..), Some(&reference[..]));
    }

    #[test]
    fn response_round_trips(resp in arb_response()) {
        let mut wire = Vec::new();
        block_on(write_message(&mut wire, &resp))?;
        let back: Response = decode_frame(&wire)?;
        prop_assert_eq!(back, resp);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_frame::<Request>(&bytes);
        let _ = decode_frame::<Response>(&bytes);
        let _ = decode_body::<Request>(&bytes);
        let _ = decode_body::<Response>(&bytes);
        let mut reader: &[u8] = &bytes;
        let _ = block_on(read_message::<_, Request>(&mut reader));
        let mut reader: &[u8] = &bytes;
        let _ = block_on(read_message::<_, Response>(&mut reader));
    }

    #[test]
    fn random_length_prefix_is_bounded(
        len in prop_oneof![0u32..80, (MAX_FRAME as u32 - 2)..(MAX_FRAME as u32 + 2), any::<u32>()], tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut bytes = len.to_be_bytes().to_vec();
        bytes.extend_from_slice(&tail);
        let mut reader: &[u8] = &bytes;
        let got = block_on(read_frame(&mut reader));
        let len = len as usize;
        match got {
            Err(ProtoError::FrameTooLarge { len: l }) => prop_assert!(len > MAX_FRAME && l == len),
            Err(ProtoError::Io(e)) => {
                prop_assert!(len <= MAX_FRAME && len > tail.len());
                prop_assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
            }
            Ok(Some(body)) => prop_assert_eq!(&body[..], tail.get(..len).unwrap_or_default()),
            other => prop_assert!(false, "unexpected {:?}", other.map(|o| o.map(|b| b.len()))),
        }
    }
}

#[test]
fn oversized_prefix_is_refused_before_reading_the_body() {
    let bytes = u32::MAX.to_be_bytes();
    let mut reader: &[u8] = &bytes;
    let got = block_on(read_frame(&mut reader));
    assert!(matches!(got, Err(ProtoError::FrameTooLarge { len }) if len == u32::MAX as usize));
}

#[test]
fn clean_eof_is_none_and_eof_inside_prefix_is_an_error() {
    let mut empty: &[u8] = &[];
    assert!(matches!(block_on(read_frame(&mut empty)), Ok(None)));
    let mut short: &[u8] = &[0, 0];
    assert!(matches!(
        block_on(read_frame(&mut short)),
        Err(ProtoError::Io(_))
    ));
}

#[test]
fn oversized_message_is_refused_on_encode() {
    let resp = Response::Random {
        bytes: vec![0; MAX_FRAME + 1],
    };
    assert!(matches!(
        encode_frame(&resp),
        Err(ProtoError::FrameTooLarge { .. })
    ));
}

#[test]
fn trailing_bytes_are_refused() {
    let mut frame = encode_frame(&Request::Health)
        .map(|f| f.to_vec())
        .unwrap_or_default();
    assert!(!frame.is_empty());
    frame.push(0);
    let last = frame.len() - 4;
    frame.splice(0..4, u32::try_from(last).unwrap_or_default().to_be_bytes());
    assert!(matches!(
        decode_frame::<Request>(&frame),
        Err(ProtoError::Decode(_))
    ));
}

#[test]
fn debug_redacts_keys() {
    let req = Request::WrapKek {
        domain: "d".into(),
        kek: Zeroizing::new(vec![0xAB; 32]),
    };
    assert!(!format!("{req:?}").contains("171"));
    let resp = Response::Unwrapped {
        kek: Zeroizing::new(vec![0xAB; 32]),
    };
    assert!(!format!("{resp:?}").contains("171"));
    let req = Request::WrapEpochDataKey {
        node: 1,
        epoch: 2,
        key: Zeroizing::new(vec![0xAB; 32]),
    };
    assert!(!format!("{req:?}").contains("171"));
    let resp = Response::DataKey {
        key: Zeroizing::new(vec![0xAB; 32]),
    };
    assert!(!format!("{resp:?}").contains("171"));
}

#[test]
fn version_1_tags_are_unchanged() {
    // A version-1 peer encodes these; appending the v2 variants must not renumber them.
    let tags = |v: &[u8]| v.first().copied();
    let frame = postcard::to_stdvec(&Request::Random { len: 1 }).unwrap_or_default();
    assert_eq!(tags(&frame), Some(4));
    let frame = postcard::to_stdvec(&Response::Error(BridgeError::Pkcs11(String::new())))
        .unwrap_or_default();
    assert_eq!(frame.get(..2), Some(&[5u8, 3][..]));
    let frame = postcard::to_stdvec(&Request::ListEpochKeys).unwrap_or_default();
    assert_eq!(tags(&frame), Some(9));
}
