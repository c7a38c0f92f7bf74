// Vectorized transcendental functions for the activation and softmax kernels.

extension Kernels {
    /// `e^x` per lane, accurate to about 2 ulp (Cody–Waite range reduction, degree-6
    /// polynomial); 0 below about −87.34 (where the true value is subnormal) and +inf above
    /// about 88.72.
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let upper = Vector(repeating: 88.72283935546875)
        // Below about −87.34 the result is subnormal (< 1.2e-38); it is returned as 0.
        let lower = Vector(repeating: -87.336_544_750_553_1)
        let clamped = minimum(maximum(x, lower), upper)
        // n = round(x / ln 2): adding 1.5·2^23 rounds to the nearest integer (ties to even) and
        // leaves n in the low mantissa bits, so no per-lane rounding call is needed.
        let magic = Vector(repeating: 12_582_912)
        let shifted = clamped * 1.442_695_040_888_963_4 + magic
        let n = shifted - magic
        let ni = unsafeBitCast(shifted, to: IntVector.self) &- 0x4B40_0000
        // r = x − n·ln2, with ln 2 split in two parts so the product is exact.
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_400_546_905_8e-4
        // exp(r) on |r| ≤ ln2/2: polynomial with coefficients close to 1/k!.
        var p = Vector(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        // Scale by 2^n through the exponent bits (n ∈ [−126, 128] here).
        let scale = unsafeBitCast((ni &+ 127) &<< 23, to: Vector.self)
        var result = p * scale
        // Below the clamp the true value is 0 (or a subnormal smaller than the polynomial can
        // resolve); above it, +inf; NaN propagates.
        result = select(Vector(repeating: 0), result, where: x .< lower)
        result = select(Vector(repeating: .infinity), result, where: x .> upper)
        return select(x, result, where: x .!= x)
    }

    /// The lane-wise maximum (the standard library's `pointwiseMax` compiles to a scalar loop).
    @inline(__always)
    static func maximum(_ a: Vector, _ b: Vector) -> Vector { select(a, b, where: a .> b) }

    /// The lane-wise minimum.
    @inline(__always)
    static func minimum(_ a: Vector, _ b: Vector) -> Vector { select(a, b, where: a .< b) }

    /// `whereTrue` in the lanes where `mask` is set, `otherwise` elsewhere
    /// (`replacing(with:where:)` compiles to a compare-and-blend without per-lane code).
    @inline(__always)
    static func select(_ whereTrue: Vector, _ otherwise: Vector, where mask: SIMDMask<IntVector>) -> Vector {
        otherwise.replacing(with: whereTrue, where: mask)
    }

    /// `1 + erf(x)` per lane, absolute error below about 1.5e-7 (Abramowitz & Stegun formula
    /// 7.1.26: erfc(|x|) ≈ t·P(t)·e^(−x²) with t = 1/(1 + p·|x|)). For negative `x` it returns
    /// erfc(|x|) directly, so there is no cancellation in the left tail of GELU.
    @inline(__always)
    static func onePlusErf(_ x: Vector) -> Vector {
        let a = abs(x)
        let t = 1 / (1 + 0.327_591_1 * a)
        var p = Vector(repeating: 1.061_405_429)
        p = p * t + -1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t + -0.284_496_736
        p = p * t + 0.254_829_592
        let q = p * t * exp(-a * a)
        return select(q, 2 - q, where: x .< 0)
    }

    @inline(__always)
    static func abs(_ x: Vector) -> Vector {
        unsafeBitCast(unsafeBitCast(x, to: IntVector.self) & 0x7fff_ffff, to: Vector.self)
    }
}
