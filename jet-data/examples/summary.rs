//! Reads a jet data set and summarises it: the built-in simulated sample, or the file or folder
//! given as the argument (CSV, ARFF, the hls4ml `.npy` folder, HDF5 with the `hdf5` feature), split
//! 80/20 with seed 42. Prints the jets per class in each split and, for the first features, the
//! mean and standard deviation the training split's standardiser uses.
//!
//! `cargo run -p jet-data --example summary [PATH]`

use jet_data::{CLASSES, FEATURES, JetSample, Standardiser};

fn main() -> Result<(), jet_data::Error> {
    let sample = match std::env::args().nth(1) {
        Some(path) => jet_data::load(&path, 0.2, 42)?,
        None => JetSample::builtin()?,
    };
    println!("{}", sample.source.display());
    for (split, labels) in [("training/validation", sample.labels_train()), ("test", sample.labels_test())] {
        let mut counts = [0usize; CLASSES.len()];
        for l in labels {
            counts[l] += 1;
        }
        let per_class: Vec<String> = CLASSES.iter().zip(counts).map(|(c, n)| format!("{c} {n}")).collect();
        println!("{split}: {} jets ({})", counts.iter().sum::<usize>(), per_class.join(", "));
    }
    let scaler = Standardiser::fit(&sample.x_train);
    let scaled = scaler.apply(&sample.x_test)?;
    for (i, name) in FEATURES.iter().enumerate().take(4) {
        let col = scaled.column(i);
        let test_mean = col.sum() / col.len() as f32;
        println!(
            "{name:<16} training mean {:>10.4}, sd {:>10.4}; test split after standardising: mean {test_mean:>7.4}",
            scaler.mean[i], scaler.sd[i]
        );
    }
    Ok(())
}
