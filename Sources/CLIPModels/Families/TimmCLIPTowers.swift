/// timm's CLIP-style ViTs that open_clip builds image encoders from with `timm_pool: "token"` and
/// `timm_proj: null` (MobileCLIP2-L-14's `vit_large_patch14_clip_224`): a class token, learned
/// positions, `norm_pre`, pre-norm blocks with exact GELU and LayerNorm eps 1e-5, the final norm
/// (only the class token's is read), then timm's classifier `head`, a linear layer with bias onto
/// the embedding. No bias on the patch convolution. Sizes read off timm 1.0.31.
struct TimmCLIPTower: Sendable, Equatable {
    let name: String
    let width: Int
    let layers: Int
    let heads: Int
    let mlpWidth: Int
    let patchSize: Int
    let imageSize: Int

    /// Every such tower open_clip 3.3's pretrained configurations name.
    static let all: [TimmCLIPTower] = [
        TimmCLIPTower(name: "vit_large_patch14_clip_224", width: 1024, layers: 24, heads: 16, mlpWidth: 4096,
                      patchSize: 14, imageSize: 224),
    ]

    /// CLIP's tower structure with timm's head (a linear layer with bias).
    static let options = VisionTowerOptions(classToken: true, preNorm: true, patchBias: false, pooling: .classToken,
                                            projection: .linear)

    /// The image tower's description at `imageSize` (open_clip's `vision_cfg.image_size`).
    func vision(imageSize: Int) -> VisionArchitecture {
        VisionArchitecture(
            imageSize: imageSize, patchSize: patchSize, channels: 3,
            encoder: EncoderArchitecture(width: width, layers: layers, heads: heads, mlpWidth: mlpWidth,
                                         activation: .gelu, layerNormEpsilon: 1e-5),
            family: .clip, options: Self.options)
    }
}

/// A timm image tower open_clip names by `timm_model_name`, known by its sizes and structure
/// (``SiglipTimmTower``, ``PETimmTower``, ``TimmCLIPTower``, ``EvaTimmTower``).
protocol TimmTower: Sendable {
    /// Every tower of this kind, by name.
    static var all: [Self] { get }
    /// timm's model name.
    var name: String { get }
    /// The image size timm builds the tower for.
    var imageSize: Int { get }
    /// The tower's description at `imageSize` (with its family and options).
    func vision(imageSize: Int) -> VisionArchitecture
    /// The `timm_pool` open_clip's configurations give this kind of tower (the only one supported).
    static var openCLIPPool: String { get }
    /// The `timm_proj` they give it: "none" (no projection), or nil for an explicit null
    /// (timm's own `head`, a linear layer with bias).
    static var openCLIPProjection: String? { get }
}

extension TimmTower {
    /// The tower called `name` (timm's model name, with or without a pretrained tag such as
    /// `.webli`), if it is one.
    static func named(_ name: String) -> Self? {
        let base = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        return all.first { $0.name == base }
    }
}

extension SiglipTimmTower: TimmTower {
    static var openCLIPPool: String { "map" }
    static var openCLIPProjection: String? { "none" }
}
extension PETimmTower: TimmTower {
    static var openCLIPPool: String { "map" }
    static var openCLIPProjection: String? { nil }
}
extension TimmCLIPTower: TimmTower {
    static var openCLIPPool: String { "token" }
    static var openCLIPProjection: String? { nil }
}
extension EvaTimmTower: TimmTower {
    static var openCLIPPool: String { "token" }
    static var openCLIPProjection: String? { nil }
}

/// Every kind of timm image tower, in the order they are looked up (the one registry line a
/// new kind adds).
let timmTowerKinds: [any TimmTower.Type] = [SiglipTimmTower.self, PETimmTower.self, TimmCLIPTower.self,
                                            EvaTimmTower.self]

/// The timm tower called `name` (with or without a pretrained tag), of whichever kind.
func timmTower(named name: String) -> (any TimmTower)? {
    for kind in timmTowerKinds {
        if let tower = kind.named(name) { return tower }
    }
    return nil
}
