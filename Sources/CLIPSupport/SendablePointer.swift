/// A raw pointer handed to the worker closures of a parallel loop.
///
/// Parallel loops (`ComputeThreads.parallel`) run `@Sendable` closures, and Swift does not let
/// unsafe pointers cross into them. The loops in this package write disjoint parts of buffers
/// their caller owns and keeps alive for the whole loop, which the compiler cannot see: this
/// wrapper states it in one place instead of passing addresses around as integers.
///
/// Package-internal: library users never see it.
package struct SendablePointer<Pointee>: @unchecked Sendable {
    /// The wrapped pointer.
    package let base: UnsafePointer<Pointee>

    /// Wraps `base`; the caller keeps its memory alive and unchanged while workers read it.
    package init(_ base: UnsafePointer<Pointee>) { self.base = base }

    /// Wraps a mutable pointer for reading.
    package init(_ base: UnsafeMutablePointer<Pointee>) { self.base = UnsafePointer(base) }
}

/// A mutable raw pointer handed to the worker closures of a parallel loop; each worker writes
/// only its own part of the memory (see ``SendablePointer``).
package struct SendableMutablePointer<Pointee>: @unchecked Sendable {
    /// The wrapped pointer.
    package let base: UnsafeMutablePointer<Pointee>

    /// Wraps `base`; the caller keeps its memory alive while workers write disjoint parts of it.
    package init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }
}

/// An untyped read-only pointer handed to the worker closures of a parallel loop (bytes in an
/// encoding the workers decode, such as a weight file's memory); see ``SendablePointer``.
package struct SendableRawPointer: @unchecked Sendable {
    /// The wrapped pointer.
    package let base: UnsafeRawPointer

    /// Wraps `base`; the caller keeps its memory alive and unchanged while workers read it.
    package init(_ base: UnsafeRawPointer) { self.base = base }
}

/// An untyped mutable pointer handed to the worker closures of a parallel loop; each worker
/// writes only its own part of the memory (see ``SendablePointer``).
package struct SendableMutableRawPointer: @unchecked Sendable {
    /// The wrapped pointer.
    package let base: UnsafeMutableRawPointer

    /// Wraps `base`; the caller keeps its memory alive while workers write disjoint parts of it.
    package init(_ base: UnsafeMutableRawPointer) { self.base = base }
}
