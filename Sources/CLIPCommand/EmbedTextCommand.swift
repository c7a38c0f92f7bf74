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

    @Argument(help: ArgumentHelp("Texts to embed.", valueName: "text"))
    var texts: [String] = []

    func validate() throws {
        if texts.isEmpty { throw ValidationError("give at least one text") }
    }

    func run() throws {
        let model = try options.loadModel(compute)
        try printEmbeddings(try model.encode(texts: texts, normalized: normalize))
    }
}
