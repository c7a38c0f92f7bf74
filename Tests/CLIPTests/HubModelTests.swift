import CLIP
import Foundation
import HubTestSupport
import Testing

/// A 416 KB random model with CLIP's real vocabulary (Hugging Face layout, no tokenizer files).
let tinyVocabModel = testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip")

/// CLIP checkpoints through `CLIPModel.hubSnapshotPlan`, from a fake Hub into a temporary cache.
@Suite("CLIP models from the Hugging Face cache and downloads", .serialized)
struct HubModelTests {
    func tinyRepository(lfs: Set<String> = ["model.safetensors"]) throws -> FakeHub.Repository {
        FakeHub.Repository(commit: commitA, files: try filesOf(tinyVocabModel), lfsFiles: lfs)
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
        let client = HubClient(configuration: hubConfiguration(cache, server, token: "hf_secret"))
        let snapshot = try client.clipDirectory(for: try HubRepositoryID(parsing: "tiny/clip")) { progress in
            if progress.isFinished { finished.append(progress) }
        }
        let repo = cache.appendingPathComponent("models--tiny--clip")
        #expect(snapshot.standardizedFileURL == repo.appendingPathComponent("snapshots/\(commitA)").standardizedFileURL)
        #expect(try String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) == commitA)
        let weights = files["model.safetensors"]!
        try expectCachedFile(snapshot, "model.safetensors", equals: weights, etag: FakeHub.sha256(weights))
        try expectCachedFile(snapshot, "config.json", equals: files["config.json"]!, etag: FakeHub.gitStyleETag(files["config.json"]!))
        for missing in ["vocab.json", "spiece.model", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json"] {
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
        #expect(try client.clipDirectory(for: try HubRepositoryID(parsing: "tiny/clip")) == snapshot)
        let offline = HubClient(configuration: hubConfiguration(cache, server, offline: true))
        #expect(try offline.clipDirectory(for: try HubRepositoryID(parsing: "tiny/clip@\(commitA)")) == snapshot)
        _ = try CLIPModel(named: "tiny/clip", hub: hubConfiguration(cache, server))
        #expect(server.requests.count == before)
    }

    @Test func downloadsShardedAndOpenCLIPCheckpoints() throws {
        let hub = FakeHub()
        let sharded = modelFixture("hf-gelu-sharded")
        let shardedFiles = try filesOf(sharded)
        hub.add("org/sharded", FakeHub.Repository(
            commit: commitA, files: shardedFiles, lfsFiles: Set(shardedFiles.keys.filter { $0.hasSuffix(".safetensors") })))
        let openCLIP = try filesOf(modelFixture("openclip-gelu"))
        var openCLIPWithPickle = openCLIP
        openCLIPWithPickle["open_clip_pytorch_model.bin"] = Data("pickle".utf8)
        hub.add("org/openclip", FakeHub.Repository(
            commit: commitA, files: openCLIPWithPickle, lfsFiles: ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]))
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(configuration: hubConfiguration(cache, server))

        let shardedSnapshot = try client.clipDirectory(for: try HubRepositoryID(parsing: "org/sharded"))
        for (name, data) in shardedFiles {
            #expect(try Data(contentsOf: shardedSnapshot.appendingPathComponent(name)) == data, "\(name)")
        }
        let reference = try CLIPModel(contentsOf: sharded)
        let loaded = try CLIPModel(contentsOf: shardedSnapshot)
        #expect(loaded.fingerprint == reference.fingerprint)

        let openCLIPSnapshot = try client.clipDirectory(for: try HubRepositoryID(parsing: "org/openclip"))
        for (name, data) in openCLIP {
            #expect(try Data(contentsOf: openCLIPSnapshot.appendingPathComponent(name)) == data, "\(name)")
        }
        #expect(!FileManager.default.fileExists(atPath: openCLIPSnapshot.appendingPathComponent("open_clip_pytorch_model.bin").path))
        #expect(try CLIPModel(contentsOf: openCLIPSnapshot).layout == .openCLIP)
        #expect(!server.requests.contains { $0.path.hasSuffix(".bin") })
    }

    @Test("SigLIP repositories: the SentencePiece model or the Gemma tokenizer with its settings, nothing else")
    func downloadsSiglipRepositories() throws {
        let hub = FakeHub()
        let spiece = try filesOf(testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/siglip-spiece"))
        var gemma = try filesOf(testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/siglip2-gemma"))
        // SigLIP 2 repositories also ship Gemma's SentencePiece model; tokenizer.json is what is read.
        gemma["tokenizer.model"] = Data("sentencepiece model".utf8)
        hub.add("google/siglip-tiny", FakeHub.Repository(commit: commitA, files: spiece, lfsFiles: ["model.safetensors"]))
        hub.add("google/siglip2-tiny", FakeHub.Repository(commit: commitA, files: gemma, lfsFiles: ["model.safetensors"]))
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(configuration: hubConfiguration(cache, server))
        for (name, files, tokenizer) in [("google/siglip-tiny", spiece, "spiece.model"),
                                         ("google/siglip2-tiny", gemma, "tokenizer.json")] {
            let snapshot = try client.clipDirectory(for: try HubRepositoryID(parsing: name))
            for file in ["config.json", "model.safetensors", tokenizer, "tokenizer_config.json", "preprocessor_config.json"] {
                #expect(try Data(contentsOf: snapshot.appendingPathComponent(file)) == files[file], "\(name) \(file)")
            }
            #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("tokenizer.model").path))
            #expect(!FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("reference.json").path))
            let model = try CLIPModel(named: name, hub: hubConfiguration(cache, server))
            #expect(model.family == .siglip)
            #expect(try model.tokenizer?.tokenize("This is a photo of cat.").count == 64)
        }
        #expect(!server.requests.contains { $0.path.hasSuffix("tokenizer.model") && $0.method == "GET" })
    }

    @Test func namesAMissingShardAndRefusesPathsOutsideTheRepository() throws {
        let hub = FakeHub()
        var files = try filesOf(modelFixture("hf-gelu-sharded"))
        files["model-00002-of-00002.safetensors"] = nil
        hub.add("org/partial", FakeHub.Repository(commit: commitA, files: files, lfsFiles: []))
        var escaping = files
        escaping["model.safetensors.index.json"] = Data(#"{"metadata": {}, "weight_map": {"w": "../../escape.safetensors"}}"#.utf8)
        hub.add("org/escaping", FakeHub.Repository(commit: commitA, files: escaping, lfsFiles: []))
        let server = try startServer(for: hub)
        defer { server.stop() }
        let cache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache) }
        let client = HubClient(configuration: hubConfiguration(cache, server))
        #expect(throws: ModelHubError.notFound(repository: "org/partial", revision: "main", file: "model-00002-of-00002.safetensors")) {
            try client.clipDirectory(for: try HubRepositoryID(parsing: "org/partial"))
        }
        do {
            _ = try client.clipDirectory(for: try HubRepositoryID(parsing: "org/escaping"))
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
            try HubClient(configuration: hubConfiguration(cache, server)).clipDirectory(for: try HubRepositoryID(parsing: "old/clip"))
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
            _ = try HubClient(configuration: hubConfiguration(cache, server, token: token)).clipDirectory(for: try HubRepositoryID(parsing: name))
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
        #expect(try HubClient(configuration: hubConfiguration(cache, server)).file("merges.txt", in: id) == nil)
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
        let snapshot = try HubClient(configuration: hubConfiguration(cache, server)).clipDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
        try expectCachedFile(snapshot, "model.safetensors", equals: weights, etag: digest)
        let gets = server.requests.filter { $0.method == "GET" && $0.path == "/lfs-store/\(digest)" }
        #expect(gets.map { $0.headers["range"] } == [nil, "bytes=100000-"])
        let configGets = server.requests.filter { $0.method == "GET" && $0.path.hasSuffix("config.json") }
        #expect(configGets.map { $0.headers["range"] } == [nil, "bytes=10-"])
        _ = try CLIPModel(contentsOf: snapshot)
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
        var offline = hubConfiguration(cache, server, offline: true)
        #expect(throws: ModelHubError.offline(repository: "tiny/clip@main", file: "config.json")) {
            try HubClient(configuration: offline).clipDirectory(for: id)
        }
        #expect(throws: ModelHubError.offline(repository: "tiny/clip@main", file: "vocab.json")) {
            try HubClient(configuration: offline).file("vocab.json", in: id)
        }
        #expect(server.requests.isEmpty)

        // A cache laid out by hand as huggingface_hub does, with all the optional files present.
        let repo = cache.appendingPathComponent("models--tiny--clip")
        var files = try filesOf(tinyVocabModel)
        files["preprocessor_config.json"] = Data(#"{"crop_size": 32, "size": {"shortest_edge": 32}}"#.utf8)
        files["tokenizer.json"] = nil
        let snapshot = try writeCache(repo, files: files,
                                      knownMissing: ["vocab.json", "merges.txt", "spiece.model", "tokenizer_config.json"])
        // tokenizer.json is neither cached nor known missing: offline it is skipped, online it is asked for.
        #expect(try HubClient(configuration: offline).clipDirectory(for: id).path == snapshot.path)
        #expect(server.requests.isEmpty)
        let markerURL = repo.appendingPathComponent(".no_exist/\(commitA)/tokenizer.json")
        try Data().write(to: markerURL)
        offline.isOffline = false
        #expect(try HubClient(configuration: offline).clipDirectory(for: id).path == snapshot.path)
        #expect(try CLIPModel(named: "tiny/clip", hub: offline).imagePreprocessor.configuration.cropSize?.height == 32)
        #expect(server.requests.isEmpty, "a complete cache is used without touching the network")
        #expect(HubConfiguration.fromEnvironment(["HF_HUB_OFFLINE": "1"]).isOffline)

        // Online, a file the cache knows nothing about is fetched (pinned to the cached commit).
        try FileManager.default.removeItem(at: markerURL)
        #expect(try HubClient(configuration: offline).clipDirectory(for: id).path == snapshot.path)
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
            _ = try HubClient(configuration: hubConfiguration(cache, server)).clipDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
            Issue.record("a branch without X-Repo-Commit was accepted")
        } catch {
            #expect("\(error)".contains("X-Repo-Commit"))
        }
        let snapshot = try HubClient(configuration: hubConfiguration(cache, server))
            .clipDirectory(for: try HubRepositoryID(parsing: "tiny/clip@\(commitA)"))
        #expect(snapshot.lastPathComponent == commitA)
        _ = try CLIPModel(contentsOf: snapshot)
        let endpoint = server.endpoint
        server.stop()

        // Nothing listens any more: a network error naming the URL.
        let emptyCache = try temporaryCache()
        defer { try? FileManager.default.removeItem(at: emptyCache) }
        let closed = HubConfiguration(cacheDirectory: emptyCache, endpoint: endpoint, timeout: 5, resumeAttempts: 1)
        do {
            _ = try HubClient(configuration: closed).clipDirectory(for: try HubRepositoryID(parsing: "tiny/clip"))
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

extension HubClient {
    /// ``modelDirectory(for:plan:progress:)`` with CLIP's plan.
    func clipDirectory(for id: HubRepositoryID, progress: HubProgressHandler? = nil) throws(ModelHubError) -> URL {
        try modelDirectory(for: id, plan: CLIPModel.hubSnapshotPlan, progress: progress)
    }
}
