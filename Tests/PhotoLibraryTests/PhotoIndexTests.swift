import CLIP
import Foundation
import ImageTestSupport
@testable import PhotoLibrary
import Testing

/// The tests' model: a tiny random CLIP with CLIP's vocabulary (text and image queries work).
let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let tinyModel: CLIPModel? = try? CLIPModel(contentsOf: testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip"))
/// A second model (another fingerprint and width), for one database holding two.
let otherModel: CLIPModel? = try? CLIPModel(contentsOf: testsDirectory.appendingPathComponent("CLIPModelsTests/Fixtures/models/hf-quickgelu"))

/// A tree of distinct random images: `photos/a/i.png` and `photos/a/b/i.png`, `count` in all.
func makeTree(in folder: TemporaryFolder, count: Int, seed: UInt64 = 1) throws -> URL {
    let root = folder.path("photos")
    for i in 0..<count {
        let relative = i % 2 == 0 ? "a/\(i).png" : "a/b/\(i).png"
        try TestImages.writeRandomPNG(seed: seed &* 1000 &+ UInt64(i), to: root.appendingPathComponent(relative))
    }
    return root
}

/// The model's normalized embedding of one image file, as `model.encode` gives it.
func reference(_ model: CLIPModel, _ url: URL) throws -> [Float] {
    try model.encode(imagesAt: [url], normalized: true).scalars
}

func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Suite struct PhotoIndexUpdateTests {
    @Test func firstUpdateEmbedsEverythingAndAnUnchangedTreeDoesNoModelWork() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 7)
        let index = try PhotoIndex(contentsOf: folder.path("index.db"))
        let first = try index.update([root], model: model, options: IndexUpdateOptions(batchSize: 3))
        #expect(first.found == 7 && first.embedded == 7 && first.failed == 0 && first.unchanged == 0)
        let files = try index.files()
        #expect(files.map(\.path) == files.map(\.path).sorted())
        #expect(files.count == 7 && files.allSatisfy { $0.contentHash?.count == 64 && $0.error == nil })
        for file in files {
            let stored = try #require(try index.embedding(ofFileAt: file.path, model: IndexedModel(model)))
            #expect(maxDifference(stored, try reference(model, URL(fileURLWithPath: file.path))) <= 1e-6)
        }
        let again = try index.update([root], model: model)
        #expect(again.embedded == 0 && again.reused == 0 && again.unchanged == 7 && again.removed == 0)
        // A second instance on the same file sees the same.
        let reopened = try PhotoIndex(contentsOf: folder.path("index.db"))
        #expect(try reopened.update([root], model: model).embedded == 0)
    }

    @Test func aChangedFileIsEmbeddedAgain() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 4)
        let index = try PhotoIndex()
        try index.update([root], model: model)
        let target = root.appendingPathComponent("a/b/1.png")
        let before = try #require(try index.embedding(ofFileAt: target.path, model: IndexedModel(model)))
        // Same size (same dimensions), new content, and a new modification time.
        try TestImages.writeRandomPNG(seed: 99_999, to: target)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 60)], ofItemAtPath: target.path)
        let summary = try index.update([root], model: model)
        #expect(summary.embedded == 1 && summary.unchanged == 3 && summary.removed == 0)
        let after = try #require(try index.embedding(ofFileAt: target.path, model: IndexedModel(model)))
        #expect(maxDifference(after, try reference(model, target)) <= 1e-6)
        #expect(maxDifference(after, before) > 1e-3)
        // The old content's embedding is gone: 4 embeddings for 4 files.
        #expect(try index.models().first?.embeddings == 4)
    }

    @Test func aTouchedFileIsNotEmbeddedAgain() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 3)
        let index = try PhotoIndex()
        try index.update([root], model: model)
        let target = root.appendingPathComponent("a/0.png")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 120)], ofItemAtPath: target.path)
        let summary = try index.update([root], model: model)
        #expect(summary.embedded == 0 && summary.reused == 1 && summary.unchanged == 2)
        #expect(try index.update([root], model: model).unchanged == 3)
    }

    @Test func deletedFilesLeaveTheIndex() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 5)
        let index = try PhotoIndex()
        try index.update([root], model: model)
        try FileManager.default.removeItem(at: root.appendingPathComponent("a/2.png"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("a/b"))
        let summary = try index.update([root], model: model)
        #expect(summary.removed == 3 && summary.embedded == 0 && summary.found == 2)
        #expect(try index.files().map { ($0.path as NSString).lastPathComponent } == ["0.png", "4.png"])
        #expect(try index.models().first?.embeddings == 2)
    }

    @Test func aMovedOrRenamedFileIsRecognisedByItsHash() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 4)
        let index = try PhotoIndex()
        try index.update([root], model: model)
        let old = root.appendingPathComponent("a/0.png")
        let embedding = try #require(try index.embedding(ofFileAt: old.path, model: IndexedModel(model)))
        let moved = root.appendingPathComponent("c/renamed.png")
        try FileManager.default.createDirectory(at: moved.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: old, to: moved)
        let summary = try index.update([root], model: model)
        #expect(summary.embedded == 0 && summary.reused == 1 && summary.removed == 1 && summary.unchanged == 3)
        #expect(try index.embedding(ofFileAt: moved.path, model: IndexedModel(model)) == embedding)
        #expect(try index.embedding(ofFileAt: old.path, model: IndexedModel(model)) == nil)
        // A copy shares the embedding too.
        try FileManager.default.copyItem(at: moved, to: root.appendingPathComponent("copy.png"))
        let copied = try index.update([root], model: model)
        #expect(copied.embedded == 0 && copied.reused == 1)
        #expect(try index.models().first?.embeddings == 4)
    }

    @Test func addedFilesAreEmbeddedAndOthersLeftAlone() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 3)
        let index = try PhotoIndex()
        try index.update([root], model: model)
        try TestImages.writeRandomPNG(seed: 4242, to: root.appendingPathComponent("new/one.png"))
        try TestImages.writeRandomPNG(seed: 4243, to: root.appendingPathComponent("new/two.PNG"))
        try Data("not an image".utf8).write(to: root.appendingPathComponent("new/notes.txt"))
        try Data("hidden".utf8).write(to: root.appendingPathComponent(".hidden.png"))
        let summary = try index.update([root], model: model)
        #expect(summary.found == 5 && summary.embedded == 2 && summary.unchanged == 3)
        // Another folder indexed into the same database does not remove the first one's files.
        let elsewhere = folder.path("elsewhere")
        try TestImages.writeRandomPNG(seed: 5000, to: elsewhere.appendingPathComponent("x.png"))
        let other = try index.update([elsewhere], model: model)
        #expect(other.embedded == 1 && other.removed == 0)
        #expect(try index.files().count == 6)
    }

    @Test func unreadableFilesAreRecordedAndNotRetriedUntilChanged() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 2)
        let broken = root.appendingPathComponent("a/broken.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: broken)
        try Data().write(to: root.appendingPathComponent("a/empty.png"))
        let index = try PhotoIndex()
        var reported: [IndexedFile] = []
        let first = try index.update([root], model: model) { reported += $0.newFailures }
        #expect(first.failed == 2 && first.embedded == 2)
        #expect(Set(reported.map(\.path)) == [broken.path, root.appendingPathComponent("a/empty.png").path])
        #expect(reported.allSatisfy { ($0.error ?? "").contains($0.path) })
        #expect(try index.failures().count == 2)
        let second = try index.update([root], model: model)
        #expect(second.failed == 0 && second.unchanged == 4)
        // Fixed: embedded on the next run.
        try TestImages.writeRandomPNG(seed: 777, to: broken)
        let third = try index.update([root], model: model)
        #expect(third.embedded == 1 && third.failed == 0)
        #expect(try index.failures().map(\.path) == [root.appendingPathComponent("a/empty.png").path])
        // A search never returns a failed file.
        let hits = try index.search(text: "a photo", model: model, topK: 10)
        #expect(hits.count == 3)
    }

    @Test func aPathThatDoesNotExistChangesNothing() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 2)
        let index = try PhotoIndex()
        try index.update([root], model: model)
        #expect(throws: PhotoIndexError.notFound(path: folder.path("missing").path)) {
            try index.update([root, folder.path("missing")], model: model)
        }
        #expect(try index.files().count == 2)
    }

    @Test func removeDropsFilesAndTheirEmbeddings() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 6)
        let index = try PhotoIndex()
        try index.update([root], model: model)
        #expect(try index.remove([root.appendingPathComponent("a/b")]) == 3)
        #expect(try index.remove([root.appendingPathComponent("a/0.png")]) == 1)
        #expect(try index.files().count == 2 && index.models().first?.embeddings == 2)
        // The next update puts them back (they are still on disk).
        #expect(try index.update([root], model: model).embedded == 4)
    }

    @Test func oneDatabaseHoldsTwoModels() throws {
        let model = try #require(tinyModel), other = try #require(otherModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 4)
        let index = try PhotoIndex(contentsOf: folder.path("two.db"))
        #expect(try index.update([root], model: model).embedded == 4)
        #expect(try index.update([root], model: other).embedded == 4)
        #expect(try index.update([root], model: model).embedded == 0)
        let models = try index.models()
        #expect(models.map(\.model) == [IndexedModel(model), IndexedModel(other)])
        #expect(models.map(\.embeddings) == [4, 4])
        let target = root.appendingPathComponent("a/2.png")
        let hits = try index.search(imageAt: target, model: other, topK: 1)
        #expect(hits.first?.path == target.path)
        #expect(abs((hits.first?.similarity ?? 0) - 1) <= 1e-6)
    }
}

@Suite struct PhotoIndexSearchTests {
    @Test func searchEqualsBruteForceFromEncode() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 12)
        let index = try PhotoIndex()
        try index.update([root], model: model, options: IndexUpdateOptions(batchSize: 5))
        let paths = try index.files().map(\.path)
        let images = try model.encode(imagesAt: paths.map { URL(fileURLWithPath: $0) }, normalized: true)
        let width = images.shape[1]
        for text in ["a photo of a cat", "a red square", "blue"] {
            let query = try model.encode(texts: [text], normalized: true).scalars
            let expected = paths.indices.map { row in
                (paths[row], (0..<width).reduce(Double(0)) { $0 + Double(images.scalars[row * width + $1]) * Double(query[$1]) })
            }.sorted { $0.1 > $1.1 }
            let hits = try index.search(text: text, model: model, topK: 5)
            #expect(hits.count == 5)
            for (hit, truth) in zip(hits, expected) {
                #expect(abs(Double(hit.similarity) - truth.1) <= 1e-6, "\(text): \(hit) vs \(truth)")
            }
            #expect(hits.map(\.path) == expected.prefix(5).map(\.0))
        }
        // By image: the image itself comes first, at similarity 1.
        let hits = try index.search(imageAt: URL(fileURLWithPath: paths[3]), model: model, topK: 3)
        #expect(hits.first?.path == paths[3] && abs((hits.first?.similarity ?? 0) - 1) <= 1e-6)
        // By embedding, scoped to a folder.
        let query = try model.encode(texts: ["a dog"], normalized: true).scalars
        let scoped = try index.search(embedding: query, model: IndexedModel(model), topK: 100, under: root.appendingPathComponent("a/b"))
        #expect(scoped.count == 6 && scoped.allSatisfy { $0.path.contains("/a/b/") })
    }

    @Test func searchErrorsNameTheProblem() throws {
        let model = try #require(tinyModel), other = try #require(otherModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 2)
        let index = try PhotoIndex()
        #expect(throws: PhotoIndexError.modelNotIndexed(path: ":memory:", model: IndexedModel(model).description, available: [])) {
            try index.search(text: "cat", model: model)
        }
        try index.update([root], model: model)
        #expect(throws: PhotoIndexError.invalidTopK(0)) { try index.search(text: "cat", model: model, topK: 0) }
        #expect(throws: PhotoIndexError.dimensionMismatch(expected: IndexedModel(model).dimension, found: 3)) {
            try index.search(embedding: [1, 2, 3], model: IndexedModel(model))
        }
        let error = #expect(throws: PhotoIndexError.self) {
            try index.search(embedding: [Float](repeating: 1, count: IndexedModel(other).dimension), model: IndexedModel(other))
        }
        #expect(error?.description.contains(IndexedModel(model).description) == true)
    }

    /// `EmbeddingIndex` and `EmbeddingMatrix` share one search core (CLIP's `SimilarityRanking`):
    /// the same rows and query give the same similarities, bit for bit, in the same order.
    @Test func embeddingMatrixScoresAndRanksAsEmbeddingIndex() throws {
        let width = 16, count = 40
        var state: UInt64 = 5
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 58)) / 16 - 1
        }
        var embeddingIndex = EmbeddingIndex(dimension: width, model: "m")
        try embeddingIndex.add(identifiers: (0..<count).map(String.init),
                               embeddings: Tensor(shape: [count, width], scalars: (0..<(count * width)).map { _ in next() }))
        let matrix = try EmbeddingMatrix(
            model: IndexedModel(fingerprint: "m", precision: "f32", dimension: width),
            hashes: (0..<count).map { ContentHash(of: Data([UInt8($0)])) }, vectors: try embeddingIndex.embeddings().scalars)
        let query = try Tensor(shape: [width], scalars: (0..<width).map { _ in next() })
        let hits = try embeddingIndex.search(query, topK: count)
        // EmbeddingIndex normalizes the query with Tensor.l2Normalized; give the matrix the same vector.
        let scores = try matrix.similarities(to: try query.l2Normalized().scalars)
        #expect(hits.map { Int($0.identifier) } == SimilarityRanking.top(scores, k: count))
        #expect(hits.map(\.similarity.bitPattern) == hits.map { scores[Int($0.identifier) ?? 0].bitPattern })
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.similarity >= $1.similarity })
    }

    @Test func aSearchSeesBatchesCommittedByAnotherConnection() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 6)
        let database = folder.path("shared.db")
        let writer = try PhotoIndex(contentsOf: database)
        let reader = try PhotoIndex(contentsOf: database)
        try writer.update([root.appendingPathComponent("a/b")], model: model)
        #expect(try reader.search(text: "cat", model: model, topK: 10).count == 3)
        try writer.update([root], model: model)
        // The reader's cached matrix is stale and reloaded.
        #expect(try reader.search(text: "cat", model: model, topK: 10).count == 6)
        // Searching during an update, from its progress callback, sees the committed batches.
        try FileManager.default.removeItem(at: database)
        let fresh = try PhotoIndex(contentsOf: database)
        let observer = try PhotoIndex(contentsOf: database)
        var seen: [Int] = []
        try fresh.update([root], model: model, options: IndexUpdateOptions(batchSize: 2)) { progress in
            guard progress.processed > 0 else { return }
            seen.append((try? observer.search(text: "cat", model: model, topK: 10).count) ?? -1)
        }
        #expect(seen == [2, 4, 6])
    }
}

@Suite struct PhotoIndexFileTests {
    @Test func aNewFileHasTheSchemaAndWAL() throws {
        let folder = try TemporaryFolder()
        let url = folder.path("new.db")
        _ = try PhotoIndex(contentsOf: url)
        let db = try SQLiteConnection(path: url.path)
        #expect(try db.integer("PRAGMA user_version") == Int64(IndexSchema.currentVersion))
        #expect(try db.integer("PRAGMA application_id") == IndexSchema.applicationID)
        #expect(try db.integer("PRAGMA page_size") == 65536)
        let mode = try db.prepare("PRAGMA journal_mode")
        #expect(try mode.step() && mode.text(0) == "wal")
    }

    @Test func filesThatAreNotIndexesAreRefused() throws {
        let folder = try TemporaryFolder()
        let text = folder.path("text.db")
        try Data(String(repeating: "not a database ", count: 100).utf8).write(to: text)
        #expect(throws: PhotoIndexError.self) { try PhotoIndex(contentsOf: text) }
        let foreign = folder.path("foreign.db")
        let other = try SQLiteConnection(path: foreign.path)
        try other.execute("CREATE TABLE songs(title TEXT)")
        let error = #expect(throws: PhotoIndexError.self) { try PhotoIndex(contentsOf: foreign) }
        #expect(error == .notAnIndex(path: foreign.path, reason: "an SQLite database with 1 tables of another application"))
        let newer = folder.path("newer.db")
        _ = try PhotoIndex(contentsOf: newer)
        try SQLiteConnection(path: newer.path).execute("PRAGMA user_version = 99")
        #expect(throws: PhotoIndexError.newerSchema(path: newer.path, found: 99, supported: IndexSchema.currentVersion)) {
            try PhotoIndex(contentsOf: newer)
        }
        #expect(throws: PhotoIndexError.notFound(path: folder.path("absent.db").path)) {
            try PhotoIndex(contentsOf: folder.path("absent.db"), readOnly: true)
        }
    }

    @Test func anEmptySQLiteFileIsMigratedFromVersionZero() throws {
        let folder = try TemporaryFolder()
        let url = folder.path("empty.db")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data()))
        let index = try PhotoIndex(contentsOf: url)
        #expect(try index.files().isEmpty)
        // Opening again finds version 1 and migrates nothing.
        #expect(try PhotoIndex(contentsOf: url, readOnly: true).models().isEmpty)
    }

    @Test func contentHashRoundTrips() throws {
        let hash = ContentHash(of: Data("abc".utf8))
        #expect(hash.description == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentHash(hex: hash.description) == hash)
        #expect(ContentHash(hex: "xyz") == nil && ContentHash(bytes: [1, 2]) == nil)
    }
}
