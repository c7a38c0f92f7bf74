// The smallest useful program: what a package that depends on swift-clip writes.
//
//     // In your Package.swift:
//     //   .package(url: "https://github.com/<owner>/swift-clip", branch: "main")
//     //   .executableTarget(name: "MyApp", dependencies: [.product(name: "CLIP", package: "swift-clip")])
//
//     swift run -c release minimal-clip Examples/images/red-star.png
import CLIP
import Foundation

do {
    let model = try CLIPModel.bundledDemonstrationModel()          // or CLIPModel(contentsOf: directory)
    let classifier = try ZeroShotClassifier(model: model, labels: ["star", "circle", "square", "heart"])
    let path = CommandLine.arguments.dropFirst().first ?? "Examples/images/red-star.png"
    for prediction in try classifier.classify(imageAt: URL(fileURLWithPath: path)) {
        print(prediction.label, prediction.probability)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
