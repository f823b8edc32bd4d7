//! `hawq-ilp`: solve a bit-allocation table, or sweep a budget for its Pareto front.
//!
//! ```text
//! hawq-ilp solve table.json --budget bops=350000 --budget size=20000 --out result.json
//! hawq-ilp pareto table.json --sweep bops=250000:550000:50000 --out front.json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use hawq_ilp::{Algorithm, FrontOptions, Problem, Solution, SolveOptions, Sweep, pareto_front, solve, sweep};

#[derive(Parser)]
#[command(name = "hawq-ilp", version, about = "Exact mixed-precision bit allocation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum AlgorithmArg {
    Auto,
    BranchAndBound,
    Microlp,
}

#[derive(Subcommand)]
enum Command {
    /// Choose one candidate per layer minimising ΣΩ within the budgets.
    Solve {
        /// The JSON table (layers, candidates, budgets, ties, fixed).
        table: PathBuf,
        /// A budget `cost=limit`; repeatable; replaces the table's budget on that cost.
        #[arg(long = "budget", value_name = "COST=LIMIT")]
        budgets: Vec<String>,
        /// Write the solution as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The exact algorithm.
        #[arg(long, value_enum, default_value = "auto")]
        algorithm: AlgorithmArg,
        /// Time limit in seconds (the result may then be unproven).
        #[arg(long)]
        time_limit: Option<f64>,
    },
    /// Solve at every budget of a sweep and compute the exact Pareto front.
    Pareto {
        /// The JSON table.
        table: PathBuf,
        /// `cost=start:stop:step`, for example `bops=250000:550000:50000`.
        #[arg(long)]
        sweep: String,
        /// Further budgets `cost=limit` held fixed during the sweep.
        #[arg(long = "budget", value_name = "COST=LIMIT")]
        budgets: Vec<String>,
        /// Skip the exact front (sweep only).
        #[arg(long)]
        no_front: bool,
        /// Largest number of partial selections the exact front may keep.
        #[arg(long, default_value_t = 2_000_000)]
        max_labels: usize,
        /// Write the sweep and front as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn load(table: &PathBuf, budgets: &[String]) -> Result<Problem> {
    let text = std::fs::read_to_string(table).with_context(|| format!("reading {}", table.display()))?;
    let mut problem = Problem::from_json(&text).with_context(|| format!("parsing {}", table.display()))?;
    for b in budgets {
        let Some((cost, limit)) = b.split_once('=') else {
            bail!("budget `{b}`: expected COST=LIMIT");
        };
        let limit: f64 = limit.trim().parse().with_context(|| format!("budget `{b}`: `{limit}` is not a number"))?;
        problem.set_budget(cost.trim(), limit);
    }
    Ok(problem)
}

fn print_solution(problem: &Problem, s: &Solution) {
    let width = problem.layers.iter().map(|l| l.name.len()).max().unwrap_or(5).max(5);
    println!("{:width$}  candidate", "layer");
    for c in &s.choices {
        println!("{:width$}  {}", c.layer, c.candidate);
    }
    println!();
    println!("objective ΣΩ   {:.6e}", s.objective);
    for (name, total) in &s.totals {
        let budget = problem
            .budgets
            .iter()
            .find(|b| &b.cost == name)
            .map(|b| format!(" (budget {})", b.limit))
            .unwrap_or_default();
        println!("total {name:9} {total}{budget}");
    }
    println!(
        "proven optimal {} by {:?} in {:.3} ms ({} nodes)",
        s.proven_optimal,
        s.method,
        s.solve_time_s * 1e3,
        s.stats.nodes
    );
}

fn write_json<T: serde::Serialize>(path: &PathBuf, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn main() -> ExitCode {
    cli_support::finish("hawq-ilp", run(cli_support::parse("hawq-ilp")))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Solve { table, budgets, out, algorithm, time_limit } => {
            let problem = load(&table, &budgets)?;
            let options = SolveOptions {
                algorithm: match algorithm {
                    AlgorithmArg::Auto => Algorithm::Auto,
                    AlgorithmArg::BranchAndBound => Algorithm::BranchAndBound,
                    AlgorithmArg::Microlp => Algorithm::Microlp,
                },
                time_limit: match time_limit {
                    Some(t) if t.is_finite() && t >= 0.0 => Some(Duration::from_secs_f64(t)),
                    Some(t) => bail!("--time-limit {t}: expected a non-negative number"),
                    None => None,
                },
                node_limit: None,
            };
            let solution = solve(&problem, &options)?;
            print_solution(&problem, &solution);
            if let Some(out) = out {
                write_json(&out, &solution)?;
            }
        }
        Command::Pareto { table, sweep: spec, budgets, no_front, max_labels, out } => {
            let problem = load(&table, &budgets)?;
            let spec: Sweep = spec.parse()?;
            let points = sweep(&problem, &spec, &SolveOptions::default())?;
            println!("{:>14}  {:>14}  {:>14}  proven  selection", format!("{} budget", spec.cost), "ΣΩ", "total");
            for p in &points {
                match &p.solution {
                    Some(s) => println!(
                        "{:>14}  {:>14.6e}  {:>14}  {:>6}  {}",
                        p.budget,
                        s.objective,
                        s.totals[&spec.cost],
                        s.proven_optimal,
                        s.choices.iter().map(|c| c.candidate.as_str()).collect::<Vec<_>>().join(",")
                    ),
                    None => println!("{:>14}  infeasible: {}", p.budget, p.error.as_deref().unwrap_or("")),
                }
            }
            let front = if no_front {
                None
            } else {
                let mut unbounded = problem.clone();
                unbounded.budgets.retain(|b| b.cost != spec.cost);
                let front = pareto_front(&unbounded, &spec.cost, &FrontOptions { max_labels })?;
                println!();
                println!("exact Pareto front of (ΣΩ, {}): {} points", spec.cost, front.points.len());
                for p in &front.points {
                    println!("{:>14}  {:>14.6e}", p.cost, p.objective);
                }
                Some(front)
            };
            if let Some(out) = out {
                write_json(&out, &serde_json::json!({ "sweep": points, "front": front }))?;
            }
        }
    }
    Ok(())
}
