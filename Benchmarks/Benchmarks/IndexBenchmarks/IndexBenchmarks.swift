import Benchmark
import Foundation
import IndexBenchSupport
import PhotoLibrary
import TensorCore

// The photo index's search and load on a synthetic database (IndexBenchSupport builds it on the
// first run: a million 512-wide unit vectors, about 2.3 GB):
//
//   swift package benchmark --target IndexBenchmarks
//
// CLIP_INDEX_BENCH_DB picks the file (default /tmp/clip-index-bench-1m.db), CLIP_INDEX_BENCH_ROWS
// the row count (default 1_000_000). index-search-bench measures the same and checks the
// results against brute force.

private func settingsOrExit() -> IndexBench.Settings {
    do {
        let settings = try IndexBench.Settings.fromEnvironment()
        _ = try IndexBench.ensureDatabase(settings) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        return settings
    } catch {
        FileHandle.standardError.write(Data("IndexBenchmarks: \(error)\n".utf8))
        exit(1)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 50
    )
    let settings = settingsOrExit()
    // As in a process that opened a model: OpenBLAS's own pool down to one thread, the
    // compute threads splitting the products.
    ComputeThreads.configure()

    Benchmark("load \(settings.rows) x \(IndexBench.dimension)", configuration: .init(maxDuration: .seconds(20), maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations {
            let index = try PhotoIndex(contentsOf: settings.url, readOnly: true)
            blackHole(try index.embeddingMatrix(for: IndexBench.model).count)
        }
    }

    // Loaded once: each sample measures searches over the matrix already in memory.
    let searched: PhotoIndex
    do {
        searched = try PhotoIndex(contentsOf: settings.url, readOnly: true)
        _ = try searched.embeddingMatrix(for: IndexBench.model)
    } catch {
        FileHandle.standardError.write(Data("IndexBenchmarks: \(error)\n".utf8))
        exit(1)
    }
    Benchmark("search \(settings.rows) x \(IndexBench.dimension) top-10",
              configuration: .init(maxDuration: .seconds(10), maxIterations: 100)) { benchmark in
        for iteration in benchmark.scaledIterations {
            blackHole(try searched.search(embedding: IndexBench.query(iteration), model: IndexBench.model, topK: 10))
        }
    }
}
