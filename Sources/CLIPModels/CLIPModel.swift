import Foundation
import SafeTensors
import TensorCore
import TextTokenizer

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
    /// The tokenizer ``encode(texts:normalized:)`` uses: the directory's vocabulary files, or
    /// CLIP's standard vocabulary for a model with the standard 49408-token vocabulary; `nil`
    /// when neither applies.
    public let tokenizer: CLIPTokenizer?

    /// Loads a model from a Hugging Face or OpenCLIP checkpoint directory (see
    /// ``CLIPModelDirectory`` for the files looked for).
    /// - Throws: `CLIPModelError` naming the file, key or setting that is missing, unsupported
    ///   or inconsistent.
    public convenience init(contentsOf url: URL) throws(CLIPModelError) {
        let directory = try CLIPModelDirectory(contentsOf: url)
        let tokenizer = try Self.loadTokenizer(for: directory)
        try self.init(architecture: directory.architecture, layout: directory.layout,
                      weights: try directory.openWeights(), directory: directory, tokenizer: tokenizer)
    }

    /// The directory's tokenizer; CLIP's standard one when the directory has no vocabulary files
    /// and the model has the standard vocabulary.
    static func loadTokenizer(for directory: CLIPModelDirectory) throws(CLIPModelError) -> CLIPTokenizer? {
        let text = directory.architecture.text
        let tokenizer: CLIPTokenizer
        do {
            if CLIPVocabulary.directoryHasVocabulary(directory.url) {
                tokenizer = try CLIPTokenizer(directory: directory.url, contextLength: text.contextLength)
            } else if text.vocabularySize == 49408, text.endOfTextTokenID == clipEndOfTextTokenID {
                tokenizer = try CLIPTokenizer(contextLength: text.contextLength)
            } else {
                return nil
            }
        } catch {
            throw .underlying(context: "tokenizer of \(directory.url.path)", message: "\(error)")
        }
        guard tokenizer.endOfTextID == text.endOfTextTokenID else {
            throw .invalidConfiguration(
                file: "tokenizer", key: "<|endoftext|>",
                reason: "the tokenizer's end-of-text id \(tokenizer.endOfTextID) is not the id the model pools at "
                    + "(\(text.endOfTextTokenID))")
        }
        return tokenizer
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
         directory: CLIPModelDirectory? = nil, tokenizer: CLIPTokenizer? = nil) throws(CLIPModelError) {
        let keys = CheckpointKeys(layout: layout, for: weights)
        let binding = ModelBinding(keys: keys, architecture: architecture)
        let loader = WeightLoader(source: weights, binding: binding)
        try loader.validate()
        self.architecture = architecture
        self.layout = layout
        self.directory = directory
        self.tokenizer = tokenizer
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

    /// The projected embeddings of a batch of texts, tokenized with ``tokenizer`` (texts longer
    /// than the context are truncated, keeping the end-of-text token last).
    /// - Parameters:
    ///   - texts: the texts.
    ///   - normalized: whether to scale each embedding to unit length.
    /// - Returns: `[texts.count, embeddingDimension]`.
    /// - Throws: `CLIPModelError.missingComponent` when the model has no tokenizer.
    public func encode(texts: [String], normalized: Bool = false) throws(CLIPModelError) -> Tensor {
        guard let tokenizer else {
            throw .missingComponent(
                name: "tokenizer",
                reason: "the model directory has no vocab.json + merges.txt or tokenizer.json and the model's "
                    + "vocabulary is not CLIP's standard one")
        }
        guard !texts.isEmpty else { throw .emptyBatch(input: "texts") }
        return try encode(tokenIDs: tokenizer.tokenize(texts), normalized: normalized)
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
