//! Test support: start the real application on 127.0.0.1:0 with a fresh database (a SQLite file
//! in a temporary folder, or a new PostgreSQL database), and talk to it over HTTP. A test may
//! stop the server ([`TestApp::stop`]) and start it again on the same address over the same
//! database ([`TestApp::restart`]), as an outage would.

use std::path::PathBuf;

use antar::app::Application;
use antar::config::Settings;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use sqlx::Connection;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    /// The application's use cases (the outbox worker does not run in tests: they drive it).
    /// Replaced on [`TestApp::restart`]: the stopped server's pool is closed.
    pub dispatch: antar::dispatch::Dispatch,
    pub client: Client,
    pub admin: String,
    // Read only by `stop` and `restart`, which not every test binary uses.
    #[allow(dead_code)]
    settings: Settings,
    #[allow(dead_code)]
    server: Option<Serving>,
    dir: PathBuf,
}

/// A running server: dropping `stop` (or sending on it) shuts it down; `served` ends once it
/// has let in-flight requests finish, closed its pool and freed its port.
#[allow(dead_code)]
struct Serving {
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<anyhow::Result<()>>,
}

fn serve(app: Application) -> Serving {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    Serving { stop, served }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The PostgreSQL server to test against, from `ANTAR_TEST_POSTGRES_URL`. Without it the
/// PostgreSQL half of the suite is skipped locally, but fails under CI.
pub fn postgres_url() -> Option<String> {
    match std::env::var("ANTAR_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "CI is set but ANTAR_TEST_POSTGRES_URL is not: the PostgreSQL suite must run in CI"
            )
        }
        _ => {
            eprintln!(
                "note: ANTAR_TEST_POSTGRES_URL unset; skipping the PostgreSQL run of this test"
            );
            None
        }
    }
}

async fn fresh_postgres_db(server: &str) -> String {
    let name = format!("antar_test_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(server)
        .await
        .expect("connect to the PostgreSQL test server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    let _ = conn.close().await;
    let (base, _) = server
        .rsplit_once('/')
        .expect("a database URL ends with /DBNAME");
    format!("{base}/{name}")
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, "").await
    }

    /// Start with a road network (a path under the crate root, e.g. the demo town).
    pub async fn spawn_with(backend: Backend, graph: &str) -> Option<TestApp> {
        Self::spawn_custom(backend, graph, |_| {}).await
    }

    /// Start with a road network and settings changed by `custom`.
    pub async fn spawn_custom(
        backend: Backend,
        graph: &str,
        custom: impl FnOnce(&mut Settings),
    ) -> Option<TestApp> {
        antar::telemetry::init_logs();
        antar::crypto::install_tls_provider();
        let dir = std::env::temp_dir().join(format!("antar-test-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let db_url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.join("antar.db").display()),
            Backend::Postgres => fresh_postgres_db(&postgres_url()?).await,
        };
        let mut settings = Settings::load(None, []).unwrap();
        settings.server.listen = "127.0.0.1:0".into();
        settings.database.url = db_url;
        settings.security.master_key_file = dir.join("antar.key");
        settings.outbox.worker = false;
        settings.dispatch.timers = false;
        settings.roads.graph = if graph.is_empty() {
            String::new()
        } else {
            format!("{}/{graph}", env!("CARGO_MANIFEST_DIR"))
        };
        custom(&mut settings);
        let app = Application::build(&settings)
            .await
            .expect("the application builds");
        let admin = app.dispatch().bootstrap_admin().await.expect("bootstrap");
        let base = format!("http://{}", app.local_addr());
        // A restart listens where this one does.
        settings.server.listen = app.local_addr().to_string();
        let dispatch = app.dispatch().clone();
        Some(TestApp {
            base,
            dispatch,
            client: Client::new(),
            admin,
            settings,
            server: Some(serve(app)),
            dir,
        })
    }

    /// Stop serving as a shutdown does (in-flight requests finish, the pool closes) and wait
    /// until the port is free; the database stays. Nothing answers at [`TestApp::base`] then.
    #[allow(dead_code)]
    pub async fn stop(&mut self) {
        if let Some(Serving { stop, served }) = self.server.take() {
            let _ = stop.send(());
            served
                .await
                .expect("the server task ends")
                .expect("the server stops cleanly");
        }
    }

    /// Serve again on the same address over the same database (stopping first if running).
    #[allow(dead_code)]
    pub async fn restart(&mut self) {
        self.stop().await;
        let app = Application::build(&self.settings)
            .await
            .expect("the application builds again over the same database");
        assert_eq!(format!("http://{}", app.local_addr()), self.base);
        self.dispatch = app.dispatch().clone();
        self.server = Some(serve(app));
    }

    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let r = self.client.request(method, format!("{}{path}", self.base));
        match token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.req(Method::POST, path, Some(token))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Response {
        self.req(Method::PUT, path, Some(token))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.req(Method::PATCH, path, Some(token))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.req(Method::GET, path, Some(token))
            .send()
            .await
            .unwrap()
    }

    /// Create a site as admin; returns its id.
    pub async fn site(&self, kind: &str, name: &str, lat: f64, lon: f64) -> String {
        let r = self
            .post(
                "/api/v1/admin/sites",
                &self.admin,
                &json!({"kind": kind, "name": name, "location": {"lat": lat, "lon": lon}}),
            )
            .await;
        assert_eq!(r.status(), 201);
        body(r).await["id"].as_str().unwrap().to_owned()
    }

    /// Mint a token as admin; returns the secret.
    pub async fn token(&self, role: &str, site: Option<&str>) -> String {
        let r = self
            .post(
                "/api/v1/admin/tokens",
                &self.admin,
                &json!({"name": format!("{role} test"), "role": role, "site_id": site}),
            )
            .await;
        assert_eq!(r.status(), 201, "token creation");
        body(r).await["token"].as_str().unwrap().to_owned()
    }
}

pub async fn body(r: Response) -> Value {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// Assert a problem document: status, content type, code, and (optionally) a field named in errors[].
pub async fn assert_problem(r: Response, status: u16, code: &str, field: Option<&str>) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json");
    let b = body(r).await;
    assert_eq!(b["status"], status);
    assert!(b["type"].as_str().unwrap().starts_with("/problems/"));
    if let Some(field) = field {
        let errors = b["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("errors[] in {b}"));
        assert!(
            errors.iter().any(|e| e["field"] == field),
            "field {field} not in {b}"
        );
    }
    let _ = code;
    assert!(
        b["code"] == code
            || b["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["code"] == code)),
        "code {code} not in {b}"
    );
    b
}

/// A prescription body due tomorrow-ish, far in the future so tests never race the clock.
pub fn prescription(name: &str) -> Value {
    json!({
        "patient": {"name": name, "phone": "0812-3456-7890", "address": "Jl. Ahmad Yani 1", "landmark": "depan masjid",
                    "location": {"lat": -8.2191, "lon": 114.3691}, "medical_record_no": "RM-001"},
        "parcels": 1,
        "priority": "routine",
        "ready_at": "2031-03-03T01:00:00Z",
        "deliver_by": "2031-03-03T05:00:00Z",
        "clinical_notes": "DM tipe 2, insulin"
    })
}

/// Run a test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::support::TestApp) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await.unwrap()).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::support::TestApp::spawn($crate::support::Backend::Postgres).await {
                    run(app).await
                }
            }
        })*
    };
}

/// The demo town's road network, for tests that plan.
pub const TOWN: &str = "fixtures/roads/banyuwangi-town.osm";

/// Run a test body on SQLite and on PostgreSQL, with the demo town's roads loaded.
#[macro_export]
macro_rules! with_town {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::support::TestApp) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::support::TestApp::spawn_with(
                    $crate::support::Backend::Sqlite,
                    $crate::support::TOWN,
                ).await.unwrap()).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(app) = $crate::support::TestApp::spawn_with(
                    $crate::support::Backend::Postgres,
                    $crate::support::TOWN,
                ).await {
                    run(app).await
                }
            }
        })*
    };
}
