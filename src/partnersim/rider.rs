//! What happens after the answer: decisions sent later by callback, and rides.
//!
//! A ride: a courier is found (`courier.assigned`), rides from nearby to the pickup, waits for
//! the pickup window, loads (`job.picked_up`), then for each stop rides along the road graph
//! (`courier.location` points on the way), arrives (`stop.arrived`), spends the service time at
//! the door and hands over (`stop.delivered` with proof, now and then with `"concern": "unwell"`)
//! or not (`stop.failed`, now and then `recipient_unwell`). Every wait is simulated time, cut
//! short by `job.cancelled`.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;

use super::events::{Posted, post};
use super::{Busy, Job, Shared, people};
use crate::clock;
use crate::domain::LatLon;
use crate::webhooks::inbound::{
    Concern, CourierAssigned, CourierLocation, FailReason, InboundEvent, JobAccepted, JobPickedUp,
    JobRejected, Proof, StopArrived, StopDelivered, StopFailed,
};
use crate::webhooks::outbound::{Handover, OfferId, Stop};

/// Town riding speed when there is no road graph: 25 km/h on a line 1.3 times the straight one.
const FALLBACK_SPEED_MPS: f64 = 25.0 / 3.6;
const FALLBACK_DETOUR: f64 = 1.3;
/// `courier.location` points posted per leg.
const LOCATIONS_PER_LEG: u32 = 3;

/// Take these stops as the job's accepted stops, and start riding unless a ride is under way
/// (after an accepted `job.updated`, the ride reads the new stops at pickup).
pub(super) fn start_or_update(shared: &Arc<Shared>, job: &Arc<Job>, stops: Vec<Stop>) {
    let mut ride = job.ride();
    ride.stops = stops;
    if !ride.riding && !ride.finished {
        ride.riding = true;
        let busy = Busy::new(shared);
        tokio::spawn(run(shared.clone(), job.clone(), busy));
    }
}

/// The decision for an offer answered `202`: think a while, then post it. Nothing is sent if
/// the offer was withdrawn or superseded meanwhile.
pub(super) async fn decide_later(
    shared: Arc<Shared>,
    job: Arc<Job>,
    offer_id: OfferId,
    accept: Option<Vec<Stop>>,
    reason: String,
    _busy: Busy,
) {
    let mut rng = shared.rng("later", offer_id.0);
    let think = Duration::from_secs(rng.random_range(10..=90));
    let mut pending = job.pending.subscribe();
    let mut cancel = job.cancel.subscribe();
    tokio::select! {
        _ = tokio::time::sleep(shared.real(think)) => {}
        _ = pending.wait_for(|p| *p != Some(offer_id)) => return,
        _ = cancel.wait_for(|c| *c) => return,
    }
    if *job.pending.borrow() != Some(offer_id) || job.cancelled() {
        return;
    }
    match accept {
        Some(stops) => {
            let posted = post(&shared, &job, |seq, occurred_at| {
                InboundEvent::JobAccepted(JobAccepted {
                    job_id: job.id,
                    offer_id,
                    occurred_at,
                    seq,
                })
            })
            .await;
            clear_pending(&job, offer_id);
            if posted == Posted::Taken {
                shared.stat(|s| s.offers_accepted += 1);
                start_or_update(&shared, &job, stops);
            }
        }
        None => {
            let posted = post(&shared, &job, |seq, occurred_at| {
                InboundEvent::JobRejected(JobRejected {
                    job_id: job.id,
                    offer_id,
                    occurred_at,
                    seq,
                    reason,
                })
            })
            .await;
            clear_pending(&job, offer_id);
            if posted == Posted::Taken {
                shared.stat(|s| s.offers_rejected += 1);
            }
        }
    }
}

fn clear_pending(job: &Job, offer_id: OfferId) {
    job.pending.send_if_modified(|p| {
        let hit = *p == Some(offer_id);
        if hit {
            *p = None;
        }
        hit
    });
}

async fn run(shared: Arc<Shared>, job: Arc<Job>, _busy: Busy) {
    let done = ride(&shared, &job).await.is_some();
    let mut state = job.ride();
    state.riding = false;
    if done {
        state.finished = true;
        shared.stat(|s| s.jobs_completed += 1);
    }
}

/// The whole ride; `None` when it stopped early (cancelled, or antar refused the courier).
async fn ride(shared: &Shared, job: &Job) -> Option<()> {
    let mut rng = shared.rng("ride", job.id.0);
    let courier = people::courier(&mut rng);
    // Finding a courier takes a moment; it also lets antar record a synchronous acceptance
    // before the first callback about the job arrives.
    wait(shared, job, secs(rng.random_range(20..=90))).await?;
    let assigned = post(shared, job, |seq, occurred_at| {
        InboundEvent::CourierAssigned(CourierAssigned {
            job_id: job.id,
            occurred_at,
            seq,
            name: courier.name,
            plate: courier.plate,
            phone: courier.phone,
        })
    })
    .await;
    if let Posted::Refused(status) = assigned {
        tracing::warn!(job = %job.id, status, "antar refused the courier; ride abandoned");
        return None;
    }

    let pickup = &job.offer.pickup;
    let start = people::nearby(pickup.location, &mut rng);
    let mut here = travel(shared, job, start, pickup.location).await?;
    let opens = pickup.window.start();
    let now = clock::now();
    if opens > now {
        wait(shared, job, (opens - now).to_std().unwrap_or_default()).await?;
    }
    // Calling the desk and loading.
    wait(shared, job, secs(rng.random_range(120..=300))).await?;
    let stops = {
        let mut state = job.ride();
        state.picked_up = true;
        state.stops.clone()
    };
    step(job)?;
    post(shared, job, |seq, occurred_at| {
        InboundEvent::JobPickedUp(JobPickedUp {
            job_id: job.id,
            occurred_at,
            seq,
        })
    })
    .await;

    for stop in &stops {
        here = travel(shared, job, here, stop.location).await?;
        step(job)?;
        post(shared, job, |seq, occurred_at| {
            InboundEvent::StopArrived(StopArrived {
                job_id: job.id,
                occurred_at,
                seq,
                stop_id: stop.stop_id,
            })
        })
        .await;
        wait(shared, job, secs(rng.random_range(120..=240))).await?;
        hand_over(shared, job, stop, &mut rng).await?;
    }
    Some(())
}

/// At the door: deliver with proof, or fail with a reason and a note; either way the courier
/// may find the recipient unwell and say so.
async fn hand_over(shared: &Shared, job: &Job, stop: &Stop, rng: &mut StdRng) -> Option<()> {
    step(job)?;
    // Drawn from the stop's own generator, so the ride's outcomes stay as they were.
    let mut own = shared.rng("unwell", stop.stop_id.0);
    let unwell = own.random_bool(shared.config.unwell_rate);
    if rng.random_bool(shared.config.fail_rate) {
        let (reason, note) = people::failure(rng);
        if unwell {
            let note = people::unwell_note(false, &mut own);
            return fail(shared, job, stop, FailReason::RecipientUnwell, note).await;
        }
        return fail(shared, job, stop, reason, note).await;
    }
    let concern = unwell.then(|| people::unwell_note(true, &mut own));
    let proof = match stop.handover {
        Handover::Pin => {
            let Some(pin) = shared.config.pins.get(stop.parcel_code.as_str()) else {
                return fail(
                    shared,
                    job,
                    stop,
                    FailReason::Other,
                    "PIN tidak diketahui".into(),
                )
                .await;
            };
            if rng.random_bool(shared.config.wrong_pin_rate) {
                // Misheard once: antar refuses it and the courier asks again (should antar take
                // it, the courier's app says done and so is the courier).
                let misheard = pin_proof(people::wrong_pin(&pin));
                if deliver(shared, job, stop, misheard, concern.clone()).await == Posted::Taken {
                    shared.stat(|s| s.stops_delivered += 1);
                    return Some(());
                }
                step(job)?;
            }
            pin_proof(pin)
        }
        Handover::InPerson => {
            if rng.random_bool(0.5) {
                Proof {
                    pin: None,
                    photo_url: None,
                    recipient_name: Some(stop.recipient_label.as_str().to_owned()),
                }
            } else {
                Proof {
                    pin: None,
                    photo_url: Some(format!(
                        "https://foto.mitra-sim.example/bukti/{}.jpg",
                        stop.stop_id
                    )),
                    recipient_name: None,
                }
            }
        }
    };
    deliver(shared, job, stop, proof, concern).await;
    shared.stat(|s| s.stops_delivered += 1);
    Some(())
}

fn pin_proof(pin: String) -> Proof {
    Proof {
        pin: Some(pin),
        photo_url: None,
        recipient_name: None,
    }
}

/// Post `stop.delivered`; `unwell` is the courier's note about a recipient found unwell.
async fn deliver(
    shared: &Shared,
    job: &Job,
    stop: &Stop,
    proof: Proof,
    unwell: Option<String>,
) -> Posted {
    post(shared, job, |seq, occurred_at| {
        InboundEvent::StopDelivered(StopDelivered {
            job_id: job.id,
            occurred_at,
            seq,
            stop_id: stop.stop_id,
            proof,
            fare_idr: None,
            concern: unwell.is_some().then_some(Concern::Unwell),
            note: unwell,
        })
    })
    .await
}

async fn fail(
    shared: &Shared,
    job: &Job,
    stop: &Stop,
    reason: FailReason,
    note: String,
) -> Option<()> {
    post(shared, job, |seq, occurred_at| {
        InboundEvent::StopFailed(StopFailed {
            job_id: job.id,
            occurred_at,
            seq,
            stop_id: stop.stop_id,
            reason,
            note: Some(note),
        })
    })
    .await;
    shared.stat(|s| s.stops_failed += 1);
    Some(())
}

/// Ride from `from` to `to`, posting a few positions on the way. Returns where the courier is.
async fn travel(shared: &Shared, job: &Job, from: LatLon, to: LatLon) -> Option<LatLon> {
    let (duration_s, geometry) = leg(shared, from, to);
    let part = Duration::from_secs_f64(duration_s.max(0.0) / f64::from(LOCATIONS_PER_LEG + 1));
    for k in 1..=LOCATIONS_PER_LEG {
        wait(shared, job, part).await?;
        let location = point_along(&geometry, f64::from(k) / f64::from(LOCATIONS_PER_LEG + 1));
        post(shared, job, |seq, occurred_at| {
            InboundEvent::CourierLocation(CourierLocation {
                job_id: job.id,
                occurred_at,
                seq,
                location,
            })
        })
        .await;
    }
    wait(shared, job, part).await?;
    Some(to)
}

/// Riding time in seconds and the line ridden: along the road graph when there is one and both
/// ends are on it, else a straight line at town speed.
fn leg(shared: &Shared, from: LatLon, to: LatLon) -> (f64, Vec<LatLon>) {
    if let Some(graph) = &shared.config.graph
        && let Ok(route) = graph.route(from, to)
        && !route.geometry.is_empty()
    {
        return (route.duration_s, route.geometry);
    }
    let metres = from.distance_m(to) * FALLBACK_DETOUR;
    (metres / FALLBACK_SPEED_MPS, vec![from, to])
}

/// The point `fraction` of the way along a line (by length).
fn point_along(line: &[LatLon], fraction: f64) -> LatLon {
    let Some(&first) = line.first() else {
        // Callers never pass an empty line; the origin keeps this total.
        return LatLon::new(0.0, 0.0).expect("the origin is a coordinate");
    };
    let lengths: Vec<f64> = line.windows(2).map(|w| w[0].distance_m(w[1])).collect();
    let total: f64 = lengths.iter().sum();
    if total <= 0.0 {
        return first;
    }
    let mut left = total * fraction.clamp(0.0, 1.0);
    for (w, len) in line.windows(2).zip(&lengths) {
        if left <= *len && *len > 0.0 {
            let t = left / len;
            let (a, b) = (w[0], w[1]);
            return LatLon::new(
                a.lat() + (b.lat() - a.lat()) * t,
                a.lon() + (b.lon() - a.lon()) * t,
            )
            .unwrap_or(a);
        }
        left -= len;
    }
    line.last().copied().unwrap_or(first)
}

async fn wait(shared: &Shared, job: &Job, simulated: Duration) -> Option<()> {
    shared.wait(job, simulated).await.then_some(())
}

/// `None` once the job is cancelled: the courier stops before the next report.
fn step(job: &Job) -> Option<()> {
    (!job.cancelled()).then_some(())
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_along_a_line_is_interpolated_by_length() {
        let a = LatLon::new(-8.0, 114.0).unwrap();
        let b = LatLon::new(-8.0, 114.01).unwrap();
        let c = LatLon::new(-8.0, 114.03).unwrap();
        let mid = point_along(&[a, b, c], 0.5);
        assert!((mid.lon() - 114.015).abs() < 1e-6, "{mid:?}");
        assert_eq!(point_along(&[a, b, c], 0.0), a);
        assert!((point_along(&[a, b, c], 1.0).lon() - 114.03).abs() < 1e-9);
        assert_eq!(point_along(&[a], 0.5), a);
    }
}
