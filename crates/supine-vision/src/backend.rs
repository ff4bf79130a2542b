//! Inference engines: tract-onnx (default, pure Rust) and onnxruntime (feature `ort`).

use crate::error::VisionError;
use serde::Serialize;

/// Which inference engine runs the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// tract-onnx, pure Rust, always available.
    #[default]
    Tract,
    /// onnxruntime loaded at run time from `ORT_DYLIB_PATH` (needs the `ort` feature).
    OnnxRuntime,
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tract" => Ok(Backend::Tract),
            "ort" | "onnxruntime" => Ok(Backend::OnnxRuntime),
            other => Err(format!("unknown backend {other:?}: use tract or ort")),
        }
    }
}

/// A loaded model that maps one NHWC float input to the named outputs, flattened.
pub trait Engine: Send {
    /// Runs the model on `input` (shape `[1, side, side, 3]`) and returns the requested outputs
    /// in the order they were requested at load time.
    fn run(&mut self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError>;

    /// A second engine for the same model, to run on another thread: it shares the loaded
    /// weights where the backend allows (tract), and keeps its own run state.
    fn fork(&self) -> Result<Box<dyn Engine>, VisionError>;
}

/// Loads `bytes` (ONNX) on `backend`, keeping only `outputs` (tract prunes the rest of the graph).
/// `threads` is how many threads one run may use (at least 1): its convolutions and matrix
/// products are split between them.
pub fn load(
    backend: Backend,
    name: &str,
    bytes: &[u8],
    side: usize,
    outputs: &[&str],
    threads: usize,
) -> Result<Box<dyn Engine>, VisionError> {
    let threads = threads.max(1);
    match backend {
        Backend::Tract => Ok(Box::new(tract::TractEngine::load(
            name, bytes, side, outputs, threads,
        )?)),
        #[cfg(feature = "ort")]
        Backend::OnnxRuntime => Ok(Box::new(onnxrt::OrtEngine::load(
            name, bytes, side, outputs, threads,
        )?)),
        #[cfg(not(feature = "ort"))]
        Backend::OnnxRuntime => Err(VisionError::OnnxRuntime(
            "this build has no onnxruntime backend; rebuild with `--features ort`".into(),
        )),
    }
}

mod tract {
    use super::Engine;
    use crate::error::VisionError;
    use std::sync::Mutex;
    use tract_onnx::prelude::*;
    use tract_onnx::tract_core::runtime::RunOptions;
    use tract_onnx::tract_core::tract_linalg::multithread::Executor;

    pub struct TractEngine {
        name: String,
        side: usize,
        /// One state kept across runs: its buffers are allocated once, not on every frame.
        state: TypedSimpleState,
    }

    fn err(name: &str, e: impl std::fmt::Display) -> VisionError {
        VisionError::Inference {
            backend: "tract",
            model: name.to_string(),
            message: format!("{e:#}"),
        }
    }

    /// One thread pool per thread count, shared by every model of the process (the detector and
    /// the landmark model never run at the same time).
    fn pool(threads: usize) -> Executor {
        static POOLS: Mutex<Vec<(usize, Executor)>> = Mutex::new(Vec::new());
        let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, e)) = pools.iter().find(|(n, _)| *n == threads) {
            return e.clone();
        }
        let e = Executor::multithread_with_name(threads, "supine-vision");
        pools.push((threads, e.clone()));
        e
    }

    impl TractEngine {
        pub fn load(
            name: &str,
            bytes: &[u8],
            side: usize,
            outputs: &[&str],
            threads: usize,
        ) -> Result<TractEngine, VisionError> {
            let mut model = tract_onnx::onnx()
                .model_for_read(&mut std::io::Cursor::new(bytes))
                .map_err(|e| err(name, e))?;
            model
                .set_input_fact(0, f32::fact([1, side, side, 3]).into())
                .map_err(|e| err(name, e))?;
            model
                .select_outputs_by_name(outputs.iter())
                .map_err(|e| err(name, e))?;
            let options = RunOptions {
                executor: (threads > 1).then(|| pool(threads)),
                ..RunOptions::default()
            };
            let state = model
                .into_optimized()
                .and_then(|m| m.into_runnable_with_options(&options))
                .and_then(|plan| plan.spawn())
                .map_err(|e| err(name, e))?;
            Ok(TractEngine {
                name: name.to_string(),
                side,
                state,
            })
        }
    }

    impl Engine for TractEngine {
        fn fork(&self) -> Result<Box<dyn Engine>, VisionError> {
            let state = TypedSimpleState::new(self.state.plan()).map_err(|e| err(&self.name, e))?;
            Ok(Box::new(TractEngine {
                name: self.name.clone(),
                side: self.side,
                state,
            }))
        }

        fn run(&mut self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError> {
            let t = Tensor::from_shape(&[1, self.side, self.side, 3], input)
                .map_err(|e| err(&self.name, e))?;
            let out = self
                .state
                .run(tvec!(t.into()))
                .map_err(|e| err(&self.name, e))?;
            out.iter()
                .map(|v| {
                    let view = v
                        .to_plain_array_view::<f32>()
                        .map_err(|e| err(&self.name, e))?;
                    Ok(view.iter().copied().collect())
                })
                .collect()
        }
    }
}

#[cfg(feature = "ort")]
mod onnxrt {
    use super::Engine;
    use crate::error::VisionError;
    use ort::session::Session;
    use ort::value::TensorRef;
    use std::sync::Once;

    pub struct OrtEngine {
        name: String,
        side: usize,
        /// The model, kept to load it again for [`Engine::fork`] (an onnxruntime session runs
        /// one call at a time).
        bytes: std::sync::Arc<[u8]>,
        threads: usize,
        input: String,
        outputs: Vec<String>,
        session: Session,
    }

    fn err(name: &str, e: impl std::fmt::Display) -> VisionError {
        VisionError::Inference {
            backend: "onnxruntime",
            model: name.to_string(),
            message: e.to_string(),
        }
    }

    static INIT: Once = Once::new();

    /// Loads the library named by ORT_DYLIB_PATH once, with a clear error when it is missing.
    fn init() -> Result<(), VisionError> {
        let path = std::env::var_os("ORT_DYLIB_PATH").ok_or_else(|| {
            VisionError::OnnxRuntime(
                "set ORT_DYLIB_PATH to libonnxruntime.so (the PyPI onnxruntime wheel ships it in \
                 onnxruntime/capi/)"
                    .into(),
            )
        })?;
        if !std::path::Path::new(&path).is_file() {
            return Err(VisionError::OnnxRuntime(format!(
                "ORT_DYLIB_PATH={} is not a file",
                path.to_string_lossy()
            )));
        }
        let mut result = Ok(());
        INIT.call_once(|| {
            result = ort::init_from(&path)
                .map(|b| {
                    b.commit();
                })
                .map_err(|e| VisionError::OnnxRuntime(e.to_string()));
        });
        result
    }

    impl OrtEngine {
        pub fn load(
            name: &str,
            bytes: &[u8],
            side: usize,
            outputs: &[&str],
            threads: usize,
        ) -> Result<OrtEngine, VisionError> {
            init()?;
            let session = Session::builder()
                .and_then(|b| Ok(b.with_intra_threads(threads)?))
                .and_then(|mut b| b.commit_from_memory(bytes))
                .map_err(|e| err(name, e))?;
            let input = session
                .inputs()
                .first()
                .map(|i| i.name().to_string())
                .unwrap_or_default();
            Ok(OrtEngine {
                name: name.to_string(),
                side,
                bytes: bytes.into(),
                threads,
                input,
                outputs: outputs.iter().map(|s| s.to_string()).collect(),
                session,
            })
        }
    }

    impl Engine for OrtEngine {
        fn fork(&self) -> Result<Box<dyn Engine>, VisionError> {
            let outputs: Vec<&str> = self.outputs.iter().map(String::as_str).collect();
            Ok(Box::new(OrtEngine::load(
                &self.name,
                &self.bytes,
                self.side,
                &outputs,
                self.threads,
            )?))
        }

        fn run(&mut self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError> {
            let shape = [1usize, self.side, self.side, 3];
            let t = TensorRef::from_array_view((shape, input)).map_err(|e| err(&self.name, e))?;
            let out = self
                .session
                .run(ort::inputs![self.input.as_str() => t])
                .map_err(|e| err(&self.name, e))?;
            self.outputs
                .iter()
                .map(|o| {
                    let v = out
                        .get(o.as_str())
                        .ok_or_else(|| err(&self.name, format!("no output {o}")))?;
                    let (_, data) = v
                        .try_extract_tensor::<f32>()
                        .map_err(|e| err(&self.name, e))?;
                    Ok(data.to_vec())
                })
                .collect()
        }
    }
}
