import COpenBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A weight matrix `W` (`[rows, columns]`, used as `x · Wᵀ`) stored once in the blocked layout
/// OpenBLAS's sgemm kernels read, so products with it skip the per-call repacking of `W`.
///
/// `cblas_sgemm` copies both operands into its kernel layout on every call. For a weight that
/// is used again and again against few activation rows (one image: 50 tokens; a few prompts),
/// that copy is a third of the time. A `PackedMatrix` does it once and then calls OpenBLAS's own
/// copy routine for the small activation block and OpenBLAS's own kernel directly — the same
/// arithmetic OpenBLAS runs, in a different summation order (results agree to float rounding).
///
/// Those routines (`sgemm_incopy_<CORE>`, `sgemm_oncopy_<CORE>`, `sgemm_kernel_<CORE>`) are
/// exported by OpenBLAS builds with dynamic core selection but are not part of its documented
/// API, so they are looked up at run time and checked against `cblas_sgemm` on a test product
/// first; where they are missing or disagree, ``isAvailable`` is false and callers use
/// ``Kernels/gemm(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)``.
public final class PackedMatrix: @unchecked Sendable {
    /// `W`'s rows (the output width of `x · Wᵀ`).
    public let rows: Int
    /// `W`'s columns (the inner dimension).
    public let columns: Int
    private let packed: UnsafeMutablePointer<Float>
    private let routines: PackedRoutines

    /// Whether packed products are possible with the BLAS library in use.
    public static var isAvailable: Bool { PackedRoutines.current != nil }

    /// Packs `weight` (`[rows, columns]`, row-major). Returns nil when packed products are not
    /// available (see ``isAvailable``) or the shape is empty.
    public init?(packing weight: UnsafePointer<Float>, rows: Int, columns: Int) {
        guard let routines = PackedRoutines.current, rows > 0, columns > 0 else { return nil }
        self.rows = rows
        self.columns = columns
        self.routines = routines
        // The copy routines write exactly rows × columns values (tail panels are narrower).
        let raw = UnsafeMutableRawPointer.allocate(byteCount: rows * columns * 4 + 64, alignment: 64)
        packed = raw.bindMemory(to: Float.self, capacity: rows * columns + 16)
        routines.pack(weight, rows: rows, columns: columns, into: packed)
    }

    deinit { UnsafeMutableRawPointer(packed).deallocate() }

    /// `out += x · Wᵀ`: `x` is `[m, columns]` (rows `inputStride` apart), `out` is `[m, rows]`
    /// (rows `outputStride` apart) and must already hold what the product is added to (zeros,
    /// a bias, a residual). Work is spread over ``ComputeThreads/count`` threads.
    public func accumulateProduct(_ x: UnsafePointer<Float>, m: Int, inputStride: Int,
                                  into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        guard m > 0 else { return }
        let workers = ComputeThreads.count
        let xAddress = UInt(bitPattern: x), outAddress = UInt(bitPattern: out)
        let small = m * rows * columns < Kernels.parallelThreshold
        if workers == 1 || small || m >= 2 * PackedRoutines.activationBlock {
            // One thread, or many rows: each thread takes whole row chunks of x.
            ComputeThreads.forEachChunk(of: m, minimumChunk: small ? m : 16, alignment: 16) { range in
                guard let x = UnsafePointer<Float>(bitPattern: xAddress),
                      let out = UnsafeMutablePointer<Float>(bitPattern: outAddress) else { return }
                self.product(x + range.lowerBound * inputStride, m: range.count, inputStride: inputStride,
                             share: 0, of: 1, into: out + range.lowerBound * outputStride, outputStride: outputStride)
            }
        } else {
            // Few rows: every thread runs all of x against its share of each weight block. Each
            // thread packs the (small) activation block itself: sharing one packing would need a
            // hand-off per depth block, which costs more than the copy.
            ComputeThreads.parallel(workers) { worker in
                guard let x = UnsafePointer<Float>(bitPattern: xAddress),
                      let out = UnsafeMutablePointer<Float>(bitPattern: outAddress) else { return }
                self.product(x, m: m, inputStride: inputStride, share: worker, of: workers,
                             into: out, outputStride: outputStride)
            }
        }
    }

    private var rowBlockCount: Int { (rows + PackedRoutines.rowBlock - 1) / PackedRoutines.rowBlock }

    /// One thread's work: `m` activation rows against share `share` of `shares` of every weight
    /// block's rows.
    private func product(_ x: UnsafePointer<Float>, m: Int, inputStride: Int, share: Int, of shares: Int,
                         into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        let depthBlock = PackedRoutines.depthBlock, rowBlock = PackedRoutines.rowBlock
        let chunkRows = PackedRoutines.activationBlock
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: depthBlock * (min(m, chunkRows) + 16) * 4,
                                                       alignment: 64).bindMemory(to: Float.self, capacity: 1)
        defer { UnsafeMutableRawPointer(scratch).deallocate() }
        let source = UnsafeMutablePointer(mutating: x)
        for start in stride(from: 0, to: m, by: chunkRows) {
            let count = min(chunkRows, m - start)
            var blockBase = packed
            for depth in stride(from: 0, to: columns, by: depthBlock) {
                let depthCount = min(depthBlock, columns - depth)
                // The activation block in the kernel's layout: x is a [columns × m] column-major matrix.
                _ = routines.packActivations(depthCount, count, source + start * inputStride + depth, inputStride,
                                             scratch)
                for row in stride(from: 0, to: rows, by: rowBlock) {
                    let rowCount = min(rowBlock, rows - row)
                    let part = PackedRoutines.share(share, of: shares, rows: rowCount)
                    if !part.isEmpty {
                        _ = routines.kernel(part.count, count, depthCount, 1, blockBase + part.lowerBound * depthCount,
                                            scratch, out + start * outputStride + row + part.lowerBound, outputStride)
                    }
                    blockBase += depthCount * rowCount
                }
            }
        }
    }
}

/// OpenBLAS's internal sgemm routines for the core in use, found with `dlsym`.
struct PackedRoutines: @unchecked Sendable {
    typealias Copy = @convention(c) (Int, Int, UnsafeMutablePointer<Float>?, Int, UnsafeMutablePointer<Float>?) -> Int32
    typealias Kernel = @convention(c) (Int, Int, Int, Float, UnsafeMutablePointer<Float>?,
                                       UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Int32
    let packWeight: Copy
    let packActivations: Copy
    let kernel: Kernel

    /// Packs `weight` (`[rows, columns]`, row-major) into `destination` (`rows × columns`
    /// floats): for each depth block, each row block in turn. In the column-major terms of the
    /// copy routine, W is a `[columns × rows]` matrix with leading dimension `columns`.
    func pack(_ weight: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        var destination = destination
        let source = UnsafeMutablePointer(mutating: weight)
        for depth in stride(from: 0, to: columns, by: Self.depthBlock) {
            let depthCount = min(Self.depthBlock, columns - depth)
            for row in stride(from: 0, to: rows, by: Self.rowBlock) {
                let rowCount = min(Self.rowBlock, rows - row)
                _ = packWeight(depthCount, rowCount, source + depth + row * columns, columns, destination)
                destination += depthCount * rowCount
            }
        }
    }

    /// Depth (inner dimension) per block, weight rows per block, activation rows per pass:
    /// a packed weight block (512 × 384 floats, 768 KB) stays in L2 while the kernel runs it
    /// against up to 512 activation rows.
    static let depthBlock = 384
    static let rowBlock = 512
    static let activationBlock = 512
    /// The kernel's row panel: a packed block is a run of 16-row panels (then narrower tail
    /// panels), so a block can be split between threads at multiples of 16 rows. The self-test
    /// checks this on split blocks.
    static let panelRows = 16

    /// The rows of a `rows`-row packed block that share `share` of `shares` handles.
    static func share(_ share: Int, of shares: Int, rows: Int) -> Range<Int> {
        func boundary(_ i: Int) -> Int { i >= shares ? rows : rows * i / shares / panelRows * panelRows }
        return boundary(share)..<boundary(share + 1)
    }

    /// The routines of the core OpenBLAS runs on, if they exist and pass the self-test.
    static let current: PackedRoutines? = {
        BLASRuntime.ensureConfigured()
        #if canImport(Glibc)
        let suffix = BLASRuntime.coreName.uppercased()
        func find(_ name: String) -> UnsafeMutableRawPointer? { dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) }
        guard !suffix.isEmpty, suffix != "UNKNOWN",
              let incopy = find("sgemm_incopy_\(suffix)"), let oncopy = find("sgemm_oncopy_\(suffix)"),
              let kernel = find("sgemm_kernel_\(suffix)") else { return nil }
        let routines = PackedRoutines(packWeight: unsafeBitCast(incopy, to: Copy.self),
                                      packActivations: unsafeBitCast(oncopy, to: Copy.self),
                                      kernel: unsafeBitCast(kernel, to: Kernel.self))
        return routines.passesSelfTest() ? routines : nil
        #else
        return nil
        #endif
    }()

    /// Compares a packed product with `cblas_sgemm` on shapes that cross every block edge.
    private func passesSelfTest() -> Bool {
        let m = 37, rows = 530, columns = 400
        var state: UInt32 = 2024
        func next() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 23) - 1
        }
        let x = (0..<(m * columns)).map { _ in next() }
        let w = (0..<(rows * columns)).map { _ in next() }
        var expected = [Float](repeating: 0, count: m * rows)
        var got = [Float](repeating: 0, count: m * rows)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                expected.withUnsafeMutableBufferPointer { e in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(rows), Int32(columns), 1,
                                x.baseAddress, Int32(columns), w.baseAddress, Int32(columns), 0, e.baseAddress, Int32(rows))
                }
                got.withUnsafeMutableBufferPointer { g in
                    guard let xBase = x.baseAddress, let wBase = w.baseAddress, let gBase = g.baseAddress else { return }
                    var destination = [Float](repeating: .nan, count: rows * columns + 16)
                    destination.withUnsafeMutableBufferPointer { packed in
                        guard let base = packed.baseAddress else { return }
                        pack(wBase, rows: rows, columns: columns, into: base)
                        var scratch = [Float](repeating: 0, count: Self.depthBlock * (m + 16))
                        scratch.withUnsafeMutableBufferPointer { s in
                            var block = base
                            for depth in stride(from: 0, to: columns, by: Self.depthBlock) {
                                let dc = min(Self.depthBlock, columns - depth)
                                _ = packActivations(dc, m, UnsafeMutablePointer(mutating: xBase) + depth, columns, s.baseAddress)
                                for row in stride(from: 0, to: rows, by: Self.rowBlock) {
                                    let rc = min(Self.rowBlock, rows - row)
                                    // Three uneven shares, as threads split a block.
                                    for share in 0..<3 {
                                        let part = Self.share(share, of: 3, rows: rc)
                                        guard !part.isEmpty else { continue }
                                        _ = kernel(part.count, m, dc, 1, block + part.lowerBound * dc, s.baseAddress,
                                                   gBase + row + part.lowerBound, rows)
                                    }
                                    block += dc * rc
                                }
                            }
                        }
                    }
                }
            }
        }
        for i in expected.indices where !(abs(expected[i] - got[i]) <= 1e-3 * max(1, abs(expected[i]))) {
            return false
        }
        return true
    }
}
