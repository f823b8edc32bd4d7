//! `hls-backend`: configuration files, lowering, the emulator, the project and RTL writers,
//! precisions, and the runners of the external tools (the `g++` C simulation, Icarus, Yosys).

use hls_backend::config::SoftmaxImpl;
use hls_backend::csim::{build_csim, run_built_csim, run_csim};
use hls_backend::rtl::sim::run_icarus;
use hls_backend::rtl::synth::{run_yosys, synthesize};
use hls_backend::rtl::{Pipeline, RtlConfig, write_rtl};
use hls_backend::writer::write_project;
use hls_backend::{Emulator, Error, FixedType, HlsConfig, HlsModel, lower::lower};
use qonnx_ir::Model;
use qonnx_ir::model::{Graph, Node, ValueInfo};
use qonnx_ir::proto::data_type::FLOAT;

use crate::{Case, Class, case, file, is, qkeras_bytes, run_table, tmp, under_a_file};

fn config() -> HlsConfig {
    HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() }
}

fn tagger() -> HlsModel {
    lower(&Model::from_bytes(&qkeras_bytes(), "qkeras").unwrap(), &config()).unwrap()
}

/// `y = op(x)` for a `[1, 4]` input.
fn one_node(op: &str) -> Model {
    let mut g = Graph::default();
    let mut n = Node::new(op, &["x"], &["y"]);
    n.name = Some(format!("{op}_0"));
    g.nodes.push(n);
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &[qonnx_ir::Dim::Value(1), qonnx_ir::Dim::Value(4)]));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    Model::new(g, &[("", 13)])
}

#[test]
fn hls_backend() {
    let dir = tmp("hls-backend");
    let missing = dir.join("missing.toml");
    let garbage = file(&dir, "garbage.toml", "name = \"ok\"\nclock_period_ns = [oops\n");
    let unknown = file(&dir, "unknown.toml", "name = \"ok\"\nbogus_field = 3\n");
    let wrong_type = file(&dir, "wrong.json", r#"{"name": "ok", "clock_period_ns": "fast"}"#);
    let zero = file(&dir, "zero.toml", "reuse_factor = 0\n");
    let project = under_a_file(&dir, "project");
    let rtl = under_a_file(&dir, "rtl");
    let tb = vec![0.25; 32];
    let cases: Vec<Case<Error>> = vec![
        {
            let p = missing.clone();
            is!(
                case("HlsConfig::from_file", Class::Missing, move || HlsConfig::from_file(&p).map(drop)),
                Error::Io { .. }
            )
            .names(missing.display())
        },
        {
            let p = garbage.clone();
            is!(
                case("HlsConfig::from_file", Class::Garbage, move || HlsConfig::from_file(&p).map(drop)),
                Error::Config(_)
            )
            .names(format!("{}:2", garbage.display()))
        },
        {
            let p = unknown.clone();
            is!(
                case("HlsConfig::from_file", Class::Unknown, move || HlsConfig::from_file(&p).map(drop)),
                Error::Config(_)
            )
            .names("bogus_field")
            .names(format!("{}:2", unknown.display()))
        },
        {
            let p = wrong_type.clone();
            is!(
                case("HlsConfig::from_file", Class::WrongShape, move || HlsConfig::from_file(&p).map(drop)),
                Error::Config(_)
            )
            .names("line 1")
        },
        {
            let p = zero.clone();
            is!(
                case("HlsConfig::from_file", Class::BadValue, move || HlsConfig::from_file(&p).map(drop)),
                Error::Config(_)
            )
            .names("reuse factor")
        },
        is!(
            case("HlsConfig::validate", Class::NonFinite, || {
                HlsConfig { clock_period_ns: f64::NAN, ..Default::default() }.validate()
            }),
            Error::Config(_)
        )
        .names("clock period"),
        is!(
            case("FixedType::from_str", Class::Absurd, || "ap_fixed<100000,6>".parse::<FixedType>().map(drop)),
            Error::Precision(_)
        ),
        is!(
            case("FixedType::from_str", Class::Garbage, || "float<8>".parse::<FixedType>().map(drop)),
            Error::Precision(_)
        ),
        is!(
            case("lower", Class::Unknown, || lower(&one_node("FancyRelu"), &config()).map(drop)),
            Error::UnsupportedOp { node, op } if node == "FancyRelu_0" && op == "FancyRelu"
        ),
        is!(
            case("lower", Class::Unknown, || lower(&one_node("Sigmoid"), &config()).map(drop)),
            Error::UnsupportedOp { node, .. } if node == "Sigmoid_0"
        ),
        is!(
            case("Emulator::run", Class::WrongShape, || Emulator::new(&tagger()).run(&[0.5; 15]).map(drop)),
            Error::Input(_)
        )
        .names("15 values"),
        is!(
            case("Emulator::run", Class::NonFinite, || {
                let mut x = vec![0.5; 32];
                x[20] = f64::NAN;
                Emulator::new(&tagger()).run(&x).map(drop)
            }),
            Error::Input(_)
        )
        .names("sample 1, feature 4"),
        is!(
            case("Emulator::run_raw", Class::WrongShape, || Emulator::new(&tagger()).run_raw(&[1; 17]).map(drop)),
            Error::Input(_)
        ),
        {
            let (p, tb) = (project.clone(), tb.clone());
            is!(
                case("writer::write_project", Class::Unwritable, move || {
                    write_project(&tagger(), &config(), &p, &tb, None).map(drop)
                }),
                Error::Io { .. }
            )
            .names("a-file")
            .leaves_no(&project)
        },
        {
            let p = dir.join("project-nan");
            is!(
                case("writer::write_project", Class::NonFinite, move || {
                    write_project(&tagger(), &config(), &p, &[f64::INFINITY; 16], None).map(drop)
                }),
                Error::Input(_)
            )
            .names("sample 0, feature 0")
            .leaves_no(dir.join("project-nan"))
        },
        {
            let p = dir.join("project-short");
            is!(
                case("writer::write_project", Class::WrongShape, move || {
                    write_project(&tagger(), &config(), &p, &[0.5; 17], None).map(drop)
                }),
                Error::Input(_)
            )
            .leaves_no(dir.join("project-short"))
        },
        {
            let p = rtl.clone();
            is!(
                case("rtl::write_rtl", Class::Unwritable, move || {
                    write_rtl(&tagger(), &RtlConfig::default(), &p, &tb).map(drop)
                }),
                Error::Io { .. }
            )
            .leaves_no(&rtl)
        },
        {
            let p = dir.join("rtl-bad-clock");
            is!(
                case("rtl::write_rtl", Class::BadValue, move || {
                    let config = RtlConfig { pipeline: Pipeline::ClockNs(f64::NAN), share: true };
                    write_rtl(&tagger(), &config, &p, &[]).map(drop)
                }),
                Error::Config(_)
            )
            .names("clock period")
            .leaves_no(dir.join("rtl-bad-clock"))
        },
    ];
    run_table("hls-backend", cases);
}

/// The runners of the external tools, on missing, broken and garbage designs. Their errors are
/// `Error::Io` naming the project or folder, with the tool's first line. Where a tool is not
/// installed the runner gives the same variant, naming the folder, so the table holds either way.
#[test]
fn tool_runners() {
    let dir = tmp("hls-backend-tools");
    let missing = dir.join("no-such-project");
    let name = config().name;
    let project = dir.join("project");
    write_project(&tagger(), &config(), &project, &[0.25; 32], None).unwrap();
    let firmware = project.join(format!("firmware/{name}.cpp"));
    let text = std::fs::read_to_string(&firmware).unwrap();
    std::fs::write(&firmware, &text[..text.len() / 2]).unwrap();
    let verilog = dir.join("verilog");
    std::fs::create_dir_all(&verilog).unwrap();
    file(&verilog, "top.v", "module top(input a, output b); assign b = ;\n");
    file(&verilog, "tb_top.v", "module tb_top; top t(); initial $finish; endmodule\n");
    let cases: Vec<Case<Error>> = vec![
        {
            let (p, n) = (missing.clone(), name.clone());
            is!(
                case("csim::run_csim", Class::Missing, move || run_csim(&p, &n, &p.join("ap_types")).map(drop)),
                Error::Io { .. }
            )
            .names(missing.display())
            .leaves_no(&missing)
        },
        {
            let (p, n) = (project.clone(), name.clone());
            is!(
                case("csim::build_csim", Class::Truncated, move || {
                    build_csim(&p, &n, &p.join("no-ap-types"), "-O1").map(drop)
                }),
                Error::Io { .. }
            )
            .names(project.display())
            .names("g++ failed")
            .leaves_no(project.join("csim"))
        },
        {
            let (p, exe) = (project.clone(), dir.join("no-such-exe"));
            is!(
                case("csim::run_built_csim", Class::Missing, move || run_built_csim(&p, &exe).map(drop)),
                Error::Io { .. }
            )
            .names(dir.join("no-such-exe").display())
        },
        {
            let p = missing.clone();
            is!(case("rtl::sim::run_icarus", Class::Missing, move || run_icarus(&p, "top").map(drop)), Error::Io { .. })
                .names(missing.display())
                .leaves_no(&missing)
        },
        {
            let p = verilog.clone();
            is!(case("rtl::sim::run_icarus", Class::Garbage, move || run_icarus(&p, "top").map(drop)), Error::Io { .. })
                .names(verilog.display())
                .leaves_no(verilog.join("tb_output.txt"))
        },
        {
            let p = missing.clone();
            is!(case("rtl::synth::run_yosys", Class::Missing, move || run_yosys(&p, "top").map(drop)), Error::Io { .. })
                .names(missing.display())
                .leaves_no(&missing)
        },
        {
            let p = verilog.clone();
            is!(
                case("rtl::synth::synthesize", Class::Garbage, move || {
                    synthesize(&p, "top", &["top.v".to_string()]).map(drop)
                }),
                Error::Io { .. }
            )
            .names(verilog.display())
            .leaves_no(verilog.join("synth_report.json"))
        },
    ];
    run_table("hls-backend tool runners", cases);
}
