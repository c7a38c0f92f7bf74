import COpenBLAS
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one scheduler of the process's numerical work: how many threads it uses, the parallel
/// loops that run on them, and the process-wide settings of the libraries underneath.
///
/// **Thread count.** ``count`` threads do all numerical work. Every parallel loop of the library
/// (layer norms, softmax, attention heads, matrix-product blocks, weight conversion, image
/// resizing, batch preprocessing, oneDNN's products) goes through ``parallel(_:_:)`` or
/// ``forEachChunk(of:minimumChunk:alignment:_:)`` and runs on at most ``count`` threads, the
/// calling thread being one of them; with a count of 1 it all runs on the calling thread. A loop
/// started inside another loop's worker runs on that worker's thread. The default is
/// `OMP_NUM_THREADS` (or `OPENBLAS_NUM_THREADS`) when set, else the number of processors this
/// process may run on. Call ``setThreadCount(_:)`` to change it, for example to 1 when you run
/// several models concurrently, one per core.
///
/// **Runtime.** When an OpenMP runtime is loaded (libgomp, which oneDNN — the library behind the
/// model's matrix products — is built with on Debian), loops run as OpenMP parallel regions, on
/// the same team of threads oneDNN uses, and oneDNN is asked for the same thread count
/// (`applyToOpenMP()`). So the threads of a matrix product and those of the layer norm after
/// it are the same threads, and none spins waiting while another computes. Without an OpenMP
/// runtime, loops run on Dispatch's pool.
///
/// **Process-wide settings.** ``configure()`` is the one place that changes settings of the
/// process rather than of this library: OpenBLAS's thread pool and its kernel family. Opening a
/// model calls it; so does ``setThreadCount(_:)``.
public enum ComputeThreads {
    private static let configured = Atomic<Int>(defaultCount())

    /// The number of threads numerical work is spread over (at least 1).
    public static var count: Int { configured.load(ordering: .relaxed) }

    /// Sets the number of threads numerical work is spread over (values below 1 are treated as 1).
    ///
    /// Also applies the process-wide settings of ``configure()`` (once per process) and gives the
    /// calling thread's OpenMP runtime the new count. Loops already running keep their threads.
    public static func setThreadCount(_ count: Int) {
        configured.store(max(1, count), ordering: .relaxed)
        configure()
        applyToOpenMP()
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

    // MARK: Process-wide settings

    /// Applies, once per process, the settings that make the numerical libraries underneath
    /// follow this scheduler. Idempotent, thread-safe and cheap after the first call.
    ///
    /// - OpenBLAS's own thread pool is set to one thread (`openblas_set_num_threads(1)`):
    ///   TensorCore splits large products over ``count`` threads itself, each block one
    ///   single-threaded OpenBLAS call (see
    ///   `Kernels.gemm`).
    /// - OpenBLAS's kernel family is corrected when its CPU detection chose weaker kernels than
    ///   the CPU supports (see `BLASRuntime`; not when `OPENBLAS_CORETYPE` is set).
    /// - The calling thread's OpenMP thread count is set to ``count`` (OpenMP keeps it per thread;
    ///   the library sets it again before each oneDNN product).
    ///
    /// `CLIPModel`'s initializers call it before they read any weight, and ``setThreadCount(_:)``
    /// calls it. A program that uses `Tensor` or `Kernels` without opening a model calls it
    /// itself to get the same behaviour; until then TensorCore leaves OpenBLAS as the process
    /// found it and runs each matrix product as one OpenBLAS call.
    public static func configure() {
        _ = processSettings
        applyToOpenMP()
    }

    /// Whether ``configure()`` has run: TensorCore splits matrix products over its own threads
    /// only once OpenBLAS's pool is down to one thread.
    package static var isConfigured: Bool { configurationDone.load(ordering: .acquiring) }

    private static let configurationDone = Atomic<Bool>(false)

    /// The one-time work of ``configure()`` (Swift runs a static initializer exactly once, and
    /// other callers wait for it): the result is `BLASRuntime.coreSelection`.
    static let processSettings: BLASRuntime.CoreSelection = {
        let selection = BLASRuntime.selectCore()
        openblas_set_num_threads(1)
        configurationDone.store(true, ordering: .releasing)
        return selection
    }()

    // MARK: Parallel loops

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

    /// Runs `body` on the calling thread as if it were a loop's worker: every parallel loop
    /// inside it runs on the calling thread alone. For a thread that works beside the compute
    /// threads (an indexer's image decoding while the model runs) without bringing a second
    /// team of threads.
    package static func serially<R>(_ body: () -> R) -> R {
        var result: R?
        WorkerMark.whileSet { result = body() }
        return result ?? body()
    }

    /// Runs `body(worker)` once for each worker in `0..<workers` and returns when all have
    /// finished. The workers share `min(workers, count)` threads, the calling thread among them
    /// (each thread takes every `threads`-th worker); they run in order on the calling thread
    /// when ``count`` is 1, when `workers` is 1, or when called from inside another loop's worker.
    public static func parallel(_ workers: Int, _ body: @Sendable (Int) -> Void) {
        let threads = min(workers, count)
        guard threads > 1, !WorkerMark.isSet else {
            for worker in 0..<max(workers, 0) { body(worker) }
            return
        }
        if let runtime = OpenMPRuntime.current {
            runtime.parallel(workers, threads: threads, body)
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                WorkerMark.whileSet {
                    var worker = thread
                    while worker < workers {
                        body(worker)
                        worker += threads
                    }
                }
            }
        }
    }

    /// Splits `0..<count` into at most `count / minimumChunk` (and at most ``count``) contiguous
    /// chunks whose starts are multiples of `alignment`, and runs `body(range)` for each in
    /// parallel (see ``parallel(_:_:)``).
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

    /// Runs `body(worker)` for `0..<workers` in one parallel region of `threads` threads (the
    /// calling thread is one of them), each thread taking every `teamSize`-th worker (the
    /// runtime may give fewer threads than asked for).
    func parallel(_ workers: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            let region = Region(body: body, workers: workers)
            withExtendedLifetime(region) {
                let context = Unmanaged.passUnretained(region).toOpaque()
                ThreadSanitizerEdges.release?(context)
                startRegion({ context in
                    guard let context, let runtime = OpenMPRuntime.current else { return }
                    ThreadSanitizerEdges.acquire?(context)
                    defer { ThreadSanitizerEdges.release?(context) }
                    let region = Unmanaged<Region>.fromOpaque(context).takeUnretainedValue()
                    let team = max(1, Int(runtime.teamSize()))
                    WorkerMark.whileSet {
                        var worker = Int(runtime.threadNumber())
                        while worker < region.workers {
                            region.body(worker)
                            worker += team
                        }
                    }
                }, context, UInt32(threads), 0)
                ThreadSanitizerEdges.acquire?(context)
            }
        }
    }
}

/// ThreadSanitizer's happens-before annotations, found with `dlsym` when the process runs under
/// TSan (`nil`, and never called, otherwise). libgomp is not instrumented, so TSan cannot see
/// that its region start and end barriers order the caller's writes before the workers' and the
/// workers' before the caller's reads; each region announces them as release/acquire pairs on
/// its context instead.
enum ThreadSanitizerEdges {
    typealias Annotation = @convention(c) (UnsafeMutableRawPointer?) -> Void
    static let release: Annotation? = find("__tsan_release")
    static let acquire: Annotation? = find("__tsan_acquire")

    private static func find(_ name: String) -> Annotation? {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: Annotation.self)
        #else
        return nil
        #endif
    }
}

/// Marks the threads that run a loop's workers, so that a loop started inside a worker runs on
/// that worker's thread instead of bringing more threads (a thread-specific value, set for the
/// duration of the worker).
enum WorkerMark {
    private static let key: pthread_key_t? = {
        var key = pthread_key_t()
        return pthread_key_create(&key, nil) == 0 ? key : nil
    }()

    /// A non-null value that means "inside a worker" (never dereferenced).
    private static var marker: UnsafeRawPointer? { UnsafeRawPointer(bitPattern: 1) }

    /// Whether the calling thread is running a loop's worker.
    static var isSet: Bool {
        guard let key else { return false }
        return pthread_getspecific(key) != nil
    }

    /// Runs `body` with the calling thread marked as a worker, then restores its previous mark.
    @inline(__always)
    static func whileSet(_ body: () -> Void) {
        guard let key else { return body() }
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, marker)
        body()
        pthread_setspecific(key, previous)
    }
}

/// Work that runs beside the calling thread's numerical work, picked up later: used to parse a
/// tokenizer's vocabulary while the calling thread opens and reorders a model's weights.
///
/// It follows ``ComputeThreads``: with a count of 1 the work runs on the calling thread, right
/// away; otherwise on one Dispatch thread. The work must not run numerical kernels: those belong
/// to the calling thread's loops (a second thread starting OpenMP regions would bring a second
/// team and oversubscribe the cores).
package final class BackgroundWork<Value, Failure: Error>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Result<Value, Failure>?

    /// Starts `work` (see the type's description for where it runs).
    package init(_ work: @escaping @Sendable () throws(Failure) -> Value) {
        guard ComputeThreads.count > 1 else {
            result = Result { () throws(Failure) -> Value in try work() }
            return
        }
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let outcome = Result { () throws(Failure) -> Value in try work() }
            lock.withLock { result = outcome }
            done.signal()
        }
    }

    /// Waits for the work and returns its value or throws its error (callable once or more).
    package func value() throws(Failure) -> Value {
        while true {
            if let result = lock.withLock({ result }) { return try result.get() }
            done.wait()
            // Let the next waiter through too.
            done.signal()
        }
    }
}
