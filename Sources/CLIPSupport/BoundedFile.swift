import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why ``BoundedFile/contents(of:limit:)`` did not read a file.
package enum BoundedFileError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or read (`reason` from the system).
    case unreadable(reason: String)
    /// A device, FIFO, socket or directory: it may have no size and no end.
    case notARegularFile
    /// The file has `size` bytes, more than `limit`.
    case tooLarge(size: Int64, limit: Int)

    package var description: String {
        switch self {
        case let .unreadable(reason): return reason
        case .notARegularFile: return "not a regular file (a device, FIFO or directory)"
        case let .tooLarge(size, limit): return "the file has \(size) bytes, more than the limit of \(limit) bytes"
        }
    }
}

/// Whole-file reads of the small files a model folder holds (configurations, vocabularies,
/// tokenizer files, manifests), bounded: the file must be a regular file (also behind a link)
/// no larger than a limit, checked before any memory is taken for it.
package enum BoundedFile {
    /// For JSON configuration files (`config.json`, `open_clip_config.json`,
    /// `preprocessor_config.json`, `tokenizer_config.json`, shard manifests): 16 MiB. Real ones
    /// have a few kilobytes (Gemma's `tokenizer_config.json`, with its added tokens, about 1 MB).
    package static let configurationLimit = 16 << 20
    /// For vocabulary and tokenizer files (`vocab.json`, `merges.txt`, BPE `.txt(.gz)`,
    /// `tokenizer.json`, `spiece.model`): 512 MiB. Gemma's 262,144-entry `tokenizer.json` has 33 MB.
    package static let vocabularyLimit = 512 << 20

    /// The bytes of the file at `url`, at most `limit` of them.
    ///
    /// The file is opened without blocking (a FIFO would otherwise wait for a writer), checked to
    /// be regular and no larger than `limit`, then read; a file that grows meanwhile is read to
    /// the size it had.
    package static func contents(of url: URL, limit: Int) throws(BoundedFileError) -> Data {
        let descriptor = open(url.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(reason: String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile }
        let size = Int64(status.st_size)
        guard size <= Int64(limit) else { throw .tooLarge(size: size, limit: limit) }
        var data = Data(count: Int(size))
        let count = data.count
        let read = data.withUnsafeMutableBytes { (buffer) -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            var done = 0
            while done < count {
                let step = systemRead(descriptor, base + done, count - done)
                if step < 0 {
                    if errno == EINTR { continue }
                    return -Int(errno)
                }
                if step == 0 { break }
                done += step
            }
            return done
        }
        guard read >= 0 else { throw .unreadable(reason: String(cString: strerror(Int32(-read)))) }
        if read < count { data.removeSubrange(read...) }
        return data
    }
}

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
#if canImport(Glibc)
    Glibc.read(descriptor, buffer, count)
#else
    Darwin.read(descriptor, buffer, count)
#endif
}
