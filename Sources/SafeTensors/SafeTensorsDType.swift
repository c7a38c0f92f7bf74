/// The element types a safetensors file can declare, spelled as in the file's header
/// (`"F32"`, `"BF16"`, `"I64"`, ...).
///
/// Every dtype of the format (as of `safetensors` 0.8) is recognised, so a checkpoint that
/// holds an exotic tensor still opens and its bytes stay readable through
/// ``SafeTensorsFile/rawBytes(named:)``. Conversion to a Float32 `Tensor` is available for all
/// of them except ``complex64`` and the sub-byte formats (``float4E2M1``, ``float6E2M3``,
/// ``float6E3M2``), whose bit packing has no single Float32 meaning.
public enum SafeTensorsDType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Booleans, one byte each (0 is false, anything else true).
    case bool = "BOOL"
    /// 4-bit float (E2M1), two values per byte.
    case float4E2M1 = "F4"
    /// 6-bit float (E2M3), packed.
    case float6E2M3 = "F6_E2M3"
    /// 6-bit float (E3M2), packed.
    case float6E3M2 = "F6_E3M2"
    /// Unsigned 8-bit integers.
    case uint8 = "U8"
    /// Signed 8-bit integers.
    case int8 = "I8"
    /// 8-bit float with 5 exponent and 2 mantissa bits, with infinities (OCP FP8 E5M2).
    case float8E5M2 = "F8_E5M2"
    /// 8-bit float with 4 exponent and 3 mantissa bits, finite only (OCP FP8 E4M3FN).
    case float8E4M3 = "F8_E4M3"
    /// 8-bit power-of-two scale (OCP MX E8M0): value 2^(bits − 127), `0xFF` is NaN.
    case float8E8M0 = "F8_E8M0"
    /// 8-bit float E4M3, finite, unsigned zero, exponent bias 8 (`0x80` is NaN).
    case float8E4M3FNUZ = "F8_E4M3FNUZ"
    /// 8-bit float E5M2, finite, unsigned zero, exponent bias 16 (`0x80` is NaN).
    case float8E5M2FNUZ = "F8_E5M2FNUZ"
    /// Signed 16-bit integers.
    case int16 = "I16"
    /// Unsigned 16-bit integers.
    case uint16 = "U16"
    /// IEEE 754 binary16.
    case float16 = "F16"
    /// bfloat16 (the upper half of a binary32).
    case bfloat16 = "BF16"
    /// Signed 32-bit integers.
    case int32 = "I32"
    /// Unsigned 32-bit integers.
    case uint32 = "U32"
    /// IEEE 754 binary32.
    case float32 = "F32"
    /// Complex numbers of two binary32 values (real, imaginary).
    case complex64 = "C64"
    /// IEEE 754 binary64.
    case float64 = "F64"
    /// Signed 64-bit integers.
    case int64 = "I64"
    /// Unsigned 64-bit integers.
    case uint64 = "U64"

    /// The size of one element in bits (4 and 6 for the packed sub-byte formats).
    public var bitWidth: Int {
        switch self {
        case .float4E2M1: return 4
        case .float6E2M3, .float6E3M2: return 6
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3, .float8E8M0, .float8E4M3FNUZ,
             .float8E5M2FNUZ:
            return 8
        case .int16, .uint16, .float16, .bfloat16: return 16
        case .int32, .uint32, .float32: return 32
        case .complex64, .float64, .int64, .uint64: return 64
        }
    }

    /// The size of one element in bytes, or `nil` for the packed sub-byte formats.
    public var byteWidth: Int? { bitWidth % 8 == 0 ? bitWidth / 8 : nil }

    /// Whether the elements are integers (or booleans), readable exactly with
    /// ``SafeTensorsFile/int64Values(named:)``.
    public var isInteger: Bool {
        switch self {
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: return true
        default: return false
        }
    }

    /// Whether ``SafeTensorsFile/tensor(named:)`` can convert elements of this type to Float32.
    public var isConvertibleToFloat32: Bool {
        switch self {
        case .complex64, .float4E2M1, .float6E2M3, .float6E3M2: return false
        default: return true
        }
    }

    /// The number of bytes `elementCount` elements occupy, or `nil` when that overflows `Int`
    /// or (for sub-byte formats) does not end on a byte boundary.
    public func byteCount(forElementCount elementCount: Int) -> Int? {
        guard elementCount >= 0 else { return nil }
        let (bits, overflow) = elementCount.multipliedReportingOverflow(by: bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }

    /// The header spelling, e.g. `"BF16"`.
    public var description: String { rawValue }
}
