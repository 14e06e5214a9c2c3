//! Prescription intake: create (idempotent), list, read (audited), cancel, and bulk import.
//!
//! A pharmacist only ever sees their own site's orders: every query is scoped by
//! [`Principal::site_scope`], and another site's order is "not found", never "forbidden".
//! Must not depend on `api`.

use chrono::{DateTime, NaiveDate, Utc};
use rand::Rng;
use serde_json::json;

use super::{Dispatch, DispatchError, FieldError, Result, invalid, require};
use crate::domain::location::{self, parse_location};
use crate::domain::records::{Order, OrderEvent};
use crate::domain::time::{TimeWindow, local_to_utc};
use crate::domain::{
    LatLon, OrderId, OrderKind, OrderStatus, Phone, Principal, Priority, Role, SiteId, SiteKind,
};
use crate::store::orders::{OrderFilter, idempotent_order, insert_idempotency, insert_order};
use crate::store::{self, Tx, audit, now};

/// Minutes a courier spends at the door for a medicine handover.
const MEDICINE_SERVICE_S: i64 = 180;

/// A prescription for home delivery, parsed and checked for shape by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPrescription {
    /// Pharmacy (admins must give it; a pharmacist's own site is used otherwise).
    pub site_id: Option<SiteId>,
    /// Patient's name.
    pub patient_name: String,
    /// Patient's phone.
    pub phone: Option<Phone>,
    /// Address text.
    pub address: String,
    /// Landmark.
    pub landmark: String,
    /// Home location, when known; without it the order waits in `needs_location`.
    pub location: Option<LatLon>,
    /// The location as staff received it (coordinates, a maps link, a `geo:` URI, a Plus Code),
    /// parsed here with the pharmacy as the reference for short Plus Codes.
    pub location_text: Option<String>,
    /// Medical record number.
    pub medical_record_no: Option<String>,
    /// Parcels (≥ 1).
    pub parcels: u32,
    /// Cold chain: max minutes from pickup to handover.
    pub cold_chain_max_minutes: Option<u32>,
    /// Handover against a PIN.
    pub controlled: bool,
    /// Urgent or routine.
    pub priority: Priority,
    /// Ready for pickup at; deliver by (start ≤ end).
    pub window: TimeWindow,
    /// Clinical notes (stay at the hospital).
    pub clinical_notes: Option<String>,
    /// Hospital system reference.
    pub external_ref: Option<String>,
}

/// The outcome of a create.
#[derive(Debug, Clone)]
pub struct Created {
    /// The order.
    pub order: Order,
    /// False when an earlier request with the same idempotency key created it.
    pub created: bool,
    /// For controlled medicine: the handover PIN to give the patient (only on first creation).
    pub pin: Option<String>,
}

/// Per-row result of a bulk import.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Rows stored: (line, order id, PIN for controlled medicine).
    pub created: Vec<(usize, OrderId, Option<String>)>,
    /// Rows refused: (line, reasons).
    pub rejected: Vec<(usize, Vec<FieldError>)>,
    /// Whether anything was stored.
    pub committed: bool,
}

/// Filters for listing orders.
#[derive(Debug, Clone, Default)]
pub struct ListOrders {
    /// Meal or medicine.
    pub kind: Option<OrderKind>,
    /// Status.
    pub status: Option<OrderStatus>,
    /// Local date of the delivery window.
    pub date: Option<NaiveDate>,
    /// Only this site (admins and social workers may filter; pharmacists are always scoped).
    pub site_id: Option<SiteId>,
    /// 1-based page.
    pub page: u32,
    /// Page size (≤ 500).
    pub per_page: u32,
}

impl Dispatch {
    async fn prepare_prescription(
        &self,
        tx: &mut Tx,
        who: &Principal,
        np: &NewPrescription,
    ) -> Result<(Order, Option<String>)> {
        let mut errors = Vec::new();
        let site_id = match (who.site_scope(), np.site_id) {
            (Some(own), Some(given)) if own != given => {
                return Err(invalid(
                    "site_id",
                    "not_your_site",
                    "a pharmacist can only submit for their own pharmacy",
                ));
            }
            (Some(own), _) => own,
            (None, Some(given)) => given,
            (None, None) => return Err(invalid("site_id", "required", "name the pharmacy site")),
        };
        // Coordinates given as numbers count as a typed pin (about 10 m).
        let mut precision = np.location.map(|_| location::typical_precision_m("pin"));
        let mut location = np.location.map(|p| (p, "pin"));
        let site = store::sites::site_in(tx, site_id).await;
        if let Some(text) = &np.location_text {
            let reference = site.as_ref().ok().map(|s| s.location);
            match parse_location(text, reference) {
                Ok(parsed) => {
                    location = Some((parsed.point, parsed.source.as_str()));
                    precision = Some(location::recorded_precision_m(&parsed));
                }
                Err(e) => errors.push(FieldError::new(
                    "patient.location_text",
                    e.code(),
                    e.to_string(),
                )),
            }
        }
        match site {
            Ok(s) if s.kind == SiteKind::Pharmacy => {}
            Ok(s) => errors.push(FieldError::new(
                "site_id",
                "not_a_pharmacy",
                format!("site {site_id} is a {}", s.kind.as_str()),
            )),
            Err(_) => errors.push(FieldError::new(
                "site_id",
                "unknown_site",
                format!("no site {site_id}"),
            )),
        }
        let at = now();
        if np.window.end() < at {
            errors.push(FieldError::new(
                "deliver_by",
                "in_the_past",
                format!("deliver_by {} is in the past", np.window.end().to_rfc3339()),
            ));
        }
        if let Some((loc, _)) = location
            && let Some(area) = store::sites::service_area_in(tx).await?
            && !area.contains(loc)
        {
            errors.push(FieldError::new(
                "location",
                "outside_service_area",
                format!("{loc} is outside the service area"),
            ));
        }
        if !errors.is_empty() {
            return Err(DispatchError::Invalid(errors));
        }
        let id = OrderId::new();
        let pin = np
            .controlled
            .then(|| format!("{:06}", rand::rng().random_range(0..1_000_000u32)));
        let order = Order {
            id,
            kind: OrderKind::Medicine,
            status: if location.is_some() {
                OrderStatus::Ready
            } else {
                OrderStatus::NeedsLocation
            },
            site_id,
            recipient_id: None,
            enrolment_id: None,
            meal_date: None,
            meal_name: None,
            recipient_name: np.patient_name.clone(),
            phone: np.phone.clone(),
            address: np.address.clone(),
            landmark: np.landmark.clone(),
            location: location.map(|(p, _)| p),
            location_source: location.map(|(_, source)| source.to_owned()),
            location_precision_m: precision,
            snap_distance_m: location.and_then(|(p, _)| self.snap_distance_m(p)),
            window: np.window,
            service_s: MEDICINE_SERVICE_S,
            meal_tins: 0,
            parcels: i64::from(np.parcels),
            cold_slots: i64::from(np.cold_chain_max_minutes.is_some()),
            priority: np.priority,
            cold_chain_max_minutes: np.cold_chain_max_minutes.map(i64::from),
            controlled: np.controlled,
            clinical_notes: np.clinical_notes.clone(),
            external_ref: np.external_ref.clone(),
            medical_record_no: np.medical_record_no.clone(),
            attempt: 1,
            created_by: who.actor(),
            created_at: at,
            updated_at: at,
        };
        Ok((order, pin))
    }

    async fn insert_prescription(
        &self,
        tx: &mut Tx,
        who: &Principal,
        order: &Order,
        pin: Option<&str>,
    ) -> Result<()> {
        // Keyed with the master key: six digits are easy to brute-force from a plain hash.
        let hash = pin.map(|p| {
            self.secrets
                .mac_hex(format!("pin:{}:{p}", order.id).as_bytes())
        });
        insert_order(tx, order, hash.as_deref(), false).await?;
        audit::record(
            tx,
            &who.actor(),
            "create",
            "order",
            Some(&order.id.to_string()),
            &json!({"kind": "medicine", "site_id": order.site_id.to_string()}),
        )
        .await?;
        Ok(())
    }

    /// Create a prescription order. With an idempotency key, the same key and body return the
    /// order created the first time; the same key with another body is a conflict.
    pub async fn create_prescription(
        &self,
        who: &Principal,
        idem: Option<(&str, &str)>,
        mut np: NewPrescription,
    ) -> Result<Created> {
        require(who, &[Role::Admin, Role::Pharmacist])?;
        // A short map link is followed (when allowed) before the transaction opens.
        if let Some(text) = &np.location_text {
            np.location_text = Some(self.expand_location_text(text).await);
        }
        let scope = match who.site_scope() {
            Some(site) => format!("site:{site}"),
            None => format!("token:{}", who.token_id),
        };
        let mut tx = self.store.begin().await?;
        if let Some((key, body_hash)) = idem
            && let Some((stored_hash, id)) = idempotent_order(&mut tx, &scope, key).await?
        {
            if stored_hash != body_hash {
                return Err(DispatchError::Conflict {
                    code: "idempotency_key_reused",
                    detail: format!("Idempotency-Key {key:?} was used for a different request"),
                });
            }
            let order = store::orders::order_in(&mut tx, id, who.site_scope()).await?;
            tx.commit().await?;
            return Ok(Created {
                order,
                created: false,
                pin: None,
            });
        }
        let (order, pin) = self.prepare_prescription(&mut tx, who, &np).await?;
        self.insert_prescription(&mut tx, who, &order, pin.as_deref())
            .await?;
        if let Some((key, body_hash)) = idem {
            match insert_idempotency(&mut tx, &scope, key, body_hash, order.id).await {
                Ok(()) => {}
                // A concurrent request with the same key won the race (possible on PostgreSQL):
                // drop this attempt and answer with the order the winner stored.
                Err(store::StoreError::Conflict(_)) => {
                    tx.rollback().await?;
                    let mut conn = self.store.begin().await?;
                    return match idempotent_order(&mut conn, &scope, key).await? {
                        Some((stored_hash, id)) if stored_hash == body_hash => {
                            let order =
                                store::orders::order_in(&mut conn, id, who.site_scope()).await?;
                            Ok(Created {
                                order,
                                created: false,
                                pin: None,
                            })
                        }
                        _ => Err(DispatchError::Conflict {
                            code: "idempotency_key_reused",
                            detail: format!(
                                "Idempotency-Key {key:?} was used for a different request"
                            ),
                        }),
                    };
                }
                Err(e) => return Err(e.into()),
            }
        }
        tx.commit().await?;
        Ok(Created {
            order,
            created: true,
            pin,
        })
    }

    /// Store many prescriptions in one transaction. Rows that failed parsing arrive as errors.
    /// Unless `partial`, any refused row means nothing is stored.
    pub async fn import_prescriptions(
        &self,
        who: &Principal,
        rows: Vec<(usize, std::result::Result<NewPrescription, Vec<FieldError>>)>,
        partial: bool,
    ) -> Result<ImportReport> {
        self.import_prescriptions_checked(who, rows, partial, false)
            .await
    }

    /// [`Dispatch::import_prescriptions`], or with `dry_run` every step without storing
    /// anything: the report lists the rows that would be created (with no PIN: none exists)
    /// and the rows refused.
    pub async fn import_prescriptions_checked(
        &self,
        who: &Principal,
        rows: Vec<(usize, std::result::Result<NewPrescription, Vec<FieldError>>)>,
        partial: bool,
        dry_run: bool,
    ) -> Result<ImportReport> {
        require(who, &[Role::Admin, Role::Pharmacist])?;
        let mut report = ImportReport::default();
        let mut tx = self.store.begin().await?;
        for (line, row) in rows {
            let np = match row {
                Ok(np) => np,
                Err(errs) => {
                    report.rejected.push((line, errs));
                    continue;
                }
            };
            match self.prepare_prescription(&mut tx, who, &np).await {
                Ok((order, pin)) => {
                    self.insert_prescription(&mut tx, who, &order, pin.as_deref())
                        .await?;
                    report.created.push((line, order.id, pin));
                }
                Err(DispatchError::Invalid(errs)) => report.rejected.push((line, errs)),
                Err(e) => return Err(e),
            }
        }
        if dry_run {
            tx.rollback().await?;
            for row in &mut report.created {
                row.2 = None;
            }
        } else if report.rejected.is_empty() || partial {
            tx.commit().await?;
            report.committed = !report.created.is_empty();
        } else {
            tx.rollback().await?;
            report.created.clear();
        }
        Ok(report)
    }

    /// Orders visible to the caller (pharmacists: their site's medicine only). The read of
    /// patient data is audited.
    pub async fn list_orders(&self, who: &Principal, q: ListOrders) -> Result<Vec<Order>> {
        require(who, &[Role::Admin, Role::Pharmacist, Role::SocialWorker])?;
        let per_page = q.per_page.clamp(1, 500);
        let page = q.page.max(1);
        let (from, until) = match q.date {
            Some(d) => {
                let next = d.succ_opt().unwrap_or(d);
                (
                    Some(local_to_utc(d, chrono::NaiveTime::MIN, self.tz)),
                    Some(local_to_utc(next, chrono::NaiveTime::MIN, self.tz)),
                )
            }
            None => (None, None),
        };
        let kind = match who.role {
            Role::Pharmacist => Some(OrderKind::Medicine),
            _ => q.kind,
        };
        let filter = OrderFilter {
            site: who.site_scope().or(q.site_id),
            kind,
            status: q.status,
            from,
            until,
            limit: i64::from(per_page),
            offset: i64::from(page - 1) * i64::from(per_page),
        };
        let orders = self.store.orders(&filter).await?;
        self.store
            .audit_read(
                &who.actor(),
                "order",
                None,
                &json!({"list": orders.len(), "status": q.status.map(|s| s.as_str()), "date": q.date}),
            )
            .await?;
        Ok(orders)
    }

    /// One order with its history; audited.
    pub async fn order(&self, who: &Principal, id: OrderId) -> Result<(Order, Vec<OrderEvent>)> {
        require(who, &[Role::Admin, Role::Pharmacist, Role::SocialWorker])?;
        let order = self
            .store
            .order(id, who.site_scope())
            .await
            .map_err(|_| DispatchError::NotFound("order"))?;
        if who.role == Role::Pharmacist && order.kind != OrderKind::Medicine {
            return Err(DispatchError::NotFound("order"));
        }
        self.store
            .audit_read(&who.actor(), "order", Some(&id.to_string()), &json!({}))
            .await?;
        let events = self.store.order_events(id).await?;
        Ok((order, events))
    }

    /// Cancel an order before pickup.
    pub async fn cancel_order(&self, who: &Principal, id: OrderId, reason: &str) -> Result<Order> {
        require(who, &[Role::Admin, Role::Pharmacist, Role::SocialWorker])?;
        let mut tx = self.store.begin().await?;
        let mut order = store::orders::order_in(&mut tx, id, who.site_scope())
            .await
            .map_err(|_| DispatchError::NotFound("order"))?;
        if who.role == Role::Pharmacist && order.kind != OrderKind::Medicine {
            return Err(DispatchError::NotFound("order"));
        }
        let to = order
            .status
            .transition(OrderStatus::Cancelled, order.kind)?;
        store::orders::set_status(&mut tx, id, order.status, to, reason, &who.actor()).await?;
        // Take it off its job, telling the partner.
        self.remove_from_job_in(&mut tx, &order, store::now())
            .await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "cancel",
            "order",
            Some(&id.to_string()),
            &json!({"reason": reason}),
        )
        .await?;
        tx.commit().await?;
        self.outbox_notify.notify_one();
        order.status = to;
        Ok(order)
    }

    /// The local date of an instant in the region's zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        crate::domain::time::local_date(at, self.tz)
    }
}
