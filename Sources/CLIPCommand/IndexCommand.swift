import ArgumentParser
import CLIP
import Foundation
import PhotoLibrary

/// `clip index`: keep a photo-library index (an SQLite file) current.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index image files (folders walked recursively) into an SQLite database.",
        discussion: """
            Only new and changed files are read; content already embedded by the model (a moved \
            or renamed file) is not embedded again; files gone from the given folders leave the \
            index. Each batch is committed on its own, so an interrupted run resumes where it \
            stopped. Files that cannot be read are reported on standard error (one line each) \
            and recorded, not retried until they change. One database can hold several models.
            """
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: ArgumentHelp("The index database (created when missing).", valueName: "file"))
    var db: String

    @Option(name: .long, help: ArgumentHelp("Images per forward pass.", valueName: "n"))
    var batchSize = 32

    @Flag(name: .long, help: "Only the files directly inside each folder.")
    var noRecursion = false

    @Flag(name: .long, help: "Print the summary as JSON.")
    var json = false

    @Argument(help: ArgumentHelp("Folders or image files to index.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if paths.isEmpty { throw ValidationError("give at least one folder or file to index") }
    }

    func run() throws {
        let model = try options.loadModel(compute)
        let index = try PhotoIndex(contentsOf: URL(fileURLWithPath: db))
        let line = ProgressLine(label: "indexing")
        let summary = try index.update(
            paths.map { URL(fileURLWithPath: $0) }, model: model,
            options: IndexUpdateOptions(batchSize: batchSize, recursive: !noRecursion)
        ) { progress in
            for failure in progress.newFailures { line.warn("warning: skipped \(failure.error ?? failure.path)") }
            if progress.pending > 0 {
                line.update(done: progress.processed, total: progress.pending, elapsed: progress.embeddingElapsed,
                            final: progress.processed == progress.pending)
            }
        }
        line.finish()
        for folder in summary.unreadableFolders { printToStandardError("warning: \(folder): cannot list the folder") }
        if json {
            try printJSON(summary)
        } else {
            print(Self.describe(summary))
        }
    }

    static func describe(_ summary: IndexUpdateSummary) -> String {
        var text = "\(summary.found) files: \(summary.embedded) embedded, \(summary.reused) reused, "
            + "\(summary.unchanged) unchanged, \(summary.failed) failed, \(summary.removed) removed"
        text += String(format: " in %.1f s", summary.seconds)
        if summary.embedded > 0 { text += String(format: " (%.1f images/s)", summary.imagesPerSecond) }
        return text
    }
}
