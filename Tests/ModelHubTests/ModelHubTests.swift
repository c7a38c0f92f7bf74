import FaultTestSupport
import Foundation
import HubTestSupport
import Testing
@testable import ModelHub

@Suite("Hub ids, configuration, hashing")
struct HubBasicsTests {
    @Test func parsesRepositoryIDs() throws {
        let plain = try HubRepositoryID(parsing: "openai/clip-vit-base-patch32")
        #expect(plain.owner == "openai" && plain.name == "clip-vit-base-patch32" && plain.revision == "main")
        #expect(plain.cacheFolderName == "models--openai--clip-vit-base-patch32")
        let pinned = try HubRepositoryID(parsing: "laion/CLIP-ViT-B-32-laion2B-s34B-b79K@refs/pr/3")
        #expect(pinned.revision == "refs/pr/3")
        #expect(try HubRepositoryID(parsing: "a/b@\(commitA)").revisionIsCommitHash)
        for bad in ["openai", "a/b/c", "/abs/path", "./x", "a/", "/b", "a/b@", "a/b@../x", "a b/c", "a--b/c", "a/..", "~/m"] {
            #expect(throws: ModelHubError.self, "\(bad)") { try HubRepositoryID(parsing: bad) }
        }
    }

    @Test func readsTheEnvironmentLikeHuggingFaceHub() throws {
        let explicit = HubConfiguration.fromEnvironment([
            "HF_HUB_CACHE": "/tmp/hub-cache", "HF_HOME": "/tmp/hf-home", "HF_ENDPOINT": "http://mirror.example:8080/",
            "HF_HUB_OFFLINE": "1", "HF_TOKEN": "hf_abc",
        ])
        #expect(explicit.cacheDirectory.path == "/tmp/hub-cache")
        #expect(explicit.endpoint.absoluteString == "http://mirror.example:8080")
        #expect(explicit.isOffline)
        #expect(explicit.token == "hf_abc")
        let home = HubConfiguration.fromEnvironment(["HF_HOME": "/tmp/hf-home", "HF_HUB_OFFLINE": "yes"])
        #expect(home.cacheDirectory.path == "/tmp/hf-home/hub")
        #expect(home.isOffline)
        #expect(home.endpoint == HubConfiguration.defaultEndpoint)
        #expect(home.token == nil)
        let defaults = HubConfiguration.fromEnvironment(["HF_HUB_OFFLINE": "0", "XDG_CACHE_HOME": "/tmp/xdg"])
        #expect(defaults.cacheDirectory.path == "/tmp/xdg/huggingface/hub")
        #expect(!defaults.isOffline)
        let id = try HubRepositoryID(parsing: "o/n@refs/pr/1")
        #expect(defaults.resolveURL(for: id, revision: id.revision, file: "sub dir/settings.json")?.absoluteString
            == "https://huggingface.co/o/n/resolve/refs%2Fpr%2F1/sub%20dir/settings.json")
    }

    @Test func sha256MatchesKnownDigests() {
        #expect(FakeHub.sha256(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(FakeHub.sha256(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(FakeHub.sha256(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Fed in uneven pieces: the same digest as in one piece.
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        var hasher = SHA256Hasher()
        var offset = 0
        for size in [1, 63, 64, 65, 1000, 4093] {
            hasher.update(million.subdata(in: offset..<(offset + size)))
            offset += size
        }
        hasher.update(million.subdata(in: offset..<million.count))
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

/// A made-up layout: `manifest.json` + `data.blob` (or an index of `.part` files), else
/// `other.json` + `other.blob`; optional `words.txt` + `pairs.txt` else `combined.json`, and
/// `settings.json`; `.pickle` files mean "only unsupported content".
let testPlan = SnapshotPlan(
    alternatives: [
        [.file("manifest.json"), .file("data.blob")],
        [.file("manifest.json"), .index("data.index.json", listingFilesEndingWith: ".part")],
        [.file("other.json"), .file("other.blob")],
    ],
    optionalFiles: [.init(firstCompleteOf: [["words.txt", "pairs.txt"], ["combined.json"]]), .init("settings.json")],
    unsupportedFiles: [.init("data.pickle", needed: "data.blob"), .init("other.pickle", needed: "other.blob")],
    noCheckpointReason: "expected manifest.json + data.blob, or other.json + other.blob")

/// `count` bytes of a repeating, non-trivial pattern.
func patternData(_ count: Int, seed: UInt8 = 7) -> Data {
    var data = Data(count: count)
    data.withUnsafeMutableBytes { bytes in
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) &+ seed }
    }
    return data
}

/// The blob of the test repositories (big enough to be dropped and resumed).
let blob = patternData(300_000)
let manifest = Data(#"{"kind": "test"}"#.utf8)

/// `manifest.json` + `data.blob` (an LFS file), nothing optional.
func simpleRepository(_ extra: [String: Data] = [:]) -> FakeHub.Repository {
    FakeHub.Repository(commit: commitA, files: ["manifest.json": manifest, "data.blob": blob].merging(extra) { $1 },
                       lfsFiles: ["data.blob"])
}

/// A fake Hub serving `repositories`, a fresh cache, and a client of both.
struct HubFixture {
    let hub = FakeHub()
    let server: TestHTTPServer
    let cache: URL

    init(_ repositories: [String: FakeHub.Repository]) throws {
        for (name, repository) in repositories { hub.add(name, repository) }
        server = try startServer(for: hub)
        cache = try temporaryCache()
    }

    func client(token: String? = nil, offline: Bool = false) -> HubClient {
        HubClient(configuration: hubConfiguration(cache, server, token: token, offline: offline))
    }

    func resolve(_ name: String, plan: SnapshotPlan = testPlan, token: String? = nil) throws(ModelHubError) -> URL {
        try client(token: token).modelDirectory(for: try HubRepositoryID(parsing: name), plan: plan)
    }

    /// The GET paths below `/resolve/` and the LFS store, in order.
    var gets: [String] { server.requests.filter { $0.method == "GET" }.map(\.path) }

    func finish() {
        server.stop()
        try? FileManager.default.removeItem(at: cache)
    }
}

@Suite("Hugging Face cache and downloads", .serialized)
struct HubDownloadTests {
    @Test func downloadsIntoTheHuggingFaceLayoutThenResolvesOffline() throws {
        let fixture = try HubFixture(["o/n": simpleRepository()])
        defer { fixture.finish() }
        let finished = LockedList<HubDownloadProgress>()
        let id = try HubRepositoryID(parsing: "o/n")
        let client = fixture.client(token: "hf_secret")
        let snapshot = try client.modelDirectory(for: id, plan: testPlan) { progress in
            if progress.isFinished { finished.append(progress) }
        }
        let repo = fixture.cache.appendingPathComponent("models--o--n")
        #expect(snapshot.standardizedFileURL == repo.appendingPathComponent("snapshots/\(commitA)").standardizedFileURL)
        #expect(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) == commitA)
        try expectCachedFile(snapshot, "data.blob", equals: blob, etag: FakeHub.sha256(blob))
        try expectCachedFile(snapshot, "manifest.json", equals: manifest, etag: FakeHub.gitStyleETag(manifest))
        for missing in ["words.txt", "combined.json", "settings.json"] {
            #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent(".no_exist/\(commitA)/\(missing)").path), "\(missing)")
        }
        #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent(".no_exist/\(commitA)/pairs.txt").path),
                "the group stops at its first missing file")
        #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent("blobs/\(FakeHub.sha256(blob)).incomplete").path))
        #expect(finished.items.map(\.file).sorted() == ["data.blob", "manifest.json"])
        #expect(finished.items.first { $0.file == "data.blob" }?.completedBytes == Int64(blob.count))

        // The token went to the endpoint; unsupported and other files were never fetched.
        let requests = fixture.server.requests
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer hf_secret" })
        #expect(!requests.contains { $0.path.contains(".pickle") || $0.path.contains("other") || $0.path.contains("index") })
        #expect(fixture.gets.sorted() == ["/lfs-store/\(FakeHub.sha256(blob))", "/o/n/resolve/main/manifest.json"])

        // Again, online and offline: everything comes from the cache, with zero requests.
        let before = fixture.server.requests.count
        #expect(try client.modelDirectory(for: id, plan: testPlan) == snapshot)
        let offline = fixture.client(offline: true)
        #expect(try offline.modelDirectory(for: try HubRepositoryID(parsing: "o/n@\(commitA)"), plan: testPlan) == snapshot)
        #expect(fixture.server.requests.count == before)
    }

    @Test func followsRedirectsOfEveryKindAndKeepsTheTokenOnTheHub() throws {
        for style in [FakeHub.RedirectStyle.absoluteSameHost, .otherHost] {
            let fixture = try HubFixture(["o/n": simpleRepository()])
            defer { fixture.finish() }
            fixture.hub.redirectStyle = style
            let snapshot = try fixture.resolve("o/n", token: "tok")
            try expectCachedFile(snapshot, "data.blob", equals: blob, etag: FakeHub.sha256(blob))
            let storage = fixture.server.requests.filter { $0.path.hasPrefix("/lfs-store/") }
            #expect(!storage.isEmpty)
            if style == .otherHost {
                #expect(storage.allSatisfy { $0.headers["authorization"] == nil && $0.headers["host"]?.hasPrefix("localhost") == true })
                #expect(storage.allSatisfy { $0.method == "GET" }, "HEAD stops at a redirect to another host")
            } else {
                #expect(storage.allSatisfy { $0.headers["authorization"] == "Bearer tok" })
            }
        }
    }

    @Test func reportsMissingUnauthorizedAndForbiddenRepositories() throws {
        var privateRepository = simpleRepository()
        privateRepository.token = "right"
        var gated = simpleRepository()
        gated.gated = true
        var empty = simpleRepository()
        empty.files["data.blob"] = nil
        let fixture = try HubFixture(["team/private": privateRepository, "team/gated": gated, "team/open": simpleRepository(),
                                      "team/empty": empty])
        defer { fixture.finish() }
        #expect(throws: ModelHubError.notFound(repository: "team/absent", revision: "main", file: "the repository")) {
            try fixture.resolve("team/absent")
        }
        #expect(throws: ModelHubError.notFound(repository: "team/open", revision: "v9", file: "the revision")) {
            try fixture.resolve("team/open@v9")
        }
        #expect(throws: ModelHubError.unauthorized(repository: "team/private", file: "manifest.json", tokenSent: false)) {
            try fixture.resolve("team/private")
        }
        #expect(throws: ModelHubError.unauthorized(repository: "team/private", file: "manifest.json", tokenSent: true)) {
            try fixture.resolve("team/private", token: "wrong")
        }
        _ = try fixture.resolve("team/private", token: "right")
        #expect(throws: ModelHubError.forbidden(repository: "team/gated", file: "manifest.json", tokenSent: true)) {
            try fixture.resolve("team/gated", token: "right")
        }
        // A single missing file is nil, not an error; a required one missing is named.
        #expect(try fixture.client().file("pairs.txt", in: try HubRepositoryID(parsing: "team/open")) == nil)
        #expect(throws: ModelHubError.noCheckpoint(repository: "team/empty", reason: testPlan.noCheckpointReason)) {
            try fixture.resolve("team/empty")
        }
        let message = "\(ModelHubError.unauthorized(repository: "team/private", file: "manifest.json", tokenSent: false))"
        #expect(message.contains("HF_TOKEN") && message.contains("401"))
    }

    @Test func resumesADroppedConnectionWithARange() throws {
        let fixture = try HubFixture(["o/n": simpleRepository()])
        defer { fixture.finish() }
        let digest = FakeHub.sha256(blob)
        fixture.hub.dropNextDownload(of: "data.blob", after: 100_000)
        fixture.hub.dropNextDownload(of: "manifest.json", after: 10)
        let snapshot = try fixture.resolve("o/n")
        try expectCachedFile(snapshot, "data.blob", equals: blob, etag: digest)
        try expectCachedFile(snapshot, "manifest.json", equals: manifest, etag: FakeHub.gitStyleETag(manifest))
        let gets = fixture.server.requests.filter { $0.method == "GET" && $0.path == "/lfs-store/\(digest)" }
        #expect(gets.map { $0.headers["range"] } == [nil, "bytes=100000-"])
        let manifestGets = fixture.server.requests.filter { $0.method == "GET" && $0.path.hasSuffix("manifest.json") }
        #expect(manifestGets.map { $0.headers["range"] } == [nil, "bytes=10-"])
    }

    @Test func aFileOfUnannouncedSizeIsCappedAndItsPartialFileRemoved() throws {
        // manifest.json (16 bytes) and settings.json (3,000 bytes) are stored without LFS, and
        // this server sends them with no Content-Length: only the cap bounds them.
        let settings = patternData(3000)
        let fixture = try HubFixture(["o/n": simpleRepository(["settings.json": settings])])
        defer { fixture.finish() }
        fixture.hub.announcesSizes = false
        var configuration = hubConfiguration(fixture.cache, fixture.server)
        configuration.maximumUnannouncedFileBytes = 1000
        let id = try HubRepositoryID(parsing: "o/n")
        do {
            _ = try HubClient(configuration: configuration).modelDirectory(for: id, plan: testPlan)
            Issue.record("a 3,000-byte file of unannounced size passed a cap of 1,000")
        } catch {
            guard case let .invalidResponse(url, reason) = error else { Issue.record("\(error)"); return }
            #expect(url.hasSuffix("/settings.json"), "\(url)")
            #expect(reason == "settings.json has no announced size and is longer than the limit of 1000 bytes for such a file (HubConfiguration.maximumUnannouncedFileBytes)")
        }
        let blobs = fixture.cache.appendingPathComponent("models--o--n/blobs")
        let left = try FileManager.default.contentsOfDirectory(atPath: blobs.path)
        #expect(!left.contains { $0.hasSuffix(".incomplete") }, "\(left)")
        // With room for it, the same server's files download whole.
        configuration.maximumUnannouncedFileBytes = 3000
        let snapshot = try HubClient(configuration: configuration).modelDirectory(for: id, plan: testPlan)
        try expectCachedFile(snapshot, "settings.json", equals: settings, etag: FakeHub.gitStyleETag(settings))
        try expectCachedFile(snapshot, "manifest.json", equals: manifest, etag: FakeHub.gitStyleETag(manifest))
    }

    @Test func resumesAPartialFileLeftByAnEarlierRunAndRecoversFromABadOne() throws {
        let digest = FakeHub.sha256(blob)
        for (prefix, honorsRange) in [(blob.prefix(5000), true), (blob.prefix(5000), false),
                                      (Data(repeating: 0xAB, count: 5000), true)] {
            let fixture = try HubFixture(["o/n": simpleRepository()])
            defer { fixture.finish() }
            fixture.hub.honorsRange = honorsRange
            let blobs = fixture.cache.appendingPathComponent("models--o--n/blobs")
            try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
            try prefix.write(to: blobs.appendingPathComponent("\(digest).incomplete"))
            let snapshot = try fixture.resolve("o/n")
            try expectCachedFile(snapshot, "data.blob", equals: blob, etag: digest)
            let gets = fixture.server.requests.filter { $0.method == "GET" && $0.path.hasPrefix("/lfs-store/") }
            #expect(gets.first?.headers["range"] == "bytes=5000-")
            if prefix.first == 0xAB { #expect(gets.map { $0.headers["range"] } == ["bytes=5000-", nil], "restarted once") }
        }
    }

    @Test func rejectsContentThatDoesNotMatchTheETag() throws {
        let fixture = try HubFixture(["o/n": simpleRepository()])
        defer { fixture.finish() }
        fixture.hub.corrupt("data.blob")
        let digest = FakeHub.sha256(blob)
        do {
            _ = try fixture.resolve("o/n")
            Issue.record("a corrupted download was accepted")
        } catch {
            guard case let .checksumMismatch(file, expected, _) = error else { Issue.record("\(error)"); return }
            #expect(file == "data.blob" && expected == digest)
        }
        let blobs = fixture.cache.appendingPathComponent("models--o--n/blobs")
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent(digest).path))
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent("\(digest).incomplete").path))
    }

    @Test func respectsOfflineModeAndUsesAPopulatedCacheWithoutRequests() throws {
        let fixture = try HubFixture(["o/n": simpleRepository()])
        defer { fixture.finish() }
        let id = try HubRepositoryID(parsing: "o/n")

        // Offline with an empty cache: a clear error naming the plan's first file, no request.
        let offline = fixture.client(offline: true)
        #expect(throws: ModelHubError.offline(repository: "o/n@main", file: "manifest.json")) {
            try offline.modelDirectory(for: id, plan: testPlan)
        }
        #expect(throws: ModelHubError.offline(repository: "o/n@main", file: "words.txt")) {
            try offline.file("words.txt", in: id)
        }
        #expect(fixture.server.requests.isEmpty)

        // A cache laid out by hand as huggingface_hub does, with some optional files present.
        let repo = fixture.cache.appendingPathComponent("models--o--n")
        let snapshot = try writeCache(repo, files: ["manifest.json": manifest, "data.blob": blob, "settings.json": Data("{}".utf8)],
                                      knownMissing: ["words.txt", "pairs.txt"])
        // combined.json is neither cached nor known missing: offline it is skipped, online it is asked for.
        #expect(try offline.modelDirectory(for: id, plan: testPlan).path == snapshot.path)
        #expect(fixture.server.requests.isEmpty)
        let markerURL = repo.appendingPathComponent(".no_exist/\(commitA)/combined.json")
        try Data().write(to: markerURL)
        #expect(try fixture.client().modelDirectory(for: id, plan: testPlan).path == snapshot.path)
        #expect(fixture.server.requests.isEmpty, "a complete cache is used without touching the network")

        // Online, a file the cache knows nothing about is fetched (pinned to the cached commit).
        try FileManager.default.removeItem(at: markerURL)
        #expect(try fixture.client().modelDirectory(for: id, plan: testPlan).path == snapshot.path)
        #expect(fixture.server.requests.map(\.path) == ["/o/n/resolve/\(commitA)/combined.json"])
        #expect(FileManager.default.fileExists(atPath: markerURL.path))

        // A cached snapshot missing a required file is completed from the network.
        try FileManager.default.removeItem(at: snapshot.appendingPathComponent("data.blob"))
        #expect(throws: ModelHubError.offline(repository: "o/n@main", file: "data.blob")) {
            try offline.modelDirectory(for: id, plan: testPlan)
        }
        #expect(try fixture.client().modelDirectory(for: id, plan: testPlan).path == snapshot.path)
        try expectCachedFile(snapshot, "data.blob", equals: blob, etag: FakeHub.sha256(blob))
    }

    @Test func handlesMirrorsWithoutCommitHeadersAndNetworkFailures() throws {
        let fixture = try HubFixture(["o/n": simpleRepository()])
        defer { fixture.finish() }
        fixture.hub.sendsCommitHeader = false
        do {
            _ = try fixture.resolve("o/n")
            Issue.record("a branch without X-Repo-Commit was accepted")
        } catch {
            #expect("\(error)".contains("X-Repo-Commit"))
        }
        let snapshot = try fixture.resolve("o/n@\(commitA)")
        #expect(snapshot.lastPathComponent == commitA)
        try expectCachedFile(snapshot, "data.blob", equals: blob, etag: FakeHub.sha256(blob))
        let endpoint = fixture.server.endpoint
        fixture.server.stop()

        // Nothing listens any more: a network error naming the URL.
        let emptyCache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: emptyCache) }
        let closed = HubConfiguration(cacheDirectory: emptyCache, endpoint: endpoint, timeout: 5, resumeAttempts: 1)
        do {
            _ = try HubClient(configuration: closed).modelDirectory(for: try HubRepositoryID(parsing: "o/n"), plan: testPlan)
            Issue.record("no error without a server")
        } catch {
            guard case let .network(url, _) = error else { Issue.record("\(error)"); return }
            #expect(url.contains("/o/n/resolve/main/manifest.json"))
        }
    }
}

@Suite("Snapshot plans", .serialized)
struct SnapshotPlanTests {
    /// The files looked up (HEAD on the resolve endpoint) in `repository`, in order.
    func lookUps(_ fixture: HubFixture, _ repository: String) -> [String] {
        fixture.server.requests.filter { $0.method == "HEAD" && $0.path.hasPrefix("/\(repository)/resolve/") }
            .map { String($0.path.dropFirst(repository.count + 10)) }
    }

    @Test func takesTheFirstCompleteAlternativeInOrderPinnedToTheFirstCommit() throws {
        let other = ["other.json": Data("{}".utf8), "other.blob": patternData(1000, seed: 1)]
        var onlyOther = FakeHub.Repository(commit: commitA, files: other, lfsFiles: [])
        let fixture = try HubFixture(["both/layouts": simpleRepository(other), "only/other": onlyOther])
        defer { fixture.finish() }
        let optional = ["words.txt", "combined.json", "settings.json"].map { "\(commitA)/\($0)" }

        // Both complete: the first alternative wins and the others are never asked for; every file
        // after the first is asked for at the commit the first response named.
        let both = try fixture.resolve("both/layouts")
        #expect(FileManager.default.fileExists(atPath: both.appendingPathComponent("data.blob").path))
        #expect(lookUps(fixture, "both/layouts") == ["main/manifest.json", "\(commitA)/data.blob"] + optional)

        // Only the last: the earlier ones are tried in order, each stopping at its first missing
        // file, and a file known to be missing is not asked for twice.
        let last = try fixture.resolve("only/other")
        #expect(try Data(contentsOf: last.appendingPathComponent("other.blob")) == other["other.blob"])
        #expect(lookUps(fixture, "only/other")
            == ["main/manifest.json", "\(commitA)/other.json", "\(commitA)/other.blob"] + optional)

        // A commit hash as the revision: every request names it from the first on.
        fixture.hub.add("pinned/copy", simpleRepository(other))
        _ = try fixture.resolve("pinned/copy@\(commitA)")
        #expect(lookUps(fixture, "pinned/copy") == ["\(commitA)/manifest.json", "\(commitA)/data.blob"] + optional)

        onlyOther.files["other.blob"] = nil
        fixture.hub.add("half/other", onlyOther)
        #expect(throws: ModelHubError.noCheckpoint(repository: "half/other", reason: testPlan.noCheckpointReason)) {
            try fixture.resolve("half/other")
        }
    }

    @Test func expandsAnIndexIntoRequiredFilesAndValidatesIt() throws {
        let parts = ["data-1.part": patternData(2000, seed: 3), "data-2.part": patternData(3000, seed: 5)]
        func sharded(_ index: String, dropping: String? = nil) -> FakeHub.Repository {
            var files = parts.merging(["manifest.json": manifest, "data.index.json": Data(index.utf8)]) { $1 }
            if let dropping { files[dropping] = nil }
            return FakeHub.Repository(commit: commitA, files: files, lfsFiles: Set(parts.keys))
        }
        let valid = #"{"metadata": {}, "weight_map": {"z": "data-2.part", "a": "data-1.part", "b": "data-2.part"}}"#
        let fixture = try HubFixture([
            "o/sharded": sharded(valid),
            "o/partial": sharded(valid, dropping: "data-2.part"),
            "o/escaping": sharded(#"{"weight_map": {"w": "../../escape.part"}}"#),
            "o/suffix": sharded(#"{"weight_map": {"w": "data-1.blob"}}"#),
            "o/number": sharded(#"{"weight_map": {"w": 3}}"#),
            "o/empty": sharded(#"{"weight_map": {}}"#),
            "o/nomap": sharded(#"{"metadata": {}}"#),
            "o/notjson": sharded("weights"),
        ])
        defer { fixture.finish() }

        let snapshot = try fixture.resolve("o/sharded")
        for (name, data) in parts {
            try expectCachedFile(snapshot, name, equals: data, etag: FakeHub.sha256(data))
        }
        #expect(Array(lookUps(fixture, "o/sharded").prefix(5)) == ["main/manifest.json"]
            + ["data.blob", "data.index.json", "data-1.part", "data-2.part"].map { "\(commitA)/\($0)" },
                "the listed files are distinct and sorted")

        #expect(throws: ModelHubError.notFound(repository: "o/partial", revision: "main", file: "data-2.part")) {
            try fixture.resolve("o/partial")
        }
        for (repository, expected) in [("o/escaping", "escape.part"), ("o/suffix", "not a relative .part path"),
                                        ("o/number", "3"), ("o/empty", "weight_map is empty"),
                                        ("o/nomap", "has no \"weight_map\" object"), ("o/notjson", "has no \"weight_map\" object")] {
            do {
                _ = try fixture.resolve(repository)
                Issue.record("\(repository): an unusable index was accepted")
            } catch {
                guard case let .invalidRepositoryFile(name, file, reason) = error else { Issue.record("\(error)"); continue }
                #expect(name == repository && file == "data.index.json" && reason.contains(expected), "\(reason)")
            }
        }
        #expect(!fixture.server.requests.contains { $0.path.contains("escape") || $0.path.contains("data-1.blob") })
    }

    @Test func fetchesTheFirstCompleteGroupOfEachOptionalChoice() throws {
        let words = Data("a b".utf8), pairs = Data("a b\n".utf8), combined = Data("{}".utf8)
        let fixture = try HubFixture([
            "o/pair": simpleRepository(["words.txt": words, "pairs.txt": pairs, "combined.json": combined,
                                        "settings.json": Data("{}".utf8)]),
            "o/half": simpleRepository(["words.txt": words, "combined.json": combined]),
        ])
        defer { fixture.finish() }

        let pair = try fixture.resolve("o/pair")
        for name in ["words.txt", "pairs.txt", "settings.json"] {
            #expect(FileManager.default.fileExists(atPath: pair.appendingPathComponent(name).path), "\(name)")
        }
        #expect(!lookUps(fixture, "o/pair").contains { $0.hasSuffix("combined.json") }, "the first complete group wins")

        // The pair is incomplete: the next group is fetched; what is missing is recorded, no error.
        let half = try fixture.resolve("o/half")
        #expect(lookUps(fixture, "o/half").suffix(4)
            == ["words.txt", "pairs.txt", "combined.json", "settings.json"].map { "\(commitA)/\($0)" })
        #expect(try Data(contentsOf: half.appendingPathComponent("combined.json")) == combined)
        let noExist = fixture.cache.appendingPathComponent("models--o--half/.no_exist/\(commitA)")
        #expect(FileManager.default.fileExists(atPath: noExist.appendingPathComponent("pairs.txt").path))
        #expect(FileManager.default.fileExists(atPath: noExist.appendingPathComponent("settings.json").path))
    }

    @Test func namesTheNeededFileWhenOnlyUnsupportedFilesExist() throws {
        let pickle = Data(repeating: 7, count: 4096)
        let fixture = try HubFixture([
            "o/old": FakeHub.Repository(commit: commitA, files: ["manifest.json": manifest, "data.pickle": pickle],
                                        lfsFiles: ["data.pickle"]),
            "o/both": FakeHub.Repository(commit: commitA, files: ["other.pickle": pickle, "data.pickle": pickle],
                                         lfsFiles: ["data.pickle", "other.pickle"]),
            "o/other": FakeHub.Repository(commit: commitA, files: ["other.pickle": pickle], lfsFiles: ["other.pickle"]),
        ])
        defer { fixture.finish() }
        #expect(throws: ModelHubError.onlyPickleWeights(repository: "o/old", found: ["data.pickle"], needed: "data.blob")) {
            try fixture.resolve("o/old")
        }
        #expect(throws: ModelHubError.onlyPickleWeights(repository: "o/both", found: ["data.pickle", "other.pickle"], needed: "data.blob")) {
            try fixture.resolve("o/both")
        }
        #expect(throws: ModelHubError.onlyPickleWeights(repository: "o/other", found: ["other.pickle"], needed: "other.blob")) {
            try fixture.resolve("o/other")
        }
        #expect(fixture.server.requests.filter { $0.path.contains(".pickle") }.allSatisfy { $0.method == "HEAD" })
        #expect(!fixture.server.requests.contains { $0.method == "GET" && $0.path.hasPrefix("/lfs-store/") })
    }

    @Test func refusesPlanFileNamesOutsideTheRepository() throws {
        let fixture = try HubFixture(["o/n": simpleRepository()])
        defer { fixture.finish() }
        for bad in ["../escape", "/etc/passwd", "a//b", ""] {
            let plan = SnapshotPlan(alternatives: [[.file("manifest.json")]], optionalFiles: [.init(bad)],
                                    noCheckpointReason: "none")
            #expect(throws: ModelHubError.invalidRepositoryFile(
                repository: "o/n", file: bad, reason: "not a relative path inside the repository")) {
                try fixture.resolve("o/n", plan: plan)
            }
        }
        #expect(fixture.server.requests.isEmpty)
    }
}

@Suite("Faults: a full disk under the cache", .serialized,
       .enabled(if: SmallFileSystem.isAvailable("modelhub"), "needs the small filesystems of Scripts/mount-small-filesystems.sh"))
struct HubDiskFullTests {
    /// A download that does not fit stops with an error naming the partial file and the system's
    /// reason, and leaves the cached revision as it was (still resolvable offline); with space
    /// again, the next resolve continues the partial file and finishes.
    @Test func aFullDiskStopsTheDownloadAndKeepsTheCachedRevision() throws {
        let disk = try #require(SmallFileSystem(named: "modelhub"))
        try disk.clear()
        defer { try? disk.clear() }
        let hub = FakeHub()
        hub.add("o/n", simpleRepository())
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = disk.folder.appendingPathComponent("hub")
        let client = HubClient(configuration: hubConfiguration(cache, server))
        let id = try HubRepositoryID(parsing: "o/n")
        let old = try client.modelDirectory(for: id, plan: testPlan)

        let commitB = "fedcba9876543210fedcba9876543210fedcba98"
        let bigBlob = patternData(3_000_000, seed: 9)
        hub.add("o/n", FakeHub.Repository(commit: commitB, files: ["manifest.json": manifest, "data.blob": bigBlob],
                                          lfsFiles: ["data.blob"]))
        try disk.fill(leaving: 256 * 1024)
        let partial = cache.appendingPathComponent("models--o--n/blobs/\(FakeHub.sha256(bigBlob)).incomplete")
        // (A complete snapshot of `main` is used without asking the Hub again, so ask for the new commit.)
        let newID = try HubRepositoryID(parsing: "o/n@\(commitB)")
        #expect { try client.modelDirectory(for: newID, plan: testPlan) } throws: { error in
            guard case let ModelHubError.fileSystem(path, message) = error else { return false }
            return path == partial.path && message.contains("No space left on device")
        }
        try expectCachedFile(old, "data.blob", equals: blob, etag: FakeHub.sha256(blob))
        let offline = HubClient(configuration: hubConfiguration(cache, server, offline: true))
        #expect(try offline.modelDirectory(for: try HubRepositoryID(parsing: "o/n@\(commitA)"), plan: testPlan) == old)

        try disk.unfill()
        let new = try client.modelDirectory(for: newID, plan: testPlan)
        try expectCachedFile(new, "data.blob", equals: bigBlob, etag: FakeHub.sha256(bigBlob))
        let ranges = server.requests.filter { $0.method == "GET" && $0.path == "/lfs-store/\(FakeHub.sha256(bigBlob))" }
            .map { $0.headers["range"] }
        #expect(ranges.count == 2 && ranges[0] == nil && ranges[1]?.hasPrefix("bytes=") == true, "continued: \(ranges)")
    }
}
