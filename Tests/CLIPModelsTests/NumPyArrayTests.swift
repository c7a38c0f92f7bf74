import Foundation
import Testing
import TensorCore
@testable import CLIPModels

@Test func numPyRoundTrip() throws {
    for shape in [[2, 3, 4], [5], [], [0, 3]] {
        let count = shape.reduce(1, *)
        let tensor = try Tensor(shape: shape, scalars: (0..<count).map { Float($0) * 0.25 - 1 })
        let data = NumPyArray.encode(tensor)
        #expect(try NumPyArray.decode(data) == tensor)
        // numpy's own layout: data aligned to 64 bytes, header ending in a newline.
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        #expect(data[10 + headerLength - 1] == 0x0A)
    }
}

@Test func numPyFixtureReadsAsWritten() throws {
    let pixels = try pixels(32)
    #expect(pixels.shape == [3, 3, 32, 32])
}

@Test func numPyRejectsBadFiles() throws {
    let good = NumPyArray.encode(try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))
    func header(_ dict: String) -> Data {
        var text = dict
        text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(text.utf8.count & 0xff), UInt8(text.utf8.count >> 8)])
        data.append(contentsOf: Array(text.utf8))
        return data
    }
    let cases: [(Data, String)] = [
        (Data("hello".utf8), "magic"),
        (good.prefix(good.count - 1), "data bytes"),
        (header("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }") + Data(count: 8), "element type"),
        (header("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }") + Data(count: 4), "element type"),
        (header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }") + Data(count: 4), "Fortran"),
        (header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), "shape"),
        (header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"), "shape"),
    ]
    for (data, expected) in cases {
        let result = Result { () throws(NumPyArray.Error) -> Tensor in try NumPyArray.decode(data, name: "x.npy") }
        guard case let .failure(.invalid(path, reason)) = result else {
            Issue.record("accepted a file with a bad \(expected)")
            continue
        }
        #expect(path == "x.npy")
        #expect(reason.contains(expected), "\(reason)")
    }
    // float64 and float16 files are widened/narrowed to Float32.
    let f8 = header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }")
        + Data(bytesOf: 1.5.bitPattern.littleEndian) + Data(bytesOf: (-2.0).bitPattern.littleEndian)
    #expect(try NumPyArray.decode(f8).scalars == [1.5, -2])
    let f2 = header("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }")
        + Data(bytesOf: Float16(0.5).bitPattern.littleEndian) + Data(bytesOf: Float16(-3).bitPattern.littleEndian)
    #expect(try NumPyArray.decode(f2).scalars == [0.5, -3])
}

extension Data {
    init<T>(bytesOf value: T) {
        self = Swift.withUnsafeBytes(of: value) { Data($0) }
    }
}
