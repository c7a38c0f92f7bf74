/// The memory behind a `Tensor`: either a 64-byte aligned buffer it owns, or a read-only
/// borrowed region (for example part of a memory-mapped weight file) kept alive by `owner`.
@usableFromInline
final class TensorStorage: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Float>
    @usableFromInline let count: Int
    /// Keeps borrowed memory alive; `nil` for owned buffers.
    @usableFromInline let owner: AnyObject?
    /// Whether the buffer was allocated here (and may be written when uniquely referenced).
    @usableFromInline let isOwned: Bool

    /// Allocates an uninitialized buffer of `count` floats.
    @usableFromInline
    init(uninitializedCount count: Int) {
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        self.owner = nil
        self.isOwned = true
    }

    /// Wraps memory owned by someone else. The memory must stay valid while `owner` lives
    /// and must be Float32-aligned.
    @usableFromInline
    init(borrowing base: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.base = UnsafeMutablePointer(mutating: base)
        self.count = count
        self.owner = owner
        self.isOwned = false
    }

    deinit {
        if isOwned { UnsafeMutableRawPointer(base).deallocate() }
    }

    /// A new owned buffer holding a copy of this one.
    @usableFromInline
    func copy() -> TensorStorage {
        let new = TensorStorage(uninitializedCount: count)
        new.base.update(from: base, count: count)
        return new
    }
}
