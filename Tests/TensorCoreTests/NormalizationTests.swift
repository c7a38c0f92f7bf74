import Foundation
import Testing
import TensorCore

@Test("layer norm against Double reference", arguments: [[1, 1], [3, 7], [5, 33], [2, 65], [50, 768], [77, 512], [1600, 3072]])
func layerNormMatchesReference(shape: [Int]) throws {
    let (rows, width) = (shape[0], shape[1])
    // An offset of 100 checks the variance is computed around the mean, not as E[x²]−E[x]².
    let x = try randomTensor(shape, seed: 30, in: 98...102)
    let w = try randomTensor([width], seed: 31), b = try randomTensor([width], seed: 32)
    let y = try x.layerNormalized(weight: w, bias: b, epsilon: 1e-5)
    let xv = x.scalars, wv = w.scalars, bv = b.scalars
    var expected = [Double](repeating: 0, count: rows * width)
    for r in 0..<rows {
        let row = (0..<width).map { Double(xv[r * width + $0]) }
        let mean = row.reduce(0, +) / Double(width)
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
        for c in 0..<width {
            expected[r * width + c] = (row[c] - mean) / (variance + 1e-5).squareRoot() * Double(wv[c]) + Double(bv[c])
        }
    }
    // Inputs near 100 carry Float32 rounding of ~4e-6 each, amplified by 1/std (~0.9): 5e-5 absolute.
    #expect(firstMismatch(y.scalars, expected, absolute: 5e-5, relative: 1e-5) == nil)
}

@Test("softmax over the last axis against Double", arguments: [[1, 1], [4, 7], [3, 33], [2, 65], [50, 768], [1600, 3072]])
func softmaxMatchesReference(shape: [Int]) throws {
    let (rows, width) = (shape[0], shape[1])
    let x = try randomTensor(shape, seed: 40, in: -20...20)
    let y = try x.softmax()
    let xv = x.scalars
    var expected = [Double](repeating: 0, count: rows * width)
    for r in 0..<rows {
        let row = (0..<width).map { Double(xv[r * width + $0]) }
        let m = row.max()!
        let e = row.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        for c in 0..<width { expected[r * width + c] = e[c] / s }
    }
    #expect(firstMismatch(y.scalars, expected, absolute: 1e-7, relative: 2e-6) == nil)
}

@Test("causal-masked softmax over [heads, T, T]", arguments: [1, 7, 17, 77])
func causalSoftmax(tokens: Int) throws {
    let heads = 3
    let x = try randomTensor([heads, tokens, tokens], seed: 41, in: -5...5)
    let mask = try Tensor.causalMask(tokens: tokens)
    let y = try x.softmax(mask: mask).scalars
    let xv = x.scalars
    for h in 0..<heads {
        for r in 0..<tokens {
            let base = (h * tokens + r) * tokens
            let visible = (0...r).map { Double(xv[base + $0]) }
            let m = visible.max()!
            let s = visible.map { Foundation.exp($0 - m) }.reduce(0, +)
            for c in 0..<tokens {
                let e = c <= r ? Foundation.exp(Double(xv[base + c]) - m) / s : 0
                #expect(abs(Double(y[base + c]) - e) <= 1e-7 + 2e-6 * e)
            }
        }
    }
    // A row that is entirely masked gives zeros, not NaN.
    let allMasked = try Tensor(shape: [2], repeating: -.infinity)
    #expect(try Tensor(shape: [1, 2], scalars: [1, 2]).softmax(mask: allMasked).scalars == [0, 0])
    #expect(throws: TensorError.shapeMismatch(operation: "softmax (mask)", lhs: [heads, tokens, tokens], rhs: [tokens + 1])) {
        try x.softmax(mask: try Tensor(shape: [tokens + 1]))
    }
}

@Test("L2 normalize rows", arguments: oddLengths)
func l2Normalize(width: Int) throws {
    let x = try randomTensor([4, width], seed: 50)
    let y = try x.l2Normalized().scalars, xv = x.scalars
    for r in 0..<4 {
        let row = (0..<width).map { Double(xv[r * width + $0]) }
        let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
        for c in 0..<width { #expect(abs(Double(y[r * width + c]) - row[c] / norm) <= 1e-6) }
    }
    #expect(try Tensor(shape: [1, 3]).l2Normalized().scalars == [0, 0, 0])
}

@Test func normalizationShapeErrors() throws {
    let x = try Tensor(shape: [2, 4])
    #expect(throws: TensorError.shapeMismatch(operation: "layerNormalized (weight)", lhs: [2, 4], rhs: [3])) {
        try x.layerNormalized(weight: try Tensor(shape: [3]), bias: try Tensor(shape: [4]))
    }
    #expect(throws: TensorError.shapeMismatch(operation: "layerNormalized (bias)", lhs: [2, 4], rhs: [5])) {
        try x.layerNormalized(weight: try Tensor(shape: [4]), bias: try Tensor(shape: [5]))
    }
    #expect(throws: TensorError.self) { try Tensor(scalar: 1).softmax() }
    #expect(throws: TensorError.self) { try Tensor(scalar: 1).l2Normalized() }
}

@Test("GELU (erf form) and QuickGELU against Double", arguments: oddLengths + [1600 * 3072])
func activations(length: Int) throws {
    let x = try randomTensor([length], seed: 60, in: -12...12)
    let xv = x.scalars.map(Double.init)
    let gelu = xv.map { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
    let quick = xv.map { $0 / (1 + Foundation.exp(-1.702 * $0)) }
    // Absolute 2e-6 covers the erf approximation (|Δerf| ≤ 1.5e-7, times |x|/2 ≤ 6); relative 1e-6.
    #expect(firstMismatch(x.gelu().scalars, gelu, absolute: 2e-6, relative: 1e-6) == nil)
    #expect(firstMismatch(x.quickGELU().scalars, quick, absolute: 1e-6, relative: 2e-6) == nil)
}

@Test("GELU (tanh approximation) against Double's tanh formula", arguments: oddLengths + [1600 * 3072])
func geluTanhActivation(length: Int) throws {
    let x = try randomTensor([length], seed: 61, in: -12...12)
    let c = (2 / Double.pi).squareRoot()
    let expected = x.scalars.map(Double.init).map { 0.5 * $0 * (1 + Foundation.tanh(c * ($0 + 0.044715 * $0 * $0 * $0))) }
    #expect(firstMismatch(x.geluTanh().scalars, expected, absolute: 1e-6, relative: 2e-6) == nil)
    // torch 2.15 gelu(x, approximate="tanh") in float64 at a few points.
    let points = try Tensor(shape: [5], scalars: [-3, -1, 0, 0.5, 2]).geluTanh().scalars
    let torch: [Double] = [-0.0036373, -0.1588080, 0, 0.3457140, 1.9545977]
    #expect(firstMismatch(points, torch, absolute: 1e-6, relative: 1e-6) == nil)
}

@Test func activationsHandleExtremes() throws {
    let x = try Tensor(shape: [6], scalars: [-.infinity, -200, 0, 200, .infinity, .nan])
    let g = x.gelu().scalars
    #expect(g[0].isNaN || g[0] == 0)   // -inf · 0 is undefined; torch gives NaN
    #expect(g[1] == 0 && g[2] == 0 && g[3] == 200 && g[4] == .infinity && g[5].isNaN)
    let q = x.quickGELU().scalars
    #expect(q[1] == 0 && q[2] == 0 && q[3] == 200 && q[5].isNaN)
    let t = x.geluTanh().scalars
    #expect(t[1] == 0 && t[2] == 0 && t[3] == 200 && t[5].isNaN)
}
