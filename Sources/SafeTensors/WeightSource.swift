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
    /// The elements of the integer or BOOL tensor named `name`, exactly.
    func int64Values(named name: String) throws(SafeTensorsError) -> [Int64]
    /// The total number of elements of all tensors.
    var parameterCount: Int { get }
}
