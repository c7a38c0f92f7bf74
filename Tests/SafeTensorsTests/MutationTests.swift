import Foundation
import Testing
@testable import SafeTensors
import TensorCore

/// 10,000 seeded random mutations and truncations of valid files: each must open or throw a
/// `SafeTensorsError` — never crash, hang or over-allocate — and every tensor of a file that
/// opens must be readable within the file's bounds.
@Suite("Mutation fuzzing")
struct MutationTests {
    /// Small valid base files covering every convertible dtype family, metadata, an empty
    /// tensor, a scalar and unaligned data.
    static func baseFiles() throws -> [[UInt8]] {
        var first = SafeTensorsWriter(metadata: ["format": "pt", "k": "v\u{e9}"])
        try first.add(Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, -0.0, 7]), named: "w.f32")
        try first.add(Tensor(shape: [4], scalars: [0.5, 1, -1, 65504]), named: "w.f16", as: .float16)
        try first.add(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), named: "w.bf16", as: .bfloat16)
        try first.add(integers: Array(0..<5), shape: [1, 5], named: "position_ids", as: .int64)
        try first.add(Tensor(scalar: 4.6052), named: "logit_scale")
        try first.add(Tensor(shape: [0, 2], repeating: 0), named: "empty")

        var second = SafeTensorsWriter()
        second.alignsHeader = false
        try second.add(integers: [1, 0, 1], shape: [3], named: "mask", as: .bool)
        try second.add(Tensor(shape: [3], scalars: [1, 2, 3]), named: "unaligned.f32")
        try second.add(Tensor(shape: [2], scalars: [0.25, -8]), named: "f64", as: .float64)
        try second.add(integers: [-5, 5], shape: [2], named: "i32", as: .int32)
        try second.add(rawBytes: [0x38, 0x40, 0xC4], dtype: .float8E4M3, shape: [3], named: "f8")
        try second.add(rawBytes: [1, 2, 3, 4, 5, 6, 7, 8], dtype: .complex64, shape: [1], named: "c64")
        return [first.serialized(), second.serialized()]
    }

    enum Outcome: Equatable {
        case opened(tensors: Int)
        case failed
    }

    /// Opens `bytes` and reads every tensor every way it can be read.
    static func exercise(_ open: () throws -> SafeTensorsFile) -> Outcome {
        let file: SafeTensorsFile
        do {
            file = try open()
        } catch is SafeTensorsError {
            return .failed
        } catch {
            Issue.record("unexpected error type: \(error)")
            return .failed
        }
        var coveredBytes = 0
        for name in file.tensorNames {
            guard let info = try? file.info(named: name) else {
                Issue.record("listed tensor \(name) has no info")
                continue
            }
            coveredBytes += info.byteCount
            // Every range lies inside the data buffer.
            #expect(info.dataOffsets.lowerBound >= 0 && file.dataOffset + info.dataOffsets.upperBound <= file.fileSize)
            if let raw = try? file.rawBytes(named: name) {
                #expect(raw.count == info.byteCount)
                var checksum: UInt8 = 0
                for byte in raw { checksum ^= byte }
                _ = checksum
            }
            do {
                let tensor = try file.tensor(named: name)
                #expect(tensor.shape == info.shape)
                #expect(tensor.count == info.elementCount)
                _ = tensor.withUnsafeBufferPointer { $0.reduce(0, +) }
            } catch {
                #expect(!info.dtype.isConvertibleToFloat32, "\(error)")
            }
            if info.dtype.isInteger {
                if let values = try? file.int64Values(named: name) { #expect(values.count == info.elementCount) }
            }
        }
        // The tensors tile the data buffer exactly.
        #expect(coveredBytes == file.fileSize - file.dataOffset)
        return .opened(tensors: file.tensorNames.count)
    }

    static let interestingBytes: [UInt8] = Array("{}[]\",:-0123456789e.\\ tfnu".utf8) + [0, 0x80, 0xFF, 0xC3]

    static func mutate(_ base: [UInt8], using generator: inout SplitMix64) -> [UInt8] {
        var bytes = base
        let edits = Int.random(in: 1...3, using: &generator)
        for _ in 0..<edits {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            switch Int.random(in: 0..<8, using: &generator) {
            case 0: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &generator)
            case 2: bytes[at] = interestingBytes.randomElement(using: &generator) ?? 0
            case 3: bytes.removeSubrange(at...)
            case 4: bytes.remove(at: at)
            case 5: bytes.insert(interestingBytes.randomElement(using: &generator) ?? 0, at: at)
            case 6:
                // Rewrite the header length field.
                let length = [UInt64.random(in: 0...UInt64(bytes.count + 16), using: &generator),
                              UInt64.random(in: 0...UInt64.max, using: &generator), UInt64(1) << 63]
                    .randomElement(using: &generator) ?? 0
                if bytes.count >= 8 {
                    withUnsafeBytes(of: length.littleEndian) { for i in 0..<8 { bytes[i] = $0[i] } }
                }
            default:
                // Overwrite a digit inside the header with another digit (shapes and offsets).
                let headerEnd = min(bytes.count, 8 + Int(min(UInt64(bytes.count), base.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })))
                if headerEnd > 8 {
                    let position = Int.random(in: 8..<headerEnd, using: &generator)
                    if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                        bytes[position] = UInt8(ascii: "0") + UInt8.random(in: 0...9, using: &generator)
                    }
                }
            }
        }
        return bytes
    }

    @Test func tenThousandMutationsLoadOrThrow() throws {
        let bases = try Self.baseFiles()
        for base in bases { #expect(Self.exercise { try SafeTensorsFile(bytes: base, name: testName) } != .failed) }

        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("mutant.safetensors")

        var generator = SplitMix64(seed: 0x5AFE_7E45_0125)
        var opened = 0
        var failed = 0
        for iteration in 0..<10_000 {
            let base = bases[iteration % bases.count]
            let mutant = Self.mutate(base, using: &generator)
            let outcome = Self.exercise { try SafeTensorsFile(bytes: mutant, name: testName) }
            if outcome == .failed { failed += 1 } else { opened += 1 }
            // Every 50th mutant also goes through a real memory-mapped file, with the same outcome.
            if iteration % 50 == 0 {
                try Data(mutant).write(to: url)
                let mapped = Self.exercise { try SafeTensorsFile(contentsOf: url) }
                #expect(mapped == outcome, "iteration \(iteration)")
            }
        }
        #expect(opened + failed == 10_000)
        // Both paths are exercised: many mutants break the file, some keep it valid.
        #expect(failed > 5_000)
        #expect(opened > 100)
    }
}
