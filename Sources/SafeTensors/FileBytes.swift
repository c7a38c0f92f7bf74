import TensorCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes of a whole file: a private read-only memory map, or (for in-memory
/// input) an owned, 64-byte aligned copy. Unmaps or frees on deinit; tensors that borrow the
/// bytes keep this object alive.
final class FileBytes: ResidentPagesReleasing, @unchecked Sendable {
    /// The first byte (page-aligned for maps, 64-byte aligned for copies).
    let base: UnsafeRawPointer
    /// The number of bytes.
    let count: Int
    private let isMapped: Bool

    /// Maps the file at `path` read-only. Files shorter than 8 bytes are not mapped (they
    /// cannot hold a safetensors header) and throw ``SafeTensorsError/fileTooSmall(file:size:)``.
    init(mappingFileAt path: String) throws(SafeTensorsError) {
        // O_NONBLOCK so that opening a FIFO cannot hang; it does not affect regular files.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .cannotOpen(file: path, reason: Self.systemError()) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .cannotOpen(file: path, reason: Self.systemError()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(file: path) }
        guard let size = Int(exactly: status.st_size) else {
            throw .cannotOpen(file: path, reason: "file size \(status.st_size) is not addressable")
        }
        guard size >= 8 else { throw .fileTooSmall(file: path, size: size) }
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0),
              pointer != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .cannotOpen(file: path, reason: "mmap failed: " + Self.systemError())
        }
        self.base = UnsafeRawPointer(pointer)
        self.count = size
        self.isMapped = true
    }

    /// Copies `bytes` into an owned aligned buffer.
    init(copying bytes: UnsafeRawBufferPointer) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        if let source = bytes.baseAddress, bytes.count > 0 {
            buffer.copyMemory(from: source, byteCount: bytes.count)
        }
        self.base = UnsafeRawPointer(buffer)
        self.count = bytes.count
        self.isMapped = false
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Drops the resident pages wholly inside `bytes` from a file mapping: MADV_DONTNEED on a
    /// private, never-written file mapping only unmaps the pages, which are read again from the
    /// file (usually the page cache) on the next access. Copies are left alone (MADV_DONTNEED
    /// would zero anonymous memory).
    func releaseResidentPages(_ bytes: UnsafeRawBufferPointer) {
        guard isMapped, let start = bytes.baseAddress else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let lower = (Int(bitPattern: start) + page - 1) / page * page
        let upper = (Int(bitPattern: start) + bytes.count) / page * page
        let mapStart = Int(bitPattern: base), mapEnd = mapStart + count
        guard upper > lower, lower >= mapStart, upper <= mapEnd,
              let address = UnsafeMutableRawPointer(bitPattern: lower) else { return }
        _ = madvise(address, upper - lower, MADV_DONTNEED)
    }

    static func systemError() -> String {
        let code = errno
        if let message = strerror(code) { return String(cString: message) + " (errno \(code))" }
        return "errno \(code)"
    }
}
