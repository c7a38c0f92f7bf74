import CLIPSupport
import Foundation
import TensorCore

/// Builds a safetensors file from named tensors, for tests and tools.
///
/// Tensors are stored in the order they are added, back to back (the format forbids gaps),
/// after a header that lists them in the same order, preceded by `__metadata__` when there is
/// any. Like the Python `safetensors` library, the header is padded with spaces to a multiple
/// of 8 bytes unless ``alignsHeader`` is turned off (useful to test unaligned reads).
///
///     var writer = SafeTensorsWriter(metadata: ["format": "pt"])
///     try writer.add(weights, named: "proj.weight", as: .float16)
///     try writer.add(integers: Array(0..<77), shape: [1, 77], named: "position_ids", as: .int64)
///     try writer.write(to: url)
public struct SafeTensorsWriter: Sendable {
    struct Entry: Sendable {
        var name: String
        var dtype: SafeTensorsDType
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// The `__metadata__` map written into the header (keys are written sorted).
    public var metadata: [String: String]
    /// Whether to pad the header with spaces to a multiple of 8 bytes (default `true`).
    public var alignsHeader = true
    private var entries: [Entry] = []
    private var names: Set<String> = []

    /// An empty writer with the given metadata.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The names added so far, in order.
    public var tensorNames: [String] { entries.map(\.name) }

    /// Adds a Float32 tensor, stored as `dtype`: `.float32` (bit-exact), `.float64` (exact),
    /// `.float16` or `.bfloat16` (rounded to nearest even).
    /// - Throws: `invalidWriterEntry` for a repeated or reserved name or another dtype.
    public mutating func add(_ tensor: Tensor, named name: String, as dtype: SafeTensorsDType = .float32) throws(SafeTensorsError) {
        try checkName(name)
        let count = tensor.count
        var bytes = [UInt8](repeating: 0, count: count * (dtype.byteWidth ?? 0))
        let supported: Bool = tensor.withUnsafeBufferPointer { source in
            bytes.withUnsafeMutableBytes { destination in
                guard let from = source.baseAddress, let to = destination.baseAddress, count > 0 else {
                    return [.float32, .float64, .float16, .bfloat16].contains(dtype)
                }
                switch dtype {
                case .float32:
                    for i in 0..<count { to.storeBytes(of: from[i].bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
                case .float64:
                    for i in 0..<count {
                        to.storeBytes(of: Double(from[i]).bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                    }
                case .float16:
                    HalfPrecision.float32ToFloat16(from, count: count, into: to)
                case .bfloat16:
                    HalfPrecision.float32ToBFloat16(from, count: count, into: to)
                default:
                    return false
                }
                return true
            }
        }
        guard supported else {
            throw .invalidWriterEntry(
                tensor: name, message: "cannot store Float32 values as \(dtype); use add(integers:) or add(rawBytes:)")
        }
        entries.append(Entry(name: name, dtype: dtype, shape: tensor.shape, bytes: bytes))
        names.insert(name)
    }

    /// Adds integer values (row-major) stored as the integer dtype `dtype` (I8...I64,
    /// U8...U64, or BOOL with values 0 and 1).
    /// - Throws: `invalidWriterEntry` for a bad name, shape or dtype; `valueOutOfRange` for a
    ///   value the dtype cannot hold.
    public mutating func add<Value: BinaryInteger>(
        integers values: [Value], shape: [Int], named name: String, as dtype: SafeTensorsDType
    ) throws(SafeTensorsError) {
        try checkName(name)
        try checkShape(shape, count: values.count, name: name)
        guard dtype.isInteger, let width = dtype.byteWidth else {
            throw .invalidWriterEntry(tensor: name, message: "\(dtype) is not an integer dtype")
        }
        var bytes = [UInt8](repeating: 0, count: values.count * width)
        var failure: Int?
        bytes.withUnsafeMutableBytes { destination in
            for (i, value) in values.enumerated() {
                let stored: Bool
                switch dtype {
                case .int8: stored = Self.store(value, as: Int8.self, at: i, in: destination)
                case .uint8: stored = Self.store(value, as: UInt8.self, at: i, in: destination)
                case .int16: stored = Self.store(value, as: Int16.self, at: i, in: destination)
                case .uint16: stored = Self.store(value, as: UInt16.self, at: i, in: destination)
                case .int32: stored = Self.store(value, as: Int32.self, at: i, in: destination)
                case .uint32: stored = Self.store(value, as: UInt32.self, at: i, in: destination)
                case .int64: stored = Self.store(value, as: Int64.self, at: i, in: destination)
                case .uint64: stored = Self.store(value, as: UInt64.self, at: i, in: destination)
                default: stored = (value == 0 || value == 1) && Self.store(value, as: UInt8.self, at: i, in: destination)
                }
                if !stored { failure = i; return }
            }
        }
        if let failure { throw .valueOutOfRange(file: "<writer>", tensor: name, index: failure) }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
        names.insert(name)
    }

    private static func store<Value: BinaryInteger, Stored: FixedWidthInteger>(
        _ value: Value, as _: Stored.Type, at index: Int, in buffer: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard let exact = Stored(exactly: value) else { return false }
        buffer.storeBytes(of: exact.littleEndian, toByteOffset: index * MemoryLayout<Stored>.size, as: Stored.self)
        return true
    }

    /// Adds a tensor of any dtype from its raw little-endian bytes, which must be exactly the
    /// size `shape` and `dtype` call for.
    /// - Throws: `invalidWriterEntry` for a bad name or shape, or a wrong byte count.
    public mutating func add(
        rawBytes: [UInt8], dtype: SafeTensorsDType, shape: [Int], named name: String
    ) throws(SafeTensorsError) {
        try checkName(name)
        let count = try checkShape(shape, count: nil, name: name)
        guard let expected = dtype.byteCount(forElementCount: count), expected == rawBytes.count else {
            throw .invalidWriterEntry(
                tensor: name, message: "\(dtype) shape \(shape) does not take \(rawBytes.count) bytes")
        }
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: rawBytes))
        names.insert(name)
    }

    private func checkName(_ name: String) throws(SafeTensorsError) {
        guard name != "__metadata__" else {
            throw .invalidWriterEntry(tensor: name, message: "the name __metadata__ is reserved")
        }
        guard !names.contains(name) else {
            throw .invalidWriterEntry(tensor: name, message: "a tensor of this name was already added")
        }
    }

    @discardableResult
    private func checkShape(_ shape: [Int], count: Int?, name: String) throws(SafeTensorsError) -> Int {
        var total = 1
        for extent in shape {
            guard extent >= 0 else { throw .invalidWriterEntry(tensor: name, message: "shape \(shape) has a negative extent") }
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw .invalidWriterEntry(tensor: name, message: "shape \(shape) overflows") }
            total = product
        }
        if let count, count != total {
            throw .invalidWriterEntry(tensor: name, message: "shape \(shape) needs \(total) values, got \(count)")
        }
        return total
    }

    /// The complete file contents.
    public func serialized() -> [UInt8] {
        var header = "{"
        var first = true
        if !metadata.isEmpty {
            header += "\"__metadata__\":{"
            header += metadata.keys.sorted().map { "\($0.jsonLiteral):\((metadata[$0] ?? "").jsonLiteral)" }
                .joined(separator: ",")
            header += "}"
            first = false
        }
        var offset = 0
        for entry in entries {
            if !first { header += "," }
            first = false
            let shape = entry.shape.map(String.init).joined(separator: ",")
            header += "\(entry.name.jsonLiteral):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
            header += "\"data_offsets\":[\(offset),\(offset + entry.bytes.count)]}"
            offset += entry.bytes.count
        }
        header += "}"
        var headerBytes = Array(header.utf8)
        if alignsHeader {
            headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8)
        }
        var output: [UInt8] = []
        output.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { output += $0 }
        output += headerBytes
        for entry in entries { output += entry.bytes }
        return output
    }

    /// Writes the file to `url` (atomically: a temporary file renamed into place).
    /// - Throws: `writeFailed` with the system's reason.
    public func write(to url: URL) throws(SafeTensorsError) {
        do {
            try Data(serialized()).write(to: url, options: .atomic)
        } catch {
            throw .writeFailed(file: url.path, reason: error.localizedDescription)
        }
    }
}
