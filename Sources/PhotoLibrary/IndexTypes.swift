import CLIP
import Foundation

/// A model whose embeddings an index holds: its fingerprint, the precision it ran in, and the
/// embedding width. One index can hold several.
public struct IndexedModel: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `CLIPModel.fingerprint`.
    public let fingerprint: String
    /// `ModelPrecision.shortName` of the run that made the embeddings ("f32", "bf16", "int8").
    public let precision: String
    /// Values per embedding.
    public let dimension: Int

    /// A model key from its parts.
    public init(fingerprint: String, precision: String, dimension: Int) {
        self.fingerprint = fingerprint
        self.precision = precision
        self.dimension = dimension
    }

    /// The key of `model` as it is open (its fingerprint, precision and embedding width).
    public init(_ model: CLIPModel) {
        self.init(fingerprint: model.fingerprint, precision: model.precision.shortName,
                  dimension: model.architecture.embeddingDimension)
    }

    /// `fingerprint/precision`.
    public var description: String { "\(fingerprint)/\(precision)" }
}

/// The SHA-256 of a file's content, which identifies an embedding in the index.
public struct ContentHash: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// A hash from its 32 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// A hash from 64 hexadecimal digits; nil for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for pair in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[pair]), let low = Self.nibble(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.bytes = bytes
    }

    /// The hash of `data`.
    public init(of data: Data) {
        var hasher = SHA256Hasher()
        hasher.update(data)
        self.bytes = hasher.finalizeBytes()
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// 64 lowercase hexadecimal digits.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public static func < (lhs: ContentHash, rhs: ContentHash) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

/// One file as the index records it.
public struct IndexedFile: Sendable, Equatable, Codable {
    /// Absolute path.
    public let path: String
    /// Size in bytes when it was indexed.
    public let size: Int64
    /// Modification time when it was indexed, in nanoseconds since 1970.
    public let modifiedNanoseconds: Int64
    /// SHA-256 of its content, as 64 hexadecimal digits; nil when it could not be read.
    public let contentHash: String?
    /// Why it could not be embedded; nil when it was. A failed file is not retried until its
    /// size or modification time changes.
    public let error: String?

    /// A record from its parts.
    public init(path: String, size: Int64, modifiedNanoseconds: Int64, contentHash: String?, error: String?) {
        self.path = path
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.contentHash = contentHash
        self.error = error
    }
}

/// One hit of an index search.
public struct PhotoMatch: Sendable, Equatable, Codable {
    /// The file's absolute path.
    public let path: String
    /// Cosine similarity between the query and the file's embedding, in `[-1, 1]`.
    public let similarity: Float

    /// A hit from its parts.
    public init(path: String, similarity: Float) {
        self.path = path
        self.similarity = similarity
    }
}

/// How ``PhotoIndex/update(_:model:options:progress:)`` walks and embeds.
public struct IndexUpdateOptions: Sendable {
    /// Images per forward pass of the model (default 32).
    public var batchSize: Int
    /// Batches decoded ahead of the model (default 2): the bound of the decoding queue.
    public var prefetchBatches: Int
    /// File name extensions (lowercase, without the dot) that are indexed when found in a
    /// folder. Files named explicitly are indexed whatever their extension.
    public var extensions: Set<String>
    /// Whether to descend into subfolders (default true). Hidden entries (names starting with
    /// ".") are skipped either way.
    public var recursive: Bool
    /// Files larger than this are recorded as failures without being read (default 256 MiB):
    /// the bound on what one file can make the indexer allocate.
    public var maximumFileBytes: Int64

    /// The defaults: batches of 32, 2 batches ahead, JPEG and PNG, recursive, 256 MiB per file.
    public init(batchSize: Int = 32, prefetchBatches: Int = 2,
                extensions: Set<String> = ["jpg", "jpeg", "png"], recursive: Bool = true,
                maximumFileBytes: Int64 = 256 << 20) {
        self.maximumFileBytes = maximumFileBytes
        self.batchSize = max(1, batchSize)
        self.prefetchBatches = max(1, prefetchBatches)
        self.extensions = extensions
        self.recursive = recursive
    }
}

/// Where an update is, reported after the scan and after each committed batch.
public struct IndexUpdateProgress: Sendable {
    /// Image files found under the paths.
    public let found: Int
    /// Files that needed reading this run (new or changed, or without this model's embedding).
    public let pending: Int
    /// Of those, how many are done (embedded, recognised by their hash, or failed).
    public let processed: Int
    /// Images the model embedded so far.
    public let embedded: Int
    /// Seconds since the update started.
    public let elapsed: Double
    /// Seconds since the first image reached the model (the embedding phase).
    public let embeddingElapsed: Double
    /// The files that failed so far in this run, with their errors, since the previous report.
    public let newFailures: [IndexedFile]
}

/// What an update did.
public struct IndexUpdateSummary: Sendable, Equatable, Codable {
    /// Image files found under the paths.
    public var found = 0
    /// Files left as they were (same size and modification time, embedding present, or a
    /// failure recorded earlier).
    public var unchanged = 0
    /// Images the model embedded.
    public var embedded = 0
    /// Files whose content was already embedded (moved, renamed, copied, or touched).
    public var reused = 0
    /// Files that could not be read or decoded this run (recorded; not retried until changed).
    public var failed = 0
    /// Files that were in the index under the paths and are gone.
    public var removed = 0
    /// Folders under the paths that could not be listed.
    public var unreadableFolders: [String] = []
    /// Seconds the update took.
    public var seconds = 0.0
    /// Seconds from the first image reaching the model to the last batch committed.
    public var embeddingSeconds = 0.0

    /// Images embedded per second of the embedding phase (0 when none were).
    public var imagesPerSecond: Double { embedded > 0 && embeddingSeconds > 0 ? Double(embedded) / embeddingSeconds : 0 }
}
