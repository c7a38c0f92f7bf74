import Dispatch
import Foundation
import PhotoLibrary
import TensorCore

// What the index benchmarks (IndexBenchmarks, index-search-bench) share: the synthetic
// database (rows of random unit vectors, built once), its settings, and the generators that
// give the same vectors, hashes and queries on every run, so a run can check the index
// against vectors it regenerates rather than reads back.

/// SplitMix64 (Steele, Lea and Flood): a small, fast, seedable generator.
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public enum IndexBench {
    /// Values per embedding.
    public static let dimension = 512
    /// The model key the synthetic embeddings are stored under.
    public static let model = IndexedModel(fingerprint: "bench-512d", precision: "f32", dimension: dimension)
    /// Rows per `PhotoIndex.add` call (one transaction) while building the database.
    public static let chunkRows = 10_000

    /// Streams of the generator: each row's vector, each row's content hash, and the queries
    /// come from independent seeds.
    private static let vectorSeed: UInt64 = 0x434C_4950_5645_4354 // "CLIPVECT"
    private static let hashSeed: UInt64 = 0x434C_4950_4841_5348 // "CLIPHASH"
    private static let querySeed: UInt64 = 0x434C_4950_5155_4552 // "CLIPQUER"

    /// Where the database is and how many rows it has, from the environment:
    /// `CLIP_INDEX_BENCH_DB` (default `/tmp/clip-index-bench-1m.db`) and
    /// `CLIP_INDEX_BENCH_ROWS` (default 1_000_000; underscores allowed).
    public struct Settings: Sendable {
        public var path: String
        public var rows: Int

        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Settings {
            let path = environment["CLIP_INDEX_BENCH_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/clip-index-bench-1m.db"
            var rows = 1_000_000
            if let text = environment["CLIP_INDEX_BENCH_ROWS"] {
                guard let value = Int(text.replacingOccurrences(of: "_", with: "")), value >= 1 else {
                    throw BenchSetupError("CLIP_INDEX_BENCH_ROWS must be a positive integer, got \"\(text)\"")
                }
                rows = value
            }
            return Settings(path: path, rows: rows)
        }

        public var url: URL { URL(fileURLWithPath: path) }
    }

    // MARK: Generators

    /// Fills `out` (`dimension` values) with row `row`'s vector: a random direction, L2-normalized.
    ///
    /// Each coordinate is the sum of four 16-bit uniforms of one 64-bit draw, centred: close to a
    /// normal distribution (Irwin–Hall), so the directions are close to uniform on the sphere,
    /// at one generator call per value. Normalized in Double, then rounded to Float.
    public static func fillVector(stream: UInt64, index: Int, into out: UnsafeMutableBufferPointer<Float>) {
        var rng = SplitMix64(seed: stream ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93))
        var sum = 0.0
        for i in 0..<out.count {
            let bits = rng.next()
            let total = Int(bits & 0xFFFF) + Int((bits >> 16) & 0xFFFF) + Int((bits >> 32) & 0xFFFF) + Int(bits >> 48)
            let value = Float(total - 2 * 65535) // symmetric around 0
            out[i] = value
            sum += Double(value) * Double(value)
        }
        let scale = sum > 0 ? 1 / sum.squareRoot() : 0
        for i in 0..<out.count { out[i] = Float(Double(out[i]) * scale) }
    }

    /// The stored vectors of rows `rows`, `[rows.count, dimension]` row-major, generated on all cores.
    public static func vectors(_ rows: Range<Int>) -> [Float] {
        let count = rows.count
        return [Float](unsafeUninitializedCapacity: count * dimension) { buffer, initialized in
            let base = SendableBuffer(buffer)
            let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let begin = count * worker / workers, end = count * (worker + 1) / workers
                for local in begin..<end {
                    let row = UnsafeMutableBufferPointer(rebasing: base.buffer[(local * dimension)..<((local + 1) * dimension)])
                    fillVector(stream: vectorSeed, index: rows.lowerBound + local, into: row)
                }
            }
            initialized = count * dimension
        }
    }

    /// Query `number` of a run: a random unit vector from its own stream (unrelated to the rows).
    public static func query(_ number: Int) -> [Float] {
        var query = [Float](repeating: 0, count: dimension)
        query.withUnsafeMutableBufferPointer { fillVector(stream: querySeed, index: number, into: $0) }
        return query
    }

    /// Row `row`'s content hash: 32 bytes from the hash stream (unique with overwhelming odds).
    public static func hashBytes(row: Int) -> [UInt8] {
        var rng = SplitMix64(seed: hashSeed ^ (UInt64(row) &* 0x9FB2_1C65_1E98_DF25))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = rng.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return bytes
    }

    public static func hashHex(row: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in hashBytes(row: row) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Row `row`'s file path; ``row(ofPath:)`` reads the row back.
    public static func path(row: Int) -> String { "/bench/photos/\(row).jpg" }

    public static func row(ofPath path: String) -> Int? {
        guard path.hasPrefix("/bench/photos/"), path.hasSuffix(".jpg") else { return nil }
        return Int(path.dropFirst("/bench/photos/".count).dropLast(4))
    }

    // MARK: The database

    /// What ``ensureDatabase(_:log:)`` did.
    public struct Preparation: Sendable {
        /// Rows added this run (0 when the file was complete).
        public var rowsAdded = 0
        /// Seconds spent adding them.
        public var seconds = 0.0
    }

    /// Makes sure the file at `settings.path` holds exactly `settings.rows` benchmark rows,
    /// adding the missing ones (all of them for a new file; a build that was interrupted
    /// resumes after its last committed chunk) in chunks of ``chunkRows``, one transaction each.
    /// - Throws: `BenchSetupError` when the file holds more rows, or other data; `PhotoIndexError`.
    public static func ensureDatabase(_ settings: Settings, log: (String) -> Void) throws -> Preparation {
        let index = try PhotoIndex(contentsOf: settings.url)
        let models = try index.models()
        if let other = models.first(where: { $0.model != model }) {
            throw BenchSetupError("\(settings.path) holds embeddings of \(other.model), not only \(model): not a benchmark file")
        }
        let present = models.first(where: { $0.model == model })?.embeddings ?? 0
        guard present <= settings.rows else {
            throw BenchSetupError("\(settings.path) holds \(present) rows, more than the \(settings.rows) asked for "
                + "(set CLIP_INDEX_BENCH_DB to another file, or delete it)")
        }
        var preparation = Preparation()
        guard present < settings.rows else { return preparation }
        log("building \(settings.path): rows \(present)..<\(settings.rows) in chunks of \(chunkRows)")
        let start = DispatchTime.now().uptimeNanoseconds
        var next = present
        while next < settings.rows {
            let rows = next..<min(settings.rows, next + chunkRows)
            let files = rows.map { row in
                IndexedFile(path: path(row: row), size: 100_000 + Int64(row % 900_000), modifiedNanoseconds: 1_700_000_000_000_000_000 + Int64(row),
                            contentHash: hashHex(row: row), error: nil)
            }
            let embeddings = try Tensor(shape: [rows.count, dimension], scalars: vectors(rows))
            let added = try index.add(files, embeddings: embeddings, model: model)
            guard added == rows.count else {
                throw BenchSetupError("chunk \(rows) added \(added) embeddings, expected \(rows.count) (a repeated content hash?)")
            }
            next = rows.upperBound
            if (next / chunkRows) % 10 == 0 || next == settings.rows {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                log("  \(next) rows, \(String(format: "%.1f", elapsed)) s")
            }
        }
        preparation.rowsAdded = settings.rows - present
        preparation.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return preparation
    }

    /// The bytes of the database file and of its write-ahead log (0 when there is none).
    public static func fileBytes(_ path: String) -> (database: Int64, wal: Int64) {
        func size(_ path: String) -> Int64 {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return (size(path), size(path + "-wal"))
    }

    // MARK: Helpers

    /// Seconds `body` took.
    public static func time<R>(_ body: () throws -> R) rethrows -> (seconds: Double, result: R) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, result)
    }

    /// The median of `values` (the mean of the middle two for an even count).
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The `p`-th percentile of `values` by the nearest-rank method.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// A benchmark that cannot set itself up (wrong settings, a file of something else).
public struct BenchSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A buffer handed to concurrent workers that write disjoint parts of it.
struct SendableBuffer: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Float>
    init(_ buffer: UnsafeMutableBufferPointer<Float>) { self.buffer = buffer }
}
