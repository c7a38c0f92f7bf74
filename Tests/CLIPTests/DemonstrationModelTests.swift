import Foundation
import Testing
import CLIP

/// The test set and PyTorch predictions made by Scripts/train-mini-clip (make_assets.py renders
/// the images from a seed never used in training; evaluate.py runs them through transformers'
/// CLIPImageProcessor + CLIPModel loaded from the bundled files and records every logit).
struct DemonstrationTestSet: Decodable {
    struct Image: Decodable {
        let file: String
        let color: String
        let shape: String
        let heldOut: Bool
        let predictedColor: String
        let predictedShape: String
        let colorLogits: [Double]
        let colorProbabilities: [Double]
        let shapeLogits: [Double]
        let shapeProbabilities: [Double]
    }
    let logitScaleExp: Double
    let colorTemplate: String
    let shapeTemplate: String
    let colors: [String]
    let shapes: [String]
    let colorPromptIds: [[Int]]
    let shapePromptIds: [[Int]]
    let images: [Image]

    static let directory = testsDirectory.appendingPathComponent("CLIPTests/Fixtures/mini-clip-testset")

    static func load() throws -> DemonstrationTestSet {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(
            DemonstrationTestSet.self, from: Data(contentsOf: directory.appendingPathComponent("predictions.json")))
    }
}

/// The L2-normalized image embeddings of every test image, `[images, embeddingDimension]`, in
/// test-set order (decoded and preprocessed by the library, in batches of 50).
private func imageEmbeddings(_ model: CLIPModel, _ testSet: DemonstrationTestSet) throws -> [Tensor] {
    let urls = testSet.images.map { DemonstrationTestSet.directory.appendingPathComponent($0.file) }
    return try stride(from: 0, to: urls.count, by: 50).map { start in
        try model.encode(imagesAt: Array(urls[start..<min(start + 50, urls.count)]), normalized: true)
    }
}

/// One classifier's probabilities and cosines for every test image, indexed like its labels.
private func scores(
    _ classifier: ZeroShotClassifier, _ embeddings: [Tensor]
) throws -> (probabilities: [[Double]], similarities: [[Double]]) {
    var probabilities: [[Double]] = []
    var similarities: [[Double]] = []
    for batch in embeddings {
        for ranked in try classifier.rank(imageEmbeddings: batch) {
            var p = [Double](repeating: .nan, count: classifier.labels.count)
            var s = p
            for prediction in ranked {
                let index = try #require(classifier.labels.firstIndex(of: prediction.label))
                p[index] = Double(prediction.probability)
                s[index] = Double(prediction.similarity)
            }
            probabilities.append(p)
            similarities.append(s)
        }
    }
    return (probabilities, similarities)
}

private func argmax(_ v: [Double]) -> Int { v.indices.max { v[$0] < v[$1] } ?? -1 }

@Suite("Bundled demonstration model (mini-clip)")
struct DemonstrationModelTests {
    let testSet: DemonstrationTestSet
    let model: CLIPModel

    init() throws {
        testSet = try DemonstrationTestSet.load()
        model = try CLIPModel.bundledDemonstrationModel()
    }

    @Test("the prompts tokenize to the ids transformers' CLIPTokenizer gave")
    func promptTokens() throws {
        let tokenizer = try CLIPTokenizer()
        for (label, ids) in zip(testSet.colors, testSet.colorPromptIds) {
            #expect(tokenizer.tokenize(PromptTemplates.caption(testSet.colorTemplate, label: label)) == ids)
        }
        for (label, ids) in zip(testSet.shapes, testSet.shapePromptIds) {
            #expect(tokenizer.tokenize(PromptTemplates.caption(testSet.shapeTemplate, label: label)) == ids)
        }
        #expect(abs(Double(model.logitScale) - testSet.logitScaleExp) <= 1e-4 * testSet.logitScaleExp)
    }

    @Test("zero-shot color and shape: same predictions and probabilities as PyTorch; ≥ 90% on held-out pairs")
    func zeroShotAccuracyAndParity() throws {
        let colorClassifier = try ZeroShotClassifier(model: model, labels: testSet.colors, templates: [testSet.colorTemplate])
        let shapeClassifier = try ZeroShotClassifier(model: model, labels: testSet.shapes, templates: [testSet.shapeTemplate])
        let embeddings = try imageEmbeddings(model, testSet)
        let color = try scores(colorClassifier, embeddings)
        let shape = try scores(shapeClassifier, embeddings)
        try #require(color.probabilities.count == testSet.images.count)
        try #require(shape.probabilities.count == testSet.images.count)

        var correct = (heldOutColor: 0, heldOutShape: 0, heldOut: 0, color: 0, shape: 0)
        for (i, image) in testSet.images.enumerated() {
            let predictedColor = testSet.colors[argmax(color.probabilities[i])]
            let predictedShape = testSet.shapes[argmax(shape.probabilities[i])]
            // Parity with PyTorch, image by image.
            #expect(predictedColor == image.predictedColor, "\(image.file)")
            #expect(predictedShape == image.predictedShape, "\(image.file)")
            for (k, expected) in image.colorProbabilities.enumerated() {
                #expect(abs(color.probabilities[i][k] - expected) <= 2e-3, "\(image.file) \(testSet.colors[k])")
                let logit = color.similarities[i][k] * testSet.logitScaleExp
                #expect(abs(logit - image.colorLogits[k]) <= 1e-2, "\(image.file) \(testSet.colors[k]) logit")
            }
            for (k, expected) in image.shapeProbabilities.enumerated() {
                #expect(abs(shape.probabilities[i][k] - expected) <= 2e-3, "\(image.file) \(testSet.shapes[k])")
                let logit = shape.similarities[i][k] * testSet.logitScaleExp
                #expect(abs(logit - image.shapeLogits[k]) <= 1e-2, "\(image.file) \(testSet.shapes[k]) logit")
            }
            // Accuracy against the true labels.
            let colorRight = predictedColor == image.color
            let shapeRight = predictedShape == image.shape
            correct.color += colorRight ? 1 : 0
            correct.shape += shapeRight ? 1 : 0
            if image.heldOut {
                correct.heldOut += 1
                correct.heldOutColor += colorRight ? 1 : 0
                correct.heldOutShape += shapeRight ? 1 : 0
            }
        }
        try #require(correct.heldOut >= 100)
        let heldOutColor = Double(correct.heldOutColor) / Double(correct.heldOut)
        let heldOutShape = Double(correct.heldOutShape) / Double(correct.heldOut)
        #expect(heldOutColor >= 0.9, "held-out color accuracy \(heldOutColor)")
        #expect(heldOutShape >= 0.9, "held-out shape accuracy \(heldOutShape)")
        let n = Double(testSet.images.count)
        #expect(Double(correct.color) / n >= 0.9, "color accuracy \(Double(correct.color) / n)")
        #expect(Double(correct.shape) / n >= 0.9, "shape accuracy \(Double(correct.shape) / n)")
    }

    @Test("the example images are classified correctly with the default template")
    func exampleImages() throws {
        let examples = testsDirectory.deletingLastPathComponent().appendingPathComponent("Examples/images")
        let files = try FileManager.default.contentsOfDirectory(atPath: examples.path)
            .filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
        try #require(files.count >= 12)
        let shapes = try ZeroShotClassifier(model: model, labels: testSet.shapes)  // "a photo of a {}."
        for file in files {
            // Names are color-shape.ext.
            let parts = file.split(separator: ".")[0].split(separator: "-").map(String.init)
            try #require(parts.count == 2)
            let ranked = try shapes.classify(imageAt: examples.appendingPathComponent(file))
            #expect(ranked.first?.label == parts[1], "\(file): \(ranked.prefix(3))")
        }
    }
}
