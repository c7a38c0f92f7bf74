#if canImport(Glibc)
import Glibc
#endif

/// Memory for a reordered weight: 64-byte aligned; from 1 MB up mapped anonymously with
/// transparent huge pages requested (`MADV_HUGEPAGE`), so that writing a weight costs one page
/// fault per 2 MB instead of per 4 KB (most of the time a model takes to open is those faults),
/// and products walk it with fewer TLB misses.
final class WeightBuffer: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let byteCount: Int
    private let mapped: Bool

    static let hugePage = 2 << 20

    init(byteCount: Int) throws(CLIPModelError) {
        self.byteCount = byteCount
        #if canImport(Glibc)
        if byteCount >= 1 << 20 {
            let length = (byteCount + Self.hugePage - 1) / Self.hugePage * Self.hugePage
            let address = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let address, address != MAP_FAILED else {
                throw .backend(operation: "allocate \(byteCount) bytes for a weight", status: "out of memory")
            }
            _ = madvise(address, length, MADV_HUGEPAGE)
            base = address
            mapped = true
            return
        }
        #endif
        base = .allocate(byteCount: max(byteCount, 64), alignment: 64)
        mapped = false
    }

    deinit {
        #if canImport(Glibc)
        if mapped {
            munmap(base, (byteCount + Self.hugePage - 1) / Self.hugePage * Self.hugePage)
            return
        }
        #endif
        base.deallocate()
    }
}
