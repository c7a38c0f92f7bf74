import Foundation

/// Finds models in the Hugging Face cache and downloads what is missing, in the layout
/// huggingface_hub uses, so that Python and this library share one cache.
///
/// Resolution is offline first: when the cache already holds a complete snapshot for the
/// revision (`refs/<revision>` → `snapshots/<commit>/…`), it is used in place and nothing touches
/// the network. Otherwise (unless ``HubConfiguration/isOffline``) only the files a
/// ``SnapshotPlan`` names are downloaded from the endpoint's
/// `/{owner}/{name}/resolve/{revision}/{file}`; the files it marks as unsupported are only
/// looked up, never downloaded.
public struct HubClient: Sendable {
    /// Cache location, endpoint, offline flag and token.
    public let configuration: HubConfiguration

    /// - Parameter configuration: by default, what huggingface_hub would read from the environment.
    public init(configuration: HubConfiguration = .fromEnvironment()) {
        self.configuration = configuration
    }

    /// The snapshot folder holding the first complete alternative of `plan` for `id` (with the
    /// files an index lists), plus the plan's optional files when the repository has them.
    ///
    /// Files already cached are used in place. Optional files the cache knows nothing about are
    /// fetched when downloads are allowed; failing to fetch them does not fail a cached snapshot
    /// (a missing optional file is recorded as `.no_exist`, so it is asked for only once). The
    /// first response's commit pins every later file to that commit.
    /// - Parameters:
    ///   - id: the repository and revision.
    ///   - plan: which files make a usable snapshot, in order of preference.
    ///   - progress: called as files download (on a background thread).
    /// - Throws: `ModelHubError`: `.invalidRepositoryFile` for a plan file name that is not a
    ///   relative path, or an unusable index; `.offline` when a needed file is not cached and
    ///   downloads are forbidden; `.onlyPickleWeights` naming the file needed;
    ///   `.noCheckpoint` with the plan's reason; `.notFound`, `.unauthorized`, `.forbidden`,
    ///   `.network` and the integrity errors of a download.
    public func modelDirectory(for id: HubRepositoryID, plan: SnapshotPlan,
                               progress: HubProgressHandler? = nil) throws(ModelHubError) -> URL {
        try plan.validate(repository: id)
        let cache = HubCacheRepository(id: id, cacheDirectory: configuration.cacheDirectory)
        let cached = CachedSnapshotSource(cache: cache, commit: cache.cachedCommit(for: id.revision))
        if let commit = cached.commit, (try? plan.provideRequiredFiles(from: cached, repository: id)) != nil {
            try plan.provideOptionalFiles(from: cached)
            if !configuration.isOffline, !cached.unknownFiles.isEmpty {
                let network = NetworkSnapshotSource(
                    fetcher: HubFileFetcher(configuration: configuration, cache: cache, progress: progress),
                    id: id, pinnedCommit: commit)
                network.toleratesFailures = true
                try plan.provideOptionalFiles(from: network)
            }
            return cache.snapshotFolder(commit: commit)
        }
        if configuration.isOffline {
            let missing = cached.unknownFiles.first ?? plan.alternatives.first?.first?.name ?? "the snapshot"
            throw .offline(repository: id.description, file: missing)
        }
        let network = NetworkSnapshotSource(
            fetcher: HubFileFetcher(configuration: configuration, cache: cache, progress: progress),
            id: id, pinnedCommit: id.revisionIsCommitHash ? id.revision : nil)
        try plan.provideRequiredFiles(from: network, repository: id)
        try plan.provideOptionalFiles(from: network)
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
