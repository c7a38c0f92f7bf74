import TensorCore

/// Scratch memory for one forward pass, allocated once per batch and reused by every layer.
final class EncoderWorkspace {
    /// `[rows, width]`: LayerNorm outputs, then attention context.
    let normalized: UnsafeMutablePointer<Float>
    /// `[rows, 3·width]`: packed queries, keys and values.
    let qkv: UnsafeMutablePointer<Float>
    /// `[rows, width]`: concatenated attention heads.
    let context: UnsafeMutablePointer<Float>
    /// `[rows, max(mlpWidth, …)]`: MLP hidden activations (also used for patch embeddings).
    let wide: UnsafeMutablePointer<Float>
    /// `[tokens, tokens]`: attention scores of one head.
    let scores: UnsafeMutablePointer<Float>
    let wideCount: Int

    init(rows: Int, width: Int, wideColumns: Int, tokens: Int) {
        normalized = .allocate(capacity: max(rows * width, 1))
        qkv = .allocate(capacity: max(rows * 3 * width, 1))
        context = .allocate(capacity: max(rows * width, 1))
        wideCount = max(rows * wideColumns, 1)
        wide = .allocate(capacity: wideCount)
        scores = .allocate(capacity: max(tokens * tokens, 1))
    }

    deinit {
        normalized.deallocate()
        qkv.deallocate()
        context.deallocate()
        wide.deallocate()
        scores.deallocate()
    }
}

/// A stack of pre-norm transformer encoder layers (CLIP's `CLIPEncoder` / OpenCLIP's
/// `Transformer`): `x += Attention(LN1(x))`, `x += MLP(LN2(x))`, with multi-head self-attention
/// (optionally causal) and a two-layer MLP with GELU or QuickGELU.
struct TransformerEncoder: Sendable {
    let architecture: EncoderArchitecture
    let layers: [EncoderLayerWeights]

    /// Applies every layer in place to `hidden` (`[sequences, tokens, width]`, contiguous).
    /// - Parameter causal: whether position `i` may attend only to positions `≤ i`.
    func run(_ hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int, causal: Bool,
             workspace: EncoderWorkspace) {
        for layer in layers {
            apply(layer, to: hidden, sequences: sequences, tokens: tokens, causal: causal, workspace: workspace)
        }
    }

    private func apply(_ layer: EncoderLayerWeights, to hidden: UnsafeMutablePointer<Float>,
                       sequences: Int, tokens: Int, causal: Bool, workspace ws: EncoderWorkspace) {
        let width = architecture.width
        let heads = architecture.heads
        let headWidth = width / heads
        let mlpWidth = architecture.mlpWidth
        let rows = sequences * tokens
        let eps = architecture.layerNormEpsilon

        // Attention block.
        layerNorm(hidden, into: ws.normalized, rows: rows, width: width, weights: layer.norm1, epsilon: eps)
        linear(ws.normalized, rows: rows, inputs: width, weight: layer.qkvWeight, bias: layer.qkvBias,
               outputs: 3 * width, into: ws.qkv, accumulate: false)

        let scale = 1 / Float(headWidth).squareRoot()
        let stride = 3 * width
        for s in 0..<sequences {
            let base = ws.qkv + s * tokens * stride
            for h in 0..<heads {
                let q = base + h * headWidth
                let k = base + width + h * headWidth
                let v = base + 2 * width + h * headWidth
                // scores = scale · Q · Kᵀ, [tokens, tokens]
                Kernels.gemm(transposeB: true, m: tokens, n: tokens, k: headWidth, alpha: scale,
                             a: q, lda: stride, b: k, ldb: stride, beta: 0, c: ws.scores, ldc: tokens)
                if causal {
                    for i in 0..<tokens {
                        let row = ws.scores + i * tokens
                        Kernels.softmax(row, rows: 1, width: i + 1)
                        if i + 1 < tokens { (row + i + 1).update(repeating: 0, count: tokens - i - 1) }
                    }
                } else {
                    Kernels.softmax(ws.scores, rows: tokens, width: tokens)
                }
                // context[:, head] = scores · V
                Kernels.gemm(m: tokens, n: headWidth, k: tokens, a: ws.scores, lda: tokens, b: v, ldb: stride,
                             beta: 0, c: ws.context + s * tokens * width + h * headWidth, ldc: width)
            }
        }
        linear(ws.context, rows: rows, inputs: width, weight: layer.outputWeight, bias: layer.outputBias,
               outputs: width, into: hidden, accumulate: true)

        // MLP block.
        layerNorm(hidden, into: ws.normalized, rows: rows, width: width, weights: layer.norm2, epsilon: eps)
        linear(ws.normalized, rows: rows, inputs: width, weight: layer.fc1Weight, bias: layer.fc1Bias,
               outputs: mlpWidth, into: ws.wide, accumulate: false)
        switch architecture.activation {
        case .gelu: Kernels.gelu(ws.wide, count: rows * mlpWidth)
        case .quickGELU: Kernels.quickGELU(ws.wide, count: rows * mlpWidth)
        }
        linear(ws.wide, rows: rows, inputs: mlpWidth, weight: layer.fc2Weight, bias: layer.fc2Bias,
               outputs: width, into: hidden, accumulate: true)
    }
}

/// `out = x · weightᵀ + bias` (or `out += …` when `accumulate`), with `x` `[rows, inputs]`,
/// `weight` `[outputs, inputs]`, `bias` `[outputs]`.
func linear(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, weight: Tensor, bias: Tensor?,
            outputs: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    if let bias {
        bias.withUnsafeBufferPointer { b in
            guard let b = b.baseAddress else { return }
            if accumulate {
                Kernels.addBias(b, to: out, rows: rows, width: outputs)
            } else {
                for r in 0..<rows { (out + r * outputs).update(from: b, count: outputs) }
            }
        }
    }
    let beta: Float = (accumulate || bias != nil) ? 1 : 0
    weight.withUnsafeBufferPointer { w in
        guard let w = w.baseAddress else { return }
        Kernels.gemm(transposeB: true, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: w, ldb: inputs,
                     beta: beta, c: out, ldc: outputs)
    }
}

/// LayerNorm of `rows` rows of `width` elements from `input` into `output` (may be the same).
func layerNorm(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
               weights: LayerNormWeights, epsilon: Float) {
    weights.weight.withUnsafeBufferPointer { gamma in
        weights.bias.withUnsafeBufferPointer { beta in
            guard let gamma = gamma.baseAddress, let beta = beta.baseAddress else { return }
            Kernels.layerNorm(input, into: output, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon)
        }
    }
}
