import Foundation
import Testing
import TensorCore

@Suite struct PackedMatrixTests {
    /// `base + x·Wᵀ` in Double, `x` `[m, k]`, `w` `[n, k]`.
    func reference(_ x: [Float], _ w: [Float], base: [Float], m: Int, n: Int, k: Int, outputStride: Int) -> [Double] {
        var out = base.map(Double.init)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(x[i * k + p]) * Double(w[j * k + p]) }
                out[i * outputStride + j] += s
            }
        }
        return out
    }

    @Test("packed x·Wᵀ accumulates into the output like cblas, for few and many rows and odd shapes",
          arguments: [(1, 7, 5), (37, 530, 400), (50, 2304 / 8, 768 / 4), (1100, 96, 200), (3, 1030, 1000)])
    func packedProductMatchesReference(m: Int, n: Int, k: Int) throws {
        let x = try randomTensor([m * k], seed: 41).scalars, w = try randomTensor([n * k], seed: 42).scalars
        let stride = n + 5
        let base = try randomTensor([m * stride], seed: 43).scalars
        guard let packed = w.withUnsafeBufferPointer({ PackedMatrix(packing: $0.baseAddress!, rows: n, columns: k) }) else {
            // Without OpenBLAS's internal routines there is no packed path; callers fall back.
            #expect(!PackedMatrix.isAvailable)
            return
        }
        #expect(packed.rows == n && packed.columns == k)
        var out = base
        x.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                packed.accumulateProduct(x.baseAddress!, m: m, inputStride: k, into: o.baseAddress!, outputStride: stride)
            }
        }
        let expected = reference(x, w, base: base, m: m, n: n, k: k, outputStride: stride)
        var worst = 0.0
        for i in out.indices { worst = max(worst, abs(Double(out[i]) - expected[i])) }
        #expect(worst <= matmulTolerance(k: k), "worst |diff| \(worst)")
    }

    @Test func availableWithThisMachinesOpenBLAS() {
        // Debian's OpenBLAS (dynamic core selection) exports the routines; other builds may not.
        if BLASRuntime.coreName.lowercased() == "cooperlake" || BLASRuntime.coreName.lowercased() == "skylakex" {
            #expect(PackedMatrix.isAvailable)
        }
        #expect(PackedMatrix(packing: [Float](repeating: 1, count: 4), rows: 0, columns: 4) == nil)
    }
}
