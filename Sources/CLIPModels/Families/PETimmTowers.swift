/// The timm towers open_clip builds Meta's Perception Encoder (PE-Core) image encoders from
/// (`vision_cfg.timm_model_name`: `vit_pe_core_*`, with `timm_pool: "map"` and `timm_proj: null`,
/// which makes timm's classifier `head` a linear layer with bias onto the embedding).
///
/// timm's `Eva` with a class token (not bigG), learned positions, `norm_pre`, axial 2-D rotary
/// positions (``RotaryPositions``: interleaved pairs, `'xy'` indexing, `ref_feat_shape` the full
/// grid, grid offset 1; bigG 0), pre-norm blocks with exact GELU and LayerNorm eps 1e-5, the
/// final norm, an attention-pooling head with 8 heads and an MLP of 4 × width, then the head.
/// The sizes are facts read off timm 1.0.31's model definitions.
struct PETimmTower: Sendable, Equatable {
    let name: String
    let width: Int
    let layers: Int
    let heads: Int
    let mlpWidth: Int
    let patchSize: Int
    let imageSize: Int
    let classToken: Bool
    let referenceGrid: Int
    let gridOffset: Double

    /// The LayerNorm epsilon of every PE tower.
    static let layerNormEpsilon: Float = 1e-5
    /// The pooling head's heads (`attn_pool_num_heads`).
    static let poolHeads = 8

    /// Every PE-Core tower open_clip 3.3's pretrained configurations name.
    static let all: [PETimmTower] = [
        PETimmTower(name: "vit_pe_core_tiny_patch16_384", width: 192, layers: 12, heads: 3, mlpWidth: 768,
                    patchSize: 16, imageSize: 384, classToken: true, referenceGrid: 24, gridOffset: 1),
        PETimmTower(name: "vit_pe_core_small_patch16_384", width: 384, layers: 12, heads: 6, mlpWidth: 1536,
                    patchSize: 16, imageSize: 384, classToken: true, referenceGrid: 24, gridOffset: 1),
        PETimmTower(name: "vit_pe_core_base_patch16_224", width: 768, layers: 12, heads: 12, mlpWidth: 3072,
                    patchSize: 16, imageSize: 224, classToken: true, referenceGrid: 14, gridOffset: 1),
        PETimmTower(name: "vit_pe_core_large_patch14_336", width: 1024, layers: 24, heads: 16, mlpWidth: 4096,
                    patchSize: 14, imageSize: 336, classToken: true, referenceGrid: 24, gridOffset: 1),
        PETimmTower(name: "vit_pe_core_gigantic_patch14_448", width: 1536, layers: 50, heads: 16, mlpWidth: 8960,
                    patchSize: 14, imageSize: 448, classToken: false, referenceGrid: 32, gridOffset: 0),
    ]

    /// The tower's options: PE's structure with these sizes.
    var options: VisionTowerOptions {
        VisionTowerOptions(classToken: classToken, preNorm: true, patchBias: false,
                           pooling: .attentionHead(heads: Self.poolHeads, mlpWidth: 4 * width), projection: .linear,
                           rotary: RotaryPositions(gridOffset: gridOffset, referenceGrid: referenceGrid))
    }

    /// The image tower's description at `imageSize` (open_clip's `vision_cfg.image_size`).
    func vision(imageSize: Int) -> VisionArchitecture {
        VisionArchitecture(
            imageSize: imageSize, patchSize: patchSize, channels: 3,
            encoder: EncoderArchitecture(width: width, layers: layers, heads: heads, mlpWidth: mlpWidth,
                                         activation: .gelu, layerNormEpsilon: Self.layerNormEpsilon),
            family: .clip, options: options)
    }
}
