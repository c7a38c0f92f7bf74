// Vectorized transcendental functions for the activation and softmax kernels.

extension Kernels {
    /// `e^x` per lane, accurate to about 2 ulp over the Float32 range (Cody–Waite range
    /// reduction, degree-6 minimax-style polynomial); underflows to 0 below about −103 and
    /// overflows to +inf above about 88.7.
    @inline(__always)
    static func exp(_ x: Vector) -> Vector {
        let upper = Vector(repeating: 88.72283935546875)
        let lower = Vector(repeating: -103.97208404541016)
        let clamped = x.clamped(lowerBound: lower, upperBound: upper)
        // n = round(x / ln 2)
        let n = (clamped * 1.442_695_040_888_963_4).rounded(.toNearestOrEven)
        // r = x − n·ln2, with ln 2 split in two parts so the product is exact.
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_400_546_905_8e-4
        // exp(r) on |r| ≤ ln2/2: Taylor-like polynomial with coefficients of 1/k!.
        var p = Vector(repeating: 1.987_569_150_0e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        // Scale by 2^n in two steps so that n down to −150 still gives correct subnormals.
        let ni = SIMD16<Int32>(n)
        let half1 = ni / 2
        let half2 = ni &- half1
        let s1 = unsafeBitCast((half1 &+ 127) &<< 23, to: Vector.self)
        let s2 = unsafeBitCast((half2 &+ 127) &<< 23, to: Vector.self)
        var result = p * s1 * s2
        result.replace(with: Vector(repeating: 0), where: x .< lower)
        result.replace(with: Vector(repeating: .infinity), where: x .> upper)
        result.replace(with: x, where: x .!= x)  // NaN stays NaN
        return result
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
        var result = 2 - q
        result.replace(with: q, where: x .< 0)
        return result
    }

    @inline(__always)
    static func abs(_ x: Vector) -> Vector {
        unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7fff_ffff, to: Vector.self)
    }
}
