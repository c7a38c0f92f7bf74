import CLIPModels

/// Sentences that turn a label into a caption for zero-shot classification. `{}` stands for the
/// label. Several templates are ensembled: each label's embedding is the normalized mean of its
/// normalized caption embeddings (as open_clip's `build_zero_shot_classifier` does).
public enum PromptTemplates {
    /// The single template CLIP's paper used as its baseline: "a photo of a {}." (CLIP's default).
    public static let photo = ModelFamily.clip.descriptor.defaultTemplates

    /// A small general-purpose ensemble for photographs (written for this library).
    public static let general = [
        "a photo of a {}.",
        "a close-up photo of a {}.",
        "a photo of the {}.",
        "a bright photo of a {}.",
        "a cropped photo of a {}.",
        "a blurry photo of a {}.",
        "a photo of a small {}.",
        "a photo of a large {}.",
    ]

    /// SigLIP's recommended template (from transformers' SigLIP documentation and the
    /// zero-shot pipeline's SigLIP default): "This is a photo of {}." (SigLIP's default).
    public static let siglip = ModelFamily.siglip.descriptor.defaultTemplates

    /// The templates a classifier uses when none are given: the family's
    /// (`FamilyDescriptor.defaultTemplates`; ``photo`` for CLIP, ``siglip`` for SigLIP).
    public static func `default`(for family: ModelFamily) -> [String] {
        family.descriptor.defaultTemplates
    }

    /// `template` with every `{}` replaced by `label` (a template without `{}` is used as is).
    public static func caption(_ template: String, label: String) -> String {
        template.replacingOccurrences(of: "{}", with: label)
    }
}
