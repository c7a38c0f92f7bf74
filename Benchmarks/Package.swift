// swift-tools-version:6.1
// Benchmarks for swift-clip, kept in their own package so that users of the library never
// build the benchmark framework. Run from this directory: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "swift-clip-benchmarks",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "index-search-bench", targets: ["IndexSearchBench"]),
    ],
    dependencies: [
        .package(name: "swift-clip", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "TensorCoreBenchmarks",
            dependencies: [
                .product(name: "TensorCore", package: "swift-clip"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/TensorCoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "PipelineBenchmarks",
            dependencies: [
                .product(name: "CLIP", package: "swift-clip"),
                .product(name: "CLIPDemoModel", package: "swift-clip"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/PipelineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "BatcherBenchmarks",
            dependencies: [
                .product(name: "CLIP", package: "swift-clip"),
                .product(name: "CLIPDemoModel", package: "swift-clip"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/BatcherBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // The synthetic index database and generators both index benchmarks use.
        .target(
            name: "IndexBenchSupport",
            dependencies: [
                .product(name: "PhotoLibrary", package: "swift-clip"),
                .product(name: "TensorCore", package: "swift-clip"),
            ],
            path: "Sources/IndexBenchSupport"
        ),
        .executableTarget(
            name: "IndexBenchmarks",
            dependencies: [
                "IndexBenchSupport",
                .product(name: "PhotoLibrary", package: "swift-clip"),
                .product(name: "TensorCore", package: "swift-clip"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/IndexBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // A plain executable with the same measurements as IndexBenchmarks plus a correctness
        // check, printing one JSON line (quicker to run than the benchmark harness):
        //   swift build -c release --product index-search-bench && .build/release/index-search-bench
        .executableTarget(
            name: "IndexSearchBench",
            dependencies: [
                "IndexBenchSupport",
                .product(name: "PhotoLibrary", package: "swift-clip"),
                .product(name: "TensorCore", package: "swift-clip"),
            ],
            path: "Sources/IndexSearchBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
