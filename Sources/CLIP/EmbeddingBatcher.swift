import CLIPModels
import Foundation
import ImageProcessing
import TensorCore

/// Errors of ``EmbeddingBatcher`` itself; the model's own errors (`CLIPModelError`) reach the
/// request that caused them unchanged, and a cancelled request gets `CancellationError`.
public enum EmbeddingBatcherError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The queue already holds `queued` inputs and this request would take it past `capacity`:
    /// the caller should retry later (HTTP 429).
    case overloaded(queued: Int, capacity: Int)
    /// ``EmbeddingBatcher/shutdown()`` was called: no new requests are taken.
    case shutDown
    /// A request with no inputs.
    case emptyInput(kind: EmbeddingBatcher.Kind)

    public var description: String {
        switch self {
        case let .overloaded(queued, capacity):
            return "the embedding queue is full (\(queued) inputs waiting, capacity \(capacity)); retry later"
        case .shutDown:
            return "the embedding batcher has shut down"
        case let .emptyInput(kind):
            return "a request to embed \(kind == .text ? "texts" : "images") has no inputs"
        }
    }
}

/// An async front for a ``CLIPModels/CLIPModel`` that serves many concurrent callers: requests that arrive
/// together are run as one batch, on a thread of the batcher's own, never on Swift's
/// cooperative pool.
///
///     let batcher = EmbeddingBatcher(model: model)
///     async let a = batcher.embed(texts: ["a dog"], normalized: true)          // [1, D]
///     async let b = batcher.embed(images: [photo], normalized: true)           // [1, D]
///     let (texts, images) = try await (a, b)
///
/// **Batching.** Requests wait in one first-in, first-out queue. The batcher's thread takes the
/// oldest request and, with it, every waiting request of the same ``Kind`` (texts or images), up
/// to ``Configuration/maxBatchSize`` inputs (a larger request is run alone, in slices of that
/// size). When fewer inputs wait, it waits for more until the oldest request has waited
/// ``Configuration/maxWait``; while the model is busy, requests pile up and the next batch
/// starts at once. Texts are tokenized and images preprocessed on the batcher's thread, and
/// the model runs there too, on `ComputeThreads` (its parallel loops use the compute
/// threads; the calling tasks only wait).
///
/// **Results.** Each request gets the rows of its own inputs, in order: the model's projected
/// embeddings, L2-normalized when asked. They equal `model.encode` of the request alone up to
/// the rounding of a different batch size (within 1e-6). When a batch fails, its requests are
/// run one by one, so an error reaches only the request that caused it.
///
/// **Back-pressure.** At most ``Configuration/queueCapacity`` inputs wait; a request that would
/// exceed it throws ``EmbeddingBatcherError/overloaded(queued:capacity:)`` at once instead of
/// growing the queue. A cancelled task's request leaves the queue (throwing
/// `CancellationError`); one that is already running finishes and its result is dropped.
public final class EmbeddingBatcher: Sendable {
    /// What a request embeds: texts (token ids) or images (pixel values). Requests of one kind
    /// share batches.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case text, image
    }

    /// How the batcher forms batches and bounds its queue.
    public struct Configuration: Sendable, Equatable {
        /// The most inputs (texts or images) per model call; at least 1.
        public var maxBatchSize: Int
        /// How long the oldest waiting request may wait for others to join its batch.
        public var maxWait: Duration
        /// The most inputs that may wait; a request beyond it is refused with `.overloaded`.
        public var queueCapacity: Int

        /// A configuration with the given limits (values below 1 are treated as 1; a negative
        /// wait as none).
        public init(maxBatchSize: Int = 32, maxWait: Duration = .milliseconds(2), queueCapacity: Int = 1024) {
            self.maxBatchSize = max(1, maxBatchSize)
            self.maxWait = max(.zero, maxWait)
            self.queueCapacity = max(1, queueCapacity)
        }
    }

    /// What happened, reported to the observer given at creation (for metrics).
    public enum Event: Sendable, Equatable {
        /// One model call finished: `inputs` texts or images from `requests` requests, in
        /// `seconds` of wall time (tokenizing or preprocessing included).
        case batch(kind: Kind, inputs: Int, requests: Int, seconds: Double)
    }

    /// The model the batches run on.
    public let model: CLIPModel
    /// The batching limits.
    public let configuration: Configuration

    private let queue: RequestQueue

    /// Starts a batcher and its thread for `model`.
    /// - Parameters:
    ///   - model: the model; it is only read, so other code may keep using it.
    ///   - configuration: batch size, wait and queue limits.
    ///   - observer: called on the batcher's thread after each model call; keep it short.
    public init(model: CLIPModel, configuration: Configuration = Configuration(),
                observer: (@Sendable (Event) -> Void)? = nil) {
        self.model = model
        self.configuration = configuration
        queue = RequestQueue(configuration: configuration)
        let worker = BatchWorker(model: model, queue: queue, configuration: configuration, observer: observer)
        let thread = Thread { worker.run() }
        thread.name = "EmbeddingBatcher"
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        queue.stop()
    }

    /// The number of inputs waiting for the model now (not counting a batch that is running).
    public var queuedInputs: Int { queue.queuedInputs }

    /// Embeds texts, tokenized with the model's tokenizer as `model.encode(texts:)` does.
    /// - Parameters:
    ///   - texts: the texts (at least one).
    ///   - normalized: whether each embedding is scaled to unit length.
    /// - Returns: `[texts.count, embeddingDimension]`.
    /// - Throws: ``EmbeddingBatcherError``, `CancellationError`, or the model's
    ///   `CLIPModelError` (for example `.missingComponent` when it has no tokenizer).
    public func embed(texts: [String], normalized: Bool = false) async throws -> Tensor {
        try await submit(.texts(texts), count: texts.count, normalized: normalized)
    }

    /// Embeds token id sequences, as `model.encode(tokenIDs:)` does.
    /// - Returns: `[tokenIDs.count, embeddingDimension]`.
    public func embed(tokenIDs: [[Int]], normalized: Bool = false) async throws -> Tensor {
        try await submit(.tokenIDs(tokenIDs), count: tokenIDs.count, normalized: normalized)
    }

    /// Embeds decoded images, preprocessed with the model's `imagePreprocessor` on the
    /// batcher's thread, as `model.encode(images:)` does.
    /// - Returns: `[images.count, embeddingDimension]`.
    public func embed(images: [RGBImage], normalized: Bool = false) async throws -> Tensor {
        try await submit(.images(images), count: images.count, normalized: normalized)
    }

    /// Embeds preprocessed pixel values, as `model.encode(pixelValues:)` does.
    /// - Parameters:
    ///   - pixelValues: `[n, 3, imageSize, imageSize]`.
    ///   - normalized: whether each embedding is scaled to unit length.
    /// - Returns: `[n, embeddingDimension]`.
    public func embed(pixelValues: Tensor, normalized: Bool = false) async throws -> Tensor {
        let count = pixelValues.rank == 4 ? pixelValues.shape[0] : 1
        return try await submit(.pixels(pixelValues), count: count, normalized: normalized)
    }

    /// Stops taking requests (later calls throw ``EmbeddingBatcherError/shutDown``), lets the
    /// waiting and running ones finish, and returns when the batcher's thread has ended.
    public func shutdown() async {
        queue.stop()
        await queue.waitUntilStopped()
    }

    private func submit(_ payload: Payload, count: Int, normalized: Bool) async throws -> Tensor {
        guard count > 0 else { throw EmbeddingBatcherError.emptyInput(kind: payload.kind) }
        let id = queue.makeID()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Tensor, any Error>) in
                queue.enqueue(Request(id: id, payload: payload, count: count, normalized: normalized,
                                      enqueued: .now, continuation: continuation))
            }
        } onCancel: {
            queue.cancel(id)
        }
    }
}

// MARK: - Requests and the queue

/// The inputs of one request.
enum Payload: @unchecked Sendable {
    case texts([String])
    case tokenIDs([[Int]])
    case images([RGBImage])
    case pixels(Tensor)

    var kind: EmbeddingBatcher.Kind {
        switch self {
        case .texts, .tokenIDs: return .text
        case .images, .pixels: return .image
        }
    }
}

/// One waiting call: its inputs and the continuation its task waits on.
struct Request: @unchecked Sendable {
    let id: UInt64
    let payload: Payload
    let count: Int
    let normalized: Bool
    let enqueued: ContinuousClock.Instant
    let continuation: CheckedContinuation<Tensor, any Error>
}

/// The bounded first-in, first-out queue shared by the callers and the batcher's thread, under
/// one condition lock.
final class RequestQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let configuration: EmbeddingBatcher.Configuration
    private var requests: [Request] = []
    private var queued = 0
    private var nextID: UInt64 = 0
    private var stopping = false
    private var stopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    init(configuration: EmbeddingBatcher.Configuration) {
        self.configuration = configuration
    }

    var queuedInputs: Int {
        condition.lock()
        defer { condition.unlock() }
        return queued
    }

    func makeID() -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        nextID &+= 1
        return nextID
    }

    /// Adds a request, or resumes it at once with the reason it cannot wait. Runs inside the
    /// caller's task, so `Task.isCancelled` is the caller's: checked under the lock, it closes
    /// the race with ``cancel(_:)``.
    func enqueue(_ request: Request) {
        condition.lock()
        let refusal: (any Error)?
        if stopping {
            refusal = EmbeddingBatcherError.shutDown
        } else if Task.isCancelled {
            refusal = CancellationError()
        } else if queued > 0, queued + request.count > configuration.queueCapacity {
            refusal = EmbeddingBatcherError.overloaded(queued: queued, capacity: configuration.queueCapacity)
        } else if queued == 0, request.count > configuration.queueCapacity {
            refusal = EmbeddingBatcherError.overloaded(queued: 0, capacity: configuration.queueCapacity)
        } else {
            refusal = nil
            requests.append(request)
            queued += request.count
            condition.signal()
        }
        condition.unlock()
        if let refusal { request.continuation.resume(throwing: refusal) }
    }

    /// Removes a waiting request and resumes it with `CancellationError`; a request already
    /// taken into a batch is left to finish.
    func cancel(_ id: UInt64) {
        condition.lock()
        var removed: Request?
        if let index = requests.firstIndex(where: { $0.id == id }) {
            removed = requests.remove(at: index)
            queued -= removed?.count ?? 0
        }
        condition.unlock()
        removed?.continuation.resume(throwing: CancellationError())
    }

    /// Blocks the batcher's thread until a batch is ready, and returns it (requests of one kind,
    /// oldest first); `nil` once stopping and empty.
    func nextBatch() -> [Request]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while requests.isEmpty {
                if stopping { return nil }
                condition.wait()
            }
            let kind = requests[0].payload.kind
            let deadline = requests[0].enqueued + configuration.maxWait
            let waiting = requests.reduce(0) { $0 + ($1.payload.kind == kind ? $1.count : 0) }
            let now = ContinuousClock.now
            if waiting >= configuration.maxBatchSize || now >= deadline || stopping {
                return takeBatch(of: kind)
            }
            let seconds = Double((deadline - now).components.attoseconds) * 1e-18
                + Double((deadline - now).components.seconds)
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
    }

    /// Takes the oldest request and the following ones of its kind while they fit in
    /// `maxBatchSize` inputs.
    private func takeBatch(of kind: EmbeddingBatcher.Kind) -> [Request] {
        var batch: [Request] = []
        var inputs = 0
        var kept: [Request] = []
        kept.reserveCapacity(requests.count)
        for request in requests {
            if request.payload.kind == kind,
               batch.isEmpty || inputs + request.count <= configuration.maxBatchSize {
                batch.append(request)
                inputs += request.count
            } else {
                kept.append(request)
            }
        }
        requests = kept
        queued -= inputs
        return batch
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    func markStopped() {
        condition.lock()
        stopped = true
        let waiters = stopWaiters
        stopWaiters = []
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }

    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if stopped {
                condition.unlock()
                continuation.resume()
            } else {
                stopWaiters.append(continuation)
                condition.unlock()
            }
        }
    }
}

// MARK: - The batcher's thread

/// The loop of the batcher's thread: take a batch, run it, hand each request its rows.
final class BatchWorker: @unchecked Sendable {
    let model: CLIPModel
    let queue: RequestQueue
    let configuration: EmbeddingBatcher.Configuration
    let observer: (@Sendable (EmbeddingBatcher.Event) -> Void)?

    init(model: CLIPModel, queue: RequestQueue, configuration: EmbeddingBatcher.Configuration,
         observer: (@Sendable (EmbeddingBatcher.Event) -> Void)?) {
        self.model = model
        self.queue = queue
        self.configuration = configuration
        self.observer = observer
    }

    func run() {
        ComputeThreads.configure()
        while let batch = queue.nextBatch() {
            let start = ContinuousClock.now
            let inputs = batch.reduce(0) { $0 + $1.count }
            let results = embed(batch)
            let elapsed = ContinuousClock.now - start
            observer?(.batch(kind: batch[0].payload.kind, inputs: inputs, requests: batch.count,
                             seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18))
            for (request, result) in zip(batch, results) {
                request.continuation.resume(with: result)
            }
        }
        queue.markStopped()
    }

    /// One result per request: its rows of the batch, or its error. A batch that fails as a
    /// whole is run again one request at a time, so only the faulty request fails.
    func embed(_ batch: [Request]) -> [Result<Tensor, any Error>] {
        var results = [Result<Tensor, any Error>](repeating: .failure(CancellationError()), count: batch.count)
        // Each request's inputs as model input (token ids or pixel values); tokenizing or
        // preprocessing fails for one request only.
        var parts: [(index: Int, input: Prepared)] = []
        for (index, request) in batch.enumerated() {
            do {
                parts.append((index, try prepare(request.payload)))
            } catch {
                results[index] = .failure(error)
            }
        }
        guard !parts.isEmpty else { return results }
        do {
            let embeddings = try run(Prepared.joined(parts.map(\.input)))
            var row = 0
            for part in parts {
                let request = batch[part.index]
                let range = row..<(row + request.count)
                results[part.index] = Result {
                    let rows = try embeddings.slice(axis: 0, range: range)
                    return request.normalized ? try rows.l2Normalized() : rows
                }
                row += request.count
            }
        } catch {
            if parts.count == 1 {
                results[parts[0].index] = .failure(error)
            } else {
                for part in parts { results[part.index] = embed([batch[part.index]])[0] }
            }
        }
        return results
    }

    /// Model input for one request.
    enum Prepared {
        case tokens([[Int]])
        case pixels(Tensor)

        /// The requests' inputs as one model input, in order.
        static func joined(_ parts: [Prepared]) throws -> Prepared {
            if case .tokens = parts.first {
                var ids: [[Int]] = []
                for case let .tokens(part) in parts { ids += part }
                return .tokens(ids)
            }
            var tensors: [Tensor] = []
            for case let .pixels(tensor) in parts { tensors.append(tensor) }
            return .pixels(tensors.count == 1 ? tensors[0] : try Tensor.concatenate(tensors, axis: 0))
        }
    }

    func prepare(_ payload: Payload) throws -> Prepared {
        switch payload {
        case let .texts(texts):
            guard let tokenizer = model.tokenizer else {
                throw CLIPModelError.missingComponent(name: "tokenizer", reason: CLIPModelDirectory.noTokenizerReason)
            }
            return .tokens(tokenizer.tokenize(texts))
        case let .tokenIDs(ids):
            return .tokens(ids)
        case let .images(images):
            do {
                return .pixels(try model.imagePreprocessor.pixelValues(for: images))
            } catch {
                throw CLIPModelError.imageProcessing(error, context: "image preprocessing")
            }
        case let .pixels(tensor):
            return .pixels(tensor)
        }
    }

    /// Runs the model over `input` in slices of at most `maxBatchSize` inputs: `[n, D]`.
    func run(_ input: Prepared) throws -> Tensor {
        let size = configuration.maxBatchSize
        switch input {
        case let .tokens(ids):
            var parts: [Tensor] = []
            var start = 0
            while start < ids.count {
                let end = min(start + size, ids.count)
                parts.append(try model.encode(tokenIDs: Array(ids[start..<end])))
                start = end
            }
            return parts.count == 1 ? parts[0] : try Tensor.concatenate(parts, axis: 0)
        case let .pixels(pixels):
            let count = pixels.rank == 4 ? pixels.shape[0] : 0
            guard count > size else { return try model.encode(pixelValues: pixels) }
            var parts: [Tensor] = []
            var start = 0
            while start < count {
                let end = min(start + size, count)
                parts.append(try model.encode(pixelValues: pixels.slice(axis: 0, range: start..<end)))
                start = end
            }
            return try Tensor.concatenate(parts, axis: 0)
        }
    }
}
