import Foundation
import Testing
import TensorCore
@testable import SafeTensors

@Suite struct ResidentPagesTests {
    /// A file with one F32 tensor large enough to span many pages.
    func writeLargeFile() throws -> (URL, [Float]) {
        let values = (0..<300_000).map { Float($0 % 977) * 0.25 - 7 }
        var writer = SafeTensorsWriter()
        try writer.add(try Tensor(shape: [300, 1000], scalars: values), named: "w")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("resident-\(UUID().uuidString).safetensors")
        try writer.write(to: url)
        return (url, values)
    }

    @Test func releasingAMappedTensorKeepsItsValues() throws {
        let (url, values) = try writeLargeFile()
        defer { try? FileManager.default.removeItem(at: url) }
        let file = try SafeTensorsFile(contentsOf: url)
        let tensor = try file.tensor(named: "w")
        #expect(tensor.isBorrowed)
        #expect(tensor.scalars == values)
        tensor.releaseResidentPages()
        // The pages come back from the file on the next read.
        #expect(tensor.scalars == values)
        tensor.releaseResidentPages()
        tensor.releaseResidentPages()
        #expect(tensor.scalars == values)
    }

    @Test func releasingInMemoryOrOwnedTensorsChangesNothing() throws {
        let (url, values) = try writeLargeFile()
        defer { try? FileManager.default.removeItem(at: url) }
        // In-memory bytes are anonymous memory, where MADV_DONTNEED would zero the values.
        let file = try SafeTensorsFile(bytes: [UInt8](try Data(contentsOf: url)))
        let tensor = try file.tensor(named: "w")
        tensor.releaseResidentPages()
        #expect(tensor.scalars == values)
        let owned = try Tensor(shape: [300, 1000], scalars: values)
        owned.releaseResidentPages()
        #expect(owned.scalars == values)
    }
}
