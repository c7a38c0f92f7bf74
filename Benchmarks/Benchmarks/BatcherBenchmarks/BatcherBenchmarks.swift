import Benchmark
import CLIP
import CLIPDemoModel
import Foundation

// Concurrent callers through EmbeddingBatcher against the same work one call at a time:
//
//   CLIP_BENCH_MODEL=/path/to/vit-b-32 swift package benchmark --target BatcherBenchmarks
//
// CLIP_BENCH_MODEL is a model directory or Hub id (default: the bundled demonstration model).
// Each iteration embeds 32 texts (or 16 images), one input per request: "one at a time" calls
// model.encode 32 times in a row; "32 concurrent" starts 32 tasks that each await the batcher,
// which runs them as batches. The ratio of the two is what batching gives a server.

/// The repository root (this file is Benchmarks/Benchmarks/BatcherBenchmarks/…).
private let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private func openModel() throws -> CLIPModel {
    if let name = ProcessInfo.processInfo.environment["CLIP_BENCH_MODEL"] {
        return try CLIPModel(named: name)
    }
    return try CLIPModel.bundledDemonstrationModel()
}

private let words = ["cat", "dog", "car", "tree", "beach", "city", "star", "heart"]
private let texts = (0..<32).map { "a photo of a \(words[$0 % 8]) and a \(words[($0 / 8) % 8]), number \($0)" }

private func images() throws -> [RGBImage] {
    let loader = ImageLoader()
    let folder = repository.appendingPathComponent("Examples/photos")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".jpg") }.sorted()
    let decoded = try files.map { try loader.image(contentsOf: folder.appendingPathComponent($0)) }
    return (0..<16).map { decoded[$0 % decoded.count] }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 50
    )

    Benchmark("32 texts, one at a time") { benchmark in
        let model = try openModel()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for text in texts { blackHole(try model.encode(texts: [text], normalized: true)) }
        }
        benchmark.stopMeasurement()
    }

    Benchmark("32 texts, 32 concurrent requests") { benchmark in
        let batcher = EmbeddingBatcher(model: try openModel())
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await withThrowingTaskGroup(of: Tensor.self) { group in
                for text in texts { group.addTask { try await batcher.embed(texts: [text], normalized: true) } }
                for try await embedding in group { blackHole(embedding) }
            }
        }
        benchmark.stopMeasurement()
        await batcher.shutdown()
    }

    Benchmark("16 images, one at a time") { benchmark in
        let model = try openModel()
        let inputs = try images()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            for image in inputs { blackHole(try model.encode(images: [image], normalized: true)) }
        }
        benchmark.stopMeasurement()
    }

    Benchmark("16 images, 16 concurrent requests") { benchmark in
        let batcher = EmbeddingBatcher(model: try openModel())
        let inputs = try images()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try await withThrowingTaskGroup(of: Tensor.self) { group in
                for image in inputs { group.addTask { try await batcher.embed(images: [image], normalized: true) } }
                for try await embedding in group { blackHole(embedding) }
            }
        }
        benchmark.stopMeasurement()
        await batcher.shutdown()
    }
}
