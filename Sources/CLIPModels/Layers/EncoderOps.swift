import CLIPSupport
import TensorCore

// The raw-buffer operations the encoder layers are made of: products through a layer, row-chunked
// loops on the compute threads, one head's attention, layer norm. Each works on memory its caller
// owns (usually an `EncoderWorkspace`'s buffers) and allocates nothing.

/// `out = act(x · Wᵀ + b)` (or `out += x · Wᵀ + b` when `accumulate`) through `layer`, with `x`
/// (`[rows, layer.inputs]`, Float32) converted to the layer's input format in the workspace.
func project(_ x: UnsafePointer<Float>, rows: Int, through layer: LinearLayer, into out: UnsafeMutablePointer<Float>,
             accumulate: Bool = false, activation: Activation? = nil, workspace ws: EncoderWorkspace) throws(CLIPModelError) {
    let input = layer.input(from: x, rows: rows, staging: ws.staging, rowScales: ws.rowScales)
    try layer.run(input, rows: rows, into: .float32(out), accumulate: accumulate, activation: activation,
                  context: ws.matmul)
}

/// Runs `body` over chunks of `rows` rows of `width` elements on the compute threads, or over
/// all rows on the calling thread when there is too little work to share (under 64 K elements
/// per thread).
func forEachRowChunk(rows: Int, width: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let minimumRows = max(1, (1 << 16) / max(width, 1))
    ComputeThreads.forEachChunk(of: rows, minimumChunk: minimumRows, body)
}

/// One head's attention with BLAS: `scores = scale · Q·Kᵀ` (`[tokens, tokens]`), row softmax
/// (lower triangle only when causal; keys whose `keyMask` entry is false get no weight in any
/// row), `output = scores · V`.
func blasAttention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int,
                   tokens: Int, headWidth: Int, scale: Float, causal: Bool, keyMask: [Bool]? = nil,
                   scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, outputStride: Int) {
    Kernels.gemm(transposeB: true, m: tokens, n: tokens, k: headWidth, alpha: scale,
                 a: q, lda: stride, b: k, ldb: stride, beta: 0, c: scores, ldc: tokens)
    if let keyMask {
        for j in 0..<tokens where !keyMask[j] {
            for i in 0..<tokens { scores[i * tokens + j] = -.infinity }
        }
    }
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

/// One query row's attention: `scores = scale · q·Kᵀ` over `count` keys (rows `stride` apart;
/// a key whose `visible` entry is false gets no weight), softmax, `output = scores · V`
/// (`headWidth` values).
func rowAttention(query: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>, stride: Int,
                  count: Int, visible: [Bool]? = nil, headWidth: Int, scale: Float,
                  scores: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
    for j in 0..<count {
        scores[j] = visible?[j] == false ? -.infinity : scale * Kernels.dot(query, keys + j * stride, count: headWidth)
    }
    Kernels.softmax(scores, rows: 1, width: count)
    output.update(repeating: 0, count: headWidth)
    for j in 0..<count where visible?[j] != false {
        accumulate(scores[j], times: values + j * stride, into: output, count: headWidth)
    }
}

/// `y += a · x` for `count` elements.
@inline(__always)
func accumulate(_ a: Float, times x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
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
