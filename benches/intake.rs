//! Intake throughput: prescriptions created per second and latency percentiles, with 64
//! concurrent HTTP clients on loopback against the real service (in-process server, real
//! database). SQLite always; PostgreSQL too when `ANTAR_BENCH_POSTGRES_URL` is set.
//!
//! Run: `cargo bench --bench intake` (optionally `ANTAR_BENCH_REQUESTS=20000`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use antar::app::Application;
use antar::config::Settings;
use serde_json::json;
use sqlx::Connection;

const CLIENTS: usize = 64;

struct Figures {
    backend: &'static str,
    requests: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
    max: Duration,
    errors: usize,
}

async fn run(
    backend: &'static str,
    db_url: String,
    dir: &std::path::Path,
    requests: usize,
) -> Figures {
    let mut settings = Settings::load(None, []).unwrap();
    settings.server.listen = "127.0.0.1:0".into();
    settings.database.url = db_url;
    settings.security.master_key_file = dir.join(format!("{backend}.key"));
    let app = Application::build(&settings)
        .await
        .expect("application builds");
    let admin = app.dispatch().bootstrap_admin().await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let site: serde_json::Value = client
        .post(format!("{base}/api/v1/admin/sites"))
        .bearer_auth(&admin)
        .json(&json!({"kind": "pharmacy", "name": "RSUD Blambangan", "location": {"lat": -8.2, "lon": 114.36}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token: serde_json::Value = client
        .post(format!("{base}/api/v1/admin/tokens"))
        .bearer_auth(&admin)
        .json(&json!({"name": "bench", "role": "pharmacist", "site_id": site["id"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = Arc::new(token["token"].as_str().unwrap().to_owned());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, base, token, next) =
            (client.clone(), base.clone(), token.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= requests {
                    break;
                }
                let body = json!({
                    "patient": {"name": format!("Pasien {i}"), "phone": "081234567890", "address": "Jl. Ahmad Yani",
                                "location": {"lat": -8.2 - (i % 100) as f64 * 1e-4, "lon": 114.36}},
                    "parcels": 1 + i % 3, "controlled": i % 10 == 0,
                    "ready_at": "2031-03-03T01:00:00Z", "deliver_by": "2031-03-03T05:00:00Z"
                });
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/prescriptions"))
                    .bearer_auth(token.as_str())
                    .header("Idempotency-Key", format!("bench-{i}"))
                    .json(&body)
                    .send()
                    .await;
                lat.push(t.elapsed());
                if !matches!(r, Ok(ref r) if r.status() == 201) {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::with_capacity(requests);
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    let _ = stop.send(());
    let _ = server.await;
    Figures {
        backend,
        requests,
        elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
        max: *all.last().unwrap(),
        errors,
    }
}

fn main() {
    let requests: usize = std::env::var("ANTAR_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    antar::crypto::install_tls_provider();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("antar-bench-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut results = Vec::new();
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.join("bench.db").display());
        results.push(run("sqlite", url, &dir, requests).await);
        if let Ok(server) = std::env::var("ANTAR_BENCH_POSTGRES_URL") {
            let name = format!("antar_bench_{}", uuid::Uuid::now_v7().simple());
            let mut conn = sqlx::PgConnection::connect(&server)
                .await
                .expect("PostgreSQL reachable");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = server.rsplit_once('/').unwrap();
            results.push(run("postgres", format!("{base}/{name}"), &dir, requests).await);
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .ok();
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "intake benchmark: POST /api/v1/prescriptions, {CLIENTS} concurrent clients on loopback, {requests} requests each run"
    );
    println!("| backend | creates/s | p50 | p99 | max | errors |");
    println!("|---|---|---|---|---|---|");
    for f in results {
        println!(
            "| {} | {:.0} | {:.1} ms | {:.1} ms | {:.1} ms | {} |",
            f.backend,
            f.requests as f64 / f.elapsed.as_secs_f64(),
            f.p50.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3,
            f.max.as_secs_f64() * 1e3,
            f.errors
        );
    }
}
