import Foundation
import ImageProcessing
import SafeTensors
import TensorCore
import TextTokenizer

/// A CLIP-family model: an image tower and a text tower that map images and texts into one
/// embedding space (any ``ImageTower`` with any ``TextTower``), plus the ``scoring`` that turns
/// their cosine similarities into probabilities. ``family`` says which family built it.
///
/// Load one with ``init(contentsOf:precision:)`` from a Hugging Face or OpenCLIP checkpoint directory.
/// The model is immutable once loaded and can be used from several threads at once.
public final class CLIPModel: Sendable {
    /// The sizes of both towers and of the embedding space.
    public let architecture: CLIPArchitecture
    /// The layout of the checkpoint it was loaded from.
    public let layout: CheckpointLayout
    /// The image tower.
    public let vision: any ImageTower
    /// The text tower.
    public let text: any TextTower
    /// How cosine similarities become probabilities: CLIP's softmax over labels of
    /// `logitScale · cos`, or SigLIP's sigmoid of `logitScale · cos + logitBias` per label.
    public let scoring: Scoring
    /// The factor applied to cosine similarities: `exp` of the stored `logit_scale` (100 for
    /// OpenAI's models). CLIP: before a softmax over labels; SigLIP: before ``logitBias`` and a
    /// sigmoid.
    public var logitScale: Float { scoring.logitScale }
    /// SigLIP's learned `logit_bias`, added to `logitScale · cos` before the sigmoid; nil for CLIP.
    public var logitBias: Float? { scoring.logitBias }
    /// The model family (``ModelFamily``); its ``FamilyDescriptor`` holds its defaults.
    public var family: ModelFamily { architecture.family }
    /// The element types of the stored weights ("F32", "F16", "BF16", or several joined by "+").
    public let weightDataType: String
    /// The number format the matrix products compute in.
    public let precision: ModelPrecision
    /// The directory the model was loaded from, when it was loaded with ``init(contentsOf:precision:)``.
    public let directory: CLIPModelDirectory?
    /// The tokenizer ``encode(texts:normalized:)`` uses: the directory's tokenizer files (CLIP's
    /// BPE vocabulary, SigLIP's SentencePiece model, SigLIP 2's Gemma tokenizer), or CLIP's
    /// standard vocabulary for a CLIP model with the standard 49408-token vocabulary; `nil`
    /// when neither applies (``CLIPModelDirectory/tokenizerSource``).
    public let tokenizer: (any TextTokenizing)?
    /// The image preprocessing ``encode(imagesAt:normalized:)`` applies: the directory's
    /// settings (``CLIPModelDirectory/preprocessing``), else OpenAI CLIP's settings at the
    /// model's image size.
    public let imagePreprocessor: ImagePreprocessor

    /// Loads a model from a Hugging Face or OpenCLIP checkpoint directory (see
    /// ``CLIPModelDirectory`` for the files looked for).
    /// - Parameters:
    ///   - url: the checkpoint directory.
    ///   - precision: the number format of the matrix products (``ModelPrecision``):
    ///     `.float32`, the reference path, by default; `.bfloat16` or `.int8` for speed and memory.
    ///     The weights are reordered for it once, while the model opens.
    /// - Throws: `CLIPModelError` naming the file, key or setting that is missing, unsupported
    ///   or inconsistent.
    public convenience init(contentsOf url: URL, precision: ModelPrecision = .float32) throws(CLIPModelError) {
        try self.init(directory: try CLIPModelDirectory(contentsOf: url), precision: precision)
    }

    /// Loads the model of a checkpoint directory already recognized (its weights, tokenizer
    /// and preprocessing settings as ``CLIPModelDirectory`` found them).
    /// - Throws: `CLIPModelError` naming the file, key or setting that is missing, unsupported
    ///   or inconsistent.
    public convenience init(directory: CLIPModelDirectory, precision: ModelPrecision = .float32) throws(CLIPModelError) {
        // The tokenizer (vocabulary parsing) loads on another thread while this one opens and
        // reorders the weights (on this thread first when ComputeThreads.count is 1).
        let tokenizer = BackgroundWork { () throws(CLIPModelError) in try directory.makeTokenizer() }
        let weights = try directory.openWeights()
        try self.init(architecture: directory.architecture, layout: directory.layout,
                      weights: weights, directory: directory, tokenizer: tokenizer.value, precision: precision,
                      imagePreprocessor: ImagePreprocessor(configuration: directory.preprocessing))
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
    ///   - precision: the number format of the matrix products (default `.float32`).
    /// - Throws: `CLIPModelError.checkpointMismatch` naming every missing, unexpected and
    ///   wrong-shaped key; `weightFile` when a tensor cannot be read.
    public convenience init(architecture: CLIPArchitecture, layout: CheckpointLayout, weights: any WeightSource,
                            name: String = "weights", precision: ModelPrecision = .float32) throws(CLIPModelError) {
        try self.init(architecture: architecture, layout: layout,
                      weights: SafeTensorsSource(weights: weights, sourceDescription: name), precision: precision)
    }

    init(architecture: CLIPArchitecture, layout: CheckpointLayout, weights: any TensorSource,
         directory: CLIPModelDirectory? = nil,
         tokenizer: () throws(CLIPModelError) -> (any TextTokenizing)? = { nil }, precision: ModelPrecision = .float32,
         imagePreprocessor: ImagePreprocessor? = nil) throws(CLIPModelError) {
        // The process-wide settings of the numerical libraries, before any weight is converted.
        ComputeThreads.configure()
        let keys = CheckpointKeys(layout: layout, architecture: architecture, for: weights)
        let binding = ModelBinding(keys: keys, architecture: architecture)
        var loader = WeightLoader(source: weights, binding: binding)
        loader.precision = precision
        try loader.validate()
        self.precision = precision
        self.architecture = architecture
        self.layout = layout
        self.directory = directory
        let family = architecture.family.descriptor
        if let imagePreprocessor {
            self.imagePreprocessor = imagePreprocessor
        } else {
            // The family's preprocessing at the model's image size (OpenAI CLIP's, or SigLIP's).
            self.imagePreprocessor = ImagePreprocessor(
                configuration: try family.defaultPreprocessing(imageSize: architecture.vision.imageSize))
        }
        // The towers assemble their weights (copies for stacked QKV, conversions for F16/BF16)
        // and reorder them for the backend (each reorder on the compute threads), on this thread.
        vision = try family.makeImageTower(architecture.vision, architecture.embeddingDimension, binding.vision, loader)
        text = try family.makeTextTower(architecture.text, architecture.embeddingDimension, binding.text, loader)
        let storedScale = try loader.load(binding.logitScale).scalars.first ?? 0
        let bias = try binding.logitBias.map { (bias) throws(CLIPModelError) in
            try loader.load(bias).scalars.first ?? 0
        }
        scoring = family.scoring(Float(Foundation.exp(Double(storedScale))), bias)
        weightDataType = dataTypes(of: binding, in: weights)
        self.tokenizer = try tokenizer()
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

    /// The projected embeddings of a batch of token sequences. CLIP: each starting, usually,
    /// with 49406 and containing 49407, any padding style. SigLIP: as its tokenizer pads them
    /// (every position counts, the last one is pooled).
    /// - Parameters:
    ///   - tokenIDs: one id array per text, at most `contextLength` long.
    ///   - normalized: whether to scale each embedding to unit length.
    /// - Returns: `[batch, embeddingDimension]`.
    public func encode(tokenIDs: [[Int]], normalized: Bool = false) throws(CLIPModelError) -> Tensor {
        let embeddings = try text.encode(tokenIDs: tokenIDs)
        return normalized ? l2Normalized(embeddings) : embeddings
    }

    /// The projected embeddings of a batch of texts, tokenized with ``tokenizer`` (texts longer
    /// than the context are truncated as the reference tokenizer truncates them; SigLIP's are
    /// padded to the context length).
    /// - Parameters:
    ///   - texts: the texts.
    ///   - normalized: whether to scale each embedding to unit length.
    /// - Returns: `[texts.count, embeddingDimension]`.
    /// - Throws: `CLIPModelError.missingComponent` when the model has no tokenizer.
    public func encode(texts: [String], normalized: Bool = false) throws(CLIPModelError) -> Tensor {
        guard let tokenizer else {
            throw .missingComponent(name: "tokenizer", reason: CLIPModelDirectory.noTokenizerReason)
        }
        guard !texts.isEmpty else { throw .emptyBatch(input: "texts") }
        return try encode(tokenIDs: tokenizer.tokenize(texts), normalized: normalized)
    }

    /// The projected embeddings of image files (JPEG or PNG), decoded upright and preprocessed
    /// with ``imagePreprocessor``.
    /// - Parameters:
    ///   - urls: the image files.
    ///   - normalized: whether to scale each embedding to unit length.
    /// - Returns: `[urls.count, embeddingDimension]`.
    /// - Throws: `CLIPModelError.imageProcessing` naming the file that cannot be decoded;
    ///   `invalidPixelValues` when the preprocessing settings do not produce the model's image size.
    public func encode(imagesAt urls: [URL], normalized: Bool = false) throws(CLIPModelError) -> Tensor {
        guard !urls.isEmpty else { throw .emptyBatch(input: "images") }
        let pixels: Tensor
        do {
            pixels = try imagePreprocessor.pixelValues(contentsOf: urls)
        } catch {
            throw .imageProcessing(error, context: "image preprocessing")
        }
        return try encode(pixelValues: pixels, normalized: normalized)
    }

    /// The projected embeddings of decoded RGB images, preprocessed with ``imagePreprocessor``.
    /// - Returns: `[images.count, embeddingDimension]`.
    public func encode(images: [RGBImage], normalized: Bool = false) throws(CLIPModelError) -> Tensor {
        guard !images.isEmpty else { throw .emptyBatch(input: "images") }
        let pixels: Tensor
        do {
            pixels = try imagePreprocessor.pixelValues(for: images)
        } catch {
            throw .imageProcessing(error, context: "image preprocessing")
        }
        return try encode(pixelValues: pixels, normalized: normalized)
    }

    /// The kernels oneDNN chose for the products run so far (e.g. `brg:avx512_core_bf16`),
    /// sorted, joined by "+"; before any product, the instruction set it would use (e.g.
    /// `avx512_core_bf16`). On a CPU without bfloat16 or VNNI instructions, the names show the
    /// fallback in use.
    public var kernelDescription: String {
        let names = vision.kernelNames.union(text.kernelNames)
        return names.isEmpty ? OneDNN.instructionSet : names.sorted().joined(separator: "+")
    }

    /// The instruction set oneDNN dispatches to on this CPU (e.g. `avx512_core_bf16`, `avx2`).
    public static var instructionSet: String { OneDNN.instructionSet }

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
