import ArgumentParser
import CLIP
import Foundation

/// Options shared by the commands that run a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The model directory (Hugging Face or OpenCLIP layout). Default: the bundled demonstration model.",
        valueName: "dir"))
    var model: String?

    @Option(name: .long, help: ArgumentHelp(
        "Threads for matrix products (default: all cores, or OPENBLAS_NUM_THREADS).", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies `--threads` and loads the model (`--model`, else the bundled one).
    func loadModel() throws -> CLIPModel {
        if let threads { ComputeThreads.setThreadCount(threads) }
        guard let model else { return try CLIPModel.bundledDemonstrationModel() }
        return try CLIPModel(contentsOf: URL(fileURLWithPath: model))
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

/// Preprocesses image files one by one so that a bad file is reported (one `error:` line on
/// standard error) and skipped instead of failing the whole batch.
/// - Returns: the files that could be read and their pixels `[count, 3, H, W]`, or nil if none.
func preprocessImages(_ paths: [String], with model: CLIPModel, failures: inout Int) -> (paths: [String], pixels: Tensor)? {
    var good: [String] = []
    var tensors: [Tensor] = []
    for path in paths {
        do {
            tensors.append(try model.imagePreprocessor.pixelValues(contentsOf: URL(fileURLWithPath: path)))
            good.append(path)
        } catch {
            printToStandardError("error: \(path): \(error)")
            failures += 1
        }
    }
    guard !tensors.isEmpty, let pixels = try? Tensor.concatenate(tensors, axis: 0) else { return nil }
    return (good, pixels)
}
