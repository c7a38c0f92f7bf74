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
