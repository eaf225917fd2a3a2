//! The authorization file: which identities hold which role.
//!
//! TOML, one `[[grant]]` table per entry:
//!
//! ```toml
//! [[grant]]
//! dn = "CN=admin,O=Example"          # an exact subject DN (RFC 4514)
//! role = "admin"
//!
//! [[grant]]
//! dn = "CN=*,OU=payments,O=Example"  # one value may be the wildcard *
//! role = "crypto-user"
//!
//! [[grant]]
//! san = "email:ops@example.com"      # when the identity is a subject alternative name
//! role = "key-admin"
//! domain = "default"                 # optional; the default domain otherwise
//! ```
//!
//! Lookup: an exact entry wins over wildcard entries; among wildcard entries the first in the
//! file wins. An identity no entry names is a `crypto-user` of the default domain. The same
//! exact DN or SAN twice is an error, as is any unknown key, role or malformed DN.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::dn::{Dn, DnPattern, parse_pattern};
use crate::error::AuthzError;
use crate::identity::{Identity, SanKind};
use crate::role::Role;

/// Largest authorization file read.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Most entries in one file.
pub const MAX_GRANTS: usize = 10_000;

/// What an identity is granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Its role.
    pub role: Role,
    /// The tenant domain it acts in.
    pub domain: String,
}

impl Default for Grant {
    fn default() -> Grant {
        Grant {
            role: Role::CryptoUser,
            domain: crate::DEFAULT_DOMAIN.to_owned(),
        }
    }
}

/// A validated authorization file.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    exact: HashMap<Identity, Grant>,
    wildcards: Vec<(DnPattern, Grant)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    grant: Vec<toml::Spanned<Entry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    dn: Option<String>,
    san: Option<String>,
    role: String,
    domain: Option<String>,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .get(..offset.min(text.len()))
        .map_or(0, |b| b.iter().filter(|c| **c == b'\n').count())
        + 1
}

impl Policy {
    /// Reads and validates a file; any problem names the line and the reason.
    pub fn load(path: &Path) -> Result<Policy, AuthzError> {
        let read = |source| AuthzError::Read {
            path: path.to_path_buf(),
            source,
        };
        let len = std::fs::metadata(path).map_err(read)?.len();
        if len > MAX_FILE_BYTES {
            return Err(AuthzError::TooLarge {
                path: path.to_path_buf(),
                len,
                max: MAX_FILE_BYTES,
            });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        Policy::parse(&text, path)
    }

    /// Validates the text of a file (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Policy, AuthzError> {
        let invalid = |offset: usize, reason: String| AuthzError::Invalid {
            path: PathBuf::from(path),
            line: line_of(text, offset),
            reason,
        };
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(AuthzError::TooLarge {
                path: path.to_path_buf(),
                len: text.len() as u64,
                max: MAX_FILE_BYTES,
            });
        }
        let file: File = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            invalid(offset, e.message().to_owned())
        })?;
        if file.grant.len() > MAX_GRANTS {
            return Err(invalid(
                0,
                format!(
                    "{} grants, more than the limit of {MAX_GRANTS}",
                    file.grant.len()
                ),
            ));
        }
        let mut policy = Policy::default();
        for spanned in file.grant {
            let at = spanned.span().start;
            let entry = spanned.into_inner();
            let role = Role::ALL
                .into_iter()
                .find(|r| r.as_str() == entry.role)
                .ok_or_else(|| {
                    let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                    invalid(
                        at,
                        format!("role {:?} is not one of {}", entry.role, names.join(", ")),
                    )
                })?;
            let domain = match entry.domain {
                Some(d) if d.trim().is_empty() => {
                    return Err(invalid(at, "domain is empty".to_owned()));
                }
                Some(d) => d,
                None => crate::DEFAULT_DOMAIN.to_owned(),
            };
            let grant = Grant { role, domain };
            let identity = match (entry.dn, entry.san) {
                (Some(dn), None) => {
                    let pattern =
                        parse_pattern(&dn).map_err(|e| invalid(at, format!("dn {dn:?}: {e}")))?;
                    if pattern.has_wildcard() {
                        policy.wildcards.push((pattern, grant));
                        continue;
                    }
                    match pattern.exact() {
                        Some(exact) => Identity::Dn(exact),
                        None => return Err(invalid(at, format!("dn {dn:?} is empty"))),
                    }
                }
                (None, Some(san)) => {
                    let (kind, value) = san
                        .split_once(':')
                        .and_then(|(k, v)| Some((SanKind::from_name(k)?, v)))
                        .ok_or_else(|| {
                            invalid(
                                at,
                                format!("san {san:?} is not email:..., dns:... or uri:..."),
                            )
                        })?;
                    if value.is_empty() {
                        return Err(invalid(at, format!("san {san:?} has an empty value")));
                    }
                    Identity::San(kind, value.to_owned())
                }
                (Some(_), Some(_)) => {
                    return Err(invalid(
                        at,
                        "a grant has either dn or san, not both".to_owned(),
                    ));
                }
                (None, None) => {
                    return Err(invalid(at, "a grant needs dn or san".to_owned()));
                }
            };
            let shown = identity.to_string();
            if policy.exact.insert(identity, grant).is_some() {
                return Err(invalid(at, format!("{shown:?} is granted twice")));
            }
        }
        Ok(policy)
    }

    /// What `identity` is granted: its exact entry, else the first matching wildcard entry,
    /// else the default (`crypto-user` of the default domain).
    pub fn grant(&self, identity: &Identity) -> Grant {
        if let Some(g) = self.exact.get(identity) {
            return g.clone();
        }
        if let Identity::Dn(dn) = identity
            && let Some((_, g)) = self.wildcards.iter().find(|(p, _)| p.matches(dn))
        {
            return g.clone();
        }
        Grant::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.exact.len() + self.wildcards.len()
    }

    /// True when the file grants nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text of a file granting `role` to each exact DN, in order (what `kmsd dev` writes).
    pub fn render(grants: &[(&Dn, Role)]) -> String {
        let mut out = String::from(
            "# Keywarden authorization file: one [[grant]] per identity.\n\
             # role: admin, key-admin, crypto-user or auditor; dn: exact RFC 4514 subject DN,\n\
             # or one with a single wildcard value (CN=*,O=Example). Unlisted identities are\n\
             # crypto-users.\n",
        );
        for (dn, role) in grants {
            let dn = dn.to_string();
            let quoted = toml_basic_string(&dn);
            out.push_str(&format!("\n[[grant]]\ndn = {quoted}\nrole = \"{role}\"\n"));
        }
        out
    }
}

/// `s` as a TOML basic string.
fn toml_basic_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dn::{DnAttribute, Rdn};
    use proptest::prelude::*;

    fn dn(s: &str) -> Identity {
        Identity::Dn(s.parse().unwrap())
    }

    fn parse(text: &str) -> Result<Policy, AuthzError> {
        Policy::parse(text, Path::new("authz.toml"))
    }

    fn error_line(text: &str) -> (usize, String) {
        match parse(text) {
            Err(AuthzError::Invalid { line, reason, .. }) => (line, reason),
            other => panic!("expected an invalid-line error, got {other:?}"),
        }
    }

    #[test]
    fn exact_wins_over_wildcard_and_the_first_wildcard_wins() {
        let p = parse(
            r#"
[[grant]]
dn = "CN=*,OU=apps,O=Example"
role = "key-admin"

[[grant]]
dn = "CN=billing,OU=*,O=Example"
role = "auditor"

[[grant]]
dn = "CN=billing,OU=apps,O=Example"
role = "admin"

[[grant]]
san = "email:ops@example.com"
role = "auditor"
domain = "payments"
"#,
        )
        .unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(
            p.grant(&dn("CN=billing,OU=apps,O=Example")).role,
            Role::Admin
        );
        assert_eq!(
            p.grant(&dn("CN=web,OU=apps,O=Example")).role,
            Role::KeyAdmin
        );
        assert_eq!(
            p.grant(&dn("CN=billing,OU=ops,O=Example")).role,
            Role::Auditor
        );
        let san = p.grant(&Identity::San(SanKind::Email, "ops@example.com".to_owned()));
        assert_eq!(
            san,
            Grant {
                role: Role::Auditor,
                domain: "payments".to_owned()
            }
        );
        // Nothing matches: a crypto-user. CN alone is never enough.
        assert_eq!(p.grant(&dn("CN=billing,O=Example")), Grant::default());
        assert_eq!(p.grant(&dn("CN=billing,OU=apps,O=Evil")), Grant::default());
    }

    #[test]
    fn every_invalid_entry_names_its_line_and_reason() {
        let (line, reason) = error_line("\n\n[[grant]]\ndn = \"CN=a\"\nrole = \"root\"\n");
        assert_eq!(line, 3, "{reason}");
        assert!(
            reason.contains("\"root\"") && reason.contains("crypto-user"),
            "{reason}"
        );
        let (line, reason) = error_line(
            "[[grant]]\ndn = \"CN=a\"\nrole = \"admin\"\n\n[[grant]]\ndn = \"XX=b\"\nrole = \"admin\"\n",
        );
        assert_eq!(line, 5, "{reason}");
        assert!(reason.contains("XX"), "{reason}");
        let (line, reason) = error_line("[[grant]]\ndn = \"CN=a\"\nrole = \"admin\"\nowner = 1\n");
        assert_eq!(line, 4, "{reason}");
        assert!(reason.contains("owner"), "{reason}");
        let (line, reason) = error_line(
            "[[grant]]\ndn = \"CN=a\"\nrole = \"admin\"\n[[grant]]\ndn = \"cn=a\"\nrole = \"auditor\"\n",
        );
        assert_eq!(line, 4, "{reason}");
        assert!(reason.contains("twice"), "{reason}");
        let (line, reason) = error_line("[[grant]]\nrole = \"admin\"\n");
        assert_eq!(line, 1, "{reason}");
        assert!(reason.contains("dn or san"), "{reason}");
        let (_, reason) = error_line("[[grant]]\ndn = \"CN=*,O=*\"\nrole = \"admin\"\n");
        assert!(reason.contains("one wildcard"), "{reason}");
        let (_, reason) = error_line("[[grant]]\nsan = \"ip:1.2.3.4\"\nrole = \"admin\"\n");
        assert!(reason.contains("email:"), "{reason}");
        let (line, _) =
            error_line("[[grant]]\ndn = \"CN=a\"\nrole = \"admin\"\n\nthis is not toml\n");
        assert_eq!(line, 5);
    }

    #[test]
    fn an_empty_file_grants_nothing_and_a_large_one_is_refused() {
        let p = parse("# nothing yet\n").unwrap();
        assert!(p.is_empty());
        assert_eq!(p.grant(&dn("CN=admin")), Grant::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(matches!(
            Policy::load(&path),
            Err(AuthzError::TooLarge { .. })
        ));
        let missing = dir.path().join("missing.toml");
        let e = Policy::load(&missing).unwrap_err().to_string();
        assert!(e.contains("missing.toml"), "{e}");
    }

    #[test]
    fn a_rendered_file_loads_back_to_the_same_grants() {
        let admin: Dn = "CN=admin,O=Keywarden dev".parse().unwrap();
        let odd = Dn(vec![Rdn(vec![
            DnAttribute::text("CN", "quote \" and \\ and, comma").unwrap(),
        ])]);
        let text = Policy::render(&[(&admin, Role::Admin), (&odd, Role::Auditor)]);
        let p = parse(&text).unwrap();
        assert_eq!(p.grant(&Identity::Dn(admin)).role, Role::Admin);
        assert_eq!(p.grant(&Identity::Dn(odd)).role, Role::Auditor);
    }

    proptest! {
        #[test]
        fn any_text_loads_or_fails_with_a_line_never_a_panic(text in "\\PC{0,400}") {
            match parse(&text) {
                Ok(_) | Err(AuthzError::Invalid { .. }) => {}
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
            }
        }
    }
}
