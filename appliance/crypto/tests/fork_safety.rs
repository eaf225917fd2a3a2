//! A forked child never repeats its parent's IVs.
//!
//! After `fork` both processes hold the same copy of every user-space random state; a generator
//! that does not notice hands out the same values in both. This runs without the test harness
//! (`harness = false`), so the process has one thread when it forks and the child may use the
//! allocator and aws-lc freely.

use std::io::{Read, Write};

use keywarden_crypto::{public_random, random_bytes};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// Forks this many times; each child and the parent draw after the fork.
const FORKS: usize = 16;
/// Draws per process after each fork, crossing any internal buffering.
const DRAWS: usize = 512;

fn draws() -> Vec<Vec<u8>> {
    (0..DRAWS)
        .map(|i| {
            if i % 2 == 0 {
                public_random(12).expect("iv")
            } else {
                random_bytes(16).expect("key bytes").to_vec()
            }
        })
        .collect()
}

fn main() {
    let mut parent_seen = std::collections::HashSet::new();
    for round in 0..FORKS {
        // The parent's per-thread generator is warm and mid-stream when it forks.
        let _ = public_random(12).expect("warm-up");
        let (mut reader, mut writer) = std::io::pipe().expect("pipe");
        // SAFETY: the process is single-threaded here (harness = false, no thread spawned),
        // so the child inherits no lock held by another thread.
        #[allow(unsafe_code)]
        let forked = unsafe { fork() }.expect("fork");
        match forked {
            ForkResult::Child => {
                drop(reader);
                let bytes: Vec<u8> = draws().concat();
                let ok = writer.write_all(&bytes).is_ok();
                drop(writer);
                std::process::exit(if ok { 0 } else { 3 });
            }
            ForkResult::Parent { child } => {
                drop(writer);
                let mine = draws();
                let mut theirs = Vec::new();
                reader.read_to_end(&mut theirs).expect("read child draws");
                match waitpid(child, None).expect("wait") {
                    WaitStatus::Exited(_, 0) => {}
                    other => panic!("round {round}: child ended with {other:?}"),
                }
                let sizes = (0..DRAWS).map(|i| if i % 2 == 0 { 12 } else { 16 });
                let mut at = 0;
                let child_draws: Vec<&[u8]> = sizes
                    .map(|n| {
                        let d = &theirs[at..at + n];
                        at += n;
                        d
                    })
                    .collect();
                assert_eq!(
                    at,
                    theirs.len(),
                    "round {round}: child wrote {} bytes",
                    theirs.len()
                );
                for (i, (a, b)) in mine.iter().zip(&child_draws).enumerate() {
                    assert_ne!(
                        a.as_slice(),
                        *b,
                        "round {round}, draw {i}: the child repeated the parent's value"
                    );
                }
                let child: std::collections::HashSet<&[u8]> = child_draws.into_iter().collect();
                for v in &mine {
                    assert!(
                        !child.contains(v.as_slice()),
                        "round {round}: a parent value appears among the child's"
                    );
                    assert!(
                        parent_seen.insert(v.clone()),
                        "round {round}: parent repeated"
                    );
                }
            }
        }
    }
    println!(
        "fork_safety: {FORKS} forks x {DRAWS} draws, no value shared between parent and child"
    );
}
