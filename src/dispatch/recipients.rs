//! Recipients: create, update, search, read. Reads of personal data are audited.
//!
//! Must not depend on `api`.
//!
//! A person known only by their village: when the village has a centroid in the area list,
//! [`Dispatch::village_centroid_suggestion`] offers it (source `village_centroid`, precision
//! [`VILLAGE_CENTROID_PRECISION_M`]) but it is **not** stored as the home, so their orders stay
//! `needs_location`. A desa spans kilometres: a courier sent to its centre with a hot meal or a
//! cold-chain parcel would spend the delivery window asking around, and the planner would
//! promise times it cannot keep. Staff confirm the suggestion explicitly
//! ([`Dispatch::confirm_village_centroid`], after checking with the recipient or a landmark),
//! which makes the orders plannable with the coarse precision on record for everyone to see.

use serde_json::json;

use super::{Dispatch, DispatchError, Result, invalid, require};
use crate::domain::area::AreaCode;
use crate::domain::location::VILLAGE_CENTROID_PRECISION_M;
use crate::domain::records::Recipient;
use crate::domain::{LatLon, Principal, RecipientId, Role};
use crate::store::{self, audit};

/// The centre of a recipient's village, offered as a location to confirm.
#[derive(Debug, Clone, PartialEq)]
pub struct CentroidSuggestion {
    /// The village's code.
    pub code: AreaCode,
    /// Its name.
    pub village: String,
    /// The centroid.
    pub point: LatLon,
    /// How far a home may be from it, in metres.
    pub precision_m: f64,
}

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

    /// The village centroid for a recipient without a location whose village (by code) has one
    /// in the area list; `None` otherwise. Not stored: see the module documentation.
    pub async fn village_centroid_suggestion(
        &self,
        who: &Principal,
        r: &Recipient,
    ) -> Result<Option<CentroidSuggestion>> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let Some(code) = r.village_code.as_ref().filter(|_| r.location.is_none()) else {
            return Ok(None);
        };
        Ok(self
            .store
            .areas()
            .await?
            .into_iter()
            .find(|a| &a.code == code)
            .and_then(|a| {
                Some(CentroidSuggestion {
                    point: a.centroid?,
                    code: a.code,
                    village: a.name,
                    precision_m: VILLAGE_CENTROID_PRECISION_M,
                })
            }))
    }

    /// Staff confirm the village centroid as a recipient's home (source `village_centroid`,
    /// coarse precision); refused when the recipient has a location already or no centroid is
    /// known. Audited; the recipient's later orders are plannable.
    pub async fn confirm_village_centroid(
        &self,
        who: &Principal,
        id: RecipientId,
    ) -> Result<Recipient> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let r = self
            .store
            .recipient(id)
            .await
            .map_err(|_| DispatchError::NotFound("recipient"))?;
        if r.location.is_some() {
            return Err(invalid(
                "location",
                "location_known",
                "lokasi sudah ada / the recipient already has a location",
            ));
        }
        let Some(s) = self.village_centroid_suggestion(who, &r).await? else {
            return Err(invalid(
                "village",
                "no_village_centroid",
                "desa tanpa titik tengah di daftar wilayah / the village has no centroid in the area list",
            ));
        };
        let mut tx = self.store.begin().await?;
        store::corrections::set_recipient_location(
            &mut tx,
            id,
            s.point,
            "village_centroid",
            s.precision_m,
            store::now(),
        )
        .await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "update",
            "recipient",
            Some(&id.to_string()),
            &json!({"location_source": "village_centroid", "village_code": s.code.to_string()}),
        )
        .await?;
        let stored = store::recipients::recipient_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(stored)
    }
}
