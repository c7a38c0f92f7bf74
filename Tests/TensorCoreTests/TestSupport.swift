import TensorCore

/// A small seeded generator so every test sees the same numbers on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A tensor of uniform values in `range`, seeded.
func randomTensor(_ shape: [Int], seed: UInt64, in range: ClosedRange<Float> = -2...2) throws -> Tensor {
    var rng = SplitMix64(seed: seed)
    let count = shape.reduce(1, *)
    return try Tensor(shape: shape, scalars: (0..<count).map { _ in Float.random(in: range, using: &rng) })
}

/// Whether `actual` is within `absolute + relative · |expected|` of `expected`, elementwise.
/// Returns the first offending index, or nil.
func firstMismatch(
    _ actual: [Float], _ expected: [Double], absolute: Double, relative: Double
) -> Int? {
    guard actual.count == expected.count else { return -1 }
    for i in actual.indices {
        let e = expected[i], a = Double(actual[i])
        if e.isNaN { if !a.isNaN { return i } else { continue } }
        if e.isInfinite { if a != e { return i } else { continue } }
        if abs(a - e) > absolute + relative * abs(e) { return i }
    }
    return nil
}

/// Odd sizes, sizes that are not multiples of the SIMD width, and ViT-B/32 sizes.
let oddLengths = [1, 7, 15, 16, 17, 33, 65, 768, 3072]
