/// A dense Float32 tensor, contiguous and row-major, with value semantics (copy-on-write).
///
/// `shape` lists the extent of each axis, outermost first: a batch of token embeddings is
/// `[batch, tokens, width]`. A tensor with shape `[]` is a scalar holding one element.
/// Reshaping never copies; mutation copies only when the storage is shared or borrowed
/// (for example a view of a memory-mapped weight file).
public struct Tensor: Sendable {
    /// The extent of each axis, outermost first.
    public private(set) var shape: [Int]
    @usableFromInline var storage: TensorStorage

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of elements (the product of `shape`; 1 for a scalar).
    public var count: Int { storage.count }

    @usableFromInline
    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements of `shape`, or `nil` when an extent is negative or the product
    /// overflows `Int`.
    public static func elementCount(_ shape: [Int]) -> Int? {
        var total = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            total = product
        }
        // Keep byte counts representable too.
        guard total <= Int.max / MemoryLayout<Float>.stride else { return nil }
        return total
    }

    @usableFromInline
    static func validatedCount(_ shape: [Int]) throws(TensorError) -> Int {
        guard let count = elementCount(shape) else { throw .invalidShape(shape) }
        return count
    }

    /// A tensor of the given shape with every element equal to `value`.
    /// - Throws: `TensorError.invalidShape` for a negative extent or an overflowing size.
    public init(shape: [Int], repeating value: Float = 0) throws(TensorError) {
        let count = try Tensor.validatedCount(shape)
        let storage = TensorStorage(uninitializedCount: count)
        storage.base.initialize(repeating: value, count: count)
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of the given shape holding `scalars` in row-major order.
    /// - Throws: `TensorError.scalarCountMismatch` when `scalars.count` is not the shape's element count.
    public init(shape: [Int], scalars: [Float]) throws(TensorError) {
        let count = try Tensor.validatedCount(shape)
        guard scalars.count == count else {
            throw .scalarCountMismatch(shape: shape, count: scalars.count)
        }
        let storage = TensorStorage(uninitializedCount: count)
        scalars.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { storage.base.initialize(from: base, count: count) }
        }
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of the given shape whose every element `body` writes: it receives the buffer
    /// (`count` elements) without the zero fill of ``init(shape:initializingWith:)``, so its
    /// pages are first touched by whatever threads `body` writes them on (a converted 2.5 B-
    /// parameter checkpoint otherwise spends seconds zero-filling memory it then overwrites).
    /// `body` must write all `count` elements.
    package init(shape: [Int], overwritingWith body: (UnsafeMutablePointer<Float>, _ count: Int) throws -> Void) throws {
        let count = try Tensor.validatedCount(shape)
        let storage = TensorStorage(uninitializedCount: count)
        try body(storage.base, count)
        self.init(shape: shape, storage: storage)
    }

    /// A tensor of the given shape whose elements are written by `body`, which receives a
    /// zero-filled buffer of the shape's element count.
    /// - Throws: `TensorError.invalidShape` for a bad shape, or what `body` throws.
    public init(
        shape: [Int],
        initializingWith body: (UnsafeMutableBufferPointer<Float>) throws -> Void
    ) throws {
        let count = try Tensor.validatedCount(shape)
        let storage = TensorStorage(uninitializedCount: count)
        storage.base.initialize(repeating: 0, count: count)
        try body(UnsafeMutableBufferPointer(start: storage.base, count: count))
        self.init(shape: shape, storage: storage)
    }

    /// A read-only view of `count` Float32 values owned by `owner` (for example a memory map),
    /// without copying. The memory must be 4-byte aligned and stay valid while `owner` lives.
    /// Writing to the tensor copies the data first.
    /// - Throws: `TensorError.scalarCountMismatch` when `count` differs from the shape's element count.
    public init(
        shape: [Int], borrowing base: UnsafePointer<Float>, count: Int, owner: AnyObject
    ) throws(TensorError) {
        let expected = try Tensor.validatedCount(shape)
        guard expected == count else { throw .scalarCountMismatch(shape: shape, count: count) }
        self.init(shape: shape, storage: TensorStorage(borrowing: base, count: count, owner: owner))
    }

    /// A scalar tensor (shape `[]`).
    public init(scalar: Float) {
        let storage = TensorStorage(uninitializedCount: 1)
        storage.base.initialize(to: scalar)
        self.init(shape: [], storage: storage)
    }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.base, count: count))
    }

    /// Whether the tensor reads memory it does not own (a zero-copy view).
    public var isBorrowed: Bool { !storage.isOwned }

    /// Calls `body` with the elements in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R, E: Error>(
        _ body: (UnsafeBufferPointer<Float>) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeBufferPointer(start: storage.base, count: count))
    }

    /// Calls `body` with writable elements, copying first if the storage is shared or borrowed.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R, E: Error>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws(E) -> R
    ) throws(E) -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.base, count: count))
    }

    @inlinable
    mutating func makeUnique() {
        if !storage.isOwned || !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy()
        }
    }

    /// The same elements under a new shape, without copying. One extent may be `-1`, meaning
    /// "whatever makes the element count match".
    /// - Throws: `TensorError.invalidReshape` when the element counts differ.
    public func reshaped(_ newShape: [Int]) throws(TensorError) -> Tensor {
        var resolved = newShape
        let inferred = newShape.indices.filter { newShape[$0] == -1 }
        if inferred.count > 1 { throw .invalidReshape(from: shape, to: newShape) }
        if let axis = inferred.first {
            var known = newShape
            known[axis] = 1
            guard let partial = Tensor.elementCount(known), partial > 0, count % partial == 0 else {
                throw .invalidReshape(from: shape, to: newShape)
            }
            resolved[axis] = count / partial
        }
        guard let newCount = Tensor.elementCount(resolved), newCount == count else {
            throw .invalidReshape(from: shape, to: newShape)
        }
        return Tensor(shape: resolved, storage: storage)
    }

    /// The element at a multi-dimensional index.
    /// - Throws: `TensorError.indexOutOfRange` or `rankMismatch` for a bad index.
    public func scalar(at index: [Int]) throws(TensorError) -> Float {
        guard index.count == rank else {
            throw .rankMismatch(operation: "scalar(at:)", expected: "\(rank) indices", shape: shape)
        }
        var offset = 0
        for (axis, i) in index.enumerated() {
            guard i >= 0, i < shape[axis] else {
                throw .indexOutOfRange(operation: "scalar(at:)", index: i, axis: axis, shape: shape)
            }
            offset = offset * shape[axis] + i
        }
        return storage.base[offset]
    }
}

extension Tensor: Equatable {
    /// Tensors are equal when their shapes and every element are equal.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        guard lhs.shape == rhs.shape else { return false }
        if lhs.storage === rhs.storage { return true }
        for i in 0..<lhs.count where lhs.storage.base[i] != rhs.storage.base[i] { return false }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    /// A short summary: the shape and the first few elements.
    public var description: String {
        let head = (0..<min(count, 8)).map { "\(storage.base[$0])" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(head)\(count > 8 ? ", …" : "")])"
    }
}
