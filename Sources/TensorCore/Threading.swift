import COpenBLAS

/// Controls how many threads the numerical kernels use.
///
/// Matrix products run in OpenBLAS, which by default uses every core (or `OPENBLAS_NUM_THREADS`
/// when that environment variable is set). Call ``setThreadCount(_:)`` to change it at run time,
/// for example to 1 when you run several models concurrently, one per core.
public enum ComputeThreads {
    /// The number of threads OpenBLAS uses for matrix products.
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Sets the number of threads OpenBLAS uses (values below 1 are treated as 1).
    public static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(clamping: max(1, count)))
    }
}
