//! Backend aliases. Code is generic over burn's `Backend`; these are the defaults.

/// The CPU backend for inference and evaluation (float32).
pub type Cpu = burn::backend::NdArray<f32>;
/// The CPU backend with autodiff, for training (float32).
pub type CpuTrain = burn::backend::Autodiff<Cpu>;
/// The float64 CPU backend (exactness checks).
pub type Cpu64 = burn::backend::NdArray<f64>;

/// The GPU backend (feature `wgpu`).
#[cfg(feature = "wgpu")]
pub type Gpu = burn::backend::Wgpu;
/// The GPU backend with autodiff (feature `wgpu`).
#[cfg(feature = "wgpu")]
pub type GpuTrain = burn::backend::Autodiff<Gpu>;

/// The backend that training uses by default: the GPU with feature `wgpu`, else the CPU.
#[cfg(feature = "wgpu")]
pub type DefaultTrain = GpuTrain;
/// The backend that training uses by default: the GPU with feature `wgpu`, else the CPU.
#[cfg(not(feature = "wgpu"))]
pub type DefaultTrain = CpuTrain;
