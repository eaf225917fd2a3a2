use super::*;
use crate::tags;
use crate::ttlv::{self, Tag, Value};
use zeroize::Zeroizing;

fn kind(result: Result<impl std::fmt::Debug, XmlError>) -> XmlErrorKind {
    match result {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind,
    }
}

/// Reads without placeholders, as a wire reader would.
fn literal(text: &str) -> Result<Vec<Ttlv>, XmlError> {
    read_document(text, &ReadOptions::default())
}

#[test]
fn iso_dates() {
    assert_eq!(
        parse_iso8601_micros("1970-01-01T00:00:06+00:00"),
        Some(6_000_000)
    );
    assert_eq!(
        parse_iso8601_micros("2000-03-01T00:00:00Z"),
        Some(951_868_800_000_000)
    );
    assert_eq!(
        parse_iso8601_micros("2000-03-01T01:00:00+01:00"),
        Some(951_868_800_000_000)
    );
    assert_eq!(
        parse_iso8601_micros("1970-01-01T00:00:00.5Z"),
        Some(500_000)
    );
    assert_eq!(parse_iso8601_micros("1970-13-01T00:00:00Z"), None);
}

#[test]
fn iso_format_inverts_parse() {
    for t in [0i64, 6, 951_868_800, 1_700_000_000, -86_401, 4_102_444_800] {
        let s = format_iso8601(t);
        assert_eq!(parse_iso8601_micros(&s), Some(t * 1_000_000), "{s}");
    }
    assert_eq!(format_iso8601(i64::MIN), "0x8000000000000000");
}

#[test]
fn now_placeholders_that_overflow_are_errors() {
    let ph = Placeholders::default();
    for (ty, value) in [
        ("DateTime", "$NOW+9223372036854775807"),
        ("DateTime", "$NOW--9223372036854775808"),
        ("DateTimeExtended", "$NOW+9223372036854775807"),
        ("DateTimeExtended", "$NOW+9223372036854"),
    ] {
        let doc = format!(r#"<ActivationDate type="{ty}" value="{value}"/>"#);
        let element = parse(&doc).unwrap();
        let result = to_ttlv(&element, &ph);
        assert!(result.is_err(), "{ty} {value}: {result:?}");
    }
    let element = parse(r#"<ActivationDate type="DateTime" value="$NOW-100"/>"#).unwrap();
    let ttlv = to_ttlv(&element, &ph).unwrap();
    assert!(
        matches!(ttlv.value, Value::DateTime(t) if t == ph.now - 100),
        "{ttlv:?}"
    );
}

#[test]
fn placeholders_are_read_as_written_without_placeholders() {
    let doc = r#"<KMIP>
      <UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>
      <ActivationDate type="DateTime" value="$NOW"/>
    </KMIP>"#;
    let with = document_to_ttlv(doc, &Placeholders::default()).unwrap();
    assert_eq!(with[0].value, Value::TextString("uid-0".into()));
    assert_eq!(with[1].value, Value::DateTime(1_700_000_000));
    let e = literal(doc).unwrap_err();
    assert_eq!((e.line, e.column), (3, 7));
    assert!(matches!(e.kind, XmlErrorKind::BadValue { .. }), "{e}");
    let text = literal(r#"<UniqueIdentifier type="TextString" value="$UNIQUE_IDENTIFIER_0"/>"#);
    assert_eq!(
        text.unwrap()[0].value,
        Value::TextString("$UNIQUE_IDENTIFIER_0".into())
    );
}

#[test]
fn converts_a_small_message() {
    let doc = r#"<KMIP><!-- c -->
      <RequestMessage>
        <RequestHeader>
          <ProtocolVersion>
            <ProtocolVersionMajor type="Integer" value="1"/>
            <ProtocolVersionMinor type="Integer" value="4"/>
          </ProtocolVersion>
          <BatchCount type="Integer" value="1"/>
        </RequestHeader>
        <BatchItem>
          <Operation type="Enumeration" value="Create"/>
          <RequestPayload>
            <ObjectType type="Enumeration" value="SymmetricKey"/>
            <TemplateAttribute>
              <Attribute>
                <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
                <AttributeValue type="Integer" value="Encrypt Decrypt"/>
              </Attribute>
              <Attribute>
                <AttributeName type="TextString" value="Cryptographic Algorithm"/>
                <AttributeValue type="Enumeration" value="AES"/>
              </Attribute>
              <Attribute>
                <AttributeName type="TextString" value="x-&amp;"/>
                <AttributeValue type="DateTime" value="$NOW-3600"/>
              </Attribute>
            </TemplateAttribute>
          </RequestPayload>
        </BatchItem>
      </RequestMessage></KMIP>"#;
    let items = document_to_ttlv(doc, &Placeholders::default()).unwrap();
    assert_eq!(items.len(), 1);
    let m = &items[0];
    assert_eq!(m.tag, tags::REQUEST_MESSAGE);
    let ta = m
        .child(tags::BATCH_ITEM)
        .and_then(|b| b.child(tags::REQUEST_PAYLOAD))
        .and_then(|p| p.child(tags::TEMPLATE_ATTRIBUTE))
        .unwrap();
    let vals: Vec<&Value> = ta
        .children()
        .iter()
        .map(|a| &a.child(tags::ATTRIBUTE_VALUE).unwrap().value)
        .collect();
    assert_eq!(vals[0], &Value::Integer(0x0c));
    assert_eq!(vals[1], &Value::Enumeration(3));
    assert_eq!(vals[2], &Value::DateTime(1_700_000_000 - 3600));
    let name = &ta.children()[2].child(tags::ATTRIBUTE_NAME).unwrap().value;
    assert_eq!(name, &Value::TextString("x-&".into()));
}

#[test]
fn rejects_malformed() {
    let ph = Placeholders::default();
    assert!(matches!(
        kind(document_to_ttlv("<KMIP><RequestMessage></KMIP>", &ph)),
        XmlErrorKind::Malformed(_)
    ));
    assert!(document_to_ttlv("<Nope/>", &ph).unwrap().is_empty());
    assert!(matches!(
        kind(document_to_ttlv(
            r#"<KMIP><BatchCount type="Integer" value="x"/></KMIP>"#,
            &ph
        )),
        XmlErrorKind::BadValue { .. }
    ));
    assert!(matches!(
        kind(document_to_ttlv(
            r#"<KMIP><Operation type="Enumeration" value="Frobnicate"/></KMIP>"#,
            &ph
        )),
        XmlErrorKind::BadValue { .. }
    ));
    assert_eq!(
        kind(document_to_ttlv(
            r#"<KMIP><Unheard type="Integer" value="1"/></KMIP>"#,
            &ph
        )),
        XmlErrorKind::UnknownTag {
            element: "Unheard".into()
        }
    );
    let deep = "<A>".repeat(100);
    assert_eq!(kind(parse(&deep)), XmlErrorKind::TooDeep { max: 34 });
}

#[test]
fn errors_name_the_element_the_attribute_and_the_position() {
    let doc = "<KMIP>\n  <BatchCount type=\"Integer\" value=\"1\"/>\n  <BatchCount type=\"Integr\" value=\"1\"/>\n</KMIP>";
    let e = literal(doc).unwrap_err();
    assert_eq!((e.line, e.column), (3, 3));
    assert_eq!(
        e.kind,
        XmlErrorKind::UnknownType {
            element: "BatchCount".into(),
            value: "Integr".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "XML line 3, column 3: BatchCount: type \"Integr\" is not an item type"
    );
    let cases: Vec<(&str, XmlErrorKind)> = vec![
        (
            r#"<BatchCount type="Integer"/>"#,
            XmlErrorKind::MissingValue {
                element: "BatchCount".into(),
                item_type: ItemType::Integer,
            },
        ),
        (
            r#"<BatchCount type="Integer" value="1" colour="red"/>"#,
            XmlErrorKind::UnknownAttribute {
                element: "BatchCount".into(),
                attribute: "colour".into(),
            },
        ),
        (
            r#"<TTLV tag="0x54zz01" type="Integer" value="1"/>"#,
            XmlErrorKind::BadTag {
                element: "TTLV".into(),
                value: "0x54zz01".into(),
            },
        ),
        (
            r#"<BatchCount type="Integer" value="1"><BatchCount type="Integer" value="1"/></BatchCount>"#,
            XmlErrorKind::ChildrenOfPrimitive {
                element: "BatchCount".into(),
                item_type: ItemType::Integer,
            },
        ),
        (
            r#"<RequestHeader value="1"/>"#,
            XmlErrorKind::ValueOnStructure {
                element: "RequestHeader".into(),
            },
        ),
        (
            r#"<RequestHeader>1</RequestHeader>"#,
            XmlErrorKind::TextContent("1".into()),
        ),
        (
            r#"<RequestHeader><![CDATA[x]]></RequestHeader>"#,
            XmlErrorKind::TextContent("x".into()),
        ),
        ("<!-- nothing -->", XmlErrorKind::NoRoot),
        (
            "<RequestHeader/><RequestHeader/>",
            XmlErrorKind::AfterRoot("RequestHeader".into()),
        ),
        (
            "<RequestHeader>",
            XmlErrorKind::Unclosed("RequestHeader".into()),
        ),
    ];
    for (doc, want) in cases {
        assert_eq!(kind(literal(doc)), want, "{doc}");
    }
    // Key material is not quoted back.
    let secret = literal(r#"<KeyMaterial type="ByteString" value="00112233445566778899zz"/>"#);
    let message = secret.unwrap_err().to_string();
    assert!(!message.contains("0011"), "{message}");
    assert!(message.contains("not a hex digit at 20"), "{message}");
}

#[test]
fn limits_are_those_of_the_binary_decoder() {
    let limits = Limits {
        max_message: 256,
        max_depth: 3,
        max_items: 5,
        max_batch: 1,
        max_item_len: 4,
    };
    let options = ReadOptions {
        limits,
        placeholders: None,
    };
    let read = |doc: &str| read_document(doc, &options);
    let big = format!("<KMIP>{}</KMIP>", " ".repeat(max_document_len(&limits)));
    assert!(matches!(
        kind(read(&big)),
        XmlErrorKind::DocumentTooLarge { .. }
    ));
    let depth = |n: usize| {
        format!(
            "{}{}",
            "<RequestHeader>".repeat(n),
            "</RequestHeader>".repeat(n)
        )
    };
    assert!(read(&depth(3)).is_ok());
    assert!(matches!(
        kind(read(&depth(4))),
        XmlErrorKind::StructureTooDeep { max: 3, .. }
    ));
    assert!(matches!(
        kind(read(&depth(6))),
        XmlErrorKind::TooDeep { max: 5 }
    ));
    let items = |n: usize| {
        format!(
            "<RequestHeader>{}</RequestHeader>",
            r#"<BatchCount type="Integer" value="1"/>"#.repeat(n)
        )
    };
    assert!(read(&items(4)).is_ok());
    assert!(matches!(
        kind(read(&items(5))),
        XmlErrorKind::TooManyItems { max: 5, .. }
    ));
    assert!(matches!(
        kind(read(&items(6))),
        XmlErrorKind::TooManyElements { max: 6 }
    ));
    assert!(read(r#"<Data type="ByteString" value="00112233"/>"#).is_ok());
    assert!(matches!(
        kind(read(r#"<Data type="ByteString" value="0011223344"/>"#)),
        XmlErrorKind::ItemTooLarge { len: 5, max: 4, .. }
    ));
    assert!(matches!(
        kind(read(r#"<Name type="TextString" value="abcde"/>"#)),
        XmlErrorKind::ItemTooLarge { len: 5, .. }
    ));
    let wide = ReadOptions {
        limits: Limits {
            max_message: 16,
            ..Limits::default()
        },
        placeholders: None,
    };
    assert!(matches!(
        kind(read_document(
            r#"<RequestHeader><BatchCount type="Integer" value="1"/></RequestHeader>"#,
            &wide
        )),
        XmlErrorKind::MessageTooLarge {
            len: 24,
            max: 16,
            ..
        }
    ));
}

#[test]
fn big_integer_and_hex_enum() {
    let ph = Placeholders::default();
    let t = document_to_ttlv(
        r#"<KMIP><Modulus type="BigInteger" value="010001"/><OpaqueDataType type="Enumeration" value="0x80000001"/></KMIP>"#,
        &ph,
    )
    .unwrap();
    assert_eq!(
        t[0].value,
        Value::BigInteger(Zeroizing::new(vec![0, 0, 0, 0, 0, 1, 0, 1]))
    );
    assert_eq!(t[1].value, Value::Enumeration(0x8000_0001));
}

#[test]
fn other_spellings_the_profiles_allow() {
    let doc = r#"<KMIP>
      <TTLV tag="CryptographicUsageMask" type="Integer" value="Encrypt|Decrypt"/>
      <CryptographicLength type="Integer" value="0x00000100"/>
      <ActivationDate type="DateTime" value="0x0000000065540000"/>
      <ActivationDate type="DateTime" value="2023-11-14T22:13:20.999Z"/>
      <LeaseTime type="Interval" value="0x10"/>
      <Sensitive type="Boolean" value="1"/>
      <Data type="ByteString" value="0xABcd"/>
    </KMIP>"#;
    let t = literal(doc).unwrap();
    assert_eq!(t[0].tag, tags::CRYPTOGRAPHIC_USAGE_MASK);
    assert_eq!(t[0].value, Value::Integer(0x0c));
    assert_eq!(t[1].value, Value::Integer(256));
    assert_eq!(t[2].value, Value::DateTime(0x6554_0000));
    assert_eq!(t[3].value, Value::DateTime(1_700_000_000));
    assert_eq!(t[4].value, Value::Interval(16));
    assert_eq!(t[5].value, Value::Boolean(true));
    assert_eq!(
        t[6].value,
        Value::ByteString(Zeroizing::new(vec![0xab, 0xcd]))
    );
    // Names are only for the masks.
    assert!(matches!(
        kind(literal(r#"<BatchCount type="Integer" value="Encrypt"/>"#)),
        XmlErrorKind::BadValue { .. }
    ));
}

#[test]
fn an_unknown_root_item_is_read_as_an_item() {
    let t = literal(r#"<TTLV tag="0x540001" type="Integer" value="7"/>"#).unwrap();
    assert_eq!(t, vec![Ttlv::new(Tag(0x540001), Value::Integer(7))]);
}

#[test]
fn xml_writer_inverts_the_reader() {
    let doc = r#"<RequestMessage>
  <BatchItem>
    <Operation type="Enumeration" value="Create"/>
    <RequestPayload>
      <ObjectType type="Enumeration" value="SymmetricKey"/>
      <TemplateAttribute>
        <Attribute>
          <AttributeName type="TextString" value="Cryptographic Usage Mask"/>
          <AttributeValue type="Integer" value="Encrypt Decrypt"/>
        </Attribute>
        <Attribute>
          <AttributeName type="TextString" value="x-a&lt;b"/>
          <AttributeValue type="DateTime" value="2023-11-14T22:13:20+00:00"/>
        </Attribute>
      </TemplateAttribute>
      <TTLV tag="0x540001" type="ByteString" value="00ff"/>
      <AttributeReference type="Enumeration" value="CryptographicAlgorithm"/>
      <Modulus type="BigInteger" value="0000000000010001"/>
      <LinkType type="Enumeration" value="0x80000000"/>
    </RequestPayload>
  </BatchItem>
</RequestMessage>
"#;
    let ph = Placeholders::default();
    let t = document_to_ttlv(doc, &ph).unwrap();
    let written = to_xml(&t[0]).unwrap();
    assert_eq!(written, doc);
    assert_eq!(document_to_ttlv(&written, &ph).unwrap(), t);
}

#[test]
fn the_writer_escapes_what_xml_would_change() {
    let text = "a\tb\nc\r\"<&>'\u{1}é";
    let item = Ttlv::new(tags::NAME_VALUE, Value::TextString(text.into()));
    let written = to_xml(&item).unwrap();
    assert_eq!(
        written,
        "<NameValue type=\"TextString\" value=\"a&#x9;b&#xa;c&#xd;&quot;&lt;&amp;&gt;&apos;&#x1;é\"/>\n"
    );
    assert_eq!(literal(&written).unwrap(), vec![item]);
    // A raw tab or newline in an attribute is a space, as XML says.
    let raw = literal("<NameValue type=\"TextString\" value=\"a\tb\nc\"/>").unwrap();
    assert_eq!(raw[0].value, Value::TextString("a b c".into()));
    let raw_nul = literal("<NameValue type=\"TextString\" value=\"a\0\"/>").unwrap_err();
    assert_eq!((raw_nul.line, raw_nul.column), (1, 38));
    let nul = Ttlv::new(tags::NAME_VALUE, Value::TextString("a\0".into()));
    assert_eq!(
        to_xml(&nul),
        Err(XmlWriteError::NulInText {
            element: "NameValue".into()
        })
    );
}

#[test]
fn dates_outside_iso_years_are_written_in_hex() {
    for value in [
        Value::DateTime(i64::MAX),
        Value::DateTime(i64::MIN),
        Value::DateTime(-62_167_219_201),
        Value::DateTimeExtended(i64::MIN),
        Value::DateTimeExtended(1_700_000_000_123_456),
        Value::Interval(u32::MAX),
        Value::LongInteger(i64::MIN),
        Value::Integer(i32::MIN),
    ] {
        let item = Ttlv::new(tags::ACTIVATION_DATE, value);
        let written = to_xml(&item).unwrap();
        assert_eq!(literal(&written).unwrap(), vec![item], "{written}");
    }
}

#[test]
fn what_the_writer_writes_reads_back_under_the_same_limits() {
    let limits = Limits {
        max_message: 4096,
        ..Limits::default()
    };
    let options = ReadOptions {
        limits,
        placeholders: None,
    };
    // The densest items, as deep as the limits let them be (a structure leaf is one level).
    let nest = |leaf: Ttlv| {
        let leaf_depth = usize::from(matches!(leaf.value, Value::Structure(_)));
        let wrappers = limits.max_depth - 1 - leaf_depth;
        let room = (limits.max_message - 8 * (wrappers + 1)) / ttlv::encoded_len(&leaf);
        let mut item = Ttlv::structure(tags::REQUEST_PAYLOAD, vec![leaf; room]);
        for _ in 0..wrappers {
            item = Ttlv::structure(tags::PRIVATE_PROTECTION_STORAGE_MASKS, vec![item]);
        }
        item
    };
    let masks = nest(Ttlv::new(
        tags::CRYPTOGRAPHIC_USAGE_MASK,
        Value::Integer(-1),
    ));
    let empties = nest(Ttlv::structure(
        tags::PRIVATE_PROTECTION_STORAGE_MASKS,
        vec![],
    ));
    for (item, at_least) in [(masks, 24), (empties, 12)] {
        assert!(ttlv::encoded_len(&item) <= limits.max_message);
        let written = to_xml(&item).unwrap();
        assert!(
            written.len() > limits.max_message * at_least,
            "{}",
            written.len()
        );
        assert!(written.len() <= max_document_len(&limits));
        assert_eq!(read_document(&written, &options).unwrap(), vec![item]);
    }
}
