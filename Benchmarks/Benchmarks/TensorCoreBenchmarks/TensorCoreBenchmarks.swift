import Benchmark
import TensorCore

/// Deterministic inputs: a cheap linear congruential fill, values in [-1, 1).
private func filled(_ shape: [Int], seed: UInt32) throws -> Tensor {
    var state = seed
    return try Tensor(shape: shape) { buffer in
        for i in buffer.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            buffer[i] = Float(state >> 8) / Float(1 << 23) - 1
        }
    }
}

/// GFLOP/s of one `[m,k]·[n,k]ᵀ` product, reported ×100 as an integer custom metric
/// (package-benchmark metrics are integers): 20 550 means 205.50 GFLOP/s.
private let gflops = BenchmarkMetric.custom("GFLOP/s x100", polarity: .prefersLarger, useScalingFactor: false)
/// Nanoseconds per element ×100 (integer metric): 125 means 1.25 ns per element.
private let nsPerElement = BenchmarkMetric.custom("ns/element x100", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(3),
        maxIterations: 200
    )

    // ViT-B/32 matrix products: attention projection and MLP, batch 1 (50 tokens) and batch 32 (1600).
    let matmulShapes: [(m: Int, k: Int, n: Int)] = [(50, 768, 768), (50, 768, 3072), (1600, 768, 768), (1600, 768, 3072)]
    for shape in matmulShapes {
        Benchmark(
            "matmul(transposed:) [\(shape.m),\(shape.k)]·[\(shape.n),\(shape.k)]ᵀ",
            configuration: .init(metrics: [.wallClock, gflops, .mallocCountTotal])
        ) { benchmark in
            let a = try filled([shape.m, shape.k], seed: 1)
            let b = try filled([shape.n, shape.k], seed: 2)
            let flops = 2.0 * Double(shape.m * shape.k * shape.n)
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            var result = try a.matmul(transposed: b)
            let elapsed = ContinuousClock.now - start
            benchmark.stopMeasurement()
            blackHole(result.withUnsafeMutableBufferPointer { $0[0] })
            let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
            benchmark.measurement(gflops, Int(flops / seconds / 1e9 * 100))
        }
    }

    // Elementwise kernels at ViT-B/32 shapes.
    for shape in [[50, 768], [1600, 3072]] {
        let elements = shape[0] * shape[1]
        let label = "[\(shape[0]),\(shape[1])]"
        func perElement(_ benchmark: Benchmark, _ body: () throws -> Void) rethrows {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            let ns = Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9
            benchmark.measurement(nsPerElement, Int(ns / Double(elements) * 100))
        }
        Benchmark("layerNormalized \(label)", configuration: .init(metrics: [.wallClock, nsPerElement])) { benchmark in
            let x = try filled(shape, seed: 3)
            let w = try filled([shape[1]], seed: 4), b = try filled([shape[1]], seed: 5)
            benchmark.startMeasurement()
            try perElement(benchmark) { blackHole(try x.layerNormalized(weight: w, bias: b)) }
        }
        Benchmark("softmax \(label)", configuration: .init(metrics: [.wallClock, nsPerElement])) { benchmark in
            let x = try filled(shape, seed: 6)
            benchmark.startMeasurement()
            try perElement(benchmark) { blackHole(try x.softmax()) }
        }
        Benchmark("gelu (in place) \(label)", configuration: .init(metrics: [.wallClock, nsPerElement])) { benchmark in
            var x = try filled(shape, seed: 7)
            x.formGELU()  // make the buffer uniquely owned before measuring
            benchmark.startMeasurement()
            perElement(benchmark) { x.formGELU() }
            blackHole(x)
        }
        Benchmark("quickGELU (in place) \(label)", configuration: .init(metrics: [.wallClock, nsPerElement])) { benchmark in
            var x = try filled(shape, seed: 8)
            x.formQuickGELU()
            benchmark.startMeasurement()
            perElement(benchmark) { x.formQuickGELU() }
            blackHole(x)
        }
    }
}
