import Foundation
import Testing
@testable import SafeTensors
import TensorCore

/// The index file name Hugging Face's sharded checkpoints use (the model layer passes it).
private let indexName = "model.safetensors.index.json"

@Suite("Sharded checkpoints and weight sources")
struct ShardedCheckpointTests {
    /// Writes two shards and an index mapping `a`, `b` to shard 1 and `c` to shard 2.
    static func makeShardedDirectory(index: String? = nil) throws -> URL {
        let directory = try makeTemporaryDirectory()
        var first = SafeTensorsWriter()
        try first.add(Tensor(shape: [2], scalars: [1, 2]), named: "a")
        try first.add(Tensor(shape: [1, 2], scalars: [3, 4]), named: "b", as: .float16)
        try first.add(integers: [9], shape: [1], named: "unmapped", as: .int64)
        try first.write(to: directory.appendingPathComponent("model-00001-of-00002.safetensors"))
        var second = SafeTensorsWriter()
        try second.add(integers: [0, 1, 2], shape: [1, 3], named: "c", as: .int64)
        try second.write(to: directory.appendingPathComponent("model-00002-of-00002.safetensors"))
        let text = index ?? """
            {"metadata": {"total_size": 28, "format": "pt", "nested": {"x": [1]}},
             "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
                            "c": "model-00002-of-00002.safetensors"}}
            """
        try Data(text.utf8).write(to: directory.appendingPathComponent(indexName))
        return directory
    }

    /// Reads through the protocol, as a model loader does.
    static func summary(_ source: any WeightSource) throws -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for name in source.tensorNames { result[name] = try source.tensor(named: name).scalars }
        return result
    }

    @Test func opensADirectoryWithAnIndex() throws {
        let directory = try Self.makeShardedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName)
        #expect(checkpoint.files.count == 2)
        #expect(checkpoint.indexPath == directory.appendingPathComponent(indexName).path)
        #expect(checkpoint.tensorNames == ["a", "b", "c"])
        #expect(checkpoint.metadata == ["total_size": "28", "format": "pt"])
        #expect(try Self.summary(checkpoint) == ["a": [1, 2], "b": [3, 4], "c": [0, 1, 2]])
        #expect(try checkpoint.info(named: "b").dtype == .float16)
        #expect(try checkpoint.int64Values(named: "c") == [0, 1, 2])
        #expect(try checkpoint.file(containing: "c").path.hasSuffix("model-00002-of-00002.safetensors"))
        #expect(checkpoint.parameterCount == 7)
        #expect(!checkpoint.contains("unmapped"))
        #expect(thrownError { try checkpoint.tensor(named: "unmapped") }
            == .tensorNotFound(file: checkpoint.indexPath ?? "", tensor: "unmapped"))
        // Opening the index file directly is the same.
        let direct = try SafeTensorsCheckpoint(contentsOf: directory.appendingPathComponent(indexName))
        #expect(direct.tensorNames == ["a", "b", "c"])
    }

    /// An index reached through a link (the Hub cache's layout) opens; an index that is a link to
    /// a device is refused before it is read (reading /dev/zero would never end).
    @Test func anIndexBehindALinkOpensAndADeviceIsRefused() throws {
        let directory = try Self.makeShardedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent(indexName)
        let stored = directory.appendingPathComponent("blob-of-the-index")
        try FileManager.default.moveItem(at: index, to: stored)
        try FileManager.default.createSymbolicLink(atPath: index.path, withDestinationPath: stored.lastPathComponent)
        #expect(try SafeTensorsCheckpoint(indexAt: index).tensorNames == ["a", "b", "c"])
        try FileManager.default.removeItem(at: index)
        try FileManager.default.createSymbolicLink(atPath: index.path, withDestinationPath: "/dev/zero")
        #expect(thrownError { try SafeTensorsCheckpoint(indexAt: index) } == .notARegularFile(file: index.path))
    }

    @Test func indexNamingAMissingFile() throws {
        let directory = try Self.makeShardedDirectory(index: """
            {"weight_map": {"a": "model-00001-of-00002.safetensors", "z": "model-00003-of-00003.safetensors"}}
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent(indexName)
        #expect(thrownError { try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName) }
            == .missingShard(index: index.path, shard: "model-00003-of-00003.safetensors", tensor: "z"))
    }

    @Test func nameAbsentFromItsShard() throws {
        let directory = try Self.makeShardedDirectory(index: """
            {"weight_map": {"a": "model-00001-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}}
            """)
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent(indexName)
        #expect(thrownError { try SafeTensorsCheckpoint(indexAt: index) }
            == .tensorMissingFromShard(index: index.path, shard: "model-00001-of-00002.safetensors", tensor: "c"))
    }

    @Test func malformedIndexes() throws {
        let cases: [(String, (String) -> SafeTensorsError)] = [
            (#"{"metadata": {}}"#, { .invalidIndex(file: $0, message: "missing \"weight_map\"") }),
            (#"{"weight_map": {}}"#, { .invalidIndex(file: $0, message: "weight_map names no tensor") }),
            (#"{"weight_map": []}"#, { .invalidIndex(file: $0, message: "weight_map must be an object, found an array") }),
            (#"[]"#, { .invalidIndex(file: $0, message: "expected a JSON object, found an array") }),
            (#"{"weight_map": {"a": 1}}"#,
             { .invalidIndex(file: $0, message: "weight_map entry \"a\" must be a file name string, found a number") }),
            (#"{"weight_map": {"a": "../model-00001-of-00002.safetensors"}}"#,
             { .invalidIndex(file: $0, message: "weight_map entry \"a\" names \"../model-00001-of-00002.safetensors\", not a plain file name") }),
            (#"{"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}}"#,
             { .duplicateKey(file: $0, key: "a", offset: 38) }),
            (#"{"weight_map": {"a": "x.safetensors"}"#,
             { .invalidJSON(file: $0, offset: 37, message: "expected ',' or '}' in object, found the end of the JSON text") }),
        ]
        for (text, expected) in cases {
            let directory = try Self.makeShardedDirectory(index: text)
            defer { try? FileManager.default.removeItem(at: directory) }
            let index = directory.appendingPathComponent(indexName).path
            #expect(thrownError { try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName) } == expected(index), "\(text)")
        }
    }

    @Test func shardErrorsNameTheShard() throws {
        let directory = try Self.makeShardedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shard = directory.appendingPathComponent("model-00002-of-00002.safetensors")
        try Data([1, 2, 3]).write(to: shard)
        #expect(thrownError { try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName) } == .fileTooSmall(file: shard.path, size: 3))
    }

    @Test func singleFileLayouts() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(thrownError { try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName) }
            == .noWeightsFound(directory: directory.path, message: "no model.safetensors.index.json and no .safetensors file"))

        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        try writer.add(Tensor(shape: [3], scalars: [1, 2, 3]), named: "visual.proj")
        try writer.write(to: directory.appendingPathComponent("first.safetensors"))
        #expect(try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName).tensorNames == ["visual.proj"])

        try writer.write(to: directory.appendingPathComponent("second.safetensors"))
        #expect(thrownError { try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName) }
            == .noWeightsFound(directory: directory.path,
                               message: "several .safetensors files and no model.safetensors.index.json: first.safetensors, second.safetensors"))

        var openCLIP = SafeTensorsWriter()
        try openCLIP.add(Tensor(shape: [1], scalars: [5]), named: "logit_scale")
        try openCLIP.write(to: directory.appendingPathComponent("open_clip_model.safetensors"))
        let layouts = ["model.safetensors", "open_clip_model.safetensors"]
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName, preferredFiles: layouts)
        #expect(checkpoint.indexPath == nil)
        #expect(try Self.summary(checkpoint) == ["logit_scale": [5]])

        var hf = SafeTensorsWriter(metadata: ["format": "pt"])
        try hf.add(Tensor(shape: [2], scalars: [7, 8]), named: "text_projection.weight")
        try hf.write(to: directory.appendingPathComponent("model.safetensors"))
        let preferred = try SafeTensorsCheckpoint(contentsOf: directory, indexFile: indexName, preferredFiles: layouts)
        #expect(try Self.summary(preferred) == ["text_projection.weight": [7, 8]])
        #expect(preferred.metadata == ["format": "pt"])

        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("first.safetensors"))
        #expect(try Self.summary(file) == ["visual.proj": [1, 2, 3]])
        #expect(thrownError { try SafeTensorsCheckpoint(contentsOf: directory.appendingPathComponent("none")) }
            == .cannotOpen(file: directory.appendingPathComponent("none").path, reason: "no such file or directory"))
    }
}
