//! Meal enrolments (create, pause, resume, end) and the generation of a day's meal orders.
//!
//! Generation is idempotent by construction: the orders table has one row per
//! (enrolment, local date, meal), and inserts that clash are counted as "already existed".
//! Must not depend on `api`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::NaiveDate;
use serde_json::json;

use super::{Dispatch, DispatchError, Result, invalid, require};
use crate::domain::enrolment::{Pause, is_due};
use crate::domain::records::{Enrolment, Order, Recipient, Site};
use crate::domain::{
    EnrolmentId, OrderId, OrderKind, OrderStatus, Principal, Priority, RecipientId, Role, SiteId,
    SiteKind,
};
use crate::store::orders::{Inserted, insert_order};
use crate::store::{self, audit, now};

/// Seconds at the door for a meal handover (swap the tins, a word with the recipient).
const MEAL_SERVICE_S: i64 = 180;

/// What generating a day did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayReport {
    /// The local date.
    pub date: NaiveDate,
    /// Orders created now.
    pub created: u32,
    /// Orders that already existed from an earlier call.
    pub already_existed: u32,
    /// Of the created ones, how many wait for a location.
    pub needs_location: u32,
    /// Enrolments skipped because of a pause.
    pub paused: u32,
}

impl Dispatch {
    /// Enrol a recipient for meals.
    pub async fn create_enrolment(&self, who: &Principal, e: Enrolment) -> Result<Enrolment> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let mut tx = self.store.begin().await?;
        store::recipients::recipient_in(&mut tx, e.recipient_id)
            .await
            .map_err(|_| {
                invalid(
                    "recipient_id",
                    "unknown_recipient",
                    format!("no recipient {}", e.recipient_id),
                )
            })?;
        match store::sites::site_in(&mut tx, e.kitchen_id).await {
            Ok(s) if s.kind == SiteKind::Kitchen => {}
            Ok(_) => {
                return Err(invalid(
                    "kitchen_id",
                    "not_a_kitchen",
                    format!("site {} is not a kitchen", e.kitchen_id),
                ));
            }
            Err(_) => {
                return Err(invalid(
                    "kitchen_id",
                    "unknown_site",
                    format!("no site {}", e.kitchen_id),
                ));
            }
        }
        store::enrolments::insert_enrolment(&mut tx, &e).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "create",
            "enrolment",
            Some(&e.id.to_string()),
            &json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Enrolments, optionally of one recipient.
    pub async fn enrolments(
        &self,
        who: &Principal,
        recipient: Option<RecipientId>,
        page: u32,
        per_page: u32,
    ) -> Result<Vec<Enrolment>> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let per_page = per_page.clamp(1, 500);
        let offset = i64::from(page.max(1) - 1) * i64::from(per_page);
        Ok(self
            .store
            .enrolments(recipient, i64::from(per_page), offset)
            .await?)
    }

    /// One enrolment.
    pub async fn enrolment(&self, who: &Principal, id: EnrolmentId) -> Result<Enrolment> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        self.store
            .enrolment(id)
            .await
            .map_err(|_| DispatchError::NotFound("enrolment"))
    }

    /// Pause meals; a move or death ends the enrolment the day before `pause.from`.
    pub async fn pause_enrolment(
        &self,
        who: &Principal,
        id: EnrolmentId,
        pause: Pause,
        note: &str,
    ) -> Result<Enrolment> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let mut tx = self.store.begin().await?;
        let mut e = store::enrolments::enrolment_in(&mut tx, id)
            .await
            .map_err(|_| DispatchError::NotFound("enrolment"))?;
        if e.ended_reason.is_some() {
            return Err(DispatchError::Conflict {
                code: "enrolment_ended",
                detail: "this enrolment has ended".into(),
            });
        }
        if pause.reason.ends_enrolment() {
            let last = pause.from.pred_opt().unwrap_or(pause.from);
            e.end_date = Some(e.end_date.map_or(last, |d| d.min(last)));
            e.ended_reason = Some(pause.reason);
            store::enrolments::update_enrolment(&mut tx, &e).await?;
        } else {
            store::enrolments::insert_pause(&mut tx, id, &pause, note).await?;
        }
        audit::record(
            &mut tx,
            &who.actor(),
            "pause",
            "enrolment",
            Some(&id.to_string()),
            &json!({"reason": pause.reason.as_str(), "from": pause.from, "until": pause.until, "note": note}),
        )
        .await?;
        let e = store::enrolments::enrolment_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Resume meals from `on`.
    pub async fn resume_enrolment(
        &self,
        who: &Principal,
        id: EnrolmentId,
        on: NaiveDate,
    ) -> Result<Enrolment> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let mut tx = self.store.begin().await?;
        let e = store::enrolments::enrolment_in(&mut tx, id)
            .await
            .map_err(|_| DispatchError::NotFound("enrolment"))?;
        if e.ended_reason.is_some() {
            return Err(DispatchError::Conflict {
                code: "enrolment_ended",
                detail: "this enrolment has ended".into(),
            });
        }
        let changed = store::enrolments::resume(&mut tx, id, on).await?;
        if changed == 0 {
            return Err(DispatchError::Conflict {
                code: "not_paused",
                detail: format!("no pause covers {on}"),
            });
        }
        audit::record(
            &mut tx,
            &who.actor(),
            "resume",
            "enrolment",
            Some(&id.to_string()),
            &json!({"on": on}),
        )
        .await?;
        let e = store::enrolments::enrolment_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Generate the meal orders of a local date, once. Calling again creates nothing new.
    pub async fn generate_meal_day(&self, who: &Principal, date: NaiveDate) -> Result<DayReport> {
        require(who, &[Role::Admin, Role::SocialWorker])?;
        let mut tx = self.store.begin().await?;
        let enrolments = store::enrolments::enrolments_running_on(&mut tx, date).await?;
        let mut report = DayReport {
            date,
            created: 0,
            already_existed: 0,
            needs_location: 0,
            paused: 0,
        };
        let mut kitchens: HashMap<SiteId, Site> = HashMap::new();
        let mut people: HashMap<RecipientId, Recipient> = HashMap::new();
        let at = now();
        for e in &enrolments {
            if !is_due(date, e.start_date, e.end_date, e.weekdays, &[]) {
                continue;
            }
            if !is_due(date, e.start_date, e.end_date, e.weekdays, &e.pauses) {
                report.paused += 1;
                continue;
            }
            if let Entry::Vacant(slot) = kitchens.entry(e.kitchen_id) {
                slot.insert(store::sites::site_in(&mut tx, e.kitchen_id).await?);
            }
            if let Entry::Vacant(slot) = people.entry(e.recipient_id) {
                slot.insert(store::recipients::recipient_in(&mut tx, e.recipient_id).await?);
            }
            let (kitchen, person) = (&kitchens[&e.kitchen_id], &people[&e.recipient_id]);
            for meal in &e.meals {
                let order = Order {
                    id: OrderId::new(),
                    kind: OrderKind::Meal,
                    status: if person.location.is_some() {
                        OrderStatus::Ready
                    } else {
                        OrderStatus::NeedsLocation
                    },
                    site_id: kitchen.id,
                    recipient_id: Some(person.id),
                    enrolment_id: Some(e.id),
                    meal_date: Some(date),
                    meal_name: Some(meal.name.clone()),
                    recipient_name: person.name.clone(),
                    phone: person.phone.clone(),
                    address: person.address.clone(),
                    landmark: person.landmark.clone(),
                    location: person.location,
                    location_source: person.location_source.clone(),
                    location_precision_m: person.location_precision_m,
                    snap_distance_m: person.location.and_then(|p| self.snap_distance_m(p)),
                    window: meal.window.on(date, kitchen.time_zone),
                    service_s: MEAL_SERVICE_S,
                    meal_tins: 1,
                    parcels: 0,
                    cold_slots: 0,
                    priority: Priority::Routine,
                    cold_chain_max_minutes: None,
                    controlled: false,
                    clinical_notes: None,
                    external_ref: None,
                    medical_record_no: None,
                    attempt: 1,
                    created_by: who.actor(),
                    created_at: at,
                    updated_at: at,
                };
                match insert_order(&mut tx, &order, None, true).await? {
                    Inserted::New => {
                        report.created += 1;
                        if order.location.is_none() {
                            report.needs_location += 1;
                        }
                    }
                    Inserted::Existing => report.already_existed += 1,
                }
            }
        }
        audit::record(
            &mut tx,
            &who.actor(),
            "generate",
            "meal_day",
            Some(&date.to_string()),
            &json!({"created": report.created, "already_existed": report.already_existed}),
        )
        .await?;
        tx.commit().await?;
        Ok(report)
    }
}
