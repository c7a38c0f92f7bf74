import Foundation
import Testing
import TensorCore
@testable import CLIPModels

/// A copy of a fixture model in a fresh temporary folder.
private func copyOfFixture(_ name: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("swift-clip-fault-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: fixtureModel(name), to: folder)
    return folder
}

@Suite("Faults: a model's checkpoint cut short or replaced")
struct ModelCheckpointFaultTests {
    /// A cut checkpoint is refused when the model is opened, with an error naming the file,
    /// before any weight is read.
    @Test(arguments: [0.0, 0.001, 0.5, 0.999])
    func aTruncatedCheckpointIsRefused(_ fraction: Double) throws {
        let folder = try copyOfFixture("hf-quickgelu")
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("model.safetensors")
        let bytes = try Data(contentsOf: weights)
        try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: weights)
        #expect { try CLIPModel(contentsOf: folder) } throws: { error in
            guard let error = error as? CLIPModelError, case let .weightFile(path, reason) = error else { return false }
            return path.hasSuffix("model.safetensors") && !reason.isEmpty
        }
    }

    /// Replacing the checkpoint of an open model (a new file renamed over it, as downloads and
    /// writers do) changes nothing for that model: it keeps computing from the old weights.
    @Test func aReplacedCheckpointLeavesAnOpenModelUnchanged() throws {
        let folder = try copyOfFixture("hf-quickgelu")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try CLIPModel(contentsOf: folder)
        let tokens = [[398, 131, 141, 74, 4, 399], [398, 29, 337, 399]]
        let pixels = try Tensor(shape: [1, 3, 32, 32], scalars: (0..<(3 * 32 * 32)).map { Float($0 % 17) / 17 - 0.5 })
        let text = try model.encode(tokenIDs: tokens), image = try model.encode(pixelValues: pixels)
        let replacement = fixtureModel("hf-quickgelu-f16").appendingPathComponent("model.safetensors")
        try Data(contentsOf: replacement).write(to: folder.appendingPathComponent("model.safetensors"), options: .atomic)
        #expect(try model.encode(tokenIDs: tokens).scalars == text.scalars)
        #expect(try model.encode(pixelValues: pixels).scalars == image.scalars)
        // The new file is what a newly opened model reads.
        let reopened = try CLIPModel(contentsOf: folder)
        #expect(try reopened.encode(tokenIDs: tokens).scalars != text.scalars)
    }
}
