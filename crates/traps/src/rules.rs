//! Classification: a TOML rules file maps trap OIDs to event name, severity and
//! dedup key.
//!
//! ```toml
//! [defaults]
//! severity = "warning"        # for trap OIDs no rule matches (counted as unknown)
//!
//! [[rule]]
//! name = "linkDown"
//! oid = "1.3.6.1.6.3.1.1.5.3"  # exact trap OID; or `prefix = "1.3.6.1.4.1.9"`
//! severity = "major"           # critical, major, minor, warning, info, clear
//! key = ["1.3.6.1.2.1.2.2.1.1"]  # bindings (name prefix) whose name+value form the dedup key
//! key_index = []               # bindings whose *name* (instance) only is in the key
//! sources = ["10.0.0.0/8"]     # optional: only for these sources (address or CIDR)
//! match = [{ oid = "1.3.6.1.2.1.2.2.1.7", equals = "1" }]  # optional binding values
//! ```
//!
//! Precedence (so a file reads top-down and a specific rule always beats a broad
//! one): exact-OID rules first, then prefix rules from the longest prefix to the
//! shortest; among equals, file order. The first rule whose `sources` and `match`
//! conditions hold wins. Lookups are a hash probe on the OID bytes plus a short scan
//! of prefix rules, so classification costs well under a microsecond.
//!
//! Without `key`/`key_index` the dedup key is every binding except sysUpTime.0
//! (identical traps de-duplicate, different ones do not). Keys are 64-bit SipHash
//! digests keyed at random per process: a collision (2^-64 per pair, and not
//! steerable from outside) would fold two different traps together; this is
//! accepted for the memory it saves.
//!
//! Errors (syntax, unknown fields, bad OIDs, bad CIDRs) carry the file's 1-based line.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use nocwatch_snmp::ber::Reader;
use nocwatch_snmp::{Oid, OidRef, Value};
use serde::Deserialize;
use toml::Spanned;

use crate::error::Error;
use crate::event::{Classification, Event, Severity};

/// The embedded default rule pack (standard and vendor MIBs in ../shared/mibs).
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

/// sysUpTime.0 as BER content.
const SYS_UP_TIME_BER: &[u8] = &[0x2b, 6, 1, 2, 1, 1, 3, 0];
/// snmpTrapOID.0 as BER content.
const SNMP_TRAP_OID_BER: &[u8] = &[0x2b, 6, 1, 6, 3, 1, 1, 4, 1, 0];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDef {
    defaults: Option<Defaults>,
    #[serde(default)]
    rule: Vec<Spanned<RuleDef>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    severity: Option<Severity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    name: String,
    oid: Option<String>,
    prefix: Option<String>,
    severity: Severity,
    #[serde(default)]
    key: Vec<String>,
    #[serde(default)]
    key_index: Vec<String>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default, rename = "match")]
    matches: Vec<MatchDef>,
    /// Documentation only: the module defining the notification.
    #[allow(dead_code)]
    mib: Option<String>,
    /// Documentation only.
    #[allow(dead_code)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchDef {
    oid: String,
    equals: String,
}

/// An IPv4 or IPv6 network, `addr/len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `v6/n`, or a bare address (a host).
    pub fn parse(s: &str) -> Option<Self> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match l {
            Some(l) => l.trim().parse::<u8>().ok().filter(|l| *l <= max)?,
            None => max,
        };
        Some(Self { addr, len })
    }

    /// Prefix length.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// Whether this is a /0.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug)]
struct Rule {
    name: Arc<str>,
    severity: Severity,
    key: Vec<Vec<u8>>,
    key_index: Vec<Vec<u8>>,
    sources: Vec<Cidr>,
    matches: Vec<(Vec<u8>, String)>,
    /// Prefix rules: the prefix BER.
    prefix: Option<Vec<u8>>,
    line: usize,
}

/// A compiled rule set. See the module docs.
#[derive(Debug)]
pub struct Rules {
    rules: Vec<Rule>,
    exact: HashMap<Vec<u8>, Vec<u32>>,
    /// Indices of prefix rules, longest prefix first.
    prefixes: Vec<u32>,
    default_severity: Severity,
    unknown: Arc<str>,
    /// Keyed per process, so nobody outside can aim two different traps at one key.
    hasher: RandomState,
}

/// 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.get(..at)
        .map_or(0, |t| t.bytes().filter(|b| *b == b'\n').count())
        + 1
}

fn oid_ber(s: &str) -> Option<Vec<u8>> {
    let oid: Oid = s.trim().trim_start_matches('.').parse().ok()?;
    if oid.len() < 2 {
        return None;
    }
    Some(oid.to_ber())
}

impl Rules {
    /// The embedded default pack.
    pub fn default_pack() -> Result<Self, Error> {
        Self::parse(DEFAULT_RULES, "<default rules>")
    }

    /// Reads and compiles a rules file.
    pub fn load(path: &std::path::Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Rules {
            file: path.display().to_string(),
            line: 0,
            message: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Compiles rules from TOML `text`; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, Error> {
        let err = |line: usize, message: String| Error::Rules {
            file: file.to_owned(),
            line,
            message,
        };
        let def: FileDef = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            err(line, e.message().to_owned())
        })?;
        let mut rules = Vec::with_capacity(def.rule.len());
        for spanned in def.rule {
            let line = line_of(text, spanned.span().start);
            let r = spanned.into_inner();
            let bad =
                |what: &str, v: &str| err(line, format!("rule {:?}: bad {what} {v:?}", r.name));
            let (exact, prefix) = match (&r.oid, &r.prefix) {
                (Some(o), None) => (Some(oid_ber(o).ok_or_else(|| bad("oid", o))?), None),
                (None, Some(p)) => (None, Some(oid_ber(p).ok_or_else(|| bad("prefix", p))?)),
                _ => {
                    return Err(err(
                        line,
                        format!("rule {:?}: needs exactly one of `oid` or `prefix`", r.name),
                    ));
                }
            };
            if r.name.is_empty() {
                return Err(err(line, "a rule needs a non-empty name".to_owned()));
            }
            let list = |v: &[String], what: &str| -> Result<Vec<Vec<u8>>, Error> {
                v.iter()
                    .map(|s| oid_ber(s).ok_or_else(|| bad(what, s)))
                    .collect()
            };
            let key = list(&r.key, "key OID")?;
            let key_index = list(&r.key_index, "key_index OID")?;
            let sources = r
                .sources
                .iter()
                .map(|s| Cidr::parse(s).ok_or_else(|| bad("source", s)))
                .collect::<Result<Vec<_>, _>>()?;
            let matches = r
                .matches
                .iter()
                .map(|m| {
                    Ok((
                        oid_ber(&m.oid).ok_or_else(|| bad("match OID", &m.oid))?,
                        m.equals.clone(),
                    ))
                })
                .collect::<Result<Vec<_>, Error>>()?;
            rules.push((
                exact,
                Rule {
                    name: Arc::from(r.name.as_str()),
                    severity: r.severity,
                    key,
                    key_index,
                    sources,
                    matches,
                    prefix,
                    line,
                },
            ));
        }
        let mut exact: HashMap<Vec<u8>, Vec<u32>> = HashMap::new();
        let mut prefixes = Vec::new();
        let mut out = Vec::with_capacity(rules.len());
        for (i, (ex, rule)) in rules.into_iter().enumerate() {
            let i = u32::try_from(i).map_err(|_| err(rule.line, "too many rules".to_owned()))?;
            match ex {
                Some(o) => exact.entry(o).or_default().push(i),
                None => prefixes.push(i),
            }
            out.push(rule);
        }
        prefixes.sort_by_key(|&i| {
            let len = out
                .get(i as usize)
                .and_then(|r| r.prefix.as_ref())
                .map_or(0, Vec::len);
            (std::cmp::Reverse(len), i)
        });
        Ok(Self {
            rules: out,
            exact,
            prefixes,
            default_severity: def
                .defaults
                .and_then(|d| d.severity)
                .unwrap_or(Severity::Warning),
            unknown: Arc::from("unknown"),
            hasher: RandomState::new(),
        })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// A rule's name and the line it was defined on.
    pub fn rule_info(&self, idx: u32) -> Option<(&str, usize)> {
        self.rules.get(idx as usize).map(|r| (&*r.name, r.line))
    }

    /// The severity given to unknown trap OIDs.
    pub fn default_severity(&self) -> Severity {
        self.default_severity
    }

    /// Classifies `ev` (see the module docs for precedence and keys).
    pub fn classify(&self, ev: &Event) -> Classification {
        let oid = ev.trap_oid_ber();
        let exact = self.exact.get(oid).map(Vec::as_slice).unwrap_or(&[]);
        let prefixed = self.prefixes.iter().copied().filter(|&i| {
            self.rules
                .get(i as usize)
                .and_then(|r| r.prefix.as_ref())
                .is_some_and(|p| oid.starts_with(p))
        });
        let found = exact
            .iter()
            .copied()
            .chain(prefixed)
            .find(|&i| self.rules.get(i as usize).is_some_and(|r| r.applies(ev)));
        match found.and_then(|i| self.rules.get(i as usize).map(|r| (i, r))) {
            Some((i, r)) => Classification {
                rule: Some(i),
                name: Arc::clone(&r.name),
                severity: r.severity,
                dedup_key: dedup_key(&self.hasher, ev, &r.key, &r.key_index),
            },
            None => Classification {
                rule: None,
                name: Arc::clone(&self.unknown),
                severity: self.default_severity,
                dedup_key: dedup_key(&self.hasher, ev, &[], &[]),
            },
        }
    }
}

impl Rule {
    fn applies(&self, ev: &Event) -> bool {
        if !self.sources.is_empty() && !self.sources.iter().any(|c| c.contains(ev.source)) {
            return false;
        }
        if self.matches.is_empty() {
            return true;
        }
        let mut text = String::new();
        self.matches.iter().all(|(prefix, want)| {
            ev.varbinds().iter().map_while(Result::ok).any(|vb| {
                vb.name.ber().is_some_and(|b| b.starts_with(prefix)) && {
                    text.clear();
                    value_text(&vb.value, &mut text);
                    text == *want
                }
            })
        })
    }
}

/// The dedup key: source, trap OID and the selected bindings (see module docs).
///
/// Bindings are walked as raw TLVs (name bytes, value tag and bytes) rather than
/// decoded values: identity only needs the bytes, and skipping value decoding makes
/// this per-trap step cheaper.
fn dedup_key(hasher: &RandomState, ev: &Event, key: &[Vec<u8>], key_index: &[Vec<u8>]) -> u64 {
    let mut h = hasher.build_hasher();
    ev.source.hash(&mut h);
    ev.trap_oid_ber().hash(&mut h);
    let all = key.is_empty() && key_index.is_empty();
    let mut list = Reader::new(ev.varbinds_ber(), 0);
    while !list.is_empty() {
        let Ok(vb) = list.read_tlv() else { break };
        let mut inner = Reader::new(vb.content, 0);
        let (Ok(name), Ok(value)) = (inner.read_tlv(), inner.read_tlv()) else {
            break;
        };
        let name = name.content;
        let (with_value, with_name) = if all {
            let skip = name == SYS_UP_TIME_BER || name == SNMP_TRAP_OID_BER;
            (!skip, !skip)
        } else if key.iter().any(|p| name.starts_with(p)) {
            (true, true)
        } else {
            (false, key_index.iter().any(|p| name.starts_with(p)))
        };
        if with_name {
            name.hash(&mut h);
        }
        if with_value {
            value.tag.hash(&mut h);
            value.content.hash(&mut h);
        }
    }
    h.finish()
}

/// A value as plain text: numbers in decimal, OIDs dotted, addresses dotted,
/// strings as UTF-8 when they are printable, else as `0x`-prefixed hex.
pub fn value_text(v: &Value<'_>, out: &mut String) {
    use std::fmt::Write;
    let _ = match v {
        Value::Integer(i) => write!(out, "{i}"),
        Value::OctetString(s) => {
            match std::str::from_utf8(s) {
                Ok(t) if t.chars().all(|c| !c.is_control() || c == '\n' || c == '\t') => {
                    out.push_str(t)
                }
                _ => hex(s, out),
            }
            Ok(())
        }
        Value::Opaque(s) => {
            hex(s, out);
            Ok(())
        }
        Value::Null => Ok(()),
        Value::ObjectIdentifier(o) => {
            crate::sink::dotted(o, out);
            Ok(())
        }
        Value::IpAddress([a, b, c, d]) => write!(out, "{a}.{b}.{c}.{d}"),
        Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n) => write!(out, "{n}"),
        Value::Counter64(n) => write!(out, "{n}"),
        Value::NoSuchObject => write!(out, "noSuchObject"),
        Value::NoSuchInstance => write!(out, "noSuchInstance"),
        Value::EndOfMibView => write!(out, "endOfMibView"),
    };
}

fn hex(s: &[u8], out: &mut String) {
    const D: &[u8; 16] = b"0123456789abcdef";
    out.push_str("0x");
    for b in s {
        out.push(char::from(D[usize::from(b >> 4)]));
        out.push(char::from(D[usize::from(b & 15)]));
    }
}

/// Whether `oid` starts with the OID whose BER content is `prefix` (arc-aligned for
/// prefixes of two arcs or more).
pub fn oid_has_prefix(oid: &OidRef<'_>, prefix: &[u8]) -> bool {
    oid.ber().is_some_and(|b| b.starts_with(prefix))
}
