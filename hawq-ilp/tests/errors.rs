//! Typed errors for bad input and infeasible budgets.

use hawq_ilp::{Candidate, Error, FrontOptions, Layer, Problem, SolveOptions, Sweep, pareto_front, solve, sweep};

fn layer(name: &str) -> Layer {
    Layer::new(name)
        .candidate(Candidate::new("w2", 4.0).cost("bops", 10.0).cost("size", 2.0))
        .candidate(Candidate::new("w4", 1.0).cost("bops", 30.0).cost("size", 4.0))
        .candidate(Candidate::new("w8", 0.1).cost("bops", 90.0).cost("size", 8.0))
}

fn net() -> Problem {
    Problem::new().layer(layer("fc1")).layer(layer("fc2")).layer(layer("fc3"))
}

fn err(p: &Problem) -> Error {
    solve(p, &SolveOptions::default()).unwrap_err()
}

#[test]
fn infeasible_budget_names_the_minimal_total() {
    let e = err(&net().budget("bops", 29.0));
    assert_eq!(e, Error::InfeasibleBudget { cost: "bops".into(), budget: 29.0, minimal: 30.0 });
    let msg = e.to_string();
    assert!(msg.contains("bops") && msg.contains("minimal achievable total is 30"), "{msg}");
    // A fixed layer raises the minimum.
    let e = err(&net().fix("fc2", "w8").budget("bops", 100.0));
    assert!(matches!(e, Error::InfeasibleBudget { minimal, .. } if minimal == 110.0));
}

#[test]
fn budgets_infeasible_together() {
    // Two layers, two candidates that trade bops for size.
    let l = |n: &str| {
        Layer::new(n)
            .candidate(Candidate::new("a", 0.0).cost("bops", 1.0).cost("size", 5.0))
            .candidate(Candidate::new("b", 0.0).cost("bops", 5.0).cost("size", 1.0))
    };
    let p = Problem::new().layer(l("x")).layer(l("y")).budget("bops", 2.0).budget("size", 2.0);
    let e = err(&p);
    assert!(matches!(e, Error::InfeasibleCombination { .. }), "{e}");
    assert!(e.to_string().contains("bops=2") && e.to_string().contains("size=2"));
}

#[test]
fn nan_omega() {
    let mut p = net();
    p.layers[1].candidates[2].omega = f64::NAN;
    let e = err(&p);
    assert!(matches!(&e, Error::InvalidOmega { layer, candidate, .. } if layer == "fc2" && candidate == "w8"));
    assert!(e.to_string().contains("fc2") && e.to_string().contains("w8"));
}

#[test]
fn negative_or_nan_cost() {
    let mut p = net();
    p.layers[0].candidates[1].costs.insert("bops".into(), -1.0);
    assert!(
        matches!(err(&p), Error::InvalidCost { layer, cost, value, .. } if layer == "fc1" && cost == "bops" && value == -1.0)
    );
    let mut p = net();
    p.layers[2].candidates[0].costs.insert("size".into(), f64::NAN);
    assert!(matches!(err(&p), Error::InvalidCost { layer, .. } if layer == "fc3"));
    let mut p = net();
    p.layers[2].candidates[0].costs.insert("size".into(), f64::INFINITY);
    assert!(matches!(err(&p), Error::InvalidCost { .. }));
}

#[test]
fn empty_layers_and_problem() {
    let p = net().layer(Layer::new("empty"));
    assert_eq!(err(&p), Error::EmptyLayer { layer: "empty".into() });
    assert_eq!(err(&Problem::new()), Error::NoLayers);
}

#[test]
fn unknown_cost_names() {
    let e = err(&net().budget("latency", 5.0));
    assert!(matches!(&e, Error::UnknownCost { cost, .. } if cost == "latency"));
    assert!(e.to_string().contains("bops, size"));
    let e = pareto_front(&net(), "luts", &FrontOptions::default()).unwrap_err();
    assert!(matches!(e, Error::UnknownCost { .. }));
    let s: Sweep = "dsp=1:2:1".parse().unwrap();
    assert!(matches!(sweep(&net(), &s, &SolveOptions::default()), Err(Error::UnknownCost { .. })));
}

#[test]
fn missing_cost_and_bad_budget() {
    let mut p = net();
    p.layers[1].candidates[0].costs.remove("size");
    assert!(
        matches!(err(&p), Error::MissingCost { layer, candidate, cost } if layer == "fc2" && candidate == "w2" && cost == "size")
    );
    assert!(matches!(err(&net().budget("bops", f64::NAN)), Error::InvalidBudget { .. }));
}

#[test]
fn ties_and_fixed_are_checked() {
    let odd = Layer::new("odd").candidate(Candidate::new("w2", 1.0).cost("bops", 1.0).cost("size", 1.0));
    let e = err(&net().layer(odd).tie(["fc1", "odd"]));
    assert!(matches!(e, Error::TieMismatch { .. }), "{e}");
    assert!(matches!(err(&net().tie(["fc1", "nope"])), Error::UnknownLayer { .. }));
    assert!(matches!(err(&net().fix("nope", "w2")), Error::UnknownLayer { .. }));
    assert!(matches!(err(&net().fix("fc1", "w3")), Error::UnknownCandidate { .. }));
    let dup = net().layer(layer("fc1"));
    assert!(matches!(err(&dup), Error::DuplicateLayer { .. }));
}

#[test]
fn ties_and_fixed_shape_the_optimum() {
    // Without constraints, 90 BOPs buys w8 for one layer only... check ties
    // force equal choices and fixing is honoured.
    let p = net().budget("bops", 150.0).tie(["fc1", "fc3"]).fix("fc2", "w4");
    let s = solve(&p, &SolveOptions::default()).unwrap();
    assert_eq!(s.candidate_of("fc2"), Some("w4"));
    assert_eq!(s.candidate_of("fc1"), s.candidate_of("fc3"));
    // fc1 = fc3 = w4 (60) + fc2 w4 (30) = 90 ≤ 150; w8 pair would be 210.
    assert_eq!(s.candidate_of("fc1"), Some("w4"));
    assert!(s.proven_optimal);
}

#[test]
fn bad_sweeps() {
    for spec in ["bops", "bops=1:2", "bops=a:2:1", "bops=5:1:1", "bops=1:5:0", "=1:2:1"] {
        assert!(matches!(spec.parse::<Sweep>(), Err(Error::InvalidSweep { .. })), "{spec}");
    }
    let s: Sweep = "bops=250000:550000:50000".parse().unwrap();
    assert_eq!(s.values().len(), 7);
}
