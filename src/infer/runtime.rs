//! Finding and loading the ONNX Runtime shared library, and running a model on a batch.
//!
//! dicomkit is built with `ort`'s `load-dynamic` feature: nothing of ONNX Runtime is linked in,
//! and everything except inference works without it. The library is looked for, in order:
//! 1. an explicit path (the `--ort-lib PATH` option of `ecg-infer`);
//! 2. the `ORT_DYLIB_PATH` environment variable;
//! 3. the project folder `.onnxruntime/libonnxruntime.so.1.31.1` (what `scripts/fetch-onnxruntime.sh`
//!    writes), searched in the directories above the running executable (so `target/debug/dicomkit`
//!    and `target/release/dicomkit` find it in the checkout they were built in), then in the crate
//!    root recorded at compile time (`CARGO_MANIFEST_DIR`, for test binaries and `cargo run`).
//!
//! The library is loaded with [`ort::init_from`], once per process; a missing or unloadable file is
//! an [`InferError`], never a panic (`ort`'s lazy default loader panics, so it is never used).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ndarray::{Array2, Array3, Ix2};
use ort::environment::Environment;
use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::Tensor;

use super::InferError;

/// The ONNX Runtime version dicomkit is tested with (the PyPI wheel the fetch script takes it from).
pub const ORT_VERSION: &str = "1.31.1";

/// The library file name inside the project folder `.onnxruntime/`.
pub const LIBRARY_FILE: &str = "libonnxruntime.so.1.31.1";

/// The project folder that holds the library (relative to the checkout root).
pub const PROJECT_DIR: &str = ".onnxruntime";

/// Where the library was found, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryLocation {
    /// The library file.
    pub path: PathBuf,
    /// How it was chosen: `explicit`, `ORT_DYLIB_PATH` or `project folder`.
    pub source: &'static str,
}

/// The candidate paths, in search order, for an optional explicit path (see the module docs).
/// Only the explicit path and `ORT_DYLIB_PATH` are returned when given (no silent fallback past a
/// path the user named).
pub fn candidates(explicit: Option<&Path>) -> Vec<LibraryLocation> {
    if let Some(p) = explicit {
        return vec![LibraryLocation {
            path: p.to_path_buf(),
            source: "explicit",
        }];
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return vec![LibraryLocation {
            path: PathBuf::from(p),
            source: "ORT_DYLIB_PATH",
        }];
    }
    let mut out = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            let p = dir.join(PROJECT_DIR).join(LIBRARY_FILE);
            if !out.iter().any(|l: &LibraryLocation| l.path == p) {
                out.push(LibraryLocation {
                    path: p,
                    source: "project folder",
                });
            }
        }
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(PROJECT_DIR)
        .join(LIBRARY_FILE);
    if !out.iter().any(|l| l.path == p) {
        out.push(LibraryLocation {
            path: p,
            source: "project folder",
        });
    }
    out
}

/// Choose the library file: the first candidate that exists. The error lists where it looked and
/// how to get the library.
pub fn locate(explicit: Option<&Path>) -> Result<LibraryLocation, InferError> {
    let all = candidates(explicit);
    if let Some(found) = all.iter().find(|l| l.path.is_file()) {
        return Ok(found.clone());
    }
    let tried = match all.as_slice() {
        [one] => format!("{} ({})", one.path.display(), one.source),
        _ => format!(
            "{}/{LIBRARY_FILE} above the executable and in {}",
            PROJECT_DIR,
            env!("CARGO_MANIFEST_DIR")
        ),
    };
    Err(InferError::LibraryNotFound { tried })
}

/// A loaded ONNX Runtime: the library and the process-wide environment sessions are built in.
#[derive(Clone)]
pub struct Runtime {
    env: Environment,
    /// The library file that was loaded.
    pub library: LibraryLocation,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("library", &self.library)
            .finish_non_exhaustive()
    }
}

static LOADED: OnceLock<Runtime> = OnceLock::new();
static LOADING: Mutex<()> = Mutex::new(());

impl Runtime {
    /// Find and load the library (see the module docs for the search order). Loading happens once
    /// per process: later calls return the runtime already loaded, whatever path they name.
    pub fn load(explicit: Option<&Path>) -> Result<Runtime, InferError> {
        if let Some(rt) = LOADED.get() {
            return Ok(rt.clone());
        }
        let _guard = LOADING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(rt) = LOADED.get() {
            return Ok(rt.clone());
        }
        let library = locate(explicit)?;
        let builder = ort::init_from(&library.path).map_err(|e| InferError::LibraryLoad {
            path: library.path.clone(),
            reason: e.to_string(),
        })?;
        let env = builder
            .with_name("dicomkit")
            .build()
            .map_err(|e| InferError::LibraryLoad {
                path: library.path.clone(),
                reason: e.to_string(),
            })?;
        let rt = Runtime { env, library };
        Ok(LOADED.get_or_init(|| rt).clone())
    }

    /// Build a session for a model file (graph optimisation level `All`, `threads` intra-op
    /// threads; 0 lets ONNX Runtime choose) running `input` → `output` by name. Build it once per
    /// run: it is the expensive step.
    pub fn model(
        &self,
        path: &Path,
        threads: usize,
        input: &str,
        output: &str,
    ) -> Result<Model, InferError> {
        let model_err = |reason: String| InferError::Model {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_file() {
            return Err(model_err("no such file".into()));
        }
        let mut builder = Session::builder(&self.env)
            .map_err(|e| model_err(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::All)
            .map_err(|e| model_err(e.to_string()))?;
        if threads > 0 {
            builder = builder
                .with_intra_threads(threads)
                .map_err(|e| model_err(e.to_string()))?;
        }
        let session = builder
            .commit_from_file(path)
            .map_err(|e| model_err(e.to_string()))?;
        if !session.inputs().iter().any(|o| o.name() == input) {
            return Err(model_err(format!(
                "no input named {input:?} (inputs: {})",
                names(session.inputs())
            )));
        }
        if !session.outputs().iter().any(|o| o.name() == output) {
            return Err(model_err(format!(
                "no output named {output:?} (outputs: {})",
                names(session.outputs())
            )));
        }
        Ok(Model {
            session,
            path: path.to_path_buf(),
            input: input.to_owned(),
            output: output.to_owned(),
            run_time: std::time::Duration::ZERO,
        })
    }
}

fn names(outlets: &[ort::value::Outlet]) -> String {
    outlets
        .iter()
        .map(|o| o.name().to_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A model ready to run: a session built once, with its input and output names.
pub struct Model {
    session: Session,
    /// The model file.
    pub path: PathBuf,
    /// The input the batch is fed to.
    pub input: String,
    /// The output that is returned.
    pub output: String,
    /// Time spent inside ONNX Runtime's `run` so far.
    pub run_time: std::time::Duration,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("path", &self.path)
            .field("input", &self.input)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Run one batch `(B, leads, samples)` and return the named output as `(B, width)`.
    pub fn run(&mut self, batch: Array3<f32>) -> Result<Array2<f32>, InferError> {
        let rows = batch.shape().first().copied().unwrap_or(0);
        let run_err = |reason: String| InferError::Run {
            path: self.path.clone(),
            reason,
        };
        let tensor = Tensor::from_array(batch).map_err(|e| run_err(e.to_string()))?;
        let started = std::time::Instant::now();
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => tensor])
            .map_err(|e| run_err(e.to_string()))?;
        self.run_time += started.elapsed();
        let value = outputs
            .get(self.output.as_str())
            .ok_or_else(|| run_err(format!("output {:?} missing", self.output)))?;
        let array = value
            .try_extract_array::<f32>()
            .map_err(|e| run_err(e.to_string()))?;
        let out = array
            .into_dimensionality::<Ix2>()
            .map_err(|e| run_err(format!("output {:?} is not 2-D: {e}", self.output)))?
            .to_owned();
        if out.nrows() != rows {
            return Err(run_err(format!(
                "output {:?} has {} rows for a batch of {rows}",
                self.output,
                out.nrows()
            )));
        }
        Ok(out)
    }
}
