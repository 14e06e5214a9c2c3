//! The demo: a realistic day of Rantang Kasih meals and Gancang Aron prescriptions in
//! Banyuwangi town, played against simulated ride-hailing partners.
//!
//! Owns: the fixture scenario and its loader ([`scenario`]), the day's run ([`run`]) and the
//! after-the-fact check of a played day ([`check`]). Depends on `dispatch`, `domain`, `roads`
//! and (read-only, for the check) `store`; must not depend on `api` (everything is created
//! through the use cases, so every rule that applies to staff input applies to the scenario
//! too).

pub mod check;
pub mod run;
pub mod scenario;
