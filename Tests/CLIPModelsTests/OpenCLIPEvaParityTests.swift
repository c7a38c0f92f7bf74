import Foundation
import Testing
import TensorCore
import SafeTensors
@testable import CLIPModels

/// open_clip's EVA-CLIP models in open_clip's layout: timm `Eva` image towers (EVA01: packed
/// query/key/value with separate biases and no key bias; EVA02-B/L: separate projections, a
/// LayerNorm of the attention output, a SwiGLU MLP with its own LayerNorm, 2-D rotary positions
/// in `'ij'` order; EVA02-E: post-norm blocks) and open_clip's causal text tower, random weights
/// at reduced sizes (Scripts/make_openclip_eva_fixtures.py; `reduced.json` holds the sizes and
/// the structure read off the built modules, `open_clip_config.json` the real configuration).
let openCLIPEvaCases = ["eva02-base", "eva02-large336", "eva01-giant", "eva02-enormous"]

struct EvaReducedSizes: Decodable {
    struct Rope: Decodable {
        var theta: Double
        var ref_feat_shape: [Int]
        var grid_offset: Double
        var grid_indexing: String
        var unrotated_prefix_tokens: Int
    }
    struct Vision: Decodable {
        var image_size: Int, patch_size: Int, width: Int, layers: Int, heads: Int, mlp_width: Int, eps: Float
        var post_norm: Bool, qkv_fused: Bool, k_bias: Bool, attn_inner_norm: Bool, mlp_kind: String, mlp_norm: Bool
        var activation: String
        var class_token: Bool, pre_norm: Bool, patch_bias: Bool, head_bias: Bool
        var rope: Rope?
    }
    struct Text: Decodable {
        var vocab_size: Int, context_length: Int, width: Int, layers: Int, heads: Int, mlp_width: Int, eps: Float
        var eot_id: Int
    }
    var vision: Vision
    var text: Text
    var embed_dim: Int
    var timm_model_name: String

    /// The architecture the sizes describe, built from the fixture's own record (not from the
    /// library's tower table, which the configuration test checks separately).
    var architecture: CLIPArchitecture {
        let v = vision, t = text
        let block = EncoderBlockOptions(normPlacement: v.post_norm ? .post : .pre, keyBias: v.k_bias,
                                        attentionOutputNorm: v.attn_inner_norm, gatedMLP: v.mlp_kind == "swiglu",
                                        mlpNorm: v.mlp_norm)
        let rotary = v.rope.map {
            RotaryPositions(temperature: $0.theta, gridOffset: $0.grid_offset, referenceGrid: $0.ref_feat_shape[0],
                            indexing: $0.grid_indexing == "ij" ? .ij : .xy)
        }
        let options = VisionTowerOptions(classToken: v.class_token, preNorm: v.pre_norm, patchBias: v.patch_bias,
                                         pooling: .classToken, projection: v.head_bias ? .linear : .matrix, rotary: rotary)
        return CLIPArchitecture(
            vision: VisionArchitecture(imageSize: v.image_size, patchSize: v.patch_size,
                                       encoder: EncoderArchitecture(width: v.width, layers: v.layers, heads: v.heads,
                                                                    mlpWidth: v.mlp_width,
                                                                    activation: Activation(rawValue: v.activation) ?? .gelu,
                                                                    layerNormEpsilon: v.eps, block: block),
                                       family: .clip, options: options),
            text: TextArchitecture(vocabularySize: t.vocab_size, contextLength: t.context_length, endOfTextTokenID: t.eot_id,
                                   encoder: EncoderArchitecture(width: t.width, layers: t.layers, heads: t.heads,
                                                                mlpWidth: t.mlp_width, activation: .gelu, layerNormEpsilon: t.eps)),
            embeddingDimension: embed_dim)
    }
}

func evaFolder(_ name: String) -> URL { fixtures.appendingPathComponent("openclip-eva/\(name)") }

func evaSizes(_ name: String) throws -> EvaReducedSizes {
    try JSONDecoder().decode(EvaReducedSizes.self, from: Data(contentsOf: evaFolder(name).appendingPathComponent("reduced.json")))
}

func evaModel(_ name: String, precision: ModelPrecision = .float32) throws -> CLIPModel {
    let file = try SafeTensorsFile(contentsOf: evaFolder(name).appendingPathComponent("open_clip_model.safetensors"))
    return try CLIPModel(architecture: try evaSizes(name).architecture, layout: .openCLIP, weights: file,
                         name: "open_clip_model.safetensors", precision: precision)
}

@Test("open_clip EVA-CLIP (timm Eva towers: SwiGLU, sub-LN, rotary, post-norm): embeddings match open_clip (Float32)",
      arguments: openCLIPEvaCases)
func openCLIPEvaParity(name: String) throws {
    let sizes = try evaSizes(name)
    let model = try evaModel(name)
    #expect(model.family == .clip && model.scoring.probabilitiesSumToOne)
    let folder = evaFolder(name)
    let images = try model.encode(pixelValues: try pixels(sizes.vision.image_size))
    expectClose(images, try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent("image.npy")), "\(name) images",
                tolerance: 2e-5)
    try expectTextBatchesClose(model, folder: folder, name)
}

@Test("open_clip EVA-CLIP in bfloat16 and int8 stay close to Float32", arguments: openCLIPEvaCases)
func openCLIPEvaLowPrecision(name: String) throws {
    try expectReducedPrecisionsClose(name, pixelValues: try pixels(try evaSizes(name).vision.image_size)) {
        try evaModel(name, precision: $0)
    }
}

@Test("open_clip EVA-CLIP configurations name timm towers whose structure comes from the table", arguments: openCLIPEvaCases)
func openCLIPEvaConfigurations(name: String) throws {
    let sizes = try evaSizes(name)
    let configuration = try OpenCLIPConfiguration(contentsOf: evaFolder(name).appendingPathComponent("open_clip_config.json"))
    let a = try configuration.modelConfiguration.architecture()
    let tower = try #require(EvaTimmTower.named(sizes.timm_model_name))
    let v = sizes.vision
    #expect(a.family == .clip && a.vision.imageSize == tower.imageSize && a.vision.encoder.width == tower.width)
    #expect(a.vision.encoder.layers == tower.layers && a.vision.encoder.heads == tower.heads)
    // The structure the fixture recorded from timm's modules is the table's.
    let block = a.vision.encoder.layerOptions
    #expect(block.normPlacement == (v.post_norm ? .post : .pre) && block.keyBias == v.k_bias)
    #expect(block.attentionOutputNorm == v.attn_inner_norm && block.mlpNorm == v.mlp_norm)
    #expect(block.gatedMLP == (v.mlp_kind == "swiglu") && a.vision.encoder.activation.rawValue == v.activation)
    #expect(a.vision.options.classToken == v.class_token && a.vision.options.preNorm == v.pre_norm)
    #expect(a.vision.options.patchBias == v.patch_bias && a.vision.options.pooling == .classToken)
    #expect(a.vision.options.projection == (v.head_bias ? .linear : .matrix))
    #expect(a.vision.encoder.layerNormEpsilon == v.eps)
    #expect(a.vision.options.rotary?.referenceGrid == v.rope?.ref_feat_shape[0])
    #expect(a.vision.options.rotary?.gridOffset == v.rope?.grid_offset)
    #expect(a.vision.options.rotary.map { $0.indexing.rawValue } == v.rope?.grid_indexing)
    // The reduced weights do not fit the real configuration: every mis-shaped key at once.
    let error = modelError { try CLIPModel(contentsOf: evaFolder(name)) }
    guard case let .checkpointMismatch(_, _, _, misshaped)? = error else {
        Issue.record("expected a checkpoint mismatch, got \(String(describing: error))")
        return
    }
    #expect(misshaped.contains { $0.key == "visual.trunk.head.weight" })
    // The encoder options are part of the fingerprinted architecture.
    let encoded = String(decoding: try JSONEncoder().encode(a.vision), as: UTF8.self)
    #expect(encoded.contains("\"block\""))
}

@Test("EVA checkpoints: a missing or extra attention key is named, and the key bias stays zero")
func evaCheckpointKeys() throws {
    let name = "eva02-base"
    let file = try SafeTensorsFile(contentsOf: evaFolder(name).appendingPathComponent("open_clip_model.safetensors"))
    // The architecture without EVA's layer options expects timm ViT names: every EVA key differs.
    var plain = try evaSizes(name).architecture
    plain.vision.encoder.block = nil
    let error = modelError {
        try CLIPModel(architecture: plain, layout: .openCLIP, weights: file, name: "open_clip_model.safetensors")
    }
    guard case let .checkpointMismatch(_, missing, unexpected, _)? = error else {
        Issue.record("expected a checkpoint mismatch, got \(String(describing: error))")
        return
    }
    #expect(missing.contains("visual.trunk.blocks.0.attn.qkv.weight"))
    #expect(unexpected.contains("visual.trunk.blocks.0.attn.k_proj.weight"))
    #expect(unexpected.contains("visual.trunk.blocks.0.mlp.fc1_g.weight"))
    #expect(unexpected.contains("visual.trunk.blocks.1.attn.norm.weight"))
}

@Test("EVA-CLIP parameter counts equal the checkpoint's element counts", arguments: openCLIPEvaCases)
func openCLIPEvaParameterCount(name: String) throws {
    let file = try SafeTensorsFile(contentsOf: evaFolder(name).appendingPathComponent("open_clip_model.safetensors"))
    #expect(try evaSizes(name).architecture.parameterCount == file.parameterCount)
}
