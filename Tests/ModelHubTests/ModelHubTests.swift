import CLIP
import Foundation
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
        #expect(defaults.resolveURL(for: id, revision: id.revision, file: "sub dir/config.json")?.absoluteString
            == "https://huggingface.co/o/n/resolve/refs%2Fpr%2F1/sub%20dir/config.json")
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

@Suite("Hugging Face cache and downloads", .serialized)
struct HubDownloadTests {
    func tinyRepository(lfs: Set<String> = ["model.safetensors"]) throws -> FakeHub.Repository {
        FakeHub.Repository(commit: commitA, files: try filesOf(tinyVocabModel), lfsFiles: lfs)
    }

    func configuration(_ cache: URL, _ server: TestHTTPServer, token: String? = nil, offline: Bool = false) -> HubConfiguration {
        HubConfiguration(cacheDirectory: cache, endpoint: server.endpoint, isOffline: offline, token: token, timeout: 20)
    }

    /// Checks that `snapshot/<file>` is a relative link to `../../blobs/<etag>` holding `data`.
    func expectCachedFile(_ snapshot: URL, _ file: String, equals data: Data, etag: String,
                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = snapshot.appendingPathComponent(file).path
        let destination = try FileManager.default.destinationOfSymbolicLink(atPath: path)
        #expect(destination == "../../blobs/\(etag)", sourceLocation: sourceLocation)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == data, "\(file) is byte-identical", sourceLocation: sourceLocation)
    }

    @Test func downloadsIntoTheHuggingFaceLayoutThenResolvesOffline() throws {
        let hub = FakeHub()
        let files = try filesOf(tinyVocabModel)
        hub.add("tiny/clip", try tinyRepository())
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }

        let finished = LockedList<HubDownloadProgress>()
        let client = HubClient(configuration: configuration(cache, server, token: "hf_secret"))
        let snapshot = try client.modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip")) { progress in
            if progress.isFinished { finished.append(progress) }
        }
        let repo = cache.appendingPathComponent("models--tiny--clip")
        #expect(snapshot.standardizedFileURL == repo.appendingPathComponent("snapshots/\(commitA)").standardizedFileURL)
        #expect(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) == commitA)
        let weights = files["model.safetensors"]!
        try expectCachedFile(snapshot, "model.safetensors", equals: weights, etag: FakeHub.sha256(weights))
        try expectCachedFile(snapshot, "config.json", equals: files["config.json"]!, etag: FakeHub.gitStyleETag(files["config.json"]!))
        for missing in ["vocab.json", "tokenizer.json", "preprocessor_config.json"] {
            #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent(".no_exist/\(commitA)/\(missing)").path), "\(missing)")
        }
        #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent("blobs/\(FakeHub.sha256(weights)).incomplete").path))
        #expect(finished.items.map(\.file).sorted() == ["config.json", "model.safetensors"])
        #expect(finished.items.first { $0.file == "model.safetensors" }?.completedBytes == Int64(weights.count))

        // The token went to the endpoint; pickles and other files were never fetched.
        let requests = server.requests
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer hf_secret" })
        #expect(!requests.contains { $0.path.contains(".bin") || $0.path.contains(".pt") })
        #expect(requests.filter { $0.method == "GET" }.map(\.path).sorted()
            == ["/lfs-store/\(FakeHub.sha256(weights))", "/tiny/clip/resolve/main/config.json"])

        // The downloaded snapshot loads.
        let model = try CLIPModel(contentsOf: snapshot)
        #expect(model.architecture.embeddingDimension > 0)

        // Again, online and offline: everything comes from the cache, with zero requests.
        let before = server.requests.count
        #expect(try client.modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip")) == snapshot)
        let offline = HubClient(configuration: configuration(cache, server, offline: true))
        #expect(try offline.modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip@\(commitA)")) == snapshot)
        _ = try CLIPModel(named: "tiny/clip", hub: configuration(cache, server))
        #expect(server.requests.count == before)
    }

    @Test func followsRedirectsOfEveryKindAndKeepsTheTokenOnTheHub() throws {
        for style in [FakeHub.RedirectStyle.absoluteSameHost, .otherHost] {
            let hub = FakeHub()
            hub.redirectStyle = style
            hub.add("tiny/clip", try tinyRepository())
            let server = try startServer(for: hub)
            defer { server.stop() }
            let cache = try temporaryCache()
            defer { try? FileManager.default.removeItem(at: cache) }
            let snapshot = try HubClient(configuration: configuration(cache, server, token: "tok"))
                .modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
            let weights = try Data(contentsOf: tinyVocabModel.appendingPathComponent("model.safetensors"))
            try expectCachedFile(snapshot, "model.safetensors", equals: weights, etag: FakeHub.sha256(weights))
            let storage = server.requests.filter { $0.path.hasPrefix("/lfs-store/") }
            #expect(!storage.isEmpty)
            if style == .otherHost {
                #expect(storage.allSatisfy { $0.headers["authorization"] == nil && $0.headers["host"]?.hasPrefix("localhost") == true })
                #expect(storage.allSatisfy { $0.method == "GET" }, "HEAD stops at a redirect to another host")
            } else {
                #expect(storage.allSatisfy { $0.headers["authorization"] == "Bearer tok" })
            }
        }
    }

    @Test func downloadsShardedAndOpenCLIPCheckpoints() throws {
        let hub = FakeHub()
        let sharded = modelFixtures.appendingPathComponent("hf-gelu-sharded")
        let shardedFiles = try filesOf(sharded)
        hub.add("org/sharded", FakeHub.Repository(
            commit: commitA, files: shardedFiles, lfsFiles: Set(shardedFiles.keys.filter { $0.hasSuffix(".safetensors") })))
        let openCLIP = try filesOf(modelFixtures.appendingPathComponent("openclip-gelu"))
        var openCLIPWithPickle = openCLIP
        openCLIPWithPickle["open_clip_pytorch_model.bin"] = Data("pickle".utf8)
        hub.add("org/openclip", FakeHub.Repository(
            commit: commitA, files: openCLIPWithPickle, lfsFiles: ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]))
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(configuration: configuration(cache, server))

        let shardedSnapshot = try client.modelDirectory(for: try HubRepositoryID(parsing: "org/sharded"))
        for (name, data) in shardedFiles {
            #expect(try Data(contentsOf: shardedSnapshot.appendingPathComponent(name)) == data, "\(name)")
        }
        let reference = try CLIPModel(contentsOf: sharded)
        let loaded = try CLIPModel(contentsOf: shardedSnapshot)
        #expect(loaded.fingerprint == reference.fingerprint)

        let openCLIPSnapshot = try client.modelDirectory(for: try HubRepositoryID(parsing: "org/openclip"))
        for (name, data) in openCLIP {
            #expect(try Data(contentsOf: openCLIPSnapshot.appendingPathComponent(name)) == data, "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: openCLIPSnapshot.appendingPathComponent("open_clip_pytorch_model.bin").path))
        #expect(try CLIPModel(contentsOf: openCLIPSnapshot).layout == .openCLIP)
        #expect(!server.requests.contains { $0.path.hasSuffix(".bin") })
    }

    @Test func namesAMissingShardAndRefusesPathsOutsideTheRepository() throws {
        let hub = FakeHub()
        var files = try filesOf(modelFixtures.appendingPathComponent("hf-gelu-sharded"))
        files["model-00002-of-00002.safetensors"] = nil
        hub.add("org/partial", FakeHub.Repository(commit: commitA, files: files, lfsFiles: []))
        var escaping = files
        escaping["model.safetensors.index.json"] = Data(#"{"metadata": {}, "weight_map": {"w": "../../escape.safetensors"}}"#.utf8)
        hub.add("org/escaping", FakeHub.Repository(commit: commitA, files: escaping, lfsFiles: []))
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(configuration: configuration(cache, server))
        #expect(throws: ModelHubError.notFound(repository: "org/partial", revision: "main", file: "model-00002-of-00002.safetensors")) {
            try client.modelDirectory(for: try HubRepositoryID(parsing: "org/partial"))
        }
        do {
            _ = try client.modelDirectory(for: try HubRepositoryID(parsing: "org/escaping"))
            Issue.record("an index naming ../ paths was accepted")
        } catch {
            guard case let .invalidRepositoryFile(_, file, reason) = error else { Issue.record("\(error)"); return }
            #expect(file == "model.safetensors.index.json" && reason.contains("escape.safetensors"))
        }
        #expect(!server.requests.contains { $0.path.contains("escape") })
    }

    @Test func refusesPickleOnlyCheckpointsNamingTheSafetensorsFile() throws {
        let hub = FakeHub()
        hub.add("old/clip", FakeHub.Repository(
            commit: commitA, files: ["config.json": try Data(contentsOf: tinyVocabModel.appendingPathComponent("config.json")),
                                     "pytorch_model.bin": Data(repeating: 7, count: 4096)],
            lfsFiles: ["pytorch_model.bin"]))
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        #expect(throws: ModelHubError.onlyPickleWeights(repository: "old/clip", found: ["pytorch_model.bin"], needed: "model.safetensors")) {
            try HubClient(configuration: configuration(cache, server)).modelDirectory(for: try HubRepositoryID(parsing: "old/clip"))
        }
        #expect(server.requests.filter { $0.path.contains("pytorch_model.bin") }.allSatisfy { $0.method == "HEAD" })
        #expect(!server.requests.contains { $0.method == "GET" && $0.path.hasPrefix("/lfs-store/") })
    }

    @Test func reportsMissingUnauthorizedAndForbiddenRepositories() throws {
        let hub = FakeHub()
        var privateRepository = try tinyRepository()
        privateRepository.token = "right"
        hub.add("team/private", privateRepository)
        var gated = try tinyRepository()
        gated.gated = true
        hub.add("team/gated", gated)
        hub.add("team/open", try tinyRepository())
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        func resolve(_ name: String, token: String? = nil) throws {
            _ = try HubClient(configuration: configuration(cache, server, token: token)).modelDirectory(for: try HubRepositoryID(parsing: name))
        }
        #expect(throws: ModelHubError.notFound(repository: "team/absent", revision: "main", file: "the repository")) { try resolve("team/absent") }
        #expect(throws: ModelHubError.notFound(repository: "team/open", revision: "v9", file: "the revision")) { try resolve("team/open@v9") }
        #expect(throws: ModelHubError.unauthorized(repository: "team/private", file: "config.json", tokenSent: false)) { try resolve("team/private") }
        #expect(throws: ModelHubError.unauthorized(repository: "team/private", file: "config.json", tokenSent: true)) {
            try resolve("team/private", token: "wrong")
        }
        try resolve("team/private", token: "right")
        #expect(throws: ModelHubError.forbidden(repository: "team/gated", file: "config.json", tokenSent: true)) {
            try resolve("team/gated", token: "right")
        }
        // A single missing file is nil, not an error; a required one missing is named.
        let id = try HubRepositoryID(parsing: "team/open")
        #expect(try HubClient(configuration: configuration(cache, server)).file("merges.txt", in: id) == nil)
        var noWeights = try tinyRepository()
        noWeights.files["model.safetensors"] = nil
        hub.add("team/empty", noWeights)
        #expect(throws: ModelHubError.noCheckpoint(
            repository: "team/empty",
            reason: "expected config.json + model.safetensors (or model.safetensors.index.json and its shards), "
                + "or open_clip_config.json + open_clip_model.safetensors")) { try resolve("team/empty") }
        let message = "\(ModelHubError.unauthorized(repository: "team/private", file: "config.json", tokenSent: false))"
        #expect(message.contains("HF_TOKEN") && message.contains("401"))
    }

    @Test func resumesADroppedConnectionWithARange() throws {
        let hub = FakeHub()
        hub.add("tiny/clip", try tinyRepository())
        let weights = try Data(contentsOf: tinyVocabModel.appendingPathComponent("model.safetensors"))
        let digest = FakeHub.sha256(weights)
        hub.dropNextDownload(of: "model.safetensors", after: 100_000)
        hub.dropNextDownload(of: "config.json", after: 10)
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let snapshot = try HubClient(configuration: configuration(cache, server)).modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
        try expectCachedFile(snapshot, "model.safetensors", equals: weights, etag: digest)
        let gets = server.requests.filter { $0.method == "GET" && $0.path == "/lfs-store/\(digest)" }
        #expect(gets.map { $0.headers["range"] } == [nil, "bytes=100000-"])
        let configGets = server.requests.filter { $0.method == "GET" && $0.path.hasSuffix("config.json") }
        #expect(configGets.map { $0.headers["range"] } == [nil, "bytes=10-"])
        _ = try CLIPModel(contentsOf: snapshot)
    }

    @Test func resumesAPartialFileLeftByAnEarlierRunAndRecoversFromABadOne() throws {
        let weights = try Data(contentsOf: tinyVocabModel.appendingPathComponent("model.safetensors"))
        let digest = FakeHub.sha256(weights)
        for (prefix, honorsRange) in [(weights.prefix(5000), true), (weights.prefix(5000), false),
                                      (Data(repeating: 0xAB, count: 5000), true)] {
            let hub = FakeHub()
            hub.honorsRange = honorsRange
            hub.add("tiny/clip", try tinyRepository())
            let server = try startServer(for: hub)
            defer { server.stop() }
            let cache = try temporaryCache()
            defer { try? FileManager.default.removeItem(at: cache) }
            let blobs = cache.appendingPathComponent("models--tiny--clip/blobs")
            try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
            try prefix.write(to: blobs.appendingPathComponent("\(digest).incomplete"))
            let snapshot = try HubClient(configuration: configuration(cache, server)).modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
            try expectCachedFile(snapshot, "model.safetensors", equals: weights, etag: digest)
            let gets = server.requests.filter { $0.method == "GET" && $0.path.hasPrefix("/lfs-store/") }
            #expect(gets.first?.headers["range"] == "bytes=5000-")
            if prefix.first == 0xAB { #expect(gets.map { $0.headers["range"] } == ["bytes=5000-", nil], "restarted once") }
        }
    }

    @Test func rejectsContentThatDoesNotMatchTheETag() throws {
        let hub = FakeHub()
        hub.add("tiny/clip", try tinyRepository())
        hub.corrupt("model.safetensors")
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let weights = try Data(contentsOf: tinyVocabModel.appendingPathComponent("model.safetensors"))
        let digest = FakeHub.sha256(weights)
        do {
            _ = try HubClient(configuration: configuration(cache, server)).modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
            Issue.record("a corrupted download was accepted")
        } catch {
            guard case let .checksumMismatch(file, expected, _) = error else { Issue.record("\(error)"); return }
            #expect(file == "model.safetensors" && expected == digest)
        }
        let blobs = cache.appendingPathComponent("models--tiny--clip/blobs")
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent(digest).path))
        #expect(!FileManager.default.fileExists(atPath: blobs.appendingPathComponent("\(digest).incomplete").path))
    }

    @Test func respectsOfflineModeAndUsesAPopulatedCacheWithoutRequests() throws {
        let hub = FakeHub()
        hub.add("tiny/clip", try tinyRepository())
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let id = try HubRepositoryID(parsing: "tiny/clip")

        // Offline with an empty cache: a clear error, no request.
        var offline = configuration(cache, server, offline: true)
        #expect(throws: ModelHubError.offline(repository: "tiny/clip@main", file: "config.json")) {
            try HubClient(configuration: offline).modelDirectory(for: id)
        }
        #expect(throws: ModelHubError.offline(repository: "tiny/clip@main", file: "vocab.json")) {
            try HubClient(configuration: offline).file("vocab.json", in: id)
        }
        #expect(server.requests.isEmpty)

        // A cache laid out by hand as huggingface_hub does, with all the optional files present.
        let repo = cache.appendingPathComponent("models--tiny--clip")
        let snapshot = repo.appendingPathComponent("snapshots/\(commitA)")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data(commitA.utf8).write(to: repo.appendingPathComponent("refs/main"))
        var files = try filesOf(tinyVocabModel)
        files["preprocessor_config.json"] = Data(#"{"crop_size": 32, "size": {"shortest_edge": 32}}"#.utf8)
        files["tokenizer.json"] = nil
        for (name, data) in files {
            let etag = FakeHub.sha256(data)
            try data.write(to: repo.appendingPathComponent("blobs/\(etag)"))
            try FileManager.default.createSymbolicLink(atPath: snapshot.appendingPathComponent(name).path,
                                                       withDestinationPath: "../../blobs/\(etag)")
        }
        for name in ["vocab.json", "merges.txt"] {
            let marker = repo.appendingPathComponent(".no_exist/\(commitA)/\(name)")
            try FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data().write(to: marker)
        }
        // tokenizer.json is neither cached nor known missing: offline it is skipped, online it is asked for.
        #expect(try HubClient(configuration: offline).modelDirectory(for: id).path == snapshot.path)
        #expect(server.requests.isEmpty)
        let markerURL = repo.appendingPathComponent(".no_exist/\(commitA)/tokenizer.json")
        try Data().write(to: markerURL)
        offline.isOffline = false
        #expect(try HubClient(configuration: offline).modelDirectory(for: id).path == snapshot.path)
        #expect(try CLIPModel(named: "tiny/clip", hub: offline).imagePreprocessor.configuration.cropSize?.height == 32)
        #expect(server.requests.isEmpty, "a complete cache is used without touching the network")
        #expect(HubConfiguration.fromEnvironment(["HF_HUB_OFFLINE": "1"]).isOffline)

        // Online, a file the cache knows nothing about is fetched (pinned to the cached commit).
        try FileManager.default.removeItem(at: markerURL)
        #expect(try HubClient(configuration: offline).modelDirectory(for: id).path == snapshot.path)
        #expect(server.requests.map(\.path) == ["/tiny/clip/resolve/\(commitA)/tokenizer.json"])
        #expect(FileManager.default.fileExists(atPath: markerURL.path))
    }

    @Test func handlesMirrorsWithoutCommitHeadersAndNetworkFailures() throws {
        let hub = FakeHub()
        hub.sendsCommitHeader = false
        hub.add("tiny/clip", try tinyRepository())
        let server = try startServer(for: hub)
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        do {
            _ = try HubClient(configuration: configuration(cache, server)).modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
            Issue.record("a branch without X-Repo-Commit was accepted")
        } catch {
            #expect("\(error)".contains("X-Repo-Commit"))
        }
        let snapshot = try HubClient(configuration: configuration(cache, server))
            .modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip@\(commitA)"))
        #expect(snapshot.lastPathComponent == commitA)
        _ = try CLIPModel(contentsOf: snapshot)
        let endpoint = server.endpoint
        server.stop()

        // Nothing listens any more: a network error naming the URL.
        let emptyCache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: emptyCache) }
        let closed = HubConfiguration(cacheDirectory: emptyCache, endpoint: endpoint, timeout: 5, resumeAttempts: 1)
        do {
            _ = try HubClient(configuration: closed).modelDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
            Issue.record("no error without a server")
        } catch {
            guard case let .network(url, _) = error else { Issue.record("\(error)"); return }
            #expect(url.contains("/tiny/clip/resolve/main/config.json"))
        }
    }

    @Test func localDirectoriesWinOverHubIDs() throws {
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let offline = HubConfiguration(cacheDirectory: cache, isOffline: true)
        #expect(try CLIPModel.resolveDirectory(named: tinyVocabModel.path, hub: offline).path == tinyVocabModel.path)
        #expect(try CLIPModel.resolveDirectory(named: "/no/such/dir", hub: offline).path == "/no/such/dir")
    }
}

/// A list appended to from progress callbacks.
final class LockedList<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Element] = []
    func append(_ element: Element) {
        lock.lock(); defer { lock.unlock() }
        storage.append(element)
    }
    var items: [Element] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
