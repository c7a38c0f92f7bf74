import ArgumentParser
import CLIP
import CLIPDemoModel
import Foundation

extension ModelPrecision: ExpressibleByArgument {
    public init?(argument: String) { self.init(shortName: argument) }
    public static var allValueStrings: [String] { allCases.map(\.shortName) }
}

/// How a model computes: `--precision` and `--threads`, on every command that runs a model.
struct ComputeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The number format of the matrix products: f32 (the reference), bf16 or int8.", valueName: "f32|bf16|int8"))
    var precision: ModelPrecision = .float32

    @Option(name: .long, help: ArgumentHelp(
        "Threads for all numerical work (default: all cores, or OMP_NUM_THREADS).", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies `--threads` and opens the model in `directory` with `--precision`.
    func openModel(_ directory: URL) throws -> CLIPModel {
        if let threads { ComputeThreads.setThreadCount(threads) }
        return try CLIPModel(contentsOf: directory, precision: precision)
    }
}

/// `--model`, on every command that reads a model. Where it is left out, commands that run a
/// model use the bundled demonstration model and `clip tokenize` CLIP's standard tokenizer.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A model directory (Hugging Face or OpenCLIP layout) or a Hugging Face Hub id owner/name[@revision].",
        valueName: "dir|id"))
    var model: String?

    /// The model directory: `--model`'s, else the bundled model's.
    func directory() throws -> URL {
        guard let model else {
            guard let bundled = CLIPModel.bundledDemonstrationModelDirectory else {
                throw CLIPModelError.missingComponent(
                    name: "bundled demonstration model",
                    reason: "the CLIPDemoModel module's Resources/mini-clip folder is missing; pass --model DIR")
            }
            return bundled
        }
        return try modelDirectory(named: model)
    }

    /// Applies `compute`'s `--threads` and loads the model (`--model`, else the bundled one)
    /// with its `--precision`.
    func loadModel(_ compute: ComputeOptions) throws -> CLIPModel {
        try compute.openModel(try directory())
    }
}

/// The checkpoint directory a `--model` value names: an existing local path as it is, else a
/// Hugging Face Hub id `owner/name[@revision]` resolved from the Hugging Face cache (downloading
/// missing files unless `HF_HUB_OFFLINE` is set; progress on standard error).
func modelDirectory(named name: String) throws -> URL {
    try CLIPModel.resolveDirectory(named: name, hub: .fromEnvironment(), progress: DownloadProgressPrinter().report)
}

/// Prints download progress on standard error: a line when a file starts and when it is done,
/// and a line per tenth of a large file.
final class DownloadProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var lastTenth: [String: Int64] = [:]

    func report(_ progress: HubDownloadProgress) {
        lock.lock()
        defer { lock.unlock() }
        let name = "\(progress.repository)/\(progress.file)"
        let size = progress.totalBytes.map { Self.format($0) } ?? "unknown size"
        if progress.isFinished {
            lastTenth[name] = nil
            printToStandardError("downloaded \(name) (\(Self.format(progress.completedBytes)))")
            return
        }
        guard let total = progress.totalBytes, total > 0 else {
            if lastTenth[name] == nil {
                lastTenth[name] = 0
                printToStandardError("downloading \(name) (\(size))")
            }
            return
        }
        let tenth = progress.completedBytes * 10 / total
        if let last = lastTenth[name], tenth <= last { return }
        if lastTenth[name] == nil {
            let resumed = progress.completedBytes > 0 ? ", resuming at \(Self.format(progress.completedBytes))" : ""
            printToStandardError("downloading \(name) (\(size)\(resumed))")
        } else if total >= 1 << 20 {
            printToStandardError("  \(name): \(tenth * 10)% of \(size)")
        }
        lastTenth[name] = tenth
    }

    static func format(_ bytes: Int64) -> String {
        if bytes >= 1 << 30 { return String(format: "%.2f GB", Double(bytes) / 1e9) }
        if bytes >= 1 << 20 { return String(format: "%.1f MB", Double(bytes) / 1e6) }
        if bytes >= 1 << 10 { return String(format: "%.1f kB", Double(bytes) / 1e3) }
        return "\(bytes) B"
    }
}

/// Writes one line to standard error (progress and per-item failures).
func printToStandardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Encodes a value as pretty-printed JSON with sorted keys, followed by a newline, on standard output.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
}

/// Preprocesses image files as one batch (on the compute threads); a bad file is reported (one
/// `error:` line on standard error) and skipped instead of failing the whole batch.
/// - Returns: the files that could be read and their pixels `[count, 3, H, W]`, or nil if none.
func preprocessImages(_ paths: [String], with model: CLIPModel, failures: inout Int) -> (paths: [String], pixels: Tensor)? {
    let batch = model.imagePreprocessor.batch(contentsOf: paths.map { URL(fileURLWithPath: $0) })
    for failure in batch.failures {
        printToStandardError("error: \(paths[failure.index]): \(failure.error)")
        failures += 1
    }
    guard let pixels = batch.pixelValues else { return nil }
    return (batch.indices.map { paths[$0] }, pixels)
}
