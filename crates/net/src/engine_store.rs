//! Persistent SNMPv3 engine identity for the trap/inform receiver.
//!
//! Inform senders localize their keys with our snmpEngineID and stamp messages with
//! our snmpEngineBoots (RFC 3414 §2.2), so both must survive restarts: a new engine ID
//! makes every sender rediscover us (and breaks senders configured with our ID), and
//! boots that do not grow would let informs recorded before a restart be replayed
//! inside the time window. [`EngineStore::open`] therefore keeps them in a small text
//! file, increments boots at every start and writes the file atomically (temporary
//! file, fsync, rename), so a crash leaves either the old or the new state, never half.
//!
//! A file that exists but cannot be read back is an error, not a reason to start over:
//! silently choosing a new engine ID would break every sender configured with the old
//! one, so the operator has to decide (fix the file, or delete it to get a new ID).
//!
//! ```text
//! # nocwatch SNMPv3 engine state (RFC 3414 snmpEngineID and snmpEngineBoots).
//! engine-id = 8000000005d1b8f0a9c4e27713
//! boots = 7
//! ```
//!
//! One process per file: two receivers sharing a file would race on boots.

use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use nocwatch_snmp::receiver::{
    AuthoritativeEngine, MAX_ENGINE_COUNTER, generate_engine_id, is_valid_engine_id,
};

/// Why the engine state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineStoreError {
    /// Reading or writing the file failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file exists but is not a valid engine state.
    #[error(
        "{}:{line}: {reason}; the SNMP engine state file is corrupt: repair it, or \
         delete it to start with a new engine ID (inform senders will rediscover it, \
         and anything configured with the old ID must be updated)",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The 1-based line (0 when the problem is not on one line).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// snmpEngineBoots reached its maximum (RFC 3414 §2.2.2: the engine must be given
    /// a new ID).
    #[error(
        "{}: snmpEngineBoots reached 2147483647; delete the file to start with a new \
         engine ID",
        path.display()
    )]
    BootsExhausted {
        /// The file.
        path: PathBuf,
    },
}

/// Our engine's persisted ID and this run's boots count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineStore {
    path: PathBuf,
    engine_id: Vec<u8>,
    boots: u32,
}

impl EngineStore {
    /// Loads the state at `path` and records one more boot, or, when the file does not
    /// exist, creates it with a new random engine ID and boots = 1. The parent
    /// directory must exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, EngineStoreError> {
        Self::open_with(path, None, 0)
    }

    /// [`EngineStore::open`] with an engine ID set by configuration and a boots value
    /// known to have been used outside this file (a legacy counter; 0 if none).
    ///
    /// - The file holds `configured` (or nothing is configured): its ID, and boots one
    ///   more than the larger of the stored value and `used`.
    /// - The file holds another ID: the configured ID is a new engine as far as
    ///   senders can tell, so its boots start over at `used + 1` (RFC 3414 only
    ///   forbids reusing a boots value under the same ID); a warning says so.
    /// - No file: `configured` or a new random ID, boots `used + 1`.
    pub fn open_with(
        path: impl AsRef<Path>,
        configured: Option<&[u8]>,
        used: u32,
    ) -> Result<Self, EngineStoreError> {
        let path = path.as_ref().to_path_buf();
        if configured.is_some_and(|id| !is_valid_engine_id(id)) {
            return Err(EngineStoreError::Corrupt {
                path,
                line: 0,
                reason: "the configured engine ID is not 5 to 32 bytes".into(),
            });
        }
        let next = |path: PathBuf, last: u32| {
            // The new value must stay below the latch value (RFC 3414 §2.2.2).
            if last >= MAX_ENGINE_COUNTER - 1 {
                Err(EngineStoreError::BootsExhausted { path })
            } else {
                Ok(last + 1)
            }
        };
        let (engine_id, boots) = match fs::read_to_string(&path) {
            Ok(text) => {
                let (id, stored) = parse(&path, &text)?;
                match configured {
                    Some(c) if c != id.as_slice() => {
                        tracing::warn!(
                            path = %path.display(),
                            "the configured snmpEngineID differs from the stored one: \
                             starting the configured engine at boots {}",
                            used.saturating_add(1)
                        );
                        (c.to_vec(), next(path.clone(), used)?)
                    }
                    _ => (id, next(path.clone(), stored.max(used))?),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => (
                configured.map_or_else(new_engine_id, <[u8]>::to_vec),
                next(path.clone(), used)?,
            ),
            Err(source) => {
                return Err(EngineStoreError::Io {
                    op: "reading",
                    path,
                    source,
                });
            }
        };
        let store = Self {
            path,
            engine_id,
            boots,
        };
        store.save()?;
        Ok(store)
    }

    /// snmpEngineID.
    pub fn engine_id(&self) -> &[u8] {
        &self.engine_id
    }

    /// snmpEngineBoots for this run.
    pub fn boots(&self) -> u32 {
        self.boots
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The engine for a receiver, its clock starting at `started_at`.
    pub fn engine(&self, started_at: Instant) -> AuthoritativeEngine {
        AuthoritativeEngine::new(self.engine_id.clone(), self.boots, started_at)
    }

    /// Writes the state: a temporary file beside the target, fsynced, renamed over it,
    /// then the directory fsynced (best effort) so the rename itself is durable.
    fn save(&self) -> Result<(), EngineStoreError> {
        let io_err = |op, source| EngineStoreError::Io {
            op,
            path: self.path.clone(),
            source,
        };
        let mut text = String::from(
            "# nocwatch SNMPv3 engine state (RFC 3414 snmpEngineID and snmpEngineBoots).\n\
             # boots is incremented at every start; keep this file across restarts.\n",
        );
        text.push_str("engine-id = ");
        for b in &self.engine_id {
            let _ = write!(text, "{b:02x}");
        }
        let _ = writeln!(text, "\nboots = {}", self.boots);

        let mut tmp_name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        tmp_name.push(format!(".tmp.{}", std::process::id()));
        let tmp = self.path.with_file_name(tmp_name);
        let written = fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        });
        if let Err(e) = written.and_then(|()| fs::rename(&tmp, &self.path)) {
            let _ = fs::remove_file(&tmp);
            return Err(io_err("writing", e));
        }
        if let Some(dir) = self.path.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            // Not every platform can open or fsync a directory.
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Parses the file's text: `key = value` lines, `#` comments and blank lines; both
/// keys exactly once, nothing else.
fn parse(path: &Path, text: &str) -> Result<(Vec<u8>, u32), EngineStoreError> {
    let corrupt = |line: usize, reason: String| EngineStoreError::Corrupt {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut engine_id = None;
    let mut boots = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(corrupt(
                n,
                format!("expected `key = value`, found {line:?}"),
            ));
        };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "engine-id" if engine_id.is_none() => {
                let id = parse_hex(value).ok_or_else(|| {
                    corrupt(n, format!("engine-id is not hexadecimal: {value:?}"))
                })?;
                if !is_valid_engine_id(&id) {
                    return Err(corrupt(
                        n,
                        format!("engine-id is {} bytes; 5 to 32 expected", id.len()),
                    ));
                }
                engine_id = Some(id);
            }
            "boots" if boots.is_none() => {
                let b = value
                    .parse::<u32>()
                    .ok()
                    .filter(|b| *b <= MAX_ENGINE_COUNTER)
                    .ok_or_else(|| {
                        corrupt(n, format!("boots is not in 0..=2147483647: {value:?}"))
                    })?;
                boots = Some(b);
            }
            "engine-id" | "boots" => return Err(corrupt(n, format!("{key} given twice"))),
            _ => return Err(corrupt(n, format!("unknown key {key:?}"))),
        }
    }
    match (engine_id, boots) {
        // Every line this store writes ends with a newline: a file without one was
        // cut short, and its last number may have lost digits (`boots = 12` read as
        // 1 would reuse boots values).
        (Some(_), Some(_)) if !text.ends_with('\n') => Err(corrupt(
            text.lines().count(),
            "the last line does not end with a newline (a write cut short?)".into(),
        )),
        (Some(id), Some(b)) => Ok((id, b)),
        (None, _) => Err(corrupt(0, "engine-id is missing".into())),
        (_, None) => Err(corrupt(0, "boots is missing".into())),
    }
}

fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.is_empty() || !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// A new random engine ID (RFC 3411 format 5, as [`generate_engine_id`] builds it),
/// for an engine with no state to keep: a different ID at every start is what lets
/// such an engine start its boots at 1 again.
pub fn new_engine_id() -> Vec<u8> {
    generate_engine_id(seed())
}

/// A seed for a new engine ID without a randomness dependency: std's `RandomState`
/// keys its hashers from the operating system's randomness, and hashing the time and
/// the process id into it keeps two receivers started at once apart anyway.
fn seed() -> u64 {
    let mut h = RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    h.write_u32(std::process::id());
    h.finish() ^ (nanos as u64) ^ u64::from(std::process::id()).rotate_left(32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nocwatch_testkit::TempDir;

    #[test]
    fn creates_then_increments_boots_keeping_the_id() {
        let dir = TempDir::new("nocwatch-engine-store").unwrap();
        let path = dir.path().join("engine.state");
        let first = EngineStore::open(&path).unwrap();
        assert_eq!(first.boots(), 1);
        assert_eq!(first.engine_id().len(), 13);
        assert_eq!(&first.engine_id()[..5], &[0x80, 0, 0, 0, 5]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("boots = 1\n"), "{text}");

        let second = EngineStore::open(&path).unwrap();
        assert_eq!(second.engine_id(), first.engine_id());
        assert_eq!(second.boots(), 2);
        let third = EngineStore::open(&path).unwrap();
        assert_eq!(third.boots(), 3);
        let engine = third.engine(Instant::now());
        assert_eq!(
            (engine.engine_id.as_slice(), engine.boots),
            (first.engine_id(), 3)
        );
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn a_configured_id_and_a_legacy_counter() {
        let dir = TempDir::new("nocwatch-engine-store").unwrap();
        let path = dir.path().join("engine.state");
        let id = b"\x80\x00\x1f\x88\x04abcd".as_slice();
        // A legacy counter at 41 under the same ID: the store starts above it.
        let s = EngineStore::open_with(&path, Some(id), 41).unwrap();
        assert_eq!((s.engine_id(), s.boots()), (id, 42));
        let s = EngineStore::open_with(&path, Some(id), 0).unwrap();
        assert_eq!(s.boots(), 43);
        // Nothing configured: the stored ID goes on.
        let s = EngineStore::open(&path).unwrap();
        assert_eq!((s.engine_id(), s.boots()), (id, 44));
        // Another configured ID is a new engine: boots start over.
        let other = b"\x80\x00\x1f\x88\x04wxyz".as_slice();
        let s = EngineStore::open_with(&path, Some(other), 0).unwrap();
        assert_eq!((s.engine_id(), s.boots()), (other, 1));
        assert!(EngineStore::open_with(&path, Some(b"ab"), 0).is_err());
    }

    #[test]
    fn two_new_stores_get_different_ids() {
        let dir = TempDir::new("nocwatch-engine-store").unwrap();
        let a = EngineStore::open(dir.path().join("a")).unwrap();
        let b = EngineStore::open(dir.path().join("b")).unwrap();
        assert_ne!(a.engine_id(), b.engine_id());
    }

    #[test]
    fn reads_a_hand_written_file() {
        let dir = TempDir::new("nocwatch-engine-store").unwrap();
        let path = dir.path().join("engine.state");
        fs::write(
            &path,
            "  # kept\n\nboots=41\nengine-id = 0x80001F8804414243\n",
        )
        .unwrap();
        let s = EngineStore::open(&path).unwrap();
        assert_eq!(s.engine_id(), b"\x80\x00\x1f\x88\x04ABC");
        assert_eq!(s.boots(), 42);
    }

    #[test]
    fn corrupt_files_are_typed_errors_and_left_alone() {
        let dir = TempDir::new("nocwatch-engine-store").unwrap();
        let path = dir.path().join("engine.state");
        let cases = [
            ("", 0, "engine-id is missing"),
            ("engine-id = 8000000005aabbccdd\n", 0, "boots is missing"),
            ("engine-id = 80000000\nboots = 1\n", 1, "5 to 32"),
            (
                "engine-id = 80zz000005aabb\nboots = 1\n",
                1,
                "not hexadecimal",
            ),
            ("engine-id = 8000000005aabb\nboots = -1\n", 2, "boots"),
            (
                "engine-id = 8000000005aabb\nboots = 2147483648\n",
                2,
                "boots",
            ),
            (
                "engine-id = 8000000005aabb\nboots = 1\nboots = 2\n",
                3,
                "twice",
            ),
            (
                "engine-id = 8000000005aabb\nboots = 1\ncolour = blue\n",
                3,
                "unknown key",
            ),
            ("garbage\n", 1, "key = value"),
            ("engine-id = 8000000005aabb\nboots = 1", 2, "newline"),
        ];
        for (text, line, reason) in cases {
            fs::write(&path, text).unwrap();
            match EngineStore::open(&path) {
                Err(EngineStoreError::Corrupt {
                    line: l, reason: r, ..
                }) => {
                    assert_eq!(l, line, "{text:?}: {r}");
                    assert!(r.contains(reason), "{text:?}: {r}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
            // Not reset: the operator must see the file as it was.
            assert_eq!(fs::read_to_string(&path).unwrap(), text);
        }
        let err = EngineStore::open(&path).unwrap_err().to_string();
        assert!(
            err.contains("corrupt") && err.contains("delete it"),
            "{err}"
        );
    }

    #[test]
    fn boots_at_the_limit_is_refused() {
        let dir = TempDir::new("nocwatch-engine-store").unwrap();
        let path = dir.path().join("engine.state");
        fs::write(&path, "engine-id = 8000000005aabb\nboots = 2147483646\n").unwrap();
        assert!(matches!(
            EngineStore::open(&path),
            Err(EngineStoreError::BootsExhausted { .. })
        ));
        fs::write(&path, "engine-id = 8000000005aabb\nboots = 2147483645\n").unwrap();
        assert_eq!(EngineStore::open(&path).unwrap().boots(), 2_147_483_646);
    }

    #[test]
    fn unreadable_or_unwritable_paths_are_io_errors() {
        let dir = TempDir::new("nocwatch-engine-store").unwrap();
        // A directory where the file should be: reading fails.
        assert!(matches!(
            EngineStore::open(dir.path()),
            Err(EngineStoreError::Io { op: "reading", .. })
        ));
        // A missing parent directory: writing the new file fails.
        assert!(matches!(
            EngineStore::open(dir.path().join("missing").join("engine.state")),
            Err(EngineStoreError::Io { op: "writing", .. })
        ));
    }
}
