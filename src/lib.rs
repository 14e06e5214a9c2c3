//! # antar
//!
//! A dispatcher for medicine and meal delivery to the poor, after two programs of Banyuwangi
//! regency: *Rantang Kasih* (a daily cooked meal for elderly people living alone) and
//! *Gancang Aron* (hospital pharmacies sending medicine home with ride-hailing couriers).
//!
//! ## Map of the code (dependencies point down only)
//! - [`domain`]: pure types and rules (orders and their state machine, sites, enrolments,
//!   time windows, travel matrices). No I/O.
//! - [`roads`]: OpenStreetMap import (motorbike profile), the road graph, snapping, contraction
//!   hierarchy routes and travel-time matrices.
//! - [`planner`]: the vehicle routing optimizer (sees a travel matrix, never the road graph),
//!   its independent checker and the benchmark readers.
//! - [`store`]: the only module that speaks SQL (SQLite or PostgreSQL).
//! - [`dispatch`]: use cases (intake, meal days, administration) over `store`.
//! - [`api`]: HTTP routes, problem documents, OpenAPI.
//! - [`web`]: the staff dashboard and forms (server-rendered, Indonesian and English, live
//!   updates over server-sent events), over `dispatch`.
//! - [`webhooks`]: Standard Webhooks signing and verification, the partner payloads (what a
//!   courier may see, and nothing more), retry policy and the HTTP sender.
//! - [`crypto`]: tokens, webhook secrets, encryption of stored secrets.
//! - [`clock`]: the process clock (system, or scaled for `antar demo`).
//! - [`partnersim`]: simulated outside parties, HTTP only: a ride-hailing partner that speaks
//!   the webhook contract, a courier company's booking API, and our own couriers riding
//!   through the courier page.
//! - [`demo`]: the fixture scenario (a day in Banyuwangi town) and its loader, over `dispatch`.
//! - [`config`], [`telemetry`], [`app`], [`cli`]: settings, logs/metrics, wiring, commands.

#![forbid(unsafe_code)]

pub mod api;
pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod dispatch;
pub mod domain;
pub mod partnersim;
pub mod planner;
pub mod roads;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod webhooks;
