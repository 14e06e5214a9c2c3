//! `antar check-day`: after a day has been played (with or without the service being killed
//! along the way), read what the database says and check the promises a crash must not break:
//!
//! 1. every order of the day ends in a state that is final for the day, and its state history
//!    is one unbroken chain of allowed transitions, none recorded twice (double processing);
//! 2. no job was offered to two partners at once, and no job was accepted by two partners;
//! 3. no event was lost: no outbox row is left pending or failed, a dropped row says why, and
//!    every completed job has every stop handed over or failed;
//! 4. no offer was sent twice under different webhook-ids: exactly one outbox row per offer to
//!    a webhook partner, so a duplicate a partner sees can only be a retry of the same
//!    webhook-id (offers to a booking API go out as bookings, not webhooks);
//! 5. no booking with a booking-API partner is left unfinished (every one is `done`: delivered,
//!    without a driver, or called off with the company), and no offer to a booking-API partner
//!    was accepted twice (its bookings answer it once, whichever gets there first).
//!
//! Owns: [`DayCheck`], [`Check`], [`evaluate`], [`check_day`]. Depends on `store` (read-only
//! queries) and `domain`; must not depend on `api` or `dispatch`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use crate::domain::time::local_to_utc;
use crate::domain::{OrderKind, OrderStatus};
use crate::store::Store;
use crate::store::integrity::{
    AcceptanceFact, BookingFact, DayOrder, EventRow, OfferFact, OutboxFact, StopFact,
};

/// How many example ids a failed check names.
const EXAMPLES: usize = 5;

/// One invariant and whether it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Short name.
    pub name: &'static str,
    /// Whether it held.
    pub pass: bool,
    /// The numbers behind the verdict (and a few offending ids when it failed).
    pub detail: String,
}

/// Everything read from the database for one day.
#[derive(Debug, Clone, Default)]
pub struct DayFacts {
    /// The day's orders.
    pub orders: Vec<DayOrder>,
    /// Their state histories, by order then insertion.
    pub events: Vec<EventRow>,
    /// Offers of the day's jobs.
    pub offers: Vec<OfferFact>,
    /// Outbox rows of the day.
    pub outbox: Vec<OutboxFact>,
    /// Stops of the day's completed jobs.
    pub completed_stops: Vec<StopFact>,
    /// Bookings of the day's jobs with booking-API partners.
    pub bookings: Vec<BookingFact>,
    /// Acceptances recorded from booking-API partners for the day's jobs.
    pub booking_acceptances: Vec<AcceptanceFact>,
}

/// The verdict on a day.
#[derive(Debug, Clone)]
pub struct DayCheck {
    /// The local date checked.
    pub date: NaiveDate,
    /// Each invariant, in the order above.
    pub checks: Vec<Check>,
    /// Orders by status.
    pub orders_by_status: BTreeMap<String, i64>,
    /// Medicine back at `ready` for another attempt after the pharmacies closed.
    pub waiting_for_tomorrow: i64,
    /// Outbox rows by status.
    pub outbox_by_status: BTreeMap<String, i64>,
}

impl DayCheck {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.pass)
    }
}

impl fmt::Display for DayCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |m: &BTreeMap<String, i64>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(f, "Pemeriksaan hari / day check {}", self.date)?;
        writeln!(f, "  orders: {}", join(&self.orders_by_status))?;
        writeln!(
            f,
            "  medicine waiting for tomorrow: {}",
            self.waiting_for_tomorrow
        )?;
        writeln!(f, "  outbox: {}", join(&self.outbox_by_status))?;
        for c in &self.checks {
            writeln!(
                f,
                "  {} {}: {}",
                if c.pass { "PASS" } else { "FAIL" },
                c.name,
                c.detail
            )?;
        }
        write!(
            f,
            "{}",
            if self.passed() {
                "semua lulus / all passed"
            } else {
                "ADA YANG GAGAL / SOME FAILED"
            }
        )
    }
}

/// Read the day `date` (local, in `tz`) from `store` and check it.
pub async fn check_day(
    store: &Store,
    date: NaiveDate,
    tz: Tz,
) -> Result<DayCheck, crate::store::StoreError> {
    let from = local_to_utc(date, NaiveTime::MIN, tz);
    let until = local_to_utc(date.succ_opt().unwrap_or(date), NaiveTime::MIN, tz);
    let facts = DayFacts {
        orders: store.day_orders(from, until).await?,
        events: store.day_order_events(from, until).await?,
        offers: store.day_offers(from, until).await?,
        outbox: store.day_outbox(from, until).await?,
        completed_stops: store.day_completed_stops(from, until).await?,
        bookings: store.day_bookings(from, until).await?,
        booking_acceptances: store.day_booking_acceptances(from, until).await?,
    };
    Ok(evaluate(date, &facts))
}

fn examples<'a>(ids: impl IntoIterator<Item = &'a str>) -> String {
    let ids: Vec<&str> = ids.into_iter().take(EXAMPLES).collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (e.g. {})", ids.join(", "))
    }
}

/// Check the invariants on facts already read.
pub fn evaluate(date: NaiveDate, facts: &DayFacts) -> DayCheck {
    let mut orders_by_status = BTreeMap::new();
    for o in &facts.orders {
        *orders_by_status.entry(o.status.clone()).or_insert(0) += 1;
    }
    let mut outbox_by_status = BTreeMap::new();
    for x in &facts.outbox {
        *outbox_by_status.entry(x.status.clone()).or_insert(0) += 1;
    }
    let (final_check, waiting) = final_states(&facts.orders);
    DayCheck {
        date,
        checks: vec![
            final_check,
            chains(&facts.orders, &facts.events),
            offers_one_at_a_time(&facts.offers),
            one_partner_per_job(&facts.offers),
            outbox_finished(&facts.outbox),
            completed_jobs(&facts.completed_stops),
            one_row_per_offer(&facts.outbox, &facts.offers),
            bookings_finished(&facts.bookings),
            booking_offers_accepted_once(&facts.booking_acceptances, &facts.offers),
        ],
        orders_by_status,
        waiting_for_tomorrow: waiting,
        outbox_by_status,
    }
}

fn parse_kind(s: &str) -> Option<OrderKind> {
    match s {
        "meal" => Some(OrderKind::Meal),
        "medicine" => Some(OrderKind::Medicine),
        _ => None,
    }
}

fn final_states(orders: &[DayOrder]) -> (Check, i64) {
    let mut waiting = 0;
    let mut open: Vec<&str> = Vec::new();
    for o in orders {
        let status = o.status.parse::<OrderStatus>().ok();
        let kind = parse_kind(&o.kind);
        let done = match (status, kind) {
            (Some(s), Some(k)) => {
                s.is_final(k)
                    || s == OrderStatus::ReturnedToPharmacy
                    || s == OrderStatus::NeedsLocation
            }
            _ => false,
        };
        if done {
            continue;
        }
        if kind == Some(OrderKind::Medicine) && status == Some(OrderStatus::Ready) && o.attempt > 1
        {
            waiting += 1;
        } else {
            open.push(&o.id);
        }
    }
    let check = Check {
        name: "every order ends in a final state",
        pass: open.is_empty(),
        detail: format!(
            "{} orders: {} final, {} medicine waiting for tomorrow, {} not final{}",
            orders.len(),
            orders.len() as i64 - waiting - open.len() as i64,
            waiting,
            open.len(),
            examples(open.iter().copied())
        ),
    };
    (check, waiting)
}

fn chains(orders: &[DayOrder], events: &[EventRow]) -> Check {
    let mut by_order: HashMap<&str, Vec<&EventRow>> = HashMap::new();
    for e in events {
        by_order.entry(&e.order_id).or_default().push(e);
    }
    let mut broken: Vec<&str> = Vec::new();
    let mut doubled: Vec<&str> = Vec::new();
    for o in orders {
        let kind = parse_kind(&o.kind);
        let evs = by_order
            .get(o.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut ok = !evs.is_empty();
        let mut seen = BTreeSet::new();
        let mut twice = false;
        for (i, e) in evs.iter().enumerate() {
            if !seen.insert((
                e.from_status.as_deref(),
                e.to_status.as_str(),
                e.at.as_str(),
            )) {
                twice = true;
            }
            if i == 0 {
                continue;
            }
            let prev = &evs[i - 1].to_status;
            if e.from_status.as_ref() != Some(prev) {
                ok = false;
                continue;
            }
            let allowed = match (
                prev.parse::<OrderStatus>(),
                e.to_status.parse::<OrderStatus>(),
                kind,
            ) {
                (Ok(a), Ok(b), Some(k)) => a.can_become(b, k),
                _ => false,
            };
            ok &= allowed;
        }
        if evs.last().is_some_and(|e| e.to_status != o.status) {
            ok = false;
        }
        if !ok {
            broken.push(&o.id);
        }
        if twice {
            doubled.push(&o.id);
        }
    }
    Check {
        name: "every order's history is one chain, no transition twice",
        pass: broken.is_empty() && doubled.is_empty(),
        detail: format!(
            "{} events of {} orders: {} broken chains{}, {} orders with a transition recorded twice{}",
            events.len(),
            orders.len(),
            broken.len(),
            examples(broken.iter().copied()),
            doubled.len(),
            examples(doubled.iter().copied())
        ),
    }
}

fn by_job(offers: &[OfferFact]) -> BTreeMap<&str, Vec<&OfferFact>> {
    let mut m: BTreeMap<&str, Vec<&OfferFact>> = BTreeMap::new();
    for o in offers {
        m.entry(&o.job_id).or_default().push(o);
    }
    for list in m.values_mut() {
        list.sort_by(|a, b| (a.offered_at, &a.id).cmp(&(b.offered_at, &b.id)));
    }
    m
}

fn offers_one_at_a_time(offers: &[OfferFact]) -> Check {
    let jobs = by_job(offers);
    let mut overlapping: Vec<&str> = Vec::new();
    let mut still_pending = 0;
    for (job, list) in &jobs {
        still_pending += list.iter().filter(|o| o.status == "pending").count();
        // Intervals [offered_at, decided_at) in order of offering: each must end before the
        // next starts (an undecided offer never ends).
        let mut overlap = false;
        for w in list.windows(2) {
            match w[0].decided_at {
                Some(end) if end <= w[1].offered_at => {}
                _ => overlap = true,
            }
        }
        if overlap {
            overlapping.push(job);
        }
    }
    Check {
        name: "no job offered to two partners at once",
        pass: overlapping.is_empty(),
        detail: format!(
            "{} offers of {} jobs ({} still pending): {} jobs with overlapping offers{}",
            offers.len(),
            jobs.len(),
            still_pending,
            overlapping.len(),
            examples(overlapping.iter().copied())
        ),
    }
}

fn one_partner_per_job(offers: &[OfferFact]) -> Check {
    let jobs = by_job(offers);
    let mut accepted = 0;
    let mut two: Vec<&str> = Vec::new();
    for (job, list) in &jobs {
        let partners: BTreeSet<&str> = list
            .iter()
            .filter(|o| o.status == "accepted")
            .map(|o| o.partner_id.as_str())
            .collect();
        accepted += usize::from(!partners.is_empty());
        if partners.len() > 1 {
            two.push(job);
        }
    }
    Check {
        name: "no job accepted by two partners",
        pass: two.is_empty(),
        detail: format!(
            "{accepted} jobs accepted: {} by more than one partner{}",
            two.len(),
            examples(two.iter().copied())
        ),
    }
}

fn outbox_finished(outbox: &[OutboxFact]) -> Check {
    let unfinished: Vec<&OutboxFact> = outbox
        .iter()
        .filter(|x| x.status == "pending" || x.status == "failed")
        .collect();
    let silent_drops: Vec<&OutboxFact> = outbox
        .iter()
        .filter(|x| {
            x.status == "dropped" && x.last_error.as_deref().is_none_or(|e| e.trim().is_empty())
        })
        .collect();
    let ids: Vec<String> = unfinished
        .iter()
        .chain(&silent_drops)
        .map(|x| x.id.to_string())
        .collect();
    Check {
        name: "no event lost (outbox all delivered or dropped with a reason)",
        pass: unfinished.is_empty() && silent_drops.is_empty(),
        detail: format!(
            "{} outbox rows: {} pending or failed, {} dropped without a reason{}",
            outbox.len(),
            unfinished.len(),
            silent_drops.len(),
            examples(ids.iter().map(String::as_str))
        ),
    }
}

fn completed_jobs(stops: &[StopFact]) -> Check {
    let jobs: BTreeSet<&str> = stops.iter().map(|s| s.job_id.as_str()).collect();
    let open: BTreeSet<&str> = stops
        .iter()
        .filter(|s| !matches!(s.status.as_str(), "delivered" | "failed" | "removed"))
        .map(|s| s.job_id.as_str())
        .collect();
    Check {
        name: "every completed job has all stops final",
        pass: open.is_empty(),
        detail: format!(
            "{} completed jobs, {} stops: {} jobs with a stop still open{}",
            jobs.len(),
            stops.len(),
            open.len(),
            examples(open.iter().copied())
        ),
    }
}

fn one_row_per_offer(outbox: &[OutboxFact], offers: &[OfferFact]) -> Check {
    let mut rows: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut unreadable: Vec<String> = Vec::new();
    for x in outbox
        .iter()
        .filter(|x| x.event_type == "job.offered" || x.event_type == "job.updated")
    {
        let offer = serde_json::from_str::<serde_json::Value>(&x.body)
            .ok()
            .and_then(|v| v["data"]["offer_id"].as_str().map(str::to_owned));
        match (offer, &x.job_id) {
            (Some(offer), Some(job)) => *rows.entry((job.clone(), offer)).or_insert(0) += 1,
            _ => unreadable.push(x.id.to_string()),
        }
    }
    let twice: Vec<&(String, String)> = rows
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| k)
        .collect();
    // Only webhook partners are sent offers by webhook.
    let webhook_offers = offers.iter().filter(|o| o.partner_kind == "webhook");
    let unsent: Vec<&str> = webhook_offers
        .clone()
        .filter(|o| !rows.contains_key(&(o.job_id.clone(), o.id.clone())))
        .map(|o| o.id.as_str())
        .collect();
    let mut ex: Vec<&str> = twice.iter().map(|(_, o)| o.as_str()).collect();
    ex.extend(unsent.iter().copied());
    ex.extend(unreadable.iter().map(String::as_str));
    Check {
        name: "exactly one outbox row per offer (duplicates only as retries)",
        pass: twice.is_empty() && unsent.is_empty() && unreadable.is_empty(),
        detail: format!(
            "{} offer rows for {} offers to webhook partners: {} offers sent in more than one row, {} offers never sent, {} rows without an offer id{}",
            rows.values().sum::<usize>() + unreadable.len(),
            webhook_offers.count(),
            twice.len(),
            unsent.len(),
            unreadable.len(),
            examples(ex)
        ),
    }
}

fn bookings_finished(bookings: &[BookingFact]) -> Check {
    let open: Vec<&BookingFact> = bookings.iter().filter(|b| b.state != "done").collect();
    let offers: BTreeSet<&str> = bookings.iter().map(|b| b.offer_id.as_str()).collect();
    let ids: Vec<String> = open
        .iter()
        .map(|b| format!("{} {}", b.id, b.state))
        .collect();
    Check {
        name: "every booking with a booking API finished",
        pass: open.is_empty(),
        detail: format!(
            "{} bookings for {} offers: {} not done{}",
            bookings.len(),
            offers.len(),
            open.len(),
            examples(ids.iter().map(String::as_str))
        ),
    }
}

fn booking_offers_accepted_once(acceptances: &[AcceptanceFact], offers: &[OfferFact]) -> Check {
    let mut per_offer: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unnamed: Vec<&str> = Vec::new();
    for a in acceptances {
        match &a.offer_id {
            Some(o) => *per_offer.entry(o.as_str()).or_insert(0) += 1,
            None => unnamed.push(&a.webhook_id),
        }
    }
    let twice: Vec<&str> = per_offer
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(o, _)| *o)
        .collect();
    let accepted = offers
        .iter()
        .filter(|o| o.partner_kind == "booking_api" && o.status == "accepted")
        .count();
    let mut ex = twice.clone();
    ex.extend(unnamed.iter().copied());
    Check {
        name: "no offer to a booking API accepted twice",
        pass: twice.is_empty() && unnamed.is_empty(),
        detail: format!(
            "{} acceptances, {} accepted offers to booking APIs: {} offers accepted more than once, {} acceptances naming no offer{}",
            acceptances.len(),
            accepted,
            twice.len(),
            unnamed.len(),
            examples(ex)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(min: u32) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2031, 3, 4, 1, min, 0).unwrap()
    }

    fn offer(id: &str, partner: &str, status: &str, from: u32, to: Option<u32>) -> OfferFact {
        OfferFact {
            id: id.into(),
            job_id: "j1".into(),
            partner_id: partner.into(),
            partner_kind: "webhook".into(),
            status: status.into(),
            offered_at: at(from),
            decided_at: to.map(at),
        }
    }

    fn ev(id: i64, from: Option<&str>, to: &str) -> EventRow {
        EventRow {
            order_id: "o1".into(),
            id,
            from_status: from.map(str::to_owned),
            to_status: to.into(),
            at: format!("t{id}"),
        }
    }

    fn order(status: &str, kind: &str, attempt: i64) -> DayOrder {
        DayOrder {
            id: "o1".into(),
            kind: kind.into(),
            status: status.into(),
            attempt,
        }
    }

    #[test]
    fn back_to_back_offers_pass_and_overlapping_ones_fail() {
        let ok = [
            offer("a", "p1", "expired", 0, Some(2)),
            offer("b", "p2", "accepted", 2, Some(3)),
        ];
        assert!(offers_one_at_a_time(&ok).pass);
        let bad = [
            offer("a", "p1", "pending", 0, None),
            offer("b", "p2", "rejected", 1, Some(3)),
        ];
        let c = offers_one_at_a_time(&bad);
        assert!(
            !c.pass && c.detail.contains("1 jobs with overlapping"),
            "{c:?}"
        );
        let two = [
            offer("a", "p1", "accepted", 0, Some(1)),
            offer("b", "p2", "accepted", 2, Some(3)),
        ];
        assert!(!one_partner_per_job(&two).pass);
        // A re-offer of a changed job to the same partner is fine.
        let same = [
            offer("a", "p1", "accepted", 0, Some(1)),
            offer("b", "p1", "accepted", 2, Some(3)),
        ];
        assert!(one_partner_per_job(&same).pass);
    }

    #[test]
    fn a_broken_or_doubled_history_fails() {
        let o = [order("offered", "meal", 1)];
        let good = [
            ev(1, None, "ready"),
            ev(2, Some("ready"), "planned"),
            ev(3, Some("planned"), "offered"),
        ];
        assert!(chains(&o, &good).pass);
        let mut doubled = good.to_vec();
        doubled.push(EventRow {
            id: 4,
            ..good[2].clone()
        });
        assert!(!chains(&o, &doubled).pass);
        let skipped = [ev(1, None, "ready"), ev(2, Some("planned"), "offered")];
        assert!(!chains(&o, &skipped).pass);
        let illegal = [ev(1, None, "ready"), ev(2, Some("ready"), "offered")];
        assert!(!chains(&o, &illegal).pass);
    }

    #[test]
    fn medicine_waiting_for_tomorrow_is_counted_apart() {
        let (c, waiting) = final_states(&[order("ready", "medicine", 2)]);
        assert!(c.pass && waiting == 1, "{c:?}");
        let (c, _) = final_states(&[order("ready", "medicine", 1)]);
        assert!(!c.pass);
        let (c, _) = final_states(&[order("failed", "meal", 1)]);
        assert!(c.pass);
        let (c, _) = final_states(&[order("failed", "medicine", 1)]);
        assert!(!c.pass);
    }
}
