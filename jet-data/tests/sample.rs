//! The shipped sample: it loads, it is as large as promised, and it shows the physics it must
//! (resonance mass peaks in the groomed mass, gluon jets wider than quark jets, two-prong
//! W/Z jets with lower N2 than one-prong QCD jets).

use jet_data::{CLASSES, FEATURES, JetSample};

fn column(sample: &JetSample, feature: &str, class: &str) -> Vec<f64> {
    let k = FEATURES.iter().position(|f| *f == feature).unwrap();
    let c = CLASSES.iter().position(|x| *x == class).unwrap();
    let mut out = Vec::new();
    for (x, labels) in [(&sample.x_train, sample.labels_train()), (&sample.x_test, sample.labels_test())] {
        out.extend(x.rows().into_iter().zip(labels).filter(|(_, l)| *l == c).map(|(r, _)| f64::from(r[k])));
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The centre of the fullest 4 GeV bin of the groomed mass in [40, 250) GeV.
fn mass_peak(sample: &JetSample, class: &str) -> f64 {
    let mut bins = [0usize; 53];
    for m in column(sample, "j_mass_mmdt", class) {
        if (40.0..252.0).contains(&m) {
            bins[((m - 40.0) / 4.0) as usize] += 1;
        }
    }
    let best = (0..bins.len()).max_by_key(|&i| bins[i]).unwrap();
    40.0 + 4.0 * best as f64 + 2.0
}

#[test]
fn the_shipped_sample_has_at_least_20000_jets_per_class() {
    let s = JetSample::builtin().unwrap();
    let mut counts = [0usize; 5];
    for l in s.labels_train().into_iter().chain(s.labels_test()) {
        counts[l] += 1;
    }
    assert!(counts.iter().all(|&c| c >= 20_000), "jets per class (g, q, t, w, z): {counts:?}");
    let test_share = s.x_test.nrows() as f64 / (s.x_train.nrows() + s.x_test.nrows()) as f64;
    assert!((test_share - 0.2).abs() < 0.01, "test share {test_share}");
}

#[test]
fn groomed_mass_peaks_at_the_w_z_and_top_masses() {
    let s = JetSample::builtin().unwrap();
    let (w, z, t) = (mass_peak(&s, "w"), mass_peak(&s, "z"), mass_peak(&s, "t"));
    assert!((74.0..=86.0).contains(&w), "W peak at {w} GeV (m_W = 80.4)");
    assert!((85.0..=97.0).contains(&z), "Z peak at {z} GeV (m_Z = 91.2)");
    assert!((160.0..=186.0).contains(&t), "top peak at {t} GeV (m_t = 172.5)");
    // QCD jets have no peak there: the W window holds a far smaller share of them.
    let share = |c| {
        let m = column(&s, "j_mass_mmdt", c);
        m.iter().filter(|&&v| (70.0..90.0).contains(&v)).count() as f64 / m.len() as f64
    };
    for c in ["g", "q"] {
        assert!(share("w") > 5.0 * share(c), "share in 70–90 GeV: w {}, {c} {}", share("w"), share(c));
    }
}

#[test]
fn gluon_jets_have_more_constituents_than_quark_jets() {
    let s = JetSample::builtin().unwrap();
    let mean = |c| {
        let v = column(&s, "j_multiplicity", c);
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (g, q) = (mean("g"), mean("q"));
    assert!(g > 1.2 * q, "mean multiplicity g {g}, q {q}");
    // Multiplicities are whole numbers.
    assert!(column(&s, "j_multiplicity", "t").iter().all(|m| m.fract() == 0.0 && *m >= 1.0));
}

#[test]
fn two_prong_jets_have_lower_n2_than_qcd_jets() {
    let s = JetSample::builtin().unwrap();
    let n2 = |c| median(column(&s, "j_n2_b1_mmdt", c));
    for two_prong in ["w", "z"] {
        for qcd in ["g", "q"] {
            assert!(n2(two_prong) < n2(qcd), "median N2(β=1): {two_prong} {} vs {qcd} {}", n2(two_prong), n2(qcd));
        }
    }
}
