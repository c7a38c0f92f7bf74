import Foundation
import Testing
import CLIP

@Suite("EmbeddingIndex")
struct EmbeddingIndexTests {
    @Test func searchRanksByCosine() throws {
        var index = EmbeddingIndex(dimension: 3, model: "m")
        try index.add(identifiers: ["x", "y", "xy"], embeddings: Tensor(shape: [3, 3], scalars: [2, 0, 0, 0, 3, 0, 1, 1, 0]))
        let hits = try index.search(Tensor(shape: [3], scalars: [1, 0.1, 0]), topK: 2)
        #expect(hits.map(\.identifier) == ["x", "xy"])
        let expected = 1 / Float(1.01).squareRoot()
        #expect(abs(hits[0].similarity - expected) < 1e-6)
        #expect(try index.search(Tensor(shape: [1, 3], scalars: [0, 1, 0]), topK: 10).map(\.identifier) == ["y", "xy", "x"])
        #expect(throws: CLIPError.invalidTopK(0)) { try index.search(Tensor(shape: [3], scalars: [1, 0, 0]), topK: 0) }
        #expect(throws: TensorError.self) { try index.search(Tensor(shape: [2], scalars: [1, 0]), topK: 1) }
        #expect(throws: TensorError.self) { try index.add(identifiers: ["z"], embeddings: Tensor(shape: [1, 2])) }
        #expect(throws: CLIPError.emptyIndex) {
            try EmbeddingIndex(dimension: 3, model: "m").search(Tensor(shape: [3], scalars: [1, 0, 0]))
        }
    }

    @Test func saveAndLoad() throws {
        var index = EmbeddingIndex(dimension: 2, model: "model-a")
        try index.add(identifiers: ["a.png", "b.png"], embeddings: Tensor(shape: [2, 2], scalars: [1, 0, 0.6, 0.8]))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("index-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try index.write(to: url)
        let loaded = try EmbeddingIndex(contentsOf: url, expectingModel: "model-a")
        #expect(loaded.identifiers == index.identifiers)
        #expect(try loaded.embeddings() == index.embeddings())
        #expect(throws: CLIPError.modelMismatch(path: url.path, expected: "model-b", found: "model-a")) {
            try EmbeddingIndex(contentsOf: url, expectingModel: "model-b")
        }
    }
}

@Suite("EmbeddingIndex with a model")
struct EmbeddingIndexModelTests {
    let model: CLIPModel
    init() throws {
        model = try CLIPModel(contentsOf: testsDirectory.appendingPathComponent("CLIPCommandTests/Fixtures/tiny-vocab-clip"))
    }

    @Test func imagesAreEmbeddedInBatchesWithProgress() throws {
        let files = [testsDirectory.deletingLastPathComponent().appendingPathComponent("Examples/photos/cat.jpg"),
                     modelFixtures.appendingPathComponent("images/sample_64x48.png")]
        let urls = files + files   // four images, batches of 3 → progress 3/4, 4/4
        final class Calls: @unchecked Sendable { var values: [[Int]] = [] }
        let calls = Calls()
        let index = try EmbeddingIndex.images(at: urls, model: model, batchSize: 3) { calls.values.append([$0, $1]) }
        #expect(calls.values == [[3, 4], [4, 4]])
        #expect(index.count == 4 && index.model == model.fingerprint)
        // Searching with an image's own embedding finds that image (and its duplicate) first.
        let query = try model.encode(imagesAt: [files[0]], normalized: true)
        let hits = try index.search(query, topK: 2)
        #expect(hits.allSatisfy { $0.identifier == files[0].path && abs($0.similarity - 1) < 1e-5 })
    }

    @Test func textsCanBeRankedForAnImage() throws {
        let texts = ["a photo of a cat", "a diagram", "two dogs"]
        let index = try EmbeddingIndex.texts(texts, model: model, batchSize: 2)
        #expect(index.identifiers == texts)
        let image = try model.encode(imagesAt: [modelFixtures.appendingPathComponent("images/sample_64x48.png")], normalized: true)
        let hits = try index.search(image, topK: 3)
        let expected = try model.encode(texts: texts, normalized: true).matmul(transposed: image).scalars
        #expect(Set(hits.map(\.identifier)) == Set(texts))
        for hit in hits { #expect(abs(hit.similarity - expected[texts.firstIndex(of: hit.identifier)!]) < 1e-5) }
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.similarity >= $1.similarity })
    }
}
