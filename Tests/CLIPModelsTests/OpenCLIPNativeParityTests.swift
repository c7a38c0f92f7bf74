import Foundation
import Testing
import TensorCore
import SafeTensors
@testable import CLIPModels

/// open_clip's native towers with options beyond CLIP's, random weights at reduced sizes
/// (Scripts/make_openclip_native_fixtures.py; `reduced.json` holds the sizes and the structure
/// read off the built modules, `open_clip_config.json` the real configuration). CLIPA: no
/// pre-LayerNorm, the mean of the patch tokens with the LayerNorm after it; a bidirectional text
/// tower pooled at the last position. CoCa: the attentional pooler's query 0; a class embedding
/// appended after the text padded to the context, with open_clip's mask.
let openCLIPAcases = ["clipa-l14", "clipa-h14-336"]
let openCLIPCoCaCases = ["coca-b32", "coca-l14"]

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
    if let queries = v.attn_pool_queries, let heads = v.attn_pool_heads {
        model.visionConfiguration.attentionalPoolQueries = queries
        model.visionConfiguration.attentionalPoolHeads = heads
    }
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

@Test("open_clip CoCa's contrastive embeddings (attentional pooler, appended class embedding): match open_clip",
      arguments: openCLIPCoCaCases)
func openCLIPCoCaParity(name: String) throws {
    let sizes = try nativeSizes(name)
    let model = try nativeModel(name)
    let a = model.architecture
    #expect(a.vision.options.pooling == .attentionalPooler(queries: try #require(sizes.vision.attn_pool_queries),
                                                           heads: try #require(sizes.vision.attn_pool_heads)))
    #expect(a.text.options.pooling == .classEmbedding && a.text.options.causal)
    #expect(a.text.positionCount == sizes.text.positions && a.text.contextLength == sizes.text.context_length)
    let folder = nativeFolder(name)
    let images = try model.encode(pixelValues: try pixels(sizes.vision.image_size))
    expectClose(images, try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent("image.npy")), "\(name) images",
                tolerance: 2e-5)
    // The tower pads every text with 0 to the context length, as open_clip's tokenizer does:
    // unpadded ids give the padded batch's embeddings.
    struct Tokens: Decodable { var unpadded: [[Int]]; var pad_zero: [[Int]] }
    let tokens = try JSONDecoder().decode(Tokens.self, from: Data(contentsOf: folder.appendingPathComponent("tokens.json")))
    let reference = try NumpyArrayFile.read(contentsOf: folder.appendingPathComponent("text.npy"))
    expectClose(try model.encode(tokenIDs: tokens.pad_zero), reference, "\(name) texts padded", tolerance: 2e-5)
    expectClose(try model.encode(tokenIDs: tokens.unpadded), reference, "\(name) texts unpadded", tolerance: 2e-5)
    // Each text alone gives its row of the batch.
    for (row, ids) in tokens.pad_zero.enumerated() {
        let alone = try model.encode(tokenIDs: [ids])
        let width = alone.shape[1]
        let expected = try Tensor(shape: [1, width], scalars: Array(reference.scalars[(row * width)..<((row + 1) * width)]))
        expectClose(alone, expected, "\(name) text \(row) alone", tolerance: 2e-5)
    }
    // The text decoder's weights are in the file and left unread; the rest is counted.
    let file = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("open_clip_model.safetensors"))
    let decoder = file.tensorInfos.filter { $0.name.hasPrefix("text_decoder.") }.reduce(0) { $0 + $1.elementCount }
    #expect(decoder > 0 && a.parameterCount == file.parameterCount - decoder)
}

@Test("open_clip CoCa in bfloat16 and int8 stay close to Float32", arguments: openCLIPCoCaCases)
func openCLIPCoCaLowPrecision(name: String) throws {
    try expectReducedPrecisionsClose(name, pixelValues: try pixels(try nativeSizes(name).vision.image_size)) {
        try nativeModel(name, precision: $0)
    }
}

@Test("open_clip CoCa: a text longer than the context is refused, and other attentional pools are named")
func openCLIPCoCaRefusals() throws {
    let model = try nativeModel("coca-b32")
    let context = model.architecture.text.contextLength
    let error = modelError { try model.encode(tokenIDs: [Array(repeating: 5, count: context + 1)]) }
    guard case .sequenceTooLong? = error else {
        Issue.record("expected sequenceTooLong, got \(String(describing: error))")
        return
    }
    let text = #""text_cfg": {"context_length": 8, "vocab_size": 100, "width": 16, "heads": 2, "layers": 1, "embed_cls": true}"#
    let parallel = #"{"embed_dim": 16, "vision_cfg": {"image_size": 32, "patch_size": 16, "width": 16, "attentional_pool": "parallel"}, "# + text + "}"
    let reason = modelError {
        try JSONDecoder().decode(OpenCLIPModelConfiguration.self, from: Data(parallel.utf8)).architecture()
    }
    #expect(reason?.description.contains("attentional_pool") == true)
}

@Test("A CLIPA folder with a BERT vocab.txt: texts go through open_clip's HFTokenizer steps (clean, [SEP] made 0)")
func openCLIPAFolderWithTokenizer() throws {
    let name = "clipa-l14"
    let reduced = try nativeModel(name).architecture
    // The folder: the reduced configuration as open_clip_config.json, the fixture's weights, a vocab.txt.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("clipa-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var configuration = try OpenCLIPConfiguration(
        contentsOf: nativeFolder(name).appendingPathComponent("open_clip_config.json")).modelConfiguration
    let sizes = try nativeSizes(name)
    configuration.embeddingDimension = sizes.embed_dim
    configuration.visionConfiguration.imageSize = sizes.vision.image_size
    configuration.visionConfiguration.patchSize = sizes.vision.patch_size
    configuration.visionConfiguration.width = sizes.vision.width
    configuration.visionConfiguration.layers = sizes.vision.layers
    configuration.visionConfiguration.headWidth = sizes.vision.width / sizes.vision.heads
    configuration.visionConfiguration.mlpRatio = Double(sizes.vision.mlp_width) / Double(sizes.vision.width)
    configuration.textConfiguration.vocabularySize = sizes.text.vocab_size
    configuration.textConfiguration.contextLength = sizes.text.context_length
    configuration.textConfiguration.width = sizes.text.width
    configuration.textConfiguration.layers = sizes.text.layers
    configuration.textConfiguration.heads = sizes.text.heads
    configuration.textConfiguration.mlpRatio = Double(sizes.text.mlp_width) / Double(sizes.text.width)
    #expect(configuration.textConfiguration.tokenizerStripsSeparator && configuration.textConfiguration.tokenizerName != nil)
    let encoded = try JSONEncoder().encode(configuration)
    let json = #"{"model_cfg": "# + String(decoding: encoded, as: UTF8.self) + "}"
    try Data(json.utf8).write(to: folder.appendingPathComponent("open_clip_config.json"))
    try FileManager.default.copyItem(at: nativeFolder(name).appendingPathComponent("open_clip_model.safetensors"),
                                     to: folder.appendingPathComponent("open_clip_model.safetensors"))
    let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo", "of", "cat", "##s", "caf", "##e", "."]
    try Data((vocabulary.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))

    let directory = try CLIPModelDirectory(contentsOf: folder)
    #expect(directory.architecture == reduced && directory.stripsSeparatorToken)
    #expect(directory.tokenizerSource == .wordPiece(vocabulary: folder.appendingPathComponent("vocab.txt")))
    let model = try CLIPModel(contentsOf: folder)
    // "  A photo of CATS, Café. " → [CLS] a photo of cat ##s [UNK] caf ##e . [SEP] → [SEP] is 0, padded to 12.
    let expected = [2, 5, 6, 7, 8, 9, 1, 10, 11, 12, 0, 0]
    #expect(try #require(model.tokenizer).tokenize("  A photo of CATS, Café. ") == expected)
    expectClose(try model.encode(texts: ["  A photo of CATS, Café. "]), try model.encode(tokenIDs: [expected]),
                "CLIPA text through its tokenizer", tolerance: 0)
}
