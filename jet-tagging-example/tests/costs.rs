//! One cost model and one layer name: for random mixed-precision configurations (low widths make
//! many weights quantize to zero, so `f_p` is exercised), the ILP's BOPs and size totals for the
//! chosen configuration equal `qonnx-ir`'s cost analysis of the exported model and the BOPs of the
//! HLS estimate, to the integer, and its latency equals the estimate's dense-layer cycles; every
//! per-layer figure is matched by the layer's one name (table row = ILP layer = exported `MatMul`
//! node = HLS layer), with no mapping written here.

mod common;

use burn::module::AutodiffModule;
use hawq_core::QuantConfig;
use hawq_core::backend::CpuTrain;
use hawq_core::export::{ExportOptions, export_qonnx};
use hawq_core::hessian::{LayerTrace, SensitivityOptions, TraceResult, sensitivity_table};
use hawq_core::train::{TrainConfig, train};
use hawq_ilp::{SolveOptions, solve};
use hls_backend::config::LayerConfig;
use hls_backend::{HlsConfig, estimate::estimate, lower::lower};
use rand::{Rng, SeedableRng};
use test_support::Split;

const WIDTHS: [usize; 5] = [16, 64, 32, 32, 5];

#[test]
fn ilp_totals_equal_qonnx_cost_and_hls_estimate_on_20_random_configurations() {
    let data = common::jets(Split::Test, 1000);
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let widths: Vec<u32> = (2..=8).collect();
    let options = SensitivityOptions::grid(&widths, &widths);
    let mut sparse_layers = 0;
    for case in 0..20 {
        // A trained 8-bit FPGA model (activation ranges calibrated by the training pass).
        let model = QuantConfig::fpga(&WIDTHS, 8).init::<CpuTrain>(&Default::default(), case).unwrap();
        let tc = TrainConfig { epochs: 1, batch_size: 100, learning_rate: 3e-3, seed: case, ..Default::default() };
        let model = train(model, &data, None, &tc, &mut |_| {}).unwrap().model;
        // The costs do not depend on the traces: unit traces make the table.
        let traces = TraceResult {
            layers: (0..4)
                .map(|l| LayerTrace {
                    layer: l,
                    name: hawq_core::layer_name(l),
                    params: WIDTHS[l] * WIDTHS[l + 1],
                    mean: 1.0,
                    std_err: 0.0,
                    samples: 1,
                    converged: true,
                })
                .collect(),
            iterations: 1,
            converged: true,
            include_bias: false,
        };
        let table = sensitivity_table(&model, &traces, &options).unwrap();
        // The chosen configuration: a random candidate fixed in every layer.
        let mut problem = table.to_problem();
        for l in &problem.layers.clone() {
            let pick = &l.candidates[rng.gen_range(0..l.candidates.len())];
            problem.fixed.insert(l.name.clone(), pick.label.clone());
        }
        let solution = solve(&problem, &SolveOptions::default()).unwrap();
        let config = table.apply(&model.config, &solution).unwrap();
        let int = model.with_bits(&config.layers).unwrap().valid().freeze().to_integer().unwrap();
        let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();

        let cost = qonnx_ir::cost::analyze(&qonnx).unwrap();
        sparse_layers += cost.layers.iter().filter(|l| l.zero_fraction > 0.2).count();
        // HLS overrides keyed by the table's names: reuse factor 1 set explicitly on every layer.
        let mut hls_config = HlsConfig::default();
        for row in &table.layers {
            hls_config.layers.insert(row.name.clone(), LayerConfig { reuse_factor: Some(1), ..Default::default() });
        }
        let hls = lower(&qonnx, &hls_config).unwrap();
        let estimate = estimate(&hls, &hls_config);
        for choice in &solution.choices {
            let row = table.layers.iter().find(|r| r.name == choice.layer).unwrap();
            let cand = row.candidates.iter().find(|c| c.label == choice.candidate).unwrap();
            let layer_cost = cost.layers.iter().find(|l| l.node == choice.layer).unwrap();
            let est = estimate.layers.iter().find(|l| l.layer == choice.layer).unwrap();
            assert_eq!(cand.costs["bops"].round(), layer_cost.bops.round(), "case {case} {}", choice.layer);
            assert_eq!(cand.costs["bops"].round(), est.bops.round(), "case {case} {}", choice.layer);
            assert_eq!(cand.costs["latency"] as u64, est.latency_cycles, "case {case} {}: latency", choice.layer);
        }
        let dense_cycles: u64 = estimate
            .layers
            .iter()
            .filter(|l| solution.choices.iter().any(|c| c.layer == l.layer))
            .map(|l| l.latency_cycles)
            .sum();
        assert_eq!(solution.totals["latency"] as u64, dense_cycles, "case {case}: ILP vs HLS estimate latency");
        let (ilp_bops, ilp_size) = (solution.totals["bops"], solution.totals["size"]);
        let bits: Vec<_> = cost.layers.iter().map(|l| (l.weight_bits, l.act_bits)).collect();
        assert_eq!(ilp_bops.round(), cost.total_bops.round(), "case {case} {bits:?}: ILP vs qonnx cost BOPs");
        assert_eq!(ilp_bops.round(), estimate.bops.round(), "case {case} {bits:?}: ILP vs HLS estimate BOPs");
        assert_eq!(ilp_size.round() as u64, cost.total_weight_bits, "case {case} {bits:?}: ILP vs qonnx cost size");
    }
    assert!(sparse_layers >= 10, "only {sparse_layers} layers with over 20 % zero weights");
}
