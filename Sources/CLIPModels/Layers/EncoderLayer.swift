import CLIPSupport
import TensorCore

/// One transformer encoder layer: LayerNorm, ``SelfAttention``, LayerNorm, ``MLP``, in pre-norm
/// (`x += Attention(LN1(x))`, `x += MLP(LN2(x))`: CLIP, ViT, EVA02-B/L) or post-norm
/// (`x += LN1(Attention(x))`, `x += LN2(MLP(x))`: EVA02-E) order. Its names and shapes
/// (``Binding``, from a layout's ``CheckpointKeys/LayerNames``), loading and forward.
struct EncoderLayer: Sendable {
    let norm1: LayerNorm
    let attention: SelfAttention
    let norm2: LayerNorm
    let mlp: MLP
    let placement: EncoderBlockOptions.NormPlacement
    let width: Int
    let epsilon: Float

    /// The tensors of encoder layer `index` of a tower whose keys start with `prefix`.
    struct Binding: Sendable {
        var norm1: LayerNorm.Binding
        var attention: SelfAttention.Binding
        var norm2: LayerNorm.Binding
        var mlp: MLP.Binding

        init(names: CheckpointKeys.LayerNames, prefix towerPrefix: String, index: Int, encoder: EncoderArchitecture) {
            let p = towerPrefix + names.prefix(index)
            norm1 = LayerNorm.Binding(p + names.norm1, width: encoder.width)
            attention = SelfAttention.Binding(names: names, prefix: p, encoder: encoder)
            norm2 = LayerNorm.Binding(p + names.norm2, width: encoder.width)
            mlp = MLP.Binding(names: names, prefix: p, encoder: encoder)
        }

        var all: [WeightBinding] { norm1.all + attention.all + norm2.all + mlp.all }
    }

    init(_ binding: Binding, encoder: EncoderArchitecture, rotary: RotaryTable?, loader: WeightLoader) throws(CLIPModelError) {
        placement = encoder.layerOptions.normPlacement
        width = encoder.width
        epsilon = encoder.layerNormEpsilon
        norm1 = try LayerNorm(binding.norm1, loader: loader)
        attention = try SelfAttention(binding.attention, encoder: encoder, rotary: rotary, loader: loader)
        norm2 = try LayerNorm(binding.norm2, loader: loader)
        mlp = try MLP(binding.mlp, encoder: encoder, loader: loader)
    }

    /// The layer's linear layers.
    var linearLayers: [LinearLayer] { attention.linearLayers + mlp.linearLayers }

    /// Runs the layer over every token of `hidden` (`[sequences, tokens, width]`, updated in place).
    func apply(to hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int, causal: Bool,
               keyMask: [[Bool]]? = nil, workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let rows = sequences * tokens
        try project(attentionInput(hidden, rows: rows, workspace: ws), rows: rows, through: attention.qkv,
                    into: ws.qkv, workspace: ws)
        attention.attend(qkv: ws.qkv, into: ws.context, sequences: sequences, tokens: tokens, causal: causal,
                         keyMask: keyMask, workspace: ws)
        try finish(context: ws.context, residual: hidden, rows: rows, workspace: ws)
    }

    /// Runs the layer for the pooled token of each sequence only (`positions[s]` of sequence
    /// `s`), writing its output rows to `pooled` (`[sequences, width]`): keys and values of every
    /// token, then the query, attention, output projection and MLP of one row per sequence (per
    /// row the same result as a full pass).
    func applyPooled(to hidden: UnsafeMutablePointer<Float>, sequences: Int, tokens: Int, causal: Bool,
                     positions: [Int], keyMask: [[Bool]]?, into pooled: UnsafeMutablePointer<Float>,
                     workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let rows = sequences * tokens
        // Queries, keys and values of every token (the keys and values are needed; the extra
        // queries cost a third of one layer's QKV product and keep one weight).
        try project(attentionInput(hidden, rows: rows, workspace: ws), rows: rows, through: attention.qkv,
                    into: ws.qkv, workspace: ws)
        attention.attendPooled(qkv: ws.qkv, into: ws.context, sequences: sequences, tokens: tokens, causal: causal,
                               positions: positions, keyMask: keyMask, workspace: ws)
        // Residual stream of the pooled tokens, then the rest of the layer on those rows.
        for (s, position) in positions.enumerated() {
            (pooled + s * width).update(from: hidden + (s * tokens + position) * width, count: width)
        }
        try finish(context: ws.context, residual: pooled, rows: sequences, workspace: ws)
    }

    /// What the query/key/value product reads: `LN1(hidden)` in `workspace.normalized`
    /// (pre-norm), or the residual stream itself (post-norm).
    private func attentionInput(_ hidden: UnsafeMutablePointer<Float>, rows: Int,
                                workspace ws: EncoderWorkspace) -> UnsafePointer<Float> {
        guard placement == .pre else { return UnsafePointer(hidden) }
        layerNorm(hidden, into: ws.normalized, rows: rows, width: width, weights: norm1, epsilon: epsilon)
        return UnsafePointer(ws.normalized)
    }

    /// The rest of the layer after attention, on `rows` rows. Pre-norm: `residual += context·Woᵀ + bo`,
    /// then `residual += MLP(LN2(residual))`; post-norm: `residual += LN1(context·Woᵀ + bo)`, then
    /// `residual += LN2(MLP(residual))`; with a sub-LN, `context` is normalized first (in place).
    /// `context` must not be `workspace.normalized` or `.wide`.
    private func finish(context: UnsafeMutablePointer<Float>, residual: UnsafeMutablePointer<Float>, rows: Int,
                        workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        if let norm = attention.norm {
            layerNorm(context, into: context, rows: rows, width: width, weights: norm, epsilon: epsilon)
        }
        switch placement {
        case .pre:
            try project(context, rows: rows, through: attention.output, into: residual, accumulate: true, workspace: ws)
            layerNorm(residual, into: ws.normalized, rows: rows, width: width, weights: norm2, epsilon: epsilon)
            try mlp.apply(input: ws.normalized, rows: rows, into: residual, accumulate: true, workspace: ws)
        case .post:
            try project(context, rows: rows, through: attention.output, into: ws.normalized, workspace: ws)
            layerNorm(ws.normalized, into: ws.normalized, rows: rows, width: width, weights: norm1, epsilon: epsilon)
            addRows(ws.normalized, to: residual, rows: rows)
            try mlp.apply(input: residual, rows: rows, into: ws.normalized, accumulate: false, workspace: ws)
            layerNorm(ws.normalized, into: ws.normalized, rows: rows, width: width, weights: norm2, epsilon: epsilon)
            addRows(ws.normalized, to: residual, rows: rows)
        }
    }

    /// `residual += branch` over `rows × width` values, on the compute threads.
    private func addRows(_ branch: UnsafePointer<Float>, to residual: UnsafeMutablePointer<Float>, rows: Int) {
        let width = self.width
        let source = SendablePointer(branch), target = SendableMutablePointer(residual)
        forEachRowChunk(rows: rows, width: width) { range in
            let offset = range.lowerBound * width
            Kernels.add(source.base + offset, to: target.base + offset, count: range.count * width)
        }
    }
}
