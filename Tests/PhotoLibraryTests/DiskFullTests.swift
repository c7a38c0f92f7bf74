import CLIP
import FaultTestSupport
import Foundation
import ImageTestSupport
import Testing
import TensorCore
@testable import PhotoLibrary

/// `count` made-up files with distinct paths, hashes and embeddings of `model`'s width.
private func fakeFiles(_ count: Int, model: IndexedModel, prefix: String) throws -> ([IndexedFile], Tensor) {
    let files = (0..<count).map {
        IndexedFile(path: "/photos/\(prefix)-\($0).jpg", size: 1000 + Int64($0), modifiedNanoseconds: 5,
                    contentHash: String(repeating: "0", count: 48) + String(format: "%016x", $0), error: nil)
    }
    let values = (0..<(count * model.dimension)).map { Float($0 % 97) / 97 }
    return (files, try Tensor(shape: [count, model.dimension], scalars: values))
}

@Suite("Faults: a full disk under the index and the shards", .serialized,
       .enabled(if: SmallFileSystem.isAvailable("photolibrary"), "needs the small filesystems of Scripts/mount-small-filesystems.sh"))
struct PhotoLibraryDiskFullTests {
    /// An index update that does not fit on the disk fails with the database's error and
    /// changes nothing: the file reopens with exactly the files and embeddings it had.
    @Test func aFullDiskLeavesTheIndexAsItWas() throws {
        let model = IndexedModel(fingerprint: "m", precision: "f32", dimension: 64)
        let disk = try #require(SmallFileSystem(named: "photolibrary"))
        try disk.clear()
        defer { try? disk.clear() }
        let url = disk.folder.appendingPathComponent("index.db")
        let (oldFiles, oldEmbeddings) = try fakeFiles(50, model: model, prefix: "old")
        var before: [String: [Float]] = [:]
        do {
            let index = try PhotoIndex(contentsOf: url)
            try index.add(oldFiles, embeddings: oldEmbeddings, model: model)
            for file in oldFiles { before[file.path] = try index.embedding(ofFileAt: file.path, model: model) }
        }
        #expect(before.count == 50 && before.values.allSatisfy { $0.count == 64 })
        try disk.fill(leaving: 32 * 1024)
        let (newFiles, newEmbeddings) = try fakeFiles(20_000, model: model, prefix: "new")  // 5 MiB of embeddings
        do {
            let index = try PhotoIndex(contentsOf: url)
            #expect { try index.add(newFiles, embeddings: newEmbeddings, model: model) } throws: { error in
                guard case let PhotoIndexError.database(path, _, message) = error else { return false }
                return path == url.path && message.lowercased().contains("full")
            }
        }
        try disk.unfill()
        let reopened = try PhotoIndex(contentsOf: url)
        #expect(try reopened.files().map(\.path) == oldFiles.map(\.path).sorted())
        for file in oldFiles {
            #expect(try reopened.embedding(ofFileAt: file.path, model: model) == before[file.path], "\(file.path)")
        }
        // With the space back, the same update succeeds.
        let (someNew, someEmbeddings) = try fakeFiles(100, model: model, prefix: "new")
        try reopened.add(someNew, embeddings: someEmbeddings, model: model)
        #expect(try reopened.files().count == 150)
    }

    /// `clip embed-folder` writing its shard onto a full disk stops with an error naming the
    /// file; run again with space, it finishes with the same parts as a run that never failed.
    @Test func aShardOnAFullDiskFinishesWhenRunAgain() throws {
        let model = try #require(tinyModel)
        let disk = try #require(SmallFileSystem(named: "photolibrary"))
        try disk.clear()
        defer { try? disk.clear() }
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 6)
        let shard = try ShardAssignment(index: 0, count: 1)
        let output = disk.folder.appendingPathComponent("shards")
        let reference = folder.path("reference")
        try EmbeddingShards.embed([root], into: reference, shard: shard, model: model, partSize: 2)

        try disk.fill(leaving: 0)
        #expect { try EmbeddingShards.embed([root], into: output, shard: shard, model: model, partSize: 2) } throws: { error in
            guard case let PhotoIndexError.fileSystem(path, message) = error else { return false }
            return path.hasPrefix(output.path) && !message.isEmpty
        }
        try disk.unfill()
        try EmbeddingShards.embed([root], into: output, shard: shard, model: model, partSize: 2)
        let names = try FileManager.default.contentsOfDirectory(atPath: reference.path).sorted()
        #expect(try disk.names(in: "shards") == names)
        for name in names {
            #expect(try Data(contentsOf: output.appendingPathComponent(name)) == Data(contentsOf: reference.appendingPathComponent(name)),
                    "\(name)")
        }
    }
}

@Suite struct DamagedIndexTests {
    /// A damaged index whose model claims a width its rows do not have is refused before the
    /// search matrix (rows × width floats) is allocated: 300 rows would otherwise take 1.2 GB.
    @Test func aRowCountTheFileCannotHoldIsRefusedBeforeTheMatrix() throws {
        let folder = try TemporaryFolder()
        let url = folder.path("index.db")
        let model = IndexedModel(fingerprint: "m", precision: "f32", dimension: 4)
        do {
            let index = try PhotoIndex(contentsOf: url)
            let (files, embeddings) = try fakeFiles(300, model: model, prefix: "p")
            try index.add(files, embeddings: embeddings, model: model)
        }
        do {
            let raw = try SQLiteConnection(path: url.path)
            try raw.execute("UPDATE models SET dimension = 1000000")
        }
        let damaged = IndexedModel(fingerprint: "m", precision: "f32", dimension: 1_000_000)
        #expect { try PhotoIndex(contentsOf: url).embeddingMatrix(for: damaged) } throws: { error in
            guard case let PhotoIndexError.notAnIndex(path, reason) = error else { return false }
            return path == url.path && reason.hasPrefix("300 embeddings of 1000000 floats")
        }
    }
}
