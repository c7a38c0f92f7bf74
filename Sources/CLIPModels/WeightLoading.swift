import TensorCore

/// Checks a weight source against the tensors an architecture needs, then reads them into the
/// internal layout.
struct WeightLoader {
    let source: any TensorSource
    let binding: ModelBinding
    /// The precision the linear layers are prepared for.
    var precision: ModelPrecision = .float32
    /// The memory ``loadTransient(_:)`` converts and assembles into, reused from weight to weight.
    let transient = GrowingBuffer<Float>()

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

    /// The internal tensor of `weight` for a reader that is done with it before the next call
    /// (a linear layer reorders it into its own layout): stored Float32 is a view of the
    /// checkpoint as with ``load(_:)``, but converted elements (F16, BF16) and stacked rows are
    /// written into one buffer the loader reuses, so opening a model does not fault in fresh
    /// memory for every converted weight (on ViT-bigG/14, 10 GB of it in float16). The tensor
    /// is valid until the next `loadTransient` call.
    func loadTransient(_ weight: WeightBinding) throws(CLIPModelError) -> Tensor {
        let stacked: Bool
        switch weight.assembly {
        case .reshape: stacked = false
        case .concatenateRows: stacked = true
        default: return try load(weight)
        }
        if !stacked, source.dataType(of: weight.sources[0].key) == "F32" { return try load(weight) }
        let count = weight.shape.reduce(1, *)
        let counts = weight.sources.map { $0.shape.reduce(1, *) }
        let storedCounts = weight.sources.map { source.shape(of: $0.key)?.reduce(1, *) }
        guard counts.reduce(0, +) == count, storedCounts == counts.map(Optional.some) else { return try load(weight) }
        let base = transient.storage(count: count)
        var offset = 0
        for ((key, _), partCount) in zip(weight.sources, counts) {
            do {
                try source.copyTensor(named: key, into: UnsafeMutableBufferPointer(start: base + offset, count: partCount))
            } catch let error as CLIPModelError {
                throw error
            } catch {
                throw .weightFile(path: source.sourceDescription, reason: "tensor \"\(key)\": \(error)")
            }
            offset += partCount
        }
        do {
            return try Tensor(shape: weight.shape, borrowing: base, count: count, owner: transient)
        } catch {
            throw .weightFile(path: source.sourceDescription, reason: "tensor \"\(weight.sources[0].key)\": \(error)")
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
}

/// How one internal tensor is made from one or more checkpoint tensors.
struct WeightBinding: Sendable {
    enum Assembly: Sendable {
        /// The stored tensor, reshaped to the internal shape (same element count).
        case reshape
        /// The stored tensors stacked along their first axis.
        case concatenateRows
        /// The stored `[a, b]` matrix transposed to `[b, a]`.
        case transpose
        /// The stored tensors stacked along their first axis with `rows` rows of zeros before
        /// source `before` (EVA's attention bias: query, a zero key bias, value).
        case concatenateRowsWithZeros(before: Int, rows: Int)
    }

    /// The checkpoint keys read, with the shapes the architecture implies.
    var sources: [(key: String, shape: [Int])]
    /// How the sources are combined.
    var assembly: Assembly
    /// The shape of the internal tensor.
    var shape: [Int]
    /// Other stored shapes that are accepted for a single source (a logit scale saved as `[1]`).
    var alternativeShapes: [[Int]] = []

    static func direct(_ key: String, _ shape: [Int], as internalShape: [Int]? = nil) -> WeightBinding {
        WeightBinding(sources: [(key, shape)], assembly: .reshape, shape: internalShape ?? shape)
    }
}

/// Every tensor of a CLIP model, bound to the keys of one checkpoint layout.
struct ModelBinding: Sendable {
    var keys: CheckpointKeys
    var vision: VisionTransformer.Binding
    var text: TextTransformer.Binding
    var logitScale: WeightBinding
    /// SigLIP's logit bias.
    var logitBias: WeightBinding?

    init(keys: CheckpointKeys, architecture: CLIPArchitecture) {
        self.keys = keys
        vision = VisionTransformer.Binding(keys: keys, architecture: architecture.vision,
                                    embeddingDimension: architecture.embeddingDimension)
        text = TextTransformer.Binding(keys: keys, architecture: architecture.text,
                                embeddingDimension: architecture.embeddingDimension)
        var scale = WeightBinding.direct(keys.logitScale, [])
        scale.alternativeShapes = [[1]]
        logitScale = scale
        if architecture.family == .siglip {
            var bias = WeightBinding.direct(keys.logitBias, [])
            bias.alternativeShapes = [[1]]
            logitBias = bias
        }
    }

    var all: [WeightBinding] { vision.all + text.all + [logitScale] + [logitBias].compactMap { $0 } }
}

/// A buffer of at least the count last asked for, reused while it is large enough (its contents
/// are not kept when it grows): the loader's ``WeightLoader/transient`` and an int8 pass's raw
/// products.
final class GrowingBuffer<Element>: @unchecked Sendable {
    private var base: UnsafeMutablePointer<Element>?
    private var capacity = 0

    /// At least `count` elements.
    func storage(count: Int) -> UnsafeMutablePointer<Element> {
        if let base, capacity >= count { return base }
        base?.deallocate()
        let made = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        base = made
        capacity = max(count, 1)
        return made
    }

    deinit { base?.deallocate() }
}
