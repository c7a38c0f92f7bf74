import CLIP
import Foundation

extension PhotoIndex {
    /// Brings the index up to date with the image files under `paths` (folders, walked
    /// recursively, or single files), embedding with `model` what it does not hold yet.
    ///
    /// Files unchanged since the last update (same size and modification time) are not read.
    /// New and changed files are hashed; content `model` already embedded (a moved or copied
    /// file, a touched one) is not embedded again; the rest is decoded on a producer thread
    /// while the model embeds the batch before (see ``IndexUpdateOptions``). Each batch is
    /// committed in one transaction. At the end, files under `paths` that no longer exist leave
    /// the index, and embeddings nothing refers to are dropped. Files outside `paths` are left alone.
    ///
    /// - Parameters:
    ///   - paths: folders or files to index.
    ///   - model: the model to embed with; its fingerprint and precision key the embeddings.
    ///   - options: batch size, prefetch, extensions, recursion.
    ///   - progress: called after the scan and after each committed batch, on the calling thread.
    /// - Returns: what was done.
    /// - Throws: `PhotoIndexError.notFound` (before any change) for a path that does not exist;
    ///   `.database` or `.model` when a batch cannot be committed or embedded (the batches
    ///   before it stay committed). One file that cannot be read is not an error: it is recorded
    ///   and reported in the summary and the progress.
    @discardableResult
    public func update(_ paths: [URL], model: CLIPModel, options: IndexUpdateOptions = IndexUpdateOptions(),
                       progress: ((IndexUpdateProgress) -> Void)? = nil) throws(PhotoIndexError) -> IndexUpdateSummary {
        if let url {
            // Its own connection: searches on this instance go on while it writes.
            let writer = try Self.openConnection(url.path, readOnly: false)
            return try Self.update(paths, in: writer, model: model, options: options, progress: progress)
        }
        return try withConnection { (db) throws(PhotoIndexError) in
            try Self.update(paths, in: db, model: model, options: options, progress: progress)
        }
    }

    private struct StoredFile {
        let size: Int64
        let modified: Int64
        let hash: ContentHash?
        let failed: Bool
    }

    private static func update(_ paths: [URL], in db: SQLiteConnection, model: CLIPModel, options: IndexUpdateOptions,
                               progress: ((IndexUpdateProgress) -> Void)?) throws(PhotoIndexError) -> IndexUpdateSummary {
        let start = Date()
        var summary = IndexUpdateSummary()
        let roots = paths.map { FileScanner.absolute($0.path) }
        let scan = try FileScanner(extensions: options.extensions, recursive: options.recursive).scan(roots)
        summary.found = scan.files.count
        summary.unreadableFolders = scan.unreadableFolders

        let key = IndexedModel(model)
        let modelID = try db.transaction { () throws(PhotoIndexError) in try ensureModel(key, in: db) }
        let stored = try storedFiles(db)
        let known = try embeddedHashes(db, modelID: modelID)

        // What needs reading: new or changed files, and unchanged ones without this model's embedding.
        var pending: [ScannedFile] = []
        for file in scan.files {
            if let row = stored[file.path], row.size == file.size, row.modified == file.modifiedNanoseconds,
               row.failed || row.hash.map(known.contains) == true {
                summary.unchanged += 1
            } else {
                pending.append(file)
            }
        }
        var processed = 0
        let embeddingStart = Date()
        func report(_ failures: [IndexedFile]) {
            progress?(IndexUpdateProgress(
                found: summary.found, pending: pending.count, processed: processed, embedded: summary.embedded,
                elapsed: Date().timeIntervalSince(start), embeddingElapsed: Date().timeIntervalSince(embeddingStart),
                newFailures: failures))
        }
        report([])

        var hashesReplaced = false
        let insertEmbedding = try db.prepare(insertEmbeddingSQL)
        let upsertFile = try db.prepare(upsertFileSQL)
        try EmbeddingPipeline.run(
            files: pending, model: model, knownHashes: known, batchSize: options.batchSize,
            prefetch: options.prefetchBatches, maximumFileBytes: options.maximumFileBytes
        ) { (batch) throws(PhotoIndexError) in
            var failures: [IndexedFile] = []
            try db.transaction { () throws(PhotoIndexError) in
                if let embeddings = batch.embeddings {
                    try writeEmbeddings(embeddings, outcomes: batch.outcomes, modelID: modelID, with: insertEmbedding)
                }
                for outcome in batch.outcomes {
                    try upsertFile.run(fileRow(outcome))
                    if let old = stored[outcome.file.path], old.hash != outcome.hash { hashesReplaced = true }
                    if let error = outcome.error {
                        failures.append(IndexedFile(path: outcome.file.path, size: outcome.file.size,
                                                    modifiedNanoseconds: outcome.file.modifiedNanoseconds,
                                                    contentHash: outcome.hash?.description, error: error))
                    }
                }
            }
            for outcome in batch.outcomes {
                if outcome.error != nil { summary.failed += 1 } else if outcome.row != nil { summary.embedded += 1 } else { summary.reused += 1 }
            }
            processed += batch.outcomes.count
            report(failures)
        }
        summary.embeddingSeconds = pending.isEmpty ? 0 : Date().timeIntervalSince(embeddingStart)

        // Files under the roots that the scan did not find are gone.
        let found = Set(scan.files.map(\.path))
        let prefixes = roots.map { $0 == "/" ? "/" : $0 + "/" }
        let gone = stored.keys.filter { path in
            !found.contains(path) && (roots.contains(path) || prefixes.contains { path.hasPrefix($0) })
        }.sorted()
        if !gone.isEmpty || hashesReplaced {
            try db.transaction { () throws(PhotoIndexError) in
                let delete = try db.prepare("DELETE FROM files WHERE path = ?")
                for path in gone { try delete.run([.text(path)]) }
                try dropUnreferencedEmbeddings(db)
            }
        }
        summary.removed = gone.count
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// Inserts the embedded rows of a batch (`embeddings` is `[rows, dimension]`).
    static func writeEmbeddings(_ embeddings: Tensor, outcomes: [FileOutcome], modelID: Int64,
                                with insert: SQLiteStatement) throws(PhotoIndexError) {
        let dimension = embeddings.shape.last ?? 0
        try embeddings.withUnsafeBufferPointer { (values) throws(PhotoIndexError) in
            for outcome in outcomes {
                guard let row = outcome.row, let hash = outcome.hash, row < embeddings.shape[0] else { continue }
                try insert.bind([.integer(modelID), .blob(hash.bytes)])
                try insert.bindBlob(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: values[(row * dimension)..<((row + 1) * dimension)])), at: 3)
                while try insert.step() {}
            }
        }
    }

    static let upsertFileSQL = """
        INSERT INTO files(path, size, modified_ns, hash, error) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(path) DO UPDATE SET size = excluded.size, modified_ns = excluded.modified_ns,
            hash = excluded.hash, error = excluded.error
        """
    static let insertEmbeddingSQL = "INSERT OR IGNORE INTO embeddings(model_id, hash, vector) VALUES (?, ?, ?)"

    static func fileRow(_ outcome: FileOutcome) -> [SQLiteValue] {
        [.text(outcome.file.path), .integer(outcome.file.size), .integer(outcome.file.modifiedNanoseconds),
         outcome.hash.map { .blob($0.bytes) } ?? .null, outcome.error.map { .text($0) } ?? .null]
    }

    private static func storedFiles(_ db: SQLiteConnection) throws(PhotoIndexError) -> [String: StoredFile] {
        let statement = try db.prepare("SELECT path, size, modified_ns, hash, error IS NOT NULL FROM files")
        var rows: [String: StoredFile] = [:]
        while try statement.step() {
            guard let path = statement.text(0) else { continue }
            rows[path] = StoredFile(size: statement.int64(1), modified: statement.int64(2),
                                    hash: statement.blob(3).flatMap { ContentHash(bytes: $0) }, failed: statement.int(4) != 0)
        }
        return rows
    }

    static func embeddedHashes(_ db: SQLiteConnection, modelID: Int64) throws(PhotoIndexError) -> Set<ContentHash> {
        let statement = try db.prepare("SELECT hash FROM embeddings WHERE model_id = ?")
        try statement.bind([.integer(modelID)])
        var hashes = Set<ContentHash>()
        while try statement.step() {
            if let bytes = statement.blob(0), let hash = ContentHash(bytes: bytes) { hashes.insert(hash) }
        }
        return hashes
    }
}
