//! The step store: each step's result lives in `<study>/steps/<label>-<key>/`, where `key` hashes
//! everything the step depends on (its settings and the keys of the steps it reads). A step whose
//! folder exists is done: a rerun reads it instead of recomputing, a changed setting changes the
//! key of that step and of every step after it, and nothing else. A step writes into a temporary
//! folder that is renamed into place only when complete, so an interrupted run leaves no
//! half-written result.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Result, io, json};

/// The version of what steps store; part of every key, so that a study folder written by a
/// version that stored less (or differently) is recomputed rather than misread. Raise it whenever
/// a step's files or result change.
pub const STEP_FORMAT: u32 = 2;

/// The key of a step: FNV-1a (64 bits) of [`STEP_FORMAT`], its label and the JSON of its
/// inputs, in hex.
pub fn key_of(label: &str, inputs: &impl Serialize) -> Result<String> {
    let text = serde_json::to_string(inputs).map_err(json(label))?;
    let head = format!("{STEP_FORMAT}\0{label}\0");
    Ok(format!("{:016x}", fnv1a(head.as_bytes().iter().chain(text.as_bytes()))))
}

/// FNV-1a, 64 bits, over a byte stream (stable across platforms and Rust versions, unlike
/// `std`'s hasher).
pub fn fnv1a<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A step's result as stored, with how it was obtained.
#[derive(Debug, Clone)]
pub struct Stored<T> {
    /// The result.
    pub value: T,
    /// Its folder.
    pub dir: PathBuf,
    /// Its key.
    pub key: String,
    /// Whether this run found it done (and computed nothing).
    pub cached: bool,
    /// Seconds this run spent on it (reading it back, when cached).
    pub wall_s: f64,
}

/// The store of one study folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// One line of the run log: a step, its key, whether it was reused, and its time.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StepLog {
    /// The step's label.
    pub step: String,
    /// Its key.
    pub key: String,
    /// Whether it was reused.
    pub cached: bool,
    /// Seconds spent in this run.
    pub wall_s: f64,
    /// Seconds it took when it was computed.
    pub compute_s: f64,
}

#[derive(Serialize, serde::Deserialize)]
struct Envelope<T> {
    label: String,
    key: String,
    compute_s: f64,
    value: T,
}

impl Store {
    /// The store in `<study>/steps`.
    pub fn new(study: &Path) -> Store {
        Store { root: study.join("steps") }
    }

    /// The folder of all steps.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder a step with this label and key has when done.
    pub fn dir(&self, label: &str, key: &str) -> PathBuf {
        self.root.join(format!("{}-{key}", label.replace('/', "_")))
    }

    /// Whether the step is done.
    pub fn is_done(&self, label: &str, key: &str) -> bool {
        self.dir(label, key).join("result.json").exists()
    }

    /// Reads a finished step.
    pub fn read<T: DeserializeOwned>(&self, label: &str, key: &str) -> Result<(T, f64)> {
        let path = self.dir(label, key).join("result.json");
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let env: Envelope<T> = serde_json::from_str(&text).map_err(json(&path))?;
        Ok((env.value, env.compute_s))
    }

    /// Runs the step `label` with the given key unless it is done: `f` gets a fresh temporary
    /// folder for its files, and its result is stored as `result.json` there before the folder
    /// takes its final name. `log` receives one line.
    pub fn run<T: Serialize + DeserializeOwned>(
        &self,
        label: &str,
        key: &str,
        log: &mut Vec<StepLog>,
        f: impl FnOnce(&Path) -> Result<T>,
    ) -> Result<Stored<T>> {
        let start = Instant::now();
        let dir = self.dir(label, key);
        if dir.join("result.json").exists() {
            let (value, compute_s) = self.read(label, key)?;
            let wall_s = start.elapsed().as_secs_f64();
            log.push(StepLog { step: label.into(), key: key.into(), cached: true, wall_s, compute_s });
            return Ok(Stored { value, dir, key: key.into(), cached: true, wall_s });
        }
        std::fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        let tmp = self.root.join(format!(".tmp-{}-{key}-{}", label.replace('/', "_"), std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        let value = match f(&tmp) {
            Ok(v) => v,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        let compute_s = start.elapsed().as_secs_f64();
        let env = Envelope { label: label.into(), key: key.into(), compute_s, value };
        let path = tmp.join("result.json");
        std::fs::write(&path, serde_json::to_string_pretty(&env).map_err(json(&path))?).map_err(io(&path))?;
        if dir.exists() {
            // Another process finished the same step meanwhile; same key, same result.
            std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        } else {
            std::fs::rename(&tmp, &dir).map_err(io(&dir))?;
        }
        log.push(StepLog { step: label.into(), key: key.into(), cached: false, wall_s: compute_s, compute_s });
        Ok(Stored { value: env.value, dir, key: key.into(), cached: false, wall_s: compute_s })
    }

    /// Removes temporary folders left by interrupted runs (not those of a run still going).
    pub fn clean_temporaries(&self) -> Result<()> {
        clean_temporaries_in(&self.root)
    }

    /// Copies every finished step of `other` (a shard's study folder) that this store lacks.
    /// Returns how many were copied.
    pub fn absorb(&self, other: &Store) -> Result<usize> {
        std::fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        let rd = std::fs::read_dir(&other.root).map_err(io(&other.root))?;
        let mut copied = 0;
        for e in rd.flatten() {
            let name = e.file_name();
            let src = e.path();
            if name.to_string_lossy().starts_with('.') || !src.join("result.json").exists() {
                continue;
            }
            let dst = self.root.join(&name);
            if dst.exists() {
                continue;
            }
            let tmp = self.root.join(format!(".tmp-absorb-{}", name.to_string_lossy()));
            copy_dir(&src, &tmp)?;
            std::fs::rename(&tmp, &dst).map_err(io(&dst))?;
            copied += 1;
        }
        Ok(copied)
    }
}

/// Removes the `.tmp-…-<pid>` files and folders in `dir` whose process is gone (where the system
/// tells, through `/proc`; elsewhere every one but this process's own is left alone).
pub fn clean_temporaries_in(dir: &Path) -> Result<()> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Ok(()) };
    let proc = Path::new("/proc/self").exists();
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.starts_with(".tmp-") {
            continue;
        }
        let pid = name.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
        let gone = match pid {
            Some(p) if p == std::process::id() => true,
            Some(p) => proc && !Path::new(&format!("/proc/{p}")).exists(),
            None => proc,
        };
        if gone {
            let path = e.path();
            let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            removed.map_err(io(&path))?;
        }
    }
    Ok(())
}

/// Replaces `path` (a file or folder) by `tmp`, which is renamed into place.
pub fn replace(tmp: &Path, path: &Path) -> Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path).map_err(io(path))?;
    }
    std::fs::rename(tmp, path).map_err(io(path))
}

/// Writes an `.npy` file.
pub fn write_npy<A: ndarray_npy::WritableElement>(path: &Path, a: &ndarray::Array2<A>) -> Result<()> {
    ndarray_npy::write_npy(path, a)
        .map_err(|e| crate::Error::Io { path: path.to_path_buf(), source: std::io::Error::other(e) })
}

fn copy_dir(src: &Path, dst: &Path) -> Result<()> {
    std::fs::create_dir_all(dst).map_err(io(dst))?;
    for e in std::fs::read_dir(src).map_err(io(src))?.flatten() {
        let (s, d) = (e.path(), dst.join(e.file_name()));
        if s.is_dir() {
            copy_dir(&s, &d)?;
        } else {
            std::fs::copy(&s, &d).map_err(io(&s))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_change_with_any_input() {
        // FNV-1a 64 of "a" is a published test vector.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        let k = key_of("train", &serde_json::json!({"bits": 8})).unwrap();
        assert_eq!(k, key_of("train", &serde_json::json!({"bits": 8})).unwrap());
        assert_ne!(k, key_of("train", &serde_json::json!({"bits": 6})).unwrap());
        assert_ne!(k, key_of("hessian", &serde_json::json!({"bits": 8})).unwrap());
    }

    #[test]
    fn a_failed_step_leaves_nothing_and_a_done_one_is_reused() {
        let dir = std::env::temp_dir().join(format!("jet-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::new(&dir);
        let mut log = Vec::new();
        let err = store.run::<u32>("s", "k", &mut log, |tmp| {
            std::fs::write(tmp.join("half.txt"), "x").unwrap();
            Err(crate::error::Error::Setting { setting: "x".into(), message: "fails".into() })
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_dir(store.root()).unwrap().count(), 0, "nothing left behind");
        let first = store.run("s", "k", &mut log, |_| Ok(7u32)).unwrap();
        assert!(!first.cached);
        let again = store.run("s", "k", &mut log, |_| -> Result<u32> { panic!("must not run") }).unwrap();
        assert!(again.cached);
        assert_eq!(again.value, 7);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
