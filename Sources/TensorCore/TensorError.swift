/// Errors thrown by tensor operations. Each case names the operation and the shapes involved.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two operands whose shapes do not fit together, e.g. `[2,3]·[4,5]` in `matmul`.
    case shapeMismatch(operation: String, lhs: [Int], rhs: [Int])
    /// An operand with the wrong number of axes.
    case rankMismatch(operation: String, expected: String, shape: [Int])
    /// A reshape whose element count differs from the tensor's.
    case invalidReshape(from: [Int], to: [Int])
    /// A shape with a negative extent or an element count that overflows `Int`.
    case invalidShape([Int])
    /// A scalar buffer whose length differs from the shape's element count.
    case scalarCountMismatch(shape: [Int], count: Int)
    /// An index or range outside an axis.
    case indexOutOfRange(operation: String, index: Int, axis: Int, shape: [Int])
    /// An argument value that is not allowed (e.g. a patch size of zero).
    case invalidArgument(operation: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs):
            return "\(op): shapes \(lhs) and \(rhs) do not match"
        case let .rankMismatch(op, expected, shape):
            return "\(op): expected \(expected), got shape \(shape)"
        case let .invalidReshape(from, to):
            return "reshape: cannot reshape \(from) (\(from.reduce(1, *)) elements) to \(to)"
        case let .invalidShape(shape):
            return "invalid shape \(shape): negative extent or element count overflows"
        case let .scalarCountMismatch(shape, count):
            return "shape \(shape) needs \(Tensor.elementCount(shape) ?? -1) scalars, got \(count)"
        case let .indexOutOfRange(op, index, axis, shape):
            return "\(op): index \(index) out of range for axis \(axis) of shape \(shape)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        }
    }
}
