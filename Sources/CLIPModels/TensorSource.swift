import TensorCore

/// The named tensors a model is loaded from: what the loader needs of a checkpoint (names,
/// stored shapes and element types, Float32 values). Safetensors checkpoints and in-memory
/// tensors are adapted to it.
protocol TensorSource: Sendable {
    /// A short description for error messages, usually the file name.
    var sourceDescription: String { get }
    /// The names of every stored tensor.
    var tensorNames: [String] { get }
    /// The stored shape of `name`, or `nil` when there is no such tensor.
    func shape(of name: String) -> [Int]?
    /// The stored element type of `name` ("F32", "F16", "BF16", …), or `nil` when unknown.
    func dataType(of name: String) -> String?
    /// The tensor `name` converted to Float32.
    func tensor(named name: String) throws -> Tensor
    /// The tensor `name` converted to Float32 and written into `destination`, which holds
    /// exactly its element count.
    func copyTensor(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws
}

extension TensorSource {
    func copyTensor(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let tensor = try tensor(named: name)
        guard tensor.count == destination.count, let target = destination.baseAddress else {
            throw CLIPModelError.weightFile(path: sourceDescription,
                                            reason: "tensor \"\(name)\" has \(tensor.count) values, not \(destination.count)")
        }
        tensor.withUnsafeBufferPointer { values in
            if let base = values.baseAddress { target.update(from: base, count: values.count) }
        }
    }
}

/// Tensors held in memory, keyed by checkpoint name.
struct InMemoryTensors: TensorSource {
    var tensors: [String: Tensor]
    var sourceDescription: String

    init(_ tensors: [String: Tensor], description: String = "in-memory weights") {
        self.tensors = tensors
        self.sourceDescription = description
    }

    var tensorNames: [String] { tensors.keys.sorted() }
    func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    func dataType(of name: String) -> String? { tensors[name] == nil ? nil : "F32" }

    func tensor(named name: String) throws -> Tensor {
        guard let tensor = tensors[name] else {
            throw CLIPModelError.checkpointMismatch(file: sourceDescription, missing: [name], unexpected: [], misshaped: [])
        }
        return tensor
    }
}
