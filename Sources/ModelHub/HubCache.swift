import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One model repository's folder in the Hugging Face cache, in huggingface_hub's layout:
///
///     models--owner--name/
///       refs/<revision>                 the commit hash the branch or tag pointed to
///       blobs/<etag>                    file contents, named by ETag (SHA-256 for LFS files)
///       blobs/<etag>.incomplete         a download in progress (resumed with an HTTP Range)
///       snapshots/<commit>/<file>       -> ../../blobs/<etag> (relative symbolic links)
///       .no_exist/<commit>/<file>       empty marker: the file is known not to exist at that commit
///
/// Files are read in place, never copied. Writes are atomic (temporary name + rename).
public struct HubCacheRepository: Sendable {
    /// The repository.
    public let id: HubRepositoryID
    /// `cacheDirectory/models--owner--name`.
    public let folder: URL

    /// The folder of `id` in the cache rooted at `cacheDirectory`.
    public init(id: HubRepositoryID, cacheDirectory: URL) {
        self.id = id
        folder = cacheDirectory.appendingPathComponent(id.cacheFolderName, isDirectory: true)
    }

    /// The commit `revision` resolves to from the cache alone: the revision itself when it is a
    /// commit hash, else the content of `refs/<revision>`; nil when unknown.
    public func cachedCommit(for revision: String) -> String? {
        if HubRepositoryID.isCommitHash(revision) { return revision }
        let ref = folder.appendingPathComponent("refs").appendingPathComponent(revision)
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Self.isSafePathComponent(commit) ? commit : nil
    }

    /// `snapshots/<commit>`.
    public func snapshotFolder(commit: String) -> URL {
        folder.appendingPathComponent("snapshots", isDirectory: true).appendingPathComponent(commit, isDirectory: true)
    }

    /// `snapshots/<commit>/<file>` when it exists (a link to an existing blob, or a plain file).
    public func cachedFile(_ file: String, commit: String) -> URL? {
        let url = snapshotFolder(commit: commit).appendingPathComponent(file)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// Whether `.no_exist/<commit>/<file>` records that `file` does not exist at `commit`.
    public func isKnownMissing(_ file: String, commit: String) -> Bool {
        FileManager.default.fileExists(atPath: noExistMarker(file, commit: commit).path)
    }

    func noExistMarker(_ file: String, commit: String) -> URL {
        folder.appendingPathComponent(".no_exist").appendingPathComponent(commit).appendingPathComponent(file)
    }

    func blob(_ etag: String) -> URL {
        folder.appendingPathComponent("blobs", isDirectory: true).appendingPathComponent(etag)
    }

    /// huggingface_hub's lock for a blob (`cache/.locks/models--owner--name/<etag>.lock`), so
    /// that Python and this library never write the same blob at once.
    func lockFile(_ etag: String) -> URL {
        folder.deletingLastPathComponent().appendingPathComponent(".locks", isDirectory: true)
            .appendingPathComponent(id.cacheFolderName, isDirectory: true).appendingPathComponent("\(etag).lock")
    }

    // MARK: - Writing

    /// Records that `revision` points to `commit` (`refs/<revision>`), unless the revision is the
    /// commit itself or the ref already says so.
    func recordReference(_ revision: String, commit: String) throws(ModelHubError) {
        guard revision != commit else { return }
        let ref = folder.appendingPathComponent("refs").appendingPathComponent(revision)
        if (try? String(contentsOf: ref, encoding: .utf8)) == commit { return }
        try Self.createDirectory(ref.deletingLastPathComponent())
        try Self.writeAtomically(Data(commit.utf8), to: ref)
    }

    /// Creates the empty `.no_exist/<commit>/<file>` marker.
    func recordMissing(_ file: String, commit: String) throws(ModelHubError) {
        let marker = noExistMarker(file, commit: commit)
        guard !FileManager.default.fileExists(atPath: marker.path) else { return }
        try Self.createDirectory(marker.deletingLastPathComponent())
        try Self.writeAtomically(Data(), to: marker)
    }

    /// Points `snapshots/<commit>/<file>` at `blobs/<etag>` with a relative symbolic link,
    /// replacing whatever was there atomically.
    func link(_ file: String, commit: String, etag: String) throws(ModelHubError) {
        let pointer = snapshotFolder(commit: commit).appendingPathComponent(file)
        let directory = pointer.deletingLastPathComponent()
        try Self.createDirectory(directory)
        // snapshots/<commit>/<a>/<b>/file needs ../../../../blobs/<etag>: one ".." per folder
        // between the snapshot folder and the repository folder, plus the nested ones.
        let depth = 2 + file.split(separator: "/").count - 1
        let target = String(repeating: "../", count: depth) + "blobs/" + etag
        let temporary = directory.appendingPathComponent(".\(pointer.lastPathComponent).\(UUID().uuidString).tmp")
        guard symlink(target, temporary.path) == 0 else {
            throw .fileSystem(path: temporary.path, message: "cannot create symbolic link: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary.path, pointer.path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary.path)
            throw .fileSystem(path: pointer.path, message: "cannot move symbolic link into place: \(message)")
        }
    }

    // MARK: - Helpers

    /// A name usable as one path component: not empty, no `/`, not `.` or `..`, no NUL.
    static func isSafePathComponent(_ text: String) -> Bool {
        !text.isEmpty && text != "." && text != ".." && !text.contains("/") && !text.contains("\0")
            && text.utf8.count <= 255
    }

    /// A relative file path inside a repository: components are safe and not empty.
    static func isSafeRelativePath(_ text: String) -> Bool {
        guard !text.hasPrefix("/"), !text.contains("\\") else { return false }
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        return !components.isEmpty && components.allSatisfy { isSafePathComponent(String($0)) }
    }

    static func createDirectory(_ url: URL) throws(ModelHubError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: url.path, message: "cannot create directory: \(error.localizedDescription)")
        }
    }

    static func writeAtomically(_ data: Data, to url: URL) throws(ModelHubError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw .fileSystem(path: temporary.path, message: "cannot write: \(error.localizedDescription)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary.path)
            throw .fileSystem(path: url.path, message: "cannot move into place: \(message)")
        }
    }
}

/// An exclusive advisory lock (`flock`) on a file, as Python's `filelock` takes on Unix.
final class FileLock {
    private let descriptor: Int32

    /// Blocks until the lock on `url` is held.
    init(_ url: URL) throws(ModelHubError) {
        try HubCacheRepository.createDirectory(url.deletingLastPathComponent())
        let fd = open(url.path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else {
            throw .fileSystem(path: url.path, message: "cannot open lock file: \(String(cString: strerror(errno)))")
        }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let message = String(cString: strerror(errno))
            close(fd)
            throw .fileSystem(path: url.path, message: "cannot lock: \(message)")
        }
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
