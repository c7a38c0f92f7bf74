import CLIP
import Foundation

/// What went wrong with a photo index, an embedding shard or their inputs; each case names the
/// file and the problem.
public enum PhotoIndexError: Error, Equatable, Sendable, CustomStringConvertible {
    /// SQLite reported an error for `operation` on the database at `path`.
    case database(path: String, operation: String, message: String)
    /// The file is an SQLite database (or not even one) that swift-clip did not make.
    case notAnIndex(path: String, reason: String)
    /// The index was written by a newer swift-clip (schema `found`; this one reads up to `supported`).
    case newerSchema(path: String, found: Int, supported: Int)
    /// The index holds no embeddings of this model; `available` lists the ones it holds.
    case modelNotIndexed(path: String, model: String, available: [String])
    /// A query or stored vector of `found` values where the model's embeddings have `expected`.
    case dimensionMismatch(expected: Int, found: Int)
    /// `topK` must be at least 1.
    case invalidTopK(Int)
    /// A path given to index or remove does not exist.
    case notFound(path: String)
    /// A shard assignment that cannot be used (`--shard I/N`, or the scheduler's variables).
    case invalidShard(String)
    /// A shard output file that is missing, malformed, or made by another model.
    case invalidShardFile(path: String, reason: String)
    /// Reading or writing a file failed.
    case fileSystem(path: String, message: String)
    /// The model failed (an error of the model itself, not of one image).
    case model(CLIPModelError)

    public var description: String {
        switch self {
        case let .database(path, operation, message):
            "\(path): SQLite error in \(operation): \(message)"
        case let .notAnIndex(path, reason):
            "\(path): not a swift-clip photo index (\(reason))"
        case let .newerSchema(path, found, supported):
            "\(path): index schema version \(found) was written by a newer swift-clip (this one reads up to \(supported))"
        case let .modelNotIndexed(path, model, available):
            "\(path): no embeddings of model \(model)"
                + (available.isEmpty ? " (the index holds none yet; run `clip index` first)" : "; it holds: " + available.joined(separator: ", "))
        case let .dimensionMismatch(expected, found):
            "embedding has \(found) values, the model's have \(expected)"
        case let .invalidTopK(k):
            "top-k must be at least 1, got \(k)"
        case let .notFound(path):
            "\(path): no such file or folder"
        case let .invalidShard(reason):
            "invalid shard: \(reason)"
        case let .invalidShardFile(path, reason):
            "\(path): \(reason)"
        case let .fileSystem(path, message):
            "\(path): \(message)"
        case let .model(error):
            "\(error)"
        }
    }
}
