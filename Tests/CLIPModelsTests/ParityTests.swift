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

@Test("image embeddings match the reference (Float32)", arguments: parityCases.map(\.model))
func imageParity(model name: String) throws {
    let entry = try #require(parityCases.first { $0.model == name })
    let model = try CLIPModel(contentsOf: fixtureModel(name))
    let ours = try model.encode(pixelValues: try pixels(entry.imageSize))
    expectClose(ours, try reference(name, "image.npy"), "\(name) images")
}

@Test("text embeddings match the reference for both padding styles (Float32)", arguments: parityCases.map(\.model))
func textParity(model name: String) throws {
    let entry = try #require(parityCases.first { $0.model == name })
    let model = try CLIPModel(contentsOf: fixtureModel(name))
    let batches = try tokenBatches(entry.tokens)
    let padZero = try reference(name, "text-pad-zero.npy")
    let padEOT = try reference(name, "text-pad-eot.npy")
    expectClose(try model.encode(tokenIDs: batches.pad_zero), padZero, "\(name) pad 0")
    expectClose(try model.encode(tokenIDs: batches.pad_eot), padEOT, "\(name) pad end-of-text")
    // Unpadded sequences of different lengths give the same embeddings.
    expectClose(try model.encode(tokenIDs: batches.unpadded), padZero, "\(name) unpadded")
}

@Test func logitScaleIsTheExponentOfTheStoredValue() throws {
    #expect(abs(try CLIPModel(contentsOf: fixtureModel("hf-quickgelu")).logitScale - Float(exp(4.0))) < 1e-4)
    #expect(abs(try CLIPModel(contentsOf: fixtureModel("hf-gelu-sharded")).logitScale - Float(exp(3.5))) < 1e-4)
    #expect(abs(try CLIPModel(contentsOf: fixtureModel("openclip-gelu")).logitScale - 1 / 0.07) < 1e-3)
}

@Test func normalizedEmbeddingsHaveUnitLength() throws {
    let model = try CLIPModel(contentsOf: fixtureModel("hf-quickgelu"))
    let images = try model.encode(pixelValues: try pixels(32), normalized: true)
    let texts = try model.encode(tokenIDs: try tokenBatches("hf-quickgelu").unpadded, normalized: true)
    let reference = try reference("hf-quickgelu", "image.npy")
    for embeddings in [images, texts] {
        let width = embeddings.shape[1]
        for row in 0..<embeddings.shape[0] {
            let values = embeddings.scalars[(row * width)..<((row + 1) * width)]
            #expect(abs(values.map { $0 * $0 }.reduce(0, +) - 1) < 1e-5)
        }
    }
    // Same direction as the reference.
    let width = reference.shape[1]
    let r = Array(reference.scalars[0..<width])
    let norm = r.map { $0 * $0 }.reduce(0, +).squareRoot()
    for (ours, theirs) in zip(images.scalars[0..<width], r) { #expect(abs(ours - theirs / norm) < 1e-4) }
}

@Test func largeBatchesAreSplitWithoutChangingResults() throws {
    let model = try CLIPModel(contentsOf: fixtureModel("hf-quickgelu"))
    // More images and sequences than one chunk holds (about 4096 token rows).
    let vision = try #require(model.vision as? VisionTransformer)
    let imageCount = vision.imagesPerChunk + 5
    let three = try pixels(32)
    let perImage = three.count / 3
    let tiled = try Tensor(shape: [imageCount, 3, 32, 32]) { out in
        let source = three.scalars
        for i in 0..<imageCount {
            for j in 0..<perImage { out[i * perImage + j] = source[(i % 3) * perImage + j] }
        }
    }
    let images = try model.encode(pixelValues: tiled)
    let imageReference = try reference("hf-quickgelu", "image.npy")
    let e = imageReference.shape[1]
    for i in [0, 1, 2, imageCount - 3, imageCount - 2, imageCount - 1] {
        let row = try Tensor(shape: [1, e], scalars: Array(images.scalars[(i * e)..<((i + 1) * e)]))
        let expected = try Tensor(shape: [1, e], scalars: Array(imageReference.scalars[((i % 3) * e)..<((i % 3 + 1) * e)]))
        expectClose(row, expected, "image \(i) of \(imageCount)")
    }
    let batches = try tokenBatches("hf-quickgelu")
    let sequenceCount = 4096 / 20 + 7
    let sequences = (0..<sequenceCount).map { batches.unpadded[$0 % 4] }
    let texts = try model.encode(tokenIDs: sequences)
    let textReference = try reference("hf-quickgelu", "text-pad-zero.npy")
    for i in [0, 3, sequenceCount - 4, sequenceCount - 1] {
        let row = try Tensor(shape: [1, e], scalars: Array(texts.scalars[(i * e)..<((i + 1) * e)]))
        let expected = try Tensor(shape: [1, e], scalars: Array(textReference.scalars[((i % 4) * e)..<((i % 4 + 1) * e)]))
        expectClose(row, expected, "sequence \(i) of \(sequenceCount)")
    }
}

@Test func concurrentUseGivesTheSameResults() async throws {
    let model = try CLIPModel(contentsOf: fixtureModel("openclip-gelu"))
    let input = try pixels(40)
    let ids = try tokenBatches("openclip-gelu").unpadded
    let expectedImages = try model.encode(pixelValues: input)
    let expectedTexts = try model.encode(tokenIDs: ids)
    try await withThrowingTaskGroup(of: (Tensor, Tensor).self) { group in
        for _ in 0..<8 {
            group.addTask { (try model.encode(pixelValues: input), try model.encode(tokenIDs: ids)) }
        }
        for try await (images, texts) in group {
            #expect(images == expectedImages)
            #expect(texts == expectedTexts)
        }
    }
}

@Test("an image file matches transformers' / open_clip's preprocessing and model",
      arguments: ["hf-quickgelu", "openclip-gelu"])
func imageFileParity(model name: String) throws {
    // hf-quickgelu has no preprocessor_config.json: OpenAI's settings at the model's size (32);
    // openclip-gelu: open_clip's transform from open_clip_config.json (size 40).
    let model = try CLIPModel(contentsOf: fixtureModel(name))
    let image = fixtures.appendingPathComponent("images/sample_64x48.png")
    expectClose(try model.encode(imagesAt: [image]), try reference(name, "image-file.npy"), "\(name) image file")
    let twice = try model.encode(imagesAt: [image, image], normalized: true)
    #expect(twice.shape == [2, model.architecture.embeddingDimension])
    let missing = fixtures.appendingPathComponent("images/none.png")
    guard case let .imageProcessing(error, _)? = modelError({ try model.encode(imagesAt: [missing]) }) else {
        Issue.record("a missing image was accepted")
        return
    }
    #expect("\(error)".contains("none.png"))
    #expect(modelError({ try model.encode(imagesAt: []) }) == .emptyBatch(input: "images"))
}
