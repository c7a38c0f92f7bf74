import ArgumentParser
import CLIP
import Foundation
import PhotoLibrary

/// `clip search`: text-to-image or image-to-image search over a photo index or a folder.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the indexed images that best match a text or an image.",
        discussion: """
            With --db FILE, searches an index made by `clip index` (the model must be one the \
            index holds). With --images FOLDER, first brings the files directly inside the folder \
            into the index (in memory, or in --db FILE when given) and searches only those. The \
            query is a text, or an image file with --image. Results are ranked by cosine \
            similarity, computed exactly over every stored embedding.
            """
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: ArgumentHelp("The index database to search.", valueName: "file"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("Index and search the images directly inside this folder.", valueName: "dir"))
    var images: String?

    @Option(name: .long, help: .hidden)
    var index: String?

    @Option(name: .long, help: ArgumentHelp("Search with this image instead of a text.", valueName: "file"))
    var image: String?

    @Option(name: .long, help: ArgumentHelp("How many results to show.", valueName: "k"))
    var top = 5

    @Option(name: .long, help: ArgumentHelp("Images per forward pass when indexing --images.", valueName: "n"))
    var batchSize = 16

    @Flag(name: .long, help: "Print JSON: the query and the ranked identifier (path) / similarity entries.")
    var json = false

    @Argument(help: ArgumentHelp("The text to search for (unless --image).", valueName: "query"))
    var query: String?

    func validate() throws {
        if top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if db != nil && index != nil { throw ValidationError("--index is the old name of --db; give one of them") }
        if db == nil && index == nil && images == nil { throw ValidationError("give --db FILE (an index) or --images FOLDER") }
        switch (query, image) {
        case (nil, nil): throw ValidationError("give a text query or --image FILE")
        case (.some, .some): throw ValidationError("give a text query or --image FILE, not both")
        case let (text?, nil) where text.trimmingCharacters(in: .whitespaces).isEmpty: throw ValidationError("the query is empty")
        default: break
        }
    }

    struct Output: Encodable {
        let query: String
        let results: [SearchResult]
    }

    func run() throws {
        let model = try options.loadModel(compute)
        let databasePath = db ?? index
        let photoIndex: PhotoIndex
        var failures = 0
        if let databasePath {
            photoIndex = try PhotoIndex(contentsOf: URL(fileURLWithPath: databasePath))
        } else {
            photoIndex = try PhotoIndex()
        }
        var folder: URL?
        if let images {
            folder = try indexFolder(images, into: photoIndex, model: model, failures: &failures)
        }
        let hits: [PhotoMatch]
        if let image {
            hits = try photoIndex.search(imageAt: URL(fileURLWithPath: image), model: model, topK: top, under: folder)
        } else {
            hits = try photoIndex.search(text: query ?? "", model: model, topK: top, under: folder)
        }
        if json {
            try printJSON(Output(query: query ?? image ?? "",
                                 results: hits.map { SearchResult(identifier: $0.path, similarity: $0.similarity) }))
        } else {
            for hit in hits { print(String(format: "%.4f  ", hit.similarity) + hit.path) }
        }
        if failures > 0 { throw ExitCode.failure }
    }

    /// Brings the images directly inside `folder` into the index; returns the folder as the
    /// search's scope. Files that cannot be read are reported, one `error:` line each.
    private func indexFolder(_ folder: String, into photoIndex: PhotoIndex, model: CLIPModel, failures: inout Int) throws -> URL {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandFailure(description: "\(folder): not a folder")
        }
        let url = URL(fileURLWithPath: folder)
        let line = ProgressLine(label: "embedding")
        var failed: [String] = []
        let summary = try photoIndex.update([url], model: model, options: IndexUpdateOptions(batchSize: batchSize, recursive: false)) { progress in
            failed += progress.newFailures.map { $0.error ?? $0.path }
            if progress.pending > batchSize {
                line.update(done: progress.processed, total: progress.pending, elapsed: progress.embeddingElapsed,
                            final: progress.processed == progress.pending)
            }
        }
        line.finish()
        guard summary.found > 0 else { throw CommandFailure(description: "\(folder): no JPEG or PNG files") }
        // Failures recorded earlier count too: the folder's search leaves them out.
        let prefix = (url.standardizedFileURL.path as NSString).standardizingPath + "/"
        let inFolder = try photoIndex.failures().filter { $0.path.hasPrefix(prefix) && !$0.path.dropFirst(prefix.count).contains("/") }
        for failure in inFolder where !failed.contains(failure.error ?? failure.path) { failed.append(failure.error ?? failure.path) }
        for message in failed { printToStandardError("error: \(message)") }
        failures = failed.count
        guard summary.found > inFolder.count else { throw CommandFailure(description: "\(folder): no image could be read") }
        return url
    }
}
