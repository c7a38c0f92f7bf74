import Foundation
import TensorCore

/// Reading and writing NumPy `.npy` files (format versions 1–3) of floating-point arrays, for
/// exchanging pixel tensors and embeddings with Python.
///
/// Reading accepts little-endian `float32`, `float64` and `float16` arrays in C order and
/// returns Float32; writing produces version 1.0 `<f4` files, as `numpy.save` does.
public enum NumPyArray {
    /// Errors reading an `.npy` file; each names the file.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        /// The file could not be read.
        case unreadable(path: String)
        /// The bytes are not a valid `.npy` array of a supported type.
        case invalid(path: String, reason: String)

        public var description: String {
            switch self {
            case let .unreadable(path): return "cannot read \(path)"
            case let .invalid(path, reason): return "\(path) is not a supported .npy array: \(reason)"
            }
        }
    }

    /// Reads a `.npy` file as Float32.
    public static func read(contentsOf url: URL) throws(Error) -> Tensor {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch { throw .unreadable(path: url.path) }
        return try decode(data, name: url.path)
    }

    /// Decodes the bytes of a `.npy` file as Float32; `name` is used in errors.
    public static func decode(_ data: Data, name: String = "<data>") throws(Error) -> Tensor {
        let bytes = [UInt8](data.prefix(12))
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw .invalid(path: name, reason: "missing the \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .invalid(path: name, reason: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw .invalid(path: name, reason: "format version \(major) is not supported")
        }
        guard headerLength <= 1 << 20, data.count >= headerStart + headerLength else {
            throw .invalid(path: name, reason: "truncated or oversized header")
        }
        let headerBytes = data.subdata(in: data.startIndex + headerStart..<data.startIndex + headerStart + headerLength)
        guard let header = String(data: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw .invalid(path: name, reason: "unreadable header")
        }
        guard let descr = field("descr", in: header).map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }),
              let fortran = field("fortran_order", in: header),
              let shapeText = field("shape", in: header)
        else { throw .invalid(path: name, reason: "header lacks descr, fortran_order or shape: \(header)") }
        guard fortran == "False" else { throw .invalid(path: name, reason: "Fortran-order arrays are not supported") }
        let itemSize: Int
        switch descr {
        case "<f4", "|f4": itemSize = 4
        case "<f8", "|f8": itemSize = 8
        case "<f2", "|f2": itemSize = 2
        default: throw .invalid(path: name, reason: "element type \(descr) (expected <f4, <f8 or <f2)")
        }
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let extent = Int(trimmed), extent >= 0 else {
                throw .invalid(path: name, reason: "bad shape \(shapeText)")
            }
            shape.append(extent)
        }
        guard let count = Tensor.elementCount(shape) else { throw .invalid(path: name, reason: "bad shape \(shape)") }
        let dataStart = headerStart + headerLength
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: itemSize)
        guard !overflow, data.count - dataStart == byteCount else {
            throw .invalid(path: name, reason: "holds \(data.count - dataStart) data bytes, shape \(shape) needs \(byteCount)")
        }
        do {
            return try Tensor(shape: shape) { out in
                data.withUnsafeBytes { raw in
                    guard let base = raw.baseAddress, let dst = out.baseAddress else { return }
                    let src = base + dataStart
                    switch itemSize {
                    case 4:
                        for i in 0..<count {
                            dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                        }
                    case 8:
                        for i in 0..<count {
                            dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                        }
                    default:
                        HalfPrecision.float16ToFloat32(src, count: count, into: dst)
                    }
                }
            }
        } catch {
            throw .invalid(path: name, reason: "\(error)")
        }
    }

    /// The value text of `key` in a NumPy header dictionary (`{'descr': '<f4', …}`).
    private static func field(_ key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
        var rest = header[keyRange.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        rest = rest.prefix { $0 != "," && $0 != "}" }
        return rest.trimmingCharacters(in: .whitespaces)
    }

    /// The bytes of a version 1.0 `.npy` file holding `tensor` as little-endian float32.
    public static func encode(_ tensor: Tensor) -> Data {
        let shape = tensor.shape.map(String.init).joined(separator: ", ") + (tensor.rank == 1 ? "," : "")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape)), }"
        // Pad with spaces so that the data starts at a multiple of 64 bytes; end with a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = UInt16(header.utf8.count)
        data.append(UInt8(length & 0xff))
        data.append(UInt8(length >> 8))
        data.append(contentsOf: Array(header.utf8))
        tensor.withUnsafeBufferPointer { buffer in
            data.reserveCapacity(data.count + 4 * buffer.count)
            for value in buffer {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        return data
    }
}
