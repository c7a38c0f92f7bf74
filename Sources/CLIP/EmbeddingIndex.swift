import Foundation
import SafeTensors
import TensorCore
import CLIPModels

/// One hit of a search: the item's identifier and its cosine similarity to the query.
public struct SearchResult: Sendable, Equatable, Codable {
    /// The identifier the item was added with (for images, usually the file path).
    public let identifier: String
    /// Cosine similarity between the query and the item, in `[-1, 1]`.
    public let similarity: Float

    /// A result with the given values.
    public init(identifier: String, similarity: Float) {
        self.identifier = identifier
        self.similarity = similarity
    }
}

/// An in-memory cosine-similarity index of embeddings (brute force through one matrix-vector
/// product, exact), that can be saved and loaded. Embeddings are L2-normalized when added.
///
///     var index = EmbeddingIndex(dimension: 512, model: model.fingerprint)
///     try index.add(identifiers: paths, embeddings: imageEmbeddings)    // [n, 512]
///     let hits = try index.search(textEmbedding, topK: 5)
public struct EmbeddingIndex: Sendable {
    /// The embedding width.
    public let dimension: Int
    /// The fingerprint of the model whose embeddings the index holds.
    public let model: String
    /// The identifiers, in the order added.
    public private(set) var identifiers: [String] = []
    private var vectors: [Float] = []

    /// An empty index for embeddings of `dimension` values made by `model` (a fingerprint).
    public init(dimension: Int, model: String) {
        self.dimension = dimension
        self.model = model
    }

    /// The number of items.
    public var count: Int { identifiers.count }

    /// The stored embeddings, `[count, dimension]`, L2-normalized.
    public func embeddings() throws -> Tensor {
        try Tensor(shape: [count, dimension], scalars: vectors)
    }

    /// Adds items: one identifier per row of `embeddings` (`[n, dimension]`).
    /// - Throws: `TensorError.shapeMismatch` when the rows or width do not fit.
    public mutating func add(identifiers newIdentifiers: [String], embeddings: Tensor) throws {
        guard embeddings.shape == [newIdentifiers.count, dimension] else {
            throw TensorError.shapeMismatch(
                operation: "EmbeddingIndex.add", lhs: [newIdentifiers.count, dimension], rhs: embeddings.shape)
        }
        identifiers += newIdentifiers
        vectors += try embeddings.l2Normalized().scalars
    }

    /// The `topK` items most similar to `query` (`[dimension]` or `[1, dimension]`), best first;
    /// `min(topK, count)` of them. Equal similarities are in the order the items were added; a
    /// NaN similarity (from NaN or infinite values in an embedding or the query) comes after
    /// every number.
    /// - Throws: `CLIPError.invalidTopK`, `.emptyIndex`, or `TensorError` for a query of the
    ///   wrong width.
    public func search(_ query: Tensor, topK: Int = 10) throws -> [SearchResult] {
        guard topK >= 1 else { throw CLIPError.invalidTopK(topK) }
        guard count > 0 else { throw CLIPError.emptyIndex }
        let q = try query.reshaped([1, -1]).l2Normalized()
        guard q.shape == [1, dimension] else {
            throw TensorError.shapeMismatch(operation: "EmbeddingIndex.search", lhs: [1, dimension], rhs: query.shape)
        }
        // The search core PhotoLibrary's index shares: one matrix-vector product, a bounded top-k.
        let similarities = try vectors.withUnsafeBufferPointer { matrix in
            try q.scalars.withUnsafeBufferPointer { try SimilarityRanking.scores(rows: count, of: matrix, query: $0) }
        }
        return SimilarityRanking.top(similarities, k: topK).map {
            SearchResult(identifier: identifiers[$0], similarity: similarities[$0])
        }
    }

    // MARK: Saving

    static let format = "swift-clip.embedding-index.v1"

    /// Saves the index as a safetensors file (embeddings plus identifiers and model in the metadata).
    public func write(to url: URL) throws {
        var writer = SafeTensorsWriter(metadata: [
            "format": Self.format,
            "model": model,
            "identifiers": String(decoding: try JSONEncoder().encode(identifiers), as: UTF8.self),
        ])
        try writer.add(try embeddings(), named: "embeddings")
        try writer.write(to: url)
    }

    /// Loads an index saved by ``write(to:)``.
    /// - Parameters:
    ///   - url: the file written by ``write(to:)``.
    ///   - model: when given, the fingerprint the index must have been made with.
    /// - Throws: `CLIPError.invalidFile` / `.modelMismatch`, or `SafeTensorsError`.
    public init(contentsOf url: URL, expectingModel model: String? = nil) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        guard file.metadata["format"] == Self.format, let stored = file.metadata["model"],
            let json = file.metadata["identifiers"],
            let identifiers = try? JSONDecoder().decode([String].self, from: Data(json.utf8))
        else { throw CLIPError.invalidFile(path: url.path, reason: "not a swift-clip embedding index") }
        if let model, model != stored {
            throw CLIPError.modelMismatch(path: url.path, expected: model, found: stored)
        }
        let embeddings = try file.tensor(named: "embeddings")
        guard embeddings.rank == 2, embeddings.shape[0] == identifiers.count else {
            throw CLIPError.invalidFile(
                path: url.path, reason: "embeddings \(embeddings.shape) do not match \(identifiers.count) identifiers")
        }
        self.init(dimension: embeddings.shape[1], model: stored)
        self.identifiers = identifiers
        self.vectors = embeddings.scalars
    }
}

// MARK: - Building indexes with a model

extension EmbeddingIndex {
    /// Embeds image files with `model` in batches of `batchSize` and indexes them under their paths.
    /// `progress(done, total)` is called after each batch (for large collections).
    /// - Throws: the model's error naming the first file that cannot be read.
    public static func images(
        at urls: [URL], model: CLIPModel, batchSize: Int = 16,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> EmbeddingIndex {
        var index = EmbeddingIndex(dimension: model.architecture.embeddingDimension, model: model.fingerprint)
        let step = max(1, batchSize)
        for start in stride(from: 0, to: urls.count, by: step) {
            let batch = Array(urls[start..<min(start + step, urls.count)])
            try index.add(identifiers: batch.map(\.path), embeddings: try model.encode(imagesAt: batch, normalized: true))
            progress?(start + batch.count, urls.count)
        }
        return index
    }

    /// Embeds texts with `model` (batches of `batchSize`) and indexes them under the texts
    /// themselves, so an image embedding can be searched for its best-matching texts.
    public static func texts(_ texts: [String], model: CLIPModel, batchSize: Int = 64) throws -> EmbeddingIndex {
        var index = EmbeddingIndex(dimension: model.architecture.embeddingDimension, model: model.fingerprint)
        let step = max(1, batchSize)
        for start in stride(from: 0, to: texts.count, by: step) {
            let batch = Array(texts[start..<min(start + step, texts.count)])
            try index.add(identifiers: batch, embeddings: try model.encode(texts: batch, normalized: true))
        }
        return index
    }
}
