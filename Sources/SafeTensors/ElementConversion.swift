import CLIPSupport
import TensorCore

/// Conversions from the little-endian element encodings of a safetensors buffer (any
/// alignment) to Float32 and Int64.
enum ElementConversion {
    /// Converts `count` elements of `dtype` at `source` into `destination`. Returns `false`
    /// (writing nothing) for dtypes without a Float32 meaning (C64, sub-byte formats).
    static func toFloat32(
        _ dtype: SafeTensorsDType, source: UnsafeRawPointer, count: Int,
        into destination: UnsafeMutablePointer<Float>
    ) -> Bool {
        switch dtype {
        case .float32:
            #if _endian(little)
            UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
            #else
            for i in 0..<count {
                destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .float16, .bfloat16:
            // Large weights (a 2.5 B-parameter checkpoint is mostly conversion time) are
            // converted in chunks on the compute threads.
            let isHalf = dtype == .float16
            let source = SendableRawPointer(source), destination = SendableMutablePointer(destination)
            ComputeThreads.forEachChunk(of: count, minimumChunk: 1 << 18, alignment: 16) { range in
                let from = source.base + 2 * range.lowerBound, to = destination.base + range.lowerBound
                if isHalf {
                    HalfPrecision.float16ToFloat32(from, count: range.count, into: to)
                } else {
                    HalfPrecision.bfloat16ToFloat32(from, count: range.count, into: to)
                }
            }
        case .float64:
            for i in 0..<count {
                let bits = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                destination[i] = Float(Double(bitPattern: bits))
            }
        case .int64: integersToFloat32(Int64.self, source, count, destination)
        case .uint64: integersToFloat32(UInt64.self, source, count, destination)
        case .int32: integersToFloat32(Int32.self, source, count, destination)
        case .uint32: integersToFloat32(UInt32.self, source, count, destination)
        case .int16: integersToFloat32(Int16.self, source, count, destination)
        case .uint16: integersToFloat32(UInt16.self, source, count, destination)
        case .int8: integersToFloat32(Int8.self, source, count, destination)
        case .uint8: integersToFloat32(UInt8.self, source, count, destination)
        case .bool:
            for i in 0..<count { destination[i] = source.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
        case .float8E4M3: lookUp(Float8Tables.e4m3fn, source, count, destination)
        case .float8E5M2: lookUp(Float8Tables.e5m2, source, count, destination)
        case .float8E4M3FNUZ: lookUp(Float8Tables.e4m3fnuz, source, count, destination)
        case .float8E5M2FNUZ: lookUp(Float8Tables.e5m2fnuz, source, count, destination)
        case .float8E8M0: lookUp(Float8Tables.e8m0, source, count, destination)
        case .complex64, .float4E2M1, .float6E2M3, .float6E3M2:
            return false
        }
        return true
    }

    @inline(__always)
    private static func integersToFloat32<T: FixedWidthInteger>(
        _: T.Type, _ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<Float>
    ) {
        let size = MemoryLayout<T>.size
        for i in 0..<count {
            destination[i] = Float(T(littleEndian: source.loadUnaligned(fromByteOffset: size * i, as: T.self)))
        }
    }

    @inline(__always)
    private static func lookUp(
        _ table: [Float], _ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<Float>
    ) {
        table.withUnsafeBufferPointer { table in
            for i in 0..<count { destination[i] = table[Int(source.load(fromByteOffset: i, as: UInt8.self))] }
        }
    }

    /// Converts `count` integer (or boolean) elements to Int64. Returns the index of the first
    /// element that does not fit (a U64 above `Int64.max`), or `nil` when all fit. `dtype`
    /// must be an integer dtype.
    static func toInt64(
        _ dtype: SafeTensorsDType, source: UnsafeRawPointer, count: Int,
        into destination: UnsafeMutablePointer<Int64>
    ) -> Int? {
        switch dtype {
        case .int64: return integersToInt64(Int64.self, source, count, destination)
        case .uint64: return integersToInt64(UInt64.self, source, count, destination)
        case .int32: return integersToInt64(Int32.self, source, count, destination)
        case .uint32: return integersToInt64(UInt32.self, source, count, destination)
        case .int16: return integersToInt64(Int16.self, source, count, destination)
        case .uint16: return integersToInt64(UInt16.self, source, count, destination)
        case .int8: return integersToInt64(Int8.self, source, count, destination)
        case .uint8: return integersToInt64(UInt8.self, source, count, destination)
        case .bool:
            for i in 0..<count { destination[i] = source.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0 }
            return nil
        default:
            return 0
        }
    }

    @inline(__always)
    private static func integersToInt64<T: FixedWidthInteger>(
        _: T.Type, _ source: UnsafeRawPointer, _ count: Int, _ destination: UnsafeMutablePointer<Int64>
    ) -> Int? {
        let size = MemoryLayout<T>.size
        for i in 0..<count {
            let value = T(littleEndian: source.loadUnaligned(fromByteOffset: size * i, as: T.self))
            guard let exact = Int64(exactly: value) else { return i }
            destination[i] = exact
        }
        return nil
    }
}

/// Decoding tables (all 256 bit patterns) for the 8-bit float formats.
///
/// Format facts (OCP 8-bit floating point specification v1.0 and the MX specification, and
/// the FNUZ variants as defined by ONNX/PyTorch): E4M3FN has exponent bias 7, no infinities
/// and NaN at S.1111.111; E5M2 is IEEE-like with bias 15; the FNUZ variants have bias 8 (E4M3)
/// and 16 (E5M2), no negative zero, and `0x80` as their only NaN; E8M0 is 2^(bits − 127)
/// with `0xFF` as NaN.
enum Float8Tables {
    static let e4m3fn = makeTable(exponentBits: 4, mantissaBits: 3, bias: 7, encoding: .finiteWithNaNAtMaximum)
    static let e5m2 = makeTable(exponentBits: 5, mantissaBits: 2, bias: 15, encoding: .ieee)
    static let e4m3fnuz = makeTable(exponentBits: 4, mantissaBits: 3, bias: 8, encoding: .finiteUnsignedZero)
    static let e5m2fnuz = makeTable(exponentBits: 5, mantissaBits: 2, bias: 16, encoding: .finiteUnsignedZero)
    static let e8m0: [Float] = (0..<256).map { bits in
        bits == 0xFF ? Float.nan : Float(sign: .plus, exponent: bits - 127, significand: 1)
    }

    enum Encoding {
        /// All-ones exponent: infinity (zero mantissa) or NaN.
        case ieee
        /// No infinities; only the all-ones exponent and mantissa pattern is NaN.
        case finiteWithNaNAtMaximum
        /// No infinities, no negative zero; `0x80` is the only NaN.
        case finiteUnsignedZero
    }

    static func makeTable(exponentBits: Int, mantissaBits: Int, bias: Int, encoding: Encoding) -> [Float] {
        let exponentMask = (1 << exponentBits) - 1
        let mantissaMask = (1 << mantissaBits) - 1
        return (0..<256).map { bits -> Float in
            let negative = bits & 0x80 != 0
            let exponent = (bits >> mantissaBits) & exponentMask
            let mantissa = bits & mantissaMask
            switch encoding {
            case .ieee where exponent == exponentMask:
                if mantissa == 0 { return negative ? -.infinity : .infinity }
                return .nan
            case .finiteWithNaNAtMaximum where exponent == exponentMask && mantissa == mantissaMask:
                return .nan
            case .finiteUnsignedZero where bits == 0x80:
                return .nan
            default:
                break
            }
            let magnitude: Float
            if exponent == 0 {
                magnitude = Float(mantissa) * Float(sign: .plus, exponent: 1 - bias - mantissaBits, significand: 1)
            } else {
                magnitude = Float(sign: .plus, exponent: exponent - bias, significand: 1 + Float(mantissa) / Float(1 << mantissaBits))
            }
            return negative ? -magnitude : magnitude
        }
    }
}
