import Foundation

/// Finds models in the Hugging Face cache and downloads what is missing, in the layout
/// huggingface_hub uses, so that Python and this library share one cache.
///
/// Resolution is offline first: when the cache already holds a complete checkpoint for the
/// revision (`refs/<revision>` → `snapshots/<commit>/…`), it is used in place and nothing touches
/// the network. Otherwise (unless ``HubConfiguration/isOffline``) only the files a CLIP model
/// needs are downloaded from the endpoint's `/{owner}/{name}/resolve/{revision}/{file}`:
/// configuration, safetensors weights (one file or the shards an index names), tokenizer files and
/// preprocessing settings. Pickled weights (`.bin`, `.pt`) are never downloaded.
public struct HubClient: Sendable {
    /// Cache location, endpoint, offline flag and token.
    public let configuration: HubConfiguration

    /// - Parameter configuration: by default, what huggingface_hub would read from the environment.
    public init(configuration: HubConfiguration = .fromEnvironment()) {
        self.configuration = configuration
    }

    /// The snapshot folder holding a complete CLIP checkpoint for `id` (Hugging Face layout:
    /// `config.json` + `model.safetensors` or index + shards; OpenCLIP layout:
    /// `open_clip_config.json` + `open_clip_model.safetensors`), with the tokenizer files and
    /// `preprocessor_config.json` when the repository has them.
    ///
    /// Files already cached are used in place. Optional files the cache knows nothing about are
    /// fetched when downloads are allowed; failing to fetch them does not fail a cached model
    /// (a missing optional file is recorded as `.no_exist`, so it is asked for only once).
    /// - Parameters:
    ///   - id: the repository and revision.
    ///   - progress: called as files download (on a background thread).
    /// - Throws: `ModelHubError`: `.offline` when a needed file is not cached and downloads are
    ///   forbidden; `.onlyPickleWeights` naming the safetensors file needed; `.notFound`,
    ///   `.unauthorized`, `.forbidden`, `.network` and the integrity errors of a download.
    public func modelDirectory(for id: HubRepositoryID, progress: HubProgressHandler? = nil) throws(ModelHubError) -> URL {
        let cache = HubCacheRepository(id: id, cacheDirectory: configuration.cacheDirectory)
        let cached = CachedSnapshotSource(cache: cache, commit: cache.cachedCommit(for: id.revision))
        if let commit = cached.commit, (try? CLIPCheckpointPlan.provideCheckpoint(from: cached, repository: id)) != nil {
            try CLIPCheckpointPlan.provideOptionalFiles(from: cached)
            if !configuration.isOffline, !cached.unknownFiles.isEmpty {
                let network = NetworkSnapshotSource(
                    fetcher: HubFileFetcher(configuration: configuration, cache: cache, progress: progress),
                    id: id, pinnedCommit: commit)
                network.toleratesFailures = true
                try CLIPCheckpointPlan.provideOptionalFiles(from: network)
            }
            return cache.snapshotFolder(commit: commit)
        }
        if configuration.isOffline {
            let missing = cached.unknownFiles.first ?? CLIPFileNames.configuration
            throw .offline(repository: id.description, file: missing)
        }
        let network = NetworkSnapshotSource(
            fetcher: HubFileFetcher(configuration: configuration, cache: cache, progress: progress),
            id: id, pinnedCommit: id.revisionIsCommitHash ? id.revision : nil)
        try CLIPCheckpointPlan.provideCheckpoint(from: network, repository: id)
        try CLIPCheckpointPlan.provideOptionalFiles(from: network)
        guard let commit = network.pinnedCommit else {
            throw .noCheckpoint(repository: id.repository, reason: "no file could be tied to a commit")
        }
        return cache.snapshotFolder(commit: commit)
    }

    /// One file of `id`: from the cache when present, else downloaded (unless offline).
    /// - Returns: its path in `snapshots/<commit>/`, or nil when the repository has no such file.
    public func file(_ name: String, in id: HubRepositoryID, progress: HubProgressHandler? = nil) throws(ModelHubError) -> URL? {
        guard HubCacheRepository.isSafeRelativePath(name) else {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "not a relative path inside the repository")
        }
        let cache = HubCacheRepository(id: id, cacheDirectory: configuration.cacheDirectory)
        if let commit = cache.cachedCommit(for: id.revision) {
            if let url = cache.cachedFile(name, commit: commit) { return url }
            if cache.isKnownMissing(name, commit: commit) { return nil }
        }
        if configuration.isOffline { throw .offline(repository: id.description, file: name) }
        let fetcher = HubFileFetcher(configuration: configuration, cache: cache, progress: progress)
        return try fetcher.fetch(name, revision: id.revision).url
    }
}

/// The file names of the two checkpoint layouts CLIPModels reads.
enum CLIPFileNames {
    static let configuration = "config.json"
    static let weights = "model.safetensors"
    static let weightIndex = "model.safetensors.index.json"
    static let openCLIPConfiguration = "open_clip_config.json"
    static let openCLIPWeights = "open_clip_model.safetensors"
    static let vocabulary = "vocab.json"
    static let merges = "merges.txt"
    static let tokenizer = "tokenizer.json"
    static let preprocessorConfiguration = "preprocessor_config.json"
    static let pickles = ["pytorch_model.bin", "open_clip_pytorch_model.bin"]
}

/// Where the files of one snapshot come from: the cache alone, or the network into the cache.
protocol SnapshotFileSource: AnyObject {
    /// The snapshot folder once its commit is known.
    var snapshotFolder: URL? { get }
    /// Makes `file` available in the snapshot; false when the repository does not have it (or,
    /// for the cache, when the cache cannot tell).
    func provide(_ file: String) throws(ModelHubError) -> Bool
    /// Whether the repository has `file`, without downloading it.
    func exists(_ file: String) throws(ModelHubError) -> Bool
}

/// Answers from the cache only; remembers the files it could not answer for.
final class CachedSnapshotSource: SnapshotFileSource {
    let cache: HubCacheRepository
    let commit: String?
    private(set) var unknownFiles: [String] = []

    init(cache: HubCacheRepository, commit: String?) {
        self.cache = cache
        self.commit = commit
    }

    var snapshotFolder: URL? { commit.map(cache.snapshotFolder(commit:)) }

    func provide(_ file: String) -> Bool {
        if let commit {
            if cache.cachedFile(file, commit: commit) != nil { return true }
            if cache.isKnownMissing(file, commit: commit) { return false }
        }
        if !unknownFiles.contains(file) { unknownFiles.append(file) }
        return false
    }

    func exists(_ file: String) -> Bool {
        guard let commit else { return false }
        return cache.cachedFile(file, commit: commit) != nil
    }
}

/// Looks files up on the server and downloads them into the cache. The first response's commit
/// pins the revision, so every file comes from the same commit.
final class NetworkSnapshotSource: SnapshotFileSource {
    let fetcher: HubFileFetcher
    let id: HubRepositoryID
    private(set) var pinnedCommit: String?
    /// When true, a failure makes the file count as absent (for optional files of a model
    /// whose checkpoint is already cached).
    var toleratesFailures = false

    init(fetcher: HubFileFetcher, id: HubRepositoryID, pinnedCommit: String?) {
        self.fetcher = fetcher
        self.id = id
        self.pinnedCommit = pinnedCommit
    }

    var snapshotFolder: URL? { pinnedCommit.map(fetcher.cache.snapshotFolder(commit:)) }

    private func pin(_ commit: String?) throws(ModelHubError) {
        guard let commit, pinnedCommit == nil else { return }
        pinnedCommit = commit
        try fetcher.cache.recordReference(id.revision, commit: commit)
    }

    func provide(_ file: String) throws(ModelHubError) -> Bool {
        if let pinnedCommit {
            if fetcher.cache.cachedFile(file, commit: pinnedCommit) != nil { return true }
            if fetcher.cache.isKnownMissing(file, commit: pinnedCommit) { return false }
        }
        do {
            let result = try fetcher.fetch(file, revision: pinnedCommit ?? id.revision)
            try pin(result.commit)
            if result.url == nil, result.commit == nil, let pinnedCommit {
                // The server said 404 without naming a commit: the pinned one is meant.
                try fetcher.cache.recordMissing(file, commit: pinnedCommit)
            }
            return result.url != nil
        } catch {
            guard toleratesFailures else { throw error }
            return false
        }
    }

    func exists(_ file: String) throws(ModelHubError) -> Bool {
        if let pinnedCommit {
            if fetcher.cache.cachedFile(file, commit: pinnedCommit) != nil { return true }
            if fetcher.cache.isKnownMissing(file, commit: pinnedCommit) { return false }
        }
        switch try fetcher.lookUp(file, revision: pinnedCommit ?? id.revision) {
        case let .found(metadata):
            try pin(metadata.commit)
            return true
        case let .missing(commit):
            try pin(commit)
            return false
        }
    }
}

/// Which files a CLIP checkpoint needs, in the order CLIPModels prefers them.
enum CLIPCheckpointPlan {
    /// Provides a complete checkpoint: Hugging Face layout first (as the loader prefers it),
    /// else OpenCLIP.
    static func provideCheckpoint(from source: any SnapshotFileSource, repository id: HubRepositoryID) throws(ModelHubError) {
        if try source.provide(CLIPFileNames.configuration) {
            if try source.provide(CLIPFileNames.weights) { return }
            if try source.provide(CLIPFileNames.weightIndex) {
                for shard in try shardNames(in: source, repository: id) {
                    guard try source.provide(shard) else {
                        throw .notFound(repository: id.repository, revision: id.revision, file: shard)
                    }
                }
                return
            }
        }
        if try source.provide(CLIPFileNames.openCLIPConfiguration), try source.provide(CLIPFileNames.openCLIPWeights) {
            return
        }
        var pickles: [String] = []
        for name in CLIPFileNames.pickles where try source.exists(name) { pickles.append(name) }
        if !pickles.isEmpty {
            let needed = pickles.contains("pytorch_model.bin") ? CLIPFileNames.weights : CLIPFileNames.openCLIPWeights
            throw .onlyPickleWeights(repository: id.repository, found: pickles, needed: needed)
        }
        throw .noCheckpoint(
            repository: id.repository,
            reason: "expected config.json + model.safetensors (or model.safetensors.index.json and its shards), "
                + "or open_clip_config.json + open_clip_model.safetensors")
    }

    /// Tokenizer files (`vocab.json` + `merges.txt`, else `tokenizer.json`) and
    /// `preprocessor_config.json`, when the repository has them (their absence is no error).
    static func provideOptionalFiles(from source: any SnapshotFileSource) throws(ModelHubError) {
        var hasPair = try source.provide(CLIPFileNames.vocabulary)
        if hasPair { hasPair = try source.provide(CLIPFileNames.merges) }
        if !hasPair { _ = try source.provide(CLIPFileNames.tokenizer) }
        _ = try source.provide(CLIPFileNames.preprocessorConfiguration)
    }

    /// The distinct shard files `model.safetensors.index.json` names, each a safe relative path.
    static func shardNames(in source: any SnapshotFileSource, repository id: HubRepositoryID) throws(ModelHubError) -> [String] {
        let name = CLIPFileNames.weightIndex
        guard let folder = source.snapshotFolder,
              let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "cannot be read from the cache")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "has no \"weight_map\" object")
        }
        var shards: [String] = []
        for value in map.values {
            guard let shard = value as? String, HubCacheRepository.isSafeRelativePath(shard), shard.hasSuffix(".safetensors") else {
                throw .invalidRepositoryFile(
                    repository: id.repository, file: name,
                    reason: "weight_map names \(value), which is not a relative .safetensors path inside the repository")
            }
            if !shards.contains(shard) { shards.append(shard) }
        }
        guard !shards.isEmpty else {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "weight_map is empty")
        }
        return shards.sorted()
    }
}
