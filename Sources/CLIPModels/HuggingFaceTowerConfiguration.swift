import Foundation

/// The text tower of a Hugging Face `config.json` (`text_config`), read one way for every
/// `model_type`: transformers' `CLIPTextConfig` and `SiglipTextConfig` share these fields and
/// differ in their defaults (``clipDefaults``, ``siglipDefaults``, taken for absent fields).
public struct HuggingFaceTextConfiguration: Encodable, Sendable, Equatable {
    /// `vocab_size` (CLIP 49408, SigLIP 32000).
    public var vocabularySize: Int
    /// `hidden_size` (CLIP 512, SigLIP 768).
    public var hiddenSize: Int
    /// `intermediate_size` (CLIP 2048, SigLIP 3072).
    public var intermediateSize: Int
    /// `num_hidden_layers` (12).
    public var hiddenLayerCount: Int
    /// `num_attention_heads` (CLIP 8, SigLIP 12).
    public var attentionHeadCount: Int
    /// `max_position_embeddings` (CLIP 77, SigLIP 64: the padded text length).
    public var maxPositionEmbeddings: Int
    /// `hidden_act` (CLIP "quick_gelu", SigLIP "gelu_pytorch_tanh").
    public var hiddenActivation: String
    /// `layer_norm_eps` (CLIP 1e-5, SigLIP 1e-6).
    public var layerNormEpsilon: Double
    /// `pad_token_id` (1).
    public var padTokenID: Int?
    /// `bos_token_id` (CLIP 49406; SigLIP has none).
    public var bosTokenID: Int?
    /// `eos_token_id` (49407, for SigLIP transformers' unusual default; SigLIP checkpoints say 1).
    /// A list keeps its first element.
    public var eosTokenID: Int?
    /// `projection_dim` (CLIP 512; the model uses the top-level value).
    public var projectionDimension: Int?
    /// `projection_size` (SigLIP; default: `hidden_size`): the width of SigLIP's text head output.
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
        case bosTokenID = "bos_token_id"
        case eosTokenID = "eos_token_id"
        case projectionDimension = "projection_dim"
        case projectionSize = "projection_size"
    }

    /// The defaults of transformers 5.24.0's `CLIPTextConfig()`.
    public static let clipDefaults = HuggingFaceTextConfiguration(
        vocabularySize: 49408, hiddenSize: 512, intermediateSize: 2048, hiddenLayerCount: 12, attentionHeadCount: 8,
        maxPositionEmbeddings: 77, hiddenActivation: "quick_gelu", layerNormEpsilon: 1e-5, padTokenID: 1,
        bosTokenID: 49406, eosTokenID: 49407, projectionDimension: 512, projectionSize: nil)

    /// The defaults of transformers 5.24.0's `SiglipTextConfig()`.
    public static let siglipDefaults = HuggingFaceTextConfiguration(
        vocabularySize: 32000, hiddenSize: 768, intermediateSize: 3072, hiddenLayerCount: 12, attentionHeadCount: 12,
        maxPositionEmbeddings: 64, hiddenActivation: "gelu_pytorch_tanh", layerNormEpsilon: 1e-6, padTokenID: 1,
        bosTokenID: nil, eosTokenID: 49407, projectionDimension: nil, projectionSize: nil)

    /// A configuration from its fields.
    public init(vocabularySize: Int, hiddenSize: Int, intermediateSize: Int, hiddenLayerCount: Int,
                attentionHeadCount: Int, maxPositionEmbeddings: Int, hiddenActivation: String, layerNormEpsilon: Double,
                padTokenID: Int?, bosTokenID: Int?, eosTokenID: Int?, projectionDimension: Int?, projectionSize: Int?) {
        self.vocabularySize = vocabularySize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.hiddenLayerCount = hiddenLayerCount
        self.attentionHeadCount = attentionHeadCount
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.hiddenActivation = hiddenActivation
        self.layerNormEpsilon = layerNormEpsilon
        self.padTokenID = padTokenID
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.projectionDimension = projectionDimension
        self.projectionSize = projectionSize
    }

    /// Decodes `text_config`, taking `defaults` for absent fields (and for `null` ones, except
    /// the token ids and projection widths, where `null` means none).
    public init(from decoder: Decoder, defaults d: HuggingFaceTextConfiguration) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabularySize = try c.value(.vocabularySize, default: d.vocabularySize)
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        hiddenLayerCount = try c.value(.hiddenLayerCount, default: d.hiddenLayerCount)
        attentionHeadCount = try c.value(.attentionHeadCount, default: d.attentionHeadCount)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: d.maxPositionEmbeddings)
        hiddenActivation = try c.value(.hiddenActivation, default: d.hiddenActivation)
        layerNormEpsilon = try c.value(.layerNormEpsilon, default: d.layerNormEpsilon)
        padTokenID = c.contains(.padTokenID) ? try c.decodeIfPresent(Int.self, forKey: .padTokenID) : d.padTokenID
        bosTokenID = c.contains(.bosTokenID) ? try c.decodeIfPresent(Int.self, forKey: .bosTokenID) : d.bosTokenID
        eosTokenID = try c.tokenID(.eosTokenID, default: d.eosTokenID)
        projectionDimension = c.contains(.projectionDimension)
            ? try c.decodeIfPresent(Int.self, forKey: .projectionDimension) : d.projectionDimension
        projectionSize = c.contains(.projectionSize)
            ? try c.decodeIfPresent(Int.self, forKey: .projectionSize) : d.projectionSize
    }

    /// The encoder these fields describe (`file` names the file in errors).
    func encoder(file: String) throws(CLIPModelError) -> EncoderArchitecture {
        EncoderArchitecture(
            width: hiddenSize, layers: hiddenLayerCount, heads: attentionHeadCount, mlpWidth: intermediateSize,
            activation: try huggingFaceActivation(hiddenActivation, key: "text_config.hidden_act", file: file),
            layerNormEpsilon: Float(layerNormEpsilon))
    }
}

/// The image tower of a Hugging Face `config.json` (`vision_config`), read one way for every
/// `model_type`: transformers' `CLIPVisionConfig` and `SiglipVisionConfig` share these fields
/// and differ in their defaults (``clipDefaults``, ``siglipDefaults``, taken for absent fields).
public struct HuggingFaceVisionConfiguration: Encodable, Sendable, Equatable {
    /// `hidden_size` (768; for SigLIP also the width of the image embeddings).
    public var hiddenSize: Int
    /// `intermediate_size` (3072), of the encoder MLPs (and of SigLIP's head MLP).
    public var intermediateSize: Int
    /// `num_hidden_layers` (12).
    public var hiddenLayerCount: Int
    /// `num_attention_heads` (12), of the encoder (and of SigLIP's pooling head).
    public var attentionHeadCount: Int
    /// `num_channels` (3).
    public var channelCount: Int
    /// `image_size` (224; `[n, n]` is read as `n`).
    public var imageSize: Int
    /// `patch_size` (CLIP 32, SigLIP 16; `[n, n]` is read as `n`).
    public var patchSize: Int
    /// `hidden_act` (CLIP "quick_gelu", SigLIP "gelu_pytorch_tanh").
    public var hiddenActivation: String
    /// `layer_norm_eps` (CLIP 1e-5, SigLIP 1e-6).
    public var layerNormEpsilon: Double
    /// `projection_dim` (CLIP 512; the model uses the top-level value).
    public var projectionDimension: Int?
    /// `vision_use_head` (SigLIP, default true): whether the tower has its attention-pooling
    /// head (the image embedding); SigLIP checkpoints without it are refused.
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
        case projectionDimension = "projection_dim"
        case usesHead = "vision_use_head"
    }

    /// The defaults of transformers 5.24.0's `CLIPVisionConfig()`.
    public static let clipDefaults = HuggingFaceVisionConfiguration(
        hiddenSize: 768, intermediateSize: 3072, hiddenLayerCount: 12, attentionHeadCount: 12, channelCount: 3,
        imageSize: 224, patchSize: 32, hiddenActivation: "quick_gelu", layerNormEpsilon: 1e-5,
        projectionDimension: 512, usesHead: true)

    /// The defaults of transformers 5.24.0's `SiglipVisionConfig()`.
    public static let siglipDefaults = HuggingFaceVisionConfiguration(
        hiddenSize: 768, intermediateSize: 3072, hiddenLayerCount: 12, attentionHeadCount: 12, channelCount: 3,
        imageSize: 224, patchSize: 16, hiddenActivation: "gelu_pytorch_tanh", layerNormEpsilon: 1e-6,
        projectionDimension: nil, usesHead: true)

    /// A configuration from its fields.
    public init(hiddenSize: Int, intermediateSize: Int, hiddenLayerCount: Int, attentionHeadCount: Int,
                channelCount: Int, imageSize: Int, patchSize: Int, hiddenActivation: String, layerNormEpsilon: Double,
                projectionDimension: Int?, usesHead: Bool) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.hiddenLayerCount = hiddenLayerCount
        self.attentionHeadCount = attentionHeadCount
        self.channelCount = channelCount
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.hiddenActivation = hiddenActivation
        self.layerNormEpsilon = layerNormEpsilon
        self.projectionDimension = projectionDimension
        self.usesHead = usesHead
    }

    /// Decodes `vision_config`, taking `defaults` for absent or `null` fields.
    public init(from decoder: Decoder, defaults d: HuggingFaceVisionConfiguration) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        hiddenLayerCount = try c.value(.hiddenLayerCount, default: d.hiddenLayerCount)
        attentionHeadCount = try c.value(.attentionHeadCount, default: d.attentionHeadCount)
        channelCount = try c.value(.channelCount, default: d.channelCount)
        imageSize = try c.squareSize(.imageSize) ?? d.imageSize
        patchSize = try c.squareSize(.patchSize) ?? d.patchSize
        hiddenActivation = try c.value(.hiddenActivation, default: d.hiddenActivation)
        layerNormEpsilon = try c.value(.layerNormEpsilon, default: d.layerNormEpsilon)
        projectionDimension = try c.decodeIfPresent(Int.self, forKey: .projectionDimension) ?? d.projectionDimension
        usesHead = try c.value(.usesHead, default: d.usesHead)
    }

    /// The encoder these fields describe (`file` names the file in errors).
    func encoder(file: String) throws(CLIPModelError) -> EncoderArchitecture {
        EncoderArchitecture(
            width: hiddenSize, layers: hiddenLayerCount, heads: attentionHeadCount, mlpWidth: intermediateSize,
            activation: try huggingFaceActivation(hiddenActivation, key: "vision_config.hidden_act", file: file),
            layerNormEpsilon: Float(layerNormEpsilon))
    }
}

/// The activation a `hidden_act` names.
private func huggingFaceActivation(_ name: String, key: String, file: String) throws(CLIPModelError) -> Activation {
    guard let value = Activation(rawValue: name) else {
        let supported = Activation.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        throw .unsupportedArchitecture(file: file, reason: "\(key) \"\(name)\" (supported: \(supported))")
    }
    return value
}

extension KeyedDecodingContainer {
    /// The tower configuration under `key` decoded by `decode` (which takes the family's
    /// defaults), or nil when the key is absent or `null`.
    func tower<T>(_ key: Key, _ decode: (Decoder) throws -> T) throws -> T? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decode(try superDecoder(forKey: key))
    }
}
