//! `hawq-ilp`: the problem from JSON, solve, sweep, the exact front and caller cost tables.

use hawq_ilp::cost::CostTable;
use hawq_ilp::{Candidate, Error, FrontOptions, Layer, Problem, SolveOptions, Sweep, pareto_front, solve, sweep};

use crate::{Case, Class, case, is, run_table};

fn net() -> Problem {
    let layer = |name: &str| {
        let mut l = Layer::new(name);
        for b in [2u32, 4, 8] {
            l = l.candidate(Candidate::new(format!("w{b}"), 4f64.powi(-(b as i32))).cost("bops", f64::from(b * b)));
        }
        l
    };
    Problem::new().layer(layer("fc1")).layer(layer("fc2")).layer(layer("fc3"))
}

fn solved(p: Problem) -> Result<(), Error> {
    solve(&p, &SolveOptions::default()).map(drop)
}

#[test]
fn hawq_ilp() {
    let json = net().to_json().unwrap();
    let cut = json[..json.len() / 2].to_string();
    let cases: Vec<Case<Error>> = vec![
        is!(case("Problem::from_json", Class::Garbage, || Problem::from_json("{ not json").map(drop)), Error::Json(_)),
        is!(case("Problem::from_json", Class::Truncated, move || Problem::from_json(&cut).map(drop)), Error::Json(_)),
        is!(
            case("Problem::from_json", Class::WrongShape, || Problem::from_json(r#"{"layers": 3}"#).map(drop)),
            Error::Json(_)
        )
        .names("line 1"),
        is!(
            case("Problem::from_json", Class::Absurd, || {
                let text = r#"{"layers": [{"name": "fc1", "candidates": [{"label": "w2", "omega": 1e999}]}]}"#;
                Problem::from_json(text).map(drop)
            }),
            Error::Json(_)
        ),
        is!(
            case("solve", Class::NonFinite, || {
                let mut p = net();
                p.layers[1].candidates[0].omega = f64::INFINITY;
                solved(p)
            }),
            Error::InvalidOmega { layer, candidate, .. } if layer == "fc2" && candidate == "w2"
        ),
        is!(
            case("solve", Class::NonFinite, || solved(net().budget("bops", f64::NAN))),
            Error::InvalidBudget { cost, .. } if cost == "bops"
        ),
        is!(
            case("solve", Class::Absurd, || solved(net().budget("bops", -1e300))),
            Error::InfeasibleBudget { cost, .. } if cost == "bops"
        )
        .names("minimal achievable total is 12"),
        // A budget far above every total is no constraint: the optimum takes the widest bits.
        case("solve", Class::Absurd, || {
            let s = solve(&net().budget("bops", 1e300), &SolveOptions::default())?;
            assert!(s.choices.iter().all(|c| c.candidate == "w8") && s.proven_optimal);
            Ok(())
        }),
        is!(
            case("solve", Class::Unknown, || solved(net().budget("luts", 5.0))),
            Error::UnknownCost { cost, .. } if cost == "luts"
        ),
        is!(
            case("Sweep::from_str", Class::Absurd, || "bops=0:1e12:1".parse::<Sweep>().map(drop)),
            Error::InvalidSweep { .. }
        )
        .names("million"),
        is!(
            case("Sweep::from_str", Class::NonFinite, || "bops=0:inf:1".parse::<Sweep>().map(drop)),
            Error::InvalidSweep { .. }
        ),
        is!(
            case("sweep", Class::Unknown, || {
                let s: Sweep = "dsp=1:2:1".parse()?;
                sweep(&net(), &s, &SolveOptions::default()).map(drop)
            }),
            Error::UnknownCost { .. }
        ),
        is!(
            case("pareto_front", Class::Absurd, || {
                pareto_front(&net(), "bops", &FrontOptions { max_labels: 1 }).map(drop)
            }),
            Error::FrontTooLarge { cap: 1, .. }
        ),
        is!(
            case("CostTable::apply", Class::Missing, || {
                let mut t = CostTable::new();
                t.insert("fc1", "w2", 1.0);
                t.apply(&mut net(), "latency")
            }),
            Error::MissingTableEntry { .. }
        )
        .names("fc1"),
    ];
    run_table("hawq-ilp", cases);
}
