import Foundation
import CLIP

/// The repository's Tests directory (fixtures are read in place; `swift test` runs from source).
let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let modelFixtures = testsDirectory.appendingPathComponent("CLIPModelsTests/Fixtures")

func modelFixture(_ name: String) -> URL { modelFixtures.appendingPathComponent("models/\(name)") }

/// The facade reference values made by Scripts/make_facade_fixtures.py.
struct FacadeFixture: Decodable {
    struct Transformers: Decodable {
        let token_ids: [[Int]]
        let logit_scale: Double
        let probabilities: [[Double]]
    }
    struct OpenCLIP: Decodable {
        let classnames: [String]
        let templates: [String]
        let caption_ids: [String: [Int]]
        let classifier: [[Double]]
    }
    let hf: Transformers
    let openclip: OpenCLIP
    enum CodingKeys: String, CodingKey { case hf = "hf-quickgelu", openclip = "openclip-gelu" }

    static func load() throws -> FacadeFixture {
        let url = testsDirectory.appendingPathComponent("CLIPTests/Fixtures/facade.json")
        return try JSONDecoder().decode(FacadeFixture.self, from: Data(contentsOf: url))
    }
}

/// Rows of a rank-2 tensor as Double arrays.
func rows(_ t: Tensor) -> [[Double]] {
    let s = t.scalars.map(Double.init)
    return (0..<t.shape[0]).map { Array(s[($0 * t.shape[1])..<(($0 + 1) * t.shape[1])]) }
}

/// A classifier over token-id "labels" (the tiny fixture models have no real vocabulary).
func tokenClassifier(_ model: CLIPModel, ids: [[Int]]) throws -> ZeroShotClassifier {
    let embeddings = try model.encode(tokenIDs: ids, normalized: true)
    return try ZeroShotClassifier(
        model: model, labels: ids.indices.map { "sequence \($0)" }, templates: ["{}"], labelEmbeddings: embeddings)
}

func pixels32() throws -> Tensor {
    try NumpyArrayFile.read(contentsOf: modelFixtures.appendingPathComponent("pixels/32.npy"))
}
