//! The staff web dashboard: server-rendered pages (maud), sign-in sessions in cookies, CSRF
//! tokens on every form, Indonesian and English, and live updates over server-sent events.
//!
//! Owns: pages, the session cookie and its extractor, CSRF checks, the small stylesheet and
//! script served from the binary. Depends on `dispatch` (every read and change goes through the
//! same use cases as the API, with their access rules and audit) and `domain`; must not depend
//! on `api` internals (one shared function aside: the prescription CSV parser the API and the
//! CLI use, called by the upload page) and must not speak SQL (that is `store`).

mod admin;
mod courier;
mod couriers;
pub mod i18n;
mod invoice;
mod login;
mod map;
mod people;
mod pharmacy;
mod reports;
mod routes;
mod today;
mod upload;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

use crate::crypto::constant_time_eq;
use crate::dispatch::staff::{LoginPolicy, csrf_token, principal_of};
use crate::dispatch::{Dispatch, DispatchError};
use crate::domain::records::User;
use crate::domain::{Principal, Role};
use i18n::Lang;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "antar_session";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "antar_lang";
/// The sign-in form's double-submit cookie (there is no session yet to bind a token to).
pub const LOGIN_CSRF_COOKIE: &str = "antar_login_csrf";

/// What the pages need: cheap clones only.
#[derive(Clone)]
pub struct WebState {
    /// The use cases.
    pub dispatch: Dispatch,
    /// Sign-in throttling and session lifetime.
    pub policy: LoginPolicy,
    /// Mark cookies `Secure` (set when the service is reached over TLS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// How often the live-update stream checks for changes.
    pub live_every: std::time::Duration,
}

impl WebState {
    /// Defaults: the standard login policy, checks every 3 seconds.
    pub fn new(dispatch: Dispatch, secure_cookies: bool) -> Self {
        Self {
            dispatch,
            policy: LoginPolicy::default(),
            secure_cookies,
            live_every: std::time::Duration::from_secs(3),
        }
    }

    /// A `Set-Cookie` value with the flags every antar cookie carries.
    fn cookie(&self, name: &str, value: &str, max_age_s: i64) -> String {
        format!(
            "{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{}",
            if self.secure_cookies { "; Secure" } else { "" }
        )
    }
}

/// The pages and their endpoints.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/today", get(today::page))
        .route("/today/live", get(today::live))
        .route("/today/events", get(today::events))
        .route("/alerts/{id}/acknowledge", post(today::acknowledge))
        .route("/alerts/{id}/close", post(today::close))
        .route("/pharmacy", get(pharmacy::page).post(pharmacy::submit))
        .route("/map", get(map::page))
        .route("/reports", get(reports::page))
        .route("/reports.csv", get(reports::csv))
        .route("/reports/invoice", get(invoice::page))
        .route("/reports/invoice.csv", get(invoice::csv))
        .route("/admin", get(admin::home))
        .route("/admin/sites", get(admin::sites).post(admin::create_site))
        .route(
            "/admin/sites/{id}",
            get(admin::site).post(admin::update_site),
        )
        .route(
            "/admin/partners",
            get(admin::partners).post(admin::create_partner),
        )
        .route(
            "/admin/partners/{id}",
            get(admin::partner).post(admin::update_partner),
        )
        .route("/admin/partners/{id}/active", post(admin::toggle_partner))
        .route(
            "/admin/partners/{id}/test-webhook",
            post(admin::test_webhook),
        )
        .route(
            "/admin/couriers",
            get(couriers::couriers).post(couriers::create_courier),
        )
        .route(
            "/admin/couriers/{id}",
            get(couriers::courier).post(couriers::update_courier),
        )
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/tokens", post(admin::create_token))
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/admin/audit", get(admin::audit))
        .route("/kurir/sw.js", get(courier::service_worker))
        .route("/kurir/{token}", get(courier::show))
        .route("/kurir/{token}/events", post(courier::event))
        .route("/pharmacy/orders/{id}", get(pharmacy::order_page))
        .route("/routes", get(routes::page))
        .route("/routes/{id}/seal", post(routes::seal))
        .route("/recipients", get(people::search))
        .route(
            "/recipients/new",
            get(people::new_page).post(people::create),
        )
        .route("/recipients/{id}", get(people::show).post(people::update))
        .route("/recipients/{id}/use-centroid", post(people::use_centroid))
        .route(
            "/enrolments/new",
            get(people::new_enrolment).post(people::create_enrolment),
        )
        .route("/enrolments/{id}/pause", post(people::pause))
        .route("/enrolments/{id}/resume", post(people::resume))
        .route(
            "/upload",
            get(upload::page)
                .post(upload::submit)
                .layer(DefaultBodyLimit::max(upload::UPLOAD_LIMIT)),
        )
        .route("/static/antar.css", get(stylesheet))
        .route("/static/live.js", get(script))
        .layer(middleware::from_fn_with_state(state.clone(), remember_lang))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

/// The value of a cookie in the request, if sent.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// The language of a request: `?lang=`, else the cookie, else Indonesian.
pub fn lang_of(parts: &Parts) -> Lang {
    query_lang(parts.uri.query())
        .or_else(|| cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or_default()
}

/// Keep a language chosen with `?lang=` in a cookie for the next pages.
async fn remember_lang(
    axum::extract::State(state): axum::extract::State<WebState>,
    req: Request,
    next: Next,
) -> Response {
    let chosen = query_lang(req.uri().query());
    let mut res = next.run(req).await;
    if let Some(l) = chosen
        && let Ok(v) = HeaderValue::from_str(&state.cookie(LANG_COOKIE, l.code(), 365 * 86400))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// A signed-in staff member, from the session cookie. Without a live session the request is
/// sent to the sign-in page.
pub struct Staff {
    /// The user.
    pub user: User,
    /// As whom the use cases see them.
    pub principal: Principal,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// Page language.
    pub lang: Lang,
}

impl Staff {
    /// The refusal of a form whose CSRF token is missing or wrong; `None` when it is right.
    pub fn csrf_refusal(&self, sent: &str) -> Option<Response> {
        (!constant_time_eq(sent.as_bytes(), self.csrf.as_bytes())).then(|| csrf_refused(self.lang))
    }
}

fn csrf_refused(lang: Lang) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        lang,
        lang.t(
            "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
            "The form has expired or is not valid. Reload the page and try again.",
        ),
    )
}

impl FromRequestParts<WebState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_of(parts);
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE).filter(|v| !v.is_empty()) else {
            return Err(Redirect::to("/login").into_response());
        };
        match state.dispatch.staff_session(id).await {
            Ok(Some(user)) => Ok(Staff {
                principal: principal_of(&user),
                csrf: csrf_token(id),
                user,
                lang,
            }),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(failure(lang, e)),
        }
    }
}

/// A refused or failed use case as a page: the status names the problem; internal details are
/// logged, never shown.
pub fn failure(lang: Lang, e: DispatchError) -> Response {
    let (status, text) = match &e {
        DispatchError::Forbidden(_) => (
            StatusCode::FORBIDDEN,
            lang.t("Anda tidak berhak membuka ini.", "You may not open this."),
        ),
        DispatchError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            lang.t("Tidak ditemukan.", "Not found."),
        ),
        DispatchError::Invalid(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("Isian tidak valid.", "Invalid input."),
        ),
        DispatchError::Conflict { .. } | DispatchError::Transition(_) => (
            StatusCode::CONFLICT,
            lang.t(
                "Tidak bisa: datanya sudah berubah. Muat ulang halaman.",
                "Not possible: the data has changed. Reload the page.",
            ),
        ),
        DispatchError::Store(_) | DispatchError::Internal(_) => {
            tracing::error!(error = %e, "web page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                lang.t(
                    "Terjadi kesalahan di server. Coba lagi sebentar lagi.",
                    "Something went wrong on the server. Try again shortly.",
                ),
            )
        }
    };
    message_page(status, lang, text)
}

fn message_page(status: StatusCode, lang: Lang, text: &str) -> Response {
    let body = html! {
        main {
            p.notice { (text) }
            p { a href="/" { (lang.t("Kembali ke beranda", "Back to the start page")) } }
        }
    };
    (status, layout(lang, "antar", None, body)).into_response()
}

/// The page frame: head, navigation (when signed in), content.
pub fn layout(lang: Lang, title: &str, staff: Option<&Staff>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · antar" }
                link rel="stylesheet" href="/static/antar.css";
            }
            body {
                header {
                    nav aria-label=(lang.t("Menu utama", "Main menu")) {
                        strong { "antar" }
                        @if let Some(s) = staff {
                            @if s.user.role != Role::Pharmacist {
                                a href="/today" { (lang.t("Hari ini", "Today")) }
                            }
                            a href="/map" { (lang.t("Peta", "Map")) }
                            @if matches!(s.user.role, Role::Pharmacist | Role::Admin) {
                                a href="/pharmacy" { (lang.t("Resep", "Prescriptions")) }
                            }
                            a href="/upload" { (lang.t("Unggah", "Upload")) }
                            @if s.user.role != Role::Pharmacist {
                                a href="/reports" { (lang.t("Laporan", "Report")) }
                                a href="/recipients" { (lang.t("Penerima", "Recipients")) }
                                a href="/routes" { (lang.t("Rute", "Routes")) }
                            }
                            @if s.user.role == Role::Admin {
                                a href="/admin" { (lang.t("Admin", "Admin")) }
                            }
                        }
                        span.lang {
                            @if lang == Lang::Id { a href="?lang=en" lang="en" { "English" } }
                            @else { a href="?lang=id" lang="id" { "Bahasa Indonesia" } }
                        }
                        @if let Some(s) = staff {
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="_csrf" value=(s.csrf);
                                button type="submit" { (lang.t("Keluar", "Sign out")) " (" (s.user.name) ")" }
                            }
                        }
                    }
                }
                (content)
            }
        }
    }
}

async fn home(staff: Staff) -> Redirect {
    if staff.user.role == Role::Pharmacist {
        Redirect::to("/pharmacy")
    } else {
        Redirect::to("/today")
    }
}

const CSS: &str = include_str!("antar.css");
const JS: &str = include_str!("live.js");

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        JS,
    )
        .into_response()
}
