import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How far the download of one file has come.
public struct HubDownloadProgress: Sendable, Equatable {
    /// `owner/name`.
    public let repository: String
    /// The file's path in the repository.
    public let file: String
    /// Bytes on disk so far (including bytes kept from an earlier, interrupted download).
    public let completedBytes: Int64
    /// The file's size when the server gave it.
    public let totalBytes: Int64?
    /// True once the file is complete, checked and in the cache.
    public let isFinished: Bool
}

/// Receives download progress. Called on a background thread; library code never prints.
public typealias HubProgressHandler = @Sendable (HubDownloadProgress) -> Void

/// What the server says about one file at a revision (from `HEAD …/resolve/…`).
struct RemoteFileMetadata: Sendable {
    /// The commit the revision resolved to.
    let commit: String
    /// The normalized ETag: the blob's name in the cache (the SHA-256 for LFS files).
    let etag: String
    /// The size, when given (`X-Linked-Size`, else `Content-Length`).
    let size: Int64?
    /// Where to `GET` the content (the redirect target for files kept on another host).
    let downloadURL: URL
}

/// Fetches single files of one repository into the cache, the way huggingface_hub does:
/// `HEAD` on the resolve URL for the commit and ETag, the blob downloaded once (resumable),
/// and the snapshot entry linked to it.
struct HubFileFetcher: Sendable {
    let configuration: HubConfiguration
    let cache: HubCacheRepository
    let transport: HTTPTransport
    let progress: HubProgressHandler?

    init(configuration: HubConfiguration, cache: HubCacheRepository, progress: HubProgressHandler?) {
        self.configuration = configuration
        self.cache = cache
        transport = HTTPTransport(timeout: configuration.timeout)
        self.progress = progress
    }

    /// The outcome of looking a file up on the server.
    enum Lookup: Sendable {
        /// The file exists; its metadata.
        case found(RemoteFileMetadata)
        /// The file does not exist; the commit when the server named it.
        case missing(commit: String?)
    }

    private var repositoryName: String { cache.id.repository }

    /// Whether `url` is on the endpoint's host, the only host that gets the token.
    private func isEndpointHost(_ url: URL) -> Bool {
        url.scheme == configuration.endpoint.scheme && url.host == configuration.endpoint.host
            && url.port == configuration.endpoint.port
    }

    private func request(_ url: URL, method: String) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("swift-clip-modelhub/1", forHTTPHeaderField: "User-Agent")
        if let token = configuration.token, isEndpointHost(url) {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        return request
    }

    private func statusError(_ head: HTTPResponseHead, file: String, revision: String) -> ModelHubError {
        let tokenSent = configuration.token != nil && isEndpointHost(head.url)
        switch head.status {
        case 401: return .unauthorized(repository: repositoryName, file: file, tokenSent: tokenSent)
        case 403: return .forbidden(repository: repositoryName, file: file, tokenSent: tokenSent)
        case 404:
            switch head.header("X-Error-Code") {
            case "RepoNotFound": return .notFound(repository: repositoryName, revision: revision, file: "the repository")
            case "RevisionNotFound": return .notFound(repository: repositoryName, revision: revision, file: "the revision")
            default: return .notFound(repository: repositoryName, revision: revision, file: file)
            }
        default: return .httpStatus(url: head.url.absoluteString, status: head.status)
        }
    }

    /// `HEAD` on the resolve URL of `file` at `revision`. Redirects on the endpoint's host are
    /// followed; a redirect to another host (LFS storage) ends the lookup, its `X-Linked-Etag` /
    /// `X-Linked-Size` (or `ETag`) describing the file and its target being the download URL.
    ///
    /// A server that sends no `X-Repo-Commit` (some mirrors) works only when `revision` is a
    /// full commit hash, which is then used as the commit; otherwise this is an error.
    func lookUp(_ file: String, revision: String) throws(ModelHubError) -> Lookup {
        guard var url = configuration.resolveURL(for: cache.id, revision: revision, file: file) else {
            throw .invalidRepositoryFile(repository: repositoryName, file: file, reason: "cannot form a URL for it")
        }
        let resolveURL = url.absoluteString
        var commit: String?
        var linkedETag: String?
        var linkedSize: String?
        var final: (head: HTTPResponseHead, target: URL)?
        for _ in 0..<10 {
            let exchange = transport.send(request(url, method: "HEAD"))
            guard let head = exchange.head else {
                throw exchange.failure ?? .network(url: url.absoluteString, message: "no response")
            }
            commit = commit ?? head.header("X-Repo-Commit")
            linkedETag = linkedETag ?? head.header("X-Linked-Etag")
            linkedSize = linkedSize ?? head.header("X-Linked-Size")
            if let target = head.redirectTarget {
                if target.scheme == url.scheme, target.host == url.host, target.port == url.port {
                    url = target
                    continue
                }
                final = (head, target)
                break
            }
            if (200..<300).contains(head.status) {
                final = (head, url)
                break
            }
            if head.status == 404, head.header("X-Error-Code") == nil || head.header("X-Error-Code") == "EntryNotFound" {
                return .missing(commit: commit.flatMap { HubCacheRepository.isSafePathComponent($0) ? $0 : nil })
            }
            throw statusError(head, file: file, revision: revision)
        }
        guard let final else {
            throw .invalidResponse(url: resolveURL, reason: "more than 10 redirects")
        }
        let resolvedCommit: String
        if let commit {
            guard HubCacheRepository.isSafePathComponent(commit) else {
                throw .invalidResponse(url: resolveURL, reason: "unusable X-Repo-Commit \"\(commit)\"")
            }
            resolvedCommit = commit
        } else if HubRepositoryID.isCommitHash(revision) {
            resolvedCommit = revision
        } else {
            throw .invalidResponse(
                url: resolveURL,
                reason: "the server sent no X-Repo-Commit header, so revision \"\(revision)\" cannot be tied to a commit; "
                    + "check HF_ENDPOINT, or name a full 40-character commit hash (owner/name@<commit>)")
        }
        guard let rawETag = linkedETag ?? final.head.header("ETag") else {
            throw .invalidResponse(url: resolveURL, reason: "the server sent no ETag, which names the file in the cache")
        }
        let etag = Self.normalizeETag(rawETag)
        guard HubCacheRepository.isSafePathComponent(etag), !etag.hasSuffix(".incomplete"), !etag.hasSuffix(".lock") else {
            throw .invalidResponse(url: resolveURL, reason: "unusable ETag \"\(rawETag)\"")
        }
        let sizeText = linkedSize ?? (final.head.redirectTarget == nil ? final.head.header("Content-Length") : nil)
        var size: Int64?
        if let sizeText {
            guard let value = Int64(sizeText.trimmingCharacters(in: .whitespaces)), value >= 0 else {
                throw .invalidResponse(url: resolveURL, reason: "invalid file size \"\(sizeText)\"")
            }
            size = value
        }
        return .found(RemoteFileMetadata(commit: resolvedCommit, etag: etag, size: size, downloadURL: final.target))
    }

    /// `W/"abc"` and `"abc"` both become `abc`.
    static func normalizeETag(_ text: String) -> String {
        var value = Substring(text.trimmingCharacters(in: .whitespaces))
        if value.hasPrefix("W/") { value = value.dropFirst(2) }
        return String(value).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    /// Makes `file` at `revision` available as `snapshots/<commit>/<file>`: looked up on the
    /// server, downloaded unless its blob is already cached, and linked.
    /// - Returns: the commit and the snapshot entry, or `nil` commit/URL when the file does not
    ///   exist (a `.no_exist` marker is written when the commit is known).
    func fetch(_ file: String, revision: String) throws(ModelHubError) -> (commit: String?, url: URL?) {
        switch try lookUp(file, revision: revision) {
        case let .missing(commit):
            if let commit {
                try cache.recordMissing(file, commit: commit)
                try cache.recordReference(revision, commit: commit)
            }
            return (commit, nil)
        case let .found(metadata):
            try cache.recordReference(revision, commit: metadata.commit)
            if let existing = cache.cachedFile(file, commit: metadata.commit) { return (metadata.commit, existing) }
            try downloadBlob(metadata, file: file)
            try cache.link(file, commit: metadata.commit, etag: metadata.etag)
            guard let url = cache.cachedFile(file, commit: metadata.commit) else {
                throw .fileSystem(path: cache.snapshotFolder(commit: metadata.commit).appendingPathComponent(file).path,
                                  message: "the snapshot entry does not lead to the downloaded blob")
            }
            return (metadata.commit, url)
        }
    }

    // MARK: - Downloading a blob

    /// Downloads `blobs/<etag>` unless present: into `blobs/<etag>.incomplete` (continuing a
    /// partial file with an HTTP Range), resumed after dropped connections, checked against the
    /// announced size and, for a SHA-256 ETag, the content hash, then renamed into place.
    func downloadBlob(_ metadata: RemoteFileMetadata, file: String) throws(ModelHubError) {
        let blob = cache.blob(metadata.etag)
        let manager = FileManager.default
        if manager.fileExists(atPath: blob.path) { return }
        try HubCacheRepository.createDirectory(blob.deletingLastPathComponent())
        let lock = try FileLock(cache.lockFile(metadata.etag))
        defer { withExtendedLifetime(lock) {} }
        if manager.fileExists(atPath: blob.path) { return }

        let partial = URL(fileURLWithPath: blob.path + ".incomplete")
        var expectedSize = metadata.size
        var retriedFromScratch = false
        while true {
            let startedAt = try transfer(metadata, file: file, into: partial, expectedSize: &expectedSize)
            let actual = Self.fileSize(partial) ?? 0
            if let expectedSize, actual != expectedSize {
                try? manager.removeItem(at: partial)
                throw .sizeMismatch(file: file, expected: expectedSize, actual: actual)
            }
            if Self.isSHA256(metadata.etag) {
                let digest = try SHA256Hasher.hexDigest(ofFileAt: partial)
                if digest != metadata.etag.lowercased() {
                    try? manager.removeItem(at: partial)
                    // Bytes kept from an earlier attempt may be what is wrong: start over once.
                    if startedAt > 0, !retriedFromScratch {
                        retriedFromScratch = true
                        continue
                    }
                    throw .checksumMismatch(file: file, expected: metadata.etag.lowercased(), actual: digest)
                }
            }
            break
        }
        chmod(partial.path, 0o644)
        guard rename(partial.path, blob.path) == 0 else {
            throw .fileSystem(path: blob.path, message: "cannot move the download into place: \(String(cString: strerror(errno)))")
        }
        progress?(HubDownloadProgress(repository: repositoryName, file: file, completedBytes: Self.fileSize(blob) ?? 0,
                                      totalBytes: expectedSize, isFinished: true))
    }

    /// Runs GET requests until `partial` holds the whole file (as far as the server's sizes
    /// tell), resuming after interruptions.
    /// - Returns: the size of the partial file found before the first request.
    private func transfer(_ metadata: RemoteFileMetadata, file: String, into partial: URL,
                          expectedSize: inout Int64?) throws(ModelHubError) -> Int64 {
        let initial = Self.fileSize(partial) ?? 0
        var url = metadata.downloadURL
        var failuresWithoutProgress = 0
        var redirects = 0
        while true {
            var offset = Self.fileSize(partial) ?? 0
            if let expectedSize, offset > expectedSize {
                try Self.truncate(partial, path: partial.path)
                offset = 0
            }
            if let expectedSize, offset == expectedSize, offset > 0 || expectedSize == 0 {
                if !FileManager.default.fileExists(atPath: partial.path) {
                    try HubCacheRepository.writeAtomically(Data(), to: partial)
                }
                return initial
            }
            var request = request(url, method: "GET")
            if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
            let writer = try PartialFileWriter(url: partial, offset: offset, repository: repositoryName, file: file,
                                               expectedSize: expectedSize,
                                               unannouncedLimit: configuration.maximumUnannouncedFileBytes, progress: progress)
            let exchange = transport.send(
                request,
                prepare: { head throws(ModelHubError) in try writer.begin(head) },
                sink: { data throws(ModelHubError) in try writer.write(data) })
            writer.close()
            guard let head = exchange.head else {
                let failure = exchange.failure ?? .network(url: url.absoluteString, message: "no response")
                failuresWithoutProgress += 1
                if case .network = failure, failuresWithoutProgress <= configuration.resumeAttempts { continue }
                throw failure
            }
            if let target = head.redirectTarget {
                redirects += 1
                guard redirects <= 10 else { throw .invalidResponse(url: url.absoluteString, reason: "more than 10 redirects") }
                url = target
                continue
            }
            if head.status == 416, offset > 0 {
                // The partial file is not a prefix the server can continue: start over.
                try Self.truncate(partial, path: partial.path)
                failuresWithoutProgress += 1
                if failuresWithoutProgress <= configuration.resumeAttempts { continue }
            }
            guard (200..<300).contains(head.status) else {
                throw statusError(head, file: file, revision: metadata.commit)
            }
            if expectedSize == nil { expectedSize = writer.announcedTotal }
            if let failure = exchange.failure {
                // Bytes past the cap for an unannounced size are not worth resuming from.
                if writer.exceededUnannouncedLimit { try? FileManager.default.removeItem(at: partial) }
                guard case .network = failure else { throw failure }
                if writer.bytesWritten > 0 { failuresWithoutProgress = 0 } else { failuresWithoutProgress += 1 }
                if failuresWithoutProgress <= configuration.resumeAttempts { continue }
                throw failure
            }
            if let expectedSize, (Self.fileSize(partial) ?? 0) < expectedSize {
                // The server closed a complete-looking response early: resume.
                if writer.bytesWritten > 0 { failuresWithoutProgress = 0 } else { failuresWithoutProgress += 1 }
                if failuresWithoutProgress <= configuration.resumeAttempts { continue }
                throw .network(url: url.absoluteString, message: "the server kept ending the transfer early")
            }
            if !FileManager.default.fileExists(atPath: partial.path) {
                try HubCacheRepository.writeAtomically(Data(), to: partial)
            }
            return initial
        }
    }

    static func isSHA256(_ etag: String) -> Bool {
        etag.utf8.count == 64 && etag.utf8.allSatisfy {
            ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70)
        }
    }

    static func fileSize(_ url: URL) -> Int64? {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    static func truncate(_ url: URL, path: String) throws(ModelHubError) {
        if FileManager.default.fileExists(atPath: path), posixTruncate(path) != 0 {
            throw .fileSystem(path: path, message: "cannot truncate: \(String(cString: strerror(errno)))")
        }
    }
}

/// Appends one response body to the `.incomplete` file, checking that a 206 continues where
/// the file ends and restarting the file when the server ignored the Range and sent all of it.
private final class PartialFileWriter: @unchecked Sendable {
    private let lock = NSLock()
    private let url: URL
    private let repository: String
    private let file: String
    private let progress: HubProgressHandler?
    private let expectedSize: Int64?
    private let unannouncedLimit: Int64
    private var offset: Int64
    private var responseURL = ""
    private var descriptor: Int32 = -1
    private(set) var bytesWritten: Int64 = 0
    private(set) var announcedTotal: Int64?
    /// Whether the body went past `unannouncedLimit` with no size announced.
    private(set) var exceededUnannouncedLimit = false

    init(url: URL, offset: Int64, repository: String, file: String, expectedSize: Int64?, unannouncedLimit: Int64,
         progress: HubProgressHandler?) throws(ModelHubError) {
        self.url = url
        self.offset = offset
        self.repository = repository
        self.file = file
        self.expectedSize = expectedSize
        self.unannouncedLimit = unannouncedLimit
        self.progress = progress
    }

    func begin(_ head: HTTPResponseHead) throws(ModelHubError) {
        lock.lock()
        defer { lock.unlock() }
        responseURL = head.url.absoluteString
        if head.status == 206 {
            // Content-Range: bytes <first>-<last>/<total>
            guard let range = head.header("Content-Range"), let parsed = Self.parseContentRange(range), parsed.first == offset else {
                throw .invalidResponse(url: head.url.absoluteString,
                                       reason: "a partial response (206) does not continue at byte \(offset): "
                                           + "Content-Range \(head.header("Content-Range") ?? "missing")")
            }
            announcedTotal = parsed.total
        } else {
            // A full response: whatever was kept is replaced.
            offset = 0
            if let length = head.header("Content-Length"), let value = Int64(length), value >= 0 {
                announcedTotal = value
            }
        }
        if let expectedSize, let announcedTotal, announcedTotal != expectedSize {
            throw .sizeMismatch(file: file, expected: expectedSize, actual: announcedTotal)
        }
        let flags = O_WRONLY | O_CREAT | (offset == 0 ? O_TRUNC : 0)
        let fd = open(url.path, flags, 0o644)
        guard fd >= 0 else {
            throw .fileSystem(path: url.path, message: "cannot open for writing: \(String(cString: strerror(errno)))")
        }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            posixClose(fd)
            throw .fileSystem(path: url.path, message: "cannot seek to \(offset)")
        }
        descriptor = fd
        progress?(HubDownloadProgress(repository: repository, file: file, completedBytes: offset,
                                      totalBytes: expectedSize ?? announcedTotal, isFinished: false))
    }

    func write(_ data: Data) throws(ModelHubError) {
        lock.lock()
        defer { lock.unlock() }
        guard descriptor >= 0 else { return }
        let failed: Bool = data.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = posixWrite(descriptor, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                done += n
            }
            return false
        }
        if failed {
            throw .fileSystem(path: url.path, message: "cannot write: \(String(cString: strerror(errno)))")
        }
        bytesWritten += Int64(data.count)
        let total = expectedSize ?? announcedTotal
        if let total, offset + bytesWritten > total {
            throw .sizeMismatch(file: file, expected: total, actual: offset + bytesWritten)
        }
        if total == nil, offset + bytesWritten > unannouncedLimit {
            exceededUnannouncedLimit = true
            throw .invalidResponse(url: responseURL,
                                   reason: "\(file) has no announced size and is longer than the limit of \(unannouncedLimit) bytes "
                                       + "for such a file (HubConfiguration.maximumUnannouncedFileBytes)")
        }
        progress?(HubDownloadProgress(repository: repository, file: file, completedBytes: offset + bytesWritten,
                                      totalBytes: total, isFinished: false))
    }

    func close() {
        lock.lock()
        defer { lock.unlock() }
        if descriptor >= 0 {
            posixClose(descriptor)
            descriptor = -1
        }
    }

    static func parseContentRange(_ text: String) -> (first: Int64, total: Int64?)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes ") else { return nil }
        let rest = trimmed.dropFirst(6)
        let parts = rest.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, let dash = parts[0].firstIndex(of: "-"), let first = Int64(parts[0][..<dash]) else { return nil }
        return (first, Int64(parts[1]))
    }
}

// C calls under names that do not clash with the methods above.
private func posixTruncate(_ path: String) -> Int32 { truncate(path, 0) }
private func posixWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, pointer, count) }
private func posixClose(_ fd: Int32) { _ = close(fd) }
