//! Our own fleet: couriers (who belongs to which site, what they carry, when they work), staff
//! giving a job to a courier, the courier's signed link, and what the courier reports through
//! the courier page.
//!
//! A courier link is `/kurir/{token}` with `token = base64url(job id ‖ courier id ‖ expiry) "."
//! base64url(HMAC-SHA256)` under a key derived from the master key (`SecretBox::mac_hex` with
//! its own `courier-link:v1:` domain), so a link cannot be forged or moved to another job, and
//! it dies at the end of the job's local day plus [`LINK_MARGIN_H`] hours, or as soon as staff
//! give the job to another courier. No login, no app: the link is the courier's credential for
//! that one job and shows nothing clinical (the same courier-safe stop list as `job.offered`).
//!
//! What the courier does on the page becomes the same [`InboundEvent`] a partner would post
//! and goes through [`Dispatch::partner_event`] with the page's own event id as the
//! de-duplication key, so a retried action is answered `duplicate` and everything downstream
//! (order states, PIN check, welfare and `unwell` alerts, returns) is shared with partner
//! callbacks.
//! Must not depend on `api` or `web`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde_json::json;
use uuid::Uuid;

use super::jobs::{live_stops, wire_stops};
use super::{Dispatch, DispatchError, Result, invalid, require};
use crate::crypto::constant_time_eq;
use crate::domain::records::{Courier, Partner};
use crate::domain::{CourierId, JobStatus, Principal, Role, SiteId, StopStatus};
use crate::store::jobs::{self as sj, JobRow};
use crate::store::{self, audit};
use crate::webhooks::inbound::{
    Concern, FailReason, InboundEvent, JobPickedUp, Proof, StopDelivered, StopFailed,
};
use crate::webhooks::outbound::{JobId, Stop, StopId};

use super::events::EventOutcome;

/// Hours a courier link stays valid after the end of the job's local day.
pub const LINK_MARGIN_H: i64 = 6;

/// Changes to a courier; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct CourierPatch {
    /// Name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<crate::domain::Phone>,
    /// Vehicle.
    pub vehicle: Option<String>,
    /// Capacity.
    pub capacity: Option<u32>,
    /// Stops per job.
    pub max_stops: Option<u32>,
    /// Trips per shift.
    pub max_trips: Option<u32>,
    /// Working days.
    pub working_days: Option<crate::domain::Weekdays>,
    /// Start of the working day.
    pub work_start: Option<NaiveTime>,
    /// End of the working day.
    pub work_end: Option<NaiveTime>,
    /// Active.
    pub active: Option<bool>,
}

/// Why a courier link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Malformed or tampered with (403).
    Invalid,
    /// Past its expiry (410).
    Expired,
    /// The job went to another courier or is no longer ours (410).
    Revoked,
}

/// A verified courier link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CourierLink {
    /// The job.
    pub job: Uuid,
    /// The courier it was given to.
    pub courier: CourierId,
    /// Void after.
    pub expires_at: DateTime<Utc>,
}

/// What the courier page shows: nothing clinical.
#[derive(Debug, Clone)]
pub struct CourierView {
    /// The job.
    pub job: JobRow,
    /// The courier.
    pub courier: Courier,
    /// Pickup site name.
    pub site_name: String,
    /// Pickup desk phone.
    pub site_phone: Option<String>,
    /// Stops in riding order with where each stands (`pending`, `delivered`, …).
    pub stops: Vec<(Stop, StopStatus)>,
    /// The link's expiry.
    pub expires_at: DateTime<Utc>,
}

/// What the courier did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourierActionKind {
    /// Collected the goods at the site.
    PickedUp,
    /// Diantar: handed over.
    Delivered,
    /// Tidak di rumah: nobody home.
    NotHome,
    /// Sakit, perlu perhatian: handed over, but the recipient is unwell and needs a visit
    /// (`stop.delivered` with `concern: unwell`).
    Unwell,
    /// Menolak: refused.
    Refused,
    /// Rantang kembali: yesterday's tin came back.
    TinReturned,
    /// A note only.
    Note,
}

impl CourierActionKind {
    /// From the page's action name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "picked_up" => Self::PickedUp,
            "delivered" => Self::Delivered,
            "not_home" => Self::NotHome,
            "unwell" => Self::Unwell,
            "refused" => Self::Refused,
            "tin_returned" => Self::TinReturned,
            "note" => Self::Note,
            _ => return None,
        })
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PickedUp => "picked_up",
            Self::Delivered => "delivered",
            Self::NotHome => "not_home",
            Self::Unwell => "unwell",
            Self::Refused => "refused",
            Self::TinReturned => "tin_returned",
            Self::Note => "note",
        }
    }
}

/// One action from the courier page, as queued on the phone.
#[derive(Debug, Clone)]
pub struct CourierAction {
    /// Made on the phone, unique per action: the de-duplication key.
    pub event_id: String,
    /// Per-job counter on the phone.
    pub seq: u64,
    /// What.
    pub kind: CourierActionKind,
    /// Which stop (all but `picked_up`).
    pub stop_id: Option<Uuid>,
    /// The patient's PIN (controlled medicine).
    pub pin: Option<String>,
    /// The courier's words.
    pub note: Option<String>,
    /// When it happened on the phone (it may have waited offline).
    pub occurred_at: Option<DateTime<Utc>>,
}

impl Dispatch {
    /// Add a courier (admin).
    pub async fn create_courier(&self, who: &Principal, c: Courier) -> Result<Courier> {
        require(who, &[Role::Admin])?;
        check_hours(c.work_start, c.work_end)?;
        let mut tx = self.store.begin().await?;
        store::sites::site_in(&mut tx, c.site_id)
            .await
            .map_err(|_| invalid("site_id", "unknown_site", format!("no site {}", c.site_id)))?;
        store::couriers::insert_courier(&mut tx, &c).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "create",
            "courier",
            Some(&c.id.to_string()),
            &json!({"site_id": c.site_id, "name": c.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Change a courier (admin); the site stays.
    pub async fn update_courier(
        &self,
        who: &Principal,
        id: CourierId,
        p: CourierPatch,
    ) -> Result<Courier> {
        require(who, &[Role::Admin])?;
        let mut tx = self.store.begin().await?;
        let mut c = store::couriers::courier_in(&mut tx, id)
            .await
            .map_err(|_| DispatchError::NotFound("courier"))?;
        if let Some(v) = p.name {
            c.name = v;
        }
        if let Some(v) = p.phone {
            c.phone = v;
        }
        if let Some(v) = p.vehicle {
            c.vehicle = v;
        }
        if let Some(v) = p.capacity {
            c.capacity = v;
        }
        if let Some(v) = p.max_stops {
            c.max_stops = v;
        }
        if let Some(v) = p.max_trips {
            c.max_trips = v;
        }
        if let Some(v) = p.working_days {
            c.working_days = v;
        }
        if let Some(v) = p.work_start {
            c.work_start = v;
        }
        if let Some(v) = p.work_end {
            c.work_end = v;
        }
        if let Some(v) = p.active {
            c.active = v;
        }
        check_hours(c.work_start, c.work_end)?;
        store::couriers::update_courier(&mut tx, &c).await?;
        audit::record(
            &mut tx,
            &who.actor(),
            "update",
            "courier",
            Some(&id.to_string()),
            &json!({"name": c.name, "active": c.active}),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Couriers: every site's for an admin or an unbound social worker; a site-bound member
    /// of staff sees only their site's.
    pub async fn list_couriers(
        &self,
        who: &Principal,
        site: Option<SiteId>,
    ) -> Result<Vec<Courier>> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let site = who.site_scope().or(site);
        Ok(self.store.couriers(site).await?)
    }

    /// Staff give a job to one of our couriers: a job held by the own fleet goes to another
    /// courier (the old link stops working), and a job nobody took is handed to the own fleet.
    pub async fn assign_job_courier(
        &self,
        who: &Principal,
        job_id: Uuid,
        courier_id: CourierId,
    ) -> Result<JobRow> {
        require(who, &[Role::Admin, Role::SocialWorker, Role::Pharmacist])?;
        let now = store::now();
        let actor = who.actor();
        let mut tx = self.store.begin().await?;
        let mut job = sj::lock_job(&mut tx, job_id, now)
            .await
            .map_err(|_| DispatchError::NotFound("job"))?;
        if who.site_scope().is_some_and(|s| s != job.site_id) {
            return Err(DispatchError::NotFound("job"));
        }
        let courier = store::couriers::courier_in(&mut tx, courier_id)
            .await
            .ok()
            .filter(|c| c.site_id == job.site_id)
            .ok_or_else(|| {
                invalid(
                    "courier_id",
                    "unknown_courier",
                    "no courier of this job's site has that id",
                )
            })?;
        if !courier.active {
            return Err(invalid(
                "courier_id",
                "inactive_courier",
                format!("{} no longer rides for us", courier.name),
            ));
        }
        let partner = self.own_fleet_partner_in(&mut tx).await?;
        let held_by_fleet = job.partner_id == Some(partner.id) && job.status.is_held();
        if !(held_by_fleet || job.status == JobStatus::Expired) {
            return Err(DispatchError::Conflict {
                code: "job_not_own_fleet",
                detail: format!(
                    "the job is {} with another partner; only a job of our own fleet or one nobody took can be given to a courier",
                    job.status
                ),
            });
        }
        let stops = live_stops(&mut tx, job.id).await?;
        let load: i64 = stops
            .iter()
            .map(|(_, o)| o.meal_tins.max(o.parcels).max(1))
            .sum();
        if let Some(why) = courier.unfit_for(stops.len(), load) {
            return Err(invalid("courier_id", "courier_too_small", why));
        }
        let was_expired = job.status == JobStatus::Expired;
        self.assign_courier_in(&mut tx, &mut job, &partner, &courier, &stops, now, &actor)
            .await?;
        if was_expired {
            sj::close_job_alerts(&mut tx, job.id, &actor, "given to an own courier", now).await?;
        }
        audit::record(
            &mut tx,
            &actor,
            "assign_courier",
            "job",
            Some(&job_id.to_string()),
            &json!({"courier_id": courier.id}),
        )
        .await?;
        tx.commit().await?;
        Ok(job)
    }

    async fn own_fleet_partner_in(&self, conn: &mut sqlx::AnyConnection) -> Result<Partner> {
        store::partners::offerable_partners_in(&mut *conn)
            .await?
            .into_iter()
            .find(|p| p.kind == crate::domain::PartnerKind::OwnFleet)
            .ok_or_else(|| DispatchError::Conflict {
                code: "no_own_fleet",
                detail: "no active own_fleet partner is configured".into(),
            })
    }

    /// The link path (`/kurir/{token}`) for the courier holding a job of our own fleet.
    pub async fn courier_link(&self, job: &JobRow) -> Result<Option<String>> {
        let mut conn = self.store.reader().acquire().await?;
        let Some(courier) = store::couriers::job_courier_in(&mut conn, job.id).await? else {
            return Ok(None);
        };
        if !job.status.is_held() && job.status != JobStatus::Completed {
            return Ok(None);
        }
        Ok(Some(format!(
            "/kurir/{}",
            self.courier_token(job.id, courier, self.link_expiry(job))
        )))
    }

    fn link_expiry(&self, job: &JobRow) -> DateTime<Utc> {
        let day = job.departure.with_timezone(&self.tz).date_naive();
        let next = day.succ_opt().unwrap_or(day);
        crate::domain::time::local_to_utc(next, NaiveTime::MIN, self.tz)
            + Duration::hours(LINK_MARGIN_H)
    }

    /// Mint a courier token.
    pub fn courier_token(
        &self,
        job: Uuid,
        courier: CourierId,
        expires_at: DateTime<Utc>,
    ) -> String {
        let mut payload = Vec::with_capacity(40);
        payload.extend_from_slice(job.as_bytes());
        payload.extend_from_slice(courier.0.as_bytes());
        payload.extend_from_slice(&expires_at.timestamp().to_be_bytes());
        let mac = self.link_mac(&payload);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(mac)
        )
    }

    fn link_mac(&self, payload: &[u8]) -> Vec<u8> {
        let mut data = b"courier-link:v1:".to_vec();
        data.extend_from_slice(payload);
        hex::decode(self.secrets.mac_hex(&data)).unwrap_or_default()
    }

    /// Check a courier token's signature and expiry (not yet whether the job is still theirs).
    pub fn verify_courier_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> std::result::Result<CourierLink, LinkError> {
        let (p, m) = token.split_once('.').ok_or(LinkError::Invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(p).map_err(|_| LinkError::Invalid)?;
        let mac = URL_SAFE_NO_PAD.decode(m).map_err(|_| LinkError::Invalid)?;
        if payload.len() != 40 || !constant_time_eq(&mac, &self.link_mac(&payload)) {
            return Err(LinkError::Invalid);
        }
        let job = Uuid::from_slice(&payload[..16]).map_err(|_| LinkError::Invalid)?;
        let courier = Uuid::from_slice(&payload[16..32]).map_err(|_| LinkError::Invalid)?;
        let exp = i64::from_be_bytes(payload[32..40].try_into().map_err(|_| LinkError::Invalid)?);
        let expires_at = DateTime::from_timestamp(exp, 0).ok_or(LinkError::Invalid)?;
        if now >= expires_at {
            return Err(LinkError::Expired);
        }
        Ok(CourierLink {
            job,
            courier: CourierId(courier),
            expires_at,
        })
    }

    /// What the courier page shows for a token. Each opening is recorded in the audit log as
    /// the courier's (the page shows recipients' names and phones).
    pub async fn courier_page(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> std::result::Result<CourierView, CourierPageError> {
        let link = self.verify_courier_token(token, now)?;
        let mut tx = self.store.begin().await.map_err(DispatchError::from)?;
        let job = sj::job_in(&mut tx, link.job)
            .await
            .map_err(|_| LinkError::Invalid)?;
        let holder = store::couriers::job_courier_in(&mut tx, job.id)
            .await
            .map_err(DispatchError::from)?;
        if holder != Some(link.courier) {
            return Err(LinkError::Revoked.into());
        }
        let courier = store::couriers::courier_in(&mut tx, link.courier)
            .await
            .map_err(DispatchError::from)?;
        let site = store::sites::site_in(&mut tx, job.site_id)
            .await
            .map_err(DispatchError::from)?;
        let live = live_stops(&mut tx, job.id).await?;
        let wire = wire_stops(&live);
        let stops = wire
            .into_iter()
            .map(|w| {
                let status = live
                    .iter()
                    .find(|(s, _)| s.id == w.stop_id.0)
                    .map_or(StopStatus::Pending, |(s, _)| s.status);
                (w, status)
            })
            .collect();
        audit::record(
            &mut tx,
            &format!("courier:{}", courier.id),
            "read",
            "job",
            Some(&job.id.to_string()),
            &json!({"page": "kurir"}),
        )
        .await
        .map_err(DispatchError::from)?;
        tx.commit().await.map_err(DispatchError::from)?;
        Ok(CourierView {
            job,
            courier,
            site_name: site.name,
            site_phone: site.phone.map(|p| p.to_string()),
            stops,
            expires_at: link.expires_at,
        })
    }

    /// Apply one action from the courier page: the same event a partner would send, through
    /// the same path, keyed by the page's event id.
    pub async fn courier_event(
        &self,
        token: &str,
        action: CourierAction,
        now: DateTime<Utc>,
    ) -> std::result::Result<EventOutcome, CourierPageError> {
        let link = self.verify_courier_token(token, now)?;
        let ok_id = !action.event_id.is_empty()
            && action.event_id.len() <= 64
            && action
                .event_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok_id {
            return Err(invalid(
                "event_id",
                "invalid_value",
                "1 to 64 letters, digits, - or _",
            )
            .into());
        }
        let (partner, job) = {
            let mut conn = self
                .store
                .reader()
                .acquire()
                .await
                .map_err(DispatchError::from)?;
            if store::couriers::job_courier_in(&mut conn, link.job)
                .await
                .map_err(|_| LinkError::Invalid)?
                != Some(link.courier)
            {
                return Err(LinkError::Revoked.into());
            }
            let job = sj::job_in(&mut conn, link.job)
                .await
                .map_err(DispatchError::from)?;
            let Some(partner) = job.partner_id else {
                return Err(LinkError::Revoked.into());
            };
            (partner, job)
        };
        // Offline actions carry when they happened; never later than now, never more than a
        // day back.
        let occurred_at = action
            .occurred_at
            .filter(|t| *t <= now && *t > now - Duration::hours(24))
            .unwrap_or(now);
        let webhook_id = format!("kurir_{}_{}", link.courier.0.simple(), action.event_id);
        let seq = action.seq.max(1);
        let need_stop = || {
            action.stop_id.ok_or_else(|| {
                CourierPageError::from(invalid("stop_id", "required", "which stop?"))
            })
        };
        let note = action
            .note
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(500).collect::<String>());
        let body = json!({
            "source": "courier_page",
            "courier_id": link.courier,
            "event_id": action.event_id,
            "seq": seq,
            "action": action.kind.as_str(),
            "stop_id": action.stop_id,
            "note": note,
            "occurred_at": occurred_at,
        })
        .to_string();
        let job_id = JobId(job.id);
        let failed = |reason: FailReason,
                      note: Option<String>|
         -> std::result::Result<InboundEvent, CourierPageError> {
            Ok(InboundEvent::StopFailed(StopFailed {
                job_id,
                occurred_at,
                seq,
                stop_id: StopId(need_stop()?),
                reason,
                note,
            }))
        };
        let event = match action.kind {
            CourierActionKind::PickedUp => InboundEvent::JobPickedUp(JobPickedUp {
                job_id,
                occurred_at,
                seq,
            }),
            // Sakit, perlu perhatian: handed over (with the PIN for controlled medicine, as
            // Diantar), and someone must visit.
            CourierActionKind::Delivered | CourierActionKind::Unwell => {
                let pin = action
                    .pin
                    .as_deref()
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned);
                let unwell = action.kind == CourierActionKind::Unwell;
                InboundEvent::StopDelivered(StopDelivered {
                    job_id,
                    occurred_at,
                    seq,
                    stop_id: StopId(need_stop()?),
                    proof: Proof {
                        pin,
                        photo_url: None,
                        recipient_name: Some("diserahkan oleh kurir antar".into()),
                    },
                    fare_idr: None,
                    concern: unwell.then_some(Concern::Unwell),
                    note: if unwell { note.clone() } else { None },
                })
            }
            CourierActionKind::NotHome => failed(FailReason::NotHome, note.clone())?,
            CourierActionKind::Refused => failed(FailReason::Refused, note.clone())?,
            CourierActionKind::TinReturned | CourierActionKind::Note => {
                let stop = need_stop()?;
                return Ok(self
                    .courier_record_in(
                        partner,
                        &webhook_id,
                        &job,
                        stop,
                        &action,
                        note,
                        seq,
                        &body,
                        now,
                    )
                    .await?);
            }
        };
        match self
            .partner_event_as(partner, Some(link.courier), &webhook_id, &event, &body, now)
            .await
        {
            Err(DispatchError::Conflict {
                code: "link_revoked",
                ..
            }) => Err(LinkError::Revoked.into()),
            other => Ok(other?),
        }
    }

    /// The page's actions with no partner event of their own (the tin came back, a note):
    /// recorded in the same event log with the same de-duplication.
    #[allow(clippy::too_many_arguments)]
    async fn courier_record_in(
        &self,
        partner: crate::domain::PartnerId,
        webhook_id: &str,
        job: &JobRow,
        stop_id: Uuid,
        action: &CourierAction,
        note: Option<String>,
        seq: u64,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<EventOutcome> {
        let mut tx = self.store.begin().await?;
        if sj::partner_event_seen(&mut tx, partner, webhook_id).await? {
            return Ok(EventOutcome::Duplicate);
        }
        let mut stops = sj::stops_in(&mut tx, job.id).await?;
        let Some(stop) = stops
            .iter_mut()
            .find(|s| s.id == stop_id && s.status != StopStatus::Removed)
        else {
            return Err(invalid(
                "stop_id",
                "unknown_stop",
                "this job has no such stop",
            ));
        };
        let (event_type, outcome) = match action.kind {
            CourierActionKind::TinReturned => {
                let fresh = store::couriers::mark_tin_returned(&mut tx, stop.id, now).await?;
                (
                    "courier.tin_returned",
                    if fresh {
                        EventOutcome::Applied
                    } else {
                        EventOutcome::Stale
                    },
                )
            }
            _ => {
                let Some(n) = note else {
                    return Err(invalid("note", "required", "write the note"));
                };
                stop.note = Some(match stop.note.take() {
                    Some(old) if !old.is_empty() => format!("{old}\n{n}"),
                    _ => n,
                });
                stop.updated_at = now;
                sj::update_stop(&mut tx, stop).await?;
                ("courier.note", EventOutcome::Applied)
            }
        };
        sj::record_partner_event(
            &mut tx,
            partner,
            webhook_id,
            job.id,
            event_type,
            i64::try_from(seq).unwrap_or(i64::MAX),
            action.occurred_at.unwrap_or(now).min(now),
            outcome.as_str(),
            body,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

/// A job of our own fleet and the link to share with its courier.
#[derive(Debug, Clone)]
pub struct CourierShare {
    /// The job.
    pub job_id: Uuid,
    /// Planned departure.
    pub departure: DateTime<Utc>,
    /// The courier.
    pub courier: Courier,
    /// `/kurir/{token}`.
    pub link: String,
}

impl Dispatch {
    /// The day's jobs held by our own couriers, with the links staff share (staff; the same
    /// access as the job list).
    pub async fn courier_shares(
        &self,
        who: &Principal,
        date: chrono::NaiveDate,
    ) -> Result<Vec<CourierShare>> {
        let from = crate::domain::time::local_to_utc(date, NaiveTime::MIN, self.tz);
        let until = crate::domain::time::local_to_utc(
            date.succ_opt().unwrap_or(date),
            NaiveTime::MIN,
            self.tz,
        );
        let jobs = self
            .list_jobs(
                who,
                sj::JobFilter {
                    from: Some(from),
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await?;
        let mut out = Vec::new();
        let mut conn = self.store.reader().acquire().await?;
        for job in jobs
            .into_iter()
            .filter(|j| j.departure < until && j.status.is_held())
        {
            let Some(cid) = store::couriers::job_courier_in(&mut conn, job.id).await? else {
                continue;
            };
            let courier = store::couriers::courier_in(&mut conn, cid).await?;
            out.push(CourierShare {
                job_id: job.id,
                departure: job.departure,
                link: format!(
                    "/kurir/{}",
                    self.courier_token(job.id, cid, self.link_expiry(&job))
                ),
                courier,
            });
        }
        Ok(out)
    }
}

fn check_hours(start: NaiveTime, end: NaiveTime) -> Result<()> {
    if start >= end {
        return Err(DispatchError::Invalid(vec![
            super::roster::end_before_start(),
        ]));
    }
    Ok(())
}

/// Why the courier page refused.
#[derive(Debug)]
pub enum CourierPageError {
    /// The link.
    Link(LinkError),
    /// The action (wrong PIN, unknown stop…) or a failure.
    Dispatch(DispatchError),
}

impl From<LinkError> for CourierPageError {
    fn from(e: LinkError) -> Self {
        Self::Link(e)
    }
}

impl From<DispatchError> for CourierPageError {
    fn from(e: DispatchError) -> Self {
        Self::Dispatch(e)
    }
}
