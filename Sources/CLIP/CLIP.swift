// The facade module. `import CLIP` is all an app needs: it brings in the public API of every
// library module of the package, deliberately —
// - TensorCore: `Tensor` (what the model takes and returns), `ComputeThreads` (the thread count
//   and `configure()`, the one place that changes process-wide settings), `HalfPrecision`;
// - SafeTensors: reading and writing safetensors and `.npy` files;
// - TextTokenizer: `CLIPTokenizer`, `CLIPVocabulary`;
// - ImageProcessing: decoding and Pillow-exact preprocessing (`ImagePreprocessor`, `RGBImage`);
// - CLIPModels: `CLIPModel`, `CLIPModelDirectory`, configurations, `ModelPrecision`;
// - ModelHub: the Hugging Face cache and downloads.
// The kernels and settings below them (`Kernels`, `BLASRuntime`, oneDNN's backend, the shared
// JSON reader and concurrency helpers of CLIPSupport) are `package`-level: not visible to apps.
@_exported import TensorCore
@_exported import SafeTensors
@_exported import TextTokenizer
@_exported import ImageProcessing
@_exported import CLIPModels
@_exported import ModelHub
