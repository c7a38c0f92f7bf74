import CLIPSupport
import TensorCore

/// An encoder layer's MLP: `fc2(act(fc1(x)))`, or the gated `fc2(act(x·Wgᵀ + bg) ⊙ (x·Wxᵀ + bx))`
/// (SwiGLU, ``EncoderBlockOptions/gatedMLP``), with an optional LayerNorm of the hidden
/// activations before `fc2` (``EncoderBlockOptions/mlpNorm``). Its names and shapes
/// (``Binding``), loading and forward.
struct MLP: Sendable {
    /// `[mlpWidth, width]` + `[mlpWidth]` (gated: `[2·mlpWidth, width]`, gate rows first).
    let fc1: LinearLayer
    /// The hidden activations' LayerNorm.
    let norm: LayerNorm?
    /// `[width, mlpWidth]` + `[width]`.
    let fc2: LinearLayer
    let hiddenWidth: Int
    let activation: Activation
    let gated: Bool
    let epsilon: Float

    /// The tensors of a layer's MLP, in a layout's names (relative to `prefix`).
    struct Binding: Sendable {
        var fc1: LinearLayer.Binding
        var norm: LayerNorm.Binding?
        var fc2: LinearLayer.Binding

        init(names: CheckpointKeys.LayerNames, prefix p: String, encoder: EncoderArchitecture) {
            let w = encoder.width, hidden = encoder.mlpWidth
            if encoder.layerOptions.gatedMLP {
                fc1 = LinearLayer.Binding(stacking: [p + names.gatedFC1.gate, p + names.gatedFC1.value],
                                          rows: [hidden, hidden], inputs: w)
            } else {
                fc1 = LinearLayer.Binding(p + names.fc1, outputs: hidden, inputs: w)
            }
            if encoder.layerOptions.mlpNorm { norm = LayerNorm.Binding(p + names.mlpNorm, width: hidden) }
            fc2 = LinearLayer.Binding(p + names.fc2, outputs: w, inputs: hidden)
        }

        var all: [WeightBinding] { fc1.all + (norm?.all ?? []) + fc2.all }
    }

    init(_ binding: Binding, encoder: EncoderArchitecture, loader: WeightLoader) throws(CLIPModelError) {
        hiddenWidth = encoder.mlpWidth
        activation = encoder.activation
        gated = encoder.layerOptions.gatedMLP
        epsilon = encoder.layerNormEpsilon
        fc1 = try LinearLayer(binding.fc1, loader: loader)
        norm = try binding.norm.map { (n) throws(CLIPModelError) in try LayerNorm(n, loader: loader) }
        fc2 = try LinearLayer(binding.fc2, loader: loader)
    }

    /// The MLP of `rows` rows of `input` into `out` (`out +=` when `accumulate`). `input` must
    /// not be `workspace.wide`, which holds the hidden activations.
    func apply(input: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>, accumulate: Bool,
               workspace ws: EncoderWorkspace) throws(CLIPModelError) {
        let hiddenWidth = self.hiddenWidth
        if gated {
            // Gate and value in one product ([rows, 2·hidden]), gated into the rows after them.
            try project(input, rows: rows, through: fc1, into: ws.wide, workspace: ws)
            let gatedRows = ws.wide + rows * 2 * hiddenWidth
            let source = SendablePointer(UnsafePointer(ws.wide)), target = SendableMutablePointer(gatedRows)
            forEachRowChunk(rows: rows, width: 2 * hiddenWidth) { range in
                Kernels.swiGLU(source.base + range.lowerBound * 2 * hiddenWidth,
                               into: target.base + range.lowerBound * hiddenWidth, rows: range.count, width: hiddenWidth)
            }
            if let norm {
                layerNorm(gatedRows, into: gatedRows, rows: rows, width: hiddenWidth, weights: norm, epsilon: epsilon)
            }
            try project(gatedRows, rows: rows, through: fc2, into: out, accumulate: accumulate, workspace: ws)
        } else if fc1.readsBFloat16 && norm == nil {
            // The hidden activations go from the first product to the second in bfloat16.
            let staged = fc1.input(from: input, rows: rows, staging: ws.staging, rowScales: ws.rowScales)
            let hidden = ws.wideStaging.assumingMemoryBound(to: UInt16.self)
            try fc1.run(staged, rows: rows, into: .bfloat16(hidden), activation: activation, context: ws.matmul)
            try fc2.run(.bfloat16(hidden), rows: rows, into: .float32(out), accumulate: accumulate, context: ws.matmul)
        } else {
            try project(input, rows: rows, through: fc1, into: ws.wide, activation: activation, workspace: ws)
            if let norm {
                layerNorm(ws.wide, into: ws.wide, rows: rows, width: hiddenWidth, weights: norm, epsilon: epsilon)
            }
            try project(ws.wide, rows: rows, through: fc2, into: out, accumulate: accumulate, workspace: ws)
        }
    }

    var linearLayers: [LinearLayer] { [fc1, fc2] }
}
