import CLIPSupport
import TensorCore

/// CoCa's attentional pooler (open_clip's `AttentionalPooler`, `vision_cfg.attentional_pool`):
/// learned queries `[queries, embedding]` attend, after their own LayerNorm (`ln_q`), over the
/// LayerNorm (`ln_k`) of every token of an image through an `nn.MultiheadAttention` whose keys and
/// values come from the tower's width; open_clip then applies `ln_post` (of the embedding width)
/// and takes query 0 as the pooled vector (the other queries feed CoCa's text decoder only).
///
/// One file holds the layer: its key names and shapes (``Binding``), its loading
/// and its forward. Query 0 is the same for every image, so its projection is computed once,
/// when the model opens; per image only the keys and values of its tokens are projected.
struct AttentionalPooler: Sendable {
    /// The attention's width (open_clip's `output_dim`: the embedding dimension).
    let width: Int
    let heads: Int
    let epsilon: Float
    /// `[width]`: `LN_q(queries[0]) · W_qᵀ + b_q`.
    let query: Tensor
    /// `ln_k`, over the tower's width.
    let keyNorm: LayerNorm
    /// `[2·width, towerWidth]` + `[2·width]`: the key and value projections stacked.
    let keyValue: LinearLayer
    /// `[width, width]` + `[width]`.
    let output: LinearLayer
    /// The learned queries, for ``CLIPModel/fingerprint``.
    let queries: Tensor

    init(_ binding: Binding, epsilon: Float, loader: WeightLoader) throws(CLIPModelError) {
        width = binding.width
        heads = binding.heads
        self.epsilon = epsilon
        let e = binding.width, w = binding.towerWidth
        queries = try loader.load(binding.queries)
        let queryNorm = try LayerNorm(binding.queryNorm, loader: loader)
        keyNorm = try LayerNorm(binding.keyNorm, loader: loader)
        let bias = try loader.load(binding.inProjectionBias).scalars
        let name = binding.inProjectionNames
        do {
            let queryWeight: [Float], keyValueWeight: [Float]
            switch binding.inProjection {
            case let .packed(weight):
                let all = try loader.load(weight).scalars
                (queryWeight, keyValueWeight) = (Array(all[..<(e * e)]), Array(all[(e * e)...]))
            case let .separate(query, keyValue):
                (queryWeight, keyValueWeight) = (try loader.load(query).scalars, try loader.load(keyValue).scalars)
            }
            // ln_q of query 0, then its projection, in Double and rounded once.
            let q0 = Array(queries.scalars[..<e])
            let mean = q0.reduce(0.0) { $0 + Double($1) } / Double(e)
            let variance = q0.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(e)
            let inverse = 1 / (variance + Double(epsilon)).squareRoot()
            let (gamma, beta) = (queryNorm.weight.scalars, queryNorm.bias.scalars)
            let normalized = (0..<e).map { (Double(q0[$0]) - mean) * inverse * Double(gamma[$0]) + Double(beta[$0]) }
            var projected = [Float](repeating: 0, count: e)
            for j in 0..<e {
                var sum = Double(bias[j])
                for c in 0..<e { sum += Double(queryWeight[j * e + c]) * normalized[c] }
                projected[j] = Float(sum)
            }
            query = try Tensor(shape: [e], scalars: projected)
            keyValue = try LinearLayer(weight: try Tensor(shape: [2 * e, w], scalars: keyValueWeight),
                                       bias: try Tensor(shape: [2 * e], scalars: Array(bias[e...])),
                                       precision: loader.precision.poolingHead, name: name)
        } catch let error as CLIPModelError {
            throw error
        } catch {
            throw .weightFile(path: loader.source.sourceDescription, reason: "tensor \"\(name)\": \(error)")
        }
        output = try LinearLayer(binding.outProjection, loader: loader, precision: loader.precision.poolingHead)
    }

    var linearLayers: [LinearLayer] { [keyValue, output] }

    /// Pools `sequences` sequences of `tokens` tokens (`hidden`, `[sequences, tokens, towerWidth]`,
    /// the encoder's output; read only) into `pooled` (`[sequences, width]`, before `ln_post`).
    func pool(_ hidden: UnsafePointer<Float>, sequences: Int, tokens: Int, towerWidth: Int,
              into pooled: UnsafeMutablePointer<Float>, workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let rows = sequences * tokens
        layerNorm(hidden, into: ws.normalized, rows: rows, width: towerWidth, weights: keyNorm, epsilon: epsilon)
        // Keys and values of every token: `[rows, 2·width]` in the wide buffer.
        try project(ws.normalized, rows: rows, through: keyValue, into: ws.wide, workspace: ws)
        let width = self.width, heads = self.heads
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let pairs = sequences * heads
        let workers = min(ws.workers, ComputeThreads.count, pairs)
        let keyValues = SendablePointer(ws.wide), context = SendableMutablePointer(ws.context)
        let scoresBase = SendableMutablePointer(ws.scores)
        query.withUnsafeBufferPointer { query in
            guard let queryBase = query.baseAddress else { return }
            let q = SendablePointer(queryBase)
            ComputeThreads.parallel(workers) { worker in
                var pair = worker
                while pair < pairs {
                    let s = pair / heads, h = pair % heads
                    let keys = keyValues.base + s * tokens * 2 * width + h * headWidth
                    rowAttention(query: q.base + h * headWidth, keys: keys, values: keys + width, stride: 2 * width,
                                 count: tokens, headWidth: headWidth, scale: scale,
                                 scores: scoresBase.base + worker * tokens,
                                 output: context.base + s * width + h * headWidth)
                    pair += workers
                }
            }
        }
        try project(ws.context, rows: sequences, through: output, into: pooled, workspace: ws)
    }
}

extension AttentionalPooler {
    /// The tensors of an ``AttentionalPooler`` under a prefix (`visual.attn_pool.`): `query`
    /// `[queries, width]`, `ln_q` `[width]`, `ln_k` `[towerWidth]`, the `nn.MultiheadAttention`'s
    /// in-projection (separate `q_proj_weight` `[width, width]`, `k_proj_weight` and `v_proj_weight`
    /// `[width, towerWidth]` when the widths differ, else one `in_proj_weight` `[3·width, width]`)
    /// with `in_proj_bias` `[3·width]`, and `out_proj`.
    struct Binding: Sendable {
        enum InProjection: Sendable {
            case packed(WeightBinding)
            case separate(query: WeightBinding, keyValue: WeightBinding)
        }

        let width: Int
        let towerWidth: Int
        let heads: Int
        var queries: WeightBinding
        var queryNorm: LayerNorm.Binding
        var keyNorm: LayerNorm.Binding
        var inProjection: InProjection
        var inProjectionBias: WeightBinding
        var outProjection: LinearLayer.Binding

        init(prefix: String, width: Int, towerWidth: Int, queries: Int, heads: Int) {
            self.width = width
            self.towerWidth = towerWidth
            self.heads = heads
            let p = prefix + "attn_pool."
            self.queries = .direct(p + "query", [queries, width])
            queryNorm = LayerNorm.Binding(p + "ln_q", width: width)
            keyNorm = LayerNorm.Binding(p + "ln_k", width: towerWidth)
            if width == towerWidth {
                inProjection = .packed(.direct(p + "attn.in_proj_weight", [3 * width, width]))
            } else {
                inProjection = .separate(
                    query: .direct(p + "attn.q_proj_weight", [width, width]),
                    keyValue: WeightBinding(sources: [(p + "attn.k_proj_weight", [width, towerWidth]),
                                                      (p + "attn.v_proj_weight", [width, towerWidth])],
                                            assembly: .concatenateRows, shape: [2 * width, towerWidth]))
            }
            inProjectionBias = .direct(p + "attn.in_proj_bias", [3 * width])
            outProjection = LinearLayer.Binding(p + "attn.out_proj", outputs: width, inputs: width)
        }

        /// The in-projection's keys, for errors.
        var inProjectionNames: String {
            switch inProjection {
            case let .packed(weight): return weight.sources.map(\.key).joined(separator: ", ")
            case let .separate(query, keyValue): return (query.sources + keyValue.sources).map(\.key).joined(separator: ", ")
            }
        }

        var all: [WeightBinding] {
            let projection: [WeightBinding]
            switch inProjection {
            case let .packed(weight): projection = [weight]
            case let .separate(query, keyValue): projection = [query, keyValue]
            }
            return [queries] + queryNorm.all + keyNorm.all + projection
                + [inProjectionBias] + outProjection.all
        }

        /// The number of parameters.
        static func parameterCount(width e: Int, towerWidth w: Int, queries: Int) -> Int {
            queries * e + 2 * e + 2 * w + e * e + 2 * e * w + 3 * e + e * e + e
        }
    }
}
