import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Controls how many threads the numerical kernels use, and runs them.
///
/// One pool of threads does all numerical work of a process: when an OpenMP runtime is loaded
/// (libgomp, which oneDNN — the library behind the model's matrix products — is built with on
/// Debian), parallel loops run as OpenMP parallel regions, on the same team of threads oneDNN
/// uses, and oneDNN is asked for the same thread count (`applyToOpenMP()`). So the threads of
/// a matrix product and those of the layer norm after it are the same threads, and none spins
/// waiting while another computes. Without an OpenMP runtime, loops run on Dispatch's pool.
/// OpenBLAS's own thread pool is set to one thread (TensorCore splits large products itself).
///
/// The default is `OMP_NUM_THREADS` (or `OPENBLAS_NUM_THREADS`) when set, else the number of
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
        for name in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"] {
            if let text = environment[name], let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 {
                return value
            }
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The runtime parallel loops run on: "openmp" (the OpenMP team oneDNN shares) or "dispatch".
    public static var runtimeName: String { OpenMPRuntime.current == nil ? "dispatch" : "openmp" }

    /// Sets the calling thread's OpenMP thread count to ``count``, so that a library running
    /// OpenMP regions from this thread (oneDNN) uses the same number of threads. Cheap; call it
    /// before each such call, since OpenMP keeps the setting per calling thread.
    package static func applyToOpenMP() {
        OpenMPRuntime.current?.setThreadCount(Int32(count))
    }

    /// Runs `body` with the calling thread's OpenMP thread count set to 1, then sets it back to
    /// ``count``: a oneDNN primitive made inside plans its work for one thread, so it can run as
    /// one worker of a ``parallel(_:_:)`` region.
    package static func withOneOpenMPThread<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        OpenMPRuntime.current?.setThreadCount(1)
        defer { applyToOpenMP() }
        return try body()
    }

    /// Runs `body(worker)` for `workers` workers at once (inline when `workers` is 1) and returns
    /// when all have finished.
    public static func parallel(_ workers: Int, _ body: @Sendable (Int) -> Void) {
        if workers <= 1 {
            body(0)
        } else if let runtime = OpenMPRuntime.current {
            runtime.parallel(workers, body)
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

/// The OpenMP runtime already loaded into the process (libgomp), found with `dlsym`: its
/// parallel-region entry point (`GOMP_parallel`, what a compiler emits for
/// `#pragma omp parallel`) and the thread-count functions. TensorCore does not link it; it is
/// there when a library that uses it (oneDNN) is.
struct OpenMPRuntime: @unchecked Sendable {
    typealias RegionBody = @convention(c) (UnsafeMutableRawPointer?) -> Void
    typealias Parallel = @convention(c) (RegionBody, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
    typealias Getter = @convention(c) () -> Int32
    typealias Setter = @convention(c) (Int32) -> Void

    let startRegion: Parallel
    let threadNumber: Getter
    let teamSize: Getter
    let setThreads: Setter

    static let current: OpenMPRuntime? = {
        #if canImport(Glibc)
        func find(_ name: String) -> UnsafeMutableRawPointer? { dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) }
        guard ProcessInfo.processInfo.environment["CLIP_DISABLE_OPENMP_LOOPS"] == nil,
              let parallel = find("GOMP_parallel"), let number = find("omp_get_thread_num"),
              let size = find("omp_get_num_threads"), let set = find("omp_set_num_threads") else { return nil }
        return OpenMPRuntime(startRegion: unsafeBitCast(parallel, to: Parallel.self),
                             threadNumber: unsafeBitCast(number, to: Getter.self),
                             teamSize: unsafeBitCast(size, to: Getter.self),
                             setThreads: unsafeBitCast(set, to: Setter.self))
        #else
        return nil
        #endif
    }()

    func setThreadCount(_ count: Int32) { setThreads(count) }

    /// The work of one region: the body and the number of workers it is called for.
    private final class Region {
        let body: @Sendable (Int) -> Void
        let workers: Int
        init(body: @escaping @Sendable (Int) -> Void, workers: Int) {
            self.body = body
            self.workers = workers
        }
    }

    /// Runs `body(worker)` for `0..<workers` in one parallel region of `workers` threads (the
    /// calling thread is one of them). If the runtime gives fewer threads (a nested region runs on
    /// one), each thread takes every `teamSize`-th worker.
    func parallel(_ workers: Int, _ body: @Sendable (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let region = Region(body: body, workers: workers)
            withExtendedLifetime(region) {
                let context = Unmanaged.passUnretained(region).toOpaque()
                startRegion({ context in
                    guard let context, let runtime = OpenMPRuntime.current else { return }
                    let region = Unmanaged<Region>.fromOpaque(context).takeUnretainedValue()
                    let team = max(1, Int(runtime.teamSize()))
                    var worker = Int(runtime.threadNumber())
                    while worker < region.workers {
                        region.body(worker)
                        worker += team
                    }
                }, context, UInt32(workers), 0)
            }
        }
    }
}
