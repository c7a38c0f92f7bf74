import TensorCore

/// The one search core: scores L2-normalized embeddings against a query and picks the best.
///
/// `EmbeddingIndex`, `PhotoLibrary`'s `EmbeddingMatrix` and `ZeroShotClassifier` rank
/// through it, so that they share one order: **the higher score first; equal scores by the
/// lower index; NaN after every number** (NaNs among themselves by the lower index). NaN
/// scores come from NaN or infinite values in a stored embedding or a query (a damaged index
/// file, a merged shard, a caller's vector); ranking them last keeps the order total, so a
/// selection of `k` always holds `min(k, count)` indices.
package enum SimilarityRanking {
    /// The dot product of each of the first `rows` rows of `matrix` (`[rows, query.count]`,
    /// row-major) with `query`: their cosine similarities when both are L2-normalized.
    /// One matrix-vector product (`Kernels.scoreRows`, split by rows over the compute threads).
    /// - Returns: `[rows]` scores (zeros when `query` is empty).
    /// - Throws: `TensorError.shapeMismatch` when `matrix` holds fewer than
    ///   `rows * query.count` values or `rows` is negative.
    package static func scores(
        rows: Int, of matrix: UnsafeBufferPointer<Float>, query: UnsafeBufferPointer<Float>
    ) throws(TensorError) -> [Float] {
        let width = query.count
        let (needed, overflow) = rows.multipliedReportingOverflow(by: width)
        guard rows >= 0, !overflow, needed <= matrix.count else {
            throw .shapeMismatch(operation: "SimilarityRanking.scores", lhs: [rows, width], rhs: [matrix.count])
        }
        var scores = [Float](repeating: 0, count: rows)
        guard rows > 0, width > 0, let base = matrix.baseAddress, let q = query.baseAddress else { return scores }
        scores.withUnsafeMutableBufferPointer { out in
            // `out` has `rows` elements, so its base address exists.
            guard let out = out.baseAddress else { return }
            Kernels.scoreRows(base, rows: rows, k: width, queries: q, queryCount: 1, scores: out)
        }
        return scores
    }

    /// The indices of the `k` best `scores`, best first, in the order of `ranks(_:before:in:)`;
    /// `min(k, scores.count)` of them (none for `k <= 0`). O(count · log k) with a bounded heap.
    package static func top(_ scores: [Float], k: Int) -> [Int] {
        scores.withUnsafeBufferPointer { top($0, k: k) }
    }

    /// `top(_:k:)` over a buffer (such as a slice of a larger array).
    package static func top(_ scores: UnsafeBufferPointer<Float>, k: Int) -> [Int] {
        let k = min(k, scores.count)
        guard k > 0 else { return [] }
        // A heap of the best k seen so far whose root is the weakest kept: a node never ranks
        // before its parent.
        var heap: [Int] = []
        heap.reserveCapacity(k)
        func weaker(_ a: Int, _ b: Int) -> Bool { ranks(b, before: a, in: scores) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let left = 2 * i + 1, right = left + 1
                var weakest = i
                if left < heap.count, weaker(heap[left], heap[weakest]) { weakest = left }
                if right < heap.count, weaker(heap[right], heap[weakest]) { weakest = right }
                if weakest == i { return }
                heap.swapAt(i, weakest)
                i = weakest
            }
        }
        for index in 0..<scores.count {
            if heap.count < k {
                heap.append(index)
                var i = heap.count - 1
                while i > 0 {
                    let parent = (i - 1) / 2
                    guard weaker(heap[i], heap[parent]) else { break }
                    heap.swapAt(i, parent)
                    i = parent
                }
            } else if ranks(index, before: heap[0], in: scores) {
                heap[0] = index
                siftDown(0)
            }
        }
        return heap.sorted { ranks($0, before: $1, in: scores) }
    }

    /// Whether index `a` ranks before index `b`: the higher score first, equal scores by the
    /// lower index, NaN after every number (two NaNs by the lower index). A strict total order
    /// on distinct indices.
    @inline(__always)
    package static func ranks(_ a: Int, before b: Int, in scores: UnsafeBufferPointer<Float>) -> Bool {
        let x = scores[a], y = scores[b]
        if x > y { return true }
        if x < y { return false }
        if x == y { return a < b }
        // At least one NaN: a number ranks before a NaN.
        if x.isNaN != y.isNaN { return y.isNaN }
        return a < b
    }
}
