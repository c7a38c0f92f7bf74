/// The activation function of the encoder MLPs.
public enum Activation: String, Codable, Sendable, CaseIterable {
    /// `x · sigmoid(1.702 · x)`, used by OpenAI's CLIP models (`hidden_act: "quick_gelu"`,
    /// OpenCLIP `quick_gelu: true`).
    case quickGELU = "quick_gelu"
    /// The exact (erf) GELU, used by LAION's OpenCLIP models (`hidden_act: "gelu"`).
    case gelu = "gelu"
    /// GELU in PyTorch's tanh approximation, used by SigLIP (`hidden_act: "gelu_pytorch_tanh"`).
    case geluTanh = "gelu_pytorch_tanh"
    /// SiLU, `x · sigmoid(x)`: the gate of a SwiGLU MLP (EVA02's, ``EncoderBlockOptions/gatedMLP``).
    case silu = "silu"
}

/// The parts of an encoder layer that differ between families (nil in ``EncoderArchitecture``
/// means CLIP's: pre-norm, plain MLP, query/key/value biases, no inner norms).
public struct EncoderBlockOptions: Sendable, Equatable, Hashable, Codable {
    /// Where a layer's two LayerNorms sit.
    public enum NormPlacement: String, Sendable, Equatable, Hashable, Codable {
        /// `x += f(LN(x))` (CLIP, ViT, EVA02-B/L).
        case pre
        /// `x += LN(f(x))`: the residual branch normalized after it (timm's `EvaBlockPostNorm`, EVA02-E).
        case post
    }

    /// Where the LayerNorms sit.
    public var normPlacement: NormPlacement
    /// Whether the key projection has a bias (EVA's attention has none; its bias is zero).
    public var keyBias: Bool
    /// A LayerNorm of the attention output (the concatenated heads) before the output
    /// projection (timm `scale_attn_inner`, EVA02's sub-LN).
    public var attentionOutputNorm: Bool
    /// A SwiGLU MLP: `fc2(act(x·Wgᵀ + bg) ⊙ (x·Wxᵀ + bx))` with the encoder's activation (SiLU)
    /// as the gate (timm `SwiGLU`: `fc1_g`, `fc1_x`), instead of `fc2(act(fc1(x)))`.
    public var gatedMLP: Bool
    /// A LayerNorm of the MLP's hidden activations before its second product (timm `scale_mlp`).
    public var mlpNorm: Bool

    /// Creates layer options; the defaults are CLIP's.
    public init(normPlacement: NormPlacement = .pre, keyBias: Bool = true, attentionOutputNorm: Bool = false,
                gatedMLP: Bool = false, mlpNorm: Bool = false) {
        self.normPlacement = normPlacement
        self.keyBias = keyBias
        self.attentionOutputNorm = attentionOutputNorm
        self.gatedMLP = gatedMLP
        self.mlpNorm = mlpNorm
    }

    /// CLIP's layer.
    public static let clip = EncoderBlockOptions()

    /// A short description for `clip info` ("" for CLIP's layer).
    public var summary: String {
        var parts: [String] = []
        if normPlacement == .post { parts.append("post-norm residuals") }
        if !keyBias { parts.append("no key bias") }
        if attentionOutputNorm { parts.append("attention sub-LayerNorm") }
        if gatedMLP { parts.append("SwiGLU MLP") }
        if mlpNorm { parts.append("MLP sub-LayerNorm") }
        return parts.joined(separator: ", ")
    }
}

/// The shape of a stack of pre-norm transformer encoder layers.
public struct EncoderArchitecture: Sendable, Equatable, Hashable, Codable {
    /// The residual stream width (`hidden_size`, OpenCLIP `width`).
    public var width: Int
    /// The number of encoder layers.
    public var layers: Int
    /// The number of attention heads; `width` is a multiple of it.
    public var heads: Int
    /// The hidden width of each MLP (`intermediate_size`, OpenCLIP `int(width · mlp_ratio)`).
    public var mlpWidth: Int
    /// The MLP activation.
    public var activation: Activation
    /// The epsilon of every LayerNorm in the tower.
    public var layerNormEpsilon: Float
    /// The layer's structure when it is not CLIP's (nil: CLIP's, ``EncoderBlockOptions/clip``;
    /// nil keeps the encoding, and so the fingerprints, of CLIP's layers as they were).
    public var block: EncoderBlockOptions?

    /// The width of one attention head.
    public var headWidth: Int { heads > 0 ? width / heads : 0 }

    /// The layer structure (``block``, or CLIP's).
    public var layerOptions: EncoderBlockOptions { block ?? .clip }

    /// Creates an encoder description.
    public init(width: Int, layers: Int, heads: Int, mlpWidth: Int, activation: Activation, layerNormEpsilon: Float,
                block: EncoderBlockOptions? = nil) {
        self.width = width
        self.layers = layers
        self.heads = heads
        self.mlpWidth = mlpWidth
        self.activation = activation
        self.layerNormEpsilon = layerNormEpsilon
        self.block = block == .clip ? nil : block
    }

    /// The columns of the MLP's first product: twice the hidden width for a gated MLP (gate and value).
    var mlpInputColumns: Int { layerOptions.gatedMLP ? 2 * mlpWidth : mlpWidth }
    /// The columns per row the MLP needs in a workspace's wide buffer: a gated MLP keeps its
    /// gate and value products and the gated result (three times the hidden width).
    var mlpWorkspaceColumns: Int { layerOptions.gatedMLP ? 3 * mlpWidth : mlpWidth }

    /// The number of parameters of the layers (norms, attention, MLP).
    public var parameterCount: Int {
        let o = layerOptions
        let attention = 4 * width * width + (o.keyBias ? 4 : 3) * width + (o.attentionOutputNorm ? 2 * width : 0)
        let mlp = (mlpInputColumns + mlpWidth) * width + mlpInputColumns + width + (o.mlpNorm ? 2 * mlpWidth : 0)
        let norms = 4 * width
        return layers * (attention + mlp + norms)
    }
}

/// How an image tower turns its encoder's tokens into one vector.
public enum VisionPooling: Sendable, Equatable, Hashable, Codable {
    /// The final state of the class token (CLIP): only that token goes through the last layer's
    /// query, MLP and the post-LayerNorm.
    case classToken
    /// An attention-pooling head over every token after the post-LayerNorm (SigLIP's, timm's
    /// `map` pooling, `AttentionPoolLatent`): a learned probe, `heads` attention heads (the
    /// encoder's for SigLIP; PE's head has its own count), then `x + MLP(LayerNorm(x))` with an
    /// MLP of `mlpWidth` (the encoder's for SigLIP; PE's is 4 × width).
    case attentionHead(heads: Int, mlpWidth: Int)
    /// The mean of the patch tokens (the class token left out), with the post-LayerNorm applied
    /// to the mean (`normalizeAfter`, open_clip's `final_ln_after_pool`: CLIPA) or to every
    /// token before it (open_clip's `pool_type: "avg"`).
    case meanOfPatches(normalizeAfter: Bool)
    /// CoCa's attentional pooler (open_clip's `AttentionalPooler`): `queries` learned queries of the
    /// embedding's width attend with `heads` heads over every token; the first one, after a
    /// post-LayerNorm of the embedding's width, is pooled.
    case attentionalPooler(queries: Int, heads: Int)
}

/// What maps the pooled vector onto the embedding space.
public enum VisionProjection: String, Sendable, Equatable, Hashable, Codable {
    /// Nothing: the pooled vector is the embedding (SigLIP; its width is the embedding's).
    case none
    /// A matrix without bias (CLIP's `visual_projection` / `proj`).
    case matrix
    /// A linear layer with bias (timm's classifier `head` sized to the embedding).
    case linear
}

/// The parts of a ViT image tower that differ between families, each a switch of its own.
public struct VisionTowerOptions: Sendable, Equatable, Hashable, Codable {
    /// A learned class token before the patches.
    public var classToken: Bool
    /// A LayerNorm of every token before the first layer (CLIP's `ln_pre`, timm's `norm_pre`).
    public var preNorm: Bool
    /// Whether the patch convolution has a bias.
    public var patchBias: Bool
    /// How the tokens become one vector.
    public var pooling: VisionPooling
    /// How the pooled vector becomes the embedding.
    public var projection: VisionProjection
    /// Rotary position embeddings in every attention layer (PE-Core), besides the learned ones.
    public var rotary: RotaryPositions?

    /// Creates tower options.
    public init(classToken: Bool, preNorm: Bool, patchBias: Bool, pooling: VisionPooling, projection: VisionProjection,
                rotary: RotaryPositions? = nil) {
        self.classToken = classToken
        self.preNorm = preNorm
        self.patchBias = patchBias
        self.pooling = pooling
        self.projection = projection
        self.rotary = rotary
    }

    /// CLIP's tower: class token, pre-LayerNorm, no patch bias, class-token pooling, a projection matrix.
    public static let clip = VisionTowerOptions(classToken: true, preNorm: true, patchBias: false, pooling: .classToken,
                                                projection: .matrix)

    /// SigLIP's tower over `encoder`: no class token, no pre-LayerNorm, a patch bias, the
    /// attention-pooling head with the encoder's heads and MLP, no projection.
    public static func siglip(encoder: EncoderArchitecture) -> VisionTowerOptions {
        VisionTowerOptions(classToken: false, preNorm: false, patchBias: true,
                           pooling: .attentionHead(heads: encoder.heads, mlpWidth: encoder.mlpWidth), projection: .none)
    }

    /// A short description for `clip info` (e.g. "class token, pre-LayerNorm, 2-D rotary
    /// positions, attention-pooling head (8 heads, MLP 3072), linear head").
    public var summary: String {
        var parts: [String] = []
        if classToken { parts.append("class token") }
        if patchBias { parts.append("patch bias") }
        if preNorm { parts.append("pre-LayerNorm") }
        if let rotary { parts.append("2-D rotary positions (reference grid \(rotary.referenceGrid), offset \(rotary.gridOffset))") }
        switch pooling {
        case .classToken: parts.append("class-token pooling")
        case let .attentionHead(heads, mlp): parts.append("attention-pooling head (\(heads) heads, MLP \(mlp))")
        case let .meanOfPatches(after): parts.append(after ? "mean of patches, then LayerNorm" : "mean of patches")
        case let .attentionalPooler(queries, heads):
            parts.append("attentional pooler (\(queries) queries, \(heads) heads; query 0 pooled)")
        }
        switch projection {
        case .none: break
        case .matrix: parts.append("projection")
        case .linear: parts.append("linear head with bias")
        }
        return parts.joined(separator: ", ")
    }

    /// The options a family's tower has unless its configuration says otherwise.
    public static func defaults(for family: ModelFamily, encoder: EncoderArchitecture) -> VisionTowerOptions {
        family == .siglip ? .siglip(encoder: encoder) : .clip
    }
}

/// The vision tower of a ViT: patch embedding, positional embedding, an encoder, a pooling and
/// a projection, with the family's ``VisionTowerOptions`` (CLIP: class token, pre-LayerNorm,
/// class-token pooling with a post-LayerNorm, projection; SigLIP: patch embedding with bias,
/// encoder, post-LayerNorm, attention-pooling head).
public struct VisionArchitecture: Sendable, Equatable, Hashable, Codable {
    /// The family whose tower structure this is (``ModelFamily``).
    public var family: ModelFamily
    /// The side of the square input image in pixels.
    public var imageSize: Int
    /// The side of a square patch in pixels (the stride of the patch convolution).
    public var patchSize: Int
    /// The number of input channels (3).
    public var channels: Int
    /// The encoder layers.
    public var encoder: EncoderArchitecture
    /// The tower's structure (class token, pre-norm, pooling, projection).
    public var options: VisionTowerOptions

    /// Creates a vision tower description; `options` default to the family's.
    public init(imageSize: Int, patchSize: Int, channels: Int = 3, encoder: EncoderArchitecture,
                family: ModelFamily = .clip, options: VisionTowerOptions? = nil) {
        self.family = family
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.channels = channels
        self.encoder = encoder
        self.options = options ?? .defaults(for: family, encoder: encoder)
    }

    /// Patches per side (`imageSize / patchSize`, rounded down: the convolution has no padding).
    public var gridSize: Int { patchSize > 0 ? imageSize / patchSize : 0 }
    /// The number of tokens per image: one per patch, plus the class token if there is one.
    public var tokenCount: Int { gridSize * gridSize + (options.classToken ? 1 : 0) }
    /// The length of one flattened patch (`channels · patchSize²`).
    public var patchLength: Int { channels * patchSize * patchSize }

    /// The number of parameters of the tower (embeddings, norms, encoder, pooling, projection)
    /// for an embedding of `embeddingDimension`.
    func parameterCount(embeddingDimension: Int) -> Int {
        let v = encoder
        let o = options
        let pooled = pooledWidth(embeddingDimension: embeddingDimension)
        var count = v.width * patchLength + tokenCount * v.width + v.parameterCount + 2 * pooled  // post-norm
        if o.patchBias { count += v.width }
        if o.classToken { count += v.width }
        if o.preNorm { count += 2 * v.width }
        if case let .attentionHead(_, mlp) = o.pooling {
            // Probe, attention (in and out projections with biases), LayerNorm, MLP.
            count += v.width + 4 * v.width * v.width + 4 * v.width + 2 * v.width + 2 * v.width * mlp + mlp + v.width
        }
        if case let .attentionalPooler(queries, _) = o.pooling {
            count += AttentionalPooler.Binding.parameterCount(width: pooled, towerWidth: v.width, queries: queries)
        }
        switch o.projection {
        case .none: break
        case .matrix: count += pooled * embeddingDimension
        case .linear: count += pooled * embeddingDimension + embeddingDimension
        }
        return count
    }

    /// The width of the pooled vector the post-LayerNorm and the projection act on: the
    /// embedding's for CoCa's attentional pooler, the encoder's otherwise.
    func pooledWidth(embeddingDimension: Int) -> Int {
        if case .attentionalPooler = options.pooling { return embeddingDimension }
        return encoder.width
    }
}

/// Which position of a token sequence a text tower pools.
public enum TextPooling: String, Sendable, Equatable, Hashable, Codable {
    /// The first end-of-text token (CLIP: open_clip's `argmax` of the ids, or `eos`).
    case endOfText
    /// The last position of the (padded) sequence (SigLIP, open_clip's `last`).
    case last
    /// A learned class embedding appended after the sequence padded with id 0 to the context
    /// length (CoCa's `embed_cls`; the positional table has one row more). Its row attends
    /// causally, to every position except those right after a 0 id, as open_clip's mask has it.
    case classEmbedding = "class_embedding"
}

/// The parts of a text tower that differ between families, each a switch of its own.
public struct TextTowerOptions: Sendable, Equatable, Hashable, Codable {
    /// Whether position `i` attends only to positions `≤ i`. Without it every position counts,
    /// so sequences pooled at the end of text run padded with id 0 to the context length, as
    /// open_clip's tokenizer pads them (open_clip's `no_causal_mask`).
    public var causal: Bool
    /// The pooled position.
    public var pooling: TextPooling
    /// Whether the projection onto the embedding has a bias (SigLIP's head, open_clip's `proj_bias`).
    public var projectionBias: Bool
    /// Whether the pooled vector is projected onto the embedding; without a projection it is the
    /// embedding (open_clip's `proj_type: "none"`: `ViT-SO400M-16-SigLIP-i18n-256`).
    public var projected: Bool

    /// Creates text tower options.
    public init(causal: Bool, pooling: TextPooling, projectionBias: Bool, projected: Bool = true) {
        self.causal = causal
        self.pooling = pooling
        self.projectionBias = projectionBias
        self.projected = projected
    }

    private enum CodingKeys: String, CodingKey { case causal, pooling, projectionBias, projected }

    // `projected` is encoded only when false, so that options encode as they did before it.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(causal: try c.decode(Bool.self, forKey: .causal), pooling: try c.decode(TextPooling.self, forKey: .pooling),
                  projectionBias: try c.decode(Bool.self, forKey: .projectionBias),
                  projected: try c.decodeIfPresent(Bool.self, forKey: .projected) ?? true)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(causal, forKey: .causal)
        try c.encode(pooling, forKey: .pooling)
        try c.encode(projectionBias, forKey: .projectionBias)
        if !projected { try c.encode(false, forKey: .projected) }
    }

    /// CLIP's: causal, pooled at the end-of-text token, a projection matrix.
    public static let clip = TextTowerOptions(causal: true, pooling: .endOfText, projectionBias: false)
    /// SigLIP's: bidirectional over padded text, pooled at the last position, a head with bias.
    public static let siglip = TextTowerOptions(causal: false, pooling: .last, projectionBias: true)

    /// The options a family's text tower has unless its configuration says otherwise.
    public static func defaults(for family: ModelFamily) -> TextTowerOptions {
        family == .siglip ? .siglip : .clip
    }
}

/// The text tower: token and positional embeddings, an encoder, a final LayerNorm, the pooled
/// position, a projection, with the family's ``TextTowerOptions`` (CLIP: causal, end-of-text
/// pooling, projection; SigLIP: bidirectional, the last position, a head with bias).
public struct TextArchitecture: Sendable, Equatable, Hashable, Codable {
    /// The family whose tower structure this is (``ModelFamily``).
    public var family: ModelFamily
    /// The number of token embeddings.
    public var vocabularySize: Int
    /// The number of positional embeddings (the longest token sequence, usually 77).
    public var contextLength: Int
    /// The token id whose first occurrence in each sequence is pooled with
    /// ``TextPooling/endOfText`` (49407 for CLIP's tokenizer). Towers pooling the last position
    /// only record the configuration's end-of-sequence id here.
    public var endOfTextTokenID: Int
    /// The encoder layers.
    public var encoder: EncoderArchitecture
    /// The tower's structure (mask, pooling, projection bias).
    public var options: TextTowerOptions

    /// Creates a text tower description; `options` default to the family's.
    public init(vocabularySize: Int, contextLength: Int, endOfTextTokenID: Int, encoder: EncoderArchitecture,
                family: ModelFamily = .clip, options: TextTowerOptions? = nil) {
        self.family = family
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.endOfTextTokenID = endOfTextTokenID
        self.encoder = encoder
        self.options = options ?? .defaults(for: family)
    }
}

/// Everything that determines the tensors and the computation of a CLIP or SigLIP model,
/// whichever checkpoint layout it was read from.
public struct CLIPArchitecture: Sendable, Equatable, Hashable, Codable {
    /// The model family (both towers have the same one).
    public var family: ModelFamily { vision.family }
    /// The image tower.
    public var vision: VisionArchitecture
    /// The text tower.
    public var text: TextArchitecture
    /// The width of the shared embedding space (`projection_dim`, OpenCLIP `embed_dim`).
    public var embeddingDimension: Int

    /// Creates a model description.
    public init(vision: VisionArchitecture, text: TextArchitecture, embeddingDimension: Int) {
        self.vision = vision
        self.text = text
        self.embeddingDimension = embeddingDimension
    }

    /// The number of parameters, counting the logit scale (and SigLIP's logit bias).
    public var parameterCount: Int {
        let t = text.encoder
        // Text: embeddings, encoder, final LayerNorm, projection (SigLIP's head has a bias).
        let textCount = text.vocabularySize * t.width + text.positionCount * t.width + t.parameterCount + 2 * t.width
            + (text.options.projected ? t.width * embeddingDimension : 0)
            + (text.options.projectionBias ? embeddingDimension : 0)
            + (text.options.pooling == .classEmbedding ? t.width : 0)
        return vision.parameterCount(embeddingDimension: embeddingDimension) + textCount + (family == .siglip ? 2 : 1)
    }

    /// The common name of this architecture (for example "ViT-B/32"), when it is one of the
    /// published CLIP sizes; `nil` otherwise.
    public var preset: CLIPPreset? {
        CLIPPreset.all.first { $0.matches(self) }
    }

    /// Checks the values a forward pass relies on (positive sizes, heads dividing widths,
    /// patches tiling the image, the end-of-text token inside the vocabulary).
    /// - Parameter file: the configuration file named in the error.
    func validate(file: String) throws(CLIPModelError) {
        func check(_ ok: Bool, _ key: String, _ reason: String) throws(CLIPModelError) {
            if !ok { throw .invalidConfiguration(file: file, key: key, reason: reason) }
        }
        for (name, encoder) in [("vision", vision.encoder), ("text", text.encoder)] {
            try check(encoder.width > 0, "\(name).width", "must be positive, got \(encoder.width)")
            try check(encoder.layers >= 0, "\(name).layers", "must not be negative, got \(encoder.layers)")
            try check(encoder.heads > 0 && encoder.width % encoder.heads == 0, "\(name).heads",
                      "\(encoder.heads) heads do not divide width \(encoder.width)")
            try check(encoder.mlpWidth > 0, "\(name).mlp_width", "must be positive, got \(encoder.mlpWidth)")
            try check(encoder.layerNormEpsilon.isFinite && encoder.layerNormEpsilon > 0, "\(name).layer_norm_eps",
                      "must be a positive number, got \(encoder.layerNormEpsilon)")
        }
        try check(vision.patchSize > 0, "vision.patch_size", "must be positive, got \(vision.patchSize)")
        // The patch convolution has no padding: a remainder of the image (SigLIP so400m: 384 px in
        // 14-px patches, 27 per side) is not seen, as in PyTorch.
        try check(vision.imageSize >= vision.patchSize, "vision.image_size",
                  "\(vision.imageSize) is smaller than the patch size \(vision.patchSize)")
        try check(vision.channels > 0, "vision.num_channels", "must be positive, got \(vision.channels)")
        try check(text.vocabularySize > 0, "text.vocab_size", "must be positive, got \(text.vocabularySize)")
        try check(text.contextLength > 0, "text.context_length", "must be positive, got \(text.contextLength)")
        try check(vision.family == text.family, "model_type",
                  "the vision tower is \(vision.family.rawValue) but the text tower \(text.family.rawValue)")
        if text.options.pooling == .endOfText {
            try check(text.endOfTextTokenID >= 0 && text.endOfTextTokenID < text.vocabularySize, "text.eos_token_id",
                      "\(text.endOfTextTokenID) is outside the vocabulary of \(text.vocabularySize) tokens")
        }
        try check(embeddingDimension > 0, "projection_dim", "must be positive, got \(embeddingDimension)")
        if !text.options.projected {
            try check(embeddingDimension == text.encoder.width && !text.options.projectionBias, "text_config.proj_type",
                      "a text tower without projection needs the embedding width \(embeddingDimension) as its width "
                        + "(\(text.encoder.width)) and no projection bias")
        }
        if vision.options.projection == .none {
            try check(embeddingDimension == vision.encoder.width, "text_config.projection_size",
                      "\(embeddingDimension) differs from the image embedding width (vision hidden_size "
                        + "\(vision.encoder.width)): SigLIP's image tower has no projection")
        }
        for (name, encoder) in [("vision", vision.encoder), ("text", text.encoder)] where encoder.layerOptions.gatedMLP {
            try check(encoder.activation == .silu, "\(name).act_layer",
                      "a gated (SwiGLU) MLP gates with SiLU, not \(encoder.activation.rawValue)")
        }
        if let rotary = vision.options.rotary {
            try check(vision.encoder.headWidth % 4 == 0, "vision.rope",
                      "rotary positions need a head width divisible by 4, got \(vision.encoder.headWidth)")
            try check(rotary.referenceGrid > 0 && rotary.referenceGrid <= 1 << 12, "vision.ref_feat_shape",
                      "must be in 1...4096, got \(rotary.referenceGrid)")
            try check(rotary.temperature.isFinite && rotary.temperature > 1 && rotary.gridOffset.isFinite, "vision.rope",
                      "temperature \(rotary.temperature) and grid offset \(rotary.gridOffset) must be finite, temperature > 1")
        }
        if case let .attentionalPooler(queries, heads) = vision.options.pooling {
            try check(heads > 0 && embeddingDimension % heads == 0, "vision.attn_pooler_heads",
                      "\(heads) heads do not divide the embedding width \(embeddingDimension)")
            try check(queries > 0 && queries <= 1 << 16, "vision.attn_pooler_queries", "must be in 1...65536, got \(queries)")
        }
        if case let .attentionHead(heads, mlp) = vision.options.pooling {
            try check(heads > 0 && vision.encoder.width % heads == 0, "vision.attn_pool_heads",
                      "\(heads) heads do not divide width \(vision.encoder.width)")
            try check(mlp > 0 && mlp <= 1 << 18, "vision.attn_pool_mlp_width", "must be in 1...262144, got \(mlp)")
        }
        // Guard against sizes whose tensors could not be allocated (a corrupt or hostile config):
        // every size below its limit keeps every product in `parameterCount` and in the forward
        // pass's workspaces far inside Int (the largest, layers × width², below 2^44).
        for (key, value, limit) in Self.sizeLimits(self) {
            try check(value <= limit, key, "\(value) is above the limit of \(limit) (a corrupt or hostile configuration?)")
        }
        // The attention scores of one sequence take tokens² floats per compute thread.
        try check(vision.tokenCount <= Self.maximumSequenceLength, "vision.image_size",
                  "\(vision.imageSize) px in \(vision.patchSize)-px patches makes \(vision.tokenCount) tokens, "
                    + "more than the limit of \(Self.maximumSequenceLength)")
        try check(text.contextLength <= Self.maximumSequenceLength, "text.context_length",
                  "\(text.contextLength) is more than the limit of \(Self.maximumSequenceLength) positions")
        try check(parameterCount < Self.maximumParameterCount, "parameters",
                  "the configuration describes \(parameterCount) parameters, more than the limit of \(Self.maximumParameterCount)")
    }

    /// The most parameters a configuration may describe: 2^34 (about 17 billion; ViT-bigG/14 has 2.5 billion).
    public static let maximumParameterCount = 1 << 34
    /// The most positions a tower's sequence may have: 4,097 (a 64 × 64 patch grid and the class
    /// token), since attention keeps `positions²` scores per compute thread (64 MiB at the limit).
    public static let maximumSequenceLength = 4097

    /// The upper bound of each size of a configuration, with the key named in errors.
    static func sizeLimits(_ a: CLIPArchitecture) -> [(String, Int, Int)] {
        [
            ("vision.width", a.vision.encoder.width, 1 << 16), ("vision.mlp_width", a.vision.encoder.mlpWidth, 1 << 18),
            ("vision.layers", a.vision.encoder.layers, 1 << 10), ("vision.num_channels", a.vision.channels, 64),
            ("vision.patch_size", a.vision.patchSize, 1 << 10), ("vision.image_size", a.vision.imageSize, 1 << 14),
            ("text.width", a.text.encoder.width, 1 << 16), ("text.mlp_width", a.text.encoder.mlpWidth, 1 << 18),
            ("text.layers", a.text.encoder.layers, 1 << 10), ("text.vocab_size", a.text.vocabularySize, 1 << 22),
            ("text.context_length", a.text.contextLength, 1 << 16), ("projection_dim", a.embeddingDimension, 1 << 16),
        ]
    }
}

/// The end-of-text token of CLIP's byte-level BPE tokenizer.
public let clipEndOfTextTokenID = 49407
/// The start-of-text token of CLIP's byte-level BPE tokenizer.
public let clipStartOfTextTokenID = 49406

extension TextArchitecture {
    /// The rows of the positional table: the context length, and one more for an appended class
    /// embedding.
    public var positionCount: Int { contextLength + (options.pooling == .classEmbedding ? 1 : 0) }

    /// The token pooled by checkpoints that pool at the highest token id (OpenAI CLIP, OpenCLIP
    /// `pool_type: "argmax"`, transformers configs with the pre-2023 `eos_token_id: 2`): CLIP's
    /// end-of-text token 49407, the last id of the standard 49408-token vocabulary. For a
    /// smaller vocabulary it is the vocabulary's last id, the only token that can be the highest.
    static func highestTokenEndOfText(vocabularySize: Int) -> Int {
        vocabularySize > clipEndOfTextTokenID ? clipEndOfTextTokenID : max(vocabularySize - 1, 0)
    }
}

// The family is encoded only when it is not CLIP, so that a CLIP architecture encodes exactly as
// it did before SigLIP existed (``CLIPModel/fingerprint`` hashes the encoding).
// The options likewise only when they are not the family's defaults.
extension VisionArchitecture {
    private enum CodingKeys: String, CodingKey { case family, imageSize, patchSize, channels, encoder, options }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(imageSize: try c.decode(Int.self, forKey: .imageSize), patchSize: try c.decode(Int.self, forKey: .patchSize),
                  channels: try c.decode(Int.self, forKey: .channels),
                  encoder: try c.decode(EncoderArchitecture.self, forKey: .encoder),
                  family: try c.decodeIfPresent(ModelFamily.self, forKey: .family) ?? .clip,
                  options: try c.decodeIfPresent(VisionTowerOptions.self, forKey: .options))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if family != .clip { try c.encode(family, forKey: .family) }
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(patchSize, forKey: .patchSize)
        try c.encode(channels, forKey: .channels)
        try c.encode(self.encoder, forKey: .encoder)
        if options != .defaults(for: family, encoder: self.encoder) { try c.encode(options, forKey: .options) }
    }
}

extension TextArchitecture {
    private enum CodingKeys: String, CodingKey { case family, vocabularySize, contextLength, endOfTextTokenID, encoder, options }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabularySize: try c.decode(Int.self, forKey: .vocabularySize),
                  contextLength: try c.decode(Int.self, forKey: .contextLength),
                  endOfTextTokenID: try c.decode(Int.self, forKey: .endOfTextTokenID),
                  encoder: try c.decode(EncoderArchitecture.self, forKey: .encoder),
                  family: try c.decodeIfPresent(ModelFamily.self, forKey: .family) ?? .clip,
                  options: try c.decodeIfPresent(TextTowerOptions.self, forKey: .options))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if family != .clip { try c.encode(family, forKey: .family) }
        try c.encode(vocabularySize, forKey: .vocabularySize)
        try c.encode(contextLength, forKey: .contextLength)
        try c.encode(endOfTextTokenID, forKey: .endOfTextTokenID)
        try c.encode(self.encoder, forKey: .encoder)
        if options != .defaults(for: family) { try c.encode(options, forKey: .options) }
    }
}
