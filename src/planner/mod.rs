//! The vehicle routing optimizer: plans routes for couriers leaving pickup sites (kitchens,
//! pharmacies) to deliver jobs under capacity, time windows, max stops, max route duration,
//! max time in transit and capability constraints; lets a courier ride several trips in a
//! shift, returning to reload at its site between them; reports every job it cannot serve with
//! a reason; and reads the classic benchmark formats (Solomon, VRPLIB) to measure itself.
//!
//! Must not depend on `roads`: it sees travel times and distances only through
//! [`crate::domain::TravelMatrix`] (via [`Costs::from_travel_matrix`]) or planar coordinates.
//!
//! Map of the module:
//! - [`model`]: problem and solution types ([`Problem`], [`Job`], [`VehicleType`], [`Solution`],
//!   a [`Route`] made of one or more [`Trip`]s).
//! - `constraints`: the solver's O(1) insertion checks and schedule simulation.
//! - `operators`: ruin (adjacent string removal) and recreate (greedy insertion with blinks).
//! - [`solver`]: [`solve`], simulated annealing and fleet minimisation.
//! - [`checker`]: [`check`], the independent feasibility checker.
//! - [`readers`]: Solomon, VRPLIB and JSON problem files.
//!
//! ```
//! use antar::planner::{Costs, Job, Objective, Problem, Rounding, SolveOptions, VehicleType, check, solve};
//! let costs = Costs::euclidean(&[(0.0, 0.0), (3.0, 4.0), (6.0, 8.0)], Rounding::None);
//! let jobs = vec![Job::new("a", 1, 1), Job::new("b", 2, 1)];
//! let vehicles = vec![VehicleType::new("van", 0, 1)];
//! let problem = Problem::new(costs, jobs, vehicles, Objective::Distance).unwrap();
//! let options = SolveOptions { max_iterations: Some(200), ..SolveOptions::default() };
//! let solution = solve(&problem, &options).unwrap();
//! assert!(check(&problem, &solution).is_ok());
//! assert!((solution.summary.distance - 20.0).abs() < 1e-9);
//! ```

pub mod checker;
mod constraints;
pub mod model;
mod operators;
pub mod readers;
pub mod solver;

pub use checker::{CheckReport, Violation, check, check_kept};
pub use model::{
    Capabilities, CostBreakdown, Costs, InitialRoute, Job, Objective, Priority, Problem,
    ReasonCode, Rounding, Route, Solution, Stability, Stop, Summary, TimeWindow, Trip, Unassigned,
    UsualPlace, VehicleType,
};
pub use readers::{Instance, read_json, read_solomon, read_vrplib};
pub use solver::{SolveOptions, solve};

/// Everything that can go wrong in the planner.
#[derive(Debug, thiserror::Error)]
pub enum PlannerError {
    /// The problem (or warm start) breaks a rule of the model.
    #[error("invalid problem: {0}")]
    Invalid(String),
    /// A file could not be parsed at a known line.
    #[error("{path}:{line}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What was expected.
        message: String,
    },
    /// A file parsed but describes an invalid problem.
    #[error("{path}: {message}")]
    InvalidFile {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
