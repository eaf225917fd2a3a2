//! Every request and response payload variant survives encode → binary TTLV → decode at every
//! protocol version from 1.0 to 2.1: the 1.x forms (Template-Attribute, Attribute Name) and the
//! 2.x forms (Attributes, Attribute Reference, New/Current Attribute), each payload drawn with
//! only the operations, fields and values its version has (see `support::messages`).

mod support;

use keywarden_kmip::attributes::{Attribute, Attributes};
use keywarden_kmip::enums::*;
use keywarden_kmip::message::{ProtocolVersion, RequestMessage, ResponseMessage};
use keywarden_kmip::payload::{RequestPayload, ResponsePayload};
use keywarden_kmip::tags;
use keywarden_kmip::ttlv::{Limits, Ttlv, Value};
use proptest::collection::vec;
use proptest::prelude::*;
use support::messages::{request, request_payload, response, response_payload};

const V14: ProtocolVersion = ProtocolVersion::V1_4;
const V21: ProtocolVersion = ProtocolVersion::V2_1;

fn request_round_trip(ver: ProtocolVersion, payloads: Vec<RequestPayload>) {
    let msg = request(ver, payloads);
    let back = RequestMessage::decode(&msg.encode(), &Limits::default()).expect("decodes");
    assert_eq!(back, msg);
}

fn response_round_trip(ver: ProtocolVersion, items: Vec<(Operation, ResponsePayload)>) {
    let msg = response(ver, items);
    let back = ResponseMessage::decode(&msg.encode(), &Limits::default()).expect("decodes");
    assert_eq!(back, msg);
}

/// A request and a response property for each version, so that every version is tested on
/// every run whatever the random draw.
macro_rules! round_trips_at {
    ($($requests:ident, $responses:ident => $ver:expr;)+) => {
        proptest! {
            #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]
            $(
                #[test]
                fn $requests(p in vec(request_payload($ver), 1..4)) {
                    request_round_trip($ver, p);
                }

                #[test]
                fn $responses(p in vec(response_payload($ver), 1..4)) {
                    response_round_trip($ver, p);
                }
            )+
        }
    };
}

round_trips_at! {
    requests_round_trip_1_0, responses_round_trip_1_0 => ProtocolVersion::V1_0;
    requests_round_trip_1_1, responses_round_trip_1_1 => ProtocolVersion::V1_1;
    requests_round_trip_1_2, responses_round_trip_1_2 => ProtocolVersion::V1_2;
    requests_round_trip_1_3, responses_round_trip_1_3 => ProtocolVersion::V1_3;
    requests_round_trip_1_4, responses_round_trip_1_4 => ProtocolVersion::V1_4;
    requests_round_trip_2_0, responses_round_trip_2_0 => ProtocolVersion::V2_0;
    requests_round_trip_2_1, responses_round_trip_2_1 => ProtocolVersion::V2_1;
}

#[test]
fn every_supported_version_has_a_round_trip_property() {
    // The macro call above lists one line per version; this catches a version added later.
    assert_eq!(keywarden_kmip::message::SUPPORTED_VERSIONS.len(), 7);
}

/// The attribute forms on the wire are the version's: checked on the encoded TTLV.
#[test]
fn create_uses_the_version_form() {
    let mut a = Attributes::new();
    a.push(Attribute::enumeration(
        "Cryptographic Algorithm",
        CryptographicAlgorithm::Aes,
    ));
    a.push(Attribute::new("x-ID", Value::TextString("k".into())));
    let p = RequestPayload::Create {
        object_type: ObjectType::SymmetricKey,
        attributes: a,
    };
    let t14 = p.to_ttlv(V14);
    assert!(t14.child(tags::TEMPLATE_ATTRIBUTE).is_some());
    assert!(t14.child(tags::ATTRIBUTES).is_none());
    let t21 = p.to_ttlv(V21);
    let attrs = t21.child(tags::ATTRIBUTES).expect("2.1 uses Attributes");
    assert_eq!(
        attrs.child(tags::CRYPTOGRAPHIC_ALGORITHM).map(|t| &t.value),
        Some(&Value::Enumeration(CryptographicAlgorithm::Aes.value()))
    );
    let vendor = attrs
        .child(tags::ATTRIBUTE)
        .expect("custom attribute as vendor Attribute");
    assert_eq!(
        vendor.child(tags::VENDOR_IDENTIFICATION).map(|t| &t.value),
        Some(&Value::TextString("x".into()))
    );
    assert_eq!(
        vendor.child(tags::ATTRIBUTE_NAME).map(|t| &t.value),
        Some(&Value::TextString("ID".into()))
    );
}

#[test]
fn get_attributes_response_uses_the_version_form() {
    let mut a = Attributes::new();
    a.push(Attribute::new("Cryptographic Length", Value::Integer(128)));
    let p = ResponsePayload::GetAttributes {
        unique_identifier: "1".into(),
        attributes: a,
    };
    let t14: Ttlv = p.to_ttlv(V14);
    assert!(t14.child(tags::ATTRIBUTE).is_some());
    let t21 = p.to_ttlv(V21);
    assert!(
        t21.child(tags::ATTRIBUTES)
            .and_then(|a| a.child(tags::CRYPTOGRAPHIC_LENGTH))
            .is_some()
    );
}

#[test]
fn query_answers_only_what_the_version_knows() {
    let p = ResponsePayload::Query {
        operations: vec![Operation::Get, Operation::SetAttribute],
        object_types: vec![ObjectType::SymmetricKey, ObjectType::CertificateRequest],
        vendor_identification: None,
        server_information: None,
    };
    let ops = |v: ProtocolVersion| p.to_ttlv(v).children_with(tags::OPERATION).count();
    let types = |v: ProtocolVersion| p.to_ttlv(v).children_with(tags::OBJECT_TYPE).count();
    assert_eq!((ops(V14), types(V14)), (1, 1));
    assert_eq!((ops(V21), types(V21)), (2, 2));
}
