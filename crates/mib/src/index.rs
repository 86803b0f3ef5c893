//! Loading, cross-module OID resolution and the immutable index.

use crate::hash::FastMap as HashMap;
use std::path::{Path, PathBuf};

use crate::parser::{NodeKind, OidComp, RawModule, RawSyntax, RawType, RawTypeDef, parse};
use crate::{Diagnostic, MibError};

/// The SMI base type of an object, after following textual conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseType {
    /// INTEGER / Integer32 (enumerations included).
    Integer,
    /// OCTET STRING.
    OctetString,
    /// OBJECT IDENTIFIER.
    ObjectIdentifier,
    /// BITS.
    Bits,
    /// IpAddress (and SMIv1 NetworkAddress).
    IpAddress,
    /// Counter32 (SMIv1 Counter).
    Counter32,
    /// Gauge32 (SMIv1 Gauge).
    Gauge32,
    /// Unsigned32.
    Unsigned32,
    /// TimeTicks.
    TimeTicks,
    /// Opaque.
    Opaque,
    /// Counter64.
    Counter64,
    /// A `SEQUENCE { ... }` row type.
    Sequence,
    /// A `SEQUENCE OF Entry` table type.
    SequenceOf,
}

impl BaseType {
    fn builtin(name: &str) -> Option<Self> {
        Some(match name {
            "Integer32" | "INTEGER" => Self::Integer,
            "IpAddress" | "NetworkAddress" => Self::IpAddress,
            "Counter32" | "Counter" => Self::Counter32,
            "Gauge32" | "Gauge" => Self::Gauge32,
            "Unsigned32" => Self::Unsigned32,
            "TimeTicks" => Self::TimeTicks,
            "Opaque" => Self::Opaque,
            "Counter64" => Self::Counter64,
            _ => return None,
        })
    }
}

/// MAX-ACCESS (SMIv2) or ACCESS (SMIv1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// not-accessible.
    NotAccessible,
    /// accessible-for-notify.
    AccessibleForNotify,
    /// read-only.
    ReadOnly,
    /// read-write.
    ReadWrite,
    /// read-create.
    ReadCreate,
    /// write-only (SMIv1).
    WriteOnly,
    /// Anything else written in the file.
    Unknown,
}

impl Access {
    fn parse(s: &str) -> Self {
        match s {
            "not-accessible" => Self::NotAccessible,
            "accessible-for-notify" => Self::AccessibleForNotify,
            "read-only" => Self::ReadOnly,
            "read-write" => Self::ReadWrite,
            "read-create" => Self::ReadCreate,
            "write-only" => Self::WriteOnly,
            _ => Self::Unknown,
        }
    }
}

/// One entry of a table's INDEX clause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexPart {
    /// The index object's name.
    pub name: String,
    /// Whether it was marked IMPLIED.
    pub implied: bool,
}

/// A named node of the OID tree with what the MIB says about it.
#[derive(Debug, Clone)]
pub struct MibObject {
    /// Defining module.
    pub module: String,
    /// Descriptor, e.g. `ifDescr`.
    pub name: String,
    /// Full OID.
    pub oid: Vec<u32>,
    /// Which macro defined it.
    pub kind: NodeKind,
    /// Base type after following textual conventions (OBJECT-TYPE only).
    pub base_type: Option<BaseType>,
    /// The type name as written in SYNTAX, if it was a name (`DisplayString`).
    pub type_name: Option<String>,
    /// Named numbers (enumeration or BITS labels), from the object or its TC.
    pub enums: Vec<(i64, String)>,
    /// MAX-ACCESS / ACCESS.
    pub access: Option<Access>,
    /// STATUS as written.
    pub status: Option<String>,
    /// INDEX clause of a table entry.
    pub index: Vec<IndexPart>,
    /// AUGMENTS target of a table entry.
    pub augments: Option<String>,
    /// The first named type in the SYNTAX chain (a TEXTUAL-CONVENTION, or an
    /// SMIv1 type assignment, which net-snmp treats alike).
    pub tc_name: Option<String>,
    /// The DISPLAY-HINT of the nearest TC that has one (not applied yet).
    pub display_hint: Option<String>,
    /// OBJECTS / VARIABLES of a notification or group.
    pub objects: Vec<String>,
    /// UNITS, printed after values as net-snmp does (`1024 Bytes`).
    pub units: Option<String>,
    /// DESCRIPTION, when loaded with [`LoadOptions::descriptions`].
    pub description: Option<String>,
    /// DEFVAL as `translate -Td` prints it, loaded with the descriptions.
    pub defval: Option<String>,
    /// Whether the object's own SYNTAX lists alternative sizes
    /// (`InetAddress (SIZE (0|4|16))`); net-snmp then no longer shows an
    /// InetAddress index as an address.
    pub size_alternatives: bool,
    /// The SIZE or value ranges from the object's SYNTAX, else from its TC's
    /// (`(0..255)`, `(0 | 4 | 16)`), as `(low, high)` items.
    pub ranges: Vec<(i64, i64)>,
    /// The base type as net-snmp names it in `-Td` (`Integer32`, `INTEGER`,
    /// `OCTET STRING`, `Gauge32`...).
    pub base_name: Option<&'static str>,
    /// The one fixed SIZE of an OCTET STRING (from the object or its TC), which
    /// makes it an index without a length prefix (MacAddress: 6).
    pub fixed_size: Option<u32>,
}

impl MibObject {
    fn bare(module: &str, name: &str, oid: &[u32], kind: NodeKind) -> Self {
        Self {
            module: module.to_owned(),
            name: name.to_owned(),
            oid: oid.to_vec(),
            kind,
            base_type: None,
            type_name: None,
            enums: Vec::new(),
            access: None,
            status: None,
            index: Vec::new(),
            augments: None,
            tc_name: None,
            display_hint: None,
            objects: Vec::new(),
            units: None,
            description: None,
            defval: None,
            size_alternatives: false,
            ranges: Vec::new(),
            base_name: None,
            fixed_size: None,
        }
    }
}

/// One file's modules and problems.
type Parsed = (Vec<RawModule>, Vec<crate::parser::Problem>);

/// Parses every source, on as many threads as there are cores (files are
/// independent until resolution), results in the sources' order.
fn parse_all<'s>(sources: &'s [(PathBuf, &str)], descriptions: bool) -> Vec<(&'s PathBuf, Parsed)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(sources.len().div_ceil(8).max(1));
    if threads <= 1 {
        return sources
            .iter()
            .map(|(f, t)| (f, parse(t, descriptions)))
            .collect();
    }
    let chunk = sources.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(_, t)| parse(t, descriptions))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(sources.len());
        let mut files = sources.iter().map(|(f, _)| f);
        for h in handles {
            // a panicking parser thread would be a bug; its files then count as empty
            let parsed = h.join().unwrap_or_default();
            for p in parsed {
                if let Some(f) = files.next() {
                    out.push((f, p));
                }
            }
        }
        out
    })
}

/// What to keep while loading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Keep DESCRIPTION texts (for `translate -Td`); off by default because they
    /// are most of a MIB's text and nothing else needs them.
    pub descriptions: bool,
    /// Only these modules and what they import, read in this order (net-snmp's
    /// `-m A:B`); `None` reads every module found (`-m ALL`).
    pub modules: Option<Vec<String>>,
}

/// A loaded module.
#[derive(Debug, Clone)]
pub struct ModuleInfo {
    /// Module name from its header.
    pub name: String,
    /// File it came from.
    pub file: PathBuf,
    /// IMPORTS as `(symbol, from-module)`.
    pub imports: Vec<(String, String)>,
    /// How many of its definitions resolved to an OID.
    pub resolved: usize,
    /// How many of its definitions did not.
    pub unresolved: usize,
}

/// The immutable MIB index. Cheap `&self` lookups; `Send + Sync`.
#[derive(Debug, Default)]
pub struct Mibs {
    modules: Vec<ModuleInfo>,
    objects: Vec<MibObject>,
    by_qualified: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    by_oid: HashMap<Vec<u32>, usize>,
}

const BUILTIN_MODULE: &str = "SNMPv2-SMI";

const BUILTINS: &[(&str, &[u32])] = &[
    ("ccitt", &[0]),
    ("zeroDotZero", &[0, 0]),
    ("iso", &[1]),
    ("joint-iso-ccitt", &[2]),
    ("org", &[1, 3]),
    ("dod", &[1, 3, 6]),
    ("internet", &[1, 3, 6, 1]),
    ("directory", &[1, 3, 6, 1, 1]),
    ("mgmt", &[1, 3, 6, 1, 2]),
    ("mib-2", &[1, 3, 6, 1, 2, 1]),
    ("transmission", &[1, 3, 6, 1, 2, 1, 10]),
    ("experimental", &[1, 3, 6, 1, 3]),
    ("private", &[1, 3, 6, 1, 4]),
    ("enterprises", &[1, 3, 6, 1, 4, 1]),
    ("security", &[1, 3, 6, 1, 5]),
    ("snmpV2", &[1, 3, 6, 1, 6]),
    ("snmpDomains", &[1, 3, 6, 1, 6, 1]),
    ("snmpProxys", &[1, 3, 6, 1, 6, 2]),
    ("snmpModules", &[1, 3, 6, 1, 6, 3]),
];

fn builtin_oid(name: &str) -> Option<&'static [u32]> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, o)| *o)
}

enum Target<'s> {
    Def(usize, usize),
    Builtin(&'static [u32]),
    Missing(&'s str),
}

enum State {
    Pending,
    Done(Vec<u32>),
    Failed,
}

enum Step {
    Done(Vec<u32>),
    Wait,
    Fail(String),
}

/// Name tables over the parsed modules, used during resolution.
struct Tables<'m> {
    mods: &'m [(PathBuf, RawModule)],
    by_name: HashMap<&'m str, usize>,
    local: Vec<HashMap<&'m str, usize>>,
    local_types: Vec<HashMap<&'m str, usize>>,
    imports: Vec<HashMap<&'m str, &'m str>>,
    global: HashMap<&'m str, (usize, usize)>,
    global_types: HashMap<&'m str, (usize, usize)>,
}

impl<'m> Tables<'m> {
    fn new(mods: &'m [(PathBuf, RawModule)]) -> Self {
        let mut t = Self {
            mods,
            by_name: HashMap::default(),
            local: Vec::new(),
            local_types: Vec::new(),
            imports: Vec::new(),
            global: HashMap::default(),
            global_types: HashMap::default(),
        };
        for (mi, (_, m)) in mods.iter().enumerate() {
            t.by_name.entry(m.name.as_str()).or_insert(mi);
            let mut local = HashMap::default();
            for (di, d) in m.defs.iter().enumerate() {
                local.entry(d.name.as_str()).or_insert(di);
                t.global.entry(d.name.as_str()).or_insert((mi, di));
            }
            let mut types = HashMap::default();
            for (ti, ty) in m.types.iter().enumerate() {
                types.entry(ty.name.as_str()).or_insert(ti);
                t.global_types.entry(ty.name.as_str()).or_insert((mi, ti));
            }
            t.local.push(local);
            t.local_types.push(types);
            t.imports.push(
                m.imports
                    .iter()
                    .map(|(s, f)| (s.as_str(), f.as_str()))
                    .collect(),
            );
        }
        t
    }

    fn find<'s>(&self, m: usize, name: &'s str) -> Target<'s> {
        if let Some(&d) = self.local.get(m).and_then(|l| l.get(name)) {
            return Target::Def(m, d);
        }
        if let Some(from) = self.imports.get(m).and_then(|i| i.get(name))
            && let Some(&fm) = self.by_name.get(from)
            && let Some(&d) = self.local.get(fm).and_then(|l| l.get(name))
        {
            return Target::Def(fm, d);
        }
        if let Some(o) = builtin_oid(name) {
            return Target::Builtin(o);
        }
        match self.global.get(name) {
            Some(&(fm, d)) => Target::Def(fm, d),
            None => Target::Missing(name),
        }
    }

    fn find_type(&self, m: usize, name: &str) -> Option<(usize, &'m RawTypeDef)> {
        let get = |mi: usize, ti: usize| {
            self.mods
                .get(mi)
                .and_then(|(_, module)| module.types.get(ti))
                .map(|t| (mi, t))
        };
        if let Some(&t) = self.local_types.get(m).and_then(|l| l.get(name)) {
            return get(m, t);
        }
        if let Some(from) = self.imports.get(m).and_then(|i| i.get(name))
            && let Some(&fm) = self.by_name.get(from)
            && let Some(&t) = self.local_types.get(fm).and_then(|l| l.get(name))
        {
            return get(fm, t);
        }
        self.global_types.get(name).and_then(|&(fm, t)| get(fm, t))
    }

    fn step(&self, states: &[Vec<State>], m: usize, value: &[OidComp]) -> Step {
        let lookup = |name: &str| -> Result<Option<Vec<u32>>, String> {
            match self.find(m, name) {
                Target::Builtin(o) => Ok(Some(o.to_vec())),
                Target::Missing(n) => Err(format!("unknown name {n}")),
                Target::Def(fm, d) => match states.get(fm).and_then(|s| s.get(d)) {
                    Some(State::Done(o)) => Ok(Some(o.clone())),
                    Some(State::Pending) => Ok(None),
                    _ => Err(format!("{name} is itself unresolved")),
                },
            }
        };
        let mut comps = value.iter();
        let mut oid = match comps.next() {
            Some(OidComp {
                number: Some(n), ..
            }) => vec![*n],
            Some(OidComp {
                name: Some(name),
                number: None,
            }) => match lookup(name) {
                Ok(Some(o)) => o,
                Ok(None) => return Step::Wait,
                Err(e) => return Step::Fail(e),
            },
            _ => return Step::Fail("empty OID value".to_owned()),
        };
        for c in comps {
            match c {
                OidComp {
                    number: Some(n), ..
                } => oid.push(*n),
                OidComp {
                    name: Some(name),
                    number: None,
                } => match lookup(name) {
                    Ok(Some(o)) if o.len() == oid.len() + 1 && o.starts_with(&oid) => {
                        oid = o;
                    }
                    Ok(Some(_)) => {
                        return Step::Fail(format!("{name} is not a child of the preceding arcs"));
                    }
                    Ok(None) => return Step::Wait,
                    Err(e) => return Step::Fail(e),
                },
                OidComp {
                    name: None,
                    number: None,
                } => return Step::Fail("empty OID component".to_owned()),
            }
        }
        Step::Done(oid)
    }

    /// Follows a syntax through named types and TCs.
    fn type_info(&self, m: usize, syntax: &RawSyntax, obj: &mut MibObject) {
        let mut module = m;
        let mut syn = syntax;
        let mut sized = false;
        for _ in 0..16 {
            if obj.enums.is_empty() {
                obj.enums = syn.enums.iter().map(|(l, v)| (*v, l.clone())).collect();
            }
            if !sized && let Some(size) = syn.size {
                sized = true;
                obj.fixed_size = size;
            }
            if obj.ranges.is_empty() {
                obj.ranges.clone_from(&syn.ranges);
            }
            obj.base_name = match &syn.ty {
                RawType::Integer => Some("INTEGER"),
                RawType::OctetString => Some("OCTET STRING"),
                RawType::ObjectIdentifier => Some("OBJECT IDENTIFIER"),
                RawType::Bits => Some("BITS"),
                RawType::Named(n) => match n.as_str() {
                    "Integer32" => Some("Integer32"),
                    "INTEGER" => Some("INTEGER"),
                    "IpAddress" => Some("IpAddress"),
                    "NetworkAddress" => Some("NetworkAddress"),
                    "Counter32" | "Counter" => Some("Counter32"),
                    "Gauge32" | "Gauge" => Some("Gauge32"),
                    "Unsigned32" => Some("Unsigned32"),
                    "TimeTicks" => Some("TimeTicks"),
                    "Opaque" => Some("Opaque"),
                    "Counter64" => Some("Counter64"),
                    _ => None,
                },
                _ => None,
            };
            let base = match &syn.ty {
                RawType::Integer => Some(BaseType::Integer),
                RawType::OctetString => Some(BaseType::OctetString),
                RawType::ObjectIdentifier => Some(BaseType::ObjectIdentifier),
                RawType::Bits => Some(BaseType::Bits),
                RawType::Sequence => Some(BaseType::Sequence),
                RawType::SequenceOf(_) => Some(BaseType::SequenceOf),
                RawType::Choice => None,
                RawType::Named(n) => {
                    if let Some(b) = BaseType::builtin(n) {
                        Some(b)
                    } else if let Some((fm, t)) = self.find_type(module, n) {
                        // net-snmp calls any named type a textual convention
                        // (SMIv1 `EntryStatus ::= INTEGER {...}` too)
                        if obj.tc_name.is_none()
                            && !matches!(t.syntax.ty, RawType::Sequence | RawType::SequenceOf(_))
                        {
                            obj.tc_name = Some(n.clone());
                        }
                        if t.is_tc && obj.display_hint.is_none() {
                            obj.display_hint.clone_from(&t.display_hint);
                        }
                        module = fm;
                        syn = &t.syntax;
                        continue;
                    } else {
                        None
                    }
                }
            };
            obj.base_type = base;
            return;
        }
    }
}

/// The order net-snmp's `-m ALL` reads modules in, which decides which module names
/// an OID that several modules define (the first one read keeps it).
///
/// net-snmp lists the modules it finds in `-M` order, files sorted by name, each new
/// one put at the head of its list, then reads the list from the head: the last one
/// found is read first. Reading a module reads the modules it imports from first, in
/// the order of its IMPORTS, each at most once (a cycle stops at a module already
/// started). Iterative, so a long import chain cannot exhaust the stack.
fn netsnmp_order(tables: &Tables<'_>, roots: &[usize]) -> Vec<usize> {
    let n = tables.mods.len();
    let mut started = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let imports_of = |mi: usize| -> Vec<usize> {
        let mut seen = Vec::new();
        if let Some((_, m)) = tables.mods.get(mi) {
            for (_, from) in &m.imports {
                if let Some(&fm) = tables.by_name.get(from.as_str())
                    && !seen.contains(&fm)
                {
                    seen.push(fm);
                }
            }
        }
        seen
    };
    for &root in roots {
        if started.get(root).copied().unwrap_or(true) {
            continue;
        }
        // (module, its imports, how many of them are handled)
        let mut stack = vec![(root, imports_of(root), 0usize)];
        if let Some(s) = started.get_mut(root) {
            *s = true;
        }
        while let Some((mi, imports, next)) = stack.last_mut() {
            if let Some(&dep) = imports.get(*next) {
                *next += 1;
                if let Some(s) = started.get_mut(dep)
                    && !*s
                {
                    *s = true;
                    let deps = imports_of(dep);
                    stack.push((dep, deps, 0));
                }
            } else {
                order.push(*mi);
                stack.pop();
            }
        }
    }
    order
}

impl Mibs {
    /// Reads every file in `dirs` (any extension; binary and unreadable files
    /// are skipped) and builds the index. Never fails as a whole: problems are
    /// returned as diagnostics with file and line.
    pub fn load_dirs<P: AsRef<Path>>(dirs: &[P]) -> (Self, Vec<Diagnostic>) {
        Self::load_dirs_with(dirs, LoadOptions::default())
    }

    /// [`load_dirs`](Self::load_dirs) with options.
    pub fn load_dirs_with<P: AsRef<Path>>(
        dirs: &[P],
        options: LoadOptions,
    ) -> (Self, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut sources = Vec::new();
        for dir in dirs {
            let dir = dir.as_ref();
            let entries = match std::fs::read_dir(dir) {
                Ok(e) => e,
                Err(source) => {
                    diags.push(Diagnostic {
                        file: dir.to_path_buf(),
                        line: 0,
                        module: None,
                        error: MibError::Io {
                            path: dir.to_path_buf(),
                            source,
                        },
                    });
                    continue;
                }
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect();
            paths.sort();
            for path in paths {
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        let head = bytes.get(..bytes.len().min(8192)).unwrap_or(&[]);
                        if head.contains(&0) {
                            continue; // binary
                        }
                        // valid UTF-8 (nearly every MIB) is taken as is, without a copy
                        let text = String::from_utf8(bytes)
                            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                        if text.contains("DEFINITIONS") {
                            sources.push((path, text));
                        }
                    }
                    Err(source) => diags.push(Diagnostic {
                        file: path.clone(),
                        line: 0,
                        module: None,
                        error: MibError::Io { path, source },
                    }),
                }
            }
        }
        let (mibs, more) = Self::from_sources_with(sources, options);
        diags.extend(more);
        (mibs, diags)
    }

    /// Builds the index from in-memory `(file name, text)` pairs.
    pub fn from_sources<I, P, S>(sources: I) -> (Self, Vec<Diagnostic>)
    where
        I: IntoIterator<Item = (P, S)>,
        P: Into<PathBuf>,
        S: AsRef<str>,
    {
        Self::from_sources_with(sources, LoadOptions::default())
    }

    /// [`from_sources`](Self::from_sources) with options.
    pub fn from_sources_with<I, P, S>(sources: I, options: LoadOptions) -> (Self, Vec<Diagnostic>)
    where
        I: IntoIterator<Item = (P, S)>,
        P: Into<PathBuf>,
        S: AsRef<str>,
    {
        let mut diags = Vec::new();
        let mut mods: Vec<(PathBuf, RawModule)> = Vec::new();
        let owned: Vec<(PathBuf, S)> = sources.into_iter().map(|(f, t)| (f.into(), t)).collect();
        let texts: Vec<(PathBuf, &str)> =
            owned.iter().map(|(f, t)| (f.clone(), t.as_ref())).collect();
        for (file, (parsed, problems)) in parse_all(&texts, options.descriptions) {
            let file = file.clone();
            for p in problems {
                diags.push(Diagnostic {
                    file: file.clone(),
                    line: p.line,
                    module: p.module,
                    error: MibError::Syntax { message: p.message },
                });
            }
            for m in parsed {
                if mods.iter().any(|(_, x)| x.name == m.name) {
                    diags.push(Diagnostic {
                        file: file.clone(),
                        line: m.line,
                        module: Some(m.name.clone()),
                        error: MibError::DuplicateModule(m.name),
                    });
                } else {
                    mods.push((file.clone(), m));
                }
            }
        }
        // the parsed modules own their strings: the file texts can go before the
        // index is built (a third of the peak memory of a load)
        drop(texts);
        drop(owned);
        let mibs = Self::build(&mods, &mut diags, options.modules.as_deref());
        (mibs, diags)
    }

    fn build(
        mods: &[(PathBuf, RawModule)],
        diags: &mut Vec<Diagnostic>,
        modules: Option<&[String]>,
    ) -> Self {
        let tables = Tables::new(mods);
        let mut states: Vec<Vec<State>> = mods
            .iter()
            .map(|(_, m)| m.defs.iter().map(|_| State::Pending).collect())
            .collect();
        let mut failures: Vec<(usize, usize, String)> = Vec::new();
        loop {
            let mut progress = false;
            for (mi, (_, m)) in mods.iter().enumerate() {
                for (di, d) in m.defs.iter().enumerate() {
                    if !matches!(states.get(mi).and_then(|s| s.get(di)), Some(State::Pending)) {
                        continue;
                    }
                    let new = match tables.step(&states, mi, &d.value) {
                        Step::Wait => continue,
                        Step::Done(o) => State::Done(o),
                        Step::Fail(reason) => {
                            failures.push((mi, di, reason));
                            State::Failed
                        }
                    };
                    if let Some(s) = states.get_mut(mi).and_then(|s| s.get_mut(di)) {
                        *s = new;
                        progress = true;
                    }
                }
            }
            if !progress {
                break;
            }
        }
        for (mi, s) in states.iter().enumerate() {
            for (di, st) in s.iter().enumerate() {
                if matches!(st, State::Pending) {
                    failures.push((mi, di, "circular definition".to_owned()));
                }
            }
        }
        failures.sort_by_key(|&(mi, di, _)| (mi, di));
        for (mi, di, reason) in failures {
            if let Some((file, m)) = mods.get(mi)
                && let Some(d) = m.defs.get(di)
            {
                diags.push(Diagnostic {
                    file: file.clone(),
                    line: d.line,
                    module: Some(m.name.clone()),
                    error: MibError::Unresolved {
                        name: d.name.clone(),
                        reason,
                    },
                });
            }
        }

        let mut mibs = Self::default();
        // When two modules define the same OID (RFC1213-MIB and IP-MIB both define
        // ipForwarding), the one net-snmp reads first names it.
        // `-m ALL`: every module, from the last one found; `-m A:B`: A then B, each
        // with what it imports (as net-snmp's netsnmp_read_module for each entry)
        let roots: Vec<usize> = match modules {
            None => (0..mods.len()).rev().collect(),
            Some(list) => list
                .iter()
                .filter_map(|name| {
                    let found = tables.by_name.get(name.as_str()).copied();
                    if found.is_none() {
                        diags.push(Diagnostic {
                            file: PathBuf::new(),
                            line: 0,
                            module: Some(name.clone()),
                            error: MibError::UnknownModule(name.clone()),
                        });
                    }
                    found
                })
                .collect(),
        };
        let order = netsnmp_order(&tables, &roots);
        let mut included = vec![false; mods.len()];
        for &mi in &order {
            if let Some(x) = included.get_mut(mi) {
                *x = true;
            }
        }
        for mi in order {
            let (Some((file, m)), Some(st)) = (mods.get(mi), states.get(mi)) else {
                continue;
            };
            let mut info = ModuleInfo {
                name: m.name.clone(),
                file: file.clone(),
                imports: m.imports.clone(),
                resolved: 0,
                unresolved: 0,
            };
            for (d, s) in m.defs.iter().zip(st) {
                let State::Done(oid) = s else {
                    info.unresolved += 1;
                    continue;
                };
                info.resolved += 1;
                let mut obj = MibObject::bare(&m.name, &d.name, oid, d.kind);
                obj.access = d.access.as_deref().map(Access::parse);
                obj.status.clone_from(&d.status);
                obj.index = d
                    .index
                    .iter()
                    .map(|(n, implied)| IndexPart {
                        name: n.clone(),
                        implied: *implied,
                    })
                    .collect();
                obj.augments.clone_from(&d.augments);
                obj.objects.clone_from(&d.objects);
                obj.units.clone_from(&d.units);
                obj.description.clone_from(&d.description);
                obj.defval.clone_from(&d.defval);
                if let Some(syn) = &d.syntax {
                    if let RawType::Named(n) = &syn.ty {
                        obj.type_name = Some(n.clone());
                    }
                    obj.size_alternatives = syn.size_alternatives;
                    tables.type_info(mi, syn, &mut obj);
                }
                mibs.insert(obj);
            }
            mibs.modules.push(info);
        }
        // Named arcs inside OID values (`{ iso std(0) iso8802(8802) 1 }`) name
        // nodes too, as in net-snmp, unless something else already does.
        for (mi, ((_, m), st)) in mods.iter().zip(&states).enumerate() {
            if !included.get(mi).copied().unwrap_or(false) {
                continue;
            }
            for (d, s) in m.defs.iter().zip(st) {
                let State::Done(oid) = s else { continue };
                let Some(base) = (oid.len() + 1).checked_sub(d.value.len()) else {
                    continue;
                };
                for (i, c) in d.value.iter().enumerate() {
                    let (Some(name), Some(_)) = (&c.name, c.number) else {
                        continue;
                    };
                    let Some(prefix) = oid.get(..base + i) else {
                        continue;
                    };
                    if mibs.by_oid.contains_key(prefix)
                        || tables
                            .local
                            .get(mi)
                            .is_some_and(|l| l.contains_key(name.as_str()))
                        || builtin_oid(name).is_some()
                    {
                        continue;
                    }
                    mibs.insert(MibObject::bare(
                        &m.name,
                        name,
                        prefix,
                        NodeKind::ObjectIdentifier,
                    ));
                }
            }
        }
        for (name, oid) in BUILTINS {
            if !mibs.by_name.contains_key(*name) {
                mibs.insert(MibObject::bare(
                    BUILTIN_MODULE,
                    name,
                    oid,
                    NodeKind::Builtin,
                ));
            }
        }
        // the index never grows again: give back the vectors' and tables' slack
        mibs.objects.shrink_to_fit();
        mibs.modules.shrink_to_fit();
        mibs.by_qualified.shrink_to_fit();
        mibs.by_name.shrink_to_fit();
        mibs.by_oid.shrink_to_fit();
        mibs
    }

    fn insert(&mut self, obj: MibObject) {
        let i = self.objects.len();
        self.by_qualified
            .entry(format!("{}::{}", obj.module, obj.name))
            .or_insert(i);
        self.by_name.entry(obj.name.clone()).or_insert(i);
        self.by_oid.entry(obj.oid.clone()).or_insert(i);
        self.objects.push(obj);
    }

    /// Heap bytes the index holds (strings, vectors, hash tables by capacity; the
    /// allocator's own overhead not included): what `Mibs` costs in memory.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let st = |s: &String| s.capacity();
        let ost = |s: &Option<String>| s.as_ref().map_or(0, String::capacity);
        let mut n = self.objects.capacity() * size_of::<MibObject>();
        for o in &self.objects {
            n += st(&o.module) + st(&o.name) + o.oid.capacity() * size_of::<u32>();
            n += ost(&o.type_name) + ost(&o.status) + ost(&o.augments) + ost(&o.tc_name);
            n += ost(&o.display_hint) + ost(&o.units) + ost(&o.description) + ost(&o.defval);
            n += o.enums.capacity() * size_of::<(i64, String)>();
            n += o.enums.iter().map(|(_, l)| l.capacity()).sum::<usize>();
            n += o.index.capacity() * size_of::<IndexPart>();
            n += o.index.iter().map(|p| p.name.capacity()).sum::<usize>();
            n += o.objects.capacity() * size_of::<String>();
            n += o.objects.iter().map(String::capacity).sum::<usize>();
        }
        n += self.modules.capacity() * size_of::<ModuleInfo>();
        for m in &self.modules {
            n += st(&m.name) + m.file.capacity();
            n += m.imports.capacity() * size_of::<(String, String)>();
            n += m
                .imports
                .iter()
                .map(|(a, b)| a.capacity() + b.capacity())
                .sum::<usize>();
        }
        // hashbrown: one control byte per bucket plus the entries
        for map in [&self.by_qualified, &self.by_name] {
            n += map.capacity() * (size_of::<(String, usize)>() + 1);
            n += map.keys().map(String::capacity).sum::<usize>();
        }
        n += self.by_oid.capacity() * (size_of::<(Vec<u32>, usize)>() + 1);
        n += self
            .by_oid
            .keys()
            .map(|k| k.capacity() * size_of::<u32>())
            .sum::<usize>();
        n
    }

    /// Loaded modules, in the order net-snmp reads them (see `netsnmp_order`).
    pub fn modules(&self) -> &[ModuleInfo] {
        &self.modules
    }

    /// Every named node (resolved definitions plus built-in roots not defined
    /// by any loaded module), in load order.
    pub fn objects(&self) -> &[MibObject] {
        &self.objects
    }

    /// `MODULE::name` or bare `name` (first loaded module defining it wins).
    pub fn lookup(&self, name: &str) -> Option<&MibObject> {
        let i = if name.contains("::") {
            self.by_qualified.get(name)
        } else {
            self.by_name.get(name)
        }?;
        self.objects.get(*i)
    }

    /// The node whose OID is exactly `oid`.
    pub fn object_at(&self, oid: &[u32]) -> Option<&MibObject> {
        self.by_oid.get(oid).and_then(|&i| self.objects.get(i))
    }

    /// Longest-prefix lookup: the deepest named node above (or at) `oid`, and
    /// the remaining arcs (the instance index, e.g. `[3]` for `ifDescr.3`).
    pub fn lookup_oid<'o>(&self, oid: &'o [u32]) -> Option<(&MibObject, &'o [u32])> {
        (1..=oid.len()).rev().find_map(|n| {
            let prefix = oid.get(..n)?;
            let obj = self.object_at(prefix)?;
            Some((obj, oid.get(n..).unwrap_or(&[])))
        })
    }

    /// `IF-MIB::ifDescr.3` style text for an OID (net-snmp's default output, the
    /// table index decoded from the INDEX clause), or the numeric form when no
    /// prefix is named.
    pub fn format_oid(&self, oid: &[u32]) -> String {
        self.format_oid_as(oid, crate::OidStyle::Module)
    }

    /// Parses `IF-MIB::ifDescr.3`, `ifDescr.3`, `ifDescr`, or numeric
    /// `.1.3.6.1.2.1.2.2.1.2.3` into an OID.
    pub fn resolve(&self, text: &str) -> Result<Vec<u32>, MibError> {
        let bad = || MibError::BadOid(text.to_owned());
        let parse_arcs = |s: &str| -> Result<Vec<u32>, MibError> {
            s.split('.')
                .filter(|p| !p.is_empty())
                .map(|p| p.parse::<u32>().map_err(|_| bad()))
                .collect()
        };
        let t = text.trim();
        if t.starts_with('.') || t.starts_with(|c: char| c.is_ascii_digit()) {
            let arcs = parse_arcs(t)?;
            if arcs.is_empty() {
                return Err(bad());
            }
            return Ok(arcs);
        }
        let (module, rest) = match t.split_once("::") {
            Some((m, r)) => (Some(m), r),
            None => (None, t),
        };
        let (name, suffix) = rest.split_once('.').unwrap_or((rest, ""));
        let obj = match module {
            Some(m) => self.lookup(&format!("{m}::{name}")),
            None => self.lookup(name),
        }
        .ok_or_else(|| MibError::UnknownName(text.to_owned()))?;
        let mut oid = obj.oid.clone();
        // the index as net-snmp prints it: numbers, "string" (length first),
        // 'implied string' (no length)
        let mut s = suffix;
        while !s.is_empty() {
            if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
                let body = s.get(1..).ok_or_else(bad)?;
                let end = body.find(q).ok_or_else(bad)?;
                let bytes = body.get(..end).ok_or_else(bad)?.as_bytes();
                if q == '"' {
                    oid.push(u32::try_from(bytes.len()).map_err(|_| bad())?);
                }
                oid.extend(bytes.iter().map(|&b| u32::from(b)));
                s = body.get(end + 1..).ok_or_else(bad)?;
                s = s.strip_prefix('.').unwrap_or(s);
            } else {
                let (arc, more) = s.split_once('.').unwrap_or((s, ""));
                oid.push(arc.parse::<u32>().map_err(|_| bad())?);
                s = more;
            }
        }
        Ok(oid)
    }
}
