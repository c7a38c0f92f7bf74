import Foundation
import Testing
import TensorCore
@testable import CLIPModels

/// Each fixture model with the reference embeddings transformers / open_clip computed for it.
let parityCases: [(model: String, imageSize: Int, tokens: String)] = [
    ("hf-quickgelu", 32, "hf-quickgelu"),
    ("hf-quickgelu-f16", 32, "hf-quickgelu"),
    ("hf-quickgelu-bf16", 32, "hf-quickgelu"),
    ("hf-gelu-sharded", 48, "hf-gelu-sharded"),
    ("openclip-gelu", 40, "openclip-gelu"),
]

@Test("image embeddings match the reference", arguments: parityCases.map(\.model))
func imageParity(model name: String) throws {
    let entry = try #require(parityCases.first { $0.model == name })
    let model = try temporaryLoad(fixtureModel(name))
    let ours = try model.encode(pixelValues: try pixels(entry.imageSize))
    expectClose(ours, try reference(name, "image.npy"), "\(name) images")
}

@Test("text embeddings match the reference for both padding styles", arguments: parityCases.map(\.model))
func textParity(model name: String) throws {
    let entry = try #require(parityCases.first { $0.model == name })
    let model = try temporaryLoad(fixtureModel(name))
    let batches = try tokenBatches(entry.tokens)
    let padZero = try reference(name, "text-pad-zero.npy")
    let padEOT = try reference(name, "text-pad-eot.npy")
    expectClose(try model.encode(tokenIDs: batches.pad_zero), padZero, "\(name) pad 0")
    expectClose(try model.encode(tokenIDs: batches.pad_eot), padEOT, "\(name) pad end-of-text")
    // Unpadded sequences of different lengths give the same embeddings.
    expectClose(try model.encode(tokenIDs: batches.unpadded), padZero, "\(name) unpadded")
}
