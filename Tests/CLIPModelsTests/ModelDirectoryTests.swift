import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import CLIPModels

/// A fresh empty directory under the temporary directory.
private func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("clipmodels-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func copy(_ file: String, from model: String, to directory: URL) throws {
    try FileManager.default.copyItem(at: fixtureModel(model).appendingPathComponent(file),
                                     to: directory.appendingPathComponent(file))
}

@Test func directoriesAreRecognizedByLayout() throws {
    let hf = try CLIPModelDirectory(contentsOf: fixtureModel("hf-quickgelu"))
    #expect(hf.layout == .huggingFace && hf.weightsFile.lastPathComponent == "model.safetensors")
    #expect(try hf.validateWeights() == "F32")
    let sharded = try CLIPModelDirectory(contentsOf: fixtureModel("hf-gelu-sharded"))
    #expect(sharded.weightsFile.lastPathComponent == "model.safetensors.index.json")
    let openCLIP = try CLIPModelDirectory(contentsOf: fixtureModel("openclip-gelu"))
    #expect(openCLIP.layout == .openCLIP && openCLIP.weightsFile.lastPathComponent == "open_clip_model.safetensors")
    #expect(try CLIPModelDirectory(contentsOf: fixtureModel("hf-quickgelu-f16")).validateWeights() == "F16")
    #expect(try CLIPModel(contentsOf: fixtureModel("hf-quickgelu-bf16")).weightDataType == "BF16")
}

@Test func incompleteDirectoriesAreNamed() throws {
    let empty = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: empty) }
    guard case let .unrecognizedDirectory(path, reason)? = modelError({ try CLIPModel(contentsOf: empty) }) else {
        Issue.record("empty directory accepted")
        return
    }
    #expect(path == empty.path && reason.contains("open_clip_config.json"))

    try copy("config.json", from: "hf-quickgelu", to: empty)
    try Data("pickle".utf8).write(to: empty.appendingPathComponent("pytorch_model.bin"))
    guard case let .unrecognizedDirectory(_, reason)? = modelError({ try CLIPModel(contentsOf: empty) }) else {
        Issue.record("directory without safetensors accepted")
        return
    }
    #expect(reason.contains("pytorch_model.bin") && reason.contains("only safetensors"))

    let missing = empty.appendingPathComponent("nope")
    #expect(modelError({ try CLIPModel(contentsOf: missing) }) == .missingFile(path: missing.path, reason: "no such directory"))
    let file = empty.appendingPathComponent("config.json")
    #expect(modelError({ try CLIPModel(contentsOf: file) }) == .unrecognizedDirectory(path: file.path, reason: "not a directory"))
}

@Test func damagedCheckpointOnDiskIsReportedInOneError() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try copy("config.json", from: "hf-quickgelu", to: directory)
    let original = try tensors(in: fixtureModel("hf-quickgelu").appendingPathComponent("model.safetensors"))
    var writer = SafeTensorsWriter()
    for name in original.keys.sorted() where name != "visual_projection.weight" {
        let tensor = name == "text_model.embeddings.token_embedding.weight"
            ? try original[name]!.reshaped([200, 64]) : original[name]!
        try writer.add(tensor, named: name, as: .float16)
    }
    try writer.add(try Tensor(shape: [3]), named: "vision_model.extra.weight")
    try writer.write(to: directory.appendingPathComponent("model.safetensors"))
    #expect(modelError({ try CLIPModel(contentsOf: directory) }) == .checkpointMismatch(
        file: "model.safetensors",
        missing: ["visual_projection.weight"],
        unexpected: ["vision_model.extra.weight"],
        misshaped: [.init(key: "text_model.embeddings.token_embedding.weight", expected: [400, 32], actual: [200, 64])]))
    // The same check runs without loading the model.
    let checked = try CLIPModelDirectory(contentsOf: directory)
    #expect(modelError({ try checked.validateWeights() }) != nil)
}

@Test func weightsOfAnUnusableTypeAreNamed() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try copy("config.json", from: "hf-quickgelu", to: directory)
    let original = try tensors(in: fixtureModel("hf-quickgelu").appendingPathComponent("model.safetensors"))
    var writer = SafeTensorsWriter()
    for name in original.keys.sorted() where name != "logit_scale" {
        try writer.add(original[name]!, named: name)
    }
    try writer.add(integers: [Int32(4)], shape: [], named: "logit_scale", as: .int32)
    try writer.write(to: directory.appendingPathComponent("model.safetensors"))
    #expect(modelError({ try CLIPModel(contentsOf: directory) })
            == .unsupportedDataType(file: "model.safetensors", key: "logit_scale", dataType: "I32"))
}

@Test func unsupportedConfigurationInADirectory() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try copy("open_clip_model.safetensors", from: "openclip-gelu", to: directory)
    let config = #"{"model_cfg": {"embed_dim": 1024, "vision_cfg": {"layers": [3, 4, 6, 3], "width": 64, "image_size": 224}, "text_cfg": {}}}"#
    try Data(config.utf8).write(to: directory.appendingPathComponent("open_clip_config.json"))
    guard case let .unsupportedArchitecture(file, reason)? = modelError({ try CLIPModel(contentsOf: directory) }) else {
        Issue.record("a ResNet configuration was accepted")
        return
    }
    #expect(file == "open_clip_config.json" && reason.contains("ResNet"))
}

@Test func tokenizerComesWithTheStandardVocabularyOnly() throws {
    // The tiny fixtures have their own small vocabularies and no tokenizer files.
    let tiny = try CLIPModel(contentsOf: fixtureModel("hf-quickgelu"))
    #expect(tiny.tokenizer == nil)
    guard case .missingComponent(name: "tokenizer", _)? = modelError({ try tiny.encode(texts: ["a cat"]) }) else {
        Issue.record("texts were encoded without a tokenizer")
        return
    }
    // A configuration with CLIP's standard vocabulary gets the standard tokenizer, whose ids the
    // model pools at (49407), with the model's context length.
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try copy("model.safetensors", from: "hf-quickgelu", to: directory)
    let config = #"{"text_config": {"max_position_embeddings": 20, "eos_token_id": 2}}"#
    try Data(config.utf8).write(to: directory.appendingPathComponent("config.json"))
    let tokenizer = try #require(try CLIPModelDirectory(contentsOf: directory).makeTokenizer())
    #expect(tokenizer.tokenize(["a photo of a cat"]) == [[49406, 320, 1125, 539, 320, 2368, 49407]])
    #expect(tokenizer.contextLength == 20)
    #expect(tokenizer.tokenize(String(repeating: "cat ", count: 30)).count == 20)
}

@Test func modelFromAConfigurationAndASafeTensorsCheckpoint() throws {
    // The public path for code that has its weights and configuration elsewhere.
    let directory = fixtureModel("hf-gelu-sharded")
    let architecture = try HuggingFaceCLIPConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        .architecture()
    let checkpoint = try SafeTensorsCheckpoint(contentsOf: directory.appendingPathComponent("model.safetensors.index.json"))
    let model = try CLIPModel(architecture: architecture, layout: .huggingFace, weights: checkpoint, name: "shards")
    expectClose(try model.encode(pixelValues: try pixels(48)), try reference("hf-gelu-sharded", "image.npy"), "images")
    #expect(model.directory == nil && model.tokenizer == nil)
    #expect(modelError({ try CLIPModel(architecture: architecture, layout: .openCLIP, weights: checkpoint, name: "shards") })
            .map { if case .checkpointMismatch(file: "shards", _, _, _) = $0 { true } else { false } } == true)
}
