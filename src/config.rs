//! Settings: code defaults, then an optional `antar.toml`, then environment variables
//! `ANTAR_SECTION__KEY` (with the shortcuts `ANTAR_LISTEN` and `ANTAR_DATABASE_URL`), then
//! command-line flags. Secrets are `secrecy` types: their `Debug` output is redacted and
//! `antar config` prints them masked.
//!
//! Must not depend on `store`, `api` or `dispatch`.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Every setting antar reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Security.
    pub security: SecuritySettings,
    /// Regional defaults.
    pub region: RegionSettings,
    /// Road network.
    pub roads: RoadsSettings,
    /// Outbound webhook delivery.
    pub outbox: OutboxSettings,
    /// Offer expiry and planning waves.
    pub dispatch: DispatchSettings,
}

/// `[dispatch]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispatchSettings {
    /// Run the clock-driven work in this process: offer expiry and failover, planning waves
    /// (safe on several instances: every wave and expiry is claimed in the database).
    pub timers: bool,
    /// Solver time per planning wave, milliseconds.
    pub wave_time_limit_ms: u64,
    /// A wave missed by at most this many minutes (service down) still runs.
    pub wave_grace_minutes: u32,
    /// Follow map short links (`maps.app.goo.gl/…`) typed as locations to the place they lead
    /// to; needs the server to reach the internet. Off: such links are refused with advice.
    pub resolve_short_links: bool,
    /// Reach the internet through this HTTP proxy for short links (empty: directly).
    pub http_proxy: String,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            timers: true,
            wave_time_limit_ms: 2000,
            wave_grace_minutes: 30,
            resolve_short_links: false,
            http_proxy: String::new(),
        }
    }
}

/// `[outbox]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutboxSettings {
    /// Run the delivery worker in this process (several `serve` instances on one PostgreSQL may
    /// all run it: rows are claimed with `SKIP LOCKED`).
    pub worker: bool,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self { worker: true }
    }
}

/// `[roads]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadsSettings {
    /// Road network: a graph file from `antar graph import`, or an OSM extract (`.osm`,
    /// `.osm.gz`, `.osm.pbf`) imported at start. `embedded:banyuwangi-town` (the default) is
    /// the demo town shipped inside the binary. Empty: run without roads.
    pub graph: String,
    /// Pins farther than this from a ridable road are flagged (metres).
    pub snap_limit_m: f64,
}

impl Default for RoadsSettings {
    fn default() -> Self {
        Self {
            graph: crate::app::EMBEDDED_TOWN.into(),
            snap_limit_m: 500.0,
        }
    }
}

/// `[server]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub listen: String,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Mark the staff pages' cookies `Secure`: set when users reach antar over HTTPS (directly
    /// or through a TLS-terminating proxy).
    pub secure_cookies: bool,
    /// Where partners reach antar from outside (`https://antar.example.id`), for the status
    /// callbacks booking companies are asked to post; empty: they are polled only.
    pub public_url: String,
}

/// `[database]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://FILE` or `postgres://…`.
    pub url: String,
}

/// `[security]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// Base64 of 32 bytes that encrypts stored webhook secrets. When unset, a key file
    /// (`master_key_file`) is used, created on first start.
    pub master_key: Option<SecretString>,
    /// Where the generated master key lives when `master_key` is unset.
    pub master_key_file: PathBuf,
}

/// `[region]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegionSettings {
    /// IANA zone for dates shown to people and for meal days.
    pub time_zone: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 2 * 1024 * 1024,
            secure_cookies: false,
            public_url: String::new(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://antar.db".into(),
        }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            master_key: None,
            master_key_file: PathBuf::from("antar.key"),
        }
    }
}

impl Default for RegionSettings {
    fn default() -> Self {
        Self {
            time_zone: "Asia/Jakarta".into(),
        }
    }
}

/// A settings source that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML file is unreadable or malformed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// An environment variable has a bad value or names no setting.
    #[error("environment variable {var}: {reason}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        reason: String,
    },
}

impl Settings {
    /// Layer: defaults → `file` (if given, or `antar.toml` if present) → `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = toml::Table::new();
        let default_file = Path::new("antar.toml");
        let file = file.or_else(|| default_file.exists().then_some(default_file));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            table = text.parse::<toml::Table>().map_err(|e| ConfigError::File {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        }
        for (var, value) in env {
            let Some(rest) = var.strip_prefix("ANTAR_") else {
                continue;
            };
            let (section, key) = match rest {
                "LISTEN" => ("server".to_owned(), "listen".to_owned()),
                "DATABASE_URL" => ("database".to_owned(), "url".to_owned()),
                other => match other.split_once("__") {
                    Some((s, k)) => (s.to_ascii_lowercase(), k.to_ascii_lowercase()),
                    // Other ANTAR_* variables (e.g. test settings) are not ours to judge.
                    None => continue,
                },
            };
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(t) = entry else {
                return Err(ConfigError::Env {
                    var,
                    reason: format!("[{section}] is not a section"),
                });
            };
            // Numbers and booleans keep their type; everything else is a string.
            let v = value
                .parse::<i64>()
                .map(toml::Value::Integer)
                .or_else(|_| value.parse::<bool>().map(toml::Value::Boolean))
                .unwrap_or(toml::Value::String(value));
            t.insert(key, v);
        }
        Settings::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Env {
            var: "ANTAR_*".into(),
            reason: format!("{e}"),
        })
    }

    /// The effective settings as TOML with secrets masked.
    pub fn masked_toml(&self) -> String {
        #[derive(Serialize)]
        struct Security<'a> {
            master_key: &'a str,
            master_key_file: &'a Path,
        }
        #[derive(Serialize)]
        struct Shown<'a> {
            server: &'a ServerSettings,
            database: DatabaseSettings,
            security: Security<'a>,
            region: &'a RegionSettings,
            roads: &'a RoadsSettings,
            outbox: &'a OutboxSettings,
            dispatch: &'a DispatchSettings,
        }
        let shown = Shown {
            server: &self.server,
            database: DatabaseSettings {
                url: mask_url_password(&self.database.url),
            },
            security: Security {
                master_key: if self.security.master_key.is_some() {
                    "********"
                } else {
                    "(unset: key file)"
                },
                master_key_file: &self.security.master_key_file,
            },
            region: &self.region,
            roads: &self.roads,
            outbox: &self.outbox,
            dispatch: &self.dispatch,
        };
        toml::to_string(&shown).unwrap_or_default()
    }

    /// The master key: configured, or read from (and on first use written to) the key file.
    pub fn master_key(&self) -> std::io::Result<String> {
        if let Some(k) = &self.security.master_key {
            return Ok(k.expose_secret().to_owned());
        }
        let path = &self.security.master_key_file;
        match std::fs::read_to_string(path) {
            Ok(s) => Ok(s.trim().to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = crate::crypto::SecretBox::generate_key();
                write_private(path, &key)?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents.as_bytes())
}

/// `postgres://user:secret@host/db` → `postgres://user:********@host/db`.
pub fn mask_url_password(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((creds, host)) = rest.split_once('@')
        && let Some((user, _)) = creds.split_once(':')
    {
        return format!("{scheme}://{user}:********@{host}");
    }
    url.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_defaults() {
        let dir = std::env::temp_dir().join(format!("antar-cfg-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("antar.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"0.0.0.0:9000\"\nmax_body_bytes = 1000\n",
        )
        .unwrap();
        let s = Settings::load(
            Some(&file),
            [
                ("ANTAR_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
                (
                    "ANTAR_REGION__TIME_ZONE".to_owned(),
                    "Asia/Makassar".to_owned(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(s.server.listen, "127.0.0.1:0");
        assert_eq!(s.server.max_body_bytes, 1000);
        assert_eq!(s.region.time_zone, "Asia/Makassar");
        assert_eq!(s.database.url, "sqlite://antar.db");
    }

    #[test]
    fn unknown_keys_and_bad_files_are_errors() {
        assert!(Settings::load(None, [("ANTAR_SERVER__NOPE".to_owned(), "1".to_owned())]).is_err());
        let missing = Path::new("/nonexistent/antar.toml");
        assert!(matches!(
            Settings::load(Some(missing), []),
            Err(ConfigError::File { .. })
        ));
    }

    #[test]
    fn secrets_are_masked() {
        let s = Settings::load(
            None,
            [
                (
                    "ANTAR_DATABASE_URL".to_owned(),
                    "postgres://u:pw@h/db".to_owned(),
                ),
                (
                    "ANTAR_SECURITY__MASTER_KEY".to_owned(),
                    "c2VjcmV0".to_owned(),
                ),
            ],
        )
        .unwrap();
        let shown = s.masked_toml();
        assert!(
            !shown.contains("pw@") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
        assert!(!format!("{s:?}").contains("c2VjcmV0"));
    }
}
