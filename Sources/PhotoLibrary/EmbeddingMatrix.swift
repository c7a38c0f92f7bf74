import CLIP
import Foundation

/// One model's stored embeddings held in memory for search: `[count, dimension]` Float32,
/// L2-normalized, row `i` being the content with hash `hashes[i]`.
///
/// Float32, not Float16: a search then gives the similarities a brute-force computation from
/// `model.encode` gives (within 1e-6), at 2 KB per 512-wide embedding (2 GB for a million).
/// A search is one matrix-vector product over the rows, split across the compute threads and
/// bound by memory bandwidth, followed by a top-k selection.
public final class EmbeddingMatrix: @unchecked Sendable {
    /// The model the rows belong to.
    public let model: IndexedModel
    /// Rows.
    public let count: Int
    /// The content hash of each row.
    public let hashes: [ContentHash]
    private let storage: UnsafeMutableBufferPointer<Float>

    /// A matrix of `rows` (`count * model.dimension` values, row-major, L2-normalized).
    init(model: IndexedModel, hashes: [ContentHash], storage: UnsafeMutableBufferPointer<Float>) {
        self.model = model
        self.count = hashes.count
        self.hashes = hashes
        self.storage = storage
    }

    /// A matrix of the given rows (copied): `vectors` is `[hashes.count, model.dimension]`,
    /// each row L2-normalized.
    /// - Throws: `PhotoIndexError.dimensionMismatch` when `vectors` has the wrong size.
    public convenience init(model: IndexedModel, hashes: [ContentHash], vectors: [Float]) throws(PhotoIndexError) {
        guard vectors.count == hashes.count * model.dimension else {
            throw .dimensionMismatch(expected: hashes.count * model.dimension, found: vectors.count)
        }
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(vectors.count, 1))
        _ = storage.initialize(from: vectors)
        self.init(model: model, hashes: hashes, storage: storage)
    }

    deinit { storage.deallocate() }

    /// The embedding of row `row`.
    public func row(_ row: Int) -> [Float] {
        Array(storage[(row * model.dimension)..<((row + 1) * model.dimension)])
    }

    /// The cosine similarity of every row to `query` (`[dimension]`, L2-normalized).
    /// - Throws: `PhotoIndexError.dimensionMismatch` for a query of another width.
    public func similarities(to query: [Float]) throws(PhotoIndexError) -> [Float] {
        guard query.count == model.dimension else { throw .dimensionMismatch(expected: model.dimension, found: query.count) }
        // The search core `EmbeddingIndex` shares (CLIP's `SimilarityRanking`).
        do {
            return try query.withUnsafeBufferPointer {
                try SimilarityRanking.scores(rows: count, of: UnsafeBufferPointer(storage), query: $0)
            }
        } catch {
            // The storage holds `count * dimension` values by construction; this names the sizes if not.
            throw .dimensionMismatch(expected: count * model.dimension, found: storage.count)
        }
    }
}
