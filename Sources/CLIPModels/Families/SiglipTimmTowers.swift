/// The timm ViT towers open_clip builds SigLIP and SigLIP 2 image encoders from
/// (`vision_cfg.timm_model_name`: `vit_*_siglip_*`, with `timm_pool: "map"` and
/// `timm_proj: "none"`): timm's `VisionTransformer` with `class_token=False`,
/// `global_pool='map'` (the attention-pooling head `AttentionPoolLatent`), no pre-norm, LayerNorm
/// eps 1e-6, MLP ratio 4 (so400m: 3.7362, an MLP of 4304).
///
/// The sizes are facts read off timm 1.0.31's model definitions (`timm.create_model(name)`):
/// width, depth, heads, MLP width, patch, image size, and the MLP activation (exact GELU for the
/// first SigLIP release, `gelu_tanh` for the towers SigLIP 2 added).
struct SiglipTimmTower: Sendable, Equatable {
    let name: String
    let width: Int
    let layers: Int
    let heads: Int
    let mlpWidth: Int
    let patchSize: Int
    let imageSize: Int
    let activation: Activation

    /// The LayerNorm epsilon of every timm SigLIP tower.
    static let layerNormEpsilon: Float = 1e-6

    private static func tower(_ name: String, _ size: (width: Int, layers: Int, heads: Int, mlp: Int),
                              patch: Int, image: Int, _ activation: Activation) -> SiglipTimmTower {
        SiglipTimmTower(name: name, width: size.width, layers: size.layers, heads: size.heads, mlpWidth: size.mlp,
                        patchSize: patch, imageSize: image, activation: activation)
    }

    private static let base = (width: 768, layers: 12, heads: 12, mlp: 3072)
    private static let large = (width: 1024, layers: 24, heads: 16, mlp: 4096)
    private static let so400m = (width: 1152, layers: 27, heads: 16, mlp: 4304)
    private static let giantopt = (width: 1536, layers: 40, heads: 16, mlp: 6144)

    /// Every tower open_clip 3.3's pretrained SigLIP / SigLIP 2 configurations name.
    static let all: [SiglipTimmTower] = [
        tower("vit_base_patch16_siglip_224", base, patch: 16, image: 224, .gelu),
        tower("vit_base_patch16_siglip_256", base, patch: 16, image: 256, .gelu),
        tower("vit_base_patch16_siglip_384", base, patch: 16, image: 384, .gelu),
        tower("vit_base_patch16_siglip_512", base, patch: 16, image: 512, .gelu),
        tower("vit_base_patch32_siglip_256", base, patch: 32, image: 256, .geluTanh),
        tower("vit_large_patch16_siglip_256", large, patch: 16, image: 256, .gelu),
        tower("vit_large_patch16_siglip_384", large, patch: 16, image: 384, .gelu),
        tower("vit_large_patch16_siglip_512", large, patch: 16, image: 512, .geluTanh),
        tower("vit_so400m_patch14_siglip_224", so400m, patch: 14, image: 224, .gelu),
        tower("vit_so400m_patch14_siglip_378", so400m, patch: 14, image: 378, .gelu),
        tower("vit_so400m_patch14_siglip_384", so400m, patch: 14, image: 384, .gelu),
        tower("vit_so400m_patch16_siglip_256", so400m, patch: 16, image: 256, .geluTanh),
        tower("vit_so400m_patch16_siglip_384", so400m, patch: 16, image: 384, .geluTanh),
        tower("vit_so400m_patch16_siglip_512", so400m, patch: 16, image: 512, .geluTanh),
        tower("vit_giantopt_patch16_siglip_256", giantopt, patch: 16, image: 256, .geluTanh),
        tower("vit_giantopt_patch16_siglip_384", giantopt, patch: 16, image: 384, .geluTanh),
    ]

    /// The image tower's description, at `imageSize` (open_clip's `vision_cfg.image_size`).
    func vision(imageSize: Int) -> VisionArchitecture {
        VisionArchitecture(
            imageSize: imageSize, patchSize: patchSize, channels: 3,
            encoder: EncoderArchitecture(width: width, layers: layers, heads: heads, mlpWidth: mlpWidth,
                                         activation: activation, layerNormEpsilon: Self.layerNormEpsilon),
            family: .siglip)
    }
}
