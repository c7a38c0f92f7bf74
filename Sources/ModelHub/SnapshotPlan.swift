import Foundation

/// Which files of a repository make a usable snapshot, in the order a reader prefers them.
///
/// ``HubClient/modelDirectory(for:plan:progress:)`` runs a plan twice at most: against the cache
/// alone, then (when that is not complete and downloads are allowed) against the network, so the
/// cache and the network agree on what "complete" means.
///
/// - ``alternatives``: ways the repository can hold what is needed, each a list of required
///   files; the first alternative whose files all exist wins, tried in order (an alternative
///   stops at its first missing file). A required file may be an index (see
///   ``RequiredFile/index(_:listingFilesEndingWith:)``) whose listed files are then required too.
/// - ``optionalFiles``: fetched when the repository has them; their absence is no error.
/// - ``unsupportedFiles``: when no alternative is complete, files whose presence means the
///   repository holds its content only in a format that is never downloaded; they are looked up
///   (never fetched) to give ``ModelHubError/onlyPickleWeights(repository:found:needed:)``.
/// - ``noCheckpointReason``: the reason of ``ModelHubError/noCheckpoint(repository:reason:)``
///   when nothing matched.
public struct SnapshotPlan: Sendable, Equatable {
    /// One file an alternative needs.
    public struct RequiredFile: Sendable, Equatable {
        /// The file's path inside the repository.
        public let name: String
        /// For an index: the suffix every file it lists must have; nil for a plain file.
        public let listedFileSuffix: String?

        /// A plain file.
        public static func file(_ name: String) -> RequiredFile {
            RequiredFile(name: name, listedFileSuffix: nil)
        }

        /// A JSON index (the layout of sharded checkpoints on the Hub): an object whose
        /// `weight_map` object maps keys to file paths. The distinct files it names are required
        /// as well, fetched in sorted order; each must be a relative path inside the repository
        /// ending with `suffix`, and the map must not be empty.
        public static func index(_ name: String, listingFilesEndingWith suffix: String) -> RequiredFile {
            RequiredFile(name: name, listedFileSuffix: suffix)
        }
    }

    /// Files fetched when the repository has them: the first group whose files all exist, tried
    /// in order (a group stops at its first missing file). A single optional file is a choice
    /// with one group of one file.
    public struct OptionalFiles: Sendable, Equatable {
        /// The groups, in order of preference.
        public let groups: [[String]]

        /// The first complete group of `groups`.
        public init(firstCompleteOf groups: [[String]]) {
            self.groups = groups
        }

        /// One optional file.
        public init(_ name: String) {
            self.groups = [[name]]
        }
    }

    /// A file whose presence, when no alternative is complete, means the repository's content
    /// exists only in a format that is never downloaded (such as pickled weights).
    public struct UnsupportedFile: Sendable, Equatable {
        /// The file's path inside the repository.
        public let name: String
        /// The file that would be needed instead, named in the error.
        public let needed: String

        /// `name`, which would have to be replaced by `needed`.
        public init(_ name: String, needed: String) {
            self.name = name
            self.needed = needed
        }
    }

    /// The ways the repository can hold a usable snapshot, in order of preference.
    public let alternatives: [[RequiredFile]]
    /// Optional files, each choice fetched after a complete alternative.
    public let optionalFiles: [OptionalFiles]
    /// Files that mean "only unsupported content"; the first one found names the needed file.
    public let unsupportedFiles: [UnsupportedFile]
    /// What ``ModelHubError/noCheckpoint(repository:reason:)`` says was expected.
    public let noCheckpointReason: String

    /// - Parameters:
    ///   - alternatives: lists of required files; the first complete list wins.
    ///   - optionalFiles: fetched when present.
    ///   - unsupportedFiles: looked up when no alternative is complete.
    ///   - noCheckpointReason: the error's reason when nothing matched.
    public init(alternatives: [[RequiredFile]], optionalFiles: [OptionalFiles] = [],
                unsupportedFiles: [UnsupportedFile] = [], noCheckpointReason: String) {
        self.alternatives = alternatives
        self.optionalFiles = optionalFiles
        self.unsupportedFiles = unsupportedFiles
        self.noCheckpointReason = noCheckpointReason
    }
}

// MARK: - Running a plan

extension SnapshotPlan {
    /// Every file name the plan spells, in plan order.
    var fileNames: [String] {
        alternatives.flatMap { $0.map(\.name) } + optionalFiles.flatMap { $0.groups.flatMap { $0 } }
            + unsupportedFiles.map(\.name)
    }

    /// Throws when a file name of the plan is not a relative path inside a repository.
    func validate(repository id: HubRepositoryID) throws(ModelHubError) {
        for name in fileNames where !HubCacheRepository.isSafeRelativePath(name) {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "not a relative path inside the repository")
        }
    }

    /// Provides the first complete alternative, or throws `.onlyPickleWeights` / `.noCheckpoint`.
    func provideRequiredFiles(from source: any SnapshotFileSource, repository id: HubRepositoryID) throws(ModelHubError) {
        for alternative in alternatives where try provide(alternative, from: source, repository: id) { return }
        var found: [String] = []
        var needed: String?
        for file in unsupportedFiles where try source.exists(file.name) {
            found.append(file.name)
            if needed == nil { needed = file.needed }
        }
        if let needed { throw .onlyPickleWeights(repository: id.repository, found: found, needed: needed) }
        throw .noCheckpoint(repository: id.repository, reason: noCheckpointReason)
    }

    /// Provides the first complete group of each optional choice, when the repository has one.
    func provideOptionalFiles(from source: any SnapshotFileSource) throws(ModelHubError) {
        for choice in optionalFiles {
            for group in choice.groups {
                var complete = true
                for name in group where complete { complete = try source.provide(name) }
                if complete { break }
            }
        }
    }

    /// Whether every file of `alternative` (and every file its indexes list) could be provided.
    /// - Throws: `.notFound` for a listed file that is missing once its index is present.
    private func provide(_ alternative: [RequiredFile], from source: any SnapshotFileSource,
                         repository id: HubRepositoryID) throws(ModelHubError) -> Bool {
        for file in alternative {
            guard try source.provide(file.name) else { return false }
            guard let suffix = file.listedFileSuffix else { continue }
            for listed in try Self.listedFiles(in: file.name, suffix: suffix, source: source, repository: id) {
                guard try source.provide(listed) else {
                    throw .notFound(repository: id.repository, revision: id.revision, file: listed)
                }
            }
        }
        return true
    }

    /// The distinct files the index `name` lists in its `weight_map`, sorted, each a safe
    /// relative path ending with `suffix`.
    static func listedFiles(in name: String, suffix: String, source: any SnapshotFileSource,
                            repository id: HubRepositoryID) throws(ModelHubError) -> [String] {
        guard let folder = source.snapshotFolder,
              let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "cannot be read from the cache")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "has no \"weight_map\" object")
        }
        var files: [String] = []
        for value in map.values {
            guard let file = value as? String, HubCacheRepository.isSafeRelativePath(file), file.hasSuffix(suffix) else {
                throw .invalidRepositoryFile(
                    repository: id.repository, file: name,
                    reason: "weight_map names \(value), which is not a relative \(suffix) path inside the repository")
            }
            if !files.contains(file) { files.append(file) }
        }
        guard !files.isEmpty else {
            throw .invalidRepositoryFile(repository: id.repository, file: name, reason: "weight_map is empty")
        }
        return files.sorted()
    }
}
