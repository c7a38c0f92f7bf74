import CLIPSupport
import TensorCore

/// A LayerNorm layer: `y = (x − mean) / sqrt(var + ε) · weight + bias` over the last axis, its
/// names and shapes (``Binding``), its loading and its forward.
struct LayerNorm: Sendable {
    /// `[width]` (gamma).
    let weight: Tensor
    /// `[width]` (beta).
    let bias: Tensor

    /// The tensors of a LayerNorm named `name` (`name.weight`, `name.bias`, each `[width]`).
    struct Binding: Sendable {
        var weight: WeightBinding
        var bias: WeightBinding

        init(_ name: String, width: Int) {
            weight = .direct(name + ".weight", [width])
            bias = .direct(name + ".bias", [width])
        }

        var all: [WeightBinding] { [weight, bias] }
    }

    init(_ binding: Binding, loader: WeightLoader) throws(CLIPModelError) {
        weight = try loader.load(binding.weight)
        bias = try loader.load(binding.bias)
    }

    init(weight: Tensor, bias: Tensor) {
        self.weight = weight
        self.bias = bias
    }
}

/// LayerNorm of `rows` rows of `width` elements from `input` into `output` (may be the same),
/// split into row chunks on the compute threads.
func layerNorm(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
               weights: LayerNorm, epsilon: Float) {
    weights.weight.withUnsafeBufferPointer { gamma in
        weights.bias.withUnsafeBufferPointer { beta in
            guard let gammaBase = gamma.baseAddress, let betaBase = beta.baseAddress else { return }
            let input = SendablePointer(input), output = SendableMutablePointer(output)
            let gamma = SendablePointer(gammaBase), beta = SendablePointer(betaBase)
            forEachRowChunk(rows: rows, width: width) { range in
                let offset = range.lowerBound * width
                Kernels.layerNorm(input.base + offset, into: output.base + offset, rows: range.count, width: width,
                                  gamma: gamma.base, beta: beta.base, epsilon: epsilon)
            }
        }
    }
}
