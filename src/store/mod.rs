//! Storage: the only module that speaks SQL.
//!
//! Owns: connections to SQLite (the embedded default) or PostgreSQL, the migrations, the mapping
//! of rows to `domain` types, idempotency keys and the audit log (written in the same transaction
//! as the change they record). Must not depend on `api`, `dispatch` or any HTTP type.
//!
//! ## Why one SQL dialect over sqlx's `Any` driver, with two migration folders
//! The schema differs between the backends only in DDL (auto-increment ids, float and integer
//! type names, triggers), so `migrations/sqlite` and `migrations/postgres` carry the same
//! numbered files. Queries, though, are written once: every column is in a portable subset that
//! sqlx's `Any` driver decodes on both backends (UUIDs and instants as text, flags and counts as
//! 64-bit integers, JSON as text). Instants are fixed-width RFC 3339 UTC strings, so they sort
//! and compare as time in SQL on both backends. The alternative, typed per-backend pools, would
//! mean writing and testing every query twice for no gain at our data sizes. The few places that
//! need backend-specific SQL (row claims with `FOR UPDATE SKIP LOCKED`) branch on [`Backend`].
//!
//! SQLite allows one writer at a time; to avoid `SQLITE_BUSY` under concurrency every write goes
//! through a pool of exactly one connection, while reads use a separate pool (WAL lets readers
//! run beside the writer). A lock file keeps a second `antar serve` off the same database file.

pub mod access;
pub mod areas;
pub mod audit;
pub mod bookings;
pub mod corrections;
pub mod couriers;
pub mod enrolments;
pub mod integrity;
pub mod invoice;
pub mod jobs;
pub mod orders;
pub mod outbox;
pub mod partners;
pub mod recipients;
pub mod reports;
pub mod routes;
pub mod sites;
pub mod web;

use std::fs::File;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row};

/// A write transaction.
pub type Tx = sqlx::Transaction<'static, Any>;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL {0:?}: expected sqlite://FILE or postgres://…")]
    UnsupportedUrl(String),
    /// Another process holds the SQLite file.
    #[error("database {0} is in use by another antar process (lock file {0}.lock)")]
    Locked(String),
    /// A uniqueness rule was broken.
    #[error("already exists: {0}")]
    Conflict(String),
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("corrupt stored value in {column}: {reason}")]
    Corrupt {
        /// Column.
        column: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// Migration failure.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// File system error (lock file).
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or(db.message()).to_owned())
            }
            _ => StoreError::Database(e),
        }
    }
}

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Handle to the database: cheap to clone.
#[derive(Clone)]
pub struct Store {
    write: AnyPool,
    read: AnyPool,
    backend: Backend,
    /// Held from connect until [`Store::close`] (SQLite files only).
    lock: Option<Arc<File>>,
}

impl Store {
    /// Connect to `url` (`sqlite://antar.db`, `postgres://user@host/db`), creating a SQLite file
    /// when missing. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let (file, query) = path.split_once('?').unwrap_or((path, ""));
            let lock = if file == ":memory:" || file.is_empty() {
                None
            } else {
                let lock_path = PathBuf::from(format!("{file}.lock"));
                let f = File::options()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)?;
                match f.try_lock() {
                    Ok(()) => Some(Arc::new(f)),
                    Err(std::fs::TryLockError::WouldBlock) => {
                        return Err(StoreError::Locked(file.to_owned()));
                    }
                    Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
                }
            };
            let full = if query.contains("mode=") {
                format!("sqlite://{file}?{query}")
            } else if query.is_empty() {
                format!("sqlite://{file}?mode=rwc")
            } else {
                format!("sqlite://{file}?{query}&mode=rwc")
            };
            let write = AnyPoolOptions::new()
                .max_connections(1)
                .after_connect(|c, _| Box::pin(async move { sqlite_pragmas(c).await }))
                .connect(&full)
                .await?;
            let read = AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(|c, _| Box::pin(async move { sqlite_pragmas(c).await }))
                .connect(&full)
                .await?;
            Ok(Store {
                write,
                read,
                backend: Backend::Sqlite,
                lock,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .connect(url)
                .await?;
            Ok(Store {
                write: pool.clone(),
                read: pool,
                backend: Backend::Postgres,
                lock: None,
            })
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// Apply the embedded migrations for this backend.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.write).await?,
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.write)
                    .await?
            }
        }
        Ok(())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Start a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(self.write.begin().await?)
    }

    /// The pool for reads.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.read).await.is_ok()
    }

    /// Close all connections (waits for checked-out ones to come back), then release the
    /// database file's lock: once closed this handle cannot touch the file, so a server started
    /// again (in this process or another) may open it while old handles are still around.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
        if let Some(lock) = &self.lock {
            let _ = lock.unlock();
        }
    }
}

async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> std::result::Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// Bind parameters per statement when working on many rows (below SQLite's and PostgreSQL's
/// limits).
pub(crate) const CHUNK: usize = 500;

/// `$first, $first+1, …`: `n` numbered bind parameters, for `IN (…)` lists.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $cols), ($cols+1, …)`: the `VALUES` list of a multi-row insert of `rows` rows.
pub(crate) fn value_rows(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", placeholders(r * cols + 1, cols)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Format an instant the way it is stored: fixed-width RFC 3339 UTC with microseconds.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The current instant, truncated to what is stored.
pub fn now() -> DateTime<Utc> {
    let t = crate::clock::now();
    parse_ts("now", &ts(t)).unwrap_or(t)
}

pub(crate) fn parse_ts(column: &'static str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt {
            column,
            reason: format!("{s:?}: {e}"),
        })
}

pub(crate) fn parse_date(column: &'static str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt {
        column,
        reason: format!("{s:?}: {e}"),
    })
}

pub(crate) fn parse_col<T: FromStr>(column: &'static str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| StoreError::Corrupt {
        column,
        reason: format!("{s:?}: {e}"),
    })
}

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(column: &'static str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt {
        column,
        reason: e.to_string(),
    })
}

/// Read helpers on rows: typed getters with the column name in the error.
pub(crate) trait RowExt {
    fn text(&self, col: &'static str) -> Result<String>;
    fn opt_text(&self, col: &'static str) -> Result<Option<String>>;
    fn int(&self, col: &'static str) -> Result<i64>;
    fn opt_int(&self, col: &'static str) -> Result<Option<i64>>;
    fn float(&self, col: &'static str) -> Result<f64>;
    fn opt_float(&self, col: &'static str) -> Result<Option<f64>>;
}

impl RowExt for AnyRow {
    fn text(&self, col: &'static str) -> Result<String> {
        Ok(self.try_get(col)?)
    }
    fn opt_text(&self, col: &'static str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn int(&self, col: &'static str) -> Result<i64> {
        Ok(self.try_get(col)?)
    }
    fn opt_int(&self, col: &'static str) -> Result<Option<i64>> {
        Ok(self.try_get(col)?)
    }
    fn float(&self, col: &'static str) -> Result<f64> {
        Ok(self.try_get(col)?)
    }
    fn opt_float(&self, col: &'static str) -> Result<Option<f64>> {
        Ok(self.try_get(col)?)
    }
}

/// An optional float as a bind value. sqlx 0.9's `Any` driver declares a NULL `f64` parameter as
/// `float4` on PostgreSQL, which clashes with a statement prepared for `float8`; binding the
/// value as text inside `CAST(… AS DOUBLE PRECISION)` sidesteps that on both backends. Rust's
/// `Display` for `f64` prints the shortest text that parses back to the same value.
pub(crate) fn opt_f64(v: Option<f64>) -> Option<String> {
    v.map(|x| x.to_string())
}

pub(crate) fn opt_location(
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<Option<crate::domain::LatLon>> {
    match (lat, lon) {
        (Some(a), Some(b)) => {
            crate::domain::LatLon::new(a, b)
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    column: "lat/lon",
                    reason: e.to_string(),
                })
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sqlite_file_is_held_by_one_store_until_it_is_closed() {
        let dir = std::env::temp_dir().join(format!("antar-lock-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("antar.db").display());
        let first = Store::connect(&url).await.unwrap();
        assert!(matches!(
            Store::connect(&url).await,
            Err(StoreError::Locked(_))
        ));
        // Closed but still held (as a handle kept by a test or a task would be).
        first.close().await;
        let again = Store::connect(&url).await.unwrap();
        assert!(again.ping().await);
        again.close().await;
        drop(first);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
