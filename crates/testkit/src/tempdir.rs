//! Private, self-deleting temporary directories.
//!
//! A hand-rolled replacement for the `tempfile` crate, so the testkit stays
//! dependency-free. Names combine the process id, a per-process counter and the
//! current nanoseconds, which keeps them unique across parallel tests in one
//! process (counter) and across test binaries run at the same time (pid, nanos).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::TestkitError;

/// How many times [`TempDir::new`] tries another name when one already exists.
const CREATE_ATTEMPTS: u32 = 16;

/// Per-process counter so two directories created in the same nanosecond differ.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A directory under [`std::env::temp_dir`] that is removed, with its contents,
/// when dropped.
///
/// On Unix it is created with mode `0700`, because it holds agent configs with
/// community strings and the agent's persistent state.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates a fresh directory named `<prefix>-<pid>-<counter>-<nanos>`.
    ///
    /// Creation uses `create_dir` (not `create_dir_all`), so an existing directory
    /// of the same name is never reused; on that (unlikely) collision another
    /// name is tried.
    pub fn new(prefix: &str) -> Result<Self, TestkitError> {
        let base = std::env::temp_dir();
        let mut last_err = None;
        for _ in 0..CREATE_ATTEMPTS {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("{prefix}-{}-{n}-{nanos}", std::process::id()));
            match create_private_dir(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = Some(e),
                Err(e) => {
                    return Err(TestkitError::io(
                        format!("creating temp dir {}", path.display()),
                        e,
                    ));
                }
            }
        }
        Err(TestkitError::io(
            format!("creating a unique temp dir under {}", base.display()),
            last_err.unwrap_or_else(|| std::io::Error::other("no attempt made")),
        ))
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in /tmp is not worth failing a test for.
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(unix)]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().mode(0o700).create(path)
}

#[cfg(not(unix))]
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    fs::DirBuilder::new().create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_are_unique_and_removed_on_drop() {
        let a = TempDir::new("nocwatch-testkit-unit").unwrap();
        let b = TempDir::new("nocwatch-testkit-unit").unwrap();
        assert_ne!(a.path(), b.path());
        assert!(a.path().is_dir());
        fs::write(a.path().join("f"), b"x").unwrap();
        let p = a.path().to_path_buf();
        drop(a);
        assert!(!p.exists());
    }

    #[cfg(unix)]
    #[test]
    fn dir_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let d = TempDir::new("nocwatch-testkit-unit").unwrap();
        let mode = fs::metadata(d.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
