//! The one duration syntax of the command line and the config file.
//!
//! A number followed by a unit: `250us`, `500ms`, `10s`, `1.5s`, `2m`, `1h`. A bare
//! number is refused, except `0`: before this module the CLI read `7` as 7 ms and the
//! config as 7 s, and a NOC engineer cannot be expected to know which; an error that
//! asks for a unit costs two keystrokes.

use std::time::Duration;

use crate::ModelError;

/// Longest duration accepted: 30 days (a retention or an auto-clean delay may be
/// long; anything longer is a typo).
pub const MAX: Duration = Duration::from_secs(30 * 24 * 3600);

/// Parses `<number><unit>`, unit `us` (or `µs`), `ms`, `s`, `m` (or `min`), `h`.
pub fn parse_duration(text: &str) -> Result<Duration, ModelError> {
    let err = |why| ModelError::Duration {
        text: text.to_owned(),
        why,
    };
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if num.is_empty() {
        return Err(err("expected a number and a unit, e.g. 500ms, 10s, 2m"));
    }
    let n: f64 = num
        .parse()
        .map_err(|_| err("expected a number and a unit, e.g. 500ms, 10s, 2m"))?;
    let scale = match unit.trim() {
        "" if n == 0.0 => 0.0,
        "" => return Err(err("a unit is needed: us, ms, s, m or h (e.g. 10s)")),
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(err("unknown unit (us, ms, s, m or h)")),
    };
    let d = Duration::try_from_secs_f64(n * scale).map_err(|_| err("out of range"))?;
    if d > MAX {
        return Err(err("longer than 30 days"));
    }
    Ok(d)
}

/// Writes `d` back in the syntax [`parse_duration`] reads, choosing the largest
/// unit that keeps it exact (`1500ms`, `10s`, `2m`).
pub fn format_duration(d: Duration) -> String {
    let us = d.as_micros();
    if us == 0 {
        return "0s".to_owned();
    }
    for (unit, per) in [
        ("h", 3_600_000_000u128),
        ("m", 60_000_000),
        ("s", 1_000_000),
        ("ms", 1_000),
    ] {
        if us.is_multiple_of(per) {
            return format!("{}{unit}", us / per);
        }
    }
    format!("{us}us")
}

/// serde adapter for `Duration` fields written as strings (`interval = "10s"`):
/// `#[serde(with = "nocwatch_model::duration::serde_str")]`.
pub mod serde_str {
    use std::time::Duration;

    use serde::{Deserialize as _, Deserializer, Serializer};

    /// Reads a duration string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_duration(&s).map_err(serde::de::Error::custom)
    }

    /// Writes it back as [`super::format_duration`] does.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*d))
    }
}

/// serde adapter for `Option<Duration>` fields:
/// `#[serde(default, with = "nocwatch_model::duration::serde_opt")]`.
pub mod serde_opt {
    use std::time::Duration;

    use serde::{Deserialize as _, Deserializer, Serializer};

    /// Reads an optional duration string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| super::parse_duration(&s).map_err(serde::de::Error::custom))
            .transpose()
    }

    /// Writes it back.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&super::format_duration(*d)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(
            parse_duration(" 1.5s ").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
    }

    #[test]
    fn refusals_say_why() {
        for bad in [
            "7", "ten", "5 days", "-1ms", "", "ms", "1e3s", "31d", "800h",
        ] {
            let e = parse_duration(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        assert!(
            parse_duration("7")
                .unwrap_err()
                .to_string()
                .contains("unit")
        );
    }

    proptest! {
        #[test]
        fn format_parses_back(us in 0u64..(30 * 24 * 3600 * 1_000_000)) {
            let d = Duration::from_micros(us);
            prop_assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }

        #[test]
        fn never_panics(s in "\\PC{0,12}") {
            let _ = parse_duration(&s);
        }
    }
}
