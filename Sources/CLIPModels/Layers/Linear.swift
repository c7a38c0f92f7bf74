import TensorCore

/// A linear layer's description: its names and shapes under a prefix, and its loading into the
/// backend's ``LinearLayer`` (weight `[outputs, inputs]`, optional bias `[outputs]`, reordered
/// once for the model's precision). The forward is the backend's (`project` in `EncoderOps`).
extension LinearLayer {
    /// The tensors of one linear layer, each one stored tensor or several assembled (stacked
    /// query/key/value rows, a gated MLP's two halves, a transposed projection matrix).
    struct Binding: Sendable {
        /// `[outputs, inputs]`.
        var weight: WeightBinding
        /// `[outputs]`, when the layer has a bias.
        var bias: WeightBinding?

        init(weight: WeightBinding, bias: WeightBinding?) {
            self.weight = weight
            self.bias = bias
        }

        /// The layer `name`: `name.weight` `[outputs, inputs]` and, with `bias`, `name.bias` `[outputs]`.
        init(_ name: String, outputs: Int, inputs: Int, bias: Bool = true) {
            weight = .direct(name + ".weight", [outputs, inputs])
            self.bias = bias ? .direct(name + ".bias", [outputs]) : nil
        }

        /// Layers whose rows are stacked in the given order (`layers[i].weight`
        /// `[rows[i], inputs]` and `.bias` `[rows[i]]`): a gated MLP's gate and value layers.
        init(stacking layers: [String], rows: [Int], inputs: Int) {
            let total = rows.reduce(0, +)
            weight = WeightBinding(sources: zip(layers, rows).map { ($0 + ".weight", [$1, inputs]) },
                                   assembly: .concatenateRows, shape: [total, inputs])
            bias = WeightBinding(sources: zip(layers, rows).map { ($0 + ".bias", [$1]) },
                                 assembly: .concatenateRows, shape: [total])
        }

        /// The packed `[3·width, width]` query/key/value layer with its `[3·width]` bias, from
        /// one stored tensor each or from stacked layers with `rows` rows each (which add up to
        /// `3·width`). Without a key bias (EVA) the bias's middle block is zeros.
        static func queryKeyValue(_ names: CheckpointKeys.QKVNames, prefix: String, rows: [Int], width: Int,
                                  keyBias: Bool = true) -> Binding {
            let total = rows.reduce(0, +)
            switch names {
            case let .packed(weight, bias):
                return Binding(weight: .direct(prefix + weight, [total, width]), bias: .direct(prefix + bias, [total]))
            case let .packedSplitBias(weight, queryBias, valueBias):
                return Binding(
                    weight: .direct(prefix + weight, [total, width]),
                    bias: WeightBinding(sources: [(prefix + queryBias, [rows[0]]), (prefix + valueBias, [rows[2]])],
                                        assembly: .concatenateRowsWithZeros(before: 1, rows: rows[1]), shape: [total]))
            case let .stacked(layers) where !keyBias && layers.count == 3:
                return Binding(
                    weight: WeightBinding(sources: zip(layers, rows).map { (prefix + $0 + ".weight", [$1, width]) },
                                          assembly: .concatenateRows, shape: [total, width]),
                    bias: WeightBinding(sources: [(prefix + layers[0] + ".bias", [rows[0]]),
                                                  (prefix + layers[2] + ".bias", [rows[2]])],
                                        assembly: .concatenateRowsWithZeros(before: 1, rows: rows[1]), shape: [total]))
            case let .stacked(layers):
                // timm's pooling head stacks a [w] query layer and a [2w] key/value layer.
                let counts = layers.count == rows.count ? rows : [width, total - width]
                return Binding(stacking: layers.map { prefix + $0 }, rows: counts, inputs: width)
            }
        }

        /// A projection onto the embedding space, `[embedding, width]` internally: OpenCLIP's
        /// `[width, embedding]` matrix transposed, or a linear layer (with a bias when the names say so).
        static func projection(_ names: CheckpointKeys.ProjectionNames, width: Int, embedding: Int) -> Binding {
            switch names {
            case let .transposedMatrix(key):
                return Binding(weight: WeightBinding(sources: [(key, [width, embedding])], assembly: .transpose,
                                                     shape: [embedding, width]),
                               bias: nil)
            case let .linear(key, bias):
                return Binding(key, outputs: embedding, inputs: width, bias: bias)
            }
        }

        /// The checkpoint keys read, for errors.
        var name: String { weight.sources.map(\.key).joined(separator: ", ") }

        var all: [WeightBinding] { [weight] + [bias].compactMap { $0 } }
    }

    /// The layer `binding` describes, prepared for `precision` (the loader's when nil). The
    /// weight is reordered now, and its source let go.
    convenience init(_ binding: Binding, loader: WeightLoader, precision: ModelPrecision? = nil) throws(CLIPModelError) {
        // The matrix is reordered into the layer's own memory before the next weight is read,
        // so it can live in the loader's reused buffer.
        let vector = try binding.bias.map { (b) throws(CLIPModelError) in try loader.load(b) }
        let matrix = try loader.loadTransient(binding.weight)
        try self.init(weight: matrix, bias: vector, precision: precision ?? loader.precision, name: binding.name)
    }
}

/// A tower's projection onto the embedding space: a Float32 ``LinearLayer`` whatever the
/// model's precision (its output is the embedding), with its matrix kept for the fingerprint.
struct Projection: Sendable {
    /// `[embedding, width]` (+ bias).
    let layer: LinearLayer
    /// The projection's values (`[embedding, width]`), for ``CLIPModel/fingerprint``.
    let matrix: Tensor

    init(_ binding: LinearLayer.Binding, loader: WeightLoader) throws(CLIPModelError) {
        matrix = try loader.load(binding.weight)
        let bias = try binding.bias.map { (b) throws(CLIPModelError) in try loader.load(b) }
        layer = try LinearLayer(weight: matrix, bias: bias, precision: .float32, name: binding.name)
    }
}
