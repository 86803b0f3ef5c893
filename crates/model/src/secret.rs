//! Secrets: communities, pass phrases and tokens, given in the config literally,
//! as `env:NAME` (read from the environment) or as `file:PATH` (read from a file,
//! one trailing newline removed), so that a config file can be committed or shared
//! without them. Never printed: `Debug` shows where the secret came from, not its
//! value.

use std::fmt;

use crate::ModelError;

/// A resolved secret and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    value: String,
    origin: String,
}

impl Secret {
    /// Resolves a secret's config text: `env:NAME`, `file:PATH`, or the literal
    /// value (`literal:` forces a literal that starts with `env:` or `file:`).
    pub fn resolve(text: &str) -> Result<Self, ModelError> {
        let (value, origin) = if let Some(name) = text.strip_prefix("env:") {
            let v = std::env::var(name).map_err(|_| ModelError::SecretEnv(name.to_owned()))?;
            (v, format!("env:{name}"))
        } else if let Some(path) = text.strip_prefix("file:") {
            let v = std::fs::read_to_string(path).map_err(|e| ModelError::SecretFile {
                path: path.to_owned(),
                why: e.to_string(),
            })?;
            let v = v
                .strip_suffix("\r\n")
                .or_else(|| v.strip_suffix('\n'))
                .unwrap_or(&v)
                .to_owned();
            (v, format!("file:{path}"))
        } else {
            let v = text.strip_prefix("literal:").unwrap_or(text);
            (v.to_owned(), "literal".to_owned())
        };
        if value.is_empty() {
            return Err(ModelError::SecretEmpty(origin));
        }
        Ok(Self { value, origin })
    }

    /// A literal secret (tests, CLI flags).
    pub fn literal(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            origin: "literal".to_owned(),
        }
    }

    /// The value. Callers must not log it.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Where it came from: `literal`, `env:NAME` or `file:PATH`.
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({}, redacted)", self.origin)
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        Self::resolve(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn literal_env_file() {
        let s = Secret::resolve("public").unwrap();
        assert_eq!((s.expose(), s.origin()), ("public", "literal"));
        assert!(!format!("{s:?}").contains("public"));
        assert_eq!(Secret::resolve("literal:env:x").unwrap().expose(), "env:x");
        // PATH is set in every test environment.
        let path = std::env::var("PATH").unwrap();
        assert_eq!(Secret::resolve("env:PATH").unwrap().expose(), path);
        assert_eq!(
            Secret::resolve("env:NOCWATCH_SURELY_UNSET_4711").unwrap_err(),
            ModelError::SecretEnv("NOCWATCH_SURELY_UNSET_4711".to_owned())
        );
        let dir = std::env::temp_dir().join(format!("nocwatch-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("community");
        std::fs::write(&f, "s3cret phrase\n").unwrap();
        let s = Secret::resolve(&format!("file:{}", f.display())).unwrap();
        assert_eq!(s.expose(), "s3cret phrase");
        std::fs::write(&f, "\n").unwrap();
        assert!(matches!(
            Secret::resolve(&format!("file:{}", f.display())),
            Err(ModelError::SecretEmpty(_))
        ));
        assert!(matches!(
            Secret::resolve(&format!("file:{}", dir.join("missing").display())),
            Err(ModelError::SecretFile { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn from_toml() {
        #[derive(serde::Deserialize)]
        struct C {
            community: Secret,
        }
        let c: C = toml::from_str("community = \"public\"").unwrap();
        assert_eq!(c.community.expose(), "public");
        let e = toml::from_str::<C>("community = \"env:NOCWATCH_SURELY_UNSET_4711\"")
            .err()
            .unwrap();
        assert!(e.to_string().contains("NOCWATCH_SURELY_UNSET_4711"), "{e}");
    }
}
