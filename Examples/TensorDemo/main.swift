// A tour of TensorCore: a tiny attention block computed with the public operations,
// followed by timings of the main kernels at ViT-B/32 sizes.
//
//     swift run -c release tensor-demo
import Foundation
import TensorCore

#if canImport(Glibc)
import Glibc
#endif

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func filled(_ shape: [Int], seed: UInt32) throws -> Tensor {
    var state = seed
    return try Tensor(shape: shape) { buffer in
        for i in buffer.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            buffer[i] = Float(state >> 8) / Float(1 << 23) - 1
        }
    }
}

do {
    // Single-head causal self-attention over 4 tokens of width 8.
    let tokens = 4, width = 8
    let x = try filled([tokens, width], seed: 1)
    let wq = try filled([width, width], seed: 2), wk = try filled([width, width], seed: 3)
    let wv = try filled([width, width], seed: 4)
    let q = try x.linear(weight: wq), k = try x.linear(weight: wk), v = try x.linear(weight: wv)
    let scores = try q.matmul(transposed: k).scaled(by: 1 / Float(width).squareRoot())
    let weights = try scores.softmax(mask: Tensor.causalMask(tokens: tokens))
    let attended = try weights.matmul(v)
    print("attention weights (causal):")
    for row in 0..<tokens {
        let values = try (0..<tokens).map { try weights.scalar(at: [row, $0]) }
        print("  " + values.map { String(format: "%.3f", $0) }.joined(separator: " "))
    }
    print("output shape:", attended.shape)

    // Kernel timings at ViT-B/32 sizes, with the process set up as opening a model sets it up
    // (OpenBLAS's pool at one thread, TensorCore splitting products over the compute threads).
    ComputeThreads.configure()
    print("\ncompute threads: \(ComputeThreads.count), OpenBLAS kernels: \(BLASRuntime.coreName)")
    for (m, k, n) in [(50, 768, 768), (50, 768, 3072), (1600, 768, 768), (1600, 768, 3072)] {
        let a = try filled([m, k], seed: 5), b = try filled([n, k], seed: 6)
        _ = try a.matmul(transposed: b)
        let reps = m > 100 ? 5 : 50
        let t = try seconds { for _ in 0..<reps { _ = try a.matmul(transposed: b) } } / Double(reps)
        print("matmul [\(m),\(k)]·[\(n),\(k)]ᵀ: \(String(format: "%.2f", t * 1e3)) ms, \(String(format: "%.1f", 2.0 * Double(m * k * n) / t / 1e9)) GFLOP/s")
    }
    for shape in [[50, 768], [1600, 3072]] {
        let count = Double(shape[0] * shape[1])
        // Fresh inputs each repetition: applying GELU repeatedly to the same buffer would drive
        // the values into subnormals, which the CPU processes far more slowly.
        let x = try filled(shape, seed: 7)
        let w = try filled([shape[1]], seed: 8), b = try filled([shape[1]], seed: 9)
        let reps = shape[0] > 100 ? 10 : 200
        let gelu = seconds { for _ in 0..<reps { _ = x.gelu() } } / Double(reps)
        let quick = seconds { for _ in 0..<reps { _ = x.quickGELU() } } / Double(reps)
        let norm = try seconds { for _ in 0..<reps { _ = try x.layerNormalized(weight: w, bias: b) } } / Double(reps)
        let soft = try seconds { for _ in 0..<reps { _ = try x.softmax() } } / Double(reps)
        func ns(_ t: Double) -> String { String(format: "%.2f ns/element", t / count * 1e9) }
        print("\(shape): gelu \(ns(gelu)), quickGELU \(ns(quick)), layerNorm \(ns(norm)), softmax \(ns(soft))")
    }
} catch {
    print("error: \(error)")
    exit(1)
}
