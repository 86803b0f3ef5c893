//! An SNMPv3 user from net-snmp's command-line flags, `-u -l -a -A -x -X -n -E -e`.
//!
//! Why in the protocol core: the flags' meaning is net-snmp's, not a command's.
//! `get`, `walk`, `set`, `poll` and `trap send` all take them, and each must default
//! as `snmpget` does (MD5 when `-A` comes without `-a`, DES when `-X` comes without
//! `-x`, noAuthNoPriv without `-l`) or a script moved from net-snmp would get a
//! different user. The one syntax for a v3 user in configuration and in the
//! receiver's and simulator's flags is `createUser` ([`crate::create_user`]); these
//! flags are the manager side's, kept because every net-snmp user types them.

use crate::error::Error;
use crate::security::{SecurityLevel, UsmUser};
use crate::typed::parse_hex;

/// net-snmp's v3 flags as given (each `None` when absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsmFlags {
    /// `-u`: securityName.
    pub sec_name: Option<String>,
    /// `-l`: noAuthNoPriv, authNoPriv or authPriv (net-snmp's spellings).
    pub sec_level: Option<String>,
    /// `-a`: MD5 (default), SHA, SHA-224 ...
    pub auth_protocol: Option<String>,
    /// `-A`: authentication pass phrase.
    pub auth_password: Option<String>,
    /// `-x`: DES (default), AES ...
    pub priv_protocol: Option<String>,
    /// `-X`: privacy pass phrase.
    pub priv_password: Option<String>,
    /// `-n`: contextName.
    pub context: Option<String>,
    /// `-E`: contextEngineID in hex.
    pub context_engine_id: Option<String>,
    /// `-e`: the authoritative engine's ID in hex (skips discovery).
    pub security_engine_id: Option<String>,
}

impl UsmFlags {
    /// The user these flags describe, defaulted as net-snmp's tools default.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for an unknown level or protocol, or a level whose pass
    /// phrase is missing; [`Error::Notation`] for an engine ID that is not hex. The
    /// messages are net-snmp's ("Invalid authentication protocol specified after
    /// -a flag: X").
    pub fn user(&self) -> Result<UsmUser, Error> {
        let name = self.sec_name.as_deref().unwrap_or_default();
        let level: SecurityLevel = match &self.sec_level {
            Some(l) => l.parse()?,
            None => SecurityLevel::NoAuthNoPriv,
        };
        let auth = match &self.auth_password {
            Some(pw) => {
                let p = self.auth_protocol.as_deref().unwrap_or("MD5");
                let proto = p.parse().map_err(|_| {
                    Error::Notation(format!(
                        "Invalid authentication protocol specified after -a flag: {p}"
                    ))
                })?;
                Some((proto, pw.as_bytes()))
            }
            None => None,
        };
        let privacy = match &self.priv_password {
            Some(pw) => {
                let p = self.priv_protocol.as_deref().unwrap_or("DES");
                let proto = p.parse().map_err(|_| {
                    Error::Notation(format!(
                        "Invalid privacy protocol specified after -x flag: {p}"
                    ))
                })?;
                Some((proto, pw.as_bytes()))
            }
            None => None,
        };
        let mut user = UsmUser::new(name.as_bytes(), level, auth, privacy)?;
        user.context_name = self.context.clone().unwrap_or_default().into_bytes();
        user.context_engine_id = self
            .context_engine_id
            .as_deref()
            .map(engine_id)
            .transpose()?;
        user.engine_id = self
            .security_engine_id
            .as_deref()
            .map(engine_id)
            .transpose()?;
        Ok(user)
    }
}

/// An engine ID as net-snmp takes it: hex, with or without `0x`.
fn engine_id(text: &str) -> Result<Vec<u8>, Error> {
    let t = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    parse_hex(t).map_err(|_| Error::Notation(format!("{text}: Bad engine ID value")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::crypto::{AuthProtocol, PrivProtocol};

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn defaults_are_net_snmps() {
        let u = UsmFlags {
            sec_name: s("ops"),
            sec_level: s("authPriv"),
            auth_password: s("authpass123"),
            priv_password: s("privpass123"),
            ..UsmFlags::default()
        }
        .user()
        .unwrap();
        assert_eq!(u.name, b"ops");
        assert_eq!(u.level, SecurityLevel::AuthPriv);
        assert_eq!(u.auth.as_ref().unwrap().0, AuthProtocol::Md5);
        assert_eq!(u.privacy.as_ref().unwrap().0, PrivProtocol::Des);
        let u = UsmFlags::default().user().unwrap();
        assert_eq!(u.level, SecurityLevel::NoAuthNoPriv);
        assert!(u.name.is_empty() && u.engine_id.is_none());
    }

    #[test]
    fn engine_ids_context_and_refusals() {
        let u = UsmFlags {
            sec_name: s("u"),
            context: s("vrf1"),
            context_engine_id: s("0x8000000001020304"),
            security_engine_id: s("80 00 00 00 01"),
            ..UsmFlags::default()
        }
        .user()
        .unwrap();
        assert_eq!(u.context_name, b"vrf1");
        assert_eq!(
            u.context_engine_id.as_deref(),
            Some(&[0x80, 0, 0, 0, 1, 2, 3, 4][..])
        );
        assert_eq!(u.engine_id.as_deref(), Some(&[0x80, 0, 0, 0, 1][..]));
        let err = |f: UsmFlags| f.user().unwrap_err().to_string();
        assert_eq!(
            err(UsmFlags {
                security_engine_id: s("0xzz"),
                ..UsmFlags::default()
            }),
            "0xzz: Bad engine ID value"
        );
        assert!(
            err(UsmFlags {
                auth_protocol: s("ROT13"),
                auth_password: s("authpass123"),
                ..UsmFlags::default()
            })
            .contains("after -a flag: ROT13")
        );
        assert!(
            err(UsmFlags {
                sec_level: s("bogus"),
                ..UsmFlags::default()
            })
            .contains("-l")
        );
        // authNoPriv without -A.
        assert!(
            UsmFlags {
                sec_level: s("authNoPriv"),
                ..UsmFlags::default()
            }
            .user()
            .is_err()
        );
    }
}
