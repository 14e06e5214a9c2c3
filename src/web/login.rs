//! Sign-in and sign-out pages.

use axum::Form;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::i18n::Lang;
use super::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, Staff, WebState, cookie, failure, layout};
use crate::crypto::constant_time_eq;
use crate::dispatch::staff::LoginOutcome;

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    _csrf: String,
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    hex::encode(bytes)
}

fn render(
    state: &WebState,
    lang: Lang,
    status: StatusCode,
    login: &str,
    error: Option<&str>,
) -> Response {
    let token = new_token();
    let body = html! {
        main {
            h1 { (lang.t("Masuk petugas", "Staff sign-in")) }
            @if let Some(e) = error { p.notice role="alert" { (e) } }
            form method="post" action="/login" {
                input type="hidden" name="_csrf" value=(token);
                label for="login" { (lang.t("Nama pengguna", "Login")) }
                input #login name="login" type="text" autocomplete="username" required value=(login);
                label for="password" { (lang.t("Kata sandi", "Password")) }
                input #password name="password" type="password" autocomplete="current-password" required;
                p { button type="submit" { (lang.t("Masuk", "Sign in")) } }
            }
        }
    };
    let mut res = (status, layout(lang, lang.t("Masuk", "Sign in"), None, body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&state.cookie(LOGIN_CSRF_COOKIE, &token, 3600)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `GET /login`
pub async fn page(State(state): State<WebState>, parts: Parts) -> Response {
    render(&state, super::lang_of(&parts), StatusCode::OK, "", None)
}

/// `POST /login`
pub async fn submit(
    State(state): State<WebState>,
    parts: Parts,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = super::lang_of(&parts);
    let sent_ok = cookie(&parts.headers, LOGIN_CSRF_COOKIE)
        .is_some_and(|c| !c.is_empty() && constant_time_eq(c.as_bytes(), form._csrf.as_bytes()));
    if !sent_ok {
        return super::csrf_refused(lang);
    }
    match state
        .dispatch
        .staff_login(&form.login, &form.password, &state.policy)
        .await
    {
        Ok(LoginOutcome::Ok(session)) => {
            let max_age = (session.expires_at - crate::store::now())
                .num_seconds()
                .max(0);
            let mut res = Redirect::to("/").into_response();
            if let Ok(v) =
                HeaderValue::from_str(&state.cookie(SESSION_COOKIE, &session.id, max_age))
            {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Ok(LoginOutcome::Refused) => render(
            &state,
            lang,
            StatusCode::UNAUTHORIZED,
            &form.login,
            Some(lang.t(
                "Nama pengguna atau kata sandi salah.",
                "Wrong login or password.",
            )),
        ),
        Ok(LoginOutcome::Locked(_)) => render(
            &state,
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            &form.login,
            Some(lang.t(
                "Terlalu banyak percobaan gagal. Akun ini dikunci sementara; coba lagi nanti.",
                "Too many failed attempts. This account is locked for a while; try again later.",
            )),
        ),
        Ok(LoginOutcome::NoWebAccess) => render(
            &state,
            lang,
            StatusCode::FORBIDDEN,
            &form.login,
            Some(lang.t(
                "Akun mitra tidak punya akses ke halaman petugas.",
                "Partner accounts have no access to the staff pages.",
            )),
        ),
        Err(e) => failure(lang, e),
    }
}

/// `POST /logout`
pub async fn logout(
    State(state): State<WebState>,
    headers: HeaderMap,
    staff: Staff,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    if let Some(id) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.dispatch.staff_logout(id).await
    {
        return failure(staff.lang, e);
    }
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&state.cookie(SESSION_COOKIE, "", 0)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}
