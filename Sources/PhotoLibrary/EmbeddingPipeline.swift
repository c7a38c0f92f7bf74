import CLIP
import Foundation

/// What became of one file that went through the pipeline.
struct FileOutcome: Sendable {
    /// The file as scanned.
    let file: ScannedFile
    /// Its content hash; nil when it could not be read.
    let hash: ContentHash?
    /// Why it could not be embedded; nil when it was (or its content already was).
    let error: String?
    /// Its row in the batch's embeddings; nil when the model did not embed it this time
    /// (failed, or content already embedded).
    let row: Int?
}

/// A batch as the pipeline hands it over: the outcomes of consecutive files, in input order,
/// and the embeddings of those that were embedded.
struct EmbeddedBatch {
    var outcomes: [FileOutcome]
    /// `[rows, dimension]`, L2-normalized; nil when no file of the batch needed the model.
    var embeddings: Tensor?
}

/// Embeds files in batches: a producer thread reads the files ahead (at most `prefetch`
/// batches of bytes waiting, which bounds memory whatever the number of files), and the
/// calling thread hashes, decodes and preprocesses each batch on the compute threads, then runs
/// the model on it.
///
/// Reading (disk or page cache) overlaps with the model; the CPU work of decoding runs on the
/// compute threads between the model's batches, every image of a batch in parallel. Measured on
/// a 2-core machine, a third CPU-bound thread decoding *while* the model ran slowed the model's
/// threads by more than it contributed (27.2 against 21.2 ms per ViT-B/32 image: a preempted
/// thread stalls its team at every barrier), so decoding takes the compute threads' turn instead.
///
/// A file whose content hash is in `knownHashes` (already embedded by this model), or (when
/// `deduplicate`) repeats one seen earlier in the run, is not decoded.
enum EmbeddingPipeline {
    static func run(
        files: [ScannedFile], model: CLIPModel, knownHashes: Set<ContentHash>,
        batchSize: Int, prefetch: Int, maximumFileBytes: Int64, deduplicate: Bool = true,
        consume: (EmbeddedBatch) throws(PhotoIndexError) -> Void
    ) throws(PhotoIndexError) {
        guard !files.isEmpty else { return }
        let queue = BoundedQueue<[ReadFile]>(capacity: prefetch)
        let producer = Thread {
            read(files: files, batchSize: batchSize, maximumFileBytes: maximumFileBytes, into: queue)
        }
        producer.stackSize = 1 << 20
        producer.start()
        // Whatever happens, the producer is stopped and waited for before returning.
        defer {
            queue.cancel()
            queue.waitUntilProducerFinished()
        }
        let preprocessor = model.imagePreprocessor
        var seen = knownHashes
        var outcomes: [FileOutcome] = []
        var images: [RGBImage] = []

        func flush() throws(PhotoIndexError) {
            var embeddings: Tensor?
            if !images.isEmpty {
                do {
                    let pixels = try preprocessor.pixelValues(forPrepared: images)
                    do { embeddings = try model.encode(pixelValues: pixels, normalized: true) } catch { throw PhotoIndexError.model(error) }
                } catch let error as PhotoIndexError {
                    throw error
                } catch {
                    // Prepared images share the crop size; only without a crop can sizes
                    // differ, and then those files fail rather than stop the run.
                    outcomes = outcomes.map { outcome in
                        outcome.row == nil ? outcome : FileOutcome(file: outcome.file, hash: outcome.hash, error: "\(error)", row: nil)
                    }
                }
            }
            let batch = EmbeddedBatch(outcomes: outcomes, embeddings: embeddings)
            outcomes = []
            images = []
            try consume(batch)
        }

        while let batch = queue.pop() {
            // Hashes and decodes on the compute threads, each file on one of them.
            let hashes = ResultSlots<ContentHash?>(count: batch.count)
            ComputeThreads.parallel(batch.count) { i in
                hashes.set(batch[i].data.map { ContentHash(of: $0) }, at: i)
            }
            // In order: which files need the model (the first of each new content).
            var decode: [Int] = []
            var examined: [(hash: ContentHash?, decode: Bool)] = []
            for (i, file) in batch.enumerated() {
                let hash = hashes.value(at: i) ?? nil
                let needed = file.data != nil && hash.map { !seen.contains($0) } == true
                if needed, let hash {
                    decode.append(i)
                    if deduplicate { seen.insert(hash) }
                }
                examined.append((hash, needed))
            }
            // Decodes and prepares the files that need the model, on the compute threads.
            var prepared = [Result<RGBImage, ImageProcessingError>?](repeating: nil, count: batch.count)
            let results = preprocessor.preparedImages(fromData: decode.map { batch[$0].data ?? Data() },
                                                      sources: decode.map { batch[$0].file.path })
            for (j, i) in decode.enumerated() { prepared[i] = results[j] }
            for (i, file) in batch.enumerated() {
                let (hash, needed) = examined[i]
                if let failure = file.failure {
                    outcomes.append(FileOutcome(file: file.file, hash: nil, error: failure, row: nil))
                } else if !needed {
                    outcomes.append(FileOutcome(file: file.file, hash: hash, error: nil, row: nil))
                } else {
                    switch prepared[i] {
                    case let .success(image)?:
                        outcomes.append(FileOutcome(file: file.file, hash: hash, error: nil, row: images.count))
                        images.append(image)
                    case let .failure(error)?:
                        if deduplicate, let hash { seen.remove(hash) }
                        outcomes.append(FileOutcome(file: file.file, hash: hash, error: "\(error)", row: nil))
                    case nil:
                        outcomes.append(FileOutcome(file: file.file, hash: hash, error: "\(file.file.path): not decoded", row: nil))
                    }
                }
            }
            if images.count >= batchSize || outcomes.count >= maximumOutcomesPerBatch { try flush() }
        }
        if !outcomes.isEmpty { try flush() }
    }

    /// A file's bytes as the producer read them, or why they could not be read.
    struct ReadFile: Sendable {
        let file: ScannedFile
        let data: Data?
        let failure: String?
    }

    /// Outcomes without pixels (reused hashes, failures) ride along with the next images, but a
    /// batch carries at most this many outcomes, so a run of renames commits steadily too.
    static let maximumOutcomesPerBatch = 512
    /// A batch of bytes read ahead holds at most this much (plus one file), whatever the files' sizes.
    static let maximumBatchBytes: Int64 = 256 << 20

    /// The producer: reads `files` in batches of `batchSize` into `queue`.
    private static func read(files: [ScannedFile], batchSize: Int, maximumFileBytes: Int64,
                             into queue: BoundedQueue<[ReadFile]>) {
        defer { queue.finish() }
        var batch: [ReadFile] = []
        var bytes: Int64 = 0
        for file in files {
            if queue.isCancelled { return }
            if file.size > maximumFileBytes {
                batch.append(ReadFile(file: file, data: nil, failure:
                    "\(file.path): \(file.size) bytes, more than the \(maximumFileBytes)-byte limit for an image file"))
            } else {
                do {
                    let data = try Data(contentsOf: URL(fileURLWithPath: file.path))
                    bytes += Int64(data.count)
                    batch.append(ReadFile(file: file, data: data, failure: nil))
                } catch {
                    batch.append(ReadFile(file: file, data: nil, failure: "\(file.path): cannot read: \((error as NSError).localizedDescription)"))
                }
            }
            if batch.count >= batchSize || bytes >= maximumBatchBytes {
                guard queue.push(batch) else { return }
                batch = []
                bytes = 0
            }
        }
        if !batch.isEmpty { _ = queue.push(batch) }
    }
}

/// One slot per item of a parallel loop; each worker writes only its own slots.
final class ResultSlots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Value?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ value: Value, at index: Int) {
        lock.lock()
        storage[index] = value
        lock.unlock()
    }

    func value(at index: Int) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return storage[index]
    }
}

/// A queue of at most `capacity` elements between one producer thread and one consumer, with
/// cancellation from either side.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private let capacity: Int
    private var finished = false
    private var cancelled = false

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds an element, waiting while the queue is full; false when the consumer cancelled.
    func push(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next element, waiting for one; nil once the producer finished and the queue is empty.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished && !cancelled { condition.wait() }
        guard !cancelled, !items.isEmpty else { return nil }
        let item = items.removeFirst()
        condition.broadcast()
        return item
    }

    /// Called by the producer when it has pushed everything (or stopped).
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the producer at its next push and drops what is queued.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// Waits until the producer called ``finish()``.
    func waitUntilProducerFinished() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
