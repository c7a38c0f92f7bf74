import Foundation
import Testing
import CLIP
import CLIPDemoModel

/// Many tasks sharing models at once, for ThreadSanitizer (`Scripts/test-sanitizers.sh thread`)
/// and AddressSanitizer as much as for the values: the same weights opened in Float32, bfloat16
/// and int8, called directly from tasks and through an `EmbeddingBatcher` each, with batches of
/// 1 to 5 texts or images in a seeded mix (48 calls). Every result must equal what the same model gives
/// for each input alone, called serially before the storm.
@Suite("Concurrency stress")
struct ConcurrencyStressTests {
    @Test func manyTasksShareModelsOfEveryPrecision() async throws {
        let directory = try #require(CLIPModel.bundledDemonstrationModelDirectory)
        let precisions: [ModelPrecision] = [.float32, .bfloat16, .int8]
        let models = try precisions.map { try CLIPModel(contentsOf: directory, precision: $0) }
        let folder = testsDirectory.deletingLastPathComponent().appendingPathComponent("Examples/images")
        let loader = ImageLoader()
        let images = try ["red-star.png", "blue-heart.png", "black-cross.jpg", "green-square.png", "orange-star.jpg"]
            .map { try loader.image(contentsOf: folder.appendingPathComponent($0)) }
        let texts = ["a red star", "a blue heart", "a photo of a yellow circle", "a green triangle", "a purple ring",
                     "star", "a large orange star on a white background", "two hearts", "", "a photo of a cat."]
        // The serial references: each input alone, per model.
        var textReference: [[[Float]]] = [], imageReference: [[[Float]]] = []
        for model in models {
            textReference.append(try texts.map { try model.encode(texts: [$0], normalized: true).scalars })
            imageReference.append(try images.map { try model.encode(images: [$0], normalized: true).scalars })
        }
        let batchers = models.map { EmbeddingBatcher(model: $0, configuration: .init(maxBatchSize: 16, maxWait: .milliseconds(1))) }

        struct Job: Sendable { let model: Int; let viaBatcher: Bool; let images: Bool; let inputs: [Int] }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {  // SplitMix64, so the mix is the same on every run
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        var jobs: [Job] = []
        for _ in 0..<48 {
            let isImage = next(4) == 0
            let count = 1 + next(5)
            jobs.append(Job(model: next(models.count), viaBatcher: next(2) == 0, images: isImage,
                            inputs: (0..<count).map { _ in next(isImage ? images.count : texts.count) }))
        }
        let results = try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for (number, job) in jobs.enumerated() {
                group.addTask {
                    let model = models[job.model], batcher = batchers[job.model]
                    let output: Tensor
                    switch (job.images, job.viaBatcher) {
                    case (true, true): output = try await batcher.embed(images: job.inputs.map { images[$0] }, normalized: true)
                    case (true, false): output = try model.encode(images: job.inputs.map { images[$0] }, normalized: true)
                    case (false, true): output = try await batcher.embed(texts: job.inputs.map { texts[$0] }, normalized: true)
                    case (false, false): output = try model.encode(texts: job.inputs.map { texts[$0] }, normalized: true)
                    }
                    return (number, output.scalars)
                }
            }
            var results = [[Float]](repeating: [], count: jobs.count)
            for try await (number, values) in group { results[number] = values }
            return results
        }
        for batcher in batchers { await batcher.shutdown() }

        // Float32 rows must match the references to rounding; bfloat16 and int8 rows computed in
        // another batch may round differently, within a looser bound.
        let tolerance: [Float] = [1e-5, 2e-2, 2e-2]
        var worst: [Float] = [0, 0, 0]
        for (job, values) in zip(jobs, results) {
            let dimension = values.count / job.inputs.count
            for (row, input) in job.inputs.enumerated() {
                let expected = (job.images ? imageReference : textReference)[job.model][input]
                let got = values[(row * dimension)..<((row + 1) * dimension)]
                let difference = zip(got, expected).map { abs($0 - $1) }.max() ?? .infinity
                worst[job.model] = max(worst[job.model], difference)
                #expect(expected.count == dimension && difference <= tolerance[job.model],
                        "job \(job): row \(row) differs by \(difference)")
            }
        }
        #expect(worst[0] <= 1e-5, "Float32 worst difference \(worst[0])")
    }
}
