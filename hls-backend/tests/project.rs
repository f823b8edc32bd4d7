//! The generated project: C++ passes `g++ -fsyntax-only` with `ap_types`, the tcl runs in
//! `tclsh` (HLS commands stubbed), float models work, and bad input gives typed errors.

mod common;

use std::process::Command;

use hls_backend::config::{LayerConfig, SoftmaxImpl};
use hls_backend::{Emulator, Error, HlsConfig, estimate::estimate, lower::lower, writer::write_project};
use qonnx_ir::model::{Graph, Initializer, Node, ValueInfo};
use qonnx_ir::{Dim, Model, Tensor, attr};

fn qkeras() -> Model {
    Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap()
}

#[test]
fn generated_cpp_passes_syntax_check_and_tcl_runs_in_tclsh() {
    let Some(ap) = common::ap_types() else { return };
    let cfg = HlsConfig { name: "jet".into(), ..Default::default() };
    let hls = lower(&qkeras(), &cfg).unwrap();
    let dir = common::tmpdir("syntax").join("prj");
    let files = write_project(&hls, &cfg, &dir, &common::grid_inputs(4, 16, 1), None).unwrap();
    for f in [
        "firmware/jet.cpp",
        "firmware/jet.h",
        "firmware/defines.h",
        "firmware/parameters.h",
        "jet_test.cpp",
        "build_prj.tcl",
        "README.md",
    ] {
        assert!(files.iter().any(|p| p.to_str() == Some(f)), "{f} missing");
    }
    for src in ["firmware/jet.cpp", "jet_test.cpp"] {
        let out = Command::new("g++")
            .args(["-std=c++14", "-fsyntax-only", "-Wall"])
            .arg(format!("-I{}", ap.display()))
            .arg(format!("-I{}", dir.join("firmware").display()))
            .arg(dir.join(src))
            .output()
            .unwrap();
        assert!(out.status.success(), "{src}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Stub the HLS commands, record the calls, and run the script as vivado_hls would.
    let stub = dir.join("stub.tcl");
    std::fs::write(
        &stub,
        "set calls {}\nforeach c {open_project set_top add_files open_solution set_part create_clock csim_design csynth_design cosim_design export_design} {\n  proc $c args \"lappend ::calls $c\"\n}\nrename exit real_exit\nproc exit args { puts $::calls; real_exit 0 }\nset argv [list {csim=1 synth=0 cosim=1}]\nsource build_prj.tcl\n",
    )
    .unwrap();
    let tclsh = match Command::new("tclsh").arg(&stub).current_dir(&dir).output() {
        Ok(o) => o,
        Err(e) => {
            return test_support::skip::<()>(&format!("tclsh not available ({e}); apt-get install tcl")).unwrap_or(());
        }
    };
    let calls = String::from_utf8_lossy(&tclsh.stdout);
    assert!(tclsh.status.success(), "{}", String::from_utf8_lossy(&tclsh.stderr));
    let last = calls.lines().last().unwrap_or("");
    assert_eq!(
        last,
        "open_project set_top add_files add_files add_files open_solution set_part create_clock csim_design cosim_design",
        "{calls}"
    );
}

#[test]
fn float_models_lower_and_csim_matches_emulator() {
    let Some(ap) = common::ap_types() else { return };
    for name in ["three_layer_keras", "three_layer_pytorch", "three_layer_bn_pytorch"] {
        let m = Model::load(common::testdata(format!("models/{name}.onnx"))).unwrap();
        let cfg = HlsConfig {
            name: "float_net".into(),
            softmax: SoftmaxImpl::Skip,
            default_precision: "ap_fixed<18,8,AP_RND_CONV,AP_SAT>".into(),
            ..Default::default()
        };
        let hls = lower(&m, &cfg).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Inputs in [−1, 1), the range of standardized jet features.
        let x: Vec<f64> = common::grid_inputs(500, 16, 3).iter().map(|v| v / 8.0).collect();
        let emu = Emulator::new(&hls).run(&x).unwrap().values();
        let dir = common::tmpdir(name).join("prj");
        write_project(&hls, &cfg, &dir, &x, None).unwrap();
        assert_eq!(common::csim(&dir, "float_net", &ap), emu, "{name}");
        // Close to the float model (fixed-point rounding only).
        let mut cleaned = m.clone();
        qonnx_ir::transform::cleanup(&mut cleaned).unwrap();
        let out = cleaned.graph.outputs[0].name.clone();
        let sm = cleaned.graph.producer(&out).unwrap();
        let node = cleaned.graph.nodes.remove(sm);
        qonnx_ir::transform::rename_tensor(&mut cleaned, &node.inputs[0], &out);
        let input = cleaned.graph.real_inputs()[0].name.clone();
        let t = Tensor::from_f32(&[500, 16], x.iter().map(|&v| v as f32).collect()).unwrap();
        let opts = qonnx_ir::exec::ExecOptions { any_batch: true, ..Default::default() };
        let want = qonnx_ir::exec::execute(&cleaned, &[(input.as_str(), t)], &opts).unwrap();
        let want: Vec<f64> = want.outputs[0].1.to_f64().iter().copied().collect();
        let worst = emu.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst < 0.1, "{name}: worst logit difference {worst}");
    }
}

/// x → Quant(x) → MatMul(W) → y, with the Quant's parameters given.
fn quant_model(scale: f32, zeropt: f32, mode: &str, scale_const: bool) -> Model {
    let mut g = Graph::default();
    let mut q = Node::new("Quant", &["x", "s", "z", "b"], &["q"]);
    q.domain = Some("qonnx.custom_op.general".into());
    q.name = Some("Quant_in".into());
    q.set_attr(attr::string("rounding_mode", mode));
    g.nodes.push(q);
    g.nodes.push(Node { name: Some("MatMul_0".into()), ..Node::new("MatMul", &["q", "w"], &["y"]) });
    g.inputs.push(ValueInfo::tensor("x", 1, &[Dim::Param("N".into()), Dim::Value(2)]));
    if !scale_const {
        g.inputs.push(ValueInfo::tensor("s", 1, &[]));
    } else {
        g.initializers.push(Initializer::new("s", Tensor::scalar_f32(scale)));
    }
    g.outputs.push(ValueInfo::tensor("y", 1, &[Dim::Param("N".into()), Dim::Value(2)]));
    g.initializers.push(Initializer::new("z", Tensor::scalar_f32(zeropt)));
    g.initializers.push(Initializer::new("b", Tensor::scalar_f32(8.0)));
    g.initializers.push(Initializer::new("w", Tensor::from_f32(&[2, 2], vec![0.5, -0.25, 1.0, 0.0]).unwrap()));
    Model::new(g, &[("", 13), ("qonnx.custom_op.general", 1)])
}

#[test]
fn bad_models_and_configs_are_typed_errors() {
    let cfg = HlsConfig::default();
    assert!(lower(&quant_model(0.25, 0.0, "ROUND", true), &cfg).is_ok());
    // A non-power-of-two scale, a zero-point, a rounding mode with no ap_fixed equivalent.
    for (m, what) in [
        (quant_model(0.3, 0.0, "ROUND", true), "power of two"),
        (quant_model(0.25, 1.0, "ROUND", true), "zero-point"),
        (quant_model(0.25, 0.0, "CEIL", true), "rounding mode"),
    ] {
        let e = lower(&m, &cfg).unwrap_err();
        assert!(matches!(&e, Error::Unsupported { node, .. } if node == "Quant_in"), "{e}");
        assert!(e.to_string().contains(what), "{e}");
    }
    // A scale that is not a constant.
    let e = lower(&quant_model(0.25, 0.0, "ROUND", false), &cfg).unwrap_err();
    assert!(e.to_string().contains("Quant_in"), "{e}");
    // An op the backend does not lower names node and op.
    let mut m = quant_model(0.25, 0.0, "ROUND", true);
    m.graph.nodes[1].op_type = "Conv".into();
    let e = lower(&m, &cfg).unwrap_err();
    assert!(
        matches!(&e, Error::UnsupportedOp { node, op } if node == "MatMul_0" && op == "Conv")
            || e.to_string().contains("Conv"),
        "{e}"
    );
    // A configuration naming a layer that does not exist.
    let mut bad = HlsConfig::default();
    bad.layers.insert("MatMul_7".into(), LayerConfig { reuse_factor: Some(2), ..Default::default() });
    let e = lower(&qkeras(), &bad).unwrap_err();
    assert!(matches!(&e, Error::Config(m) if m.contains("MatMul_7")), "{e}");
    // Bad precision strings and names.
    let e = lower(&qkeras(), &HlsConfig { input_precision: "ap_fixed<0,3>".into(), ..Default::default() }).unwrap_err();
    assert!(matches!(e, Error::Precision(_)), "{e}");
    let e = lower(&qkeras(), &HlsConfig { name: "3bad name".into(), ..Default::default() }).unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
}

#[test]
fn failed_write_leaves_nothing_behind() {
    let cfg = HlsConfig::default();
    let hls = lower(&qkeras(), &cfg).unwrap();
    let base = common::tmpdir("failwrite");
    // The parent is a file: nothing can be created there.
    let blocker = base.join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let e = write_project(&hls, &cfg, &blocker.join("prj"), &[], None).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    // Wrong-sized testbench data fails before anything is written.
    let target = base.join("prj");
    assert!(write_project(&hls, &cfg, &target, &[1.0; 17], None).is_err());
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(&base).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("file")]);
}

#[test]
fn layer_overrides_change_types_and_estimates() {
    let mut cfg = HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() };
    cfg.layers.insert(
        "MatMul_3".into(),
        LayerConfig { result_precision: Some("ap_fixed<8,3,AP_RND_CONV,AP_SAT>".into()), ..Default::default() },
    );
    cfg.layers.insert("MatMul_0".into(), LayerConfig { reuse_factor: Some(4), ..Default::default() });
    let hls = lower(&qkeras(), &cfg).unwrap();
    assert_eq!(hls.output_type().cpp(), "ap_fixed<8,3,AP_RND_CONV,AP_SAT>");
    let base = estimate(&hls, &HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() });
    let est = estimate(&hls, &cfg);
    assert_eq!(est.kind, "analytic estimate");
    assert!(
        est.layers[0].lut < base.layers[0].lut && est.layers[0].latency_cycles == base.layers[0].latency_cycles + 3
    );
    // The override saturates the logits as ap_fixed<8,3> would.
    let y = Emulator::new(&hls).run(&common::grid_inputs(200, 16, 5)).unwrap().values();
    assert!(y.iter().all(|v| (-4.0..4.0).contains(v) && (v * 32.0).fract() == 0.0));
}

#[test]
fn layers_take_node_names_made_safe_identifiers() {
    // Node names a producer might choose: the generated code's own names, a path with slashes,
    // names that differ only in case, a macro suffix, a leading digit.
    let mut m = qkeras();
    let mut matmul = ["input", "Output", "/fc3/MatMul", "a_nonzero"].into_iter();
    let mut relu = ["LAYER", "layer", "9lives"].into_iter();
    for n in &mut m.graph.nodes {
        let next = match n.op_type.as_str() {
            "MatMul" => matmul.next(),
            "Relu" => relu.next(),
            _ => None,
        };
        if let Some(name) = next {
            n.name = Some(name.to_string());
        }
    }
    let cfg = HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() };
    let hls = lower(&m, &cfg).unwrap();
    let names: Vec<&str> = hls.layers.iter().map(|l| l.name.as_str()).collect();
    let mut lower_case: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    lower_case.sort();
    lower_case.dedup();
    assert_eq!(lower_case.len(), names.len(), "{names:?}");
    for n in &names {
        assert!(n.starts_with(|c: char| c.is_ascii_alphabetic()), "{n}");
        assert!(n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{n}");
        assert!(!["input", "output"].contains(&n.to_ascii_lowercase().as_str()) && !n.ends_with("_nonzero"), "{n}");
    }
    // Kept where safe, made safe where not.
    assert!(
        names.contains(&"dense__fc3_MatMul") && names.contains(&"LAYER") && names.contains(&"relu_9lives"),
        "{names:?}"
    );
    assert!(names.contains(&"dense_0") && names.contains(&"dense_1") && names.contains(&"relu_0"), "{names:?}");
    // The names are the override keys, and the project they give compiles.
    let mut with_override = cfg.clone();
    with_override
        .layers
        .insert("dense__fc3_MatMul".into(), LayerConfig { reuse_factor: Some(2), ..Default::default() });
    assert!(lower(&m, &with_override).is_ok());
    let Some(ap) = common::ap_types() else { return };
    let dir = common::tmpdir("names").join("prj");
    write_project(&hls, &cfg, &dir, &common::grid_inputs(2, 16, 1), None).unwrap();
    for f in [format!("firmware/{}.cpp", cfg.name), format!("{}_test.cpp", cfg.name)] {
        let out = Command::new("g++")
            .args(["-std=c++14", "-fsyntax-only", "-Wall"])
            .arg(format!("-I{}", ap.display()))
            .arg(format!("-I{}", dir.join("firmware").display()))
            .arg(dir.join(&f))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !err.contains("redefined"), "{f}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
