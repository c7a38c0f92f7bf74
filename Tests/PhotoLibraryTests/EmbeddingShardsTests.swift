import CLIP
import Foundation
import ImageTestSupport
@testable import PhotoLibrary
import Testing

/// Everything an index holds, for comparing two of them exactly.
struct IndexContents: Equatable {
    let files: [IndexedFile]
    let embeddings: [String: [Float]]

    init(_ index: PhotoIndex, model: IndexedModel) throws {
        files = try index.files()
        var embeddings: [String: [Float]] = [:]
        for file in files where file.error == nil {
            embeddings[file.path] = try index.embedding(ofFileAt: file.path, model: model)
        }
        self.embeddings = embeddings
    }
}

@Suite struct ShardAssignmentTests {
    @Test func parsesIOfN() throws {
        #expect(try ShardAssignment(parsing: "2/5") == ShardAssignment(index: 2, count: 5))
        for bad in ["5/5", "-1/3", "1", "a/b", "1/0", "1/2/3", ""] {
            #expect(throws: PhotoIndexError.self, "\(bad)") { try ShardAssignment(parsing: bad, environment: [:]) }
        }
    }

    @Test func readsKubernetesAndSlurmVariables() throws {
        #expect(try ShardAssignment(parsing: "auto", environment: ["JOB_COMPLETION_INDEX": "3", "JOB_COMPLETIONS": "4"])
                == ShardAssignment(index: 3, count: 4))
        #expect(try ShardAssignment(environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"])
                == ShardAssignment(index: 1, count: 3))
        // `--array=1-3`: ids start at 1.
        #expect(try ShardAssignment(environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"])
                == ShardAssignment(index: 2, count: 3))
        // `--array=0-8:4`: ids 0, 4, 8.
        #expect(try ShardAssignment(environment: ["SLURM_ARRAY_TASK_ID": "8", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_STEP": "4"])
                == ShardAssignment(index: 2, count: 3))
        #expect(throws: PhotoIndexError.invalidShard("JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not (set it to the Job's completions)")) {
            try ShardAssignment(environment: ["JOB_COMPLETION_INDEX": "0"])
        }
        #expect(throws: PhotoIndexError.self) { try ShardAssignment(environment: ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"]) }
        #expect(throws: PhotoIndexError.self) { try ShardAssignment(environment: [:]) }
    }

    @Test func slicesCoverTheListOnceInOrder() throws {
        for total in [0, 1, 2, 7, 100, 101] {
            for count in 1...6 {
                let ranges = try (0..<count).map { try ShardAssignment(index: $0, count: count).range(of: total) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == total)
                #expect(zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            }
        }
    }
}

@Suite struct EmbeddingShardsTests {
    @Test func threeShardsMergedEqualOneIndexUpdate() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 11)
        try Data("broken".utf8).write(to: root.appendingPathComponent("a/broken.png"))
        let output = folder.path("shards")
        for shard in 0..<3 {
            let summary = try EmbeddingShards.embed([root], into: output, shard: ShardAssignment(index: shard, count: 3),
                                                    model: model, partSize: 2)
            #expect(summary.totalFiles == 12 && summary.skippedParts == 0)
        }
        let merged = try PhotoIndex(contentsOf: folder.path("merged.db"))
        let summary = try EmbeddingShards.merge(output, into: merged)
        #expect(summary.shards == 3 && summary.files == 11 && summary.failures == 1)
        let direct = try PhotoIndex(contentsOf: folder.path("direct.db"))
        try direct.update([root], model: model)
        let key = IndexedModel(model)
        let a = try IndexContents(merged, model: key), b = try IndexContents(direct, model: key)
        #expect(a.files.map(\.path) == b.files.map(\.path))
        #expect(a.files.map(\.contentHash) == b.files.map(\.contentHash))
        #expect(a.files.map(\.size) == b.files.map(\.size) && a.files.map(\.modifiedNanoseconds) == b.files.map(\.modifiedNanoseconds))
        #expect(a.files.map { $0.error != nil } == b.files.map { $0.error != nil })
        for (path, vector) in a.embeddings {
            #expect(maxDifference(vector, try #require(b.embeddings[path])) <= 1e-6, "\(path)")
        }
        // The merged index is current: an update over the same tree embeds nothing.
        let after = try merged.update([root], model: model)
        #expect(after.embedded == 0 && after.unchanged == 12)
    }

    @Test func theFilesAreReadableAsNumpyAndJSONLines() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 5)
        let output = folder.path("out")
        let shard = try ShardAssignment(index: 0, count: 1)
        try EmbeddingShards.embed([root], into: output, shard: shard, model: model, partSize: 3)
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
        #expect(names == [
            "shard-00000-of-00001-part-00000.failures.jsonl", "shard-00000-of-00001-part-00000.jsonl", "shard-00000-of-00001-part-00000.npy",
            "shard-00000-of-00001-part-00001.failures.jsonl", "shard-00000-of-00001-part-00001.jsonl", "shard-00000-of-00001-part-00001.npy",
            "shard-00000-of-00001.json",
        ])
        let rows = try NumpyArrayFile.read(contentsOf: output.appendingPathComponent("shard-00000-of-00001-part-00000.npy"))
        let records = try EmbeddingShards.readRecords(output.appendingPathComponent("shard-00000-of-00001-part-00000.jsonl").path)
        #expect(rows.shape == [3, IndexedModel(model).dimension] && records.count == 3)
        for (row, record) in records.enumerated() {
            let expected = try reference(model, URL(fileURLWithPath: record.path))
            #expect(maxDifference(Array(rows.scalars[(row * rows.shape[1])..<((row + 1) * rows.shape[1])]), expected) <= 1e-6)
            #expect(record.sha256 == ContentHash(of: try Data(contentsOf: URL(fileURLWithPath: record.path))).description)
        }
    }

    @Test func aRestartSkipsWrittenPartsAndRedoesAMissingOne() throws {
        let model = try #require(tinyModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 7)
        let output = folder.path("out")
        let shard = try ShardAssignment(index: 1, count: 2)
        let first = try EmbeddingShards.embed([root], into: output, shard: shard, model: model, partSize: 2)
        #expect(first.shardFiles == 4 && first.parts == 2 && first.embedded == 4)
        let npy = output.appendingPathComponent("shard-00001-of-00002-part-00001.npy")
        let before = try Data(contentsOf: npy)
        // A worker killed before renaming its last .npy: that part is done again, the other skipped.
        try FileManager.default.removeItem(at: npy)
        let again = try EmbeddingShards.embed([root], into: output, shard: shard, model: model, partSize: 2)
        #expect(again.skippedParts == 1 && again.embedded == 2)
        #expect(try Data(contentsOf: npy) == before)
        let third = try EmbeddingShards.embed([root], into: output, shard: shard, model: model, partSize: 2)
        #expect(third.skippedParts == 2 && third.embedded == 0)
    }

    @Test func mismatchedAndIncompleteShardsAreRefused() throws {
        let model = try #require(tinyModel), other = try #require(otherModel)
        let folder = try TemporaryFolder()
        let root = try makeTree(in: folder, count: 4)
        let output = folder.path("out")
        try EmbeddingShards.embed([root], into: output, shard: ShardAssignment(index: 0, count: 2), model: model)
        // Shard 1 has not run: nothing is merged.
        let index = try PhotoIndex()
        let missing = #expect(throws: PhotoIndexError.self) { try EmbeddingShards.merge(output, into: index) }
        #expect(missing?.description.contains("shard 1 of 2 has not been started") == true)
        #expect(try index.files().isEmpty)
        // The same shard with another model, or over a changed tree, is refused.
        #expect(throws: PhotoIndexError.self) {
            try EmbeddingShards.embed([root], into: output, shard: ShardAssignment(index: 0, count: 2), model: other)
        }
        try TestImages.writeRandomPNG(seed: 31, to: root.appendingPathComponent("late.png"))
        let changed = #expect(throws: PhotoIndexError.self) {
            try EmbeddingShards.embed([root], into: output, shard: ShardAssignment(index: 0, count: 2), model: model)
        }
        #expect(changed?.description.contains("another file list") == true)
        // Shard 1 cut from the changed tree does not merge with shard 0.
        try EmbeddingShards.embed([root], into: output, shard: ShardAssignment(index: 1, count: 2), model: model, partSize: 1)
        let cut = #expect(throws: PhotoIndexError.self) { try EmbeddingShards.merge(output, into: index) }
        #expect(cut?.description.contains("the tree changed between shards") == true)
        // A missing part of a started shard.
        try FileManager.default.removeItem(at: root.appendingPathComponent("late.png"))
        for name in try FileManager.default.contentsOfDirectory(atPath: output.path) where name.hasPrefix("shard-00001") {
            try FileManager.default.removeItem(at: output.appendingPathComponent(name))
        }
        try EmbeddingShards.embed([root], into: output, shard: ShardAssignment(index: 1, count: 2), model: model, partSize: 1)
        try FileManager.default.removeItem(at: output.appendingPathComponent("shard-00001-of-00002-part-00001.npy"))
        let incomplete = #expect(throws: PhotoIndexError.self) { try EmbeddingShards.merge(output, into: index) }
        #expect(incomplete?.description.contains("has not finished") == true)
        // A malformed line names the file and line.
        try FileManager.default.removeItem(at: output)
        try EmbeddingShards.embed([root], into: output, shard: ShardAssignment(index: 0, count: 1), model: model)
        let lines = output.appendingPathComponent("shard-00000-of-00001-part-00000.jsonl")
        try Data("{\"path\": 3}\n".utf8).write(to: lines)
        let malformed = #expect(throws: PhotoIndexError.self) { try EmbeddingShards.merge(output, into: index) }
        #expect(malformed?.description.contains("line 1") == true)
        #expect(throws: PhotoIndexError.self) { try EmbeddingShards.merge(folder.path("nothing"), into: index) }
    }
}

@Suite struct ShardManifestLimitTests {
    /// Counts near `Int.max` in a manifest are refused as inconsistent, not overflowed (the part
    /// count was once computed as `files + part_size - 1`, which trapped for such a file).
    @Test(arguments: [(Int.max, 2, 1), (Int.max, Int.max, 2), (Int.max - 1, 1, Int.max), (5, Int.max, 2)])
    func hugeCountsAreAnErrorNotATrap(_ files: Int, _ partSize: Int, _ parts: Int) throws {
        let folder = try TemporaryFolder()
        let manifest = #"""
            {"format": "swift-clip.embedding-shard.v1", "shard": 0, "shards": 1,
             "model": {"fingerprint": "m", "precision": "f32", "dimension": 4},
             "files": \#(files), "parts": \#(parts), "part_size": \#(partSize), "total_files": 3, "list_sha256": "00"}
            """#
        try Data(manifest.utf8).write(to: folder.path("shard-00000-of-00001.json"))
        #expect { try EmbeddingShards.merge(folder.url, into: try PhotoIndex()) } throws: { error in
            guard case let PhotoIndexError.invalidShardFile(path, reason) = error else { return false }
            return path.hasSuffix("shard-00000-of-00001.json") && reason.hasPrefix("inconsistent manifest")
        }
    }
}
