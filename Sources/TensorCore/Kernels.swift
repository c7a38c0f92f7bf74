import CLIPSupport
import COpenBLAS

/// Raw-pointer kernels behind the `Tensor` operations, for hot loops that reuse their own
/// buffers (the model layers call these directly). Every kernel works on contiguous row-major
/// Float32 memory, handles lengths that are not multiples of the SIMD width, and allocates nothing.
///
/// The caller guarantees that every pointer covers the extents it passes.
package enum Kernels {
    /// The SIMD vector used by the elementwise kernels.
    package typealias Vector = SIMD16<Float>
    /// The integer vector with the same lane count, for bit manipulation.
    package typealias IntVector = SIMD16<Int32>
    @usableFromInline static let width = Vector.scalarCount

    // MARK: Matrix products

    /// `C = alpha · op(A) · op(B) + beta · C` through `cblas_sgemm` (row-major).
    ///
    /// `op(A)` is `[m, k]` (A stored `[m, k]`, or `[k, m]` when `transposeA`), `op(B)` is `[k, n]`
    /// (B stored `[k, n]`, or `[n, k]` when `transposeB`), C is `[m, n]`. `lda`, `ldb`, `ldc` are
    /// the row strides of the stored matrices.
    ///
    /// Products of at least ``parallelThreshold`` multiply-adds are split into blocks of columns
    /// of C (or of rows, when C is narrow) that run on ``ComputeThreads/count`` threads, each one
    /// single-threaded OpenBLAS call; smaller ones run on the calling thread. The split needs
    /// ``ComputeThreads/configure()`` to have run (it sets OpenBLAS's own pool to one thread);
    /// before, each product is one OpenBLAS call.
    package static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            // An empty inner dimension: the product is zero.
            for row in 0..<m {
                let out = c + row * ldc
                if beta == 0 { out.update(repeating: 0, count: n) } else { scale(out, count: n, by: beta) }
            }
            return
        }
        // Until ComputeThreads.configure() has set OpenBLAS's pool to one thread, a product is
        // one OpenBLAS call, threaded (or not) as the process set OpenBLAS up.
        let workers = ComputeThreads.count
        guard workers > 1, m * n * k >= parallelThreshold, ComputeThreads.isConfigured else {
            sgemm(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        // The blocks write disjoint parts of C.
        let a = SendablePointer(a), b = SendablePointer(b), c = SendableMutablePointer(c)
        // Tall products split by rows (each thread packs only its rows of A; B's packing is
        // amortized over many rows); short ones by columns (each thread packs half of B).
        if m < rowSplitMinimum, n >= 2 * minimumBlockColumns {
            ComputeThreads.forEachChunk(of: n, minimumChunk: minimumBlockColumns, alignment: 16) { columns in
                let a = a.base, b = b.base, c = c.base
                // Columns of op(B): rows of B when transposed, else columns.
                let block = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
                sgemm(transposeA, transposeB, m, columns.count, k, alpha, a, lda, block, ldb, beta,
                      c + columns.lowerBound, ldc)
            }
        } else {
            ComputeThreads.forEachChunk(of: m, minimumChunk: 16, alignment: 16) { rows in
                let a = a.base, b = b.base, c = c.base
                // Rows of op(A): columns of A when transposed, else rows.
                let block = transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda
                sgemm(transposeA, transposeB, rows.count, n, k, alpha, block, lda, b, ldb, beta,
                      c + rows.lowerBound * ldc, ldc)
            }
        }
    }

    /// Scores the `rows` rows of `matrix` (`[rows, k]`, row stride `k`) against `queryCount`
    /// queries (`[queryCount, k]`): `scores[r * queryCount + q] = dot(matrix[r], queries[q])`,
    /// `scores` being `[rows, queryCount]`. Split by rows over the compute threads, each block one
    /// single-threaded OpenBLAS call (`sgemv` for one query): the products of a search over
    /// stored embeddings, which are bound by memory bandwidth.
    package static func scoreRows(
        _ matrix: UnsafePointer<Float>, rows: Int, k: Int,
        queries: UnsafePointer<Float>, queryCount: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        guard rows > 0, queryCount > 0, k > 0 else { return }
        let a = SendablePointer(matrix), b = SendablePointer(queries), c = SendableMutablePointer(scores)
        let run: @Sendable (Range<Int>) -> Void = { block in
            let a = a.base + block.lowerBound * k, b = b.base, c = c.base + block.lowerBound * queryCount
            if queryCount == 1 {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(block.count), Int32(k), 1, a, Int32(k), b, 1, 0, c, 1)
            } else {
                sgemm(false, true, block.count, queryCount, k, 1, a, k, b, k, 0, c, queryCount)
            }
        }
        guard ComputeThreads.isConfigured, rows * k * queryCount >= parallelThreshold else {
            run(0..<rows)
            return
        }
        ComputeThreads.forEachChunk(of: rows, minimumChunk: 4096, alignment: 16, run)
    }

    /// Products smaller than this many multiply-adds run on one thread: splitting them costs
    /// more in hand-offs than it saves (about 50 µs of work).
    package static let parallelThreshold = 1 << 21
    /// The narrowest column block a product is split into.
    static let minimumBlockColumns = 64
    /// Products with at least this many rows are split by rows.
    static let rowSplitMinimum = 512

    @inline(__always)
    static func sgemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)),
            beta, c, Int32(max(ldc, 1)))
    }

    // MARK: Elementwise

    /// `x[i] += y[i]` for `count` elements.
    @inlinable
    package static func add(_ y: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + width <= count {
            let sum = load(x + i) + load(y + i)
            store(sum, x + i)
            i += width
        }
        while i < count { x[i] += y[i]; i += 1 }
    }

    /// `x[i] *= y[i]` for `count` elements.
    @inlinable
    package static func multiply(_ x: UnsafeMutablePointer<Float>, by y: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + width <= count {
            store(load(x + i) * load(y + i), x + i)
            i += width
        }
        while i < count { x[i] *= y[i]; i += 1 }
    }

    /// `x[i] *= factor` for `count` elements.
    @inlinable
    package static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        var i = 0
        let f = Vector(repeating: factor)
        while i + width <= count {
            store(load(x + i) * f, x + i)
            i += width
        }
        while i < count { x[i] *= factor; i += 1 }
    }

    /// Adds `bias` (`[width]`) to each of `rows` rows of `x` (`[rows, width]`).
    @inlinable
    package static func addBias(
        _ bias: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, rows: Int, width: Int
    ) {
        for row in 0..<rows { add(bias, to: x + row * width, count: width) }
    }

    // MARK: Activations

    /// GELU in its exact (erf) form, `x · Φ(x) = 0.5 · x · (1 + erf(x / √2))`, in place.
    /// Matches `torch.nn.functional.gelu` (approximate="none") to within a few ulp.
    package static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let half = Vector(repeating: 0.5)
        let invSqrt2 = Vector(repeating: 0.707_106_781_186_547_5)
        var i = 0
        while i + width <= count {
            let v = load(x + i)
            store(half * v * onePlusErf(v * invSqrt2), x + i)
            i += width
        }
        if i < count { tail(x + i, count: count - i) { half * $0 * onePlusErf($0 * invSqrt2) } }
    }

    /// QuickGELU, `x · sigmoid(1.702 · x)`, in place (OpenAI CLIP's activation).
    package static func quickGELU(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let k = Vector(repeating: -1.702)
        var i = 0
        while i + width <= count {
            let v = load(x + i)
            store(v / (1 + exp(v * k)), x + i)
            i += width
        }
        if i < count { tail(x + i, count: count - i) { $0 / (1 + exp($0 * k)) } }
    }

    /// GELU in PyTorch's tanh approximation (`gelu(x, approximate="tanh")`, transformers'
    /// `gelu_pytorch_tanh`, SigLIP's activation), in place:
    /// `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`, computed as the equal
    /// `x / (1 + exp(−2u))` with `u = √(2/π) · (x + 0.044715 · x³)`, accurate in both tails.
    package static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let k = Vector(repeating: -2 * 0.797_884_560_802_865_4)
        let cubic = Vector(repeating: 0.044_715)
        var i = 0
        while i + width <= count {
            let v = load(x + i)
            store(v / (1 + exp(k * (v + cubic * v * v * v))), x + i)
            i += width
        }
        if i < count { tail(x + i, count: count - i) { $0 / (1 + exp(k * ($0 + cubic * $0 * $0 * $0))) } }
    }

    /// SiLU, `x · sigmoid(x)`, in place.
    package static func silu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let k = Vector(repeating: -1)
        var i = 0
        while i + width <= count {
            let v = load(x + i)
            store(v / (1 + exp(v * k)), x + i)
            i += width
        }
        if i < count { tail(x + i, count: count - i) { $0 / (1 + exp($0 * k)) } }
    }

    /// The gating of a SwiGLU MLP: for each of `rows` rows of `gateAndValue` (`2 · width`
    /// values: the gate's `width`, then the value's), `output[i] = silu(gate[i]) · value[i]`
    /// (`output`: `rows × width`, contiguous; it may not overlap the input).
    package static func swiGLU(_ gateAndValue: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                               rows: Int, width columns: Int) {
        let k = Vector(repeating: -1)
        for r in 0..<rows {
            let g = gateAndValue + 2 * r * columns, v = g + columns, out = output + r * columns
            var i = 0
            while i + width <= columns {
                let gv = load(g + i)
                store(gv / (1 + exp(gv * k)) * load(v + i), out + i)
                i += width
            }
            if i < columns {
                // The remainder through the same vector arithmetic (zero-filled lanes).
                var gv = Vector(repeating: 0), vv = Vector(repeating: 0)
                for lane in 0..<(columns - i) {
                    gv[lane] = g[i + lane]
                    vv[lane] = v[i + lane]
                }
                let result = gv / (1 + exp(gv * k)) * vv
                for lane in 0..<(columns - i) { out[i + lane] = result[lane] }
            }
        }
    }

    // MARK: Normalization

    /// Layer normalization of each of `rows` rows of `width` elements:
    /// `(x − mean) / sqrt(var + epsilon) · gamma + beta`, with the biased variance computed in a
    /// second pass around the mean (no catastrophic cancellation). `input` and `output` may be
    /// the same memory.
    package static func layerNorm(
        _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
        rows: Int, width: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        guard width > 0 else { return }
        for row in 0..<rows {
            let x = input + row * width
            let y = output + row * width
            // Mean of the deviations from the first element (a cheap shift that keeps the
            // running sum small when the row has a large common offset), then the mean itself.
            let shift = x[0]
            var shiftedSum = Vector.zero
            let shiftV = Vector(repeating: shift)
            var j = 0
            while j + width16 <= width { shiftedSum += load(x + j) - shiftV; j += width16 }
            var deviation = shiftedSum.sum()
            while j < width { deviation += x[j] - shift; j += 1 }
            let mean = shift + deviation / Float(width)
            // Second pass: sum of squared deviations.
            var acc = Vector.zero
            let m = Vector(repeating: mean)
            var i = 0
            while i + width16 <= width {
                let d = load(x + i) - m
                acc += d * d
                i += width16
            }
            var variance = acc.sum()
            while i < width { let d = x[i] - mean; variance += d * d; i += 1 }
            variance /= Float(width)
            let inv = 1 / (variance + epsilon).squareRoot()
            let invV = Vector(repeating: inv)
            i = 0
            while i + width16 <= width {
                let v = (load(x + i) - m) * invV * load(gamma + i) + load(beta + i)
                store(v, y + i)
                i += width16
            }
            while i < width { y[i] = (x[i] - mean) * inv * gamma[i] + beta[i]; i += 1 }
        }
    }

    @usableFromInline static var width16: Int { Vector.scalarCount }

    /// Softmax of each of `rows` rows of `width` elements, in place, after adding `mask`
    /// (`[rows, width]`, typically `-inf` above the diagonal for causal attention) when given.
    /// A row whose entries are all `-inf` becomes all zeros rather than NaN.
    package static func softmax(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, mask: UnsafePointer<Float>? = nil
    ) {
        guard width > 0 else { return }
        for row in 0..<rows {
            let r = x + row * width
            if let mask { add(mask + row * width, to: r, count: width) }
            let maxValue = maximum(r, count: width)
            guard maxValue > -Float.infinity else {
                r.update(repeating: 0, count: width)
                continue
            }
            let m = Vector(repeating: maxValue)
            var acc = Vector.zero
            var i = 0
            while i + width16 <= width {
                let e = exp(load(r + i) - m)
                store(e, r + i)
                acc += e
                i += width16
            }
            var total = acc.sum()
            if i < width {
                let start = i
                tail(r + start, count: width - start) { exp($0 - m) }
                while i < width { total += r[i]; i += 1 }
            }
            scale(r, count: width, by: 1 / total)
        }
    }

    /// Divides each of `rows` rows of `width` elements by its Euclidean norm (rows of norm zero
    /// are left as they are), in place.
    package static func l2Normalize(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for row in 0..<rows {
            let r = x + row * width
            let norm = dot(r, r, count: width).squareRoot()
            if norm > 0 { scale(r, count: width, by: 1 / norm) }
        }
    }

    // MARK: Reductions

    /// The sum of `count` elements.
    @inlinable
    package static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Vector.zero
        var i = 0
        while i + width <= count { acc += load(x + i); i += width }
        var total = acc.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }

    /// The dot product of two vectors of `count` elements.
    @inlinable
    package static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Vector.zero
        var i = 0
        while i + width <= count { acc += load(x + i) * load(y + i); i += width }
        var total = acc.sum()
        while i < count { total += x[i] * y[i]; i += 1 }
        return total
    }

    /// The largest of `count` elements (`-inf` when `count` is 0).
    package static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Vector(repeating: -.infinity)
        var i = 0
        while i + width <= count { acc = maximum(acc, load(x + i)); i += width }
        var best = acc.max()
        while i < count { best = Swift.max(best, x[i]); i += 1 }
        return best
    }

    // MARK: Layout

    /// Non-overlapping `patch`×`patch` patches of `count` images (`[count, channels, height,
    /// width]` at `images`), flattened for a patch-embedding product (im2col of a convolution
    /// whose stride equals its kernel size): writes `[count, (height/patch)·(width/patch),
    /// channels·patch·patch]` to `output`, patches in row-major grid order, each flattened in
    /// `(channel, y, x)` order, matching a convolution weight `[out, channels, patch, patch]`
    /// reshaped to `[out, channels·patch·patch]`.
    ///
    /// `patch` must be positive and divide `height` and `width`.
    package static func extractPatches(
        _ images: UnsafePointer<Float>, count: Int, channels: Int, height: Int, width: Int, patch p: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        let gridHeight = height / p, gridWidth = width / p
        var out = output
        for image in 0..<count {
            let source = images + image * channels * height * width
            for gy in 0..<gridHeight {
                for gx in 0..<gridWidth {
                    for channel in 0..<channels {
                        for y in 0..<p {
                            out.update(from: source + (channel * height + gy * p + y) * width + gx * p, count: p)
                            out += p
                        }
                    }
                }
            }
        }
    }

    // MARK: Vector helpers

    @inlinable @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inlinable @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inlinable @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// Applies a vector function to a tail shorter than one vector.
    @inline(__always)
    static func tail(_ p: UnsafeMutablePointer<Float>, count: Int, _ f: (Vector) -> Vector) {
        var v = Vector.zero
        for j in 0..<count { v[j] = p[j] }
        let r = f(v)
        for j in 0..<count { p[j] = r[j] }
    }
}
