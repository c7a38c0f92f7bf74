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
        var scores = [Float](repeating: 0, count: count)
        guard count > 0, let base = storage.baseAddress else { return scores }
        query.withUnsafeBufferPointer { q in
            scores.withUnsafeMutableBufferPointer { out in
                Kernels.scoreRows(base, rows: count, k: model.dimension, queries: q.baseAddress!, queryCount: 1,
                                  scores: out.baseAddress!)
            }
        }
        return scores
    }

    /// The rows of the `k` highest scores, highest first (ties: lower row first), in
    /// O(count · log k) with a bounded heap.
    static func top(_ scores: [Float], k: Int) -> [Int] {
        let k = min(k, scores.count)
        guard k > 0 else { return [] }
        // A min-heap of the best k seen so far: the root is the weakest kept.
        var heap: [Int] = []
        heap.reserveCapacity(k)
        func weaker(_ a: Int, _ b: Int) -> Bool { scores[a] < scores[b] || (scores[a] == scores[b] && a > b) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let left = 2 * i + 1, right = left + 1
                var smallest = i
                if left < heap.count, weaker(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, weaker(heap[right], heap[smallest]) { smallest = right }
                if smallest == i { return }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        for index in scores.indices {
            if heap.count < k {
                heap.append(index)
                var i = heap.count - 1
                while i > 0 {
                    let parent = (i - 1) / 2
                    guard weaker(heap[i], heap[parent]) else { break }
                    heap.swapAt(i, parent)
                    i = parent
                }
            } else if weaker(heap[0], index) {
                heap[0] = index
                siftDown(0)
            }
        }
        return heap.sorted { weaker($1, $0) }
    }
}
