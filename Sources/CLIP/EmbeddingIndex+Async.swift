import CLIPModels
import Foundation
import ImageProcessing
import TensorCore

// Async counterparts that embed the query or the items through an `EmbeddingBatcher`.
extension EmbeddingIndex {
    /// The `topK` items most similar to a text, embedded through `batcher`.
    /// - Throws: `CLIPError.modelMismatch` when `batcher` runs another model than the index's,
    ///   what ``search(_:topK:)`` throws, or the batcher's error.
    public func search(text: String, using batcher: EmbeddingBatcher, topK: Int = 10) async throws -> [SearchResult] {
        try checkModel(of: batcher)
        return try search(try await batcher.embed(texts: [text], normalized: true), topK: topK)
    }

    /// The `topK` items most similar to a decoded image, embedded through `batcher`.
    public func search(image: RGBImage, using batcher: EmbeddingBatcher, topK: Int = 10) async throws -> [SearchResult] {
        try checkModel(of: batcher)
        return try search(try await batcher.embed(images: [image], normalized: true), topK: topK)
    }

    /// Embeds texts through `batcher` (in slices of its batch size) and indexes them under the
    /// texts themselves, like ``texts(_:model:batchSize:)``.
    public static func texts(_ texts: [String], using batcher: EmbeddingBatcher) async throws -> EmbeddingIndex {
        let model = batcher.model
        var index = EmbeddingIndex(dimension: model.architecture.embeddingDimension, model: model.fingerprint)
        let step = batcher.configuration.maxBatchSize
        for start in stride(from: 0, to: texts.count, by: step) {
            let slice = Array(texts[start..<min(start + step, texts.count)])
            try index.add(identifiers: slice, embeddings: try await batcher.embed(texts: slice, normalized: true))
        }
        return index
    }

    private func checkModel(of batcher: EmbeddingBatcher) throws(CLIPError) {
        guard batcher.model.fingerprint == model else {
            throw .modelMismatch(path: "EmbeddingBatcher", expected: model, found: batcher.model.fingerprint)
        }
    }
}
