// A photo-library index an app keeps current: updates an SQLite index of a folder tree (only new
// and changed files are embedded; each batch is committed on its own), then searches it.
//
//     swift run -c release photo-library-search photos.db Examples "a blue heart" "a photo of a cat"
//     swift run -c release photo-library-search --model /path/to/clip-vit-base-patch32 ~/Pictures.db ~/Pictures "a dog on a beach"
//
// Without --model it uses the demonstration model bundled with the package (synthetic shapes only).
import CLIP
import CLIPDemoModel
import Foundation
import PhotoLibrary

var arguments = Array(CommandLine.arguments.dropFirst())
var modelPath: String?
if let flag = arguments.firstIndex(of: "--model"), flag + 1 < arguments.count {
    modelPath = arguments[flag + 1]
    arguments.removeSubrange(flag...(flag + 1))
}
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: photo-library-search [--model DIR] DATABASE FOLDER QUERY...\n".utf8))
    exit(2)
}

do {
    let model = try modelPath.map { try CLIPModel(contentsOf: URL(fileURLWithPath: $0)) }
        ?? CLIPModel.bundledDemonstrationModel()
    let index = try PhotoIndex(contentsOf: URL(fileURLWithPath: arguments[0]))
    let summary = try index.update([URL(fileURLWithPath: arguments[1])], model: model) { progress in
        for failure in progress.newFailures { print("skipped:", failure.error ?? failure.path) }
    }
    print("\(summary.found) files: \(summary.embedded) embedded, \(summary.reused) reused, \(summary.unchanged) unchanged, \(summary.removed) removed")
    for query in arguments.dropFirst(2) {
        print("\(query):")
        for hit in try index.search(text: query, model: model, topK: 3) {
            print("  \(String(format: "%.3f", hit.similarity))  \(hit.path)")
        }
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
