// The smallest useful program: what a package that depends on swift-clip writes.
//
//     // In your Package.swift:
//     //   .package(url: "https://github.com/<owner>/swift-clip", branch: "main")
//     //   .executableTarget(name: "MyApp", dependencies: [
//     //       .product(name: "CLIP", package: "swift-clip"),
//     //       .product(name: "CLIPDemoModel", package: "swift-clip"),   // only for the bundled model
//     //   ])
//
//     swift run -c release minimal-clip IMAGE [MODEL_DIR]
//
// Without MODEL_DIR it uses the demonstration model bundled with the package (product CLIPDemoModel).
import CLIP
import CLIPDemoModel
import Foundation

do {
    let arguments = CommandLine.arguments.dropFirst()
    guard let path = arguments.first else {
        FileHandle.standardError.write(Data("usage: minimal-clip IMAGE [MODEL_DIR]\n".utf8))
        exit(2)
    }
    let model = try arguments.dropFirst().first.map { try CLIPModel(contentsOf: URL(fileURLWithPath: $0)) }
        ?? CLIPModel.bundledDemonstrationModel()
    let classifier = try ZeroShotClassifier(model: model, labels: ["star", "circle", "square", "heart"])
    for prediction in try classifier.classify(imageAt: URL(fileURLWithPath: path)) {
        print(prediction.label, prediction.probability)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
