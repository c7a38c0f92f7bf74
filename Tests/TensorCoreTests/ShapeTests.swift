import Testing
import TensorCore

@Test func concatenateAlongEachAxis() throws {
    let a = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    let b = try Tensor(shape: [1, 2], scalars: [5, 6])
    let c = try Tensor(shape: [2, 1], scalars: [7, 8])
    #expect(try Tensor.concatenate([a, b], axis: 0) == Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]))
    #expect(try Tensor.concatenate([a, c], axis: 1) == Tensor(shape: [2, 3], scalars: [1, 2, 7, 3, 4, 8]))
    #expect(throws: TensorError.shapeMismatch(operation: "concatenate", lhs: [2, 2], rhs: [2, 1])) {
        try Tensor.concatenate([a, c], axis: 0)
    }
    #expect(throws: TensorError.self) { try Tensor.concatenate([], axis: 0) }
    #expect(throws: TensorError.self) { try Tensor.concatenate([a], axis: 2) }
}

@Test func sliceRowsAndTokens() throws {
    let x = try Tensor(shape: [2, 3, 2], scalars: (0..<12).map(Float.init))
    #expect(try x.slice(axis: 1, range: 0..<1) == Tensor(shape: [2, 1, 2], scalars: [0, 1, 6, 7]))
    #expect(try x.slice(axis: 0, range: 1..<2).scalars == (6..<12).map(Float.init))
    #expect(try x.slice(axis: 2, range: 1..<2).scalars == [1, 3, 5, 7, 9, 11])
    #expect(throws: TensorError.indexOutOfRange(operation: "slice", index: 4, axis: 1, shape: [2, 3, 2])) {
        try x.slice(axis: 1, range: 1..<4)
    }
    #expect(throws: TensorError.self) { try x.slice(axis: 3, range: 0..<1) }
}

@Test("transpose of the last two axes", arguments: [[1, 1], [7, 33], [65, 17], [3, 50, 64]])
func transposeLastTwo(shape: [Int]) throws {
    let x = try randomTensor(shape, seed: 70)
    let t = try x.transposedLastTwoAxes()
    let m = shape[shape.count - 2], n = shape[shape.count - 1]
    #expect(t.shape == Array(shape.dropLast(2)) + [n, m])
    let xv = x.scalars, tv = t.scalars
    for b in 0..<(x.count / (m * n)) {
        for i in 0..<m { for j in 0..<n { #expect(tv[b * m * n + j * m + i] == xv[b * m * n + i * n + j]) } }
    }
    #expect(throws: TensorError.self) { try Tensor(shape: [3]).transposedLastTwoAxes() }
}

/// (8 × 12 in 4-px patches tiles exactly; 9 × 14 leaves a remainder the convolution never reads,
/// as 384 px in 14-px patches does.)
@Test(arguments: [(8, 12), (9, 14)])
func patchesMatchConvolution(h: Int, w: Int) throws {
    // A stride-p convolution computed directly equals patches · Wᵀ.
    let (n, c, p, out) = (2, 3, 4, 5)
    let images = try randomTensor([n, c, h, w], seed: 80)
    let weight = try randomTensor([out, c, p, p], seed: 81)
    let patches = try images.patches(size: p)
    #expect(patches.shape == [n, (h / p) * (w / p), c * p * p])
    let conv = try patches.linear(weight: try weight.reshaped([out, c * p * p]))
    let iv = images.scalars, wv = weight.scalars, cv = conv.scalars
    for img in 0..<n {
        for gy in 0..<(h / p) {
            for gx in 0..<(w / p) {
                for o in 0..<out {
                    var s = 0.0
                    for ch in 0..<c { for y in 0..<p { for x in 0..<p {
                        s += Double(iv[((img * c + ch) * h + gy * p + y) * w + gx * p + x]) * Double(wv[((o * c + ch) * p + y) * p + x])
                    } } }
                    let got = cv[((img * (h / p) + gy) * (w / p) + gx) * out + o]
                    #expect(abs(Double(got) - s) <= 1e-4)
                }
            }
        }
    }
    #expect(throws: TensorError.self) { try images.patches(size: h + 1) }
    #expect(throws: TensorError.self) { try images.patches(size: 0) }
    #expect(throws: TensorError.self) { try Tensor(shape: [3, 8, 8]).patches(size: 4) }
}

@Test func gatherRowsIsAnEmbeddingLookup() throws {
    let table = try Tensor(shape: [4, 2], scalars: [0, 1, 10, 11, 20, 21, 30, 31])
    #expect(try table.gatherRows([3, 0, 3]) == Tensor(shape: [3, 2], scalars: [30, 31, 0, 1, 30, 31]))
    #expect(try table.gatherRows([]).shape == [0, 2])
    #expect(throws: TensorError.indexOutOfRange(operation: "gatherRows", index: 4, axis: 0, shape: [4, 2])) {
        try table.gatherRows([1, 4])
    }
    #expect(throws: TensorError.indexOutOfRange(operation: "gatherRows", index: -1, axis: 0, shape: [4, 2])) {
        try table.gatherRows([-1])
    }
}
