import CLIPSupport
import Foundation
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
    /// bfloat16 / int8 layers: `[rows, wideColumns]` values in the layer's input format (a
    /// layer's converted input).
    let staging: UnsafeMutableRawPointer
    /// bfloat16: `[rows, wideColumns]` MLP hidden activations written in bfloat16 by the first
    /// MLP product and read by the second.
    let wideStaging: UnsafeMutableRawPointer
    /// int8: `[rows]` scales of the quantized rows in `staging`.
    let rowScales: UnsafeMutablePointer<Float>
    /// `[rows, width]`: the residual stream.
    let hidden: UnsafeMutablePointer<Float>
    /// `[rows, width]`: the pooled token of each sequence (`[sequences, width]` is used).
    let pooled: UnsafeMutablePointer<Float>
    /// What the workspace was made for: it serves any pass needing no more.
    let rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision
    /// The most threads attention can be spread over (one score buffer each).
    let workers: Int
    let wideCount: Int
    /// The stream and scratch memory of the matrix products.
    let matmul = MatmulContext()

    init(rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision) {
        self.rows = rows
        self.width = width
        self.wideColumns = wideColumns
        self.tokens = tokens
        self.precision = precision
        hidden = .allocate(capacity: max(rows * width, 1))
        pooled = .allocate(capacity: max(rows * width, 1))
        normalized = .allocate(capacity: max(rows * width, 1))
        qkv = .allocate(capacity: max(rows * 3 * width, 1))
        context = .allocate(capacity: max(rows * width, 1))
        wideCount = max(rows * wideColumns, 1)
        wide = .allocate(capacity: wideCount)
        workers = max(1, ComputeThreads.count)
        scores = .allocate(capacity: max(workers * tokens * tokens, 1))
        let stagingBytes = max(rows * wideColumns * LinearLayer.stagedBytes(for: precision), 64)
        staging = .allocate(byteCount: stagingBytes, alignment: 64)
        wideStaging = .allocate(byteCount: precision == .bfloat16 && OneDNN.hasBFloat16Products ? stagingBytes : 64,
                                alignment: 64)
        rowScales = .allocate(capacity: max(rows, 1))
    }

    /// Whether the workspace is large enough for a pass with these sizes (and has a score buffer
    /// for each of ``ComputeThreads/count`` threads).
    func serves(rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision) -> Bool {
        self.rows >= rows && self.width == width && self.wideColumns >= wideColumns && self.tokens >= tokens
            && self.precision == precision && workers >= ComputeThreads.count
    }

    deinit {
        hidden.deallocate()
        pooled.deallocate()
        normalized.deallocate()
        qkv.deallocate()
        context.deallocate()
        wide.deallocate()
        scores.deallocate()
        staging.deallocate()
        wideStaging.deallocate()
        rowScales.deallocate()
    }
}

/// The workspaces of a tower kept between forward passes (at most two, for two concurrent
/// callers): allocating a pass's scratch memory anew each time costs page faults and zeroing of
/// fresh pages — more than the layer norms of a one-image pass.
final class WorkspacePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [EncoderWorkspace] = []
    private static let kept = 2

    init() {}

    /// Runs `body` with a workspace for a pass of these sizes, reusing an idle one that is large
    /// enough.
    func withWorkspace<R>(rows: Int, width: Int, wideColumns: Int, tokens: Int, precision: ModelPrecision,
                          _ body: (EncoderWorkspace) throws(CLIPModelError) -> R) throws(CLIPModelError) -> R {
        lock.lock()
        let index = idle.firstIndex {
            $0.serves(rows: rows, width: width, wideColumns: wideColumns, tokens: tokens, precision: precision)
        }
        let reused = index.map { idle.remove(at: $0) }
        lock.unlock()
        let workspace = reused ?? EncoderWorkspace(rows: rows, width: width, wideColumns: wideColumns, tokens: tokens,
                                                   precision: precision)
        defer {
            lock.lock()
            idle.append(workspace)
            if idle.count > Self.kept {
                // Keep the largest.
                idle.sort { $0.rows * $0.tokens > $1.rows * $1.tokens }
                idle.removeLast(idle.count - Self.kept)
            }
            lock.unlock()
        }
        return try body(workspace)
    }
}

/// A stack of pre-norm transformer encoder layers (CLIP's `CLIPEncoder` / OpenCLIP's
/// `Transformer`): `x += Attention(LN1(x))`, `x += MLP(LN2(x))`, with multi-head self-attention
/// (optionally causal) and a two-layer MLP with GELU or QuickGELU.
///
/// The linear layers are ``LinearLayer``s (the backend boundary): the encoder only says what to
/// multiply and what to do with the result (store it, add it into the residual stream, apply the
/// activation), in whatever precision the layers were prepared for.
struct TransformerEncoder: Sendable {
    let architecture: EncoderArchitecture
    let layers: [EncoderLayerWeights]
    /// Rotary positions applied to every layer's queries and keys (PE-Core's image tower).
    let rotary: RotaryTable?

    init(architecture: EncoderArchitecture, layers: [EncoderLayerWeights], rotary: RotaryTable? = nil) {
        self.architecture = architecture
        self.layers = layers
        self.rotary = rotary
    }

    /// Runs every layer over `hidden` (`[sequences, tokens, width]`, contiguous, overwritten) and
    /// writes the final hidden state of one token per sequence — `positions[s]` of sequence `s`,
    /// the token the tower pools — to `pooled` (`[sequences, width]`).
    ///
    /// Every layer but the last runs over all tokens. In the last layer only the keys and values
    /// need every token: its queries, attention output, MLP and residuals are computed for the
    /// pooled tokens alone, which are the only rows anything reads afterwards (per-row results
    /// are the same as a full pass).
    /// - Parameters:
    ///   - causal: whether position `i` may attend only to positions `≤ i`.
    ///   - keyMask: for each sequence, which keys its rows may attend to besides what `causal`
    ///     says (`tokens` flags; CoCa's text, for which open_clip masks the key after each 0 id).
    func run(_ hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int, causal: Bool,
             pooling positions: [Int], keyMask: [[Bool]]? = nil, into pooled: UnsafeMutablePointer<Float>,
             workspace: EncoderWorkspace) throws(CLIPModelError) {
        let width = architecture.width
        for layer in layers.dropLast() {
            try apply(layer, to: hidden, sequences: sequences, tokens: tokens, causal: causal, keyMask: keyMask,
                      workspace: workspace)
        }
        guard let last = layers.last else {
            for (s, position) in positions.enumerated() {
                (pooled + s * width).update(from: hidden + (s * tokens + position) * width, count: width)
            }
            return
        }
        try applyPooled(last, to: hidden, sequences: sequences, tokens: tokens, causal: causal, positions: positions,
                        keyMask: keyMask, into: pooled, workspace: workspace)
    }

    /// Runs every layer over every token of `hidden` (`[sequences, tokens, width]`, contiguous,
    /// overwritten), without causal masking: for towers that read every final token (SigLIP's
    /// image tower, whose pooling head attends over all of them).
    func runAll(_ hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int,
                workspace: EncoderWorkspace) throws(CLIPModelError) {
        for layer in layers {
            try apply(layer, to: hidden, sequences: sequences, tokens: tokens, causal: false, workspace: workspace)
        }
    }

    private func apply(_ layer: EncoderLayerWeights, to hidden: UnsafeMutablePointer<Float>,
                       sequences: Int, tokens: Int, causal: Bool, keyMask: [[Bool]]? = nil,
                       workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let rows = sequences * tokens
        // Attention block.
        try project(attentionInput(of: layer, hidden, rows: rows, workspace: ws), rows: rows, through: layer.qkv,
                    into: ws.qkv, workspace: ws)
        attention(qkv: ws.qkv, into: ws.context, sequences: sequences, tokens: tokens, causal: causal, keyMask: keyMask,
                  workspace: ws)
        try finish(layer, context: ws.context, residual: hidden, rows: rows, workspace: ws)
    }

    /// What a layer's query/key/value product reads: `LN1(hidden)` in `workspace.normalized`
    /// (pre-norm), or the residual stream itself (post-norm).
    private func attentionInput(of layer: EncoderLayerWeights, _ hidden: UnsafeMutablePointer<Float>, rows: Int,
                                workspace ws: EncoderWorkspace) -> UnsafePointer<Float> {
        guard architecture.layerOptions.normPlacement == .pre else { return UnsafePointer(hidden) }
        layerNorm(hidden, into: ws.normalized, rows: rows, width: architecture.width, weights: layer.norm1,
                  epsilon: architecture.layerNormEpsilon)
        return UnsafePointer(ws.normalized)
    }

    /// The rest of a layer after attention, on `rows` rows. Pre-norm: `residual += context·Woᵀ + bo`,
    /// then `residual += MLP(LN2(residual))`; post-norm: `residual += LN1(context·Woᵀ + bo)`, then
    /// `residual += LN2(MLP(residual))`; with a sub-LN, `context` is normalized first (in place).
    /// `context` must not be `workspace.normalized` or `.wide`.
    private func finish(_ layer: EncoderLayerWeights, context: UnsafeMutablePointer<Float>,
                        residual: UnsafeMutablePointer<Float>, rows: Int, workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let width = architecture.width
        let eps = architecture.layerNormEpsilon
        if let norm = layer.attentionNorm {
            layerNorm(context, into: context, rows: rows, width: width, weights: norm, epsilon: eps)
        }
        switch architecture.layerOptions.normPlacement {
        case .pre:
            try project(context, rows: rows, through: layer.output, into: residual, accumulate: true, workspace: ws)
            layerNorm(residual, into: ws.normalized, rows: rows, width: width, weights: layer.norm2, epsilon: eps)
            try mlp(layer, input: ws.normalized, rows: rows, into: residual, accumulate: true, workspace: ws)
        case .post:
            try project(context, rows: rows, through: layer.output, into: ws.normalized, workspace: ws)
            layerNorm(ws.normalized, into: ws.normalized, rows: rows, width: width, weights: layer.norm1, epsilon: eps)
            addRows(ws.normalized, to: residual, rows: rows, width: width)
            try mlp(layer, input: residual, rows: rows, into: ws.normalized, accumulate: false, workspace: ws)
            layerNorm(ws.normalized, into: ws.normalized, rows: rows, width: width, weights: layer.norm2, epsilon: eps)
            addRows(ws.normalized, to: residual, rows: rows, width: width)
        }
    }

    /// The MLP of `rows` rows of `input` into `out` (`out +=` when `accumulate`): `fc2(act(fc1(x)))`,
    /// or the gated `fc2(silu(x·Wgᵀ) ⊙ x·Wxᵀ)`, with the hidden LayerNorm before `fc2` when the layer has one.
    /// `input` must not be `workspace.wide`.
    private func mlp(_ layer: EncoderLayerWeights, input: UnsafePointer<Float>, rows: Int,
                     into out: UnsafeMutablePointer<Float>, accumulate: Bool, workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let activation = architecture.activation
        let hiddenWidth = architecture.mlpWidth
        if architecture.layerOptions.gatedMLP {
            // Gate and value in one product ([rows, 2·hidden]), gated into the rows after them.
            try project(input, rows: rows, through: layer.fc1, into: ws.wide, workspace: ws)
            let gated = ws.wide + rows * 2 * hiddenWidth
            let source = SendablePointer(UnsafePointer(ws.wide)), target = SendableMutablePointer(gated)
            forEachRowChunk(rows: rows, width: 2 * hiddenWidth) { range in
                Kernels.swiGLU(source.base + range.lowerBound * 2 * hiddenWidth,
                               into: target.base + range.lowerBound * hiddenWidth, rows: range.count, width: hiddenWidth)
            }
            if let norm = layer.mlpNorm {
                layerNorm(gated, into: gated, rows: rows, width: hiddenWidth, weights: norm,
                          epsilon: architecture.layerNormEpsilon)
            }
            try project(gated, rows: rows, through: layer.fc2, into: out, accumulate: accumulate, workspace: ws)
        } else if layer.fc1.readsBFloat16 && layer.mlpNorm == nil {
            // The hidden activations go from the first product to the second in bfloat16.
            let staged = layer.fc1.input(from: input, rows: rows, staging: ws.staging, rowScales: ws.rowScales)
            let hidden = ws.wideStaging.assumingMemoryBound(to: UInt16.self)
            try layer.fc1.run(staged, rows: rows, into: .bfloat16(hidden), activation: activation, context: ws.matmul)
            try layer.fc2.run(.bfloat16(hidden), rows: rows, into: .float32(out), accumulate: accumulate,
                              context: ws.matmul)
        } else {
            try project(input, rows: rows, through: layer.fc1, into: ws.wide, activation: activation, workspace: ws)
            if let norm = layer.mlpNorm {
                layerNorm(ws.wide, into: ws.wide, rows: rows, width: hiddenWidth, weights: norm,
                          epsilon: architecture.layerNormEpsilon)
            }
            try project(ws.wide, rows: rows, through: layer.fc2, into: out, accumulate: accumulate, workspace: ws)
        }
    }

    /// `residual += branch` over `rows × width` values, on the compute threads.
    private func addRows(_ branch: UnsafePointer<Float>, to residual: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        let source = SendablePointer(branch), target = SendableMutablePointer(residual)
        forEachRowChunk(rows: rows, width: width) { range in
            let offset = range.lowerBound * width
            Kernels.add(source.base + offset, to: target.base + offset, count: range.count * width)
        }
    }
}

extension TransformerEncoder {
    /// The last layer, computed for the pooled token of each sequence only (see
    /// ``run(_:sequences:tokens:causal:pooling:keyMask:into:workspace:)``): keys and values of every
    /// token, then the query, attention, output projection and MLP of one row per sequence.
    private func applyPooled(_ layer: EncoderLayerWeights, to hidden: UnsafeMutablePointer<Float>,
                             sequences: Int, tokens: Int, causal: Bool, positions: [Int], keyMask: [[Bool]]?,
                             into pooled: UnsafeMutablePointer<Float>, workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let width = architecture.width
        let rows = sequences * tokens
        let heads = architecture.heads
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let stride = 3 * width

        // Queries, keys and values of every token (the keys and values are needed; the extra
        // queries cost a third of one layer's QKV product and keep one weight).
        try project(attentionInput(of: layer, hidden, rows: rows, workspace: ws), rows: rows, through: layer.qkv,
                    into: ws.qkv, workspace: ws)
        if let rotary {
            for s in 0..<sequences {
                for h in 0..<heads {
                    let base = ws.qkv + s * tokens * stride + h * headWidth
                    rotary.rotate(base, stride: stride, tokens: tokens)
                    rotary.rotate(base + width, stride: stride, tokens: tokens)
                }
            }
        }
        // One query per sequence and head against the visible keys; heads concatenated into `context`.
        for (s, position) in positions.enumerated() {
            let visible = causal ? position + 1 : tokens
            let keys = ws.qkv + s * tokens * stride + width
            let query = ws.qkv + (s * tokens + position) * stride
            for h in 0..<heads {
                rowAttention(query: query + h * headWidth, keys: keys + h * headWidth,
                             values: keys + width + h * headWidth, stride: stride, count: visible,
                             visible: keyMask?[s], headWidth: headWidth, scale: scale, scores: ws.scores,
                             output: ws.context + s * width + h * headWidth)
            }
        }
        // Residual stream of the pooled tokens, then the rest of the layer on those rows.
        for (s, position) in positions.enumerated() {
            (pooled + s * width).update(from: hidden + (s * tokens + position) * width, count: width)
        }
        try finish(layer, context: ws.context, residual: pooled, rows: sequences, workspace: ws)
    }
}

extension TransformerEncoder {
    /// Multi-head scaled dot-product attention of every sequence: reads the packed queries, keys
    /// and values (`qkv`, `[sequences, tokens, 3·width]`) and writes the concatenated heads to
    /// `context` (`[sequences, tokens, width]`). The (sequence, head) pairs are spread over
    /// ``ComputeThreads/count`` threads (at most `workspace.workers`), each with its own score
    /// buffer.
    func attention(qkv: UnsafeMutablePointer<Float>, into context: UnsafeMutablePointer<Float>,
                   sequences: Int, tokens: Int, causal: Bool, keyMask: [[Bool]]? = nil, workspace ws: EncoderWorkspace) {
        let width = architecture.width
        let heads = architecture.heads
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let stride = 3 * width
        let pairs = sequences * heads
        let workers = min(ws.workers, ComputeThreads.count, pairs)
        let qkvBase = SendableMutablePointer(qkv), contextBase = SendableMutablePointer(context)
        let scoresBase = SendableMutablePointer(ws.scores)
        let rotary = self.rotary
        let work: @Sendable (Int) -> Void = { worker in
            let qkv = qkvBase.base, context = contextBase.base
            let scores = scoresBase.base + worker * tokens * tokens
            var pair = worker
            while pair < pairs {
                let s = pair / heads, h = pair % heads
                let base = qkv + s * tokens * stride + h * headWidth
                if let rotary {
                    // This pair's queries and keys, rotated in place (no other pair reads them).
                    rotary.rotate(base, stride: stride, tokens: tokens)
                    rotary.rotate(base + width, stride: stride, tokens: tokens)
                }
                let out = context + s * tokens * width + h * headWidth
                blasAttention(q: base, k: base + width, v: base + 2 * width, stride: stride, tokens: tokens,
                              headWidth: headWidth, scale: scale, causal: causal, keyMask: keyMask?[s], scores: scores,
                              output: out, outputStride: width)
                pair += workers
            }
        }
        ComputeThreads.parallel(workers, work)
    }
}
