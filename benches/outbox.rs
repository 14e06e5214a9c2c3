//! Outbox throughput: signed events delivered per second to a partner endpoint on loopback
//! (SQLite; PostgreSQL too when `ANTAR_BENCH_POSTGRES_URL` is set). Events are queued first,
//! then one worker delivers them all: claim, sign, POST, record.
//!
//! Run: `cargo bench --bench outbox` (optionally `ANTAR_BENCH_EVENTS=5000`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use antar::app::Application;
use antar::config::Settings;
use antar::dispatch::outbox::OutboxWorker;
use antar::domain::{Principal, Role, TokenId};
use sqlx::Connection;

async fn run(
    backend: &'static str,
    db_url: String,
    dir: &std::path::Path,
    events: usize,
) -> (f64, usize) {
    let received = Arc::new(AtomicUsize::new(0));
    let r = received.clone();
    let partner = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            r.fetch_add(1, Ordering::Relaxed);
            async { "ok" }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, partner).await.unwrap() });

    let mut settings = Settings::load(None, []).unwrap();
    settings.server.listen = "127.0.0.1:0".into();
    settings.database.url = db_url;
    settings.security.master_key_file = dir.join(format!("{backend}.key"));
    settings.outbox.worker = false;
    settings.dispatch.timers = false;
    settings.roads.graph = String::new();
    let app = Application::build(&settings).await.unwrap();
    let dispatch = app.dispatch().clone();
    let admin = Principal {
        token_id: TokenId::new(),
        name: "bench".into(),
        role: Role::Admin,
        site_id: None,
        partner_id: None,
    };
    let partner = antar::domain::records::Partner {
        id: antar::domain::PartnerId::new(),
        name: "Ojek Bench".into(),
        kind: antar::domain::PartnerKind::Webhook,
        webhook_url: Some(url),
        capabilities: antar::domain::records::Capabilities {
            max_stops: 10,
            capacity: 18,
            cold_box: false,
            controlled_handover: false,
            max_concurrent_jobs: None,
        },
        fare: antar::domain::records::FareModel {
            base_idr: 8000,
            per_km_idr: 2500,
            cap_idr: None,
        },
        rank: 1,
        offer_timeout_s: 120,
        service_area: None,
        active: true,
    };
    let pid = partner.id;
    dispatch.create_partner(&admin, partner).await.unwrap();
    for _ in 0..events {
        dispatch.send_test_webhook(&admin, pid).await.unwrap();
    }
    let mut worker = OutboxWorker::new(dispatch, 1).unwrap();
    let started = Instant::now();
    let mut done = 0;
    while done < events {
        let n = worker.run_once(chrono::Utc::now()).await.unwrap();
        assert!(n > 0, "every queued event is due");
        done += n;
    }
    let rate = events as f64 / started.elapsed().as_secs_f64();
    (rate, received.load(Ordering::Relaxed))
}

fn main() {
    antar::crypto::install_tls_provider();
    let events: usize = std::env::var("ANTAR_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("antar-bench-outbox-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = Vec::new();
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.join("outbox.db").display());
        rows.push(("sqlite", run("sqlite", url, &dir, events).await));
        if let Ok(server) = std::env::var("ANTAR_BENCH_POSTGRES_URL") {
            let name = format!("antar_bench_{}", uuid::Uuid::now_v7().simple());
            let mut conn = sqlx::PgConnection::connect(&server).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, _) = server.rsplit_once('/').unwrap();
            rows.push((
                "postgres",
                run("postgres", format!("{base}/{name}"), &dir, events).await,
            ));
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
        "outbox benchmark: {events} queued webhook.test events, one worker, partner on loopback"
    );
    println!("| backend | delivered/s | received by the partner |");
    println!("|---|---|---|");
    for (backend, (rate, received)) in rows {
        println!("| {backend} | {rate:.0} | {received} |");
    }
}
