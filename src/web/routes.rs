//! The standing meal routes page: each kitchen's routes as the planner keeps them from day to
//! day, and a button to seal a route (kept exactly: same stops, same order) or unseal it.
//!
//! Must not speak SQL or depend on `api`: it calls the same use cases as
//! `GET /api/v1/standing-routes` and `POST /api/v1/standing-routes/{id}/seal`.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::{Staff, WebState, failure, layout};
use crate::domain::{SiteId, SiteKind};

/// `?site=` picks the kitchen.
#[derive(Debug, Default, Deserialize)]
pub struct RoutesQuery {
    #[serde(default)]
    site: String,
}

/// The seal form.
#[derive(Debug, Default, Deserialize)]
pub struct SealForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    sealed: String,
}

/// `GET /routes?site=`
pub async fn page(
    State(state): State<WebState>,
    staff: Staff,
    Query(q): Query<RoutesQuery>,
) -> Response {
    let l = staff.lang;
    let sites = match state.dispatch.sites(&staff.principal).await {
        Ok(s) => s,
        Err(e) => return failure(l, e),
    };
    let kitchens: Vec<_> = sites
        .into_iter()
        .filter(|s| s.kind == SiteKind::Kitchen)
        .collect();
    let chosen: Option<SiteId> = q
        .site
        .parse()
        .ok()
        .or_else(|| kitchens.first().map(|k| k.id));
    let routes = match chosen {
        Some(site) => match state.dispatch.standing_routes(&staff.principal, site).await {
            Ok(r) => r,
            Err(e) => return failure(l, e),
        },
        None => Vec::new(),
    };
    let tz = state.dispatch.tz();
    let body = html! {
        main {
            h1 { (l.t("Rute tetap", "Standing routes")) }
            p.note { (l.t(
                "Rute makanan dipakai ulang setiap hari agar kurir yang sama bertemu orang yang sama. Perencana hanya memindahkan penerima bila menghemat banyak atau jendela waktu tidak terpenuhi. Rute yang dikunci dipertahankan persis.",
                "Meal routes are reused every day so the same courier meets the same people. The planner moves a recipient only for a real saving or a window it could not keep. A sealed route is kept exactly."
            )) }
            @if kitchens.is_empty() {
                p { (l.t("Belum ada dapur.", "No kitchens yet.")) }
            } @else {
                form method="get" action="/routes" {
                    label for="site" { (l.t("Dapur", "Kitchen")) }
                    select #site name="site" {
                        @for k in &kitchens {
                            option value=(k.id) selected[Some(k.id) == chosen] { (k.name) }
                        }
                    }
                    button type="submit" { (l.t("Tampilkan", "Show")) }
                }
                @if routes.is_empty() {
                    p #no-routes { (l.t(
                        "Belum ada rute tetap: rute dibuat saat rencana pertama disimpan.",
                        "No standing routes yet: they are made when the first plan is stored."
                    )) }
                } @else {
                    table #routes {
                        thead { tr {
                            th scope="col" { (l.t("Rute", "Route")) }
                            th scope="col" { (l.t("Penerima", "Recipients")) }
                            th scope="col" { (l.t("Status", "State")) }
                            th scope="col" { (l.t("Diubah", "Changed")) }
                            th scope="col" { (l.t("Tindakan", "Action")) }
                        } }
                        tbody {
                            @for r in &routes {
                                tr.sealed[r.sealed] {
                                    td { (r.name) }
                                    td { (r.recipients.len()) }
                                    td {
                                        @if r.sealed {
                                            (l.t("Dikunci", "Sealed"))
                                            @if let Some(by) = &r.sealed_by { " (" (by) ")" }
                                        } @else { (l.t("Bebas", "Open")) }
                                    }
                                    td { (r.updated_at.with_timezone(&tz).format("%d-%m-%Y %H:%M")) }
                                    td {
                                        form.inline method="post" action={ "/routes/" (r.id) "/seal" } {
                                            input type="hidden" name="_csrf" value=(staff.csrf);
                                            input type="hidden" name="sealed" value=(if r.sealed { "false" } else { "true" });
                                            button type="submit" {
                                                @if r.sealed { (l.t("Buka kunci", "Unseal")) " " (r.name) }
                                                @else { (l.t("Kunci", "Seal")) " " (r.name) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(l, l.t("Rute tetap", "Standing routes"), Some(&staff), body).into_response()
}

/// `POST /routes/{id}/seal`
pub async fn seal(
    State(state): State<WebState>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<SealForm>,
) -> Response {
    if let Some(r) = staff.csrf_refusal(&form._csrf) {
        return r;
    }
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return failure(
            staff.lang,
            crate::dispatch::DispatchError::NotFound("standing route"),
        );
    };
    let sealed = form.sealed == "true";
    match state
        .dispatch
        .seal_standing_route(&staff.principal, id, sealed)
        .await
    {
        Ok(r) => Redirect::to(&format!("/routes?site={}", r.site_id)).into_response(),
        Err(e) => failure(staff.lang, e),
    }
}
