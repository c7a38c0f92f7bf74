import CLIPSupport
import Foundation

/// OpenCLIP's `vision_cfg` with open_clip 3.3.0's `CLIPVisionCfg` defaults.
///
/// Only the fields that matter for a plain ViT are kept as properties; fields that select
/// other architectures (ResNet `layers` lists, timm towers, attentional pooling, layer scale,
/// custom attention blocks, …) are recorded in ``unsupportedFeatures``. Keys that
/// `CLIPVisionCfg` does not know are recorded too, since open_clip itself rejects them.
public struct OpenCLIPVisionConfiguration: Codable, Sendable, Equatable {
    /// `layers` (default 12).
    public var layers: Int
    /// `width` (default 768).
    public var width: Int
    /// `head_width` (default 64): heads = width / head_width.
    public var headWidth: Int
    /// `mlp_ratio` (default 4.0): MLP width = int(width · mlp_ratio).
    public var mlpRatio: Double
    /// `patch_size` (default 16).
    public var patchSize: Int
    /// `image_size` (default 224).
    public var imageSize: Int
    /// `norm_kwargs.eps` (default 1e-5, torch's LayerNorm default).
    public var layerNormEpsilon: Double
    /// Not `no_ln_pre` (default true): a LayerNorm of every token before the first layer.
    public var preNorm: Bool
    /// `pool_type` (default "tok": the class token; "avg": the mean of the patch tokens, CLIPA).
    public var poolType: String
    /// `final_ln_after_pool` (default false): the post-LayerNorm on the pooled vector rather than
    /// on every token (the same for class-token pooling).
    public var finalLnAfterPool: Bool
    /// `attentional_pool: true` (CoCa): ``attentionalPoolQueries`` learned queries pool the tokens.
    public var attentionalPool: Bool
    /// `attn_pooler_queries` (default 256).
    public var attentionalPoolQueries: Int
    /// `attn_pooler_heads` (default 8).
    public var attentionalPoolHeads: Int
    /// `act_kwargs.approximate == "tanh"`: GELU in its tanh approximation.
    public var tanhGELU: Bool
    /// `timm_model_name`: a timm image tower in place of the native ViT (nil for the native one).
    /// Supported: SigLIP's `vit_*_siglip_*` towers with `timm_pool: "map"`, `timm_proj: "none"`.
    public var timmModelName: String?
    /// Settings present in the file that this library does not implement.
    public var unsupportedFeatures: [String]

    /// The timm SigLIP tower ``timmModelName`` names, when it is one this library runs.
    var siglipTower: SiglipTimmTower? { timmModelName.flatMap(SiglipTimmTower.named) }
    /// The timm tower ``timmModelName`` names (SigLIP's, PE-Core's or a CLIP ViT), when it is one
    /// this library runs.
    var timmTower: (any TimmTower)? { timmModelName.flatMap(CLIPModels.timmTower(named:)) }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case layers, width
        case headWidth = "head_width"
        case mlpRatio = "mlp_ratio"
        case patchSize = "patch_size"
        case imageSize = "image_size"
        case lsInitValue = "ls_init_value"
        case patchDropout = "patch_dropout"
        case attentionalPool = "attentional_pool"
        case attnPoolerQueries = "attn_pooler_queries"
        case attnPoolerHeads = "attn_pooler_heads"
        case noLnPre = "no_ln_pre"
        case posEmbedType = "pos_embed_type"
        case finalLnAfterPool = "final_ln_after_pool"
        case poolType = "pool_type"
        case outputTokens = "output_tokens"
        case actKwargs = "act_kwargs"
        case normKwargs = "norm_kwargs"
        case blockType = "block_type"
        case qkNorm = "qk_norm"
        case scaledCosineAttn = "scaled_cosine_attn"
        case scaleHeads = "scale_heads"
        case scaleAttnInner = "scale_attn_inner"
        case scaleAttn = "scale_attn"
        case scaleFc = "scale_fc"
        case timmModelName = "timm_model_name"
        case timmModelPretrained = "timm_model_pretrained"
        case timmPool = "timm_pool"
        case timmProj = "timm_proj"
        case timmProjBias = "timm_proj_bias"
        case timmDrop = "timm_drop"
        case timmDropPath = "timm_drop_path"
    }

    /// The defaults of open_clip's `CLIPVisionCfg()`.
    public init() {
        layers = 12
        width = 768
        headWidth = 64
        mlpRatio = 4.0
        patchSize = 16
        imageSize = 224
        layerNormEpsilon = 1e-5
        preNorm = true
        poolType = "tok"
        finalLnAfterPool = false
        attentionalPool = false
        attentionalPoolQueries = 256
        attentionalPoolHeads = 8
        tanhGELU = false
        unsupportedFeatures = []
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var unsupported: [String] = []
        if let raw = try c.decodeIfPresent(JSONValue.self, forKey: .layers) {
            if let count = raw.intValue {
                layers = count
            } else if case .array = raw {
                unsupported.append("ResNet image tower (vision_cfg.layers is a list)")
            } else {
                throw DecodingError.dataCorruptedError(forKey: .layers, in: c, debugDescription: "expected an integer")
            }
        }
        width = try c.value(.width, default: width)
        headWidth = try c.value(.headWidth, default: headWidth)
        mlpRatio = try c.value(.mlpRatio, default: mlpRatio)
        patchSize = try c.squareSize(.patchSize) ?? patchSize
        imageSize = try c.squareSize(.imageSize) ?? imageSize
        unsupported += try openCLIPCommonFeatures(c, tower: "vision_cfg", normKwargs: .normKwargs, actKwargs: .actKwargs,
                                                  lsInitValue: .lsInitValue, blockType: .blockType,
                                                  flags: [.qkNorm, .scaledCosineAttn, .scaleHeads, .scaleAttnInner,
                                                          .scaleAttn, .scaleFc],
                                                  epsilon: &layerNormEpsilon, tanhGELU: &tanhGELU)
        if let name = try c.decodeIfPresent(String.self, forKey: .timmModelName) {
            timmModelName = name
            let pool = try c.decodeIfPresent(String.self, forKey: .timmPool) ?? "avg"
            // open_clip's default "linear"; an explicit null is kept (decodeIfPresent reads it as nil).
            let projection = c.contains(.timmProj)
                ? try c.decodeIfPresent(JSONValue.self, forKey: .timmProj) ?? .null : .string("linear")
            // (A null or empty timm_proj gives timm's linear head: only "none" has no projection.)
            if let tower = CLIPModels.timmTower(named: name) {
                let kind = type(of: tower)
                let expected: JSONValue = kind.openCLIPProjection.map { .string($0) } ?? .null
                if pool != kind.openCLIPPool || projection != expected {
                    unsupported.append("timm image tower \"\(name)\" with timm_pool \"\(pool)\" and timm_proj "
                                       + "\(projection.summary) (supported: \"\(kind.openCLIPPool)\" and \(expected.summary))")
                }
            } else {
                unsupported.append("timm image tower \"\(name)\"")
            }
        }
        // CoCa's attentional pooler (open_clip's original setup; the "parallel" and "cascade"
        // variants are not).
        if let pool = try c.decodeIfPresent(JSONValue.self, forKey: .attentionalPool), pool != .bool(false), pool != .null {
            if pool == .bool(true) {
                attentionalPool = true
                attentionalPoolQueries = try c.value(.attnPoolerQueries, default: attentionalPoolQueries)
                attentionalPoolHeads = try c.value(.attnPoolerHeads, default: attentionalPoolHeads)
            } else {
                unsupported.append("attentional pooling \(pool.summary) (vision_cfg.attentional_pool; true is supported)")
            }
        }
        preNorm = try c.decodeIfPresent(Bool.self, forKey: .noLnPre) != true
        finalLnAfterPool = try c.decodeIfPresent(Bool.self, forKey: .finalLnAfterPool) == true
        if let type = try c.decodeIfPresent(String.self, forKey: .posEmbedType), type != "learnable" {
            unsupported.append("vision_cfg.pos_embed_type \"\(type)\"")
        }
        // `final_ln_after_pool` is the same computation for class-token pooling (LayerNorm acts
        // per token); with "avg" it puts the LayerNorm after the mean (CLIPA).
        poolType = try c.decodeIfPresent(String.self, forKey: .poolType) ?? poolType
        if poolType != "tok" && poolType != "avg" || attentionalPool && poolType != "tok" {
            unsupported.append("vision_cfg.pool_type \"\(poolType)\"" + (attentionalPool ? " with attentional_pool" : ""))
        }
        unsupported += try decoder.unknownKeys(besides: CodingKeys.self).map { "unknown key vision_cfg.\($0)" }
        unsupportedFeatures = unsupported
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layers, forKey: .layers)
        try c.encode(width, forKey: .width)
        try c.encode(headWidth, forKey: .headWidth)
        try c.encode(mlpRatio, forKey: .mlpRatio)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(imageSize, forKey: .imageSize)
        if layerNormEpsilon != 1e-5 { try c.encode(["eps": layerNormEpsilon], forKey: .normKwargs) }
        if tanhGELU { try c.encode(["approximate": "tanh"], forKey: .actKwargs) }
        if !preNorm { try c.encode(true, forKey: .noLnPre) }
        if poolType != "tok" { try c.encode(poolType, forKey: .poolType) }
        if finalLnAfterPool { try c.encode(true, forKey: .finalLnAfterPool) }
        if attentionalPool {
            try c.encode(true, forKey: .attentionalPool)
            try c.encode(attentionalPoolQueries, forKey: .attnPoolerQueries)
            try c.encode(attentionalPoolHeads, forKey: .attnPoolerHeads)
        }
        if let timmModelName {
            try c.encode(timmModelName, forKey: .timmModelName)
            let kind = CLIPModels.timmTower(named: timmModelName).map { type(of: $0) } ?? SiglipTimmTower.self
            try c.encode(kind.openCLIPPool, forKey: .timmPool)
            if let projection = kind.openCLIPProjection {
                try c.encode(projection, forKey: .timmProj)
            } else {
                try c.encodeNil(forKey: .timmProj)
            }
        }
    }
}

/// OpenCLIP's `text_cfg` with open_clip 3.3.0's `CLIPTextCfg` defaults. As for the vision
/// tower, settings that select other architectures are recorded in ``unsupportedFeatures``.
public struct OpenCLIPTextConfiguration: Codable, Sendable, Equatable {
    /// `context_length` (default 77).
    public var contextLength: Int
    /// `vocab_size` (default 49408).
    public var vocabularySize: Int
    /// `width` (default 512).
    public var width: Int
    /// `heads` (default 8).
    public var heads: Int
    /// `layers` (default 12).
    public var layers: Int
    /// `mlp_ratio` (default 4.0).
    public var mlpRatio: Double
    /// `pool_type` (default "argmax": the highest token id, CLIP's end-of-text).
    public var poolType: String
    /// `eos_id` (default 2; used only with `pool_type: "eos"`).
    public var eosID: Int
    /// `pad_id` (default 0).
    public var padID: Int
    /// `norm_kwargs.eps` (default 1e-5).
    public var layerNormEpsilon: Double
    /// `act_kwargs.approximate == "tanh"`: GELU in its tanh approximation (SigLIP 2's text tower).
    public var tanhGELU: Bool
    /// `hf_tokenizer_name`: the tokenizer open_clip loads with transformers (SigLIP's), read here
    /// from the checkpoint folder's tokenizer files.
    public var tokenizerName: String?
    /// `no_causal_mask` (default false): every position attends to every other.
    public var noCausalMask: Bool
    /// `embed_cls` (default false): a learned class embedding appended after the text (CoCa),
    /// whose final state is pooled.
    public var embedsClassToken: Bool
    /// `proj_type: "none"`: the pooled vector is the embedding (supported in SigLIP text towers).
    public var unprojected: Bool
    /// `tokenizer_kwargs.clean`: the text cleaning open_clip's `HFTokenizer` applies first
    /// (`"canonicalize"` for SigLIP; nil: the key is absent).
    public var tokenizerCleaning: String?
    /// `tokenizer_kwargs.strip_sep_token`: open_clip's `HFTokenizer` replaces the separator
    /// token's id by 0 (CLIPA's BERT tokenizer).
    public var tokenizerStripsSeparator: Bool
    /// Settings present in the file that this library does not implement in a CLIP text tower.
    public var unsupportedFeatures: [String]
    /// Settings present in the file that this library does not implement in a SigLIP text tower
    /// (bidirectional, pooled at the last position, a projection with bias), whose image tower
    /// is one of timm's SigLIP towers.
    public var unsupportedSiglipFeatures: [String]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case contextLength = "context_length"
        case vocabularySize = "vocab_size"
        case hfTokenizerName = "hf_tokenizer_name"
        case tokenizerMode = "tokenizer_mode"
        case tokenizerKwargs = "tokenizer_kwargs"
        case width, heads, layers
        case mlpRatio = "mlp_ratio"
        case lsInitValue = "ls_init_value"
        case embedCls = "embed_cls"
        case padID = "pad_id"
        case eosID = "eos_id"
        case noCausalMask = "no_causal_mask"
        case finalLnAfterPool = "final_ln_after_pool"
        case poolType = "pool_type"
        case projBias = "proj_bias"
        case projType = "proj_type"
        case outputTokens = "output_tokens"
        case actKwargs = "act_kwargs"
        case normKwargs = "norm_kwargs"
        case blockType = "block_type"
        case qkNorm = "qk_norm"
        case scaledCosineAttn = "scaled_cosine_attn"
        case scaleHeads = "scale_heads"
        case scaleAttnInner = "scale_attn_inner"
        case scaleAttn = "scale_attn"
        case scaleFc = "scale_fc"
        case hfModelName = "hf_model_name"
        case hfModelPretrained = "hf_model_pretrained"
        case hfProjType = "hf_proj_type"
        case hfPoolerType = "hf_pooler_type"
    }

    /// The defaults of open_clip's `CLIPTextCfg()`.
    public init() {
        contextLength = 77
        vocabularySize = 49408
        width = 512
        heads = 8
        layers = 12
        mlpRatio = 4.0
        poolType = "argmax"
        eosID = 2
        padID = 0
        layerNormEpsilon = 1e-5
        tanhGELU = false
        noCausalMask = false
        embedsClassToken = false
        unprojected = false
        tokenizerStripsSeparator = false
        unsupportedFeatures = []
        unsupportedSiglipFeatures = []
    }

    public init(from decoder: Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var unsupported: [String] = []
        contextLength = try c.value(.contextLength, default: contextLength)
        vocabularySize = try c.value(.vocabularySize, default: vocabularySize)
        width = try c.value(.width, default: width)
        heads = try c.value(.heads, default: heads)
        layers = try c.value(.layers, default: layers)
        mlpRatio = try c.value(.mlpRatio, default: mlpRatio)
        poolType = try c.value(.poolType, default: poolType)
        eosID = try c.value(.eosID, default: eosID)
        padID = try c.value(.padID, default: padID)
        let common = try openCLIPCommonFeatures(c, tower: "text_cfg", normKwargs: .normKwargs, actKwargs: .actKwargs,
                                                lsInitValue: .lsInitValue, blockType: .blockType,
                                                flags: [.qkNorm, .scaledCosineAttn, .scaleHeads, .scaleAttnInner,
                                                        .scaleAttn, .scaleFc],
                                                epsilon: &layerNormEpsilon, tanhGELU: &tanhGELU)
        unsupported += common
        var siglip = common
        if let name = try c.decodeIfPresent(String.self, forKey: .hfModelName) {
            unsupported.append("Hugging Face text tower \"\(name)\"")
            siglip.append("Hugging Face text tower \"\(name)\"")
        }
        // The tokenizer is read from the checkpoint folder's files (SigLIP's, CLIPA's BERT vocabulary).
        tokenizerName = try c.decodeIfPresent(String.self, forKey: .hfTokenizerName)
        if let kwargs = try c.decodeIfPresent([String: JSONValue].self, forKey: .tokenizerKwargs) {
            for (key, value) in kwargs.sorted(by: { $0.key < $1.key }) {
                if key == "clean", case let .string(name) = value {
                    tokenizerCleaning = name
                } else if key == "strip_sep_token", case let .bool(strip) = value {
                    tokenizerStripsSeparator = strip
                } else {
                    siglip.append("text_cfg.tokenizer_kwargs.\(key)")
                    unsupported.append("text_cfg.tokenizer_kwargs.\(key)")
                }
            }
        }
        let flags = try [CodingKeys.embedCls, .noCausalMask, .projBias].map { key in
            (key, try c.decodeIfPresent(Bool.self, forKey: key) == true)
        }
        noCausalMask = flags.contains { $0.0 == .noCausalMask && $0.1 }
        embedsClassToken = flags.contains { $0.0 == .embedCls && $0.1 }
        // A CLIP text tower may drop the causal mask (MobileCLIP2-L-14) or append a class
        // embedding (CoCa: causal, padded with id 0); not have a projection bias.
        for (key, set) in flags where set && key == .projBias {
            unsupported.append("text_cfg.\(key.stringValue)")
        }
        if embedsClassToken && (noCausalMask || padID != 0) {
            unsupported.append("text_cfg.embed_cls with no_causal_mask or a pad_id other than 0")
        }
        // SigLIP's text tower: no causal mask and a projection with bias (or none at all:
        // `proj_type: "none"`, SO400M i18n); no class embedding.
        let projectionType = try c.decodeIfPresent(String.self, forKey: .projType) ?? "linear"
        unprojected = projectionType == "none"
        for (key, set) in flags where set != (key != .embedCls) && !(unprojected && key == .projBias && !set) {
            siglip.append("text_cfg.\(key.stringValue) \(set) (SigLIP's text tower has \(!set))")
        }
        if projectionType != "linear" {
            unsupported.append("text_cfg.proj_type \"\(projectionType)\"")
            if !unprojected { siglip.append("text_cfg.proj_type \"\(projectionType)\"") }
        }
        if poolType != "argmax" && poolType != "eos" && poolType != "last" {
            unsupported.append("text_cfg.pool_type \"\(poolType)\"")
        }
        if poolType != "last" {
            siglip.append("text_cfg.pool_type \"\(poolType)\" (SigLIP's text tower pools the last position)")
        }
        let unknown = try decoder.unknownKeys(besides: CodingKeys.self).map { "unknown key text_cfg.\($0)" }
        unsupportedSiglipFeatures = siglip + unknown
        unsupported += unknown
        unsupportedFeatures = unsupported
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(width, forKey: .width)
        try c.encode(heads, forKey: .heads)
        try c.encode(layers, forKey: .layers)
        try c.encode(mlpRatio, forKey: .mlpRatio)
        if poolType != "argmax" { try c.encode(poolType, forKey: .poolType) }
        if eosID != 2 { try c.encode(eosID, forKey: .eosID) }
        if padID != 0 { try c.encode(padID, forKey: .padID) }
        if layerNormEpsilon != 1e-5 { try c.encode(["eps": layerNormEpsilon], forKey: .normKwargs) }
        if tanhGELU { try c.encode(["approximate": "tanh"], forKey: .actKwargs) }
        if noCausalMask { try c.encode(true, forKey: .noCausalMask) }
        if embedsClassToken { try c.encode(true, forKey: .embedCls) }
        if unprojected { try c.encode("none", forKey: .projType) }
        if let tokenizerName { try c.encode(tokenizerName, forKey: .hfTokenizerName) }
        struct TokenizerKwargs: Encodable {
            var clean: String?
            var strip_sep_token: Bool?
        }
        if tokenizerCleaning != nil || tokenizerStripsSeparator {
            try c.encode(TokenizerKwargs(clean: tokenizerCleaning, strip_sep_token: tokenizerStripsSeparator ? true : nil),
                         forKey: .tokenizerKwargs)
        }
    }
}

/// Reads the settings both OpenCLIP tower configurations share and lists those that select
/// features this library does not implement.
private func openCLIPCommonFeatures<Key: CodingKey>(
    _ c: KeyedDecodingContainer<Key>, tower: String,
    normKwargs: Key, actKwargs: Key, lsInitValue: Key, blockType: Key, flags: [Key],
    epsilon: inout Double, tanhGELU: inout Bool
) throws -> [String] {
    var unsupported: [String] = []
    if let kwargs = try c.decodeIfPresent([String: JSONValue].self, forKey: normKwargs) {
        for (key, value) in kwargs.sorted(by: { $0.key < $1.key }) {
            if key == "eps", case let .number(eps) = value {
                epsilon = eps
            } else {
                unsupported.append("\(tower).norm_kwargs.\(key)")
            }
        }
    }
    if let kwargs = try c.decodeIfPresent([String: JSONValue].self, forKey: actKwargs), !kwargs.isEmpty {
        // nn.GELU(approximate=...): "tanh" (SigLIP 2's text tower) or "none".
        if kwargs.count == 1, let approximate = kwargs["approximate"],
           approximate == .string("tanh") || approximate == .string("none") {
            tanhGELU = approximate == .string("tanh")
        } else {
            unsupported.append("\(tower).act_kwargs")
        }
    }
    if let value = try c.decodeIfPresent(JSONValue.self, forKey: lsInitValue), value != .null {
        unsupported.append("layer scale (\(tower).ls_init_value)")
    }
    if let type = try c.decodeIfPresent(String.self, forKey: blockType), type != "default" {
        unsupported.append("\(tower).block_type \"\(type)\"")
    }
    for flag in flags where try c.decodeIfPresent(Bool.self, forKey: flag) == true {
        unsupported.append("\(tower).\(flag.stringValue)")
    }
    return unsupported
}

/// OpenCLIP's `model_cfg`: the keyword arguments of open_clip 3.3.0's `CLIP` class.
public struct OpenCLIPModelConfiguration: Codable, Sendable, Equatable {
    /// `embed_dim`: the width of the shared embedding space (required).
    public var embeddingDimension: Int
    /// `quick_gelu` (default false): QuickGELU instead of the exact GELU in both towers.
    public var quickGELU: Bool
    /// `vision_cfg`.
    public var visionConfiguration: OpenCLIPVisionConfiguration
    /// `text_cfg`.
    public var textConfiguration: OpenCLIPTextConfiguration
    /// `custom_text` (default false): the text tower's keys are prefixed with `text.`.
    public var customText: Bool
    /// Settings present in the file that this library does not implement.
    public var unsupportedFeatures: [String]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case embeddingDimension = "embed_dim"
        case quickGELU = "quick_gelu"
        case visionConfiguration = "vision_cfg"
        case textConfiguration = "text_cfg"
        case customText = "custom_text"
        case initLogitScale = "init_logit_scale"
        case initLogitBias = "init_logit_bias"
        case nonscalarLogitScale = "nonscalar_logit_scale"
        case castDtype = "cast_dtype"
        case outputDict = "output_dict"
        case multimodalCfg = "multimodal_cfg"
    }

    /// Creates a configuration.
    public init(embeddingDimension: Int, quickGELU: Bool = false,
                visionConfiguration: OpenCLIPVisionConfiguration = .init(),
                textConfiguration: OpenCLIPTextConfiguration = .init(), customText: Bool = false) {
        self.embeddingDimension = embeddingDimension
        self.quickGELU = quickGELU
        self.visionConfiguration = visionConfiguration
        self.textConfiguration = textConfiguration
        self.customText = customText
        self.unsupportedFeatures = []
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        embeddingDimension = try c.decode(Int.self, forKey: .embeddingDimension)
        quickGELU = try c.value(.quickGELU, default: false)
        visionConfiguration = try c.value(.visionConfiguration, default: OpenCLIPVisionConfiguration())
        textConfiguration = try c.value(.textConfiguration, default: OpenCLIPTextConfiguration())
        customText = try c.value(.customText, default: false)
        var unsupported: [String] = []
        // A timm SigLIP image tower makes a SigLIP model: a logit bias and a SigLIP text tower.
        let siglip = visionConfiguration.siglipTower != nil
        if !siglip, let bias = try c.decodeIfPresent(JSONValue.self, forKey: .initLogitBias), bias != .null {
            unsupported.append("logit bias (init_logit_bias, a SigLIP-style model)")
        }
        // A CoCa model's text decoder (multimodal_cfg) makes captions; its contrastive towers are
        // all this library runs, and the decoder's weights are left unread.
        if siglip, quickGELU { unsupported.append("quick_gelu in a SigLIP model") }
        unsupported += try decoder.unknownKeys(besides: CodingKeys.self).map { "unknown key model_cfg.\($0)" }
        unsupportedFeatures = unsupported + visionConfiguration.unsupportedFeatures
            + (siglip ? textConfiguration.unsupportedSiglipFeatures : textConfiguration.unsupportedFeatures)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(embeddingDimension, forKey: .embeddingDimension)
        if quickGELU { try c.encode(true, forKey: .quickGELU) }
        try c.encode(visionConfiguration, forKey: .visionConfiguration)
        try c.encode(textConfiguration, forKey: .textConfiguration)
        if customText { try c.encode(true, forKey: .customText) }
    }

    /// The model this configuration describes.
    /// - Parameter file: the file name used in errors.
    /// - Throws: `CLIPModelError.unsupportedArchitecture` listing every unsupported setting,
    ///   `invalidConfiguration` for inconsistent sizes.
    public func architecture(file: String = "open_clip_config.json") throws(CLIPModelError) -> CLIPArchitecture {
        if !unsupportedFeatures.isEmpty {
            throw .unsupportedArchitecture(file: file, reason: unsupportedFeatures.joined(separator: "; "))
        }
        let v = visionConfiguration
        let t = textConfiguration
        func activation(tanh: Bool) -> Activation { quickGELU ? .quickGELU : tanh ? .geluTanh : .gelu }
        func mlpWidth(_ width: Int, _ ratio: Double, _ key: String) throws(CLIPModelError) -> Int {
            // Python's int(width * mlp_ratio): truncation toward zero.
            let product = Double(width) * ratio
            guard product.isFinite, product > 0, product < Double(1 << 30) else {
                throw .invalidConfiguration(file: file, key: key, reason: "gives an MLP width of \(product)")
            }
            return Int(product)
        }
        let vision: VisionArchitecture
        let family: ModelFamily
        if let tower = v.timmTower {
            // timm builds the tower at the image size its name says; open_clip's image_size must agree.
            guard v.imageSize == tower.imageSize else {
                throw .invalidConfiguration(
                    file: file, key: "vision_cfg.image_size",
                    reason: "\(v.imageSize) differs from the \(tower.imageSize) px that timm's \(tower.name) takes")
            }
            vision = tower.vision(imageSize: v.imageSize)
            family = vision.family
        } else {
            guard v.headWidth > 0 else {
                throw .invalidConfiguration(file: file, key: "vision_cfg.head_width", reason: "must be positive")
            }
            // CLIPA: no pre-LayerNorm, the mean of the patches. CoCa: the attentional pooler.
            let pooling: VisionPooling = v.attentionalPool
                ? .attentionalPooler(queries: v.attentionalPoolQueries, heads: v.attentionalPoolHeads)
                : v.poolType == "avg" ? .meanOfPatches(normalizeAfter: v.finalLnAfterPool) : .classToken
            vision = VisionArchitecture(
                imageSize: v.imageSize, patchSize: v.patchSize, channels: 3,
                encoder: EncoderArchitecture(
                    width: v.width, layers: v.layers, heads: v.width / v.headWidth,
                    mlpWidth: try mlpWidth(v.width, v.mlpRatio, "vision_cfg.mlp_ratio"),
                    activation: activation(tanh: v.tanhGELU), layerNormEpsilon: Float(v.layerNormEpsilon)),
                options: VisionTowerOptions(classToken: true, preNorm: v.preNorm, patchBias: false, pooling: pooling,
                                            projection: .matrix))
            if v.width % v.headWidth != 0 {
                throw .invalidConfiguration(
                    file: file, key: "vision_cfg.head_width",
                    reason: "\(v.headWidth) does not divide the width \(v.width)")
            }
            family = .clip
        }
        // CLIP pools at the end-of-text token (the highest id, or eos_id); SigLIP at the last
        // position, recording eos_id.
        let endOfText = t.poolType == "eos" || family == .siglip
            ? t.eosID : TextArchitecture.highestTokenEndOfText(vocabularySize: t.vocabularySize)
        let text = TextArchitecture(
            vocabularySize: t.vocabularySize, contextLength: t.contextLength, endOfTextTokenID: endOfText,
            encoder: EncoderArchitecture(
                width: t.width, layers: t.layers, heads: t.heads,
                mlpWidth: try mlpWidth(t.width, t.mlpRatio, "text_cfg.mlp_ratio"),
                activation: activation(tanh: t.tanhGELU), layerNormEpsilon: Float(t.layerNormEpsilon)),
            family: family,
            options: family == .siglip
                ? (t.unprojected ? TextTowerOptions(causal: false, pooling: .last, projectionBias: false, projected: false)
                    : .siglip)
                : TextTowerOptions(causal: !t.noCausalMask,
                                                                     pooling: t.embedsClassToken ? .classEmbedding
                                                                         : t.poolType == "last" ? .last : .endOfText,
                                                                     projectionBias: false))
        let result = CLIPArchitecture(vision: vision, text: text, embeddingDimension: embeddingDimension)
        try result.validate(file: file)
        return result
    }
}

/// An OpenCLIP `open_clip_config.json`: `model_cfg` plus the optional `preprocess_cfg`.
public struct OpenCLIPConfiguration: Codable, Sendable, Equatable {
    /// `model_cfg`.
    public var modelConfiguration: OpenCLIPModelConfiguration

    enum CodingKeys: String, CodingKey {
        case modelConfiguration = "model_cfg"
    }

    /// Creates a configuration around `model_cfg`.
    public init(modelConfiguration: OpenCLIPModelConfiguration) {
        self.modelConfiguration = modelConfiguration
    }

    /// Reads and decodes `open_clip_config.json`.
    public init(contentsOf url: URL) throws(CLIPModelError) {
        try self.init(data: try Self.read(url), file: url.lastPathComponent)
    }

    /// Decodes the contents of an OpenCLIP configuration; `file` names it in errors.
    public init(data: Data, file: String) throws(CLIPModelError) {
        self = try decodeConfiguration(OpenCLIPConfiguration.self, from: data, file: file)
    }

    /// The bytes of `url`.
    static func read(_ url: URL) throws(CLIPModelError) -> Data {
        do { return try BoundedFile.contents(of: url, limit: BoundedFile.configurationLimit) } catch {
            throw configurationReadError(error, url)
        }
    }
}

/// The error for a configuration file that `BoundedFile` did not read: too large is
/// `.unsupportedArchitecture`, anything else `.missingFile`, both naming the file.
func configurationReadError(_ error: BoundedFileError, _ url: URL) -> CLIPModelError {
    switch error {
    case .tooLarge: return .unsupportedArchitecture(file: url.path, reason: "\(error) for a configuration")
    case .notARegularFile, .unreadable: return .missingFile(path: url.path, reason: "cannot be read: \(error)")
    }
}
