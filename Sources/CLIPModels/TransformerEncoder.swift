import Dispatch
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
    /// `[workers, tokens, tokens]`: attention scores of one head per worker thread.
    let scores: UnsafeMutablePointer<Float>
    /// The number of threads attention is spread over.
    let workers: Int
    let wideCount: Int

    init(rows: Int, width: Int, wideColumns: Int, tokens: Int, workers: Int = attentionWorkers) {
        normalized = .allocate(capacity: max(rows * width, 1))
        qkv = .allocate(capacity: max(rows * 3 * width, 1))
        context = .allocate(capacity: max(rows * width, 1))
        wideCount = max(rows * wideColumns, 1)
        wide = .allocate(capacity: wideCount)
        self.workers = max(1, workers)
        scores = .allocate(capacity: max(self.workers * tokens * tokens, 1))
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

    /// Runs every layer over `hidden` (`[sequences, tokens, width]`, contiguous, overwritten) and
    /// writes the final hidden state of one token per sequence — `positions[s]` of sequence `s`,
    /// the token the tower pools — to `pooled` (`[sequences, width]`).
    ///
    /// Every layer but the last runs over all tokens. In the last layer only the keys and values
    /// need every token: its queries, attention output, MLP and residuals are computed for the
    /// pooled tokens alone, which are the only rows anything reads afterwards (per-row results
    /// are the same as a full pass).
    /// - Parameter causal: whether position `i` may attend only to positions `≤ i`.
    func run(_ hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int, causal: Bool,
             pooling positions: [Int], into pooled: UnsafeMutablePointer<Float>, workspace: EncoderWorkspace) {
        let width = architecture.width
        packWeights()
        for layer in layers.dropLast() {
            apply(layer, to: hidden, sequences: sequences, tokens: tokens, causal: causal, workspace: workspace)
        }
        guard let last = layers.last else {
            for (s, position) in positions.enumerated() {
                (pooled + s * width).update(from: hidden + (s * tokens + position) * width, count: width)
            }
            return
        }
        applyPooled(last, to: hidden, sequences: sequences, tokens: tokens, causal: causal, positions: positions,
                    into: pooled, workspace: workspace)
    }

    /// Packs every layer weight (a no-op after the first call), spread over the compute
    /// threads: the first forward pass after opening a model would otherwise pack them one by
    /// one, and most of that time is page faults, which two cores take in half the time.
    func packWeights() {
        // After the first pass only this check runs: no thread hand-off per forward pass.
        guard let last = layers.last, !last.fc2Weight.isSettled else { return }
        let weights = layers.flatMap { [$0.qkvWeight, $0.outputWeight, $0.fc1Weight, $0.fc2Weight] }
        let workers = min(ComputeThreads.count, weights.count)
        ComputeThreads.parallel(workers) { worker in
            for index in stride(from: worker, to: weights.count, by: workers) { _ = weights[index].form }
        }
    }

    private func apply(_ layer: EncoderLayerWeights, to hidden: UnsafeMutablePointer<Float>,
                       sequences: Int, tokens: Int, causal: Bool, workspace ws: EncoderWorkspace) {
        let width = architecture.width
        let rows = sequences * tokens
        let eps = architecture.layerNormEpsilon

        // Attention block.
        layerNorm(hidden, into: ws.normalized, rows: rows, width: width, weights: layer.norm1, epsilon: eps)
        linear(ws.normalized, rows: rows, inputs: width, weight: layer.qkvWeight, bias: layer.qkvBias,
               outputs: 3 * width, into: ws.qkv, accumulate: false)

        attention(qkv: ws.qkv, into: ws.context, sequences: sequences, tokens: tokens, causal: causal,
                  workspace: ws)
        finish(layer, context: ws.context, residual: hidden, rows: rows, workspace: ws)
    }

    /// The rest of a layer after attention, on `rows` rows: `residual += context·Woᵀ + bo`, then
    /// `residual += MLP(LN2(residual))`. `context` must not be `workspace.normalized` or `.wide`.
    private func finish(_ layer: EncoderLayerWeights, context: UnsafePointer<Float>,
                        residual: UnsafeMutablePointer<Float>, rows: Int, workspace ws: EncoderWorkspace) {
        let width = architecture.width
        let mlpWidth = architecture.mlpWidth
        linear(context, rows: rows, inputs: width, weight: layer.outputWeight, bias: layer.outputBias,
               outputs: width, into: residual, accumulate: true)
        layerNorm(residual, into: ws.normalized, rows: rows, width: width, weights: layer.norm2,
                  epsilon: architecture.layerNormEpsilon)
        linear(ws.normalized, rows: rows, inputs: width, weight: layer.fc1Weight, bias: layer.fc1Bias,
               outputs: mlpWidth, into: ws.wide, accumulate: false)
        activate(ws.wide, rows: rows, width: mlpWidth)
        linear(ws.wide, rows: rows, inputs: mlpWidth, weight: layer.fc2Weight, bias: layer.fc2Bias,
               outputs: width, into: residual, accumulate: true)
    }
}

extension TransformerEncoder {
    /// The last layer, computed for the pooled token of each sequence only (see
    /// ``run(_:sequences:tokens:causal:pooling:into:workspace:)``): keys and values of every
    /// token, then the query, attention, output projection and MLP of one row per sequence.
    private func applyPooled(_ layer: EncoderLayerWeights, to hidden: UnsafeMutablePointer<Float>,
                             sequences: Int, tokens: Int, causal: Bool, positions: [Int],
                             into pooled: UnsafeMutablePointer<Float>, workspace ws: EncoderWorkspace) {
        let width = architecture.width
        let rows = sequences * tokens
        let eps = architecture.layerNormEpsilon
        let heads = architecture.heads
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let stride = 3 * width

        layerNorm(hidden, into: ws.normalized, rows: rows, width: width, weights: layer.norm1, epsilon: eps)
        // Queries, keys and values of every token (the keys and values are needed; the extra
        // queries cost a third of one layer's QKV product and keep one packed weight).
        linear(ws.normalized, rows: rows, inputs: width, weight: layer.qkvWeight, bias: layer.qkvBias,
               outputs: 3 * width, into: ws.qkv, accumulate: false)
        // One query per sequence and head against the visible keys; heads concatenated into `context`.
        for (s, position) in positions.enumerated() {
            let visible = causal ? position + 1 : tokens
            let keys = ws.qkv + s * tokens * stride + width
            let query = ws.qkv + (s * tokens + position) * stride
            for h in 0..<heads {
                let q = query + h * headWidth
                let k = keys + h * headWidth, v = keys + width + h * headWidth
                for j in 0..<visible {
                    ws.scores[j] = scale * Kernels.dot(q, k + j * stride, count: headWidth)
                }
                Kernels.softmax(ws.scores, rows: 1, width: visible)
                let out = ws.context + s * width + h * headWidth
                out.update(repeating: 0, count: headWidth)
                for j in 0..<visible {
                    accumulate(ws.scores[j], times: v + j * stride, into: out, count: headWidth)
                }
            }
        }
        // Residual stream of the pooled tokens, then the rest of the layer on those rows.
        for (s, position) in positions.enumerated() {
            (pooled + s * width).update(from: hidden + (s * tokens + position) * width, count: width)
        }
        finish(layer, context: ws.context, residual: pooled, rows: sequences, workspace: ws)
    }
}

extension TransformerEncoder {
    /// The MLP activation in place on `[rows, width]`, rows spread over the compute threads.
    func activate(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let address = UInt(bitPattern: x)
        let kind = architecture.activation
        forEachRowChunk(rows: rows, width: width) { range in
            guard let x = UnsafeMutablePointer<Float>(bitPattern: address) else { return }
            let start = x + range.lowerBound * width
            switch kind {
            case .gelu: Kernels.gelu(start, count: range.count * width)
            case .quickGELU: Kernels.quickGELU(start, count: range.count * width)
            }
        }
    }
}

/// Runs `body` over chunks of `rows` rows of `width` elements on the compute threads, or over
/// all rows on the calling thread when there is too little work to share (under 64 K elements
/// per thread).
func forEachRowChunk(rows: Int, width: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let minimumRows = max(1, (1 << 16) / max(width, 1))
    ComputeThreads.forEachChunk(of: rows, minimumChunk: minimumRows, body)
}

/// The number of threads the attention of a layer is spread over (the BLAS thread count, which
/// is the number of cores the caller wants used).
var attentionWorkers: Int { max(1, min(ComputeThreads.count, 8)) }

extension TransformerEncoder {
    /// Multi-head scaled dot-product attention of every sequence: reads the packed queries, keys
    /// and values (`qkv`, `[sequences, tokens, 3·width]`) and writes the concatenated heads to
    /// `context` (`[sequences, tokens, width]`). The (sequence, head) pairs are spread over
    /// `workspace.workers` threads, each with its own score buffer.
    func attention(qkv: UnsafeMutablePointer<Float>, into context: UnsafeMutablePointer<Float>,
                   sequences: Int, tokens: Int, causal: Bool, workspace ws: EncoderWorkspace) {
        let width = architecture.width
        let heads = architecture.heads
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let stride = 3 * width
        let pairs = sequences * heads
        let workers = min(ws.workers, pairs)
        // Raw pointers are not Sendable; pass their addresses into the worker closure.
        let qkvAddress = UInt(bitPattern: qkv), contextAddress = UInt(bitPattern: context)
        let scoresAddress = UInt(bitPattern: ws.scores)
        let work: @Sendable (Int) -> Void = { worker in
            guard let qkv = UnsafeMutablePointer<Float>(bitPattern: qkvAddress),
                  let context = UnsafeMutablePointer<Float>(bitPattern: contextAddress),
                  let scoresBase = UnsafeMutablePointer<Float>(bitPattern: scoresAddress) else { return }
            let scores = scoresBase + worker * tokens * tokens
            var pair = worker
            while pair < pairs {
                let s = pair / heads, h = pair % heads
                let base = qkv + s * tokens * stride + h * headWidth
                let out = context + s * tokens * width + h * headWidth
                blasAttention(q: base, k: base + width, v: base + 2 * width, stride: stride, tokens: tokens,
                              headWidth: headWidth, scale: scale, causal: causal, scores: scores,
                              output: out, outputStride: width)
                pair += workers
            }
        }
        if workers > 1 {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
        } else {
            work(0)
        }
    }
}

/// One head's attention with BLAS: `scores = scale · Q·Kᵀ` (`[tokens, tokens]`), row softmax
/// (lower triangle only when causal), `output = scores · V`.
private func blasAttention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int,
                           tokens: Int, headWidth: Int, scale: Float, causal: Bool,
                           scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, outputStride: Int) {
    Kernels.gemm(transposeB: true, m: tokens, n: tokens, k: headWidth, alpha: scale,
                 a: q, lda: stride, b: k, ldb: stride, beta: 0, c: scores, ldc: tokens)
    if causal {
        for i in 0..<tokens {
            let row = scores + i * tokens
            Kernels.softmax(row, rows: 1, width: i + 1)
            if i + 1 < tokens { (row + i + 1).update(repeating: 0, count: tokens - i - 1) }
        }
    } else {
        Kernels.softmax(scores, rows: tokens, width: tokens)
    }
    Kernels.gemm(m: tokens, n: headWidth, k: tokens, a: scores, lda: tokens, b: v, ldb: stride,
                 beta: 0, c: output, ldc: outputStride)
}

/// `y += a · x` for `count` elements.
@inline(__always)
private func accumulate(_ a: Float, times x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    typealias Vector = SIMD16<Float>
    let factor = Vector(repeating: a)
    var i = 0
    while i + 16 <= count {
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
        let yv = UnsafeRawPointer(y + i).loadUnaligned(as: Vector.self)
        UnsafeMutableRawPointer(y + i).storeBytes(of: yv + factor * xv, as: Vector.self)
        i += 16
    }
    while i < count {
        y[i] += a * x[i]
        i += 1
    }
}

/// `out = x · weightᵀ + bias` (or `out += …` when `accumulate`) with a weight that is packed
/// for OpenBLAS's kernels on first use (see ``LinearWeight``); `x` `[rows, inputs]`, `weight`
/// `[outputs, inputs]`, `bias` `[outputs]`.
func linear(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, weight: LinearWeight, bias: Tensor?,
            outputs: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    let packed: PackedMatrix
    switch weight.form {
    case .tensor(let tensor):
        linear(x, rows: rows, inputs: inputs, weight: tensor, bias: bias, outputs: outputs, into: out,
               accumulate: accumulate)
        return
    case .packed(let matrix):
        packed = matrix
    }
    // The packed kernel adds into `out`: start from the bias, or zeros, unless accumulating.
    if let bias {
        bias.withUnsafeBufferPointer { b in
            guard let b = b.baseAddress else { return }
            fill(out, rows: rows, width: outputs, with: b, accumulate: accumulate)
        }
    } else if !accumulate {
        fill(out, rows: rows, width: outputs, with: nil, accumulate: false)
    }
    packed.accumulateProduct(x, m: rows, inputStride: inputs, into: out, outputStride: outputs)
}

/// `out = x · weightᵀ + bias` (or `out += …` when `accumulate`), with `x` `[rows, inputs]`,
/// `weight` `[outputs, inputs]`, `bias` `[outputs]`.
func linear(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, weight: Tensor, bias: Tensor?,
            outputs: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
    weight.withUnsafeBufferPointer { w in
        guard let w = w.baseAddress else { return }
        if let bias {
            bias.withUnsafeBufferPointer { b in
                linear(x, rows: rows, inputs: inputs, weight: w, bias: b.baseAddress, outputs: outputs, into: out,
                       outputStride: outputs, accumulate: accumulate)
            }
        } else {
            linear(x, rows: rows, inputs: inputs, weight: w, bias: nil, outputs: outputs, into: out,
                   outputStride: outputs, accumulate: accumulate)
        }
    }
}

/// `out = x · weightᵀ + bias` (or `out += …`) on raw memory: `x` `[rows, inputs]`, `weight`
/// `[outputs, inputs]`, `bias` `[outputs]` or nil, `out` rows `outputStride` apart.
func linear(_ x: UnsafePointer<Float>, rows: Int, inputs: Int, weight: UnsafePointer<Float>,
            bias: UnsafePointer<Float>?, outputs: Int, into out: UnsafeMutablePointer<Float>, outputStride: Int,
            accumulate: Bool) {
    if let bias {
        fill(out, rows: rows, width: outputs, stride: outputStride, with: bias, accumulate: accumulate)
    }
    let beta: Float = (accumulate || bias != nil) ? 1 : 0
    Kernels.gemm(transposeB: true, m: rows, n: outputs, k: inputs, a: x, lda: inputs, b: weight, ldb: inputs,
                 beta: beta, c: out, ldc: outputStride)
}

/// Writes `bias` into every row of `out` (adds it when `accumulate`), or zeros when `bias` is
/// nil; rows are `stride` apart and spread over the compute threads.
func fill(_ out: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil,
          with bias: UnsafePointer<Float>?, accumulate: Bool) {
    let stride = stride ?? width
    let biasAddress = bias.map { UInt(bitPattern: $0) }, outAddress = UInt(bitPattern: out)
    forEachRowChunk(rows: rows, width: width) { range in
        guard let out = UnsafeMutablePointer<Float>(bitPattern: outAddress) else { return }
        let bias = biasAddress.flatMap { UnsafePointer<Float>(bitPattern: $0) }
        for r in range {
            let row = out + r * stride
            if let bias {
                if accumulate { Kernels.add(bias, to: row, count: width) } else { row.update(from: bias, count: width) }
            } else {
                row.update(repeating: 0, count: width)
            }
        }
    }
}

/// LayerNorm of `rows` rows of `width` elements from `input` into `output` (may be the same).
func layerNorm(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
               weights: LayerNormWeights, epsilon: Float) {
    weights.weight.withUnsafeBufferPointer { gamma in
        weights.bias.withUnsafeBufferPointer { beta in
            guard let gamma = gamma.baseAddress, let beta = beta.baseAddress else { return }
            let addresses = (UInt(bitPattern: input), UInt(bitPattern: output), UInt(bitPattern: gamma),
                             UInt(bitPattern: beta))
            forEachRowChunk(rows: rows, width: width) { range in
                guard let input = UnsafePointer<Float>(bitPattern: addresses.0),
                      let output = UnsafeMutablePointer<Float>(bitPattern: addresses.1),
                      let gamma = UnsafePointer<Float>(bitPattern: addresses.2),
                      let beta = UnsafePointer<Float>(bitPattern: addresses.3) else { return }
                let offset = range.lowerBound * width
                Kernels.layerNorm(input + offset, into: output + offset, rows: range.count, width: width,
                                  gamma: gamma, beta: beta, epsilon: epsilon)
            }
        }
    }
}
