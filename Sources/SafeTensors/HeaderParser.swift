import CLIPSupport

/// Where one tensor's elements are in a safetensors file, and how to read them.
public struct TensorInfo: Sendable, Hashable {
    /// The tensor's name (its key in the header).
    public var name: String
    /// The element type.
    public var dtype: SafeTensorsDType
    /// The extent of each axis, outermost first (`[]` for a scalar).
    public var shape: [Int]
    /// The byte range of the elements, relative to the start of the data buffer (the
    /// header's `data_offsets`). Its length is ``elementCount`` × the dtype's size.
    public var dataOffsets: Range<Int>

    /// Creates a description; ``SafeTensorsFile`` validates these before handing them out.
    public init(name: String, dtype: SafeTensorsDType, shape: [Int], dataOffsets: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }

    /// The number of elements (the product of ``shape``; 1 for a scalar, 0 for an empty tensor).
    /// Infos from a ``SafeTensorsFile`` never overflow; for hand-made ones the product
    /// saturates at `Int.max`.
    public var elementCount: Int {
        if shape.contains(0) { return 0 }
        var total = 1
        for extent in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            if overflow { return Int.max }
            total = product
        }
        return total
    }

    /// The number of bytes of the elements.
    public var byteCount: Int { dataOffsets.count }
}

/// The validated content of a safetensors header.
struct ParsedHeader {
    var tensors: [String: TensorInfo]
    var metadata: [String: String]
}

/// Parsing and validation of the JSON header of a safetensors file.
enum HeaderParser {
    /// Parses `header` (the JSON text) and validates every entry against a data buffer of
    /// `bufferSize` bytes: dtypes, shapes, sizes, bounds, overlaps and full coverage.
    static func parse(
        _ header: UnsafeRawBufferPointer, bufferSize: Int, file: String
    ) throws(SafeTensorsError) -> ParsedHeader {
        var reader = StrictJSONReader(bytes: header, file: file)
        guard reader.peek() == UInt8(ascii: "{") else {
            if reader.peek() == nil || !"{[\"-0123456789tfn".utf8.contains(reader.peek() ?? 0) {
                // Not even the start of a JSON value.
                throw reader.syntaxError("expected a JSON object, found \(reader.describeNextValue())")
            }
            let found = reader.describeNextValue()
            try reader.skipValue()
            guard reader.isAtEndAfterWhitespace() else {
                throw reader.syntaxError("unexpected characters after the JSON value")
            }
            throw .headerNotObject(file: file, found: found)
        }

        var entries: [(name: String, dtype: SafeTensorsDType, shape: [Int], begin: Int, end: Int)] = []
        var metadata: [String: String] = [:]
        try reader.readObject { (reader, key, _) throws(SafeTensorsError) in
            if key == "__metadata__" {
                metadata = try parseMetadata(&reader, file: file)
            } else {
                entries.append(try parseEntry(&reader, name: key, file: file))
            }
        }
        guard reader.isAtEndAfterWhitespace() else {
            throw reader.syntaxError("unexpected characters after the header object")
        }

        var tensors: [String: TensorInfo] = [:]
        tensors.reserveCapacity(entries.count)
        for entry in entries {
            guard entry.begin <= entry.end else {
                throw .invalidOffsets(file: file, tensor: entry.name, begin: entry.begin, end: entry.end)
            }
            guard entry.end <= bufferSize else {
                throw .offsetsOutOfBounds(
                    file: file, tensor: entry.name, begin: entry.begin, end: entry.end, bufferSize: bufferSize)
            }
            var elements = 1
            for extent in entry.shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw .shapeOverflow(file: file, tensor: entry.name, shape: entry.shape) }
                elements = product
            }
            let bits = elements.multipliedReportingOverflow(by: entry.dtype.bitWidth)
            guard !bits.overflow else { throw .shapeOverflow(file: file, tensor: entry.name, shape: entry.shape) }
            let expected = entry.dtype.byteCount(forElementCount: elements)
            guard expected == entry.end - entry.begin else {
                throw .sizeMismatch(
                    file: file, tensor: entry.name, dtype: entry.dtype, shape: entry.shape,
                    expectedBytes: expected, actualBytes: entry.end - entry.begin)
            }
            tensors[entry.name] = TensorInfo(
                name: entry.name, dtype: entry.dtype, shape: entry.shape, dataOffsets: entry.begin..<entry.end)
        }

        // The tensors must tile the data buffer exactly: no overlap, no hole, nothing after.
        let ordered = entries.sorted { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous: String?
        for entry in ordered {
            if entry.begin < covered, let previous {
                throw .overlappingTensors(file: file, tensor: entry.name, other: previous)
            }
            if entry.begin > covered {
                throw .uncoveredBytes(file: file, offset: covered, length: entry.begin - covered)
            }
            covered = entry.end
            previous = entry.name
        }
        if covered < bufferSize {
            throw .uncoveredBytes(file: file, offset: covered, length: bufferSize - covered)
        }
        return ParsedHeader(tensors: tensors, metadata: metadata)
    }

    private static func parseMetadata(
        _ reader: inout StrictJSONReader<SafeTensorsError>, file: String
    ) throws(SafeTensorsError) -> [String: String] {
        if try reader.readNullIfPresent() { return [:] }
        guard reader.peek() == UInt8(ascii: "{") else {
            throw .invalidMetadata(
                file: file, key: nil, message: "must be an object of strings, found \(reader.describeNextValue())")
        }
        var metadata: [String: String] = [:]
        try reader.readObject { (reader, key, _) throws(SafeTensorsError) in
            guard reader.peek() == UInt8(ascii: "\"") else {
                throw .invalidMetadata(
                    file: file, key: key, message: "value must be a string, found \(reader.describeNextValue())")
            }
            metadata[key] = try reader.readString()
        }
        return metadata
    }

    private static func parseEntry(
        _ reader: inout StrictJSONReader<SafeTensorsError>, name: String, file: String
    ) throws(SafeTensorsError) -> (name: String, dtype: SafeTensorsDType, shape: [Int], begin: Int, end: Int) {
        guard reader.peek() == UInt8(ascii: "{") else {
            throw .invalidTensorEntry(
                file: file, tensor: name, message: "expected an object, found \(reader.describeNextValue())")
        }
        var dtype: SafeTensorsDType?
        var shape: [Int]?
        var offsets: [Int]?
        try reader.readObject { (reader, key, _) throws(SafeTensorsError) in
            switch key {
            case "dtype":
                guard reader.peek() == UInt8(ascii: "\"") else {
                    throw .invalidTensorEntry(
                        file: file, tensor: name, message: "dtype must be a string, found \(reader.describeNextValue())")
                }
                let text = try reader.readString()
                guard let value = SafeTensorsDType(rawValue: text) else {
                    throw .unknownDType(file: file, tensor: name, dtype: text)
                }
                dtype = value
            case "shape":
                shape = try readIntegers(&reader, field: "shape", tensor: name, file: file, limit: nil)
            case "data_offsets":
                let pair = try readIntegers(&reader, field: "data_offsets", tensor: name, file: file, limit: 2)
                guard pair.count == 2 else {
                    throw .invalidTensorEntry(
                        file: file, tensor: name, message: "data_offsets must have 2 entries, found \(pair.count)")
                }
                offsets = pair
            default:
                // Unknown fields are ignored (as the reference implementation does), but must
                // still be valid JSON.
                try reader.skipValue()
            }
        }
        guard let dtype else { throw .invalidTensorEntry(file: file, tensor: name, message: "missing \"dtype\"") }
        guard let shape else { throw .invalidTensorEntry(file: file, tensor: name, message: "missing \"shape\"") }
        guard let offsets else {
            throw .invalidTensorEntry(file: file, tensor: name, message: "missing \"data_offsets\"")
        }
        return (name, dtype, shape, offsets[0], offsets[1])
    }

    /// Reads an array of non-negative integers (`shape` or `data_offsets`). `limit` bounds the
    /// number of entries.
    private static func readIntegers(
        _ reader: inout StrictJSONReader<SafeTensorsError>, field: String, tensor: String, file: String, limit: Int?
    ) throws(SafeTensorsError) -> [Int] {
        guard reader.peek() == UInt8(ascii: "[") else {
            throw .invalidTensorEntry(
                file: file, tensor: tensor, message: "\(field) must be an array, found \(reader.describeNextValue())")
        }
        var values: [Int] = []
        try reader.readArray { (reader, index) throws(SafeTensorsError) in
            if let limit, index >= limit {
                throw .invalidTensorEntry(
                    file: file, tensor: tensor, message: "\(field) must have \(limit) entries, found more")
            }
            guard let byte = reader.peek(),
                  byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
                throw .invalidTensorEntry(
                    file: file, tensor: tensor,
                    message: "\(field) entry \(index) must be an integer, found \(reader.describeNextValue())")
            }
            let number = try reader.readNumber()
            guard number.isInteger else {
                throw .invalidTensorEntry(
                    file: file, tensor: tensor,
                    message: "\(field) entry \(index) must be an integer, found \(reader.literal(of: number))")
            }
            guard let value = number.integerValue else {
                throw .integerOutOfRange(file: file, tensor: tensor, field: field, literal: reader.literal(of: number))
            }
            guard value >= 0 else {
                if field == "shape" {
                    throw .negativeDimension(file: file, tensor: tensor, axis: index, value: value)
                }
                throw .invalidTensorEntry(
                    file: file, tensor: tensor, message: "\(field) entry \(index) is negative (\(value))")
            }
            values.append(value)
        }
        return values
    }
}
