//! Fuzz target: the bit-allocation table of `hawq-ilp`. The input, as UTF-8, goes through
//! `Problem::from_json`; a problem that parses is validated, written back as JSON, solved with
//! each algorithm (with node and time limits, so that one run stays well under a second) and, for
//! its first cost, its exact Pareto front is computed (with a label limit). Problems larger than
//! 48 layers or 512 candidates in all are skipped. Errors are fine; a panic is a bug.
#![no_main]

use std::time::Duration;

use hawq_ilp::{Algorithm, FrontOptions, Problem, SolveOptions, pareto_front, solve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(problem) = Problem::from_json(text) else { return };
    let _ = problem.to_json();
    let candidates: usize = problem.layers.iter().map(|l| l.candidates.len()).sum();
    if problem.layers.len() > 48 || candidates > 512 || problem.validate().is_err() {
        return;
    }
    let limit = Some(Duration::from_millis(200));
    for (algorithm, node_limit) in
        [(Algorithm::Auto, Some(2_000)), (Algorithm::BranchAndBound, Some(500)), (Algorithm::Microlp, None)]
    {
        let _ = solve(&problem, &SolveOptions { algorithm, time_limit: limit, node_limit });
    }
    if let Some(cost) = problem.cost_names().first() {
        let _ = pareto_front(&problem, cost, &FrontOptions { max_labels: 20_000 });
    }
});
