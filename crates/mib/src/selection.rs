//! Which MIBs to load, decided as net-snmp's tools decide it from `-m`, `-M`,
//! `$MIBS` and `$MIBDIRS`.
//!
//! Why a type for it: every nocwatch command that prints or reads names (`get`,
//! `walk`, `set`, `decode`, `poll`, `translate`, `trap listen`) must pick the same
//! modules from the same directories that `snmpget` or `snmptrapd` would with the
//! same flags and environment, or their output would differ from net-snmp's. The
//! rules, once:
//!
//! - directories: `-M` (a leading `+` adds to the defaults), else `$MIBDIRS`, else
//!   [`DEFAULT_MIB_DIRS`]; `:`-separated;
//! - modules: `-m` else `$MIBS`, `:`- or `;`-separated, in order; `ALL`, a `+LIST`
//!   (net-snmp adds it to its built-in default list, which nocwatch does not have)
//!   or nothing means every module found;
//! - whether to load at all ([`MibSelection::wanted`]): only when `-m` or `-M` is
//!   given or `$MIBS` is set and not empty; otherwise output stays numeric and no
//!   file is read (the fast path).

use std::path::PathBuf;

use crate::{Diagnostic, LoadOptions, Mibs};

/// net-snmp's default MIB directory on Debian and most distributions.
pub const DEFAULT_MIB_DIRS: &str = "/usr/share/snmp/mibs";

/// The flags and environment that select MIBs. See the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MibSelection {
    /// `-m`.
    pub modules: Option<String>,
    /// `-M`.
    pub dirs: Option<String>,
    /// `$MIBS`.
    pub env_mibs: Option<String>,
    /// `$MIBDIRS`.
    pub env_mibdirs: Option<String>,
}

impl MibSelection {
    /// The selection of `-m` and `-M` with this process's `$MIBS` and `$MIBDIRS`.
    pub fn from_env(modules: Option<&str>, dirs: Option<&str>) -> Self {
        Self {
            modules: modules.map(str::to_owned),
            dirs: dirs.map(str::to_owned),
            env_mibs: std::env::var("MIBS").ok(),
            env_mibdirs: std::env::var("MIBDIRS").ok(),
        }
    }

    /// Whether net-snmp's tools would load MIBs at all.
    pub fn wanted(&self) -> bool {
        self.modules.as_deref().is_some_and(|m| !m.is_empty())
            || self.dirs.is_some()
            || self.env_mibs.as_deref().is_some_and(|m| !m.is_empty())
    }

    /// The directories to read, in order.
    pub fn directories(&self) -> Vec<PathBuf> {
        let default = self
            .env_mibdirs
            .clone()
            .unwrap_or_else(|| DEFAULT_MIB_DIRS.to_owned());
        let list = match self.dirs.as_deref() {
            Some(d) => match d.strip_prefix('+') {
                Some(more) => format!("{default}:{more}"),
                None => d.to_owned(),
            },
            None => default,
        };
        list.split(':')
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect()
    }

    /// The modules to load in order; `None` for every module found.
    pub fn module_list(&self) -> Option<Vec<String>> {
        module_list(self.modules.as_deref().or(self.env_mibs.as_deref()))
    }

    /// Loads the selection whether or not [`MibSelection::wanted`] says so (what
    /// `snmptranslate` does); `descriptions` keeps DESCRIPTION texts.
    pub fn load(&self, descriptions: bool) -> (Mibs, Vec<Diagnostic>) {
        Mibs::load_dirs_with(
            &self.directories(),
            LoadOptions {
                descriptions,
                modules: self.module_list(),
            },
        )
    }

    /// Loads the selection when net-snmp's tools would, without descriptions;
    /// `None` when no MIBs were asked for.
    pub fn load_if_wanted(&self) -> Option<(Mibs, Vec<Diagnostic>)> {
        self.wanted().then(|| self.load(false))
    }
}

/// net-snmp's `-m` / `$MIBS` list: `None` (every module found) for `ALL`, for a
/// `+LIST` and when absent or empty; otherwise the modules in their order.
pub fn module_list(spec: Option<&str>) -> Option<Vec<String>> {
    let spec = spec?.trim();
    if spec.is_empty() || spec.starts_with('+') {
        return None;
    }
    let list: Vec<String> = spec
        .split([':', ';'])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    (!list.iter().any(|m| m == "ALL")).then_some(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(m: Option<&str>, d: Option<&str>, em: Option<&str>, ed: Option<&str>) -> MibSelection {
        MibSelection {
            modules: m.map(str::to_owned),
            dirs: d.map(str::to_owned),
            env_mibs: em.map(str::to_owned),
            env_mibdirs: ed.map(str::to_owned),
        }
    }

    #[test]
    fn wanted_only_when_asked_for() {
        assert!(!sel(None, None, None, Some("/x")).wanted());
        assert!(!sel(Some(""), None, Some(""), None).wanted());
        assert!(sel(Some("IF-MIB"), None, None, None).wanted());
        assert!(sel(None, Some("/m"), None, None).wanted());
        assert!(sel(None, None, Some("ALL"), None).wanted());
    }

    #[test]
    fn directories_as_net_snmp() {
        let p = |v: &[&str]| v.iter().map(PathBuf::from).collect::<Vec<_>>();
        assert_eq!(
            sel(None, None, None, None).directories(),
            p(&[DEFAULT_MIB_DIRS])
        );
        assert_eq!(
            sel(None, None, None, Some("/a:/b")).directories(),
            p(&["/a", "/b"])
        );
        assert_eq!(
            sel(None, Some("/c"), None, Some("/a")).directories(),
            p(&["/c"])
        );
        assert_eq!(
            sel(None, Some("+/c"), None, Some("/a")).directories(),
            p(&["/a", "/c"])
        );
        assert_eq!(
            sel(None, Some("+/c::"), None, None).directories(),
            p(&[DEFAULT_MIB_DIRS, "/c"])
        );
    }

    #[test]
    fn modules_as_net_snmp() {
        assert_eq!(module_list(None), None);
        assert_eq!(module_list(Some(" ")), None);
        assert_eq!(module_list(Some("ALL")), None);
        assert_eq!(module_list(Some("IF-MIB:ALL")), None);
        assert_eq!(module_list(Some("+IF-MIB")), None);
        assert_eq!(
            module_list(Some("IF-MIB; SNMPv2-MIB::")),
            Some(vec!["IF-MIB".to_owned(), "SNMPv2-MIB".to_owned()])
        );
        // -m wins over $MIBS.
        assert_eq!(
            sel(Some("A"), None, Some("B"), None).module_list(),
            Some(vec!["A".to_owned()])
        );
        assert_eq!(
            sel(None, None, Some("B"), None).module_list(),
            Some(vec!["B".to_owned()])
        );
    }
}
