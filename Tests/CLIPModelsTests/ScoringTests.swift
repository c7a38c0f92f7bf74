import Foundation
import Testing
import TensorCore
@testable import CLIPModels

@Test("Scoring: softmax of scale·cos over each row, sigmoid of scale·cos + bias per element (Double reference)")
func scoringMatchesDoubleReference() throws {
    let cosines: [Float] = [0.31, -0.12, 0.05, 0.27, 0.9, -0.4]
    let similarities = try Tensor(shape: [2, 3], scalars: cosines)

    let softmax = Scoring.softmax(scale: 100)
    #expect(softmax.probabilitiesSumToOne && softmax.logitBias == nil && softmax.name == "softmax")
    let p = try softmax.probabilities(similarities: similarities).scalars
    for row in 0..<2 {
        let logits = (0..<3).map { 100 * Double(cosines[row * 3 + $0]) }
        let top = logits.max() ?? 0
        let total = logits.reduce(0) { $0 + exp($1 - top) }
        for j in 0..<3 { #expect(abs(Double(p[row * 3 + j]) - exp(logits[j] - top) / total) < 1e-6) }
    }

    let sigmoid = Scoring.sigmoid(scale: 10, bias: -2.5)
    #expect(!sigmoid.probabilitiesSumToOne && sigmoid.logitBias == -2.5 && sigmoid.logitScale == 10)
    let q = try sigmoid.probabilities(similarities: similarities).scalars
    for (i, cosine) in cosines.enumerated() {
        #expect(abs(Double(q[i]) - 1 / (1 + exp(-(10 * Double(cosine) - 2.5)))) < 1e-6)
    }
}

@Test("Every registered family is found by name, and its descriptor is its own")
func familiesAreRegistered() throws {
    #expect(ModelFamily.allCases == [.clip, .siglip])
    for family in ModelFamily.allCases {
        #expect(ModelFamily(rawValue: family.rawValue) == family)
        #expect(family.descriptor.family == family)
    }
    #expect(ModelFamily(rawValue: "eva") == nil)
    // An encoded architecture naming an unknown family is refused, not read as CLIP.
    let json = Data(#"{"family":"eva","imageSize":32,"patchSize":8,"channels":3,"encoder":{"width":8,"layers":1,"heads":1,"mlpWidth":8,"activation":"gelu","layerNormEpsilon":1e-5}}"#.utf8)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(VisionArchitecture.self, from: json) }
}
