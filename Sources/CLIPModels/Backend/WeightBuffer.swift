#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLIPSupport
import TensorCore

/// Memory for a reordered weight, 64-byte aligned, freed with the value.
///
/// Buffers of a megabyte or more are mapped anonymous memory whose pages are faulted in up
/// front, spread over the compute threads (`MADV_POPULATE_WRITE`, or a write per page where the
/// kernel lacks it), before the reorder writes them: on this project's virtual machines a fresh
/// page costs 2–3 µs when the reorder's blocked writes fault it in, about a quarter of that when
/// populated in bulk from two threads (ViT-bigG/14 in Float32 writes 10 GB of weights: its reorders
/// took 10.1 s when they faulted the pages in, 1.6 s after populating, which itself costs about
/// 0.6 µs a page from two threads).
///
/// (Transparent huge pages were measured here and left out: on these virtual machines a fresh
/// 2 MB page costs far more to fault in than the 512 small pages it replaces, so a ViT-B/32
/// opened 1 s slower, and products ran no faster.)
final class WeightBuffer: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let byteCount: Int
    /// The mapping's length, or 0 for heap memory.
    private let mappedLength: Int

    /// Buffers at least this large are mapped and populated on the compute threads.
    static let mappedMinimum = 1 << 20

    init(byteCount: Int) {
        self.byteCount = byteCount
        if byteCount >= Self.mappedMinimum, let mapped = Self.mapPopulated(byteCount) {
            base = mapped
            mappedLength = byteCount
        } else {
            base = .allocate(byteCount: max(byteCount, 64), alignment: 64)
            mappedLength = 0
        }
    }

    deinit {
        if mappedLength > 0 { munmap(base, mappedLength) } else { base.deallocate() }
    }

    /// `length` bytes of zeroed anonymous memory (page-aligned), its pages faulted in by the
    /// compute threads; nil when the mapping fails (the caller then uses the heap).
    private static func mapPopulated(_ length: Int) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        let mapped = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { return nil }
        let page = max(Int(sysconf(Int32(_SC_PAGESIZE))), 4096)
        let pages = (length + page - 1) / page
        let start = SendableMutableRawPointer(mapped)
        ComputeThreads.forEachChunk(of: pages, minimumChunk: 64) { range in
            let chunk = start.base + range.lowerBound * page
            let bytes = min(length - range.lowerBound * page, range.count * page)
            if madvise(chunk, bytes, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */) != 0 {
                // Older kernels: touch each page (the memory is zero; writing zero keeps it so).
                var offset = 0
                while offset < bytes {
                    chunk.storeBytes(of: 0, toByteOffset: offset, as: UInt8.self)
                    offset += page
                }
            }
        }
        return mapped
        #else
        return nil
        #endif
    }
}
