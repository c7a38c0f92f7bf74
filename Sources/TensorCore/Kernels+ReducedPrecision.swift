/// Conversions of activations to the inputs of reduced-precision matrix products: bfloat16 rows,
/// and int8 rows with one scale per row (symmetric, dynamic). Package-internal: the model's
/// backend uses them; they are not part of TensorCore's public API.
extension Kernels {
    /// Writes `count` Float32 values as bfloat16 bit patterns (round to nearest, ties to even;
    /// NaNs stay NaN) to `destination` (host byte order, as oneDNN reads them).
    package static func convertToBFloat16(_ source: UnsafePointer<Float>, count: Int,
                                          into destination: UnsafeMutablePointer<UInt16>) {
        typealias Bits = SIMD16<UInt32>
        var i = 0
        while i + width <= count {
            let value = load(source + i)
            let bits = unsafeBitCast(value, to: Bits.self)
            var rounded = bits &+ (0x7fff &+ ((bits &>> 16) & 1))
            rounded.replace(with: bits | 0x0040_0000, where: value .!= value)
            // The high half of each 32-bit lane (little-endian: the odd 16-bit lanes).
            let halves = unsafeBitCast(rounded, to: SIMD32<UInt16>.self).oddHalf
            UnsafeMutableRawPointer(destination + i).storeBytes(of: halves, as: SIMD16<UInt16>.self)
            i += width
        }
        while i < count {
            destination[i] = HalfPrecision.bfloat16Bits(source[i])
            i += 1
        }
    }

    /// Rounds `count` Float32 values to the nearest bfloat16 value (ties to even, as
    /// ``convertToBFloat16(_:count:into:)``), kept as Float32: what a bfloat16 product sees,
    /// for CPUs whose products run in Float32. `destination` may be `source`.
    package static func roundToBFloat16(_ source: UnsafePointer<Float>, count: Int,
                                        into destination: UnsafeMutablePointer<Float>) {
        typealias Bits = SIMD16<UInt32>
        var i = 0
        while i + width <= count {
            let value = load(source + i)
            let bits = unsafeBitCast(value, to: Bits.self)
            var rounded = (bits &+ (0x7fff &+ ((bits &>> 16) & 1))) & 0xffff_0000
            rounded.replace(with: (bits | 0x0040_0000) & 0xffff_0000, where: value .!= value)
            UnsafeMutableRawPointer(destination + i).storeBytes(of: unsafeBitCast(rounded, to: Vector.self),
                                                                as: Vector.self)
            i += width
        }
        while i < count {
            destination[i] = Float(bitPattern: UInt32(HalfPrecision.bfloat16Bits(source[i])) << 16)
            i += 1
        }
    }

    /// Quantizes `rows` rows of `width` Float32 values to int8, symmetric per row:
    /// `q = round(x / scale)` with `scale = max|x| / 127` (1 for an all-zero row), written to
    /// `destination` (`[rows, width]`) and `scales` (`[rows]`). `x ≈ q · scale`.
    package static func quantizeRows(_ source: UnsafePointer<Float>, rows: Int, width: Int,
                                     into destination: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = source + r * width
            let out = destination + r * width
            let largest = maximumMagnitude(row, count: width)
            let scale: Float = largest > 0 && largest.isFinite ? largest / 127 : 1
            scales[r] = scale
            quantize(row, count: width, inverseScale: 1 / scale, into: out)
        }
    }

    /// `destination[i] = clamp(round(source[i] · inverseScale), -127, 127)` (ties to even) for
    /// `count` values.
    package static func quantize(_ source: UnsafePointer<Float>, count: Int, inverseScale: Float,
                                 into destination: UnsafeMutablePointer<Int8>) {
        // Adding 1.5 · 2^23 rounds a value of magnitude below 2^22 to an integer (ties to even)
        // and leaves that integer in the low mantissa bits: no per-lane conversion calls.
        let magic = Vector(repeating: 12_582_912)
        let factor = Vector(repeating: inverseScale)
        let upper = Vector(repeating: 127), lower = Vector(repeating: -127)
        var i = 0
        while i + Self.width <= count {
            var q = load(source + i) * factor
            q = q.replacing(with: upper, where: q .> upper)
            q = q.replacing(with: lower, where: q .< lower)
            let integers = unsafeBitCast(q + magic, to: SIMD16<Int32>.self) &- 0x4B40_0000
            let bytes = SIMD16<UInt8>(truncatingIfNeeded: SIMD16<UInt32>(truncatingIfNeeded: integers))
            UnsafeMutableRawPointer(destination + i).storeBytes(of: bytes, as: SIMD16<UInt8>.self)
            i += Self.width
        }
        while i < count {
            let q = Swift.min(127, Swift.max(-127, (source[i] * inverseScale).rounded(.toNearestOrEven)))
            destination[i] = Int8(q)
            i += 1
        }
    }

    /// The largest `|x[i]|` of `count` values (0 for none).
    package static func maximumMagnitude(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var peak = Vector(repeating: 0)
        var i = 0
        while i + Self.width <= count {
            let v = load(x + i)
            let magnitude = v.replacing(with: -v, where: v .< 0)
            peak = peak.replacing(with: magnitude, where: magnitude .> peak)
            i += Self.width
        }
        var largest = peak.max()
        while i < count { largest = Swift.max(largest, Swift.abs(x[i])); i += 1 }
        return largest
    }

    /// The end of an int8 product: `out[r, n] (+)= rowScales[r] · products[r, n] + bias[n]` for
    /// `rows` rows of `width` (`+=` when `accumulate`). `products` may be `out` when not
    /// accumulating. Rows of both are `width` apart.
    package static func scaleRows(_ products: UnsafePointer<Float>, rowScales: UnsafePointer<Float>,
                                  bias: UnsafePointer<Float>?, rows: Int, width: Int,
                                  into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for r in 0..<rows {
            let source = products + r * width, target = out + r * width
            let factor = Vector(repeating: rowScales[r])
            var i = 0
            while i + Self.width <= width {
                var v = load(source + i) * factor
                if let bias { v += load(bias + i) }
                if accumulate { v += load(target + i) }
                store(v, target + i)
                i += Self.width
            }
            while i < width {
                var v = source[i] * rowScales[r]
                if let bias { v += bias[i] }
                target[i] = accumulate ? target[i] + v : v
                i += 1
            }
        }
    }
}
