import COpenBLAS
import Dispatch
import Foundation
import Synchronization

/// Controls how many threads the numerical kernels use.
///
/// TensorCore does its own threading: a large matrix product is split into column blocks that
/// run on `count` threads at once, each block a single-threaded OpenBLAS call, and the model
/// layers spread attention and elementwise work the same way. OpenBLAS's own thread pool is set
/// to one thread when TensorCore configures it (before its first product), so no BLAS worker
/// spins beside the model's other work.
///
/// The default is `OPENBLAS_NUM_THREADS` (or `OMP_NUM_THREADS`) when set, else the number of
/// processors this process may run on. Call ``setThreadCount(_:)`` to change it, for example to 1
/// when you run several models concurrently, one per core.
public enum ComputeThreads {
    private static let configured = Atomic<Int>(defaultCount())

    /// The number of threads numerical work is spread over (at least 1).
    public static var count: Int { configured.load(ordering: .relaxed) }

    /// Sets the number of threads numerical work is spread over (values below 1 are treated as 1).
    public static func setThreadCount(_ count: Int) {
        configured.store(max(1, count), ordering: .relaxed)
    }

    static func defaultCount() -> Int {
        let environment = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"] {
            if let text = environment[name], let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 {
                return value
            }
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs `body(worker)` for `workers` workers at once (inline when `workers` is 1) and returns
    /// when all have finished.
    @inlinable
    public static func parallel(_ workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers <= 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: body)
        }
    }

    /// Splits `0..<count` into at most `count / minimumChunk` (and at most ``count``) contiguous
    /// chunks whose starts are multiples of `alignment`, and runs `body(range)` for each in
    /// parallel.
    public static func forEachChunk(of count: Int, minimumChunk: Int, alignment: Int = 1,
                                    _ body: @Sendable (Range<Int>) -> Void) {
        let workers = max(1, min(Self.count, count / max(minimumChunk, 1)))
        guard workers > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        let step = (count + workers - 1) / workers
        let aligned = max(alignment, (step + alignment - 1) / alignment * alignment)
        let chunks = (count + aligned - 1) / aligned
        parallel(chunks) { chunk in
            let start = chunk * aligned
            body(start..<min(count, start + aligned))
        }
    }
}
