extension Tensor {
    /// The matrix product `self · other`, through `cblas_sgemm`.
    ///
    /// - `[M, K] · [K, N] → [M, N]`
    /// - batched: `[B, M, K] · [B, K, N] → [B, M, N]`
    /// - Throws: `TensorError.rankMismatch` unless both are rank 2 or both rank 3;
    ///   `shapeMismatch` when inner dimensions or batch sizes differ.
    public func matmul(_ other: Tensor) throws(TensorError) -> Tensor {
        try product(other, transposeRight: false, operation: "matmul")
    }

    /// The matrix product with the right operand transposed, `self · otherᵀ` — how `Linear`
    /// weights (`[out, in]`) are stored.
    ///
    /// - `[M, K] · [N, K]ᵀ → [M, N]`
    /// - batched: `[B, M, K] · [B, N, K]ᵀ → [B, M, N]` (attention scores `Q·Kᵀ`)
    /// - Throws: `TensorError.rankMismatch` or `shapeMismatch` as for ``matmul(_:)``.
    public func matmul(transposed other: Tensor) throws(TensorError) -> Tensor {
        try product(other, transposeRight: true, operation: "matmul(transposed:)")
    }

    private func product(
        _ other: Tensor, transposeRight: Bool, operation: String
    ) throws(TensorError) -> Tensor {
        guard (rank == 2 && other.rank == 2) || (rank == 3 && other.rank == 3) else {
            throw .rankMismatch(
                operation: operation, expected: "two rank-2 or two rank-3 operands (other: \(other.shape))",
                shape: shape)
        }
        let batch = rank == 3 ? shape[0] : 1
        if rank == 3, other.shape[0] != batch {
            throw .shapeMismatch(operation: operation, lhs: shape, rhs: other.shape)
        }
        let m = shape[rank - 2], k = shape[rank - 1]
        let otherRows = other.shape[other.rank - 2], otherCols = other.shape[other.rank - 1]
        let (innerRight, n) = transposeRight ? (otherCols, otherRows) : (otherRows, otherCols)
        guard innerRight == k else {
            throw .shapeMismatch(operation: operation, lhs: shape, rhs: other.shape)
        }
        let outShape = rank == 3 ? [batch, m, n] : [m, n]
        let result = Tensor(zeroedShape: outShape, count: batch * m * n)
        for b in 0..<batch {
            Kernels.gemm(
                transposeB: transposeRight, m: m, n: n, k: k,
                a: storage.base + b * m * k, lda: k,
                b: other.storage.base + b * k * n, ldb: transposeRight ? k : n,
                c: result.storage.base + b * m * n, ldc: n)
        }
        return result
    }

    /// A linear layer, `self · weightᵀ + bias`.
    ///
    /// `self` is `[..., in]` (any leading axes), `weight` is `[out, in]`, `bias` is `[out]`;
    /// the result is `[..., out]`.
    /// - Throws: `TensorError.shapeMismatch` when `in` or `out` disagree; `rankMismatch` for a
    ///   weight that is not rank 2 or an input of rank 0.
    public func linear(weight: Tensor, bias: Tensor? = nil) throws(TensorError) -> Tensor {
        guard rank >= 1 else {
            throw .rankMismatch(operation: "linear", expected: "rank ≥ 1 input", shape: shape)
        }
        guard weight.rank == 2 else {
            throw .rankMismatch(operation: "linear", expected: "rank-2 weight [out, in]", shape: weight.shape)
        }
        let inputs = shape[rank - 1], outputs = weight.shape[0]
        guard weight.shape[1] == inputs else {
            throw .shapeMismatch(operation: "linear", lhs: shape, rhs: weight.shape)
        }
        if let bias, bias.shape != [outputs] {
            throw .shapeMismatch(operation: "linear (bias)", lhs: weight.shape, rhs: bias.shape)
        }
        let rows = shape.dropLast().reduce(1, *)
        var outShape = shape
        outShape[rank - 1] = outputs
        let result = Tensor(zeroedShape: outShape, count: rows * outputs)
        if let bias {
            for row in 0..<rows {
                (result.storage.base + row * outputs).update(from: bias.storage.base, count: outputs)
            }
        }
        Kernels.gemm(
            transposeB: true, m: rows, n: outputs, k: inputs,
            a: storage.base, lda: inputs, b: weight.storage.base, ldb: inputs,
            beta: bias == nil ? 0 : 1,
            c: result.storage.base, ldc: outputs)
        return result
    }

    /// An owned zero-filled tensor; `count` must be the element count of the (valid) `shape`.
    @usableFromInline
    init(zeroedShape shape: [Int], count: Int) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: count))
        if count > 0 { storage.base.initialize(repeating: 0, count: count) }
    }
}
