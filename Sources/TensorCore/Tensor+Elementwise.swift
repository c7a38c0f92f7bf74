extension Tensor {
    /// Elementwise sum of two tensors of the same shape.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func adding(_ other: Tensor) throws(TensorError) -> Tensor {
        var result = self
        try result.add(other)
        return result
    }

    /// Adds `other` (same shape) elementwise, in place.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public mutating func add(_ other: Tensor) throws(TensorError) {
        guard shape == other.shape else {
            throw .shapeMismatch(operation: "add", lhs: shape, rhs: other.shape)
        }
        makeUnique()
        Kernels.add(other.storage.base, to: storage.base, count: count)
    }

    /// Elementwise product of two tensors of the same shape.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public func multiplying(_ other: Tensor) throws(TensorError) -> Tensor {
        var result = self
        try result.multiply(other)
        return result
    }

    /// Multiplies by `other` (same shape) elementwise, in place.
    /// - Throws: `TensorError.shapeMismatch` when the shapes differ.
    public mutating func multiply(_ other: Tensor) throws(TensorError) {
        guard shape == other.shape else {
            throw .shapeMismatch(operation: "multiply", lhs: shape, rhs: other.shape)
        }
        makeUnique()
        Kernels.multiply(storage.base, by: other.storage.base, count: count)
    }

    /// Every element multiplied by `factor`.
    public func scaled(by factor: Float) -> Tensor {
        var result = self
        result.scale(by: factor)
        return result
    }

    /// Multiplies every element by `factor`, in place.
    public mutating func scale(by factor: Float) {
        makeUnique()
        Kernels.scale(storage.base, count: count, by: factor)
    }

    /// Adds `bias` (`[width]`) to every row of `self` (`[..., width]`), in place.
    /// - Throws: `TensorError.shapeMismatch` unless `bias` is `[width]` for the last axis.
    public mutating func addBias(_ bias: Tensor) throws(TensorError) {
        guard rank >= 1, bias.shape == [shape[rank - 1]] else {
            throw .shapeMismatch(operation: "addBias", lhs: shape, rhs: bias.shape)
        }
        let width = shape[rank - 1]
        guard width > 0 else { return }
        makeUnique()
        Kernels.addBias(bias.storage.base, to: storage.base, rows: count / width, width: width)
    }

    /// `self` with `bias` (`[width]`) added to every row (`[..., width]`).
    /// - Throws: `TensorError.shapeMismatch` unless `bias` is `[width]` for the last axis.
    package func addingBias(_ bias: Tensor) throws(TensorError) -> Tensor {
        var result = self
        try result.addBias(bias)
        return result
    }

    /// GELU (exact erf form, as `torch.nn.functional.gelu`) of every element.
    public func gelu() -> Tensor {
        var result = self
        result.formGELU()
        return result
    }

    /// Applies GELU (erf form) in place.
    public mutating func formGELU() {
        makeUnique()
        Kernels.gelu(storage.base, count: count)
    }

    /// GELU in PyTorch's tanh approximation (`gelu(x, approximate="tanh")`) of every element.
    public func geluTanh() -> Tensor {
        var result = self
        result.formGELUTanh()
        return result
    }

    /// Applies GELU in its tanh approximation in place.
    public mutating func formGELUTanh() {
        makeUnique()
        Kernels.geluTanh(storage.base, count: count)
    }

    /// QuickGELU, `x · sigmoid(1.702 · x)`, of every element.
    public func quickGELU() -> Tensor {
        var result = self
        result.formQuickGELU()
        return result
    }

    /// Applies QuickGELU in place.
    public mutating func formQuickGELU() {
        makeUnique()
        Kernels.quickGELU(storage.base, count: count)
    }
}
