import Foundation
import ImageProcessing
import TextTokenizer

/// A model family's name: how a configuration is told apart, how its towers are built and how a
/// similarity becomes a probability. Each family is described once, by its
/// ``FamilyDescriptor``, and listed in ``FamilyDescriptor/registered``; code outside the family's
/// own files asks the descriptor instead of naming the family.
public struct ModelFamily: RawRepresentable, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// The family's name as stored in encoded architectures and fingerprints ("clip", "siglip").
    public let rawValue: String

    /// The registered family of this name; nil for a name no descriptor has.
    public init?(rawValue: String) {
        guard FamilyDescriptor.registered.contains(where: { $0.family.rawValue == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    /// A family name for a descriptor (the descriptor registers it).
    init(registering name: String) {
        rawValue = name
    }

    public var description: String { rawValue }

    /// CLIP (OpenAI, OpenCLIP, transformers' `CLIPModel`): a class token, a pre-LayerNorm and a
    /// projection in the image tower; a causal text tower pooled at the end-of-text token;
    /// labels ranked by a softmax of `exp(logit_scale) · cos`.
    public static let clip = ModelFamily(registering: "clip")
    /// SigLIP and fixed-resolution SigLIP 2 (transformers' `SiglipModel`): patch embedding with
    /// bias and no class token, an attention-pooling head; a bidirectional text tower over
    /// padded text, pooled at its last position through a linear head with bias; each label's
    /// probability is `sigmoid(exp(logit_scale) · cos + logit_bias)` on its own.
    public static let siglip = ModelFamily(registering: "siglip")

    /// Every registered family, in registration order.
    public static var allCases: [ModelFamily] { FamilyDescriptor.registered.map(\.family) }

    /// The family's descriptor.
    public var descriptor: FamilyDescriptor {
        FamilyDescriptor.registered.first { $0.family == self } ?? .clip
    }
}

/// Everything that is particular to one model family, in one value: its defaults (caption
/// templates, image preprocessing, tokenizer files), its scoring and its tower builders. A new
/// family is a descriptor in its own file plus one line in ``registered``.
public struct FamilyDescriptor: Sendable {
    /// The family this describes.
    public let family: ModelFamily
    /// How `clip info` names the architecture when it is not a published preset (e.g. "SigLIP ViT").
    public let displayName: String
    /// The caption templates a zero-shot classifier uses when it is given none (`{}` = the label).
    public let defaultTemplates: [String]
    /// Whether the family's tokenizer pads every text to the context length (SigLIP), so that
    /// token-id batches without a tokenizer must be made at that length.
    public let padsTextToContext: Bool

    /// The transformers image processor a settings file that names none is read as.
    let unnamedProcessor: PreprocessingConfiguration.TransformersProcessor
    /// The preprocessing of a model whose directory says nothing about it, at its image size.
    let defaultPreprocessing: @Sendable (_ imageSize: Int) throws(ImageProcessingError) -> PreprocessingConfiguration
    /// The family's tokenizer files in a folder (given a lookup of a file by name), in the order
    /// of preference; nil when there are none.
    let tokenizerFiles: @Sendable (_ file: (String) -> URL?) -> TokenizerSource?
    /// The tokenizer a model without tokenizer files gets (CLIP's standard vocabulary), if any.
    let tokenizerWithoutFiles: @Sendable (TextArchitecture) -> TokenizerSource?
    /// The tokenizer of `source` for a text tower, checked against it; `context` names the
    /// model folder in errors.
    let makeTokenizer: @Sendable (TokenizerSource, TextArchitecture, _ context: String) throws(CLIPModelError)
        -> any TextTokenizing
    /// The scoring of the stored (already exponentiated) logit scale and the logit bias, if
    /// the checkpoint has one.
    let scoring: @Sendable (_ logitScale: Float, _ logitBias: Float?) -> Scoring
    /// Builds the image tower from the checkpoint's weights.
    let makeImageTower: @Sendable (VisionArchitecture, _ embeddingDimension: Int, VisionTransformer.Binding, WeightLoader)
        throws(CLIPModelError) -> any ImageTower
    /// Builds the text tower from the checkpoint's weights.
    let makeTextTower: @Sendable (TextArchitecture, _ embeddingDimension: Int, TextTransformer.Binding, WeightLoader)
        throws(CLIPModelError) -> any TextTower
    /// `clip info`'s description of the text tower's pooling (e.g. "pooled at token 49407").
    let describeTextPooling: @Sendable (TextArchitecture) -> String
    /// `clip info`'s description of an architecture that is no published preset, given the
    /// name of its activation.
    let describeArchitecture: @Sendable (_ activation: String) -> String

    /// The ViT image tower (``VisionTransformer``), for families whose image tower it is.
    static let visionTransformer: @Sendable (VisionArchitecture, Int, VisionTransformer.Binding, WeightLoader)
        throws(CLIPModelError) -> any ImageTower = { (architecture, embedding, binding, loader) throws(CLIPModelError) in
            try VisionTransformer(architecture: architecture, embeddingDimension: embedding, binding: binding, loader: loader)
        }
    /// The transformer text tower (``TextTransformer``), for families whose text tower it is.
    static let textTransformer: @Sendable (TextArchitecture, Int, TextTransformer.Binding, WeightLoader)
        throws(CLIPModelError) -> any TextTower = { (architecture, embedding, binding, loader) throws(CLIPModelError) in
            try TextTransformer(architecture: architecture, embeddingDimension: embedding, binding: binding, loader: loader)
        }

    /// The families this library runs, in the order a configuration is matched against them.
    public static let registered: [FamilyDescriptor] = [.clip, .siglip]

    /// The preprocessing of a model whose directory has no settings, at `imageSize`.
    /// - Throws: `CLIPModelError.imageProcessing` for a size outside the preprocessing limits.
    public func defaultPreprocessing(imageSize: Int) throws(CLIPModelError) -> PreprocessingConfiguration {
        do {
            return try defaultPreprocessing(imageSize)
        } catch {
            throw .imageProcessing(error, context: "image preprocessing settings")
        }
    }

    /// `clip info`'s line about the text tower's pooling.
    public func textPoolingDescription(_ text: TextArchitecture) -> String { describeTextPooling(text) }

    /// `clip info`'s description of an architecture of this family that is no published preset
    /// (e.g. "custom CLIP ViT (GELU)").
    public func architectureDescription(activation: String) -> String { describeArchitecture(activation) }
}
