import CLIPSupport
import Foundation

/// The text part of a SigLIP `config.json` (`text_config`), with transformers 5.24.0's
/// `SiglipTextConfig` defaults for absent fields.
public struct HuggingFaceSiglipTextConfiguration: Codable, Sendable, Equatable {
    /// `vocab_size` (default 32000).
    public var vocabularySize: Int
    /// `hidden_size` (default 768).
    public var hiddenSize: Int
    /// `intermediate_size` (default 3072).
    public var intermediateSize: Int
    /// `num_hidden_layers` (default 12).
    public var hiddenLayerCount: Int
    /// `num_attention_heads` (default 12).
    public var attentionHeadCount: Int
    /// `max_position_embeddings` (default 64): the padded text length.
    public var maxPositionEmbeddings: Int
    /// `hidden_act` (default "gelu_pytorch_tanh").
    public var hiddenActivation: String
    /// `layer_norm_eps` (default 1e-6).
    public var layerNormEpsilon: Double
    /// `pad_token_id` (default 1).
    public var padTokenID: Int?
    /// `eos_token_id` (default 49407, transformers' unusual default; SigLIP checkpoints say 1). A
    /// list keeps its first element. Recorded only: the tower pools the last position.
    public var eosTokenID: Int?
    /// `projection_size` (default: `hidden_size`): the width of the text head's output.
    public var projectionSize: Int?

    enum CodingKeys: String, CodingKey {
        case vocabularySize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case hiddenLayerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenActivation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps"
        case padTokenID = "pad_token_id"
        case eosTokenID = "eos_token_id"
        case projectionSize = "projection_size"
    }

    /// The defaults of transformers' `SiglipTextConfig()`.
    public init() {
        vocabularySize = 32000
        hiddenSize = 768
        intermediateSize = 3072
        hiddenLayerCount = 12
        attentionHeadCount = 12
        maxPositionEmbeddings = 64
        hiddenActivation = "gelu_pytorch_tanh"
        layerNormEpsilon = 1e-6
        padTokenID = 1
        eosTokenID = 49407
        projectionSize = nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = HuggingFaceSiglipTextConfiguration()
        vocabularySize = try c.value(.vocabularySize, default: d.vocabularySize)
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        hiddenLayerCount = try c.value(.hiddenLayerCount, default: d.hiddenLayerCount)
        attentionHeadCount = try c.value(.attentionHeadCount, default: d.attentionHeadCount)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: d.maxPositionEmbeddings)
        hiddenActivation = try c.value(.hiddenActivation, default: d.hiddenActivation)
        layerNormEpsilon = try c.value(.layerNormEpsilon, default: d.layerNormEpsilon)
        padTokenID = c.contains(.padTokenID) ? try c.decodeIfPresent(Int.self, forKey: .padTokenID) : d.padTokenID
        eosTokenID = try c.tokenID(.eosTokenID, default: d.eosTokenID)
        projectionSize = try c.decodeIfPresent(Int.self, forKey: .projectionSize)
    }
}

/// The vision part of a SigLIP `config.json` (`vision_config`), with transformers 5.24.0's
/// `SiglipVisionConfig` defaults for absent fields.
public struct HuggingFaceSiglipVisionConfiguration: Codable, Sendable, Equatable {
    /// `hidden_size` (default 768): also the width of the image embeddings.
    public var hiddenSize: Int
    /// `intermediate_size` (default 3072), of the encoder MLPs and of the head's MLP.
    public var intermediateSize: Int
    /// `num_hidden_layers` (default 12).
    public var hiddenLayerCount: Int
    /// `num_attention_heads` (default 12), of the encoder and of the pooling head.
    public var attentionHeadCount: Int
    /// `num_channels` (default 3).
    public var channelCount: Int
    /// `image_size` (default 224; `[n, n]` is read as `n`).
    public var imageSize: Int
    /// `patch_size` (default 16; `[n, n]` is read as `n`).
    public var patchSize: Int
    /// `hidden_act` (default "gelu_pytorch_tanh").
    public var hiddenActivation: String
    /// `layer_norm_eps` (default 1e-6).
    public var layerNormEpsilon: Double
    /// `vision_use_head` (default true): whether the tower has its attention-pooling head (the
    /// image embedding); checkpoints without it are refused.
    public var usesHead: Bool

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case hiddenLayerCount = "num_hidden_layers"
        case attentionHeadCount = "num_attention_heads"
        case channelCount = "num_channels"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case hiddenActivation = "hidden_act"
        case layerNormEpsilon = "layer_norm_eps"
        case usesHead = "vision_use_head"
    }

    /// The defaults of transformers' `SiglipVisionConfig()`.
    public init() {
        hiddenSize = 768
        intermediateSize = 3072
        hiddenLayerCount = 12
        attentionHeadCount = 12
        channelCount = 3
        imageSize = 224
        patchSize = 16
        hiddenActivation = "gelu_pytorch_tanh"
        layerNormEpsilon = 1e-6
        usesHead = true
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = HuggingFaceSiglipVisionConfiguration()
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        hiddenLayerCount = try c.value(.hiddenLayerCount, default: d.hiddenLayerCount)
        attentionHeadCount = try c.value(.attentionHeadCount, default: d.attentionHeadCount)
        channelCount = try c.value(.channelCount, default: d.channelCount)
        imageSize = try c.squareSize(.imageSize) ?? d.imageSize
        patchSize = try c.squareSize(.patchSize) ?? d.patchSize
        hiddenActivation = try c.value(.hiddenActivation, default: d.hiddenActivation)
        layerNormEpsilon = try c.value(.layerNormEpsilon, default: d.layerNormEpsilon)
        usesHead = try c.value(.usesHead, default: d.usesHead)
    }
}

/// A SigLIP (or fixed-resolution SigLIP 2) `config.json` (`model_type: "siglip"`), with
/// transformers 5.24.0's `SiglipConfig` defaults.
public struct HuggingFaceSiglipConfiguration: Codable, Sendable, Equatable {
    /// `model_type` ("siglip").
    public var modelType: String?
    /// `architectures`, for example `["SiglipModel"]`.
    public var architectures: [String]?
    /// `text_config`.
    public var textConfiguration: HuggingFaceSiglipTextConfiguration
    /// `vision_config`.
    public var visionConfiguration: HuggingFaceSiglipVisionConfiguration

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case architectures
        case textConfiguration = "text_config"
        case visionConfiguration = "vision_config"
    }

    /// The defaults of transformers' `SiglipConfig()` (SigLIP base, patch 16, 224 pixels).
    public init() {
        modelType = "siglip"
        architectures = nil
        textConfiguration = HuggingFaceSiglipTextConfiguration()
        visionConfiguration = HuggingFaceSiglipVisionConfiguration()
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        textConfiguration = try c.decodeIfPresent(HuggingFaceSiglipTextConfiguration.self, forKey: .textConfiguration)
            ?? HuggingFaceSiglipTextConfiguration()
        visionConfiguration = try c.decodeIfPresent(HuggingFaceSiglipVisionConfiguration.self,
                                                    forKey: .visionConfiguration)
            ?? HuggingFaceSiglipVisionConfiguration()
    }

    /// The model this configuration describes.
    /// - Parameter file: the file name used in errors.
    /// - Throws: `CLIPModelError.unsupportedArchitecture` for other architectures, activations
    ///   or a tower without its pooling head; `invalidConfiguration` for inconsistent sizes.
    public func architecture(file: String = "config.json") throws(CLIPModelError) -> CLIPArchitecture {
        if let modelType, modelType != "siglip" {
            throw .unsupportedArchitecture(file: file, reason: "model_type \"\(modelType)\" is not \"siglip\"")
        }
        if let architectures, !architectures.isEmpty, !architectures.contains("SiglipModel") {
            throw .unsupportedArchitecture(
                file: file,
                reason: "architectures \(architectures) (only complete \"SiglipModel\" checkpoints are supported)")
        }
        let t = textConfiguration
        let v = visionConfiguration
        guard v.usesHead else {
            throw .unsupportedArchitecture(
                file: file, reason: "vision_config.vision_use_head is false: the image tower has no pooling head, "
                    + "so there is no image embedding")
        }
        func activation(_ name: String, _ key: String) throws(CLIPModelError) -> Activation {
            guard let value = Activation(rawValue: name) else {
                throw .unsupportedArchitecture(
                    file: file,
                    reason: "\(key) \"\(name)\" (supported: \"gelu_pytorch_tanh\", \"gelu\", \"quick_gelu\")")
            }
            return value
        }
        let text = TextArchitecture(
            vocabularySize: t.vocabularySize, contextLength: t.maxPositionEmbeddings,
            endOfTextTokenID: t.eosTokenID ?? -1,
            encoder: EncoderArchitecture(
                width: t.hiddenSize, layers: t.hiddenLayerCount, heads: t.attentionHeadCount,
                mlpWidth: t.intermediateSize,
                activation: try activation(t.hiddenActivation, "text_config.hidden_act"),
                layerNormEpsilon: Float(t.layerNormEpsilon)),
            family: .siglip)
        let vision = VisionArchitecture(
            imageSize: v.imageSize, patchSize: v.patchSize, channels: v.channelCount,
            encoder: EncoderArchitecture(
                width: v.hiddenSize, layers: v.hiddenLayerCount, heads: v.attentionHeadCount,
                mlpWidth: v.intermediateSize,
                activation: try activation(v.hiddenActivation, "vision_config.hidden_act"),
                layerNormEpsilon: Float(v.layerNormEpsilon)),
            family: .siglip)
        let result = CLIPArchitecture(vision: vision, text: text, embeddingDimension: t.projectionSize ?? t.hiddenSize)
        try result.validate(file: file)
        return result
    }
}

/// The architecture of a Hugging Face `config.json`, whichever family its `model_type` names:
/// "clip" (or none) → ``HuggingFaceCLIPConfiguration``, "siglip" →
/// ``HuggingFaceSiglipConfiguration``.
/// - Throws: `CLIPModelError.unsupportedArchitecture` for NaFlex SigLIP 2 (`model_type`
///   "siglip2") and other model types; the decoders' errors otherwise.
func huggingFaceArchitecture(contentsOf url: URL) throws(CLIPModelError) -> CLIPArchitecture {
    let data: Data
    do { data = try BoundedFile.contents(of: url, limit: BoundedFile.configurationLimit) } catch {
        throw configurationReadError(error, url)
    }
    let file = url.lastPathComponent
    struct ModelTypeProbe: Decodable {
        var modelType: String?
        enum CodingKeys: String, CodingKey { case modelType = "model_type" }
    }
    let modelType = try decodeConfiguration(ModelTypeProbe.self, from: data, file: file).modelType
    switch modelType {
    case "siglip":
        return try decodeConfiguration(HuggingFaceSiglipConfiguration.self, from: data, file: file)
            .architecture(file: file)
    case "siglip2":
        throw .unsupportedArchitecture(
            file: file, reason: "model_type \"siglip2\" is the NaFlex (variable-resolution) SigLIP 2, which is not "
                + "supported; the fixed-resolution SigLIP 2 checkpoints (model_type \"siglip\") are")
    default:
        return try decodeConfiguration(HuggingFaceCLIPConfiguration.self, from: data, file: file)
            .architecture(file: file)
    }
}
