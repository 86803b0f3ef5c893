//! Our own SNMP engine: the identity and clock a receiver is authoritative with.
//!
//! For an InformRequest the receiver is the authoritative engine (RFC 3414 §1.5.1):
//! senders localize their keys with *our* snmpEngineID and stamp messages with *our*
//! boots and time, which they learn from the Report we send to their discovery probe.
//! So the engine ID must be stable across restarts (or every sender must rediscover
//! and every pre-localized key breaks) and boots must grow at each restart (or replayed
//! informs from an earlier run would fall inside the time window). Keeping them is the
//! caller's job (`nocwatch-net`'s `EngineStore` does file persistence); this module
//! only holds them and counts time from an `Instant` the caller passes, so the crate
//! stays free of clocks and files.

use std::time::Instant;

/// The IANA Private Enterprise Number put in generated engine IDs.
///
/// nocwatch has no PEN of its own yet. Using another vendor's number (net-snmp's 8072,
/// say) would claim their ID space; 0 is "Reserved" by IANA and assigned to nobody, so
/// no vendor's ID scheme can produce an ID that collides with ours, and the eight
/// random octets after the format byte keep nocwatch instances apart. Replace it once
/// the project registers a PEN; existing engine IDs stay valid (they are persisted,
/// not regenerated).
pub const ENGINE_ID_ENTERPRISE: u32 = 0;

/// RFC 3411 snmpEngineID format 5: "octets, administratively assigned".
pub const ENGINE_ID_FORMAT_OCTETS: u8 = 5;

/// The largest snmpEngineBoots / snmpEngineTime (RFC 3414 §2.2.1).
pub const MAX_ENGINE_COUNTER: u32 = 2_147_483_647;

/// Generates an snmpEngineID in the RFC 3411 `0x80 | enterprise` style: the four-byte
/// [`ENGINE_ID_ENTERPRISE`] with its high bit set, format byte 5 (octets), then eight
/// octets derived from `seed` (13 bytes in all).
///
/// The crate has no randomness source (sans-IO), so the caller passes a random `seed`;
/// the octets are a bijective mix of it, so distinct seeds give distinct IDs.
///
/// ```
/// let id = nocwatch_snmp::receiver::generate_engine_id(42);
/// assert_eq!(id.len(), 13);
/// assert_eq!(&id[..5], &[0x80, 0, 0, 0, 5]);
/// ```
pub fn generate_engine_id(seed: u64) -> Vec<u8> {
    let mut id = Vec::with_capacity(13);
    id.extend_from_slice(&(ENGINE_ID_ENTERPRISE | 0x8000_0000).to_be_bytes());
    id.push(ENGINE_ID_FORMAT_OCTETS);
    id.extend_from_slice(&splitmix64(seed).to_be_bytes());
    id
}

/// SplitMix64's output function: a bijection on `u64` that spreads every input bit.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether `id` is a well-formed snmpEngineID (RFC 3411: 5 to 32 octets).
pub fn is_valid_engine_id(id: &[u8]) -> bool {
    (5..=32).contains(&id.len())
}

/// The local SNMP engine a receiver is authoritative as (snmpEngineID,
/// snmpEngineBoots, and the start of snmpEngineTime).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthoritativeEngine {
    /// snmpEngineID (5 to 32 octets); keep it stable across restarts.
    pub engine_id: Vec<u8>,
    /// snmpEngineBoots: 1 on first start, incremented at every restart.
    pub boots: u32,
    /// When this boot started: snmpEngineTime counts seconds from here.
    pub started_at: Instant,
}

impl AuthoritativeEngine {
    /// An engine that booted for the `boots`-th time at `started_at`.
    pub fn new(engine_id: Vec<u8>, boots: u32, started_at: Instant) -> Self {
        Self {
            engine_id,
            boots,
            started_at,
        }
    }

    /// snmpEngineTime at `now`: whole seconds since `started_at`, capped at
    /// [`MAX_ENGINE_COUNTER`].
    pub fn time(&self, now: Instant) -> u32 {
        let secs = now.saturating_duration_since(self.started_at).as_secs();
        u32::try_from(secs.min(u64::from(MAX_ENGINE_COUNTER))).unwrap_or(MAX_ENGINE_COUNTER)
    }
}
