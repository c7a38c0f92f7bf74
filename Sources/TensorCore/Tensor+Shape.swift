extension Tensor {
    /// Joins tensors along `axis`. All must have the same rank and the same extents on every
    /// other axis; e.g. `[1, 768]` and `[49, 768]` along axis 0 give `[50, 768]`.
    /// - Throws: `TensorError.invalidArgument` for an empty list or a bad axis,
    ///   `shapeMismatch` naming the first pair of shapes that do not fit.
    public static func concatenate(_ tensors: [Tensor], axis: Int) throws(TensorError) -> Tensor {
        guard let first = tensors.first else {
            throw .invalidArgument(operation: "concatenate", message: "no tensors to concatenate")
        }
        guard axis >= 0, axis < first.rank else {
            throw .indexOutOfRange(operation: "concatenate", index: axis, axis: axis, shape: first.shape)
        }
        var total = 0
        for t in tensors {
            guard t.rank == first.rank,
                t.shape.indices.allSatisfy({ $0 == axis || t.shape[$0] == first.shape[$0] })
            else { throw .shapeMismatch(operation: "concatenate", lhs: first.shape, rhs: t.shape) }
            total += t.shape[axis]
        }
        var outShape = first.shape
        outShape[axis] = total
        let outCount = try validatedCount(outShape)
        // Every element is written below, so the buffer starts uninitialized.
        let result = Tensor(shape: outShape, storage: TensorStorage(uninitializedCount: outCount))
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var offset = 0
        for o in 0..<outer {
            for t in tensors {
                let chunk = t.shape[axis] * inner
                (result.storage.base + offset).update(from: t.storage.base + o * chunk, count: chunk)
                offset += chunk
            }
        }
        return result
    }

    /// A copy of the elements whose index along `axis` lies in `range`; e.g. the class token of
    /// `[batch, tokens, width]` is `slice(axis: 1, range: 0..<1)` → `[batch, 1, width]`.
    /// - Throws: `TensorError.indexOutOfRange` for a bad axis or range.
    public func slice(axis: Int, range: Range<Int>) throws(TensorError) -> Tensor {
        guard axis >= 0, axis < rank else {
            throw .indexOutOfRange(operation: "slice", index: axis, axis: axis, shape: shape)
        }
        guard range.lowerBound >= 0, range.upperBound <= shape[axis] else {
            throw .indexOutOfRange(
                operation: "slice", index: range.lowerBound < 0 ? range.lowerBound : range.upperBound,
                axis: axis, shape: shape)
        }
        var outShape = shape
        outShape[axis] = range.count
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let result = Tensor(zeroedShape: outShape, count: outer * range.count * inner)
        let chunk = range.count * inner
        for o in 0..<outer {
            (result.storage.base + o * chunk).update(
                from: storage.base + (o * shape[axis] + range.lowerBound) * inner, count: chunk)
        }
        return result
    }

    /// The tensor with its last two axes swapped: `[..., M, N] → [..., N, M]`.
    /// - Throws: `TensorError.rankMismatch` below rank 2.
    package func transposedLastTwoAxes() throws(TensorError) -> Tensor {
        guard rank >= 2 else {
            throw .rankMismatch(operation: "transposedLastTwoAxes", expected: "rank ≥ 2", shape: shape)
        }
        let m = shape[rank - 2], n = shape[rank - 1]
        var outShape = shape
        outShape.swapAt(rank - 2, rank - 1)
        let result = Tensor(zeroedShape: outShape, count: count)
        let block = m * n
        guard block > 0 else { return result }
        let tile = 32
        for start in stride(from: 0, to: count, by: block) {
            let src = storage.base + start, dst = result.storage.base + start
            for i0 in stride(from: 0, to: m, by: tile) {
                for j0 in stride(from: 0, to: n, by: tile) {
                    for i in i0..<min(i0 + tile, m) {
                        for j in j0..<min(j0 + tile, n) { dst[j * m + i] = src[i * n + j] }
                    }
                }
            }
        }
        return result
    }

    /// Non-overlapping square patches of an image batch, flattened for a patch-embedding GEMM
    /// (a convolution whose stride equals its kernel size, computed as im2col + matmul); the
    /// checked form of `Kernels.extractPatches`,
    /// which the vision tower runs.
    ///
    /// `[N, C, H, W] → [N, ⌊H/p⌋·⌊W/p⌋, C·p·p]`; patches are in row-major grid order and each is
    /// flattened in `(channel, y, x)` order, matching a convolution weight `[out, C, p, p]`
    /// reshaped to `[out, C·p·p]`. As for a convolution without padding, a remainder of rows or
    /// columns that makes no whole patch is not read (SigLIP so400m: 384 px in 14-px patches).
    /// - Throws: `TensorError.rankMismatch` unless rank 4; `invalidArgument` when `size` is not
    ///   positive or is larger than `H` or `W`.
    package func patches(size p: Int) throws(TensorError) -> Tensor {
        guard rank == 4 else {
            throw .rankMismatch(operation: "patches", expected: "[N, C, H, W]", shape: shape)
        }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        guard p > 0, p <= h, p <= w else {
            throw .invalidArgument(
                operation: "patches", message: "patch size \(p) must be positive and fit in \(h)×\(w)")
        }
        let result = Tensor(zeroedShape: [n, (h / p) * (w / p), c * p * p], count: n * (h / p) * (w / p) * c * p * p)
        Kernels.extractPatches(storage.base, count: n, channels: c, height: h, width: w, patch: p,
                               into: result.storage.base)
        return result
    }

    /// The rows of a matrix `[V, D]` at `indices`, as `[indices.count, D]` (an embedding lookup).
    /// - Throws: `TensorError.rankMismatch` unless rank 2; `indexOutOfRange` naming the first
    ///   index outside `0..<V`.
    package func gatherRows(_ indices: [Int]) throws(TensorError) -> Tensor {
        guard rank == 2 else {
            throw .rankMismatch(operation: "gatherRows", expected: "[rows, width]", shape: shape)
        }
        let width = shape[1]
        for index in indices where index < 0 || index >= shape[0] {
            throw .indexOutOfRange(operation: "gatherRows", index: index, axis: 0, shape: shape)
        }
        let result = Tensor(zeroedShape: [indices.count, width], count: indices.count * width)
        for (row, index) in indices.enumerated() {
            (result.storage.base + row * width).update(from: storage.base + index * width, count: width)
        }
        return result
    }
}
