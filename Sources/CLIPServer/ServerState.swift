#if Server
import CLIP
import Foundation
import PhotoLibrary

/// The served model and what goes with it, once open: the batcher every model call goes
/// through, the photo index (when given) and the cache of zero-shot classifiers.
public final class ServedModel: Sendable {
    /// The model (never called directly by the routes: ``batcher`` runs it on its own thread).
    public var model: CLIPModel { batcher.model }
    /// The batcher of the model's calls.
    public let batcher: EmbeddingBatcher
    /// The photo index of `/v1/search` and `/v1/images`, nil when none was given.
    public let index: PhotoIndex?
    /// The model's key in ``index``.
    public let indexedModel: IndexedModel
    let classifiers: ClassifierCache

    /// Wraps an open model's batcher and, optionally, an index holding that model's embeddings.
    /// - Throws: `PhotoIndexError.modelNotIndexed` when `index` holds no embeddings of the model.
    public init(batcher: EmbeddingBatcher, index: PhotoIndex?, classifierCacheSize: Int = 16) throws {
        self.batcher = batcher
        self.index = index
        indexedModel = IndexedModel(batcher.model)
        classifiers = ClassifierCache(capacity: classifierCacheSize)
        if let index {
            // Fails early, naming the models the index does hold, rather than on every search.
            _ = try index.embeddingMatrix(for: indexedModel)
        }
    }
}

/// Where the server is in its life: loading the model, serving, or shutting down.
public final class ServerState: @unchecked Sendable {
    /// The phase, as `/readyz` reports it.
    public enum Phase: Sendable {
        /// The model is being opened; model routes answer 503 `not_ready`.
        case loading
        /// Serving with this model.
        case ready(ServedModel)
        /// Opening the model failed with this message; model routes answer 503.
        case failed(String)
        /// Shutting down: model routes answer 503 `shutting_down`.
        case shuttingDown
    }

    private let lock = NSLock()
    private var current: Phase

    /// A state in `phase` (`.loading` for a server that opens its model after binding).
    public init(_ phase: Phase = .loading) { current = phase }

    /// The phase now.
    public var phase: Phase {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Moves to `phase`.
    public func set(_ phase: Phase) {
        lock.lock()
        defer { lock.unlock() }
        current = phase
    }

    /// The served model, or the 503 the phase answers.
    func served() throws(APIError) -> ServedModel {
        switch phase {
        case let .ready(served): return served
        case .loading: throw APIError.notReady
        case let .failed(message):
            throw APIError(status: .serviceUnavailable, message: "the model could not be opened: \(message)", code: "model_failed")
        case .shuttingDown: throw APIError.shuttingDown
        }
    }
}

/// Zero-shot classifiers by (labels, templates), the least recently used dropped beyond `capacity`.
final class ClassifierCache: @unchecked Sendable {
    struct Key: Hashable {
        let labels: [String]
        let templates: [String]
    }

    private let lock = NSLock()
    private let capacity: Int
    private var entries: [Key: ZeroShotClassifier] = [:]
    private var order: [Key] = []

    init(capacity: Int) { self.capacity = max(1, capacity) }

    func classifier(for key: Key) -> ZeroShotClassifier? {
        lock.lock()
        defer { lock.unlock() }
        guard let found = entries[key] else { return nil }
        if let position = order.firstIndex(of: key) { order.remove(at: position) }
        order.append(key)
        return found
    }

    func insert(_ classifier: ZeroShotClassifier, for key: Key) {
        lock.lock()
        defer { lock.unlock() }
        if entries.updateValue(classifier, forKey: key) != nil, let position = order.firstIndex(of: key) {
            order.remove(at: position)
        }
        order.append(key)
        while order.count > capacity { entries[order.removeFirst()] = nil }
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }
}
#endif
