extension Tensor {
    /// Layer normalization over the last axis: `(x − mean) / sqrt(var + epsilon) · weight + bias`
    /// for every row of `self` (`[..., width]`), with `weight` and `bias` of shape `[width]`.
    /// - Throws: `TensorError.shapeMismatch` when `weight` or `bias` is not `[width]`.
    public func layerNormalized(
        weight: Tensor, bias: Tensor, epsilon: Float = 1e-5
    ) throws(TensorError) -> Tensor {
        guard rank >= 1 else {
            throw .rankMismatch(operation: "layerNormalized", expected: "rank ≥ 1", shape: shape)
        }
        let width = shape[rank - 1]
        guard weight.shape == [width] else {
            throw .shapeMismatch(operation: "layerNormalized (weight)", lhs: shape, rhs: weight.shape)
        }
        guard bias.shape == [width] else {
            throw .shapeMismatch(operation: "layerNormalized (bias)", lhs: shape, rhs: bias.shape)
        }
        let result = Tensor(zeroedShape: shape, count: count)
        guard width > 0 else { return result }
        Kernels.layerNorm(
            storage.base, into: result.storage.base, rows: count / width, width: width,
            gamma: weight.storage.base, beta: bias.storage.base, epsilon: epsilon)
        return result
    }

    /// Softmax over the last axis. When `mask` is given (shape `[rows, width]` matching the last
    /// two axes of `self`, or `[width]`), it is added before the exponential and broadcast over
    /// the leading axes; use `-Float.infinity` to exclude positions (the causal mask).
    /// A row that is entirely `-inf` yields zeros.
    /// - Throws: `TensorError.shapeMismatch` for a mask that does not fit.
    public func softmax(mask: Tensor? = nil) throws(TensorError) -> Tensor {
        guard rank >= 1 else {
            throw .rankMismatch(operation: "softmax", expected: "rank ≥ 1", shape: shape)
        }
        let width = shape[rank - 1]
        var result = self
        result.makeUnique()
        guard width > 0, count > 0 else { return result }
        let rows = count / width
        guard let mask else {
            Kernels.softmax(result.storage.base, rows: rows, width: width)
            return result
        }
        if mask.shape == [width] {
            for row in 0..<rows {
                Kernels.softmax(result.storage.base + row * width, rows: 1, width: width, mask: mask.storage.base)
            }
        } else if rank >= 2, mask.shape == [shape[rank - 2], width] {
            let block = shape[rank - 2] * width
            for start in stride(from: 0, to: count, by: block) {
                Kernels.softmax(
                    result.storage.base + start, rows: shape[rank - 2], width: width,
                    mask: mask.storage.base)
            }
        } else {
            throw .shapeMismatch(operation: "softmax (mask)", lhs: shape, rhs: mask.shape)
        }
        return result
    }

    /// Every row over the last axis divided by its Euclidean norm (zero rows stay zero).
    /// - Throws: `TensorError.rankMismatch` for a scalar.
    public func l2Normalized() throws(TensorError) -> Tensor {
        guard rank >= 1 else {
            throw .rankMismatch(operation: "l2Normalized", expected: "rank ≥ 1", shape: shape)
        }
        var result = self
        result.makeUnique()
        let width = shape[rank - 1]
        if width > 0 { Kernels.l2Normalize(result.storage.base, rows: count / width, width: width) }
        return result
    }

    /// The causal attention mask `[tokens, tokens]`: 0 on and below the diagonal, `-inf` above.
    package static func causalMask(tokens: Int) throws(TensorError) -> Tensor {
        var mask = try Tensor(shape: [tokens, tokens])
        mask.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<tokens {
                for column in (row + 1)..<max(row + 1, tokens) { buffer[row * tokens + column] = -.infinity }
            }
        }
        return mask
    }
}
