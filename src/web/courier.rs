//! The courier page, `/kurir/{token}`: what one of our own couriers opens from the link staff
//! shared by WhatsApp. No login, no app, in Bahasa Indonesia, made for a 360 px screen on 2G:
//! one server-rendered page with its CSS and script inline (a few kilobytes), stops in riding
//! order with landmark, recipient label, a call button and an "open in Maps" link, a PIN field
//! for controlled medicine, and the buttons Diantar / Tidak di rumah / Sakit, perlu perhatian /
//! Menolak / Rantang kembali and a note.
//!
//! Every tap becomes an action with an id made on the phone (`crypto.randomUUID`) and a per-job
//! counter, queued in `localStorage` and sent in order to `POST /kurir/{token}/events`; a send
//! that fails for the network stays queued and is retried when the browser says it is `online`
//! again and every few seconds, so actions taken without signal arrive once the signal is back,
//! in order. The server de-duplicates by the action's id, so a retry after a lost answer is
//! harmless. A small service worker keeps the page so it reopens without signal; it never
//! touches the `POST`s. The page sets no cookie and the token in the path is the credential
//! for this one job, so there is no cross-site form to guard with a CSRF token.
//!
//! Depends on `dispatch::fleet` for every read and change; must not speak SQL.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::Deserialize;
use uuid::Uuid;

use super::WebState;
use crate::dispatch::DispatchError;
use crate::dispatch::fleet::{
    CourierAction, CourierActionKind, CourierPageError, CourierView, LinkError,
};
use crate::domain::{JobStatus, OrderKind, StopStatus};
use crate::webhooks::outbound::Handover;

const CSS: &str = "body{font:16px/1.4 system-ui,sans-serif;margin:0;padding:8px;max-width:40em}\
h1{font-size:1.2em;margin:.2em 0}h2{font-size:1.05em;margin:.2em 0}\
ol{padding:0;list-style:none}li{border:1px solid #999;border-radius:6px;padding:8px;margin:8px 0}\
li.done{background:#eef7ee}li.fail{background:#fdf0e6}\
button,a.b{display:inline-block;font-size:1em;padding:10px 8px;margin:3px 2px;border-radius:6px;border:1px solid #555;background:#fff;color:#000;text-decoration:none}\
button:focus,a:focus,input:focus,textarea:focus{outline:3px solid #06c}\
button.ok{background:#1a7f37;color:#fff}label{display:block;margin-top:4px}\
input,textarea{font-size:1em;width:100%;box-sizing:border-box;padding:6px}\
#q{padding:6px;border-radius:6px;background:#eee}#q.pending{background:#fff3c4}\
.st{font-weight:normal;font-size:.9em}.msg{color:#a00}";

const JS: &str = r#"(function(){
var b=document.body,T=b.getAttribute('data-token'),K='antar-q-'+T.slice(0,22),S='antar-seq-'+T.slice(0,22);
var q=JSON.parse(localStorage.getItem(K)||'[]'),busy=false;
var L={delivered:'Diantar',not_home:'Tidak di rumah',unwell:'Sakit, perlu perhatian',refused:'Menolak',tin_returned:'Rantang kembali',note:'Catatan',picked_up:'Barang diambil'};
function $(i){return document.getElementById(i);}
function show(){var e=$('q');e.textContent=q.length?q.length+' menunggu dikirim':'Semua terkirim';e.className=q.length?'pending':'sent';}
function save(){localStorage.setItem(K,JSON.stringify(q));show();}
function uid(){if(window.crypto&&crypto.randomUUID)return crypto.randomUUID();return Date.now().toString(36)+'-'+Math.random().toString(36).slice(2);}
function seq(){var n=(+localStorage.getItem(S)||0)+1;localStorage.setItem(S,n);return n;}
function say(s,t){var m=s&&$('m-'+s);if(m)m.textContent=t;else if(t)alert(t);}
function mark(s,a,t,k){var e=s&&$('st-'+s),li=s&&$('s-'+s);if(e)e.textContent='('+L[a]+' '+t+')';if(li)li.setAttribute(k,a);}
function add(a,s){
 var ev={event_id:uid(),seq:seq(),action:a,stop_id:s||null,occurred_at:new Date().toISOString()};
 if(s){var p=$('pin-'+s),n=$('note-'+s);if(p&&p.value)ev.pin=p.value;if(n&&n.value)ev.note=n.value;
  if(a==='note'&&!ev.note){say(s,'Tulis catatannya dulu.');return;}}
 q.push(ev);save();mark(s,a,'menunggu','data-queued');say(s,'');flush();}
function flush(){if(busy||!q.length)return;busy=true;var ev=q[0];
 fetch(location.pathname+'/events',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(ev)})
 .then(function(r){if(r.status>=500)throw 0;return r.json().catch(function(){return{};}).then(function(d){
  if(r.ok)mark(ev.stop_id,ev.action,'\u2713','data-sent');else{mark(ev.stop_id,ev.action,'ditolak','data-refused');say(ev.stop_id,d.detail||'Ditolak.');}
  q.shift();save();busy=false;flush();});})
 .catch(function(){busy=false;});}
document.addEventListener('click',function(e){var t=e.target.closest('button[data-a]');if(!t)return;
 var li=t.closest('li');add(t.getAttribute('data-a'),li?li.getAttribute('data-stop'):null);});
addEventListener('online',flush);setInterval(flush,5000);
if('serviceWorker' in navigator)navigator.serviceWorker.register('/kurir/sw.js',{scope:'/kurir/'}).catch(function(){});
if(window.caches)caches.open('antar-kurir-v1').then(function(c){return c.match(location.href).then(function(m){return m||c.add(location.href);});}).then(function(){b.setAttribute('data-kept','1');}).catch(function(){});
show();flush();})();"#;

const SERVICE_WORKER: &str = r#"var C='antar-kurir-v1';
self.addEventListener('install',function(e){self.skipWaiting();});
self.addEventListener('fetch',function(e){var r=e.request;
 if(r.method!=='GET'||r.mode!=='navigate')return;
 e.respondWith(fetch(r).then(function(res){if(res.ok){var c=res.clone();caches.open(C).then(function(k){k.put(r,c);});}return res;})
 .catch(function(){return caches.match(r).then(function(m){return m||new Response('Tidak ada sinyal. Coba lagi nanti.',{status:503,headers:{'content-type':'text/plain; charset=utf-8'}});});}));});"#;

fn frame(title: &str, token: Option<&str>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="id" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body data-token=[token] {
                (content)
                @if token.is_some() { script { (PreEscaped(JS)) } }
            }
        }
    }
}

fn refusal(e: LinkError) -> Response {
    let (status, text) = match e {
        LinkError::Invalid => (
            StatusCode::FORBIDDEN,
            "Tautan ini tidak sah. Minta tautan baru kepada petugas.",
        ),
        LinkError::Expired => (
            StatusCode::GONE,
            "Tautan ini sudah kedaluwarsa. Minta tautan hari ini kepada petugas.",
        ),
        LinkError::Revoked => (
            StatusCode::GONE,
            "Antaran ini sudah dialihkan ke kurir lain atau dibatalkan. Hubungi petugas.",
        ),
    };
    let body = frame(
        "Tautan kurir",
        None,
        html! { main { h1 { "antar" } p.msg { (text) } } },
    );
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

fn status_label(s: StopStatus) -> &'static str {
    match s {
        StopStatus::Pending => "Belum",
        StopStatus::Arrived => "Sudah sampai",
        StopStatus::Delivered => "Diantar \u{2713}",
        StopStatus::Failed => "Tidak berhasil",
        StopStatus::Removed => "Dibatalkan",
    }
}

fn page(token: &str, v: &CourierView, tz: chrono_tz::Tz) -> Markup {
    let hm = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let meal = v.job.kind == OrderKind::Meal;
    let before_pickup = v.job.status.rank() < JobStatus::PickedUp.rank();
    let content = html! {
        header {
            h1 { "Antaran " (v.job.departure.with_timezone(&tz).format("%d-%m-%Y")) }
            p { "Kurir: " (v.courier.name) br; "Ambil di: " strong { (v.site_name) } " pukul " (hm(v.job.departure))
                @if let Some(p) = &v.site_phone { " · " a href={ "tel:" (p) } { "Telepon " (p) } } }
            p #q role="status" aria-live="polite" { "Semua terkirim" }
            @if before_pickup {
                button.ok type="button" data-a="picked_up" { "Barang sudah saya ambil" }
            }
        }
        main {
            ol {
                @for (i, (s, status)) in v.stops.iter().enumerate() {
                    @let id = s.stop_id.0.to_string();
                    li id={ "s-" (id) } data-stop=(id) class=[match status { StopStatus::Delivered => Some("done"), StopStatus::Failed => Some("fail"), _ => None }] {
                        h2 { (i + 1) ". " (s.recipient_label) " " span.st id={ "st-" (id) } { "(" (status_label(*status)) ")" } }
                        @if let Some(l) = &s.landmark { p { strong { "Patokan: " } (l) } }
                        p { (s.address) }
                        p { "Jam " (hm(s.window.start())) "–" (hm(s.window.end())) " · " (s.parcel_code.as_str()) " · " (s.parcel_count) (if meal { " rantang" } else { " paket" }) }
                        p {
                            @if let Some(ph) = &s.contact_phone { a.b href={ "tel:" (ph) } { "Telepon" } }
                            a.b href={ "https://www.google.com/maps/search/?api=1&query=" (s.location.lat()) "," (s.location.lon()) } rel="noopener" { "Buka di Maps" }
                        }
                        @if matches!(s.handover, Handover::Pin) {
                            label for={ "pin-" (id) } { "PIN dari pasien (wajib)" }
                            input id={ "pin-" (id) } inputmode="numeric" autocomplete="off" maxlength="12";
                        }
                        label for={ "note-" (id) } { "Catatan" }
                        textarea id={ "note-" (id) } rows="2" maxlength="500" {}
                        div {
                            button.ok type="button" data-a="delivered" { "Diantar" }
                            button type="button" data-a="not_home" { "Tidak di rumah" }
                            button type="button" data-a="unwell" { "Sakit, perlu perhatian" }
                            button type="button" data-a="refused" { "Menolak" }
                            @if meal { button type="button" data-a="tin_returned" { "Rantang kembali" } }
                            button type="button" data-a="note" { "Kirim catatan" }
                        }
                        p.msg id={ "m-" (id) } role="alert" {}
                    }
                }
            }
            p { small { "Tautan berlaku sampai " (v.expires_at.with_timezone(&tz).format("%d-%m-%Y %H:%M %Z")) ". Jangan bagikan tautan ini." } }
        }
    };
    frame("Antaran · antar", Some(token), content)
}

/// `GET /kurir/{token}`.
pub async fn show(State(state): State<WebState>, Path(token): Path<String>) -> Response {
    match state
        .dispatch
        .courier_page(&token, crate::clock::now())
        .await
    {
        Ok(v) => (
            [
                (header::CACHE_CONTROL, "private, no-cache"),
                (header::REFERRER_POLICY, "no-referrer"),
            ],
            page(&token, &v, state.dispatch.tz()),
        )
            .into_response(),
        Err(CourierPageError::Link(e)) => refusal(e),
        Err(CourierPageError::Dispatch(e)) => super::failure(super::i18n::Lang::Id, e),
    }
}

/// One queued action as the page posts it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    event_id: String,
    seq: u64,
    action: String,
    #[serde(default)]
    stop_id: Option<Uuid>,
    #[serde(default)]
    pin: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    occurred_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn json_refusal(status: StatusCode, code: &str, detail: &str) -> Response {
    (
        status,
        Json(serde_json::json!({"status": "refused", "code": code, "detail": detail})),
    )
        .into_response()
}

/// `POST /kurir/{token}/events`: one action; answers `applied`, `duplicate` or `stale`, or
/// a refusal whose `detail` the page shows beside the stop.
pub async fn event(
    State(state): State<WebState>,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(b) = serde_json::from_slice::<ActionBody>(&body) else {
        return json_refusal(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Data tidak terbaca. Muat ulang halaman.",
        );
    };
    let Some(kind) = CourierActionKind::parse(&b.action) else {
        return json_refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_action",
            "Tombol tidak dikenal. Muat ulang halaman.",
        );
    };
    let action = CourierAction {
        event_id: b.event_id,
        seq: b.seq,
        kind,
        stop_id: b.stop_id,
        pin: b.pin,
        note: b.note,
        occurred_at: b.occurred_at,
    };
    match state
        .dispatch
        .courier_event(&token, action, crate::clock::now())
        .await
    {
        Ok(outcome) => Json(serde_json::json!({"status": outcome.as_str()})).into_response(),
        Err(CourierPageError::Link(LinkError::Invalid)) => {
            json_refusal(StatusCode::FORBIDDEN, "invalid_link", "Tautan tidak sah.")
        }
        Err(CourierPageError::Link(_)) => json_refusal(
            StatusCode::GONE,
            "link_gone",
            "Tautan sudah tidak berlaku. Hubungi petugas.",
        ),
        Err(CourierPageError::Dispatch(DispatchError::Invalid(errs))) => {
            let code = errs.first().map_or("invalid", |e| e.code);
            let detail = match code {
                "wrong_pin" => "PIN salah. Tanyakan lagi kepada pasien.",
                "pin_required" => "Obat ini hanya boleh diserahkan dengan PIN pasien.",
                "required" => "Isian belum lengkap.",
                _ => "Tidak bisa dicatat. Hubungi petugas.",
            };
            json_refusal(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
        }
        Err(CourierPageError::Dispatch(DispatchError::Conflict { code, .. })) => json_refusal(
            StatusCode::CONFLICT,
            code,
            "Antaran ini sudah berubah. Muat ulang halaman.",
        ),
        Err(CourierPageError::Dispatch(DispatchError::NotFound(_))) => json_refusal(
            StatusCode::NOT_FOUND,
            "not_found",
            "Tidak ditemukan. Muat ulang halaman.",
        ),
        Err(CourierPageError::Dispatch(e)) => {
            tracing::error!(error = %e, "courier event failed");
            json_refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "error",
                "Gangguan di server; akan dicoba lagi.",
            )
        }
    }
}

/// `GET /kurir/sw.js`: the service worker that keeps the page for reopening offline.
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SERVICE_WORKER,
    )
        .into_response()
}
