//! One planning wave end to end: 1,650 ready orders (1,350 meals from 12 kitchens, 300
//! prescriptions from 2 pharmacies) on the demo town's roads → travel matrix → planner → plan,
//! jobs and stops stored, one offer per job queued in the outbox, all in one transaction.
//! Setup goes through the HTTP API like real clients; only the wave is timed.
//!
//! Run: `cargo bench --bench wave` (SQLite; PostgreSQL too when `ANTAR_BENCH_POSTGRES_URL` is
//! set; `ANTAR_BENCH_WAVE_MS` sets the solver budget, default 2000).

use std::time::{Duration, Instant};

use antar::app::Application;
use antar::config::Settings;
use antar::dispatch::planning::PlanRequest;
use antar::domain::{LatLon, Principal, Role, TokenId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sqlx::Connection;

const MEALS: usize = 1_350;
const PRESCRIPTIONS: usize = 300;

struct Api {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Api {
    async fn post(&self, path: &str, body: &Value) -> Value {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }
}

async fn run(backend: &'static str, db_url: String, dir: &std::path::Path, budget: Duration) {
    let mut settings = Settings::load(None, []).unwrap();
    settings.server.listen = "127.0.0.1:0".into();
    settings.database.url = db_url;
    settings.security.master_key_file = dir.join(format!("{backend}.key"));
    settings.outbox.worker = false;
    settings.dispatch.timers = false;
    let app = Application::build(&settings).await.unwrap();
    let dispatch = app.dispatch().clone();
    let token = dispatch.bootstrap_admin().await.unwrap();
    let roads = dispatch.roads().cloned().expect("the embedded town");
    let base = format!("http://{}", app.local_addr());
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let api = Api {
        base,
        token,
        client: reqwest::Client::new(),
    };
    // Points on ridable roads, spread over the town.
    let mut points: Vec<LatLon> = roads
        .roads()
        .filter_map(|r| r.geometry.get(r.geometry.len() / 2).copied())
        .collect();
    let mut rng = StdRng::seed_from_u64(7);
    let mut pick = move || points.swap_remove(rng.random_range(0..points.len()));
    let hours = json!([{"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "open": "07:00", "close": "16:00"}]);
    let mut kitchens = Vec::new();
    for k in 0..12 {
        let p = pick();
        let s = api
            .post(
                "/api/v1/admin/sites",
                &json!({"kind": "kitchen", "name": format!("Warung {k}"),
                "location": {"lat": p.lat(), "lon": p.lon()}, "opening_hours": hours}),
            )
            .await;
        kitchens.push(s["id"].as_str().unwrap().to_owned());
    }
    let mut pharmacies = Vec::new();
    for k in 0..2 {
        let p = pick();
        let s = api
            .post(
                "/api/v1/admin/sites",
                &json!({"kind": "pharmacy", "name": format!("Farmasi {k}"),
                "location": {"lat": p.lat(), "lon": p.lon()}, "opening_hours": hours}),
            )
            .await;
        pharmacies.push(s["id"].as_str().unwrap().to_owned());
    }
    for (i, name) in ["Ojek A", "Ojek B"].iter().enumerate() {
        api.post("/api/v1/admin/partners", &json!({"name": name, "webhook_url": format!("http://127.0.0.1:9/{i}"),
            "rank": i + 1, "capabilities": {"max_stops": 18, "capacity": 18, "cold_box": true, "controlled_handover": true},
            "fare": {"base_idr": 8000, "per_km_idr": 2000, "cap_idr": 60000}}))
            .await;
    }
    let setup = Instant::now();
    for i in 0..MEALS {
        let p = pick();
        let r = api
            .post(
                "/api/v1/recipients",
                &json!({"name": format!("Mbah {i}"), "location": {"lat": p.lat(), "lon": p.lon()}}),
            )
            .await;
        // Each elder eats from the kitchen nearest by index band (the kitchens are random).
        api.post(
            "/api/v1/enrolments",
            &json!({"recipient_id": r["id"], "kitchen_id": kitchens[i % kitchens.len()],
            "start_date": "2031-03-01"}),
        )
        .await;
    }
    let day = api
        .post("/api/v1/meal-days/2031-03-04/orders", &json!({}))
        .await;
    assert_eq!(day["created"], MEALS as u64);
    for i in 0..PRESCRIPTIONS {
        let p = pick();
        let ready = 1 + (i % 5) as u32;
        api.post("/api/v1/prescriptions", &json!({
            "site_id": pharmacies[i % 2],
            "patient": {"name": format!("Pasien {i}"), "address": "Jl. Contoh", "location": {"lat": p.lat(), "lon": p.lon()}},
            "parcels": 1, "priority": if i % 10 == 0 { "urgent" } else { "routine" },
            "ready_at": format!("2031-03-04T0{ready}:00:00Z"), "deliver_by": format!("2031-03-04T0{}:00:00Z", ready + 4)}))
            .await;
    }
    eprintln!(
        "{backend}: set up {} orders in {:.1} s",
        MEALS + PRESCRIPTIONS,
        setup.elapsed().as_secs_f64()
    );
    let admin = Principal {
        token_id: TokenId::new(),
        name: "bench".into(),
        role: Role::Admin,
        site_id: None,
        partner_id: None,
    };
    let t = Instant::now();
    let done = dispatch
        .run_plan(
            &admin,
            PlanRequest {
                site_id: None,
                date: Some("2031-03-04".parse().unwrap()),
                time_limit: budget,
                seed: 1,
                ready_before: None,
            },
            "wave",
        )
        .await
        .unwrap();
    let total = t.elapsed();
    let p = &done.preview;
    let planned: usize = p.routes.iter().map(|r| r.stops.len()).sum();
    let other = total.as_millis() as i128 - p.matrix_ms as i128 - p.solve_ms as i128;
    println!(
        "| {backend} | {} | {} | {planned} | {} | {} | {} | {other} | {} |",
        p.orders,
        done.jobs.len(),
        p.unplanned.len(),
        p.matrix_ms,
        p.solve_ms,
        total.as_millis(),
    );
}

#[tokio::main]
async fn main() {
    antar::crypto::install_tls_provider();
    let budget = Duration::from_millis(
        std::env::var("ANTAR_BENCH_WAVE_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(2000),
    );
    let dir = std::env::temp_dir().join(format!("antar-bench-wave-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "planning wave: {MEALS} meals + {PRESCRIPTIONS} prescriptions, solver budget {} ms",
        budget.as_millis()
    );
    println!(
        "| backend | orders | jobs | orders in jobs | unplanned | matrix ms | solve ms | store + offers ms | total ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    run(
        "SQLite",
        format!("sqlite://{}", dir.join("wave.db").display()),
        &dir,
        budget,
    )
    .await;
    if let Ok(url) = std::env::var("ANTAR_BENCH_POSTGRES_URL") {
        let name = format!("antar_bench_wave_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name}"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let (base, _) = url.rsplit_once('/').unwrap();
        run("PostgreSQL", format!("{base}/{name}"), &dir, budget).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
