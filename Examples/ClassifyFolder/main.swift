// Classifies every image in a folder against a list of labels.
//
//     swift run -c release classify-folder Examples/images "star,circle,square,triangle,heart,cross,ring,diamond"
//     swift run -c release classify-folder --model /path/to/clip-vit-base-patch32 Examples/photos "cat,dog,car"
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
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: classify-folder [--model DIR] FOLDER \"label1,label2,...\"\n".utf8))
    exit(2)
}
let folder = URL(fileURLWithPath: arguments[0])
let labels = arguments[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }

do {
    let model = try modelPath.map { try CLIPModel(contentsOf: URL(fileURLWithPath: $0)) }
        ?? CLIPModel.bundledDemonstrationModel()
    let classifier = try ZeroShotClassifier(model: model, labels: labels)
    let images = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        .filter { ["jpg", "jpeg", "png"].contains($0.pathExtension.lowercased()) }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    for image in images {
        do {
            let best = try classifier.classify(imageAt: image, topK: 1)[0]
            print("\(image.lastPathComponent): \(best.label) (\(String(format: "%.1f", best.probability * 100))%)")
        } catch {
            FileHandle.standardError.write(Data("error: \(image.path): \(error)\n".utf8))
        }
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
