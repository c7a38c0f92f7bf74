// Text-to-image search: embeds every image in a folder once, then ranks them for each query.
//
//     swift run -c release search-folder Examples/images "a blue heart" "a photo of a yellow circle"
//     swift run -c release search-folder --model /path/to/clip-vit-base-patch32 Examples/photos "a sleeping cat"
//
// Without --model it uses the demonstration model bundled with the package (synthetic shapes only).
import CLIP
import CLIPDemoModel
import Foundation

var arguments = Array(CommandLine.arguments.dropFirst())
var modelPath: String?
if let flag = arguments.firstIndex(of: "--model"), flag + 1 < arguments.count {
    modelPath = arguments[flag + 1]
    arguments.removeSubrange(flag...(flag + 1))
}
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: search-folder [--model DIR] FOLDER QUERY...\n".utf8))
    exit(2)
}
let folder = URL(fileURLWithPath: arguments[0])

do {
    let model = try modelPath.map { try CLIPModel(contentsOf: URL(fileURLWithPath: $0)) }
        ?? CLIPModel.bundledDemonstrationModel()
    let images = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        .filter { ["jpg", "jpeg", "png"].contains($0.pathExtension.lowercased()) }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    var index = EmbeddingIndex(dimension: model.architecture.embeddingDimension, model: model.fingerprint)
    try index.add(identifiers: images.map(\.lastPathComponent), embeddings: model.encode(imagesAt: images, normalized: true))
    for query in arguments.dropFirst() {
        print("\(query):")
        for hit in try index.search(model.encode(texts: [query], normalized: true), topK: 3) {
            print("  \(String(format: "%.3f", hit.similarity))  \(hit.identifier)")
        }
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
