import ArgumentParser
import CLIP
import Foundation

/// `clip tokenize [--model DIR] [--context-length N] TEXT...`: one JSON array of token ids per text.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of each text as a JSON array (CLIP: start 49406, end 49407, unpadded).",
        discussion: """
            Texts are cleaned and tokenized exactly as OpenAI CLIP / open_clip do. A text longer than the \
            context is truncated and its last id replaced by the end-of-text id. Without --model the \
            bundled standard CLIP vocabulary is used; with it, the model's tokenizer: the directory's \
            tokenizer files, else (for a model with CLIP's 49408-token vocabulary) the standard one. \
            For a SigLIP model: its SentencePiece (spiece.model) or Gemma (tokenizer.json) tokenizer, \
            as transformers calls it with padding="max_length": every text padded to the context length.
            """
    )

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: """
        Maximum number of ids per text, special tokens included (default: the model's, 77 for CLIP; \
        SigLIP tokenizers pad to it).
        """)
    var contextLength: Int?

    @Argument(help: "Texts to tokenize.")
    var texts: [String] = []

    func run() throws {
        do {
            guard !texts.isEmpty else { throw TokenizeFailure("no text given (usage: clip tokenize [--model DIR] [--context-length N] TEXT...)") }
            let tokenizer = try makeTokenizer()
            var output = ""
            for text in texts {
                let ids = try tokenizer.tokenize(text, contextLength: contextLength ?? tokenizer.contextLength)
                output += "[" + ids.map(String.init).joined(separator: ",") + "]\n"
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        } catch {
            FileHandle.standardError.write(Data("error: \(Self.oneLine(error))\n".utf8))
            throw ExitCode.failure
        }
    }

    private func makeTokenizer() throws -> any TextTokenizing {
        if let contextLength, contextLength < 1 { throw TextTokenizerError.invalidContextLength(contextLength) }
        guard options.model != nil else { return try CLIPTokenizer(contextLength: contextLength ?? 77) }
        let folder = try options.directory()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TokenizeFailure("model directory \(folder.path) does not exist")
        }
        let source = try CLIPModelDirectory.tokenizerSource(in: folder)
        if let model = try? CLIPModelDirectory(contentsOf: folder) {
            return model.withTextCleaning(try source.makeTokenizer(contextLength: model.architecture.text.contextLength))
        }
        switch source {
        case .sentencePiece, .gemma: return try source.makeTokenizer(contextLength: 64)
        case .wordPiece: return try source.makeTokenizer(contextLength: 32)
        default: return try source.makeTokenizer(contextLength: CLIPTokenizer.defaultContextLength)
        }
    }

    static func oneLine(_ error: Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// A command failure with a message.
struct TokenizeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
