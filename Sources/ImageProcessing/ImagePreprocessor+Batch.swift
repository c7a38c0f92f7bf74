import CLIPSupport
import Foundation
import TensorCore

/// Image files preprocessed as one batch, with the files that could not be used set aside:
/// what a tool or an indexer wants when one bad file among thousands must not stop the rest.
public struct PreprocessedBatch: Sendable {
    /// One input that could not be used, with the reason.
    public struct Failure: Sendable, Equatable {
        /// Its position in the input.
        public let index: Int
        /// Why: decoding, limits, or (without a crop) a size other than the batch's.
        public let error: ImageProcessingError
    }

    /// `[indices.count, 3, height, width]`; nil when no input could be used.
    public let pixelValues: Tensor?
    /// For each row of ``pixelValues``, the position of its input, ascending.
    public let indices: [Int]
    /// The inputs that could not be used, in input order.
    public let failures: [Failure]
}

extension ImagePreprocessor {
    /// Decodes and preprocesses image files on the compute threads, keeping going past files
    /// that fail: the pixels of every file that could be read, in input order, and the error of
    /// each one that could not (each naming its file). Without a crop, an image whose size
    /// differs from the first good one's is a failure (`batchShapeMismatch`).
    /// - Returns: the batch; its ``PreprocessedBatch/pixelValues`` is nil when every file failed
    ///   (or `urls` is empty).
    public func batch(contentsOf urls: [URL]) -> PreprocessedBatch {
        let loader = self.loader
        return batch(count: urls.count, source: { urls[$0].path }) { index in
            try loader.image(contentsOf: urls[index])
        }
    }

    /// Preprocesses decoded images, keeping going past images that fail (see
    /// ``batch(contentsOf:)``).
    public func batch(of images: [RGBImage]) -> PreprocessedBatch {
        batch(count: images.count, source: { "image \($0)" }) { index in images[index] }
    }

    /// Decodes images from their bytes (`data[i]`, named `sources[i]` in errors) and prepares
    /// them (``preparedImage(_:)``: resize and crop, still 8-bit) on the compute threads: each
    /// input's image or error, in input order. For a pipeline that reads files itself and stacks
    /// prepared images of several reads into one batch (``pixelValues(forPrepared:)``).
    public func preparedImages(fromData data: [Data], sources: [String]) -> [Result<RGBImage, ImageProcessingError>] {
        let loader = self.loader
        return prepare(count: min(data.count, sources.count), source: { sources[$0] }) { index in
            try loader.image(from: data[index], source: sources[index])
        }
    }

    /// Each input's prepared image or error, made on the compute threads (each worker decodes and
    /// prepares whole images into its own slots).
    private func prepare(count: Int, source: @escaping @Sendable (Int) -> String,
                         image: @escaping @Sendable (Int) throws -> RGBImage) -> [Result<RGBImage, ImageProcessingError>] {
        let slots = PreparedSlots(count: count)
        let preprocessor = self
        ComputeThreads.parallel(count) { index in
            do {
                slots.set(.success(try preprocessor.preparedImage(image(index))), at: index)
            } catch let error as ImageProcessingError {
                slots.set(.failure(error), at: index)
            } catch {
                // Only reachable when a custom decoder throws its own error type.
                slots.set(.failure(.corruptImage(source: source(index), format: "image", detail: "\(error)")), at: index)
            }
        }
        return slots.results.map { $0 ?? .failure(.emptyBatch) }
    }

    private func batch(count: Int, source: @escaping @Sendable (Int) -> String,
                       image: @escaping @Sendable (Int) throws -> RGBImage) -> PreprocessedBatch {
        var good: [(index: Int, image: RGBImage)] = []
        var failures: [PreprocessedBatch.Failure] = []
        for (index, result) in prepare(count: count, source: source, image: image).enumerated() {
            switch result {
            case let .success(prepared):
                if let first = good.first?.image, prepared.width != first.width || prepared.height != first.height {
                    failures.append(.init(index: index, error: .batchShapeMismatch(
                        index: index, shape: [3, prepared.height, prepared.width], expected: [3, first.height, first.width])))
                } else {
                    good.append((index, prepared))
                }
            case let .failure(error):
                failures.append(.init(index: index, error: error))
            }
        }
        guard !good.isEmpty, let pixels = try? pixelValues(forPrepared: good.map(\.image)) else {
            return PreprocessedBatch(pixelValues: nil, indices: [], failures: failures)
        }
        return PreprocessedBatch(pixelValues: pixels, indices: good.map(\.index), failures: failures)
    }
}

extension ImagePreprocessor {
    /// `pixel_values` of images that ``preparedImage(_:)`` already resized and cropped:
    /// `[images.count, 3, height, width]`, only rescaled and normalized (for a pipeline that
    /// prepares each image as it is decoded and stacks them later).
    /// - Throws: `.emptyBatch` for no images; `.batchShapeMismatch` when their sizes differ.
    public func pixelValues(forPrepared images: [RGBImage]) throws(ImageProcessingError) -> Tensor {
        guard let first = images.first else { throw .emptyBatch }
        for (index, image) in images.enumerated() where image.width != first.width || image.height != first.height {
            throw .batchShapeMismatch(index: index, shape: [3, image.height, image.width], expected: [3, first.height, first.width])
        }
        let planeCount = 3 * first.height * first.width
        let preprocessor = self
        do {
            return try Tensor(shape: [images.count, 3, first.height, first.width], initializingWith: { buffer in
                guard let base = buffer.baseAddress else { return }
                let output = SendableMutablePointer(base)
                ComputeThreads.parallel(images.count) { row in
                    preprocessor.normalize(images[row], into: output.base + row * planeCount)
                }
            })
        } catch {
            throw .emptyBatch
        }
    }
}

/// One result slot per image of a concurrent batch; each worker writes only its own slots.
private final class PreparedSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<RGBImage, ImageProcessingError>?]

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ result: Result<RGBImage, ImageProcessingError>, at index: Int) {
        lock.lock()
        defer { lock.unlock() }
        storage[index] = result
    }

    var results: [Result<RGBImage, ImageProcessingError>?] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }
}
