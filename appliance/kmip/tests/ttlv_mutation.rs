//! Mutation testing of the TTLV decoder: valid messages are damaged at random (bit flips, byte
//! sets, truncation, length and type rewrites, insertions, deletions, splices) and decoded.
//!
//! Each decode must return (never panic), must allocate no more than a small multiple of the
//! input it was given (a length field claiming 100 MB costs nothing), and whatever it accepts
//! must re-encode to the exact input bytes.
//!
//! The default run (what `cargo test` and `cargo xtask test` do) makes 2,000,000 mutations
//! (about 20 s in the dev profile); set `KW_MUTATIONS=N` for another count, e.g.
//! `KW_MUTATIONS=20000000 cargo test --release -p keywarden-kmip --test ttlv_mutation`.

use keywarden_kmip::tags;
use keywarden_kmip::ttlv::{DecodeError, Limits, Tag, Ttlv, Value, decode, encode};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::BTreeMap;
use zeroize::Zeroizing;

// ---- allocation accounting -------------------------------------------------------------------

thread_local! {
    // Per thread, so tests running in parallel do not see each other's allocations.
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + size;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn note_free(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size)));
}

/// The system allocator, counting live bytes per thread.
struct CountingAllocator;

#[allow(unsafe_code)]
// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract is exactly the system allocator's; the bookkeeping only touches
// const-initialised thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            note_alloc(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note_alloc(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        note_free(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note_free(layout.size());
            note_alloc(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Decodes `bytes` and returns the result with the most bytes held at once during the call.
fn decode_measured(bytes: &[u8], limits: &Limits) -> (Result<Ttlv, DecodeError>, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let result = decode(bytes, limits);
    let peak = PEAK.with(Cell::get) - base;
    (result, peak)
}

/// What decoding `input` may cost at most: each item takes at least 8 input bytes and becomes
/// one `Ttlv` in a vector sized exactly for its structure's children; payloads are copied once;
/// the decoder's own stack of open structures is bounded by the depth limit.
fn allocation_bound(input_len: usize, limits: &Limits) -> usize {
    let per_item = std::mem::size_of::<Ttlv>() + 8;
    let open_structures = limits.max_depth.min(input_len / 8 + 8) * 128;
    input_len / 8 * per_item + input_len + open_structures + 1024
}

// ---- deterministic randomness ----------------------------------------------------------------

/// SplitMix64: small, fast, and reproducible from the seed printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// Between 0 and `max_len - 1` random bytes.
    fn some_bytes(&mut self, max_len: usize) -> Vec<u8> {
        let n = self.below(max_len);
        self.bytes(n)
    }
}

// ---- corpus ----------------------------------------------------------------------------------

fn text(tag: Tag, s: &str) -> Ttlv {
    Ttlv::new(tag, Value::TextString(s.to_owned()))
}

fn bytes(tag: Tag, b: Vec<u8>) -> Ttlv {
    Ttlv::new(tag, Value::ByteString(Zeroizing::new(b)))
}

/// A request shaped like the ones the server sees: header, then Get / Encrypt-like batch items
/// carrying every item type.
fn request(rng: &mut Rng) -> Ttlv {
    let version = Ttlv::structure(
        tags::PROTOCOL_VERSION,
        vec![
            Ttlv::new(
                tags::PROTOCOL_VERSION_MAJOR,
                Value::Integer(rng.below(3) as i32),
            ),
            Ttlv::new(
                tags::PROTOCOL_VERSION_MINOR,
                Value::Integer(rng.below(5) as i32),
            ),
        ],
    );
    let batch = 1 + rng.below(4);
    let header = Ttlv::structure(
        tags::REQUEST_HEADER,
        vec![
            version,
            Ttlv::new(tags::MAXIMUM_RESPONSE_SIZE, Value::Integer(4096)),
            text(tags::CLIENT_CORRELATION_VALUE, "mutation corpus"),
            Ttlv::new(tags::BATCH_ORDER_OPTION, Value::Boolean(rng.below(2) == 1)),
            Ttlv::new(tags::TIME_STAMP, Value::DateTime(1_700_000_000)),
            Ttlv::new(tags::BATCH_COUNT, Value::Integer(batch as i32)),
        ],
    );
    let mut items = vec![header];
    for id in 0..batch {
        let data_len = rng.below(80);
        let payload = Ttlv::structure(
            tags::REQUEST_PAYLOAD,
            vec![
                text(
                    tags::UNIQUE_IDENTIFIER,
                    "3f2b8c1e-9a7d-4e6f-b5c4-2d1a0e9f8b7c",
                ),
                Ttlv::structure(
                    tags::CRYPTOGRAPHIC_PARAMETERS,
                    vec![
                        Ttlv::new(tags::BLOCK_CIPHER_MODE, Value::Enumeration(9)),
                        Ttlv::new(tags::TAG_LENGTH, Value::Integer(16)),
                        Ttlv::new(tags::RANDOM_IV, Value::Boolean(true)),
                    ],
                ),
                bytes(tags::DATA, rng.bytes(data_len)),
                bytes(tags::IV_COUNTER_NONCE, rng.bytes(12)),
                Ttlv::new(
                    tags::USAGE_LIMITS_TOTAL,
                    Value::LongInteger(rng.next() as i64),
                ),
                Ttlv::new(tags::LEASE_TIME, Value::Interval(3600)),
                Ttlv::new(
                    tags::MODULUS,
                    Value::BigInteger(Zeroizing::new(rng.bytes(16))),
                ),
                Ttlv::new(
                    tags::LAST_CHANGE_DATE,
                    Value::DateTimeExtended(rng.next() as i64),
                ),
            ],
        );
        items.push(Ttlv::structure(
            tags::BATCH_ITEM,
            vec![
                Ttlv::new(tags::OPERATION, Value::Enumeration(0x0A + id as u32)),
                bytes(tags::UNIQUE_BATCH_ITEM_ID, vec![id as u8; 4]),
                payload,
            ],
        ));
    }
    Ttlv::structure(tags::REQUEST_MESSAGE, items)
}

/// A random tree, up to `depth` levels, to reach shapes the request template does not.
fn tree(rng: &mut Rng, depth: usize) -> Ttlv {
    let tag = Tag(0x420001 + rng.below(0x176) as u32);
    let value = match rng.below(if depth == 0 { 10 } else { 13 }) {
        0 => Value::Integer(rng.next() as i32),
        1 => Value::LongInteger(rng.next() as i64),
        2 => Value::BigInteger(Zeroizing::new({
            let words = rng.below(3);
            rng.bytes(8 * words)
        })),
        3 => Value::Enumeration(rng.next() as u32),
        4 => Value::Boolean(rng.below(2) == 1),
        5 => Value::TextString("é-ü-€".repeat(rng.below(4))),
        6 => Value::ByteString(Zeroizing::new(rng.some_bytes(20))),
        7 => Value::DateTime(rng.next() as i64),
        8 => Value::Interval(rng.next() as u32),
        9 => Value::DateTimeExtended(rng.next() as i64),
        _ => {
            let n = rng.below(5);
            Value::Structure((0..n).map(|_| tree(rng, depth - 1)).collect())
        }
    };
    Ttlv { tag, value }
}

/// Offsets of every item header in a valid encoding: headers follow each other, a structure's
/// first child right after its header.
fn header_offsets(encoded: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut pos = 0;
    while let Some(h) = encoded.get(pos..pos + 8) {
        offsets.push(pos);
        let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
        pos += if h[3] == 0x01 {
            8
        } else {
            8 + len.div_ceil(8) * 8
        };
    }
    offsets
}

/// Offset and length of every direct child of the outermost structure of a valid encoding.
fn top_children(encoded: &[u8]) -> Vec<(usize, usize)> {
    let mut children = Vec::new();
    let mut pos = 8;
    while let Some(h) = encoded.get(pos..pos + 8) {
        let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let item_len = 8 + if h[3] == 0x01 {
            len
        } else {
            len.div_ceil(8) * 8
        };
        children.push((pos, item_len));
        pos += item_len;
    }
    children
}

struct Sample {
    bytes: Vec<u8>,
    headers: Vec<usize>,
    top_children: Vec<(usize, usize)>,
}

fn corpus(rng: &mut Rng) -> Vec<Sample> {
    let mut out = Vec::new();
    for i in 0..64 {
        let item = if i % 2 == 0 {
            request(rng)
        } else {
            Ttlv::structure(
                tags::RESPONSE_MESSAGE,
                (0..3).map(|_| tree(rng, 4)).collect(),
            )
        };
        let bytes = encode(&item);
        let headers = header_offsets(&bytes);
        let top_children = top_children(&bytes);
        out.push(Sample {
            bytes,
            headers,
            top_children,
        });
    }
    out
}

// ---- mutations -------------------------------------------------------------------------------

const INTERESTING_BYTES: [u8; 12] = [
    0x00, 0x01, 0x02, 0x07, 0x08, 0x0B, 0x0C, 0x42, 0x7F, 0x80, 0xFE, 0xFF,
];

fn interesting_len(rng: &mut Rng, current: u32) -> u32 {
    match rng.below(12) {
        0 => 0,
        1 => 1,
        2 => 4,
        3 => 7,
        4 => 8,
        5 => current.wrapping_add(8),
        6 => current.wrapping_sub(8),
        7 => current.wrapping_add(1),
        8 => 100 * 1024 * 1024,
        9 => u32::MAX,
        10 => 0x7FFF_FFFF,
        _ => rng.next() as u32,
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, sample: &Sample, other: &Sample) {
    let len = input.len();
    let pos = if len == 0 { 0 } else { rng.below(len) };
    let header = sample
        .headers
        .get(rng.below(sample.headers.len().max(1)))
        .copied();
    match rng.below(12) {
        0 => {
            if let Some(b) = input.get_mut(pos) {
                *b ^= 1 << rng.below(8);
            }
        }
        1 => {
            if let Some(b) = input.get_mut(pos) {
                *b = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
            }
        }
        2 => input.truncate(pos),
        3 => {
            if let Some(field) = header.and_then(|h| input.get_mut(h + 4..h + 8)) {
                let current = u32::from_be_bytes([field[0], field[1], field[2], field[3]]);
                field.copy_from_slice(&interesting_len(rng, current).to_be_bytes());
            }
        }
        4 => {
            if let Some(b) = header.and_then(|h| input.get_mut(h + 3)) {
                *b = rng.below(14) as u8;
            }
        }
        5 => {
            let n = 1 + rng.below(16);
            let extra = rng.bytes(n);
            let at = pos.min(input.len());
            input.splice(at..at, extra);
        }
        6 => {
            // Splice a run of another valid message over this one.
            let from = rng.below(other.bytes.len());
            let run = rng.below(other.bytes.len() - from + 1);
            let end = (pos + rng.below(64)).min(input.len());
            let at = pos.min(end);
            input.splice(at..end, other.bytes[from..from + run].iter().copied());
        }
        7 => {
            let end = (pos + 1 + rng.below(32)).min(input.len());
            input.drain(pos.min(end)..end);
        }
        8 => {
            let end = (pos + 1 + rng.below(32)).min(input.len());
            let copy: Vec<u8> = input[pos.min(end)..end].to_vec();
            input.splice(pos.min(end)..pos.min(end), copy);
        }
        9 => {
            // Wrap one item in up to six more structures, which deepens the tree (and leaves
            // every enclosing length short by the added headers).
            if let Some(h) = header
                && let Some(head) = input.get(h..h + 8)
            {
                let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                let body = if head[3] == 0x01 {
                    len
                } else {
                    len.div_ceil(8).wrapping_mul(8)
                };
                let item_len = body.wrapping_add(8);
                let levels = 1 + rng.below(6) as u32;
                let mut wrappers = Vec::new();
                for level in 0..levels {
                    wrappers.extend_from_slice(&[0x42, 0x00, 0x01, 0x01]);
                    let inner = item_len.wrapping_add(8 * (levels - 1 - level));
                    wrappers.extend_from_slice(&inner.to_be_bytes());
                }
                input.splice(h..h, wrappers);
            }
        }
        10 => {
            // Repeat one child of the outermost structure many times and fix the outer length,
            // so the message stays well formed but holds many more items.
            if let Some(&(at, item_len)) = sample
                .top_children
                .get(rng.below(sample.top_children.len().max(1)))
                && let Some(item) = input.get(at..at + item_len).map(<[u8]>::to_vec)
            {
                let copies = 1 + rng.below(40);
                let mut grown = Vec::with_capacity(item.len() * copies);
                for _ in 0..copies {
                    grown.extend_from_slice(&item);
                }
                input.splice(at..at, grown);
                let outer = u32::try_from(input.len() - 8).unwrap_or(u32::MAX);
                if let Some(field) = input.get_mut(4..8) {
                    field.copy_from_slice(&outer.to_be_bytes());
                }
            }
        }
        _ => {
            // Swap the whole of one header for another item's header.
            if let (Some(h), Some(&o)) = (
                header,
                other.headers.get(rng.below(other.headers.len().max(1))),
            ) && let (Some(src), true) = (other.bytes.get(o..o + 8), h + 8 <= input.len())
            {
                input[h..h + 8].copy_from_slice(src);
            }
        }
    }
}

fn variant(result: &Result<Ttlv, DecodeError>) -> &'static str {
    match result {
        Ok(_) => "Ok",
        Err(DecodeError::Truncated { .. }) => "Truncated",
        Err(DecodeError::MessageTooLarge { .. }) => "MessageTooLarge",
        Err(DecodeError::ItemTooLarge { .. }) => "ItemTooLarge",
        Err(DecodeError::TooDeep { .. }) => "TooDeep",
        Err(DecodeError::TooManyItems { .. }) => "TooManyItems",
        Err(DecodeError::UnknownItemType { .. }) => "UnknownItemType",
        Err(DecodeError::BadLength { .. }) => "BadLength",
        Err(DecodeError::BadBoolean { .. }) => "BadBoolean",
        Err(DecodeError::InvalidUtf8 { .. }) => "InvalidUtf8",
        Err(DecodeError::BadPadding { .. }) => "BadPadding",
        Err(DecodeError::TrailingBytes { .. }) => "TrailingBytes",
        Err(DecodeError::NotAStructure { .. }) => "NotAStructure",
        Err(DecodeError::StructureOverrun { .. }) => "StructureOverrun",
    }
}

fn mutation_count() -> usize {
    std::env::var("KW_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000)
}

#[test]
fn mutated_messages_never_panic_overallocate_or_decode_ambiguously() {
    let seed = 0x6B77_7474_6C76_0001;
    let mut rng = Rng(seed);
    let corpus = corpus(&mut rng);
    // Small limits so the limits themselves are hit often.
    let limits = Limits {
        max_message: 4096,
        max_depth: 7,
        max_items: 80,
        max_batch: 16,
        max_item_len: 512,
    };
    for sample in &corpus {
        assert!(
            decode(&sample.bytes, &limits).is_ok(),
            "corpus message outside the test limits"
        );
    }

    let total = mutation_count();
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut worst_ratio = 0.0f64;
    let mut worst_share = 0.0f64;
    let mut input = Vec::with_capacity(8192);
    for case in 0..total {
        let sample = &corpus[rng.below(corpus.len())];
        let other = &corpus[rng.below(corpus.len())];
        input.clear();
        input.extend_from_slice(&sample.bytes);
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut input, sample, other);
        }

        let (result, peak) = decode_measured(&input, &limits);
        let bound = allocation_bound(input.len(), &limits);
        assert!(
            peak <= bound,
            "case {case} (seed {seed:#x}): decoding {} bytes held {peak} bytes, bound {bound}",
            input.len()
        );
        worst_share = worst_share.max(peak as f64 / bound as f64);
        if input.len() >= 512 {
            worst_ratio = worst_ratio.max(peak as f64 / input.len() as f64);
        }
        if let Ok(item) = &result {
            assert_eq!(
                encode(item),
                input,
                "case {case}: accepted bytes are not canonical"
            );
        }
        *outcomes.entry(variant(&result)).or_default() += 1;
    }

    eprintln!(
        "{total} mutations; peak allocation at most {:.0}% of the bound, {worst_ratio:.1} bytes \
         per input byte for inputs of 512 bytes or more; outcomes: {outcomes:?}",
        worst_share * 100.0
    );
    if total >= 100_000 {
        // A mutator that stopped reaching the decoder's checks would still "pass"; make sure the
        // damage lands everywhere.
        for expected in [
            "Ok",
            "Truncated",
            "ItemTooLarge",
            "UnknownItemType",
            "BadLength",
            "BadBoolean",
            "InvalidUtf8",
            "BadPadding",
            "TrailingBytes",
            "StructureOverrun",
            "TooDeep",
            "TooManyItems",
            "MessageTooLarge",
        ] {
            assert!(
                outcomes.contains_key(expected),
                "no mutation produced {expected}: {outcomes:?}"
            );
        }
    }
}

#[test]
fn huge_length_claims_allocate_nothing_big() {
    let limits = Limits {
        max_item_len: usize::MAX,
        ..Limits::default()
    };
    for item_type in 0x01u8..=0x0B {
        for claim in [100u32 * 1024 * 1024, u32::MAX, 0x7FFF_FFF8] {
            let mut msg = vec![0x42, 0x00, 0x78, 0x01, 0, 0, 0, 16];
            msg.extend_from_slice(&[0x42, 0x00, 0x94, item_type]);
            msg.extend_from_slice(&claim.to_be_bytes());
            msg.extend_from_slice(&[0; 8]);
            let (result, peak) = decode_measured(&msg, &limits);
            assert!(result.is_err(), "type {item_type:#x} claim {claim}");
            assert!(
                peak < 4096,
                "type {item_type:#x} claim {claim}: held {peak} bytes"
            );
        }
    }
}

#[test]
fn allocation_accounting_sees_decoded_payloads() {
    // The accounting must be able to fail: a 64 KiB byte string shows up in the peak.
    let payload = vec![7u8; 64 * 1024];
    let item = Ttlv::structure(
        tags::REQUEST_MESSAGE,
        vec![Ttlv::new(
            tags::DATA,
            Value::ByteString(Zeroizing::new(payload)),
        )],
    );
    let bytes = encode(&item);
    let (result, peak) = decode_measured(&bytes, &Limits::default());
    assert_eq!(result, Ok(item));
    assert!(peak >= 64 * 1024, "peak {peak}");
}
