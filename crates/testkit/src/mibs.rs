//! The MIBs in `../shared/mibs`, laid out as net-snmp's `-M` wants them.
//!
//! `../shared/mibs` holds `ietf/` and `net-snmp/` (the standard and net-snmp
//! modules) and one directory per vendor under `vendor/`. Tests compare nocwatch
//! with net-snmp tools given the same directories; these helpers are the one
//! place that lists them.

use std::path::{Path, PathBuf};

use crate::peers::shared_or_skip;

/// `../shared/mibs`, or `None` after [`missing`](crate::missing) (a skip, or a
/// failure under `NOCWATCH_REQUIRE_PEERS=1`).
pub fn shared_mibs_or_skip() -> Option<PathBuf> {
    shared_or_skip("mibs")
}

/// The standard directories under a MIB root: `ietf` and `net-snmp`.
pub fn standard_mib_dirs(root: &Path) -> Vec<PathBuf> {
    vec![root.join("ietf"), root.join("net-snmp")]
}

/// Every MIB directory under a root: `ietf`, `net-snmp`, then each
/// `vendor/<name>` in name order (a missing `vendor/` adds none).
pub fn all_mib_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = standard_mib_dirs(root);
    let mut vendors: Vec<PathBuf> = std::fs::read_dir(root.join("vendor"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    vendors.sort();
    dirs.extend(vendors);
    dirs
}

/// Directories joined with `:`, as net-snmp's `-M` and `MIBDIRS` take them.
pub fn mib_path(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// `-M` for every directory of `../shared/mibs` ([`all_mib_dirs`] joined by
/// [`mib_path`]), or `None` after [`missing`](crate::missing).
pub fn shared_mib_path_or_skip() -> Option<String> {
    shared_mibs_or_skip().map(|root| mib_path(&all_mib_dirs(&root)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn lists_standard_then_sorted_vendors() {
        let dir = crate::TempDir::new("nocwatch-testkit-mibs").unwrap();
        for d in ["ietf", "net-snmp", "vendor/zeta", "vendor/alpha"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("vendor/README"), "x").unwrap();
        let dirs = all_mib_dirs(dir.path());
        let names: Vec<_> = dirs
            .iter()
            .map(|d| d.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["ietf", "net-snmp", "vendor/alpha", "vendor/zeta"]);
        let path = mib_path(&dirs);
        assert_eq!(path.matches(':').count(), 3);
        assert!(path.starts_with(&dir.path().join("ietf").display().to_string()));
    }
}
