import Foundation
import Testing
import TensorCore

@Test("add / multiply / scale / bias against Double", arguments: oddLengths)
func elementwiseOps(length: Int) throws {
    let rows = 3
    let a = try randomTensor([rows, length], seed: 20), b = try randomTensor([rows, length], seed: 21)
    let bias = try randomTensor([length], seed: 22)
    let av = a.scalars.map(Double.init), bv = b.scalars.map(Double.init), cv = bias.scalars.map(Double.init)
    #expect(firstMismatch(try a.adding(b).scalars, zip(av, bv).map { $0 + $1 }, absolute: 1e-6, relative: 1e-6) == nil)
    #expect(firstMismatch(try a.multiplying(b).scalars, zip(av, bv).map { $0 * $1 }, absolute: 1e-6, relative: 1e-6) == nil)
    #expect(firstMismatch(a.scaled(by: 0.37).scalars, av.map { $0 * Double(Float(0.37)) }, absolute: 1e-6, relative: 1e-6) == nil)
    let withBias = try a.addingBias(bias)
    #expect(firstMismatch(withBias.scalars, av.indices.map { av[$0] + cv[$0 % length] }, absolute: 1e-6, relative: 1e-6) == nil)
}

@Test func elementwiseShapeErrors() throws {
    var a = try Tensor(shape: [2, 3])
    let b = try Tensor(shape: [3, 2])
    #expect(throws: TensorError.shapeMismatch(operation: "add", lhs: [2, 3], rhs: [3, 2])) { try a.add(b) }
    #expect(throws: TensorError.shapeMismatch(operation: "multiply", lhs: [2, 3], rhs: [3, 2])) { try a.multiply(b) }
    #expect(throws: TensorError.shapeMismatch(operation: "addBias", lhs: [2, 3], rhs: [2])) {
        try a.addBias(try Tensor(shape: [2]))
    }
}

@Test func copyOnWriteKeepsValueSemantics() throws {
    let a = try Tensor(shape: [4], scalars: [1, 2, 3, 4])
    var b = a
    b.scale(by: 2)
    #expect(a.scalars == [1, 2, 3, 4])
    #expect(b.scalars == [2, 4, 6, 8])
    let reshaped = try a.reshaped([2, 2])
    #expect(reshaped.scalars == a.scalars)
}

@Test func borrowedMemoryIsCopiedBeforeWriting() throws {
    final class Owner { let buffer: UnsafeMutablePointer<Float>
        init() { buffer = .allocate(capacity: 4); buffer.initialize(from: [1, 2, 3, 4], count: 4) }
        deinit { buffer.deallocate() }
    }
    let owner = Owner()
    var t = try Tensor(shape: [2, 2], borrowing: owner.buffer, count: 4, owner: owner)
    #expect(t.isBorrowed)
    t.scale(by: 10)
    #expect(!t.isBorrowed)
    #expect(t.scalars == [10, 20, 30, 40])
    #expect(owner.buffer[0] == 1)
    #expect(throws: TensorError.scalarCountMismatch(shape: [3], count: 4)) {
        try Tensor(shape: [3], borrowing: owner.buffer, count: 4, owner: owner)
    }
}

@Test func constructionAndReshapeErrors() throws {
    #expect(throws: TensorError.invalidShape([2, -1])) { try Tensor(shape: [2, -1]) }
    #expect(throws: TensorError.invalidShape([Int.max, 3])) { try Tensor(shape: [Int.max, 3]) }
    #expect(throws: TensorError.scalarCountMismatch(shape: [2, 2], count: 3)) { try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
    let t = try Tensor(shape: [2, 3])
    #expect(throws: TensorError.invalidReshape(from: [2, 3], to: [4, 2])) { try t.reshaped([4, 2]) }
    #expect(throws: TensorError.invalidReshape(from: [2, 3], to: [-1, -1])) { try t.reshaped([-1, -1]) }
    #expect(throws: TensorError.invalidReshape(from: [2, 3], to: [4, -1])) { try t.reshaped([4, -1]) }
    #expect(throws: TensorError.invalidReshape(from: [2, 3], to: [6, -3])) { try t.reshaped([6, -3]) }
    #expect(try t.reshaped([-1]).shape == [6])
    #expect(try t.reshaped([3, 1, -1]).shape == [3, 1, 2])
    #expect(try Tensor(shape: [0, 5]).reshaped([5, 0]).count == 0)
    let s = Tensor(scalar: 3)
    #expect(s.shape == [] && s.count == 1 && s.scalars == [3])
    #expect(throws: TensorError.self) { try t.scalar(at: [2, 0]) }
    #expect(throws: TensorError.self) { try t.scalar(at: [0]) }
}

@Test("Float16 and BFloat16 buffers convert exactly", arguments: [0, 1, 15, 16, 17, 33, 1000])
func halfPrecisionConversion(count: Int) throws {
    var rng = SplitMix64(seed: UInt64(count) + 99)
    // Every kind of value: normals, subnormals, zeros, infinities, NaN, random bit patterns.
    var halfBits: [UInt16] = [0x0000, 0x8000, 0x0001, 0x03ff, 0x0400, 0x3c00, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0xc000]
    while halfBits.count < count { halfBits.append(UInt16.random(in: 0...UInt16.max, using: &rng)) }
    halfBits = Array(halfBits.prefix(count))
    // Read from an odd byte offset to exercise unaligned access.
    var bytes = [UInt8](repeating: 0, count: 2 * count + 1)
    for (i, h) in halfBits.enumerated() { bytes[1 + 2 * i] = UInt8(h & 0xff); bytes[2 + 2 * i] = UInt8(h >> 8) }
    var out = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { raw in
        out.withUnsafeMutableBufferPointer { HalfPrecision.float16ToFloat32(raw.baseAddress! + 1, count: count, into: $0.baseAddress!) }
    }
    for (i, h) in halfBits.enumerated() {
        let expected = Float(Float16(bitPattern: h))
        #expect(expected.isNaN ? out[i].isNaN : out[i].bitPattern == expected.bitPattern, "f16 \(h)")
    }
    bytes.withUnsafeBytes { raw in
        out.withUnsafeMutableBufferPointer { HalfPrecision.bfloat16ToFloat32(raw.baseAddress! + 1, count: count, into: $0.baseAddress!) }
    }
    for (i, h) in halfBits.enumerated() {
        let expected = Float(bitPattern: UInt32(h) << 16)
        #expect(expected.isNaN ? out[i].isNaN : out[i].bitPattern == expected.bitPattern, "bf16 \(h)")
    }
}

@Test("Every binary16 bit pattern converts exactly through the vector path")
func everyFloat16Pattern() {
    let patterns = (0...UInt16.max).map { $0 }
    var out = [Float](repeating: 0, count: patterns.count)
    patterns.withUnsafeBytes { raw in
        out.withUnsafeMutableBufferPointer { HalfPrecision.float16ToFloat32(raw.baseAddress!, count: patterns.count, into: $0.baseAddress!) }
    }
    var mismatches: [UInt16] = []
    for (h, value) in zip(patterns, out) {
        let expected = Float(Float16(bitPattern: h))
        let same = expected.isNaN ? value.isNaN && value.sign == expected.sign : value.bitPattern == expected.bitPattern
        if !same { mismatches.append(h) }
    }
    #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(8))")
}

@Test func float32ToHalfRoundsToNearestEven() throws {
    let values: [Float] = [0, -0.0, 1, 1.0009765625, 65504, 70000, 1e-8, .infinity, -.infinity, 1 + 1.0 / 256 + 1.0 / 512]
    var f16 = [UInt8](repeating: 0, count: 2 * values.count)
    var bf16 = [UInt8](repeating: 0, count: 2 * values.count)
    values.withUnsafeBufferPointer { src in
        f16.withUnsafeMutableBytes { HalfPrecision.float32ToFloat16(src.baseAddress!, count: values.count, into: $0.baseAddress!) }
        bf16.withUnsafeMutableBytes { HalfPrecision.float32ToBFloat16(src.baseAddress!, count: values.count, into: $0.baseAddress!) }
    }
    for (i, v) in values.enumerated() {
        let h = UInt16(f16[2 * i]) | UInt16(f16[2 * i + 1]) << 8
        #expect(h == Float16(v).bitPattern)
        let b = UInt16(bf16[2 * i]) | UInt16(bf16[2 * i + 1]) << 8
        // Round to nearest even, computed in Double.
        let exact = Double(v)
        let decoded = Double(Float(bitPattern: UInt32(b) << 16))
        if exact.isFinite && decoded.isFinite {
            let ulp = Double(Float(bitPattern: (UInt32(b) << 16) + 0x10000)) - decoded
            #expect(abs(decoded - exact) <= abs(ulp) / 2 + 1e-45)
        } else {
            #expect(decoded == exact)
        }
    }
    #expect(HalfPrecision.bfloat16Bits(1 + 1.0 / 256) == 0x3f80)          // tie → even (down)
    #expect(HalfPrecision.bfloat16Bits(1 + 3.0 / 256) == 0x3f82)          // tie → even (up)
    #expect(Float(bitPattern: UInt32(HalfPrecision.bfloat16Bits(.nan)) << 16).isNaN)
}
