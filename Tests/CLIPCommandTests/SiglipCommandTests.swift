import CLIP
import Foundation
import Testing

/// `clip` on complete SigLIP folders (Scripts/make_siglip_cli_fixtures.py): tokenizer,
/// preprocessing and model end to end against transformers' `torch.sigmoid(logits_per_image)`.
@Suite("clip tool with SigLIP models")
struct SiglipCommandTests {
    struct Reference: Decodable {
        let images: [String]
        let labels: [String]
        let template: String
        let input_ids: [[Int]]
        let probabilities: [[Double]]
        let tokenizer_class: String
    }

    struct ClassifyOutput: Decodable {
        struct Entry: Decodable { let label: String; let probability: Double; let similarity: Double }
        let path: String
        let scoring: String
        let predictions: [Entry]
    }

    static let models = ["siglip-spiece", "siglip2-gemma"]

    func folder(_ name: String) -> String { testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/\(name)").path }

    func reference(_ name: String) throws -> Reference {
        try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: folder(name) + "/reference.json")))
    }

    @Test("classify prints transformers' sigmoid probabilities within 1e-5", arguments: models)
    func classifyMatchesTransformers(model name: String) throws {
        let ref = try reference(name)
        let images = ref.images.map { repositoryDirectory.appendingPathComponent($0).path }
        let run = try runTool(["classify", "--model", folder(name), "--labels", ref.labels.joined(separator: ","),
                               "--json"] + images)
        #expect(run.status == 0, "\(run.standardError)")
        let output = try JSONDecoder().decode([ClassifyOutput].self, from: Data(run.standardOutput.utf8))
        #expect(output.map(\.path) == images)
        for (image, expected) in zip(output, ref.probabilities) {
            #expect(image.scoring == "sigmoid")
            #expect(image.predictions.count == ref.labels.count)
            for (index, label) in ref.labels.enumerated() {
                let got = try #require(image.predictions.first { $0.label == label })
                #expect(abs(got.probability - expected[index]) <= 1e-5,
                        "\(name) \(image.path) \(label): \(got.probability) vs \(expected[index])")
            }
            // Sorted best first; independent sigmoids need not sum to 1.
            #expect(image.predictions.map(\.probability) == image.predictions.map(\.probability).sorted(by: >))
        }
    }

    @Test("tokenize gives transformers' padded ids", arguments: models)
    func tokenizeMatchesTransformers(model name: String) throws {
        let ref = try reference(name)
        let texts = ref.labels.map { ref.template.replacingOccurrences(of: "{}", with: $0) }
        let run = try runTool(["tokenize", "--model", folder(name)] + texts)
        #expect(run.status == 0, "\(run.standardError)")
        let rows = try jsonRows(run.standardOutput).map { $0.map { Int($0) } }
        #expect(rows == ref.input_ids)
    }

    @Test func readableClassifySaysHowItScoresAndInfoNamesTheFamily() throws {
        let cat = repositoryDirectory.appendingPathComponent("Examples/photos/cat.jpg").path
        let run = try runTool(["classify", "--model", folder("siglip-spiece"), "--labels", "cat,dog", cat])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasPrefix("SigLIP scoring: each probability is sigmoid("))
        #expect(run.standardOutput.contains("do not sum to 1"))
        let info = try runTool(["info", "--model", folder("siglip2-gemma")])
        #expect(info.status == 0, "\(info.standardError)")
        #expect(info.standardOutput.contains("architecture: SigLIP ViT (tanh GELU)"))
        #expect(info.standardOutput.contains("tokenizer: tokenizer.json (Gemma BPE) + tokenizer_config.json"))
        #expect(info.standardOutput.contains("preprocessing: preprocessor_config.json"))
    }

    @Test("the library classifier gives the same probabilities, with SigLIP's default template", arguments: models)
    func libraryClassifier(model name: String) throws {
        let ref = try reference(name)
        let model = try CLIPModel(contentsOf: URL(fileURLWithPath: folder(name)))
        let classifier = try ZeroShotClassifier(model: model, labels: ref.labels)
        #expect(classifier.templates == [ref.template] && !classifier.probabilitiesSumToOne)
        let urls = ref.images.map { repositoryDirectory.appendingPathComponent($0) }
        for (ranked, expected) in zip(try classifier.classify(imagesAt: urls), ref.probabilities) {
            for (index, label) in ref.labels.enumerated() {
                let got = try #require(ranked.first { $0.label == label })
                #expect(abs(Double(got.probability) - expected[index]) <= 1e-5)
            }
        }
        // Search and embeddings work for the family too.
        var index = EmbeddingIndex(dimension: model.architecture.embeddingDimension, model: model.fingerprint)
        try index.add(identifiers: ref.images, embeddings: try model.encode(imagesAt: urls, normalized: true))
        let hits = try index.search(try model.encode(texts: ["This is a photo of cat."], normalized: true), topK: 2)
        #expect(Set(hits.map(\.identifier)) == Set(ref.images))
    }
}
