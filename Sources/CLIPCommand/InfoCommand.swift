import ArgumentParser
import CLIP
import Foundation

/// `clip info`: describes what a checkpoint holds.
///
/// `--model DIR` describes a model directory: layout, architecture (named when it is a known
/// CLIP size), tower sizes, weight dtype, parameter count, tokenizer and preprocessing files.
/// `--weights` lists every tensor of a safetensors file (or of a sharded checkpoint's index,
/// or of a model directory's weights) with its dtype and shape, then the totals.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a checkpoint: tensor names, dtypes, shapes and parameter count."
    )

    @OptionGroup var options: ModelOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A safetensors file, a sharded checkpoint's index (.json), or a directory holding one.",
            valueName: "file"))
    var weights: String?

    func run() throws {
        do {
            switch (options.model, weights) {
            case (.some, nil):
                print(try ModelReport(directory: try options.directory()).text, terminator: "")
            case let (nil, weights?):
                print(try WeightsReport(path: weights).text, terminator: "")
            case (.some, .some):
                throw InfoFailure(description: "clip info takes either --model DIR or --weights FILE, not both")
            case (nil, nil):
                throw InfoFailure(description: "clip info needs --model DIR or --weights FILE")
            }
        } catch {
            // One line on stderr, then a failing exit status.
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// A failure of `clip info` that is not a library error.
struct InfoFailure: Error, CustomStringConvertible {
    var description: String
}

/// The text `clip info --weights` prints: a header, one line per tensor (name, dtype, shape,
/// aligned in columns), and totals.
struct WeightsReport {
    let text: String

    init(path: String) throws {
        let checkpoint = try SafeTensorsCheckpoint(
            contentsOf: URL(fileURLWithPath: path), indexFile: CLIPModelDirectory.FileName.weightIndex,
            preferredFiles: CLIPModelDirectory.FileName.singleWeightFiles)
        var lines: [String] = []
        if let index = checkpoint.indexPath {
            lines.append("index: \(index) (\(checkpoint.files.count) shard\(checkpoint.files.count == 1 ? "" : "s"))")
            for file in checkpoint.files { lines.append("shard: \(file.path)") }
        } else if let file = checkpoint.files.first {
            lines.append("file: \(file.path)")
        }
        for key in checkpoint.metadata.keys.sorted() {
            lines.append("metadata: \(Self.printable(key)) = \(Self.printable(checkpoint.metadata[key] ?? ""))")
        }

        var rows: [(name: String, dtype: String, shape: String)] = []
        var dtypeCounts: [SafeTensorsDType: (tensors: Int, elements: Int)] = [:]
        var bytes = 0
        for name in checkpoint.tensorNames {
            let info = try checkpoint.info(named: name)
            rows.append((Self.printable(name), info.dtype.rawValue, "[" + info.shape.map(String.init).joined(separator: ", ") + "]"))
            dtypeCounts[info.dtype, default: (0, 0)].tensors += 1
            dtypeCounts[info.dtype, default: (0, 0)].elements += info.elementCount
            bytes += info.byteCount
        }
        let nameWidth = min(rows.map { $0.name.count }.max() ?? 0, 100)
        let dtypeWidth = rows.map { $0.dtype.count }.max() ?? 0
        for row in rows {
            lines.append(Self.padded(row.name, nameWidth) + "  " + Self.padded(row.dtype, dtypeWidth) + "  " + row.shape)
        }
        lines.append("tensors: \(rows.count)")
        let summary = dtypeCounts.keys.sorted { $0.rawValue < $1.rawValue }
            .map { "\($0.rawValue) \(dtypeCounts[$0]?.tensors ?? 0)" }.joined(separator: ", ")
        lines.append("dtypes: \(summary.isEmpty ? "none" : summary)")
        lines.append("parameters: \(checkpoint.parameterCount)")
        lines.append("bytes: \(bytes)")
        text = lines.joined(separator: "\n") + "\n"
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Escapes control characters so a name from the file cannot break the line structure.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
