import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// What TensorCore knows about the BLAS library it runs on, and the one-time correction of
/// OpenBLAS's CPU detection.
///
/// OpenBLAS builds with `DYNAMIC_ARCH` (Debian's, for one) pick their kernels from a table of CPU
/// models when the library loads. A release older than the CPU does not find the model and falls
/// back to its generic SSE3 ("Prescott") kernels — on an AVX-512 server that makes every matrix
/// product 2.5–3× slower than it should be. Setting `OPENBLAS_CORETYPE` before the process starts
/// fixes it, but a library cannot ask that of every program that links it. So
/// ``ComputeThreads/configure()`` (which opening a model calls) compares the kernels OpenBLAS
/// chose with the instruction sets the CPU reports (`/proc/cpuinfo` flags, which the kernel clears when the OS does not support them)
/// and, when OpenBLAS chose a weaker family, re-runs OpenBLAS's own dynamic initialization with
/// the matching core type (`Cooperlake` for AVX-512 with BFloat16, `SkylakeX` for AVX-512,
/// `Haswell` for AVX2 + FMA).
///
/// Nothing is changed when `OPENBLAS_CORETYPE` is set (the user's choice wins), when the library
/// has no dynamic core selection, or when its choice is already as strong as the CPU allows.
package enum BLASRuntime {
    /// How the kernel family was settled.
    package enum CoreSelection: Sendable, Equatable {
        /// OpenBLAS's own detection was kept (it matched the CPU, or the library cannot switch).
        case detected
        /// `OPENBLAS_CORETYPE` was set in the environment and OpenBLAS followed it.
        case environment
        /// OpenBLAS had chosen `from`; TensorCore switched it to the stronger `to`.
        case corrected(from: String, to: String)
    }

    /// The kernel family OpenBLAS uses now (e.g. `"SkylakeX"`, `"Haswell"`, `"Prescott"`).
    package static var coreName: String { currentCoreName() }

    /// How ``coreName`` was chosen: by ``ComputeThreads/configure()`` once it has run; before,
    /// OpenBLAS's own choice (`.environment` when `OPENBLAS_CORETYPE` is set, else `.detected`).
    /// Reading it changes nothing.
    package static var coreSelection: CoreSelection {
        if ComputeThreads.isConfigured { return ComputeThreads.processSettings }
        return getenv("OPENBLAS_CORETYPE") != nil ? .environment : .detected
    }

    private static func currentCoreName() -> String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// The kernel families by instruction set, lower-cased as `openblas_get_corename` spells them.
    private static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
    private static let avx2Cores: Set<String> = avx512Cores.union(["haswell", "zen"])

    /// Switches OpenBLAS to the strongest kernel family the CPU supports when its detection chose
    /// a weaker one. Run once per process, by ``ComputeThreads/configure()``.
    static func selectCore() -> CoreSelection {
        if getenv("OPENBLAS_CORETYPE") != nil { return .environment }
        let current = currentCoreName()
        // Only libraries with dynamic core selection export these; the core table must exist too.
        guard let wanted = strongerCores(flags: cpuFlags(), current: current.lowercased())
                .first(where: { symbol("gotoblas_\($0.uppercased())", as: UnsafeRawPointer.self) != nil }),
              let quit = symbol("gotoblas_dynamic_quit", as: (@convention(c) () -> Void).self),
              let initialize = symbol("gotoblas_dynamic_init", as: (@convention(c) () -> Void).self)
        else { return .detected }
        // OpenBLAS reads the variable inside gotoblas_dynamic_init; it is removed again right after.
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        quit()
        initialize()
        unsetenv("OPENBLAS_CORETYPE")
        let now = currentCoreName()
        return now.lowercased() == current.lowercased() ? .detected : .corrected(from: current, to: now)
    }

    /// The core types stronger than `current` that the CPU supports, best first (empty when
    /// `current` already uses what the CPU offers).
    static func strongerCores(flags: Set<String>, current: String) -> [String] {
        let avx512 = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"].allSatisfy(flags.contains)
        let avx2 = ["avx2", "fma", "avx"].allSatisfy(flags.contains)
        var cores: [String] = []
        // Cooper Lake's kernels are Skylake-X's plus BFloat16 ones (`sbgemm`) for AVX512-BF16 CPUs.
        if avx512, flags.contains("avx512_bf16"), !["cooperlake", "sapphirerapids"].contains(current) {
            cores.append("Cooperlake")
        }
        if avx512, !avx512Cores.contains(current) { cores.append("SkylakeX") }
        if avx2, !avx2Cores.contains(current) { cores.append("Haswell") }
        return cores
    }

    /// The CPU feature flags of the first processor in `/proc/cpuinfo` (empty elsewhere).
    static func cpuFlags() -> Set<String> {
        guard let file = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            guard text.hasPrefix("flags") || text.hasPrefix("Features"),
                  let colon = text.firstIndex(of: ":") else { continue }
            return Set(text[text.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
                .map(String.init))
        }
        return []
    }

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        #if canImport(Glibc)
        // RTLD_DEFAULT: search the global scope (OpenBLAS is linked into the process).
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        if T.self == UnsafeRawPointer.self { return UnsafeRawPointer(address) as? T }
        return unsafeBitCast(address, to: type)
        #else
        return nil
        #endif
    }
}
