//! The `hawq-ilp` binary end to end.

use std::process::Command;

fn table() -> String {
    let mut layers = Vec::new();
    for (name, trace) in [("fc1", 10.0), ("fc2", 1.0), ("fc3", 3.0)] {
        let cands: Vec<String> = [2, 4, 6, 8]
            .iter()
            .map(|b| {
                let bops = 1000 * b * b;
                format!(
                    r#"{{"label":"w{b}","omega":{},"costs":{{"bops":{bops},"size":{}}}}}"#,
                    trace * 4f64.powi(-b),
                    100 * b
                )
            })
            .collect();
        layers.push(format!(r#"{{"name":"{name}","candidates":[{}]}}"#, cands.join(",")));
    }
    format!(r#"{{"layers":[{}]}}"#, layers.join(","))
}

#[test]
fn solve_and_pareto_write_json() {
    let dir = std::env::temp_dir().join(format!("hawq-ilp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let t = dir.join("table.json");
    std::fs::write(&t, table()).unwrap();
    let bin = env!("CARGO_BIN_EXE_hawq-ilp");
    let out = dir.join("result.json");
    let o = Command::new(bin)
        .args(["solve", t.to_str().unwrap(), "--budget", "bops=100000", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("proven optimal true"), "{s}");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(v["totals"]["bops"].as_f64().unwrap() <= 100000.0);
    assert_eq!(v["proven_optimal"], true);

    let front = dir.join("front.json");
    let o = Command::new(bin)
        .args(["pareto", t.to_str().unwrap(), "--sweep", "bops=10000:190000:30000", "--out"])
        .arg(&front)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&front).unwrap()).unwrap();
    assert_eq!(v["sweep"].as_array().unwrap().len(), 7);
    // 10000 is below the minimum (3 × 4000): reported infeasible, not an abort.
    assert!(v["sweep"][0]["error"].as_str().unwrap().contains("minimal achievable total is 12000"));
    assert!(!v["front"]["points"].as_array().unwrap().is_empty());

    // Bad input: a non-zero exit and a message naming the problem.
    let o = Command::new(bin).args(["solve", t.to_str().unwrap(), "--budget", "latency=5"]).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown cost `latency`"));
    std::fs::remove_dir_all(&dir).ok();
}
