//! The HTTP API, end to end over loopback, on SQLite and on PostgreSQL.

mod admin;
mod bookings;
mod daycheck;
mod dispatch;
mod fleet;
mod invoice;
mod meals;
mod onboarding;
mod outbox;
mod plans;
mod prescriptions;
mod robustness;
mod support;
mod unwell;
