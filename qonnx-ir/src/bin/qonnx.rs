//! `qonnx`: inspect, clean up, execute, convert and cost QONNX/ONNX models.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use ndarray::ArrayD;
use ndarray_npy::{read_npy, write_npy};
use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::{Model, Tensor, attr, cost, transform};

#[derive(Parser)]
#[command(name = "qonnx", version, about = "Inspect, clean up, execute, convert and cost QONNX models")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print a table of the nodes: op, inputs, outputs, shapes, datatypes and bit widths.
    Inspect {
        /// The model.
        model: PathBuf,
    },
    /// Clean up as qonnx's cleanup_model does and save.
    Cleanup {
        /// Input model.
        input: PathBuf,
        /// Output model.
        output: PathBuf,
    },
    /// Execute a model on a .npy input and write the first output as .npy.
    Exec {
        /// The model.
        model: PathBuf,
        /// Input array (.npy, float32).
        #[arg(long)]
        input: PathBuf,
        /// Output array (.npy, float32).
        #[arg(long)]
        output: PathBuf,
        /// Batch size to run at, for models that bake one in (the input's first dimension must
        /// equal it).
        #[arg(long)]
        batch: Option<usize>,
        /// Accumulate MatMul/Gemm in f64 (exact for integer-valued quantized networks).
        #[arg(long)]
        exact: bool,
    },
    /// Convert between the QONNX (Quant) and QCDQ (QuantizeLinear/Clip/DequantizeLinear) forms.
    Convert {
        /// Target form.
        #[arg(long)]
        to: Form,
        /// Input model.
        input: PathBuf,
        /// Output model.
        output: PathBuf,
    },
    /// Per-layer MACs, weight bits and BOPs.
    Cost {
        /// The model.
        model: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Form {
    Qcdq,
    Qonnx,
}

fn main() -> ExitCode {
    // A closed pipe (`qonnx inspect m.onnx | head`) ends the program quietly.
    std::panic::set_hook(Box::new(|info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        eprintln!("qonnx: internal error: {info}");
    }));
    cli_support::finish("qonnx", run(cli_support::parse("qonnx")))
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Inspect { model } => inspect(&Model::load(&model)?),
        Cmd::Cleanup { input, output } => {
            let mut m = Model::load(&input)?;
            transform::cleanup(&mut m)?;
            m.save(&output)?;
            println!(
                "{} nodes, {} initializers → {}",
                m.graph.nodes.len(),
                m.graph.initializers.len(),
                output.display()
            );
            Ok(())
        }
        Cmd::Exec { model, input, output, batch, exact } => {
            let m = Model::load(&model)?;
            let x: ArrayD<f32> = read_npy(&input).with_context(|| format!("reading {}", input.display()))?;
            if let Some(b) = batch
                && x.shape().first() != Some(&b)
            {
                bail!("--batch {b} but the input has shape {:?}", x.shape());
            }
            let inputs = m.graph.real_inputs();
            let [first] = inputs.as_slice() else { bail!("the model has {} inputs; exec supports one", inputs.len()) };
            let opts = ExecOptions { exact, any_batch: batch.is_some(), ..Default::default() };
            let res = execute(&m, &[(first.name.as_str(), Tensor::F32(x))], &opts)?;
            let (name, y) = &res.outputs[0];
            let y = y.to_f32();
            write_npy(&output, &y).with_context(|| format!("writing {}", output.display()))?;
            println!("{name}: {:?} → {}", y.shape(), output.display());
            Ok(())
        }
        Cmd::Convert { to, input, output } => {
            let mut m = Model::load(&input)?;
            match to {
                Form::Qcdq => {
                    transform::infer_shapes(&mut m)?;
                    let r = transform::qonnx_to_qcdq(&mut m)?;
                    println!("{} Quant nodes converted", r.converted);
                    for (node, why) in r.skipped {
                        println!("  kept {node}: {why}");
                    }
                }
                Form::Qonnx => println!("{} QCDQ chains converted", transform::qcdq_to_qonnx(&mut m)?),
            }
            transform::infer_shapes(&mut m)?;
            m.save(&output)?;
            Ok(())
        }
        Cmd::Cost { model, json } => {
            let r = cost::analyze(&Model::load(&model)?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            println!(
                "{:<16} {:>5} {:>5} {:>4} {:>4} {:>6} {:>9} {:>10} {:>12}",
                "layer", "n_in", "n_out", "b_w", "b_a", "f_p", "MACs", "w bits", "BOPs"
            );
            for l in &r.layers {
                println!(
                    "{:<16} {:>5} {:>5} {:>4} {:>4} {:>6.3} {:>9} {:>10} {:>12.0}",
                    l.node,
                    l.inputs,
                    l.outputs,
                    l.weight_bits,
                    l.act_bits,
                    l.zero_fraction,
                    l.macs,
                    l.weight_storage_bits,
                    l.bops
                );
            }
            println!(
                "{:<16} {:>35} {:>9} {:>10} {:>12.0}",
                "total", "", r.total_macs, r.total_weight_bits, r.total_bops
            );
            println!("BOPs = m·n·((1 − f_p)·b_a·b_w + b_a + b_w + log2 n) per sample (the ILP's budgets use this).");
            for f in [&r.qonnx, &r.qonnx_dense] {
                println!(
                    "Python qonnx inference_cost (discount_sparsity={}): total_bops {:.0}, total_macs {:.0}, \
                     total_mem_w_bits {:.0}, total_mem_w_elems {:.0}",
                    if f.discount_sparsity { "True" } else { "False" },
                    f.total_bops,
                    f.total_macs,
                    f.total_mem_w_bits,
                    f.total_mem_w_elems
                );
            }
            Ok(())
        }
    }
}

fn inspect(m: &Model) -> Result<()> {
    let g = &m.graph;
    println!(
        "producer {} {} · ir {} · opsets {}",
        m.producer_name.as_deref().unwrap_or("?"),
        m.producer_version.as_deref().unwrap_or(""),
        m.ir_version.unwrap_or(0),
        m.opset_imports
            .iter()
            .map(|o| format!("{}:{}", o.domain.as_deref().unwrap_or(""), o.version.unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let shape = |t: &str| -> String {
        if let Some(v) = g.initializer(t) {
            return format!("{:?}", v.shape());
        }
        g.value_info_of(t)
            .and_then(|v| v.shape())
            .map(|s| format!("[{}]", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")))
            .unwrap_or_else(|| "?".into())
    };
    println!(
        "{:<14} {:<14} {:<22} {:<12} {:<14} {:>4}  attributes",
        "node", "op", "output", "shape", "datatype", "bits"
    );
    for n in &g.nodes {
        let out = n.outputs.first().map(String::as_str).unwrap_or("");
        let dt = g.tensor_datatype(out).map(|d| d.to_string()).unwrap_or_else(|| "-".into());
        let bits = cost::quant_bits(g, out).map(|b| b.to_string()).unwrap_or_else(|| "-".into());
        let attrs: Vec<String> =
            n.attributes.iter().map(|a| format!("{}={}", a.name.as_deref().unwrap_or(""), attr::render(a))).collect();
        println!(
            "{:<14} {:<14} {:<22} {:<12} {:<14} {:>4}  {}",
            n.name(),
            n.op_type,
            out,
            shape(out),
            dt,
            bits,
            attrs.join(" ")
        );
    }
    for i in g.real_inputs() {
        println!("input  {} {}", i.name, shape(&i.name));
    }
    for o in &g.outputs {
        println!("output {} {}", o.name, shape(&o.name));
    }
    Ok(())
}
