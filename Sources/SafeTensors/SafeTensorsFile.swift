import Foundation
import TensorCore

/// A safetensors file, memory-mapped read-only and validated when opened.
///
/// The format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length `N`, `N` bytes of JSON mapping each tensor name to its `dtype`, `shape` and
/// `data_offsets` (plus an optional `__metadata__` object of strings), then the data buffer.
///
/// Opening reads only the header; every entry is checked before any data is touched (known
/// dtype, non-negative shape without overflow, byte size = element count × dtype size,
/// offsets inside the buffer, tensors tiling the buffer without overlap or holes, no duplicate
/// JSON keys), so that later reads cannot go out of bounds. Tensor data is read lazily
/// from the map: an F32 tensor whose bytes are 4-byte aligned becomes a zero-copy `Tensor`
/// view, everything else is converted on request.
///
/// The map stays valid while this object or any tensor borrowed from it is alive. As with
/// every memory-mapped reader, truncating the file on disk while it is mapped makes later
/// reads of the lost pages fault; replace checkpoint files instead of rewriting them in place.
public final class SafeTensorsFile: WeightSource {
    /// The largest header accepted, in bytes (the limit the reference implementation uses).
    public static let maximumHeaderLength = 100_000_000

    /// The file's path (or the name given to in-memory bytes), used in errors.
    public let path: String
    /// The `__metadata__` map (empty when absent).
    public let metadata: [String: String]
    /// Every tensor name, sorted in ascending (code point) order.
    public let tensorNames: [String]
    /// The length of the JSON header in bytes.
    public let headerLength: Int
    /// The byte offset of the data buffer in the file (`8 + headerLength`).
    public var dataOffset: Int { 8 + headerLength }

    private let infos: [String: TensorInfo]
    private let bytes: FileBytes

    /// Maps and validates the safetensors file at `url`.
    /// - Throws: `SafeTensorsError` naming the file and the problem (I/O, header, entry).
    public convenience init(contentsOf url: URL) throws(SafeTensorsError) {
        let path = url.path
        try self.init(bytes: FileBytes(mappingFileAt: path), path: path)
    }

    /// Validates a safetensors file held in memory (the bytes are copied). `name` stands for
    /// the file in errors.
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws(SafeTensorsError) {
        let copy = bytes.withUnsafeBytes { FileBytes(copying: $0) }
        guard copy.count >= 8 else { throw .fileTooSmall(file: name, size: copy.count) }
        try self.init(bytes: copy, path: name)
    }

    private init(bytes: FileBytes, path: String) throws(SafeTensorsError) {
        let length = UInt64(littleEndian: bytes.base.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(Self.maximumHeaderLength) else {
            throw .headerTooLarge(file: path, length: length, limit: Self.maximumHeaderLength)
        }
        guard length <= UInt64(bytes.count - 8) else {
            throw .headerLengthExceedsFile(file: path, length: length, fileSize: bytes.count)
        }
        let headerLength = Int(length)
        let header = UnsafeRawBufferPointer(start: bytes.base + 8, count: headerLength)
        let parsed = try HeaderParser.parse(header, bufferSize: bytes.count - 8 - headerLength, file: path)
        self.path = path
        self.bytes = bytes
        self.headerLength = headerLength
        self.metadata = parsed.metadata
        self.infos = parsed.tensors
        self.tensorNames = parsed.tensors.keys.sorted()
    }

    /// The total size of the file in bytes.
    public var fileSize: Int { bytes.count }

    /// Whether the file holds a tensor named `name`.
    public func contains(_ name: String) -> Bool { infos[name] != nil }

    /// The dtype, shape and location of the tensor named `name`.
    /// - Throws: ``SafeTensorsError/tensorNotFound(file:tensor:)``.
    public func info(named name: String) throws(SafeTensorsError) -> TensorInfo {
        guard let info = infos[name] else { throw .tensorNotFound(file: path, tensor: name) }
        return info
    }

    /// The descriptions of all tensors, in ``tensorNames`` order.
    public var tensorInfos: [TensorInfo] { tensorNames.compactMap { infos[$0] } }

    /// The raw little-endian bytes of the tensor named `name`, without copying.
    ///
    /// The buffer points into the map: it is valid only while this `SafeTensorsFile` is alive
    /// (use it inside a scope that keeps the file, e.g. `withExtendedLifetime(file) { ... }`).
    /// It need not be aligned for the element type.
    public func rawBytes(named name: String) throws(SafeTensorsError) -> UnsafeRawBufferPointer {
        let info = try info(named: name)
        return UnsafeRawBufferPointer(start: bytes.base + dataOffset + info.dataOffsets.lowerBound, count: info.byteCount)
    }

    /// The tensor named `name` as Float32, shaped as in the file.
    ///
    /// F32 data at a 4-byte aligned address becomes a zero-copy view of the map (on
    /// little-endian hosts); unaligned F32 is copied. F16, BF16, F64, the F8 formats, integers
    /// and BOOL (0 or 1) are converted (and the mapped pages of the source released, so a
    /// converted tensor is resident once); integers beyond 2^24 are rounded to the nearest Float.
    /// - Throws: `tensorNotFound`, or `unsupportedConversion` for C64 and the sub-byte formats.
    public func tensor(named name: String) throws(SafeTensorsError) -> Tensor {
        let info = try info(named: name)
        let count = info.elementCount
        let source = bytes.base + dataOffset + info.dataOffsets.lowerBound
        do {
            #if _endian(little)
            if info.dtype == .float32, Int(bitPattern: source) % MemoryLayout<Float>.alignment == 0 {
                let floats = source.bindMemory(to: Float.self, capacity: count)
                return try Tensor(shape: info.shape, borrowing: floats, count: count, owner: bytes)
            }
            #endif
            guard info.dtype.isConvertibleToFloat32 else {
                throw SafeTensorsError.unsupportedConversion(file: path, tensor: name, dtype: info.dtype, to: "Float32")
            }
            // Every element is written by the conversion (on the compute threads for F16 and
            // BF16), so the buffer is not zero-filled first; the converted copy is what is kept,
            // and copyFloat32 gives back the mapped pages it was read from.
            return try Tensor(shape: info.shape) { destination, count in
                try copyFloat32(named: name, into: UnsafeMutableBufferPointer(start: destination, count: count))
            }
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            // Only reachable for element counts no Tensor can hold.
            throw .unsupportedConversion(
                file: path, tensor: name, dtype: info.dtype, to: "a Float32 tensor (\(error))")
        }
    }

    /// Writes the tensor named `name` as Float32 into `destination`, which must hold exactly its
    /// element count: the conversion of ``tensor(named:)`` into memory the caller reuses (a
    /// loader that reorders each weight and lets it go need not fault in fresh pages for every
    /// converted copy). The mapped pages read are given back afterwards.
    /// - Throws: `tensorNotFound`; `unsupportedConversion` for dtypes without a Float32 meaning
    ///   or when `destination.count` is not the element count.
    public func copyFloat32(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws(SafeTensorsError) {
        let info = try info(named: name)
        guard destination.count == info.elementCount, let target = destination.baseAddress else {
            throw .unsupportedConversion(file: path, tensor: name, dtype: info.dtype,
                                         to: "a buffer of \(destination.count) Float32 values (it has \(info.elementCount))")
        }
        let source = bytes.base + dataOffset + info.dataOffsets.lowerBound
        guard info.dtype.isConvertibleToFloat32,
              ElementConversion.toFloat32(info.dtype, source: source, count: info.elementCount, into: target) else {
            throw .unsupportedConversion(file: path, tensor: name, dtype: info.dtype, to: "Float32")
        }
        bytes.releaseResidentPages(UnsafeRawBufferPointer(start: source, count: info.dataOffsets.count))
    }

    /// The elements of an integer or BOOL tensor named `name`, exactly, in row-major order
    /// (e.g. `position_ids`).
    /// - Throws: `tensorNotFound`; `unsupportedConversion` for floating-point dtypes;
    ///   `valueOutOfRange` for a U64 element above `Int64.max`.
    public func int64Values(named name: String) throws(SafeTensorsError) -> [Int64] {
        let info = try info(named: name)
        guard info.dtype.isInteger else {
            throw .unsupportedConversion(file: path, tensor: name, dtype: info.dtype, to: "Int64")
        }
        let count = info.elementCount
        let source = bytes.base + dataOffset + info.dataOffsets.lowerBound
        var failure: Int?
        let values = [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard let destination = buffer.baseAddress else { return }
            failure = ElementConversion.toInt64(info.dtype, source: source, count: count, into: destination)
            // Elements are plain integers, so a partially written buffer needs no cleanup.
            initialized = failure == nil ? count : 0
        }
        if let failure { throw .valueOutOfRange(file: path, tensor: name, index: failure) }
        return values
    }

    /// The total number of elements of all tensors.
    public var parameterCount: Int { infos.values.reduce(0) { $0 + $1.elementCount } }
}
