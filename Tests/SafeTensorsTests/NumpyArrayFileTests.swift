import Foundation
import Testing
import TensorCore
@testable import SafeTensors

@Suite struct NumpyArrayFileTests {
    /// `numpy.save(f, (np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5))` with numpy 2.4.6.
    static let numpyBytes: [UInt8] = Array("\u{93}NUMPY".unicodeScalars.map { UInt8($0.value) }) + [1, 0, 0x76, 0]
        + Array("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".utf8)
        + [UInt8](repeating: 0x20, count: 58) + [0x0A]
        + [0, 0, 0, 191, 0, 0, 128, 190, 0, 0, 0, 0, 0, 0, 128, 62, 0, 0, 0, 63, 0, 0, 64, 63]

    @Test func encodesExactlyLikeNumpy() throws {
        let tensor = try Tensor(shape: [2, 3], scalars: [-0.5, -0.25, 0, 0.25, 0.5, 0.75])
        #expect([UInt8](NumpyArrayFile.encode(tensor)) == Self.numpyBytes)
    }

    @Test func decodesNumpyOutput() throws {
        let tensor = try NumpyArrayFile.decode(Data(Self.numpyBytes))
        #expect(tensor.shape == [2, 3])
        #expect(tensor.scalars == [-0.5, -0.25, 0, 0.25, 0.5, 0.75])
    }

    @Test(arguments: [[Int](), [5], [1, 3, 4, 2], [0, 3]])
    func roundTripsThroughAFile(_ shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let tensor = try Tensor(shape: shape, scalars: (0..<count).map { Float($0) * 1.5 - 2 })
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("swift-clip-\(UUID()).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        try NumpyArrayFile.write(tensor, to: url)
        let data = try Data(contentsOf: url)
        #expect((data.count - count * 4) % 64 == 0)   // header padded to 64 bytes, as numpy does
        let back = try NumpyArrayFile.read(contentsOf: url)
        #expect(back == tensor)
    }

    @Test func rejectsWhatItCannotRead() throws {
        func header(_ dict: String, version: UInt8 = 1, payload: Int) -> Data {
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
            let text = Array((dict + "\n").utf8)
            if version == 1 {
                bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
            } else {
                bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8), 0, 0]
            }
            return Data(bytes + text + [UInt8](repeating: 0, count: payload))
        }
        #expect(throws: NumpyFileError.notNumpyFile(source: "<memory>")) { try NumpyArrayFile.decode(Data("hello".utf8)) }
        #expect(throws: NumpyFileError.unsupportedDataType(source: "<memory>", descr: "<f8")) {
            try NumpyArrayFile.decode(header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", payload: 16))
        }
        #expect(throws: NumpyFileError.fortranOrderNotSupported(source: "<memory>")) {
            try NumpyArrayFile.decode(header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload: 16))
        }
        #expect(throws: NumpyFileError.dataSizeMismatch(source: "<memory>", shape: [2, 2], expectedBytes: 16, actualBytes: 15)) {
            try NumpyArrayFile.decode(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: 15))
        }
        #expect(throws: NumpyFileError.unsupportedVersion(source: "<memory>", major: 4, minor: 0)) {
            try NumpyArrayFile.decode(header("{}", version: 4, payload: 0))
        }
        #expect(throws: NumpyFileError.self) {
            try NumpyArrayFile.decode(header("{'descr': '<f4', 'fortran_order': False}", payload: 0))
        }
        #expect(throws: NumpyFileError.self) {
            try NumpyArrayFile.decode(header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", payload: 0))
        }
        let v2 = try NumpyArrayFile.decode(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", version: 2, payload: 4))
        #expect(v2.shape == [1])
        let missing = URL(fileURLWithPath: "/nonexistent/x.npy")
        #expect(throws: NumpyFileError.self) { try NumpyArrayFile.read(contentsOf: missing) }
    }
}
