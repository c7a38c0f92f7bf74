import Foundation
import Testing
@testable import SafeTensors
import TensorCore

@Suite("Writer → reader round trips")
struct RoundTripTests {
    /// Every dtype, stored from raw bytes, reads back bit-exact (including empty and scalar).
    @Test func rawBytesOfEveryDTypeRoundTrip() throws {
        var generator = SplitMix64(seed: 1)
        var writer = SafeTensorsWriter(metadata: ["purpose": "round trip"])
        var expected: [String: (SafeTensorsDType, [Int], [UInt8])] = [:]
        for dtype in SafeTensorsDType.allCases {
            // Shapes whose element counts fill whole bytes even for 4- and 6-bit formats.
            for shape in [[2, 4], [], [0], [3, 0, 4], [4]] {
                let count = shape.reduce(1, *)
                guard let byteCount = dtype.byteCount(forElementCount: count) else { continue }
                let bytes = (0..<byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let name = "\(dtype.rawValue)/\(shape)"
                try writer.add(rawBytes: bytes, dtype: dtype, shape: shape, named: name)
                expected[name] = (dtype, shape, bytes)
            }
        }
        let file = try SafeTensorsFile(bytes: writer.serialized(), name: testName)
        #expect(file.metadata == ["purpose": "round trip"])
        #expect(file.tensorNames == expected.keys.sorted())
        #expect(expected.count >= 5 * 19 + 3)
        for (name, (dtype, shape, bytes)) in expected {
            let info = try file.info(named: name)
            #expect(info.dtype == dtype)
            #expect(info.shape == shape)
            #expect(info.byteCount == bytes.count)
            #expect(Array(try file.rawBytes(named: name)) == bytes, "\(name)")
        }
    }

    /// Float32 tensors come back bit-exact: NaN payloads, signed zeros, subnormals, extremes.
    @Test func float32BitExact() throws {
        let specials: [Float] = [
            0, -0.0, 1, -1, .pi, .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
            .infinity, -.infinity, Float(bitPattern: 0x7FC0_0001), Float(bitPattern: 0xFF80_0123),
        ]
        var generator = SplitMix64(seed: 2)
        let random = (0..<1000).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator)) }
        var writer = SafeTensorsWriter()
        try writer.add(Tensor(shape: [3, 4], scalars: specials), named: "specials")
        try writer.add(Tensor(shape: [10, 10, 10], scalars: random), named: "random")
        try writer.add(Tensor(scalar: -7.25), named: "scalar")
        try writer.add(Tensor(shape: [0, 5], repeating: 0), named: "empty")
        let file = try SafeTensorsFile(bytes: writer.serialized(), name: testName)

        let specialsBack = try file.tensor(named: "specials")
        #expect(specialsBack.shape == [3, 4])
        #expect(bits(specialsBack.scalars) == bits(specials))
        #expect(bits(try file.tensor(named: "random").scalars) == bits(random))
        let scalar = try file.tensor(named: "scalar")
        #expect(scalar.shape == [])
        #expect(scalar.scalars == [-7.25])
        let empty = try file.tensor(named: "empty")
        #expect(empty.shape == [0, 5])
        #expect(empty.count == 0)
        #expect(file.parameterCount == 12 + 1000 + 1)
    }

    /// F64 stores Float32 exactly; F16 and BF16 round to nearest even, and read back as the
    /// rounded value exactly.
    @Test func floatFormatsRoundTrip() throws {
        var generator = SplitMix64(seed: 3)
        var values: [Float] = (0..<500).map { _ in Float.random(in: -70000...70000, using: &generator) }
        values += [0, -0.0, 1e-8, -6e-5, 65504, 65520, .infinity, -.infinity, 3e38]
        let tensor = try Tensor(shape: [values.count], scalars: values)
        var writer = SafeTensorsWriter()
        for dtype in [SafeTensorsDType.float32, .float64, .float16, .bfloat16] {
            try writer.add(tensor, named: dtype.rawValue, as: dtype)
        }
        let file = try SafeTensorsFile(bytes: writer.serialized(), name: testName)
        #expect(bits(try file.tensor(named: "F32").scalars) == bits(values))
        #expect(bits(try file.tensor(named: "F64").scalars) == bits(values))
        #expect(bits(try file.tensor(named: "F16").scalars) == bits(values.map { Float(Float16($0)) }))
        let bfloat = values.map { Float(bitPattern: UInt32(HalfPrecision.bfloat16Bits($0)) << 16) }
        #expect(bits(try file.tensor(named: "BF16").scalars) == bits(bfloat))
        // The stored F16 bytes are the IEEE binary16 patterns, little-endian.
        let raw = Array(try file.rawBytes(named: "F16"))
        let first = UInt16(raw[0]) | UInt16(raw[1]) << 8
        #expect(first == Float16(values[0]).bitPattern)
    }

    /// Integer dtypes keep their values exactly, including each type's extremes.
    @Test func integersRoundTrip() throws {
        let cases: [(SafeTensorsDType, [Int64])] = [
            (.int64, [Int64.min, Int64.max, -1, 0, 1 << 40]),
            (.int32, [Int64(Int32.min), Int64(Int32.max), -5]),
            (.int16, [Int64(Int16.min), Int64(Int16.max), 9]),
            (.int8, [-128, 127, 0]),
            (.uint8, [0, 255, 128]),
            (.uint16, [0, 65535]),
            (.uint32, [0, Int64(UInt32.max)]),
            (.uint64, [0, Int64.max]),
            (.bool, [1, 0, 0, 1]),
        ]
        var writer = SafeTensorsWriter()
        for (dtype, values) in cases {
            try writer.add(integers: values, shape: [values.count], named: dtype.rawValue, as: dtype)
        }
        try writer.add(integers: [Int64](), shape: [0, 2], named: "empty", as: .int64)
        try writer.add(integers: [UInt8(42)], shape: [], named: "scalar", as: .uint8)
        let file = try SafeTensorsFile(bytes: writer.serialized(), name: testName)
        for (dtype, values) in cases {
            #expect(try file.int64Values(named: dtype.rawValue) == values, "\(dtype)")
            #expect(try file.tensor(named: dtype.rawValue).scalars == values.map { Float($0) }, "\(dtype)")
        }
        #expect(try file.int64Values(named: "empty") == [])
        #expect(try file.info(named: "empty").shape == [0, 2])
        #expect(try file.int64Values(named: "scalar") == [42])
        #expect(try file.tensor(named: "scalar").shape == [])
    }

    /// A U64 value above Int64.max cannot be read as Int64 and says which element.
    @Test func uint64AboveInt64MaxIsReported() throws {
        var writer = SafeTensorsWriter()
        try writer.add(integers: [UInt64(1), UInt64.max], shape: [2], named: "big", as: .uint64)
        let file = try SafeTensorsFile(bytes: writer.serialized(), name: testName)
        #expect(thrownError { try file.int64Values(named: "big") } == .valueOutOfRange(file: testName, tensor: "big", index: 1))
        #expect(try file.tensor(named: "big").scalars == [1, Float(UInt64.max)])
    }

    /// F32 data at an unaligned address is copied (and exact); aligned data is borrowed.
    @Test func unalignedOffsetsReadExactly() throws {
        let values: [Float] = [1.5, -2.25, .pi, Float(bitPattern: 0x7FC0_1234), -0.0, 1e-42]
        for prefix in 0..<4 {
            for alignsHeader in [true, false] {
                var writer = SafeTensorsWriter()
                writer.alignsHeader = alignsHeader
                try writer.add(rawBytes: [UInt8](repeating: 0xAB, count: prefix), dtype: .uint8, shape: [prefix], named: "a.prefix")
                try writer.add(Tensor(shape: [2, 3], scalars: values), named: "b.f32")
                try writer.add(Tensor(shape: [2, 3], scalars: values), named: "c.f16", as: .float16)
                try writer.add(Tensor(shape: [2, 3], scalars: values), named: "d.bf16", as: .bfloat16)
                try writer.add(integers: [Int64.min, 5, Int64.max], shape: [3], named: "e.i64", as: .int64)
                try writer.add(Tensor(shape: [2, 3], scalars: values), named: "f.f64", as: .float64)
                let bytes = writer.serialized()
                let file = try SafeTensorsFile(bytes: bytes, name: testName)
                let absolute = file.dataOffset + (try file.info(named: "b.f32")).dataOffsets.lowerBound
                let tensor = try file.tensor(named: "b.f32")
                #expect(bits(tensor.scalars) == bits(values))
                #expect(tensor.isBorrowed == (absolute % 4 == 0), "prefix \(prefix), aligned header \(alignsHeader)")
                #expect(bits(try file.tensor(named: "c.f16").scalars) == bits(values.map { Float(Float16($0)) }))
                #expect(try file.int64Values(named: "e.i64") == [Int64.min, 5, Int64.max])
                #expect(bits(try file.tensor(named: "f.f64").scalars) == bits(values))
                #expect(Array(try file.rawBytes(named: "a.prefix")) == [UInt8](repeating: 0xAB, count: prefix))
                if alignsHeader { #expect(file.headerLength % 8 == 0) }
            }
        }
    }

    /// A borrowed tensor stays valid after the file object is gone, and writing to it copies.
    @Test func borrowedTensorOutlivesFile() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("w.safetensors")
        var writer = SafeTensorsWriter()
        try writer.add(Tensor(shape: [4], scalars: [1, 2, 3, 4]), named: "w")
        try writer.write(to: url)
        var tensor = try SafeTensorsFile(contentsOf: url).tensor(named: "w")
        #expect(tensor.isBorrowed)
        #expect(tensor.scalars == [1, 2, 3, 4])
        tensor.withUnsafeMutableBufferPointer { $0[0] = 10 }
        #expect(!tensor.isBorrowed)
        #expect(tensor.scalars == [10, 2, 3, 4])
        // The file on disk is unchanged.
        #expect(try SafeTensorsFile(contentsOf: url).tensor(named: "w").scalars == [1, 2, 3, 4])
    }

    /// Names with escapes, quotes and non-ASCII text survive the header round trip.
    @Test func namesAndMetadataWithSpecialCharacters() throws {
        let names = ["quote\"d", "back\\slash", "new\nline", "tab\tand\u{1}control", "ünïcödé ✓ 😀", ""]
        var writer = SafeTensorsWriter(metadata: ["k\"ey": "va\\lue\n", "emoji": "😀", "empty": ""])
        for (i, name) in names.enumerated() {
            try writer.add(integers: [i], shape: [1], named: name, as: .int32)
        }
        let file = try SafeTensorsFile(bytes: writer.serialized(), name: testName)
        #expect(file.tensorNames == names.sorted())
        #expect(file.metadata == ["k\"ey": "va\\lue\n", "emoji": "😀", "empty": ""])
        for (i, name) in names.enumerated() { #expect(try file.int64Values(named: name) == [Int64(i)]) }
    }

    /// The writer refuses entries that would make an invalid file.
    @Test func writerRejectsBadEntries() throws {
        var writer = SafeTensorsWriter()
        try writer.add(Tensor(scalar: 1), named: "x")
        #expect(thrownError { try writer.add(Tensor(scalar: 2), named: "x") }
            == .invalidWriterEntry(tensor: "x", message: "a tensor of this name was already added"))
        #expect(thrownError { try writer.add(Tensor(scalar: 2), named: "__metadata__") }
            == .invalidWriterEntry(tensor: "__metadata__", message: "the name __metadata__ is reserved"))
        if case .invalidWriterEntry(let name, _)? = thrownError({ try writer.add(Tensor(scalar: 2), named: "i", as: .int32) }) {
            #expect(name == "i")
        } else {
            Issue.record("storing floats as I32 must be refused")
        }
        #expect(thrownError { try writer.add(integers: [300], shape: [1], named: "b", as: .uint8) }
            == .valueOutOfRange(file: "<writer>", tensor: "b", index: 0))
        #expect(thrownError { try writer.add(integers: [0, 2], shape: [2], named: "c", as: .bool) }
            == .valueOutOfRange(file: "<writer>", tensor: "c", index: 1))
        #expect(thrownError { try writer.add(integers: [1, 2, 3], shape: [2], named: "d", as: .int64) }
            == .invalidWriterEntry(tensor: "d", message: "shape [2] needs 2 values, got 3"))
        #expect(thrownError { try writer.add(rawBytes: [1, 2, 3], dtype: .float16, shape: [2], named: "e") }
            == .invalidWriterEntry(tensor: "e", message: "F16 shape [2] does not take 3 bytes"))
        #expect(thrownError { try writer.add(rawBytes: [], dtype: .uint8, shape: [-1], named: "f") }
            == .invalidWriterEntry(tensor: "f", message: "shape [-1] has a negative extent"))
        // Nothing rejected was added.
        #expect(writer.tensorNames == ["x"])
        #expect(try SafeTensorsFile(bytes: writer.serialized(), name: testName).tensorNames == ["x"])
    }

    /// A file for `Scripts/make_safetensors_fixture.py --check` (run by hand: Python must read
    /// what the writer writes). It carries its own expected values in `__metadata__`; this
    /// test checks that the Swift reader agrees with them too.
    @Test func writerOutputForPython() throws {
        var writer = SafeTensorsWriter()
        var expected: [String: Any] = [:]
        let floats: [Float] = [0.1, -2.5, 1e-30, 12345.678, -0.0, 65504, 1.0 / 3.0, -7]
        let tensor = try Tensor(shape: [2, 4], scalars: floats)
        let torchNames: [SafeTensorsDType: String] = [
            .float32: "torch.float32", .float64: "torch.float64", .float16: "torch.float16", .bfloat16: "torch.bfloat16",
        ]
        for dtype in [SafeTensorsDType.float32, .float16, .bfloat16, .float64] {
            try writer.add(tensor, named: "floats.\(dtype.rawValue)", as: dtype)
            let stored: [Float]
            switch dtype {
            case .float16: stored = floats.map { Float(Float16($0)) }
            case .bfloat16: stored = floats.map { Float(bitPattern: UInt32(HalfPrecision.bfloat16Bits($0)) << 16) }
            default: stored = floats
            }
            expected["floats.\(dtype.rawValue)"] = ["shape": [2, 4], "torch_dtype": torchNames[dtype] ?? "", "values": stored.map { Double($0) }]
        }
        let integers: [(SafeTensorsDType, String, [Int64])] = [
            (.int64, "torch.int64", [Int64.min, Int64.max, 0, -1]),
            (.int32, "torch.int32", [Int64(Int32.min), 7, 8, Int64(Int32.max)]),
            (.int16, "torch.int16", [-3, 4]),
            (.int8, "torch.int8", [-128, 127]),
            (.uint8, "torch.uint8", [0, 255]),
            (.bool, "torch.bool", [1, 0, 1]),
        ]
        for (dtype, torchName, values) in integers {
            try writer.add(integers: values, shape: [values.count], named: "ints.\(dtype.rawValue)", as: dtype)
            let pythonValues: [Any] = dtype == .bool ? values.map { $0 != 0 } : values
            expected["ints.\(dtype.rawValue)"] = ["shape": [values.count], "torch_dtype": torchName, "values": pythonValues]
        }
        try writer.add(Tensor(scalar: 42.5), named: "scalar")
        expected["scalar"] = ["shape": [Int](), "torch_dtype": "torch.float32", "values": [42.5]]
        try writer.add(Tensor(shape: [0, 3], repeating: 0), named: "empty")
        expected["empty"] = ["shape": [0, 3], "torch_dtype": "torch.float32", "values": [Double]()]
        let json = try JSONSerialization.data(withJSONObject: expected, options: [.sortedKeys])
        writer.metadata = ["format": "pt", "expected": String(decoding: json, as: UTF8.self)]

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swift-clip-writer-check.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.tensorNames.count == expected.count)
        #expect(bits(try file.tensor(named: "floats.BF16").scalars)
            == bits(floats.map { Float(bitPattern: UInt32(HalfPrecision.bfloat16Bits($0)) << 16) }))
        #expect(try file.int64Values(named: "ints.I64") == [Int64.min, Int64.max, 0, -1])
        #expect(file.metadata["format"] == "pt")
    }
}
