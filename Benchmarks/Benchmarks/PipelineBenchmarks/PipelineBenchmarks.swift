import Benchmark
import CLIP
import CLIPDemoModel
import Foundation

// The classification pipeline, stage by stage, on one model:
//
//   CLIP_BENCH_MODEL=/path/to/vit-b-32 swift package benchmark --target PipelineBenchmarks
//
// CLIP_BENCH_MODEL is a model directory or Hub id (default: the bundled demonstration model);
// CLIP_BENCH_IMAGE an image file (default: Examples/photos/cat.jpg). Timings of a ViT-B/32-size
// checkpoint are the ones to compare with PyTorch (Scripts/compare_speed.py).

/// The repository root (this file is Benchmarks/Benchmarks/PipelineBenchmarks/…).
private let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

private let prompts = [
    "a photo of a cat", "a photo of a dog", "a red sports car", "a bowl of fresh fruit",
    "a man riding a horse", "a city at night", "a plate of pasta", "an old wooden bridge",
]

private func openModel() throws -> CLIPModel {
    if let name = ProcessInfo.processInfo.environment["CLIP_BENCH_MODEL"] {
        return try CLIPModel(named: name)
    }
    return try CLIPModel.bundledDemonstrationModel()
}

private let imageURL = ProcessInfo.processInfo.environment["CLIP_BENCH_IMAGE"].map(URL.init(fileURLWithPath:))
    ?? repository.appendingPathComponent("Examples/photos/cat.jpg")

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident, .mallocCountTotal],
        warmupIterations: 1,
        maxDuration: .seconds(5),
        maxIterations: 100
    )

    Benchmark("open model") { benchmark in
        var models: [CLIPModel] = []
        for _ in benchmark.scaledIterations { models.append(try openModel()) }
        // Closing (unmapping, freeing) is not part of opening.
        benchmark.stopMeasurement()
        blackHole(models)
    }

    // Later stages share one opened model (opened outside the measurement).
    Benchmark("tokenize 8 prompts") { benchmark in
        let model = try openModel()
        guard let tokenizer = model.tokenizer else { return }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(tokenizer.tokenize(prompts)) }
        // Stop before the model is released at the end of the closure (unmapping and freeing it takes ms).
        benchmark.stopMeasurement()
    }

    Benchmark("decode + preprocess image") { benchmark in
        let model = try openModel()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try model.imagePreprocessor.pixelValues(contentsOf: imageURL)) }
        // Stop before the model is released at the end of the closure (unmapping and freeing it takes ms).
        benchmark.stopMeasurement()
    }

    Benchmark("encode image, batch 1") { benchmark in
        let model = try openModel()
        let pixels = try model.imagePreprocessor.pixelValues(contentsOf: imageURL)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try model.encode(pixelValues: pixels)) }
        // Stop before the model is released at the end of the closure (unmapping and freeing it takes ms).
        benchmark.stopMeasurement()
    }

    Benchmark("encode images, batch 32") { benchmark in
        let model = try openModel()
        let one = try model.imagePreprocessor.pixelValues(contentsOf: imageURL)
        let batch = try Tensor.concatenate(Array(repeating: one, count: 32), axis: 0)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try model.encode(pixelValues: batch)) }
        // Stop before the model is released at the end of the closure (unmapping and freeing it takes ms).
        benchmark.stopMeasurement()
    }

    Benchmark("encode 8 prompts") { benchmark in
        let model = try openModel()
        guard let tokenizer = model.tokenizer else { return }
        let ids = tokenizer.tokenize(prompts)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try model.encode(tokenIDs: ids)) }
        // Stop before the model is released at the end of the closure (unmapping and freeing it takes ms).
        benchmark.stopMeasurement()
    }

    Benchmark("classify one image file (labels embedded once)") { benchmark in
        let model = try openModel()
        let classifier = try ZeroShotClassifier(model: model, labels: ["cat", "dog", "car", "bridge"])
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try classifier.classify(imageAt: imageURL)) }
        // Stop before the model is released at the end of the closure (unmapping and freeing it takes ms).
        benchmark.stopMeasurement()
    }
}
