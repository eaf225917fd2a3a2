//! Typed KMIP enumerations and bit masks of protocol versions 1.0 to 2.1.
//!
//! Every enumeration knows its wire value, its spelling in the KMIP XML encoding (the
//! spec name normalised as in KMIP Profiles 5.4.1.1, e.g. "HMAC_SHA256", "SymmetricKey"),
//! and the first protocol version that defines it. Values are taken from the KMIP 1.4
//! and 2.0 specification tables, with the KMIP 2.1 additions to Operation and Result Reason.

/// Declares a KMIP enumeration: a `u32`-valued Rust enum with wire value, XML spec name and
/// the protocol version (major, minor) that introduced each variant.
macro_rules! kmip_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $value:literal, $spec:literal, ($maj:literal, $min:literal);
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant = $value,
            )+
        }

        impl $name {
            /// Every variant, in ascending value order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire value.
            pub const fn value(self) -> u32 {
                self as u32
            }

            /// The variant with wire value `value`, if defined.
            pub const fn from_value(value: u32) -> Option<Self> {
                match value {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The spelling used by the KMIP XML encoding (e.g. "SymmetricKey").
            pub const fn spec_name(self) -> &'static str {
                match self {
                    $($name::$variant => $spec,)+
                }
            }

            /// Parses the XML spelling; also accepts it case-insensitively with
            /// underscores, spaces and hyphens ignored (as spelled by some clients).
            pub fn from_spec_name(name: &str) -> Option<Self> {
                match name {
                    $($spec => return Some($name::$variant),)+
                    _ => {}
                }
                let wanted = $crate::enums::loose_name(name);
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| $crate::enums::loose_name(v.spec_name()) == wanted)
            }

            /// The first protocol version (major, minor) that defines this value.
            pub const fn since(self) -> (i32, i32) {
                match self {
                    $($name::$variant => ($maj, $min),)+
                }
            }

            /// True when this value exists in protocol version `major.minor`.
            pub const fn exists_in(self, major: i32, minor: i32) -> bool {
                let (m, n) = self.since();
                major > m || (major == m && minor >= n)
            }
        }

        impl $crate::enums::KmipEnum for $name {
            const NAME: &'static str = stringify!($name);
            fn value(self) -> u32 {
                $name::value(self)
            }
            fn from_value(value: u32) -> Option<Self> {
                $name::from_value(value)
            }
            fn spec_name(self) -> &'static str {
                $name::spec_name(self)
            }
            fn from_spec_name(name: &str) -> Option<Self> {
                $name::from_spec_name(name)
            }
            fn all() -> &'static [Self] {
                $name::ALL
            }
            fn since(self) -> (i32, i32) {
                $name::since(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.spec_name())
            }
        }

        impl TryFrom<u32> for $name {
            type Error = u32;
            fn try_from(value: u32) -> Result<Self, u32> {
                Self::from_value(value).ok_or(value)
            }
        }

        impl From<$name> for u32 {
            fn from(value: $name) -> u32 {
                value.value()
            }
        }
    };
}

/// What every KMIP enumeration offers, for code generic over enumerations.
pub trait KmipEnum: Copy + Sized + 'static {
    /// The Rust type name (e.g. "CryptographicAlgorithm").
    const NAME: &'static str;
    /// The wire value.
    fn value(self) -> u32;
    /// The variant with wire value `value`, if defined.
    fn from_value(value: u32) -> Option<Self>;
    /// The XML spelling.
    fn spec_name(self) -> &'static str;
    /// Parses the XML spelling (leniently).
    fn from_spec_name(name: &str) -> Option<Self>;
    /// Every variant, in ascending value order.
    fn all() -> &'static [Self];
    /// The first protocol version (major, minor) that defines this value.
    fn since(self) -> (i32, i32);
}

/// Lower-cases a spec name and drops separators, for lenient name matching.
pub(crate) fn loose_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | ' ' | '-' | '.' | '/' | '#'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Declares a KMIP bit mask as a `u32` newtype with one constant per flag.
macro_rules! kmip_mask {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$vmeta:meta])*
                $flag:ident = $value:literal, $spec:literal;
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
        pub struct $name(pub u32);

        impl $name {
            $(
                $(#[$vmeta])*
                pub const $flag: $name = $name($value);
            )+

            /// Every flag with its XML spelling, in ascending bit order.
            pub const FLAGS: &'static [($name, &'static str)] = &[$(($name::$flag, $spec)),+];

            /// True when every bit of `other` is set in `self`.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// True when any bit of `other` is set in `self`.
            pub const fn intersects(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }

            /// The flag named `name` in the XML spelling (lenient like enumerations).
            pub fn flag_from_spec_name(name: &str) -> Option<$name> {
                let wanted = $crate::enums::loose_name(name);
                Self::FLAGS
                    .iter()
                    .find(|(_, s)| *s == name || $crate::enums::loose_name(s) == wanted)
                    .map(|(f, _)| *f)
            }

            /// Parses the XML form: flag names separated by spaces or `|`, or a hex/decimal number.
            pub fn from_spec_text(text: &str) -> Option<$name> {
                let text = text.trim();
                if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                    return u32::from_str_radix(hex, 16).ok().map($name);
                }
                if let Ok(v) = text.parse::<u32>() {
                    return Some($name(v));
                }
                let mut bits = 0u32;
                for part in text.split(|c: char| c == ' ' || c == '|').filter(|p| !p.is_empty()) {
                    bits |= match part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => Self::flag_from_spec_name(part)?.0,
                    };
                }
                Some($name(bits))
            }

            /// The XML form: the names of the set flags separated by spaces; unknown bits in hex.
            pub fn to_spec_text(self) -> String {
                let mut parts: Vec<String> = Vec::new();
                let mut rest = self.0;
                for (flag, spec) in Self::FLAGS {
                    if self.contains(*flag) {
                        parts.push((*spec).to_string());
                        rest &= !flag.0;
                    }
                }
                if rest != 0 {
                    parts.push(format!("0x{rest:08x}"));
                }
                parts.join(" ")
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }

        impl std::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: $name) {
                self.0 |= rhs.0;
            }
        }

        impl std::ops::BitAnd for $name {
            type Output = $name;
            fn bitand(self, rhs: $name) -> $name {
                $name(self.0 & rhs.0)
            }
        }
    };
}

kmip_mask! {
    /// Cryptographic Usage Mask.
    CryptographicUsageMask {
        /// Sign.
        SIGN = 0x0000_0001, "Sign";
        /// Verify.
        VERIFY = 0x0000_0002, "Verify";
        /// Encrypt.
        ENCRYPT = 0x0000_0004, "Encrypt";
        /// Decrypt.
        DECRYPT = 0x0000_0008, "Decrypt";
        /// Wrap Key.
        WRAP_KEY = 0x0000_0010, "WrapKey";
        /// Unwrap Key.
        UNWRAP_KEY = 0x0000_0020, "UnwrapKey";
        /// Export (reserved in 2.x).
        EXPORT = 0x0000_0040, "Export";
        /// MAC Generate.
        MAC_GENERATE = 0x0000_0080, "MACGenerate";
        /// MAC Verify.
        MAC_VERIFY = 0x0000_0100, "MACVerify";
        /// Derive Key.
        DERIVE_KEY = 0x0000_0200, "DeriveKey";
        /// Content Commitment (Non Repudiation).
        CONTENT_COMMITMENT = 0x0000_0400, "ContentCommitment";
        /// Key Agreement.
        KEY_AGREEMENT = 0x0000_0800, "KeyAgreement";
        /// Certificate Sign.
        CERTIFICATE_SIGN = 0x0000_1000, "CertificateSign";
        /// CRL Sign.
        CRL_SIGN = 0x0000_2000, "CRLSign";
        /// Generate Cryptogram (1.x only).
        GENERATE_CRYPTOGRAM = 0x0000_4000, "GenerateCryptogram";
        /// Validate Cryptogram (1.x only).
        VALIDATE_CRYPTOGRAM = 0x0000_8000, "ValidateCryptogram";
        /// Translate Encrypt (1.x only).
        TRANSLATE_ENCRYPT = 0x0001_0000, "TranslateEncrypt";
        /// Translate Decrypt (1.x only).
        TRANSLATE_DECRYPT = 0x0002_0000, "TranslateDecrypt";
        /// Translate Wrap (1.x only).
        TRANSLATE_WRAP = 0x0004_0000, "TranslateWrap";
        /// Translate Unwrap (1.x only).
        TRANSLATE_UNWRAP = 0x0008_0000, "TranslateUnwrap";
        /// Authenticate (2.0).
        AUTHENTICATE = 0x0010_0000, "Authenticate";
        /// Unrestricted (2.0).
        UNRESTRICTED = 0x0020_0000, "Unrestricted";
        /// FPE Encrypt (2.0).
        FPE_ENCRYPT = 0x0040_0000, "FPEEncrypt";
        /// FPE Decrypt (2.0).
        FPE_DECRYPT = 0x0080_0000, "FPEDecrypt";
    }
}

kmip_mask! {
    /// Storage Status Mask (Locate).
    StorageStatusMask {
        /// On-line storage.
        ON_LINE_STORAGE = 0x0000_0001, "OnLineStorage";
        /// Archival storage.
        ARCHIVAL_STORAGE = 0x0000_0002, "ArchivalStorage";
        /// Destroyed storage (2.0).
        DESTROYED_STORAGE = 0x0000_0004, "DestroyedStorage";
    }
}

kmip_mask! {
    /// Protection Storage Mask (2.0).
    ProtectionStorageMask {
        /// Software.
        SOFTWARE = 0x0000_0001, "Software";
        /// Hardware.
        HARDWARE = 0x0000_0002, "Hardware";
        /// On Processor.
        ON_PROCESSOR = 0x0000_0004, "OnProcessor";
        /// On System.
        ON_SYSTEM = 0x0000_0008, "OnSystem";
        /// Off System.
        OFF_SYSTEM = 0x0000_0010, "OffSystem";
        /// Hypervisor.
        HYPERVISOR = 0x0000_0020, "Hypervisor";
        /// Operating System.
        OPERATING_SYSTEM = 0x0000_0040, "OperatingSystem";
        /// Container.
        CONTAINER = 0x0000_0080, "Container";
        /// On Premises.
        ON_PREMISES = 0x0000_0100, "OnPremises";
        /// Off Premises.
        OFF_PREMISES = 0x0000_0200, "OffPremises";
        /// Self Managed.
        SELF_MANAGED = 0x0000_0400, "SelfManaged";
        /// Outsourced.
        OUTSOURCED = 0x0000_0800, "Outsourced";
        /// Validated.
        VALIDATED = 0x0000_1000, "Validated";
        /// Same Jurisdiction.
        SAME_JURISDICTION = 0x0000_2000, "SameJurisdiction";
    }
}

kmip_enum! {
    /// Credential Type.
    CredentialType {
        /// Username and Password.
        UsernameAndPassword = 0x00000001, "UsernameAndPassword", (1, 0);
        /// Device.
        Device = 0x00000002, "Device", (1, 1);
        /// Attestation.
        Attestation = 0x00000003, "Attestation", (1, 2);
        /// One Time Password.
        OneTimePassword = 0x00000004, "OneTimePassword", (2, 0);
        /// Hashed Password.
        HashedPassword = 0x00000005, "HashedPassword", (2, 0);
        /// Ticket.
        Ticket = 0x00000006, "Ticket", (2, 0);
    }
}

kmip_enum! {
    /// Key Compression Type.
    KeyCompressionType {
        /// EC Public Key Type Uncompressed.
        EcPublicKeyTypeUncompressed = 0x00000001, "ECPublicKeyTypeUncompressed", (1, 0);
        /// EC Public Key Type X9.62 Compressed Prime.
        EcPublicKeyTypeX9_62CompressedPrime = 0x00000002, "ECPublicKeyTypeX9_62CompressedPrime", (1, 0);
        /// EC Public Key Type X9.62 Compressed Char2.
        EcPublicKeyTypeX9_62CompressedChar2 = 0x00000003, "ECPublicKeyTypeX9_62CompressedChar2", (1, 0);
        /// EC Public Key Type X9.62 Hybrid.
        EcPublicKeyTypeX9_62Hybrid = 0x00000004, "ECPublicKeyTypeX9_62Hybrid", (1, 0);
    }
}

kmip_enum! {
    /// Key Format Type.
    KeyFormatType {
        /// Raw.
        Raw = 0x00000001, "Raw", (1, 0);
        /// Opaque.
        Opaque = 0x00000002, "Opaque", (1, 0);
        /// PKCS#1.
        Pkcs1 = 0x00000003, "PKCS_1", (1, 0);
        /// PKCS#8.
        Pkcs8 = 0x00000004, "PKCS_8", (1, 0);
        /// X.509.
        X509 = 0x00000005, "X_509", (1, 0);
        /// ECPrivateKey.
        EcPrivateKey = 0x00000006, "ECPrivateKey", (1, 0);
        /// Transparent Symmetric Key.
        TransparentSymmetricKey = 0x00000007, "TransparentSymmetricKey", (1, 0);
        /// Transparent DSA Private Key.
        TransparentDsaPrivateKey = 0x00000008, "TransparentDSAPrivateKey", (1, 0);
        /// Transparent DSA Public Key.
        TransparentDsaPublicKey = 0x00000009, "TransparentDSAPublicKey", (1, 0);
        /// Transparent RSA Private Key.
        TransparentRsaPrivateKey = 0x0000000A, "TransparentRSAPrivateKey", (1, 0);
        /// Transparent RSA Public Key.
        TransparentRsaPublicKey = 0x0000000B, "TransparentRSAPublicKey", (1, 0);
        /// Transparent DH Private Key.
        TransparentDhPrivateKey = 0x0000000C, "TransparentDHPrivateKey", (1, 0);
        /// Transparent DH Public Key.
        TransparentDhPublicKey = 0x0000000D, "TransparentDHPublicKey", (1, 0);
        /// Transparent ECDSA Private Key.
        TransparentEcdsaPrivateKey = 0x0000000E, "TransparentECDSAPrivateKey", (1, 0);
        /// Transparent ECDSA Public Key.
        TransparentEcdsaPublicKey = 0x0000000F, "TransparentECDSAPublicKey", (1, 0);
        /// Transparent ECDH Private Key.
        TransparentEcdhPrivateKey = 0x00000010, "TransparentECDHPrivateKey", (1, 0);
        /// Transparent ECDH Public Key.
        TransparentEcdhPublicKey = 0x00000011, "TransparentECDHPublicKey", (1, 0);
        /// Transparent ECMQV Private Key.
        TransparentEcmqvPrivateKey = 0x00000012, "TransparentECMQVPrivateKey", (1, 0);
        /// Transparent ECMQV Public Key.
        TransparentEcmqvPublicKey = 0x00000013, "TransparentECMQVPublicKey", (1, 0);
        /// Transparent EC Private Key.
        TransparentEcPrivateKey = 0x00000014, "TransparentECPrivateKey", (1, 3);
        /// Transparent EC Public Key.
        TransparentEcPublicKey = 0x00000015, "TransparentECPublicKey", (1, 3);
        /// PKCS#12.
        Pkcs12 = 0x00000016, "PKCS_12", (1, 4);
    }
}

kmip_enum! {
    /// Wrapping Method.
    WrappingMethod {
        /// Encrypt.
        Encrypt = 0x00000001, "Encrypt", (1, 0);
        /// MAC/sign.
        MacSign = 0x00000002, "MACSign", (1, 0);
        /// Encrypt then MAC/sign.
        EncryptThenMacSign = 0x00000003, "EncryptThenMACSign", (1, 0);
        /// MAC/sign then encrypt.
        MacSignThenEncrypt = 0x00000004, "MACSignThenEncrypt", (1, 0);
        /// TR-31.
        Tr31 = 0x00000005, "TR_31", (1, 0);
    }
}

kmip_enum! {
    /// Recommended Curve.
    RecommendedCurve {
        /// P-192.
        P192 = 0x00000001, "P_192", (1, 0);
        /// K-163.
        K163 = 0x00000002, "K_163", (1, 0);
        /// B-163.
        B163 = 0x00000003, "B_163", (1, 0);
        /// P-224.
        P224 = 0x00000004, "P_224", (1, 0);
        /// K-233.
        K233 = 0x00000005, "K_233", (1, 0);
        /// B-233.
        B233 = 0x00000006, "B_233", (1, 0);
        /// P-256.
        P256 = 0x00000007, "P_256", (1, 0);
        /// K-283.
        K283 = 0x00000008, "K_283", (1, 0);
        /// B-283.
        B283 = 0x00000009, "B_283", (1, 0);
        /// P-384.
        P384 = 0x0000000A, "P_384", (1, 0);
        /// K-409.
        K409 = 0x0000000B, "K_409", (1, 0);
        /// B-409.
        B409 = 0x0000000C, "B_409", (1, 0);
        /// P-521.
        P521 = 0x0000000D, "P_521", (1, 0);
        /// K-571.
        K571 = 0x0000000E, "K_571", (1, 0);
        /// B-571.
        B571 = 0x0000000F, "B_571", (1, 0);
        /// SECP112R1.
        Secp112R1 = 0x00000010, "SECP112R1", (1, 2);
        /// SECP112R2.
        Secp112R2 = 0x00000011, "SECP112R2", (1, 2);
        /// SECP128R1.
        Secp128R1 = 0x00000012, "SECP128R1", (1, 2);
        /// SECP128R2.
        Secp128R2 = 0x00000013, "SECP128R2", (1, 2);
        /// SECP160K1.
        Secp160K1 = 0x00000014, "SECP160K1", (1, 2);
        /// SECP160R1.
        Secp160R1 = 0x00000015, "SECP160R1", (1, 2);
        /// SECP160R2.
        Secp160R2 = 0x00000016, "SECP160R2", (1, 2);
        /// SECP192K1.
        Secp192K1 = 0x00000017, "SECP192K1", (1, 2);
        /// SECP224K1.
        Secp224K1 = 0x00000018, "SECP224K1", (1, 2);
        /// SECP256K1.
        Secp256K1 = 0x00000019, "SECP256K1", (1, 2);
        /// SECT113R1.
        Sect113R1 = 0x0000001A, "SECT113R1", (1, 2);
        /// SECT113R2.
        Sect113R2 = 0x0000001B, "SECT113R2", (1, 2);
        /// SECT131R1.
        Sect131R1 = 0x0000001C, "SECT131R1", (1, 2);
        /// SECT131R2.
        Sect131R2 = 0x0000001D, "SECT131R2", (1, 2);
        /// SECT163R1.
        Sect163R1 = 0x0000001E, "SECT163R1", (1, 2);
        /// SECT193R1.
        Sect193R1 = 0x0000001F, "SECT193R1", (1, 2);
        /// SECT193R2.
        Sect193R2 = 0x00000020, "SECT193R2", (1, 2);
        /// SECT239K1.
        Sect239K1 = 0x00000021, "SECT239K1", (1, 2);
        /// ANSIX9P192V2.
        Ansix9P192V2 = 0x00000022, "ANSIX9P192V2", (1, 2);
        /// ANSIX9P192V3.
        Ansix9P192V3 = 0x00000023, "ANSIX9P192V3", (1, 2);
        /// ANSIX9P239V1.
        Ansix9P239V1 = 0x00000024, "ANSIX9P239V1", (1, 2);
        /// ANSIX9P239V2.
        Ansix9P239V2 = 0x00000025, "ANSIX9P239V2", (1, 2);
        /// ANSIX9P239V3.
        Ansix9P239V3 = 0x00000026, "ANSIX9P239V3", (1, 2);
        /// ANSIX9C2PNB163V1.
        Ansix9C2Pnb163V1 = 0x00000027, "ANSIX9C2PNB163V1", (1, 2);
        /// ANSIX9C2PNB163V2.
        Ansix9C2Pnb163V2 = 0x00000028, "ANSIX9C2PNB163V2", (1, 2);
        /// ANSIX9C2PNB163V3.
        Ansix9C2Pnb163V3 = 0x00000029, "ANSIX9C2PNB163V3", (1, 2);
        /// ANSIX9C2PNB176V1.
        Ansix9C2Pnb176V1 = 0x0000002A, "ANSIX9C2PNB176V1", (1, 2);
        /// ANSIX9C2TNB191V1.
        Ansix9C2Tnb191V1 = 0x0000002B, "ANSIX9C2TNB191V1", (1, 2);
        /// ANSIX9C2TNB191V2.
        Ansix9C2Tnb191V2 = 0x0000002C, "ANSIX9C2TNB191V2", (1, 2);
        /// ANSIX9C2TNB191V3.
        Ansix9C2Tnb191V3 = 0x0000002D, "ANSIX9C2TNB191V3", (1, 2);
        /// ANSIX9C2PNB208W1.
        Ansix9C2Pnb208W1 = 0x0000002E, "ANSIX9C2PNB208W1", (1, 2);
        /// ANSIX9C2TNB239V1.
        Ansix9C2Tnb239V1 = 0x0000002F, "ANSIX9C2TNB239V1", (1, 2);
        /// ANSIX9C2TNB239V2.
        Ansix9C2Tnb239V2 = 0x00000030, "ANSIX9C2TNB239V2", (1, 2);
        /// ANSIX9C2TNB239V3.
        Ansix9C2Tnb239V3 = 0x00000031, "ANSIX9C2TNB239V3", (1, 2);
        /// ANSIX9C2PNB272W1.
        Ansix9C2Pnb272W1 = 0x00000032, "ANSIX9C2PNB272W1", (1, 2);
        /// ANSIX9C2PNB304W1.
        Ansix9C2Pnb304W1 = 0x00000033, "ANSIX9C2PNB304W1", (1, 2);
        /// ANSIX9C2TNB359V1.
        Ansix9C2Tnb359V1 = 0x00000034, "ANSIX9C2TNB359V1", (1, 2);
        /// ANSIX9C2PNB368W1.
        Ansix9C2Pnb368W1 = 0x00000035, "ANSIX9C2PNB368W1", (1, 2);
        /// ANSIX9C2TNB431R1.
        Ansix9C2Tnb431R1 = 0x00000036, "ANSIX9C2TNB431R1", (1, 2);
        /// BRAINPOOLP160R1.
        Brainpoolp160R1 = 0x00000037, "BRAINPOOLP160R1", (1, 2);
        /// BRAINPOOLP160T1.
        Brainpoolp160T1 = 0x00000038, "BRAINPOOLP160T1", (1, 2);
        /// BRAINPOOLP192R1.
        Brainpoolp192R1 = 0x00000039, "BRAINPOOLP192R1", (1, 2);
        /// BRAINPOOLP192T1.
        Brainpoolp192T1 = 0x0000003A, "BRAINPOOLP192T1", (1, 2);
        /// BRAINPOOLP224R1.
        Brainpoolp224R1 = 0x0000003B, "BRAINPOOLP224R1", (1, 2);
        /// BRAINPOOLP224T1.
        Brainpoolp224T1 = 0x0000003C, "BRAINPOOLP224T1", (1, 2);
        /// BRAINPOOLP256R1.
        Brainpoolp256R1 = 0x0000003D, "BRAINPOOLP256R1", (1, 2);
        /// BRAINPOOLP256T1.
        Brainpoolp256T1 = 0x0000003E, "BRAINPOOLP256T1", (1, 2);
        /// BRAINPOOLP320R1.
        Brainpoolp320R1 = 0x0000003F, "BRAINPOOLP320R1", (1, 2);
        /// BRAINPOOLP320T1.
        Brainpoolp320T1 = 0x00000040, "BRAINPOOLP320T1", (1, 2);
        /// BRAINPOOLP384R1.
        Brainpoolp384R1 = 0x00000041, "BRAINPOOLP384R1", (1, 2);
        /// BRAINPOOLP384T1.
        Brainpoolp384T1 = 0x00000042, "BRAINPOOLP384T1", (1, 2);
        /// BRAINPOOLP512R1.
        Brainpoolp512R1 = 0x00000043, "BRAINPOOLP512R1", (1, 2);
        /// BRAINPOOLP512T1.
        Brainpoolp512T1 = 0x00000044, "BRAINPOOLP512T1", (1, 2);
        /// CURVE25519.
        Curve25519 = 0x00000045, "CURVE25519", (2, 0);
        /// CURVE448.
        Curve448 = 0x00000046, "CURVE448", (2, 0);
    }
}

kmip_enum! {
    /// Certificate Type.
    CertificateType {
        /// X.509.
        X509 = 0x00000001, "X_509", (1, 0);
        /// PGP.
        Pgp = 0x00000002, "PGP", (1, 0);
    }
}

kmip_enum! {
    /// Digital Signature Algorithm.
    DigitalSignatureAlgorithm {
        /// MD2 with RSA Encryption.
        Md2WithRsaEncryption = 0x00000001, "MD2WithRSAEncryption", (1, 1);
        /// MD5 with RSA Encryption.
        Md5WithRsaEncryption = 0x00000002, "MD5WithRSAEncryption", (1, 1);
        /// SHA-1 with RSA Encryption.
        Sha1WithRsaEncryption = 0x00000003, "SHA_1WithRSAEncryption", (1, 1);
        /// SHA-224 with RSA Encryption.
        Sha224WithRsaEncryption = 0x00000004, "SHA_224WithRSAEncryption", (1, 1);
        /// SHA-256 with RSA Encryption.
        Sha256WithRsaEncryption = 0x00000005, "SHA_256WithRSAEncryption", (1, 1);
        /// SHA-384 with RSA Encryption.
        Sha384WithRsaEncryption = 0x00000006, "SHA_384WithRSAEncryption", (1, 1);
        /// SHA-512 with RSA Encryption.
        Sha512WithRsaEncryption = 0x00000007, "SHA_512WithRSAEncryption", (1, 1);
        /// RSASSA-PSS.
        RsassaPss = 0x00000008, "RSASSA_PSS", (1, 1);
        /// DSA with SHA-1.
        DsaWithSha1 = 0x00000009, "DSAWithSHA_1", (1, 1);
        /// DSA with SHA224.
        DsaWithSha224 = 0x0000000A, "DSAWithSHA224", (1, 1);
        /// DSA with SHA256.
        DsaWithSha256 = 0x0000000B, "DSAWithSHA256", (1, 1);
        /// ECDSA with SHA-1.
        EcdsaWithSha1 = 0x0000000C, "ECDSAWithSHA_1", (1, 1);
        /// ECDSA with SHA224.
        EcdsaWithSha224 = 0x0000000D, "ECDSAWithSHA224", (1, 1);
        /// ECDSA with SHA256.
        EcdsaWithSha256 = 0x0000000E, "ECDSAWithSHA256", (1, 1);
        /// ECDSA with SHA384.
        EcdsaWithSha384 = 0x0000000F, "ECDSAWithSHA384", (1, 1);
        /// ECDSA with SHA512.
        EcdsaWithSha512 = 0x00000010, "ECDSAWithSHA512", (1, 1);
        /// SHA3-256 with RSA Encryption.
        Sha3_256WithRsaEncryption = 0x00000011, "SHA3_256WithRSAEncryption", (1, 4);
        /// SHA3-384 with RSA Encryption.
        Sha3_384WithRsaEncryption = 0x00000012, "SHA3_384WithRSAEncryption", (1, 4);
        /// SHA3-512 with RSA Encryption.
        Sha3_512WithRsaEncryption = 0x00000013, "SHA3_512WithRSAEncryption", (1, 4);
    }
}

kmip_enum! {
    /// Split Key Method.
    SplitKeyMethod {
        /// XOR.
        Xor = 0x00000001, "XOR", (1, 0);
        /// Polynomial Sharing GF (2^16).
        PolynomialSharingGf2_16 = 0x00000002, "PolynomialSharingGF2_16", (1, 0);
        /// Polynomial Sharing Prime Field.
        PolynomialSharingPrimeField = 0x00000003, "PolynomialSharingPrimeField", (1, 0);
        /// Polynomial Sharing GF (2^8).
        PolynomialSharingGf2_8 = 0x00000004, "PolynomialSharingGF2_8", (1, 2);
    }
}

kmip_enum! {
    /// Secret Data Type.
    SecretDataType {
        /// Password.
        Password = 0x00000001, "Password", (1, 0);
        /// Seed.
        Seed = 0x00000002, "Seed", (1, 0);
    }
}

kmip_enum! {
    /// Name Type.
    NameType {
        /// Uninterpreted Text String.
        UninterpretedTextString = 0x00000001, "UninterpretedTextString", (1, 0);
        /// URI.
        Uri = 0x00000002, "URI", (1, 0);
    }
}

kmip_enum! {
    /// Object Type.
    ObjectType {
        /// Certificate.
        Certificate = 0x00000001, "Certificate", (1, 0);
        /// Symmetric Key.
        SymmetricKey = 0x00000002, "SymmetricKey", (1, 0);
        /// Public Key.
        PublicKey = 0x00000003, "PublicKey", (1, 0);
        /// Private Key.
        PrivateKey = 0x00000004, "PrivateKey", (1, 0);
        /// Split Key.
        SplitKey = 0x00000005, "SplitKey", (1, 0);
        /// Template.
        Template = 0x00000006, "Template", (1, 0);
        /// Secret Data.
        SecretData = 0x00000007, "SecretData", (1, 0);
        /// Opaque Object.
        OpaqueObject = 0x00000008, "OpaqueObject", (1, 0);
        /// PGP Key.
        PgpKey = 0x00000009, "PGPKey", (1, 2);
        /// Certificate Request.
        CertificateRequest = 0x0000000A, "CertificateRequest", (2, 0);
    }
}

kmip_enum! {
    /// Cryptographic Algorithm.
    CryptographicAlgorithm {
        /// DES.
        Des = 0x00000001, "DES", (1, 0);
        /// 3DES.
        Des3 = 0x00000002, "DES3", (1, 0);
        /// AES.
        Aes = 0x00000003, "AES", (1, 0);
        /// RSA.
        Rsa = 0x00000004, "RSA", (1, 0);
        /// DSA.
        Dsa = 0x00000005, "DSA", (1, 0);
        /// ECDSA.
        Ecdsa = 0x00000006, "ECDSA", (1, 0);
        /// HMAC-SHA1.
        HmacSha1 = 0x00000007, "HMAC_SHA1", (1, 0);
        /// HMAC-SHA224.
        HmacSha224 = 0x00000008, "HMAC_SHA224", (1, 0);
        /// HMAC-SHA256.
        HmacSha256 = 0x00000009, "HMAC_SHA256", (1, 0);
        /// HMAC-SHA384.
        HmacSha384 = 0x0000000A, "HMAC_SHA384", (1, 0);
        /// HMAC-SHA512.
        HmacSha512 = 0x0000000B, "HMAC_SHA512", (1, 0);
        /// HMAC-MD5.
        HmacMd5 = 0x0000000C, "HMAC_MD5", (1, 0);
        /// DH.
        Dh = 0x0000000D, "DH", (1, 0);
        /// ECDH.
        Ecdh = 0x0000000E, "ECDH", (1, 0);
        /// ECMQV.
        Ecmqv = 0x0000000F, "ECMQV", (1, 0);
        /// Blowfish.
        Blowfish = 0x00000010, "Blowfish", (1, 0);
        /// Camellia.
        Camellia = 0x00000011, "Camellia", (1, 0);
        /// CAST5.
        Cast5 = 0x00000012, "CAST5", (1, 0);
        /// IDEA.
        Idea = 0x00000013, "IDEA", (1, 0);
        /// MARS.
        Mars = 0x00000014, "MARS", (1, 0);
        /// RC2.
        Rc2 = 0x00000015, "RC2", (1, 0);
        /// RC4.
        Rc4 = 0x00000016, "RC4", (1, 0);
        /// RC5.
        Rc5 = 0x00000017, "RC5", (1, 0);
        /// SKIPJACK.
        Skipjack = 0x00000018, "SKIPJACK", (1, 0);
        /// Twofish.
        Twofish = 0x00000019, "Twofish", (1, 0);
        /// EC.
        Ec = 0x0000001A, "EC", (1, 2);
        /// One Time Pad.
        OneTimePad = 0x0000001B, "OneTimePad", (1, 3);
        /// ChaCha20.
        ChaCha20 = 0x0000001C, "ChaCha20", (1, 4);
        /// Poly1305.
        Poly1305 = 0x0000001D, "Poly1305", (1, 4);
        /// ChaCha20Poly1305.
        ChaCha20Poly1305 = 0x0000001E, "ChaCha20Poly1305", (1, 4);
        /// SHA3-224.
        Sha3_224 = 0x0000001F, "SHA3_224", (1, 4);
        /// SHA3-256.
        Sha3_256 = 0x00000020, "SHA3_256", (1, 4);
        /// SHA3-384.
        Sha3_384 = 0x00000021, "SHA3_384", (1, 4);
        /// SHA3-512.
        Sha3_512 = 0x00000022, "SHA3_512", (1, 4);
        /// HMAC-SHA3-224.
        HmacSha3_224 = 0x00000023, "HMAC_SHA3_224", (1, 4);
        /// HMAC-SHA3-256.
        HmacSha3_256 = 0x00000024, "HMAC_SHA3_256", (1, 4);
        /// HMAC-SHA3-384.
        HmacSha3_384 = 0x00000025, "HMAC_SHA3_384", (1, 4);
        /// HMAC-SHA3-512.
        HmacSha3_512 = 0x00000026, "HMAC_SHA3_512", (1, 4);
        /// SHAKE-128.
        Shake128 = 0x00000027, "SHAKE_128", (1, 4);
        /// SHAKE-256.
        Shake256 = 0x00000028, "SHAKE_256", (1, 4);
        /// ARIA.
        Aria = 0x00000029, "ARIA", (2, 0);
        /// SEED.
        Seed = 0x0000002A, "SEED", (2, 0);
        /// SM2.
        Sm2 = 0x0000002B, "SM2", (2, 0);
        /// SM3.
        Sm3 = 0x0000002C, "SM3", (2, 0);
        /// SM4.
        Sm4 = 0x0000002D, "SM4", (2, 0);
        /// GOST R 34.10-2012.
        GostR34_10_2012 = 0x0000002E, "GOSTR34_10_2012", (2, 0);
        /// GOST R 34.11-2012.
        GostR34_11_2012 = 0x0000002F, "GOSTR34_11_2012", (2, 0);
        /// GOST R 34.13-2015.
        GostR34_13_2015 = 0x00000030, "GOSTR34_13_2015", (2, 0);
        /// GOST 28147-89.
        Gost28147_89 = 0x00000031, "GOST28147_89", (2, 0);
        /// XMSS.
        Xmss = 0x00000032, "XMSS", (2, 0);
        /// SPHINCS-256.
        Sphincs256 = 0x00000033, "SPHINCS_256", (2, 0);
        /// McEliece.
        McEliece = 0x00000034, "McEliece", (2, 0);
        /// McEliece-6960119.
        McEliece6960119 = 0x00000035, "McEliece_6960119", (2, 0);
        /// McEliece-8192128.
        McEliece8192128 = 0x00000036, "McEliece_8192128", (2, 0);
        /// Ed25519.
        Ed25519 = 0x00000037, "Ed25519", (2, 0);
        /// Ed448.
        Ed448 = 0x00000038, "Ed448", (2, 0);
    }
}

kmip_enum! {
    /// Block Cipher Mode.
    BlockCipherMode {
        /// CBC.
        Cbc = 0x00000001, "CBC", (1, 0);
        /// ECB.
        Ecb = 0x00000002, "ECB", (1, 0);
        /// PCBC.
        Pcbc = 0x00000003, "PCBC", (1, 0);
        /// CFB.
        Cfb = 0x00000004, "CFB", (1, 0);
        /// OFB.
        Ofb = 0x00000005, "OFB", (1, 0);
        /// CTR.
        Ctr = 0x00000006, "CTR", (1, 0);
        /// CMAC.
        Cmac = 0x00000007, "CMAC", (1, 0);
        /// CCM.
        Ccm = 0x00000008, "CCM", (1, 0);
        /// GCM.
        Gcm = 0x00000009, "GCM", (1, 0);
        /// CBC-MAC.
        CbcMac = 0x0000000A, "CBC_MAC", (1, 0);
        /// XTS.
        Xts = 0x0000000B, "XTS", (1, 0);
        /// AESKeyWrapPadding.
        AesKeyWrapPadding = 0x0000000C, "AESKeyWrapPadding", (1, 0);
        /// NISTKeyWrap.
        NistKeyWrap = 0x0000000D, "NISTKeyWrap", (1, 0);
        /// X9.102 AESKW.
        X9102Aeskw = 0x0000000E, "X9_102AESKW", (1, 0);
        /// X9.102 TDKW.
        X9102Tdkw = 0x0000000F, "X9_102TDKW", (1, 0);
        /// X9.102 AKW1.
        X9102Akw1 = 0x00000010, "X9_102AKW1", (1, 0);
        /// X9.102 AKW2.
        X9102Akw2 = 0x00000011, "X9_102AKW2", (1, 0);
        /// AEAD.
        Aead = 0x00000012, "AEAD", (1, 4);
    }
}

kmip_enum! {
    /// Padding Method.
    PaddingMethod {
        /// None.
        None = 0x00000001, "None", (1, 0);
        /// OAEP.
        Oaep = 0x00000002, "OAEP", (1, 0);
        /// PKCS5.
        Pkcs5 = 0x00000003, "PKCS5", (1, 0);
        /// SSL3.
        Ssl3 = 0x00000004, "SSL3", (1, 0);
        /// Zeros.
        Zeros = 0x00000005, "Zeros", (1, 0);
        /// ANSI X9.23.
        AnsiX923 = 0x00000006, "ANSIX9_23", (1, 0);
        /// ISO 10126.
        Iso10126 = 0x00000007, "ISO10126", (1, 0);
        /// PKCS1 v1.5.
        Pkcs1V15 = 0x00000008, "PKCS1V1_5", (1, 0);
        /// X9.31.
        X931 = 0x00000009, "X9_31", (1, 0);
        /// PSS.
        Pss = 0x0000000A, "PSS", (1, 0);
    }
}

kmip_enum! {
    /// Hashing Algorithm.
    HashingAlgorithm {
        /// MD2.
        Md2 = 0x00000001, "MD2", (1, 0);
        /// MD4.
        Md4 = 0x00000002, "MD4", (1, 0);
        /// MD5.
        Md5 = 0x00000003, "MD5", (1, 0);
        /// SHA-1.
        Sha1 = 0x00000004, "SHA_1", (1, 0);
        /// SHA-224.
        Sha224 = 0x00000005, "SHA_224", (1, 0);
        /// SHA-256.
        Sha256 = 0x00000006, "SHA_256", (1, 0);
        /// SHA-384.
        Sha384 = 0x00000007, "SHA_384", (1, 0);
        /// SHA-512.
        Sha512 = 0x00000008, "SHA_512", (1, 0);
        /// RIPEMD-160.
        Ripemd160 = 0x00000009, "RIPEMD_160", (1, 0);
        /// Tiger.
        Tiger = 0x0000000A, "Tiger", (1, 0);
        /// Whirlpool.
        Whirlpool = 0x0000000B, "Whirlpool", (1, 0);
        /// SHA-512/224.
        Sha512_224 = 0x0000000C, "SHA_512_224", (1, 2);
        /// SHA-512/256.
        Sha512_256 = 0x0000000D, "SHA_512_256", (1, 2);
        /// SHA-3-224.
        Sha3_224 = 0x0000000E, "SHA_3_224", (1, 4);
        /// SHA-3-256.
        Sha3_256 = 0x0000000F, "SHA_3_256", (1, 4);
        /// SHA-3-384.
        Sha3_384 = 0x00000010, "SHA_3_384", (1, 4);
        /// SHA-3-512.
        Sha3_512 = 0x00000011, "SHA_3_512", (1, 4);
    }
}

kmip_enum! {
    /// Key Role Type.
    KeyRoleType {
        /// BDK.
        Bdk = 0x00000001, "BDK", (1, 0);
        /// CVK.
        Cvk = 0x00000002, "CVK", (1, 0);
        /// DEK.
        Dek = 0x00000003, "DEK", (1, 0);
        /// MKAC.
        Mkac = 0x00000004, "MKAC", (1, 0);
        /// MKSMC.
        Mksmc = 0x00000005, "MKSMC", (1, 0);
        /// MKSMI.
        Mksmi = 0x00000006, "MKSMI", (1, 0);
        /// MKDAC.
        Mkdac = 0x00000007, "MKDAC", (1, 0);
        /// MKDN.
        Mkdn = 0x00000008, "MKDN", (1, 0);
        /// MKCP.
        Mkcp = 0x00000009, "MKCP", (1, 0);
        /// MKOTH.
        Mkoth = 0x0000000A, "MKOTH", (1, 0);
        /// KEK.
        Kek = 0x0000000B, "KEK", (1, 0);
        /// MAC16609.
        Mac16609 = 0x0000000C, "MAC16609", (1, 0);
        /// MAC97971.
        Mac97971 = 0x0000000D, "MAC97971", (1, 0);
        /// MAC97972.
        Mac97972 = 0x0000000E, "MAC97972", (1, 0);
        /// MAC97973.
        Mac97973 = 0x0000000F, "MAC97973", (1, 0);
        /// MAC97974.
        Mac97974 = 0x00000010, "MAC97974", (1, 0);
        /// MAC97975.
        Mac97975 = 0x00000011, "MAC97975", (1, 0);
        /// ZPK.
        Zpk = 0x00000012, "ZPK", (1, 0);
        /// PVKIBM.
        Pvkibm = 0x00000013, "PVKIBM", (1, 0);
        /// PVKPVV.
        Pvkpvv = 0x00000014, "PVKPVV", (1, 0);
        /// PVKOTH.
        Pvkoth = 0x00000015, "PVKOTH", (1, 0);
        /// DUKPT.
        Dukpt = 0x00000016, "DUKPT", (1, 4);
        /// IV.
        Iv = 0x00000017, "IV", (1, 4);
        /// TRKBK.
        Trkbk = 0x00000018, "TRKBK", (1, 4);
    }
}

kmip_enum! {
    /// State.
    State {
        /// Pre-Active.
        PreActive = 0x00000001, "PreActive", (1, 0);
        /// Active.
        Active = 0x00000002, "Active", (1, 0);
        /// Deactivated.
        Deactivated = 0x00000003, "Deactivated", (1, 0);
        /// Compromised.
        Compromised = 0x00000004, "Compromised", (1, 0);
        /// Destroyed.
        Destroyed = 0x00000005, "Destroyed", (1, 0);
        /// Destroyed Compromised.
        DestroyedCompromised = 0x00000006, "DestroyedCompromised", (1, 0);
    }
}

kmip_enum! {
    /// Revocation Reason Code.
    RevocationReasonCode {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 0);
        /// Key Compromise.
        KeyCompromise = 0x00000002, "KeyCompromise", (1, 0);
        /// CA Compromise.
        CaCompromise = 0x00000003, "CACompromise", (1, 0);
        /// Affiliation Changed.
        AffiliationChanged = 0x00000004, "AffiliationChanged", (1, 0);
        /// Superseded.
        Superseded = 0x00000005, "Superseded", (1, 0);
        /// Cessation of Operation.
        CessationOfOperation = 0x00000006, "CessationOfOperation", (1, 0);
        /// Privilege Withdrawn.
        PrivilegeWithdrawn = 0x00000007, "PrivilegeWithdrawn", (1, 0);
    }
}

kmip_enum! {
    /// Link Type.
    LinkType {
        /// Certificate Link.
        CertificateLink = 0x00000101, "CertificateLink", (1, 0);
        /// Public Key Link.
        PublicKeyLink = 0x00000102, "PublicKeyLink", (1, 0);
        /// Private Key Link.
        PrivateKeyLink = 0x00000103, "PrivateKeyLink", (1, 0);
        /// Derivation Base Object Link.
        DerivationBaseObjectLink = 0x00000104, "DerivationBaseObjectLink", (1, 0);
        /// Derived Key Link.
        DerivedKeyLink = 0x00000105, "DerivedKeyLink", (1, 0);
        /// Replacement Object Link.
        ReplacementObjectLink = 0x00000106, "ReplacementObjectLink", (1, 0);
        /// Replaced Object Link.
        ReplacedObjectLink = 0x00000107, "ReplacedObjectLink", (1, 0);
        /// Parent Link.
        ParentLink = 0x00000108, "ParentLink", (1, 2);
        /// Child Link.
        ChildLink = 0x00000109, "ChildLink", (1, 2);
        /// Previous Link.
        PreviousLink = 0x0000010A, "PreviousLink", (1, 2);
        /// Next Link.
        NextLink = 0x0000010B, "NextLink", (1, 2);
        /// PKCS#12 Certificate Link.
        Pkcs12CertificateLink = 0x0000010C, "PKCS_12CertificateLink", (1, 4);
        /// PKCS#12 Password Link.
        Pkcs12PasswordLink = 0x0000010D, "PKCS_12PasswordLink", (1, 4);
        /// Wrapping Key Link.
        WrappingKeyLink = 0x0000010E, "WrappingKeyLink", (2, 0);
    }
}

kmip_enum! {
    /// Derivation Method.
    DerivationMethod {
        /// PBKDF2.
        Pbkdf2 = 0x00000001, "PBKDF2", (1, 0);
        /// HASH.
        Hash = 0x00000002, "HASH", (1, 0);
        /// HMAC.
        Hmac = 0x00000003, "HMAC", (1, 0);
        /// ENCRYPT.
        Encrypt = 0x00000004, "ENCRYPT", (1, 0);
        /// NIST800 - 108 - C.
        Nist800_108C = 0x00000005, "NIST800_108_C", (1, 0);
        /// NIST800 - 108 - F.
        Nist800_108F = 0x00000006, "NIST800_108_F", (1, 0);
        /// NIST800 - 108 - DPI.
        Nist800_108Dpi = 0x00000007, "NIST800_108_DPI", (1, 0);
        /// Asymmetric Key.
        AsymmetricKey = 0x00000008, "AsymmetricKey", (1, 4);
        /// AWS Signature Version 4.
        AwsSignatureVersion4 = 0x00000009, "AWSSignatureVersion4", (2, 0);
        /// HKDF.
        Hkdf = 0x0000000A, "HKDF", (2, 0);
    }
}

kmip_enum! {
    /// Certificate Request Type.
    CertificateRequestType {
        /// CRMF.
        Crmf = 0x00000001, "CRMF", (1, 0);
        /// PKCS#10.
        Pkcs10 = 0x00000002, "PKCS_10", (1, 0);
        /// PEM.
        Pem = 0x00000003, "PEM", (1, 0);
        /// PGP.
        Pgp = 0x00000004, "PGP", (1, 0);
    }
}

kmip_enum! {
    /// Validity Indicator.
    ValidityIndicator {
        /// Valid.
        Valid = 0x00000001, "Valid", (1, 0);
        /// Invalid.
        Invalid = 0x00000002, "Invalid", (1, 0);
        /// Unknown.
        Unknown = 0x00000003, "Unknown", (1, 0);
    }
}

kmip_enum! {
    /// Query Function.
    QueryFunction {
        /// Query Operations.
        QueryOperations = 0x00000001, "QueryOperations", (1, 0);
        /// Query Objects.
        QueryObjects = 0x00000002, "QueryObjects", (1, 0);
        /// Query Server Information.
        QueryServerInformation = 0x00000003, "QueryServerInformation", (1, 0);
        /// Query Application Namespaces.
        QueryApplicationNamespaces = 0x00000004, "QueryApplicationNamespaces", (1, 0);
        /// Query Extension List.
        QueryExtensionList = 0x00000005, "QueryExtensionList", (1, 1);
        /// Query Extension Map.
        QueryExtensionMap = 0x00000006, "QueryExtensionMap", (1, 1);
        /// Query Attestation Types.
        QueryAttestationTypes = 0x00000007, "QueryAttestationTypes", (1, 2);
        /// Query RNGs.
        QueryRngs = 0x00000008, "QueryRNGs", (1, 3);
        /// Query Validations.
        QueryValidations = 0x00000009, "QueryValidations", (1, 3);
        /// Query Profiles.
        QueryProfiles = 0x0000000A, "QueryProfiles", (1, 3);
        /// Query Capabilities.
        QueryCapabilities = 0x0000000B, "QueryCapabilities", (1, 3);
        /// Query Client Registration Methods.
        QueryClientRegistrationMethods = 0x0000000C, "QueryClientRegistrationMethods", (1, 3);
        /// Query Defaults Information.
        QueryDefaultsInformation = 0x0000000D, "QueryDefaultsInformation", (2, 0);
        /// Query Storage Protection Masks.
        QueryStorageProtectionMasks = 0x0000000E, "QueryStorageProtectionMasks", (2, 0);
    }
}

kmip_enum! {
    /// Cancellation Result.
    CancellationResult {
        /// Canceled.
        Canceled = 0x00000001, "Canceled", (1, 0);
        /// Unable to Cancel.
        UnableToCancel = 0x00000002, "UnableToCancel", (1, 0);
        /// Completed.
        Completed = 0x00000003, "Completed", (1, 0);
        /// Failed.
        Failed = 0x00000004, "Failed", (1, 0);
        /// Unavailable.
        Unavailable = 0x00000005, "Unavailable", (1, 0);
    }
}

kmip_enum! {
    /// Put Function.
    PutFunction {
        /// New.
        New = 0x00000001, "New", (1, 0);
        /// Replace.
        Replace = 0x00000002, "Replace", (1, 0);
    }
}

kmip_enum! {
    /// Operation.
    Operation {
        /// Create.
        Create = 0x00000001, "Create", (1, 0);
        /// Create Key Pair.
        CreateKeyPair = 0x00000002, "CreateKeyPair", (1, 0);
        /// Register.
        Register = 0x00000003, "Register", (1, 0);
        /// Re-key.
        ReKey = 0x00000004, "ReKey", (1, 0);
        /// Derive Key.
        DeriveKey = 0x00000005, "DeriveKey", (1, 0);
        /// Certify.
        Certify = 0x00000006, "Certify", (1, 0);
        /// Re-certify.
        ReCertify = 0x00000007, "ReCertify", (1, 0);
        /// Locate.
        Locate = 0x00000008, "Locate", (1, 0);
        /// Check.
        Check = 0x00000009, "Check", (1, 0);
        /// Get.
        Get = 0x0000000A, "Get", (1, 0);
        /// Get Attributes.
        GetAttributes = 0x0000000B, "GetAttributes", (1, 0);
        /// Get Attribute List.
        GetAttributeList = 0x0000000C, "GetAttributeList", (1, 0);
        /// Add Attribute.
        AddAttribute = 0x0000000D, "AddAttribute", (1, 0);
        /// Modify Attribute.
        ModifyAttribute = 0x0000000E, "ModifyAttribute", (1, 0);
        /// Delete Attribute.
        DeleteAttribute = 0x0000000F, "DeleteAttribute", (1, 0);
        /// Obtain Lease.
        ObtainLease = 0x00000010, "ObtainLease", (1, 0);
        /// Get Usage Allocation.
        GetUsageAllocation = 0x00000011, "GetUsageAllocation", (1, 0);
        /// Activate.
        Activate = 0x00000012, "Activate", (1, 0);
        /// Revoke.
        Revoke = 0x00000013, "Revoke", (1, 0);
        /// Destroy.
        Destroy = 0x00000014, "Destroy", (1, 0);
        /// Archive.
        Archive = 0x00000015, "Archive", (1, 0);
        /// Recover.
        Recover = 0x00000016, "Recover", (1, 0);
        /// Validate.
        Validate = 0x00000017, "Validate", (1, 0);
        /// Query.
        Query = 0x00000018, "Query", (1, 0);
        /// Cancel.
        Cancel = 0x00000019, "Cancel", (1, 0);
        /// Poll.
        Poll = 0x0000001A, "Poll", (1, 0);
        /// Notify.
        Notify = 0x0000001B, "Notify", (1, 0);
        /// Put.
        Put = 0x0000001C, "Put", (1, 0);
        /// Re-key Key Pair.
        ReKeyKeyPair = 0x0000001D, "ReKeyKeyPair", (1, 1);
        /// Discover Versions.
        DiscoverVersions = 0x0000001E, "DiscoverVersions", (1, 1);
        /// Encrypt.
        Encrypt = 0x0000001F, "Encrypt", (1, 2);
        /// Decrypt.
        Decrypt = 0x00000020, "Decrypt", (1, 2);
        /// Sign.
        Sign = 0x00000021, "Sign", (1, 2);
        /// Signature Verify.
        SignatureVerify = 0x00000022, "SignatureVerify", (1, 2);
        /// MAC.
        Mac = 0x00000023, "MAC", (1, 2);
        /// MAC Verify.
        MacVerify = 0x00000024, "MACVerify", (1, 2);
        /// RNG Retrieve.
        RngRetrieve = 0x00000025, "RNGRetrieve", (1, 2);
        /// RNG Seed.
        RngSeed = 0x00000026, "RNGSeed", (1, 2);
        /// Hash.
        Hash = 0x00000027, "Hash", (1, 2);
        /// Create Split Key.
        CreateSplitKey = 0x00000028, "CreateSplitKey", (1, 2);
        /// Join Split Key.
        JoinSplitKey = 0x00000029, "JoinSplitKey", (1, 2);
        /// Import.
        Import = 0x0000002A, "Import", (1, 4);
        /// Export.
        Export = 0x0000002B, "Export", (1, 4);
        /// Log.
        Log = 0x0000002C, "Log", (2, 0);
        /// Login.
        Login = 0x0000002D, "Login", (2, 0);
        /// Logout.
        Logout = 0x0000002E, "Logout", (2, 0);
        /// Delegated Login.
        DelegatedLogin = 0x0000002F, "DelegatedLogin", (2, 0);
        /// Adjust Attribute.
        AdjustAttribute = 0x00000030, "AdjustAttribute", (2, 0);
        /// Set Attribute.
        SetAttribute = 0x00000031, "SetAttribute", (2, 0);
        /// Set Endpoint Role.
        SetEndpointRole = 0x00000032, "SetEndpointRole", (2, 0);
        /// PKCS#11.
        Pkcs11 = 0x00000033, "PKCS_11", (2, 0);
        /// Interop.
        Interop = 0x00000034, "Interop", (2, 0);
        /// Re-Provision.
        ReProvision = 0x00000035, "ReProvision", (2, 0);
        /// Set Defaults.
        SetDefaults = 0x00000036, "SetDefaults", (2, 1);
        /// Set Constraints.
        SetConstraints = 0x00000037, "SetConstraints", (2, 1);
        /// Get Constraints.
        GetConstraints = 0x00000038, "GetConstraints", (2, 1);
        /// Query Asynchronous Requests.
        QueryAsynchronousRequests = 0x00000039, "QueryAsynchronousRequests", (2, 1);
        /// Process.
        Process = 0x0000003A, "Process", (2, 1);
        /// Ping.
        Ping = 0x0000003B, "Ping", (2, 1);
    }
}

kmip_enum! {
    /// Result Status.
    ResultStatus {
        /// Success.
        Success = 0x00000000, "Success", (1, 0);
        /// Operation Failed.
        OperationFailed = 0x00000001, "OperationFailed", (1, 0);
        /// Operation Pending.
        OperationPending = 0x00000002, "OperationPending", (1, 0);
        /// Operation Undone.
        OperationUndone = 0x00000003, "OperationUndone", (1, 0);
    }
}

kmip_enum! {
    /// Result Reason.
    ResultReason {
        /// Item Not Found.
        ItemNotFound = 0x00000001, "ItemNotFound", (1, 0);
        /// Response Too Large.
        ResponseTooLarge = 0x00000002, "ResponseTooLarge", (1, 0);
        /// Authentication Not Successful.
        AuthenticationNotSuccessful = 0x00000003, "AuthenticationNotSuccessful", (1, 0);
        /// Invalid Message.
        InvalidMessage = 0x00000004, "InvalidMessage", (1, 0);
        /// Operation Not Supported.
        OperationNotSupported = 0x00000005, "OperationNotSupported", (1, 0);
        /// Missing Data.
        MissingData = 0x00000006, "MissingData", (1, 0);
        /// Invalid Field.
        InvalidField = 0x00000007, "InvalidField", (1, 0);
        /// Feature Not Supported.
        FeatureNotSupported = 0x00000008, "FeatureNotSupported", (1, 0);
        /// Operation Canceled By Requester.
        OperationCanceledByRequester = 0x00000009, "OperationCanceledByRequester", (1, 0);
        /// Cryptographic Failure.
        CryptographicFailure = 0x0000000A, "CryptographicFailure", (1, 0);
        /// Illegal Operation.
        IllegalOperation = 0x0000000B, "IllegalOperation", (1, 0);
        /// Permission Denied.
        PermissionDenied = 0x0000000C, "PermissionDenied", (1, 0);
        /// Object archived.
        ObjectArchived = 0x0000000D, "ObjectArchived", (1, 0);
        /// Index Out of Bounds.
        IndexOutOfBounds = 0x0000000E, "IndexOutOfBounds", (1, 0);
        /// Application Namespace Not Supported.
        ApplicationNamespaceNotSupported = 0x0000000F, "ApplicationNamespaceNotSupported", (1, 0);
        /// Key Format Type Not Supported.
        KeyFormatTypeNotSupported = 0x00000010, "KeyFormatTypeNotSupported", (1, 0);
        /// Key Compression Type Not Supported.
        KeyCompressionTypeNotSupported = 0x00000011, "KeyCompressionTypeNotSupported", (1, 0);
        /// Encoding Option Error.
        EncodingOptionError = 0x00000012, "EncodingOptionError", (1, 1);
        /// Key Value Not Present.
        KeyValueNotPresent = 0x00000013, "KeyValueNotPresent", (1, 2);
        /// Attestation Required.
        AttestationRequired = 0x00000014, "AttestationRequired", (1, 2);
        /// Attestation Failed.
        AttestationFailed = 0x00000015, "AttestationFailed", (1, 2);
        /// Sensitive.
        Sensitive = 0x00000016, "Sensitive", (1, 4);
        /// Not Extractable.
        NotExtractable = 0x00000017, "NotExtractable", (1, 4);
        /// Object Already Exists.
        ObjectAlreadyExists = 0x00000018, "ObjectAlreadyExists", (1, 4);
        /// Invalid Ticket.
        InvalidTicket = 0x00000019, "InvalidTicket", (2, 0);
        /// Usage Limit Exceeded.
        UsageLimitExceeded = 0x0000001A, "UsageLimitExceeded", (2, 0);
        /// Numeric Range.
        NumericRange = 0x0000001B, "NumericRange", (2, 0);
        /// Invalid Data Type.
        InvalidDataType = 0x0000001C, "InvalidDataType", (2, 0);
        /// Read Only Attribute.
        ReadOnlyAttribute = 0x0000001D, "ReadOnlyAttribute", (2, 0);
        /// Multi Valued Attribute.
        MultiValuedAttribute = 0x0000001E, "MultiValuedAttribute", (2, 0);
        /// Unsupported Attribute.
        UnsupportedAttribute = 0x0000001F, "UnsupportedAttribute", (2, 0);
        /// Attribute Instance Not Found.
        AttributeInstanceNotFound = 0x00000020, "AttributeInstanceNotFound", (2, 0);
        /// Attribute Not Found.
        AttributeNotFound = 0x00000021, "AttributeNotFound", (2, 0);
        /// Attribute Read Only.
        AttributeReadOnly = 0x00000022, "AttributeReadOnly", (2, 0);
        /// Attribute Single Valued.
        AttributeSingleValued = 0x00000023, "AttributeSingleValued", (2, 0);
        /// Bad Cryptographic Parameters.
        BadCryptographicParameters = 0x00000024, "BadCryptographicParameters", (2, 0);
        /// Bad Password.
        BadPassword = 0x00000025, "BadPassword", (2, 0);
        /// Codec Error.
        CodecError = 0x00000026, "CodecError", (2, 0);
        /// Illegal Object Type.
        IllegalObjectType = 0x00000028, "IllegalObjectType", (2, 0);
        /// Incompatible Cryptographic Usage Mask.
        IncompatibleCryptographicUsageMask = 0x00000029, "IncompatibleCryptographicUsageMask", (2, 0);
        /// Internal Server Error.
        InternalServerError = 0x0000002A, "InternalServerError", (2, 0);
        /// Invalid Asynchronous Correlation Value.
        InvalidAsynchronousCorrelationValue = 0x0000002B, "InvalidAsynchronousCorrelationValue", (2, 0);
        /// Invalid Attribute.
        InvalidAttribute = 0x0000002C, "InvalidAttribute", (2, 0);
        /// Invalid Attribute Value.
        InvalidAttributeValue = 0x0000002D, "InvalidAttributeValue", (2, 0);
        /// Invalid Correlation Value.
        InvalidCorrelationValue = 0x0000002E, "InvalidCorrelationValue", (2, 0);
        /// Invalid CSR.
        InvalidCsr = 0x0000002F, "InvalidCSR", (2, 0);
        /// Invalid Object Type.
        InvalidObjectType = 0x00000030, "InvalidObjectType", (2, 0);
        /// Key Wrap Type Not Supported.
        KeyWrapTypeNotSupported = 0x00000032, "KeyWrapTypeNotSupported", (2, 0);
        /// Missing Initialization Vector.
        MissingInitializationVector = 0x00000034, "MissingInitializationVector", (2, 0);
        /// Non Unique Name Attribute.
        NonUniqueNameAttribute = 0x00000035, "NonUniqueNameAttribute", (2, 0);
        /// Object Destroyed.
        ObjectDestroyed = 0x00000036, "ObjectDestroyed", (2, 0);
        /// Object Not Found.
        ObjectNotFound = 0x00000037, "ObjectNotFound", (2, 0);
        /// Not Authorized.
        NotAuthorized = 0x00000039, "NotAuthorized", (2, 0);
        /// Server Limit Exceeded.
        ServerLimitExceeded = 0x0000003A, "ServerLimitExceeded", (2, 0);
        /// Unknown Enumeration.
        UnknownEnumeration = 0x0000003B, "UnknownEnumeration", (2, 0);
        /// Unknown Message Extension.
        UnknownMessageExtension = 0x0000003C, "UnknownMessageExtension", (2, 0);
        /// Unknown Tag.
        UnknownTag = 0x0000003D, "UnknownTag", (2, 0);
        /// Unsupported Cryptographic Parameters.
        UnsupportedCryptographicParameters = 0x0000003E, "UnsupportedCryptographicParameters", (2, 0);
        /// Unsupported Protocol Version.
        UnsupportedProtocolVersion = 0x0000003F, "UnsupportedProtocolVersion", (2, 0);
        /// Wrapping Object Archived.
        WrappingObjectArchived = 0x00000040, "WrappingObjectArchived", (2, 0);
        /// Wrapping Object Destroyed.
        WrappingObjectDestroyed = 0x00000041, "WrappingObjectDestroyed", (2, 0);
        /// Wrapping Object Not Found.
        WrappingObjectNotFound = 0x00000042, "WrappingObjectNotFound", (2, 0);
        /// Wrong Key Lifecycle State.
        WrongKeyLifecycleState = 0x00000043, "WrongKeyLifecycleState", (2, 0);
        /// Protection Storage Unavailable.
        ProtectionStorageUnavailable = 0x00000044, "ProtectionStorageUnavailable", (2, 0);
        /// PKCS#11 Codec Error.
        Pkcs11CodecError = 0x00000045, "PKCS_11CodecError", (2, 0);
        /// PKCS#11 Invalid Function.
        Pkcs11InvalidFunction = 0x00000046, "PKCS_11InvalidFunction", (2, 0);
        /// PKCS#11 Invalid Interface.
        Pkcs11InvalidInterface = 0x00000047, "PKCS_11InvalidInterface", (2, 0);
        /// Private Protection Storage Unavailable.
        PrivateProtectionStorageUnavailable = 0x00000048, "PrivateProtectionStorageUnavailable", (2, 1);
        /// Public Protection Storage Unavailable.
        PublicProtectionStorageUnavailable = 0x00000049, "PublicProtectionStorageUnavailable", (2, 1);
        /// Unknown Object Group.
        UnknownObjectGroup = 0x0000004A, "UnknownObjectGroup", (2, 1);
        /// Constraint Violation.
        ConstraintViolation = 0x0000004B, "ConstraintViolation", (2, 1);
        /// Duplicate Process Request.
        DuplicateProcessRequest = 0x0000004C, "DuplicateProcessRequest", (2, 1);
        /// General Failure.
        GeneralFailure = 0x00000100, "GeneralFailure", (1, 0);
    }
}

kmip_enum! {
    /// Batch Error Continuation Option.
    BatchErrorContinuationOption {
        /// Continue.
        Continue = 0x00000001, "Continue", (1, 0);
        /// Stop.
        Stop = 0x00000002, "Stop", (1, 0);
        /// Undo.
        Undo = 0x00000003, "Undo", (1, 0);
    }
}

kmip_enum! {
    /// Usage Limits Unit.
    UsageLimitsUnit {
        /// Byte.
        Byte = 0x00000001, "Byte", (1, 0);
        /// Object.
        Object = 0x00000002, "Object", (1, 0);
    }
}

kmip_enum! {
    /// Encoding Option.
    EncodingOption {
        /// No Encoding.
        NoEncoding = 0x00000001, "NoEncoding", (1, 1);
        /// TTLV Encoding.
        TtlvEncoding = 0x00000002, "TTLVEncoding", (1, 1);
    }
}

kmip_enum! {
    /// Object Group Member.
    ObjectGroupMember {
        /// Group Member Fresh.
        GroupMemberFresh = 0x00000001, "GroupMemberFresh", (1, 1);
        /// Group Member Default.
        GroupMemberDefault = 0x00000002, "GroupMemberDefault", (1, 1);
    }
}

kmip_enum! {
    /// Alternative Name Type.
    AlternativeNameType {
        /// Uninterpreted Text String.
        UninterpretedTextString = 0x00000001, "UninterpretedTextString", (1, 2);
        /// URI.
        Uri = 0x00000002, "URI", (1, 2);
        /// Object Serial Number.
        ObjectSerialNumber = 0x00000003, "ObjectSerialNumber", (1, 2);
        /// Email Address.
        EmailAddress = 0x00000004, "EmailAddress", (1, 2);
        /// DNS Name.
        DnsName = 0x00000005, "DNSName", (1, 2);
        /// X.500 Distinguished Name.
        X500DistinguishedName = 0x00000006, "X_500DistinguishedName", (1, 2);
        /// IP Address.
        IpAddress = 0x00000007, "IPAddress", (1, 2);
    }
}

kmip_enum! {
    /// Key Value Location Type.
    KeyValueLocationType {
        /// Uninterpreted Text String.
        UninterpretedTextString = 0x00000001, "UninterpretedTextString", (1, 2);
        /// URI.
        Uri = 0x00000002, "URI", (1, 2);
    }
}

kmip_enum! {
    /// Attestation Type.
    AttestationType {
        /// TPM Quote.
        TpmQuote = 0x00000001, "TPMQuote", (1, 2);
        /// TCG Integrity Report.
        TcgIntegrityReport = 0x00000002, "TCGIntegrityReport", (1, 2);
        /// SAML Assertion.
        SamlAssertion = 0x00000003, "SAMLAssertion", (1, 2);
    }
}

kmip_enum! {
    /// RNG Algorithm.
    RngAlgorithm {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// FIPS 186-2.
        Fips186_2 = 0x00000002, "FIPS186_2", (1, 3);
        /// DRBG.
        Drbg = 0x00000003, "DRBG", (1, 3);
        /// NRBG.
        Nrbg = 0x00000004, "NRBG", (1, 3);
        /// ANSI X9.31.
        AnsiX931 = 0x00000005, "ANSIX9_31", (1, 3);
        /// ANSI X9.62.
        AnsiX962 = 0x00000006, "ANSIX9_62", (1, 3);
    }
}

kmip_enum! {
    /// DRBG Algorithm.
    DrbgAlgorithm {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// Dual - EC.
        DualEc = 0x00000002, "Dual_EC", (1, 3);
        /// Hash.
        Hash = 0x00000003, "Hash", (1, 3);
        /// HMAC.
        Hmac = 0x00000004, "HMAC", (1, 3);
        /// CTR.
        Ctr = 0x00000005, "CTR", (1, 3);
    }
}

kmip_enum! {
    /// FIPS186 Variation.
    Fips186Variation {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// GP x-Original.
        GpXOriginal = 0x00000002, "GPXOriginal", (1, 3);
        /// GP x-Change Notice.
        GpXChangeNotice = 0x00000003, "GPXChangeNotice", (1, 3);
        /// x-Original.
        XOriginal = 0x00000004, "XOriginal", (1, 3);
        /// x-Change Notice.
        XChangeNotice = 0x00000005, "XChangeNotice", (1, 3);
        /// k-Original.
        KOriginal = 0x00000006, "KOriginal", (1, 3);
        /// k-Change Notice.
        KChangeNotice = 0x00000007, "KChangeNotice", (1, 3);
    }
}

kmip_enum! {
    /// Validation Authority Type.
    ValidationAuthorityType {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// NIST CMVP.
        NistCmvp = 0x00000002, "NISTCMVP", (1, 3);
        /// Common Criteria.
        CommonCriteria = 0x00000003, "CommonCriteria", (1, 3);
    }
}

kmip_enum! {
    /// Validation Type.
    ValidationType {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// Hardware.
        Hardware = 0x00000002, "Hardware", (1, 3);
        /// Software.
        Software = 0x00000003, "Software", (1, 3);
        /// Firmware.
        Firmware = 0x00000004, "Firmware", (1, 3);
        /// Hybrid.
        Hybrid = 0x00000005, "Hybrid", (1, 3);
    }
}

kmip_enum! {
    /// Unwrap Mode.
    UnwrapMode {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// Processed.
        Processed = 0x00000002, "Processed", (1, 3);
        /// Not Processed.
        NotProcessed = 0x00000003, "NotProcessed", (1, 3);
    }
}

kmip_enum! {
    /// Destroy Action.
    DestroyAction {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// Key Material Deleted.
        KeyMaterialDeleted = 0x00000002, "KeyMaterialDeleted", (1, 3);
        /// Key Material Shredded.
        KeyMaterialShredded = 0x00000003, "KeyMaterialShredded", (1, 3);
        /// Meta Data Deleted.
        MetaDataDeleted = 0x00000004, "MetaDataDeleted", (1, 3);
        /// Meta Data Shredded.
        MetaDataShredded = 0x00000005, "MetaDataShredded", (1, 3);
        /// Deleted.
        Deleted = 0x00000006, "Deleted", (1, 3);
        /// Shredded.
        Shredded = 0x00000007, "Shredded", (1, 3);
    }
}

kmip_enum! {
    /// Shredding Algorithm.
    ShreddingAlgorithm {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// Cryptographic.
        Cryptographic = 0x00000002, "Cryptographic", (1, 3);
        /// Unsupported.
        Unsupported = 0x00000003, "Unsupported", (1, 3);
    }
}

kmip_enum! {
    /// RNG Mode.
    RngMode {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// Shared Instantiation.
        SharedInstantiation = 0x00000002, "SharedInstantiation", (1, 3);
        /// Non-Shared Instantiation.
        NonSharedInstantiation = 0x00000003, "NonSharedInstantiation", (1, 3);
    }
}

kmip_enum! {
    /// Client Registration Method.
    ClientRegistrationMethod {
        /// Unspecified.
        Unspecified = 0x00000001, "Unspecified", (1, 3);
        /// Server Pre-Generated.
        ServerPreGenerated = 0x00000002, "ServerPreGenerated", (1, 3);
        /// Server On-Demand.
        ServerOnDemand = 0x00000003, "ServerOnDemand", (1, 3);
        /// Client Generated.
        ClientGenerated = 0x00000004, "ClientGenerated", (1, 3);
        /// Client Registered.
        ClientRegistered = 0x00000005, "ClientRegistered", (1, 3);
    }
}

kmip_enum! {
    /// Key Wrap Type.
    KeyWrapType {
        /// Not Wrapped.
        NotWrapped = 0x00000001, "NotWrapped", (1, 0);
        /// As Registered.
        AsRegistered = 0x00000002, "AsRegistered", (1, 0);
    }
}

kmip_enum! {
    /// Mask Generator.
    MaskGenerator {
        /// MGF1.
        Mgf1 = 0x00000001, "MGF1", (1, 4);
    }
}

kmip_enum! {
    /// Adjustment Type.
    AdjustmentType {
        /// Increment.
        Increment = 0x00000001, "Increment", (2, 0);
        /// Decrement.
        Decrement = 0x00000002, "Decrement", (2, 0);
        /// Negate.
        Negate = 0x00000003, "Negate", (2, 0);
    }
}

kmip_enum! {
    /// Asynchronous Indicator.
    AsynchronousIndicator {
        /// Mandatory.
        Mandatory = 0x00000001, "Mandatory", (2, 0);
        /// Optional.
        Optional = 0x00000002, "Optional", (2, 0);
        /// Prohibited.
        Prohibited = 0x00000003, "Prohibited", (2, 0);
    }
}

kmip_enum! {
    /// Data.
    Data {
        /// Decrypt.
        Decrypt = 0x00000001, "Decrypt", (2, 0);
        /// Encrypt.
        Encrypt = 0x00000002, "Encrypt", (2, 0);
        /// Hash.
        Hash = 0x00000003, "Hash", (2, 0);
        /// MAC MAC Data.
        MacMacData = 0x00000004, "MACMACData", (2, 0);
        /// RNG Retrieve.
        RngRetrieve = 0x00000005, "RNGRetrieve", (2, 0);
        /// Sign Signature Data.
        SignSignatureData = 0x00000006, "SignSignatureData", (2, 0);
        /// Signature Verify.
        SignatureVerify = 0x00000007, "SignatureVerify", (2, 0);
    }
}

kmip_enum! {
    /// Endpoint Role.
    EndpointRole {
        /// Client.
        Client = 0x00000001, "Client", (2, 0);
        /// Server.
        Server = 0x00000002, "Server", (2, 0);
    }
}

kmip_enum! {
    /// Interop Function.
    InteropFunction {
        /// Begin.
        Begin = 0x00000001, "Begin", (2, 0);
        /// End.
        End = 0x00000002, "End", (2, 0);
        /// Reset.
        Reset = 0x00000003, "Reset", (2, 0);
    }
}

kmip_enum! {
    /// NIST Key Type.
    NistKeyType {
        /// Private signature key.
        PrivateSignatureKey = 0x00000001, "PrivateSignatureKey", (2, 0);
        /// Public signature verification key.
        PublicSignatureVerificationKey = 0x00000002, "PublicSignatureVerificationKey", (2, 0);
        /// Symmetric authentication key.
        SymmetricAuthenticationKey = 0x00000003, "SymmetricAuthenticationKey", (2, 0);
        /// Private authentication key.
        PrivateAuthenticationKey = 0x00000004, "PrivateAuthenticationKey", (2, 0);
        /// Public authentication key.
        PublicAuthenticationKey = 0x00000005, "PublicAuthenticationKey", (2, 0);
        /// Symmetric data encryption key.
        SymmetricDataEncryptionKey = 0x00000006, "SymmetricDataEncryptionKey", (2, 0);
        /// Symmetric key wrapping key.
        SymmetricKeyWrappingKey = 0x00000007, "SymmetricKeyWrappingKey", (2, 0);
        /// Symmetric random number generation key.
        SymmetricRandomNumberGenerationKey = 0x00000008, "SymmetricRandomNumberGenerationKey", (2, 0);
        /// Symmetric master key.
        SymmetricMasterKey = 0x00000009, "SymmetricMasterKey", (2, 0);
        /// Private key transport key.
        PrivateKeyTransportKey = 0x0000000A, "PrivateKeyTransportKey", (2, 0);
        /// Public key transport key.
        PublicKeyTransportKey = 0x0000000B, "PublicKeyTransportKey", (2, 0);
        /// Symmetric key agreement key.
        SymmetricKeyAgreementKey = 0x0000000C, "SymmetricKeyAgreementKey", (2, 0);
        /// Private static key agreement key.
        PrivateStaticKeyAgreementKey = 0x0000000D, "PrivateStaticKeyAgreementKey", (2, 0);
        /// Public static key agreement key.
        PublicStaticKeyAgreementKey = 0x0000000E, "PublicStaticKeyAgreementKey", (2, 0);
        /// Private ephemeral key agreement key.
        PrivateEphemeralKeyAgreementKey = 0x0000000F, "PrivateEphemeralKeyAgreementKey", (2, 0);
        /// Public ephemeral key agreement key.
        PublicEphemeralKeyAgreementKey = 0x00000010, "PublicEphemeralKeyAgreementKey", (2, 0);
        /// Symmetric authorization key.
        SymmetricAuthorizationKey = 0x00000011, "SymmetricAuthorizationKey", (2, 0);
        /// Private authorization key.
        PrivateAuthorizationKey = 0x00000012, "PrivateAuthorizationKey", (2, 0);
        /// Public authorization key.
        PublicAuthorizationKey = 0x00000013, "PublicAuthorizationKey", (2, 0);
    }
}

kmip_enum! {
    /// Protection Level.
    ProtectionLevel {
        /// High.
        High = 0x00000001, "High", (2, 0);
        /// Low.
        Low = 0x00000002, "Low", (2, 0);
    }
}

kmip_enum! {
    /// Ticket Type.
    TicketType {
        /// Login.
        Login = 0x00000001, "Login", (2, 0);
    }
}

kmip_enum! {
    /// Unique Identifier.
    UniqueIdentifier {
        /// ID Placeholder.
        IdPlaceholder = 0x00000001, "IDPlaceholder", (2, 0);
        /// Certify.
        Certify = 0x00000002, "Certify", (2, 0);
        /// Create.
        Create = 0x00000003, "Create", (2, 0);
        /// Create Key Pair.
        CreateKeyPair = 0x00000004, "CreateKeyPair", (2, 0);
        /// Create Key Pair Private Key.
        CreateKeyPairPrivateKey = 0x00000005, "CreateKeyPairPrivateKey", (2, 0);
        /// Create Key Pair Public Key.
        CreateKeyPairPublicKey = 0x00000006, "CreateKeyPairPublicKey", (2, 0);
        /// Create Split Key.
        CreateSplitKey = 0x00000007, "CreateSplitKey", (2, 0);
        /// Derive Key.
        DeriveKey = 0x00000008, "DeriveKey", (2, 0);
        /// Import.
        Import = 0x00000009, "Import", (2, 0);
        /// Join Split Key.
        JoinSplitKey = 0x0000000A, "JoinSplitKey", (2, 0);
        /// Locate.
        Locate = 0x0000000B, "Locate", (2, 0);
        /// Register.
        Register = 0x0000000C, "Register", (2, 0);
        /// Re-key.
        ReKey = 0x0000000D, "ReKey", (2, 0);
        /// Re-certify.
        ReCertify = 0x0000000E, "ReCertify", (2, 0);
        /// Re-key Key Pair.
        ReKeyKeyPair = 0x0000000F, "ReKeyKeyPair", (2, 0);
        /// Re-key Key Pair Private Key.
        ReKeyKeyPairPrivateKey = 0x00000010, "ReKeyKeyPairPrivateKey", (2, 0);
        /// Re-key Key Pair Public Key.
        ReKeyKeyPairPublicKey = 0x00000011, "ReKeyKeyPairPublicKey", (2, 0);
    }
}

kmip_enum! {
    /// PKCS#11 Function (2.0): the 1-based position of the function in the PKCS#11
    /// function list (`pkcs11f.h` order); only the PKCS#11 2.40 functions are listed.
    Pkcs11Function {
        /// C_Initialize.
        CInitialize = 0x00000001, "C_Initialize", (2, 0);
        /// C_Finalize.
        CFinalize = 0x00000002, "C_Finalize", (2, 0);
        /// C_GetInfo.
        CGetInfo = 0x00000003, "C_GetInfo", (2, 0);
        /// C_GetFunctionList.
        CGetFunctionList = 0x00000004, "C_GetFunctionList", (2, 0);
        /// C_GetSlotList.
        CGetSlotList = 0x00000005, "C_GetSlotList", (2, 0);
        /// C_GetSlotInfo.
        CGetSlotInfo = 0x00000006, "C_GetSlotInfo", (2, 0);
        /// C_GetTokenInfo.
        CGetTokenInfo = 0x00000007, "C_GetTokenInfo", (2, 0);
        /// C_GetMechanismList.
        CGetMechanismList = 0x00000008, "C_GetMechanismList", (2, 0);
        /// C_GetMechanismInfo.
        CGetMechanismInfo = 0x00000009, "C_GetMechanismInfo", (2, 0);
        /// C_InitToken.
        CInitToken = 0x0000000A, "C_InitToken", (2, 0);
        /// C_InitPIN.
        CInitPIN = 0x0000000B, "C_InitPIN", (2, 0);
        /// C_SetPIN.
        CSetPIN = 0x0000000C, "C_SetPIN", (2, 0);
        /// C_OpenSession.
        COpenSession = 0x0000000D, "C_OpenSession", (2, 0);
        /// C_CloseSession.
        CCloseSession = 0x0000000E, "C_CloseSession", (2, 0);
        /// C_CloseAllSessions.
        CCloseAllSessions = 0x0000000F, "C_CloseAllSessions", (2, 0);
        /// C_GetSessionInfo.
        CGetSessionInfo = 0x00000010, "C_GetSessionInfo", (2, 0);
        /// C_GetOperationState.
        CGetOperationState = 0x00000011, "C_GetOperationState", (2, 0);
        /// C_SetOperationState.
        CSetOperationState = 0x00000012, "C_SetOperationState", (2, 0);
        /// C_Login.
        CLogin = 0x00000013, "C_Login", (2, 0);
        /// C_Logout.
        CLogout = 0x00000014, "C_Logout", (2, 0);
        /// C_CreateObject.
        CCreateObject = 0x00000015, "C_CreateObject", (2, 0);
        /// C_CopyObject.
        CCopyObject = 0x00000016, "C_CopyObject", (2, 0);
        /// C_DestroyObject.
        CDestroyObject = 0x00000017, "C_DestroyObject", (2, 0);
        /// C_GetObjectSize.
        CGetObjectSize = 0x00000018, "C_GetObjectSize", (2, 0);
        /// C_GetAttributeValue.
        CGetAttributeValue = 0x00000019, "C_GetAttributeValue", (2, 0);
        /// C_SetAttributeValue.
        CSetAttributeValue = 0x0000001A, "C_SetAttributeValue", (2, 0);
        /// C_FindObjectsInit.
        CFindObjectsInit = 0x0000001B, "C_FindObjectsInit", (2, 0);
        /// C_FindObjects.
        CFindObjects = 0x0000001C, "C_FindObjects", (2, 0);
        /// C_FindObjectsFinal.
        CFindObjectsFinal = 0x0000001D, "C_FindObjectsFinal", (2, 0);
        /// C_EncryptInit.
        CEncryptInit = 0x0000001E, "C_EncryptInit", (2, 0);
        /// C_Encrypt.
        CEncrypt = 0x0000001F, "C_Encrypt", (2, 0);
        /// C_EncryptUpdate.
        CEncryptUpdate = 0x00000020, "C_EncryptUpdate", (2, 0);
        /// C_EncryptFinal.
        CEncryptFinal = 0x00000021, "C_EncryptFinal", (2, 0);
        /// C_DecryptInit.
        CDecryptInit = 0x00000022, "C_DecryptInit", (2, 0);
        /// C_Decrypt.
        CDecrypt = 0x00000023, "C_Decrypt", (2, 0);
        /// C_DecryptUpdate.
        CDecryptUpdate = 0x00000024, "C_DecryptUpdate", (2, 0);
        /// C_DecryptFinal.
        CDecryptFinal = 0x00000025, "C_DecryptFinal", (2, 0);
        /// C_DigestInit.
        CDigestInit = 0x00000026, "C_DigestInit", (2, 0);
        /// C_Digest.
        CDigest = 0x00000027, "C_Digest", (2, 0);
        /// C_DigestUpdate.
        CDigestUpdate = 0x00000028, "C_DigestUpdate", (2, 0);
        /// C_DigestKey.
        CDigestKey = 0x00000029, "C_DigestKey", (2, 0);
        /// C_DigestFinal.
        CDigestFinal = 0x0000002A, "C_DigestFinal", (2, 0);
        /// C_SignInit.
        CSignInit = 0x0000002B, "C_SignInit", (2, 0);
        /// C_Sign.
        CSign = 0x0000002C, "C_Sign", (2, 0);
        /// C_SignUpdate.
        CSignUpdate = 0x0000002D, "C_SignUpdate", (2, 0);
        /// C_SignFinal.
        CSignFinal = 0x0000002E, "C_SignFinal", (2, 0);
        /// C_SignRecoverInit.
        CSignRecoverInit = 0x0000002F, "C_SignRecoverInit", (2, 0);
        /// C_SignRecover.
        CSignRecover = 0x00000030, "C_SignRecover", (2, 0);
        /// C_VerifyInit.
        CVerifyInit = 0x00000031, "C_VerifyInit", (2, 0);
        /// C_Verify.
        CVerify = 0x00000032, "C_Verify", (2, 0);
        /// C_VerifyUpdate.
        CVerifyUpdate = 0x00000033, "C_VerifyUpdate", (2, 0);
        /// C_VerifyFinal.
        CVerifyFinal = 0x00000034, "C_VerifyFinal", (2, 0);
        /// C_VerifyRecoverInit.
        CVerifyRecoverInit = 0x00000035, "C_VerifyRecoverInit", (2, 0);
        /// C_VerifyRecover.
        CVerifyRecover = 0x00000036, "C_VerifyRecover", (2, 0);
        /// C_DigestEncryptUpdate.
        CDigestEncryptUpdate = 0x00000037, "C_DigestEncryptUpdate", (2, 0);
        /// C_DecryptDigestUpdate.
        CDecryptDigestUpdate = 0x00000038, "C_DecryptDigestUpdate", (2, 0);
        /// C_SignEncryptUpdate.
        CSignEncryptUpdate = 0x00000039, "C_SignEncryptUpdate", (2, 0);
        /// C_DecryptVerifyUpdate.
        CDecryptVerifyUpdate = 0x0000003A, "C_DecryptVerifyUpdate", (2, 0);
        /// C_GenerateKey.
        CGenerateKey = 0x0000003B, "C_GenerateKey", (2, 0);
        /// C_GenerateKeyPair.
        CGenerateKeyPair = 0x0000003C, "C_GenerateKeyPair", (2, 0);
        /// C_WrapKey.
        CWrapKey = 0x0000003D, "C_WrapKey", (2, 0);
        /// C_UnwrapKey.
        CUnwrapKey = 0x0000003E, "C_UnwrapKey", (2, 0);
        /// C_DeriveKey.
        CDeriveKey = 0x0000003F, "C_DeriveKey", (2, 0);
        /// C_SeedRandom.
        CSeedRandom = 0x00000040, "C_SeedRandom", (2, 0);
        /// C_GenerateRandom.
        CGenerateRandom = 0x00000041, "C_GenerateRandom", (2, 0);
        /// C_GetFunctionStatus.
        CGetFunctionStatus = 0x00000042, "C_GetFunctionStatus", (2, 0);
        /// C_CancelFunction.
        CCancelFunction = 0x00000043, "C_CancelFunction", (2, 0);
        /// C_WaitForSlotEvent.
        CWaitForSlotEvent = 0x00000044, "C_WaitForSlotEvent", (2, 0);
    }
}

kmip_enum! {
    /// PKCS#11 Return Code (2.0): the `CK_RV` value; the XML name drops the `CKR_` prefix.
    /// Only common codes are listed.
    Pkcs11ReturnCode {
        /// CKR_OK.
        Ok = 0x00000000, "OK", (2, 0);
        /// CKR_CANCEL.
        Cancel = 0x00000001, "CANCEL", (2, 0);
        /// CKR_HOST_MEMORY.
        HostMemory = 0x00000002, "HOST_MEMORY", (2, 0);
        /// CKR_SLOT_ID_INVALID.
        SlotIdInvalid = 0x00000003, "SLOT_ID_INVALID", (2, 0);
        /// CKR_GENERAL_ERROR.
        GeneralError = 0x00000005, "GENERAL_ERROR", (2, 0);
        /// CKR_FUNCTION_FAILED.
        FunctionFailed = 0x00000006, "FUNCTION_FAILED", (2, 0);
        /// CKR_ARGUMENTS_BAD.
        ArgumentsBad = 0x00000007, "ARGUMENTS_BAD", (2, 0);
        /// CKR_ATTRIBUTE_READ_ONLY.
        AttributeReadOnly = 0x00000010, "ATTRIBUTE_READ_ONLY", (2, 0);
        /// CKR_ATTRIBUTE_TYPE_INVALID.
        AttributeTypeInvalid = 0x00000012, "ATTRIBUTE_TYPE_INVALID", (2, 0);
        /// CKR_ATTRIBUTE_VALUE_INVALID.
        AttributeValueInvalid = 0x00000013, "ATTRIBUTE_VALUE_INVALID", (2, 0);
        /// CKR_DATA_INVALID.
        DataInvalid = 0x00000020, "DATA_INVALID", (2, 0);
        /// CKR_DATA_LEN_RANGE.
        DataLenRange = 0x00000021, "DATA_LEN_RANGE", (2, 0);
        /// CKR_DEVICE_ERROR.
        DeviceError = 0x00000030, "DEVICE_ERROR", (2, 0);
        /// CKR_FUNCTION_NOT_SUPPORTED.
        FunctionNotSupported = 0x00000054, "FUNCTION_NOT_SUPPORTED", (2, 0);
        /// CKR_KEY_HANDLE_INVALID.
        KeyHandleInvalid = 0x00000060, "KEY_HANDLE_INVALID", (2, 0);
        /// CKR_MECHANISM_INVALID.
        MechanismInvalid = 0x00000070, "MECHANISM_INVALID", (2, 0);
        /// CKR_OBJECT_HANDLE_INVALID.
        ObjectHandleInvalid = 0x00000082, "OBJECT_HANDLE_INVALID", (2, 0);
        /// CKR_PIN_INCORRECT.
        PinIncorrect = 0x000000A0, "PIN_INCORRECT", (2, 0);
        /// CKR_SESSION_HANDLE_INVALID.
        SessionHandleInvalid = 0x000000B3, "SESSION_HANDLE_INVALID", (2, 0);
        /// CKR_USER_NOT_LOGGED_IN.
        UserNotLoggedIn = 0x00000101, "USER_NOT_LOGGED_IN", (2, 0);
        /// CKR_CRYPTOKI_NOT_INITIALIZED.
        CryptokiNotInitialized = 0x00000190, "CRYPTOKI_NOT_INITIALIZED", (2, 0);
        /// CKR_CRYPTOKI_ALREADY_INITIALIZED.
        CryptokiAlreadyInitialized = 0x00000191, "CRYPTOKI_ALREADY_INITIALIZED", (2, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<E: KmipEnum + PartialEq + std::fmt::Debug>() {
        let all = E::all();
        assert!(!all.is_empty(), "{}", E::NAME);
        for (i, v) in all.iter().enumerate() {
            assert_eq!(E::from_value(v.value()), Some(*v), "{} {v:?}", E::NAME);
            assert_eq!(
                E::from_spec_name(v.spec_name()),
                Some(*v),
                "{} {v:?}",
                E::NAME
            );
            // Names are unique within an enumeration, even compared loosely.
            for w in all.iter().skip(i + 1) {
                assert_ne!(
                    loose_name(v.spec_name()),
                    loose_name(w.spec_name()),
                    "{}",
                    E::NAME
                );
                assert!(v.value() < w.value(), "{} not in value order", E::NAME);
            }
        }
    }

    macro_rules! check_all {
        ($($e:ident),+ $(,)?) => { $(check::<$e>();)+ };
    }

    #[test]
    fn every_enumeration_round_trips() {
        check_all!(
            CredentialType,
            KeyCompressionType,
            KeyFormatType,
            WrappingMethod,
            RecommendedCurve,
            CertificateType,
            DigitalSignatureAlgorithm,
            SplitKeyMethod,
            SecretDataType,
            NameType,
            ObjectType,
            CryptographicAlgorithm,
            BlockCipherMode,
            PaddingMethod,
            HashingAlgorithm,
            KeyRoleType,
            State,
            RevocationReasonCode,
            LinkType,
            DerivationMethod,
            CertificateRequestType,
            ValidityIndicator,
            QueryFunction,
            CancellationResult,
            PutFunction,
            Operation,
            ResultStatus,
            ResultReason,
            BatchErrorContinuationOption,
            UsageLimitsUnit,
            EncodingOption,
            ObjectGroupMember,
            AlternativeNameType,
            KeyValueLocationType,
            AttestationType,
            RngAlgorithm,
            DrbgAlgorithm,
            Fips186Variation,
            ValidationAuthorityType,
            ValidationType,
            UnwrapMode,
            DestroyAction,
            ShreddingAlgorithm,
            RngMode,
            ClientRegistrationMethod,
            KeyWrapType,
            MaskGenerator,
            AdjustmentType,
            AsynchronousIndicator,
            Data,
            EndpointRole,
            InteropFunction,
            NistKeyType,
            ProtectionLevel,
            TicketType,
            UniqueIdentifier,
            Pkcs11Function,
            Pkcs11ReturnCode,
        );
    }

    #[test]
    fn values_from_the_specification() {
        // Spot checks against the KMIP 1.4 / 2.0 / 2.1 tables.
        assert_eq!(CryptographicAlgorithm::Aes.value(), 0x03);
        assert_eq!(CryptographicAlgorithm::HmacSha256.value(), 0x09);
        assert_eq!(CryptographicAlgorithm::Ec.value(), 0x1A);
        assert_eq!(CryptographicAlgorithm::Ed25519.value(), 0x37);
        assert_eq!(CryptographicAlgorithm::Ed25519.since(), (2, 0));
        assert_eq!(ObjectType::PgpKey.value(), 0x09);
        assert_eq!(ObjectType::CertificateRequest.value(), 0x0A);
        assert_eq!(Operation::DiscoverVersions.value(), 0x1E);
        assert_eq!(Operation::RngRetrieve.value(), 0x25);
        assert_eq!(Operation::SetAttribute.value(), 0x31);
        assert_eq!(Operation::Ping.value(), 0x3B);
        assert_eq!(ResultReason::GeneralFailure.value(), 0x100);
        assert_eq!(ResultReason::ObjectAlreadyExists.value(), 0x18);
        assert_eq!(ResultReason::UnsupportedProtocolVersion.value(), 0x3F);
        assert_eq!(ResultReason::WrongKeyLifecycleState.value(), 0x43);
        assert_eq!(ResultReason::WrongKeyLifecycleState.since(), (2, 0));
        assert_eq!(ResultReason::Sensitive.since(), (1, 4));
        assert_eq!(KeyFormatType::TransparentEcPublicKey.value(), 0x15);
        assert_eq!(KeyFormatType::Pkcs12.value(), 0x16);
        assert_eq!(BlockCipherMode::Aead.value(), 0x12);
        assert_eq!(HashingAlgorithm::Sha512_224.value(), 0x0C);
        assert_eq!(HashingAlgorithm::Sha3_512.value(), 0x11);
        assert_eq!(RecommendedCurve::P256.value(), 0x07);
        assert_eq!(LinkType::ReplacementObjectLink.value(), 0x106);
        assert_eq!(PaddingMethod::Pkcs1V15.value(), 0x08);
        assert_eq!(DigitalSignatureAlgorithm::EcdsaWithSha256.value(), 0x0E);
        assert_eq!(CryptographicUsageMask::MAC_VERIFY.0, 0x100);
        assert_eq!(StorageStatusMask::ARCHIVAL_STORAGE.0, 0x2);
    }

    #[test]
    fn xml_spellings() {
        assert_eq!(
            CryptographicAlgorithm::HmacSha256.spec_name(),
            "HMAC_SHA256"
        );
        assert_eq!(CryptographicAlgorithm::Des3.spec_name(), "DES3");
        assert_eq!(ObjectType::SymmetricKey.spec_name(), "SymmetricKey");
        assert_eq!(KeyFormatType::X509.spec_name(), "X_509");
        assert_eq!(Operation::MacVerify.spec_name(), "MACVerify");
        assert_eq!(HashingAlgorithm::Sha256.spec_name(), "SHA_256");
        assert_eq!(Operation::from_spec_name("Re-key"), Some(Operation::ReKey));
        assert_eq!(Operation::from_spec_name("Frobnicate"), None);
    }

    #[test]
    fn masks_parse_and_print() {
        let m = CryptographicUsageMask::from_spec_text("Encrypt Decrypt").unwrap();
        assert_eq!(
            m,
            CryptographicUsageMask::ENCRYPT | CryptographicUsageMask::DECRYPT
        );
        assert_eq!(m.to_spec_text(), "Encrypt Decrypt");
        assert_eq!(
            CryptographicUsageMask::from_spec_text("0x0000000C"),
            Some(m)
        );
        assert_eq!(
            CryptographicUsageMask::from_spec_text("Encrypt Bogus"),
            None
        );
        assert_eq!(
            CryptographicUsageMask(0x8000_0001).to_spec_text(),
            "Sign 0x80000000"
        );
        assert!(m.contains(CryptographicUsageMask::ENCRYPT));
        assert!(!m.intersects(CryptographicUsageMask::SIGN));
    }
}
