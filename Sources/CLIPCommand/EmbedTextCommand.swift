import ArgumentParser
import CLIP
import Foundation

/// `clip embed-text`: prints the projected text embedding of each text (what transformers'
/// `get_text_features` returns), one JSON array per line, unnormalized unless `--normalize`.
struct EmbedTextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-text",
        abstract: "Print the embedding of each text as a JSON array."
    )

    @OptionGroup var options: ModelOptions
    @OptionGroup var compute: ComputeOptions

    @Flag(name: .long, help: "Scale each embedding to unit length.")
    var normalize = false

    @Option(name: .customLong("token-ids"), help: ArgumentHelp(
        "A JSON file holding token-id sequences ([[Int]], tokenized elsewhere), instead of texts.", valueName: "file"))
    var tokenIDs: String?

    @Argument(help: ArgumentHelp("Texts to embed.", valueName: "text"))
    var texts: [String] = []

    func validate() throws {
        if texts.isEmpty, tokenIDs == nil { throw ValidationError("give at least one text (or --token-ids FILE)") }
        if !texts.isEmpty, tokenIDs != nil { throw ValidationError("give either texts or --token-ids, not both") }
    }

    func run() throws {
        let model = try options.loadModel(compute)
        if let tokenIDs {
            let ids: [[Int]]
            do {
                ids = try JSONDecoder().decode([[Int]].self, from: Data(contentsOf: URL(fileURLWithPath: tokenIDs)))
            } catch {
                throw ValidationError("\(tokenIDs) is not a readable JSON array of token-id arrays: \(error)")
            }
            try printEmbeddings(try model.encode(tokenIDs: ids, normalized: normalize))
        } else {
            try printEmbeddings(try model.encode(texts: texts, normalized: normalize))
        }
    }
}
