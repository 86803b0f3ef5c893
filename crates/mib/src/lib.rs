//! MIB loading for nocwatch: a forgiving SMIv1/SMIv2 parser and an immutable
//! name ⇄ OID index.
//!
//! ```no_run
//! let (mibs, diagnostics) = nocwatch_mib::Mibs::load_dirs(&["/usr/share/snmp/mibs"]);
//! for d in &diagnostics {
//!     eprintln!("{d}");
//! }
//! let oid = mibs.resolve("IF-MIB::ifDescr.3")?;
//! let (object, rest) = mibs.lookup_oid(&oid).ok_or(nocwatch_mib::MibError::UnknownName("?".into()))?;
//! assert_eq!((object.name.as_str(), rest), ("ifDescr", &[3u32][..]));
//! # Ok::<(), nocwatch_mib::MibError>(())
//! ```
//!
//! # Why a hand-written lexer and parser
//!
//! Real-world MIB files are not valid ASN.1: vendor MIBs import symbols from
//! the wrong module, use `_` in identifiers, forget commas, put `--` inside
//! lines, and leave definitions half-finished. Net-snmp copes because its
//! parser is hand-written and permissive. A grammar-driven parser (pest,
//! winnow, or an ASN.1 compiler) either rejects such files outright or needs
//! the same amount of recovery code bolted on. A small hand-written lexer over
//! borrowed `&str` slices plus a recursive-descent parser that understands
//! only what the index needs (OID assignments, SYNTAX, access, INDEX, TCs) and
//! skips everything else is short, fast, dependency-free, and can resynchronise
//! at the next definition after an error, so one bad definition costs only
//! that definition and one bad module never aborts a load.
//!
//! # What resolution does
//!
//! Modules are found by their `NAME DEFINITIONS ::= BEGIN` header, whatever
//! the file is called. A name used in an OID value is looked up in the defining
//! module, then in the module it is imported from, then among the well-known
//! roots built in here (`iso`, `org`, `dod`, `internet`, `mib-2`,
//! `enterprises`, `snmpModules`, ...), and finally in any loaded module that
//! defines it (vendor MIBs often import from the wrong module).
//!
//! When two modules define the same OID (RFC1213-MIB and IP-MIB both define
//! `ipForwarding`), the one net-snmp's `-m ALL` reads first names it: modules are
//! read from the last one found, each after the modules it imports from.
//!
//! # Output as net-snmp prints it
//!
//! [`Mibs::format_oid_as`] writes OIDs in net-snmp's styles ([`OidStyle`]) with the
//! instance decoded from the table's INDEX clause (AUGMENTS followed): integers and
//! their enumeration labels, strings with a length (`"x"`) or without (IMPLIED or
//! fixed size: `'x'`), IpAddress, InetAddress after InetAddressType. The DISPLAY-HINT
//! helpers ([`format_octets_hint`], [`format_integer_hint`]) format values the way
//! net-snmp's tools do; the binary's `mibout` module formats whole bindings with them.
//! [`Mibs::notification`] maps a trap OID to its NOTIFICATION-TYPE and OBJECTS.
//!
//! [`LoadOptions::modules`] reads only some modules and their imports, in the
//! order given (net-snmp's `-m A:B`).
//!
//! Not done: a compiled cache (loading every ../shared/mibs module takes about
//! 45 ms of CPU); REFERENCE and other clauses nothing prints are not kept.

#![deny(missing_docs)]

mod hash;
mod index;
mod lexer;
mod parser;
mod render;
pub mod selection;

use std::fmt;
use std::path::PathBuf;

pub use index::{Access, BaseType, IndexPart, LoadOptions, MibObject, Mibs, ModuleInfo};
pub use parser::NodeKind;
pub use render::{OidStyle, format_integer_hint, format_octets_hint};
pub use selection::{DEFAULT_MIB_DIRS, MibSelection};

/// Everything that can go wrong while loading MIBs or resolving names.
#[derive(Debug, thiserror::Error)]
pub enum MibError {
    /// A directory or file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A syntax error in a MIB file; the definition was skipped.
    #[error("{message}")]
    Syntax {
        /// What was wrong.
        message: String,
    },
    /// An OID value could not be resolved (unknown parent name, cycle).
    #[error("cannot resolve the OID of {name}: {reason}")]
    Unresolved {
        /// The definition whose OID is unknown.
        name: String,
        /// Why.
        reason: String,
    },
    /// Two modules with the same name; the later one was ignored.
    #[error("duplicate module {0}; the first one loaded is used")]
    DuplicateModule(String),
    /// A module asked for by name (`-m`) is in none of the files.
    #[error("cannot find module ({0})")]
    UnknownModule(String),
    /// A name given to [`Mibs::resolve`] is not in the index.
    #[error("unknown name {0}")]
    UnknownName(String),
    /// A numeric OID or instance suffix could not be parsed.
    #[error("bad OID {0}")]
    BadOid(String),
}

/// One problem found while loading: where it is and what it is.
#[derive(Debug)]
pub struct Diagnostic {
    /// The file the problem is in (empty for in-memory sources without a name).
    pub file: PathBuf,
    /// 1-based line, or 0 when not tied to a line.
    pub line: u32,
    /// The module, when known.
    pub module: Option<String>,
    /// The problem.
    pub error: MibError,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(m) = &self.module {
            write!(f, " ({m})")?;
        }
        write!(f, ": {}", self.error)
    }
}

#[cfg(test)]
mod tests;
