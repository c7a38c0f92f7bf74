import Foundation
import TensorCore

/// The weights of one LayerNorm: `weight` (gamma) and `bias` (beta), each `[width]`.
struct LayerNormWeights: Sendable {
    let weight: Tensor
    let bias: Tensor
}

/// A `[outputs, inputs]` weight used as `x · Wᵀ`. On first use it is packed once into
/// OpenBLAS's kernel layout (``PackedMatrix``) and the original is let go: a copy (stacked QKV,
/// weights converted from F16/BF16) is freed, a weight borrowed from the checkpoint's memory map
/// gives back its resident pages — so the process holds one copy of each weight. Where packed
/// products are unavailable the tensor stays and is used through `cblas_sgemm`.
final class LinearWeight: @unchecked Sendable {
    /// The weight before packing, or for good when packing is unavailable.
    enum Form {
        case packed(PackedMatrix)
        case tensor(Tensor)
    }

    private let lock = NSLock()
    /// `.tensor` until the first use, then `.packed`, or `.tensor` for good when packing is
    /// unavailable.
    private var state: Form
    private var packingTried = false

    /// - Parameter packing: false keeps the tensor (and the `cblas_sgemm` path) for good.
    init(_ tensor: Tensor, packing: Bool = true) {
        state = .tensor(tensor)
        packingTried = !packing
    }

    /// Whether the first call of ``form`` has happened (the weight is packed or stays a tensor).
    var isSettled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return packingTried
    }

    /// The form to multiply with, packing on the first call.
    var form: Form {
        lock.lock()
        defer { lock.unlock() }
        guard !packingTried, case .tensor(let tensor) = state else { return state }
        packingTried = true
        let shape = tensor.shape
        guard shape.count == 2, PackedMatrix.isAvailable,
              let packed = tensor.withUnsafeBufferPointer({ w in
                  w.baseAddress.flatMap { PackedMatrix(packing: $0, rows: shape[0], columns: shape[1]) }
              })
        else { return state }
        tensor.releaseResidentPages()
        state = .packed(packed)
        return state
    }
}

/// The weights of one pre-norm encoder layer, in the internal layout (`[out, in]` matrices).
struct EncoderLayerWeights: Sendable {
    let norm1: LayerNormWeights
    /// `[3·width, width]`: query, key and value projections stacked.
    let qkvWeight: LinearWeight
    /// `[3·width]`.
    let qkvBias: Tensor
    /// `[width, width]`.
    let outputWeight: LinearWeight
    /// `[width]`.
    let outputBias: Tensor
    let norm2: LayerNormWeights
    /// `[mlpWidth, width]`.
    let fc1Weight: LinearWeight
    /// `[mlpWidth]`.
    let fc1Bias: Tensor
    /// `[width, mlpWidth]`.
    let fc2Weight: LinearWeight
    /// `[width]`.
    let fc2Bias: Tensor
}

/// Checks a weight source against the tensors an architecture needs, then reads them into the
/// internal layout.
struct WeightLoader {
    let source: any TensorSource
    let binding: ModelBinding
    /// Whether layer weights are packed for OpenBLAS's kernels on first use (see ``LinearWeight``).
    var packsWeights = true

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
                return try Tensor.concatenate(parts, axis: 0).reshaped(weight.shape)
            case .transpose:
                let stored = try read(weight.sources[0].key)
                let rows = stored.shape[0], columns = stored.shape[1]
                return try Tensor(shape: [columns, rows]) { out in
                    stored.withUnsafeBufferPointer { src in
                        for r in 0..<rows {
                            for c in 0..<columns { out[c * rows + r] = src[r * columns + c] }
                        }
                    }
                }
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

    func load(_ layer: EncoderLayerBinding) throws(CLIPModelError) -> EncoderLayerWeights {
        EncoderLayerWeights(
            norm1: try load(layer.norm1),
            qkvWeight: LinearWeight(try load(layer.qkvWeight), packing: packsWeights), qkvBias: try load(layer.qkvBias),
            outputWeight: LinearWeight(try load(layer.outputWeight), packing: packsWeights), outputBias: try load(layer.outputBias),
            norm2: try load(layer.norm2),
            fc1Weight: LinearWeight(try load(layer.fc1Weight), packing: packsWeights), fc1Bias: try load(layer.fc1Bias),
            fc2Weight: LinearWeight(try load(layer.fc2Weight), packing: packsWeights), fc2Bias: try load(layer.fc2Bias))
    }
}
