import Foundation
import Testing
import TensorCore
@testable import CLIPModels

/// The SigLIP fixture models (Scripts/make_siglip_fixtures.py) with their pixel size and token batches.
let siglipCases: [(model: String, imageSize: Int, tokens: String)] = [
    ("siglip-tanh", 32, "siglip-tanh"),
    ("siglip-tanh-f16", 32, "siglip-tanh"),
    ("siglip-tanh-bf16", 32, "siglip-tanh"),
    ("siglip-sharded", 48, "siglip-sharded"),
    ("siglip-remainder", 36, "siglip-remainder"),
]

struct SiglipTokenBatches: Decodable {
    var full: [[Int]]
    var short: [[Int]]
}

func siglipTokens(_ name: String) throws -> SiglipTokenBatches {
    let data = try Data(contentsOf: fixtures.appendingPathComponent("siglip-tokens.json"))
    return try #require(try JSONDecoder().decode([String: SiglipTokenBatches].self, from: data)[name])
}

@Test("SigLIP: image and text embeddings match transformers' SiglipModel (Float32)", arguments: siglipCases.map(\.model))
func siglipParity(model name: String) throws {
    let entry = try #require(siglipCases.first { $0.model == name })
    let model = try CLIPModel(contentsOf: fixtureModel(name))
    #expect(model.family == .siglip)
    let tokens = try siglipTokens(entry.tokens)
    let images = try model.encode(pixelValues: try pixels(entry.imageSize))
    expectClose(images, try reference(name, "image.npy"), "\(name) images")
    let texts = try model.encode(tokenIDs: tokens.full)
    expectClose(texts, try reference(name, "text-full.npy"), "\(name) texts at the context length")
    expectClose(try model.encode(tokenIDs: tokens.short), try reference(name, "text-short.npy"), "\(name) short texts")
    // Mixed lengths in one batch give each sequence its own result.
    let mixed = try model.encode(tokenIDs: [tokens.short[0], tokens.full[1], tokens.short[1]])
    let short = try reference(name, "text-short.npy"), full = try reference(name, "text-full.npy")
    let width = model.architecture.embeddingDimension
    let expected = try Tensor(shape: [3, width], scalars: Array(short.scalars[0..<width])
        + Array(full.scalars[width..<(2 * width)]) + Array(short.scalars[width..<(2 * width)]))
    expectClose(mixed, expected, "\(name) mixed lengths")

    // logits_per_image = exp(logit_scale) · cos + logit_bias; probabilities its sigmoid.
    let bias = try #require(model.logitBias)
    let a = try model.encode(pixelValues: try pixels(entry.imageSize), normalized: true)
    let b = try model.encode(tokenIDs: tokens.full, normalized: true)
    let logits = try a.matmul(transposed: b).scalars.map { model.logitScale * $0 + bias }
    let refLogits = try reference(name, "logits.npy"), refProbabilities = try reference(name, "probabilities.npy")
    expectClose(try Tensor(shape: refLogits.shape, scalars: logits), refLogits, "\(name) logits")
    let probabilities = logits.map { 1 / (1 + exp(-$0)) }
    let worst = zip(probabilities, refProbabilities.scalars).map { abs($0 - $1) }.max() ?? 1
    #expect(worst <= 1e-5, "\(name) sigmoid probabilities: max |diff| \(worst)")
}

@Test func siglipArchitectureIsReadFromTheConfiguration() throws {
    let directory = try CLIPModelDirectory(contentsOf: fixtureModel("siglip-sharded"))
    let a = directory.architecture
    #expect(a.family == .siglip && directory.layout == .huggingFace)
    #expect(a.vision.tokenCount == 16 && a.vision.encoder.layers == 3 && a.vision.encoder.activation == .geluTanh)
    #expect(a.text.encoder.activation == .gelu && a.text.contextLength == 12 && a.embeddingDimension == 40)
    #expect(directory.weightsFile.lastPathComponent == "model.safetensors.index.json")
    let model = try CLIPModel(directory: directory)
    #expect(abs(model.logitScale - 10) < 1e-5 && model.logitBias == -2.5)
    // Every stored tensor is counted once by the architecture's parameter count.
    var stored = 0
    for shard in ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"] {
        stored += try tensors(in: fixtureModel("siglip-sharded").appendingPathComponent(shard)).values
            .reduce(0) { $0 + $1.count }
    }
    #expect(a.parameterCount == stored)
}

@Test func siglipFingerprintDiffersFromCLIPsAndIsStable() throws {
    let f32 = try CLIPModel(contentsOf: fixtureModel("siglip-tanh")).fingerprint
    #expect(f32.hasPrefix("siglip-48d-"))
    #expect(try CLIPModel(contentsOf: fixtureModel("siglip-tanh")).fingerprint == f32)
    #expect(try CLIPModel(contentsOf: fixtureModel("siglip-sharded")).fingerprint != f32)
    #expect(try CLIPModel(contentsOf: fixtureModel("hf-quickgelu")).fingerprint.hasPrefix("clip-"))
}

@Test("SigLIP: bfloat16 and int8 stay close to Float32", arguments: [ModelPrecision.bfloat16, .int8])
func siglipReducedPrecision(precision: ModelPrecision) throws {
    let f32 = try CLIPModel(contentsOf: fixtureModel("siglip-tanh"))
    let reduced = try CLIPModel(contentsOf: fixtureModel("siglip-tanh"), precision: precision)
    let px = try pixels(32)
    let tokens = try siglipTokens("siglip-tanh").full
    for (x, y) in [(try f32.encode(pixelValues: px, normalized: true), try reduced.encode(pixelValues: px, normalized: true)),
                   (try f32.encode(tokenIDs: tokens, normalized: true), try reduced.encode(tokenIDs: tokens, normalized: true))] {
        let width = x.shape[1]
        for row in 0..<x.shape[0] {
            let cosine = (0..<width).reduce(Float(0)) { $0 + x.scalars[row * width + $1] * y.scalars[row * width + $1] }
            #expect(cosine > 0.99, "\(precision) row \(row): cosine \(cosine)")
        }
    }
}

@Test func siglipRefusesWhatItCannotRun() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("siglip-refusals-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: root) }
    let source = fixtureModel("siglip-tanh")
    func variant(_ name: String, _ edit: (inout [String: Any]) -> Void) throws -> URL {
        let folder = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        var json = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }
    // NaFlex SigLIP 2.
    let naflex = try variant("naflex") { $0["model_type"] = "siglip2" }
    guard case let .unsupportedArchitecture(file, reason)? = modelError({ try CLIPModelDirectory(contentsOf: naflex) })
    else { Issue.record("NaFlex accepted"); return }
    #expect(file == "config.json" && reason.contains("NaFlex"))
    // No pooling head.
    let headless = try variant("headless") {
        var vision = $0["vision_config"] as? [String: Any] ?? [:]
        vision["vision_use_head"] = false
        $0["vision_config"] = vision
    }
    guard case let .unsupportedArchitecture(_, headReason)? = modelError({ try CLIPModelDirectory(contentsOf: headless) })
    else { Issue.record("headless accepted"); return }
    #expect(headReason.contains("vision_use_head"))
    // A text head of another width than the image embeddings.
    let mismatched = try variant("mismatched") {
        var text = $0["text_config"] as? [String: Any] ?? [:]
        text["projection_size"] = 40
        $0["text_config"] = text
    }
    guard case let .invalidConfiguration(_, key, _)? = modelError({ try CLIPModelDirectory(contentsOf: mismatched) })
    else { Issue.record("mismatched widths accepted"); return }
    #expect(key == "text_config.projection_size")
    // A tower size that disagrees with the weights: every wrong key named.
    let wider = try variant("wider") {
        var vision = $0["vision_config"] as? [String: Any] ?? [:]
        vision["intermediate_size"] = 100
        $0["vision_config"] = vision
    }
    guard case let .checkpointMismatch(_, missing, unexpected, misshaped)? = modelError({ try CLIPModel(contentsOf: wider) })
    else { Issue.record("wrong sizes accepted"); return }
    #expect(missing.isEmpty && unexpected.isEmpty)
    #expect(misshaped.contains { $0.key == "vision_model.head.mlp.fc1.weight" && $0.expected == [100, 48] })
    #expect(misshaped.contains { $0.key == "vision_model.encoder.layers.1.mlp.fc2.weight" })
}
