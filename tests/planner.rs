//! Planner integration tests.
