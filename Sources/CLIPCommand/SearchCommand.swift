import ArgumentParser
import CLIP
import Foundation

/// `clip search`: text-to-image search over a folder of images.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the images in a folder that best match a text query.",
        discussion: """
            Every JPEG and PNG file directly inside the folder is embedded (pass --index FILE to keep
            the embeddings: the file is reused when it was made by the same model for the same
            files, rebuilt otherwise), then ranked by cosine similarity to the query.
            """
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: ArgumentHelp("The folder of images to search.", valueName: "dir"))
    var images: String

    @Option(name: .long, help: ArgumentHelp("Cache the image embeddings in this file.", valueName: "file"))
    var index: String?

    @Option(name: .long, help: ArgumentHelp("How many results to show.", valueName: "k"))
    var top = 5

    @Option(name: .long, help: ArgumentHelp("Images per forward pass.", valueName: "n"))
    var batchSize = 16

    @Flag(name: .long, help: "Print JSON: the query and the ranked path / similarity entries.")
    var json = false

    @Argument(help: ArgumentHelp("The text to search for.", valueName: "query"))
    var query: String

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if query.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("the query is empty") }
    }

    struct Output: Encodable {
        let query: String
        let results: [SearchResult]
    }

    func run() throws {
        let model = try options.loadModel(compute)
        let files = try Self.imageFiles(in: images)
        guard !files.isEmpty else { throw CommandFailure(description: "\(images): no JPEG or PNG files") }
        var failures = 0
        let imageIndex = try loadOrBuildIndex(model: model, files: files, failures: &failures)
        let queryEmbedding = try model.encode(texts: [query], normalized: true)
        let hits = try imageIndex.search(queryEmbedding, topK: top)
        if json {
            try printJSON(Output(query: query, results: hits))
        } else {
            for hit in hits { print(String(format: "%.4f  ", hit.similarity) + hit.identifier) }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    /// The JPEG and PNG files directly inside `folder`, sorted by name.
    static func imageFiles(in folder: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandFailure(description: "\(folder): not a folder")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        let extensions: Set<String> = ["jpg", "jpeg", "png"]
        return names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    private func loadOrBuildIndex(model: CLIPModel, files: [String], failures: inout Int) throws -> EmbeddingIndex {
        if let index, FileManager.default.fileExists(atPath: index),
            let cached = try? EmbeddingIndex(contentsOf: URL(fileURLWithPath: index), expectingModel: model.fingerprint),
            cached.identifiers == files
        {
            return cached
        }
        var built = EmbeddingIndex(dimension: model.architecture.embeddingDimension, model: model.fingerprint)
        var done = 0
        for start in stride(from: 0, to: files.count, by: batchSize) {
            let batch = Array(files[start..<min(start + batchSize, files.count)])
            if let (paths, pixels) = preprocessImages(batch, with: model, failures: &failures) {
                try built.add(identifiers: paths, embeddings: try model.encode(pixelValues: pixels, normalized: true))
            }
            done += batch.count
            if files.count > batchSize { printToStandardError("embedded \(done)/\(files.count) images") }
        }
        guard built.count > 0 else { throw CommandFailure(description: "\(images): no image could be read") }
        if let index { try built.write(to: URL(fileURLWithPath: index)) }
        return built
    }
}
