//! A derived-key cache the caller owns.
//!
//! Password to key hashes 1 MiB (milliseconds); localization is one small hash. A
//! poller talking to 100,000 agents with one credential must therefore derive Ku once
//! and only localize per engine: [`KeyCache`] does that, and also caches privacy keys,
//! whose Reeder extension (3DES, AES-192/256-C with short hashes) costs another 1 MiB
//! hash *per engine*.
//!
//! No globals: the cache is a plain owned struct (one per shard, or behind the
//! caller's lock). Entries are found by a SHA-256 of the protocol, password and engine
//! ID, so passwords are never kept in cleartext; note that the cached keys themselves
//! are password-equivalent secrets (zeroized when the last `Arc` is dropped). Each of
//! the three tables is bounded; when one is full the least recently used eighth is
//! evicted in one pass, so eviction costs amortized O(1) per insertion.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use digest::Digest;

use super::algorithm::{AuthProtocol, PrivProtocol};
use super::error::CryptoError;
use super::key::{Key, localize, password_to_key, priv_key};

/// A table lookup key: SHA-256 of the domain-separated inputs.
#[derive(Clone, Copy, PartialEq, Eq)]
struct CacheId([u8; 32]);

impl Hash for CacheId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already a uniform digest: its first eight bytes are a fine hash.
        let mut first = [0u8; 8];
        if let Some(b) = self.0.get(..8) {
            first.copy_from_slice(b);
        }
        state.write_u64(u64::from_le_bytes(first));
    }
}

/// Passes a `CacheId`'s precomputed hash through (no per-process random seed needed).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Table = HashMap<CacheId, Entry, BuildHasherDefault<IdHasher>>;

struct Entry {
    key: Arc<Key>,
    last_used: u64,
}

fn auth_id(p: AuthProtocol) -> u8 {
    match p {
        AuthProtocol::Md5 => 1,
        AuthProtocol::Sha1 => 2,
        AuthProtocol::Sha224 => 3,
        AuthProtocol::Sha256 => 4,
        AuthProtocol::Sha384 => 5,
        AuthProtocol::Sha512 => 6,
    }
}

fn priv_id(p: PrivProtocol) -> u8 {
    match p {
        PrivProtocol::Des => 1,
        PrivProtocol::TripleDes => 2,
        PrivProtocol::Aes128 => 3,
        PrivProtocol::Aes192 => 4,
        PrivProtocol::Aes256 => 5,
        PrivProtocol::Aes192Cisco => 6,
        PrivProtocol::Aes256Cisco => 7,
    }
}

fn cache_id(domain: &[u8], protos: [u8; 2], password: &[u8], engine_id: &[u8]) -> CacheId {
    let mut h = sha2::Sha256::new();
    h.update(b"nocwatch-usm-key-cache\0");
    h.update(domain);
    h.update(protos);
    h.update((password.len() as u64).to_be_bytes());
    h.update(password);
    h.update((engine_id.len() as u64).to_be_bytes());
    h.update(engine_id);
    CacheId(h.finalize().into())
}

/// Hit and miss counters of a [`KeyCache`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyCacheStats {
    /// Ku lookups answered from the cache.
    pub ku_hits: u64,
    /// Ku lookups that ran the 1 MiB password-to-key derivation.
    pub ku_misses: u64,
    /// Kul lookups answered from the cache.
    pub kul_hits: u64,
    /// Kul lookups that localized (one small hash, plus a Ku lookup).
    pub kul_misses: u64,
    /// Privacy-key lookups answered from the cache.
    pub priv_hits: u64,
    /// Privacy-key lookups that derived the key (a Kul lookup, plus a 1 MiB hash for the
    /// Reeder extension).
    pub priv_misses: u64,
    /// Entries evicted because a table was full.
    pub evictions: u64,
}

/// The authentication and (optional) privacy keys of one user at one engine.
#[derive(Debug, Clone)]
pub struct LocalizedKeys {
    /// Kul for the authentication protocol.
    pub auth: Arc<Key>,
    /// The privacy key ([`PrivProtocol::key_material_len`] bytes), if privacy is used.
    pub privacy: Option<Arc<Key>>,
}

/// Cache of derived USM keys, owned by the caller. See the module docs.
///
/// ```
/// use nocwatch_snmp::crypto::{AuthProtocol, KeyCache};
///
/// let mut cache = KeyCache::new(1024);
/// let a = cache.localized(AuthProtocol::Sha1, b"authpass123", b"\x80\0\x1f\x88\x04one")?;
/// let b = cache.localized(AuthProtocol::Sha1, b"authpass123", b"\x80\0\x1f\x88\x04two")?;
/// assert_ne!(a, b);
/// assert_eq!(cache.stats().ku_misses, 1); // one 1 MiB derivation for both engines
/// # Ok::<(), nocwatch_snmp::crypto::CryptoError>(())
/// ```
pub struct KeyCache {
    max_entries: usize,
    tick: u64,
    ku: Table,
    kul: Table,
    privacy: Table,
    stats: KeyCacheStats,
}

impl KeyCache {
    /// The default bound per table.
    pub const DEFAULT_MAX_ENTRIES: usize = 65_536;

    /// An empty cache holding up to `max_entries` (at least 1) entries in each of its
    /// three tables (Ku, Kul, privacy keys). [`Default`] uses
    /// [`Self::DEFAULT_MAX_ENTRIES`].
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries: max_entries.max(1),
            tick: 0,
            ku: Table::default(),
            kul: Table::default(),
            privacy: Table::default(),
            stats: KeyCacheStats::default(),
        }
    }

    /// The per-table bound.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// The counters.
    pub fn stats(&self) -> KeyCacheStats {
        self.stats
    }

    /// Entries in all three tables.
    pub fn len(&self) -> usize {
        self.ku.len() + self.kul.len() + self.privacy.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry (counters are kept).
    pub fn clear(&mut self) {
        self.ku.clear();
        self.kul.clear();
        self.privacy.clear();
    }

    /// Ku for `password` under `auth` ([`password_to_key`]), derived at most once.
    pub fn ku(&mut self, auth: AuthProtocol, password: &[u8]) -> Result<Arc<Key>, CryptoError> {
        let id = cache_id(b"ku", [auth_id(auth), 0], password, &[]);
        let tick = self.next_tick();
        if let Some(key) = lookup(&mut self.ku, &id, tick) {
            self.stats.ku_hits += 1;
            return Ok(key);
        }
        self.stats.ku_misses += 1;
        let key = Arc::new(password_to_key(auth, password)?);
        self.stats.evictions += insert(&mut self.ku, self.max_entries, id, &key, tick);
        Ok(key)
    }

    /// The authentication key at one engine: Kul, `password`'s key under `auth`
    /// localized to `engine_id`. The same as [`Self::localized`], named to pair with
    /// [`Self::priv_key`].
    pub fn auth_key(
        &mut self,
        auth: AuthProtocol,
        password: &[u8],
        engine_id: &[u8],
    ) -> Result<Arc<Key>, CryptoError> {
        self.localized(auth, password, engine_id)
    }

    /// Kul: `password`'s key under `auth` localized to `engine_id` ([`localize`]).
    pub fn localized(
        &mut self,
        auth: AuthProtocol,
        password: &[u8],
        engine_id: &[u8],
    ) -> Result<Arc<Key>, CryptoError> {
        let id = cache_id(b"kul", [auth_id(auth), 0], password, engine_id);
        let tick = self.next_tick();
        if let Some(key) = lookup(&mut self.kul, &id, tick) {
            self.stats.kul_hits += 1;
            return Ok(key);
        }
        self.stats.kul_misses += 1;
        let ku = self.ku(auth, password)?;
        let key = Arc::new(localize(auth, &ku, engine_id));
        self.stats.evictions += insert(&mut self.kul, self.max_entries, id, &key, tick);
        Ok(key)
    }

    /// The privacy key for `privacy` from the privacy `password` at `engine_id`,
    /// localized with `auth`'s hash and cut or extended ([`priv_key`]).
    pub fn priv_key(
        &mut self,
        auth: AuthProtocol,
        privacy: PrivProtocol,
        password: &[u8],
        engine_id: &[u8],
    ) -> Result<Arc<Key>, CryptoError> {
        let id = cache_id(
            b"priv",
            [auth_id(auth), priv_id(privacy)],
            password,
            engine_id,
        );
        let tick = self.next_tick();
        if let Some(key) = lookup(&mut self.privacy, &id, tick) {
            self.stats.priv_hits += 1;
            return Ok(key);
        }
        self.stats.priv_misses += 1;
        let kul = self.localized(auth, password, engine_id)?;
        let key = Arc::new(priv_key(auth, privacy, &kul, engine_id)?);
        self.stats.evictions += insert(&mut self.privacy, self.max_entries, id, &key, tick);
        Ok(key)
    }

    /// Both keys of a user at one engine: Kul for `auth`, and the privacy key when
    /// `privacy` is `Some((protocol, privacy password))`.
    pub fn keys(
        &mut self,
        auth: AuthProtocol,
        auth_password: &[u8],
        privacy: Option<(PrivProtocol, &[u8])>,
        engine_id: &[u8],
    ) -> Result<LocalizedKeys, CryptoError> {
        let auth_key = self.auth_key(auth, auth_password, engine_id)?;
        let privacy = match privacy {
            Some((proto, password)) => Some(self.priv_key(auth, proto, password, engine_id)?),
            None => None,
        };
        Ok(LocalizedKeys {
            auth: auth_key,
            privacy,
        })
    }

    fn next_tick(&mut self) -> u64 {
        self.tick = self.tick.wrapping_add(1);
        self.tick
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_ENTRIES)
    }
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("max_entries", &self.max_entries)
            .field("ku", &self.ku.len())
            .field("kul", &self.kul.len())
            .field("privacy", &self.privacy.len())
            .field("stats", &self.stats)
            .finish()
    }
}

fn lookup(table: &mut Table, id: &CacheId, tick: u64) -> Option<Arc<Key>> {
    table.get_mut(id).map(|e| {
        e.last_used = tick;
        Arc::clone(&e.key)
    })
}

/// Inserts, first evicting the least recently used eighth if the table is full.
/// Returns the number of evicted entries.
fn insert(table: &mut Table, max: usize, id: CacheId, key: &Arc<Key>, tick: u64) -> u64 {
    let mut evicted = 0;
    if table.len() >= max {
        let mut ticks: Vec<u64> = table.values().map(|e| e.last_used).collect();
        let n = (max / 8).max(1).min(ticks.len());
        if n > 0 {
            let (_, &mut threshold, _) = ticks.select_nth_unstable(n - 1);
            let before = table.len();
            table.retain(|_, e| e.last_used > threshold);
            evicted = (before - table.len()) as u64;
        }
    }
    table.insert(
        id,
        Entry {
            key: Arc::clone(key),
            last_used: tick,
        },
    );
    evicted
}
