import Foundation
import SafeTensors
import TensorCore

/// A CLIP model: an image tower and a text tower that map images and texts into one embedding
/// space, plus the learned temperature of their cosine similarities.
///
/// Load one with ``init(contentsOf:)`` from a Hugging Face or OpenCLIP checkpoint directory.
/// The model is immutable once loaded and can be used from several threads at once.
public final class CLIPModel: Sendable {
    /// The sizes of both towers and of the embedding space.
    public let architecture: CLIPArchitecture
    /// The layout of the checkpoint it was loaded from.
    public let layout: CheckpointLayout
    /// The image tower.
    public let vision: VisionTransformer
    /// The text tower.
    public let text: TextTransformer
    /// The factor applied to cosine similarities before a softmax: `exp` of the stored
    /// `logit_scale` (100 for OpenAI's models).
    public let logitScale: Float
    /// The element types of the stored weights ("F32", "F16", "BF16", or several joined by "+").
    public let weightDataType: String
    /// The directory the model was loaded from, when it was loaded with ``init(contentsOf:)``.
    public let directory: CLIPModelDirectory?

    /// Loads a model from a Hugging Face or OpenCLIP checkpoint directory (see
    /// ``CLIPModelDirectory`` for the files looked for).
    /// - Throws: `CLIPModelError` naming the file, key or setting that is missing, unsupported
    ///   or inconsistent.
    public convenience init(contentsOf url: URL) throws(CLIPModelError) {
        let directory = try CLIPModelDirectory(contentsOf: url)
        try self.init(architecture: directory.architecture, layout: directory.layout,
                      weights: try directory.openWeights(), directory: directory)
    }

    /// Builds a model from weights in either checkpoint layout.
    /// - Parameters:
    ///   - architecture: the sizes, usually from a configuration file (see
    ///     ``HuggingFaceCLIPConfiguration`` and ``OpenCLIPConfiguration``) or a ``CLIPPreset``.
    ///   - layout: the key names and storage conventions of `weights`.
    ///   - weights: a safetensors file or sharded checkpoint; every key the architecture needs
    ///     must be present with the right shape and no other key may be (besides ignorable ones
    ///     such as `position_ids`).
    ///   - name: how `weights` is named in errors.
    /// - Throws: `CLIPModelError.checkpointMismatch` naming every missing, unexpected and
    ///   wrong-shaped key; `weightFile` when a tensor cannot be read.
    public convenience init(architecture: CLIPArchitecture, layout: CheckpointLayout, weights: any WeightSource,
                            name: String = "weights") throws(CLIPModelError) {
        try self.init(architecture: architecture, layout: layout,
                      weights: SafeTensorsSource(weights: weights, sourceDescription: name))
    }

    init(architecture: CLIPArchitecture, layout: CheckpointLayout, weights: any TensorSource,
         directory: CLIPModelDirectory? = nil) throws(CLIPModelError) {
        let keys = CheckpointKeys(layout: layout, for: weights)
        let binding = ModelBinding(keys: keys, architecture: architecture)
        let loader = WeightLoader(source: weights, binding: binding)
        try loader.validate()
        self.architecture = architecture
        self.layout = layout
        self.directory = directory
        vision = try VisionTransformer(architecture: architecture.vision,
                                       embeddingDimension: architecture.embeddingDimension,
                                       binding: binding.vision, loader: loader)
        text = try TextTransformer(architecture: architecture.text,
                                   embeddingDimension: architecture.embeddingDimension,
                                   binding: binding.text, loader: loader)
        let storedScale = try loader.load(binding.logitScale).scalars.first ?? 0
        logitScale = Float(Foundation.exp(Double(storedScale)))
        weightDataType = dataTypes(of: binding, in: weights)
    }

    /// The projected embeddings of a batch of normalized pixel tensors.
    /// - Parameters:
    ///   - pixelValues: `[batch, 3, imageSize, imageSize]`, preprocessed as the model expects.
    ///   - normalized: whether to scale each embedding to unit length.
    /// - Returns: `[batch, embeddingDimension]`.
    public func encode(pixelValues: Tensor, normalized: Bool = false) throws(CLIPModelError) -> Tensor {
        let embeddings = try vision.encode(pixelValues: pixelValues)
        return normalized ? l2Normalized(embeddings) : embeddings
    }

    /// The projected embeddings of a batch of token sequences (each starting, usually, with
    /// 49406 and containing 49407; any padding style).
    /// - Parameters:
    ///   - tokenIDs: one id array per text, at most `contextLength` long.
    ///   - normalized: whether to scale each embedding to unit length.
    /// - Returns: `[batch, embeddingDimension]`.
    public func encode(tokenIDs: [[Int]], normalized: Bool = false) throws(CLIPModelError) -> Tensor {
        let embeddings = try text.encode(tokenIDs: tokenIDs)
        return normalized ? l2Normalized(embeddings) : embeddings
    }

    private func l2Normalized(_ embeddings: Tensor) -> Tensor {
        var result = embeddings
        let rows = result.shape[0], width = result.shape[1]
        result.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            Kernels.l2Normalize(base, rows: rows, width: width)
        }
        return result
    }
}
