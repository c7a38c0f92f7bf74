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

/// Reads, hashes, decodes and preprocesses files on one producer thread while the calling
/// thread runs the model on the batch before: a bounded producer/consumer pipeline.
///
/// The producer works beside the compute threads with its loops run serially
/// (`ComputeThreads.serially`), so decoding never brings a second team of threads; at most
/// `prefetch` decoded batches wait for the model, which bounds memory whatever the number of
/// files. A file whose content hash is in `knownHashes` (already embedded by this model), or
/// (when `deduplicate`) repeats one seen earlier in the run, is not decoded.
enum EmbeddingPipeline {
    static func run(
        files: [ScannedFile], model: CLIPModel, knownHashes: Set<ContentHash>,
        batchSize: Int, prefetch: Int, maximumFileBytes: Int64, deduplicate: Bool = true,
        consume: (EmbeddedBatch) throws(PhotoIndexError) -> Void
    ) throws(PhotoIndexError) {
        guard !files.isEmpty else { return }
        let queue = BoundedQueue<DecodedBatch>(capacity: prefetch)
        let producer = Thread {
            ComputeThreads.serially {
                produce(files: files, preprocessor: model.imagePreprocessor, knownHashes: knownHashes,
                        batchSize: batchSize, maximumFileBytes: maximumFileBytes, deduplicate: deduplicate, into: queue)
            }
        }
        producer.stackSize = 16 << 20
        producer.start()
        // Whatever happens, the producer is stopped and waited for before returning.
        defer {
            queue.cancel()
            queue.waitUntilProducerFinished()
        }
        while let batch = queue.pop() {
            var embeddings: Tensor?
            if let pixels = batch.pixels {
                do { embeddings = try model.encode(pixelValues: pixels, normalized: true) } catch { throw .model(error) }
            }
            try consume(EmbeddedBatch(outcomes: batch.outcomes, embeddings: embeddings))
        }
    }

    /// A batch made by the producer: outcomes plus the stacked pixels of the embedded rows.
    struct DecodedBatch: Sendable {
        var outcomes: [FileOutcome]
        var pixels: Tensor?
    }

    /// Outcomes without pixels (reused hashes, failures) ride along with the next images, but a
    /// batch carries at most this many outcomes, so a run of renames commits steadily too.
    static let maximumOutcomesPerBatch = 512

    private static func produce(
        files: [ScannedFile], preprocessor: ImagePreprocessor, knownHashes: Set<ContentHash>,
        batchSize: Int, maximumFileBytes: Int64, deduplicate: Bool, into queue: BoundedQueue<DecodedBatch>
    ) {
        defer { queue.finish() }
        var seen = knownHashes
        var outcomes: [FileOutcome] = []
        var images: [RGBImage] = []
        func flush() -> Bool {
            var pixels: Tensor?
            if !images.isEmpty {
                do {
                    pixels = try preprocessor.pixelValues(forPrepared: images)
                } catch {
                    // Prepared images all have the crop size; sizes only differ without a crop,
                    // so those rows fail here rather than stop the run.
                    outcomes = outcomes.map { outcome in
                        outcome.row == nil ? outcome : FileOutcome(file: outcome.file, hash: outcome.hash, error: "\(error)", row: nil)
                    }
                }
            }
            let batch = DecodedBatch(outcomes: outcomes, pixels: pixels)
            outcomes = []
            images = []
            return queue.push(batch)
        }
        for file in files {
            if queue.isCancelled { return }
            let outcome = examine(file, preprocessor: preprocessor, seen: &seen, maximumFileBytes: maximumFileBytes,
                                  nextRow: images.count)
            if !deduplicate { seen.removeAll(keepingCapacity: true) }
            if let image = outcome.image { images.append(image) }
            outcomes.append(outcome.outcome)
            if images.count >= batchSize || outcomes.count >= maximumOutcomesPerBatch {
                guard flush() else { return }
            }
        }
        if !outcomes.isEmpty { _ = flush() }
    }

    private static func examine(
        _ file: ScannedFile, preprocessor: ImagePreprocessor, seen: inout Set<ContentHash>,
        maximumFileBytes: Int64, nextRow: Int
    ) -> (outcome: FileOutcome, image: RGBImage?) {
        func failed(_ hash: ContentHash?, _ message: String) -> (FileOutcome, RGBImage?) {
            (FileOutcome(file: file, hash: hash, error: message, row: nil), nil)
        }
        guard file.size <= maximumFileBytes else {
            return failed(nil, "\(file.path): \(file.size) bytes, more than the \(maximumFileBytes)-byte limit for an image file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file.path))
        } catch {
            return failed(nil, "\(file.path): cannot read: \((error as NSError).localizedDescription)")
        }
        let hash = ContentHash(of: data)
        if seen.contains(hash) { return (FileOutcome(file: file, hash: hash, error: nil, row: nil), nil) }
        do {
            let image = try preprocessor.loader.image(from: data, source: file.path)
            let prepared = try preprocessor.preparedImage(image)
            seen.insert(hash)
            return (FileOutcome(file: file, hash: hash, error: nil, row: nextRow), prepared)
        } catch {
            return failed(hash, "\(error)")
        }
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
