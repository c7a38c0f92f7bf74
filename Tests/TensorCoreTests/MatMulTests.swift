import Testing
import TensorCore

/// Reference: plain triple loop in Double.
func referenceMatMul(
    _ a: [Float], _ b: [Float], m: Int, k: Int, n: Int, transposeB: Bool
) -> [Double] {
    var out = [Double](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let bv = transposeB ? b[j * k + p] : b[p * n + j]
                s += Double(a[i * k + p]) * Double(bv)
            }
            out[i * n + j] = s
        }
    }
    return out
}

// Tolerance for Float32 products of length k with inputs in [-2, 2]: absolute 1e-4·sqrt(k)
// (rounding grows with the accumulation length) plus relative 1e-5.
func matmulTolerance(k: Int) -> Double { 1e-4 * Double(max(k, 1)).squareRoot() }

@Test("matmul [M,K]·[K,N] against Double reference", arguments: [
    (1, 1, 1), (7, 33, 65), (33, 7, 1), (65, 17, 33), (50, 768, 64), (3, 0, 5),
])
func matmulMatchesReference(m: Int, k: Int, n: Int) throws {
    let a = try randomTensor([m, k], seed: 1), b = try randomTensor([k, n], seed: 2)
    let c = try a.matmul(b)
    #expect(c.shape == [m, n])
    let expected = referenceMatMul(a.scalars, b.scalars, m: m, k: k, n: n, transposeB: false)
    #expect(firstMismatch(c.scalars, expected, absolute: matmulTolerance(k: k), relative: 1e-5) == nil)
}

@Test("matmul(transposed:) [M,K]·[N,K]ᵀ against Double reference", arguments: [
    (1, 1, 1), (7, 33, 65), (65, 7, 33), (50, 768, 768),
])
func matmulTransposedMatchesReference(m: Int, k: Int, n: Int) throws {
    let a = try randomTensor([m, k], seed: 3), b = try randomTensor([n, k], seed: 4)
    let c = try a.matmul(transposed: b)
    #expect(c.shape == [m, n])
    let expected = referenceMatMul(a.scalars, b.scalars, m: m, k: k, n: n, transposeB: true)
    #expect(firstMismatch(c.scalars, expected, absolute: matmulTolerance(k: k), relative: 1e-5) == nil)
}

@Test("ViT-B/32 MLP shape [1600,768]·[3072,768]ᵀ, sampled entries against Double")
func largeMatmulSampled() throws {
    let m = 1600, k = 768, n = 3072
    let a = try randomTensor([m, k], seed: 5), b = try randomTensor([n, k], seed: 6)
    let c = try a.matmul(transposed: b)
    #expect(c.shape == [m, n])
    let av = a.scalars, bv = b.scalars, cv = c.scalars
    var rng = SplitMix64(seed: 7)
    for _ in 0..<300 {
        let i = Int.random(in: 0..<m, using: &rng), j = Int.random(in: 0..<n, using: &rng)
        var s = 0.0
        for p in 0..<k { s += Double(av[i * k + p]) * Double(bv[j * k + p]) }
        #expect(abs(Double(cv[i * n + j]) - s) <= matmulTolerance(k: k) + 1e-5 * abs(s), "entry (\(i),\(j))")
    }
}

@Test("batched matmul [B,M,K]·[B,K,N] and [B,M,K]·[B,N,K]ᵀ", arguments: [(1, 1, 1, 1), (3, 7, 33, 5), (12, 50, 64, 50)])
func batchedMatmul(batch: Int, m: Int, k: Int, n: Int) throws {
    let a = try randomTensor([batch, m, k], seed: 8)
    let b = try randomTensor([batch, k, n], seed: 9)
    let bt = try randomTensor([batch, n, k], seed: 10)
    let c = try a.matmul(b), ct = try a.matmul(transposed: bt)
    #expect(c.shape == [batch, m, n] && ct.shape == [batch, m, n])
    let av = a.scalars, bv = b.scalars, btv = bt.scalars
    for s in 0..<batch {
        let aSlice = Array(av[(s * m * k)..<((s + 1) * m * k)])
        let e1 = referenceMatMul(aSlice, Array(bv[(s * k * n)..<((s + 1) * k * n)]), m: m, k: k, n: n, transposeB: false)
        let e2 = referenceMatMul(aSlice, Array(btv[(s * k * n)..<((s + 1) * k * n)]), m: m, k: k, n: n, transposeB: true)
        let got1 = Array(c.scalars[(s * m * n)..<((s + 1) * m * n)])
        let got2 = Array(ct.scalars[(s * m * n)..<((s + 1) * m * n)])
        #expect(firstMismatch(got1, e1, absolute: matmulTolerance(k: k), relative: 1e-5) == nil)
        #expect(firstMismatch(got2, e2, absolute: matmulTolerance(k: k), relative: 1e-5) == nil)
    }
}

@Test("linear x·Wᵀ + b over leading axes", arguments: [(1, 1, 1, 1), (2, 7, 33, 65), (1, 50, 768, 96)])
func linearMatchesReference(batch: Int, rows: Int, inputs: Int, outputs: Int) throws {
    let x = try randomTensor([batch, rows, inputs], seed: 11)
    let w = try randomTensor([outputs, inputs], seed: 12)
    let b = try randomTensor([outputs], seed: 13)
    let y = try x.linear(weight: w, bias: b)
    #expect(y.shape == [batch, rows, outputs])
    var expected = referenceMatMul(x.scalars, w.scalars, m: batch * rows, k: inputs, n: outputs, transposeB: true)
    let bv = b.scalars
    for i in expected.indices { expected[i] += Double(bv[i % outputs]) }
    #expect(firstMismatch(y.scalars, expected, absolute: matmulTolerance(k: inputs), relative: 1e-5) == nil)
    // Without bias.
    let y0 = try x.linear(weight: w)
    let e0 = referenceMatMul(x.scalars, w.scalars, m: batch * rows, k: inputs, n: outputs, transposeB: true)
    #expect(firstMismatch(y0.scalars, e0, absolute: matmulTolerance(k: inputs), relative: 1e-5) == nil)
}

@Test func matmulShapeErrorsNameBothShapes() throws {
    let a = try Tensor(shape: [2, 3]), b = try Tensor(shape: [4, 5])
    #expect(throws: TensorError.shapeMismatch(operation: "matmul", lhs: [2, 3], rhs: [4, 5])) { try a.matmul(b) }
    #expect(throws: TensorError.shapeMismatch(operation: "matmul(transposed:)", lhs: [2, 3], rhs: [4, 5])) {
        try a.matmul(transposed: b)
    }
    let batchA = try Tensor(shape: [2, 3, 4]), batchB = try Tensor(shape: [3, 4, 5])
    #expect(throws: TensorError.shapeMismatch(operation: "matmul", lhs: [2, 3, 4], rhs: [3, 4, 5])) {
        try batchA.matmul(batchB)
    }
    #expect(throws: TensorError.self) { try a.matmul(batchB) }
    #expect(throws: TensorError.self) { try Tensor(shape: [3]).matmul(b) }
    // linear: wrong input width, wrong weight rank, wrong bias.
    let w = try Tensor(shape: [5, 4])
    #expect(throws: TensorError.shapeMismatch(operation: "linear", lhs: [2, 3], rhs: [5, 4])) { try a.linear(weight: w) }
    #expect(throws: TensorError.self) { try a.linear(weight: try Tensor(shape: [3])) }
    #expect(throws: TensorError.self) { try a.linear(weight: try Tensor(shape: [5, 3]), bias: try Tensor(shape: [4])) }
    #expect(throws: TensorError.self) { try Tensor(scalar: 1).linear(weight: w) }
}

@Test func emptyInnerDimensionGivesZeros() throws {
    let a = try Tensor(shape: [3, 0]), b = try Tensor(shape: [0, 4])
    let c = try a.matmul(b)
    #expect(c.shape == [3, 4] && c.scalars.allSatisfy { $0 == 0 })
    let y = try a.linear(weight: try Tensor(shape: [2, 0]), bias: try Tensor(shape: [2], scalars: [1, 2]))
    #expect(y.scalars == [1, 2, 1, 2, 1, 2])
}

@Test("Kernels.gemm split over threads: every transpose combination, strides and beta, against Double",
      arguments: [(600, 40, 100), (60, 300, 200), (700, 260, 30)])
func threadedGEMMMatchesReference(m: Int, n: Int, k: Int) throws {
    // The split needs OpenBLAS's own pool at one thread.
    ComputeThreads.configure()
    #expect(m * n * k >= Kernels.parallelThreshold)
    let a = try randomTensor([m * k], seed: 31).scalars, b = try randomTensor([k * n], seed: 32).scalars
    let c0 = try randomTensor([m * (n + 3)], seed: 33).scalars
    for transposeA in [false, true] {
        for transposeB in [false, true] {
            // C has 3 spare columns per row (ldc = n + 3) that must stay untouched.
            var c = c0
            let lda = transposeA ? m : k, ldb = transposeB ? k : n, ldc = n + 3
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        Kernels.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                                     a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb, beta: 1,
                                     c: c.baseAddress!, ldc: ldc)
                    }
                }
            }
            var worst = 0.0
            for i in 0..<m {
                for j in 0..<(n + 3) {
                    var expected = Double(c0[i * ldc + j])
                    if j < n {
                        var s = 0.0
                        for p in 0..<k {
                            let av = transposeA ? a[p * m + i] : a[i * k + p]
                            let bv = transposeB ? b[j * k + p] : b[p * n + j]
                            s += Double(av) * Double(bv)
                        }
                        expected += 0.5 * s
                    }
                    worst = max(worst, abs(Double(c[i * ldc + j]) - expected))
                }
            }
            #expect(worst <= matmulTolerance(k: k), "transposeA \(transposeA) transposeB \(transposeB): \(worst)")
        }
    }
}
