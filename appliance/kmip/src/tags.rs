//! Tag numbers and names of KMIP 1.0–2.1.
//!
//! Every tag of the KMIP 2.1 tag enumeration (§11.56, `0x420001`–`0x420176`), plus the 1.x tags
//! that 2.0 marked "(Reserved)" (Template-Attribute, Operation Policy Name, …) because 1.x
//! clients still send them. Names are the CamelCase element names of the KMIP XML encoding, as
//! the OASIS test cases spell them (`X.509 Certificate Identifier` is `X_509CertificateIdentifier`).
//! Extension tags (`0x54xxxx`) have no names here.

use crate::ttlv::Tag;

/// Activation Date.
pub const ACTIVATION_DATE: Tag = Tag(0x420001);
/// Application Data.
pub const APPLICATION_DATA: Tag = Tag(0x420002);
/// Application Namespace.
pub const APPLICATION_NAMESPACE: Tag = Tag(0x420003);
/// Application Specific Information.
pub const APPLICATION_SPECIFIC_INFORMATION: Tag = Tag(0x420004);
/// Archive Date.
pub const ARCHIVE_DATE: Tag = Tag(0x420005);
/// Asynchronous Correlation Value.
pub const ASYNCHRONOUS_CORRELATION_VALUE: Tag = Tag(0x420006);
/// Asynchronous Indicator.
pub const ASYNCHRONOUS_INDICATOR: Tag = Tag(0x420007);
/// Attribute.
pub const ATTRIBUTE: Tag = Tag(0x420008);
/// Attribute Index.
pub const ATTRIBUTE_INDEX: Tag = Tag(0x420009);
/// Attribute Name.
pub const ATTRIBUTE_NAME: Tag = Tag(0x42000A);
/// Attribute Value.
pub const ATTRIBUTE_VALUE: Tag = Tag(0x42000B);
/// Authentication.
pub const AUTHENTICATION: Tag = Tag(0x42000C);
/// Batch Count.
pub const BATCH_COUNT: Tag = Tag(0x42000D);
/// Batch Error Continuation Option.
pub const BATCH_ERROR_CONTINUATION_OPTION: Tag = Tag(0x42000E);
/// Batch Item.
pub const BATCH_ITEM: Tag = Tag(0x42000F);
/// Batch Order Option.
pub const BATCH_ORDER_OPTION: Tag = Tag(0x420010);
/// Block Cipher Mode.
pub const BLOCK_CIPHER_MODE: Tag = Tag(0x420011);
/// Cancellation Result.
pub const CANCELLATION_RESULT: Tag = Tag(0x420012);
/// Certificate.
pub const CERTIFICATE: Tag = Tag(0x420013);
/// Certificate Identifier.
pub const CERTIFICATE_IDENTIFIER: Tag = Tag(0x420014);
/// Certificate Issuer.
pub const CERTIFICATE_ISSUER: Tag = Tag(0x420015);
/// Certificate Issuer Alternative Name.
pub const CERTIFICATE_ISSUER_ALTERNATIVE_NAME: Tag = Tag(0x420016);
/// Certificate Issuer Distinguished Name.
pub const CERTIFICATE_ISSUER_DISTINGUISHED_NAME: Tag = Tag(0x420017);
/// Certificate Request.
pub const CERTIFICATE_REQUEST: Tag = Tag(0x420018);
/// Certificate Request Type.
pub const CERTIFICATE_REQUEST_TYPE: Tag = Tag(0x420019);
/// Certificate Subject.
pub const CERTIFICATE_SUBJECT: Tag = Tag(0x42001A);
/// Certificate Subject Alternative Name.
pub const CERTIFICATE_SUBJECT_ALTERNATIVE_NAME: Tag = Tag(0x42001B);
/// Certificate Subject Distinguished Name.
pub const CERTIFICATE_SUBJECT_DISTINGUISHED_NAME: Tag = Tag(0x42001C);
/// Certificate Type.
pub const CERTIFICATE_TYPE: Tag = Tag(0x42001D);
/// Certificate Value.
pub const CERTIFICATE_VALUE: Tag = Tag(0x42001E);
/// Common Template-Attribute.
pub const COMMON_TEMPLATE_ATTRIBUTE: Tag = Tag(0x42001F);
/// Compromise Date.
pub const COMPROMISE_DATE: Tag = Tag(0x420020);
/// Compromise Occurrence Date.
pub const COMPROMISE_OCCURRENCE_DATE: Tag = Tag(0x420021);
/// Contact Information.
pub const CONTACT_INFORMATION: Tag = Tag(0x420022);
/// Credential.
pub const CREDENTIAL: Tag = Tag(0x420023);
/// Credential Type.
pub const CREDENTIAL_TYPE: Tag = Tag(0x420024);
/// Credential Value.
pub const CREDENTIAL_VALUE: Tag = Tag(0x420025);
/// Criticality Indicator.
pub const CRITICALITY_INDICATOR: Tag = Tag(0x420026);
/// CRT Coefficient.
pub const CRT_COEFFICIENT: Tag = Tag(0x420027);
/// Cryptographic Algorithm.
pub const CRYPTOGRAPHIC_ALGORITHM: Tag = Tag(0x420028);
/// Cryptographic Domain Parameters.
pub const CRYPTOGRAPHIC_DOMAIN_PARAMETERS: Tag = Tag(0x420029);
/// Cryptographic Length.
pub const CRYPTOGRAPHIC_LENGTH: Tag = Tag(0x42002A);
/// Cryptographic Parameters.
pub const CRYPTOGRAPHIC_PARAMETERS: Tag = Tag(0x42002B);
/// Cryptographic Usage Mask.
pub const CRYPTOGRAPHIC_USAGE_MASK: Tag = Tag(0x42002C);
/// Custom Attribute.
pub const CUSTOM_ATTRIBUTE: Tag = Tag(0x42002D);
/// D.
pub const D: Tag = Tag(0x42002E);
/// Deactivation Date.
pub const DEACTIVATION_DATE: Tag = Tag(0x42002F);
/// Derivation Data.
pub const DERIVATION_DATA: Tag = Tag(0x420030);
/// Derivation Method.
pub const DERIVATION_METHOD: Tag = Tag(0x420031);
/// Derivation Parameters.
pub const DERIVATION_PARAMETERS: Tag = Tag(0x420032);
/// Destroy Date.
pub const DESTROY_DATE: Tag = Tag(0x420033);
/// Digest.
pub const DIGEST: Tag = Tag(0x420034);
/// Digest Value.
pub const DIGEST_VALUE: Tag = Tag(0x420035);
/// Encryption Key Information.
pub const ENCRYPTION_KEY_INFORMATION: Tag = Tag(0x420036);
/// G.
pub const G: Tag = Tag(0x420037);
/// Hashing Algorithm.
pub const HASHING_ALGORITHM: Tag = Tag(0x420038);
/// Initial Date.
pub const INITIAL_DATE: Tag = Tag(0x420039);
/// Initialization Vector.
pub const INITIALIZATION_VECTOR: Tag = Tag(0x42003A);
/// Issuer.
pub const ISSUER: Tag = Tag(0x42003B);
/// Iteration Count.
pub const ITERATION_COUNT: Tag = Tag(0x42003C);
/// IV/Counter/Nonce.
pub const IV_COUNTER_NONCE: Tag = Tag(0x42003D);
/// J.
pub const J: Tag = Tag(0x42003E);
/// Key.
pub const KEY: Tag = Tag(0x42003F);
/// Key Block.
pub const KEY_BLOCK: Tag = Tag(0x420040);
/// Key Compression Type.
pub const KEY_COMPRESSION_TYPE: Tag = Tag(0x420041);
/// Key Format Type.
pub const KEY_FORMAT_TYPE: Tag = Tag(0x420042);
/// Key Material.
pub const KEY_MATERIAL: Tag = Tag(0x420043);
/// Key Part Identifier.
pub const KEY_PART_IDENTIFIER: Tag = Tag(0x420044);
/// Key Value.
pub const KEY_VALUE: Tag = Tag(0x420045);
/// Key Wrapping Data.
pub const KEY_WRAPPING_DATA: Tag = Tag(0x420046);
/// Key Wrapping Specification.
pub const KEY_WRAPPING_SPECIFICATION: Tag = Tag(0x420047);
/// Last Change Date.
pub const LAST_CHANGE_DATE: Tag = Tag(0x420048);
/// Lease Time.
pub const LEASE_TIME: Tag = Tag(0x420049);
/// Link.
pub const LINK: Tag = Tag(0x42004A);
/// Link Type.
pub const LINK_TYPE: Tag = Tag(0x42004B);
/// Linked Object Identifier.
pub const LINKED_OBJECT_IDENTIFIER: Tag = Tag(0x42004C);
/// MAC/Signature.
pub const MAC_SIGNATURE: Tag = Tag(0x42004D);
/// MAC/Signature Key Information.
pub const MAC_SIGNATURE_KEY_INFORMATION: Tag = Tag(0x42004E);
/// Maximum Items.
pub const MAXIMUM_ITEMS: Tag = Tag(0x42004F);
/// Maximum Response Size.
pub const MAXIMUM_RESPONSE_SIZE: Tag = Tag(0x420050);
/// Message Extension.
pub const MESSAGE_EXTENSION: Tag = Tag(0x420051);
/// Modulus.
pub const MODULUS: Tag = Tag(0x420052);
/// Name.
pub const NAME: Tag = Tag(0x420053);
/// Name Type.
pub const NAME_TYPE: Tag = Tag(0x420054);
/// Name Value.
pub const NAME_VALUE: Tag = Tag(0x420055);
/// Object Group.
pub const OBJECT_GROUP: Tag = Tag(0x420056);
/// Object Type.
pub const OBJECT_TYPE: Tag = Tag(0x420057);
/// Offset.
pub const OFFSET: Tag = Tag(0x420058);
/// Opaque Data Type.
pub const OPAQUE_DATA_TYPE: Tag = Tag(0x420059);
/// Opaque Data Value.
pub const OPAQUE_DATA_VALUE: Tag = Tag(0x42005A);
/// Opaque Object.
pub const OPAQUE_OBJECT: Tag = Tag(0x42005B);
/// Operation.
pub const OPERATION: Tag = Tag(0x42005C);
/// Operation Policy Name.
pub const OPERATION_POLICY_NAME: Tag = Tag(0x42005D);
/// P.
pub const P: Tag = Tag(0x42005E);
/// Padding Method.
pub const PADDING_METHOD: Tag = Tag(0x42005F);
/// Prime Exponent P.
pub const PRIME_EXPONENT_P: Tag = Tag(0x420060);
/// Prime Exponent Q.
pub const PRIME_EXPONENT_Q: Tag = Tag(0x420061);
/// Prime Field Size.
pub const PRIME_FIELD_SIZE: Tag = Tag(0x420062);
/// Private Exponent.
pub const PRIVATE_EXPONENT: Tag = Tag(0x420063);
/// Private Key.
pub const PRIVATE_KEY: Tag = Tag(0x420064);
/// Private Key Template-Attribute.
pub const PRIVATE_KEY_TEMPLATE_ATTRIBUTE: Tag = Tag(0x420065);
/// Private Key Unique Identifier.
pub const PRIVATE_KEY_UNIQUE_IDENTIFIER: Tag = Tag(0x420066);
/// Process Start Date.
pub const PROCESS_START_DATE: Tag = Tag(0x420067);
/// Protect Stop Date.
pub const PROTECT_STOP_DATE: Tag = Tag(0x420068);
/// Protocol Version.
pub const PROTOCOL_VERSION: Tag = Tag(0x420069);
/// Protocol Version Major.
pub const PROTOCOL_VERSION_MAJOR: Tag = Tag(0x42006A);
/// Protocol Version Minor.
pub const PROTOCOL_VERSION_MINOR: Tag = Tag(0x42006B);
/// Public Exponent.
pub const PUBLIC_EXPONENT: Tag = Tag(0x42006C);
/// Public Key.
pub const PUBLIC_KEY: Tag = Tag(0x42006D);
/// Public Key Template-Attribute.
pub const PUBLIC_KEY_TEMPLATE_ATTRIBUTE: Tag = Tag(0x42006E);
/// Public Key Unique Identifier.
pub const PUBLIC_KEY_UNIQUE_IDENTIFIER: Tag = Tag(0x42006F);
/// Put Function.
pub const PUT_FUNCTION: Tag = Tag(0x420070);
/// Q.
pub const Q: Tag = Tag(0x420071);
/// Q String.
pub const Q_STRING: Tag = Tag(0x420072);
/// Qlength.
pub const QLENGTH: Tag = Tag(0x420073);
/// Query Function.
pub const QUERY_FUNCTION: Tag = Tag(0x420074);
/// Recommended Curve.
pub const RECOMMENDED_CURVE: Tag = Tag(0x420075);
/// Replaced Unique Identifier.
pub const REPLACED_UNIQUE_IDENTIFIER: Tag = Tag(0x420076);
/// Request Header.
pub const REQUEST_HEADER: Tag = Tag(0x420077);
/// Request Message.
pub const REQUEST_MESSAGE: Tag = Tag(0x420078);
/// Request Payload.
pub const REQUEST_PAYLOAD: Tag = Tag(0x420079);
/// Response Header.
pub const RESPONSE_HEADER: Tag = Tag(0x42007A);
/// Response Message.
pub const RESPONSE_MESSAGE: Tag = Tag(0x42007B);
/// Response Payload.
pub const RESPONSE_PAYLOAD: Tag = Tag(0x42007C);
/// Result Message.
pub const RESULT_MESSAGE: Tag = Tag(0x42007D);
/// Result Reason.
pub const RESULT_REASON: Tag = Tag(0x42007E);
/// Result Status.
pub const RESULT_STATUS: Tag = Tag(0x42007F);
/// Revocation Message.
pub const REVOCATION_MESSAGE: Tag = Tag(0x420080);
/// Revocation Reason.
pub const REVOCATION_REASON: Tag = Tag(0x420081);
/// Revocation Reason Code.
pub const REVOCATION_REASON_CODE: Tag = Tag(0x420082);
/// Key Role Type.
pub const KEY_ROLE_TYPE: Tag = Tag(0x420083);
/// Salt.
pub const SALT: Tag = Tag(0x420084);
/// Secret Data.
pub const SECRET_DATA: Tag = Tag(0x420085);
/// Secret Data Type.
pub const SECRET_DATA_TYPE: Tag = Tag(0x420086);
/// Serial Number.
pub const SERIAL_NUMBER: Tag = Tag(0x420087);
/// Server Information.
pub const SERVER_INFORMATION: Tag = Tag(0x420088);
/// Split Key.
pub const SPLIT_KEY: Tag = Tag(0x420089);
/// Split Key Method.
pub const SPLIT_KEY_METHOD: Tag = Tag(0x42008A);
/// Split Key Parts.
pub const SPLIT_KEY_PARTS: Tag = Tag(0x42008B);
/// Split Key Threshold.
pub const SPLIT_KEY_THRESHOLD: Tag = Tag(0x42008C);
/// State.
pub const STATE: Tag = Tag(0x42008D);
/// Storage Status Mask.
pub const STORAGE_STATUS_MASK: Tag = Tag(0x42008E);
/// Symmetric Key.
pub const SYMMETRIC_KEY: Tag = Tag(0x42008F);
/// Template.
pub const TEMPLATE: Tag = Tag(0x420090);
/// Template-Attribute.
pub const TEMPLATE_ATTRIBUTE: Tag = Tag(0x420091);
/// Time Stamp.
pub const TIME_STAMP: Tag = Tag(0x420092);
/// Unique Batch Item ID.
pub const UNIQUE_BATCH_ITEM_ID: Tag = Tag(0x420093);
/// Unique Identifier.
pub const UNIQUE_IDENTIFIER: Tag = Tag(0x420094);
/// Usage Limits.
pub const USAGE_LIMITS: Tag = Tag(0x420095);
/// Usage Limits Count.
pub const USAGE_LIMITS_COUNT: Tag = Tag(0x420096);
/// Usage Limits Total.
pub const USAGE_LIMITS_TOTAL: Tag = Tag(0x420097);
/// Usage Limits Unit.
pub const USAGE_LIMITS_UNIT: Tag = Tag(0x420098);
/// Username.
pub const USERNAME: Tag = Tag(0x420099);
/// Validity Date.
pub const VALIDITY_DATE: Tag = Tag(0x42009A);
/// Validity Indicator.
pub const VALIDITY_INDICATOR: Tag = Tag(0x42009B);
/// Vendor Extension.
pub const VENDOR_EXTENSION: Tag = Tag(0x42009C);
/// Vendor Identification.
pub const VENDOR_IDENTIFICATION: Tag = Tag(0x42009D);
/// Wrapping Method.
pub const WRAPPING_METHOD: Tag = Tag(0x42009E);
/// X.
pub const X: Tag = Tag(0x42009F);
/// Y.
pub const Y: Tag = Tag(0x4200A0);
/// Password.
pub const PASSWORD: Tag = Tag(0x4200A1);
/// Device Identifier.
pub const DEVICE_IDENTIFIER: Tag = Tag(0x4200A2);
/// Encoding Option.
pub const ENCODING_OPTION: Tag = Tag(0x4200A3);
/// Extension Information.
pub const EXTENSION_INFORMATION: Tag = Tag(0x4200A4);
/// Extension Name.
pub const EXTENSION_NAME: Tag = Tag(0x4200A5);
/// Extension Tag.
pub const EXTENSION_TAG: Tag = Tag(0x4200A6);
/// Extension Type.
pub const EXTENSION_TYPE: Tag = Tag(0x4200A7);
/// Fresh.
pub const FRESH: Tag = Tag(0x4200A8);
/// Machine Identifier.
pub const MACHINE_IDENTIFIER: Tag = Tag(0x4200A9);
/// Media Identifier.
pub const MEDIA_IDENTIFIER: Tag = Tag(0x4200AA);
/// Network Identifier.
pub const NETWORK_IDENTIFIER: Tag = Tag(0x4200AB);
/// Object Group Member.
pub const OBJECT_GROUP_MEMBER: Tag = Tag(0x4200AC);
/// Certificate Length.
pub const CERTIFICATE_LENGTH: Tag = Tag(0x4200AD);
/// Digital Signature Algorithm.
pub const DIGITAL_SIGNATURE_ALGORITHM: Tag = Tag(0x4200AE);
/// Certificate Serial Number.
pub const CERTIFICATE_SERIAL_NUMBER: Tag = Tag(0x4200AF);
/// Device Serial Number.
pub const DEVICE_SERIAL_NUMBER: Tag = Tag(0x4200B0);
/// Issuer Alternative Name.
pub const ISSUER_ALTERNATIVE_NAME: Tag = Tag(0x4200B1);
/// Issuer Distinguished Name.
pub const ISSUER_DISTINGUISHED_NAME: Tag = Tag(0x4200B2);
/// Subject Alternative Name.
pub const SUBJECT_ALTERNATIVE_NAME: Tag = Tag(0x4200B3);
/// Subject Distinguished Name.
pub const SUBJECT_DISTINGUISHED_NAME: Tag = Tag(0x4200B4);
/// X.509 Certificate Identifier.
pub const X509_CERTIFICATE_IDENTIFIER: Tag = Tag(0x4200B5);
/// X.509 Certificate Issuer.
pub const X509_CERTIFICATE_ISSUER: Tag = Tag(0x4200B6);
/// X.509 Certificate Subject.
pub const X509_CERTIFICATE_SUBJECT: Tag = Tag(0x4200B7);
/// Key Value Location.
pub const KEY_VALUE_LOCATION: Tag = Tag(0x4200B8);
/// Key Value Location Value.
pub const KEY_VALUE_LOCATION_VALUE: Tag = Tag(0x4200B9);
/// Key Value Location Type.
pub const KEY_VALUE_LOCATION_TYPE: Tag = Tag(0x4200BA);
/// Key Value Present.
pub const KEY_VALUE_PRESENT: Tag = Tag(0x4200BB);
/// Original Creation Date.
pub const ORIGINAL_CREATION_DATE: Tag = Tag(0x4200BC);
/// PGP Key.
pub const PGP_KEY: Tag = Tag(0x4200BD);
/// PGP Key Version.
pub const PGP_KEY_VERSION: Tag = Tag(0x4200BE);
/// Alternative Name.
pub const ALTERNATIVE_NAME: Tag = Tag(0x4200BF);
/// Alternative Name Value.
pub const ALTERNATIVE_NAME_VALUE: Tag = Tag(0x4200C0);
/// Alternative Name Type.
pub const ALTERNATIVE_NAME_TYPE: Tag = Tag(0x4200C1);
/// Data.
pub const DATA: Tag = Tag(0x4200C2);
/// Signature Data.
pub const SIGNATURE_DATA: Tag = Tag(0x4200C3);
/// Data Length.
pub const DATA_LENGTH: Tag = Tag(0x4200C4);
/// Random IV.
pub const RANDOM_IV: Tag = Tag(0x4200C5);
/// MAC Data.
pub const MAC_DATA: Tag = Tag(0x4200C6);
/// Attestation Type.
pub const ATTESTATION_TYPE: Tag = Tag(0x4200C7);
/// Nonce.
pub const NONCE: Tag = Tag(0x4200C8);
/// Nonce ID.
pub const NONCE_ID: Tag = Tag(0x4200C9);
/// Nonce Value.
pub const NONCE_VALUE: Tag = Tag(0x4200CA);
/// Attestation Measurement.
pub const ATTESTATION_MEASUREMENT: Tag = Tag(0x4200CB);
/// Attestation Assertion.
pub const ATTESTATION_ASSERTION: Tag = Tag(0x4200CC);
/// IV Length.
pub const IV_LENGTH: Tag = Tag(0x4200CD);
/// Tag Length.
pub const TAG_LENGTH: Tag = Tag(0x4200CE);
/// Fixed Field Length.
pub const FIXED_FIELD_LENGTH: Tag = Tag(0x4200CF);
/// Counter Length.
pub const COUNTER_LENGTH: Tag = Tag(0x4200D0);
/// Initial Counter Value.
pub const INITIAL_COUNTER_VALUE: Tag = Tag(0x4200D1);
/// Invocation Field Length.
pub const INVOCATION_FIELD_LENGTH: Tag = Tag(0x4200D2);
/// Attestation Capable Indicator.
pub const ATTESTATION_CAPABLE_INDICATOR: Tag = Tag(0x4200D3);
/// Offset Items.
pub const OFFSET_ITEMS: Tag = Tag(0x4200D4);
/// Located Items.
pub const LOCATED_ITEMS: Tag = Tag(0x4200D5);
/// Correlation Value.
pub const CORRELATION_VALUE: Tag = Tag(0x4200D6);
/// Init Indicator.
pub const INIT_INDICATOR: Tag = Tag(0x4200D7);
/// Final Indicator.
pub const FINAL_INDICATOR: Tag = Tag(0x4200D8);
/// RNG Parameters.
pub const RNG_PARAMETERS: Tag = Tag(0x4200D9);
/// RNG Algorithm.
pub const RNG_ALGORITHM: Tag = Tag(0x4200DA);
/// DRBG Algorithm.
pub const DRBG_ALGORITHM: Tag = Tag(0x4200DB);
/// FIPS186 Variation.
pub const FIPS186_VARIATION: Tag = Tag(0x4200DC);
/// Prediction Resistance.
pub const PREDICTION_RESISTANCE: Tag = Tag(0x4200DD);
/// Random Number Generator.
pub const RANDOM_NUMBER_GENERATOR: Tag = Tag(0x4200DE);
/// Validation Information.
pub const VALIDATION_INFORMATION: Tag = Tag(0x4200DF);
/// Validation Authority Type.
pub const VALIDATION_AUTHORITY_TYPE: Tag = Tag(0x4200E0);
/// Validation Authority Country.
pub const VALIDATION_AUTHORITY_COUNTRY: Tag = Tag(0x4200E1);
/// Validation Authority URI.
pub const VALIDATION_AUTHORITY_URI: Tag = Tag(0x4200E2);
/// Validation Version Major.
pub const VALIDATION_VERSION_MAJOR: Tag = Tag(0x4200E3);
/// Validation Version Minor.
pub const VALIDATION_VERSION_MINOR: Tag = Tag(0x4200E4);
/// Validation Type.
pub const VALIDATION_TYPE: Tag = Tag(0x4200E5);
/// Validation Level.
pub const VALIDATION_LEVEL: Tag = Tag(0x4200E6);
/// Validation Certificate Identifier.
pub const VALIDATION_CERTIFICATE_IDENTIFIER: Tag = Tag(0x4200E7);
/// Validation Certificate URI.
pub const VALIDATION_CERTIFICATE_URI: Tag = Tag(0x4200E8);
/// Validation Vendor URI.
pub const VALIDATION_VENDOR_URI: Tag = Tag(0x4200E9);
/// Validation Profile.
pub const VALIDATION_PROFILE: Tag = Tag(0x4200EA);
/// Profile Information.
pub const PROFILE_INFORMATION: Tag = Tag(0x4200EB);
/// Profile Name.
pub const PROFILE_NAME: Tag = Tag(0x4200EC);
/// Server URI.
pub const SERVER_URI: Tag = Tag(0x4200ED);
/// Server Port.
pub const SERVER_PORT: Tag = Tag(0x4200EE);
/// Streaming Capability.
pub const STREAMING_CAPABILITY: Tag = Tag(0x4200EF);
/// Asynchronous Capability.
pub const ASYNCHRONOUS_CAPABILITY: Tag = Tag(0x4200F0);
/// Attestation Capability.
pub const ATTESTATION_CAPABILITY: Tag = Tag(0x4200F1);
/// Unwrap Mode.
pub const UNWRAP_MODE: Tag = Tag(0x4200F2);
/// Destroy Action.
pub const DESTROY_ACTION: Tag = Tag(0x4200F3);
/// Shredding Algorithm.
pub const SHREDDING_ALGORITHM: Tag = Tag(0x4200F4);
/// RNG Mode.
pub const RNG_MODE: Tag = Tag(0x4200F5);
/// Client Registration Method.
pub const CLIENT_REGISTRATION_METHOD: Tag = Tag(0x4200F6);
/// Capability Information.
pub const CAPABILITY_INFORMATION: Tag = Tag(0x4200F7);
/// Key Wrap Type.
pub const KEY_WRAP_TYPE: Tag = Tag(0x4200F8);
/// Batch Undo Capability.
pub const BATCH_UNDO_CAPABILITY: Tag = Tag(0x4200F9);
/// Batch Continue Capability.
pub const BATCH_CONTINUE_CAPABILITY: Tag = Tag(0x4200FA);
/// PKCS#12 Friendly Name.
pub const PKCS12_FRIENDLY_NAME: Tag = Tag(0x4200FB);
/// Description.
pub const DESCRIPTION: Tag = Tag(0x4200FC);
/// Comment.
pub const COMMENT: Tag = Tag(0x4200FD);
/// Authenticated Encryption Additional Data.
pub const AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA: Tag = Tag(0x4200FE);
/// Authenticated Encryption Tag.
pub const AUTHENTICATED_ENCRYPTION_TAG: Tag = Tag(0x4200FF);
/// Salt Length.
pub const SALT_LENGTH: Tag = Tag(0x420100);
/// Mask Generator.
pub const MASK_GENERATOR: Tag = Tag(0x420101);
/// Mask Generator Hashing Algorithm.
pub const MASK_GENERATOR_HASHING_ALGORITHM: Tag = Tag(0x420102);
/// P Source.
pub const P_SOURCE: Tag = Tag(0x420103);
/// Trailer Field.
pub const TRAILER_FIELD: Tag = Tag(0x420104);
/// Client Correlation Value.
pub const CLIENT_CORRELATION_VALUE: Tag = Tag(0x420105);
/// Server Correlation Value.
pub const SERVER_CORRELATION_VALUE: Tag = Tag(0x420106);
/// Digested Data.
pub const DIGESTED_DATA: Tag = Tag(0x420107);
/// Certificate Subject CN.
pub const CERTIFICATE_SUBJECT_CN: Tag = Tag(0x420108);
/// Certificate Subject O.
pub const CERTIFICATE_SUBJECT_O: Tag = Tag(0x420109);
/// Certificate Subject OU.
pub const CERTIFICATE_SUBJECT_OU: Tag = Tag(0x42010A);
/// Certificate Subject Email.
pub const CERTIFICATE_SUBJECT_EMAIL: Tag = Tag(0x42010B);
/// Certificate Subject C.
pub const CERTIFICATE_SUBJECT_C: Tag = Tag(0x42010C);
/// Certificate Subject ST.
pub const CERTIFICATE_SUBJECT_ST: Tag = Tag(0x42010D);
/// Certificate Subject L.
pub const CERTIFICATE_SUBJECT_L: Tag = Tag(0x42010E);
/// Certificate Subject UID.
pub const CERTIFICATE_SUBJECT_UID: Tag = Tag(0x42010F);
/// Certificate Subject Serial Number.
pub const CERTIFICATE_SUBJECT_SERIAL_NUMBER: Tag = Tag(0x420110);
/// Certificate Subject Title.
pub const CERTIFICATE_SUBJECT_TITLE: Tag = Tag(0x420111);
/// Certificate Subject DC.
pub const CERTIFICATE_SUBJECT_DC: Tag = Tag(0x420112);
/// Certificate Subject DN Qualifier.
pub const CERTIFICATE_SUBJECT_DN_QUALIFIER: Tag = Tag(0x420113);
/// Certificate Issuer CN.
pub const CERTIFICATE_ISSUER_CN: Tag = Tag(0x420114);
/// Certificate Issuer O.
pub const CERTIFICATE_ISSUER_O: Tag = Tag(0x420115);
/// Certificate Issuer OU.
pub const CERTIFICATE_ISSUER_OU: Tag = Tag(0x420116);
/// Certificate Issuer Email.
pub const CERTIFICATE_ISSUER_EMAIL: Tag = Tag(0x420117);
/// Certificate Issuer C.
pub const CERTIFICATE_ISSUER_C: Tag = Tag(0x420118);
/// Certificate Issuer ST.
pub const CERTIFICATE_ISSUER_ST: Tag = Tag(0x420119);
/// Certificate Issuer L.
pub const CERTIFICATE_ISSUER_L: Tag = Tag(0x42011A);
/// Certificate Issuer UID.
pub const CERTIFICATE_ISSUER_UID: Tag = Tag(0x42011B);
/// Certificate Issuer Serial Number.
pub const CERTIFICATE_ISSUER_SERIAL_NUMBER: Tag = Tag(0x42011C);
/// Certificate Issuer Title.
pub const CERTIFICATE_ISSUER_TITLE: Tag = Tag(0x42011D);
/// Certificate Issuer DC.
pub const CERTIFICATE_ISSUER_DC: Tag = Tag(0x42011E);
/// Certificate Issuer DN Qualifier.
pub const CERTIFICATE_ISSUER_DN_QUALIFIER: Tag = Tag(0x42011F);
/// Sensitive.
pub const SENSITIVE: Tag = Tag(0x420120);
/// Always Sensitive.
pub const ALWAYS_SENSITIVE: Tag = Tag(0x420121);
/// Extractable.
pub const EXTRACTABLE: Tag = Tag(0x420122);
/// Never Extractable.
pub const NEVER_EXTRACTABLE: Tag = Tag(0x420123);
/// Replace Existing.
pub const REPLACE_EXISTING: Tag = Tag(0x420124);
/// Attributes.
pub const ATTRIBUTES: Tag = Tag(0x420125);
/// Common Attributes.
pub const COMMON_ATTRIBUTES: Tag = Tag(0x420126);
/// Private Key Attributes.
pub const PRIVATE_KEY_ATTRIBUTES: Tag = Tag(0x420127);
/// Public Key Attributes.
pub const PUBLIC_KEY_ATTRIBUTES: Tag = Tag(0x420128);
/// Extension Enumeration.
pub const EXTENSION_ENUMERATION: Tag = Tag(0x420129);
/// Extension Attribute.
pub const EXTENSION_ATTRIBUTE: Tag = Tag(0x42012A);
/// Extension Parent Structure Tag.
pub const EXTENSION_PARENT_STRUCTURE_TAG: Tag = Tag(0x42012B);
/// Extension Description.
pub const EXTENSION_DESCRIPTION: Tag = Tag(0x42012C);
/// Server Name.
pub const SERVER_NAME: Tag = Tag(0x42012D);
/// Server Serial Number.
pub const SERVER_SERIAL_NUMBER: Tag = Tag(0x42012E);
/// Server Version.
pub const SERVER_VERSION: Tag = Tag(0x42012F);
/// Server Load.
pub const SERVER_LOAD: Tag = Tag(0x420130);
/// Product Name.
pub const PRODUCT_NAME: Tag = Tag(0x420131);
/// Build Level.
pub const BUILD_LEVEL: Tag = Tag(0x420132);
/// Build Date.
pub const BUILD_DATE: Tag = Tag(0x420133);
/// Cluster Info.
pub const CLUSTER_INFO: Tag = Tag(0x420134);
/// Alternate Failover Endpoints.
pub const ALTERNATE_FAILOVER_ENDPOINTS: Tag = Tag(0x420135);
/// Short Unique Identifier.
pub const SHORT_UNIQUE_IDENTIFIER: Tag = Tag(0x420136);
/// Reserved.
pub const RESERVED: Tag = Tag(0x420137);
/// Tag.
pub const TAG: Tag = Tag(0x420138);
/// Certificate Request Unique Identifier.
pub const CERTIFICATE_REQUEST_UNIQUE_IDENTIFIER: Tag = Tag(0x420139);
/// NIST Key Type.
pub const NIST_KEY_TYPE: Tag = Tag(0x42013A);
/// Attribute Reference.
pub const ATTRIBUTE_REFERENCE: Tag = Tag(0x42013B);
/// Current Attribute.
pub const CURRENT_ATTRIBUTE: Tag = Tag(0x42013C);
/// New Attribute.
pub const NEW_ATTRIBUTE: Tag = Tag(0x42013D);
/// Certificate Request Value.
pub const CERTIFICATE_REQUEST_VALUE: Tag = Tag(0x420140);
/// Log Message.
pub const LOG_MESSAGE: Tag = Tag(0x420141);
/// Profile Version.
pub const PROFILE_VERSION: Tag = Tag(0x420142);
/// Profile Version Major.
pub const PROFILE_VERSION_MAJOR: Tag = Tag(0x420143);
/// Profile Version Minor.
pub const PROFILE_VERSION_MINOR: Tag = Tag(0x420144);
/// Protection Level.
pub const PROTECTION_LEVEL: Tag = Tag(0x420145);
/// Protection Period.
pub const PROTECTION_PERIOD: Tag = Tag(0x420146);
/// Quantum Safe.
pub const QUANTUM_SAFE: Tag = Tag(0x420147);
/// Quantum Safe Capability.
pub const QUANTUM_SAFE_CAPABILITY: Tag = Tag(0x420148);
/// Ticket.
pub const TICKET: Tag = Tag(0x420149);
/// Ticket Type.
pub const TICKET_TYPE: Tag = Tag(0x42014A);
/// Ticket Value.
pub const TICKET_VALUE: Tag = Tag(0x42014B);
/// Request Count.
pub const REQUEST_COUNT: Tag = Tag(0x42014C);
/// Rights.
pub const RIGHTS: Tag = Tag(0x42014D);
/// Objects.
pub const OBJECTS: Tag = Tag(0x42014E);
/// Operations.
pub const OPERATIONS: Tag = Tag(0x42014F);
/// Right.
pub const RIGHT: Tag = Tag(0x420150);
/// Endpoint Role.
pub const ENDPOINT_ROLE: Tag = Tag(0x420151);
/// Defaults Information.
pub const DEFAULTS_INFORMATION: Tag = Tag(0x420152);
/// Object Defaults.
pub const OBJECT_DEFAULTS: Tag = Tag(0x420153);
/// Ephemeral.
pub const EPHEMERAL: Tag = Tag(0x420154);
/// Server Hashed Password.
pub const SERVER_HASHED_PASSWORD: Tag = Tag(0x420155);
/// One Time Password.
pub const ONE_TIME_PASSWORD: Tag = Tag(0x420156);
/// Hashed Password.
pub const HASHED_PASSWORD: Tag = Tag(0x420157);
/// Adjustment Type.
pub const ADJUSTMENT_TYPE: Tag = Tag(0x420158);
/// PKCS#11 Interface.
pub const PKCS11_INTERFACE: Tag = Tag(0x420159);
/// PKCS#11 Function.
pub const PKCS11_FUNCTION: Tag = Tag(0x42015A);
/// PKCS#11 Input Parameters.
pub const PKCS11_INPUT_PARAMETERS: Tag = Tag(0x42015B);
/// PKCS#11 Output Parameters.
pub const PKCS11_OUTPUT_PARAMETERS: Tag = Tag(0x42015C);
/// PKCS#11 Return Code.
pub const PKCS11_RETURN_CODE: Tag = Tag(0x42015D);
/// Protection Storage Mask.
pub const PROTECTION_STORAGE_MASK: Tag = Tag(0x42015E);
/// Protection Storage Masks.
pub const PROTECTION_STORAGE_MASKS: Tag = Tag(0x42015F);
/// Interop Function.
pub const INTEROP_FUNCTION: Tag = Tag(0x420160);
/// Interop Identifier.
pub const INTEROP_IDENTIFIER: Tag = Tag(0x420161);
/// Adjustment Value.
pub const ADJUSTMENT_VALUE: Tag = Tag(0x420162);
/// Common Protection Storage Masks.
pub const COMMON_PROTECTION_STORAGE_MASKS: Tag = Tag(0x420163);
/// Private Protection Storage Masks.
pub const PRIVATE_PROTECTION_STORAGE_MASKS: Tag = Tag(0x420164);
/// Public Protection Storage Masks.
pub const PUBLIC_PROTECTION_STORAGE_MASKS: Tag = Tag(0x420165);
/// Object Groups.
pub const OBJECT_GROUPS: Tag = Tag(0x420166);
/// Object Types.
pub const OBJECT_TYPES: Tag = Tag(0x420167);
/// Constraints.
pub const CONSTRAINTS: Tag = Tag(0x420168);
/// Constraint.
pub const CONSTRAINT: Tag = Tag(0x420169);
/// Rotate Interval.
pub const ROTATE_INTERVAL: Tag = Tag(0x42016A);
/// Rotate Automatic.
pub const ROTATE_AUTOMATIC: Tag = Tag(0x42016B);
/// Rotate Offset.
pub const ROTATE_OFFSET: Tag = Tag(0x42016C);
/// Rotate Date.
pub const ROTATE_DATE: Tag = Tag(0x42016D);
/// Rotate Generation.
pub const ROTATE_GENERATION: Tag = Tag(0x42016E);
/// Rotate Name.
pub const ROTATE_NAME: Tag = Tag(0x42016F);
/// Rotate Name Value.
pub const ROTATE_NAME_VALUE: Tag = Tag(0x420170);
/// Rotate Name Type.
pub const ROTATE_NAME_TYPE: Tag = Tag(0x420171);
/// Rotate Latest.
pub const ROTATE_LATEST: Tag = Tag(0x420172);
/// Asynchronous Request.
pub const ASYNCHRONOUS_REQUEST: Tag = Tag(0x420173);
/// Submission Date.
pub const SUBMISSION_DATE: Tag = Tag(0x420174);
/// Processing Stage.
pub const PROCESSING_STAGE: Tag = Tag(0x420175);
/// Asynchronous Correlation Values.
pub const ASYNCHRONOUS_CORRELATION_VALUES: Tag = Tag(0x420176);

/// Every known tag with its XML name, sorted by tag value.
static BY_TAG: [(Tag, &str); 372] = [
    (ACTIVATION_DATE, "ActivationDate"),
    (APPLICATION_DATA, "ApplicationData"),
    (APPLICATION_NAMESPACE, "ApplicationNamespace"),
    (
        APPLICATION_SPECIFIC_INFORMATION,
        "ApplicationSpecificInformation",
    ),
    (ARCHIVE_DATE, "ArchiveDate"),
    (
        ASYNCHRONOUS_CORRELATION_VALUE,
        "AsynchronousCorrelationValue",
    ),
    (ASYNCHRONOUS_INDICATOR, "AsynchronousIndicator"),
    (ATTRIBUTE, "Attribute"),
    (ATTRIBUTE_INDEX, "AttributeIndex"),
    (ATTRIBUTE_NAME, "AttributeName"),
    (ATTRIBUTE_VALUE, "AttributeValue"),
    (AUTHENTICATION, "Authentication"),
    (BATCH_COUNT, "BatchCount"),
    (
        BATCH_ERROR_CONTINUATION_OPTION,
        "BatchErrorContinuationOption",
    ),
    (BATCH_ITEM, "BatchItem"),
    (BATCH_ORDER_OPTION, "BatchOrderOption"),
    (BLOCK_CIPHER_MODE, "BlockCipherMode"),
    (CANCELLATION_RESULT, "CancellationResult"),
    (CERTIFICATE, "Certificate"),
    (CERTIFICATE_IDENTIFIER, "CertificateIdentifier"),
    (CERTIFICATE_ISSUER, "CertificateIssuer"),
    (
        CERTIFICATE_ISSUER_ALTERNATIVE_NAME,
        "CertificateIssuerAlternativeName",
    ),
    (
        CERTIFICATE_ISSUER_DISTINGUISHED_NAME,
        "CertificateIssuerDistinguishedName",
    ),
    (CERTIFICATE_REQUEST, "CertificateRequest"),
    (CERTIFICATE_REQUEST_TYPE, "CertificateRequestType"),
    (CERTIFICATE_SUBJECT, "CertificateSubject"),
    (
        CERTIFICATE_SUBJECT_ALTERNATIVE_NAME,
        "CertificateSubjectAlternativeName",
    ),
    (
        CERTIFICATE_SUBJECT_DISTINGUISHED_NAME,
        "CertificateSubjectDistinguishedName",
    ),
    (CERTIFICATE_TYPE, "CertificateType"),
    (CERTIFICATE_VALUE, "CertificateValue"),
    (COMMON_TEMPLATE_ATTRIBUTE, "CommonTemplateAttribute"),
    (COMPROMISE_DATE, "CompromiseDate"),
    (COMPROMISE_OCCURRENCE_DATE, "CompromiseOccurrenceDate"),
    (CONTACT_INFORMATION, "ContactInformation"),
    (CREDENTIAL, "Credential"),
    (CREDENTIAL_TYPE, "CredentialType"),
    (CREDENTIAL_VALUE, "CredentialValue"),
    (CRITICALITY_INDICATOR, "CriticalityIndicator"),
    (CRT_COEFFICIENT, "CRTCoefficient"),
    (CRYPTOGRAPHIC_ALGORITHM, "CryptographicAlgorithm"),
    (
        CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
        "CryptographicDomainParameters",
    ),
    (CRYPTOGRAPHIC_LENGTH, "CryptographicLength"),
    (CRYPTOGRAPHIC_PARAMETERS, "CryptographicParameters"),
    (CRYPTOGRAPHIC_USAGE_MASK, "CryptographicUsageMask"),
    (CUSTOM_ATTRIBUTE, "CustomAttribute"),
    (D, "D"),
    (DEACTIVATION_DATE, "DeactivationDate"),
    (DERIVATION_DATA, "DerivationData"),
    (DERIVATION_METHOD, "DerivationMethod"),
    (DERIVATION_PARAMETERS, "DerivationParameters"),
    (DESTROY_DATE, "DestroyDate"),
    (DIGEST, "Digest"),
    (DIGEST_VALUE, "DigestValue"),
    (ENCRYPTION_KEY_INFORMATION, "EncryptionKeyInformation"),
    (G, "G"),
    (HASHING_ALGORITHM, "HashingAlgorithm"),
    (INITIAL_DATE, "InitialDate"),
    (INITIALIZATION_VECTOR, "InitializationVector"),
    (ISSUER, "Issuer"),
    (ITERATION_COUNT, "IterationCount"),
    (IV_COUNTER_NONCE, "IVCounterNonce"),
    (J, "J"),
    (KEY, "Key"),
    (KEY_BLOCK, "KeyBlock"),
    (KEY_COMPRESSION_TYPE, "KeyCompressionType"),
    (KEY_FORMAT_TYPE, "KeyFormatType"),
    (KEY_MATERIAL, "KeyMaterial"),
    (KEY_PART_IDENTIFIER, "KeyPartIdentifier"),
    (KEY_VALUE, "KeyValue"),
    (KEY_WRAPPING_DATA, "KeyWrappingData"),
    (KEY_WRAPPING_SPECIFICATION, "KeyWrappingSpecification"),
    (LAST_CHANGE_DATE, "LastChangeDate"),
    (LEASE_TIME, "LeaseTime"),
    (LINK, "Link"),
    (LINK_TYPE, "LinkType"),
    (LINKED_OBJECT_IDENTIFIER, "LinkedObjectIdentifier"),
    (MAC_SIGNATURE, "MACSignature"),
    (MAC_SIGNATURE_KEY_INFORMATION, "MACSignatureKeyInformation"),
    (MAXIMUM_ITEMS, "MaximumItems"),
    (MAXIMUM_RESPONSE_SIZE, "MaximumResponseSize"),
    (MESSAGE_EXTENSION, "MessageExtension"),
    (MODULUS, "Modulus"),
    (NAME, "Name"),
    (NAME_TYPE, "NameType"),
    (NAME_VALUE, "NameValue"),
    (OBJECT_GROUP, "ObjectGroup"),
    (OBJECT_TYPE, "ObjectType"),
    (OFFSET, "Offset"),
    (OPAQUE_DATA_TYPE, "OpaqueDataType"),
    (OPAQUE_DATA_VALUE, "OpaqueDataValue"),
    (OPAQUE_OBJECT, "OpaqueObject"),
    (OPERATION, "Operation"),
    (OPERATION_POLICY_NAME, "OperationPolicyName"),
    (P, "P"),
    (PADDING_METHOD, "PaddingMethod"),
    (PRIME_EXPONENT_P, "PrimeExponentP"),
    (PRIME_EXPONENT_Q, "PrimeExponentQ"),
    (PRIME_FIELD_SIZE, "PrimeFieldSize"),
    (PRIVATE_EXPONENT, "PrivateExponent"),
    (PRIVATE_KEY, "PrivateKey"),
    (
        PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
        "PrivateKeyTemplateAttribute",
    ),
    (PRIVATE_KEY_UNIQUE_IDENTIFIER, "PrivateKeyUniqueIdentifier"),
    (PROCESS_START_DATE, "ProcessStartDate"),
    (PROTECT_STOP_DATE, "ProtectStopDate"),
    (PROTOCOL_VERSION, "ProtocolVersion"),
    (PROTOCOL_VERSION_MAJOR, "ProtocolVersionMajor"),
    (PROTOCOL_VERSION_MINOR, "ProtocolVersionMinor"),
    (PUBLIC_EXPONENT, "PublicExponent"),
    (PUBLIC_KEY, "PublicKey"),
    (PUBLIC_KEY_TEMPLATE_ATTRIBUTE, "PublicKeyTemplateAttribute"),
    (PUBLIC_KEY_UNIQUE_IDENTIFIER, "PublicKeyUniqueIdentifier"),
    (PUT_FUNCTION, "PutFunction"),
    (Q, "Q"),
    (Q_STRING, "QString"),
    (QLENGTH, "Qlength"),
    (QUERY_FUNCTION, "QueryFunction"),
    (RECOMMENDED_CURVE, "RecommendedCurve"),
    (REPLACED_UNIQUE_IDENTIFIER, "ReplacedUniqueIdentifier"),
    (REQUEST_HEADER, "RequestHeader"),
    (REQUEST_MESSAGE, "RequestMessage"),
    (REQUEST_PAYLOAD, "RequestPayload"),
    (RESPONSE_HEADER, "ResponseHeader"),
    (RESPONSE_MESSAGE, "ResponseMessage"),
    (RESPONSE_PAYLOAD, "ResponsePayload"),
    (RESULT_MESSAGE, "ResultMessage"),
    (RESULT_REASON, "ResultReason"),
    (RESULT_STATUS, "ResultStatus"),
    (REVOCATION_MESSAGE, "RevocationMessage"),
    (REVOCATION_REASON, "RevocationReason"),
    (REVOCATION_REASON_CODE, "RevocationReasonCode"),
    (KEY_ROLE_TYPE, "KeyRoleType"),
    (SALT, "Salt"),
    (SECRET_DATA, "SecretData"),
    (SECRET_DATA_TYPE, "SecretDataType"),
    (SERIAL_NUMBER, "SerialNumber"),
    (SERVER_INFORMATION, "ServerInformation"),
    (SPLIT_KEY, "SplitKey"),
    (SPLIT_KEY_METHOD, "SplitKeyMethod"),
    (SPLIT_KEY_PARTS, "SplitKeyParts"),
    (SPLIT_KEY_THRESHOLD, "SplitKeyThreshold"),
    (STATE, "State"),
    (STORAGE_STATUS_MASK, "StorageStatusMask"),
    (SYMMETRIC_KEY, "SymmetricKey"),
    (TEMPLATE, "Template"),
    (TEMPLATE_ATTRIBUTE, "TemplateAttribute"),
    (TIME_STAMP, "TimeStamp"),
    (UNIQUE_BATCH_ITEM_ID, "UniqueBatchItemID"),
    (UNIQUE_IDENTIFIER, "UniqueIdentifier"),
    (USAGE_LIMITS, "UsageLimits"),
    (USAGE_LIMITS_COUNT, "UsageLimitsCount"),
    (USAGE_LIMITS_TOTAL, "UsageLimitsTotal"),
    (USAGE_LIMITS_UNIT, "UsageLimitsUnit"),
    (USERNAME, "Username"),
    (VALIDITY_DATE, "ValidityDate"),
    (VALIDITY_INDICATOR, "ValidityIndicator"),
    (VENDOR_EXTENSION, "VendorExtension"),
    (VENDOR_IDENTIFICATION, "VendorIdentification"),
    (WRAPPING_METHOD, "WrappingMethod"),
    (X, "X"),
    (Y, "Y"),
    (PASSWORD, "Password"),
    (DEVICE_IDENTIFIER, "DeviceIdentifier"),
    (ENCODING_OPTION, "EncodingOption"),
    (EXTENSION_INFORMATION, "ExtensionInformation"),
    (EXTENSION_NAME, "ExtensionName"),
    (EXTENSION_TAG, "ExtensionTag"),
    (EXTENSION_TYPE, "ExtensionType"),
    (FRESH, "Fresh"),
    (MACHINE_IDENTIFIER, "MachineIdentifier"),
    (MEDIA_IDENTIFIER, "MediaIdentifier"),
    (NETWORK_IDENTIFIER, "NetworkIdentifier"),
    (OBJECT_GROUP_MEMBER, "ObjectGroupMember"),
    (CERTIFICATE_LENGTH, "CertificateLength"),
    (DIGITAL_SIGNATURE_ALGORITHM, "DigitalSignatureAlgorithm"),
    (CERTIFICATE_SERIAL_NUMBER, "CertificateSerialNumber"),
    (DEVICE_SERIAL_NUMBER, "DeviceSerialNumber"),
    (ISSUER_ALTERNATIVE_NAME, "IssuerAlternativeName"),
    (ISSUER_DISTINGUISHED_NAME, "IssuerDistinguishedName"),
    (SUBJECT_ALTERNATIVE_NAME, "SubjectAlternativeName"),
    (SUBJECT_DISTINGUISHED_NAME, "SubjectDistinguishedName"),
    (X509_CERTIFICATE_IDENTIFIER, "X_509CertificateIdentifier"),
    (X509_CERTIFICATE_ISSUER, "X_509CertificateIssuer"),
    (X509_CERTIFICATE_SUBJECT, "X_509CertificateSubject"),
    (KEY_VALUE_LOCATION, "KeyValueLocation"),
    (KEY_VALUE_LOCATION_VALUE, "KeyValueLocationValue"),
    (KEY_VALUE_LOCATION_TYPE, "KeyValueLocationType"),
    (KEY_VALUE_PRESENT, "KeyValuePresent"),
    (ORIGINAL_CREATION_DATE, "OriginalCreationDate"),
    (PGP_KEY, "PGPKey"),
    (PGP_KEY_VERSION, "PGPKeyVersion"),
    (ALTERNATIVE_NAME, "AlternativeName"),
    (ALTERNATIVE_NAME_VALUE, "AlternativeNameValue"),
    (ALTERNATIVE_NAME_TYPE, "AlternativeNameType"),
    (DATA, "Data"),
    (SIGNATURE_DATA, "SignatureData"),
    (DATA_LENGTH, "DataLength"),
    (RANDOM_IV, "RandomIV"),
    (MAC_DATA, "MACData"),
    (ATTESTATION_TYPE, "AttestationType"),
    (NONCE, "Nonce"),
    (NONCE_ID, "NonceID"),
    (NONCE_VALUE, "NonceValue"),
    (ATTESTATION_MEASUREMENT, "AttestationMeasurement"),
    (ATTESTATION_ASSERTION, "AttestationAssertion"),
    (IV_LENGTH, "IVLength"),
    (TAG_LENGTH, "TagLength"),
    (FIXED_FIELD_LENGTH, "FixedFieldLength"),
    (COUNTER_LENGTH, "CounterLength"),
    (INITIAL_COUNTER_VALUE, "InitialCounterValue"),
    (INVOCATION_FIELD_LENGTH, "InvocationFieldLength"),
    (ATTESTATION_CAPABLE_INDICATOR, "AttestationCapableIndicator"),
    (OFFSET_ITEMS, "OffsetItems"),
    (LOCATED_ITEMS, "LocatedItems"),
    (CORRELATION_VALUE, "CorrelationValue"),
    (INIT_INDICATOR, "InitIndicator"),
    (FINAL_INDICATOR, "FinalIndicator"),
    (RNG_PARAMETERS, "RNGParameters"),
    (RNG_ALGORITHM, "RNGAlgorithm"),
    (DRBG_ALGORITHM, "DRBGAlgorithm"),
    (FIPS186_VARIATION, "FIPS186Variation"),
    (PREDICTION_RESISTANCE, "PredictionResistance"),
    (RANDOM_NUMBER_GENERATOR, "RandomNumberGenerator"),
    (VALIDATION_INFORMATION, "ValidationInformation"),
    (VALIDATION_AUTHORITY_TYPE, "ValidationAuthorityType"),
    (VALIDATION_AUTHORITY_COUNTRY, "ValidationAuthorityCountry"),
    (VALIDATION_AUTHORITY_URI, "ValidationAuthorityURI"),
    (VALIDATION_VERSION_MAJOR, "ValidationVersionMajor"),
    (VALIDATION_VERSION_MINOR, "ValidationVersionMinor"),
    (VALIDATION_TYPE, "ValidationType"),
    (VALIDATION_LEVEL, "ValidationLevel"),
    (
        VALIDATION_CERTIFICATE_IDENTIFIER,
        "ValidationCertificateIdentifier",
    ),
    (VALIDATION_CERTIFICATE_URI, "ValidationCertificateURI"),
    (VALIDATION_VENDOR_URI, "ValidationVendorURI"),
    (VALIDATION_PROFILE, "ValidationProfile"),
    (PROFILE_INFORMATION, "ProfileInformation"),
    (PROFILE_NAME, "ProfileName"),
    (SERVER_URI, "ServerURI"),
    (SERVER_PORT, "ServerPort"),
    (STREAMING_CAPABILITY, "StreamingCapability"),
    (ASYNCHRONOUS_CAPABILITY, "AsynchronousCapability"),
    (ATTESTATION_CAPABILITY, "AttestationCapability"),
    (UNWRAP_MODE, "UnwrapMode"),
    (DESTROY_ACTION, "DestroyAction"),
    (SHREDDING_ALGORITHM, "ShreddingAlgorithm"),
    (RNG_MODE, "RNGMode"),
    (CLIENT_REGISTRATION_METHOD, "ClientRegistrationMethod"),
    (CAPABILITY_INFORMATION, "CapabilityInformation"),
    (KEY_WRAP_TYPE, "KeyWrapType"),
    (BATCH_UNDO_CAPABILITY, "BatchUndoCapability"),
    (BATCH_CONTINUE_CAPABILITY, "BatchContinueCapability"),
    (PKCS12_FRIENDLY_NAME, "PKCS_12FriendlyName"),
    (DESCRIPTION, "Description"),
    (COMMENT, "Comment"),
    (
        AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
        "AuthenticatedEncryptionAdditionalData",
    ),
    (AUTHENTICATED_ENCRYPTION_TAG, "AuthenticatedEncryptionTag"),
    (SALT_LENGTH, "SaltLength"),
    (MASK_GENERATOR, "MaskGenerator"),
    (
        MASK_GENERATOR_HASHING_ALGORITHM,
        "MaskGeneratorHashingAlgorithm",
    ),
    (P_SOURCE, "PSource"),
    (TRAILER_FIELD, "TrailerField"),
    (CLIENT_CORRELATION_VALUE, "ClientCorrelationValue"),
    (SERVER_CORRELATION_VALUE, "ServerCorrelationValue"),
    (DIGESTED_DATA, "DigestedData"),
    (CERTIFICATE_SUBJECT_CN, "CertificateSubjectCN"),
    (CERTIFICATE_SUBJECT_O, "CertificateSubjectO"),
    (CERTIFICATE_SUBJECT_OU, "CertificateSubjectOU"),
    (CERTIFICATE_SUBJECT_EMAIL, "CertificateSubjectEmail"),
    (CERTIFICATE_SUBJECT_C, "CertificateSubjectC"),
    (CERTIFICATE_SUBJECT_ST, "CertificateSubjectST"),
    (CERTIFICATE_SUBJECT_L, "CertificateSubjectL"),
    (CERTIFICATE_SUBJECT_UID, "CertificateSubjectUID"),
    (
        CERTIFICATE_SUBJECT_SERIAL_NUMBER,
        "CertificateSubjectSerialNumber",
    ),
    (CERTIFICATE_SUBJECT_TITLE, "CertificateSubjectTitle"),
    (CERTIFICATE_SUBJECT_DC, "CertificateSubjectDC"),
    (
        CERTIFICATE_SUBJECT_DN_QUALIFIER,
        "CertificateSubjectDNQualifier",
    ),
    (CERTIFICATE_ISSUER_CN, "CertificateIssuerCN"),
    (CERTIFICATE_ISSUER_O, "CertificateIssuerO"),
    (CERTIFICATE_ISSUER_OU, "CertificateIssuerOU"),
    (CERTIFICATE_ISSUER_EMAIL, "CertificateIssuerEmail"),
    (CERTIFICATE_ISSUER_C, "CertificateIssuerC"),
    (CERTIFICATE_ISSUER_ST, "CertificateIssuerST"),
    (CERTIFICATE_ISSUER_L, "CertificateIssuerL"),
    (CERTIFICATE_ISSUER_UID, "CertificateIssuerUID"),
    (
        CERTIFICATE_ISSUER_SERIAL_NUMBER,
        "CertificateIssuerSerialNumber",
    ),
    (CERTIFICATE_ISSUER_TITLE, "CertificateIssuerTitle"),
    (CERTIFICATE_ISSUER_DC, "CertificateIssuerDC"),
    (
        CERTIFICATE_ISSUER_DN_QUALIFIER,
        "CertificateIssuerDNQualifier",
    ),
    (SENSITIVE, "Sensitive"),
    (ALWAYS_SENSITIVE, "AlwaysSensitive"),
    (EXTRACTABLE, "Extractable"),
    (NEVER_EXTRACTABLE, "NeverExtractable"),
    (REPLACE_EXISTING, "ReplaceExisting"),
    (ATTRIBUTES, "Attributes"),
    (COMMON_ATTRIBUTES, "CommonAttributes"),
    (PRIVATE_KEY_ATTRIBUTES, "PrivateKeyAttributes"),
    (PUBLIC_KEY_ATTRIBUTES, "PublicKeyAttributes"),
    (EXTENSION_ENUMERATION, "ExtensionEnumeration"),
    (EXTENSION_ATTRIBUTE, "ExtensionAttribute"),
    (
        EXTENSION_PARENT_STRUCTURE_TAG,
        "ExtensionParentStructureTag",
    ),
    (EXTENSION_DESCRIPTION, "ExtensionDescription"),
    (SERVER_NAME, "ServerName"),
    (SERVER_SERIAL_NUMBER, "ServerSerialNumber"),
    (SERVER_VERSION, "ServerVersion"),
    (SERVER_LOAD, "ServerLoad"),
    (PRODUCT_NAME, "ProductName"),
    (BUILD_LEVEL, "BuildLevel"),
    (BUILD_DATE, "BuildDate"),
    (CLUSTER_INFO, "ClusterInfo"),
    (ALTERNATE_FAILOVER_ENDPOINTS, "AlternateFailoverEndpoints"),
    (SHORT_UNIQUE_IDENTIFIER, "ShortUniqueIdentifier"),
    (RESERVED, "Reserved"),
    (TAG, "Tag"),
    (
        CERTIFICATE_REQUEST_UNIQUE_IDENTIFIER,
        "CertificateRequestUniqueIdentifier",
    ),
    (NIST_KEY_TYPE, "NISTKeyType"),
    (ATTRIBUTE_REFERENCE, "AttributeReference"),
    (CURRENT_ATTRIBUTE, "CurrentAttribute"),
    (NEW_ATTRIBUTE, "NewAttribute"),
    (CERTIFICATE_REQUEST_VALUE, "CertificateRequestValue"),
    (LOG_MESSAGE, "LogMessage"),
    (PROFILE_VERSION, "ProfileVersion"),
    (PROFILE_VERSION_MAJOR, "ProfileVersionMajor"),
    (PROFILE_VERSION_MINOR, "ProfileVersionMinor"),
    (PROTECTION_LEVEL, "ProtectionLevel"),
    (PROTECTION_PERIOD, "ProtectionPeriod"),
    (QUANTUM_SAFE, "QuantumSafe"),
    (QUANTUM_SAFE_CAPABILITY, "QuantumSafeCapability"),
    (TICKET, "Ticket"),
    (TICKET_TYPE, "TicketType"),
    (TICKET_VALUE, "TicketValue"),
    (REQUEST_COUNT, "RequestCount"),
    (RIGHTS, "Rights"),
    (OBJECTS, "Objects"),
    (OPERATIONS, "Operations"),
    (RIGHT, "Right"),
    (ENDPOINT_ROLE, "EndpointRole"),
    (DEFAULTS_INFORMATION, "DefaultsInformation"),
    (OBJECT_DEFAULTS, "ObjectDefaults"),
    (EPHEMERAL, "Ephemeral"),
    (SERVER_HASHED_PASSWORD, "ServerHashedPassword"),
    (ONE_TIME_PASSWORD, "OneTimePassword"),
    (HASHED_PASSWORD, "HashedPassword"),
    (ADJUSTMENT_TYPE, "AdjustmentType"),
    (PKCS11_INTERFACE, "PKCS_11Interface"),
    (PKCS11_FUNCTION, "PKCS_11Function"),
    (PKCS11_INPUT_PARAMETERS, "PKCS_11InputParameters"),
    (PKCS11_OUTPUT_PARAMETERS, "PKCS_11OutputParameters"),
    (PKCS11_RETURN_CODE, "PKCS_11ReturnCode"),
    (PROTECTION_STORAGE_MASK, "ProtectionStorageMask"),
    (PROTECTION_STORAGE_MASKS, "ProtectionStorageMasks"),
    (INTEROP_FUNCTION, "InteropFunction"),
    (INTEROP_IDENTIFIER, "InteropIdentifier"),
    (ADJUSTMENT_VALUE, "AdjustmentValue"),
    (
        COMMON_PROTECTION_STORAGE_MASKS,
        "CommonProtectionStorageMasks",
    ),
    (
        PRIVATE_PROTECTION_STORAGE_MASKS,
        "PrivateProtectionStorageMasks",
    ),
    (
        PUBLIC_PROTECTION_STORAGE_MASKS,
        "PublicProtectionStorageMasks",
    ),
    (OBJECT_GROUPS, "ObjectGroups"),
    (OBJECT_TYPES, "ObjectTypes"),
    (CONSTRAINTS, "Constraints"),
    (CONSTRAINT, "Constraint"),
    (ROTATE_INTERVAL, "RotateInterval"),
    (ROTATE_AUTOMATIC, "RotateAutomatic"),
    (ROTATE_OFFSET, "RotateOffset"),
    (ROTATE_DATE, "RotateDate"),
    (ROTATE_GENERATION, "RotateGeneration"),
    (ROTATE_NAME, "RotateName"),
    (ROTATE_NAME_VALUE, "RotateNameValue"),
    (ROTATE_NAME_TYPE, "RotateNameType"),
    (ROTATE_LATEST, "RotateLatest"),
    (ASYNCHRONOUS_REQUEST, "AsynchronousRequest"),
    (SUBMISSION_DATE, "SubmissionDate"),
    (PROCESSING_STAGE, "ProcessingStage"),
    (
        ASYNCHRONOUS_CORRELATION_VALUES,
        "AsynchronousCorrelationValues",
    ),
];

/// Every known tag, sorted by XML name.
static BY_NAME: [(&str, Tag); 372] = [
    ("ActivationDate", ACTIVATION_DATE),
    ("AdjustmentType", ADJUSTMENT_TYPE),
    ("AdjustmentValue", ADJUSTMENT_VALUE),
    ("AlternateFailoverEndpoints", ALTERNATE_FAILOVER_ENDPOINTS),
    ("AlternativeName", ALTERNATIVE_NAME),
    ("AlternativeNameType", ALTERNATIVE_NAME_TYPE),
    ("AlternativeNameValue", ALTERNATIVE_NAME_VALUE),
    ("AlwaysSensitive", ALWAYS_SENSITIVE),
    ("ApplicationData", APPLICATION_DATA),
    ("ApplicationNamespace", APPLICATION_NAMESPACE),
    (
        "ApplicationSpecificInformation",
        APPLICATION_SPECIFIC_INFORMATION,
    ),
    ("ArchiveDate", ARCHIVE_DATE),
    ("AsynchronousCapability", ASYNCHRONOUS_CAPABILITY),
    (
        "AsynchronousCorrelationValue",
        ASYNCHRONOUS_CORRELATION_VALUE,
    ),
    (
        "AsynchronousCorrelationValues",
        ASYNCHRONOUS_CORRELATION_VALUES,
    ),
    ("AsynchronousIndicator", ASYNCHRONOUS_INDICATOR),
    ("AsynchronousRequest", ASYNCHRONOUS_REQUEST),
    ("AttestationAssertion", ATTESTATION_ASSERTION),
    ("AttestationCapability", ATTESTATION_CAPABILITY),
    ("AttestationCapableIndicator", ATTESTATION_CAPABLE_INDICATOR),
    ("AttestationMeasurement", ATTESTATION_MEASUREMENT),
    ("AttestationType", ATTESTATION_TYPE),
    ("Attribute", ATTRIBUTE),
    ("AttributeIndex", ATTRIBUTE_INDEX),
    ("AttributeName", ATTRIBUTE_NAME),
    ("AttributeReference", ATTRIBUTE_REFERENCE),
    ("AttributeValue", ATTRIBUTE_VALUE),
    ("Attributes", ATTRIBUTES),
    (
        "AuthenticatedEncryptionAdditionalData",
        AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
    ),
    ("AuthenticatedEncryptionTag", AUTHENTICATED_ENCRYPTION_TAG),
    ("Authentication", AUTHENTICATION),
    ("BatchContinueCapability", BATCH_CONTINUE_CAPABILITY),
    ("BatchCount", BATCH_COUNT),
    (
        "BatchErrorContinuationOption",
        BATCH_ERROR_CONTINUATION_OPTION,
    ),
    ("BatchItem", BATCH_ITEM),
    ("BatchOrderOption", BATCH_ORDER_OPTION),
    ("BatchUndoCapability", BATCH_UNDO_CAPABILITY),
    ("BlockCipherMode", BLOCK_CIPHER_MODE),
    ("BuildDate", BUILD_DATE),
    ("BuildLevel", BUILD_LEVEL),
    ("CRTCoefficient", CRT_COEFFICIENT),
    ("CancellationResult", CANCELLATION_RESULT),
    ("CapabilityInformation", CAPABILITY_INFORMATION),
    ("Certificate", CERTIFICATE),
    ("CertificateIdentifier", CERTIFICATE_IDENTIFIER),
    ("CertificateIssuer", CERTIFICATE_ISSUER),
    (
        "CertificateIssuerAlternativeName",
        CERTIFICATE_ISSUER_ALTERNATIVE_NAME,
    ),
    ("CertificateIssuerC", CERTIFICATE_ISSUER_C),
    ("CertificateIssuerCN", CERTIFICATE_ISSUER_CN),
    ("CertificateIssuerDC", CERTIFICATE_ISSUER_DC),
    (
        "CertificateIssuerDNQualifier",
        CERTIFICATE_ISSUER_DN_QUALIFIER,
    ),
    (
        "CertificateIssuerDistinguishedName",
        CERTIFICATE_ISSUER_DISTINGUISHED_NAME,
    ),
    ("CertificateIssuerEmail", CERTIFICATE_ISSUER_EMAIL),
    ("CertificateIssuerL", CERTIFICATE_ISSUER_L),
    ("CertificateIssuerO", CERTIFICATE_ISSUER_O),
    ("CertificateIssuerOU", CERTIFICATE_ISSUER_OU),
    ("CertificateIssuerST", CERTIFICATE_ISSUER_ST),
    (
        "CertificateIssuerSerialNumber",
        CERTIFICATE_ISSUER_SERIAL_NUMBER,
    ),
    ("CertificateIssuerTitle", CERTIFICATE_ISSUER_TITLE),
    ("CertificateIssuerUID", CERTIFICATE_ISSUER_UID),
    ("CertificateLength", CERTIFICATE_LENGTH),
    ("CertificateRequest", CERTIFICATE_REQUEST),
    ("CertificateRequestType", CERTIFICATE_REQUEST_TYPE),
    (
        "CertificateRequestUniqueIdentifier",
        CERTIFICATE_REQUEST_UNIQUE_IDENTIFIER,
    ),
    ("CertificateRequestValue", CERTIFICATE_REQUEST_VALUE),
    ("CertificateSerialNumber", CERTIFICATE_SERIAL_NUMBER),
    ("CertificateSubject", CERTIFICATE_SUBJECT),
    (
        "CertificateSubjectAlternativeName",
        CERTIFICATE_SUBJECT_ALTERNATIVE_NAME,
    ),
    ("CertificateSubjectC", CERTIFICATE_SUBJECT_C),
    ("CertificateSubjectCN", CERTIFICATE_SUBJECT_CN),
    ("CertificateSubjectDC", CERTIFICATE_SUBJECT_DC),
    (
        "CertificateSubjectDNQualifier",
        CERTIFICATE_SUBJECT_DN_QUALIFIER,
    ),
    (
        "CertificateSubjectDistinguishedName",
        CERTIFICATE_SUBJECT_DISTINGUISHED_NAME,
    ),
    ("CertificateSubjectEmail", CERTIFICATE_SUBJECT_EMAIL),
    ("CertificateSubjectL", CERTIFICATE_SUBJECT_L),
    ("CertificateSubjectO", CERTIFICATE_SUBJECT_O),
    ("CertificateSubjectOU", CERTIFICATE_SUBJECT_OU),
    ("CertificateSubjectST", CERTIFICATE_SUBJECT_ST),
    (
        "CertificateSubjectSerialNumber",
        CERTIFICATE_SUBJECT_SERIAL_NUMBER,
    ),
    ("CertificateSubjectTitle", CERTIFICATE_SUBJECT_TITLE),
    ("CertificateSubjectUID", CERTIFICATE_SUBJECT_UID),
    ("CertificateType", CERTIFICATE_TYPE),
    ("CertificateValue", CERTIFICATE_VALUE),
    ("ClientCorrelationValue", CLIENT_CORRELATION_VALUE),
    ("ClientRegistrationMethod", CLIENT_REGISTRATION_METHOD),
    ("ClusterInfo", CLUSTER_INFO),
    ("Comment", COMMENT),
    ("CommonAttributes", COMMON_ATTRIBUTES),
    (
        "CommonProtectionStorageMasks",
        COMMON_PROTECTION_STORAGE_MASKS,
    ),
    ("CommonTemplateAttribute", COMMON_TEMPLATE_ATTRIBUTE),
    ("CompromiseDate", COMPROMISE_DATE),
    ("CompromiseOccurrenceDate", COMPROMISE_OCCURRENCE_DATE),
    ("Constraint", CONSTRAINT),
    ("Constraints", CONSTRAINTS),
    ("ContactInformation", CONTACT_INFORMATION),
    ("CorrelationValue", CORRELATION_VALUE),
    ("CounterLength", COUNTER_LENGTH),
    ("Credential", CREDENTIAL),
    ("CredentialType", CREDENTIAL_TYPE),
    ("CredentialValue", CREDENTIAL_VALUE),
    ("CriticalityIndicator", CRITICALITY_INDICATOR),
    ("CryptographicAlgorithm", CRYPTOGRAPHIC_ALGORITHM),
    (
        "CryptographicDomainParameters",
        CRYPTOGRAPHIC_DOMAIN_PARAMETERS,
    ),
    ("CryptographicLength", CRYPTOGRAPHIC_LENGTH),
    ("CryptographicParameters", CRYPTOGRAPHIC_PARAMETERS),
    ("CryptographicUsageMask", CRYPTOGRAPHIC_USAGE_MASK),
    ("CurrentAttribute", CURRENT_ATTRIBUTE),
    ("CustomAttribute", CUSTOM_ATTRIBUTE),
    ("D", D),
    ("DRBGAlgorithm", DRBG_ALGORITHM),
    ("Data", DATA),
    ("DataLength", DATA_LENGTH),
    ("DeactivationDate", DEACTIVATION_DATE),
    ("DefaultsInformation", DEFAULTS_INFORMATION),
    ("DerivationData", DERIVATION_DATA),
    ("DerivationMethod", DERIVATION_METHOD),
    ("DerivationParameters", DERIVATION_PARAMETERS),
    ("Description", DESCRIPTION),
    ("DestroyAction", DESTROY_ACTION),
    ("DestroyDate", DESTROY_DATE),
    ("DeviceIdentifier", DEVICE_IDENTIFIER),
    ("DeviceSerialNumber", DEVICE_SERIAL_NUMBER),
    ("Digest", DIGEST),
    ("DigestValue", DIGEST_VALUE),
    ("DigestedData", DIGESTED_DATA),
    ("DigitalSignatureAlgorithm", DIGITAL_SIGNATURE_ALGORITHM),
    ("EncodingOption", ENCODING_OPTION),
    ("EncryptionKeyInformation", ENCRYPTION_KEY_INFORMATION),
    ("EndpointRole", ENDPOINT_ROLE),
    ("Ephemeral", EPHEMERAL),
    ("ExtensionAttribute", EXTENSION_ATTRIBUTE),
    ("ExtensionDescription", EXTENSION_DESCRIPTION),
    ("ExtensionEnumeration", EXTENSION_ENUMERATION),
    ("ExtensionInformation", EXTENSION_INFORMATION),
    ("ExtensionName", EXTENSION_NAME),
    (
        "ExtensionParentStructureTag",
        EXTENSION_PARENT_STRUCTURE_TAG,
    ),
    ("ExtensionTag", EXTENSION_TAG),
    ("ExtensionType", EXTENSION_TYPE),
    ("Extractable", EXTRACTABLE),
    ("FIPS186Variation", FIPS186_VARIATION),
    ("FinalIndicator", FINAL_INDICATOR),
    ("FixedFieldLength", FIXED_FIELD_LENGTH),
    ("Fresh", FRESH),
    ("G", G),
    ("HashedPassword", HASHED_PASSWORD),
    ("HashingAlgorithm", HASHING_ALGORITHM),
    ("IVCounterNonce", IV_COUNTER_NONCE),
    ("IVLength", IV_LENGTH),
    ("InitIndicator", INIT_INDICATOR),
    ("InitialCounterValue", INITIAL_COUNTER_VALUE),
    ("InitialDate", INITIAL_DATE),
    ("InitializationVector", INITIALIZATION_VECTOR),
    ("InteropFunction", INTEROP_FUNCTION),
    ("InteropIdentifier", INTEROP_IDENTIFIER),
    ("InvocationFieldLength", INVOCATION_FIELD_LENGTH),
    ("Issuer", ISSUER),
    ("IssuerAlternativeName", ISSUER_ALTERNATIVE_NAME),
    ("IssuerDistinguishedName", ISSUER_DISTINGUISHED_NAME),
    ("IterationCount", ITERATION_COUNT),
    ("J", J),
    ("Key", KEY),
    ("KeyBlock", KEY_BLOCK),
    ("KeyCompressionType", KEY_COMPRESSION_TYPE),
    ("KeyFormatType", KEY_FORMAT_TYPE),
    ("KeyMaterial", KEY_MATERIAL),
    ("KeyPartIdentifier", KEY_PART_IDENTIFIER),
    ("KeyRoleType", KEY_ROLE_TYPE),
    ("KeyValue", KEY_VALUE),
    ("KeyValueLocation", KEY_VALUE_LOCATION),
    ("KeyValueLocationType", KEY_VALUE_LOCATION_TYPE),
    ("KeyValueLocationValue", KEY_VALUE_LOCATION_VALUE),
    ("KeyValuePresent", KEY_VALUE_PRESENT),
    ("KeyWrapType", KEY_WRAP_TYPE),
    ("KeyWrappingData", KEY_WRAPPING_DATA),
    ("KeyWrappingSpecification", KEY_WRAPPING_SPECIFICATION),
    ("LastChangeDate", LAST_CHANGE_DATE),
    ("LeaseTime", LEASE_TIME),
    ("Link", LINK),
    ("LinkType", LINK_TYPE),
    ("LinkedObjectIdentifier", LINKED_OBJECT_IDENTIFIER),
    ("LocatedItems", LOCATED_ITEMS),
    ("LogMessage", LOG_MESSAGE),
    ("MACData", MAC_DATA),
    ("MACSignature", MAC_SIGNATURE),
    ("MACSignatureKeyInformation", MAC_SIGNATURE_KEY_INFORMATION),
    ("MachineIdentifier", MACHINE_IDENTIFIER),
    ("MaskGenerator", MASK_GENERATOR),
    (
        "MaskGeneratorHashingAlgorithm",
        MASK_GENERATOR_HASHING_ALGORITHM,
    ),
    ("MaximumItems", MAXIMUM_ITEMS),
    ("MaximumResponseSize", MAXIMUM_RESPONSE_SIZE),
    ("MediaIdentifier", MEDIA_IDENTIFIER),
    ("MessageExtension", MESSAGE_EXTENSION),
    ("Modulus", MODULUS),
    ("NISTKeyType", NIST_KEY_TYPE),
    ("Name", NAME),
    ("NameType", NAME_TYPE),
    ("NameValue", NAME_VALUE),
    ("NetworkIdentifier", NETWORK_IDENTIFIER),
    ("NeverExtractable", NEVER_EXTRACTABLE),
    ("NewAttribute", NEW_ATTRIBUTE),
    ("Nonce", NONCE),
    ("NonceID", NONCE_ID),
    ("NonceValue", NONCE_VALUE),
    ("ObjectDefaults", OBJECT_DEFAULTS),
    ("ObjectGroup", OBJECT_GROUP),
    ("ObjectGroupMember", OBJECT_GROUP_MEMBER),
    ("ObjectGroups", OBJECT_GROUPS),
    ("ObjectType", OBJECT_TYPE),
    ("ObjectTypes", OBJECT_TYPES),
    ("Objects", OBJECTS),
    ("Offset", OFFSET),
    ("OffsetItems", OFFSET_ITEMS),
    ("OneTimePassword", ONE_TIME_PASSWORD),
    ("OpaqueDataType", OPAQUE_DATA_TYPE),
    ("OpaqueDataValue", OPAQUE_DATA_VALUE),
    ("OpaqueObject", OPAQUE_OBJECT),
    ("Operation", OPERATION),
    ("OperationPolicyName", OPERATION_POLICY_NAME),
    ("Operations", OPERATIONS),
    ("OriginalCreationDate", ORIGINAL_CREATION_DATE),
    ("P", P),
    ("PGPKey", PGP_KEY),
    ("PGPKeyVersion", PGP_KEY_VERSION),
    ("PKCS_11Function", PKCS11_FUNCTION),
    ("PKCS_11InputParameters", PKCS11_INPUT_PARAMETERS),
    ("PKCS_11Interface", PKCS11_INTERFACE),
    ("PKCS_11OutputParameters", PKCS11_OUTPUT_PARAMETERS),
    ("PKCS_11ReturnCode", PKCS11_RETURN_CODE),
    ("PKCS_12FriendlyName", PKCS12_FRIENDLY_NAME),
    ("PSource", P_SOURCE),
    ("PaddingMethod", PADDING_METHOD),
    ("Password", PASSWORD),
    ("PredictionResistance", PREDICTION_RESISTANCE),
    ("PrimeExponentP", PRIME_EXPONENT_P),
    ("PrimeExponentQ", PRIME_EXPONENT_Q),
    ("PrimeFieldSize", PRIME_FIELD_SIZE),
    ("PrivateExponent", PRIVATE_EXPONENT),
    ("PrivateKey", PRIVATE_KEY),
    ("PrivateKeyAttributes", PRIVATE_KEY_ATTRIBUTES),
    (
        "PrivateKeyTemplateAttribute",
        PRIVATE_KEY_TEMPLATE_ATTRIBUTE,
    ),
    ("PrivateKeyUniqueIdentifier", PRIVATE_KEY_UNIQUE_IDENTIFIER),
    (
        "PrivateProtectionStorageMasks",
        PRIVATE_PROTECTION_STORAGE_MASKS,
    ),
    ("ProcessStartDate", PROCESS_START_DATE),
    ("ProcessingStage", PROCESSING_STAGE),
    ("ProductName", PRODUCT_NAME),
    ("ProfileInformation", PROFILE_INFORMATION),
    ("ProfileName", PROFILE_NAME),
    ("ProfileVersion", PROFILE_VERSION),
    ("ProfileVersionMajor", PROFILE_VERSION_MAJOR),
    ("ProfileVersionMinor", PROFILE_VERSION_MINOR),
    ("ProtectStopDate", PROTECT_STOP_DATE),
    ("ProtectionLevel", PROTECTION_LEVEL),
    ("ProtectionPeriod", PROTECTION_PERIOD),
    ("ProtectionStorageMask", PROTECTION_STORAGE_MASK),
    ("ProtectionStorageMasks", PROTECTION_STORAGE_MASKS),
    ("ProtocolVersion", PROTOCOL_VERSION),
    ("ProtocolVersionMajor", PROTOCOL_VERSION_MAJOR),
    ("ProtocolVersionMinor", PROTOCOL_VERSION_MINOR),
    ("PublicExponent", PUBLIC_EXPONENT),
    ("PublicKey", PUBLIC_KEY),
    ("PublicKeyAttributes", PUBLIC_KEY_ATTRIBUTES),
    ("PublicKeyTemplateAttribute", PUBLIC_KEY_TEMPLATE_ATTRIBUTE),
    ("PublicKeyUniqueIdentifier", PUBLIC_KEY_UNIQUE_IDENTIFIER),
    (
        "PublicProtectionStorageMasks",
        PUBLIC_PROTECTION_STORAGE_MASKS,
    ),
    ("PutFunction", PUT_FUNCTION),
    ("Q", Q),
    ("QString", Q_STRING),
    ("Qlength", QLENGTH),
    ("QuantumSafe", QUANTUM_SAFE),
    ("QuantumSafeCapability", QUANTUM_SAFE_CAPABILITY),
    ("QueryFunction", QUERY_FUNCTION),
    ("RNGAlgorithm", RNG_ALGORITHM),
    ("RNGMode", RNG_MODE),
    ("RNGParameters", RNG_PARAMETERS),
    ("RandomIV", RANDOM_IV),
    ("RandomNumberGenerator", RANDOM_NUMBER_GENERATOR),
    ("RecommendedCurve", RECOMMENDED_CURVE),
    ("ReplaceExisting", REPLACE_EXISTING),
    ("ReplacedUniqueIdentifier", REPLACED_UNIQUE_IDENTIFIER),
    ("RequestCount", REQUEST_COUNT),
    ("RequestHeader", REQUEST_HEADER),
    ("RequestMessage", REQUEST_MESSAGE),
    ("RequestPayload", REQUEST_PAYLOAD),
    ("Reserved", RESERVED),
    ("ResponseHeader", RESPONSE_HEADER),
    ("ResponseMessage", RESPONSE_MESSAGE),
    ("ResponsePayload", RESPONSE_PAYLOAD),
    ("ResultMessage", RESULT_MESSAGE),
    ("ResultReason", RESULT_REASON),
    ("ResultStatus", RESULT_STATUS),
    ("RevocationMessage", REVOCATION_MESSAGE),
    ("RevocationReason", REVOCATION_REASON),
    ("RevocationReasonCode", REVOCATION_REASON_CODE),
    ("Right", RIGHT),
    ("Rights", RIGHTS),
    ("RotateAutomatic", ROTATE_AUTOMATIC),
    ("RotateDate", ROTATE_DATE),
    ("RotateGeneration", ROTATE_GENERATION),
    ("RotateInterval", ROTATE_INTERVAL),
    ("RotateLatest", ROTATE_LATEST),
    ("RotateName", ROTATE_NAME),
    ("RotateNameType", ROTATE_NAME_TYPE),
    ("RotateNameValue", ROTATE_NAME_VALUE),
    ("RotateOffset", ROTATE_OFFSET),
    ("Salt", SALT),
    ("SaltLength", SALT_LENGTH),
    ("SecretData", SECRET_DATA),
    ("SecretDataType", SECRET_DATA_TYPE),
    ("Sensitive", SENSITIVE),
    ("SerialNumber", SERIAL_NUMBER),
    ("ServerCorrelationValue", SERVER_CORRELATION_VALUE),
    ("ServerHashedPassword", SERVER_HASHED_PASSWORD),
    ("ServerInformation", SERVER_INFORMATION),
    ("ServerLoad", SERVER_LOAD),
    ("ServerName", SERVER_NAME),
    ("ServerPort", SERVER_PORT),
    ("ServerSerialNumber", SERVER_SERIAL_NUMBER),
    ("ServerURI", SERVER_URI),
    ("ServerVersion", SERVER_VERSION),
    ("ShortUniqueIdentifier", SHORT_UNIQUE_IDENTIFIER),
    ("ShreddingAlgorithm", SHREDDING_ALGORITHM),
    ("SignatureData", SIGNATURE_DATA),
    ("SplitKey", SPLIT_KEY),
    ("SplitKeyMethod", SPLIT_KEY_METHOD),
    ("SplitKeyParts", SPLIT_KEY_PARTS),
    ("SplitKeyThreshold", SPLIT_KEY_THRESHOLD),
    ("State", STATE),
    ("StorageStatusMask", STORAGE_STATUS_MASK),
    ("StreamingCapability", STREAMING_CAPABILITY),
    ("SubjectAlternativeName", SUBJECT_ALTERNATIVE_NAME),
    ("SubjectDistinguishedName", SUBJECT_DISTINGUISHED_NAME),
    ("SubmissionDate", SUBMISSION_DATE),
    ("SymmetricKey", SYMMETRIC_KEY),
    ("Tag", TAG),
    ("TagLength", TAG_LENGTH),
    ("Template", TEMPLATE),
    ("TemplateAttribute", TEMPLATE_ATTRIBUTE),
    ("Ticket", TICKET),
    ("TicketType", TICKET_TYPE),
    ("TicketValue", TICKET_VALUE),
    ("TimeStamp", TIME_STAMP),
    ("TrailerField", TRAILER_FIELD),
    ("UniqueBatchItemID", UNIQUE_BATCH_ITEM_ID),
    ("UniqueIdentifier", UNIQUE_IDENTIFIER),
    ("UnwrapMode", UNWRAP_MODE),
    ("UsageLimits", USAGE_LIMITS),
    ("UsageLimitsCount", USAGE_LIMITS_COUNT),
    ("UsageLimitsTotal", USAGE_LIMITS_TOTAL),
    ("UsageLimitsUnit", USAGE_LIMITS_UNIT),
    ("Username", USERNAME),
    ("ValidationAuthorityCountry", VALIDATION_AUTHORITY_COUNTRY),
    ("ValidationAuthorityType", VALIDATION_AUTHORITY_TYPE),
    ("ValidationAuthorityURI", VALIDATION_AUTHORITY_URI),
    (
        "ValidationCertificateIdentifier",
        VALIDATION_CERTIFICATE_IDENTIFIER,
    ),
    ("ValidationCertificateURI", VALIDATION_CERTIFICATE_URI),
    ("ValidationInformation", VALIDATION_INFORMATION),
    ("ValidationLevel", VALIDATION_LEVEL),
    ("ValidationProfile", VALIDATION_PROFILE),
    ("ValidationType", VALIDATION_TYPE),
    ("ValidationVendorURI", VALIDATION_VENDOR_URI),
    ("ValidationVersionMajor", VALIDATION_VERSION_MAJOR),
    ("ValidationVersionMinor", VALIDATION_VERSION_MINOR),
    ("ValidityDate", VALIDITY_DATE),
    ("ValidityIndicator", VALIDITY_INDICATOR),
    ("VendorExtension", VENDOR_EXTENSION),
    ("VendorIdentification", VENDOR_IDENTIFICATION),
    ("WrappingMethod", WRAPPING_METHOD),
    ("X", X),
    ("X_509CertificateIdentifier", X509_CERTIFICATE_IDENTIFIER),
    ("X_509CertificateIssuer", X509_CERTIFICATE_ISSUER),
    ("X_509CertificateSubject", X509_CERTIFICATE_SUBJECT),
    ("Y", Y),
];

/// Low 16 bits of the standard tags (0x42xxxx) covered by [`DEFINED`].
const DEFINED_SPAN: usize = 0x400;

/// Which standard tags KMIP defines, by low 16 bits: every request checks each of its items
/// against this (a binary search per item was 1.4% of kmsd's CPU per Encrypt).
static DEFINED: [bool; DEFINED_SPAN] = {
    let mut t = [false; DEFINED_SPAN];
    let mut i = 0;
    while i < BY_TAG.len() {
        let v = BY_TAG[i].0.0;
        assert!(v >> 16 == 0x42 && ((v & 0xffff) as usize) < DEFINED_SPAN);
        t[(v & 0xffff) as usize] = true;
        i += 1;
    }
    t
};

/// Whether `tag` is a standard tag (0x42xxxx) that KMIP defines.
pub fn is_defined_standard(tag: Tag) -> bool {
    tag.0 >> 16 == 0x42 && DEFINED.get((tag.0 & 0xffff) as usize) == Some(&true)
}

/// The spec's CamelCase name of a tag, as used by the XML encoding, or `None` if unknown.
pub fn name(tag: Tag) -> Option<&'static str> {
    BY_TAG
        .binary_search_by_key(&tag, |&(t, _)| t)
        .ok()
        .and_then(|i| BY_TAG.get(i))
        .map(|&(_, n)| n)
}

/// The tag with the given CamelCase XML name, or `None` if unknown.
pub fn by_name(name: &str) -> Option<Tag> {
    BY_NAME
        .binary_search_by_key(&name, |&(n, _)| n)
        .ok()
        .and_then(|i| BY_NAME.get(i))
        .map(|&(_, t)| t)
}

/// All known tags with their names, in tag order.
pub fn all() -> impl Iterator<Item = (Tag, &'static str)> {
    BY_TAG.iter().copied()
}

// Here rather than beside `Tag` in `ttlv`, so that the codec does not import the name table
// that imports it back.
impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match name(*self) {
            Some(name) => write!(f, "{name}"),
            None => write!(f, "Tag(0x{:06x})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_agree() {
        assert!(BY_TAG.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(BY_NAME.windows(2).all(|w| w[0].0 < w[1].0));
        for &(tag, n) in &BY_TAG {
            assert_eq!(by_name(n), Some(tag), "{n}");
            assert_eq!(name(tag), Some(n));
        }
        for &(n, tag) in &BY_NAME {
            assert_eq!(name(tag), Some(n));
        }
    }

    #[test]
    fn defined_agrees_with_the_name_table() {
        for v in (0..0x20000u32)
            .chain(0x41_0000..0x43_0000)
            .chain(0x54_0000..0x54_0100)
        {
            let tag = Tag(v);
            assert_eq!(
                is_defined_standard(tag),
                v >> 16 == 0x42 && name(tag).is_some(),
                "{v:06x}"
            );
        }
    }

    #[test]
    fn well_known_tags() {
        assert_eq!(REQUEST_MESSAGE, Tag(0x420078));
        assert_eq!(name(REQUEST_MESSAGE), Some("RequestMessage"));
        assert_eq!(by_name("UniqueIdentifier"), Some(UNIQUE_IDENTIFIER));
        assert_eq!(UNIQUE_IDENTIFIER, Tag(0x420094));
        assert_eq!(
            name(X509_CERTIFICATE_IDENTIFIER),
            Some("X_509CertificateIdentifier")
        );
        assert_eq!(name(PKCS11_FUNCTION), Some("PKCS_11Function"));
        assert_eq!(name(IV_COUNTER_NONCE), Some("IVCounterNonce"));
        assert_eq!(name(TEMPLATE_ATTRIBUTE), Some("TemplateAttribute"));
        assert_eq!(ASYNCHRONOUS_CORRELATION_VALUES, Tag(0x420176));
        assert_eq!(name(Tag(0x420000)), None);
        assert_eq!(name(Tag(0x420177)), None);
        assert_eq!(name(Tag(0x540001)), None);
        assert_eq!(by_name("requestMessage"), None);
        assert_eq!(format!("{:?}", BATCH_ITEM), "BatchItem");
        assert_eq!(format!("{:?}", Tag(0x540001)), "Tag(0x540001)");
    }
}
