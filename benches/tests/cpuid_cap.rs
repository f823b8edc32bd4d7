//! The CPUID cap of the benches (`benches/native/cpuid_cap.c`, [`benches::cpuid_cap`]) hides what
//! it says it hides: this test binary, started again under each cap, sees through Rust's own
//! feature detection the CPU of that cap, and the workspace's best SIMD level is that cap's
//! level; a cap it does not know stops the process before it runs.

use std::process::{Command, Output};

use benches::cpuid_cap::{self, Cap};
use hawq_core::Simd;

/// The cap the child test expects, set by the parent.
const EXPECT: &str = "CPUID_CAP_TEST_EXPECT";
/// Whether the parent's (uncapped) CPU has AVX-VNNI: `1` or `0`.
const NATIVE_AVXVNNI: &str = "CPUID_CAP_TEST_NATIVE_AVXVNNI";

/// The capped child test, run alone in this binary with `env` added.
fn run_child(env: &[(String, String)]) -> Output {
    let exe = std::env::current_exe().expect("the test binary's path");
    Command::new(exe)
        .args(["--ignored", "--exact", "capped_process_sees_its_cap", "--nocapture", "--test-threads=1"])
        .env_remove("HAWQ_SIMD")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("starting the test binary again")
}

/// Whether the cap can be tested here; a `NOT RUN` line (or, for a missing C compiler, a skip)
/// when not.
#[cfg(target_arch = "x86_64")]
fn can_test() -> bool {
    if let Err(why) = cpuid_cap::supported() {
        test_support::not_run(&format!("the CPUID cap: {why}"));
        return false;
    }
    if !is_x86_feature_detected!("avx512f") {
        test_support::not_run("the CPUID cap: this CPU has no AVX-512 for the caps to hide");
        return false;
    }
    match cpuid_cap::library() {
        Ok(_) => true,
        Err(e) => test_support::skip::<()>(&format!("the CPUID cap library cannot be built: {e}")).is_some(),
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn can_test() -> bool {
    test_support::not_run("the CPUID cap (x86-64 only)");
    false
}

#[test]
fn each_cap_hides_the_extensions_above_it() {
    if !can_test() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let native_vnni = if is_x86_feature_detected!("avxvnni") { "1" } else { "0" };
    #[cfg(not(target_arch = "x86_64"))]
    let native_vnni = "0";
    for cap in [Cap::AvxVnni, Cap::Avx2, Cap::Sse] {
        let mut env = cap.env().expect("the library was built").to_vec();
        env.push((EXPECT.into(), cap.name().into()));
        env.push((NATIVE_AVXVNNI.into(), native_vnni.into()));
        let out = run_child(&env);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "under the {} cap:\n{stdout}\n{stderr}", cap.name());
        // The child test ran (it is not filtered out), and passed.
        assert!(stdout.contains("1 passed"), "under the {} cap the child test did not run:\n{stdout}", cap.name());
    }
}

#[test]
fn an_unknown_cap_stops_the_process_before_it_runs() {
    if !can_test() {
        return;
    }
    let lib = cpuid_cap::library().expect("the library was built");
    let env = [
        ("LD_PRELOAD".to_string(), lib.to_str().expect("UTF-8 path").to_string()),
        ("CPUID_CAP".to_string(), "avx9000".to_string()),
        (EXPECT.to_string(), "avx9000".to_string()),
    ];
    let out = run_child(&env);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown CPUID_CAP 'avx9000'"), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("running"), "the tests started: {out:?}");
}

/// What a process under the cap in [`EXPECT`] sees; run by the tests above, never alone.
#[test]
#[ignore = "run by each_cap_hides_the_extensions_above_it, in a process under a CPUID cap"]
fn capped_process_sees_its_cap() {
    let want = std::env::var(EXPECT).expect("run by each_cap_hides_the_extensions_above_it");
    assert_eq!(std::env::var("CPUID_CAP_ACTIVE").ok().as_deref(), Some(want.as_str()), "the cap is not active");
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        for (name, found) in [
            ("avx512f", has!("avx512f")),
            ("avx512bw", has!("avx512bw")),
            ("avx512vl", has!("avx512vl")),
            ("avx512vnni", has!("avx512vnni")),
        ] {
            assert!(!found, "{name} is visible under the {want} cap");
        }
        assert!(has!("sse4.2"), "the cap hid the baseline");
        let native_vnni = std::env::var(NATIVE_AVXVNNI).is_ok_and(|v| v == "1");
        let best = match want.as_str() {
            "avxvnni" => {
                assert!(has!("avx2") && has!("fma"), "AVX2 hidden under the avxvnni cap");
                assert_eq!(has!("avxvnni"), native_vnni, "AVX-VNNI changed under the avxvnni cap");
                if native_vnni { Simd::AvxVnni } else { Simd::Avx2 }
            }
            "avx2" => {
                assert!(has!("avx2") && has!("fma"), "AVX2 hidden under the avx2 cap");
                assert!(!has!("avxvnni"), "AVX-VNNI visible under the avx2 cap");
                Simd::Avx2
            }
            "sse" => {
                for (name, found) in [("avx", has!("avx")), ("avx2", has!("avx2")), ("fma", has!("fma"))] {
                    assert!(!found, "{name} is visible under the sse cap");
                }
                Simd::Portable
            }
            other => panic!("unknown cap {other}"),
        };
        assert_eq!(Simd::best(), best, "the workspace's best level under the {want} cap");
    }
}
