//! The partner's webhook endpoint: every `POST` (any path) is an antar event, verified against
//! antar's outbound secrets; `GET /stats` shows the simulator's statistics as JSON.
//!
//! Answers: a bad or missing signature → `401`, nothing done. A `webhook-id` seen before → the
//! first answer again, nothing redone (except after a `500`, which was transient: the retry gets
//! a real answer). `job.offered` / `job.updated` → `200` with [`OfferReply`], or `202` and a
//! callback later. `job.cancelled` / `offer.withdrawn` → `200`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rand::Rng;
use secrecy::ExposeSecret;
use serde_json::json;

use super::{Answer, Busy, Job, RideState, Shared, State as SimState, rider};
use crate::clock;
use crate::webhooks::outbound::{
    Envelope, JobCancelled, JobId, JobOffered, JobUpdated, OfferId, OfferWithdrawn, OutboundEvent,
};
use crate::webhooks::{OfferReply, verify_headers};

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/stats", get(stats))
        .fallback(webhook)
        .with_state(shared)
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.stats.borrow().clone()).into_response()
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        (status, axum::Json(self.body)).into_response()
    }
}

async fn webhook(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, "POST webhooks here").into_response();
    }
    let secrets: Vec<&str> = shared
        .config
        .outbound_secrets
        .iter()
        .map(|s| s.expose_secret())
        .collect();
    let id = match verify_headers(&secrets, &headers, &body, judged_at(&headers)) {
        Ok(id) => id.to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused: signature");
            shared.stat(|s| s.bad_signatures += 1);
            return error(StatusCode::UNAUTHORIZED, e.code(), &e.to_string());
        }
    };
    let seen = shared.state().answers.get(&id).cloned();
    if let Some(answer) = seen {
        shared.stat(|s| s.duplicates += 1);
        return answer.into_response();
    }
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "webhook refused: body");
            return error(StatusCode::BAD_REQUEST, "invalid_body", &e.to_string());
        }
    };
    match envelope.event {
        OutboundEvent::JobOffered(offer) => {
            let (job, offer_id) = (offer.job_id, offer.offer_id);
            answer_offer(&shared, id, job, offer_id, Incoming::New(offer)).await
        }
        OutboundEvent::JobUpdated(update) => {
            let (job, offer_id) = (update.job_id, update.offer_id);
            answer_offer(&shared, id, job, offer_id, Incoming::Update(update)).await
        }
        OutboundEvent::JobCancelled(c) => cancelled(&shared, id, &c).into_response(),
        OutboundEvent::OfferWithdrawn(w) => withdrawn(&shared, id, &w).into_response(),
    }
}

fn error(status: StatusCode, code: &str, detail: &str) -> Response {
    (status, axum::Json(json!({"error": code, "detail": detail}))).into_response()
}

enum Incoming {
    New(JobOffered),
    Update(JobUpdated),
}

/// What the simulator will do about one offer, rolled from the offer's own RNG so that the
/// answer to an offer is the same in every run.
struct Roll {
    error: bool,
    later: bool,
    slow: bool,
    accept: bool,
    reason: String,
}

async fn answer_offer(
    shared: &Arc<Shared>,
    id: String,
    job_id: JobId,
    offer_id: OfferId,
    incoming: Incoming,
) -> Response {
    let c = &shared.config;
    let mut rng = shared.rng("offer", offer_id.0);
    let roll = Roll {
        error: rng.random_bool(c.error_rate),
        later: rng.random_bool(c.async_rate),
        slow: rng.random_bool(c.slow_rate),
        accept: rng.random_bool(c.accept_rate),
        reason: super::people::reject_reason(&mut rng),
    };

    let answer = {
        let mut state = shared.state();
        // Checked again under the lock: a retry may have raced the first request.
        if let Some(answer) = state.answers.get(&id).cloned() {
            shared.stat(|s| s.duplicates += 1);
            return answer.into_response();
        }
        let retried = state.errored.contains(&id);
        if !retried {
            shared.stat(|s| s.offers_received += 1);
        }
        if roll.error && !retried {
            state.errored.insert(id);
            shared.stat(|s| s.errors_returned += 1);
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "temporary_failure",
                "Server mitra sedang sibuk, coba lagi",
            );
        }
        let answer = decide(shared, &mut state, job_id, offer_id, incoming, &roll);
        state.answers.insert(id, answer.clone());
        answer
    };
    if roll.slow {
        shared.stat(|s| s.slow_answers += 1);
        tokio::time::sleep(shared.real(shared.config.slow_delay)).await;
    }
    answer.into_response()
}

/// Decide under the state lock; spawns the ride or the later decision before the answer leaves,
/// so [`super::SimHandle::wait_idle`] after the answer waits for them.
fn decide(
    shared: &Arc<Shared>,
    state: &mut SimState,
    job_id: JobId,
    offer_id: OfferId,
    incoming: Incoming,
    roll: &Roll,
) -> Answer {
    let reject = |shared: &Arc<Shared>, reason: &str| {
        shared.stat(|s| s.offers_rejected += 1);
        reply(&OfferReply::Reject {
            reason: Some(reason.to_owned()),
        })
    };
    if state.stopping {
        return reject(shared, "Layanan mitra sedang berhenti");
    }
    let expires = match &incoming {
        Incoming::New(offer) => offer.offer_expires_at,
        Incoming::Update(update) => update.offer_expires_at,
    };
    if expires <= clock::now() {
        return reject(shared, "Penawaran sudah kedaluwarsa");
    }
    let (job, stops) = match incoming {
        Incoming::New(offer) => {
            let stops = offer.stops.clone();
            let job = state
                .jobs
                .entry(job_id)
                .or_insert_with(|| Arc::new(new_job(offer)))
                .clone();
            (job, stops)
        }
        Incoming::Update(update) => match state.jobs.get(&job_id) {
            Some(job) => (job.clone(), update.stops),
            None => return reject(shared, "Pekerjaan tidak dikenal mitra"),
        },
    };
    if job.cancelled() {
        return reject(shared, "Pekerjaan sudah dibatalkan");
    }
    if job.ride().picked_up {
        return reject(shared, "Barang sudah diambil kurir, rute tidak bisa diubah");
    }
    if roll.later {
        job.pending.send_replace(Some(offer_id));
        shared.stat(|s| s.async_decisions += 1);
        let accept = roll.accept.then_some(stops);
        let busy = Busy::new(shared);
        tokio::spawn(rider::decide_later(
            shared.clone(),
            job,
            offer_id,
            accept,
            roll.reason.clone(),
            busy,
        ));
        return Answer {
            status: 202,
            body: json!({"status": "pending", "detail": "Keputusan menyusul"}),
        };
    }
    // A decision now supersedes one still pending for an earlier offer of the job.
    job.pending.send_replace(None);
    if roll.accept {
        shared.stat(|s| s.offers_accepted += 1);
        rider::start_or_update(shared, &job, stops);
        reply(&OfferReply::Accept)
    } else {
        reject(shared, &roll.reason)
    }
}

fn new_job(offer: JobOffered) -> Job {
    let (cancel, _) = tokio::sync::watch::channel(false);
    let (pending, _) = tokio::sync::watch::channel(None);
    Job {
        id: offer.job_id,
        offer,
        seq: tokio::sync::Mutex::new(0),
        cancel,
        pending,
        ride: std::sync::Mutex::new(RideState::default()),
    }
}

fn reply(reply: &OfferReply) -> Answer {
    Answer {
        status: 200,
        body: serde_json::to_value(reply).unwrap_or_else(|_| json!({"decision": "reject"})),
    }
}

fn remember(state: &mut SimState, id: String, answer: Answer) -> Answer {
    state.answers.entry(id).or_insert(answer).clone()
}

fn cancelled(shared: &Shared, id: String, c: &JobCancelled) -> Answer {
    let mut state = shared.state();
    if let Some(job) = state.jobs.get(&c.job_id) {
        job.pending.send_replace(None);
        let known = !job.ride().finished;
        if !job.cancel.send_replace(true) && known {
            shared.stat(|s| s.jobs_cancelled += 1);
        }
    }
    remember(
        &mut state,
        id,
        Answer {
            status: 200,
            body: json!({}),
        },
    )
}

fn withdrawn(shared: &Shared, id: String, w: &OfferWithdrawn) -> Answer {
    let mut state = shared.state();
    if let Some(job) = state.jobs.get(&w.job_id) {
        let was_pending = job.pending.send_if_modified(|pending| {
            let hit = *pending == Some(w.offer_id);
            if hit {
                *pending = None;
            }
            hit
        });
        if was_pending {
            shared.stat(|s| s.offers_withdrawn += 1);
        }
    }
    remember(
        &mut state,
        id,
        Answer {
            status: 200,
            body: json!({}),
        },
    )
}

/// The instant a request's `webhook-timestamp` is judged against. The replay window is meant
/// for network and queueing delay, which are real time: on a scaled clock (`antar demo`, the
/// fault-injection runs, hundreds of simulated seconds per real second) the simulator measures
/// a timestamp's age in real seconds, so the window is not shrunk to a fraction of a second.
fn judged_at(headers: &HeaderMap) -> i64 {
    let now = clock::now().timestamp();
    let factor = clock::factor();
    let stamped = headers
        .get("webhook-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    match stamped {
        Some(t) if factor > 1.0 && now > t => t + ((now - t) as f64 / factor).round() as i64,
        _ => now,
    }
}
