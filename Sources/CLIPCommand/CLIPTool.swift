import ArgumentParser
import CLIP

/// The `clip` command-line tool: tokenize, embed, classify and inspect CLIP models.
@main
struct CLIPTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Run CLIP models on the CPU: zero-shot classification, embeddings, search.",
        subcommands: [TokenizeCommand.self]
    )
}
