//! The tag table is complete: every element name in the OASIS KMIP XML test cases of protocol
//! 1.3–2.1 is a tag `tags::by_name` knows, and every `type` attribute is an item type.
//!
//! The test cases are read in place from `../shared/kmip-test-cases` beside the workspace
//! (override with `KW_KMIP_TEST_CASES`); they are OASIS material and are not copied into this repository.
//! The `v3.0` folder is skipped on purpose: KMIP 3.0 tags are outside this crate's scope.

use keywarden_kmip::tags;
use keywarden_kmip::ttlv::ItemType;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const VERSIONS: [&str; 4] = ["v1.3", "v1.4", "v2.0", "v2.1"];

/// Elements of the test-case files that frame the messages rather than being KMIP tags.
fn is_framing(name: &str) -> bool {
    name == "KMIP" || name.starts_with("TestCase")
}

/// Placeholder types the test cases use for values filled in at run time.
const PLACEHOLDER_TYPES: [&str; 3] = ["Identifier", "Reference", "NameReference"];

fn root() -> PathBuf {
    // The workspace's sibling folder `../shared/kmip-test-cases`, as the developer guide places it.
    std::env::var_os("KW_KMIP_TEST_CASES").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/kmip-test-cases"),
        PathBuf::from,
    )
}

/// Every `*.xml` file under `dir`, depth-first, at most 16 levels down.
fn xml_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    assert!(depth < 16, "directory tree too deep at {}", dir.display());
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            xml_files(&path, depth + 1, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            out.push(path);
        }
    }
}

/// Names of opening tags (`<Name ...>`), skipping comments, declarations and closing tags.
fn element_names(xml: &str, out: &mut BTreeSet<String>) {
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with("!--") {
            match rest.find("-->") {
                Some(end) => rest = &rest[end + 3..],
                None => break,
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
}

/// Values of `type="..."` attributes.
fn type_attributes(xml: &str, out: &mut BTreeSet<String>) {
    for piece in xml.split(" type=\"").skip(1) {
        if let Some(end) = piece.find('"') {
            out.insert(piece[..end].to_owned());
        }
    }
}

#[test]
fn every_element_of_the_oasis_test_cases_is_a_known_tag() {
    let root = root();
    assert!(
        root.is_dir(),
        "KMIP test cases not found at {} (set KW_KMIP_TEST_CASES)",
        root.display()
    );
    let mut files = Vec::new();
    for version in VERSIONS {
        xml_files(&root.join(version), 0, &mut files);
    }
    assert!(
        files.len() > 200,
        "only {} test-case files found",
        files.len()
    );

    let mut names = BTreeSet::new();
    let mut types = BTreeSet::new();
    for file in &files {
        let xml =
            std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        element_names(&xml, &mut names);
        type_attributes(&xml, &mut types);
    }
    names.retain(|n| !is_framing(n));
    assert!(
        names.len() > 100,
        "only {} element names found",
        names.len()
    );

    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| tags::by_name(n).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "element names missing from the tag table: {unknown:?}"
    );
    for n in &names {
        let tag = tags::by_name(n).expect("checked above");
        assert_eq!(
            tags::name(tag),
            Some(n.as_str()),
            "name and by_name disagree for {n}"
        );
    }

    let item_types: BTreeSet<&str> = (0u8..=0xFF)
        .filter_map(ItemType::from_byte)
        .map(ItemType::name)
        .collect();
    let strange: Vec<&String> = types
        .iter()
        .filter(|t| !item_types.contains(t.as_str()) && !PLACEHOLDER_TYPES.contains(&t.as_str()))
        .collect();
    assert!(
        strange.is_empty(),
        "type attributes that are not item types: {strange:?}"
    );
}

#[test]
fn the_name_scanner_finds_names_and_skips_comments() {
    let mut names = BTreeSet::new();
    element_names(
        "<?xml version=\"1.0\"?><KMIP><!-- <NotATag> --><RequestMessage><BatchCount type=\"Integer\" value=\"1\"/></RequestMessage></KMIP>",
        &mut names,
    );
    let found: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(found, ["BatchCount", "KMIP", "RequestMessage"]);
}
