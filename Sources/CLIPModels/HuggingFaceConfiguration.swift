import CLIPSupport
import Foundation

/// A Hugging Face CLIP `config.json`, with transformers 5.24.0's `CLIPConfig` defaults.
///
/// Old files (2021) that carry `text_config_dict` / `vision_config_dict` are read as
/// transformers reads them: a non-null `*_config_dict` replaces the matching `*_config`
/// (its absent fields taking the defaults).
public struct HuggingFaceCLIPConfiguration: Decodable, Sendable, Equatable {
    /// `model_type` ("clip" for CLIP; other values are not supported).
    public var modelType: String?
    /// `architectures`, for example `["CLIPModel"]`.
    public var architectures: [String]?
    /// `text_config`, with `CLIPTextConfig`'s defaults.
    public var textConfiguration: HuggingFaceTextConfiguration
    /// `vision_config`, with `CLIPVisionConfig`'s defaults.
    public var visionConfiguration: HuggingFaceVisionConfiguration
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
        textConfiguration = .clipDefaults
        visionConfiguration = .clipDefaults
        projectionDimension = 512
        logitScaleInitialValue = 2.6592
        dtype = nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        let text = { (decoder: Decoder) in try HuggingFaceTextConfiguration(from: decoder, defaults: .clipDefaults) }
        let vision = { (decoder: Decoder) in try HuggingFaceVisionConfiguration(from: decoder, defaults: .clipDefaults) }
        textConfiguration = try legacy.tower(.textConfigurationDictionary, text) ?? c.tower(.textConfiguration, text)
            ?? .clipDefaults
        visionConfiguration = try legacy.tower(.visionConfigurationDictionary, vision) ?? c.tower(.visionConfiguration, vision)
            ?? .clipDefaults
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
        let t = textConfiguration
        let v = visionConfiguration
        let text = TextArchitecture(
            vocabularySize: t.vocabularySize,
            contextLength: t.maxPositionEmbeddings,
            endOfTextTokenID: t.eosTokenID.flatMap { $0 == 2 ? nil : $0 }
                ?? TextArchitecture.highestTokenEndOfText(vocabularySize: t.vocabularySize),
            encoder: try t.encoder(file: file))
        let vision = VisionArchitecture(imageSize: v.imageSize, patchSize: v.patchSize, channels: v.channelCount,
                                        encoder: try v.encoder(file: file))
        let result = CLIPArchitecture(vision: vision, text: text, embeddingDimension: projectionDimension)
        try result.validate(file: file)
        return result
    }
}
