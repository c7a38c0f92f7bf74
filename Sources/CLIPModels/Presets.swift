/// A published CLIP size (ViT-B/32, ViT-L/14, …), used to name what a checkpoint contains.
///
/// The sizes are those of OpenAI's CLIP release and of OpenCLIP's model configurations
/// (`ViT-B-32.json`, `ViT-H-14.json`, …). OpenAI trained its models with QuickGELU, LAION's
/// OpenCLIP models use the exact GELU; ``name(for:)`` says which of the two a checkpoint uses.
public struct CLIPPreset: Sendable, Equatable {
    /// The common name, for example "ViT-B/32".
    public var name: String
    /// The architecture with OpenAI's QuickGELU activation and LayerNorm epsilon 1e-5.
    public var architecture: CLIPArchitecture

    /// Whether `architecture` has this preset's sizes (the activation and LayerNorm epsilon
    /// may differ).
    public func matches(_ other: CLIPArchitecture) -> Bool {
        var candidate = other
        candidate.vision.encoder.activation = architecture.vision.encoder.activation
        candidate.text.encoder.activation = architecture.text.encoder.activation
        candidate.vision.encoder.layerNormEpsilon = architecture.vision.encoder.layerNormEpsilon
        candidate.text.encoder.layerNormEpsilon = architecture.text.encoder.layerNormEpsilon
        candidate.text.endOfTextTokenID = architecture.text.endOfTextTokenID
        return candidate == architecture
    }

    /// The preset's name with the activation family of `architecture`, for example
    /// "ViT-B/32 (OpenAI, QuickGELU)" or "ViT-H/14 (LAION, GELU)".
    public func name(for architecture: CLIPArchitecture) -> String {
        switch architecture.vision.encoder.activation {
        case .quickGELU: return "\(name) (OpenAI-style, QuickGELU)"
        case .gelu: return "\(name) (LAION-style, GELU)"
        case .geluTanh: return "\(name) (tanh GELU)"
        case .silu: return "\(name) (SiLU)"
        }
    }

    /// The architecture of the preset called `name` ("ViT-B/32", "ViT-B-32", "vit-b-32" all
    /// work), with the given activation; `nil` for an unknown name.
    public static func architecture(named name: String, activation: Activation = .quickGELU) -> CLIPArchitecture? {
        func key(_ s: String) -> String { s.lowercased().replacingOccurrences(of: "/", with: "-") }
        guard var found = all.first(where: { key($0.name) == key(name) })?.architecture else { return nil }
        found.vision.encoder.activation = activation
        found.text.encoder.activation = activation
        return found
    }

    /// Every known preset.
    public static let all: [CLIPPreset] = [
        make("ViT-B/32", image: 224, patch: 32, vision: (768, 12, 12, 3072), text: (512, 12, 8, 2048), embedding: 512),
        make("ViT-B/16", image: 224, patch: 16, vision: (768, 12, 12, 3072), text: (512, 12, 8, 2048), embedding: 512),
        make("ViT-L/14", image: 224, patch: 14, vision: (1024, 24, 16, 4096), text: (768, 12, 12, 3072), embedding: 768),
        make("ViT-L/14-336", image: 336, patch: 14, vision: (1024, 24, 16, 4096), text: (768, 12, 12, 3072), embedding: 768),
        // OpenCLIP: head_width 80, mlp_ratio 4.
        make("ViT-H/14", image: 224, patch: 14, vision: (1280, 32, 16, 5120), text: (1024, 24, 16, 4096), embedding: 1024),
        // OpenCLIP: head_width 88, mlp_ratio 4.3637 → int(1408 · 4.3637) = 6144.
        make("ViT-g/14", image: 224, patch: 14, vision: (1408, 40, 16, 6144), text: (1024, 24, 16, 4096), embedding: 1024),
        // OpenCLIP: head_width 104, mlp_ratio 4.9231 → int(1664 · 4.9231) = 8192.
        make("ViT-bigG/14", image: 224, patch: 14, vision: (1664, 48, 16, 8192), text: (1280, 32, 20, 5120), embedding: 1280),
    ]

    private static func make(
        _ name: String, image: Int, patch: Int,
        vision: (width: Int, layers: Int, heads: Int, mlp: Int),
        text: (width: Int, layers: Int, heads: Int, mlp: Int),
        embedding: Int
    ) -> CLIPPreset {
        let visionEncoder = EncoderArchitecture(
            width: vision.width, layers: vision.layers, heads: vision.heads, mlpWidth: vision.mlp,
            activation: .quickGELU, layerNormEpsilon: 1e-5)
        let textEncoder = EncoderArchitecture(
            width: text.width, layers: text.layers, heads: text.heads, mlpWidth: text.mlp,
            activation: .quickGELU, layerNormEpsilon: 1e-5)
        return CLIPPreset(
            name: name,
            architecture: CLIPArchitecture(
                vision: VisionArchitecture(imageSize: image, patchSize: patch, channels: 3, encoder: visionEncoder),
                text: TextArchitecture(vocabularySize: 49408, contextLength: 77,
                                       endOfTextTokenID: clipEndOfTextTokenID, encoder: textEncoder),
                embeddingDimension: embedding))
    }
}
