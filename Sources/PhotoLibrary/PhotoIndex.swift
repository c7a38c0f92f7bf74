import CLIP
import Foundation

/// A photo library's CLIP index in one SQLite file: which files it covers (path, size,
/// modification time, content hash) and their embeddings per model and precision, kept
/// current by ``update(_:model:options:progress:)`` and searched by text, image or embedding.
///
///     let index = try PhotoIndex(contentsOf: URL(fileURLWithPath: "photos.db"))
///     let summary = try index.update([photosFolder], model: model)   // only new or changed files
///     let hits = try index.search(text: "a dog on a beach", model: model, topK: 10)
///
/// **Incremental.** A file whose size and modification time are unchanged is not read. A new or
/// changed file is hashed (SHA-256); content the model already embedded (a moved, renamed or
/// copied file) is not embedded again. Files gone from the given folders leave the index.
/// Files that cannot be read or decoded are recorded with the reason and skipped until they change.
///
/// **Crash-safe.** An update commits each batch in its own transaction; a killed run loses at
/// most the batch in flight and the next update resumes. The file uses SQLite's write-ahead log,
/// so readers (another process's `clip search`) see the last committed batch while an update
/// runs, and a write never blocks them.
///
/// **Threads.** The methods may be called from any thread; calls on one instance are
/// serialized. An update of a file-backed index writes through its own connection, so searches
/// on the same instance go on while it runs.
public final class PhotoIndex: @unchecked Sendable {
    /// The index file; nil for an in-memory index.
    public let url: URL?
    private let connection: SQLiteConnection
    private let lock = NSRecursiveLock()
    private var cache: (model: IndexedModel, version: Int64, matrix: EmbeddingMatrix)?

    /// Opens the index file at `url`, creating it (with the current schema) when it does not
    /// exist and migrating one written by an older swift-clip.
    /// - Parameters:
    ///   - url: the SQLite file.
    ///   - readOnly: open without writing (fails for a file that does not exist or needs migrating).
    /// - Throws: `PhotoIndexError.notAnIndex` for a file that is not a swift-clip index,
    ///   `.newerSchema` for one written by a newer version, `.database` when SQLite fails.
    public init(contentsOf url: URL, readOnly: Bool = false) throws(PhotoIndexError) {
        self.url = url
        connection = try Self.openConnection(url.path, readOnly: readOnly)
    }

    /// A private index in memory, gone when the instance is (for one-off searches and tests).
    public init() throws(PhotoIndexError) {
        url = nil
        connection = try SQLiteConnection(path: ":memory:")
        try IndexSchema.prepare(connection, readOnly: false)
    }

    static func openConnection(_ path: String, readOnly: Bool) throws(PhotoIndexError) -> SQLiteConnection {
        if readOnly, !FileManager.default.fileExists(atPath: path) { throw .notFound(path: path) }
        let db = try SQLiteConnection(path: path, readOnly: readOnly)
        do {
            // Reading the schema is the first access: a file that is not SQLite fails here.
            try IndexSchema.prepare(db, readOnly: readOnly)
        } catch let PhotoIndexError.database(_, _, message) {
            throw .notAnIndex(path: path, reason: message)
        }
        if !readOnly {
            try db.execute("PRAGMA journal_mode = WAL")
            // In WAL mode NORMAL keeps every commit atomic and durable against a process kill
            // (a power cut may lose the last commits, never corrupt the file).
            try db.execute("PRAGMA synchronous = NORMAL")
        }
        try db.execute("PRAGMA foreign_keys = ON")
        return db
    }

    private func locked<R>(_ body: () throws(PhotoIndexError) -> R) throws(PhotoIndexError) -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Runs `body` with the connection, serialized with every other call on this instance.
    func withConnection<R>(_ body: (SQLiteConnection) throws(PhotoIndexError) -> R) throws(PhotoIndexError) -> R {
        try locked { () throws(PhotoIndexError) in try body(connection) }
    }

    /// Where errors say the index is.
    var displayPath: String { url?.path ?? ":memory:" }

    // MARK: - Contents

    /// The models the index holds embeddings of, with their counts.
    public func models() throws(PhotoIndexError) -> [(model: IndexedModel, embeddings: Int)] {
        try locked { () throws(PhotoIndexError) in
            let statement = try connection.prepare("""
                SELECT m.fingerprint, m.precision, m.dimension, (SELECT count(*) FROM embeddings e WHERE e.model_id = m.id)
                FROM models m ORDER BY m.id
                """)
            var result: [(IndexedModel, Int)] = []
            while try statement.step() {
                result.append((IndexedModel(fingerprint: statement.text(0) ?? "", precision: statement.text(1) ?? "",
                                            dimension: statement.int(2)), statement.int(3)))
            }
            return result
        }
    }

    /// Every file the index covers, sorted by path (failed ones included, with their error).
    public func files() throws(PhotoIndexError) -> [IndexedFile] {
        try locked { () throws(PhotoIndexError) in try Self.files(in: connection, where: nil) }
    }

    /// The files that could not be embedded, with the reasons.
    public func failures() throws(PhotoIndexError) -> [IndexedFile] {
        try locked { () throws(PhotoIndexError) in try Self.files(in: connection, where: "error IS NOT NULL") }
    }

    static func files(in db: SQLiteConnection, where condition: String?) throws(PhotoIndexError) -> [IndexedFile] {
        let statement = try db.prepare(
            "SELECT path, size, modified_ns, hash, error FROM files" + (condition.map { " WHERE \($0)" } ?? "") + " ORDER BY path")
        var result: [IndexedFile] = []
        while try statement.step() {
            result.append(IndexedFile(
                path: statement.text(0) ?? "", size: statement.int64(1), modifiedNanoseconds: statement.int64(2),
                contentHash: statement.blob(3).flatMap { ContentHash(bytes: $0) }?.description, error: statement.text(4)))
        }
        return result
    }

    /// The embedding `model` stored for the file at `path` (L2-normalized), nil when there is none.
    public func embedding(ofFileAt path: String, model: IndexedModel) throws(PhotoIndexError) -> [Float]? {
        try locked { () throws(PhotoIndexError) in
            let statement = try connection.prepare("""
                SELECT e.vector FROM files f JOIN embeddings e ON e.hash = f.hash
                JOIN models m ON m.id = e.model_id
                WHERE f.path = ? AND m.fingerprint = ? AND m.precision = ?
                """)
            try statement.bind([.text(FileScanner.absolute(path)), .text(model.fingerprint), .text(model.precision)])
            guard try statement.step() else { return nil }
            return try statement.withBlob(0) { (bytes) throws(PhotoIndexError) in try Self.floats(bytes, model: model) }
        }
    }

    // MARK: - Removing

    /// Removes files from the index: each path, and every file under each path that is a
    /// folder (whether or not it still exists on disk). Embeddings no file refers to any more
    /// are dropped.
    /// - Returns: how many files were removed.
    @discardableResult
    public func remove(_ paths: [URL]) throws(PhotoIndexError) -> Int {
        try locked { () throws(PhotoIndexError) in
            try connection.transaction { () throws(PhotoIndexError) in
                var removed = 0
                let statement = try connection.prepare("DELETE FROM files WHERE path = ?1 OR substr(path, 1, length(?2)) = ?2")
                for url in paths {
                    let path = FileScanner.absolute(url.path)
                    try statement.run([.text(path), .text(path == "/" ? "/" : path + "/")])
                    removed += Int(try connection.integer("SELECT changes()") ?? 0)
                }
                try Self.dropUnreferencedEmbeddings(connection)
                return removed
            }
        }
    }

    static func dropUnreferencedEmbeddings(_ db: SQLiteConnection) throws(PhotoIndexError) {
        try db.execute("DELETE FROM embeddings WHERE hash NOT IN (SELECT hash FROM files WHERE hash IS NOT NULL)")
    }

    // MARK: - Search

    /// The `topK` indexed files most similar to `text`, best first.
    /// - Parameters:
    ///   - text: the query, embedded with `model`.
    ///   - model: the model whose embeddings to search (the index must hold them).
    ///   - topK: how many files to return.
    ///   - folder: when given, only files under this folder.
    /// - Throws: `PhotoIndexError.modelNotIndexed`, `.invalidTopK`, `.model`.
    public func search(text: String, model: CLIPModel, topK: Int = 10, under folder: URL? = nil) throws(PhotoIndexError) -> [PhotoMatch] {
        let query: Tensor
        do { query = try model.encode(texts: [text], normalized: true) } catch { throw .model(error) }
        return try search(embedding: query.scalars, model: IndexedModel(model), topK: topK, under: folder)
    }

    /// The `topK` indexed files most similar to the image file at `imageURL`, best first (the
    /// image itself first when it is indexed).
    /// - Throws: as ``search(text:model:topK:under:)``; `.model` naming the file when it cannot be decoded.
    public func search(imageAt imageURL: URL, model: CLIPModel, topK: Int = 10, under folder: URL? = nil) throws(PhotoIndexError) -> [PhotoMatch] {
        let query: Tensor
        do { query = try model.encode(imagesAt: [imageURL], normalized: true) } catch { throw .model(error) }
        return try search(embedding: query.scalars, model: IndexedModel(model), topK: topK, under: folder)
    }

    /// The `topK` indexed files whose `model` embeddings are most similar (cosine) to
    /// `embedding` (`[model.dimension]`, any length; it is normalized), best first. Files with
    /// identical content share a similarity and are ordered by path.
    /// - Throws: `.modelNotIndexed`, `.dimensionMismatch`, `.invalidTopK`.
    public func search(embedding: [Float], model: IndexedModel, topK: Int = 10, under folder: URL? = nil) throws(PhotoIndexError) -> [PhotoMatch] {
        guard topK >= 1 else { throw .invalidTopK(topK) }
        guard embedding.count == model.dimension else {
            throw .dimensionMismatch(expected: model.dimension, found: embedding.count)
        }
        let query = Self.normalized(embedding)
        return try locked { () throws(PhotoIndexError) in
            // One read transaction: the matrix and the paths come from the same snapshot.
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            let matrix = try cachedMatrix(model)
            let scores = try matrix.similarities(to: query)
            let prefix = folder.map { FileScanner.absolute($0.path) }.map { $0 == "/" ? "/" : $0 + "/" }
            let paths = try connection.prepare("SELECT path FROM files WHERE hash = ? AND error IS NULL ORDER BY path")
            var matches: [PhotoMatch] = []
            var considered = 0
            var candidates = topK
            // Widen the candidate set until topK files are found (several files can share a
            // hash; a folder filter drops some).
            while matches.count < topK, considered < matrix.count {
                let rows = SimilarityRanking.top(scores, k: min(matrix.count, candidates))
                for row in rows.dropFirst(considered) {
                    try paths.bind([.blob(matrix.hashes[row].bytes)])
                    while try paths.step(), matches.count < topK {
                        guard let path = paths.text(0) else { continue }
                        if let prefix, !path.hasPrefix(prefix) { continue }
                        matches.append(PhotoMatch(path: path, similarity: scores[row]))
                    }
                    if matches.count >= topK { break }
                }
                considered = rows.count
                candidates *= 4
            }
            return matches
        }
    }

    /// The in-memory embeddings of `model`, loaded from the file (in one read) unless the
    /// copy held is current.
    /// - Throws: `.modelNotIndexed` when the index holds none of them.
    public func embeddingMatrix(for model: IndexedModel) throws(PhotoIndexError) -> EmbeddingMatrix {
        try locked { () throws(PhotoIndexError) in
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            return try cachedMatrix(model)
        }
    }

    /// Call with the lock held, inside a read transaction.
    private func cachedMatrix(_ model: IndexedModel) throws(PhotoIndexError) -> EmbeddingMatrix {
        let version = try connection.changeCounter()
        if let cache, cache.model == model, cache.version == version { return cache.matrix }
        let matrix = try loadMatrix(model)
        cache = (model, version, matrix)
        return matrix
    }

    private func loadMatrix(_ model: IndexedModel) throws(PhotoIndexError) -> EmbeddingMatrix {
        guard let id = try Self.modelID(model, in: connection), id > 0 else {
            throw .modelNotIndexed(path: displayPath, model: model.description,
                                   available: try Self.modelNames(in: connection))
        }
        let rows = Int(try connection.integer("SELECT count(*) FROM embeddings WHERE model_id = ?", [.integer(id)]) ?? 0)
        let dimension = model.dimension
        // Every valid row stores `dimension` floats in the file: a count the file's pages cannot
        // hold (a damaged index of many short rows) is refused before the matrix is allocated.
        let fileBytes = Int(try connection.integer("PRAGMA page_count") ?? 0) * Int(try connection.integer("PRAGMA page_size") ?? 0)
        let (floats, overflow) = rows.multipliedReportingOverflow(by: dimension)
        guard dimension > 0, !overflow, floats <= fileBytes / MemoryLayout<Float>.size else {
            throw .notAnIndex(path: displayPath, reason: "\(rows) embeddings of \(dimension) floats for \(model), more than its \(fileBytes) bytes hold")
        }
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, floats))
        var hashes: [ContentHash] = []
        hashes.reserveCapacity(rows)
        do throws(PhotoIndexError) {
            // `+model_id` keeps SQLite from using the (model_id, hash) index: the table is read
            // in row order, sequentially, instead of in hash order.
            let statement = try connection.prepare("SELECT hash, vector FROM embeddings WHERE +model_id = ? ORDER BY id")
            try statement.bind([.integer(id)])
            let expectedBytes = dimension * MemoryLayout<Float>.size
            while try statement.step() {
                guard hashes.count < rows else { break }
                guard let hashBytes = statement.blob(0), let hash = ContentHash(bytes: hashBytes) else {
                    throw PhotoIndexError.notAnIndex(path: displayPath, reason: "an embedding row without a 32-byte hash")
                }
                let destination = storage.baseAddress! + hashes.count * dimension
                try statement.withBlob(1) { (bytes) throws(PhotoIndexError) in
                    guard bytes.count == expectedBytes, let base = bytes.baseAddress else {
                        throw PhotoIndexError.notAnIndex(
                            path: displayPath, reason: "an embedding of \(bytes.count) bytes where \(model) has \(expectedBytes)")
                    }
                    UnsafeMutableRawPointer(destination).copyMemory(from: base, byteCount: expectedBytes)
                }
                hashes.append(hash)
            }
        } catch {
            storage.deallocate()
            throw error
        }
        return EmbeddingMatrix(model: model, hashes: hashes, storage: storage)
    }

    // MARK: - Helpers

    static func modelID(_ model: IndexedModel, in db: SQLiteConnection) throws(PhotoIndexError) -> Int64? {
        let statement = try db.prepare("SELECT id, dimension FROM models WHERE fingerprint = ? AND precision = ?")
        try statement.bind([.text(model.fingerprint), .text(model.precision)])
        guard try statement.step() else { return nil }
        guard statement.int(1) == model.dimension else {
            throw .dimensionMismatch(expected: statement.int(1), found: model.dimension)
        }
        return statement.int64(0)
    }

    /// The id of `model`, added when new.
    static func ensureModel(_ model: IndexedModel, in db: SQLiteConnection) throws(PhotoIndexError) -> Int64 {
        if let id = try modelID(model, in: db) { return id }
        let insert = try db.prepare("INSERT INTO models(fingerprint, precision, dimension) VALUES (?, ?, ?)")
        try insert.run([.text(model.fingerprint), .text(model.precision), .integer(Int64(model.dimension))])
        return db.lastInsertRowID
    }

    static func modelNames(in db: SQLiteConnection) throws(PhotoIndexError) -> [String] {
        let statement = try db.prepare("SELECT fingerprint, precision FROM models ORDER BY id")
        var names: [String] = []
        while try statement.step() { names.append("\(statement.text(0) ?? "")/\(statement.text(1) ?? "")") }
        return names
    }

    static func floats(_ bytes: UnsafeRawBufferPointer, model: IndexedModel) throws(PhotoIndexError) -> [Float] {
        guard bytes.count == model.dimension * 4 else {
            throw .notAnIndex(path: "", reason: "an embedding of \(bytes.count) bytes where \(model) has \(model.dimension * 4)")
        }
        return (0..<model.dimension).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }

    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}

// MARK: - Adding embeddings made elsewhere

extension PhotoIndex {
    /// Adds (or replaces) files with embeddings computed elsewhere — merged shards, another
    /// tool — in one transaction: file `i` gets row `i` of `embeddings` (`[files.count,
    /// model.dimension]`, normalized here). Each file needs its ``IndexedFile/contentHash`` and
    /// no ``IndexedFile/error`` (record those with ``recordFailures(_:)``).
    /// - Returns: the number of embeddings added (content already held is not stored twice).
    /// - Throws: `.dimensionMismatch` for a wrong shape, `.invalidShardFile` for a file without
    ///   a valid hash or with an error, `.database`.
    @discardableResult
    public func add(_ files: [IndexedFile], embeddings: Tensor, model: IndexedModel) throws(PhotoIndexError) -> Int {
        guard embeddings.shape == [files.count, model.dimension] else {
            throw .dimensionMismatch(expected: files.count * model.dimension, found: embeddings.count)
        }
        var hashes: [ContentHash?] = []
        for file in files {
            guard file.error == nil else {
                throw .invalidShardFile(path: file.path, reason: "a failed file has no embedding (record it with recordFailures)")
            }
            guard let hash = file.contentHash.flatMap({ ContentHash(hex: $0) }) else {
                throw .invalidShardFile(path: file.path, reason: "no valid content hash (64 hexadecimal digits)")
            }
            hashes.append(hash)
        }
        let normalized: Tensor
        do { normalized = try embeddings.l2Normalized() } catch { throw .dimensionMismatch(expected: model.dimension, found: embeddings.count) }
        return try withConnection { (db) throws(PhotoIndexError) in
            try db.transaction { () throws(PhotoIndexError) in
                let modelID = try Self.ensureModel(model, in: db)
                let before = try db.integer("SELECT count(*) FROM embeddings WHERE model_id = ?", [.integer(modelID)]) ?? 0
                let outcomes = zip(files, hashes).enumerated().map { row, pair in
                    FileOutcome(file: ScannedFile(path: FileScanner.absolute(pair.0.path), size: pair.0.size,
                                                  modifiedNanoseconds: pair.0.modifiedNanoseconds),
                                hash: pair.1, error: nil, row: row)
                }
                let insert = try db.prepare(Self.insertEmbeddingSQL)
                try Self.writeEmbeddings(normalized, outcomes: outcomes, modelID: modelID, with: insert)
                let upsert = try db.prepare(Self.upsertFileSQL)
                for outcome in outcomes { try upsert.run(Self.fileRow(outcome)) }
                let after = try db.integer("SELECT count(*) FROM embeddings WHERE model_id = ?", [.integer(modelID)]) ?? 0
                return Int(after - before)
            }
        }
    }
}

extension PhotoIndex {
    /// Records files that could not be embedded (each with its ``IndexedFile/error``), so an
    /// update does not retry them until they change.
    public func recordFailures(_ files: [IndexedFile]) throws(PhotoIndexError) {
        try withConnection { (db) throws(PhotoIndexError) in
            try db.transaction { () throws(PhotoIndexError) in
                let upsert = try db.prepare(Self.upsertFileSQL)
                for file in files {
                    let outcome = FileOutcome(
                        file: ScannedFile(path: FileScanner.absolute(file.path), size: file.size,
                                          modifiedNanoseconds: file.modifiedNanoseconds),
                        hash: file.contentHash.flatMap { ContentHash(hex: $0) }, error: file.error ?? "failed", row: nil)
                    try upsert.run(Self.fileRow(outcome))
                }
            }
        }
    }
}
