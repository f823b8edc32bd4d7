//! `hawq-ilp`: exact mixed-precision bit allocation.
//!
//! This crate owns the bit-allocation problem of HAWQ-V3: given, for every
//! layer, candidate configurations (for example weight/activation bit
//! widths), each with a sensitivity Ω and named costs (bit operations, size in
//! bits, latency, any resource), choose one candidate per layer to minimise
//! ΣΩ subject to `≤` budgets on the costs, with tied layers (which must take
//! the same candidate) and fixed layers. It depends on no other project crate:
//! anyone with a sensitivity table can use it.
//!
//! * [`Problem`] (JSON in and out through serde) and its validation,
//! * [`solve`]: presolve (dominated and over-budget candidates, infeasible
//!   budgets), Lagrangian bounds from an LP solved with microlp, and an exact
//!   branch and bound, or microlp's own MIP search ([`Algorithm`]); the
//!   [`Solution`] records whether the result is proven optimal and by which
//!   [`Method`],
//! * [`pareto_front`] (exact front of ΣΩ against one cost) and [`sweep()`]
//!   (solves at budgets `start:stop:step`),
//! * [`cost`]: the BOPs and size models of a dense layer, and caller tables
//!   (latency).
//!
//! The `hawq-ilp` binary (feature `cli`, on by default) wraps these:
//! `hawq-ilp solve table.json --budget bops=350000` and
//! `hawq-ilp pareto table.json --sweep bops=250000:550000:50000`.
//!
//! # Example
//!
//! ```
//! use hawq_ilp::{Candidate, Layer, Problem, SolveOptions, solve};
//!
//! let layer = |name: &str, trace: f64| {
//!     let mut l = Layer::new(name);
//!     for bits in [2u32, 4, 8] {
//!         let bops = qonnx_ir::cost::LayerCost::dense(16, 16, bits, bits, 0).bops;
//!         let omega = trace * 4f64.powi(-(bits as i32)); // Ω ∝ trace · 2^(−2b)
//!         l = l.candidate(Candidate::new(format!("w{bits}a{bits}"), omega).cost("bops", bops));
//!     }
//!     l
//! };
//! let problem = Problem::new()
//!     .layer(layer("fc1", 10.0))
//!     .layer(layer("fc2", 1.0))
//!     .budget("bops", 40_000.0);
//! let solution = solve(&problem, &SolveOptions::default()).unwrap();
//! assert!(solution.proven_optimal);
//! assert!(solution.totals["bops"] <= 40_000.0);
//! // The more sensitive layer gets the wider bits.
//! assert_eq!(solution.candidate_of("fc1"), Some("w8a8"));
//! assert_eq!(solution.candidate_of("fc2"), Some("w4a4"));
//! ```

mod bnb;
pub mod cost;
mod error;
mod lagrange;
mod milp;
mod model;
mod pareto;
mod presolve;
mod problem;
mod solution;
mod solve;

pub use error::{Error, Result};
pub use pareto::{FrontOptions, ParetoFront, ParetoPoint, Sweep, SweepPoint, pareto_front, sweep};
pub use problem::{Budget, Candidate, Layer, Problem};
pub use solution::{Algorithm, Choice, Method, Solution, SolveOptions, SolveStats};
pub use solve::solve;
