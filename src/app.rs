//! Wiring and process lifecycle: connect and migrate the database, build the use cases and the
//! router, bind, serve until a shutdown signal, let in-flight requests finish, close the pool.
//!
//! The only module that knows every other; nothing depends on it but `cli` and tests.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::config::Settings;
use crate::crypto::SecretBox;
use crate::dispatch::Dispatch;
use crate::domain::time::parse_tz;
use crate::store::Store;

/// A built, bound, not yet running service.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    store: Store,
    dispatch: Dispatch,
}

/// Connect to the configured database and apply migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = &settings.database.url;
    let store = Store::connect(url).await.with_context(|| {
        format!(
            "cannot open database {}",
            crate::config::mask_url_password(url)
        )
    })?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(store)
}

/// The use cases over `store`, with the master key and zone from `settings`.
pub fn build_dispatch(settings: &Settings, store: Store) -> anyhow::Result<Dispatch> {
    let key = settings
        .master_key()
        .context("cannot read or create the master key file")?;
    let secrets =
        SecretBox::from_base64(&key).context("security.master_key must be base64 of 32 bytes")?;
    let tz = parse_tz(&settings.region.time_zone).with_context(|| {
        format!(
            "region.time_zone {:?} is not an IANA zone",
            settings.region.time_zone
        )
    })?;
    Ok(Dispatch::new(store, secrets, tz))
}

impl Application {
    /// Connect, migrate, and bind the listener (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let store = open_store(settings).await?;
        let dispatch = build_dispatch(settings, store.clone())?;
        let state = AppState {
            dispatch: dispatch.clone(),
            metrics: crate::telemetry::metrics_handle(),
        };
        let router = api::router(state, settings.server.max_body_bytes);
        let listener = TcpListener::bind(&settings.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        Ok(Self {
            listener,
            router,
            store,
            dispatch,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has an address")
    }

    /// The use cases (tests use them to set up data).
    pub fn dispatch(&self) -> &Dispatch {
        &self.dispatch
    }

    /// Serve until `shutdown` completes; in-flight requests finish, then the pool closes.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr(), "antar listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server error")?;
        self.store.close().await;
        tracing::info!("antar stopped");
        Ok(())
    }
}

/// Completes on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
