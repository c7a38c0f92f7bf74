import Dispatch
import Foundation
import IndexBenchSupport
import PhotoLibrary
import TensorCore

// index-search-bench: the index's load and search times on a synthetic million-row database,
// and a correctness check against brute force in Double. Prints one JSON line on standard
// output (progress goes to standard error):
//
//   cd Benchmarks && swift build -c release --product index-search-bench
//   .build/release/index-search-bench
//
// CLIP_INDEX_BENCH_DB: the database file (default /tmp/clip-index-bench-1m.db), built on the
// first run (about 2 GB for a million rows; delete it when done).
// CLIP_INDEX_BENCH_ROWS: rows (default 1_000_000).
//
// Fields: rows, dimension, threads; build_seconds (only when this run built or completed the
// file); db_bytes (the file, checkpointed); load_seconds (median of 3 fresh loads: a new
// PhotoIndex plus embeddingMatrix(for:)) and load_seconds_all; search_ms.median/p95 over 50
// random queries with the matrix in memory (PhotoIndex.search, top 10), and
// similarities_ms.median for EmbeddingMatrix.similarities alone, both after
// ComputeThreads.configure() (as in a process that opened a model) and, as
// search_ms_unconfigured, before it; max_abs_error: the largest difference between a similarity
// the index returned and brute-force cosine in Double over the benchmark's own copy of the
// vectors, for 5 queries; order_mismatches: positions of those top-10 lists where the index's
// row differs from brute force's other than at an exact tie (0 expected); min_gap: the smallest
// difference between consecutive brute-force top-11 similarities (how close the order came to
// a tie); stored_max_abs_diff: the largest difference between a loaded matrix value and the
// generated one (the index normalizes again in Float when adding).

func log(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func fail(_ message: String) -> Never {
    log("index-search-bench: \(message)")
    exit(1)
}

/// One JSON object, keys in insertion order.
struct JSONLine {
    private var fields: [String] = []
    mutating func add(_ key: String, _ value: Int) { fields.append("\"\(key)\":\(value)") }
    mutating func add(_ key: String, _ value: Int64) { fields.append("\"\(key)\":\(value)") }
    mutating func add(_ key: String, _ value: Double, digits: Int = 4) {
        fields.append("\"\(key)\":" + (value.isFinite ? String(format: "%.\(digits)f", value) : "null"))
    }
    mutating func add(_ key: String, exponent value: Double) {
        fields.append("\"\(key)\":" + (value.isFinite ? String(format: "%.3e", value) : "null"))
    }
    mutating func add(_ key: String, _ value: Bool) { fields.append("\"\(key)\":\(value)") }
    mutating func add(_ key: String, _ value: String) { fields.append("\"\(key)\":\"\(value)\"") }
    mutating func add(_ key: String, object: JSONLine) { fields.append("\"\(key)\":\(object.text)") }
    mutating func add(_ key: String, list: [Double], digits: Int = 4) {
        fields.append("\"\(key)\":[" + list.map { String(format: "%.\(digits)f", $0) }.joined(separator: ",") + "]")
    }
    var text: String { "{" + fields.joined(separator: ",") + "}" }
}

let settings: IndexBench.Settings
do { settings = try IndexBench.Settings.fromEnvironment() } catch { fail("\(error)") }
let rows = settings.rows, dimension = IndexBench.dimension
let model = IndexBench.model
let timedQueries = 50, checkedQueries = 5, topK = 10

// 1. The database, built once.
let preparation: IndexBench.Preparation
do { preparation = try IndexBench.ensureDatabase(settings, log: log) } catch { fail("cannot prepare \(settings.path): \(error)") }
let bytes = IndexBench.fileBytes(settings.path)
log("database \(settings.path): \(bytes.database) bytes (WAL \(bytes.wal))")

// 2. The benchmark's own copy of the vectors, regenerated from the seed.
let (generateSeconds, ownVectors) = IndexBench.time { IndexBench.vectors(0..<rows) }
log("generated \(rows) x \(dimension) reference vectors in \(String(format: "%.2f", generateSeconds)) s")

// 3. Loads: a fresh PhotoIndex and its matrix, three times (the last one is kept for searching).
var loadSeconds: [Double] = []
var loadedIndex: PhotoIndex?
var loadedMatrix: EmbeddingMatrix?
for attempt in 0..<3 {
    loadedIndex = nil
    loadedMatrix = nil
    do {
        let (seconds, loaded) = try IndexBench.time { () throws -> (PhotoIndex, EmbeddingMatrix) in
            let index = try PhotoIndex(contentsOf: settings.url)
            return (index, try index.embeddingMatrix(for: model))
        }
        loadSeconds.append(seconds)
        (loadedIndex, loadedMatrix) = loaded
        log("load \(attempt + 1): \(String(format: "%.3f", seconds)) s")
    } catch { fail("cannot load \(settings.path): \(error)") }
}
guard let index = loadedIndex, let matrix = loadedMatrix else { fail("no matrix loaded") }
guard matrix.count == rows else { fail("the matrix has \(matrix.count) rows, expected \(rows)") }

// The loaded rows are the generated ones, in order.
var storedMaxDiff: Float = 0
for row in 0..<rows {
    guard matrix.hashes[row].bytes == IndexBench.hashBytes(row: row) else { fail("row \(row) has the hash \(matrix.hashes[row]), not the generated one") }
    let stored = matrix.row(row)
    for j in 0..<dimension { storedMaxDiff = max(storedMaxDiff, abs(stored[j] - ownVectors[row * dimension + j])) }
}
log("loaded rows match the generated ones (max abs diff \(storedMaxDiff))")

// 4. Search speed, matrix in memory.
struct SearchTimes {
    var search: [Double] = []
    var similarities: [Double] = []
}

func timeSearches() -> SearchTimes {
    var times = SearchTimes()
    do {
        for number in 0..<3 { _ = try index.search(embedding: IndexBench.query(1_000 + number), model: model, topK: topK) }
        for number in 0..<timedQueries {
            let query = IndexBench.query(number)
            let (seconds, matches) = try IndexBench.time { try index.search(embedding: query, model: model, topK: topK) }
            guard matches.count == min(topK, rows) else { fail("query \(number) gave \(matches.count) matches") }
            times.search.append(seconds * 1000)
        }
        for number in 0..<timedQueries {
            let query = IndexBench.query(number)
            let (seconds, scores) = try IndexBench.time { try matrix.similarities(to: query) }
            withExtendedLifetime(scores) {}
            times.similarities.append(seconds * 1000)
        }
    } catch { fail("search failed: \(error)") }
    return times
}

let unconfigured = timeSearches()
log("search before ComputeThreads.configure(): median \(String(format: "%.2f", IndexBench.median(unconfigured.search))) ms")
ComputeThreads.configure()
let configured = timeSearches()
log("search after ComputeThreads.configure() (\(ComputeThreads.count) threads): median \(String(format: "%.2f", IndexBench.median(configured.search))) ms, p95 \(String(format: "%.2f", IndexBench.percentile(configured.search, 95))) ms")

// 5. Correctness: the index's top 10 against brute-force cosine in Double over ownVectors.
let queries = (0..<checkedQueries).map { IndexBench.query(10_000 + $0) }
let (bruteSeconds, reference) = IndexBench.time { () -> [[Double]] in
    // reference[q][row]: cosine of query q and row `row`, in Double.
    let norms = queries.map { q in q.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
    var scores = [[Double]](repeating: [Double](repeating: 0, count: rows), count: checkedQueries)
    let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    let parts = (0..<workers).map { worker in (rows * worker / workers)..<(rows * (worker + 1) / workers) }
    let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: rows * checkedQueries)
    defer { results.deallocate() }
    ownVectors.withUnsafeBufferPointer { vectors in
        nonisolated(unsafe) let vectors = vectors, results = results
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for row in parts[worker] {
                let v = vectors.baseAddress! + row * dimension
                var norm = 0.0
                for j in 0..<dimension { norm += Double(v[j]) * Double(v[j]) }
                for (q, query) in queries.enumerated() {
                    var dot = 0.0
                    for j in 0..<dimension { dot += Double(query[j]) * Double(v[j]) }
                    results[row * checkedQueries + q] = dot / (norm.squareRoot() * norms[q])
                }
            }
        }
    }
    for row in 0..<rows {
        for q in 0..<checkedQueries { scores[q][row] = results[row * checkedQueries + q] }
    }
    return scores
}
log("brute force in Double over \(rows) rows for \(checkedQueries) queries: \(String(format: "%.2f", bruteSeconds)) s")

var maxAbsError = 0.0
var orderMismatches = 0
var minGap = Double.infinity
for (q, query) in queries.enumerated() {
    let scores = reference[q]
    let expected = Array(scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(topK + 1))
    for (a, b) in zip(expected, expected.dropFirst()) { minGap = min(minGap, scores[a] - scores[b]) }
    let matches: [PhotoMatch]
    do { matches = try index.search(embedding: query, model: model, topK: topK) } catch { fail("search failed: \(error)") }
    guard matches.count == min(topK, rows) else { fail("check query \(q) gave \(matches.count) matches") }
    for (position, match) in matches.enumerated() {
        guard let row = IndexBench.row(ofPath: match.path) else { fail("unexpected path \(match.path)") }
        maxAbsError = max(maxAbsError, abs(Double(match.similarity) - scores[row]))
        if row != expected[position], scores[row] != scores[expected[position]] { orderMismatches += 1 }
    }
}
log("check: max abs error \(maxAbsError), order mismatches \(orderMismatches), smallest top-11 gap \(minGap)")

// 6. The line.
func summary(_ values: [Double]) -> JSONLine {
    var object = JSONLine()
    object.add("median", IndexBench.median(values), digits: 3)
    object.add("p95", IndexBench.percentile(values, 95), digits: 3)
    return object
}

var line = JSONLine()
line.add("rows", rows)
line.add("dimension", dimension)
line.add("threads", ComputeThreads.count)
if preparation.rowsAdded > 0 {
    line.add("build_seconds", preparation.seconds, digits: 2)
    line.add("rows_built", preparation.rowsAdded)
}
line.add("db_bytes", bytes.database)
line.add("load_seconds", IndexBench.median(loadSeconds), digits: 3)
line.add("load_seconds_all", list: loadSeconds, digits: 3)
line.add("search_ms", object: summary(configured.search))
line.add("similarities_ms", object: summary(configured.similarities))
line.add("search_ms_unconfigured", object: summary(unconfigured.search))
line.add("queries", timedQueries)
line.add("max_abs_error", exponent: maxAbsError)
line.add("order_mismatches", orderMismatches)
line.add("min_gap", exponent: minGap)
line.add("stored_max_abs_diff", exponent: Double(storedMaxDiff))
line.add("check_ok", maxAbsError <= 1e-6 && orderMismatches == 0)
print(line.text)
