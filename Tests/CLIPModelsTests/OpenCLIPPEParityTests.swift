import Foundation
import Testing
import TensorCore
import SafeTensors
@testable import CLIPModels

/// open_clip's PE-Core models (Meta's Perception Encoder) in open_clip's layout: a timm
/// `vit_pe_core_*` image tower (class token except bigG, `norm_pre`, 2-D rotary positions, an
/// attention-pooling head with its own heads and MLP, timm's `head` with bias) and open_clip's
/// causal text tower, random weights at reduced sizes (Scripts/make_openclip_pe_fixtures.py;
/// `reduced.json` holds the sizes, `open_clip_config.json` the real configuration).
let openCLIPPECases = ["pe-base", "pe-large", "pe-tiny", "pe-bigg"]

struct PEReducedSizes: Decodable {
    struct Rope: Decodable {
        var theta: Double
        var ref_feat_shape: [Int]
        var grid_offset: Double
        var unrotated_prefix_tokens: Int
    }
    struct Vision: Decodable {
        var image_size: Int, patch_size: Int, width: Int, layers: Int, heads: Int, mlp_width: Int, eps: Float
        var class_token: Bool, pre_norm: Bool, patch_bias: Bool, head_bias: Bool
        var rope: Rope
        var pool_heads: Int, pool_mlp_width: Int
    }
    struct Text: Decodable {
        var vocab_size: Int, context_length: Int, width: Int, layers: Int, heads: Int, mlp_width: Int, eps: Float
        var eot_id: Int
    }
    var vision: Vision
    var text: Text
    var embed_dim: Int
    var logit_scale: Float
    var timm_model_name: String

    var architecture: CLIPArchitecture {
        let v = vision, t = text
        let options = VisionTowerOptions(
            classToken: v.class_token, preNorm: v.pre_norm, patchBias: v.patch_bias,
            pooling: .attentionHead(heads: v.pool_heads, mlpWidth: v.pool_mlp_width), projection: v.head_bias ? .linear : .matrix,
            rotary: RotaryPositions(temperature: v.rope.theta, gridOffset: v.rope.grid_offset,
                                    referenceGrid: v.rope.ref_feat_shape[0]))
        return CLIPArchitecture(
            vision: VisionArchitecture(imageSize: v.image_size, patchSize: v.patch_size,
                                       encoder: EncoderArchitecture(width: v.width, layers: v.layers, heads: v.heads,
                                                                    mlpWidth: v.mlp_width, activation: .gelu,
                                                                    layerNormEpsilon: v.eps),
                                       family: .clip, options: options),
            text: TextArchitecture(vocabularySize: t.vocab_size, contextLength: t.context_length, endOfTextTokenID: t.eot_id,
                                   encoder: EncoderArchitecture(width: t.width, layers: t.layers, heads: t.heads,
                                                                mlpWidth: t.mlp_width, activation: .gelu, layerNormEpsilon: t.eps)),
            embeddingDimension: embed_dim)
    }
}

func peFolder(_ name: String) -> URL { fixtures.appendingPathComponent("openclip-pe/\(name)") }

func peSizes(_ name: String) throws -> PEReducedSizes {
    try JSONDecoder().decode(PEReducedSizes.self, from: Data(contentsOf: peFolder(name).appendingPathComponent("reduced.json")))
}

func peModel(_ name: String, precision: ModelPrecision = .float32) throws -> CLIPModel {
    let file = try SafeTensorsFile(contentsOf: peFolder(name).appendingPathComponent("open_clip_model.safetensors"))
    return try CLIPModel(architecture: try peSizes(name).architecture, layout: .openCLIP, weights: file,
                         name: "open_clip_model.safetensors", precision: precision)
}

@Test("open_clip PE-Core (timm Eva towers with 2-D rotary positions): embeddings match open_clip (Float32)",
      arguments: openCLIPPECases)
func openCLIPPEParity(name: String) throws {
    let sizes = try peSizes(name)
    let model = try peModel(name)
    #expect(model.family == .clip && model.scoring.probabilitiesSumToOne)
    #expect(sizes.vision.rope.unrotated_prefix_tokens == (sizes.vision.class_token ? 1 : 0))
    let folder = peFolder(name)
    let images = try model.encode(pixelValues: try pixels(sizes.vision.image_size))
    expectClose(images, try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent("image.npy")), "\(name) images",
                tolerance: 2e-5)
    try expectTextBatchesClose(model, folder: folder, name)
}

@Test("open_clip PE-Core in bfloat16 and int8 stay close to Float32", arguments: openCLIPPECases)
func openCLIPPELowPrecision(name: String) throws {
    try expectReducedPrecisionsClose(name, pixelValues: try pixels(try peSizes(name).vision.image_size)) {
        try peModel(name, precision: $0)
    }
}

@Test("open_clip PE-Core configurations name timm towers whose structure comes from the table", arguments: openCLIPPECases)
func openCLIPPEConfigurations(name: String) throws {
    let sizes = try peSizes(name)
    let configuration = try OpenCLIPConfiguration(contentsOf: peFolder(name).appendingPathComponent("open_clip_config.json"))
    let a = try configuration.modelConfiguration.architecture()
    let tower = try #require(PETimmTower.named(sizes.timm_model_name))
    #expect(a.family == .clip && a.vision.imageSize == tower.imageSize && a.vision.encoder.width == tower.width)
    #expect(a.vision.encoder.layers == tower.layers && a.vision.encoder.heads == tower.heads)
    #expect(a.vision.options.classToken == sizes.vision.class_token && a.vision.options.preNorm && !a.vision.options.patchBias)
    #expect(a.vision.options.pooling == .attentionHead(heads: 8, mlpWidth: 4 * tower.width))
    #expect(a.vision.options.projection == .linear)
    #expect(a.vision.options.rotary?.referenceGrid == a.vision.gridSize)   // the reference grid is the full-size grid
    #expect(a.vision.options.rotary?.gridOffset == sizes.vision.rope.grid_offset)
    #expect(a.vision.encoder.layerNormEpsilon == 1e-5 && a.vision.encoder.activation == .gelu)
    #expect(a.text.family == .clip && a.text.vocabularySize == 49408 && a.text.endOfTextTokenID == clipEndOfTextTokenID)
    // The reduced weights do not fit the real configuration: every mis-shaped key at once.
    let error = modelError { try CLIPModel(contentsOf: peFolder(name)) }
    guard case let .checkpointMismatch(_, _, _, misshaped)? = error else {
        Issue.record("expected a checkpoint mismatch, got \(String(describing: error))")
        return
    }
    #expect(misshaped.contains { $0.key == "visual.trunk.head.weight" })
    // The fingerprint's architecture names the options (they are not CLIP's defaults).
    let encoded = String(decoding: try JSONEncoder().encode(a.vision), as: UTF8.self)
    #expect(encoded.contains("\"options\"") && encoded.contains("\"rotary\""))
}

@Test("Rotary positions: the table rotates pairs by timm's angles and leaves the class token alone")
func rotaryTable() throws {
    let settings = RotaryPositions(gridOffset: 1, referenceGrid: 14)
    let table = RotaryTable(settings, grid: 4, headWidth: 8, prefixTokens: 1)
    // Patch (row 1, column 2): X = 3 · 14/4, Y = 2 · 14/4; frequencies 1 and 10000^(-1/2).
    let x = 3.0 * 14 / 4, y = 2.0 * 14 / 4
    let angles = [x, x * 0.01, y, y * 0.01]
    var rows = [Float](repeating: 0, count: (1 + 16) * 8)
    for i in rows.indices { rows[i] = Float(i % 7) - 3 }
    let original = rows
    rows.withUnsafeMutableBufferPointer { table.rotate($0.baseAddress!, stride: 8, tokens: 17) }
    #expect(Array(rows[0..<8]) == Array(original[0..<8]))   // the class token
    let token = 1 + 1 * 4 + 2
    for (i, angle) in angles.enumerated() {
        let x0 = Double(original[token * 8 + 2 * i]), x1 = Double(original[token * 8 + 2 * i + 1])
        #expect(abs(Double(rows[token * 8 + 2 * i]) - (x0 * cos(angle) - x1 * sin(angle))) < 1e-5)
        #expect(abs(Double(rows[token * 8 + 2 * i + 1]) - (x1 * cos(angle) + x0 * sin(angle))) < 1e-5)
    }
}
