import CLIPSupport
import TensorCore

/// SigLIP's attention-pooling head (transformers' `SiglipMultiheadAttentionPoolingHead`): a
/// learned probe attends over every token of an image (`nn.MultiheadAttention` with the
/// encoder's head count), then `x + MLP(LayerNorm(x))`; the result is the image embedding.
///
/// The probe is the same for every image, so its query projection is computed once, when the
/// model opens; per image only the keys and values of its tokens are projected. An int8 model
/// runs the head in Float32 (``ModelPrecision/poolingHead``).
struct AttentionPoolingHead: Sendable {
    let architecture: EncoderArchitecture
    /// The attention heads (SigLIP: the encoder's; PE's head has its own count).
    let heads: Int
    /// `[width]`: `probe · W_qᵀ + b_q`.
    let query: Tensor
    /// `[2·width, width]` + `[2·width]`: the key and value rows of the packed in-projection.
    let keyValue: LinearLayer
    /// `[width, width]` + `[width]`.
    let output: LinearLayer
    let norm: LayerNorm
    /// `[mlpWidth, width]` + `[mlpWidth]`.
    let fc1: LinearLayer
    /// `[width, mlpWidth]` + `[width]`.
    let fc2: LinearLayer
    /// The probe, for ``CLIPModel/fingerprint``.
    let probe: Tensor

    /// The head's tensors under a tower prefix, in a layout's names: the probe `[1, 1, width]`
    /// (read as `[width]`), the query/key/value projections (transformers' packed
    /// `nn.MultiheadAttention`, timm's `q` and `kv` layers), the output projection, the LayerNorm
    /// and the MLP (`[mlpWidth, width]`, `[width, mlpWidth]`).
    struct Binding: Sendable {
        var probe: WeightBinding
        /// `[3·width, width]` + `[3·width]`: query, key and value projections packed.
        var inProjection: LinearLayer.Binding
        var outProjection: LinearLayer.Binding
        var norm: LayerNorm.Binding
        var fc1: LinearLayer.Binding
        var fc2: LinearLayer.Binding
        /// The head's attention heads (SigLIP: the encoder's; PE: its own count).
        var heads: Int
        /// The head's MLP width.
        var mlpWidth: Int

        init(names: CheckpointKeys.HeadNames, prefix: String, width w: Int, heads: Int, mlpWidth: Int) {
            self.heads = heads
            self.mlpWidth = mlpWidth
            let p = prefix + names.prefix
            probe = .direct(p + names.probe, [1, 1, w], as: [w])
            inProjection = .queryKeyValue(names.inProjection, prefix: p, rows: [w, w, w], width: w)
            outProjection = LinearLayer.Binding(p + names.outProjection, outputs: w, inputs: w)
            norm = LayerNorm.Binding(p + names.norm, width: w)
            fc1 = LinearLayer.Binding(p + names.fc1, outputs: mlpWidth, inputs: w)
            fc2 = LinearLayer.Binding(p + names.fc2, outputs: w, inputs: mlpWidth)
        }

        var all: [WeightBinding] { [probe] + inProjection.all + outProjection.all + norm.all + fc1.all + fc2.all }
    }

    init(_ binding: Binding, encoder: EncoderArchitecture, loader: WeightLoader) throws(CLIPModelError) {
        architecture = encoder
        heads = binding.heads
        let w = encoder.width
        let probe = try loader.load(binding.probe)
        let inWeight = try loader.load(binding.inProjection.weight)
        let inBias = try binding.inProjection.bias.map { (b) throws(CLIPModelError) in try loader.load(b) }
        let name = binding.inProjection.name
        do {
            // The query of the probe, in Double and rounded once.
            var query = [Float](repeating: 0, count: w)
            let (weights, probeValues) = (inWeight.scalars, probe.scalars)
            let biases = inBias?.scalars ?? [Float](repeating: 0, count: 3 * w)
            for j in 0..<w {
                var sum = Double(biases[j])
                for c in 0..<w { sum += Double(weights[j * w + c]) * Double(probeValues[c]) }
                query[j] = Float(sum)
            }
            self.query = try Tensor(shape: [w], scalars: query)
            keyValue = try LinearLayer(
                weight: try Tensor(shape: [2 * w, w], scalars: Array(weights[(w * w)...])),
                bias: try Tensor(shape: [2 * w], scalars: Array(biases[w...])), precision: loader.precision.poolingHead,
                name: name)
        } catch let error as CLIPModelError {
            throw error
        } catch {
            throw .weightFile(path: loader.source.sourceDescription, reason: "tensor \"\(name)\": \(error)")
        }
        self.probe = probe
        let precision = loader.precision.poolingHead
        output = try LinearLayer(binding.outProjection, loader: loader, precision: precision)
        norm = try LayerNorm(binding.norm, loader: loader)
        fc1 = try LinearLayer(binding.fc1, loader: loader, precision: precision)
        fc2 = try LinearLayer(binding.fc2, loader: loader, precision: precision)
    }

    var linearLayers: [LinearLayer] { [keyValue, output, fc1, fc2] }

    /// Pools `sequences` sequences of `tokens` tokens (`hidden`, `[sequences, tokens, width]`,
    /// after the post-LayerNorm; read only) into `pooled` (`[sequences, width]`).
    func pool(_ hidden: UnsafePointer<Float>, sequences: Int, tokens: Int, into pooled: UnsafeMutablePointer<Float>,
              workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let width = architecture.width
        let heads = self.heads
        let headWidth = width / heads
        let scale = 1 / Float(headWidth).squareRoot()
        let stride = 2 * width
        // Keys and values of every token: `[sequences·tokens, 2·width]` in the QKV buffer.
        try project(hidden, rows: sequences * tokens, through: keyValue, into: ws.qkv, workspace: ws)
        // One query per head against every token; heads concatenated into `context`.
        let pairs = sequences * heads
        let workers = min(ws.workers, ComputeThreads.count, pairs)
        let keyValues = SendablePointer(ws.qkv), context = SendableMutablePointer(ws.context)
        let scoresBase = SendableMutablePointer(ws.scores)
        query.withUnsafeBufferPointer { query in
            guard let queryBase = query.baseAddress else { return }
            let q = SendablePointer(queryBase)
            ComputeThreads.parallel(workers) { worker in
                let scores = scoresBase.base + worker * tokens
                var pair = worker
                while pair < pairs {
                    let s = pair / heads, h = pair % heads
                    let keys = keyValues.base + s * tokens * stride + h * headWidth
                    let values = keys + width
                    let queryHead = q.base + h * headWidth
                    for j in 0..<tokens {
                        scores[j] = scale * Kernels.dot(queryHead, keys + j * stride, count: headWidth)
                    }
                    Kernels.softmax(scores, rows: 1, width: tokens)
                    let out = context.base + s * width + h * headWidth
                    out.update(repeating: 0, count: headWidth)
                    for j in 0..<tokens { accumulate(scores[j], times: values + j * stride, into: out, count: headWidth) }
                    pair += workers
                }
            }
        }
        // x = out_proj(context); x += MLP(LayerNorm(x)).
        try project(ws.context, rows: sequences, through: output, into: pooled, workspace: ws)
        layerNorm(pooled, into: ws.normalized, rows: sequences, width: width, weights: norm,
                  epsilon: architecture.layerNormEpsilon)
        try project(ws.normalized, rows: sequences, through: fc1, into: ws.wide, activation: architecture.activation,
                    workspace: ws)
        try project(ws.wide, rows: sequences, through: fc2, into: pooled, accumulate: true, workspace: ws)
    }
}
