import Foundation
import Testing
@testable import SafeTensors
import TensorCore

/// Reads `Fixtures/interop.safetensors`, written by Python `safetensors` 0.8.0 / torch 2.15.0
/// (Scripts/make_safetensors_fixture.py), and checks exact values.
@Suite("Python-written interop fixture")
struct InteropFixtureTests {
    let file: SafeTensorsFile

    init() throws {
        file = try SafeTensorsFile(contentsOf: try fixtureURL("interop"))
    }

    @Test func metadataAndNames() throws {
        #expect(file.metadata == [
            "format": "pt", "generator": "Scripts/make_safetensors_fixture.py",
            "note": "unicode ✓ \"quoted\" \\ backslash",
            "safetensors": "0.8.0", "torch": "2.15.0", "numpy": "2.4.6",
        ])
        #expect(file.tensorNames.count == 32)
        #expect(file.tensorNames == file.tensorNames.sorted())
        #expect(file.headerLength % 8 == 0)
        #expect(file.fileSize == 8465)
        let info = try file.info(named: "position_ids")
        #expect(info.dtype == .int64)
        #expect(info.shape == [1, 77])
        #expect(info.byteCount == 77 * 8)
    }

    @Test func float32() throws {
        let tensor = try file.tensor(named: "f32")
        #expect(tensor.shape == [2, 3])
        #expect(tensor.isBorrowed)
        #expect(bits(tensor.scalars) == bits([0, -0.0, 1.5, -3.25, 1e-40, .greatestFiniteMagnitude]))
        #expect(try file.tensor(named: "f32.grid").scalars == (0..<20).map { Float($0) * 0.125 - 1 })
        let scalar = try file.tensor(named: "scalar")
        #expect(scalar.shape == [])
        #expect(scalar.scalars == [42.5])
        let empty = try file.tensor(named: "empty")
        #expect(empty.shape == [0, 3])
        #expect(empty.count == 0)
    }

    @Test func float16() throws {
        let values = try file.tensor(named: "f16").scalars
        #expect(bits(Array(values.prefix(9))) == bits([0, -0.0, 1, -2.5, 65504, 0x1p-14, 0x1p-24, .infinity, -.infinity]))
        #expect(values[9].isNaN)
        // Rounded from Float32 by torch; its own Float32 conversion is stored beside it.
        let rounded = try file.tensor(named: "f16.rounded").scalars
        #expect(bits(rounded) == bits(try file.tensor(named: "f16.rounded.as_f32").scalars))
        #expect(bits(rounded) == bits([0.0999755859375, 0.333251953125, -1235, .infinity]))
    }

    @Test func bfloat16() throws {
        let values = try file.tensor(named: "bf16").scalars
        #expect(bits(Array(values.prefix(8)))
            == bits([0, -0.0, 1, -2.5, Float(bitPattern: 0x7F7F_0000), 0x1p-133, .infinity, -.infinity]))
        #expect(values[8].isNaN)
        let rounded = try file.tensor(named: "bf16.rounded").scalars
        #expect(bits(rounded) == bits(try file.tensor(named: "bf16.rounded.as_f32").scalars))
        #expect(bits(rounded) == bits([0.10009765625, 0.333984375, -1232, 0.00099945068359375]))
        #expect(try file.tensor(named: "bf16.grid").scalars == (0..<20).map { Float($0) * 0.125 - 1 })
    }

    @Test func int64() throws {
        #expect(try file.int64Values(named: "position_ids") == (0..<77).map { Int64($0) })
        let positions = try file.tensor(named: "position_ids")
        #expect(positions.shape == [1, 77])
        #expect(positions.scalars == (0..<77).map { Float($0) })
        #expect(try file.int64Values(named: "i64.extremes") == [Int64.min, Int64.max, -1, 0, 16_777_217])
        // As Float32, integers round to nearest (16777217 → 16777216), like torch's .float().
        #expect(try file.tensor(named: "i64.extremes").scalars == [-0x1p63, 0x1p63, -1, 0, 16_777_216])
    }

    @Test func otherIntegerDTypes() throws {
        #expect(try file.int64Values(named: "i32") == [Int64(Int32.min), Int64(Int32.max), -7])
        #expect(try file.int64Values(named: "i16") == [-32768, 32767, 3])
        #expect(try file.int64Values(named: "i8") == [-128, 127, -1])
        #expect(try file.int64Values(named: "u8") == [0, 255, 7])
        #expect(try file.int64Values(named: "u16") == [0, 65535])
        #expect(try file.int64Values(named: "u32") == [0, 4_294_967_295])
        #expect(try file.int64Values(named: "u64") == [0, Int64.max])
        #expect(try file.int64Values(named: "bool") == [1, 0, 1])
        #expect(try file.tensor(named: "bool").scalars == [1, 0, 1])
        #expect(try file.tensor(named: "i8").scalars == [-128, 127, -1])
        #expect(try file.info(named: "bool").dtype == .bool)
    }

    @Test func float64() throws {
        let values = try file.tensor(named: "f64").scalars
        #expect(bits(values) == bits(try file.tensor(named: "f64.as_f32").scalars))
        #expect(bits(values) == bits([Float(0.1 as Double), -.infinity, 0, 0x1p60]))
    }

    /// All 256 bit patterns of each 8-bit float format convert exactly as torch converts them.
    @Test(arguments: ["f8_e4m3", "f8_e5m2", "f8_e4m3fnuz", "f8_e5m2fnuz"])
    func float8(name: String) throws {
        let converted = try file.tensor(named: name).scalars
        let reference = try file.tensor(named: name + ".as_f32").scalars
        #expect(converted.count == 256)
        for pattern in 0..<256 {
            if reference[pattern].isNaN {
                #expect(converted[pattern].isNaN, "\(name) 0x\(String(pattern, radix: 16))")
            } else {
                #expect(converted[pattern].bitPattern == reference[pattern].bitPattern, "\(name) 0x\(String(pattern, radix: 16))")
            }
        }
        #expect(Array(try file.rawBytes(named: name)) == (0..<256).map { UInt8($0) })
    }

    /// Spot checks of the 8-bit formats from their definitions (independent of torch).
    @Test func float8Definitions() throws {
        let e4m3 = try file.tensor(named: "f8_e4m3").scalars
        #expect(e4m3[0x7E] == 448)  // largest finite E4M3FN
        #expect(e4m3[0x7F].isNaN && e4m3[0xFF].isNaN)
        #expect(e4m3[0x01] == 0x1p-9)  // smallest subnormal
        #expect(e4m3[0x80].bitPattern == (-0.0 as Float).bitPattern)
        let e5m2 = try file.tensor(named: "f8_e5m2").scalars
        #expect(e5m2[0x7B] == 57344)
        #expect(e5m2[0x7C] == .infinity && e5m2[0xFC] == -.infinity)
        #expect(e5m2[0x7D].isNaN)
        let fnuz = try file.tensor(named: "f8_e4m3fnuz").scalars
        #expect(fnuz[0x80].isNaN)
        #expect(fnuz[0x7F] == 240)
        // E8M0 (not in the fixture: torch's safetensors mapping lacks it): 2^(bits - 127).
        var writer = SafeTensorsWriter()
        try writer.add(rawBytes: [0, 1, 126, 127, 128, 254, 255], dtype: .float8E8M0, shape: [7], named: "s")
        let scales = try SafeTensorsFile(bytes: writer.serialized(), name: testName).tensor(named: "s").scalars
        #expect(Array(scales.prefix(6)) == [0x1p-127, 0x1p-126, 0.5, 1, 2, 0x1p127])
        #expect(scales[6].isNaN)
    }

    /// C64 keeps its bytes readable but has no Float32 meaning.
    @Test func complex64() throws {
        #expect(thrownError { try file.tensor(named: "c64") }
            == .unsupportedConversion(file: file.path, tensor: "c64", dtype: .complex64, to: "Float32"))
        let raw = try file.rawBytes(named: "c64")
        let values = (0..<4).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) }
        #expect(values == [1, 2, -3.5, -0.25])
        #expect(thrownError { try file.int64Values(named: "f32") }
            == .unsupportedConversion(file: file.path, tensor: "f32", dtype: .float32, to: "Int64"))
        #expect(thrownError { try file.tensor(named: "nope") } == .tensorNotFound(file: file.path, tensor: "nope"))
    }

    /// The same bytes opened from memory give the same results.
    @Test func inMemoryCopyMatchesMappedFile() throws {
        let bytes = try [UInt8](Data(contentsOf: fixtureURL("interop")))
        let copy = try SafeTensorsFile(bytes: bytes, name: "copy")
        #expect(copy.tensorNames == file.tensorNames)
        for name in file.tensorNames where try file.info(named: name).dtype.isConvertibleToFloat32 {
            #expect(bits(try copy.tensor(named: name).scalars) == bits(try file.tensor(named: name).scalars))
        }
    }
}
