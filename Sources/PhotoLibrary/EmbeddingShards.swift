import CLIP
import CLIPSupport
import Foundation

/// Which part of a file list one worker embeds: shard `index` of `count` (0-based), the
/// contiguous slice `[index·n/count, (index+1)·n/count)` of the sorted list of `n` files. The
/// same list and count always give the same slices, on any machine.
public struct ShardAssignment: Sendable, Equatable, CustomStringConvertible {
    /// This worker's shard, `0..<count`.
    public let index: Int
    /// The number of shards.
    public let count: Int

    /// Shard `index` of `count`.
    /// - Throws: `PhotoIndexError.invalidShard` unless `0 <= index < count`.
    public init(index: Int, count: Int) throws(PhotoIndexError) {
        guard count >= 1 else { throw .invalidShard("the shard count must be at least 1, got \(count)") }
        guard index >= 0, index < count else { throw .invalidShard("shard \(index) is not in 0..<\(count)") }
        self.index = index
        self.count = count
    }

    /// Parses `"I/N"` (0-based `I`), or `"auto"` to read the scheduler's variables from
    /// `environment` (see ``init(environment:)``).
    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(PhotoIndexError) {
        if text == "auto" {
            try self.init(environment: environment)
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw .invalidShard("expected I/N (for example 0/4) or auto, got \"\(text)\"")
        }
        try self.init(index: index, count: count)
    }

    /// The shard a batch scheduler gave this process:
    /// - a Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (set by Kubernetes) of
    ///   `JOB_COMPLETIONS` (set in the manifest to `spec.completions`);
    /// - a Slurm job array: (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN`) /
    ///   `SLURM_ARRAY_TASK_STEP` of `SLURM_ARRAY_TASK_COUNT`.
    /// - Throws: `PhotoIndexError.invalidShard` naming the variable that is missing or invalid.
    public init(environment: [String: String]) throws(PhotoIndexError) {
        func number(_ name: String) throws(PhotoIndexError) -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw .invalidShard("\(name)=\"\(text)\" is not a number")
            }
            return value
        }
        if let index = try number("JOB_COMPLETION_INDEX") {
            guard let count = try number("JOB_COMPLETIONS") else {
                throw .invalidShard("JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not (set it to the Job's completions)")
            }
            try self.init(index: index, count: count)
        } else if let id = try number("SLURM_ARRAY_TASK_ID") {
            guard let count = try number("SLURM_ARRAY_TASK_COUNT") else {
                throw .invalidShard("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
            }
            let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
            let step = try number("SLURM_ARRAY_TASK_STEP") ?? 1
            guard step >= 1, (id - minimum) % step == 0 else {
                throw .invalidShard("SLURM_ARRAY_TASK_ID \(id) is not on the array's steps (min \(minimum), step \(step))")
            }
            try self.init(index: (id - minimum) / step, count: count)
        } else {
            throw .invalidShard("--shard auto needs JOB_COMPLETION_INDEX and JOB_COMPLETIONS (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (Slurm array)")
        }
    }

    /// The slice of a list of `total` items this shard takes.
    public func range(of total: Int) -> Range<Int> {
        (index * total / count)..<((index + 1) * total / count)
    }

    /// `I/N`.
    public var description: String { "\(index)/\(count)" }
}

/// Embeddings written as shard files, one folder shared by every worker — the layout
/// clip-retrieval uses, readable with numpy — and merged into a ``PhotoIndex`` afterwards.
///
/// For shard `S` of `N` the folder holds `shard-S-of-N.json` (the model, the shard's file
/// count, its parts, a hash of its file list) and, per part `P` of at most `partSize` files:
/// - `shard-S-of-N-part-P.npy`: float32 `[rows, dimension]`, L2-normalized embeddings;
/// - `shard-S-of-N-part-P.jsonl`: one line per row, `{"path", "size", "modified_ns", "sha256"}`;
/// - `shard-S-of-N-part-P.failures.jsonl`: the files of the part that could not be embedded,
///   with `"error"`.
/// Each file is written to a temporary name and renamed; the `.npy` is renamed last, so a part
/// is complete exactly when its `.npy` exists, and a restarted worker skips complete parts.
public enum EmbeddingShards {
    /// The manifest of one shard.
    struct Manifest: Codable, Equatable {
        var format = EmbeddingShards.format
        let shard: Int
        let shards: Int
        let model: IndexedModel
        let files: Int
        let parts: Int
        let partSize: Int
        /// Files in the whole sorted list (every shard's).
        let totalFiles: Int
        /// SHA-256 of the whole sorted list's paths, one per line: every shard must have cut
        /// the same list, and a restart over a changed tree is refused.
        let listHash: String

        enum CodingKeys: String, CodingKey {
            case format, shard, shards, model, files, parts
            case partSize = "part_size"
            case totalFiles = "total_files"
            case listHash = "list_sha256"
        }
    }

    /// One `.jsonl` line.
    struct Record: Codable, Equatable {
        let path: String
        let size: Int64
        let modifiedNanoseconds: Int64
        let sha256: String?
        let error: String?

        enum CodingKeys: String, CodingKey {
            case path, size, sha256, error
            case modifiedNanoseconds = "modified_ns"
        }

        var indexedFile: IndexedFile {
            IndexedFile(path: path, size: size, modifiedNanoseconds: modifiedNanoseconds, contentHash: sha256, error: error)
        }
    }

    static let format = "swift-clip.embedding-shard.v1"

    static func baseName(_ shard: ShardAssignment) -> String {
        "shard-" + padded(shard.index) + "-of-" + padded(shard.count)
    }

    static func partName(_ shard: ShardAssignment, _ part: Int) -> String {
        baseName(shard) + "-part-" + padded(part)
    }

    private static func padded(_ value: Int) -> String {
        let text = String(value)
        return text.count >= 5 ? text : String(repeating: "0", count: 5 - text.count) + text
    }

    /// What one worker's run did.
    public struct RunSummary: Sendable, Equatable {
        /// Files in the whole sorted list.
        public var totalFiles = 0
        /// Files in this shard.
        public var shardFiles = 0
        /// Parts of this shard.
        public var parts = 0
        /// Parts found complete from an earlier run and skipped.
        public var skippedParts = 0
        /// Images embedded in this run.
        public var embedded = 0
        /// Files that could not be embedded in this run.
        public var failed = 0
        /// Seconds of the run.
        public var seconds = 0.0
    }

    /// Embeds this worker's shard of the image files under `paths` (walked as
    /// ``PhotoIndex/update(_:model:options:progress:)`` walks them) into `directory`.
    /// - Parameters:
    ///   - paths: folders or files; every worker must be given the same ones.
    ///   - directory: the output folder, shared by the workers (created when missing).
    ///   - shard: which slice this worker takes.
    ///   - model: the model to embed with.
    ///   - partSize: files per part: the unit that a restart skips (default 1024).
    ///   - options: batch size, prefetch, extensions, recursion, file-size limit.
    ///   - progress: called after each batch with (files done, files to do in this run).
    /// - Throws: `.notFound`, `.invalidShardFile` when the folder holds this shard made by
    ///   another model or over another file list, `.fileSystem`, `.model`.
    @discardableResult
    public static func embed(
        _ paths: [URL], into directory: URL, shard: ShardAssignment, model: CLIPModel,
        partSize: Int = 1024, options: IndexUpdateOptions = IndexUpdateOptions(),
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws(PhotoIndexError) -> RunSummary {
        let start = Date()
        let partSize = max(1, partSize)
        let roots = paths.map { FileScanner.absolute($0.path) }
        let all = try FileScanner(extensions: options.extensions, recursive: options.recursive).scan(roots).files
        let mine = Array(all[shard.range(of: all.count)])
        var summary = RunSummary(totalFiles: all.count, shardFiles: mine.count)
        let parts = (mine.count + partSize - 1) / partSize
        summary.parts = parts

        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .fileSystem(path: directory.path, message: "cannot create the folder: \(error.localizedDescription)")
        }
        var hasher = SHA256Hasher()
        for file in all { hasher.update(Data((file.path + "\n").utf8)) }
        let manifest = Manifest(shard: shard.index, shards: shard.count, model: IndexedModel(model), files: mine.count,
                                parts: parts, partSize: partSize, totalFiles: all.count, listHash: hasher.finalizeHex())
        let manifestURL = directory.appendingPathComponent(baseName(shard) + ".json")
        if FileManager.default.fileExists(atPath: manifestURL.path) {
            let existing = try readManifest(manifestURL)
            guard existing == manifest else {
                throw .invalidShardFile(path: manifestURL.path, reason: existing.model != manifest.model
                    ? "this shard was started with model \(existing.model), not \(manifest.model); use another output folder"
                    : "this shard was started over another file list (\(existing.totalFiles) files in all, \(existing.files) in this shard, parts of \(existing.partSize)); use another output folder")
            }
        } else {
            try write(try encoded(manifest), to: manifestURL)
        }

        // The parts still to do, and their files in order.
        var todo: [(part: Int, files: Range<Int>)] = []
        for part in 0..<parts {
            let npy = directory.appendingPathComponent(partName(shard, part) + ".npy")
            if FileManager.default.fileExists(atPath: npy.path) {
                summary.skippedParts += 1
            } else {
                todo.append((part, (part * partSize)..<min(mine.count, (part + 1) * partSize)))
            }
        }
        let pending = todo.flatMap { mine[$0.files] }
        var next = 0
        var outcomes: [FileOutcome] = []
        var rows: [Float] = []
        let dimension = model.architecture.embeddingDimension
        var done = 0
        try EmbeddingPipeline.run(
            files: pending, model: model, knownHashes: [], batchSize: options.batchSize,
            prefetch: options.prefetchBatches, maximumFileBytes: options.maximumFileBytes, deduplicate: false
        ) { (batch) throws(PhotoIndexError) in
            batch.embeddings?.withUnsafeBufferPointer { values in
                for outcome in batch.outcomes {
                    outcomes.append(outcome)
                    if let row = outcome.row {
                        rows.append(contentsOf: values[(row * dimension)..<((row + 1) * dimension)])
                    }
                }
            }
            if batch.embeddings == nil { outcomes += batch.outcomes }
            done += batch.outcomes.count
            // Write every part that is now complete.
            while next < todo.count, outcomes.count >= todo[next].files.count {
                let count = todo[next].files.count
                let partOutcomes = Array(outcomes.prefix(count))
                let embedded = partOutcomes.filter { $0.error == nil }.count
                try writePart(shard, todo[next].part, outcomes: partOutcomes, vectors: Array(rows.prefix(embedded * dimension)),
                              dimension: dimension, in: directory)
                summary.embedded += embedded
                summary.failed += count - embedded
                outcomes.removeFirst(count)
                rows.removeFirst(embedded * dimension)
                next += 1
            }
            progress?(done, pending.count)
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    private static func writePart(_ shard: ShardAssignment, _ part: Int, outcomes: [FileOutcome], vectors: [Float],
                                  dimension: Int, in directory: URL) throws(PhotoIndexError) {
        let name = partName(shard, part)
        var lines = Data()
        var failures = Data()
        for outcome in outcomes {
            let record = Record(path: outcome.file.path, size: outcome.file.size, modifiedNanoseconds: outcome.file.modifiedNanoseconds,
                                sha256: outcome.hash?.description, error: outcome.error)
            if outcome.error == nil { lines.append(try encoded(record)); lines.append(10) } else { failures.append(try encoded(record)); failures.append(10) }
        }
        let tensor: Tensor
        do { tensor = try Tensor(shape: [vectors.count / max(dimension, 1), dimension], scalars: vectors) } catch {
            throw .fileSystem(path: name, message: "cannot shape \(vectors.count) values: \(error)")
        }
        try write(failures, to: directory.appendingPathComponent(name + ".failures.jsonl"))
        try write(lines, to: directory.appendingPathComponent(name + ".jsonl"))
        // Last: its presence marks the part complete.
        try write(NumpyArrayFile.encode(tensor), to: directory.appendingPathComponent(name + ".npy"))
    }

    /// What a merge did.
    public struct MergeSummary: Sendable, Equatable {
        /// Shards merged.
        public var shards = 0
        /// Parts read.
        public var parts = 0
        /// Files added or updated in the index with an embedding.
        public var files = 0
        /// Failed files recorded.
        public var failures = 0
    }

    /// Loads every shard in `directory` into `index`, part by part (one transaction each).
    /// Files keep the size, modification time and hash the workers saw, so a later
    /// ``PhotoIndex/update(_:model:options:progress:)`` over the same tree embeds nothing.
    /// - Throws: `.invalidShardFile` when there is no shard, when shards disagree (model,
    ///   count), when a shard or part is missing (its worker has not finished), or when a file
    ///   is malformed; nothing is merged then.
    @discardableResult
    public static func merge(_ directory: URL, into index: PhotoIndex) throws(PhotoIndexError) -> MergeSummary {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory.path) } catch {
            throw .fileSystem(path: directory.path, message: "cannot list the folder: \(error.localizedDescription)")
        }
        let manifestNames = names.filter { $0.hasPrefix("shard-") && $0.hasSuffix(".json") && !$0.contains("-part-") }.sorted()
        guard !manifestNames.isEmpty else {
            throw .invalidShardFile(path: directory.path, reason: "no shard-*-of-*.json manifest (run `clip embed-folder` first)")
        }
        var manifests: [Manifest] = []
        for name in manifestNames { manifests.append(try readManifest(directory.appendingPathComponent(name))) }
        let first = manifests[0]
        for (name, manifest) in zip(manifestNames, manifests)
        where manifest.model != first.model || manifest.shards != first.shards || manifest.listHash != first.listHash {
            throw .invalidShardFile(path: directory.appendingPathComponent(name).path, reason: manifest.listHash == first.listHash
                ? "shard of \(manifest.shards) by \(manifest.model), but \(manifestNames[0]) is of \(first.shards) by \(first.model)"
                : "cut from another file list (\(manifest.totalFiles) files) than \(manifestNames[0]) (\(first.totalFiles)): the tree changed between shards")
        }
        let present = Set(manifests.map(\.shard))
        if let missing = (0..<first.shards).first(where: { !present.contains($0) }) {
            throw .invalidShardFile(path: directory.path, reason: "shard \(missing) of \(first.shards) has not been started (no manifest)")
        }
        // Check every part is there before merging anything.
        for manifest in manifests.sorted(by: { $0.shard < $1.shard }) {
            let shard = try ShardAssignment(index: manifest.shard, count: manifest.shards)
            for part in 0..<manifest.parts {
                let base = directory.appendingPathComponent(partName(shard, part))
                for suffix in [".npy", ".jsonl"] where !FileManager.default.fileExists(atPath: base.path + suffix) {
                    throw .invalidShardFile(path: base.path + suffix, reason: "missing: shard \(shard) has not finished (run it again)")
                }
            }
        }
        var summary = MergeSummary(shards: manifests.count)
        for manifest in manifests.sorted(by: { $0.shard < $1.shard }) {
            let shard = try ShardAssignment(index: manifest.shard, count: manifest.shards)
            for part in 0..<manifest.parts {
                let base = directory.appendingPathComponent(partName(shard, part)).path
                let records = try readRecords(base + ".jsonl")
                let embeddings: Tensor
                do { embeddings = try NumpyArrayFile.read(contentsOf: URL(fileURLWithPath: base + ".npy")) } catch {
                    throw .invalidShardFile(path: base + ".npy", reason: "\(error)")
                }
                guard embeddings.shape == [records.count, manifest.model.dimension] else {
                    throw .invalidShardFile(path: base + ".npy", reason: "shape \(embeddings.shape), but the .jsonl has \(records.count) lines of \(manifest.model.dimension)-wide embeddings")
                }
                try index.add(records.map(\.indexedFile), embeddings: embeddings, model: manifest.model)
                let failures = FileManager.default.fileExists(atPath: base + ".failures.jsonl") ? try readRecords(base + ".failures.jsonl") : []
                if !failures.isEmpty { try index.recordFailures(failures.map(\.indexedFile)) }
                summary.parts += 1
                summary.files += records.count
                summary.failures += failures.count
            }
        }
        return summary
    }

    // MARK: Files

    private static func encoded<T: Encodable>(_ value: T) throws(PhotoIndexError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return try encoder.encode(value) } catch { throw .fileSystem(path: "<json>", message: "\(error)") }
    }

    private static func write(_ data: Data, to url: URL) throws(PhotoIndexError) {
        // `.atomic` writes a temporary file and renames it over `url`: a crash or a full disk
        // leaves either the old file or none, never half of one.
        do { try data.write(to: url, options: .atomic) } catch {
            throw .fileSystem(path: url.path, message: "cannot write: \(error.localizedDescription)")
        }
    }

    static func readManifest(_ url: URL) throws(PhotoIndexError) -> Manifest {
        let manifest: Manifest
        let data: Data
        do { data = try BoundedFile.contents(of: url, limit: BoundedFile.configurationLimit) } catch {
            throw .invalidShardFile(path: url.path, reason: "cannot read: \(error)")
        }
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw .invalidShardFile(path: url.path, reason: "not a shard manifest: \(error)")
        }
        guard manifest.format == format else {
            throw .invalidShardFile(path: url.path, reason: "format \"\(manifest.format)\", expected \"\(format)\"")
        }
        guard manifest.shards >= 1, (0..<manifest.shards).contains(manifest.shard), manifest.parts >= 0,
              manifest.files >= 0, manifest.model.dimension > 0, manifest.partSize >= 1,
              // (files + partSize - 1) / partSize, without overflowing on values from the file.
              manifest.parts == manifest.files / manifest.partSize + (manifest.files % manifest.partSize == 0 ? 0 : 1) else {
            throw .invalidShardFile(path: url.path, reason: "inconsistent manifest (shard \(manifest.shard) of \(manifest.shards), \(manifest.files) files in \(manifest.parts) parts)")
        }
        return manifest
    }

    static func readRecords(_ path: String) throws(PhotoIndexError) -> [Record] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .invalidShardFile(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        var records: [Record] = []
        let decoder = JSONDecoder()
        for (number, line) in data.split(separator: 10, omittingEmptySubsequences: true).enumerated() {
            do { records.append(try decoder.decode(Record.self, from: Data(line))) } catch {
                throw .invalidShardFile(path: path, reason: "line \(number + 1) is not a file record: \(error)")
            }
        }
        return records
    }
}
