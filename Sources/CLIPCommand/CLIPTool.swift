import ArgumentParser
import CLIP
import Foundation

/// The `clip` command-line tool: tokenize, embed, classify and inspect CLIP models.
///
/// Every failure — a bad argument, an unknown subcommand, a library error — prints exactly one
/// line beginning `error:` on standard error and exits non-zero. `--help` prints help on
/// standard output and exits 0.
@main
struct CLIPTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Run CLIP models on the CPU: zero-shot classification, embeddings, search.",
        subcommands: subcommands
    )

    /// Every subcommand; `serve` only in a build with the trait `Server` (`swift build --traits Server`).
    static var subcommands: [any ParsableCommand.Type] {
        var commands: [any ParsableCommand.Type] = [
            TokenizeCommand.self, EmbedTextCommand.self, EmbedImageCommand.self, PreprocessCommand.self,
            InfoCommand.self, ClassifyCommand.self, SearchCommand.self, IndexCommand.self, EmbedFolderCommand.self,
            MergeShardsCommand.self, BenchCommand.self,
        ]
        #if Server
        commands.append(ServeCommand.self)
        #endif
        return commands
    }

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withFailure: error)
        }
    }

    /// Reports `error` the way this tool promises: help and clean exits go to standard output
    /// unchanged; anything else becomes one `error:` line on standard error.
    static func exit(withFailure error: Error) -> Never {
        let code = exitCode(for: error)
        if code == .success {
            let text = fullMessage(for: error)
            if !text.isEmpty { print(text) }
            Foundation.exit(0)
        }
        let message = self.message(for: error)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
        if !message.isEmpty {
            let line = message.lowercased().hasPrefix("error:") ? message : "error: \(message)"
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        Foundation.exit(code.rawValue == 0 ? 1 : code.rawValue)
    }
}
