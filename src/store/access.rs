//! API tokens: stored only as SHA-256 hashes (tokens are 256-bit random, so a fast hash is
//! enough; a slow password hash would only slow every request).
//!
//! Must not depend on `api` or `dispatch`.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Result, RowExt, Store, StoreError, parse_col, parse_ts, ts};
use crate::domain::records::{TokenInfo, User};
use crate::domain::{PartnerId, Principal, SiteId, TokenId};

fn token_from_row(r: &AnyRow) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: parse_col("id", &r.text("id")?)?,
        name: r.text("name")?,
        role: parse_col("role", &r.text("role")?)?,
        site_id: r
            .opt_text("site_id")?
            .map(|s| parse_col::<SiteId>("site_id", &s))
            .transpose()?,
        partner_id: r
            .opt_text("partner_id")?
            .map(|s| parse_col::<PartnerId>("partner_id", &s))
            .transpose()?,
        prefix: r.text("prefix")?,
        created_at: parse_ts("created_at", &r.text("created_at")?)?,
        revoked_at: r
            .opt_text("revoked_at")?
            .map(|s| parse_ts("revoked_at", &s))
            .transpose()?,
    })
}

const TOKEN_COLUMNS: &str = "id, name, role, site_id, partner_id, prefix, created_at, revoked_at";

/// Insert a token.
pub async fn insert_token(
    conn: &mut AnyConnection,
    t: &TokenInfo,
    hash: &str,
    created_by: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_tokens (id, name, role, site_id, partner_id, token_hash, prefix, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(t.id.to_string())
    .bind(&t.name)
    .bind(t.role.as_str())
    .bind(t.site_id.map(|s| s.to_string()))
    .bind(t.partner_id.map(|s| s.to_string()))
    .bind(hash)
    .bind(&t.prefix)
    .bind(created_by)
    .bind(ts(t.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Revoke a token; `NotFound` when unknown or already revoked.
pub async fn revoke_token(
    conn: &mut AnyConnection,
    id: TokenId,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(ts(at))
            .bind(id.to_string())
            .execute(conn)
            .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

const USER_COLUMNS: &str = "id, name, login, role, site_id, partner_id, active, created_at";

pub(crate) fn user_from_row(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: parse_col("id", &r.text("id")?)?,
        name: r.text("name")?,
        login: r.text("login")?,
        role: parse_col("role", &r.text("role")?)?,
        site_id: r
            .opt_text("site_id")?
            .map(|s| parse_col::<SiteId>("site_id", &s))
            .transpose()?,
        partner_id: r
            .opt_text("partner_id")?
            .map(|s| parse_col::<PartnerId>("partner_id", &s))
            .transpose()?,
        active: r.int("active")? != 0,
        created_at: parse_ts("created_at", &r.text("created_at")?)?,
    })
}

/// Insert a staff user with an optional Argon2 password hash.
pub async fn insert_user(
    conn: &mut AnyConnection,
    u: &User,
    password_hash: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, name, login, role, site_id, partner_id, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(u.id.to_string())
    .bind(&u.name)
    .bind(&u.login)
    .bind(u.role.as_str())
    .bind(u.site_id.map(|s| s.to_string()))
    .bind(u.partner_id.map(|s| s.to_string()))
    .bind(password_hash)
    .bind(i64::from(u.active))
    .bind(ts(u.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Every staff user, by login.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY login"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// A user and their password hash, by login.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<(User, Option<String>)>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE login = $1"
        )))
        .bind(login)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| Ok((user_from_row(&r)?, r.opt_text("password_hash")?)))
            .transpose()
    }

    /// The principal for a token hash, if the token exists and is not revoked.
    pub async fn principal_by_token_hash(&self, hash: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        )))
        .bind(hash)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            let t = token_from_row(&r)?;
            Ok(Principal {
                token_id: t.id,
                name: t.name,
                role: t.role,
                site_id: t.site_id,
                partner_id: t.partner_id,
            })
        })
        .transpose()
    }

    /// All tokens, newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at DESC, id DESC"
        )))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(token_from_row).collect()
    }

    /// Number of admin tokens not revoked.
    pub async fn active_admin_tokens(&self) -> Result<i64> {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL",
        )
        .fetch_one(self.reader())
        .await?;
        r.int("n")
    }
}
