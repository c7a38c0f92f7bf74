import Foundation
import Testing
import TensorCore
@testable import CLIPModels

private func quickGELUWeights() throws -> (CLIPArchitecture, [String: Tensor]) {
    let directory = fixtureModel("hf-quickgelu")
    let architecture = try HuggingFaceCLIPConfiguration(contentsOf: directory.appendingPathComponent("config.json"))
        .architecture()
    return (architecture, try tensors(in: directory.appendingPathComponent("model.safetensors")))
}

@Test func everyKeyProblemIsReportedInOneError() throws {
    var (architecture, tensors) = try quickGELUWeights()
    tensors["vision_model.encoder.layers.1.mlp.fc2.bias"] = nil
    tensors["text_model.final_layer_norm.weight"] = nil
    tensors["text_model.encoder.layers.0.self_attn.k_proj.weight"] = nil
    tensors["text_model.pooler.dense.weight"] = try Tensor(shape: [4])
    tensors["vision_model.post_layernorm.bias"] = try Tensor(shape: [47])
    tensors["text_projection.weight"] = try Tensor(shape: [32, 24])
    if let error = modelError({
        try CLIPModel(architecture: architecture, layout: .huggingFace,
                      weights: InMemoryTensors(tensors, description: "model.safetensors"))
    }) {
        #expect(error == .checkpointMismatch(
            file: "model.safetensors",
            missing: ["vision_model.encoder.layers.1.mlp.fc2.bias",
                      "text_model.encoder.layers.0.self_attn.k_proj.weight",
                      "text_model.final_layer_norm.weight"],
            unexpected: ["text_model.pooler.dense.weight"],
            misshaped: [.init(key: "vision_model.post_layernorm.bias", expected: [48], actual: [47]),
                        .init(key: "text_projection.weight", expected: [24, 32], actual: [32, 24])]))
        let message = error.description
        for key in ["fc2.bias", "k_proj.weight", "final_layer_norm.weight", "pooler.dense.weight",
                    "post_layernorm.bias (expected [48], found [47])"] {
            #expect(message.contains(key), "\(message)")
        }
    }
}

@Test func configurationInconsistentWithWeights() throws {
    var (architecture, tensors) = try quickGELUWeights()
    // One vision layer too many: all of layer 2's keys are missing.
    var deeper = architecture
    deeper.vision.encoder.layers = 3
    if case let .checkpointMismatch(_, missing, unexpected, misshaped)? = modelError({ try CLIPModel(architecture: deeper, layout: .huggingFace, weights: InMemoryTensors(tensors)) }) {
        #expect(missing.count == 16)
        #expect(missing.allSatisfy { $0.hasPrefix("vision_model.encoder.layers.2.") })
        #expect(unexpected.isEmpty && misshaped.isEmpty)
    }
    // One text layer too few: layer 1's keys are unexpected.
    var shallower = architecture
    shallower.text.encoder.layers = 1
    if case let .checkpointMismatch(_, missing, unexpected, _)? = modelError({ try CLIPModel(architecture: shallower, layout: .huggingFace, weights: InMemoryTensors(tensors)) }) {
        #expect(missing.isEmpty)
        #expect(unexpected.count == 16 && unexpected.allSatisfy { $0.hasPrefix("text_model.encoder.layers.1.") })
    }
    // A different width or patch size: every affected key is named with both shapes.
    var wider = architecture
    wider.embeddingDimension = 32
    wider.vision.patchSize = 16
    if case let .checkpointMismatch(_, _, _, misshaped)? = modelError({ try CLIPModel(architecture: wider, layout: .huggingFace, weights: InMemoryTensors(tensors)) }) {
        #expect(misshaped.map(\.key) == ["vision_model.embeddings.patch_embedding.weight",
                                         "vision_model.embeddings.position_embedding.weight",
                                         "visual_projection.weight", "text_projection.weight"])
        #expect(misshaped[1] == .init(key: "vision_model.embeddings.position_embedding.weight",
                                      expected: [5, 48], actual: [17, 48]))
    }
    // The other layout's key names are all wrong.
    tensors["logit_scale"] = try Tensor(shape: [1], scalars: [1])
    if case let .checkpointMismatch(_, missing, unexpected, misshaped)? = modelError({ try CLIPModel(architecture: architecture, layout: .openCLIP, weights: InMemoryTensors(tensors)) }) {
        #expect(missing.contains("visual.conv1.weight") && missing.contains("ln_final.weight"))
        #expect(unexpected.contains("vision_model.pre_layrnorm.weight"))
        #expect(!missing.contains("logit_scale") && misshaped.isEmpty)  // a [1] logit scale is accepted
    }
}

@Test func openCLIPCustomTextPrefixLoadsTheSameModel() throws {
    let directory = fixtureModel("openclip-gelu")
    let architecture = try OpenCLIPConfiguration(contentsOf: directory.appendingPathComponent("open_clip_config.json"))
        .modelConfiguration.architecture()
    var renamed: [String: Tensor] = [:]
    for (key, value) in try tensors(in: directory.appendingPathComponent("open_clip_model.safetensors")) {
        renamed[key.hasPrefix("visual.") || key == "logit_scale" ? key : "text." + key] = value
    }
    let model = try CLIPModel(architecture: architecture, layout: .openCLIP, weights: InMemoryTensors(renamed))
    let batches = try tokenBatches("openclip-gelu")
    expectClose(try model.encode(tokenIDs: batches.pad_zero), try reference("openclip-gelu", "text-pad-zero.npy"),
                "text.-prefixed OpenCLIP text tower")
}

@Test func badInputsAreTypedErrors() throws {
    let model = try CLIPModel(contentsOf: fixtureModel("hf-quickgelu"))
    let eot = 399
    #expect(throws: CLIPModelError.emptyBatch(input: "token sequences")) { try model.encode(tokenIDs: []) }
    #expect(throws: CLIPModelError.missingEndOfText(sequence: 1, endOfTextID: eot)) {
        try model.encode(tokenIDs: [[398, eot], [398, 5, 6]])
    }
    #expect(throws: CLIPModelError.missingEndOfText(sequence: 0, endOfTextID: eot)) { try model.encode(tokenIDs: [[]]) }
    #expect(throws: CLIPModelError.tokenOutOfRange(sequence: 0, position: 1, id: 400, vocabularySize: 400)) {
        try model.encode(tokenIDs: [[398, 400, eot]])
    }
    #expect(throws: CLIPModelError.tokenOutOfRange(sequence: 0, position: 0, id: -1, vocabularySize: 400)) {
        try model.encode(tokenIDs: [[-1, eot]])
    }
    #expect(throws: CLIPModelError.sequenceTooLong(sequence: 0, length: 21, contextLength: 20)) {
        try model.encode(tokenIDs: [[398] + Array(repeating: 5, count: 19) + [eot]])
    }
    #expect(throws: CLIPModelError.invalidPixelValues(shape: [2, 3, 32, 31], expected: [-1, 3, 32, 32])) {
        try model.encode(pixelValues: try Tensor(shape: [2, 3, 32, 31]))
    }
    #expect(throws: CLIPModelError.invalidPixelValues(shape: [3, 32, 32], expected: [-1, 3, 32, 32])) {
        try model.encode(pixelValues: try Tensor(shape: [3, 32, 32]))
    }
    #expect(throws: CLIPModelError.emptyBatch(input: "images")) {
        try model.encode(pixelValues: try Tensor(shape: [0, 3, 32, 32]))
    }
}
