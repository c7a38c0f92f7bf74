import ArgumentParser
import CLIP
import Foundation
import PhotoLibrary

/// `clip embed-folder`: one worker's shard of a large embedding job.
struct EmbedFolderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-folder",
        abstract: "Embed one shard of the images under a folder into .npy + .jsonl files.",
        discussion: """
            The image files under PATH (recursively) are sorted and cut into N contiguous \
            shards; this run embeds shard I into DIR as parts of --part-size files: \
            shard-I-of-N-part-P.npy (float32 [rows, dim], L2-normalized), a .jsonl of the rows' \
            paths, sizes, times and SHA-256, and a .failures.jsonl. A restarted run skips the \
            parts already written. --shard auto reads JOB_COMPLETION_INDEX / JOB_COMPLETIONS \
            (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (Slurm \
            array). Merge the shards with `clip merge-shards DIR --db FILE`.
            """
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Option(name: .long, help: ArgumentHelp("The output folder, shared by every shard.", valueName: "dir"))
    var output: String

    @Option(name: .long, help: ArgumentHelp("I/N (0-based I), or auto.", valueName: "I/N"))
    var shard = "0/1"

    @Option(name: .long, help: ArgumentHelp("Files per part, the unit a restart skips.", valueName: "n"))
    var partSize = 1024

    @Option(name: .long, help: ArgumentHelp("Images per forward pass.", valueName: "n"))
    var batchSize = 32

    @Argument(help: ArgumentHelp("The folder (or folders) of images; every shard must get the same.", valueName: "path"))
    var paths: [String]

    func validate() throws {
        if partSize < 1 { throw ValidationError("--part-size must be at least 1, got \(partSize)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if paths.isEmpty { throw ValidationError("give the folder of images") }
    }

    func run() throws {
        let assignment = try ShardAssignment(parsing: shard)
        let model = try options.loadModel(compute)
        let line = ProgressLine(label: "shard \(assignment)")
        let start = Date()
        let summary = try EmbeddingShards.embed(
            paths.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: output), shard: assignment, model: model,
            partSize: partSize, options: IndexUpdateOptions(batchSize: batchSize)
        ) { done, total in
            line.update(done: done, total: total, elapsed: Date().timeIntervalSince(start), final: done == total)
        }
        line.finish()
        print("shard \(assignment): \(summary.shardFiles) of \(summary.totalFiles) files in \(summary.parts) parts "
              + "(\(summary.skippedParts) already written): \(summary.embedded) embedded, \(summary.failed) failed"
              + String(format: " in %.1f s", summary.seconds))
    }
}

/// `clip merge-shards`: load the shards of `clip embed-folder` into an index.
struct MergeShardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-shards",
        abstract: "Load every shard written by `clip embed-folder` into an index database.",
        discussion: "Refuses (and merges nothing) when a shard or a part is missing or the shards disagree on the model."
    )

    @Option(name: .long, help: ArgumentHelp("The index database (created when missing).", valueName: "file"))
    var db: String

    @Argument(help: ArgumentHelp("The folder the shards were written to.", valueName: "dir"))
    var directory: String

    func run() throws {
        let index = try PhotoIndex(contentsOf: URL(fileURLWithPath: db))
        let summary = try EmbeddingShards.merge(URL(fileURLWithPath: directory), into: index)
        print("merged \(summary.shards) shards, \(summary.parts) parts: \(summary.files) files with embeddings, \(summary.failures) failures recorded")
    }
}
