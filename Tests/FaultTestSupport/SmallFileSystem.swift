import Foundation

/// A folder on a small filesystem of its own, for disk-full tests: `.ci/run` mounts size-limited
/// tmpfs filesystems under the folder named by `CLIP_TEST_SMALL_FS`, one per test target
/// (`safetensors`, `photolibrary`, `modelhub`), so that targets running at the same time do not
/// fill each other's disk. Without them the tests that need one are skipped; run
/// `Scripts/mount-small-filesystems.sh` (root) to make them locally.
package struct SmallFileSystem {
    /// The mount point.
    package let folder: URL
    private var filler: URL { folder.appendingPathComponent(".filler") }

    /// The filesystem mounted at `$CLIP_TEST_SMALL_FS/name`, or nil when there is none (the
    /// variable unset, or the folder on the same device as its parent, i.e. not a mount).
    package init?(named name: String) {
        guard let root = ProcessInfo.processInfo.environment["CLIP_TEST_SMALL_FS"], !root.isEmpty else { return nil }
        let folder = URL(fileURLWithPath: root).appendingPathComponent(name)
        var mount = stat(), parent = stat()
        guard stat(folder.path, &mount) == 0, stat(root, &parent) == 0, mount.st_dev != parent.st_dev else { return nil }
        self.folder = folder
    }

    /// Whether `$CLIP_TEST_SMALL_FS/name` is a mounted filesystem.
    package static func isAvailable(_ name: String) -> Bool { SmallFileSystem(named: name) != nil }

    /// Bytes free for an unprivileged writer.
    package var freeBytes: Int {
        var info = statvfs()
        guard statvfs(folder.path, &info) == 0 else { return 0 }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// Empties the filesystem (every file and folder in it).
    package func clear() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Writes a filler file so that at most `bytes` stay free.
    package func fill(leaving bytes: Int) throws {
        let size = max(0, freeBytes - bytes)
        guard let handle = FileHandle(forWritingAtPath: filler.path) ?? {
            _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
            return FileHandle(forWritingAtPath: filler.path)
        }() else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        try handle.seekToEnd()
        let chunk = Data(repeating: 0, count: 64 * 1024)
        var written = 0
        while written < size {
            let piece = min(chunk.count, size - written)
            try handle.write(contentsOf: chunk.prefix(piece))
            written += piece
        }
    }

    /// Removes the filler file.
    package func unfill() throws {
        if FileManager.default.fileExists(atPath: filler.path) { try FileManager.default.removeItem(at: filler) }
    }

    /// The names in the folder other than the filler, sorted.
    package func names(in subfolder: String? = nil) throws -> [String] {
        let path = subfolder.map { folder.appendingPathComponent($0).path } ?? folder.path
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0 != ".filler" }.sorted()
    }
}
