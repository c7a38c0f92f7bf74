import Foundation
import ModelHub
import Testing

/// A fake Hub serving model repositories through `/{owner}/{name}/resolve/{revision}/{file}`
/// only, the way huggingface.co does: `X-Repo-Commit`, `ETag`, LFS files redirected to a storage
/// path with `X-Linked-Etag` / `X-Linked-Size`, 404 with `X-Error-Code`, 401 / 403 for private
/// and gated repositories.
package final class FakeHub: @unchecked Sendable {
    /// One repository: its commit and files.
    package struct Repository {
        package var commit: String
        package var files: [String: Data]
        /// Files served through a redirect to `/lfs-store/<sha256>`, whose ETag is the SHA-256.
        package var lfsFiles: Set<String>
        /// When set, requests must carry `Authorization: Bearer <token>`.
        package var token: String?
        /// A gated repository the token's owner has not been granted: 403 with a valid token.
        package var gated = false

        package init(commit: String, files: [String: Data], lfsFiles: Set<String>) {
            self.commit = commit
            self.files = files
            self.lfsFiles = lfsFiles
        }
    }

    /// Where LFS files are redirected: a relative or absolute path on this host, or another host name.
    package enum RedirectStyle { case relative, absoluteSameHost, otherHost }

    private let lock = NSLock()
    private var repositories: [String: Repository] = [:]
    private var dropOnce: [String: Int] = [:]
    private var corrupted: Set<String> = []
    package var redirectStyle = RedirectStyle.relative
    package var sendsCommitHeader = true
    package var honorsRange = true
    /// When false, files stored without LFS are served with no Content-Length (HEAD and GET).
    package var announcesSizes = true
    var port: UInt16 = 0

    package init() {}

    package func add(_ name: String, _ repository: Repository) {
        lock.lock(); defer { lock.unlock() }
        repositories[name] = repository
    }

    /// The next GET of `file` (the LFS storage path for LFS files) stops after `bytes` bytes.
    package func dropNextDownload(of file: String, after bytes: Int) {
        lock.lock(); defer { lock.unlock() }
        dropOnce[file] = bytes
    }

    /// Serve `file` with one byte flipped (its ETag unchanged).
    package func corrupt(_ file: String) {
        lock.lock(); defer { lock.unlock() }
        corrupted.insert(file)
    }

    /// The SHA-256 of `data` in hexadecimal (the ETag of an LFS file).
    package static func sha256(_ data: Data) -> String {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalizeHex()
    }

    /// A 40-hex ETag for a regular (non-LFS) file, as git blob ids look.
    package static func gitStyleETag(_ data: Data) -> String { String(sha256(data).prefix(40)) }

    func handle(_ request: RecordedRequest) -> TestResponse {
        lock.lock(); defer { lock.unlock() }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        // /lfs-store/<sha256>
        if parts.count == 3, parts[1] == "lfs-store" {
            for repository in repositories.values {
                for name in repository.lfsFiles {
                    guard let data = repository.files[name], Self.sha256(data) == parts[2] else { continue }
                    return content(data, name: name, etag: parts[2], commit: nil, method: request.method)
                }
            }
            return TestResponse(status: 404)
        }
        // /<owner>/<name>/resolve/<revision>/<file...>
        guard parts.count >= 6, parts[3] == "resolve" else { return TestResponse(status: 404) }
        let name = "\(parts[1])/\(parts[2])"
        let revision = parts[4].removingPercentEncoding ?? parts[4]
        let file = parts[5...].joined(separator: "/").removingPercentEncoding ?? ""
        guard let repository = repositories[name] else {
            return TestResponse(status: 404, headers: ["X-Error-Code": "RepoNotFound"])
        }
        if let token = repository.token, request.headers["authorization"] != "Bearer \(token)" {
            return TestResponse(status: 401, headers: ["X-Error-Code": "RepoNotFound"])
        }
        if repository.gated { return TestResponse(status: 403, headers: ["X-Error-Code": "GatedRepo"]) }
        guard revision == "main" || revision == repository.commit else {
            return TestResponse(status: 404, headers: ["X-Error-Code": "RevisionNotFound"])
        }
        var headers: [String: String] = sendsCommitHeader ? ["X-Repo-Commit": repository.commit] : [:]
        guard let data = repository.files[file] else {
            headers["X-Error-Code"] = "EntryNotFound"
            return TestResponse(status: 404, headers: headers)
        }
        if repository.lfsFiles.contains(file) {
            let digest = Self.sha256(data)
            let location: String
            switch redirectStyle {
            case .relative: location = "/lfs-store/\(digest)"
            case .absoluteSameHost: location = "http://127.0.0.1:\(port)/lfs-store/\(digest)"
            case .otherHost: location = "http://localhost:\(port)/lfs-store/\(digest)"
            }
            headers["Location"] = location
            headers["X-Linked-Etag"] = "\"\(digest)\""
            headers["X-Linked-Size"] = "\(data.count)"
            headers["ETag"] = "W/\"pointer-\(data.count)\""
            return TestResponse(status: 302, headers: headers)
        }
        return content(data, name: file, etag: Self.gitStyleETag(data), commit: headers["X-Repo-Commit"], method: request.method)
    }

    private func content(_ data: Data, name: String, etag: String, commit: String?, method: String) -> TestResponse {
        var body = data
        if corrupted.contains(name), !body.isEmpty { body[body.startIndex + body.count / 2] ^= 0xFF }
        var response = TestResponse(status: 200, headers: ["ETag": "\"\(etag)\""], body: body, supportsRange: honorsRange)
        if let commit { response.headers["X-Repo-Commit"] = commit }
        response.omitsLength = !announcesSizes
        if method == "GET", let drop = dropOnce.removeValue(forKey: name) { response.dropAfter = drop }
        return response
    }
}

/// Starts a server answering with `hub`; stops it when the test ends (call `stop()`).
package func startServer(for hub: FakeHub) throws -> TestHTTPServer {
    let server = try TestHTTPServer { hub.handle($0) }
    hub.port = server.port
    return server
}

/// Downloads from `server` into `cache`, with a 20 s timeout.
package func hubConfiguration(_ cache: URL, _ server: TestHTTPServer, token: String? = nil, offline: Bool = false) -> HubConfiguration {
    HubConfiguration(cacheDirectory: cache, endpoint: server.endpoint, isOffline: offline, token: token, timeout: 20)
}

/// Checks that `snapshot/<file>` is a relative link to `../../blobs/<etag>` holding `data`.
package func expectCachedFile(_ snapshot: URL, _ file: String, equals data: Data, etag: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = snapshot.appendingPathComponent(file).path
    let destination = try FileManager.default.destinationOfSymbolicLink(atPath: path)
    #expect(destination == "../../blobs/\(etag)", sourceLocation: sourceLocation)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == data, "\(file) is byte-identical", sourceLocation: sourceLocation)
}

/// Lays out `repo` (a `models--owner--name` folder) by hand as huggingface_hub does: `refs/main`
/// naming `commitA`, `files` as blobs linked from `snapshots/<commitA>/`, and `.no_exist`
/// markers for `knownMissing`.
/// - Returns: the snapshot folder.
package func writeCache(_ repo: URL, files: [String: Data], knownMissing: [String]) throws -> URL {
    let snapshot = repo.appendingPathComponent("snapshots/\(commitA)")
    try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
    try Data(commitA.utf8).write(to: repo.appendingPathComponent("refs/main"))
    for (name, data) in files {
        let etag = FakeHub.sha256(data)
        try data.write(to: repo.appendingPathComponent("blobs/\(etag)"))
        try FileManager.default.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path,
                                                   withDestinationPath: "../../blobs/\(etag)")
    }
    for name in knownMissing {
        let marker = repo.appendingPathComponent(".no_exist/\(commitA)/\(name)")
        try FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data().write(to: marker)
    }
    return snapshot
}

/// The files of a fixture folder by name.
package func filesOf(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
        files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
    }
    return files
}

/// A fresh cache directory under the temporary folder.
package func temporaryCache() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("modelhub-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The commit every fake repository is at.
package let commitA = "0123456789abcdef0123456789abcdef01234567"

/// A list appended to from progress callbacks.
package final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element] = []

    package init() {}

    package func append(_ element: Element) {
        lock.lock(); defer { lock.unlock() }
        storage.append(element)
    }

    package var items: [Element] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
