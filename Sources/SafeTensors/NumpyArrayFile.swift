import Foundation
import TensorCore

/// Errors reading or writing `.npy` files. Each case names the file (or `"<memory>"`).
public enum NumpyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read or written.
    case ioFailed(path: String, reason: String)
    /// The data does not start with the `.npy` magic string.
    case notNumpyFile(source: String)
    /// A format version other than 1.0, 2.0 or 3.0.
    case unsupportedVersion(source: String, major: Int, minor: Int)
    /// The header dictionary is malformed or incomplete.
    case malformedHeader(source: String, reason: String)
    /// A dtype other than little-endian float32 (`'<f4'`).
    case unsupportedDataType(source: String, descr: String)
    /// Column-major (`fortran_order: True`) data.
    case fortranOrderNotSupported(source: String)
    /// The data after the header has the wrong number of bytes for the shape.
    case dataSizeMismatch(source: String, shape: [Int], expectedBytes: Int, actualBytes: Int)

    /// A one-line message naming the file and the problem.
    public var description: String {
        switch self {
        case let .ioFailed(path, reason): return "\(path): \(reason)"
        case let .notNumpyFile(source): return "\(source): not a .npy file (missing \\x93NUMPY magic)"
        case let .unsupportedVersion(source, major, minor): return "\(source): unsupported .npy version \(major).\(minor)"
        case let .malformedHeader(source, reason): return "\(source): malformed .npy header: \(reason)"
        case let .unsupportedDataType(source, descr):
            return "\(source): .npy dtype '\(descr)' is not supported (need little-endian float32 '<f4')"
        case let .fortranOrderNotSupported(source): return "\(source): Fortran-order .npy arrays are not supported"
        case let .dataSizeMismatch(source, shape, expected, actual):
            return "\(source): .npy array of shape \(shape) needs \(expected) data bytes, found \(actual)"
        }
    }
}

/// Reads and writes NumPy `.npy` files holding little-endian float32 arrays in C (row-major)
/// order, the format of `numpy.save(path, array.astype(numpy.float32))`.
///
/// Self-contained (TensorCore and Foundation only) so it can move to another module.
public enum NumpyArrayFile {
    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// The `.npy` encoding (format 1.0, header padded to 64 bytes) of `tensor`.
    public static func encode(_ tensor: Tensor) -> Data {
        let shapeText: String
        switch tensor.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(tensor.shape[0]),)"
        default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // magic (6) + version (2) + length (2) + header, newline-terminated, a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        tensor.withUnsafeBufferPointer { values in
            var bytes = [UInt8](repeating: 0, count: values.count * 4)
            for (i, value) in values.enumerated() {
                let bits = value.bitPattern
                bytes[4 * i] = UInt8(truncatingIfNeeded: bits)
                bytes[4 * i + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                bytes[4 * i + 2] = UInt8(truncatingIfNeeded: bits >> 16)
                bytes[4 * i + 3] = UInt8(truncatingIfNeeded: bits >> 24)
            }
            data.append(contentsOf: bytes)
        }
        return data
    }

    /// Writes `tensor` to `url` as a `.npy` file (replacing it).
    /// - Throws: `NumpyFileError.ioFailed`.
    public static func write(_ tensor: Tensor, to url: URL) throws(NumpyFileError) {
        do {
            try encode(tensor).write(to: url, options: .atomic)
        } catch {
            throw .ioFailed(path: url.path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a float32 `.npy` file.
    /// - Throws: `NumpyFileError` naming the file.
    public static func read(contentsOf url: URL) throws(NumpyFileError) -> Tensor {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .ioFailed(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, source: url.path)
    }

    /// Decodes `.npy` bytes holding a little-endian float32 C-order array.
    /// - Throws: `NumpyFileError` naming `source`.
    public static func decode(_ data: Data, source: String = "<memory>") throws(NumpyFileError) -> Tensor {
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw .notNumpyFile(source: source) }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .malformedHeader(source: source, reason: "file ends inside the header length") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw .unsupportedVersion(source: source, major: major, minor: minor)
        }
        guard minor == 0 else { throw .unsupportedVersion(source: source, major: major, minor: minor) }
        guard headerLength <= data.count - headerStart else {
            throw .malformedHeader(source: source, reason: "header length \(headerLength) exceeds the file")
        }
        let headerBytes = data.subdata(in: data.startIndex + headerStart ..< data.startIndex + headerStart + headerLength)
        guard let header = String(data: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw .malformedHeader(source: source, reason: "header is not text")
        }
        let fields = try parseHeader(header, source: source)
        guard fields.descr == "<f4" else { throw .unsupportedDataType(source: source, descr: fields.descr) }
        guard !fields.fortranOrder else { throw .fortranOrderNotSupported(source: source) }
        guard let count = Tensor.elementCount(fields.shape) else {
            throw .malformedHeader(source: source, reason: "shape \(fields.shape) is too large")
        }
        let dataStart = headerStart + headerLength
        let available = data.count - dataStart
        guard available == count * 4 else {
            throw .dataSizeMismatch(source: source, shape: fields.shape, expectedBytes: count * 4, actualBytes: available)
        }
        var scalars = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let payload = UnsafeRawBufferPointer(rebasing: raw[dataStart...])
            scalars.withUnsafeMutableBufferPointer { out in
                for i in 0..<count {
                    let bits = UInt32(payload[4 * i]) | UInt32(payload[4 * i + 1]) << 8
                        | UInt32(payload[4 * i + 2]) << 16 | UInt32(payload[4 * i + 3]) << 24
                    out[i] = Float(bitPattern: bits)
                }
            }
        }
        do {
            return try Tensor(shape: fields.shape, scalars: scalars)
        } catch {
            throw .malformedHeader(source: source, reason: "\(error)")
        }
    }

    /// Parses the Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    private static func parseHeader(_ header: String, source: String) throws(NumpyFileError)
        -> (descr: String, fortranOrder: Bool, shape: [Int])
    {
        let text = header.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("{"), text.hasSuffix("}") else {
            throw .malformedHeader(source: source, reason: "not a dictionary: \(text.prefix(80))")
        }
        func valueText(after key: String) -> Substring? {
            for quote in ["'", "\""] {
                if let range = text.range(of: quote + key + quote) {
                    let rest = text[range.upperBound...].drop { $0 == " " }
                    guard rest.first == ":" else { return nil }
                    return rest.dropFirst().drop { $0 == " " }
                }
            }
            return nil
        }
        guard let descrText = valueText(after: "descr"), let quote = descrText.first, quote == "'" || quote == "\"",
              let end = descrText.dropFirst().firstIndex(of: quote) else {
            throw .malformedHeader(source: source, reason: "missing 'descr'")
        }
        let descr = String(descrText[descrText.index(after: descrText.startIndex)..<end])
        guard let fortranText = valueText(after: "fortran_order") else {
            throw .malformedHeader(source: source, reason: "missing 'fortran_order'")
        }
        let fortranOrder: Bool
        if fortranText.hasPrefix("False") { fortranOrder = false }
        else if fortranText.hasPrefix("True") { fortranOrder = true }
        else { throw .malformedHeader(source: source, reason: "'fortran_order' is not True or False") }
        guard let shapeText = valueText(after: "shape"), shapeText.first == "(",
              let close = shapeText.firstIndex(of: ")") else {
            throw .malformedHeader(source: source, reason: "missing 'shape' tuple")
        }
        let inner = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let item = part.trimmingCharacters(in: .whitespaces)
            if item.isEmpty { continue }
            guard let extent = Int(item.hasSuffix("L") ? String(item.dropLast()) : item), extent >= 0 else {
                throw .malformedHeader(source: source, reason: "bad shape entry '\(item)'")
            }
            shape.append(extent)
        }
        return (descr, fortranOrder, shape)
    }
}
