//! Our SNMPv3 engine identity (snmpEngineID, snmpEngineBoots) for informs.
//!
//! RFC 3414 §2.2: an engine must never use a boots value twice under the same ID,
//! or informs recorded before a restart could be replayed inside the time window.
//! So:
//!
//! - **With a state path** (the `[traps]` `state`, by default `engine.state` in the
//!   journal directory; `trap listen --state`, same default): one
//!   [`nocwatch_net::EngineStore`], written atomically (temporary file, fsync,
//!   rename), keeps the ID and boots; boots grows at every start. A state file that
//!   cannot be read back (garbage, cut short by hand) is refused with an error that
//!   says what to do: silently starting again at 1 is exactly what the RFC forbids,
//!   and inventing a new ID would break senders configured with the old one. A
//!   configured `engine_id` that differs from the stored one is a new engine: its
//!   boots start at 1.
//! - **Without one**: a fresh random engine ID at every start, so boots 1 is legal
//!   (a new ID is a new engine); senders rediscover it (informs cost one more round
//!   trip after a restart). A warning says so. A fixed `engine_id` without a state
//!   path is refused: its boots could not grow.
//! - **Upgrade**: earlier versions kept only boots in `engine-boots` in the journal
//!   directory, with an ID derived from the host name (or the configured one). When
//!   the state file does not exist yet and that file does, the store starts from it:
//!   same ID, boots above the old value. A legacy file that does not parse is refused
//!   like a corrupt state file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use nocwatch_net::EngineStore;
use nocwatch_snmp::receiver::{AuthoritativeEngine, generate_engine_id};

use crate::error::Error;

/// The file earlier versions kept boots in, inside the journal directory.
pub const LEGACY_BOOTS_FILE: &str = "engine-boots";

/// The state file's name inside the journal directory, when no state path is given.
pub const DEFAULT_STATE_FILE: &str = "engine.state";

/// The engine identity in use, and where it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineIdentity {
    /// snmpEngineID.
    pub engine_id: Vec<u8>,
    /// snmpEngineBoots of this run.
    pub boots: u32,
    /// The state file; `None` when the identity is this run's only.
    pub state: Option<PathBuf>,
}

impl EngineIdentity {
    /// Loads (or creates) the identity, recording one more boot. `configured` is
    /// the configured engine ID; `legacy_dir` the journal directory that may hold an
    /// old `engine-boots` file. See the module docs.
    pub fn load(
        state: Option<&Path>,
        configured: Option<&[u8]>,
        legacy_dir: Option<&Path>,
    ) -> Result<Self, Error> {
        let Some(path) = state else {
            if configured.is_some() {
                return Err(Error::Config(
                    "engine_id is set but there is no state path to keep snmpEngineBoots in \
                     (RFC 3414 forbids reusing a boots value under one ID): give a state \
                     path or a journal directory"
                        .into(),
                ));
            }
            tracing::warn!(
                "no engine state path: a new random snmpEngineID for this run (boots 1); \
                 inform senders rediscover it after every restart"
            );
            return Ok(Self {
                engine_id: nocwatch_net::new_engine_id(),
                boots: 1,
                state: None,
            });
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                what: format!("creating {}", dir.display()),
                source,
            })?;
        }
        let legacy = match legacy_dir {
            Some(dir) if !path.exists() => legacy_boots(&dir.join(LEGACY_BOOTS_FILE))?,
            _ => None,
        };
        let store = match legacy {
            Some(used) => {
                let id = configured.map_or_else(host_engine_id, <[u8]>::to_vec);
                tracing::info!(
                    boots = used,
                    "moving the engine's boots from {LEGACY_BOOTS_FILE} to {}",
                    path.display()
                );
                EngineStore::open_with(path, Some(&id), used)
            }
            None => EngineStore::open_with(path, configured, 0),
        }
        .map_err(Error::EngineState)?;
        Ok(Self {
            engine_id: store.engine_id().to_vec(),
            boots: store.boots(),
            state: Some(store.path().to_path_buf()),
        })
    }

    /// The receiver's engine, its clock starting at `now`.
    pub fn engine(&self, now: Instant) -> AuthoritativeEngine {
        AuthoritativeEngine::new(self.engine_id.clone(), self.boots, now)
    }
}

/// The old `engine-boots` file's value, if the file exists.
fn legacy_boots(path: &Path) -> Result<Option<u32>, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => match text.trim().parse::<u32>() {
            Ok(b) if b <= 2_147_483_647 => Ok(Some(b)),
            _ => Err(Error::Config(format!(
                "{}: not a boots count ({:?}); repair it (the last boots value used) or \
                 delete it to start with a new engine ID",
                path.display(),
                text.chars().take(40).collect::<String>()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            what: format!("reading {}", path.display()),
            source,
        }),
    }
}

/// The ID earlier versions derived from the host name (only for the upgrade from
/// `engine-boots`).
fn host_engine_id() -> Vec<u8> {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let seed = host.trim().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    generate_engine_id(seed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use nocwatch_testkit::TempDir;

    use super::*;

    #[test]
    fn boots_grow_across_starts_with_the_same_state() {
        let dir = TempDir::new("nocwatch-engine").unwrap();
        let state = dir.path().join("sub").join("engine.state");
        let a = EngineIdentity::load(Some(&state), None, None).unwrap();
        let b = EngineIdentity::load(Some(&state), None, None).unwrap();
        let c = EngineIdentity::load(Some(&state), None, None).unwrap();
        assert_eq!((a.boots, b.boots, c.boots), (1, 2, 3));
        assert_eq!(a.engine_id, c.engine_id);
        assert_eq!(c.state.as_deref(), Some(state.as_path()));
    }

    #[test]
    fn a_damaged_state_file_is_refused_never_restarted() {
        let dir = TempDir::new("nocwatch-engine").unwrap();
        let state = dir.path().join("engine.state");
        let mut first = EngineIdentity::load(Some(&state), None, None).unwrap();
        // Two-digit boots: a cut inside the number must not read as a smaller one.
        for _ in 0..11 {
            first = EngineIdentity::load(Some(&state), None, None).unwrap();
        }
        assert_eq!(first.boots, 12);
        let good = std::fs::read(&state).unwrap();
        // Every prefix of a valid file (a write cut short), and garbage.
        let mut damaged: Vec<Vec<u8>> = (0..good.len()).map(|n| good[..n].to_vec()).collect();
        damaged.push(b"\x00\x00\x00".to_vec());
        damaged.push(b"boots = 1\n".to_vec());
        let mut highest = first.boots;
        for bytes in damaged {
            std::fs::write(&state, &bytes).unwrap();
            match EngineIdentity::load(Some(&state), None, None) {
                // Whatever is accepted keeps the ID and gives a boots above every
                // one used (the store refuses every prefix; a damaged file must
                // never lead to a boots already used).
                Ok(id) => {
                    assert_eq!(id.engine_id, first.engine_id);
                    assert!(id.boots > highest, "{bytes:?}: boots {}", id.boots);
                    highest = id.boots;
                }
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.contains("corrupt"), "{text}");
                    // Left as found, for the operator.
                    assert_eq!(std::fs::read(&state).unwrap(), bytes);
                }
            }
        }
    }

    #[test]
    fn without_state_each_start_is_a_new_engine() {
        let a = EngineIdentity::load(None, None, None).unwrap();
        let b = EngineIdentity::load(None, None, None).unwrap();
        assert_eq!((a.boots, b.boots), (1, 1));
        assert_ne!(a.engine_id, b.engine_id);
        assert!(a.state.is_none());
        let id = [0x80, 0, 0, 0, 4, 1, 2, 3];
        assert!(EngineIdentity::load(None, Some(&id), None).is_err());
    }

    #[test]
    fn the_legacy_counter_is_carried_over() {
        let dir = TempDir::new("nocwatch-engine").unwrap();
        let state = dir.path().join(DEFAULT_STATE_FILE);
        std::fs::write(dir.path().join(LEGACY_BOOTS_FILE), "41\n").unwrap();
        let id = [0x80, 0, 0, 0, 4, 1, 2, 3];
        let a = EngineIdentity::load(Some(&state), Some(&id), Some(dir.path())).unwrap();
        assert_eq!((a.engine_id.as_slice(), a.boots), (&id[..], 42));
        // From now on the state file rules.
        let b = EngineIdentity::load(Some(&state), Some(&id), Some(dir.path())).unwrap();
        assert_eq!(b.boots, 43);
        // Without a configured ID, the host-derived one of earlier versions.
        let dir2 = TempDir::new("nocwatch-engine").unwrap();
        std::fs::write(dir2.path().join(LEGACY_BOOTS_FILE), "7").unwrap();
        let s2 = dir2.path().join(DEFAULT_STATE_FILE);
        let c = EngineIdentity::load(Some(&s2), None, Some(dir2.path())).unwrap();
        assert_eq!((c.engine_id, c.boots), (host_engine_id(), 8));
        // A damaged legacy counter is refused.
        let dir3 = TempDir::new("nocwatch-engine").unwrap();
        std::fs::write(dir3.path().join(LEGACY_BOOTS_FILE), "").unwrap();
        let s3 = dir3.path().join(DEFAULT_STATE_FILE);
        assert!(EngineIdentity::load(Some(&s3), None, Some(dir3.path())).is_err());
        assert!(!s3.exists());
    }
}
