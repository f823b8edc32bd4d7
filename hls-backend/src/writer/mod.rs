//! Writes a Vivado HLS / Vitis HLS project for an [`HlsModel`], laid out as hls4ml users expect:
//! `firmware/<name>.cpp/.h`, `defines.h`, `parameters.h`, `weights/`, `nnet_utils/`, a C
//! testbench reading `tb_data/`, `build_prj.tcl` and a README.
//!
//! The project is written into a temporary sibling directory and moved into place at the end,
//! so a failed write leaves no half-written project behind.

mod kernels;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::config::HlsConfig;
use crate::error::{Error, Result};
use crate::fixed::FixedType;
use crate::model::{HlsModel, LayerKind};
use crate::softmax;

/// Writes the project for `model` into `dir` (replacing it if it exists). `tb_inputs` (row-major
/// `[batch][n_inputs]`) become `tb_data/tb_input_features.dat`; `tb_outputs`, if given, become
/// `tb_data/tb_output_predictions.dat`. Returns the files written, relative to `dir`.
pub fn write_project(
    model: &HlsModel,
    config: &HlsConfig,
    dir: &Path,
    tb_inputs: &[f64],
    tb_outputs: Option<&[f64]>,
) -> Result<Vec<PathBuf>> {
    config.validate()?;
    let files = render(model, config, tb_inputs, tb_outputs)?;
    write_folder(dir, &files)?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Writes `files` (relative path, contents) as the folder `dir`, replacing it if it exists: into a
/// temporary sibling first, renamed into place at the end, so a failure leaves no partial folder.
pub fn write_folder(dir: &Path, files: &[(PathBuf, String)]) -> Result<()> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let leaf = dir.file_name().ok_or_else(|| Error::Config(format!("{} is not a directory name", dir.display())))?;
    let tmp = parent.join(format!(".{}.tmp-{}", leaf.to_string_lossy(), std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| -> Result<()> {
        for (rel, text) in files {
            let p = tmp.join(rel);
            if let Some(d) = p.parent() {
                std::fs::create_dir_all(d).map_err(crate::error::io(d))?;
            }
            std::fs::write(&p, text).map_err(crate::error::io(&p))?;
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(crate::error::io(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(crate::error::io(dir))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result?;
    Ok(())
}

/// Every file of the project, as (relative path, contents).
pub fn render(
    model: &HlsModel,
    config: &HlsConfig,
    tb_inputs: &[f64],
    tb_outputs: Option<&[f64]>,
) -> Result<Vec<(PathBuf, String)>> {
    let name = &model.name;
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut add = |p: &str, s: String| files.push((PathBuf::from(p), s));
    add("firmware/nnet_utils/nnet_dense.h", kernels::DENSE_H.to_string());
    add("firmware/nnet_utils/nnet_activation.h", kernels::ACTIVATION_H.to_string());
    add("firmware/defines.h", defines(model));
    let (params, weight_files) = parameters(model);
    add("firmware/parameters.h", params);
    for (p, s) in weight_files {
        add(&p, s);
    }
    add(&format!("firmware/{name}.h"), top_header(model));
    add(&format!("firmware/{name}.cpp"), top_source(model, config));
    add(&format!("{name}_test.cpp"), testbench(model));
    add("build_prj.tcl", tcl(model, config));
    add("README.md", readme(model, config));
    add("hls_config.json", serde_json::to_string_pretty(config).unwrap_or_default());
    let n_in = model.n_inputs;
    if n_in > 0 && !tb_inputs.is_empty() {
        if !tb_inputs.len().is_multiple_of(n_in) {
            return Err(Error::Input(format!("{} testbench values for {n_in} inputs", tb_inputs.len())));
        }
        crate::emulator::check_finite_inputs(tb_inputs, n_in)?;
        add("tb_data/tb_input_features.dat", rows(tb_inputs, n_in));
        if let Some(o) = tb_outputs {
            add("tb_data/tb_output_predictions.dat", rows(o, model.n_outputs()));
        }
    }
    Ok(files)
}

fn rows(v: &[f64], n: usize) -> String {
    let mut s = String::with_capacity(v.len() * 12);
    for r in v.chunks(n) {
        let line: Vec<String> = r.iter().map(|x| format!("{x:e}")).collect();
        s.push_str(&line.join(" "));
        s.push('\n');
    }
    s
}

/// A C++ literal holding raw `r` of type `t` exactly.
fn lit(t: &FixedType, r: i64) -> String {
    format!("{:e}", t.value(r))
}

fn defines(m: &HlsModel) -> String {
    let mut s =
        String::from("#ifndef DEFINES_H_\n#define DEFINES_H_\n\n#include \"ap_fixed.h\"\n#include \"ap_int.h\"\n\n");
    let _ = writeln!(s, "#define N_INPUT {}\n#define N_OUTPUT {}\n", m.n_inputs, m.n_outputs());
    let _ = writeln!(s, "typedef {} input_t;", m.input_type.cpp());
    for (i, l) in m.layers.iter().enumerate() {
        let _ = writeln!(s, "\n// {} ({:?}) from {}", l.name, kind_name(&l.kind), l.nodes.join(", "));
        let _ = writeln!(s, "#define N_{} {}", l.name.to_uppercase(), l.n_out);
        let _ = writeln!(s, "typedef {} {}_result_t;", l.out_type.cpp(), l.name);
        match &l.kind {
            LayerKind::Dense(d) => {
                let _ = writeln!(s, "typedef {} {}_weight_t;", d.weight_type.cpp(), l.name);
                let _ = writeln!(s, "typedef {} {}_bias_t;", d.bias_type.cpp(), l.name);
                let _ = writeln!(s, "typedef {} {}_accum_t;", d.acc_type.cpp(), l.name);
                let _ = writeln!(s, "#define N_{}_NONZERO {}", l.name.to_uppercase(), d.nonzero().max(1));
            }
            LayerKind::Affine(a) => {
                let _ = writeln!(s, "typedef {} {}_scale_t;", a.scale_type.cpp(), l.name);
                let _ = writeln!(s, "typedef {} {}_shift_t;", a.shift_type.cpp(), l.name);
                let _ = writeln!(s, "typedef {} {}_accum_t;", a.acc_type.cpp(), l.name);
            }
            _ => {}
        }
        let _ = i;
    }
    let _ = writeln!(s, "\ntypedef {} result_t;\n\n#endif", m.output_type().cpp());
    s
}

fn kind_name(k: &LayerKind) -> &'static str {
    match k {
        LayerKind::Dense(_) => "dense",
        LayerKind::Relu => "relu",
        LayerKind::Cast => "quantizing cast",
        LayerKind::Affine(_) => "affine",
        LayerKind::Softmax => "softmax (tables)",
        LayerKind::Argmax => "argmax",
    }
}

fn array<T: std::fmt::Display>(ty: &str, name: &str, vals: impl Iterator<Item = T>) -> String {
    let v: Vec<String> = vals.map(|x| x.to_string()).collect();
    let mut s = format!("static const {ty} {name}[{}] = {{", v.len().max(1));
    for (k, x) in v.iter().enumerate() {
        if k % 8 == 0 {
            s.push_str("\n    ");
        }
        s.push_str(x);
        s.push_str(", ");
    }
    if v.is_empty() {
        s.push('0');
    }
    s.push_str("\n};\n");
    s
}

fn parameters(m: &HlsModel) -> (String, Vec<(String, String)>) {
    let mut s = String::from(
        "#ifndef PARAMETERS_H_\n#define PARAMETERS_H_\n\n#include \"defines.h\"\n#include \"nnet_utils/nnet_activation.h\"\n#include \"nnet_utils/nnet_dense.h\"\n\n",
    );
    let mut files = Vec::new();
    for (li, l) in m.layers.iter().enumerate() {
        let guard = format!("WEIGHTS_{}_H_", l.name.to_uppercase());
        let mut h = format!("#ifndef {guard}\n#define {guard}\n\n#include \"../defines.h\"\n\n");
        match &l.kind {
            LayerKind::Dense(d) => {
                // Zero weights are left out: only the non-zero ones, with their positions.
                let n_out = d.n_out();
                let nz: Vec<(usize, usize, i64)> = (0..d.n_in)
                    .flat_map(|i| (0..n_out).map(move |j| (i, j)))
                    .map(|(i, j)| (i, j, d.weights[i * n_out + j]))
                    .filter(|t| t.2 != 0)
                    .collect();
                h += &array(
                    &format!("{}_weight_t", l.name),
                    &format!("w_{}", l.name),
                    nz.iter().map(|t| lit(&d.weight_type, t.2)),
                );
                h += &array("unsigned short", &format!("row_{}", l.name), nz.iter().map(|t| t.0));
                h += &array("unsigned short", &format!("col_{}", l.name), nz.iter().map(|t| t.1));
                h += &array(
                    &format!("{}_bias_t", l.name),
                    &format!("b_{}", l.name),
                    d.bias.iter().map(|&b| lit(&d.bias_type, b)),
                );
            }
            LayerKind::Affine(a) => {
                h += &array(
                    &format!("{}_scale_t", l.name),
                    &format!("s_{}", l.name),
                    a.scale.iter().map(|&v| lit(&a.scale_type, v)),
                );
                h += &array(
                    &format!("{}_shift_t", l.name),
                    &format!("c_{}", l.name),
                    a.shift.iter().map(|&v| lit(&a.shift_type, v)),
                );
            }
            LayerKind::Softmax => {
                let n = m.input_size_of(li);
                h += &array("unsigned int", &format!("exp_table_{}", l.name), softmax::exp_table().into_iter());
                h += &array(
                    "unsigned long long",
                    &format!("inv_table_{}", l.name),
                    softmax::inv_table(n).into_iter().map(|v| format!("{v}ULL")),
                );
            }
            _ => continue,
        }
        h += "\n#endif\n";
        let _ = writeln!(s, "#include \"weights/{}.h\"", l.name);
        files.push((format!("firmware/weights/{}.h", l.name), h));
    }
    s += "\n#endif\n";
    (s, files)
}

fn top_header(m: &HlsModel) -> String {
    let g = format!("{}_H_", m.name.to_uppercase());
    format!(
        "#ifndef {g}\n#define {g}\n\n#include \"defines.h\"\n\n// Top function: {} inputs → {} outputs.\nvoid {}(const input_t x[N_INPUT], result_t y[N_OUTPUT]);\n\n#endif\n",
        m.n_inputs,
        m.n_outputs(),
        m.name
    )
}

fn top_source(m: &HlsModel, c: &HlsConfig) -> String {
    let mut s = format!(
        "#include \"{0}.h\"\n#include \"parameters.h\"\n\nvoid {0}(const input_t x[N_INPUT], result_t y[N_OUTPUT]) {{\n",
        m.name
    );
    s += "#pragma HLS ARRAY_PARTITION variable = x complete dim = 0\n#pragma HLS ARRAY_PARTITION variable = y complete dim = 0\n#pragma HLS INTERFACE ap_vld port = x, y\n";
    let _ = writeln!(s, "#pragma HLS PIPELINE II = {}\n", c.reuse_factor);
    let mut prev = "x".to_string();
    let mut prev_t = "input_t".to_string();
    let last = m.layers.len().saturating_sub(1);
    for (li, l) in m.layers.iter().enumerate() {
        let out = if li == last { "y".to_string() } else { format!("out_{}", l.name) };
        let rt = format!("{}_result_t", l.name);
        let n_in = m.input_size_of(li);
        let nu = l.name.to_uppercase();
        if li != last {
            let _ =
                writeln!(s, "    {rt} {out}[N_{nu}];\n#pragma HLS ARRAY_PARTITION variable = {out} complete dim = 0");
        }
        let call = match &l.kind {
            LayerKind::Dense(_) => format!(
                "nnet::dense_sparse<{prev_t}, {rt}, {n}_accum_t, {n}_weight_t, {n}_bias_t, {n_in}, N_{nu}, N_{nu}_NONZERO, {r}>({prev}, {out}, w_{n}, row_{n}, col_{n}, b_{n});",
                n = l.name,
                r = c.reuse(&l.name)
            ),
            LayerKind::Relu => format!("nnet::relu<{prev_t}, {rt}, {n_in}>({prev}, {out});"),
            LayerKind::Cast => format!("nnet::cast<{prev_t}, {rt}, {n_in}>({prev}, {out});"),
            LayerKind::Affine(_) => format!(
                "nnet::affine<{prev_t}, {rt}, {n}_accum_t, {n}_scale_t, {n}_shift_t, {n_in}>({prev}, {out}, s_{n}, c_{n});",
                n = l.name
            ),
            LayerKind::Softmax => format!(
                "nnet::softmax_table<{prev_t}, {rt}, {n_in}, {f}, {ef}, {es}, {is}, {isz}>({prev}, {out}, exp_table_{n}, inv_table_{n});",
                f = m.input_type_of(li).frac(),
                ef = softmax::EXP_FRAC,
                es = softmax::EXP_SIZE,
                is = softmax::inv_shift(n_in),
                isz = 1usize << softmax::INV_BITS,
                n = l.name
            ),
            LayerKind::Argmax => format!("nnet::argmax<{prev_t}, {rt}, {n_in}>({prev}, {out});"),
        };
        let _ = writeln!(s, "    {call}");
        prev = out;
        prev_t = rt;
    }
    if m.layers.is_empty() {
        s += "    for (int i = 0; i < N_INPUT; i++) y[i] = x[i];\n";
    }
    s += "}\n";
    s
}

fn testbench(m: &HlsModel) -> String {
    format!(
        r#"// C testbench: reads tb_data/tb_input_features.dat (one sample per line), runs {name}, and
// writes every output with 17 significant digits to tb_data/csim_results.log.
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

#include "firmware/{name}.h"

int main(int argc, char **argv) {{
    std::string in_path = argc > 1 ? argv[1] : "tb_data/tb_input_features.dat";
    std::string out_path = argc > 2 ? argv[2] : "tb_data/csim_results.log";
    std::ifstream fin(in_path.c_str());
    std::ofstream fout(out_path.c_str());
    if (!fin.is_open() || !fout.is_open()) {{
        std::cerr << "cannot open " << in_path << " or " << out_path << std::endl;
        return 1;
    }}
    fout << std::setprecision(17);
    std::string line;
    int n = 0;
    while (std::getline(fin, line)) {{
        if (line.empty()) continue;
        std::istringstream ss(line);
        input_t x[N_INPUT];
        for (int i = 0; i < N_INPUT; i++) {{
            double v = 0;
            ss >> v;
            x[i] = v;
        }}
        result_t y[N_OUTPUT];
        {name}(x, y);
        for (int j = 0; j < N_OUTPUT; j++) fout << y[j].to_double() << (j + 1 < N_OUTPUT ? " " : "\n");
        n++;
    }}
    std::cout << "INFO: " << n << " samples" << std::endl;
    return 0;
}}
"#,
        name = m.name
    )
}

fn tcl(m: &HlsModel, c: &HlsConfig) -> String {
    format!(
        r#"# Vivado HLS / Vitis HLS build script.
# vivado_hls -f build_prj.tcl "csim=1 synth=1 cosim=0 export=0"   (or vitis_hls)
array set opt {{
    reset   0
    csim    1
    synth   1
    cosim   0
    export  0
}}
foreach arg $::argv {{
    foreach o [split $arg] {{
        set kv [split $o =]
        if {{[llength $kv] == 2 && [info exists opt([lindex $kv 0])]}} {{
            set opt([lindex $kv 0]) [lindex $kv 1]
        }}
    }}
}}

set part "{part}"
set clock_period {clock}

open_project -reset {name}_prj
set_top {name}
add_files firmware/{name}.cpp -cflags "-std=c++0x"
add_files -tb {name}_test.cpp -cflags "-std=c++0x"
add_files -tb tb_data
open_solution -reset "solution1"
set_part $part
create_clock -period $clock_period -name default

if {{$opt(csim)}} {{
    puts "***** C SIMULATION *****"
    csim_design
}}
if {{$opt(synth)}} {{
    puts "***** C/RTL SYNTHESIS *****"
    csynth_design
}}
if {{$opt(cosim)}} {{
    puts "***** C/RTL CO-SIMULATION *****"
    cosim_design -trace_level all
}}
if {{$opt(export)}} {{
    puts "***** EXPORT IP *****"
    export_design -format ip_catalog
}}
exit
"#,
        part = c.part,
        clock = c.clock_period_ns,
        name = m.name
    )
}

fn readme(m: &HlsModel, c: &HlsConfig) -> String {
    let mut s = format!(
        "# {name}\n\nHLS project generated by `hls-backend` (part `{part}`, clock {clock} ns, reuse factor {rf}, io_parallel, latency strategy).\n\n\
         ## Layers\n\n| layer | kind | outputs | output type |\n|---|---|---|---|\n",
        name = m.name,
        part = c.part,
        clock = c.clock_period_ns,
        rf = c.reuse_factor
    );
    for l in &m.layers {
        let _ = writeln!(s, "| {} | {} | {} | `{}` |", l.name, kind_name(&l.kind), l.n_out, l.out_type.cpp());
    }
    s += "\n## Build\n\n```\nvivado_hls -f build_prj.tcl \"csim=1 synth=1 cosim=0 export=0\"   # or vitis_hls\n```\n\n\
          C simulation without the Xilinx tools (the `ap_types` headers are enough; \
          `-Wno-free-nonheap-object` changes no code but spares GCC 12 a warning pass that takes \
          most of the compile time):\n\n```\n\
          g++ -std=c++14 -O2 -Wno-free-nonheap-object -I<ap_types> -Ifirmware ";
    let _ = write!(s, "{0}_test.cpp firmware/{0}.cpp -o csim && ./csim\n```\n", m.name);
    s
}
