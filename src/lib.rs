//! # antar
//!
//! A dispatcher for medicine and meal delivery to the poor.
pub mod domain;
