// The files swift-clip writes and reads back, on arbitrary bytes. The first byte picks:
// - 0: an `EmbeddingIndex` file (safetensors with the identifiers in its metadata); one that
//   opens must answer a search;
// - 1: a shard folder of `clip embed-folder` merged into an in-memory `PhotoIndex`: after the
//   selector, a 2-byte little-endian length of the manifest (`shard-00000-of-00001.json`), a
//   2-byte length of the part's `.jsonl`, then the part's `.npy`.
import CLIP
import Foundation
import FuzzSupport
import PhotoLibrary
import TensorCore

func fuzzEmbeddingIndex(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let (selector, rest) = FuzzInput(start, count).selectorAndRest else { return 0 }
    if selector % 2 == 0 {
        guard let index = try? EmbeddingIndex(contentsOf: FuzzScratch.file("index.safetensors", rest)) else { return 0 }
        guard let query = try? Tensor(shape: [index.dimension], repeating: 0.5) else { return 0 }
        if let results = try? index.search(query, topK: 3) {
            fuzzCheck(results.count == min(3, index.count), "search gave \(results.count) of \(index.count)")
        }
        return 0
    }
    guard rest.count >= 4 else { return 0 }
    let manifestLength = Int(rest[0]) | Int(rest[1]) << 8
    let recordsLength = Int(rest[2]) | Int(rest[3]) << 8
    let body = rest[4...]
    let manifest = body.prefix(manifestLength)
    let records = body.dropFirst(manifest.count).prefix(recordsLength)
    let embeddings = body.dropFirst(manifest.count + records.count)
    let folder = FuzzScratch.directory.appendingPathComponent("shards")
    try? FileManager.default.removeItem(at: folder)
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let part = folder.appendingPathComponent("shard-00000-of-00001-part-00000").path
    FileManager.default.createFile(atPath: folder.appendingPathComponent("shard-00000-of-00001.json").path,
                                   contents: Data(manifest))
    FileManager.default.createFile(atPath: part + ".jsonl", contents: Data(records))
    FileManager.default.createFile(atPath: part + ".npy", contents: Data(embeddings))
    guard let index = try? PhotoIndex() else {
        fuzzCheck(false, "an in-memory index does not open")
        return 0
    }
    _ = try? EmbeddingShards.merge(folder, into: index)
    return 0
}

runFuzzer { data, size in fuzzEmbeddingIndex(data, size) }
