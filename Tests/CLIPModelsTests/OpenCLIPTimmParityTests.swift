import Foundation
import Testing
import TensorCore
import SafeTensors
import TextTokenizer
@testable import CLIPModels

/// open_clip's SigLIP and SigLIP 2 in open_clip's own layout: a timm `vit_*_siglip_*` image
/// tower (`visual.trunk.*`) and open_clip's text tower (`text.*`, bidirectional, last position,
/// projection with bias), random weights at reduced sizes
/// (Scripts/make_openclip_timm_fixtures.py; `reduced.json` holds the sizes the weights have,
/// `open_clip_config.json` the real configuration of the named model).
/// `siglip-i18n-so400m`'s text tower has no projection (`proj_type: "none"`).
let openCLIPTimmCases = ["siglip-base", "siglip2-base", "siglip-so400m", "siglip2-giantopt", "siglip-i18n-so400m"]

/// The sizes a reduced fixture was made with.
struct ReducedSizes: Decodable {
    struct Tower: Decodable {
        var width: Int, layers: Int, heads: Int, mlp_width: Int, activation: String, eps: Float
        var image_size: Int?, patch_size: Int?, vocab_size: Int?, context_length: Int?
    }
    var vision: Tower
    var text: Tower
    var embed_dim: Int
    var logit_scale: Float
    var logit_bias: Float
    var timm_model_name: String
    var open_clip_model: String

    func encoder(_ t: Tower) throws -> EncoderArchitecture {
        EncoderArchitecture(width: t.width, layers: t.layers, heads: t.heads, mlpWidth: t.mlp_width,
                            activation: try #require(Activation(rawValue: t.activation)), layerNormEpsilon: t.eps)
    }

    var architecture: CLIPArchitecture {
        get throws {
            CLIPArchitecture(
                vision: VisionArchitecture(imageSize: try #require(vision.image_size), patchSize: try #require(vision.patch_size),
                                           encoder: try encoder(vision), family: .siglip),
                text: TextArchitecture(vocabularySize: try #require(text.vocab_size),
                                       contextLength: try #require(text.context_length), endOfTextTokenID: 2,
                                       encoder: try encoder(text), family: .siglip),
                embeddingDimension: embed_dim)
        }
    }
}

func openCLIPTimmFolder(_ name: String) -> URL { fixtures.appendingPathComponent("openclip-timm/\(name)") }

func reducedSizes(_ name: String) throws -> ReducedSizes {
    try JSONDecoder().decode(ReducedSizes.self, from: Data(contentsOf: openCLIPTimmFolder(name).appendingPathComponent("reduced.json")))
}

/// The reduced architecture, with the text projection the real configuration says (none for
/// `proj_type: "none"`).
func openCLIPTimmArchitecture(_ name: String) throws -> CLIPArchitecture {
    var architecture = try reducedSizes(name).architecture
    let configuration = try OpenCLIPConfiguration(
        contentsOf: openCLIPTimmFolder(name).appendingPathComponent("open_clip_config.json")).modelConfiguration
    if configuration.textConfiguration.unprojected {
        architecture.text.options.projected = false
        architecture.text.options.projectionBias = false
    }
    return architecture
}

func openCLIPTimmModel(_ name: String, precision: ModelPrecision = .float32) throws -> CLIPModel {
    let file = try SafeTensorsFile(contentsOf: openCLIPTimmFolder(name).appendingPathComponent("open_clip_model.safetensors"))
    return try CLIPModel(architecture: try openCLIPTimmArchitecture(name), layout: .openCLIP, weights: file,
                         name: "open_clip_model.safetensors", precision: precision)
}

@Test("open_clip SigLIP (timm towers): image and text embeddings match open_clip (Float32)",
      arguments: openCLIPTimmCases)
func openCLIPTimmParity(name: String) throws {
    let sizes = try reducedSizes(name)
    let model = try openCLIPTimmModel(name)
    let folder = openCLIPTimmFolder(name)
    func ref(_ file: String) throws -> Tensor { try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent(file)) }
    struct Tokens: Decodable { var full: [[Int]]; var short: [[Int]] }
    let tokens = try JSONDecoder().decode(Tokens.self, from: Data(contentsOf: folder.appendingPathComponent("tokens.json")))

    #expect(model.family == .siglip && !model.scoring.probabilitiesSumToOne)
    #expect(abs(model.logitScale - Float(exp(Double(sizes.logit_scale)))) < 1e-5 * model.logitScale)
    #expect(model.logitBias == sizes.logit_bias)
    // 2e-5 (not the usual 1e-4): exact and tanh GELU differ by about 1e-4 of these outputs.
    let images = try model.encode(pixelValues: try pixels(try #require(sizes.vision.image_size)))
    expectClose(images, try ref("image.npy"), "\(name) images", tolerance: 2e-5)
    expectClose(try model.encode(tokenIDs: tokens.full), try ref("text-full.npy"), "\(name) full texts", tolerance: 2e-5)
    expectClose(try model.encode(tokenIDs: tokens.short), try ref("text-short.npy"), "\(name) short texts", tolerance: 2e-5)
}

@Test("open_clip SigLIP (timm towers) in bfloat16 and int8 stay close to Float32", arguments: openCLIPTimmCases)
func openCLIPTimmLowPrecision(name: String) throws {
    let f32 = try openCLIPTimmModel(name)
    let pixelValues = try pixels(try #require(try reducedSizes(name).vision.image_size))
    let reference = try f32.encode(pixelValues: pixelValues, normalized: true)
    for precision in [ModelPrecision.bfloat16, .int8] {
        let other = try openCLIPTimmModel(name, precision: precision).encode(pixelValues: pixelValues, normalized: true)
        let width = reference.shape[1]
        for row in 0..<reference.shape[0] {
            let cosine = (0..<width).reduce(Float(0)) { $0 + reference.scalars[row * width + $1] * other.scalars[row * width + $1] }
            #expect(cosine > 0.99, "\(name) \(precision) image \(row): cosine \(cosine)")
        }
    }
}

@Test("open_clip SigLIP configurations name timm towers whose sizes come from the table", arguments: openCLIPTimmCases)
func openCLIPTimmConfigurations(name: String) throws {
    let sizes = try reducedSizes(name)
    let configuration = try OpenCLIPConfiguration(contentsOf: openCLIPTimmFolder(name).appendingPathComponent("open_clip_config.json"))
    let a = try configuration.modelConfiguration.architecture()
    let tower = try #require(SiglipTimmTower.named(sizes.timm_model_name))
    #expect(a.family == .siglip && a.vision.family == .siglip && a.text.family == .siglip)
    #expect(a.vision.imageSize == tower.imageSize && a.vision.patchSize == tower.patchSize)
    #expect(a.vision.encoder.width == tower.width && a.vision.encoder.layers == tower.layers)
    #expect(a.vision.encoder.heads == tower.heads && a.vision.encoder.mlpWidth == tower.mlpWidth)
    #expect(a.vision.encoder.activation.rawValue == sizes.vision.activation)   // the reduced tower keeps the act
    #expect(a.text.encoder.activation.rawValue == sizes.text.activation)
    #expect(a.vision.encoder.layerNormEpsilon == 1e-6 && a.text.encoder.layerNormEpsilon == 1e-6)
    #expect(a.embeddingDimension == tower.width)
    #expect(a.text.options.projected == !configuration.modelConfiguration.textConfiguration.unprojected)
    if !a.text.options.projected {
        #expect(a.text.encoder.width == a.embeddingDimension && !a.text.options.projectionBias)
        let file = try SafeTensorsFile(contentsOf: openCLIPTimmFolder(name).appendingPathComponent("open_clip_model.safetensors"))
        #expect(!file.contains("text.text_projection.weight"))
        #expect(try openCLIPTimmArchitecture(name).parameterCount == file.parameterCount)
    }
    // The folder's weights are reduced: opening it names every mis-shaped key at once.
    let error = modelError { try CLIPModel(contentsOf: openCLIPTimmFolder(name)) }
    guard case let .checkpointMismatch(_, missing, _, misshaped)? = error else {
        Issue.record("expected a checkpoint mismatch, got \(String(describing: error))")
        return
    }
    #expect(misshaped.contains { $0.key == "visual.trunk.patch_embed.proj.weight" })
    #expect(missing.contains { $0.hasPrefix("visual.trunk.blocks.") })   // fewer layers than the real tower
}

@Test("The timm SigLIP tower table holds timm's sizes for the published towers")
func siglipTimmTable() throws {
    let b16 = try #require(SiglipTimmTower.named("vit_base_patch16_siglip_224"))
    #expect(b16 == SiglipTimmTower(name: "vit_base_patch16_siglip_224", width: 768, layers: 12, heads: 12, mlpWidth: 3072,
                                   patchSize: 16, imageSize: 224, activation: .gelu))
    let so400m = try #require(SiglipTimmTower.named("vit_so400m_patch14_siglip_384.webli"))
    #expect(so400m.mlpWidth == 4304 && so400m.layers == 27 && so400m.vision(imageSize: 384).tokenCount == 729)
    #expect(SiglipTimmTower.named("vit_giantopt_patch16_siglip_384")?.activation == .geluTanh)
    #expect(SiglipTimmTower.named("vit_base_patch16_clip_224") == nil)
    #expect(Set(SiglipTimmTower.all.map(\.name)).count == SiglipTimmTower.all.count)
}

@Test("open_clip configurations that are not SigLIP's keep a one-line error naming what is missing")
func openCLIPTimmRefusals() throws {
    func reason(_ json: String) -> String? {
        do {
            _ = try OpenCLIPConfiguration(data: Data(json.utf8), file: "open_clip_config.json").modelConfiguration.architecture()
            return nil
        } catch {
            guard case let .unsupportedArchitecture(_, reason) = error else { return "\(error)" }
            return reason
        }
    }
    let text = #""text_cfg": {"context_length": 64, "vocab_size": 32000, "width": 768, "heads": 12, "layers": 12, "no_causal_mask": true, "proj_bias": true, "pool_type": "last"}"#
    // EVA02's tower with a pool it is never given ("map"), and PE's with a projection it does not have.
    #expect(reason(#"{"model_cfg": {"embed_dim": 768, "vision_cfg": {"timm_model_name": "eva02_base_patch16_clip_224", "timm_pool": "map", "timm_proj": null}, "#
                   + text + "}}")?.contains("timm image tower \"eva02_base_patch16_clip_224\"") == true)
    #expect(reason(#"{"model_cfg": {"embed_dim": 768, "vision_cfg": {"timm_model_name": "vit_pe_core_base_patch16_224", "timm_pool": "map", "timm_proj": "none"}, "#
                   + #""text_cfg": {"context_length": 32}}}"#)?.contains("(supported: \"map\" and null)") == true)
    // SigLIP's tower with a linear head (timm_proj null gives timm's head).
    #expect(reason(#"{"model_cfg": {"embed_dim": 768, "vision_cfg": {"timm_model_name": "vit_base_patch16_siglip_224", "timm_pool": "map", "timm_proj": null}, "#
                   + text + "}}")?.contains("timm_proj null") == true)
    // A SigLIP image tower with a causal text tower pooled at the end-of-text token.
    let causal = reason(#"{"model_cfg": {"embed_dim": 768, "vision_cfg": {"timm_model_name": "vit_base_patch16_siglip_224", "timm_pool": "map", "timm_proj": "none"}, "text_cfg": {"width": 768, "heads": 12}}}"#)
    #expect(causal?.contains("text_cfg.no_causal_mask false") == true && causal?.contains("pool_type \"argmax\"") == true)
    // A CLIP with a logit bias or a SigLIP text tower is still refused as before.
    #expect(reason(#"{"model_cfg": {"embed_dim": 512, "init_logit_bias": -10, "vision_cfg": {}, "text_cfg": {"no_causal_mask": true, "proj_bias": true}}}"#)
                == "logit bias (init_logit_bias, a SigLIP-style model); text_cfg.proj_bias")
    // The image size must be the one timm builds the tower for.
    do {
        _ = try OpenCLIPConfiguration(data: Data((#"{"model_cfg": {"embed_dim": 768, "vision_cfg": {"image_size": 256, "timm_model_name": "vit_base_patch16_siglip_224", "timm_pool": "map", "timm_proj": "none"}, "# + text + "}}").utf8), file: "c.json").modelConfiguration.architecture(file: "c.json")
        Issue.record("a 256-px image size for a 224-px tower was accepted")
    } catch {
        #expect("\(error)".contains("vision_cfg.image_size"))
    }
}

@Test("An open_clip SigLIP folder's tokenizer is its files behind open_clip's canonicalizing clean",
      arguments: [("siglip-base", "siglip-spiece", "spiece.model"), ("siglip2-base", "siglip2-gemma", "tokenizer.json")])
func openCLIPSiglipFolderTokenizer(model: String, tokenizerFolder: String, tokenizerFile: String) throws {
    let tokenizerFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("TextTokenizerTests/Fixtures/\(tokenizerFolder)")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("openclip-siglip-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for name in ["open_clip_config.json", "open_clip_model.safetensors"] {
        try FileManager.default.copyItem(at: openCLIPTimmFolder(model).appendingPathComponent(name),
                                         to: folder.appendingPathComponent(name))
    }
    for name in [tokenizerFile, "tokenizer_config.json"] {
        try FileManager.default.copyItem(at: tokenizerFixtures.appendingPathComponent(name), to: folder.appendingPathComponent(name))
    }
    let directory = try CLIPModelDirectory(contentsOf: folder)
    #expect(directory.layout == .openCLIP && directory.textCleaning == .canonicalize)
    let tokenizer = try #require(try directory.makeTokenizer() as? OpenCLIPHFTokenizer)
    #expect(tokenizer.cleaning == .canonicalize && tokenizer.contextLength == directory.architecture.text.contextLength)
    // open_clip cleans first: "Hello_World!" is read as "hello world", whatever the tokenizer does alone.
    let text = "A PHOTO of a Hello_World! (cat)"
    #expect(tokenizer.tokenize(text) == tokenizer.base.tokenize("a photo of a hello world cat"))
    // The preprocessing is the configuration's preprocess_cfg (a squash to the square, mean/std 0.5).
    #expect(directory.preprocessingFile?.lastPathComponent == "open_clip_config.json")
}
