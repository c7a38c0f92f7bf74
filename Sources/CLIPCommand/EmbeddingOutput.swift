import CLIP
import Foundation

/// Writes embeddings `[count, dimension]` to standard output as one JSON array per row.
///
/// Numbers use Swift's shortest round-trip form for Float, so parsing them gives back the same
/// Float32 values. Non-finite values cannot be written as JSON; they are an error instead.
func printEmbeddings(_ embeddings: Tensor) throws {
    let rows = embeddings.shape.first ?? 0
    let width = embeddings.rank == 2 ? embeddings.shape[1] : 0
    let values = embeddings.scalars
    if let index = values.firstIndex(where: { !$0.isFinite }) {
        throw CommandFailure(description: "embedding \(index / max(width, 1)) contains a non-finite value (\(values[index]))")
    }
    var output = ""
    output.reserveCapacity(rows * width * 12)
    for row in 0..<rows {
        output += "["
        for column in 0..<width {
            if column > 0 { output += ", " }
            output += "\(values[row * width + column])"
        }
        output += "]\n"
    }
    FileHandle.standardOutput.write(Data(output.utf8))
}

/// A failure of a `clip` subcommand that is not a library error; its description is the
/// message printed after `error:`.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}
