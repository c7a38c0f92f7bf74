import TensorCore

/// The weights of one LayerNorm: `weight` (gamma) and `bias` (beta), each `[width]`.
struct LayerNormWeights: Sendable {
    let weight: Tensor
    let bias: Tensor
}

/// The weights of one pre-norm encoder layer: layer norms, and linear layers prepared for the
/// backend (``LinearLayer``, weights `[out, in]` with their biases).
struct EncoderLayerWeights: Sendable {
    let norm1: LayerNormWeights
    /// `[3·width, width]` + `[3·width]`: query, key and value projections stacked.
    let qkv: LinearLayer
    /// The attention output's LayerNorm (``EncoderBlockOptions/attentionOutputNorm``).
    var attentionNorm: LayerNormWeights? = nil
    /// `[width, width]` + `[width]`.
    let output: LinearLayer
    let norm2: LayerNormWeights
    /// `[mlpWidth, width]` + `[mlpWidth]` (a gated MLP: `[2·mlpWidth, width]`, gate rows first).
    let fc1: LinearLayer
    /// The MLP hidden activations' LayerNorm (``EncoderBlockOptions/mlpNorm``).
    var mlpNorm: LayerNormWeights? = nil
    /// `[width, mlpWidth]` + `[width]`.
    let fc2: LinearLayer

    /// The layer's linear layers.
    var linearLayers: [LinearLayer] { [qkv, output, fc1, fc2] }
}

/// Checks a weight source against the tensors an architecture needs, then reads them into the
/// internal layout.
struct WeightLoader {
    let source: any TensorSource
    let binding: ModelBinding
    /// The precision the linear layers are prepared for.
    var precision: ModelPrecision = .float32

    /// Verifies that the source holds exactly the bound keys with the bound shapes (ignorable
    /// keys aside), reporting every missing, unexpected and wrong-shaped key in one error.
    func validate() throws(CLIPModelError) {
        var expected = Set<String>()
        var missing: [String] = []
        var misshaped: [CLIPModelError.MisshapedKey] = []
        for weight in binding.all {
            for (key, shape) in weight.sources {
                expected.insert(key)
                guard let stored = source.shape(of: key) else {
                    missing.append(key)
                    continue
                }
                let accepted = stored == shape || (weight.sources.count == 1 && weight.alternativeShapes.contains(stored))
                if !accepted { misshaped.append(.init(key: key, expected: shape, actual: stored)) }
            }
        }
        let unexpected = source.tensorNames.filter { !expected.contains($0) && !binding.keys.isIgnorable($0) }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty || !misshaped.isEmpty {
            throw .checkpointMismatch(file: source.sourceDescription, missing: missing, unexpected: unexpected,
                                      misshaped: misshaped)
        }
        for weight in binding.all {
            for (key, _) in weight.sources {
                if let type = source.dataType(of: key), !Self.floatingPointTypes.contains(type) {
                    throw .unsupportedDataType(file: source.sourceDescription, key: key, dataType: type)
                }
            }
        }
    }

    /// The stored element types weights may have.
    static let floatingPointTypes: Set<String> = ["F32", "F16", "BF16", "F64"]

    /// Reads one stored tensor as Float32.
    private func read(_ key: String) throws(CLIPModelError) -> Tensor {
        do {
            return try source.tensor(named: key)
        } catch let error as CLIPModelError {
            throw error
        } catch {
            throw .weightFile(path: source.sourceDescription, reason: "tensor \"\(key)\": \(error)")
        }
    }

    /// The internal tensor of `weight`.
    func load(_ weight: WeightBinding) throws(CLIPModelError) -> Tensor {
        do {
            switch weight.assembly {
            case .reshape:
                return try read(weight.sources[0].key).reshaped(weight.shape)
            case .concatenateRows:
                let parts = try weight.sources.map { source throws(CLIPModelError) in try read(source.key) }
                let stacked = try Tensor.concatenate(parts, axis: 0).reshaped(weight.shape)
                // The parts were copied: give back their mapped pages.
                for part in parts { part.releaseResidentPages() }
                return stacked
            case let .concatenateRowsWithZeros(before, rows):
                var parts = try weight.sources.map { source throws(CLIPModelError) in try read(source.key) }
                let columns = Array(weight.shape.dropFirst())
                parts.insert(try Tensor(shape: [rows] + columns), at: min(before, parts.count))
                return try Tensor.concatenate(parts, axis: 0).reshaped(weight.shape)
            case .transpose:
                let stored = try read(weight.sources[0].key)
                let rows = stored.shape[0], columns = stored.shape[1]
                let transposed = try Tensor(shape: [columns, rows]) { out in
                    stored.withUnsafeBufferPointer { src in
                        for r in 0..<rows {
                            for c in 0..<columns { out[c * rows + r] = src[r * columns + c] }
                        }
                    }
                }
                stored.releaseResidentPages()
                return transposed
            }
        } catch let error as CLIPModelError {
            throw error
        } catch {
            throw .weightFile(path: source.sourceDescription,
                              reason: "tensor \"\(weight.sources.map(\.key).joined(separator: ", "))\": \(error)")
        }
    }

    func load(_ norm: LayerNormBinding) throws(CLIPModelError) -> LayerNormWeights {
        LayerNormWeights(weight: try load(norm.weight), bias: try load(norm.bias))
    }

    /// A linear layer of `weight` (`[out, in]`) and `bias`, prepared for `precision` (the
    /// loader's when nil). The weight is reordered now, and its source let go.
    func linear(_ weight: WeightBinding, bias: WeightBinding?,
                precision: ModelPrecision? = nil) throws(CLIPModelError) -> LinearLayer {
        let matrix = try load(weight)
        let vector = try bias.map { (b) throws(CLIPModelError) in try load(b) }
        return try LinearLayer(weight: matrix, bias: vector, precision: precision ?? self.precision,
                               name: weight.sources.map(\.key).joined(separator: ", "))
    }

    func load(_ layer: EncoderLayerBinding) throws(CLIPModelError) -> EncoderLayerWeights {
        EncoderLayerWeights(
            norm1: try load(layer.norm1),
            qkv: try linear(layer.qkvWeight, bias: layer.qkvBias),
            attentionNorm: try layer.attentionNorm.map { (n) throws(CLIPModelError) in try load(n) },
            output: try linear(layer.outputWeight, bias: layer.outputBias),
            norm2: try load(layer.norm2),
            fc1: try linear(layer.fc1Weight, bias: layer.fc1Bias),
            mlpNorm: try layer.mlpNorm.map { (n) throws(CLIPModelError) in try load(n) },
            fc2: try linear(layer.fc2Weight, bias: layer.fc2Bias))
    }
}
