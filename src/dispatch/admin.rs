//! Operator use cases: sites, API tokens, partners, the service area, the audit log, and the
//! bootstrap of a new installation.
//!
//! Must not depend on `api`.

use serde_json::json;

use super::{Dispatch, DispatchError, Result, invalid, require};
use crate::crypto::{self, MintedToken};
use crate::domain::records::{AuditEntry, Partner, Site, TokenInfo, User};
use crate::domain::{PartnerId, Principal, Role, ServiceArea, SiteId, SiteKind, TokenId};
use crate::store::{self, audit, now};

/// A token request.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Label.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Pharmacy, required for pharmacists.
    pub site_id: Option<SiteId>,
    /// Partner, required for partner tokens.
    pub partner_id: Option<PartnerId>,
}

/// A staff user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Full name.
    pub name: String,
    /// Login name.
    pub login: String,
    /// Role.
    pub role: Role,
    /// Pharmacy (pharmacists).
    pub site_id: Option<SiteId>,
    /// Password for the dashboard (≥ 10 characters), if the user logs in.
    pub password: Option<secrecy::SecretString>,
}

/// A partner just created, with its secrets in clear: shown once.
pub struct CreatedPartner {
    /// The partner.
    pub partner: Partner,
    /// Secret antar signs offers with (`whsec_…`).
    pub outbound_secret: String,
    /// Secret the partner signs callbacks with (`whsec_…`).
    pub inbound_secret: String,
    /// The partner's API token for callbacks.
    pub token: String,
}

/// Refuse unless `site` exists and is a pharmacy (what pharmacist tokens and users bind to).
async fn require_pharmacy(tx: &mut store::Tx, site: SiteId) -> Result<()> {
    let s = store::sites::site_in(tx, site)
        .await
        .map_err(|_| invalid("site_id", "unknown_site", format!("no site {site}")))?;
    if s.kind != SiteKind::Pharmacy {
        return Err(invalid(
            "site_id",
            "not_a_pharmacy",
            format!("site {site} is a {}", s.kind.as_str()),
        ));
    }
    Ok(())
}

impl Dispatch {
    /// Create the first admin token when none exists. Returns the token in clear.
    pub async fn bootstrap_admin(&self) -> Result<String> {
        if self.store.active_admin_tokens().await? > 0 {
            return Err(DispatchError::Conflict {
                code: "already_bootstrapped",
                detail: "an admin token already exists; create more with the admin API".into(),
            });
        }
        let minted = crypto::mint_token();
        let info = TokenInfo {
            id: TokenId::new(),
            name: "bootstrap admin".into(),
            role: Role::Admin,
            site_id: None,
            partner_id: None,
            prefix: minted.prefix.clone(),
            created_at: now(),
            revoked_at: None,
        };
        let mut tx = self.store.begin().await?;
        store::access::insert_token(&mut tx, &info, &minted.hash, "bootstrap").await?;
        audit::record(
            &mut tx,
            "cli:bootstrap",
            "create",
            "token",
            Some(&info.id.to_string()),
            &json!({"role": "admin"}),
        )
        .await?;
        tx.commit().await?;
        Ok(minted.token)
    }

    /// Create a site.
    pub async fn create_site(&self, who: &Principal, site: Site) -> Result<Site> {
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        store::sites::insert_site(&mut tx, &site).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "create",
            "site",
            Some(&site.id.to_string()),
            &json!({"name": site.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(site)
    }

    /// Replace a site's fields; its kind cannot change.
    pub async fn update_site(&self, who: &Principal, site: Site) -> Result<Site> {
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        let old = store::sites::site_in(&mut tx, site.id)
            .await
            .map_err(|_| DispatchError::NotFound("site"))?;
        if old.kind != site.kind {
            return Err(invalid(
                "kind",
                "immutable",
                "a site's kind cannot change; create a new site",
            ));
        }
        store::sites::update_site(&mut tx, &site).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "update",
            "site",
            Some(&site.id.to_string()),
            &json!({"name": site.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(site)
    }

    /// Every site (any staff role may list them: forms need the names).
    pub async fn sites(&self, who: &Principal) -> Result<Vec<Site>> {
        require(who, &[Role::Admin, Role::Pharmacist, Role::SocialWorker])?;
        Ok(self.store.sites().await?)
    }

    /// One site.
    pub async fn site(&self, who: &Principal, id: SiteId) -> Result<Site> {
        require(who, &[Role::Admin, Role::Pharmacist, Role::SocialWorker])?;
        self.store
            .site(id)
            .await
            .map_err(|_| DispatchError::NotFound("site"))
    }

    /// Mint a token with a role; returns its public info and the secret (shown once).
    pub async fn create_token(
        &self,
        who: &Principal,
        req: NewToken,
    ) -> Result<(TokenInfo, String)> {
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        match req.role {
            Role::Pharmacist => {
                let Some(site) = req.site_id else {
                    return Err(invalid(
                        "site_id",
                        "required",
                        "a pharmacist token must name its pharmacy site",
                    ));
                };
                require_pharmacy(&mut tx, site).await?;
            }
            Role::Partner => {
                let Some(pid) = req.partner_id else {
                    return Err(invalid(
                        "partner_id",
                        "required",
                        "a partner token must name its partner",
                    ));
                };
                store::partners::partner_in(&mut tx, pid)
                    .await
                    .map_err(|_| {
                        invalid("partner_id", "unknown_partner", format!("no partner {pid}"))
                    })?;
            }
            Role::Admin | Role::SocialWorker => {}
        }
        if req.role != Role::Pharmacist && req.site_id.is_some() {
            return Err(invalid(
                "site_id",
                "not_allowed",
                "only pharmacist tokens are bound to a site",
            ));
        }
        if req.role != Role::Partner && req.partner_id.is_some() {
            return Err(invalid(
                "partner_id",
                "not_allowed",
                "only partner tokens are bound to a partner",
            ));
        }
        let MintedToken {
            token,
            hash,
            prefix,
        } = crypto::mint_token();
        let info = TokenInfo {
            id: TokenId::new(),
            name: req.name,
            role: req.role,
            site_id: req.site_id,
            partner_id: req.partner_id,
            prefix,
            created_at: now(),
            revoked_at: None,
        };
        store::access::insert_token(&mut tx, &info, &hash, &who.actor()).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "create",
            "token",
            Some(&info.id.to_string()),
            &json!({"role": info.role.as_str(), "name": info.name}),
        )
        .await?;
        tx.commit().await?;
        Ok((info, token))
    }

    /// Create a staff user.
    pub async fn create_user(&self, who: &Principal, req: NewUser) -> Result<User> {
        use secrecy::ExposeSecret;
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        match (req.role, req.site_id) {
            (Role::Pharmacist, None) => {
                return Err(invalid(
                    "site_id",
                    "required",
                    "a pharmacist must be bound to a pharmacy",
                ));
            }
            (Role::Pharmacist, Some(site)) => require_pharmacy(&mut tx, site).await?,
            (Role::Partner, _) => {
                return Err(invalid(
                    "role",
                    "invalid_value",
                    "partners act through tokens, not staff logins",
                ));
            }
            (_, Some(_)) => {
                return Err(invalid(
                    "site_id",
                    "not_allowed",
                    "only pharmacists are bound to a site",
                ));
            }
            _ => {}
        }
        let hash = match &req.password {
            Some(p) if p.expose_secret().chars().count() < 10 => {
                return Err(invalid(
                    "password",
                    "too_short",
                    "a password needs at least 10 characters",
                ));
            }
            Some(p) => Some(crypto::hash_password(p.expose_secret())),
            None => None,
        };
        let user = User {
            id: crate::domain::UserId::new(),
            name: req.name,
            login: req.login,
            role: req.role,
            site_id: req.site_id,
            partner_id: None,
            active: true,
            created_at: now(),
        };
        store::access::insert_user(&mut tx, &user, hash.as_deref())
            .await
            .map_err(|e| match e {
                store::StoreError::Conflict(_) => {
                    invalid("login", "taken", format!("login {:?} is taken", user.login))
                }
                other => other.into(),
            })?;
        audit::record(
            &mut tx,
            &who.actor(),
            "create",
            "user",
            Some(&user.id.to_string()),
            &json!({"login": user.login, "role": user.role.as_str()}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Every staff user.
    pub async fn users(&self, who: &Principal) -> Result<Vec<User>> {
        require(who, &[Role::Admin])?;
        Ok(self.store.users().await?)
    }

    /// Every token (never the secrets).
    pub async fn tokens(&self, who: &Principal) -> Result<Vec<TokenInfo>> {
        require(who, &[Role::Admin])?;
        Ok(self.store.tokens().await?)
    }

    /// Revoke a token.
    pub async fn revoke_token(&self, who: &Principal, id: TokenId) -> Result<()> {
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        store::access::revoke_token(&mut tx, id, now())
            .await
            .map_err(|_| DispatchError::NotFound("token"))?;
        audit::record(
            &mut tx,
            &who.actor(),
            "revoke",
            "token",
            Some(&id.to_string()),
            &json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Create a partner with fresh signing secrets and a callback token.
    pub async fn create_partner(
        &self,
        who: &Principal,
        partner: Partner,
    ) -> Result<CreatedPartner> {
        require(who, &[Role::Admin])?;
        let outbound_secret = crypto::new_webhook_secret();
        let inbound_secret = crypto::new_webhook_secret();
        let minted = crypto::mint_token();
        let info = TokenInfo {
            id: TokenId::new(),
            name: format!("partner {}", partner.name),
            role: Role::Partner,
            site_id: None,
            partner_id: Some(partner.id),
            prefix: minted.prefix.clone(),
            created_at: now(),
            revoked_at: None,
        };
        let mut tx = self.store.begin().await?;
        store::partners::insert_partner(
            &mut tx,
            &partner,
            &self.secrets.seal(&outbound_secret),
            &self.secrets.seal(&inbound_secret),
        )
        .await?;
        store::access::insert_token(&mut tx, &info, &minted.hash, &who.actor()).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "create",
            "partner",
            Some(&partner.id.to_string()),
            &json!({"name": partner.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedPartner {
            partner,
            outbound_secret,
            inbound_secret,
            token: minted.token,
        })
    }

    /// Replace a partner's settings.
    pub async fn update_partner(&self, who: &Principal, partner: Partner) -> Result<Partner> {
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        let stored = store::partners::partner_in(&mut tx, partner.id)
            .await
            .map_err(|_| DispatchError::NotFound("partner"))?;
        if stored.kind != partner.kind {
            return Err(invalid(
                "kind",
                "immutable",
                format!(
                    "a partner's kind cannot change (it is {}); create a new partner",
                    stored.kind
                ),
            ));
        }
        store::partners::update_partner(&mut tx, &partner)
            .await
            .map_err(|_| DispatchError::NotFound("partner"))?;
        audit::record(
            &mut tx,
            &who.actor(),
            "update",
            "partner",
            Some(&partner.id.to_string()),
            &json!({"name": partner.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(partner)
    }

    /// Every partner.
    pub async fn partners(&self, who: &Principal) -> Result<Vec<Partner>> {
        require(who, &[Role::Admin])?;
        Ok(self.store.partners().await?)
    }

    /// Set the service area.
    pub async fn set_service_area(
        &self,
        who: &Principal,
        area: ServiceArea,
    ) -> Result<ServiceArea> {
        require(who, &[Role::Admin])?;
        area.validate()
            .map_err(|e| invalid("area", "invalid_area", e.0))?;
        let mut tx = self.store.begin().await?;
        let value = serde_json::to_value(&area).unwrap_or_default();
        store::sites::put_setting(&mut tx, "service_area", &value).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "update",
            "service_area",
            None,
            &value,
        )
        .await?;
        tx.commit().await?;
        Ok(area)
    }

    /// The service area, if set.
    pub async fn service_area(&self, who: &Principal) -> Result<Option<ServiceArea>> {
        require(who, &[Role::Admin, Role::Pharmacist, Role::SocialWorker])?;
        Ok(self.store.service_area().await?)
    }

    /// Audit entries, newest first, by actor, action and time (admin).
    pub async fn audit_search(
        &self,
        who: &Principal,
        f: &store::audit::AuditFilter,
    ) -> Result<Vec<AuditEntry>> {
        require(who, &[Role::Admin])?;
        Ok(self.store.audit_search(f).await?)
    }

    /// Audit entries, newest first.
    pub async fn audit_log(
        &self,
        who: &Principal,
        entity: Option<&str>,
        entity_id: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        require(who, &[Role::Admin])?;
        Ok(self
            .store
            .audit_entries(entity, entity_id, before, limit)
            .await?)
    }
}
