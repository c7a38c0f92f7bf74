import Foundation
import ImageProcessing
import SafeTensors
import TensorCore
import CLIPModels

/// One label's score for one image.
public struct Prediction: Sendable, Equatable, Codable {
    /// The label as given to the classifier.
    public let label: String
    /// CLIP: `softmax(logitScale · cosine)` over all labels of the classifier (the labels'
    /// probabilities sum to 1). SigLIP: `sigmoid(logitScale · cosine + logitBias)`, this label's
    /// own probability, independent of the other labels (they need not sum to 1).
    public let probability: Float
    /// The raw cosine similarity between the image and the label embedding, in `[-1, 1]`.
    public let similarity: Float

    /// A prediction with the given values.
    public init(label: String, probability: Float, similarity: Float) {
        self.label = label
        self.probability = probability
        self.similarity = similarity
    }
}

/// Zero-shot image classification: each label is written into caption templates ("a photo of a
/// {}." for CLIP, "This is a photo of {}." for SigLIP), the captions are embedded once with the
/// text tower, and images are ranked against the labels by cosine similarity scaled by the
/// model's `logitScale`: through a softmax over the labels for CLIP, through a sigmoid with the
/// model's `logitBias` per label for SigLIP (``probabilitiesSumToOne`` tells which).
///
///     let model = try CLIPModel(contentsOf: directory)
///     let classifier = try ZeroShotClassifier(model: model, labels: ["cat", "dog"])
///     let ranked = try classifier.classify(imageAt: url)       // best first
///
/// The classifier is immutable and `Sendable`: classify from as many tasks as you like.
/// Label embeddings can be saved with ``write(to:)`` and reloaded with
/// ``init(model:contentsOf:)`` so a service with thousands of labels starts without re-encoding.
public struct ZeroShotClassifier: Sendable {
    /// The model whose towers embed the images and captions.
    public let model: CLIPModel
    /// The labels, in the order given.
    public let labels: [String]
    /// The caption templates that were ensembled (`{}` stands for the label).
    public let templates: [String]
    /// `[labels, embeddingDimension]`: per label the L2-normalized mean of its L2-normalized
    /// caption embeddings (open_clip's `build_zero_shot_classifier`).
    public let labelEmbeddings: Tensor

    /// Embeds every label with every template (in batches of `batchSize` captions).
    /// - Parameters:
    ///   - model: the model whose towers embed captions and images.
    ///   - labels: the labels, non-empty and distinct.
    ///   - templates: the caption templates; by default the model family's
    ///     (``PromptTemplates/default(for:)``).
    ///   - batchSize: captions per forward pass of the text tower.
    /// - Throws: `CLIPError.noLabels`, `.invalidLabel` (empty or repeated), `.noTemplates`, or
    ///   the model's error.
    public init(
        model: CLIPModel, labels: [String], templates: [String]? = nil,
        batchSize: Int = 256
    ) throws {
        let templates = templates ?? PromptTemplates.default(for: model.family)
        try Self.validate(labels: labels, templates: templates)
        let captions = labels.flatMap { label in templates.map { PromptTemplates.caption($0, label: label) } }
        let captionEmbeddings = try Self.encode(captions, with: model, batchSize: max(1, batchSize))
        self.model = model
        self.labels = labels
        self.templates = templates
        self.labelEmbeddings = try Self.ensemble(captionEmbeddings, labels: labels.count, templates: templates.count)
    }

    /// A classifier from label embeddings computed elsewhere (`[labels, embeddingDimension]`,
    /// rows normalized here).
    /// - Throws: `CLIPError` for bad labels; `TensorError` when the shape does not fit.
    public init(model: CLIPModel, labels: [String], templates: [String], labelEmbeddings: Tensor) throws {
        try self.init(model: model, labels: labels, templates: templates, labelEmbeddings: labelEmbeddings,
                      normalizing: true)
    }

    /// `normalizing: false` keeps rows that are already unit length bit for bit (a file written
    /// by ``write(to:)``); normalizing them again may change their last bits.
    init(model: CLIPModel, labels: [String], templates: [String], labelEmbeddings: Tensor, normalizing: Bool) throws {
        try Self.validate(labels: labels, templates: templates)
        let dimension = model.architecture.embeddingDimension
        guard labelEmbeddings.shape == [labels.count, dimension] else {
            throw TensorError.shapeMismatch(
                operation: "ZeroShotClassifier label embeddings", lhs: [labels.count, dimension],
                rhs: labelEmbeddings.shape)
        }
        self.model = model
        self.labels = labels
        self.templates = templates
        self.labelEmbeddings = normalizing ? try labelEmbeddings.l2Normalized() : labelEmbeddings
    }

    /// Embeds `texts` (normalized) in batches of `batchSize`: `[texts.count, embeddingDimension]`.
    static func encode(_ texts: [String], with model: CLIPModel, batchSize: Int) throws -> Tensor {
        var parts: [Tensor] = []
        var start = 0
        while start < texts.count {
            let end = min(start + batchSize, texts.count)
            parts.append(try model.encode(texts: Array(texts[start..<end]), normalized: true))
            start = end
        }
        return parts.count == 1 ? parts[0] : try Tensor.concatenate(parts, axis: 0)
    }

    static func validate(labels: [String], templates: [String]) throws(CLIPError) {
        guard !labels.isEmpty else { throw .noLabels }
        guard !templates.isEmpty else { throw .noTemplates }
        var seen = Set<String>()
        for label in labels {
            guard !label.isEmpty, seen.insert(label).inserted else { throw .invalidLabel(label) }
        }
    }

    /// Averages `templates` consecutive normalized rows per label and renormalizes:
    /// `[labels·templates, D] → [labels, D]`.
    static func ensemble(_ embeddings: Tensor, labels: Int, templates: Int) throws -> Tensor {
        let dimension = embeddings.shape[1]
        var result = try Tensor(shape: [labels, dimension])
        embeddings.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                guard let src = source.baseAddress, let dst = out.baseAddress else { return }
                for label in 0..<labels {
                    let row = dst + label * dimension
                    for t in 0..<templates {
                        Kernels.add(src + (label * templates + t) * dimension, to: row, count: dimension)
                    }
                    Kernels.scale(row, count: dimension, by: 1 / Float(templates))
                }
                Kernels.l2Normalize(dst, rows: labels, width: dimension)
            }
        }
        return result
    }

    // MARK: - Classification

    /// Ranks the labels for each image of a preprocessed batch.
    /// - Parameters:
    ///   - pixelValues: `[batch, 3, imageSize, imageSize]`, as the model's preprocessor makes them.
    ///   - topK: how many predictions to return per image (all labels when `nil`).
    /// - Returns: per image, predictions sorted by decreasing probability.
    public func classify(pixelValues: Tensor, topK: Int? = nil) throws -> [[Prediction]] {
        let images = try model.encode(pixelValues: pixelValues, normalized: true)
        return try rank(imageEmbeddings: images, topK: topK)
    }

    /// Ranks the labels for one decoded image.
    public func classify(_ image: RGBImage, topK: Int? = nil) throws -> [Prediction] {
        try classify([image], topK: topK)[0]
    }

    /// Ranks the labels for each decoded image (preprocessed and embedded by the model's
    /// `encode(images:normalized:)`).
    public func classify(_ images: [RGBImage], topK: Int? = nil) throws -> [[Prediction]] {
        guard !images.isEmpty else { return [] }
        return try rank(imageEmbeddings: try model.encode(images: images, normalized: true), topK: topK)
    }

    /// Decodes, preprocesses and classifies the image file at `url`.
    /// - Throws: the model's `CLIPModelError.imageProcessing` naming the file when it cannot be decoded.
    public func classify(imageAt url: URL, topK: Int? = nil) throws -> [Prediction] {
        try classify(imagesAt: [url], topK: topK)[0]
    }

    /// Decodes, preprocesses and classifies image files, as one batch (through the model's
    /// `encode(imagesAt:normalized:)`).
    public func classify(imagesAt urls: [URL], topK: Int? = nil) throws -> [[Prediction]] {
        guard !urls.isEmpty else { return [] }
        return try rank(imageEmbeddings: try model.encode(imagesAt: urls, normalized: true), topK: topK)
    }

    /// Whether each image's probabilities sum to 1 over the labels: true for CLIP's softmax,
    /// false for SigLIP, whose sigmoid gives every label its own probability (an image may
    /// match several labels, or none).
    public var probabilitiesSumToOne: Bool { model.scoring.probabilitiesSumToOne }

    /// Ranks the labels for image embeddings (`[batch, embeddingDimension]`, L2-normalized).
    public func rank(imageEmbeddings: Tensor, topK: Int? = nil) throws -> [[Prediction]] {
        if let topK, topK < 1 { throw CLIPError.invalidTopK(topK) }
        let similarities = try imageEmbeddings.matmul(transposed: labelEmbeddings)   // [batch, labels]
        // The model's scoring: CLIP's softmax over labels, SigLIP's sigmoid per label.
        let probabilities = try model.scoring.probabilities(similarities: similarities)
        let count = labels.count, batch = imageEmbeddings.shape[0]
        let sims = similarities.scalars, probs = probabilities.scalars
        let keep = min(topK ?? count, count)
        return (0..<batch).map { image in
            let start = image * count
            // The search core's order: higher probability first, equal ones in label order, NaN last.
            let order = probs.withUnsafeBufferPointer {
                SimilarityRanking.top(UnsafeBufferPointer(rebasing: $0[start..<(start + count)]), k: keep)
            }
            return order.map { i in
                Prediction(label: labels[i], probability: probs[start + i], similarity: sims[start + i])
            }
        }
    }
}

// MARK: - Saving label embeddings

extension ZeroShotClassifier {
    static let embeddingsKey = "label_embeddings"

    /// Saves the labels, templates and label embeddings (a safetensors file whose metadata names
    /// the model that produced them).
    public func write(to url: URL) throws {
        var writer = SafeTensorsWriter(metadata: [
            "format": "swift-clip.zero-shot-labels.v1",
            "model": model.fingerprint,
            "labels": try Self.json(labels),
            "templates": try Self.json(templates),
        ])
        try writer.add(labelEmbeddings, named: Self.embeddingsKey)
        try writer.write(to: url)
    }

    /// Loads label embeddings saved by ``write(to:)``.
    /// - Throws: `CLIPError.modelMismatch` when the file was made with another model;
    ///   `.invalidFile` naming what is wrong; `SafeTensorsError` for a damaged file.
    public init(model: CLIPModel, contentsOf url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        let path = url.path
        guard file.metadata["format"] == "swift-clip.zero-shot-labels.v1" else {
            throw CLIPError.invalidFile(path: path, reason: "not a swift-clip label-embedding file")
        }
        let found = file.metadata["model"] ?? "(none)"
        guard found == model.fingerprint else {
            throw CLIPError.modelMismatch(path: path, expected: model.fingerprint, found: found)
        }
        guard let labels = Self.strings(file.metadata["labels"]),
            let templates = Self.strings(file.metadata["templates"])
        else { throw CLIPError.invalidFile(path: path, reason: "labels or templates missing from the metadata") }
        let embeddings = try file.tensor(named: Self.embeddingsKey)
        // Rows far from unit length mean the file was not written by write(to:) as stored.
        let norms = try embeddings.l2Normalized()
        let unit = zip(embeddings.scalars, norms.scalars).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
        try self.init(model: model, labels: labels, templates: templates, labelEmbeddings: embeddings,
                      normalizing: !unit)
    }

    static func json(_ strings: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(strings), as: UTF8.self)
    }

    static func strings(_ json: String?) -> [String]? {
        guard let json else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(json.utf8))
    }
}
