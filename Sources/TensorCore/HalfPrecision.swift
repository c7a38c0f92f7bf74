/// Whole-buffer conversions between Float32 and the 16-bit float formats found in checkpoints.
///
/// The source buffers are raw bytes (little-endian, any alignment), as they sit in a weight
/// file. Conversions to Float32 are exact; conversions from Float32 round to nearest, ties to
/// even, and keep infinities and NaNs.
public enum HalfPrecision {
    /// Converts `count` IEEE 754 binary16 values read from `source` (little-endian, any
    /// alignment) into `destination`.
    public static func float16ToFloat32(
        _ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        var i = 0
        while i + 16 <= count {
            let out = float16x16ToFloat32(load16Bits(source + 2 * i))
            UnsafeMutableRawPointer(destination + i).storeBytes(of: out, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = Float(Float16(bitPattern: bits))
            i += 1
        }
    }

    /// Sixteen little-endian 16-bit values from `source` (any alignment), widened. (Lane by
    /// lane: the compiler turns this into vector zero-extensions, where
    /// `SIMD16<UInt32>(truncatingIfNeeded:)` stays a call.)
    @inline(__always)
    static func load16Bits(_ source: UnsafeRawPointer) -> SIMD16<UInt32> {
        let halves = UInt16.littleEndianVector(source.loadUnaligned(as: SIMD16<UInt16>.self))
        var widened = SIMD16<UInt32>()
        for lane in 0..<16 { widened[lane] = UInt32(halves[lane]) }
        return widened
    }

    /// Sixteen binary16 bit patterns (in the low halves of the lanes) as Float32, with integer
    /// operations only (a lane-wise select compiles to a per-lane loop on baseline x86-64,
    /// 15 times slower).
    @inline(__always)
    static func float16x16ToFloat32(_ h: SIMD16<UInt32>) -> SIMD16<Float> {
        let sign = (h & 0x8000) &<< 16
        let magnitude = h & 0x7fff
        // Shift exponent and mantissa into Float32 position, then rebias the exponent by
        // multiplying with 2^112; this also turns binary16 subnormals into exact Float32 values.
        let shifted = magnitude &<< 13
        let scaled = unsafeBitCast(unsafeBitCast(shifted, to: SIMD16<Float>.self) * Float(bitPattern: 0x7780_0000),
                                   to: SIMD16<UInt32>.self)
        // Infinity and NaN (magnitude ≥ 0x7c00, so magnitude + 0x400 reaches bit 15): all-ones
        // exponent, mantissa kept. `special` is all ones in those lanes, zero elsewhere.
        let special = SIMD16<UInt32>(repeating: 0) &- ((magnitude &+ 0x0400) &>> 15)
        let bits = (scaled & ~special) | ((shifted | 0x7f80_0000) & special) | sign
        return unsafeBitCast(bits, to: SIMD16<Float>.self)
    }

    /// Converts `count` bfloat16 values read from `source` (little-endian, any alignment) into
    /// `destination`.
    public static func bfloat16ToFloat32(
        _ source: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>
    ) {
        var i = 0
        while i + 16 <= count {
            let bits = load16Bits(source + 2 * i) &<< 16
            UnsafeMutableRawPointer(destination + i).storeBytes(of: unsafeBitCast(bits, to: SIMD16<Float>.self), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            let bits = UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
            destination[i] = Float(bitPattern: UInt32(bits) << 16)
            i += 1
        }
    }

    /// Converts `count` Float32 values to binary16 bit patterns (round to nearest even),
    /// written little-endian to `destination` (any alignment).
    public static func float32ToFloat16(
        _ source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer
    ) {
        for i in 0..<count {
            let bits = Float16(source[i]).bitPattern.littleEndian
            destination.storeBytes(of: bits, toByteOffset: 2 * i, as: UInt16.self)
        }
    }

    /// Converts `count` Float32 values to bfloat16 bit patterns (round to nearest even; NaNs
    /// stay NaN), written little-endian to `destination` (any alignment).
    public static func float32ToBFloat16(
        _ source: UnsafePointer<Float>, count: Int, into destination: UnsafeMutableRawPointer
    ) {
        for i in 0..<count {
            let bits = bfloat16Bits(source[i]).littleEndian
            destination.storeBytes(of: bits, toByteOffset: 2 * i, as: UInt16.self)
        }
    }

    /// The bfloat16 bit pattern nearest to `value` (ties to even).
    @inlinable
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7fff) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}

extension UInt16 {
    /// Interprets lanes loaded from little-endian bytes in host order.
    @inline(__always)
    static func littleEndianVector(_ v: SIMD16<UInt16>) -> SIMD16<UInt16> {
        #if _endian(big)
        return SIMD16<UInt16>((0..<16).map { UInt16(littleEndian: v[$0]) })
        #else
        return v
        #endif
    }
}
