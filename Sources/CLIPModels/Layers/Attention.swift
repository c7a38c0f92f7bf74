import CLIPSupport
import TensorCore

/// Multi-head self-attention: one packed query/key/value product (`[3·width, width]`, however the
/// checkpoint stores it), scaled dot-product attention per head (optionally causal, with rotary
/// positions on queries and keys, with per-sequence key masks), an optional LayerNorm of the
/// concatenated heads (EVA02's sub-LN) and the output projection. Its names and shapes
/// (``Binding``), loading and forward.
struct SelfAttention: Sendable {
    let width: Int
    let heads: Int
    /// `[3·width, width]` + `[3·width]`: query, key and value projections stacked.
    let qkv: LinearLayer
    /// The attention output's LayerNorm (``EncoderBlockOptions/attentionOutputNorm``).
    let norm: LayerNorm?
    /// `[width, width]` + `[width]`.
    let output: LinearLayer
    /// Rotary positions applied to queries and keys (PE-Core's and EVA's image towers).
    let rotary: RotaryTable?

    /// The tensors of a layer's attention, in a layout's names (relative to `prefix`).
    struct Binding: Sendable {
        var qkv: LinearLayer.Binding
        var norm: LayerNorm.Binding?
        var output: LinearLayer.Binding

        init(names: CheckpointKeys.LayerNames, prefix p: String, encoder: EncoderArchitecture) {
            let w = encoder.width
            qkv = .queryKeyValue(names.qkv, prefix: p, rows: [w, w, w], width: w, keyBias: encoder.layerOptions.keyBias)
            if encoder.layerOptions.attentionOutputNorm { norm = LayerNorm.Binding(p + names.attentionNorm, width: w) }
            output = LinearLayer.Binding(p + names.attentionOutput, outputs: w, inputs: w)
        }

        var all: [WeightBinding] { qkv.all + (norm?.all ?? []) + output.all }
    }

    init(_ binding: Binding, encoder: EncoderArchitecture, rotary: RotaryTable?, loader: WeightLoader) throws(CLIPModelError) {
        width = encoder.width
        heads = encoder.heads
        self.rotary = rotary
        qkv = try LinearLayer(binding.qkv, loader: loader)
        norm = try binding.norm.map { (n) throws(CLIPModelError) in try LayerNorm(n, loader: loader) }
        output = try LinearLayer(binding.output, loader: loader)
    }

    /// Multi-head scaled dot-product attention of every sequence: reads the packed queries, keys
    /// and values (`qkv`, `[sequences, tokens, 3·width]`; queries and keys rotated in place when
    /// the layer has rotary positions) and writes the concatenated heads to `context`
    /// (`[sequences, tokens, width]`). The (sequence, head) pairs are spread over
    /// ``ComputeThreads/count`` threads (at most `workspace.workers`), each with its own score buffer.
    /// - Parameter keyMask: for each sequence, which keys its rows may attend to besides what
    ///   `causal` says.
    func attend(qkv: UnsafeMutablePointer<Float>, into context: UnsafeMutablePointer<Float>,
                sequences: Int, tokens: Int, causal: Bool, keyMask: [[Bool]]? = nil, workspace ws: EncoderWorkspace) {
        let width = self.width
        let heads = self.heads
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

    /// The attention of one row per sequence (`positions[s]` of sequence `s`) against the keys it
    /// may see: reads the packed queries, keys and values of every token (`qkv`, rotated in place
    /// when the layer has rotary positions) and writes the concatenated heads of the pooled rows
    /// to `context` (`[sequences, width]`).
    func attendPooled(qkv: UnsafeMutablePointer<Float>, into context: UnsafeMutablePointer<Float>, sequences: Int,
                      tokens: Int, causal: Bool, positions: [Int], keyMask: [[Bool]]?, workspace ws: EncoderWorkspace) {
        let width = self.width
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let stride = 3 * width
        if let rotary {
            for s in 0..<sequences {
                for h in 0..<heads {
                    let base = qkv + s * tokens * stride + h * headWidth
                    rotary.rotate(base, stride: stride, tokens: tokens)
                    rotary.rotate(base + width, stride: stride, tokens: tokens)
                }
            }
        }
        for (s, position) in positions.enumerated() {
            let visible = causal ? position + 1 : tokens
            let keys = qkv + s * tokens * stride + width
            let query = qkv + (s * tokens + position) * stride
            for h in 0..<heads {
                rowAttention(query: query + h * headWidth, keys: keys + h * headWidth,
                             values: keys + width + h * headWidth, stride: stride, count: visible,
                             visible: keyMask?[s], headWidth: headWidth, scale: scale, scores: ws.scores,
                             output: context + s * width + h * headWidth)
            }
        }
    }

    var linearLayers: [LinearLayer] { [qkv, output] }
}
