import Foundation
import SafeTensors
import TensorCore

/// A safetensors checkpoint (one file or a sharded index) seen as a ``TensorSource``.
struct SafeTensorsSource: TensorSource {
    let weights: any WeightSource
    let sourceDescription: String

    var tensorNames: [String] { weights.tensorNames }

    func shape(of name: String) -> [Int]? {
        guard weights.contains(name) else { return nil }
        return try? weights.info(named: name).shape
    }

    func dataType(of name: String) -> String? {
        guard weights.contains(name) else { return nil }
        return try? weights.info(named: name).dtype.rawValue
    }

    func tensor(named name: String) throws -> Tensor {
        try weights.tensor(named: name)
    }

    func copyTensor(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try weights.copyFloat32(named: name, into: destination)
    }
}

/// Opens a safetensors file or a sharded checkpoint's index (memory-mapped).
func openSafeTensors(_ url: URL) throws(CLIPModelError) -> any TensorSource {
    do {
        return SafeTensorsSource(weights: try SafeTensorsCheckpoint(contentsOf: url),
                                 sourceDescription: url.lastPathComponent)
    } catch {
        throw .weightFile(path: url.path, reason: "\(error)")
    }
}
