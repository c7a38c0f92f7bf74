import CLIPSupport

/// Errors thrown while reading or writing safetensors files and sharded checkpoints.
///
/// Every case names the file involved; cases about one tensor name it too. Offsets inside the
/// JSON header count bytes from the first byte of the header text (file offset 8).
/// The ``description`` is a single line, with names from the file escaped and shortened, so it
/// can be shown to a user as is.
public enum SafeTensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened, inspected or mapped; `reason` is the system's message.
    case cannotOpen(file: String, reason: String)
    /// The path is not a regular file (a directory, a device, a FIFO...).
    case notARegularFile(file: String)
    /// The file is shorter than the 8-byte header length field (for example, empty).
    case fileTooSmall(file: String, size: Int)
    /// The header length field exceeds the sanity limit ``SafeTensorsFile/maximumHeaderLength``.
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    /// The header length field points past the end of the file (a truncated header).
    case headerLengthExceedsFile(file: String, length: UInt64, fileSize: Int)
    /// The JSON text is malformed (syntax, encoding, nesting too deep) at `offset`.
    case invalidJSON(file: String, offset: Int, message: String)
    /// The header's JSON value is not an object; `found` says what it is.
    case headerNotObject(file: String, found: String)
    /// A JSON object (the header, a tensor entry, the metadata or an index map) repeats `key`.
    /// Keys compare as Swift strings, so two spellings of the same text (for example a
    /// precomposed and a decomposed accent, or an escaped and a literal character) also count
    /// as duplicates: such names would be ambiguous.
    case duplicateKey(file: String, key: String, offset: Int)
    /// The `__metadata__` entry is not an object of strings.
    case invalidMetadata(file: String, key: String?, message: String)
    /// A tensor entry lacks a field or has a field of the wrong JSON type.
    case invalidTensorEntry(file: String, tensor: String, message: String)
    /// A tensor declares a dtype the format does not define.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// A shape entry is negative.
    case negativeDimension(file: String, tensor: String, axis: Int, value: Int)
    /// An integer in `field` (`"shape"` or `"data_offsets"`) does not fit a 64-bit signed integer.
    case integerOutOfRange(file: String, tensor: String, field: String, literal: String)
    /// The shape's element count, or its byte size, overflows.
    case shapeOverflow(file: String, tensor: String, shape: [Int])
    /// `data_offsets` has `begin > end`.
    case invalidOffsets(file: String, tensor: String, begin: Int, end: Int)
    /// `data_offsets` reaches past the end of the data buffer (for example, a truncated file).
    case offsetsOutOfBounds(file: String, tensor: String, begin: Int, end: Int, bufferSize: Int)
    /// The byte range's length differs from element count × dtype size.
    case sizeMismatch(file: String, tensor: String, dtype: SafeTensorsDType, shape: [Int], expectedBytes: Int?, actualBytes: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(file: String, tensor: String, other: String)
    /// Bytes of the data buffer that no tensor covers (a hole, or trailing bytes), which the
    /// format forbids.
    case uncoveredBytes(file: String, offset: Int, length: Int)
    /// No tensor of that name exists.
    case tensorNotFound(file: String, tensor: String)
    /// The tensor's dtype cannot be converted as requested (for example C64 to Float32, or
    /// F32 to integers).
    case unsupportedConversion(file: String, tensor: String, dtype: SafeTensorsDType, to: String)
    /// An integer value does not fit the requested type (a U64 above `Int64.max`, or a value
    /// out of range for the dtype being written). `index` is the element's row-major index.
    case valueOutOfRange(file: String, tensor: String, index: Int)
    /// A sharded checkpoint's index file is malformed.
    case invalidIndex(file: String, message: String)
    /// A checkpoint index names a shard file that does not exist.
    case missingShard(index: String, shard: String, tensor: String)
    /// A checkpoint index maps a tensor to a shard that does not contain it.
    case tensorMissingFromShard(index: String, shard: String, tensor: String)
    /// A directory holds no weights file this package recognises, or several candidates.
    case noWeightsFound(directory: String, message: String)
    /// A writer was given an unusable entry (duplicate or reserved name, wrong byte count...).
    case invalidWriterEntry(tensor: String, message: String)
    /// Writing the file failed.
    case writeFailed(file: String, reason: String)

    /// A one-line explanation naming the file, the tensor and the problem.
    public var description: String {
        switch self {
        case let .cannotOpen(file, reason):
            return "\(q(file)): cannot open: \(reason)"
        case let .notARegularFile(file):
            return "\(q(file)): not a regular file"
        case let .fileTooSmall(file, size):
            return "\(q(file)): file is \(size) bytes, too small for a safetensors header (at least 8 bytes)"
        case let .headerTooLarge(file, length, limit):
            return "\(q(file)): header length \(length) exceeds the limit of \(limit) bytes"
        case let .headerLengthExceedsFile(file, length, fileSize):
            return "\(q(file)): header length \(length) runs past the end of the \(fileSize)-byte file (truncated header)"
        case let .invalidJSON(file, offset, message):
            return "\(q(file)): invalid JSON at byte \(offset) of the header: \(message)"
        case let .headerNotObject(file, found):
            return "\(q(file)): header must be a JSON object, found \(found)"
        case let .duplicateKey(file, key, offset):
            return "\(q(file)): duplicate key \(q(key)) at byte \(offset) of the JSON"
        case let .invalidMetadata(file, key, message):
            if let key { return "\(q(file)): __metadata__ entry \(q(key)): \(message)" }
            return "\(q(file)): __metadata__: \(message)"
        case let .invalidTensorEntry(file, tensor, message):
            return "\(q(file)): tensor \(q(tensor)): \(message)"
        case let .unknownDType(file, tensor, dtype):
            return "\(q(file)): tensor \(q(tensor)): unknown dtype \(q(dtype))"
        case let .negativeDimension(file, tensor, axis, value):
            return "\(q(file)): tensor \(q(tensor)): shape entry \(axis) is negative (\(value))"
        case let .integerOutOfRange(file, tensor, field, literal):
            return "\(q(file)): tensor \(q(tensor)): \(field) value \(q(literal)) is out of range"
        case let .shapeOverflow(file, tensor, shape):
            return "\(q(file)): tensor \(q(tensor)): shape \(shape) has too many elements (size overflows)"
        case let .invalidOffsets(file, tensor, begin, end):
            return "\(q(file)): tensor \(q(tensor)): data_offsets [\(begin), \(end)] begin after end"
        case let .offsetsOutOfBounds(file, tensor, begin, end, bufferSize):
            return "\(q(file)): tensor \(q(tensor)): data_offsets [\(begin), \(end)] past the end of the \(bufferSize)-byte data buffer (truncated file?)"
        case let .sizeMismatch(file, tensor, dtype, shape, expected, actual):
            let need = expected.map { "\($0) bytes" } ?? "a whole number of bytes"
            return "\(q(file)): tensor \(q(tensor)): \(dtype) shape \(shape) needs \(need), data_offsets span \(actual)"
        case let .overlappingTensors(file, tensor, other):
            return "\(q(file)): tensors \(q(other)) and \(q(tensor)) overlap"
        case let .uncoveredBytes(file, offset, length):
            return "\(q(file)): \(length) bytes of the data buffer at offset \(offset) belong to no tensor"
        case let .tensorNotFound(file, tensor):
            return "\(q(file)): no tensor named \(q(tensor))"
        case let .unsupportedConversion(file, tensor, dtype, target):
            return "\(q(file)): tensor \(q(tensor)): cannot convert \(dtype) to \(target)"
        case let .valueOutOfRange(file, tensor, index):
            return "\(q(file)): tensor \(q(tensor)): element \(index) is out of range for the requested type"
        case let .invalidIndex(file, message):
            return "\(q(file)): invalid checkpoint index: \(message)"
        case let .missingShard(index, shard, tensor):
            return "\(q(index)): shard \(q(shard)) (holding \(q(tensor))) does not exist"
        case let .tensorMissingFromShard(index, shard, tensor):
            return "\(q(index)): tensor \(q(tensor)) is mapped to shard \(q(shard)), which does not contain it"
        case let .noWeightsFound(directory, message):
            return "\(q(directory)): \(message)"
        case let .invalidWriterEntry(tensor, message):
            return "tensor \(q(tensor)): \(message)"
        case let .writeFailed(file, reason):
            return "\(q(file)): cannot write: \(reason)"
        }
    }
}

extension SafeTensorsError {
    /// The error for a JSON syntax problem in `file`: a repeated key is ``duplicateKey(file:key:offset:)``,
    /// anything else ``invalidJSON(file:offset:message:)``.
    init(_ error: JSONSyntaxError, file: String) {
        if case let .duplicateKey(key) = error.problem {
            self = .duplicateKey(file: file, key: key, offset: error.offset)
        } else {
            self = .invalidJSON(file: file, offset: error.offset, message: error.message)
        }
    }
}

extension StrictJSONReader where Failure == SafeTensorsError {
    /// A reader of `bytes` whose syntax errors name `file`.
    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.init(bytes: bytes) { SafeTensorsError($0, file: file) }
    }
}

/// `text` quoted for a one-line message (``Swift/String/quotedForMessage``): names taken from a
/// file never break a message.
func q(_ text: String) -> String { text.quotedForMessage }
