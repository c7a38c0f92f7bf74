/// The timm towers open_clip builds EVA-CLIP image encoders from (`vision_cfg.timm_model_name`:
/// `eva_giant_patch14_224`, `eva02_*_clip_*`, with `timm_pool: "token"` and `timm_proj: null`,
/// which makes timm's classifier `head` a linear layer with bias onto the embedding).
///
/// timm's `Eva`: a class token, learned positions, a patch convolution with bias, no `norm_pre`,
/// LayerNorm eps 1e-6, attention without a key bias, the final norm (only the class token's is
/// read), then the head. EVA01 (`eva_giant`): packed `qkv` with separate `q_bias`/`v_bias`,
/// exact-GELU MLP. EVA02-B/L: separate `q_proj`/`k_proj`/`v_proj`, a LayerNorm of the attention
/// output, a SwiGLU MLP with a LayerNorm of its hidden activations, and 2-D rotary positions
/// (``RotaryPositions``: `'ij'` indexing, offset 0, `ref_feat_shape` 16). EVA02-E: post-norm
/// blocks (`EvaBlockPostNorm`) with EVA01's attention and MLP. Sizes read off timm 1.0.31.
struct EvaTimmTower: Sendable, Equatable {
    let name: String
    let width: Int
    let layers: Int
    let heads: Int
    let mlpWidth: Int
    let patchSize: Int
    let imageSize: Int
    let activation: Activation
    let block: EncoderBlockOptions
    let rotary: RotaryPositions?

    /// EVA01's and EVA02-E's attention and MLP (`post`: EVA02-E's residual post-norm).
    private static func eva01(post: Bool) -> EncoderBlockOptions {
        EncoderBlockOptions(normPlacement: post ? .post : .pre, keyBias: false)
    }
    /// EVA02-B/L's layer: sub-LN attention, SwiGLU MLP with its LayerNorm.
    private static let eva02 = EncoderBlockOptions(keyBias: false, attentionOutputNorm: true, gatedMLP: true,
                                                   mlpNorm: true)
    /// EVA02-B/L's rotary positions.
    private static let eva02Rotary = RotaryPositions(gridOffset: 0, referenceGrid: 16, indexing: .ij)

    /// Every EVA tower open_clip 3.3's pretrained configurations name.
    static let all: [EvaTimmTower] = [
        EvaTimmTower(name: "eva_giant_patch14_224", width: 1408, layers: 40, heads: 16, mlpWidth: 6144, patchSize: 14,
                     imageSize: 224, activation: .gelu, block: eva01(post: false), rotary: nil),
        EvaTimmTower(name: "eva02_base_patch16_clip_224", width: 768, layers: 12, heads: 12, mlpWidth: 2048,
                     patchSize: 16, imageSize: 224, activation: .silu, block: eva02, rotary: eva02Rotary),
        EvaTimmTower(name: "eva02_large_patch14_clip_224", width: 1024, layers: 24, heads: 16, mlpWidth: 2730,
                     patchSize: 14, imageSize: 224, activation: .silu, block: eva02, rotary: eva02Rotary),
        EvaTimmTower(name: "eva02_large_patch14_clip_336", width: 1024, layers: 24, heads: 16, mlpWidth: 2730,
                     patchSize: 14, imageSize: 336, activation: .silu, block: eva02, rotary: eva02Rotary),
        EvaTimmTower(name: "eva02_enormous_patch14_clip_224", width: 1792, layers: 64, heads: 16, mlpWidth: 15360,
                     patchSize: 14, imageSize: 224, activation: .gelu, block: eva01(post: true), rotary: nil),
    ]

    /// The image tower's description at `imageSize` (open_clip's `vision_cfg.image_size`).
    func vision(imageSize: Int) -> VisionArchitecture {
        VisionArchitecture(
            imageSize: imageSize, patchSize: patchSize, channels: 3,
            encoder: EncoderArchitecture(width: width, layers: layers, heads: heads, mlpWidth: mlpWidth,
                                         activation: activation, layerNormEpsilon: 1e-6, block: block),
            family: .clip,
            options: VisionTowerOptions(classToken: true, preNorm: false, patchBias: true, pooling: .classToken,
                                        projection: .linear, rotary: rotary))
    }
}
