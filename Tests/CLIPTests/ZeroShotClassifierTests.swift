import Foundation
import Testing
@testable import CLIP

@Suite("ZeroShotClassifier")
struct ZeroShotClassifierTests {
    let fixture: FacadeFixture
    let model: CLIPModel

    init() throws {
        fixture = try FacadeFixture.load()
        model = try CLIPModel(contentsOf: modelFixture("hf-quickgelu"))
    }

    @Test("probability = softmax(exp(logit_scale) · cosine), computed independently (1e-5)")
    func probabilitiesEqualScaledSoftmax() throws {
        let classifier = try tokenClassifier(model, ids: fixture.hf.token_ids)
        let pixels = try pixels32()
        let ranked = try classifier.classify(pixelValues: pixels)
        // Independent computation in Double from the raw (unnormalized) embeddings.
        let images = rows(try model.encode(pixelValues: pixels))
        let texts = rows(try model.encode(tokenIDs: fixture.hf.token_ids))
        func normalized(_ v: [Double]) -> [Double] { let n = v.map { $0 * $0 }.reduce(0, +).squareRoot(); return v.map { $0 / n } }
        #expect(abs(Double(model.logitScale) - fixture.hf.logit_scale) <= 1e-5 * fixture.hf.logit_scale)
        for (i, image) in images.enumerated() {
            let cosines = texts.map { text in zip(normalized(image), normalized(text)).map { $0 * $1 }.reduce(0, +) }
            let logits = cosines.map { $0 * Double(model.logitScale) }
            let m = logits.max()!
            let e = logits.map { Foundation.exp($0 - m) }
            let probabilities = e.map { $0 / e.reduce(0, +) }
            #expect(ranked[i].count == texts.count)
            for prediction in ranked[i] {
                let index = classifier.labels.firstIndex(of: prediction.label)!
                #expect(abs(Double(prediction.probability) - probabilities[index]) <= 1e-5)
                #expect(abs(Double(prediction.similarity) - cosines[index]) <= 1e-5)
            }
            // Sorted best first, probabilities sum to 1.
            #expect(zip(ranked[i], ranked[i].dropFirst()).allSatisfy { $0.probability >= $1.probability })
            #expect(abs(ranked[i].map { Double($0.probability) }.reduce(0, +) - 1) <= 1e-5)
        }
    }

    @Test("agrees with transformers' logits_per_image.softmax(-1) (1e-4)")
    func matchesTransformers() throws {
        let classifier = try tokenClassifier(model, ids: fixture.hf.token_ids)
        let ranked = try classifier.classify(pixelValues: try pixels32())
        #expect(ranked.count == fixture.hf.probabilities.count)
        for (i, expected) in fixture.hf.probabilities.enumerated() {
            for prediction in ranked[i] {
                let index = classifier.labels.firstIndex(of: prediction.label)!
                #expect(abs(Double(prediction.probability) - expected[index]) <= 1e-4, "image \(i) label \(index)")
            }
        }
    }

    @Test("template ensembling matches open_clip's build_zero_shot_classifier (1e-5)")
    func ensemblingMatchesOpenCLIP() throws {
        let openCLIP = try CLIPModel(contentsOf: modelFixture("openclip-gelu"))
        let f = fixture.openclip
        let captions = f.classnames.flatMap { label in f.templates.map { PromptTemplates.caption($0, label: label) } }
        let ids = try captions.map { caption in
            try #require(f.caption_ids[caption], "caption \(caption) missing from the fixture")
        }
        let embeddings = try openCLIP.encode(tokenIDs: ids, normalized: true)
        let ensembled = try ZeroShotClassifier.ensemble(embeddings, labels: f.classnames.count, templates: f.templates.count)
        let got = rows(ensembled)
        #expect(got.count == f.classifier.count)
        for (g, e) in zip(got, f.classifier) {
            #expect(g.count == e.count)
            for (a, b) in zip(g, e) { #expect(abs(a - b) <= 1e-5) }
        }
    }

    @Test func eightConcurrentTasksMatchSerialResults() async throws {
        let classifier = try tokenClassifier(model, ids: fixture.hf.token_ids)
        let pixels = try pixels32()
        let serial = try classifier.classify(pixelValues: pixels)
        let results = try await withThrowingTaskGroup(of: [[Prediction]].self) { group in
            for _ in 0..<8 { group.addTask { try classifier.classify(pixelValues: pixels) } }
            var all: [[[Prediction]]] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8)
        for r in results { #expect(r == serial) }
    }

    @Test func topKKeepsTheBestLabels() throws {
        let classifier = try tokenClassifier(model, ids: fixture.hf.token_ids)
        let all = try classifier.classify(pixelValues: try pixels32())
        let top2 = try classifier.classify(pixelValues: try pixels32(), topK: 2)
        for (a, t) in zip(all, top2) { #expect(Array(a.prefix(2)) == t) }
        #expect(throws: CLIPError.invalidTopK(0)) { try classifier.classify(pixelValues: try pixels32(), topK: 0) }
        #expect(try classifier.classify(pixelValues: try pixels32(), topK: 99)[0].count == 4)
    }

    @Test func labelEmbeddingsRoundTripAndAreTiedToTheirModel() throws {
        let classifier = try tokenClassifier(model, ids: fixture.hf.token_ids)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try classifier.write(to: url)
        let reloaded = try ZeroShotClassifier(model: model, contentsOf: url)
        #expect(reloaded.labels == classifier.labels)
        #expect(reloaded.templates == classifier.templates)
        #expect(reloaded.labelEmbeddings == classifier.labelEmbeddings)
        #expect(try reloaded.classify(pixelValues: try pixels32()) == (try classifier.classify(pixelValues: try pixels32())))
        // The same model loaded again has the same fingerprint; a different one is rejected.
        #expect(try CLIPModel(contentsOf: modelFixture("hf-quickgelu")).fingerprint == model.fingerprint)
        let other = try CLIPModel(contentsOf: modelFixture("hf-quickgelu-f16"))
        #expect(other.fingerprint != model.fingerprint)
        #expect(throws: CLIPError.modelMismatch(path: url.path, expected: other.fingerprint, found: model.fingerprint)) {
            try ZeroShotClassifier(model: other, contentsOf: url)
        }
        // A safetensors file that is not a label file.
        let weights = modelFixture("hf-quickgelu").appendingPathComponent("model.safetensors")
        #expect(throws: CLIPError.invalidFile(path: weights.path, reason: "not a swift-clip label-embedding file")) {
            try ZeroShotClassifier(model: model, contentsOf: weights)
        }
    }

    @Test func invalidLabelListsAreRejected() throws {
        let e = try model.encode(tokenIDs: [fixture.hf.token_ids[0]], normalized: true)
        #expect(throws: CLIPError.noLabels) {
            try ZeroShotClassifier(model: model, labels: [], templates: ["{}"], labelEmbeddings: e)
        }
        #expect(throws: CLIPError.noTemplates) {
            try ZeroShotClassifier(model: model, labels: ["a"], templates: [], labelEmbeddings: e)
        }
        #expect(throws: CLIPError.invalidLabel("a")) {
            try ZeroShotClassifier(model: model, labels: ["a", "a"], templates: ["{}"], labelEmbeddings: e)
        }
        #expect(throws: CLIPError.invalidLabel("")) {
            try ZeroShotClassifier(model: model, labels: [""], templates: ["{}"], labelEmbeddings: e)
        }
        #expect(throws: TensorError.self) {
            try ZeroShotClassifier(model: model, labels: ["a", "b"], templates: ["{}"], labelEmbeddings: e)
        }
        // A model without a tokenizer cannot embed label strings: a clear error, not a crash.
        #expect(throws: CLIPModelError.self) { try ZeroShotClassifier(model: model, labels: ["cat"]) }
    }

    @Test func captionsSubstituteTheLabel() {
        #expect(PromptTemplates.caption("a photo of a {}.", label: "cat") == "a photo of a cat.")
        #expect(PromptTemplates.caption("{} and {}", label: "x") == "x and x")
        #expect(PromptTemplates.caption("no placeholder", label: "x") == "no placeholder")
    }
}
