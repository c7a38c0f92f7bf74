import Foundation
import Testing
@testable import CLIPModels

private func decodeHF(_ json: String) throws -> HuggingFaceCLIPConfiguration {
    try decodeConfiguration(HuggingFaceCLIPConfiguration.self, from: Data(json.utf8), file: "config.json")
}

private func decodeOpenCLIP(_ json: String) throws -> OpenCLIPModelConfiguration {
    try decodeConfiguration(OpenCLIPConfiguration.self, from: Data(json.utf8), file: "open_clip_config.json")
        .modelConfiguration
}

@Test func emptyHuggingFaceConfigurationHasTransformersDefaults() throws {
    let architecture = try decodeHF("{}").architecture()
    // transformers' CLIPConfig() defaults are OpenAI's ViT-B/32.
    #expect(architecture == CLIPPreset.architecture(named: "ViT-B/32"))
    #expect(architecture.text.endOfTextTokenID == 49407)
    #expect(architecture.preset?.name == "ViT-B/32")
    #expect(architecture.preset?.name(for: architecture) == "ViT-B/32 (OpenAI-style, QuickGELU)")
}

@Test func legacyConfigurationUsesConfigDictsAndDefaults() throws {
    // The committed 2021-style file: *_config_dict wins over the stale *_config values,
    // layer_norm_eps is left to its default, eos_token_id is 2.
    let configuration = try HuggingFaceCLIPConfiguration(
        contentsOf: fixtureModel("hf-gelu-sharded").appendingPathComponent("config.json"))
    let a = try configuration.architecture()
    #expect(a.vision == VisionArchitecture(
        imageSize: 48, patchSize: 16, channels: 3,
        encoder: EncoderArchitecture(width: 32, layers: 2, heads: 2, mlpWidth: 80, activation: .gelu,
                                     layerNormEpsilon: 1e-5)))
    #expect(a.text == TextArchitecture(
        vocabularySize: 300, contextLength: 16, endOfTextTokenID: 299,
        encoder: EncoderArchitecture(width: 24, layers: 1, heads: 3, mlpWidth: 48, activation: .gelu,
                                     layerNormEpsilon: 1e-5)))
    #expect(a.embeddingDimension == 20)
    #expect(a.preset == nil)
}

@Test func oldOpenAIConfigurationPoolsAtEndOfText() throws {
    // Excerpt of the 2021 openai/clip-vit-large-patch14 config.json: bos 0, eos 2, pad 1.
    let json = """
    {"architectures": ["CLIPModel"], "initializer_factor": 1.0, "logit_scale_init_value": 2.6592,
     "model_type": "clip", "projection_dim": 768,
     "text_config": {"bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1, "hidden_act": "quick_gelu",
                     "hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12,
                     "num_hidden_layers": 12, "max_position_embeddings": 77, "vocab_size": 49408,
                     "projection_dim": 768, "dropout": 0.0, "layer_norm_eps": 1e-05},
     "text_config_dict": null,
     "vision_config": {"hidden_size": 1024, "intermediate_size": 4096, "num_attention_heads": 16,
                       "num_hidden_layers": 24, "patch_size": 14, "image_size": 224, "projection_dim": 768},
     "vision_config_dict": null, "transformers_version": null}
    """
    let a = try decodeHF(json).architecture()
    #expect(a.text.endOfTextTokenID == 49407)
    #expect(a.preset?.name == "ViT-L/14")
}

@Test func imageSizeMayBeAPair() throws {
    let a = try decodeHF(#"{"vision_config": {"image_size": [336, 336], "patch_size": [14, 14]}}"#).architecture()
    #expect(a.vision.imageSize == 336 && a.vision.patchSize == 14)
    #expect(throws: CLIPModelError.self) { try decodeHF(#"{"vision_config": {"image_size": [336, 224]}}"#) }
}

@Test func configurationErrorsNameTheKey() throws {
    #expect(throws: CLIPModelError.invalidConfiguration(
        file: "config.json", key: "text_config.hidden_size", reason: "expected a value of type Int")) {
        try decodeHF(#"{"text_config": {"hidden_size": "wide"}}"#)
    }
    guard case let .invalidConfiguration(file, _, reason)? = modelError({ try decodeHF("{not json") }) else {
        Issue.record("not an invalid-configuration error")
        return
    }
    #expect(file == "config.json")
    #expect(reason.contains("not valid JSON"))
    // Heads that do not divide the width.
    #expect(throws: CLIPModelError.invalidConfiguration(
        file: "config.json", key: "vision.heads", reason: "5 heads do not divide width 768")) {
        try decodeHF(#"{"vision_config": {"num_attention_heads": 5}}"#).architecture()
    }
    // An end-of-text id outside the vocabulary.
    #expect(throws: CLIPModelError.self) {
        try decodeHF(#"{"text_config": {"eos_token_id": 60000}}"#).architecture()
    }
    // Absurd sizes are rejected before anything is allocated.
    #expect(throws: CLIPModelError.self) {
        try decodeHF(#"{"text_config": {"hidden_size": 4000000000, "num_attention_heads": 1}}"#).architecture()
    }
}

@Test("one tower configuration for CLIP and SigLIP config.json: each family's defaults, null towers, every activation")
func huggingFaceTowerConfigurationsShareOneReader() throws {
    let siglip = try decodeConfiguration(HuggingFaceSiglipConfiguration.self, from: Data(#"{"model_type": "siglip"}"#.utf8),
                                         file: "config.json")
    #expect(siglip.textConfiguration == .siglipDefaults && siglip.visionConfiguration == .siglipDefaults)
    #expect(siglip.visionConfiguration.patchSize == 16 && siglip.textConfiguration.maxPositionEmbeddings == 64)
    let clip = try decodeHF(#"{"text_config": null, "vision_config": {"patch_size": [14, 14], "hidden_act": "silu"}}"#)
    #expect(clip.textConfiguration == .clipDefaults)
    var vision = HuggingFaceVisionConfiguration.clipDefaults
    vision.patchSize = 14
    vision.hiddenActivation = "silu"
    #expect(clip.visionConfiguration == vision)
    #expect(try clip.architecture().vision.encoder.activation == .silu)
    // A field present in one family only is read by the same reader for both.
    let sized = try decodeConfiguration(
        HuggingFaceSiglipConfiguration.self, from: Data(#"{"text_config": {"projection_size": 40, "hidden_size": 32}}"#.utf8),
        file: "config.json")
    #expect(sized.textConfiguration.projectionSize == 40 && sized.textConfiguration.hiddenSize == 32)
    // An unknown activation names the key and what is supported.
    let error = modelError { try decodeHF(#"{"text_config": {"hidden_act": "relu"}}"#).architecture() }
    guard case let .unsupportedArchitecture(_, reason)? = error else {
        Issue.record("\(String(describing: error))")
        return
    }
    #expect(reason == #"text_config.hidden_act "relu" (supported: "quick_gelu", "gelu", "gelu_pytorch_tanh", "silu")"#)
}

@Test func unsupportedHuggingFaceModels() throws {
    for json in [
        #"{"model_type": "siglip"}"#,
        #"{"model_type": "chinese_clip"}"#,
        #"{"architectures": ["CLIPVisionModelWithProjection"]}"#,
        #"{"vision_config": {"hidden_act": "relu"}}"#,
        #"{"text_config": {"hidden_act": "gelu_new"}}"#,
    ] {
        let error = modelError { try decodeHF(json).architecture() }
        guard case .unsupportedArchitecture(file: "config.json", _)? = error else {
            Issue.record("\(json): \(String(describing: error))")
            continue
        }
    }
}

@Test func openCLIPConfigurationsOfThePresets() throws {
    // model_cfg of open_clip 3.3.0's ViT-H-14.json, ViT-g-14.json and ViT-bigG-14.json.
    let h14 = #"{"model_cfg": {"embed_dim": 1024, "vision_cfg": {"image_size": 224, "layers": 32, "width": 1280, "head_width": 80, "patch_size": 14}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 1024, "heads": 16, "layers": 24}}}"#
    let g14 = #"{"model_cfg": {"embed_dim": 1024, "vision_cfg": {"image_size": 224, "layers": 40, "width": 1408, "head_width": 88, "mlp_ratio": 4.3637, "patch_size": 14}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 1024, "heads": 16, "layers": 24}}}"#
    let bigG = #"{"model_cfg": {"embed_dim": 1280, "vision_cfg": {"image_size": 224, "layers": 48, "width": 1664, "head_width": 104, "mlp_ratio": 4.9231, "patch_size": 14}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 1280, "heads": 20, "layers": 32}}, "preprocess_cfg": {"mean": [0.5, 0.5, 0.5]}}"#
    let b32 = #"{"model_cfg": {"embed_dim": 512, "quick_gelu": true, "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}}}"#
    for (json, name, activation) in [(h14, "ViT-H/14", Activation.gelu), (g14, "ViT-g/14", .gelu),
                                     (bigG, "ViT-bigG/14", .gelu), (b32, "ViT-B/32", .quickGELU)] {
        let a = try decodeOpenCLIP(json).architecture()
        #expect(a == CLIPPreset.architecture(named: name, activation: activation), "\(name)")
        #expect(a.preset?.name == name)
        #expect(a.vision.encoder.activation == activation)
    }
    #expect(CLIPPreset.architecture(named: "vit-l-14-336")?.vision.imageSize == 336)
    #expect(CLIPPreset.architecture(named: "ViT-X/99") == nil)
    // Every preset is recognized as itself, with either activation.
    for preset in CLIPPreset.all {
        #expect(preset.matches(preset.architecture))
        #expect(CLIPPreset.architecture(named: preset.name, activation: .gelu)?.preset?.name == preset.name)
    }
}

@Test func openCLIPDefaultsAndTextPooling() throws {
    let a = try decodeOpenCLIP(#"{"model_cfg": {"embed_dim": 512}}"#).architecture()
    // CLIPVisionCfg() / CLIPTextCfg() defaults: ViT-B/16 sizes, exact GELU, argmax pooling.
    #expect(a == CLIPPreset.architecture(named: "ViT-B/16", activation: .gelu))
    let eos = try decodeOpenCLIP(#"{"model_cfg": {"embed_dim": 8, "text_cfg": {"pool_type": "eos", "eos_id": 7}}}"#)
    #expect(try eos.architecture().text.endOfTextTokenID == 7)
    let eps = try decodeOpenCLIP(#"{"model_cfg": {"embed_dim": 8, "vision_cfg": {"norm_kwargs": {"eps": 1e-6}}}}"#)
    #expect(try eps.architecture().vision.encoder.layerNormEpsilon == 1e-6)
}

@Test func unsupportedOpenCLIPModels() throws {
    let cases = [
        (#"{"embed_dim": 1024, "vision_cfg": {"layers": [3, 4, 6, 3], "width": 64}}"#, "ResNet"),
        (#"{"embed_dim": 512, "vision_cfg": {"timm_model_name": "convnext_base"}}"#, "timm"),
        (#"{"embed_dim": 512, "text_cfg": {"hf_model_name": "xlm-roberta-base"}}"#, "Hugging Face text tower"),
        (#"{"embed_dim": 768, "init_logit_bias": -10, "vision_cfg": {}}"#, "SigLIP"),
        (#"{"embed_dim": 512, "vision_cfg": {"ls_init_value": 1e-5}}"#, "layer scale"),
        // CoCa's original attentional pool is supported, the paper's "parallel" one is not.
        (#"{"embed_dim": 512, "vision_cfg": {"attentional_pool": "parallel"}}"#, "attentional pooling"),
        (#"{"embed_dim": 512, "vision_cfg": {"qk_norm": true}}"#, "qk_norm"),
        // Text pooled at the first position (CLIPA's "last" is supported).
        (#"{"embed_dim": 512, "text_cfg": {"pool_type": "first", "no_causal_mask": true}}"#, "text_cfg.pool_type \"first\""),
        (#"{"embed_dim": 512, "text_cfg": {"embed_cls": true, "pad_id": 1}}"#, "embed_cls"),
        (#"{"embed_dim": 512, "vision_cfg": {"shiny_new_feature": 3}}"#, "unknown key vision_cfg.shiny_new_feature"),
    ]
    for (modelConfiguration, expected) in cases {
        let configuration = try decodeOpenCLIP(#"{"model_cfg": "# + modelConfiguration + "}")
        guard case let .unsupportedArchitecture(file, reason)? = modelError({ try configuration.architecture() }) else {
            Issue.record("\(modelConfiguration) was not rejected as unsupported")
            continue
        }
        #expect(file == "open_clip_config.json")
        #expect(reason.contains(expected), "\(reason)")
    }
}

/// Sizes from a hostile `config.json` whose products would overflow `Int` (and so trap) are an
/// error naming the key; a patch grid whose attention scores would take gigabytes is refused by
/// its token count (found by reading the parameter guard, which assumed three-factor products).
@Test(arguments: [
    (#"{"vision_config": {"num_channels": 1000000, "patch_size": 1000000, "image_size": 1000000, "hidden_size": 1000000, "num_attention_heads": 1}}"#,
     "vision.width"),
    (#"{"vision_config": {"num_channels": 1000000}}"#, "vision.num_channels"),
    (#"{"text_config": {"vocab_size": 100000000}}"#, "text.vocab_size"),
    (#"{"vision_config": {"num_hidden_layers": 5000}}"#, "vision.layers"),
    (#"{"vision_config": {"image_size": 4096, "patch_size": 16, "hidden_size": 64, "num_attention_heads": 1}}"#,
     "vision.image_size"),
    (#"{"text_config": {"max_position_embeddings": 1000000}}"#, "text.context_length"),
])
func sizesBeyondTheLimitsNameTheirKey(_ json: String, _ key: String) throws {
    guard case let .invalidConfiguration(file, found, reason)? = modelError({ try decodeHF(json).architecture() }) else {
        Issue.record("\(json) was accepted")
        return
    }
    #expect(file == "config.json" && found == key, "\(found): \(reason)")
    #expect(reason.contains("limit"), "\(reason)")
}

@Test func thePublishedSizesAreWithinTheLimits() throws {
    for preset in CLIPPreset.all {
        let a = preset.architecture
        for (key, value, limit) in CLIPArchitecture.sizeLimits(a) { #expect(value <= limit, "\(preset.name): \(key)") }
        #expect(a.vision.tokenCount <= CLIPArchitecture.maximumSequenceLength && a.parameterCount < CLIPArchitecture.maximumParameterCount)
    }
}
