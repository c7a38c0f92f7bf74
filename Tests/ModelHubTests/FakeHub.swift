import Foundation
@testable import ModelHub

/// A fake Hub serving model repositories through `/{owner}/{name}/resolve/{revision}/{file}`
/// only, the way huggingface.co does: `X-Repo-Commit`, `ETag`, LFS files redirected to a storage
/// path with `X-Linked-Etag` / `X-Linked-Size`, 404 with `X-Error-Code`, 401 / 403 for private
/// and gated repositories.
final class FakeHub: @unchecked Sendable {
    struct Repository {
        var commit: String
        var files: [String: Data]
        /// Files served through a redirect to `/lfs-store/<sha256>`, whose ETag is the SHA-256.
        var lfsFiles: Set<String>
        /// When set, requests must carry `Authorization: Bearer <token>`.
        var token: String?
        /// A gated repository the token's owner has not been granted: 403 with a valid token.
        var gated = false
    }

    enum RedirectStyle { case relative, absoluteSameHost, otherHost }

    private let lock = NSLock()
    private var repositories: [String: Repository] = [:]
    private var dropOnce: [String: Int] = [:]
    private var corrupted: Set<String> = []
    var redirectStyle = RedirectStyle.relative
    var sendsCommitHeader = true
    var honorsRange = true
    var port: UInt16 = 0

    func add(_ name: String, _ repository: Repository) {
        lock.lock(); defer { lock.unlock() }
        repositories[name] = repository
    }

    /// The next GET of `file` (the LFS storage path for LFS files) stops after `bytes` bytes.
    func dropNextDownload(of file: String, after bytes: Int) {
        lock.lock(); defer { lock.unlock() }
        dropOnce[file] = bytes
    }

    /// Serve `file` with one byte flipped (its ETag unchanged).
    func corrupt(_ file: String) {
        lock.lock(); defer { lock.unlock() }
        corrupted.insert(file)
    }

    static func sha256(_ data: Data) -> String {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.finalizeHex()
    }

    /// A 40-hex ETag for a regular (non-LFS) file, as git blob ids look.
    static func gitStyleETag(_ data: Data) -> String { String(sha256(data).prefix(40)) }

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
        if method == "GET", let drop = dropOnce.removeValue(forKey: name) { response.dropAfter = drop }
        return response
    }
}

/// Starts a server answering with `hub`; stops it when the test ends (call `stop()`).
func startServer(for hub: FakeHub) throws -> TestHTTPServer {
    let server = try TestHTTPServer { hub.handle($0) }
    hub.port = server.port
    return server
}

let fixturesRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let tinyVocabModel = fixturesRoot.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip")
let modelFixtures = fixturesRoot.appendingPathComponent("CLIPModelsTests/Fixtures/models")

/// The files of a fixture folder by name.
func filesOf(_ folder: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
        files[name] = try Data(contentsOf: folder.appendingPathComponent(name))
    }
    return files
}

/// A fresh cache directory under the temporary folder.
func temporaryCache() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("modelhub-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let commitA = "0123456789abcdef0123456789abcdef01234567"
