import Foundation
import Testing
@testable import CLIPModels

/// Fingerprints are written into files users keep (saved label embeddings, photo indexes, shard
/// manifests), so a change of the model code must not change them: these are the values the
/// fixture models had before the towers went behind protocols (commit d424acd).
@Test("Fingerprints of the fixture models stay what saved files recorded",
      arguments: [
          ("hf-quickgelu", "clip-24d-9d354402914f597b"),
          ("hf-quickgelu-f16", "clip-24d-fa6fee80bffa3ee2"),
          ("hf-gelu-sharded", "clip-20d-467b80b850777488"),
          ("openclip-gelu", "clip-24d-905768ebf2e33e41"),
          ("siglip-tanh", "siglip-48d-ec3085a1bb87d016"),
          ("siglip-sharded", "siglip-40d-2d4b4f5ad9c8922a"),
      ])
func fingerprintsAreStable(model name: String, expected: String) throws {
    let model = try CLIPModel(contentsOf: fixtureModel(name))
    #expect(model.fingerprint == expected)
    // The precision of the products does not enter the fingerprint.
    #expect(try CLIPModel(contentsOf: fixtureModel(name), precision: .bfloat16).fingerprint == expected)
}
