import Foundation
import Testing
import TensorCore
import SafeTensors
@testable import CLIPModels

/// open_clip's MobileCLIP2-L-14 in open_clip's layout: timm's CLIP ViT (`vit_large_patch14_clip_224`:
/// class token, `norm_pre`, class-token pooling, timm's `head` with bias) and open_clip's text tower
/// without a causal mask (`no_causal_mask`: every position, padding included, attends to every
/// other; pooled at the end-of-text token). Random weights at reduced sizes
/// (Scripts/make_openclip_vit_fixtures.py).
let openCLIPViTCases = ["mobileclip2-l14", "mobileclip2-l14-b"]

struct ViTReducedSizes: Decodable {
    struct Vision: Decodable {
        var image_size: Int, patch_size: Int, width: Int, layers: Int, heads: Int, mlp_width: Int, eps: Float
        var class_token: Bool, pre_norm: Bool, patch_bias: Bool, head_bias: Bool, pool: String
    }
    struct Text: Decodable {
        var vocab_size: Int, context_length: Int, width: Int, layers: Int, heads: Int, mlp_width: Int, eps: Float
        var eot_id: Int, causal_mask: Bool
    }
    var vision: Vision
    var text: Text
    var embed_dim: Int
    var timm_model_name: String

    var architecture: CLIPArchitecture {
        let v = vision, t = text
        return CLIPArchitecture(
            vision: VisionArchitecture(
                imageSize: v.image_size, patchSize: v.patch_size,
                encoder: EncoderArchitecture(width: v.width, layers: v.layers, heads: v.heads, mlpWidth: v.mlp_width,
                                             activation: .gelu, layerNormEpsilon: v.eps),
                family: .clip,
                options: VisionTowerOptions(classToken: v.class_token, preNorm: v.pre_norm, patchBias: v.patch_bias,
                                            pooling: .classToken, projection: v.head_bias ? .linear : .matrix)),
            text: TextArchitecture(
                vocabularySize: t.vocab_size, contextLength: t.context_length, endOfTextTokenID: t.eot_id,
                encoder: EncoderArchitecture(width: t.width, layers: t.layers, heads: t.heads, mlpWidth: t.mlp_width,
                                             activation: .gelu, layerNormEpsilon: t.eps),
                options: TextTowerOptions(causal: t.causal_mask, pooling: .endOfText, projectionBias: false)),
            embeddingDimension: embed_dim)
    }
}

func vitFolder(_ name: String) -> URL { fixtures.appendingPathComponent("openclip-vit/\(name)") }

func vitSizes(_ name: String) throws -> ViTReducedSizes {
    try JSONDecoder().decode(ViTReducedSizes.self, from: Data(contentsOf: vitFolder(name).appendingPathComponent("reduced.json")))
}

@Test("open_clip MobileCLIP2-L-14 (timm CLIP ViT, text without causal mask): embeddings match open_clip",
      arguments: openCLIPViTCases)
func openCLIPViTParity(name: String) throws {
    let sizes = try vitSizes(name)
    #expect(sizes.vision.pool == "token" && !sizes.text.causal_mask)
    let file = try SafeTensorsFile(contentsOf: vitFolder(name).appendingPathComponent("open_clip_model.safetensors"))
    let model = try CLIPModel(architecture: sizes.architecture, layout: .openCLIP, weights: file)
    let folder = vitFolder(name)
    func ref(_ file: String) throws -> Tensor { try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent(file)) }
    expectClose(try model.encode(pixelValues: try pixels(sizes.vision.image_size)), try ref("image.npy"), "\(name) images",
                tolerance: 2e-5)
    struct Tokens: Decodable { var unpadded: [[Int]]; var pad_zero: [[Int]] }
    let tokens = try JSONDecoder().decode(Tokens.self, from: Data(contentsOf: folder.appendingPathComponent("tokens.json")))
    // open_clip's tokenizer pads with 0 to the context, and without a causal mask the padding
    // counts: unpadded sequences are run padded, so both give open_clip's padded result.
    expectClose(try model.encode(tokenIDs: tokens.pad_zero), try ref("text.npy"), "\(name) padded texts", tolerance: 2e-5)
    expectClose(try model.encode(tokenIDs: tokens.unpadded), try ref("text.npy"), "\(name) unpadded texts", tolerance: 2e-5)
    // (What open_clip gives for an unpadded sequence run alone differs, which is why padding is kept.)
    let alone = try ref("text-unpadded.npy"), padded = try ref("text.npy")
    #expect(zip(alone.scalars, padded.scalars).map { abs($0 - $1) }.max() ?? 0 > 1e-2)
}

@Test("MobileCLIP2-L-14's configuration: timm's CLIP ViT with its head, a text tower without causal mask")
func openCLIPViTConfiguration() throws {
    let configuration = try OpenCLIPConfiguration(contentsOf: vitFolder("mobileclip2-l14").appendingPathComponent("open_clip_config.json"))
    let a = try configuration.modelConfiguration.architecture()
    #expect(a.family == .clip && a.vision.imageSize == 224 && a.vision.patchSize == 14 && a.vision.encoder.width == 1024)
    #expect(a.vision.encoder.layers == 24 && a.vision.encoder.heads == 16 && a.vision.encoder.mlpWidth == 4096)
    #expect(a.vision.options == TimmCLIPTower.options && a.embeddingDimension == 768)
    #expect(a.text.options == TextTowerOptions(causal: false, pooling: .endOfText, projectionBias: false))
    #expect(a.text.contextLength == 77 && a.text.endOfTextTokenID == clipEndOfTextTokenID)
    // The architecture's encoding (the fingerprint's input) names both towers' options.
    let text = String(decoding: try JSONEncoder().encode(a.text), as: UTF8.self)
    #expect(text.contains("\"causal\":false"))
}
