import TensorCore

/// Named tensors that a model loader can read: a single safetensors file or a sharded
/// checkpoint, behind one interface.
public protocol WeightSource: Sendable {
    /// Every tensor name, sorted in ascending (code point) order.
    var tensorNames: [String] { get }
    /// Whether a tensor named `name` exists.
    func contains(_ name: String) -> Bool
    /// The dtype, shape and location of the tensor named `name`.
    func info(named name: String) throws(SafeTensorsError) -> TensorInfo
    /// The tensor named `name` as Float32, shaped as stored (zero-copy where possible).
    func tensor(named name: String) throws(SafeTensorsError) -> Tensor
    /// Writes the tensor named `name` as Float32 into `destination`, which holds exactly its
    /// element count (for loaders that convert into memory they reuse).
    func copyFloat32(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws(SafeTensorsError)
    /// The elements of the integer or BOOL tensor named `name`, exactly.
    func int64Values(named name: String) throws(SafeTensorsError) -> [Int64]
    /// The total number of elements of all tensors.
    var parameterCount: Int { get }
}

extension WeightSource {
    /// Copies ``tensor(named:)`` into `destination` (sources that can convert in place override this).
    public func copyFloat32(named name: String, into destination: UnsafeMutableBufferPointer<Float>) throws(SafeTensorsError) {
        let tensor = try tensor(named: name)
        let info = try info(named: name)
        guard destination.count == tensor.count, let target = destination.baseAddress else {
            throw .unsupportedConversion(file: "weights", tensor: name, dtype: info.dtype,
                                         to: "a buffer of \(destination.count) Float32 values (it has \(tensor.count))")
        }
        tensor.withUnsafeBufferPointer { values in
            if let base = values.baseAddress { target.update(from: base, count: values.count) }
        }
    }
}
