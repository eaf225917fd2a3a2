//! KMIP protocol versions: the type every other module shares, the versions this crate
//! speaks, and how a request's version is negotiated.
//!
//! A leaf module: it imports nothing from the rest of the crate, so any module may use it
//! without creating a cycle. The wire form (the Protocol Version structure) lives with the
//! payloads that carry it.

/// A KMIP protocol version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolVersion {
    /// Protocol Version Major.
    pub major: i32,
    /// Protocol Version Minor.
    pub minor: i32,
}

impl ProtocolVersion {
    /// True for 2.0 and later, which use the Attributes form instead of Template-Attribute.
    pub fn uses_attributes_form(self) -> bool {
        self.major >= 2
    }

    /// KMIP 1.0.
    pub const V1_0: ProtocolVersion = ProtocolVersion { major: 1, minor: 0 };
    /// KMIP 1.1.
    pub const V1_1: ProtocolVersion = ProtocolVersion { major: 1, minor: 1 };
    /// KMIP 1.2.
    pub const V1_2: ProtocolVersion = ProtocolVersion { major: 1, minor: 2 };
    /// KMIP 1.3.
    pub const V1_3: ProtocolVersion = ProtocolVersion { major: 1, minor: 3 };
    /// KMIP 1.4.
    pub const V1_4: ProtocolVersion = ProtocolVersion { major: 1, minor: 4 };
    /// KMIP 2.0.
    pub const V2_0: ProtocolVersion = ProtocolVersion { major: 2, minor: 0 };
    /// KMIP 2.1.
    pub const V2_1: ProtocolVersion = ProtocolVersion { major: 2, minor: 1 };

    /// Builds a version.
    pub const fn new(major: i32, minor: i32) -> Self {
        ProtocolVersion { major, minor }
    }

    /// True for a version this crate encodes and decodes exactly.
    pub fn is_supported(self) -> bool {
        SUPPORTED_VERSIONS.contains(&self)
    }

    /// The version to process a request of version `self` in.
    ///
    /// Decision (the spec texts we checked do not settle it; Discover Versions is KMIP's own
    /// negotiation): a newer minor of a major we speak is processed and answered in our highest
    /// minor of that major (1.5+ as 1.4, 2.2+ as 2.1), since minors only add fields and values
    /// and clients of a newer minor read the older form. An unknown major cannot be processed:
    /// `Err` carries the version to answer the failure in — 2.1 with Result Reason "Unsupported
    /// Protocol Version" for majors above 2, 1.0 with "Invalid Message" for majors below 1.
    pub fn negotiate(self) -> Result<ProtocolVersion, ProtocolVersion> {
        match self.major {
            1 if self.minor >= 0 => Ok(ProtocolVersion::new(1, self.minor.min(4))),
            2 if self.minor >= 0 => Ok(ProtocolVersion::new(2, self.minor.min(1))),
            m if m > 2 => Err(ProtocolVersion::V2_1),
            _ => Err(ProtocolVersion::V1_0),
        }
    }

    /// True when an enumeration value introduced in `since` exists in this version.
    pub fn has(self, since: (i32, i32)) -> bool {
        (self.major, self.minor) >= since
    }
}

impl std::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Protocol versions supported, most preferred first (the Discover Versions answer).
pub const SUPPORTED_VERSIONS: &[ProtocolVersion] = &[
    ProtocolVersion::V2_1,
    ProtocolVersion::V2_0,
    ProtocolVersion::V1_4,
    ProtocolVersion::V1_3,
    ProtocolVersion::V1_2,
    ProtocolVersion::V1_1,
    ProtocolVersion::V1_0,
];
