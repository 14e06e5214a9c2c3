//! Recipients: create, update, search, read. Reads of personal data are audited.
//!
//! Must not depend on `api`.

use serde_json::json;

use super::{Dispatch, DispatchError, Result, invalid, require};
use crate::domain::records::Recipient;
use crate::domain::{Principal, RecipientId, Role};
use crate::store::{self, audit};

impl Dispatch {
    async fn check_area(&self, r: &Recipient) -> Result<()> {
        if let Some(loc) = r.location
            && let Some(area) = self.store.service_area().await?
            && !area.contains(loc)
        {
            return Err(invalid(
                "location",
                "outside_service_area",
                format!("{loc} is outside the service area"),
            ));
        }
        Ok(())
    }

    /// Create a recipient.
    pub async fn create_recipient(&self, who: &Principal, r: Recipient) -> Result<Recipient> {
        self.save_recipient(who, r, true).await
    }

    /// Replace a recipient's fields.
    pub async fn update_recipient(&self, who: &Principal, r: Recipient) -> Result<Recipient> {
        self.save_recipient(who, r, false).await
    }

    async fn save_recipient(
        &self,
        who: &Principal,
        r: Recipient,
        insert: bool,
    ) -> Result<Recipient> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        self.check_area(&r).await?;
        let mut tx = self.store.begin().await?;
        store::recipients::upsert_recipient(&mut tx, &r, insert)
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound => DispatchError::NotFound("recipient"),
                other => other.into(),
            })?;
        // The village by code, so reports group people whatever the spelling of the name.
        let code = super::onboarding::village_code_for(&mut tx, &r).await?;
        store::areas::set_village_code(&mut tx, r.id, code.as_ref().map(|c| c.as_str())).await?;
        let action = if insert { "create" } else { "update" };
        audit::record(
            &mut tx,
            &who.actor(),
            action,
            "recipient",
            Some(&r.id.to_string()),
            &json!({}),
        )
        .await?;
        // The stored row: identity columns set by imports are kept by an update.
        let stored = store::recipients::recipient_in(&mut tx, r.id).await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// One recipient; audited.
    pub async fn recipient(&self, who: &Principal, id: RecipientId) -> Result<Recipient> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let r = self
            .store
            .recipient(id)
            .await
            .map_err(|_| DispatchError::NotFound("recipient"))?;
        self.store
            .audit_read(&who.actor(), "recipient", Some(&id.to_string()), &json!({}))
            .await?;
        Ok(r)
    }

    /// Search recipients by name or village; audited.
    pub async fn recipients(
        &self,
        who: &Principal,
        q: Option<&str>,
        village: Option<&str>,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<Recipient>> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let per_page = per_page.clamp(1, 500);
        let offset = i64::from(page.max(1) - 1) * i64::from(per_page);
        let list = self
            .store
            .recipients(q, village, i64::from(per_page), offset)
            .await?;
        self.store
            .audit_read(
                &who.actor(),
                "recipient",
                None,
                &json!({"list": list.len(), "q": q, "village": village}),
            )
            .await?;
        Ok(list)
    }
}
