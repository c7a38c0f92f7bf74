/// Errors thrown by image decoding, resizing and preprocessing. Each case names the input
/// (`source`: a file path, or `"<memory>"` for bytes passed in directly) and what was wrong.
public enum ImageProcessingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read (missing, a directory, no permission, ...).
    case fileUnreadable(path: String, reason: String)
    /// The input has no bytes.
    case emptyInput(source: String)
    /// No decoder recognizes the data; `signature` shows the first bytes in hex.
    case unrecognizedFormat(source: String, signature: String)
    /// The decoder rejected the data (`detail` is the codec's message).
    case corruptImage(source: String, format: String, detail: String)
    /// The data ends before the image does.
    case truncatedImage(source: String, format: String, detail: String)
    /// A valid file using a feature that is not supported (e.g. an unusual colour space).
    case unsupportedImage(source: String, format: String, detail: String)
    /// The header announces more pixels than `DecodingOptions.maximumPixelCount` allows.
    /// Nothing was allocated for the pixels.
    case imageTooLarge(source: String, width: Int, height: Int, limit: Int)
    /// An image wider or taller than `DecodingOptions.maximumSideLength` (`limit`).
    case imageSideTooLong(source: String, width: Int, height: Int, limit: Int)
    /// A width or height of zero or less, or a size whose byte count overflows.
    case invalidDimensions(source: String, width: Int, height: Int)
    /// A raw pixel buffer whose byte count does not match `width * height * channels`.
    case pixelBufferSizeMismatch(width: Int, height: Int, layout: PixelLayout, expected: Int, actual: Int)
    /// The decoder ran out of memory.
    case outOfMemory(source: String, format: String)
    /// A preprocessing configuration value that is missing, misspelled or out of range.
    case invalidConfiguration(file: String, key: String, reason: String)
    /// A batch with no images.
    case emptyBatch
    /// Images of one batch that preprocess to different shapes (only possible without a center crop).
    case batchShapeMismatch(index: Int, shape: [Int], expected: [Int])
    /// A resize or crop target of zero or negative size.
    case invalidTargetSize(operation: String, width: Int, height: Int)

    /// A one-line message naming the input and the problem.
    public var description: String {
        switch self {
        case let .fileUnreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .emptyInput(source):
            return "\(source): the image data is empty"
        case let .unrecognizedFormat(source, signature):
            return "\(source): not a supported image format (first bytes: \(signature))"
        case let .corruptImage(source, format, detail):
            return "\(source): corrupt \(format) image: \(detail)"
        case let .truncatedImage(source, format, detail):
            return "\(source): truncated \(format) image: \(detail)"
        case let .unsupportedImage(source, format, detail):
            return "\(source): unsupported \(format) image: \(detail)"
        case let .imageTooLarge(source, width, height, limit):
            return "\(source): image of \(width)x\(height) pixels exceeds the limit of \(limit) pixels"
        case let .imageSideTooLong(source, width, height, limit):
            return "\(source): image of \(width)x\(height) pixels has a side longer than the limit of \(limit) pixels"
        case let .invalidDimensions(source, width, height):
            return "\(source): invalid image dimensions \(width)x\(height)"
        case let .pixelBufferSizeMismatch(width, height, layout, expected, actual):
            return "pixel buffer for a \(width)x\(height) \(layout) image needs \(expected) bytes, got \(actual)"
        case let .outOfMemory(source, format):
            return "\(source): out of memory while decoding the \(format) image"
        case let .invalidConfiguration(file, key, reason):
            return "\(file): invalid preprocessing setting '\(key)': \(reason)"
        case .emptyBatch:
            return "cannot preprocess an empty batch of images"
        case let .batchShapeMismatch(index, shape, expected):
            return "image \(index) of the batch preprocesses to shape \(shape), expected \(expected) like the first image"
        case let .invalidTargetSize(operation, width, height):
            return "\(operation): invalid target size \(width)x\(height)"
        }
    }
}
