import CLIPSupport
import Foundation

/// A SigLIP (or fixed-resolution SigLIP 2) `config.json` (`model_type: "siglip"`), with
/// transformers 5.24.0's `SiglipConfig` defaults.
public struct HuggingFaceSiglipConfiguration: Decodable, Sendable, Equatable {
    /// `model_type` ("siglip").
    public var modelType: String?
    /// `architectures`, for example `["SiglipModel"]`.
    public var architectures: [String]?
    /// `text_config`, with `SiglipTextConfig`'s defaults.
    public var textConfiguration: HuggingFaceTextConfiguration
    /// `vision_config`, with `SiglipVisionConfig`'s defaults.
    public var visionConfiguration: HuggingFaceVisionConfiguration

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
        textConfiguration = .siglipDefaults
        visionConfiguration = .siglipDefaults
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType)
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        textConfiguration = try c.tower(.textConfiguration) { try HuggingFaceTextConfiguration(from: $0, defaults: .siglipDefaults) }
            ?? .siglipDefaults
        visionConfiguration = try c.tower(.visionConfiguration) {
            try HuggingFaceVisionConfiguration(from: $0, defaults: .siglipDefaults)
        } ?? .siglipDefaults
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
        let text = TextArchitecture(
            vocabularySize: t.vocabularySize, contextLength: t.maxPositionEmbeddings,
            endOfTextTokenID: t.eosTokenID ?? -1, encoder: try t.encoder(file: file), family: .siglip)
        let vision = VisionArchitecture(imageSize: v.imageSize, patchSize: v.patchSize, channels: v.channelCount,
                                        encoder: try v.encoder(file: file), family: .siglip)
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
