//! Property tests of the XML encoding: binary TTLV → XML → binary gives the same bytes, for
//! any TTLV tree and for typed messages of every protocol version, and no mutation of an XML
//! document panics the reader or gets past its limits.

mod support;

use keywarden_kmip::message::{RequestMessage, ResponseMessage};
use keywarden_kmip::ttlv::{self, Limits, Ttlv, Value};
use keywarden_kmip::xml::{
    Placeholders, ReadOptions, XmlWriteError, document_to_ttlv, read_document, to_xml,
};
use proptest::prelude::*;

/// True when a Text String of `item` holds U+0000, which XML cannot carry.
fn has_nul(item: &Ttlv) -> bool {
    match &item.value {
        Value::TextString(s) => s.contains('\0'),
        Value::Structure(items) => items.iter().any(has_nul),
        _ => false,
    }
}

/// Binary → TTLV → XML → TTLV → binary, read as a wire reader would (no placeholders).
fn through_xml(bytes: &[u8]) -> Result<Vec<u8>, XmlWriteError> {
    let item = ttlv::decode(bytes, &Limits::default()).expect("valid TTLV");
    let xml = to_xml(&item)?;
    let back = read_document(&xml, &ReadOptions::default())
        .unwrap_or_else(|e| panic!("written XML reads back: {e}\n{xml}"));
    assert_eq!(back.len(), 1, "{xml}");
    Ok(ttlv::encode(&back[0]))
}

/// Binary → XML → binary for an encoded message, also through the test-case reader.
fn message_through_xml(bytes: &[u8]) {
    let again = through_xml(bytes).expect("messages hold no U+0000");
    assert_eq!(again, bytes);
    let item = ttlv::decode(bytes, &Limits::default()).expect("valid TTLV");
    let xml = to_xml(&item).expect("writes");
    let read = document_to_ttlv(&xml, &Placeholders::default()).expect("reads");
    assert_eq!(ttlv::encode(&read[0]), bytes);
}

/// One edit of a document: bytes changed, inserted, removed or repeated, or markup dropped in.
#[derive(Clone, Debug)]
enum Edit {
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index, usize),
    Repeat(prop::sample::Index, usize, usize),
    Markup(prop::sample::Index, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    let markup = prop::sample::select(vec![
        "<",
        ">",
        "/>",
        "</",
        "&",
        "&amp;",
        "&#x0;",
        "&#xFFFFFFFF;",
        "&bogus;",
        "\"",
        "'",
        "=",
        " type=\"Integer\"",
        " value=\"x\"",
        " tag=\"0x540001\"",
        "<TTLV>",
        "<![CDATA[x]]>",
        "<!--",
        "-->",
        "<?xml version=\"1.0\"?>",
        "<!DOCTYPE a [<!ENTITY e \"x\">]>",
        "&e;",
        "<RequestPayload>",
        "</RequestPayload>",
        "\u{0}",
        "\u{feff}",
        "é",
        "$NOW+99999999999",
    ]);
    prop_oneof![
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<prop::sample::Index>(), 1usize..64).prop_map(|(i, n)| Edit::Remove(i, n)),
        (any::<prop::sample::Index>(), 1usize..64, 1usize..8)
            .prop_map(|(i, n, times)| Edit::Repeat(i, n, times)),
        (any::<prop::sample::Index>(), markup).prop_map(|(i, m)| Edit::Markup(i, m)),
    ]
}

fn apply(doc: &mut Vec<u8>, edit: &Edit) {
    if doc.is_empty() {
        doc.push(b'<');
    }
    match edit {
        Edit::Flip(i, b) => {
            let at = i.index(doc.len());
            doc[at] ^= b | 1;
        }
        Edit::Insert(i, b) => {
            let at = i.index(doc.len() + 1);
            doc.insert(at, *b);
        }
        Edit::Remove(i, n) => {
            let at = i.index(doc.len());
            let end = (at + n).min(doc.len());
            doc.drain(at..end);
        }
        Edit::Repeat(i, n, times) => {
            let at = i.index(doc.len());
            let end = (at + n).min(doc.len());
            let piece = doc[at..end].to_vec();
            for _ in 0..*times {
                doc.splice(at..at, piece.iter().copied());
            }
        }
        Edit::Markup(i, m) => {
            let at = i.index(doc.len() + 1);
            doc.splice(at..at, m.bytes());
        }
    }
}

/// Reads `text` under `options`; whatever is read stays within the limits, and is written and
/// read back (under the same options) unchanged.
fn read_within(text: &str, options: &ReadOptions) {
    if let Ok(items) = read_document(text, options) {
        for item in items {
            assert!(ttlv::encoded_len(&item) <= options.limits.max_message);
            let xml = to_xml(&item).expect("what was read can be written");
            let again = read_document(&xml, options).expect("what was written reads back");
            assert_eq!(again, vec![item]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any TTLV tree: every tag (names, extension tags in `TTLV tag=`), every item type and
    /// value, enumerations and masks by name, dates inside and outside the ISO years.
    #[test]
    fn any_ttlv_survives_binary_to_xml_to_binary(item in support::ttlv::item()) {
        let bytes = ttlv::encode(&item);
        match through_xml(&bytes) {
            Ok(again) => prop_assert_eq!(again, bytes),
            Err(XmlWriteError::NulInText { .. }) => prop_assert!(has_nul(&item)),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }

    /// Requests of every version 1.0–2.1, with only what each version has.
    #[test]
    fn requests_survive_binary_to_xml_to_binary(m in support::messages::any_request()) {
        let bytes = m.encode();
        message_through_xml(&bytes);
        let back = RequestMessage::decode(&bytes, &Limits::default()).expect("decodes");
        prop_assert_eq!(back, m);
    }

    /// Responses of every version 1.0–2.1.
    #[test]
    fn responses_survive_binary_to_xml_to_binary(m in support::messages::any_response()) {
        let bytes = m.encode();
        message_through_xml(&bytes);
        let back = ResponseMessage::decode(&bytes, &Limits::default()).expect("decodes");
        prop_assert_eq!(back, m);
    }

    /// Edited documents never panic the reader, under the default limits and small ones, with
    /// and without placeholders.
    #[test]
    fn edited_documents_never_panic_the_reader(
        m in support::messages::any_request(),
        edits in proptest::collection::vec(edit(), 0..8),
    ) {
        let item = ttlv::decode(&m.encode(), &Limits::default()).expect("valid TTLV");
        let mut doc = to_xml(&item).expect("writes").into_bytes();
        for e in &edits {
            apply(&mut doc, e);
        }
        let text = String::from_utf8_lossy(&doc);
        let small = Limits {
            max_message: 512,
            max_depth: 4,
            max_items: 40,
            max_batch: 4,
            max_item_len: 16,
        };
        for options in [
            ReadOptions::default(),
            ReadOptions { limits: small, placeholders: None },
            ReadOptions { limits: Limits::default(), placeholders: Some(Placeholders::default()) },
        ] {
            read_within(&text, &options);
        }
    }

    /// Arbitrary text never panics the reader.
    #[test]
    fn arbitrary_text_never_panics_the_reader(text in "(<|>|/|=|\"|&|[a-zA-Z]|\\PC){0,200}") {
        read_within(&text, &ReadOptions::default());
    }
}
