import CLIPModels
import Foundation
import ImageProcessing
import TensorCore

// Async counterparts that run the model through an `EmbeddingBatcher`, so that concurrent
// callers share batches and no model work runs on the calling task's thread.
extension ZeroShotClassifier {
    /// Embeds every label with every template through `batcher` (its model becomes the
    /// classifier's), giving the same label embeddings as ``init(model:labels:templates:batchSize:)``
    /// up to the rounding of other batch sizes.
    /// - Parameters:
    ///   - batcher: the batcher of the model that embeds captions and images.
    ///   - labels: the labels, non-empty and distinct.
    ///   - templates: the caption templates; by default the model family's.
    /// - Throws: `CLIPError` for bad labels or templates, ``EmbeddingBatcherError``, or the model's error.
    public init(batcher: EmbeddingBatcher, labels: [String], templates: [String]? = nil) async throws {
        let model = batcher.model
        let templates = templates ?? PromptTemplates.default(for: model.family)
        try Self.validate(labels: labels, templates: templates)
        let captions = labels.flatMap { label in templates.map { PromptTemplates.caption($0, label: label) } }
        // In slices of one batch, so a long label list does not fill the batcher's queue at once.
        let step = batcher.configuration.maxBatchSize
        var parts: [Tensor] = []
        for start in stride(from: 0, to: captions.count, by: step) {
            let slice = Array(captions[start..<min(start + step, captions.count)])
            parts.append(try await batcher.embed(texts: slice, normalized: true))
        }
        let captionEmbeddings = parts.count == 1 ? parts[0] : try Tensor.concatenate(parts, axis: 0)
        try self.init(model: model, labels: labels, templates: templates,
                      labelEmbeddings: try Self.ensemble(captionEmbeddings, labels: labels.count, templates: templates.count),
                      normalizing: false)
    }

    /// Ranks the labels for each image of a preprocessed batch, embedded through `batcher`.
    /// - Parameters:
    ///   - pixelValues: `[batch, 3, imageSize, imageSize]`.
    ///   - batcher: a batcher of this classifier's model.
    ///   - topK: predictions per image (all labels when `nil`).
    /// - Returns: per image, predictions sorted by decreasing probability.
    /// - Throws: `CLIPError.modelMismatch` when `batcher` runs another model, or what
    ///   ``EmbeddingBatcher/embed(pixelValues:normalized:)`` throws.
    public func classify(pixelValues: Tensor, using batcher: EmbeddingBatcher, topK: Int? = nil) async throws -> [[Prediction]] {
        try checkModel(of: batcher)
        if let topK, topK < 1 { throw CLIPError.invalidTopK(topK) }
        return try rank(imageEmbeddings: try await batcher.embed(pixelValues: pixelValues, normalized: true), topK: topK)
    }

    /// Ranks the labels for each decoded image, preprocessed and embedded through `batcher`.
    /// - Returns: per image, predictions sorted by decreasing probability (`[]` for no images).
    public func classify(_ images: [RGBImage], using batcher: EmbeddingBatcher, topK: Int? = nil) async throws -> [[Prediction]] {
        guard !images.isEmpty else { return [] }
        try checkModel(of: batcher)
        if let topK, topK < 1 { throw CLIPError.invalidTopK(topK) }
        return try rank(imageEmbeddings: try await batcher.embed(images: images, normalized: true), topK: topK)
    }

    /// Ranks the labels for one decoded image, embedded through `batcher`.
    public func classify(_ image: RGBImage, using batcher: EmbeddingBatcher, topK: Int? = nil) async throws -> [Prediction] {
        try await classify([image], using: batcher, topK: topK)[0]
    }

    private func checkModel(of batcher: EmbeddingBatcher) throws(CLIPError) {
        guard batcher.model === model || batcher.model.fingerprint == model.fingerprint else {
            throw .modelMismatch(path: "EmbeddingBatcher", expected: model.fingerprint, found: batcher.model.fingerprint)
        }
    }
}
