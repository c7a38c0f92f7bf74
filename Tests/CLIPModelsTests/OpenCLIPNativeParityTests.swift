import Foundation
import Testing
import TensorCore
import SafeTensors
@testable import CLIPModels

/// open_clip's native towers with options beyond CLIP's, random weights at reduced sizes
/// (Scripts/make_openclip_native_fixtures.py; `reduced.json` holds the sizes and the structure
/// read off the built modules, `open_clip_config.json` the real configuration). CLIPA: no
/// pre-LayerNorm, the mean of the patch tokens with the LayerNorm after it; a bidirectional text
/// tower pooled at the last position.
let openCLIPAcases = ["clipa-l14", "clipa-h14-336"]

func nativeFolder(_ name: String) -> URL { fixtures.appendingPathComponent("openclip-native/\(name)") }

struct NativeReducedSizes: Decodable {
    struct Vision: Decodable {
        var image_size: Int, patch_size: Int, width: Int, layers: Int, heads: Int, mlp_width: Int, eps: Float
        var ln_pre: Bool, pool: String, final_ln_after_pool: Bool
        var attn_pool_queries: Int?, attn_pool_heads: Int?
    }
    struct Text: Decodable {
        var vocab_size: Int, context_length: Int, positions: Int, width: Int, layers: Int, heads: Int, mlp_width: Int
        var eps: Float, causal_mask: Bool, pool: String, cls_emb: Bool
        var eot_id: Int?
    }
    var vision: Vision
    var text: Text
    var embed_dim: Int
    var open_clip_model: String
}

func nativeSizes(_ name: String) throws -> NativeReducedSizes {
    try JSONDecoder().decode(NativeReducedSizes.self,
                             from: Data(contentsOf: nativeFolder(name).appendingPathComponent("reduced.json")))
}

/// The model of a fixture folder through the real configuration with the reduced sizes put in
/// (so the structure comes from the library's configuration reader, the sizes from the fixture).
func nativeModel(_ name: String, precision: ModelPrecision = .float32) throws -> CLIPModel {
    let sizes = try nativeSizes(name)
    let configuration = try OpenCLIPConfiguration(contentsOf: nativeFolder(name).appendingPathComponent("open_clip_config.json"))
    var model = configuration.modelConfiguration
    let v = sizes.vision, t = sizes.text
    model.embeddingDimension = sizes.embed_dim
    model.visionConfiguration.imageSize = v.image_size
    model.visionConfiguration.patchSize = v.patch_size
    model.visionConfiguration.width = v.width
    model.visionConfiguration.layers = v.layers
    model.visionConfiguration.headWidth = v.width / v.heads
    model.visionConfiguration.mlpRatio = Double(v.mlp_width) / Double(v.width)
    model.textConfiguration.vocabularySize = t.vocab_size
    model.textConfiguration.contextLength = t.context_length
    model.textConfiguration.width = t.width
    model.textConfiguration.layers = t.layers
    model.textConfiguration.heads = t.heads
    model.textConfiguration.mlpRatio = Double(t.mlp_width) / Double(t.width)
    let architecture = try model.architecture()
    #expect(architecture.vision.encoder.mlpWidth == v.mlp_width && architecture.text.encoder.mlpWidth == t.mlp_width)
    let file = try SafeTensorsFile(contentsOf: nativeFolder(name).appendingPathComponent("open_clip_model.safetensors"))
    return try CLIPModel(architecture: architecture, layout: .openCLIP, weights: file, name: "open_clip_model.safetensors",
                         precision: precision)
}

@Test("open_clip CLIPA (no pre-LayerNorm, mean of patches, bidirectional text pooled last): embeddings match open_clip",
      arguments: openCLIPAcases)
func openCLIPAParity(name: String) throws {
    let sizes = try nativeSizes(name)
    let model = try nativeModel(name)
    #expect(model.architecture.vision.options.pooling == .meanOfPatches(normalizeAfter: true))
    #expect(!model.architecture.vision.options.preNorm && model.architecture.vision.options.classToken)
    #expect(model.architecture.text.options == TextTowerOptions(causal: false, pooling: .last, projectionBias: false))
    let folder = nativeFolder(name)
    let images = try model.encode(pixelValues: try pixels(sizes.vision.image_size))
    expectClose(images, try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent("image.npy")), "\(name) images",
                tolerance: 2e-5)
    struct Tokens: Decodable { var pad_zero: [[Int]] }
    let tokens = try JSONDecoder().decode(Tokens.self, from: Data(contentsOf: folder.appendingPathComponent("tokens.json")))
    expectClose(try model.encode(tokenIDs: tokens.pad_zero),
                try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent("text.npy")), "\(name) texts",
                tolerance: 2e-5)
    // Stored sizes: the parameter count is the checkpoint's.
    let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("open_clip_model.safetensors"))
    #expect(model.architecture.parameterCount == file.parameterCount)
}

@Test("open_clip CLIPA in bfloat16 and int8 stay close to Float32", arguments: openCLIPAcases)
func openCLIPALowPrecision(name: String) throws {
    try expectReducedPrecisionsClose(name, pixelValues: try pixels(try nativeSizes(name).vision.image_size)) {
        try nativeModel(name, precision: $0)
    }
}

@Test("open_clip's vision pool_type \"avg\" without final_ln_after_pool: the LayerNorm before the mean")
func openCLIPAveragePoolOrder() throws {
    let text = #""text_cfg": {"context_length": 8, "vocab_size": 100, "width": 16, "heads": 2, "layers": 1}"#
    let json = #"{"embed_dim": 8, "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 16, "head_width": 8, "layers": 1, "pool_type": "avg", "no_ln_pre": true}, "# + text + "}"
    let configuration = try JSONDecoder().decode(OpenCLIPModelConfiguration.self, from: Data(json.utf8))
    let a = try configuration.architecture()
    #expect(a.vision.options.pooling == .meanOfPatches(normalizeAfter: false) && !a.vision.options.preNorm)
    let refused = #"{"embed_dim": 8, "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 16, "pool_type": "none"}, "# + text + "}"
    let error = modelError {
        try JSONDecoder().decode(OpenCLIPModelConfiguration.self, from: Data(refused.utf8)).architecture()
    }
    #expect(error?.description.contains("vision_cfg.pool_type \"none\"") == true)
}
