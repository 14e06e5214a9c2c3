//! Staff sign-in for the web dashboard (password check, lockout with growing back-off, sessions
//! known only by the hash of their id) and the dashboard's read of the day's deliveries.
//!
//! Must not depend on `api` or `web`: cookies and forms are the caller's business.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde_json::json;

use super::{Dispatch, Result, require};
use crate::crypto::{sha256_hex, verify_password};
use crate::domain::records::User;
use crate::domain::time::local_to_utc;
use crate::domain::{OrderKind, OrderStatus, Principal, Role, SiteId, TokenId};
use crate::store::web::{DeliveryFilter, DeliveryRow, LoginFailures};

/// How sign-in is throttled and how long a session lasts.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    /// Failures allowed before the first lock.
    pub max_failures: i64,
    /// The first lock; each further failure doubles it.
    pub lock: Duration,
    /// The longest lock.
    pub max_lock: Duration,
    /// Session lifetime.
    pub session_ttl: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            lock: Duration::minutes(1),
            max_lock: Duration::hours(1),
            session_ttl: Duration::hours(12),
        }
    }
}

/// A new session: the id goes into the cookie, never into the database.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret session id (the cookie value).
    pub id: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub user: User,
}

/// The outcome of a sign-in attempt.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Signed in.
    Ok(NewSession),
    /// Unknown login, wrong password or disabled user (not told apart, on purpose).
    Refused,
    /// Too many failures: no attempt is checked until then.
    Locked(DateTime<Utc>),
    /// The user's role has no web access (partners use the API).
    NoWebAccess,
}

/// The stored form of a session id.
pub fn session_hash(id: &str) -> String {
    sha256_hex(format!("antar-session\0{id}").as_bytes())
}

/// The CSRF token of a session: derived from the secret id, so it needs no storage and cannot
/// be guessed by a page that cannot read the `HttpOnly` cookie.
pub fn csrf_token(session_id: &str) -> String {
    sha256_hex(format!("antar-csrf\0{session_id}").as_bytes())
}

/// The principal a signed-in user acts as (the user id stands where an API token id would).
pub fn principal_of(user: &User) -> Principal {
    Principal {
        token_id: TokenId(user.id.0),
        name: user.login.clone(),
        role: user.role,
        site_id: user.site_id,
        partner_id: user.partner_id,
    }
}

/// What the dashboard asks for: one local date, optionally narrowed.
#[derive(Debug, Clone, Default)]
pub struct DeliveryQuery {
    /// Local date of the delivery windows.
    pub date: Option<NaiveDate>,
    /// Kitchen or pharmacy.
    pub site: Option<SiteId>,
    /// Meal or medicine.
    pub kind: Option<OrderKind>,
    /// Order state.
    pub status: Option<OrderStatus>,
    /// Village name.
    pub village: Option<String>,
}

/// A verifiable hash for unknown logins, so that they take as long as known ones.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| crate::crypto::hash_password("antar-decoy-password"))
}

impl Dispatch {
    /// Check a login and password; on success store a new session.
    pub async fn staff_login(
        &self,
        login: &str,
        password: &str,
        policy: &LoginPolicy,
    ) -> Result<LoginOutcome> {
        let login = login.trim().to_lowercase();
        let now = crate::store::now();
        let previous = self.store.login_failures(&login).await?;
        if let Some(until) = previous.as_ref().and_then(|f| f.locked_until)
            && until > now
        {
            return Ok(LoginOutcome::Locked(until));
        }
        let found = self.store.user_by_login(&login).await?;
        let stored = found
            .as_ref()
            .and_then(|(u, h)| u.active.then(|| h.clone()).flatten())
            .unwrap_or_else(|| decoy_hash().to_owned());
        let pw = password.to_owned();
        // Argon2 is deliberately slow: keep it off the async workers.
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &stored))
            .await
            .map_err(|e| super::DispatchError::Internal(e.to_string()))?;
        let user = match found {
            Some((u, Some(_))) if ok && u.active => u,
            _ => {
                let failures = previous.map_or(0, |f| f.failures) + 1;
                let over = failures - policy.max_failures;
                let locked_until = (over >= 0).then(|| {
                    let factor = 1i32 << over.clamp(0, 16);
                    now + (policy.lock * factor).min(policy.max_lock)
                });
                self.store
                    .set_login_failures(
                        &login,
                        &LoginFailures {
                            failures,
                            locked_until,
                        },
                        now,
                    )
                    .await?;
                tracing::info!(login = %login, failures, "web login refused");
                return Ok(match locked_until {
                    Some(t) => LoginOutcome::Locked(t),
                    None => LoginOutcome::Refused,
                });
            }
        };
        if user.role == Role::Partner {
            return Ok(LoginOutcome::NoWebAccess);
        }
        self.store.clear_login_failures(&login).await?;
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
        let id = hex::encode(bytes);
        let expires_at = now + policy.session_ttl;
        self.store
            .insert_web_session(&session_hash(&id), user.id, now, expires_at)
            .await?;
        Ok(LoginOutcome::Ok(NewSession {
            id,
            expires_at,
            user,
        }))
    }

    /// The user of a live session (partners never have one).
    pub async fn staff_session(&self, session_id: &str) -> Result<Option<User>> {
        let user = self
            .store
            .web_session_user(&session_hash(session_id), crate::store::now())
            .await?;
        Ok(user.filter(|u| u.role != Role::Partner))
    }

    /// End a session.
    pub async fn staff_logout(&self, session_id: &str) -> Result<()> {
        Ok(self
            .store
            .delete_web_session(&session_hash(session_id))
            .await?)
    }

    /// The deliveries of a local date, as the caller may see them (a pharmacist: their site's
    /// medicine only). The read names recipients, so it is audited.
    pub async fn day_deliveries(
        &self,
        who: &Principal,
        q: DeliveryQuery,
    ) -> Result<Vec<DeliveryRow>> {
        require(who, &[Role::Admin, Role::Pharmacist, Role::SocialWorker])?;
        let date = q
            .date
            .unwrap_or_else(|| self.local_date(crate::clock::now()));
        let next = date.succ_opt().unwrap_or(date);
        let filter = DeliveryFilter {
            from: Some(local_to_utc(date, NaiveTime::MIN, self.tz)),
            until: Some(local_to_utc(next, NaiveTime::MIN, self.tz)),
            site: who.site_scope().or(q.site),
            kind: if who.role == Role::Pharmacist {
                Some(OrderKind::Medicine)
            } else {
                q.kind
            },
            status: q.status,
            village: q.village.filter(|v| !v.trim().is_empty()),
            limit: 5000,
        };
        let rows = self.store.day_deliveries(&filter).await?;
        self.store
            .audit_read(
                &who.actor(),
                "order",
                None,
                &json!({"deliveries": rows.len(), "date": date}),
            )
            .await?;
        Ok(rows)
    }

    /// A value that changes whenever an order, stop or alert changes (live pages poll it; it
    /// names nobody, so it is not audited).
    pub async fn change_marker(&self) -> Result<String> {
        Ok(self.store.change_marker().await?)
    }
}
