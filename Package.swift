// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "swift-clip",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "CLIP", targets: ["CLIP"]),
        // The 14 MB demonstration model (mini-clip) and `CLIPModel.bundledDemonstrationModel()`; a
        // separate product, so that `import CLIP` carries no model.
        .library(name: "CLIPDemoModel", targets: ["CLIPDemoModel"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "TextTokenizer", targets: ["TextTokenizer"]),
        .library(name: "ImageProcessing", targets: ["ImageProcessing"]),
        .library(name: "CLIPModels", targets: ["CLIPModels"]),
        .library(name: "ModelHub", targets: ["ModelHub"]),
        // The SQLite photo-library index; a separate product, so that `import CLIP` needs no libsqlite3.
        .library(name: "PhotoLibrary", targets: ["PhotoLibrary"]),
        .executable(name: "clip", targets: ["CLIPCommand"]),
        .executable(name: "tensor-demo", targets: ["TensorDemo"]),
        .executable(name: "classify-folder", targets: ["ClassifyFolder"]),
        .executable(name: "search-folder", targets: ["SearchFolder"]),
        .executable(name: "photo-library-search", targets: ["PhotoLibrarySearch"]),
        .executable(name: "minimal-clip", targets: ["MinimalCLIP"]),
        .executable(name: "tokenizer-bench", targets: ["TokenizerBench"]),
        .executable(name: "image-preprocess-bench", targets: ["ImagePreprocessBenchmark"]),
    ],
    traits: [
        // `swift build --traits Server` adds `clip serve` (Hummingbird HTTP server, Sources/CLIPServer);
        // without it nothing of Hummingbird, NIO, Prometheus or ServiceLifecycle is built.
        .trait(name: "Server", description: "Build the CLIPServer module and the `clip serve` subcommand."),
    ],
    dependencies: [
        // Only the command-line tool uses this; the libraries depend on the toolchain alone.
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only a command plugin for building the docs (Scripts/build-docs.sh); library users build nothing of it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // The HTTP server (trait `Server` only; resolved always, built only with the trait).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev liblapacke-dev libdnnl-dev libjpeg-dev libpng-dev zlib1g-dev).
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"]), .brew(["openblas"])]
        ),
        // oneDNN (Debian: libdnnl-dev): the model's matrix products in Float32, bfloat16 and int8.
        .systemLibrary(
            name: "CDNNL",
            providers: [.apt(["libdnnl-dev"]), .brew(["onednn"])]
        ),
        .systemLibrary(
            name: "CJPEG",
            pkgConfig: "libjpeg",
            providers: [.apt(["libjpeg-dev"]), .brew(["jpeg-turbo"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"]), .brew(["libpng"])]
        ),

        // The system SQLite (Debian: libsqlite3-dev), for PhotoLibrary's index file.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),

        // setjmp-protected decoding on top of libjpeg and libpng (Swift cannot catch their longjmp errors).
        .target(name: "CImageCodecs", dependencies: ["CJPEG", "CPNG"]),

        // Internal helpers shared by the library targets (JSON reading, concurrency); not a product.
        .target(name: "CLIPSupport"),

        // Libraries.
        .target(name: "TensorCore", dependencies: ["COpenBLAS", "CLIPSupport"], linkerSettings: [.linkedLibrary("m")]),
        .target(name: "SafeTensors", dependencies: ["TensorCore", "CLIPSupport"]),
        .target(name: "TextTokenizer", dependencies: ["CZlib", "CLIPSupport"], resources: [.copy("Resources")]),
        .target(name: "ImageProcessing", dependencies: ["TensorCore", "CImageCodecs", "CLIPSupport"]),
        .target(
            name: "CLIPModels",
            dependencies: ["TensorCore", "SafeTensors", "TextTokenizer", "ImageProcessing", "CDNNL", "CLIPSupport"]
        ),
        // Hugging Face cache and downloads (Foundation/FoundationNetworking only).
        .target(name: "ModelHub"),
        .target(
            name: "CLIP",
            dependencies: ["TensorCore", "SafeTensors", "TextTokenizer", "ImageProcessing", "CLIPModels", "ModelHub"]
        ),
        // The bundled demonstration model (Resources/mini-clip) and the API that opens it.
        .target(name: "CLIPDemoModel", dependencies: ["CLIP"], resources: [.copy("Resources")]),

        // The photo-library index (SQLite) and embedding shards.
        .target(name: "PhotoLibrary", dependencies: ["CLIP", "CSQLite", "CLIPSupport", "ModelHub", "TensorCore"]),

        // The HTTP server behind `clip serve` (trait `Server`): its sources are all `#if Server`,
        // so without the trait it is an empty module with no dependency on Hummingbird.
        .target(
            name: "CLIPServer",
            dependencies: [
                .target(name: "CLIP", condition: .when(traits: ["Server"])),
                .target(name: "PhotoLibrary", condition: .when(traits: ["Server"])),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Server"])),
                .target(name: "CLIPSupport", condition: .when(traits: ["Server"])),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["Server"])),
                .product(name: "UnixSignals", package: "swift-service-lifecycle", condition: .when(traits: ["Server"])),
                .product(name: "Prometheus", package: "swift-prometheus", condition: .when(traits: ["Server"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Server"])),
            ]
        ),

        // The `clip` command-line tool (`clip serve` only with the trait `Server`).
        .executableTarget(
            name: "CLIPCommand",
            dependencies: [
                "CLIP",
                "CLIPDemoModel",
                "PhotoLibrary",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .target(name: "CLIPServer", condition: .when(traits: ["Server"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Server"])),
            ]
        ),

        // Examples.
        .executableTarget(name: "TensorDemo", dependencies: ["TensorCore"], path: "Examples/TensorDemo"),
        .executableTarget(name: "ClassifyFolder", dependencies: ["CLIP", "CLIPDemoModel"], path: "Examples/ClassifyFolder"),
        .executableTarget(name: "SearchFolder", dependencies: ["CLIP", "CLIPDemoModel"], path: "Examples/SearchFolder"),
        .executableTarget(name: "PhotoLibrarySearch", dependencies: ["CLIP", "CLIPDemoModel", "PhotoLibrary"], path: "Examples/PhotoLibrarySearch"),
        .executableTarget(name: "MinimalCLIP", dependencies: ["CLIP", "CLIPDemoModel"], path: "Examples/MinimalCLIP"),
        .executableTarget(name: "TokenizerBench", dependencies: ["TextTokenizer"], path: "Examples/TokenizerBench"),
        .executableTarget(
            name: "ImagePreprocessBenchmark", dependencies: ["ImageProcessing"], path: "Examples/ImagePreprocessBenchmark"),

        // Tests.
        // The fake Hub (an in-process HTTP server) shared by ModelHubTests and CLIPTests; not a product.
        .target(name: "HubTestSupport", dependencies: ["ModelHub"], path: "Tests/HubTestSupport"),
        .testTarget(name: "CLIPSupportTests", dependencies: ["CLIPSupport"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore"]),
        // A small filesystem of its own for the disk-full tests (see Scripts/mount-small-filesystems.sh); not a product.
        .target(name: "FaultTestSupport", path: "Tests/FaultTestSupport"),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "FaultTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TextTokenizerTests", dependencies: ["TextTokenizer"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImageProcessingTests", dependencies: ["ImageProcessing", "ImageTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLIPModelsTests", dependencies: ["CLIPModels"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ModelHubTests", dependencies: ["ModelHub", "HubTestSupport", "FaultTestSupport"]),
        .testTarget(name: "CLIPTests", dependencies: ["CLIP", "CLIPDemoModel", "HubTestSupport"], exclude: ["Fixtures"]),
        // Runs the built `clip` executable as a process (the dependency makes sure it is built).
        .testTarget(name: "CLIPCommandTests", dependencies: ["CLIPCommand", "CLIP", "PhotoLibrary", "ImageTestSupport"],
                    exclude: ["Fixtures"]),
        // Generated test images (PNG), shared by the index tests; not a product.
        .target(name: "ImageTestSupport", path: "Tests/ImageTestSupport"),
        .testTarget(name: "PhotoLibraryTests", dependencies: ["PhotoLibrary", "ImageTestSupport", "FaultTestSupport"]),
        // The server's in-process tests (trait `Server`; sources `#if Server`).
        .testTarget(
            name: "CLIPServerTests",
            dependencies: [
                .target(name: "CLIPServer", condition: .when(traits: ["Server"])),
                .target(name: "CLIP", condition: .when(traits: ["Server"])),
                .target(name: "CLIPDemoModel", condition: .when(traits: ["Server"])),
                .target(name: "PhotoLibrary", condition: .when(traits: ["Server"])),
                .target(name: "ImageTestSupport", condition: .when(traits: ["Server"])),
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Server"])),
                .product(name: "HummingbirdTesting", package: "hummingbird", condition: .when(traits: ["Server"])),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle", condition: .when(traits: ["Server"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Server"])),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer harnesses (Fuzz/, see Fuzz/README.md): declared only when CLIP_FUZZ is set, so that
// `swift build`, `swift test` and packages depending on this one never see them. Fuzz/run.sh builds
// them with `-sanitize=fuzzer,address`; they live in this package to reach `package` symbols
// (the strict JSON reader, configuration decoding).
if Context.environment["CLIP_FUZZ"] != nil {
    let harnesses: [(String, [Target.Dependency])] = [
        ("FuzzSafeTensors", ["SafeTensors"]),
        ("FuzzShardIndex", ["SafeTensors"]),
        ("FuzzJSON", ["CLIPSupport", "CLIPModels", "ImageProcessing", "TextTokenizer"]),
        ("FuzzVocabulary", ["TextTokenizer"]),
        ("FuzzSentencePiece", ["TextTokenizer"]),
        ("FuzzTokenizer", ["TextTokenizer"]),
        ("FuzzImage", ["ImageProcessing"]),
        ("FuzzNumpy", ["SafeTensors"]),
        ("FuzzEmbeddingIndex", ["CLIP", "PhotoLibrary"]),
        // Needs `--traits Server` (Fuzz/run.sh passes it for this harness).
        ("FuzzServerRequest", ["CLIP", "CLIPServer", "CLIPSupport"]),
    ]
    package.targets.append(.target(name: "CFuzzing", path: "Fuzz/Sources/CFuzzing"))
    package.targets.append(.target(name: "FuzzSupport", dependencies: ["CFuzzing"], path: "Fuzz/Sources/FuzzSupport"))
    for (name, dependencies) in harnesses {
        package.targets.append(.executableTarget(
            name: name, dependencies: dependencies + ["FuzzSupport"], path: "Fuzz/Sources/\(name)"))
    }
}
