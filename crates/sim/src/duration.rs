//! TEMPORARY until main has nocwatch-model's shared duration parser.
pub(crate) mod serde_str {
    use std::time::Duration;

    use serde::{Deserialize as _, Deserializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let s = String::deserialize(d)?;
        let (n, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
        let n: f64 = n.trim().parse().map_err(serde::de::Error::custom)?;
        let secs = match unit {
            "ms" => n / 1e3,
            "" | "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            _ => return Err(serde::de::Error::custom("bad unit")),
        };
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}
