import CLIPSupport
import Foundation

/// The text part of a Hugging Face `config.json` (`text_config`), with transformers 5.24.0's
/// `CLIPTextConfig` defaults for absent or `null` fields.
public struct HuggingFaceCLIPTextConfiguration: Codable, Sendable, Equatable {
    /// `vocab_size` (default 49408).
    public var vocabularySize: Int
    /// `hidden_size` (default 512).
    public var hiddenSize: Int
    /// `intermediate_size` (default 2048).
    public var intermediateSize: Int
    /// `projection_dim` (default 512; the model uses the top-level value).
    public var projectionDimension: Int?
    /// `num_hidden_layers` (default 12).
    public var hiddenLayerCount: Int
    /// `num_attention_heads` (default 8).
    public var attentionHeadCount: Int
    /// `max_position_embeddings` (default 77).
    public var maxPositionEmbeddings: Int
    /// `hidden_act` (default "quick_gelu").
    public var hiddenActivation: String
    /// `layer_norm_eps` (default 1e-5).
    public var layerNormEpsilon: Double
    /// `pad_token_id` (default 1).
    public var padTokenID: Int?
    /// `bos_token_id` (default 49406).
    public var bosTokenID: Int?
    /// `eos_token_id` (default 49407; old files say 2, which transformers treats as "pool at the
    /// highest token id"). A list keeps its first element.
    public var eosTokenID: Int?

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case projectionDimension = "projection_dim"
        case hiddenLayerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenActivation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps"
        case padTokenID = "pad_token_id"
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
    }

    /// The defaults of transformers' `CLIPTextConfig()`.
    public init() {
        vocabularySize = 49408
        hiddenSize = 512
        intermediateSize = 2048
        projectionDimension = 512
        hiddenLayerCount = 12
        attentionHeadCount = 8
        maxPositionEmbeddings = 77
        hiddenActivation = "quick_gelu"
        layerNormEpsilon = 1e-5
        padTokenID = 1
        bosTokenID = 49406
        eosTokenID = 49407
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = HuggingFaceCLIPTextConfiguration()
        vocabularySize = try c.value(.vocabularySize, default: d.vocabularySize)
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        projectionDimension = c.contains(.projectionDimension)
            ? try c.decodeIfPresent(Int.self, forKey: .projectionDimension) : d.projectionDimension
        hiddenLayerCount = try c.value(.hiddenLayerCount, default: d.hiddenLayerCount)
        attentionHeadCount = try c.value(.attentionHeadCount, default: d.attentionHeadCount)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: d.maxPositionEmbeddings)
        hiddenActivation = try c.value(.hiddenActivation, default: d.hiddenActivation)
        layerNormEpsilon = try c.value(.layerNormEpsilon, default: d.layerNormEpsilon)
        padTokenID = c.contains(.padTokenID) ? try c.decodeIfPresent(Int.self, forKey: .padTokenID) : d.padTokenID
        bosTokenID = c.contains(.bosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .bosTokenID) : d.bosTokenID
        eosTokenID = try c.tokenID(.eosTokenID, default: d.eosTokenID)
    }
}

/// The vision part of a Hugging Face `config.json` (`vision_config`), with transformers
/// 5.24.0's `CLIPVisionConfig` defaults for absent or `null` fields.
public struct HuggingFaceCLIPVisionConfiguration: Codable, Sendable, Equatable {
    /// `hidden_size` (default 768).
    public var hiddenSize: Int
    /// `intermediate_size` (default 3072).
    public var intermediateSize: Int
    /// `projection_dim` (default 512; the model uses the top-level value).
    public var projectionDimension: Int
    /// `num_hidden_layers` (default 12).
    public var hiddenLayerCount: Int
    /// `num_attention_heads` (default 12).
    public var attentionHeadCount: Int
    /// `num_channels` (default 3).
    public var channelCount: Int
    /// `image_size` (default 224; `[n, n]` is read as `n`).
    public var imageSize: Int
    /// `patch_size` (default 32; `[n, n]` is read as `n`).
    public var patchSize: Int
    /// `hidden_act` (default "quick_gelu").
    public var hiddenActivation: String
    /// `layer_norm_eps` (default 1e-5).
    public var layerNormEpsilon: Double

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case projectionDimension = "projection_dim"
        case hiddenLayerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case channelCount = "num_channels"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case hiddenActivation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps"
    }

    /// The defaults of transformers' `CLIPVisionConfig()`.
    public init() {
        hiddenSize = 768
        intermediateSize = 3072
        projectionDimension = 512
        hiddenLayerCount = 12
        attentionHeadCount = 12
        channelCount = 3
        imageSize = 224
        patchSize = 32
        hiddenActivation = "quick_gelu"
        layerNormEpsilon = 1e-5
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = HuggingFaceCLIPVisionConfiguration()
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        projectionDimension = try c.value(.projectionDimension, default: d.projectionDimension)
        hiddenLayerCount = try c.value(.hiddenLayerCount, default: d.hiddenLayerCount)
        attentionHeadCount = try c.value(.attentionHeadCount, default: d.attentionHeadCount)
        channelCount = try c.value(.channelCount, default: d.channelCount)
        imageSize = try c.squareSize(.imageSize) ?? d.imageSize
        patchSize = try c.squareSize(.patchSize) ?? d.patchSize
        hiddenActivation = try c.value(.hiddenActivation, default: d.hiddenActivation)
        layerNormEpsilon = try c.value(.layerNormEpsilon, default: d.layerNormEpsilon)
    }
}

/// A Hugging Face CLIP `config.json`, with transformers 5.24.0's `CLIPConfig` defaults.
///
/// Old files (2021) that carry `text_config_dict` / `vision_config_dict` are read as
/// transformers reads them: a non-null `*_config_dict` replaces the matching `*_config`
/// (its absent fields taking the defaults).
public struct HuggingFaceCLIPConfiguration: Codable, Sendable, Equatable {
    /// `model_type` ("clip" for CLIP; other values are not supported).
    public var modelType: String?
    /// `architectures`, for example `["CLIPModel"]`.
    public var architectures: [String]?
    /// `text_config`.
    public var textConfiguration: HuggingFaceCLIPTextConfiguration
    /// `vision_config`.
    public var visionConfiguration: HuggingFaceCLIPVisionConfiguration
    /// `projection_dim` (default 512): the width of the shared embedding space.
    public var projectionDimension: Int
    /// `logit_scale_init_value` (default 2.6592); the checkpoint's `logit_scale` is what counts.
    public var logitScaleInitialValue: Double
    /// `dtype` (or the older `torch_dtype`), when given.
    public var dtype: String?

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case textConfiguration = "text_config"
        case visionConfiguration = "vision_config"
        case projectionDimension = "projection_dim"
        case logitScaleInitialValue = "logit_scale_init_value"
        case dtype
    }

    private enum LegacyKeys: String, CodingKey {
        case textConfigurationDictionary = "text_config_dict"
        case visionConfigurationDictionary = "vision_config_dict"
        case torchDType = "torch_dtype"
    }

    /// The defaults of transformers' `CLIPConfig()`.
    public init() {
        modelType = "clip"
        architectures = nil
        textConfiguration = HuggingFaceCLIPTextConfiguration()
        visionConfiguration = HuggingFaceCLIPVisionConfiguration()
        projectionDimension = 512
        logitScaleInitialValue = 2.6592
        dtype = nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        textConfiguration = try legacy.decodeIfPresent(HuggingFaceCLIPTextConfiguration.self, forKey: .textConfigurationDictionary)
            ?? c.decodeIfPresent(HuggingFaceCLIPTextConfiguration.self, forKey: .textConfiguration)
            ?? HuggingFaceCLIPTextConfiguration()
        visionConfiguration = try legacy.decodeIfPresent(HuggingFaceCLIPVisionConfiguration.self, forKey: .visionConfigurationDictionary)
            ?? c.decodeIfPresent(HuggingFaceCLIPVisionConfiguration.self, forKey: .visionConfiguration)
            ?? HuggingFaceCLIPVisionConfiguration()
        projectionDimension = try c.value(.projectionDimension, default: 512)
        logitScaleInitialValue = try c.value(.logitScaleInitialValue, default: 2.6592)
        dtype = try c.decodeIfPresent(String.self, forKey: .dtype)
            ?? legacy.decodeIfPresent(String.self, forKey: .torchDType)
    }

    /// Reads and decodes `config.json`.
    public init(contentsOf url: URL) throws(CLIPModelError) {
        let data: Data
        do { data = try BoundedFile.contents(of: url, limit: BoundedFile.configurationLimit) } catch {
            throw configurationReadError(error, url)
        }
        self = try decodeConfiguration(HuggingFaceCLIPConfiguration.self, from: data, file: url.lastPathComponent)
    }

    /// The model this configuration describes.
    /// - Parameter file: the file name used in errors.
    /// - Throws: `CLIPModelError.unsupportedArchitecture` for other model types or
    ///   activations, `invalidConfiguration` for inconsistent sizes.
    public func architecture(file: String = "config.json") throws(CLIPModelError) -> CLIPArchitecture {
        if let modelType, modelType != "clip" {
            throw .unsupportedArchitecture(
                file: file, reason: "model_type \"\(modelType)\" (supported: \"clip\" and \"siglip\" ViT models)")
        }
        if let architectures, !architectures.isEmpty, !architectures.contains("CLIPModel") {
            throw .unsupportedArchitecture(
                file: file,
                reason: "architectures \(architectures) (only complete \"CLIPModel\" checkpoints are supported)")
        }
        func activation(_ name: String, _ key: String) throws(CLIPModelError) -> Activation {
            guard let value = Activation(rawValue: name) else {
                throw .unsupportedArchitecture(
                    file: file, reason: "\(key) \"\(name)\" (supported: \"quick_gelu\", \"gelu\")")
            }
            return value
        }
        let t = textConfiguration
        let v = visionConfiguration
        let text = TextArchitecture(
            vocabularySize: t.vocabularySize,
            contextLength: t.maxPositionEmbeddings,
            endOfTextTokenID: t.eosTokenID.flatMap { $0 == 2 ? nil : $0 }
                ?? TextArchitecture.highestTokenEndOfText(vocabularySize: t.vocabularySize),
            encoder: EncoderArchitecture(
                width: t.hiddenSize, layers: t.hiddenLayerCount, heads: t.attentionHeadCount,
                mlpWidth: t.intermediateSize,
                activation: try activation(t.hiddenActivation, "text_config.hidden_act"),
                layerNormEpsilon: Float(t.layerNormEpsilon)))
        let vision = VisionArchitecture(
            imageSize: v.imageSize, patchSize: v.patchSize, channels: v.channelCount,
            encoder: EncoderArchitecture(
                width: v.hiddenSize, layers: v.hiddenLayerCount, heads: v.attentionHeadCount,
                mlpWidth: v.intermediateSize,
                activation: try activation(v.hiddenActivation, "vision_config.hidden_act"),
                layerNormEpsilon: Float(v.layerNormEpsilon)))
        let result = CLIPArchitecture(vision: vision, text: text, embeddingDimension: projectionDimension)
        try result.validate(file: file)
        return result
    }
}
