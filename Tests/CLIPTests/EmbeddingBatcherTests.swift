import Dispatch
import Foundation
import Synchronization
import Testing
import CLIP
import CLIPDemoModel

/// Holds the batcher's thread inside its observer (after a batch, before its callers resume),
/// so a test can fill the queue deterministically while the model is "busy".
final class BatchGate: Sendable {
    private let release = DispatchSemaphore(value: 0)
    private let state = Mutex<(closed: Bool, entered: Int, events: [EmbeddingBatcher.Event])>((false, 0, []))

    init(closed: Bool) { state.withLock { $0.closed = closed } }

    /// The observer to give the batcher.
    var observer: @Sendable (EmbeddingBatcher.Event) -> Void {
        { [self] event in
            let closed = state.withLock { s -> Bool in
                s.events.append(event)
                s.entered += 1
                return s.closed
            }
            if closed { release.wait() }
        }
    }

    var events: [EmbeddingBatcher.Event] { state.withLock { $0.events } }

    /// Waits (polling) until the observer has been entered `count` times.
    func waitUntilEntered(_ count: Int) async throws {
        for _ in 0..<5000 where state.withLock({ $0.entered }) < count {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(state.withLock { $0.entered } >= count)
    }

    /// Lets the held batch go and every later one pass.
    func open() {
        let wasClosed = state.withLock { s -> Bool in
            defer { s.closed = false }
            return s.closed
        }
        if wasClosed { release.signal() }
    }
}

func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Waits (polling) until the batcher holds `count` queued inputs.
func waitUntilQueued(_ batcher: EmbeddingBatcher, _ count: Int) async throws {
    for _ in 0..<5000 where batcher.queuedInputs < count {
        try await Task.sleep(for: .milliseconds(1))
    }
    #expect(batcher.queuedInputs == count)
}

@Suite("EmbeddingBatcher")
struct EmbeddingBatcherTests {
    let model: CLIPModel
    let images: [RGBImage]
    let texts = ["a red star", "a blue heart", "a photo of a yellow circle", "a green triangle",
                 "a purple ring", "star", "a large orange star on a white background", "two hearts"]

    init() throws {
        model = try CLIPModel.bundledDemonstrationModel()
        let folder = testsDirectory.deletingLastPathComponent().appendingPathComponent("Examples/images")
        let loader = ImageLoader()
        images = try ["red-star.png", "blue-heart.png", "black-cross.jpg", "green-square.png", "orange-star.jpg"]
            .map { try loader.image(contentsOf: folder.appendingPathComponent($0)) }
    }

    @Test func concurrentTextRequestsShareBatchesAndEqualEncode() async throws {
        let gate = BatchGate(closed: false)
        let batcher = EmbeddingBatcher(model: model, configuration: .init(maxBatchSize: 64, maxWait: .milliseconds(200)),
                                       observer: gate.observer)
        let results = try await withThrowingTaskGroup(of: (Int, Tensor).self) { group in
            for (i, text) in texts.enumerated() {
                group.addTask { (i, try await batcher.embed(texts: [text], normalized: true)) }
            }
            var results = [Tensor?](repeating: nil, count: texts.count)
            for try await (i, tensor) in group { results[i] = tensor }
            return results
        }
        for (i, text) in texts.enumerated() {
            let expected = try model.encode(texts: [text], normalized: true)
            #expect(maxDifference(try #require(results[i]), expected) <= 1e-6, "text \(i)")
        }
        // 8 requests within a 200 ms wait: fewer model calls than requests.
        let batches = gate.events.map { event -> Int in
            if case let .batch(kind, inputs, requests, _) = event {
                #expect(kind == .text && inputs == requests)
                return requests
            }
            return 0
        }
        #expect(batches.reduce(0, +) == texts.count)
        #expect(batches.count < texts.count)
        await batcher.shutdown()
    }

    @Test func imagesPixelValuesAndMultiInputRequestsEqualEncode() async throws {
        let batcher = EmbeddingBatcher(model: model, configuration: .init(maxBatchSize: 2, maxWait: .milliseconds(50)))
        // A request larger than the batch size runs in slices; unnormalized rows are the projections.
        async let all = batcher.embed(images: images)
        async let one = batcher.embed(images: [images[1]], normalized: true)
        let pixels = try model.imagePreprocessor.pixelValues(for: [images[2], images[3]])
        async let fromPixels = batcher.embed(pixelValues: pixels)
        async let tokenized = batcher.embed(tokenIDs: try #require(model.tokenizer).tokenize(Array(texts.prefix(3))))
        #expect(maxDifference(try await all, try model.encode(images: images)) <= 1e-6)
        #expect(maxDifference(try await one, try model.encode(images: [images[1]], normalized: true)) <= 1e-6)
        #expect(maxDifference(try await fromPixels, try model.encode(pixelValues: pixels)) <= 1e-6)
        #expect(maxDifference(try await tokenized, try model.encode(texts: Array(texts.prefix(3)))) <= 1e-6)
        await batcher.shutdown()
    }

    @Test func aFullQueueRefusesWithOverloaded() async throws {
        let gate = BatchGate(closed: true)
        let batcher = EmbeddingBatcher(model: model, configuration: .init(maxBatchSize: 8, maxWait: .zero, queueCapacity: 3),
                                       observer: gate.observer)
        let first = Task { try await batcher.embed(texts: ["held"]) }
        try await gate.waitUntilEntered(1)                   // the worker is held after the first batch
        let second = Task { try await batcher.embed(texts: ["a", "b"]) }
        try await waitUntilQueued(batcher, 2)
        await #expect(throws: EmbeddingBatcherError.overloaded(queued: 2, capacity: 3)) {
            try await batcher.embed(texts: ["c", "d"])
        }
        let fits = Task { try await batcher.embed(texts: ["e"]) }    // 2 + 1 fits exactly
        try await waitUntilQueued(batcher, 3)
        // One request larger than the whole queue is refused even when the queue is empty.
        gate.open()
        #expect(try await first.value.shape == [1, model.architecture.embeddingDimension])
        #expect(try await second.value.shape[0] == 2)
        #expect(try await fits.value.shape[0] == 1)
        await #expect(throws: EmbeddingBatcherError.overloaded(queued: 0, capacity: 3)) {
            try await batcher.embed(texts: ["1", "2", "3", "4"])
        }
        await batcher.shutdown()
    }

    @Test func cancellingAWaitingRequestRemovesIt() async throws {
        let gate = BatchGate(closed: true)
        let batcher = EmbeddingBatcher(model: model, configuration: .init(maxWait: .zero), observer: gate.observer)
        let first = Task { try await batcher.embed(texts: ["held"]) }
        try await gate.waitUntilEntered(1)
        let waiting = Task { try await batcher.embed(texts: ["x", "y", "z"]) }
        try await waitUntilQueued(batcher, 3)
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(batcher.queuedInputs == 0)
        // A task cancelled before it asks never enters the queue.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await batcher.embed(texts: ["never"])
        }
        await #expect(throws: CancellationError.self) { try await early.value }
        gate.open()
        _ = try await first.value
        await batcher.shutdown()
        // The cancelled inputs never reached the model: one batch, of the first request only.
        #expect(gate.events.count == 1)
    }

    @Test func aBadRequestFailsAloneInItsBatch() async throws {
        let gate = BatchGate(closed: true)
        let batcher = EmbeddingBatcher(model: model, configuration: .init(maxBatchSize: 16, maxWait: .zero), observer: gate.observer)
        let first = Task { try await batcher.embed(texts: ["held"]) }
        try await gate.waitUntilEntered(1)
        let good = Task { try await batcher.embed(texts: ["a red star"], normalized: true) }
        let bad = Task { try await batcher.embed(tokenIDs: [[49406, 10_000_000, 49407]]) }
        let alsoGood = Task { try await batcher.embed(texts: ["a blue heart"], normalized: true) }
        try await waitUntilQueued(batcher, 3)
        gate.open()
        _ = try await first.value
        await #expect(throws: CLIPModelError.self) { try await bad.value }
        #expect(maxDifference(try await good.value, try model.encode(texts: ["a red star"], normalized: true)) <= 1e-6)
        #expect(maxDifference(try await alsoGood.value, try model.encode(texts: ["a blue heart"], normalized: true)) <= 1e-6)
        // Wrong pixel shapes are the model's error too, for that request only.
        await #expect(throws: CLIPModelError.self) { try await batcher.embed(pixelValues: try Tensor(shape: [1, 3, 8, 8])) }
        await batcher.shutdown()
    }

    @Test func emptyRequestsAndShutdown() async throws {
        let batcher = EmbeddingBatcher(model: model)
        await #expect(throws: EmbeddingBatcherError.emptyInput(kind: .text)) { try await batcher.embed(texts: []) }
        await #expect(throws: EmbeddingBatcherError.emptyInput(kind: .image)) { try await batcher.embed(images: []) }
        // Work queued before shutdown finishes; later requests are refused.
        async let pending = batcher.embed(texts: ["before shutdown"])
        try await Task.sleep(for: .milliseconds(1))
        await batcher.shutdown()
        #expect(try await pending.shape == [1, model.architecture.embeddingDimension])
        await #expect(throws: EmbeddingBatcherError.shutDown) { try await batcher.embed(texts: ["after"]) }
        await batcher.shutdown()     // a second shutdown returns at once
    }

    @Test func classifierAndIndexCounterpartsMatchTheSynchronousOnes() async throws {
        let batcher = EmbeddingBatcher(model: model, configuration: .init(maxBatchSize: 4))
        let labels = ["red star", "blue heart", "black cross", "green square", "orange star"]
        let templates = ["a photo of a {}.", "a drawing of a {}."]
        let reference = try ZeroShotClassifier(model: model, labels: labels, templates: templates)
        let classifier = try await ZeroShotClassifier(batcher: batcher, labels: labels, templates: templates)
        #expect(maxDifference(classifier.labelEmbeddings, reference.labelEmbeddings) <= 1e-6)
        let predictions = try await classifier.classify(images, using: batcher, topK: 3)
        let expected = try reference.classify(images, topK: 3)
        #expect(predictions.map { $0.map(\.label) } == expected.map { $0.map(\.label) })
        for (p, e) in zip(predictions.joined(), expected.joined()) {
            #expect(abs(p.probability - e.probability) <= 1e-5 && abs(p.similarity - e.similarity) <= 1e-6)
        }
        #expect(try await classifier.classify(images[0], using: batcher).first?.label == "red star")
        await #expect(throws: CLIPError.invalidTopK(0)) { try await classifier.classify(images, using: batcher, topK: 0) }

        let index = try await EmbeddingIndex.texts(labels, using: batcher)
        let syncIndex = try EmbeddingIndex.texts(labels, model: model)
        #expect(maxDifference(try index.embeddings(), try syncIndex.embeddings()) <= 1e-6)
        let hits = try await index.search(image: images[1], using: batcher, topK: 2)
        let syncHits = try syncIndex.search(try model.encode(images: [images[1]], normalized: true), topK: 2)
        #expect(hits.map(\.identifier) == syncHits.map(\.identifier))
        #expect(try await index.search(text: "blue heart", using: batcher, topK: 1).first?.identifier == "blue heart")
        // A batcher of another model is refused.
        let other = EmbeddingBatcher(model: try CLIPModel(contentsOf: testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip")))
        await #expect(throws: CLIPError.self) { try await index.search(text: "x", using: other) }
        await #expect(throws: CLIPError.self) { try await classifier.classify(images, using: other) }
        await other.shutdown()
        await batcher.shutdown()
    }
}
